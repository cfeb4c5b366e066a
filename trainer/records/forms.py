from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from courses import vocab
from trainer.core.forms_util import VnDateField, options
from trainer.core.text import clean


class AssessmentForm(FlaskForm):
    competency_id = SelectField("Năng lực", coerce=int)
    level = SelectField("Mức đạt", coerce=int,
                        choices=options((v, f"{v} – {label}") for v, label in vocab.PROFICIENCY))
    source = SelectField("Nguồn", choices=options((c, l) for c, l in vocab.ASSESSMENT_SOURCES
                                                  if c != "course"), default="supervisor")
    assessed_on = VnDateField("Ngày đánh giá", validators=[DataRequired("Chọn ngày đánh giá.")])


class RatingForm(FlaskForm):
    """A rating for a period (KH-7): the period's kind, its number (a quarter 1–4, a month
    1–12; none for a year) and year; the rating; the work results it rests on."""
    period = SelectField("Kỳ xếp loại", choices=options(vocab.RATING_PERIODS), default="year")
    period_no = IntegerField("Quý / tháng số", validators=[
        Optional(), NumberRange(1, 12, "Quý từ 1 đến 4, tháng từ 1 đến 12.")])
    year = IntegerField("Năm", validators=[DataRequired("Nhập năm."),
                                           NumberRange(2000, 2100, "Năm từ 2000 đến 2100.")])
    rating = SelectField("Xếp loại", choices=options(vocab.RATINGS), default="hoan_thanh")
    note = TextAreaField("Kết quả công việc", filters=[clean], validators=[
        Length(max=2000, message="Tối đa 2000 ký tự.")])

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if self.period.data != "year" and not self.period_no.data and not self.period_no.errors:
            self.period_no.errors = [*self.period_no.errors,
                                     "Nhập số quý (1–4) hoặc số tháng (1–12)."]
            return False  # Optional() stops the field's own checks on a blank number
        return ok


class OfficialFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form

    q = StringField("Tìm theo tên hoặc mã", filters=[clean])
    unit = SelectField("Đơn vị", coerce=int, default=0)
    position = SelectField("Vị trí việc làm", coerce=int, default=0)
    gap = SelectField("Thiếu năng lực", coerce=int, default=0)
    page = IntegerField(default=1, validators=[NumberRange(min=1)])
