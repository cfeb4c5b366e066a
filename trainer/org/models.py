from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trainer.core.extensions import db
from trainer.core.timeutil import utcnow


class Unit(db.Model):
    """Administrative unit: province → commune / ward / special zone → department (KH-9 region).
    A unit merged into another (sáp nhập) is closed, never deleted: `closed_on` and
    `merged_into_id` say when and into which; its history stays readable (docs/units.md)."""

    __tablename__ = "units"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(sa.String(20))  # vocab.UNIT_KINDS
    region: Mapped[str | None] = mapped_column(sa.String(20))  # vocab.REGIONS; None for a province
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"), index=True)
    closed_on: Mapped[date | None] = mapped_column(sa.Date)
    merged_into_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"))
    # The largest share (%) of a unit's officials in class at once, for the unit and the units
    # below it that set none (learning.operations.away_warning); None: no limit here.
    max_away_percent: Mapped[int | None] = mapped_column(sa.Integer)

    parent: Mapped[Unit | None] = relationship(remote_side=[id], back_populates="children",
                                               foreign_keys=[parent_id])
    children: Mapped[list[Unit]] = relationship(back_populates="parent",
                                                foreign_keys=[parent_id])
    merged_into: Mapped[Unit | None] = relationship(remote_side=[id],
                                                    foreign_keys=[merged_into_id])

    @property
    def is_open(self) -> bool:
        return self.closed_on is None

    def __repr__(self) -> str:
        return f"<Unit {self.code}>"


class UnitMerge(db.Model):
    """A merge (sáp nhập) of one unit into another, with what it moved: the officials placed in
    the unit itself and the units directly under it. Reports as of a date before `merged_on`
    put them back where they were (org.queries)."""

    __tablename__ = "unit_merges"
    id: Mapped[int] = mapped_column(primary_key=True)
    from_unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), index=True)
    into_unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), index=True)
    merged_on: Mapped[date] = mapped_column(sa.Date)
    decision_no: Mapped[str] = mapped_column(sa.String(80))  # số quyết định
    official_ids: Mapped[list] = mapped_column(sa.JSON, default=list)
    child_unit_ids: Mapped[list] = mapped_column(sa.JSON, default=list)
    recorded_by: Mapped[str] = mapped_column(sa.String(120), default="")
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    from_unit: Mapped[Unit] = relationship(foreign_keys=[from_unit_id])
    into_unit: Mapped[Unit] = relationship(foreign_keys=[into_unit_id])
