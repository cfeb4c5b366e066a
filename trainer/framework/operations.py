"""Load the standard catalog (courses/) into the database, keyed by codes: loading it again
updates what changed and adds what is new; nothing else is touched."""
from __future__ import annotations

import sqlalchemy as sa

from courses import Catalog
from trainer.extensions import db
from trainer.framework.models import Competency, Position, PositionRequirement, RegionPriority
from trainer.learning.models import Course, CourseCompetency, CourseModule, Provider


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
    comps = _by_code(Competency)
    for c in catalog.competencies:
        _upsert(Competency, comps, c.code, name=c.name, group=c.group, domain=c.domain,
                description=c.description)
    providers = _by_code(Provider)
    for p in catalog.providers:
        _upsert(Provider, providers, p.code, name=p.name, kind=p.kind)
    db.session.flush()

    courses = _by_code(Course)
    for c in catalog.courses:
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
    for c in catalog.courses:
        courses[c.code].prerequisites = [courses[code] for code in c.prerequisites]

    positions = _by_code(Position)
    for p in catalog.positions:
        pos = _upsert(Position, positions, p.code, name=p.name, group=p.group,
                      min_education=p.min_education, min_political_theory=p.min_political_theory,
                      min_state_management=p.min_state_management, min_it=p.min_it)
        pos.requirements = [PositionRequirement(competency_id=comps[code].id, level=level)
                            for code, level in p.requirements.items()]
    db.session.execute(sa.delete(RegionPriority))
    for r in catalog.region_priorities:
        db.session.add(RegionPriority(region=r.region, competency_id=comps[r.competency_code].id,
                                      level_bump=r.level_bump, weight=r.weight))
    _sync_modules(catalog, courses)
    db.session.flush()
    return {"competencies": len(catalog.competencies), "providers": len(catalog.providers),
            "courses": len(catalog.courses), "positions": len(catalog.positions),
            "region_priorities": len(catalog.region_priorities), "modules": len(catalog.modules)}


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
