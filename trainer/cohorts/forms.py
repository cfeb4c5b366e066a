from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, IntegerField, SelectField, StringField, TimeField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from courses import vocab
from trainer.core.forms_util import VnDateField, options


class SessionForm(FlaskForm):
    day = VnDateField("Ngày học", validators=[DataRequired("Chọn ngày học.")])
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


class CohortForm(FlaskForm):
    course_id = SelectField("Khóa học", coerce=int)
    code = StringField("Mã lớp", validators=[DataRequired("Nhập mã lớp."), Length(max=40)])
    start_date = VnDateField("Ngày khai giảng", validators=[DataRequired("Chọn ngày khai giảng.")])
    end_date = VnDateField("Ngày kết thúc", validators=[DataRequired("Chọn ngày kết thúc.")])
    enrollment_deadline = VnDateField("Hạn đăng ký (để trống: trước ngày khai giảng)",
                                      validators=[Optional()])
    capacity = IntegerField("Sĩ số tối đa", validators=[
        DataRequired("Nhập sĩ số."), NumberRange(1, 1000, "Sĩ số từ 1 đến 1.000.")])
    location = StringField("Địa điểm", validators=[Length(max=200)])
    mode = SelectField("Hình thức", choices=options(vocab.MODES))


class CancelForm(FlaskForm):
    reason = StringField("Lý do hủy lớp", validators=[DataRequired("Cần ghi lý do hủy lớp."),
                                                      Length(max=300)])


class StartForm(FlaskForm):
    """Starting a class: before its start date a reason and a ticked confirmation are needed
    (learning.operations.start_cohort; issue 12)."""
    reason = StringField("Lý do khai giảng sớm", validators=[Optional(), Length(max=300)])
    confirm = BooleanField("Tôi hiểu: danh sách chờ và đăng ký chưa duyệt của lớp kết thúc "
                           "ngay hôm nay, ngày khai giảng đổi thành hôm nay")


class LecturerForm(FlaskForm):
    """A lecturer of a class, named by the school (trainer.feedback averages answers by them)."""
    name = StringField("Họ tên giảng viên", validators=[
        DataRequired("Nhập họ tên giảng viên."),
        Length(max=120, message="Họ tên tối đa 120 ký tự.")])
