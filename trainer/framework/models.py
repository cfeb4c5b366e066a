from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trainer.extensions import db


class Competency(db.Model):
    """A competency of the framework (KH-1 group, domain), measured on the 0–4 scale."""

    __tablename__ = "competencies"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    group: Mapped[str] = mapped_column(sa.String(20))  # vocab.COMPETENCY_GROUPS
    domain: Mapped[str] = mapped_column(sa.String(60))
    description: Mapped[str] = mapped_column(sa.Text, default="")


class Position(db.Model):
    """Job position (vị trí việc làm) with its competency framework and qualification standards."""

    __tablename__ = "positions"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    group: Mapped[str] = mapped_column(sa.String(20))  # vocab.POSITION_GROUPS
    min_education: Mapped[str] = mapped_column(sa.String(20), default="none")
    min_political_theory: Mapped[str] = mapped_column(sa.String(20), default="none")
    min_state_management: Mapped[str] = mapped_column(sa.String(24), default="none")
    min_it: Mapped[str] = mapped_column(sa.String(20), default="none")

    requirements: Mapped[list[PositionRequirement]] = relationship(
        back_populates="position", cascade="all, delete-orphan")


class PositionRequirement(db.Model):
    __tablename__ = "position_requirements"
    position_id: Mapped[int] = mapped_column(sa.ForeignKey("positions.id"), primary_key=True)
    competency_id: Mapped[int] = mapped_column(sa.ForeignKey("competencies.id"), primary_key=True)
    level: Mapped[int] = mapped_column(sa.SmallInteger)

    position: Mapped[Position] = relationship(back_populates="requirements")
    competency: Mapped[Competency] = relationship()


class RegionPriority(db.Model):
    """KH-9: a region raises the weight (and possibly the required level) of some competencies."""

    __tablename__ = "region_priorities"
    region: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    competency_id: Mapped[int] = mapped_column(sa.ForeignKey("competencies.id"), primary_key=True)
    level_bump: Mapped[int] = mapped_column(sa.SmallInteger, default=0)
    weight: Mapped[float] = mapped_column(sa.Float, default=0.0)
