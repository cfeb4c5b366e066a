from __future__ import annotations

from datetime import date, datetime, time

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trainer.core.extensions import db
from trainer.core.timeutil import utcnow
from trainer.learning.models import Cohort, Enrollment


class CertificateConfirmation(db.Model):
    """A confirmation of completion (giấy xác nhận hoàn thành khóa học) issued by the school in
    place of a lost certificate: a certificate is issued once (Circular 01/2018/TT-BNV, DOMAIN.md).
    Numbered PROVIDER-XN-YEAR-NNNN, verifiable at /xac-minh/<code> like the certificate."""

    __tablename__ = "certificate_confirmations"
    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(sa.ForeignKey("enrollments.id"), index=True)
    number: Mapped[str] = mapped_column(sa.String(40), unique=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)  # verification
    issued_on: Mapped[date] = mapped_column(sa.Date)
    reason: Mapped[str] = mapped_column(sa.String(300))
    issued_by: Mapped[str] = mapped_column(sa.String(120), default="")
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    enrollment: Mapped[Enrollment] = relationship()


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
