"""Load the standard catalog (courses/) into the database, keyed by codes: loading it again
updates what changed and adds what is new; nothing else is touched. The same upserts serve the
import of one catalog table from an .xlsx/.csv file with Vietnamese headers (`plan_catalog`)."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from courses import Catalog, parse_rows, vocab
from courses.catalog import OPTIONAL_COLUMNS
from trainer.catalog.models import (Competency, Course, CourseCompetency, CourseModule, Position,
                                    PositionField, PositionRequirement, Provider, RegionPriority)
from trainer.core.extensions import db
from trainer.core.tabular import Column, ImportPlan, Table, data_rows


def _by_code(model) -> dict:
    return {row.code: row for row in db.session.scalars(sa.select(model))}


def _upsert(model, existing: dict, code: str, **values):
    row = existing.get(code)
    if row is None:
        row = model(code=code, **values)
        db.session.add(row)
        existing[code] = row
    else:
        for key, value in values.items():
            setattr(row, key, value)
    return row


def sync_catalog(catalog: Catalog) -> dict[str, int]:
    """Upsert the catalog; returns counts per kind. Flushes, never commits."""
    upsert_competencies(catalog.competencies)
    upsert_providers(catalog.providers)
    courses = upsert_courses(catalog.courses)
    upsert_positions(catalog.positions)
    comps = _by_code(Competency)
    db.session.execute(sa.delete(RegionPriority))
    for r in catalog.region_priorities:
        db.session.add(RegionPriority(region=r.region, competency_id=comps[r.competency_code].id,
                                      level_bump=r.level_bump, weight=r.weight,
                                      min_level=r.min_level))
    _sync_modules(catalog, courses)
    db.session.flush()
    return {"competencies": len(catalog.competencies), "providers": len(catalog.providers),
            "courses": len(catalog.courses), "positions": len(catalog.positions),
            "region_priorities": len(catalog.region_priorities), "modules": len(catalog.modules)}


def upsert_competencies(items) -> None:
    comps = _by_code(Competency)
    for c in items:
        _upsert(Competency, comps, c.code, name=c.name, group=c.group, domain=c.domain,
                description=c.description)
    db.session.flush()


def upsert_providers(items) -> None:
    providers = _by_code(Provider)
    for p in items:
        _upsert(Provider, providers, p.code, name=p.name, kind=p.kind)
    db.session.flush()


def upsert_courses(items) -> dict[str, Course]:
    """Courses with what they teach and their prerequisites (which may be courses already
    stored). Returns every course by code."""
    comps, providers, courses = _by_code(Competency), _by_code(Provider), _by_code(Course)
    for c in items:
        kind, level = c.qualification or (None, None)
        course = _upsert(Course, courses, c.code, name=c.name,
                         provider_id=providers[c.provider_code].id, category=c.category,
                         mode=c.mode, hours=c.hours, pass_mark=c.pass_mark,
                         qualification_kind=kind, qualification_level=level,
                         validity_months=c.validity_months, requires_approval=c.requires_approval,
                         cost=c.cost, description=c.description)
        course.teaches = [CourseCompetency(competency_id=comps[code].id, level=level)
                          for code, level in c.competencies.items()]
    db.session.flush()
    for c in items:
        courses[c.code].prerequisites = [courses[code] for code in c.prerequisites]
    db.session.flush()
    return courses


def upsert_positions(items) -> None:
    comps, positions = _by_code(Competency), _by_code(Position)
    for p in items:
        pos = _upsert(Position, positions, p.code, name=p.name, group=p.group,
                      min_education=p.min_education, min_political_theory=p.min_political_theory,
                      min_state_management=p.min_state_management, min_it=p.min_it)
        pos.requirements = [PositionRequirement(competency_id=comps[code].id, level=level)
                            for code, level in p.requirements.items()]
        if p.fields is not None:  # None: the file has no such column, the stored ones stay
            _set_fields(pos, p.fields)
    db.session.flush()


def _set_fields(position: Position, fields) -> None:
    """The fields of study the position accepts (LC-1b), replacing those it had; a field kept
    keeps its row."""
    keep = {f.field: f for f in position.fields}
    position.fields = [keep.get(f) or PositionField(field=f) for f in fields]


def _sync_modules(catalog: Catalog, courses: dict) -> None:
    """Upsert degree modules by (course, code). A module dropped from the file stays: results
    may have been recorded against it (LC-T1, LC-T2)."""
    existing = {(m.course_id, m.code): m for m in db.session.scalars(sa.select(CourseModule))}
    for m in catalog.modules:
        course_id = courses[m.course_code].id
        row = existing.get((course_id, m.code))
        if row is None:
            row = CourseModule(course_id=course_id, code=m.code)
            db.session.add(row)
            existing[(course_id, m.code)] = row
        row.name, row.term, row.hours = m.name, m.term, m.hours


# --- Import files: one catalog table with Vietnamese headers (issue 5, docs/imports.md) ---------

# Header in the file -> column of the catalog table (courses/README.md). Values are those of the
# catalog files: codes or Vietnamese labels for enumerations, "MÃ:mức; MÃ:mức" for levels.
CATALOG_COLUMNS = {
    "competencies": {"Mã năng lực": "code", "Tên năng lực": "name", "Nhóm năng lực": "group",
                     "Lĩnh vực": "domain", "Mô tả": "description"},
    "providers": {"Mã cơ sở đào tạo": "code", "Tên cơ sở đào tạo": "name", "Loại cơ sở": "kind"},
    "courses": {"Mã khóa học": "code", "Tên khóa học": "name", "Mã cơ sở đào tạo": "provider",
                "Loại nội dung": "category", "Hình thức": "mode", "Số tiết": "hours",
                "Điểm đạt": "pass_mark", "Năng lực đạt được": "competencies",
                "Văn bằng, chứng chỉ": "qualification", "Khóa học tiên quyết": "prerequisites",
                "Hiệu lực (tháng)": "validity_months", "Cần phê duyệt": "requires_approval",
                "Kinh phí (đồng/học viên)": "cost", "Mô tả": "description"},
    "positions": {"Mã vị trí việc làm": "code", "Tên vị trí việc làm": "name",
                  "Nhóm vị trí": "group", "Khung năng lực": "requirements",
                  "Trình độ chuyên môn tối thiểu": "min_education",
                  "Lý luận chính trị tối thiểu": "min_political_theory",
                  "Quản lý nhà nước tối thiểu": "min_state_management",
                  "Tin học tối thiểu": "min_it", "Chuyên ngành phù hợp": "fields"},
}
REFERENCES = {"competencies.csv": "danh mục năng lực", "providers.csv": "danh mục cơ sở đào tạo",
              "courses.csv": "danh mục khóa học"}
UPSERT = {"competencies": upsert_competencies, "providers": upsert_providers,
          "courses": upsert_courses, "positions": upsert_positions}


def _catalog_table(table: str) -> Table:
    """A catalog file's columns as a Table (headers, required ones, templates, downloads); its
    cells are validated by the `courses` library's rules (`parse_rows`), the same as the
    standard catalog's files."""
    optional = OPTIONAL_COLUMNS.get(f"{table}.csv", set())
    return Table(tuple(Column(h, c, required=c not in optional)
                       for h, c in CATALOG_COLUMNS[table].items()))


CATALOG_TABLES = {table: _catalog_table(table) for table in CATALOG_COLUMNS}


def _stored(table: str) -> dict[str, tuple]:
    """What is stored, by code, in the shape of the parsed items (to tell unchanged rows)."""
    if table == "competencies":
        return {c.code: (c.name, c.group, c.domain, c.description or "")
                for c in db.session.scalars(sa.select(Competency))}
    if table == "providers":
        return {p.code: (p.name, p.kind) for p in db.session.scalars(sa.select(Provider))}
    if table == "courses":
        providers = {p.id: p.code for p in db.session.scalars(sa.select(Provider))}
        comps = {c.id: c.code for c in db.session.scalars(sa.select(Competency))}
        return {c.code: (c.name, providers[c.provider_id], c.category, c.mode, c.hours,
                         float(c.pass_mark), {comps[t.competency_id]: t.level for t in c.teaches},
                         (c.qualification_kind, c.qualification_level)
                         if c.qualification_kind else None,
                         sorted(p.code for p in c.prerequisites), c.validity_months,
                         c.requires_approval, c.cost, c.description or "")
                for c in db.session.scalars(_with_links(Course))}
    comps = {c.id: c.code for c in db.session.scalars(sa.select(Competency))}
    return {p.code: (p.name, p.group, {comps[r.competency_id]: r.level for r in p.requirements},
                     p.min_education, p.min_political_theory, p.min_state_management, p.min_it,
                     tuple(sorted(f.field for f in p.fields)))
            for p in db.session.scalars(_with_links(Position))}


def _with_links(model):
    """A catalog table with what each row links to, loaded in a few queries (not one per row)."""
    if model is Course:
        return sa.select(Course).options(
            selectinload(Course.provider), selectinload(Course.prerequisites),
            selectinload(Course.teaches).selectinload(CourseCompetency.competency))
    if model is Position:
        return sa.select(Position).options(
            selectinload(Position.requirements).selectinload(PositionRequirement.competency),
            selectinload(Position.fields))
    return sa.select(model)


def _shape(table: str, item, before: tuple | None = None) -> tuple:
    if table == "competencies":
        return (item.name, item.group, item.domain, item.description)
    if table == "providers":
        return (item.name, item.kind)
    if table == "courses":
        return (item.name, item.provider_code, item.category, item.mode, item.hours,
                float(item.pass_mark), dict(item.competencies), item.qualification,
                sorted(item.prerequisites), item.validity_months, item.requires_approval,
                item.cost, item.description)
    # A file without the fields column keeps the stored fields: they are not a change.
    fields = (tuple(sorted(item.fields)) if item.fields is not None
              else (before[-1] if before else ()))
    return (item.name, item.group, dict(item.requirements), item.min_education,
            item.min_political_theory, item.min_state_management, item.min_it, fields)


def plan_catalog(table: str, df, filename: str = "tệp") -> ImportPlan:
    """One catalog table (competencies, providers, courses or positions with their competency
    framework) from an import file, keyed by code, validated with the rules of the catalog files:
    references may name codes of the file or of the stored catalog. Writes nothing; the plan's
    action upserts the new and changed rows (nothing is deleted)."""
    CATALOG_TABLES[table].check_headers(df, filename)
    columns = CATALOG_COLUMNS[table]
    records = [(i, {columns[h]: v for h, v in row.items() if h in columns})
               for i, row in data_rows(df)]
    stored = _stored(table)
    known_courses = {c.code: tuple(p.code for p in c.prerequisites)
                     for c in db.session.scalars(_with_links(Course))}
    items, errors = parse_rows(
        table, records, labels={c: h for h, c in columns.items()}, refs=REFERENCES,
        competencies=set(db.session.scalars(sa.select(Competency.code))),
        providers=set(db.session.scalars(sa.select(Provider.code))), courses=known_courses)
    plan = ImportPlan(rows=len(records), errors=errors)
    changed = []
    for item in items:
        if item is None:
            continue
        before = stored.get(item.code)
        if before is None:
            plan.created += 1
        elif before != _shape(table, item, before):
            plan.updated += 1
        else:
            plan.unchanged += 1
            continue
        changed.append(item)
    plan.actions.append(lambda: UPSERT[table](changed))
    return plan


def _label(scale, code: str) -> str:
    return dict(scale).get(code, code)


def _levels_text(levels: dict[str, int]) -> str:
    return "; ".join(f"{code}:{level}" for code, level in sorted(levels.items()))


def catalog_records(table: str, limit: int | None = None) -> list[dict[str, str]]:
    """The stored table by field, as its import file writes it (the Vietnamese labels of
    enumerations): the example row of the template, or with CATALOG_TABLES[table].download the
    whole table to edit in Excel and import again — a round trip that changes nothing."""
    order = {"competencies": Competency, "providers": Provider, "courses": Course,
             "positions": Position}[table]
    query = _with_links(order).order_by(order.code).limit(limit)
    out = []
    for row in db.session.scalars(query):
        if table == "competencies":
            values = {"code": row.code, "name": row.name,
                      "group": _label(vocab.COMPETENCY_GROUPS, row.group),
                      "domain": _label(vocab.COMPETENCY_DOMAINS, row.domain),
                      "description": row.description or ""}
        elif table == "providers":
            values = {"code": row.code, "name": row.name,
                      "kind": _label(vocab.PROVIDER_KINDS, row.kind)}
        elif table == "courses":
            values = {"code": row.code, "name": row.name, "provider": row.provider.code,
                      "category": _label(vocab.COURSE_CATEGORIES, row.category),
                      "mode": _label(vocab.MODES, row.mode), "hours": str(row.hours),
                      "pass_mark": f"{row.pass_mark:g}".replace(".", ","),
                      "competencies": _levels_text({t.competency.code: t.level
                                                    for t in row.teaches}),
                      "qualification": f"{row.qualification_kind}:{row.qualification_level}"
                      if row.qualification_kind else "",
                      "prerequisites": "; ".join(sorted(p.code for p in row.prerequisites)),
                      "validity_months": str(row.validity_months or ""),
                      "requires_approval": "có" if row.requires_approval else "không",
                      "cost": str(row.cost or 0), "description": row.description or ""}
        else:
            values = {"code": row.code, "name": row.name,
                      "group": _label(vocab.POSITION_GROUPS, row.group),
                      "requirements": _levels_text({r.competency.code: r.level
                                                    for r in row.requirements}),
                      "min_education": _label(vocab.EDUCATION, row.min_education),
                      "min_political_theory": _label(vocab.POLITICAL_THEORY,
                                                     row.min_political_theory),
                      "min_state_management": _label(vocab.STATE_MANAGEMENT,
                                                     row.min_state_management),
                      "min_it": _label(vocab.IT_LEVEL, row.min_it),
                      "fields": "; ".join(f.field for f in row.fields)}
        out.append(values)
    return out
