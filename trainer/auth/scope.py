"""Who may see what. Every view asks these functions; nothing else decides scope.

official: themselves · school: its provider's courses and cohorts, and the officials enrolled in
them · hr: the officials of its unit subtree · admin: everything.
"""
from __future__ import annotations

from functools import wraps

import sqlalchemy as sa
from flask import abort
from flask_login import current_user, login_required

from trainer.extensions import db
from trainer.learning.models import ACTIVE_STATUSES, Cohort, Course, Enrollment
from trainer.org.models import Unit
from trainer.people.models import Official


SCHOOL_VISIBLE_STATUSES = ACTIVE_STATUSES + ("completed", "failed")


def role_required(*roles: str):
    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorator


def unit_subtree_ids(root_id: int) -> list[int]:
    """The unit and all units below it (the unit table is small: one query, walked in memory)."""
    rows = db.session.execute(sa.select(Unit.id, Unit.parent_id)).all()
    children: dict[int | None, list[int]] = {}
    for uid, parent in rows:
        children.setdefault(parent, []).append(uid)
    out, stack = [], [root_id]
    while stack:
        uid = stack.pop()
        out.append(uid)
        stack.extend(children.get(uid, []))
    return out


def is_province_hr(user) -> bool:
    """Province-level decisions (targets, approving plans, unmatched imports) belong to admins
    and to HR accounts on the root of the unit tree (Sở Nội vụ, Ban Tổ chức)."""
    if user.role == "admin":
        return True
    return user.role == "hr" and user.unit is not None and user.unit.parent_id is None


def visible_unit_ids(user) -> list[int] | None:
    """Unit ids an HR user may see; None means all (admin)."""
    if user.role == "admin":
        return None
    if user.role == "hr" and user.unit_id:
        return unit_subtree_ids(user.unit_id)
    return []


def officials_filter(user):
    """A WHERE clause restricting Official rows to the user's scope."""
    if user.role == "admin":
        return sa.true()
    if user.role == "hr":
        return Official.unit_id.in_(visible_unit_ids(user))
    if user.role == "official":
        return Official.id == user.official_id
    if user.role == "school":
        # Only while the official is with the school (asked, approved, seated, waiting, studying)
        # or has a result there (completed, failed: the school issues and replaces certificates):
        # not after a rejection, a withdrawal, a cancellation or a no-show (docs/security.md).
        enrolled = (sa.select(Enrollment.official_id).join(Course, Enrollment.course_id == Course.id)
                    .where(Course.provider_id == user.provider_id,
                           Enrollment.status.in_(SCHOOL_VISIBLE_STATUSES)))
        return Official.id.in_(enrolled)
    return sa.false()


def get_official_or_404(user, official_id: int) -> Official:
    """The official if the user may see them; 404 otherwise (never reveal that they exist)."""
    official = db.session.scalar(
        sa.select(Official).where(Official.id == official_id, officials_filter(user)))
    if official is None:
        abort(404)
    return official


def get_cohort_for_school_or_404(user, cohort_id: int) -> Cohort:
    cohort = db.session.get(Cohort, cohort_id)
    if cohort is None or (user.role != "admin" and cohort.course.provider_id != user.provider_id):
        abort(404)
    return cohort
