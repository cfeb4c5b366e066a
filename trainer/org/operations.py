"""Units: the administrative tree imported from a file (keyed by code), edited, merged (sáp
nhập) and — when nothing refers to them — deleted. Operations flush, never commit.

One set of row rules (`_read_row`, `_check_tree`) serves the import file and the single-unit
form, so a unit the form accepts is one the file would accept (docs/units.md)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa

from courses import vocab
from trainer.auth.models import User
from trainer.auth.scope import unit_subtree_ids
from trainer.display import vndate
from trainer.errors import DomainError
from trainer.extensions import db
from trainer.imports import (
    ImportPlan,
    cell_error,
    check_headers,
    data_rows,
    parse_choice,
)
from trainer.learning.models import Cohort, CohortRequest
from trainer.org.models import Unit, UnitMerge
from trainer.org.queries import COMMUNE_KINDS
from trainer.people.models import Official
from trainer.plans.models import TrainingPlan
from trainer.targets.models import Target
from trainer.timeutil import today

# Import file: Vietnamese header -> field. All five columns must be present.
UNIT_COLUMNS = {"Mã đơn vị": "code", "Tên đơn vị": "name", "Loại đơn vị": "kind",
                "Vùng": "region", "Mã đơn vị cấp trên": "parent"}
HEADERS = {f: h for h, f in UNIT_COLUMNS.items()}
LIMITS = {"code": 32, "name": 200, "parent": 32}
# What people type besides the codes and labels of vocab.UNIT_KINDS / vocab.REGIONS.
KIND_ALIASES = {"tỉnh": "province", "thành phố": "province", "xã": "commune", "phường": "ward",
                "đặc khu": "special_zone", "phòng": "department", "ban": "department",
                "trung tâm": "department"}
REGION_ALIASES = {"miền núi": "mountain"}
KIND_LABELS = dict(vocab.UNIT_KINDS)
PARENT_KINDS = {"province": (), **{k: ("province",) for k in COMMUNE_KINDS},
                "department": COMMUNE_KINDS + ("province",)}
# A merge joins units of one level: communes, wards and special zones with each other (the 2025
# reform); a department with another department or into a commune-level unit or the province.
MERGE_INTO = {**{k: COMMUNE_KINDS for k in COMMUNE_KINDS},
              "department": ("department",) + COMMUNE_KINDS + ("province",)}


def closed_text(unit: Unit) -> str:
    """“đã sáp nhập vào “Xã Y” ngày 01/07/2025” — how every message names a closed unit."""
    into = unit.merged_into.name if unit.merged_into else "đơn vị khác"
    return f"đã sáp nhập vào “{into}” ngày {vndate(unit.closed_on)}"


def parse_kind(text: str) -> str:
    return KIND_ALIASES.get(text.casefold()) or parse_choice(text, vocab.UNIT_KINDS,
                                                             "loại đơn vị")


def parse_region(text: str) -> str:
    return REGION_ALIASES.get(text.casefold()) or parse_choice(text, vocab.REGIONS, "vùng")


def placement_problem(kind: str, parent_kind: str | None) -> str | None:
    """The kind rule: a province has no parent; a commune, ward or special zone is under a
    province; a department (phòng, ban, trung tâm) under a commune-level unit or a province."""
    if kind == "province":
        return "đơn vị cấp tỉnh không có đơn vị cấp trên" if parent_kind else None
    if parent_kind not in PARENT_KINDS[kind]:
        return (f"{KIND_LABELS[kind].lower()} không trực thuộc "
                f"{KIND_LABELS.get(parent_kind, parent_kind).lower()} (xã, phường, đặc khu "
                f"trực thuộc tỉnh; phòng, ban, trung tâm trực thuộc xã, phường, đặc khu hoặc "
                f"tỉnh)")
    return None


# --- One row: read the cells, then the rules of the tree ---------------------------------------

@dataclass
class _Row:
    line: int | None  # spreadsheet row; None for the form
    code: str | None = None
    name: str | None = None
    kind: str | None = None
    region: str | None = None
    parent: str = ""  # parent code, "" for none
    problems: list[tuple[str, str]] = field(default_factory=list)  # (field, message)

    def shape(self) -> tuple:
        return (self.name, self.kind, self.region, self.parent)


def _read_row(cells: dict[str, str], line: int | None = None) -> _Row:
    """Text cells by field (code, name, kind, region, parent) → a row with its cell problems."""
    row = _Row(line)

    def text(key: str, required: bool = False) -> str | None:
        value = (cells.get(key) or "").strip()
        if not value:
            if required:
                row.problems.append((key, "không được để trống"))
            return None
        if key in LIMITS and len(value) > LIMITS[key]:
            row.problems.append((key, f"dài {len(value)} ký tự, tối đa {LIMITS[key]}"))
            return None
        return value

    row.code, row.name = text("code", True), text("name", True)
    kind, region, parent = text("kind", True), text("region"), text("parent")
    if kind is not None:
        try:
            row.kind = parse_kind(kind)
        except ValueError as e:
            row.problems.append(("kind", str(e)))
    if region is not None:
        try:
            row.region = parse_region(region)
        except ValueError as e:
            row.problems.append(("region", str(e)))
    row.parent = parent or ""
    if row.kind == "province":
        if region is not None:
            row.problems.append(("region", "đơn vị cấp tỉnh không ghi vùng (để trống)"))
        if parent:
            row.problems.append(("parent", "đơn vị cấp tỉnh không có đơn vị cấp trên (để trống)"))
    elif row.kind is not None:
        if row.kind in COMMUNE_KINDS and region is None:
            row.problems.append(("region", "không được để trống với xã, phường, đặc khu"))
        if not parent and all(f != "parent" for f, _ in row.problems):
            row.problems.append(("parent", "không được để trống (chỉ đơn vị cấp tỉnh không có "
                                           "đơn vị cấp trên)"))
    return row


@dataclass
class _Node:
    kind: str | None
    parent: str
    unit: Unit | None = None  # stored
    row: _Row | None = None  # from the file or the form


def _stored_shape(unit: Unit, codes: dict[int, str]) -> tuple:
    return (unit.name, unit.kind, unit.region, codes.get(unit.parent_id, ""))


def _check_tree(rows: list[_Row], stored: list[Unit], *, editing: Unit | None = None) -> None:
    """The rules that look at other units, on the tree as it would be (stored units with the
    rows over them): the parent exists and is open, the kind rule holds both ways (the row's
    parent, the stored units under it), no cycle, a closed unit is not changed. Appends to each
    row's problems. `editing`: the stored unit a single (form) row edits, its code may change."""
    codes = {u.id: u.code for u in stored}
    if editing is not None and rows[0].code:
        codes[editing.id] = rows[0].code
    nodes = {codes[u.id]: _Node(u.kind, codes.get(u.parent_id, ""), u) for u in stored}
    for r in rows:
        if r.code:
            before = nodes.get(r.code)
            nodes[r.code] = _Node(r.kind, r.parent, before.unit if before else None, r)
    children: dict[str, list[str]] = {}
    for code, node in nodes.items():
        children.setdefault(node.parent, []).append(code)
    for r in rows:
        if not r.code:
            continue
        node = nodes[r.code]
        unit = node.unit
        if unit is not None and not unit.is_open:
            if _stored_shape(unit, codes) != r.shape():
                r.problems.append(("code", f"đơn vị {closed_text(unit)}: không sửa được"))
            continue
        failed = {f for f, _ in r.problems}
        if r.parent and "parent" not in failed:
            parent = nodes.get(r.parent)
            path, at = [r.code], r.parent
            while at and at not in path:
                path.append(at)
                at = nodes[at].parent if at in nodes else ""
            if parent is None:
                r.problems.append(("parent", f"không có đơn vị mã “{r.parent}” (trong hệ thống "
                                             f"hay trong tệp)"))
            elif at == r.code:
                r.problems.append(("parent", "đơn vị cấp trên tạo vòng lặp: "
                                             + " → ".join(path + [r.code])))
            elif parent.unit is not None and not parent.unit.is_open:
                r.problems.append(("parent", f"đơn vị “{r.parent}” {closed_text(parent.unit)}: "
                                             f"chọn đơn vị đang hoạt động"))
            elif None not in (r.kind, parent.kind) and (
                    problem := placement_problem(r.kind, parent.kind)):
                r.problems.append(("parent", f"“{r.parent}”: {problem}"))
        if r.kind is not None and "kind" not in failed:
            for code in children.get(r.code, []):
                child = nodes[code]
                if child.row is None and child.unit.is_open and child.kind is not None \
                        and (problem := placement_problem(child.kind, r.kind)):
                    r.problems.append(("kind", f"đơn vị trực thuộc “{code}” không hợp lệ dưới "
                                               f"loại này: {problem}"))
                    break


# --- The import file ---------------------------------------------------------------------------

def plan_units(df, filename: str = "tệp") -> ImportPlan:
    """The unit tree from an import file, keyed by “Mã đơn vị”: a new code is created, a
    changed row updated, an equal row unchanged (re-importing a file changes nothing); nothing
    is deleted. A parent may be a stored unit or a row of the same file. Writes nothing."""
    check_headers(df, list(UNIT_COLUMNS), filename)
    stored = list(db.session.scalars(sa.select(Unit)))
    by_code = {u.code: u for u in stored}
    codes = {u.id: u.code for u in stored}
    plan, rows, seen = ImportPlan(), [], {}
    for i, cells in data_rows(df):
        plan.rows += 1
        row = _read_row({f: cells.get(h, "") for h, f in UNIT_COLUMNS.items()}, i)
        if row.code in seen:  # the first row with a code is the one checked against the tree
            row.problems.append(("code", f"“{row.code}” trùng với dòng {seen[row.code]}"))
            row.code = None
        elif row.code:
            seen[row.code] = i
        rows.append(row)
    _check_tree(rows, stored)
    new, changed = [], []
    for row in rows:
        if row.problems:
            plan.errors.extend(cell_error(row.line, HEADERS[f], m) for f, m in row.problems)
            continue
        unit = by_code.get(row.code)
        if unit is None:
            new.append(row)
            plan.created += 1
        elif _stored_shape(unit, codes) != row.shape():
            changed.append((unit, row))
            plan.updated += 1
        else:
            plan.unchanged += 1

    def apply() -> None:
        # Two passes: every unit exists before parents are set (a parent may come later in the
        # file than its child).
        for row in new:
            by_code[row.code] = Unit(code=row.code, name=row.name, kind=row.kind,
                                     region=row.region)
            db.session.add(by_code[row.code])
        db.session.flush()
        for unit, row in changed:
            unit.name, unit.kind, unit.region = row.name, row.kind, row.region
        for unit, row in [(by_code[r.code], r) for r in new] + changed:
            unit.parent_id = by_code[row.parent].id if row.parent else None
    plan.actions.append(apply)
    return plan


def _root_code() -> str:
    return db.session.scalar(sa.select(Unit.code).where(Unit.parent_id.is_(None))
                             .order_by(Unit.id)) or "LCU"


def unit_template() -> tuple[list[str], dict[str, str]]:
    """Headers and one example row: a commune of Lai Châu under the stored province."""
    return list(UNIT_COLUMNS), {"Mã đơn vị": "LCU-X39", "Tên đơn vị": "Xã Sìn Hồ",
                                "Loại đơn vị": "Xã", "Vùng": "Miền núi",
                                "Mã đơn vị cấp trên": _root_code()}


def unit_rows() -> list[dict[str, str]]:
    """The open units in the layout of the import file, parents before children: the file to
    edit in Excel and import again (rows not edited are unchanged). Closed units are history,
    not part of the tree: they are left out (an import never deletes a unit)."""
    units = list(db.session.scalars(sa.select(Unit).where(Unit.closed_on.is_(None))
                                    .order_by(Unit.code)))
    codes = {u.id: u.code for u in units}
    children: dict[int | None, list[Unit]] = {}
    for u in units:
        children.setdefault(u.parent_id if u.parent_id in codes else None, []).append(u)
    out, stack = [], list(reversed(children.get(None, [])))
    while stack:
        u = stack.pop()
        out.append({"Mã đơn vị": u.code, "Tên đơn vị": u.name, "Loại đơn vị": KIND_LABELS[u.kind],
                    "Vùng": vocab.label(vocab.REGIONS, u.region, "") if u.region else "",
                    "Mã đơn vị cấp trên": codes.get(u.parent_id, "")})
        stack.extend(reversed(children.get(u.id, [])))
    return out


# --- One unit from the form ---------------------------------------------------------------------

class UnitInvalid(DomainError):
    """A unit the rules refuse; `problems` are (field, message) pairs for the form's fields."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("; ".join(f"{HEADERS[f]}: {m}" for f, m in problems))


def save_unit(values: dict[str, str], *, unit: Unit | None = None) -> Unit:
    """Create (`unit` None) or edit one unit from text values by field (code, name, kind,
    region, parent code), with the import's rules. Raises UnitInvalid."""
    if unit is not None and not unit.is_open:
        raise DomainError(f"Đơn vị “{unit.name}” {closed_text(unit)}: không sửa được.")
    row = _read_row(values)
    stored = list(db.session.scalars(sa.select(Unit)))
    clash = next((u for u in stored if u.code == row.code), None)
    if clash is not None and clash is not unit:
        row.problems.append(("code", f"mã “{row.code}” đã thuộc đơn vị “{clash.name}”"))
    else:
        _check_tree([row], stored, editing=unit)
    if row.problems:
        raise UnitInvalid(row.problems)
    if unit is None:
        unit = Unit()
        db.session.add(unit)
    unit.code, unit.name, unit.kind, unit.region = row.code, row.name, row.kind, row.region
    unit.parent_id = next(u.id for u in stored if u.code == row.parent) if row.parent else None
    db.session.flush()
    return unit


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
    decision_no = (decision_no or "").strip()
    if source.id == target.id:
        raise DomainError("Không sáp nhập một đơn vị vào chính nó.")
    if not source.is_open:
        raise DomainError(f"“{source.name}” {closed_text(source)}.")
    if not target.is_open:
        raise DomainError(f"“{target.name}” {closed_text(target)}: chọn đơn vị đang hoạt động.")
    if source.parent_id is None:
        raise DomainError(f"“{source.name}” là đơn vị cấp tỉnh (gốc của cây đơn vị): không "
                          f"sáp nhập được.")
    if target.id in unit_subtree_ids(source.id):
        raise DomainError(f"“{target.name}” trực thuộc “{source.name}”: không sáp nhập một đơn "
                          f"vị vào đơn vị cấp dưới của chính nó.")
    # Same level, so the units moved under the target still obey the kind rule.
    if target.kind not in MERGE_INTO[source.kind]:
        raise DomainError(f"{KIND_LABELS[source.kind]} không sáp nhập vào "
                          f"{KIND_LABELS[target.kind].lower()}: chỉ sáp nhập vào "
                          f"{', '.join(KIND_LABELS[k].lower() for k in MERGE_INTO[source.kind])}.")
    if not decision_no:
        raise DomainError("Nhập số quyết định sáp nhập.")
    if len(decision_no) > 80:
        raise DomainError("Số quyết định tối đa 80 ký tự.")
    if on > today():
        raise DomainError("Ngày sáp nhập không được ở tương lai.")
    # History is rebuilt by undoing merges newest first: a merge may not predate one already
    # recorded on either unit.
    last = db.session.scalar(sa.select(sa.func.max(UnitMerge.merged_on)).where(sa.or_(
        UnitMerge.into_unit_id.in_((source.id, target.id)),
        UnitMerge.from_unit_id.in_((source.id, target.id)))))
    if last is not None and on < last:
        raise DomainError(f"Ngày sáp nhập phải từ {vndate(last)} trở đi (ngày của lần sáp nhập "
                          f"đã ghi trước đó với hai đơn vị này).")
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
    merge = UnitMerge(from_unit_id=source.id, into_unit_id=target.id, merged_on=on,
                      decision_no=o.decision_no, official_ids=o.official_ids,
                      child_unit_ids=[c.id for c in o.children], recorded_by=actor)
    db.session.add(merge)
    source.closed_on, source.merged_into_id = on, target.id
    db.session.flush()
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
