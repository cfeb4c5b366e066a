"""Officials, assessments and their imports. Imports are all-or-nothing: every bad row gets a
Vietnamese error naming the row and the column, and then nothing is written."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import pandas as pd
import sqlalchemy as sa

from courses import vocab
from trainer.catalog.models import Competency, Position
from trainer.core import events
from trainer.core.errors import DomainError
from trainer.core.extensions import db
from trainer.core.tabular import (Column, ImportPlan, Row, Table, parse_choice, parse_date,
                                  parse_yes_no)
from trainer.core.timeutil import today, utcnow
from trainer.org.models import Unit
from trainer.people.identity import pid_problem
from trainer.people.models import Assessment, Official

MANUAL_SOURCES = ("self", "supervisor", "test")


def _choice(scale, what: str) -> Callable[[str], str]:
    """A parser of a scale's code or label (`what` names the scale in the error)."""
    return lambda text: parse_choice(text, scale, what)


def _parse_ethnicity(text: str) -> str:
    """One of the 54 ethnicities, by its name or an alias: the canonical name."""
    name = vocab.normalise_ethnicity(text)
    if name is None:
        raise ValueError(f"“{text}” không thuộc 54 dân tộc")
    return name


def _parse_level(text: str) -> int:
    if text.isdecimal() and int(text) <= vocab.MAX_LEVEL:
        return int(text)
    raise ValueError(f"“{text}” phải là số từ 0 đến 4")


# Import templates, in the order of their columns. Documented in the README.
OFFICIALS = Table((
    Column("Mã cán bộ", "code", required=True, example="CB900001"),
    Column("Số định danh cá nhân", "pid", required=True, example="012190000123"),
    Column("Họ và tên", "full_name", required=True, example="Lò Thị Mai"),
    Column("Ngày sinh", "birth_date", parse_date, required=True, example="15/03/1990"),
    Column("Giới tính", "gender", _choice(vocab.GENDERS, "giới tính"), required=True,
           example="Nữ"),
    Column("Dân tộc", "ethnicity", _parse_ethnicity, example="Thái"),
    Column("Mã đơn vị", "unit", required=True, example="LCU-X01"),
    Column("Mã vị trí việc làm", "position"),
    Column("Trình độ chuyên môn", "education", _choice(vocab.EDUCATION, "trình độ chuyên môn"),
           example="Đại học"),
    Column("Chuyên ngành", "education_field", example="Luật"),
    Column("Lý luận chính trị", "political_theory",
           _choice(vocab.POLITICAL_THEORY, "lý luận chính trị"), example="Trung cấp"),
    Column("Quản lý nhà nước", "state_management",
           _choice(vocab.STATE_MANAGEMENT, "quản lý nhà nước"), example="Chuyên viên"),
    Column("Tin học", "it_level", _choice(vocab.IT_LEVEL, "tin học"), example="Cơ bản"),
    Column("Chữ ký số", "digital_signature", parse_yes_no, example="có"),
    Column("Đã số hóa hồ sơ", "record_digitised", parse_yes_no, example="có"),
    Column("Email", "email", example="mai.lt@laichau.gov.vn"),
))
ASSESSMENTS = Table((
    Column("Số định danh cá nhân", "pid", required=True, example="012190000123"),
    Column("Mã năng lực", "competency", required=True),  # the template: the first stored one
    Column("Mức", "level", _parse_level, required=True, example="2"),
    Column("Ngày đánh giá", "assessed_on", parse_date, required=True),  # the template: today
    Column("Nguồn", "source", _choice(tuple((c, l) for c, l in vocab.ASSESSMENT_SOURCES
                                            if c in MANUAL_SOURCES), "nguồn đánh giá"),
           required=True, example="Cấp trên đánh giá"),
    Column("Người đánh giá", "assessor", example="Nguyễn Văn An"),
))
# Vietnamese header -> field, and the headers a file must have.
OFFICIAL_COLUMNS = {c.header: c.key for c in OFFICIALS.columns}
OFFICIAL_REQUIRED = tuple(OFFICIALS.required_headers)
ASSESSMENT_COLUMNS = {c.header: c.key for c in ASSESSMENTS.columns}
ASSESSMENT_REQUIRED = tuple(ASSESSMENTS.required_headers)
# What an optional cell left empty becomes on a new official (the model's defaults).
OFFICIAL_DEFAULTS = {"ethnicity": "Kinh", "position_id": None, "email": None, "education": "none",
                     "education_field": "", "political_theory": "none", "state_management": "none",
                     "it_level": "none", "digital_signature": False, "record_digitised": False}


# --- Error order --------------------------------------------------------------------------------

# --- Officials ----------------------------------------------------------------------------------

@dataclass
class _Roster:
    """What an officials import checks each row against: the stored units, positions and
    officials (loaded once), and the identity numbers, codes and e-mails (case-folded) of the
    file's rows so far, each with the row that first had it."""

    units: dict[str, Unit]
    unit_by_id: dict[int, Unit]
    positions: dict[str, int]
    officials: dict[str, Official]
    code_owner: dict[str, str]
    email_owners: dict[str, set[str]]
    seen_pid: dict[str, int] = field(default_factory=dict)
    seen_code: dict[str, int] = field(default_factory=dict)
    seen_email: dict[str, int] = field(default_factory=dict)

    @classmethod
    def load(cls) -> _Roster:
        units = list(db.session.scalars(sa.select(Unit)))
        officials = {o.pid: o for o in db.session.scalars(sa.select(Official))}
        email_owners: dict[str, set[str]] = {}
        for o in officials.values():
            if o.email:
                email_owners.setdefault(o.email.casefold(), set()).add(o.pid)
        return cls(units={u.code: u for u in units}, unit_by_id={u.id: u for u in units},
                   positions={p.code: p.id for p in db.session.scalars(sa.select(Position))},
                   officials=officials, code_owner={o.code: o.pid for o in officials.values()},
                   email_owners=email_owners)


def _check_identity(row: Row, roster: _Roster) -> None:
    """The identity number against the birth date and gender it encodes, and unique in the file;
    the official's code unique in the file and not another person's."""
    pid, code = row.values["pid"], row.values["code"]
    if pid is not None:
        problem = pid_problem(pid, row.values["birth_date"], row.values["gender"])
        if problem:
            row.error("pid", problem)
        elif pid in roster.seen_pid:
            row.error("pid", f"{pid} trùng với dòng {roster.seen_pid[pid]}")
        roster.seen_pid.setdefault(pid, row.number)
    if code is not None:
        if code in roster.seen_code:
            row.error("code", f"“{code}” trùng với dòng {roster.seen_code[code]}")
        elif pid and roster.code_owner.get(code, pid) != pid:
            row.error("code", f"“{code}” đã thuộc một cán bộ có số định danh khác")
        roster.seen_code.setdefault(code, row.number)


def _check_unit(row: Row, roster: _Roster, unit_scope: set[int] | None) -> None:
    """A stored unit, still open, within the importer's scope."""
    code = row.values["unit"]
    if code is None:
        return
    unit = roster.units.get(code)
    if unit is None:
        row.error("unit", f"không có đơn vị mã “{code}”")
    elif not unit.is_open:  # a merged unit holds nobody (docs/units.md)
        into = roster.unit_by_id[unit.merged_into_id]
        row.error("unit", f"đơn vị “{code}” đã sáp nhập vào “{into.name}” (mã {into.code}) ngày "
                          f"{unit.closed_on:%d/%m/%Y}: ghi mã đơn vị mới")
    elif unit_scope is not None and unit.id not in unit_scope:
        row.error("unit", f"đơn vị “{code}” ngoài phạm vi quản lý của bạn")


def _check_email(row: Row, roster: _Roster) -> None:
    """The same person under two identity numbers (DOMAIN.md: "sạch"): refuse, never merge."""
    email, pid = row.values["email"], row.values["pid"]
    if email is None:
        return
    folded = email.casefold()
    if folded in roster.seen_email:
        row.error("email", f"“{email}” trùng với dòng {roster.seen_email[folded]}")
    elif pid and roster.email_owners.get(folded, {pid}) - {pid}:
        row.error("email", f"“{email}” đã thuộc một cán bộ có số định danh khác")
    roster.seen_email.setdefault(folded, row.number)


def _check_official(row: Row, roster: _Roster, unit_scope: set[int] | None) -> dict | None:
    """Check one row (after its cells: docs/imports.md, "Errors"); the official's fields to store
    (blank cells left out), or None when the row has errors."""
    _check_identity(row, roster)
    _check_unit(row, roster, unit_scope)
    position = row.values["position"]
    if position is not None and position not in roster.positions:
        row.error("position", f"không có vị trí mã “{position}”")
    _check_email(row, roster)
    if not row.ok:
        return None
    values = {k: v for k, v in row.values.items() if k not in ("pid", "unit", "position")}
    values.update(unit_id=roster.units[row.values["unit"]].id,
                  position_id=roster.positions.get(position))
    return {k: v for k, v in values.items() if v is not None}


def _count_officials(plan: ImportPlan, parsed: list[tuple[str, dict]],
                     stored: dict[str, Official]) -> tuple[list[dict], list[tuple]]:
    """Count the valid rows against the stored officials: the rows to insert and the
    (official, changed fields) to update."""
    new_rows, changes = [], []
    for pid, values in parsed:
        official = stored.get(pid)
        diff = plan.count_row(official, values)
        if official is None:
            new_rows.append({"pid": pid, **values})
        elif diff:
            changes.append((official, diff))
    return new_rows, changes


def _write_officials(new_rows: list[dict], changes: list[tuple]) -> Callable[[], None]:
    def apply() -> None:
        # One multi-row INSERT (a 10,000-row roster in well under a second); every row carries
        # every column, the model's defaults filling the optional cells left empty.
        if new_rows:
            db.session.execute(sa.insert(Official), [
                {**OFFICIAL_DEFAULTS, "updated_at": utcnow(), **row} for row in new_rows])
        for official, diff in changes:
            for key, value in diff.items():
                setattr(official, key, value)
    return apply


def plan_officials(df: pd.DataFrame, filename: str = "tệp", *,
                   unit_scope: set[int] | None = None) -> ImportPlan:
    """Create or update officials keyed by the identification number; a row equal to the record
    is `unchanged` (re-importing a file changes nothing). `unit_scope`: unit ids the importer
    may place officials in (None: any)."""
    rows = OFFICIALS.read(df, filename)  # the headers are checked here, before any query
    roster, plan, parsed = _Roster.load(), ImportPlan(), []
    for row in rows:
        plan.rows += 1
        values = _check_official(row, roster, unit_scope)
        plan.errors.extend(row.errors)
        if values is not None:
            parsed.append((row.values["pid"], values))
    plan.actions.append(_write_officials(*_count_officials(plan, parsed, roster.officials)))
    return plan


def import_officials(df: pd.DataFrame, filename: str = "tệp", *, dry_run: bool = False,
                     unit_scope: set[int] | None = None) -> dict[str, int]:
    """Create or update officials keyed by the identification number. Rows are numbered as in a
    spreadsheet: the header is row 1. Returns the counts (created, updated, unchanged)."""
    return plan_officials(df, filename, unit_scope=unit_scope).run(dry_run)


def record_assessment(official: Official, competency: Competency, level: int, *, source: str,
                      assessor: str, on: date | None = None) -> Assessment:
    if source not in MANUAL_SOURCES:
        raise DomainError("Nguồn đánh giá phải là tự đánh giá, cấp trên hoặc kiểm tra.")
    return _add_assessment(official, competency, level, source=source, assessor=assessor, on=on)


def record_mentoring_assessment(official: Official, competency: Competency, level: int, *,
                                assessor: str, on: date) -> Assessment:
    """KH-5: the level a mentorship reached, confirmed by the mentee's supervisor when it closes
    (trainer.mentoring). The same row, checks and audit as any assessment; only its source
    differs, and no form or import may choose that source."""
    return _add_assessment(official, competency, level, source="mentoring", assessor=assessor,
                           on=on)


def _add_assessment(official: Official, competency: Competency, level: int, *, source: str,
                    assessor: str, on: date | None) -> Assessment:
    """The one writer of a single assessment: level within the scale, never in the future."""
    if not 0 <= level <= vocab.MAX_LEVEL:
        raise DomainError(f"Mức {level} phải từ 0 đến {vocab.MAX_LEVEL}.")
    on = on or today()
    if on > today():
        raise DomainError("Ngày đánh giá không được ở tương lai.")
    assessment = Assessment(official_id=official.id, competency_id=competency.id, level=level,
                            source=source, assessed_on=on, assessor=assessor)
    db.session.add(assessment)
    events.audit("assessment", subject_type="official", subject_id=official.id,
                 detail=f"{competency.code}: mức {level} ({source}, {on:%d/%m/%Y})")
    db.session.flush()
    return assessment


# --- Assessments --------------------------------------------------------------------------------

def _check_assessment(row: Row, officials: dict[str, int], comps: dict[str, int],
                      seen: dict[tuple, int], assessor: str) -> tuple | None:
    """Check one row (after its cells); (official id, competency id, source, date, level,
    assessor) when valid, the row's assessor or else `assessor`."""
    pid, comp, level, on, source = (row.values[k] for k in
                                    ("pid", "competency", "level", "assessed_on", "source"))
    if pid is not None and pid not in officials:
        row.error("pid", f"không có cán bộ số {pid}")
    if comp is not None and comp not in comps:
        row.error("competency", f"không có năng lực mã “{comp}”")
    if on is not None and on > today():
        row.error("assessed_on", "ngày ở tương lai")
    if not row.ok:
        return None
    key = (pid, comp, source, on)
    if key in seen:
        row.error("competency", f"trùng cán bộ, năng lực, nguồn và ngày đánh giá với dòng "
                                f"{seen[key]}")
    seen.setdefault(key, row.number)
    if not row.ok:
        return None
    return officials[pid], comps[comp], source, on, level, row.values["assessor"] or assessor


def _count_assessments(plan: ImportPlan, rows: list[tuple]) -> tuple[list[Assessment], list]:
    """Count the valid rows against the stored assessments of their officials (the latest of a
    key, outside any enrollment): the assessments to add and the (assessment, level, assessor)
    to correct."""
    existing: dict[tuple, Assessment] = {}
    ids = {r[0] for r in rows}
    if ids:
        for a in db.session.scalars(sa.select(Assessment).where(
                Assessment.official_id.in_(ids), Assessment.enrollment_id.is_(None))
                .order_by(Assessment.id)):
            existing[(a.official_id, a.competency_id, a.source, a.assessed_on)] = a  # latest wins
    new, changes = [], []
    for official_id, comp_id, source, on, level, who in rows:
        found = existing.get((official_id, comp_id, source, on))
        if found is None:
            new.append(Assessment(official_id=official_id, competency_id=comp_id, level=level,
                                  source=source, assessed_on=on, assessor=who))
            plan.created += 1
        elif found.level != level:
            changes.append((found, level, who))
            plan.updated += 1
        else:
            plan.unchanged += 1
    return new, changes


def plan_assessments(df: pd.DataFrame, filename: str = "tệp", *,
                     assessor: str = "") -> ImportPlan:
    """Assessments keyed by (official, competency, source, date): the same level again is
    `unchanged`, another level corrects the recorded one (`updated`), else a new one."""
    file_rows = ASSESSMENTS.read(df, filename)  # the headers are checked here, before any query
    officials = dict(db.session.execute(sa.select(Official.pid, Official.id)).all())
    comps = dict(db.session.execute(sa.select(Competency.code, Competency.id)).all())
    plan, rows, seen = ImportPlan(), [], {}
    for row in file_rows:
        plan.rows += 1
        valid = _check_assessment(row, officials, comps, seen, assessor)
        plan.errors.extend(row.errors)
        if valid is not None:
            rows.append(valid)
    new, changes = _count_assessments(plan, rows)

    def apply() -> None:
        db.session.add_all(new)
        for assessment, level, who in changes:
            assessment.level, assessment.assessor = level, who
    plan.actions.append(apply)
    return plan


def import_assessments(df: pd.DataFrame, filename: str = "tệp", *, assessor: str = "",
                       dry_run: bool = False) -> dict[str, int]:
    """Returns the counts (created, updated, unchanged)."""
    return plan_assessments(df, filename, assessor=assessor).run(dry_run)


# --- Supervisors ---------------------------------------------------------------------------------

def supervisor_of(official: Official) -> Official | None:
    """Who confirms an official's levels (review campaigns, mentorships): the leader of the
    official's unit, or, where none is set or the official leads it, of the nearest unit above
    with another leader. None: nobody in the tree, HR confirms. The one rule for "the
    supervisor" (docs/reviews.md)."""
    from trainer.people.models import UnitLeader
    leaders = dict(db.session.execute(sa.select(UnitLeader.unit_id, UnitLeader.official_id)).all())
    unit = official.unit
    while unit is not None:
        leader_id = leaders.get(unit.id)
        if leader_id is not None and leader_id != official.id:
            return db.session.get(Official, leader_id)
        unit = unit.parent
    return None


def set_unit_leader(unit: Unit, official: Official | None) -> None:
    """Names (or, with None, clears) the leader of a unit; the leader must work in the unit or
    in a unit below it."""
    from trainer.org.queries import unit_subtree_ids
    from trainer.people.models import UnitLeader
    current = db.session.get(UnitLeader, unit.id)
    if official is None:
        if current is not None:
            db.session.delete(current)
            events.audit("unit_leader", subject_type="unit", subject_id=unit.id,
                         detail="Bỏ lãnh đạo đơn vị")
        return
    if official.unit_id not in set(unit_subtree_ids(unit.id)):
        raise DomainError(f"{official.full_name} không công tác tại {unit.name}.")
    if current is None:
        db.session.add(UnitLeader(unit_id=unit.id, official_id=official.id))
    else:
        current.official_id = official.id
    events.audit("unit_leader", subject_type="unit", subject_id=unit.id,
                 detail=f"Lãnh đạo đơn vị: {official.full_name}")
    db.session.flush()
