from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange
from wtforms.widgets import NumberInput

from courses import vocab
from trainer.core.forms_util import VnDateField, options
from trainer.core.text import clean
from trainer.mentoring.operations import (CONTENT_MAX, MAX_SESSION_MINUTES, MIN_SESSION_MINUTES,
                                          NOTE_MAX)

LEVELS = [(level, f"{level} — {label}") for level, label in vocab.PROFICIENCY]


def _code(label: str, message: str):
    return StringField(label, filters=[clean], render_kw={"autocomplete": "off"},
                       validators=[DataRequired(message), Length(max=32, message="Mã tối đa 32 "
                                                                                 "ký tự.")])


class PairForm(FlaskForm):
    """HR pairs a mentor with a mentee (officials by their code: a province has thousands)."""
    mentee_code = _code("Mã cán bộ được kèm cặp", "Nhập mã cán bộ được kèm cặp.")
    competency_id = SelectField("Năng lực", coerce=int,
                                validators=[DataRequired("Chọn năng lực.")])
    mentor_code = _code("Mã người kèm cặp", "Nhập mã người kèm cặp.")
    target_level = SelectField("Mức mục tiêu", coerce=int, default=3,
                               choices=options(LEVELS[1:]))
    start_date = VnDateField("Ngày bắt đầu", validators=[DataRequired("Nhập ngày bắt đầu.")])
    end_date = VnDateField("Ngày kết thúc", validators=[DataRequired("Nhập ngày kết thúc.")])


class SessionForm(FlaskForm):
    day = VnDateField("Ngày kèm cặp", validators=[DataRequired("Nhập ngày kèm cặp.")])
    minutes = IntegerField("Thời lượng (phút)", default=60,
                           widget=NumberInput(min=MIN_SESSION_MINUTES, max=MAX_SESSION_MINUTES),
                           validators=[InputRequired("Nhập thời lượng."), NumberRange(
                               MIN_SESSION_MINUTES, MAX_SESSION_MINUTES,
                               f"Thời lượng từ {MIN_SESSION_MINUTES} đến "
                               f"{MAX_SESSION_MINUTES} phút.")])
    content = TextAreaField("Nội dung đã kèm cặp", filters=[clean], validators=[
        DataRequired("Ghi nội dung đã kèm cặp."),
        Length(max=CONTENT_MAX, message=f"Tối đa {CONTENT_MAX} ký tự.")])


class CloseForm(FlaskForm):
    reached_level = SelectField("Mức đã đạt", coerce=int, choices=options(LEVELS))
    note = TextAreaField("Nhận xét", filters=[clean], validators=[
        Length(max=NOTE_MAX, message=f"Tối đa {NOTE_MAX} ký tự.")])


class CancelForm(FlaskForm):
    reason = TextAreaField("Lý do hủy", filters=[clean], validators=[
        DataRequired("Ghi lý do hủy."), Length(max=NOTE_MAX, message=f"Tối đa {NOTE_MAX} ký tự.")])
