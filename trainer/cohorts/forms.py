from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import DateField, SelectField, StringField, TimeField
from wtforms.validators import DataRequired, Length, Optional

from trainer.forms_util import options


class SessionForm(FlaskForm):
    day = DateField("Ngày học", validators=[DataRequired("Chọn ngày học.")])
    start_time = TimeField("Giờ bắt đầu", validators=[DataRequired("Nhập giờ bắt đầu.")])
    end_time = TimeField("Giờ kết thúc", validators=[DataRequired("Nhập giờ kết thúc.")])
    place = StringField("Địa điểm", validators=[Optional(), Length(max=200)])
    online_link = StringField("Đường dẫn học trực tuyến", validators=[Optional(), Length(max=300)])


class CohortImportForm(FlaskForm):
    kind = SelectField("Loại dữ liệu", choices=options([("attendance", "Điểm danh"),
                                                        ("class_results", "Kết quả học tập")]))
    file = FileField("Tệp .xlsx hoặc .csv", validators=[
        FileRequired("Chọn tệp cần nhập."),
        FileAllowed(["xlsx", "csv"], "Chỉ nhận tệp .xlsx hoặc .csv.")])


class ReplaceCertificateForm(FlaskForm):
    reason = StringField("Lý do cấp giấy xác nhận", validators=[
        DataRequired("Cần ghi lý do (ví dụ: học viên báo mất chứng chỉ)."), Length(max=300)])
