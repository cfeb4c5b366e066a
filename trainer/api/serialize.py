"""Rows and operation results → plain JSON-ready dicts. Each function's shape is the component
schema of the same name in openapi.py (a test validates real responses against it)."""
from __future__ import annotations

import math
from datetime import date, datetime

from trainer.catalog.models import Course
from trainer.learning.models import Cohort, Enrollment
from trainer.learning.operations import enrollment_closes, waitlist_position
from trainer.people.models import Official
from trainer.people.periods import period_end, period_label
from trainer.people.ratings import ratings_of


def _date(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _datetime(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:  # SQLite returns naive datetimes; they are stored in UTC
        return value.isoformat() + "Z"
    return value.isoformat()


def _number(value) -> float | None:
    """A finite float or None (pandas hands back NaN for "no value")."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def official(o: Official) -> dict:
    return {
        "id": o.id, "code": o.code, "full_name": o.full_name, "birth_date": _date(o.birth_date),
        "gender": o.gender, "ethnicity": o.ethnicity, "email": o.email or None,
        "unit": {"id": o.unit.id, "code": o.unit.code, "name": o.unit.name},
        "position": ({"id": o.position.id, "code": o.position.code, "name": o.position.name}
                     if o.position else None),
    }


def official_detail(o: Official, qualifications: list[dict]) -> dict:
    return official(o) | {
        "education": o.education, "political_theory": o.political_theory,
        "state_management": o.state_management, "it_level": o.it_level,
        "digital_signature": bool(o.digital_signature),
        "record_digitised": bool(o.record_digitised),
        "qualifications": [{"label": q["label"], "have": q["have"], "need": q["need"] or None,
                            "ok": bool(q["ok"])} for q in qualifications],
        "ratings": [rating(r) for r in ratings_of(o.id)],  # KH-7: by period, latest first
        "updated_at": _datetime(o.updated_at),
    }


def rating(r) -> dict:
    return {"year": r.year, "period": r.period, "period_no": r.period_no,
            "period_label": period_label(r.period, r.period_no, r.year),
            "period_end": _date(period_end(r.period, r.period_no, r.year)),
            "rating": r.rating, "note": r.note or ""}


def gap(g) -> dict:
    return {"competency_id": g.competency_id, "name": g.name, "group": g.group,
            "required": g.required, "current": g.current, "gap": g.gap}


def course(c: Course) -> dict:
    return {
        "id": c.id, "code": c.code, "name": c.name,
        "provider": {"id": c.provider.id, "code": c.provider.code, "name": c.provider.name},
        "category": c.category, "mode": c.mode, "hours": c.hours, "pass_mark": c.pass_mark,
        "requires_approval": bool(c.requires_approval), "validity_months": c.validity_months,
        "qualification_kind": c.qualification_kind, "qualification_level": c.qualification_level,
        "cost": c.cost, "description": c.description or "",
    }


def cohort(c: Cohort, seats_left: int) -> dict:
    return {
        "id": c.id, "code": c.code,
        "course": {"id": c.course.id, "code": c.course.code, "name": c.course.name},
        "start_date": _date(c.start_date), "end_date": _date(c.end_date),
        "enrollment_closes": _date(enrollment_closes(c)), "capacity": c.capacity,
        "seats_left": max(0, seats_left), "location": c.location or "", "mode": c.mode,
        "status": c.status,
    }


def path_step(step, cohorts: list[dict]) -> dict:
    return {"course_id": step.course_id, "name": step.name, "hours": step.hours,
            "explanation": step.explanation, "open_cohorts": cohorts}


def enrollment(e: Enrollment) -> dict:
    return {
        "id": e.id,
        "official": {"id": e.official.id, "code": e.official.code,
                     "full_name": e.official.full_name},
        "course": {"id": e.course.id, "code": e.course.code, "name": e.course.name},
        "cohort_id": e.cohort_id, "status": e.status, "score": _number(e.score),
        "completed_on": _date(e.completed_on),
        "waitlist_position": waitlist_position(e) if e.status == "waitlisted" else None,
        "created_at": _datetime(e.created_at),
    }


def target(outlook, *, detail: bool = False, texts: tuple[str, str] | None = None) -> dict:
    p, t = outlook.progress, outlook.progress.target
    out = {
        "code": t.code, "title": t.title, "source": t.source or "",
        "threshold": float(t.threshold), "deadline": _date(t.deadline),
        "counted": int(p.counted), "total": int(p.total), "percent": round(p.percent, 2),
        "met": bool(p.met), "by_unit": bool(p.by_unit), "status": outlook.status,
        "status_label": outlook.status_label, "forecast": _date(outlook.forecast),
    }
    if detail:
        population_text, criterion_text = texts
        out |= {
            "note": t.note or "", "population_text": population_text,
            "criterion_text": criterion_text, "pace": _round(outlook.pace),
            "forecast_with_cohorts": _date(outlook.forecast_with_cohorts),
            "per_unit": [{"unit_id": _int(r["unit_id"]),
                          "unit_name": r["unit_name"] if isinstance(r["unit_name"], str) else "",
                          "counted": int(r["counted"]), "total": int(r["total"]),
                          "percent": round(_number(r["percent"]) or 0.0, 2),
                          "rank": int(r["rank"])} for r in p.per_unit.to_dict("records")],
        }
    return out


def _int(value) -> int | None:
    number = _number(value)
    return int(number) if number is not None else None


def _round(value) -> float | None:
    number = _number(value)
    return round(number, 2) if number is not None else None


def course_feedback(row: dict) -> dict:
    """A row of feedback.queries.by_course: hidden measures stay null."""
    return {"course_id": int(row["course_id"]), "code": row["course_code"],
            "name": row["course_name"], "provider": row["provider_name"],
            "answers": _int(row["answers"]),
            **{key: _round(row[key]) for key in ("fit", "lecturers", "materials", "use_at_work")}}


def _review_totals(t) -> dict:
    return {"participants": t.participants, "submitted": t.submitted, "confirmed": t.confirmed,
            "share_confirmed": round(t.share_confirmed, 1)}


def review_campaign(c, totals, *, units=None) -> dict:
    """ReviewCampaign (list) or ReviewCampaignDetail (with `units`: reviews.queries rows)."""
    out = {"id": c.id, "name": c.name, "status": c.status,
           "period_start": _date(c.period_start), "period_end": _date(c.period_end),
           "unit_ids": [int(u) for u in c.unit_ids or []],
           "position_codes": list(c.position_codes or []),
           "competency_codes": list(c.competency_codes or []),
           "closed_at": _datetime(c.closed_at), **_review_totals(totals)}
    if units is not None:
        out["units"] = [{"unit_id": int(r.unit_id), "name": r.name, "depth": r.depth,
                         **_review_totals(r.total)} for r in units]
    return out


def _person(o: Official) -> dict:
    return {"id": o.id, "code": o.code, "full_name": o.full_name,
            "unit": {"id": o.unit.id, "code": o.unit.code, "name": o.unit.name}}


def mentorship(m, totals: tuple[int, int]) -> dict:
    """Mentorship: a pairing (trainer.mentoring) with its sessions' count and minutes."""
    return {"id": m.id, "status": m.status,
            "competency": {"id": m.competency.id, "code": m.competency.code,
                           "name": m.competency.name},
            "mentee": _person(m.mentee), "mentor": _person(m.mentor),
            "target_level": m.target_level, "start_date": _date(m.start_date),
            "end_date": _date(m.end_date), "closed_on": _date(m.closed_on),
            "reached_level": m.reached_level, "confirmed_by": m.confirmed_by or None,
            "sessions": totals[0], "minutes": totals[1]}
