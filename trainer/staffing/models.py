"""Staffing (LC (1), DL-l "bố trí đủ cán bộ theo vị trí việc làm"): the headcount approved per
unit and position, and the fields of study each position accepts (LC-1b: whose expertise does not
fit the position). Filled posts and vacancies are computed, never stored (docs/staffing.md)."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trainer.core.extensions import db


class PositionQuota(db.Model):
    """The approved headcount (biên chế được giao) of a position in a unit."""

    __tablename__ = "position_quotas"
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), primary_key=True)
    position_id: Mapped[int] = mapped_column(sa.ForeignKey("positions.id"), primary_key=True)
    approved: Mapped[int] = mapped_column(sa.SmallInteger)

    unit = relationship("Unit")
    position = relationship("Position")
