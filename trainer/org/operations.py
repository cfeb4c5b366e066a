"""Units: the rules of the administrative tree — imported from a file (keyed by code), edited
one by one, and the tree's side of a merge (sáp nhập: its checks, its record, the closed
source). What a merge moves and deleting a unit are `trainer.units.operations`: they touch
every area's rows. Operations flush, never commit.

One set of row rules (`_read_row`, `_check_tree`) serves the import file and the single-unit
form, so a unit the form accepts is one the file would accept (docs/units.md)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa

from courses import vocab
from trainer.core.display import vndate
from trainer.core.errors import DomainError
from trainer.core.extensions import db
from trainer.core.tabular import Column, ImportPlan, Table, cell_error, data_rows, parse_choice
from trainer.core.timeutil import today
from trainer.org.models import Unit, UnitMerge
from trainer.org.queries import COMMUNE_KINDS, unit_subtree_ids

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


def _at_most(limit: int):
    """A text cell of at most `limit` characters."""
    def parse(text: str) -> str:
        if len(text) > limit:
            raise ValueError(f"dài {len(text)} ký tự, tối đa {limit}")
        return text
    return parse


# The import file (and the single-unit form, by key). The file has all five columns; "Vùng" and
# "Mã đơn vị cấp trên" may be blank where the kind allows (`_read_row`).
UNITS = Table((
    Column("Mã đơn vị", "code", _at_most(LIMITS["code"]), required=True, example="LCU-X39"),
    Column("Tên đơn vị", "name", _at_most(LIMITS["name"]), required=True, example="Xã Sìn Hồ"),
    Column("Loại đơn vị", "kind", parse_kind, required=True, example="Xã"),
    Column("Vùng", "region", parse_region, in_file=True, example="Miền núi"),
    Column("Mã đơn vị cấp trên", "parent", _at_most(LIMITS["parent"]), in_file=True),  # the root
))
# Vietnamese header -> field, and back.
UNIT_COLUMNS = {c.header: c.key for c in UNITS.columns}
HEADERS = {c.key: c.header for c in UNITS.columns}


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
    """Text cells by field (code, name, kind, region, parent) → a row with its cell problems,
    read by the columns of UNITS."""
    row = _Row(line)
    text: dict[str, str | None] = {}
    choices: dict[str, str | None] = {}
    for c in UNITS.columns:
        value = (cells.get(c.key) or "").strip() or None
        text[c.key] = value
        if value is None:
            if c.required:
                row.problems.append((c.key, "không được để trống"))
            continue
        try:
            parsed = c.parse(value)
        except ValueError as e:
            row.problems.append((c.key, str(e)))
            parsed = None
        if c.key in LIMITS:
            text[c.key] = parsed
        else:
            choices[c.key] = parsed
    row.code, row.name = text["code"], text["name"]
    row.kind, row.region = choices.get("kind"), choices.get("region")
    region, parent = text["region"], text["parent"]
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
    UNITS.check_headers(df, filename)
    stored = list(db.session.scalars(sa.select(Unit)))
    by_code = {u.code: u for u in stored}
    codes = {u.id: u.code for u in stored}
    plan, rows, seen = ImportPlan(), [], {}
    for i, cells in data_rows(df):
        plan.rows += 1
        row = _read_row({c.key: cells.get(c.header, "") for c in UNITS.columns}, i)
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
            plan.errors.extend(cell_error(row.line, HEADERS[f], m) for f, m in sorted(
                row.problems, key=lambda p: UNITS.position(p[0])))  # column by column
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


def root_code() -> str:
    """The code of the tree's root (the province), for examples."""
    return db.session.scalar(sa.select(Unit.code).where(Unit.parent_id.is_(None))
                             .order_by(Unit.id)) or "LCU"


def unit_records() -> list[dict[str, str]]:
    """The open units by field, parents before children: with UNITS.download, the file to edit in
    Excel and import again (rows not edited are unchanged). Closed units are history, not part
    of the tree: they are left out (an import never deletes a unit)."""
    units = list(db.session.scalars(sa.select(Unit).where(Unit.closed_on.is_(None))
                                    .order_by(Unit.code)))
    codes = {u.id: u.code for u in units}
    children: dict[int | None, list[Unit]] = {}
    for u in units:
        children.setdefault(u.parent_id if u.parent_id in codes else None, []).append(u)
    out, stack = [], list(reversed(children.get(None, [])))
    while stack:
        u = stack.pop()
        out.append({
            "code": u.code, "name": u.name, "kind": KIND_LABELS[u.kind],
            "region": vocab.label(vocab.REGIONS, u.region, "") if u.region else "",
            "parent": codes.get(u.parent_id, "")})
        stack.extend(reversed(children.get(u.id, [])))
    return out


# --- One unit from the form ---------------------------------------------------------------------

def set_away_limit(unit: Unit, percent: int | None) -> None:
    """The largest share (%) of the unit's officials in class at once — for the unit and the
    units below it that set none; None lifts it (learning.operations.away_warning)."""
    if not unit.is_open:
        raise DomainError(f"Đơn vị “{unit.name}” {closed_text(unit)}: không đặt giới hạn được.")
    if percent is not None and not 1 <= percent <= 100:
        raise DomainError(f"Giới hạn {percent}% phải từ 1 đến 100 (để trống: không giới hạn).")
    unit.max_away_percent = percent
    db.session.flush()


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


# --- Merging: the unit rules (units.operations moves what the merged unit held) ---------------

def check_merge(source: Unit, target: Unit, *, on: date, decision_no: str) -> str:
    """Every rule of the tree a merge of `source` into `target` must keep; the decision number,
    stripped. Writes nothing."""
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
    return decision_no


def close_into(source: Unit, target: Unit, *, on: date, decision_no: str,
               official_ids: list[int], child_ids: list[int], actor: str) -> UnitMerge:
    """Record the merge (what moved, for the history of the tree) and close the source."""
    merge = UnitMerge(from_unit_id=source.id, into_unit_id=target.id, merged_on=on,
                      decision_no=decision_no, official_ids=official_ids,
                      child_unit_ids=child_ids, recorded_by=actor)
    db.session.add(merge)
    source.closed_on, source.merged_into_id = on, target.id
    db.session.flush()
    return merge
