from flask_wtf import FlaskForm
from wtforms import (FloatField, IntegerField, SelectField, SelectMultipleField,
                     StringField, TextAreaField)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import NumberInput

from courses import vocab
from trainer.core.forms_util import VnDateField, options

WEIGHT_LABELS = {"gap": "Mức thiếu hụt được bù", "mandatory": "Bắt buộc theo vị trí",
                 "young": "Cán bộ trẻ", "female": "Cán bộ nữ", "minority": "Dân tộc thiểu số"}


def _weight(key: str) -> FloatField:
    return FloatField(WEIGHT_LABELS[key], widget=NumberInput(step="0.1", min=0, max=10),
                      validators=[InputRequired("Nhập trọng số."),
                                  NumberRange(0, 10, "Trọng số từ 0 đến 10.")])


class ProposalParamsForm(FlaskForm):
    """Class size and priority weights (KH-11); read from the query string for the preview."""
    class_size = IntegerField("Sĩ số mỗi lớp", default=30, widget=NumberInput(min=1, max=500),
                              validators=[InputRequired("Nhập sĩ số mỗi lớp."),
                                          NumberRange(1, 500, "Sĩ số mỗi lớp từ 1 đến 500.")])
    w_gap = _weight("gap")
    w_mandatory = _weight("mandatory")
    w_young = _weight("young")
    w_female = _weight("female")
    w_minority = _weight("minority")

    def weights(self) -> dict:
        return {key: float(getattr(self, f"w_{key}").data) for key in WEIGHT_LABELS}


class CreateCohortsForm(ProposalParamsForm):
    """Dates and place entered once for every proposed class."""
    code_prefix = StringField("Mã lớp (tiền tố, tự thêm -01, -02…)", validators=[
        DataRequired("Nhập mã lớp."), Length(max=36, message="Mã lớp tối đa 36 ký tự.")])
    start_date = VnDateField("Ngày khai giảng", validators=[DataRequired("Chọn ngày khai giảng.")])
    end_date = VnDateField("Ngày kết thúc", validators=[DataRequired("Chọn ngày kết thúc.")])
    enrollment_deadline = VnDateField("Hạn đăng ký (không bắt buộc)", validators=[Optional()])
    location = StringField("Địa điểm", validators=[Length(max=200)])
    mode = SelectField("Hình thức", choices=options(vocab.MODES))


class CommissionForm(FlaskForm):
    course_id = SelectField("Khóa học", coerce=int)
    # Choices are checked by the operation (scope), with a Vietnamese message.
    official_ids = SelectMultipleField("Cán bộ được cử đi học", coerce=int, validate_choice=False)
    note = TextAreaField("Ghi chú cho cơ sở đào tạo", validators=[Length(max=2000)])


class RejectForm(FlaskForm):
    response = TextAreaField("Lý do từ chối", validators=[
        DataRequired("Cần ghi lý do từ chối."), Length(max=2000)])


class ScheduleForm(FlaskForm):
    code = StringField("Mã lớp", validators=[DataRequired("Nhập mã lớp."), Length(max=40)])
    start_date = VnDateField("Ngày khai giảng", validators=[DataRequired("Chọn ngày khai giảng.")])
    end_date = VnDateField("Ngày kết thúc", validators=[DataRequired("Chọn ngày kết thúc.")])
    capacity = IntegerField("Sĩ số tối đa", validators=[
        DataRequired("Nhập sĩ số."), NumberRange(1, 1000, "Sĩ số từ 1 đến 1.000.")])
    location = StringField("Địa điểm", validators=[Length(max=200)])
    mode = SelectField("Hình thức", choices=options(vocab.MODES))
