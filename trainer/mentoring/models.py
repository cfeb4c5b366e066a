"""On-site mentoring (kèm cặp tại chỗ, KH-5): HR pairs a mentor with a mentee for a competency and
a period, the mentor logs the sessions, and the supervisor's confirmation closes it with evidence
of source "mentoring" (docs/mentoring.md)."""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trainer.core.extensions import db
from trainer.core.timeutil import utcnow

MENTORSHIP_STATUSES = (("active", "Đang kèm cặp"), ("closed", "Đã kết thúc"),
                       ("cancelled", "Đã hủy"))


class Mentorship(db.Model):
    __tablename__ = "mentorships"
    id: Mapped[int] = mapped_column(primary_key=True)
    mentor_id: Mapped[int] = mapped_column(sa.ForeignKey("officials.id"), index=True)
    mentee_id: Mapped[int] = mapped_column(sa.ForeignKey("officials.id"), index=True)
    competency_id: Mapped[int] = mapped_column(sa.ForeignKey("competencies.id"))
    start_date: Mapped[date] = mapped_column(sa.Date)
    end_date: Mapped[date] = mapped_column(sa.Date)
    target_level: Mapped[int] = mapped_column(sa.SmallInteger)
    status: Mapped[str] = mapped_column(sa.String(10), default="active")
    created_by: Mapped[str] = mapped_column(sa.String(120), default="")
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    closed_on: Mapped[date | None] = mapped_column(sa.Date)
    reached_level: Mapped[int | None] = mapped_column(sa.SmallInteger)  # confirmed on closing
    confirmed_by: Mapped[str] = mapped_column(sa.String(120), default="")
    note: Mapped[str] = mapped_column(sa.String(1000), default="")

    mentor = relationship("Official", foreign_keys=[mentor_id])
    mentee = relationship("Official", foreign_keys=[mentee_id])
    competency = relationship("Competency")
    sessions: Mapped[list[MentoringSession]] = relationship(
        back_populates="mentorship", cascade="all, delete-orphan",
        order_by="MentoringSession.day")


class MentoringSession(db.Model):
    """One session the mentor logs: when, how long, what was worked on."""

    __tablename__ = "mentoring_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    mentorship_id: Mapped[int] = mapped_column(sa.ForeignKey("mentorships.id"), index=True)
    day: Mapped[date] = mapped_column(sa.Date)
    minutes: Mapped[int] = mapped_column(sa.SmallInteger)
    content: Mapped[str] = mapped_column(sa.String(1000))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    mentorship: Mapped[Mentorship] = relationship(back_populates="sessions")
