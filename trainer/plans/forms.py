from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange
from wtforms.widgets import NumberInput

from courses import vocab
from trainer.core.forms_util import VnDateField, options
from trainer.plans.models import REVIEW_OUTCOMES, USE_AT_WORK_SCALE
from trainer.plans.operations import QUARTER_LABELS

LEVEL_CHOICES = [("", "— chọn mức —")] + [(str(level), f"{level} — {label}")
                                            for level, label in vocab.PROFICIENCY]


class ReviewForm(FlaskForm):
    """KH-6. The level fields (`level_<competency id>`) are added per course by `review_form`."""
    outcome = SelectField("Kết quả vận dụng", choices=options(REVIEW_OUTCOMES),
                          validators=[DataRequired("Chọn kết quả vận dụng.")])
    use_at_work = SelectField(
        "Mức vận dụng nội dung khóa học vào công việc",
        choices=options([("", "— chọn mức —")] + [(str(v), f"{v} — {label}")
                                                  for v, label in USE_AT_WORK_SCALE]),
        validators=[DataRequired("Chọn mức vận dụng vào công việc.")])
    reviewed_on = VnDateField("Ngày đánh giá", validators=[DataRequired("Chọn ngày đánh giá.")])
    note = TextAreaField("Nhận xét", validators=[Length(max=2000)])

    def levels(self) -> dict[int, int]:
        return {int(name.removeprefix("level_")): int(field.data)
                for name, field in self._fields.items() if name.startswith("level_")}

    def level_fields(self):
        return [f for name, f in self._fields.items() if name.startswith("level_")]


def review_form(taught, **kwargs) -> ReviewForm:
    """A review form with one level field per competency the course teaches."""
    class Form(ReviewForm):
        pass
    for t in taught:
        setattr(Form, f"level_{t.competency_id}", SelectField(
            f"Mức mới: {t.name} (khóa học hướng tới mức {t.level})", choices=options(LEVEL_CHOICES),
            validators=[DataRequired("Chọn mức mới.")]))
    return Form(**kwargs)


class DraftForm(FlaskForm):
    unit_id = SelectField("Đơn vị", coerce=int)
    year = IntegerField("Năm kế hoạch", widget=NumberInput(min=2000, max=2100), validators=[
        InputRequired("Nhập năm kế hoạch."), NumberRange(2000, 2100, "Năm không hợp lệ.")])


class QuarterForm(FlaskForm):
    quarter = SelectField("Quý", coerce=int, choices=options(list(QUARTER_LABELS.items())))


class NoteForm(FlaskForm):
    note = StringField("Ghi chú", validators=[Length(max=1000)])


class ReturnForm(FlaskForm):
    comment = TextAreaField("Ý kiến trả lại", validators=[
        DataRequired("Cần ghi ý kiến khi trả lại kế hoạch."), Length(max=2000)])
