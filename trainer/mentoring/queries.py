"""What the mentoring pages and the areas above read: the mentorships of a scope, of an
official, the ones a supervisor confirms, and the counts by unit (one grouped query)."""
from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
from sqlalchemy import orm

from trainer.core.extensions import db
from trainer.mentoring.models import MentoringSession, Mentorship
from trainer.mentoring.operations import confirmer_of
from trainer.org.models import Unit
from trainer.org.queries import every_unit, unit_subtree_ids
from trainer.people.models import Official, UnitLeader

LIST_LIMIT = 500  # rows of HR's list on one page (the report counts them all)

def _load():
    """What the lists show of each mentorship, in the same query."""
    return (orm.joinedload(Mentorship.mentor).joinedload(Official.unit),
            orm.joinedload(Mentorship.mentee).joinedload(Official.unit),
            orm.joinedload(Mentorship.competency))


def _mentee_in(unit_scope):
    """Mentorships whose mentee works in `unit_scope` (None, or every unit: no condition)."""
    if unit_scope is None or every_unit(unit_scope):
        return sa.true()
    return Mentorship.mentee_id.in_(sa.select(Official.id).where(
        Official.unit_id.in_(unit_scope)))


def mentorships_in(unit_scope, *, status: str | None = None,
                   limit: int = LIST_LIMIT) -> list[Mentorship]:
    """HR's list: the mentorships of mentees in scope, active first, newest first."""
    q = (sa.select(Mentorship).options(*_load()).where(_mentee_in(unit_scope))
         .order_by((Mentorship.status != "active"), Mentorship.start_date.desc(),
                   Mentorship.id.desc()).limit(limit))
    if status:
        q = q.where(Mentorship.status == status)
    return list(db.session.scalars(q))


def mentorships_page(unit_scope, *, status: str | None, page: int,
                     per_page: int) -> tuple[list[Mentorship], int]:
    """One page of the scope's mentorships (the JSON API), in the list's order, and the total."""
    where = [_mentee_in(unit_scope)] + ([Mentorship.status == status] if status else [])
    total = db.session.scalar(sa.select(sa.func.count(Mentorship.id)).where(*where)) or 0
    items = list(db.session.scalars(
        sa.select(Mentorship).options(*_load()).where(*where)
        .order_by((Mentorship.status != "active"), Mentorship.start_date.desc(),
                  Mentorship.id.desc()).offset((page - 1) * per_page).limit(per_page)))
    return items, total


def mentorships_of(official_id: int) -> dict[str, list[Mentorship]]:
    """An official's mentorships: as mentee (`mentee`) and as mentor (`mentor`), active first."""
    rows = db.session.scalars(sa.select(Mentorship).options(*_load()).where(sa.or_(
        Mentorship.mentee_id == official_id, Mentorship.mentor_id == official_id))
        .order_by((Mentorship.status != "active"), Mentorship.start_date.desc()))
    out: dict[str, list[Mentorship]] = {"mentee": [], "mentor": []}
    for m in rows:
        out["mentee" if m.mentee_id == official_id else "mentor"].append(m)
    return out


def to_confirm_by(official_id: int) -> list[Mentorship]:
    """Active mentorships whose mentee's supervisor is this official: those of the units they
    lead and below, each checked against the one supervisor rule."""
    led = list(db.session.scalars(sa.select(UnitLeader.unit_id).where(
        UnitLeader.official_id == official_id)))
    if not led:
        return []
    units = sorted({u for unit_id in led for u in unit_subtree_ids(unit_id)})
    candidates = db.session.scalars(sa.select(Mentorship).options(*_load()).where(
        Mentorship.status == "active", _mentee_in(units)).order_by(Mentorship.end_date))
    return [m for m in candidates if (c := confirmer_of(m)) is not None and c.id == official_id]


def takes_part(official_id: int) -> bool:
    """Whether the official's menu shows "Kèm cặp": they mentor, are mentored, or lead a unit
    (and so may confirm)."""
    involved = sa.select(Mentorship.id).where(sa.or_(
        Mentorship.mentee_id == official_id, Mentorship.mentor_id == official_id)).limit(1)
    leads = sa.select(UnitLeader.unit_id).where(UnitLeader.official_id == official_id).limit(1)
    return (db.session.scalar(involved) is not None
            or db.session.scalar(leads) is not None)


def session_totals(mentorship_ids) -> dict[int, tuple[int, int]]:
    """(sessions, minutes) of each mentorship, one grouped query."""
    ids = list(mentorship_ids)
    if not ids:
        return {}
    rows = db.session.execute(sa.select(
        MentoringSession.mentorship_id, sa.func.count(MentoringSession.id),
        sa.func.coalesce(sa.func.sum(MentoringSession.minutes), 0))
        .where(MentoringSession.mentorship_id.in_(ids))
        .group_by(MentoringSession.mentorship_id))
    return {m: (int(n), int(minutes)) for m, n, minutes in rows}


REPORT_COLUMNS = ["unit_id", "unit", "code", "active", "closed", "cancelled", "sessions",
                  "minutes", "reached"]


def counts_by_unit(unit_scope) -> pd.DataFrame:
    """Per unit of the mentee (within `unit_scope`, None: all): active, closed and cancelled
    mentorships, sessions logged, their minutes, and the closed ones that reached their target
    level. One grouped SQL statement (the sessions summed per mentorship in a subquery, so a
    mentorship counts once)."""
    per = (sa.select(MentoringSession.mentorship_id.label("mid"),
                     sa.func.count(MentoringSession.id).label("n"),
                     sa.func.sum(MentoringSession.minutes).label("minutes"))
           .group_by(MentoringSession.mentorship_id).subquery())

    def count(cond):
        return sa.func.sum(sa.case((cond, 1), else_=0))
    q = (sa.select(Unit.id, Unit.name, Unit.code,
                   count(Mentorship.status == "active"), count(Mentorship.status == "closed"),
                   count(Mentorship.status == "cancelled"),
                   sa.func.coalesce(sa.func.sum(per.c.n), 0),
                   sa.func.coalesce(sa.func.sum(per.c.minutes), 0),
                   count(sa.and_(Mentorship.status == "closed",
                                 Mentorship.reached_level >= Mentorship.target_level)))
         .select_from(Mentorship)
         .join(Official, Official.id == Mentorship.mentee_id)
         .join(Unit, Unit.id == Official.unit_id)
         .outerjoin(per, per.c.mid == Mentorship.id)
         .group_by(Unit.id, Unit.name, Unit.code).order_by(Unit.code))
    if unit_scope is not None and not every_unit(unit_scope):
        q = q.where(Official.unit_id.in_(unit_scope))
    frame = pd.DataFrame(db.session.execute(q).all(), columns=REPORT_COLUMNS)
    for c in REPORT_COLUMNS[3:]:
        frame[c] = frame[c].astype(int)
    return frame
