from __future__ import annotations

from datetime import date, datetime, time

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trainer.extensions import db
from trainer.framework.models import Competency
from trainer.timeutil import utcnow


class Provider(db.Model):
    """Training provider: academy, provincial political school, college, PTIT, online platform."""

    __tablename__ = "providers"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(sa.String(20))  # vocab.PROVIDER_KINDS


class Course(db.Model):
    __tablename__ = "courses"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    provider_id: Mapped[int] = mapped_column(sa.ForeignKey("providers.id"), index=True)
    category: Mapped[str] = mapped_column(sa.String(24))  # vocab.COURSE_CATEGORIES
    mode: Mapped[str] = mapped_column(sa.String(12))  # vocab.MODES
    hours: Mapped[int] = mapped_column()
    pass_mark: Mapped[float] = mapped_column(sa.Float, default=5.0)  # on 0–10
    qualification_kind: Mapped[str | None] = mapped_column(sa.String(20))
    qualification_level: Mapped[str | None] = mapped_column(sa.String(24))
    validity_months: Mapped[int | None] = mapped_column()
    requires_approval: Mapped[bool] = mapped_column(default=False)
    cost: Mapped[int] = mapped_column(default=0)  # VND per learner
    description: Mapped[str] = mapped_column(sa.Text, default="")

    provider: Mapped[Provider] = relationship()
    teaches: Mapped[list[CourseCompetency]] = relationship(cascade="all, delete-orphan")
    prerequisites: Mapped[list[Course]] = relationship(
        secondary="course_prerequisites",
        primaryjoin="Course.id == course_prerequisites.c.course_id",
        secondaryjoin="Course.id == course_prerequisites.c.requires_id")


course_prerequisites = sa.Table(
    "course_prerequisites", db.metadata,
    sa.Column("course_id", sa.ForeignKey("courses.id"), primary_key=True),
    sa.Column("requires_id", sa.ForeignKey("courses.id"), primary_key=True),
)


class CourseCompetency(db.Model):
    """A competency a course teaches, and the level an official reaches on completing it."""

    __tablename__ = "course_competencies"
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id"), primary_key=True)
    competency_id: Mapped[int] = mapped_column(sa.ForeignKey("competencies.id"), primary_key=True)
    level: Mapped[int] = mapped_column(sa.SmallInteger)

    competency: Mapped[Competency] = relationship()


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
    sessions: Mapped[list[CohortSession]] = relationship(
        back_populates="cohort", order_by="(CohortSession.day, CohortSession.start_time)",
        cascade="all, delete-orphan")
    commissioned_by = relationship("Unit")


class CohortSession(db.Model):
    """One class meeting (buổi học): date, time, place or online link."""

    __tablename__ = "cohort_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(sa.ForeignKey("cohorts.id"), index=True)
    day: Mapped[date] = mapped_column(sa.Date)
    start_time: Mapped[time] = mapped_column(sa.Time)
    end_time: Mapped[time] = mapped_column(sa.Time)
    place: Mapped[str] = mapped_column(sa.String(200), default="")
    online_link: Mapped[str] = mapped_column(sa.String(300), default="")

    cohort: Mapped[Cohort] = relationship(back_populates="sessions")


class Attendance(db.Model):
    """Whether an enrollee attended a session. No row = not yet taken."""

    __tablename__ = "attendances"
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("cohort_sessions.id"), primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(sa.ForeignKey("enrollments.id"), primary_key=True)
    present: Mapped[bool] = mapped_column(default=True)


class CourseModule(db.Model):
    """A module (học phần) of a multi-year degree programme, in a term (LC-T1, LC-T2)."""

    __tablename__ = "course_modules"
    __table_args__ = (sa.UniqueConstraint("course_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id"), index=True)
    code: Mapped[str] = mapped_column(sa.String(32))
    name: Mapped[str] = mapped_column(sa.String(200))
    term: Mapped[int] = mapped_column(sa.SmallInteger)
    hours: Mapped[int] = mapped_column(default=0)


class ModuleResult(db.Model):
    """An enrollee's result in one module; the degree is granted when every module is passed."""

    __tablename__ = "module_results"
    enrollment_id: Mapped[int] = mapped_column(sa.ForeignKey("enrollments.id"), primary_key=True)
    module_id: Mapped[int] = mapped_column(sa.ForeignKey("course_modules.id"), primary_key=True)
    score: Mapped[float] = mapped_column(sa.Float)
    passed: Mapped[bool] = mapped_column()
    recorded_on: Mapped[date] = mapped_column(sa.Date)

    module: Mapped[CourseModule] = relationship()


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
