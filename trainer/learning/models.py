"""Classes and who is in them: a cohort (lớp) of a course and the enrollments (ghi danh) with
their statuses, seats and results (docs/architecture.md: learning)."""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trainer.catalog.models import Course
from trainer.core.extensions import db
from trainer.core.timeutil import utcnow

COHORT_STATUSES = (("open", "Đang tuyển"), ("running", "Đang học"), ("finished", "Đã kết thúc"),
                   ("cancelled", "Đã hủy"))


class Cohort(db.Model):
    """A class (lớp) of a course run by its provider: dates, capacity, place, mode."""

    __tablename__ = "cohorts"
    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id"), index=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    start_date: Mapped[date] = mapped_column(sa.Date)
    end_date: Mapped[date] = mapped_column(sa.Date)
    capacity: Mapped[int] = mapped_column()
    location: Mapped[str] = mapped_column(sa.String(200), default="")
    mode: Mapped[str] = mapped_column(sa.String(12))
    status: Mapped[str] = mapped_column(sa.String(12), default="open")
    enrollment_deadline: Mapped[date | None] = mapped_column(sa.Date)  # last day to enroll
    commissioned_by_unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"))  # KH-4
    cancelled_reason: Mapped[str] = mapped_column(sa.String(300), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    course: Mapped[Course] = relationship()
    enrollments: Mapped[list[Enrollment]] = relationship(back_populates="cohort")
    sessions: Mapped[list["CohortSession"]] = relationship(  # noqa: F821 (trainer.cohorts)
        back_populates="cohort", order_by="(CohortSession.day, CohortSession.start_time)",
        cascade="all, delete-orphan")
    commissioned_by = relationship("Unit")
    lecturers: Mapped[list[CohortLecturer]] = relationship(cascade="all, delete-orphan",
                                                           order_by="CohortLecturer.name")


class CohortLecturer(db.Model):
    """A lecturer (giảng viên) of a class, as the school names them: feedback is averaged by
    lecturer across their classes (trainer.feedback)."""

    __tablename__ = "cohort_lecturers"
    cohort_id: Mapped[int] = mapped_column(sa.ForeignKey("cohorts.id"), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), primary_key=True)


ENROLLMENT_STATUSES = (
    ("requested", "Đã đăng ký, chờ duyệt"), ("approved", "Đã duyệt"), ("enrolled", "Đã ghi danh"),
    ("waitlisted", "Danh sách chờ"), ("in_progress", "Đang học"), ("completed", "Hoàn thành"),
    ("failed", "Không đạt"), ("withdrawn", "Đã rút"), ("no_show", "Không tham gia"),
    ("rejected", "Không được duyệt"), ("cancelled", "Lớp bị hủy"),
)
# Statuses that hold a seat in a cohort.
SEAT_STATUSES = ("enrolled", "in_progress")
# Statuses of an enrollment still under way: the official may not start the same course again.
ACTIVE_STATUSES = ("requested", "approved", "enrolled", "waitlisted", "in_progress")
_ACTIVE_SQL = "status IN (" + ", ".join(f"'{s}'" for s in ACTIVE_STATUSES) + ")"


class Enrollment(db.Model):
    """An official in a cohort, or in a self-paced (online) course without a cohort."""

    __tablename__ = "enrollments"
    # The database's own guard of "one course at a time": at most one enrollment per official
    # and course that is still under way (the operations check it first, under a lock).
    __table_args__ = (sa.Index(
        "uq_enrollments_one_active_per_course", "official_id", "course_id", unique=True,
        sqlite_where=sa.text(_ACTIVE_SQL), postgresql_where=sa.text(_ACTIVE_SQL)),)
    id: Mapped[int] = mapped_column(primary_key=True)
    official_id: Mapped[int] = mapped_column(sa.ForeignKey("officials.id"), index=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id"), index=True)
    cohort_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cohorts.id"), index=True)
    status: Mapped[str] = mapped_column(sa.String(12), default="enrolled")
    score: Mapped[float | None] = mapped_column(sa.Float)
    completed_on: Mapped[date | None] = mapped_column(sa.Date)
    source: Mapped[str] = mapped_column(sa.String(12), default="school")  # school / import / xapi
    decided_by: Mapped[str] = mapped_column(sa.String(120), default="", server_default="")  # approver
    certificate_no: Mapped[str | None] = mapped_column(sa.String(40), unique=True)
    certificate_code: Mapped[str | None] = mapped_column(sa.String(40), unique=True)  # verification
    certificate_issued_on: Mapped[date | None] = mapped_column(sa.Date)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow,
                                                 onupdate=utcnow)

    official: Mapped["Official"] = relationship()  # noqa: F821
    course: Mapped[Course] = relationship()
    cohort: Mapped[Cohort | None] = relationship(back_populates="enrollments")
