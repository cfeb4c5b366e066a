"""Who may see which official and which cohort. Every view asks these functions; nothing else
decides scope (docs/security.md). The units a user may see are the unit tree's rule
(`trainer.org.queries.visible_unit_ids`); this area adds the rules that read enrollments.

official: themselves · school: its provider's courses and cohorts, and the officials enrolled in
them · hr: the officials of its unit subtree · admin: everything.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort

from trainer.catalog.models import Course
from trainer.core.extensions import db
from trainer.learning.models import ACTIVE_STATUSES, Cohort, Enrollment
from trainer.org.queries import every_unit, visible_unit_ids
from trainer.people.models import Official

SCHOOL_VISIBLE_STATUSES = ACTIVE_STATUSES + ("completed", "failed")


def officials_filter(user):
    """A WHERE clause restricting Official rows to the user's scope."""
    if user.role == "admin":
        return sa.true()
    if user.role == "hr":
        units = visible_unit_ids(user)
        # the root's HR of a one-province tree sees every unit: no list of every unit's id in
        # each statement (31,251 parameters at national scale cost seconds to send)
        return sa.true() if every_unit(units) else Official.unit_id.in_(units)
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


def get_official_or_404(user, official_id: int, *options) -> Official:
    """The official if the user may see them; 404 otherwise (never reveal that they exist).
    `options`: loader options (what the page reads of the official, in the same query)."""
    official = db.session.scalar(sa.select(Official).options(*options).where(
        Official.id == official_id, officials_filter(user)))
    if official is None:
        abort(404)
    return official


def get_cohort_for_school_or_404(user, cohort_id: int) -> Cohort:
    cohort = db.session.get(Cohort, cohort_id)
    if cohort is None or (user.role != "admin" and cohort.course.provider_id != user.provider_id):
        abort(404)
    return cohort
