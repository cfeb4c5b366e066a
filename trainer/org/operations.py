"""Units: the administrative tree imported from a file (keyed by code), edited, merged (sáp
nhập) and — when nothing refers to them — deleted. Operations flush, never commit.

One set of row rules (`_read_row`, `_check_tree`) serves the import file and the single-unit
form, so a unit the form accepts is one the file would accept (docs/units.md)."""
from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from courses import vocab
from trainer.core.display import vndate
from trainer.core.errors import DomainError
from trainer.core.extensions import db
from trainer.core.tabular import ImportPlan, cell_error, check_headers, data_rows, parse_choice
from trainer.org.models import Unit
from trainer.org.queries import COMMUNE_KINDS

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
