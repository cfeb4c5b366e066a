"""The catalogs (danh mục) every other area reads: the competency framework (competencies, job
positions with the levels each requires, region priorities) and what can be learned where
(training providers, their courses with the levels each brings, prerequisites, the modules of
degree programmes)."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trainer.core.extensions import db


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
    fields: Mapped[list[PositionField]] = relationship(cascade="all, delete-orphan",
                                                       order_by="PositionField.field")


class PositionRequirement(db.Model):
    __tablename__ = "position_requirements"
    position_id: Mapped[int] = mapped_column(sa.ForeignKey("positions.id"), primary_key=True)
    competency_id: Mapped[int] = mapped_column(sa.ForeignKey("competencies.id"), primary_key=True)
    level: Mapped[int] = mapped_column(sa.SmallInteger)

    position: Mapped[Position] = relationship(back_populates="requirements")
    competency: Mapped[Competency] = relationship()


class PositionField(db.Model):
    """A field of study (chuyên ngành) the position accepts (LC-1b); a position with none accepts
    any. Whether an official's field fits: courses.fields.field_fits."""

    __tablename__ = "position_fields"
    position_id: Mapped[int] = mapped_column(sa.ForeignKey("positions.id"), primary_key=True)
    field: Mapped[str] = mapped_column(sa.String(120), primary_key=True)


class RegionPriority(db.Model):
    """KH-9: a region raises the weight (and possibly the required level) of some competencies,
    and may require a competency of every position in it (`min_level`: island communes, sea
    sovereignty and defence)."""

    __tablename__ = "region_priorities"
    region: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    competency_id: Mapped[int] = mapped_column(sa.ForeignKey("competencies.id"), primary_key=True)
    level_bump: Mapped[int] = mapped_column(sa.SmallInteger, default=0)
    weight: Mapped[float] = mapped_column(sa.Float, default=0.0)
    min_level: Mapped[int] = mapped_column(sa.SmallInteger, default=0, server_default="0")


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
