"""Degree programmes' module results (học phần, LC-T1, LC-T2)."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trainer.catalog.models import CourseModule
from trainer.core.extensions import db


class ModuleResult(db.Model):
    """An enrollee's result in one module; the degree is granted when every module is passed."""

    __tablename__ = "module_results"
    enrollment_id: Mapped[int] = mapped_column(sa.ForeignKey("enrollments.id"), primary_key=True)
    module_id: Mapped[int] = mapped_column(sa.ForeignKey("course_modules.id"), primary_key=True)
    score: Mapped[float] = mapped_column(sa.Float)
    passed: Mapped[bool] = mapped_column()
    recorded_on: Mapped[date] = mapped_column(sa.Date)

    module: Mapped[CourseModule] = relationship()
