"""Course and lecturer feedback (LC: "đội ngũ giảng viên… tài liệu"): after a completion the
learner rates the course on four 1–5 scales; averages are shown only from 5 answers up, so no
learner can be picked out (docs/feedback.md)."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trainer.core.extensions import db
from trainer.core.timeutil import utcnow
from trainer.plans.models import USE_AT_WORK_SCALE

# The questions, each answered 1 (poor) to 5 (very good).
QUESTIONS = (("fit", "Phù hợp với công việc"), ("lecturers", "Giảng viên"),
             ("materials", "Tài liệu"), ("use_at_work", "Vận dụng được vào công việc"))


class CourseFeedback(db.Model):
    """One learner's answer about one completed enrollment (one per enrollment)."""

    __tablename__ = "course_feedback"
    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(sa.ForeignKey("enrollments.id"), unique=True)
    fit: Mapped[int] = mapped_column(sa.SmallInteger)
    lecturers: Mapped[int] = mapped_column(sa.SmallInteger)
    materials: Mapped[int] = mapped_column(sa.SmallInteger)
    use_at_work: Mapped[int] = mapped_column(sa.SmallInteger)
    comment: Mapped[str] = mapped_column(sa.String(2000), default="")
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    enrollment = relationship("Enrollment")


# What each point means, question by question (the learner picks a sentence, not a bare number).
# "Use at work" is the KH-6 scale the supervisor answers too (trainer.plans), one scale.
GOOD_SCALE = ((1, "Rất kém"), (2, "Kém"), (3, "Trung bình"), (4, "Tốt"), (5, "Rất tốt"))
SCALES = {
    "fit": ((1, "Không phù hợp"), (2, "Ít phù hợp"), (3, "Tương đối phù hợp"), (4, "Phù hợp"),
            (5, "Rất phù hợp")),
    "lecturers": GOOD_SCALE,
    "materials": GOOD_SCALE,
    "use_at_work": USE_AT_WORK_SCALE,
}
# Averages, counts and comments of a group (a course, a class, a lecturer) are shown only from
# this many answers up, so that no learner's answer can be read off (the one threshold).
MIN_ANSWERS = 5
# A learner may change their answer for this many days after giving it; then it is final.
EDIT_DAYS = 30
COMMENT_MAX = 2000
