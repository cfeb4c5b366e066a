from flask_wtf import FlaskForm
from wtforms import RadioField, TextAreaField
from wtforms.validators import InputRequired, Length

from trainer.core.forms_util import options
from trainer.feedback.models import COMMENT_MAX, QUESTIONS, SCALES

# The question as the learner reads it (QUESTIONS holds the short headings of the tables).
ASKED = {
    "fit": "Nội dung khóa học phù hợp với công việc của bạn đến mức nào?",
    "lecturers": "Bạn đánh giá giảng viên của khóa học thế nào?",
    "materials": "Bạn đánh giá tài liệu của khóa học thế nào?",
    "use_at_work": "Bạn vận dụng được bao nhiêu nội dung khóa học vào công việc?",
}


def _scale_field(key: str, heading: str) -> RadioField:
    return RadioField(ASKED[key], coerce=int,
                      choices=options([(value, f"{value} — {label}")
                                       for value, label in SCALES[key]]),
                      validators=[InputRequired(f"Chọn một mức cho “{heading}”.")])


class FeedbackForm(FlaskForm):
    fit = _scale_field("fit", dict(QUESTIONS)["fit"])
    lecturers = _scale_field("lecturers", dict(QUESTIONS)["lecturers"])
    materials = _scale_field("materials", dict(QUESTIONS)["materials"])
    use_at_work = _scale_field("use_at_work", dict(QUESTIONS)["use_at_work"])
    comment = TextAreaField("Ý kiến khác (không bắt buộc)", validators=[
        Length(max=COMMENT_MAX, message=f"Ý kiến khác tối đa {COMMENT_MAX} ký tự.")])

    def answers(self) -> dict[str, int]:
        return {key: self[key].data for key, _ in QUESTIONS}

    def scale_fields(self):
        return [self[key] for key, _ in QUESTIONS]
