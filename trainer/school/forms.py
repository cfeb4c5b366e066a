from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from courses import vocab
from trainer.forms_util import options


class CohortForm(FlaskForm):
    course_id = SelectField("Khóa học", coerce=int)
    code = StringField("Mã lớp", validators=[DataRequired("Nhập mã lớp."), Length(max=40)])
    start_date = DateField("Ngày khai giảng", validators=[DataRequired("Chọn ngày khai giảng.")])
    end_date = DateField("Ngày kết thúc", validators=[DataRequired("Chọn ngày kết thúc.")])
    enrollment_deadline = DateField("Hạn đăng ký (để trống: trước ngày khai giảng)",
                                    validators=[Optional()])
    capacity = IntegerField("Sĩ số tối đa", validators=[
        DataRequired("Nhập sĩ số."), NumberRange(1, 1000, "Sĩ số từ 1 đến 1.000.")])
    location = StringField("Địa điểm", validators=[Length(max=200)])
    mode = SelectField("Hình thức", choices=options(vocab.MODES))


class CancelForm(FlaskForm):
    reason = StringField("Lý do hủy lớp", validators=[DataRequired("Cần ghi lý do hủy lớp."),
                                                      Length(max=300)])
