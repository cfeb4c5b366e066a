"""Changes of the feedback area: the learner's answer about a completed course, the invitation
sent on completion, and the names of a class's lecturers the answers are averaged by
(docs/feedback.md). Operations flush, never commit; the view or CLI owns the commit."""
from __future__ import annotations

import re
import unicodedata
from datetime import timedelta

import sqlalchemy as sa

from trainer.core import events
from trainer.core.display import fold, vnnum
from trainer.core.errors import DomainError, NotAllowed
from trainer.core.extensions import db
from trainer.core.timeutil import aware, utcnow
from trainer.feedback.models import COMMENT_MAX, EDIT_DAYS, QUESTIONS, SCALES, CourseFeedback
from trainer.learning.models import Cohort, CohortLecturer, Enrollment

LECTURER_NAME_MAX = 120  # the column's length
LECTURERS_PER_CLASS = 20


# --------------------------------------------------------------------------- the learner's answer


def feedback_of(enrollment: Enrollment) -> CourseFeedback | None:
    return db.session.scalar(sa.select(CourseFeedback).where(
        CourseFeedback.enrollment_id == enrollment.id))


def editable_until(feedback: CourseFeedback):
    """The last moment the learner may change their answer (EDIT_DAYS after giving it)."""
    return aware(feedback.created_at) + timedelta(days=EDIT_DAYS)


def check_may_answer(enrollment: Enrollment, official_id: int | None) -> None:
    """Only the learner themself, and only about a completed course."""
    if official_id is None or enrollment.official_id != official_id:
        raise NotAllowed("Chỉ học viên của khóa học mới nhận xét được khóa học đó.")
    if enrollment.status != "completed":
        raise DomainError("Chỉ nhận xét được khóa học đã hoàn thành.")


def give_feedback(enrollment: Enrollment, *, official_id: int | None, answers: dict[str, int],
                  comment: str = "") -> CourseFeedback:
    """The learner's answer: the four questions (QUESTIONS), each 1–5, and an optional comment.
    One answer per enrollment; the learner may change it for EDIT_DAYS, then it is final. No
    audit row names the learner beside their scores: the answer is anonymous to everyone who
    reads the averages (docs/feedback.md)."""
    check_may_answer(enrollment, official_id)
    values = {}
    for key, label in QUESTIONS:
        value = answers.get(key)
        if value not in dict(SCALES[key]):
            raise DomainError(f"Chọn mức từ 1 đến 5 cho “{label}”.")
        values[key] = int(value)
    comment = unicodedata.normalize("NFC", comment or "").strip()
    if len(comment) > COMMENT_MAX:
        raise DomainError(f"Ý kiến khác tối đa {vnnum(COMMENT_MAX)} ký tự.")
    feedback = feedback_of(enrollment)
    if feedback is None:
        feedback = CourseFeedback(enrollment_id=enrollment.id)
        db.session.add(feedback)
    elif utcnow() > editable_until(feedback):
        raise DomainError(f"Nhận xét đã gửi quá {EDIT_DAYS} ngày nên không sửa được nữa.")
    for key, value in values.items():
        setattr(feedback, key, value)
    feedback.comment = comment
    db.session.flush()
    return feedback


def feedback_link(enrollment_id: int) -> str:
    return f"/phan-hoi/nhan-xet/{enrollment_id}"


@events.enrollment_completed.connect
def _invite(_sender, *, enrollment: Enrollment) -> None:
    """On a completion the learner is invited to rate the course (once per enrollment)."""
    events.tell(enrollment.official, "feedback",
                f"Mời nhận xét khóa “{enrollment.course.name}”",
                "Ý kiến của bạn về mức phù hợp với công việc, giảng viên, tài liệu và khả năng "
                "vận dụng giúp nhà trường nâng cao chất lượng. Nhận xét được ẩn danh: chỉ hiện "
                "điểm trung bình khi có từ 5 ý kiến trở lên.",
                link=feedback_link(enrollment.id), dedupe_key=f"feedback:{enrollment.id}")


# --------------------------------------------------------------------------- a class's lecturers


def lecturer_name(raw: str) -> str:
    """A lecturer's name as stored: NFC, single spaces."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", raw or "")).strip()


def add_lecturer(cohort: Cohort, raw_name: str) -> CohortLecturer:
    """The school names a lecturer of its class. Answers about the class count towards each of
    its lecturers (a lecturer's average is over the classes they taught)."""
    name = lecturer_name(raw_name)
    if len(name) < 2:
        raise DomainError("Nhập họ tên giảng viên.")
    if len(name) > LECTURER_NAME_MAX:
        raise DomainError(f"Họ tên giảng viên tối đa {LECTURER_NAME_MAX} ký tự.")
    if cohort.status == "cancelled":
        raise DomainError(f"Lớp {cohort.code} đã hủy.")
    if any(fold(lecturer.name) == fold(name) for lecturer in cohort.lecturers):
        raise DomainError(f"{name} đã có trong danh sách giảng viên của lớp {cohort.code}.")
    if len(cohort.lecturers) >= LECTURERS_PER_CLASS:
        raise DomainError(f"Một lớp có tối đa {LECTURERS_PER_CLASS} giảng viên.")
    lecturer = CohortLecturer(cohort_id=cohort.id, name=name)
    cohort.lecturers.append(lecturer)
    db.session.flush()
    return lecturer


def remove_lecturer(cohort: Cohort, raw_name: str) -> str:
    name = lecturer_name(raw_name)
    lecturer = next((x for x in cohort.lecturers if x.name == name), None)
    if lecturer is None:
        raise DomainError(f"Lớp {cohort.code} không có giảng viên “{name[:LECTURER_NAME_MAX]}”.")
    cohort.lecturers.remove(lecturer)
    db.session.flush()
    return name
