from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trainer.catalog.models import Competency, Position
from trainer.core.extensions import db
from trainer.core.timeutil import utcnow
from trainer.org.models import Unit


class Official(db.Model):
    """A commune-level cadre or civil servant (cán bộ, công chức). Qualification columns hold the
    recorded level; what courses granted since is added on read (learning.queries)."""

    __tablename__ = "officials"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    pid: Mapped[str] = mapped_column(sa.String(12), unique=True)  # số định danh cá nhân
    full_name: Mapped[str] = mapped_column(sa.String(120))
    birth_date: Mapped[date] = mapped_column(sa.Date)
    gender: Mapped[str] = mapped_column(sa.String(8))  # vocab.GENDERS
    ethnicity: Mapped[str] = mapped_column(sa.String(40), default="Kinh")
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), index=True)
    position_id: Mapped[int | None] = mapped_column(sa.ForeignKey("positions.id"), index=True)
    email: Mapped[str | None] = mapped_column(sa.String(120))
    education: Mapped[str] = mapped_column(sa.String(20), default="none")
    education_field: Mapped[str] = mapped_column(sa.String(120), default="")
    political_theory: Mapped[str] = mapped_column(sa.String(20), default="none")
    state_management: Mapped[str] = mapped_column(sa.String(24), default="none")
    it_level: Mapped[str] = mapped_column(sa.String(20), default="none")
    digital_signature: Mapped[bool] = mapped_column(default=False)  # HT-6
    record_digitised: Mapped[bool] = mapped_column(default=False)  # HT-3, DL-e
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow,
                                                 onupdate=utcnow)

    unit: Mapped[Unit] = relationship()
    position: Mapped[Position | None] = relationship()
    ratings: Mapped[list[Rating]] = relationship(back_populates="official",
                                                 order_by="(Rating.year.desc(), Rating.period, Rating.period_no.desc())")


class Rating(db.Model):
    """A rating (Decree 335/2025; KH-7, TQ III.2): one per official and period. A period is a
    year (`period` "year", `period_no` 0), a quarter (1–4) or a month (1–12) of `year`
    (vocab.RATING_PERIODS)."""

    __tablename__ = "ratings"
    __table_args__ = (sa.UniqueConstraint("official_id", "year", "period", "period_no",
                                          name="uq_ratings_official_period"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    official_id: Mapped[int] = mapped_column(sa.ForeignKey("officials.id"), index=True)
    year: Mapped[int] = mapped_column(sa.SmallInteger)
    period: Mapped[str] = mapped_column(sa.String(8), default="year", server_default="year")
    period_no: Mapped[int] = mapped_column(sa.SmallInteger, default=0, server_default="0")
    rating: Mapped[str] = mapped_column(sa.String(20))  # vocab.RATINGS
    # Work results the rating rests on (KH-7: "gắn với sản phẩm công việc"), optional.
    note: Mapped[str] = mapped_column(sa.Text, default="", server_default="")

    official: Mapped[Official] = relationship(back_populates="ratings")


class Assessment(db.Model):
    """One piece of evidence of an official's level on a competency. The current level is derived
    from all of them (recommender.current_levels), never stored."""

    __tablename__ = "assessments"
    id: Mapped[int] = mapped_column(primary_key=True)
    official_id: Mapped[int] = mapped_column(sa.ForeignKey("officials.id"), index=True)
    competency_id: Mapped[int] = mapped_column(sa.ForeignKey("competencies.id"), index=True)
    level: Mapped[int] = mapped_column(sa.SmallInteger)
    source: Mapped[str] = mapped_column(sa.String(12))  # vocab.ASSESSMENT_SOURCES
    assessed_on: Mapped[date] = mapped_column(sa.Date)
    assessor: Mapped[str] = mapped_column(sa.String(120), default="")
    enrollment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("enrollments.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    official: Mapped[Official] = relationship()
    competency: Mapped[Competency] = relationship()


class UnitLeader(db.Model):
    """Who leads a unit (the commune's chairman, a department's head): the supervisor who confirms
    the unit's officials' review levels and mentorships (people.operations.supervisor_of).
    Set by HR on the unit's page; none set, the leader of the unit above is asked."""

    __tablename__ = "unit_leaders"
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), primary_key=True)
    official_id: Mapped[int] = mapped_column(sa.ForeignKey("officials.id"), index=True)

    official: Mapped[Official] = relationship()
