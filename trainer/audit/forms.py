from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import Length, Optional

from trainer.audit.models import ACTIONS, SUBJECTS
from trainer.core.forms_util import VnDateField, options


class AuditFilterForm(FlaskForm):
    """The log's filters (a GET form: no CSRF)."""

    class Meta:
        csrf = False

    action = SelectField("Thao tác", choices=options([("", "Mọi thao tác")] + list(ACTIONS)),
                         validators=[Optional()])
    actor = StringField("Người thực hiện (tên đăng nhập)", validators=[Optional(), Length(max=120)])
    subject_type = SelectField("Đối tượng", choices=options([("", "Mọi đối tượng")] +
                                                            list(SUBJECTS)),
                               validators=[Optional()])
    official = StringField("Mã cán bộ", validators=[Optional(), Length(max=32)])
    start = VnDateField("Từ ngày", validators=[Optional()])
    end = VnDateField("Đến ngày", validators=[Optional()])
