from flask_wtf import FlaskForm
from wtforms import HiddenField



class DecisionForm(FlaskForm):
    """HR's decision on an enrollment request: the button pressed (`approve`, anything else
    rejects) and the reason of a rejection. CSRF is checked for every form by CSRFProtect."""

    class Meta:
        csrf = False

    decision = HiddenField()
    reason = HiddenField()
