"""Training commissioned by a unit (đặt hàng đào tạo, KH-4)."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trainer.catalog.models import Course
from trainer.core.extensions import db
from trainer.core.timeutil import utcnow
from trainer.learning.models import Cohort

cohort_request_officials = sa.Table(
    "cohort_request_officials", db.metadata,
    sa.Column("request_id", sa.ForeignKey("cohort_requests.id"), primary_key=True),
    sa.Column("official_id", sa.ForeignKey("officials.id"), primary_key=True),
)

REQUEST_STATUSES = (("submitted", "Đã gửi"), ("accepted", "Đã nhận"), ("scheduled", "Đã xếp lớp"),
                    ("rejected", "Từ chối"))


class CohortRequest(db.Model):
    """A unit commissions training (đào tạo theo đặt hàng, KH-4): a course for a list of its
    officials; the school accepts, schedules a cohort and fills it."""

    __tablename__ = "cohort_requests"
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), index=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id"), index=True)
    requested_by: Mapped[str] = mapped_column(sa.String(120))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[str] = mapped_column(sa.String(12), default="submitted")
    response: Mapped[str] = mapped_column(sa.Text, default="")
    cohort_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cohorts.id"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    unit = relationship("Unit")
    course: Mapped[Course] = relationship()
    cohort: Mapped[Cohort | None] = relationship()
    officials = relationship("Official", secondary=cohort_request_officials)
