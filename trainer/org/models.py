from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trainer.extensions import db


class Unit(db.Model):
    """Administrative unit: province → commune / ward / special zone → department (KH-9 region)."""

    __tablename__ = "units"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(sa.String(20))  # vocab.UNIT_KINDS
    region: Mapped[str | None] = mapped_column(sa.String(20))  # vocab.REGIONS; None for a province
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"), index=True)

    parent: Mapped[Unit | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Unit]] = relationship(back_populates="parent")

    def __repr__(self) -> str:
        return f"<Unit {self.code}>"
