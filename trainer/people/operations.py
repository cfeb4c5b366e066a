"""Officials, assessments and their imports. Imports are all-or-nothing: every bad row gets a
Vietnamese error naming the row and the column, and then nothing is written."""
from __future__ import annotations

from datetime import date

import pandas as pd
import sqlalchemy as sa

from courses import vocab
from trainer.catalog.models import Competency, Position
from trainer.core import events
from trainer.core.errors import DomainError
from trainer.core.extensions import db
from trainer.core.tabular import (ImportPlan, check_headers, data_rows, parse_choice, parse_date,
                                  parse_yes_no)
from trainer.core.timeutil import today, utcnow
from trainer.org.models import Unit
from trainer.people.identity import pid_problem
from trainer.people.models import Assessment, Official

# Import templates: Vietnamese header -> field. Documented in the README.
OFFICIAL_COLUMNS = {
    "Mã cán bộ": "code", "Số định danh cá nhân": "pid", "Họ và tên": "full_name",
    "Ngày sinh": "birth_date", "Giới tính": "gender", "Dân tộc": "ethnicity",
    "Mã đơn vị": "unit", "Mã vị trí việc làm": "position", "Trình độ chuyên môn": "education",
    "Chuyên ngành": "education_field", "Lý luận chính trị": "political_theory",
    "Quản lý nhà nước": "state_management", "Tin học": "it_level", "Chữ ký số": "digital_signature",
    "Đã số hóa hồ sơ": "record_digitised", "Email": "email",
}
OFFICIAL_REQUIRED = ("Mã cán bộ", "Số định danh cá nhân", "Họ và tên", "Ngày sinh", "Giới tính",
                     "Mã đơn vị")
ASSESSMENT_COLUMNS = {
    "Số định danh cá nhân": "pid", "Mã năng lực": "competency", "Mức": "level",
    "Ngày đánh giá": "assessed_on", "Nguồn": "source", "Người đánh giá": "assessor",
}
ASSESSMENT_REQUIRED = tuple(list(ASSESSMENT_COLUMNS)[:5])
MANUAL_SOURCES = ("self", "supervisor", "test")
# What an optional cell left empty becomes on a new official (the model's defaults).
OFFICIAL_DEFAULTS = {"ethnicity": "Kinh", "position_id": None, "email": None, "education": "none",
                     "education_field": "", "political_theory": "none", "state_management": "none",
                     "it_level": "none", "digital_signature": False, "record_digitised": False}


def plan_officials(df: pd.DataFrame, filename: str = "tệp", *,
                   unit_scope: set[int] | None = None) -> ImportPlan:
    """Create or update officials keyed by the identification number; a row equal to the record
    is `unchanged` (re-importing a file changes nothing). `unit_scope`: unit ids the importer
    may place officials in (None: any)."""
    check_headers(df, OFFICIAL_REQUIRED, filename)
    stored_units = list(db.session.scalars(sa.select(Unit)))
    units = {u.code: u.id for u in stored_units}
    unit_by_id = {u.id: u for u in stored_units}
    closed = {u.code: u for u in stored_units if not u.is_open}
    positions = {p.code: p.id for p in db.session.scalars(sa.select(Position))}
    existing = {o.pid: o for o in db.session.scalars(sa.select(Official))}
    code_owner = {o.code: o.pid for o in existing.values()}
    email_owner: dict[str, set[str]] = {}
    for o in existing.values():
        if o.email:
            email_owner.setdefault(o.email.casefold(), set()).add(o.pid)
    plan = ImportPlan()
    errors, parsed, seen_pid, seen_code, seen_email = plan.errors, [], {}, {}, {}
    for i, row in data_rows(df):
        plan.rows += 1
        values, row_errors = {}, []

        def cell(header, parse=lambda v: v, required=False):
            text = row.get(header, "")
            if text == "":
                if required:
                    row_errors.append(f"dòng {i}, cột “{header}”: không được để trống")
                return None
            try:
                return parse(text)
            except ValueError as e:
                row_errors.append(f"dòng {i}, cột “{header}”: {e}")
                return None

        values["code"] = cell("Mã cán bộ", required=True)
        values["full_name"] = cell("Họ và tên", required=True)
        values["birth_date"] = cell("Ngày sinh", parse_date, required=True)
        values["gender"] = cell("Giới tính", lambda v: parse_choice(v, vocab.GENDERS, "giới tính"),
                                 required=True)
        pid = cell("Số định danh cá nhân", required=True)
        if pid is not None:
            problem = pid_problem(pid, values["birth_date"], values["gender"])
            if problem:
                row_errors.append(f"dòng {i}, cột “Số định danh cá nhân”: {problem}")
            elif pid in seen_pid:
                row_errors.append(f"dòng {i}, cột “Số định danh cá nhân”: {pid} trùng với dòng "
                                  f"{seen_pid[pid]}")
            seen_pid.setdefault(pid, i)
        code = values["code"]
        if code is not None:
            if code in seen_code:
                row_errors.append(f"dòng {i}, cột “Mã cán bộ”: “{code}” trùng với dòng "
                                  f"{seen_code[code]}")
            elif pid and code_owner.get(code, pid) != pid:
                row_errors.append(f"dòng {i}, cột “Mã cán bộ”: “{code}” đã thuộc một cán bộ có số "
                                  f"định danh khác")
            seen_code.setdefault(code, i)
        unit = cell("Mã đơn vị", required=True)
        if unit is not None and unit not in units:
            row_errors.append(f"dòng {i}, cột “Mã đơn vị”: không có đơn vị mã “{unit}”")
        elif unit in closed:  # a merged unit holds nobody (docs/units.md)
            into = unit_by_id[closed[unit].merged_into_id]
            row_errors.append(f"dòng {i}, cột “Mã đơn vị”: đơn vị “{unit}” đã sáp nhập vào "
                              f"“{into.name}” (mã {into.code}) ngày "
                              f"{closed[unit].closed_on:%d/%m/%Y}: ghi mã đơn vị mới")
        elif unit is not None and unit_scope is not None and units[unit] not in unit_scope:
            row_errors.append(f"dòng {i}, cột “Mã đơn vị”: đơn vị “{unit}” ngoài phạm vi quản lý "
                              f"của bạn")
        values["unit_id"] = units.get(unit)
        position = cell("Mã vị trí việc làm")
        if position is not None and position not in positions:
            row_errors.append(f"dòng {i}, cột “Mã vị trí việc làm”: không có vị trí mã “{position}”")
        values["position_id"] = positions.get(position)
        ethnicity = cell("Dân tộc")
        if ethnicity is not None:
            values["ethnicity"] = vocab.normalise_ethnicity(ethnicity)
            if values["ethnicity"] is None:
                row_errors.append(f"dòng {i}, cột “Dân tộc”: “{ethnicity}” không thuộc 54 dân tộc")
        for header, key, scale in (("Trình độ chuyên môn", "education", vocab.EDUCATION),
                                   ("Lý luận chính trị", "political_theory", vocab.POLITICAL_THEORY),
                                   ("Quản lý nhà nước", "state_management", vocab.STATE_MANAGEMENT),
                                   ("Tin học", "it_level", vocab.IT_LEVEL)):
            values[key] = cell(header, lambda v, s=scale, h=header: parse_choice(v, s, h.lower()))
        values["education_field"] = cell("Chuyên ngành")
        values["digital_signature"] = cell("Chữ ký số", parse_yes_no)
        values["record_digitised"] = cell("Đã số hóa hồ sơ", parse_yes_no)
        email = values["email"] = cell("Email")
        if email is not None:
            # The same person under two identity numbers (DOMAIN.md: "sạch"): refuse, never merge.
            folded = email.casefold()
            if folded in seen_email:
                row_errors.append(f"dòng {i}, cột “Email”: “{email}” trùng với dòng "
                                  f"{seen_email[folded]}")
            elif pid and email_owner.get(folded, {pid}) - {pid}:
                row_errors.append(f"dòng {i}, cột “Email”: “{email}” đã thuộc một cán bộ có số "
                                  f"định danh khác")
            seen_email.setdefault(folded, i)
        errors.extend(row_errors)
        if not row_errors:
            parsed.append((pid, {k: v for k, v in values.items() if v is not None}))
    new_rows, changes = [], []
    for pid, values in parsed:
        official = existing.get(pid)
        diff = plan.count_row(official, values)
        if official is None:
            new_rows.append({"pid": pid, **values})
        elif diff:
            changes.append((official, diff))

    def apply() -> None:
        # One multi-row INSERT (a 10,000-row roster in well under a second); every row carries
        # every column, the model's defaults filling the optional cells left empty.
        if new_rows:
            db.session.execute(sa.insert(Official), [
                {**OFFICIAL_DEFAULTS, "updated_at": utcnow(), **row} for row in new_rows])
        for official, diff in changes:
            for key, value in diff.items():
                setattr(official, key, value)
    plan.actions.append(apply)
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


def plan_assessments(df: pd.DataFrame, filename: str = "tệp", *,
                     assessor: str = "") -> ImportPlan:
    """Assessments keyed by (official, competency, source, date): the same level again is
    `unchanged`, another level corrects the recorded one (`updated`), else a new one."""
    check_headers(df, ASSESSMENT_REQUIRED, filename)
    officials = dict(db.session.execute(sa.select(Official.pid, Official.id)).all())
    comps = dict(db.session.execute(sa.select(Competency.code, Competency.id)).all())
    manual = tuple((c, l) for c, l in vocab.ASSESSMENT_SOURCES if c in MANUAL_SOURCES)
    plan = ImportPlan()
    errors, rows, seen = plan.errors, [], {}
    for i, row in data_rows(df):
        plan.rows += 1
        row_errors = []

        def need(header):
            if row.get(header, "") == "":
                row_errors.append(f"dòng {i}, cột “{header}”: không được để trống")
                return None
            return row[header]

        pid, comp, level_text = need("Số định danh cá nhân"), need("Mã năng lực"), need("Mức")
        date_text, source_text = need("Ngày đánh giá"), need("Nguồn")
        if pid is not None and pid not in officials:
            row_errors.append(f"dòng {i}, cột “Số định danh cá nhân”: không có cán bộ số {pid}")
        if comp is not None and comp not in comps:
            row_errors.append(f"dòng {i}, cột “Mã năng lực”: không có năng lực mã “{comp}”")
        level = None
        if level_text is not None:
            if level_text.isdigit() and 0 <= int(level_text) <= vocab.MAX_LEVEL:
                level = int(level_text)
            else:
                row_errors.append(f"dòng {i}, cột “Mức”: “{level_text}” phải là số từ 0 đến 4")
        on = source = None
        if date_text is not None:
            try:
                on = parse_date(date_text)
                if on > today():
                    row_errors.append(f"dòng {i}, cột “Ngày đánh giá”: ngày ở tương lai")
            except ValueError as e:
                row_errors.append(f"dòng {i}, cột “Ngày đánh giá”: {e}")
        if source_text is not None:
            try:
                source = parse_choice(source_text, manual, "nguồn đánh giá")
            except ValueError as e:
                row_errors.append(f"dòng {i}, cột “Nguồn”: {e}")
        if not row_errors:
            key = (pid, comp, source, on)
            if key in seen:
                row_errors.append(f"dòng {i}, cột “Mã năng lực”: trùng cán bộ, năng lực, nguồn và "
                                  f"ngày đánh giá với dòng {seen[key]}")
            seen.setdefault(key, i)
        errors.extend(row_errors)
        if not row_errors:
            rows.append((officials[pid], comps[comp], source, on, level,
                         row.get("Người đánh giá", "") or assessor))
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
