"""The unit tree as a small table (a province has at most a few hundred units), today or as it
stood on a past date: merges recorded after that date are undone (docs/units.md)."""
from __future__ import annotations

from datetime import date

import pandas as pd
import sqlalchemy as sa

from trainer.core.cache import cached, structure_version
from trainer.core.extensions import db
from trainer.org.models import Unit, UnitMerge

COMMUNE_KINDS = ("commune", "ward", "special_zone")


def merges_after(on: date) -> list:
    """Merges dated after `on`, newest first: the order in which to undo them."""
    return db.session.execute(sa.select(UnitMerge.from_unit_id, UnitMerge.official_ids,
                                        UnitMerge.child_unit_ids)
                              .where(UnitMerge.merged_on > on)
                              .order_by(UnitMerge.merged_on.desc(), UnitMerge.id.desc())).all()


def unit_table(on: date | None = None) -> pd.DataFrame:
    """One row per unit with the commune it belongs to (itself, or its nearest commune ancestor),
    its region (its own, or inherited from an ancestor: a department has its commune's) and
    whether it is open. With `on`, the tree as it stood that day: every merge dated after `on`
    is undone (the units it moved are back under the merged unit, which is open again). Kept
    on the structure version (core.cache: no official's write changes it); a copy each time."""
    return cached("unit-table", on, lambda: _unit_table(on), version=structure_version()).copy()


def _unit_table(on: date | None) -> pd.DataFrame:
    rows = db.session.execute(sa.select(Unit.id, Unit.code, Unit.name, Unit.kind, Unit.parent_id,
                                        Unit.region, Unit.closed_on)).all()
    by_id = {r.id: r for r in rows}
    parent = {r.id: r.parent_id for r in rows}
    is_open = {r.id: r.closed_on is None or (on is not None and r.closed_on > on) for r in rows}
    if on is not None:
        for m in merges_after(on):
            is_open[m.from_unit_id] = True
            for child in m.child_unit_ids or []:
                parent[int(child)] = m.from_unit_id

    def walk(uid):
        commune = region = None
        for _ in range(10):  # the tree is shallow: province → commune → department
            if uid is None:
                break
            r = by_id[uid]
            region = region or r.region
            if commune is None and r.kind in COMMUNE_KINDS:
                commune = r.id
            uid = parent[uid]
        return commune, region

    data = []
    for r in rows:
        commune, region = walk(r.id)
        data.append((r.id, r.code, r.name, r.kind, parent[r.id], region,
                     commune if commune is not None else r.id, is_open[r.id]))
    table = pd.DataFrame(data, columns=["unit_id", "unit_code", "unit_name", "kind", "parent_id",
                                        "region", "commune_id", "is_open"])
    table["is_open"] = table["is_open"].astype(bool)
    names = dict(zip(table["unit_id"], table["unit_name"]))
    table["commune_name"] = table["commune_id"].map(names)
    return table


def regions_of(unit_ids) -> dict[int, str | None]:
    """The region of each of these units as `unit_table` has it today (its own, or its nearest
    ancestor's), read by climbing the tree from these units alone: a query per level (the tree
    is shallow), whatever the province's number of units — for one official's page."""
    wanted = {int(u) for u in unit_ids}
    rows: dict[int, tuple] = {}
    todo = set(wanted)
    for _ in range(10):  # as unit_table's walk: province → commune → department
        if not todo:
            break
        found = db.session.execute(sa.select(Unit.id, Unit.parent_id, Unit.region)
                                   .where(Unit.id.in_(sorted(todo)))).all()
        rows.update({r.id: (r.parent_id, r.region) for r in found})
        todo = {r.parent_id for r in found  # climb only where no region is known yet
                if r.parent_id is not None and not r.region} - rows.keys()
    out = {}
    for uid in wanted:
        region, at = None, uid
        for _ in range(10):
            if at is None or at not in rows:
                break
            region = region or rows[at][1]
            if region:
                break
            at = rows[at][0]
        out[uid] = region if isinstance(region, str) else None
    return out


def subtree_totals(units: list[Unit], direct: dict[int, int]) -> dict[int, int]:
    """Officials in each unit and everything under it."""
    below: dict[int | None, list[int]] = {}
    for u in units:
        below.setdefault(u.parent_id, []).append(u.id)
    totals: dict[int, int] = {}

    def total(uid: int) -> int:
        if uid not in totals:
            totals[uid] = direct.get(uid, 0) + sum(total(c) for c in below.get(uid, []))
        return totals[uid]

    for u in units:
        total(u.id)
    return totals


def merges_of(unit: Unit) -> tuple[list[UnitMerge], list[UnitMerge]]:
    """(merges into the unit, merges out of it), oldest first."""
    def q(column):
        return list(db.session.scalars(sa.select(UnitMerge).where(column == unit.id)
                                       .order_by(UnitMerge.merged_on, UnitMerge.id)))
    return q(UnitMerge.into_unit_id), q(UnitMerge.from_unit_id)


# --- Which units a user may see (docs/security.md) ----------------------------------------------

def subtree_of(pairs, root_id: int) -> list[int]:
    """The unit and every unit below it, from (unit id, parent id) pairs: the one walk of the
    tree, for the database's table and for a unit table already loaded."""
    children: dict[int | None, list[int]] = {}
    for uid, parent in pairs:
        children.setdefault(parent, []).append(uid)
    out, stack = [], [root_id]
    while stack:
        uid = stack.pop()
        out.append(uid)
        stack.extend(children.get(uid, []))
    return out


def _unit_pairs() -> list[tuple[int, int | None]]:
    """Every unit's (id, parent id), kept on the structure version (core.cache): every HR page
    asks for its scope, and a national tree has 31,251 units."""
    return cached("unit-pairs", "all", lambda: [tuple(r) for r in db.session.execute(
        sa.select(Unit.id, Unit.parent_id))], version=structure_version())


def unit_subtree_ids(root_id: int) -> list[int]:
    """The unit and all units below it (the tree walked in memory)."""
    return subtree_of(_unit_pairs(), root_id)


def away_limit(unit: Unit) -> tuple[int, Unit] | None:
    """The share limit in force for the unit's officials (`Unit.max_away_percent`): its own, or
    its nearest ancestor's; with the unit that set it. None: no limit."""
    for _ in range(10):  # the tree is shallow: province → commune → department
        if unit is None:
            return None
        if unit.max_away_percent is not None:
            return unit.max_away_percent, unit
        unit = unit.parent
    return None


def every_unit(ids: list[int] | None) -> bool:
    """`ids` (distinct unit ids, as `visible_unit_ids` gives them) are all the units there are."""
    return ids is None or len(ids) == len(_unit_pairs())


def is_province_hr(user) -> bool:
    """Province-level decisions (targets, approving plans, unmatched imports) belong to admins
    and to HR accounts on the root of the unit tree (Sở Nội vụ, Ban Tổ chức)."""
    if user.role == "admin":
        return True
    return user.role == "hr" and user.unit is not None and user.unit.parent_id is None


def visible_unit_ids(user) -> list[int] | None:
    """Unit ids an HR user may see; None means all (admin)."""
    if user.role == "admin":
        return None
    if user.role == "hr" and user.unit_id:
        return unit_subtree_ids(user.unit_id)
    return []
