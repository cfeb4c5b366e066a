from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from trainer.core.extensions import db
from trainer.core.timeutil import utcnow


class Target(db.Model):
    """A quantified target (REQUIREMENTS.md): who is counted (population), what makes them count
    (criterion), the share required and the deadline. Presets carry the document's source ID;
    province HR may add and edit targets. Progress is never stored: it is computed each time.

    `population` and `criterion` are small JSON documents, described in docs/targets.md."""

    __tablename__ = "targets"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    source: Mapped[str] = mapped_column(sa.String(60), default="")  # e.g. "DL-c", "LC-5b"
    note: Mapped[str] = mapped_column(sa.Text, default="")
    population: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    criterion: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    threshold: Mapped[float] = mapped_column(sa.Float)  # percent of the population (of units, HT-7)
    deadline: Mapped[date] = mapped_column(sa.Date)
    preset: Mapped[bool] = mapped_column(default=False)
    created_by: Mapped[str] = mapped_column(sa.String(120), default="")
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow,
                                                 onupdate=utcnow)
