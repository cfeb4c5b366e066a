from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, NumberRange

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


class OfficialFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form

    q = StringField("Tìm theo tên hoặc mã", filters=[clean])
    unit = SelectField("Đơn vị", coerce=int, default=0)
    position = SelectField("Vị trí việc làm", coerce=int, default=0)
    gap = SelectField("Thiếu năng lực", coerce=int, default=0)
    page = IntegerField(default=1, validators=[NumberRange(min=1)])
