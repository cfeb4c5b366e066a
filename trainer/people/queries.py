"""Reads of the officials' table that other areas share."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from trainer.core.extensions import db
from trainer.org.queries import merges_after
from trainer.people.models import Official


def official_units_on(on: date) -> dict[int, int]:
    """Officials that merges after `on` moved, and the unit each was in on `on` (undoing the
    newest merge first, so an official moved twice ends in the first unit)."""
    back: dict[int, int] = {}
    for m in merges_after(on):
        for official_id in m.official_ids or []:
            back[int(official_id)] = m.from_unit_id
    return back


def official_counts() -> dict[int, int]:
    """Officials per unit (placed in the unit itself), in one grouped query."""
    return dict(db.session.execute(sa.select(Official.unit_id, sa.func.count())
                                   .group_by(Official.unit_id)).all())
