from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trainer.core.extensions import db
from trainer.core.timeutil import utcnow

PLAN_STATUSES = (("draft", "Dự thảo"), ("submitted", "Đã gửi"), ("approved", "Đã phê duyệt"),
                 ("returned", "Trả lại để sửa"))


class TrainingPlan(db.Model):
    """A unit's annual training plan (HT-8, LC-9, TQ II.2: before 31/12 each year), drafted from
    its officials' learning paths, edited and submitted by its HR, approved or returned by the
    province."""

    __tablename__ = "training_plans"
    __table_args__ = (sa.UniqueConstraint("unit_id", "year"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), index=True)
    year: Mapped[int] = mapped_column(sa.SmallInteger)
    status: Mapped[str] = mapped_column(sa.String(12), default="draft")
    comment: Mapped[str] = mapped_column(sa.Text, default="")  # the province's, when returned
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    decided_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    decided_by: Mapped[str] = mapped_column(sa.String(120), default="")

    unit = relationship("Unit")
    items: Mapped[list[TrainingPlanItem]] = relationship(
        back_populates="plan", cascade="all, delete-orphan",
        order_by="(TrainingPlanItem.quarter, TrainingPlanItem.priority.desc())")


plan_item_officials = sa.Table(
    "plan_item_officials", db.metadata,
    sa.Column("item_id", sa.ForeignKey("training_plan_items.id"), primary_key=True),
    sa.Column("official_id", sa.ForeignKey("officials.id"), primary_key=True),
)


class TrainingPlanItem(db.Model):
    """One line of a plan: a course, the officials to send, the quarter, the estimated cost."""

    __tablename__ = "training_plan_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("training_plans.id"), index=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id"))
    quarter: Mapped[int] = mapped_column(sa.SmallInteger)  # 1..4
    priority: Mapped[float] = mapped_column(sa.Float, default=0.0)
    cost_estimate: Mapped[int] = mapped_column(default=0)  # VND
    note: Mapped[str] = mapped_column(sa.Text, default="")

    plan: Mapped[TrainingPlan] = relationship(back_populates="items")
    course = relationship("Course")
    officials = relationship("Official", secondary=plan_item_officials, order_by="Official.full_name")


REVIEW_OUTCOMES = (("applies", "Vận dụng tốt vào công việc"), ("partly", "Vận dụng một phần"),
                   ("no_change", "Năng lực không thay đổi"))
# KH-6: how much of a course the official uses at work, asked of the supervisor here and of the
# learner in their course feedback (trainer.feedback): one scale, 1 (nothing) to 5 (all of it).
USE_AT_WORK_SCALE = ((1, "Hầu như không vận dụng"), (2, "Vận dụng được ít"),
                     (3, "Vận dụng được khoảng một nửa"), (4, "Vận dụng được phần lớn"),
                     (5, "Vận dụng được gần như toàn bộ"))


class PostTrainingReview(db.Model):
    """KH-6: some months after a completion the supervisor records whether the official applies
    what was learned (the new levels are recorded as supervisor assessments). "No change" flags
    the official for HR (consider another placement)."""

    __tablename__ = "post_training_reviews"
    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(sa.ForeignKey("enrollments.id"), unique=True)
    outcome: Mapped[str] = mapped_column(sa.String(12))
    reviewer: Mapped[str] = mapped_column(sa.String(120))
    reviewed_on: Mapped[date] = mapped_column(sa.Date)
    note: Mapped[str] = mapped_column(sa.Text, default="")
    # KH-6: how much of the course the official uses at work, 1 (nothing) to 5 (all of it).
    use_at_work: Mapped[int | None] = mapped_column(sa.SmallInteger)

    enrollment = relationship("Enrollment")
