from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from trainer.core.forms_util import options
from trainer.interchange.operations import KIND_LABELS


class ImportForm(FlaskForm):
    kind = SelectField("Loại dữ liệu", choices=options(KIND_LABELS.items()))
    file = FileField("Tệp .xlsx hoặc .csv", validators=[
        FileRequired("Chọn tệp cần nhập."),
        FileAllowed(["xlsx", "csv"], "Chỉ nhận tệp .xlsx hoặc .csv.")])


class ConfirmForm(FlaskForm):
    """Only the CSRF token: what is confirmed is the stored batch."""


class MatchForm(FlaskForm):
    official_id = HiddenField(validators=[DataRequired("Chọn cán bộ.")])


class RejectForm(FlaskForm):
    reason = StringField("Lý do loại", validators=[DataRequired("Cần ghi lý do loại."),
                                                   Length(max=200)])
