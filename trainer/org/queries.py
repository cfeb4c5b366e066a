"""The unit tree as a small table (a province has at most a few hundred units)."""
from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from trainer.extensions import db
from trainer.org.models import Unit

COMMUNE_KINDS = ("commune", "ward", "special_zone")


def unit_table() -> pd.DataFrame:
    """One row per unit with the commune it belongs to (itself, or its nearest commune ancestor)
    and its region (its own, or inherited from an ancestor: a department has its commune's)."""
    rows = db.session.execute(sa.select(Unit.id, Unit.code, Unit.name, Unit.kind, Unit.parent_id,
                                        Unit.region)).all()
    by_id = {r.id: r for r in rows}

    def walk(uid):
        commune = region = None
        for _ in range(10):  # the tree is shallow: province → commune → department
            if uid is None:
                break
            r = by_id[uid]
            region = region or r.region
            if commune is None and r.kind in COMMUNE_KINDS:
                commune = r.id
            uid = r.parent_id
        return commune, region

    data = []
    for r in rows:
        commune, region = walk(r.id)
        data.append((r.id, r.code, r.name, r.kind, r.parent_id, region,
                     commune if commune is not None else r.id))
    table = pd.DataFrame(data, columns=["unit_id", "unit_code", "unit_name", "kind", "parent_id",
                                        "region", "commune_id"])
    names = dict(zip(table["unit_id"], table["unit_name"]))
    table["commune_name"] = table["commune_id"].map(names)
    return table
