"""Changes to the approved headcount (biên chế được giao, LC (1), DL-l): HR sets a unit's quotas
position by position on a form, or imports them from a file (the interchange area's preview and
confirmation; this area owns the rows and their rules). Operations flush, never commit.

A quota is kept per (unit, position): a number from 0 (explicitly none approved) to
MAX_APPROVED; a blank on the form removes it (no quota: "chưa giao biên chế"). Only open units
in the actor's scope take quotas (a merged unit holds nobody)."""
from __future__ import annotations

import re

import pandas as pd
import sqlalchemy as sa

from trainer.catalog.models import Position
from trainer.core import events
from trainer.core.errors import DomainError
from trainer.core.extensions import db
from trainer.core.tabular import Column, ImportPlan, Table
from trainer.org.models import Unit
from trainer.staffing.models import PositionQuota

MAX_APPROVED = 999  # a commune's post count is tens; the column is a small integer


def parse_approved(text: str) -> int:
    """A headcount as people type it: a whole number 0–MAX_APPROVED ("5", "5,0" from Excel)."""
    text = (text or "").strip()
    match = re.fullmatch(r"(\d{1,4})(?:[.,]0+)?", text)
    if not match or int(match[1]) > MAX_APPROVED:
        raise ValueError(f"“{text}” phải là số nguyên từ 0 đến {MAX_APPROVED}")
    return int(match[1])


QUOTAS = Table((
    Column("Mã đơn vị", "unit", required=True, example="X01"),
    Column("Tên đơn vị", "unit_name"),  # for the reader; the code decides
    Column("Mã vị trí việc làm", "position", required=True, example="CV-TPHT"),
    Column("Tên vị trí việc làm", "position_name"),
    Column("Biên chế được giao", "approved", parse_approved, required=True, example="2"),
))


def _quota_index(unit_ids=None) -> dict[tuple[int, int], PositionQuota]:
    q = sa.select(PositionQuota)
    if unit_ids is not None:
        q = q.where(PositionQuota.unit_id.in_(list(unit_ids)))
    return {(r.unit_id, r.position_id): r for r in db.session.scalars(q)}


def plan_quotas(df: pd.DataFrame, filename: str = "tệp", *,
                unit_scope: frozenset[int] | None = None) -> ImportPlan:
    """Approved headcounts by (unit code, position code): a new pair is added, another number
    replaces the stored one, the same number is unchanged; nothing is removed. Units must be open
    and in the importer's scope (`unit_scope`, None: every unit)."""
    rows = QUOTAS.read(df, filename)  # the headers first, before any query
    units = {u.code: u for u in db.session.scalars(sa.select(Unit))}
    positions = dict(db.session.execute(sa.select(Position.code, Position.id)).all())
    existing = _quota_index()
    plan, seen, new, changes = ImportPlan(), {}, [], []
    for row in rows:
        plan.rows += 1
        unit_code, position_code = row.values["unit"], row.values["position"]
        unit = units.get(unit_code) if unit_code else None
        if unit_code and unit is None:
            row.error("unit", f"không có đơn vị mã “{unit_code}”")
        elif unit is not None and unit.closed_on is not None:
            row.error("unit", f"đơn vị “{unit.name}” đã sáp nhập hoặc giải thể từ "
                              f"{unit.closed_on:%d/%m/%Y}")
        elif unit is not None and unit_scope is not None and unit.id not in unit_scope:
            row.error("unit", f"đơn vị “{unit.name}” ngoài phạm vi quản lý của bạn")
        if position_code and position_code not in positions:
            row.error("position", f"không có vị trí việc làm mã “{position_code}”")
        if row.ok:
            key = (unit_code, position_code)
            if key in seen:
                row.error("position", f"đơn vị {unit_code} đã có biên chế vị trí "
                                      f"{position_code} ở dòng {seen[key]}")
            seen.setdefault(key, row.number)
        plan.errors.extend(row.errors)
        if not row.ok:
            continue
        pair = (unit.id, positions[position_code])
        write = plan.count_row(existing.get(pair), {"approved": row.values["approved"]})
        if write is None:
            continue
        if pair in existing:
            changes.append((existing[pair], write["approved"]))
        else:
            new.append(PositionQuota(unit_id=pair[0], position_id=pair[1], **write))

    def apply() -> None:
        db.session.add_all(new)
        for quota, approved in changes:
            quota.approved = approved
    plan.actions.append(apply)
    return plan


def quota_records(unit_ids=None) -> list[dict[str, str]]:
    """The stored quotas in the import file's layout (QUOTAS.download), to edit and import again."""
    q = (sa.select(Unit.code, Unit.name, Position.code, Position.name, PositionQuota.approved)
         .join(Unit, Unit.id == PositionQuota.unit_id)
         .join(Position, Position.id == PositionQuota.position_id)
         .where(Unit.closed_on.is_(None)).order_by(Unit.code, Position.code))
    if unit_ids is not None:
        q = q.where(PositionQuota.unit_id.in_(list(unit_ids)))
    return [{"unit": u, "unit_name": un, "position": p, "position_name": pn,
             "approved": str(a)} for u, un, p, pn, a in db.session.execute(q)]


def set_unit_quotas(unit: Unit, approved: dict[int, int | None], *, actor=None) -> dict[str, int]:
    """Set a unit's approved headcount for the positions given (position id → number; None
    removes the quota). Positions not given are left as they are. `actor`: the user (None: the
    signed-in one, or the command line). Returns the counts changed."""
    if unit.closed_on is not None:
        raise DomainError(f"Đơn vị “{unit.name}” đã sáp nhập hoặc giải thể: không giao biên chế.")
    known = set(db.session.scalars(sa.select(Position.id)))
    unknown = [pid for pid in approved if pid not in known]
    if unknown:
        raise DomainError("Vị trí việc làm không có trong danh mục.")
    for pid, value in approved.items():
        if value is not None and not 0 <= value <= MAX_APPROVED:
            raise DomainError(f"Biên chế phải là số nguyên từ 0 đến {MAX_APPROVED}.")
    existing = _quota_index([unit.id])
    counts = {"created": 0, "updated": 0, "removed": 0}
    names = dict(db.session.execute(sa.select(Position.id, Position.code)).all())
    said = []
    for pid, value in approved.items():
        quota = existing.get((unit.id, pid))
        if value is None:
            if quota is not None:
                db.session.delete(quota)
                counts["removed"] += 1
                said.append(f"{names[pid]}: bỏ")
        elif quota is None:
            db.session.add(PositionQuota(unit_id=unit.id, position_id=pid, approved=value))
            counts["created"] += 1
            said.append(f"{names[pid]}: {value}")
        elif quota.approved != value:
            said.append(f"{names[pid]}: {quota.approved} → {value}")
            quota.approved = value
            counts["updated"] += 1
    if said:
        events.audit("unit", subject_type="unit", subject_id=unit.id,
                     detail=(f"Biên chế được giao — {unit.name}: " + "; ".join(said))[:300],
                     actor=actor)
    db.session.flush()
    return counts
