from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from trainer.catalog.models import Course
from trainer.core.display import fold
from trainer.core.extensions import db
from trainer.core.params import arg_id
from trainer.core.views_util import one_commit, role_required
from trainer.core.text import clean
from trainer.learning import operations as ops
from trainer.learning.access import get_official_or_404, officials_filter
from trainer.learning.forms import DecisionForm
from trainer.learning.models import Cohort, Enrollment
from trainer.people.models import Official

bp = Blueprint("learning", __name__)


def open_cohorts_by_course(course_ids) -> dict[int, list[tuple[Cohort, int]]]:
    """{course id: [(cohort, seats left), …]} of the cohorts still taking enrollments, in one
    query for all the courses (ops.open_cohorts)."""
    out: dict[int, list[tuple[Cohort, int]]] = {}
    for cohort, seats in ops.open_cohorts(list(course_ids)):
        out.setdefault(cohort.course_id, []).append((cohort, seats))
    return out


@bp.app_context_processor
def _enroll_helpers():
    # Pages that show a course to enroll in without their view knowing it (the qualification
    # gaps of records/_qualifications.html) find its open cohorts through this one call.
    return {"open_cohorts_by_course": open_cohorts_by_course}


def _may_enroll(user) -> bool:
    return user.role == "official" and user.official_id is not None


@bp.route("/khoa-hoc")
@login_required
def catalog():
    """The catalog, each course with its open cohorts and seats left; an official enrolls from
    here through the same endpoint and rules as from the learning path."""
    q = clean(request.args.get("q"))
    courses = db.session.scalars(sa.select(Course).order_by(Course.category, Course.name)).all()
    if q:
        needle = fold(q)
        courses = [c for c in courses if needle in fold(c.name) or needle in fold(c.code)]
    return render_template("learning/catalog.html", courses=courses, q=q,
                           cohorts=open_cohorts_by_course(c.id for c in courses),
                           can_enroll=_may_enroll(current_user))


@bp.route("/dang-ky", methods=["POST"])
@role_required("official")
def enroll():
    official = get_official_or_404(current_user, current_user.official_id)
    cohort = course = None
    cohort_id = arg_id("cohort_id", source=request.form)
    course_id = arg_id("course_id", source=request.form)
    if cohort_id:
        cohort = db.session.get(Cohort, cohort_id)
    elif course_id:
        course = db.session.get(Course, course_id)
    if cohort is None and course is None:
        abort(404)
    with one_commit() as outcome:
        away = ops.away_warning(official, cohort)
        enrollment = ops.enroll_official(official, cohort=cohort, course=course)
    if outcome["ok"]:
        name = enrollment.course.name
        messages = {"requested": f"Đã gửi đăng ký “{name}”, chờ đơn vị duyệt.",
                    "waitlisted": f"Lớp đã đủ chỗ: bạn ở danh sách chờ của “{name}”."}
        flash(messages.get(enrollment.status, f"Đã đăng ký “{name}”."), "success")
        if away:
            flash(away, "warning")
    return redirect(url_for("learning.my_courses"))


@bp.route("/khoa-hoc-cua-toi")
@role_required("official")
def my_courses():
    official = get_official_or_404(current_user, current_user.official_id)
    enrollments = db.session.scalars(sa.select(Enrollment).where(
        Enrollment.official_id == official.id).order_by(Enrollment.created_at.desc())).all()
    return render_template("learning/my_courses.html", official=official, enrollments=enrollments)


@bp.route("/dang-ky/<int:enrollment_id>/rut", methods=["POST"])
@role_required("official")
def withdraw(enrollment_id: int):
    enrollment = db.session.get(Enrollment, enrollment_id)
    if enrollment is None or enrollment.official_id != current_user.official_id:
        abort(404)
    with one_commit(f"Đã rút đăng ký “{enrollment.course.name}”."):
        ops.withdraw_enrollment(enrollment, enrollment.official)
    return redirect(url_for("learning.my_courses"))


@bp.route("/duyet-dang-ky")
@role_required("hr", "admin")
def approvals():
    """Requests waiting for the unit's HR (courses that need approval), oldest first."""
    pending = db.session.scalars(sa.select(Enrollment).join(Official).where(
        Enrollment.status == "requested", officials_filter(current_user))
        .order_by(Enrollment.created_at)).all()
    return render_template("learning/approvals.html", pending=pending)


@bp.route("/duyet-dang-ky/<int:enrollment_id>", methods=["POST"])
@role_required("hr", "admin")
def decide(enrollment_id: int):
    enrollment = db.session.get(Enrollment, enrollment_id)
    if enrollment is None:
        abort(404)
    get_official_or_404(current_user, enrollment.official_id)  # in the HR's scope, or 404
    name, course = enrollment.official.full_name, enrollment.course.name
    form = DecisionForm()
    approve = form.decision.data == "approve"
    with one_commit(f"Đã {'duyệt' if approve else 'từ chối'} đăng ký của {name} (“{course}”).") \
            as outcome:
        away = ops.away_warning(enrollment.official, enrollment.cohort) if approve else None
        ops.decide_enrollment(enrollment, approve=approve, actor=current_user.display_name,
                              reason=form.reason.data or "")
    if outcome["ok"] and away:
        flash(away, "warning")
    return redirect(url_for("learning.approvals"))
