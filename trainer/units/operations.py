"""A change of the unit tree and what it does to everything under it: merging a unit into
another (sáp nhập) moves its officials, units, plans, requests and commissioned cohorts;
deleting one needs nothing to refer to it (docs/units.md). The unit rules themselves (kinds,
placement, codes) are org's; this area is above every area whose rows it moves."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from trainer.auth.models import User
from trainer.core.display import vndate
from trainer.core.errors import DomainError
from trainer.core.extensions import db
from trainer.demand.models import CohortRequest
from trainer.learning.models import Cohort
from trainer.org.models import Unit, UnitMerge
from trainer.org.operations import check_merge, close_into
from trainer.people.models import Official
from trainer.plans.models import TrainingPlan
from trainer.targets.models import Target

# --- Merging (sáp nhập) -------------------------------------------------------------------------

@dataclass
class MergeOutline:
    """What a merge of `source` into `target` moves and what stays on the closed source, worked
    out before anything is written (the confirmation step shows it; the merge carries it out)."""
    source: Unit
    target: Unit
    on: date
    decision_no: str
    official_ids: list[int]
    children: list[Unit]
    plans_moved: list[TrainingPlan]
    plans_kept: list[TrainingPlan]  # the target already has a plan for that year
    requests: list[CohortRequest]
    cohorts: list[Cohort]
    accounts: list[User]  # HR accounts on the source: they stay (an admin reassigns them)
    targets: list[Target]  # targets whose population names the source

    def moved_text(self) -> str:
        parts = [f"{len(self.official_ids)} cán bộ", f"{len(self.children)} đơn vị trực thuộc",
                 f"{len(self.plans_moved)} kế hoạch đào tạo",
                 f"{len(self.requests)} đặt hàng đào tạo", f"{len(self.cohorts)} lớp đặt hàng"]
        return ", ".join(parts)

    def kept_text(self) -> str:
        """What stays on the closed unit and needs a person's decision (empty: nothing)."""
        parts = []
        if self.plans_kept:
            years = ", ".join(str(p.year) for p in self.plans_kept)
            parts.append(f"kế hoạch năm {years} ở lại đơn vị đã đóng (“{self.target.name}” đã "
                         f"có kế hoạch các năm này)")
        if self.accounts:
            names = ", ".join(u.username for u in self.accounts)
            parts.append(f"{len(self.accounts)} tài khoản vẫn gắn với đơn vị đã đóng ({names}) và "
                         f"không còn thấy cán bộ nào: quản trị viên cần chuyển sang đơn vị khác")
        if self.targets:
            codes = ", ".join(t.code for t in self.targets)
            parts.append(f"mục tiêu {codes} vẫn lấy đơn vị đã đóng làm đối tượng: cần sửa")
        return "; ".join(parts)

    def done_text(self) -> str:
        text = (f"Đã sáp nhập “{self.source.name}” vào “{self.target.name}” ngày "
                f"{vndate(self.on)} (QĐ {self.decision_no}): chuyển {self.moved_text()}.")
        kept = self.kept_text()
        return text + (f" Lưu ý: {kept}." if kept else "")


def targets_naming(unit_id: int) -> list[Target]:
    return [t for t in db.session.scalars(sa.select(Target).order_by(Target.code))
            if int((t.population or {}).get("unit_id") or 0) == unit_id]


def outline_merge(source: Unit, target: Unit, *, on: date, decision_no: str) -> MergeOutline:
    """Check every rule of a merge and list what it would move. Writes nothing."""
    decision_no = check_merge(source, target, on=on, decision_no=decision_no)
    children = [c for c in source.children if c.is_open]
    target_years = set(db.session.scalars(sa.select(TrainingPlan.year).where(
        TrainingPlan.unit_id == target.id)))
    plans = list(db.session.scalars(sa.select(TrainingPlan).where(
        TrainingPlan.unit_id == source.id).order_by(TrainingPlan.year)))
    return MergeOutline(
        source, target, on, decision_no,
        official_ids=list(db.session.scalars(sa.select(Official.id).where(
            Official.unit_id == source.id).order_by(Official.id))),
        children=children,
        plans_moved=[p for p in plans if p.year not in target_years],
        plans_kept=[p for p in plans if p.year in target_years],
        requests=list(db.session.scalars(sa.select(CohortRequest).where(
            CohortRequest.unit_id == source.id))),
        cohorts=list(db.session.scalars(sa.select(Cohort).where(
            Cohort.commissioned_by_unit_id == source.id))),
        accounts=list(db.session.scalars(sa.select(User).where(User.unit_id == source.id)
                                         .order_by(User.username))),
        targets=targets_naming(source.id))


def merge_units(source: Unit, target: Unit, *, on: date, decision_no: str,
                actor: str) -> UnitMerge:
    """Merge `source` into `target` (sáp nhập) as of `on`: its officials, the units directly
    under it, its training plans (those whose year the target has no plan for), its cohort
    requests and commissioned cohorts move to the target; the merge is recorded with what moved;
    the source is closed, never deleted. Assessments, enrollments and ratings are keyed by
    official: they follow the officials. HR accounts on the source are NOT moved: a merge must
    not widen anybody's access (docs/units.md); `outline_merge` lists them."""
    o = outline_merge(source, target, on=on, decision_no=decision_no)
    if o.official_ids:
        # An ORM bulk update: officials already in the session see their new unit.
        db.session.execute(sa.update(Official).where(Official.id.in_(o.official_ids))
                           .values(unit_id=target.id))
    for child in o.children:
        child.parent_id = target.id
    for item in o.plans_moved + o.requests:
        item.unit_id = target.id
    for cohort in o.cohorts:
        cohort.commissioned_by_unit_id = target.id
    merge = close_into(source, target, on=on, decision_no=o.decision_no,
                       official_ids=o.official_ids, child_ids=[c.id for c in o.children],
                       actor=actor)
    # Relationships loaded before the ids changed: read them again.
    db.session.expire(source, ["children", "merged_into"])
    db.session.expire(target, ["children"])
    for obj in o.children + o.plans_moved + o.requests:
        db.session.expire(obj, ["parent"] if isinstance(obj, Unit) else ["unit"])
    return merge


# --- Deleting -----------------------------------------------------------------------------------

def delete_unit(unit: Unit) -> None:
    """Delete a unit nothing refers to (a unit created by mistake). Anything holding it is
    named: officials, units under it, accounts, plans, requests, cohorts, merge records,
    targets."""
    def count(model, *where) -> int:
        return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))

    movable = [(count(Official, Official.unit_id == unit.id), "cán bộ"),
               (count(Unit, Unit.parent_id == unit.id), "đơn vị trực thuộc"),
               (count(User, User.unit_id == unit.id), "tài khoản"),
               (count(TrainingPlan, TrainingPlan.unit_id == unit.id), "kế hoạch đào tạo"),
               (count(CohortRequest, CohortRequest.unit_id == unit.id), "đặt hàng đào tạo"),
               (count(Cohort, Cohort.commissioned_by_unit_id == unit.id), "lớp đặt hàng")]
    fixed = [(count(UnitMerge, sa.or_(UnitMerge.from_unit_id == unit.id,
                                      UnitMerge.into_unit_id == unit.id)), "lần sáp nhập đã ghi"),
             (len(targets_naming(unit.id)), "mục tiêu lấy đơn vị làm đối tượng")]
    held = [(n, noun) for n, noun in movable + fixed if n]
    if held:
        nouns = [noun for n, noun in movable if n]
        hint = (f"hãy sáp nhập hoặc chuyển {', '.join(nouns)} trước" if nouns
                else "lịch sử và mục tiêu gắn với đơn vị được giữ lại")
        raise DomainError(f"Đơn vị còn {', '.join(f'{n} {noun}' for n, noun in held)}: không "
                          f"xóa được; {hint}.")
    db.session.delete(unit)
    db.session.flush()
