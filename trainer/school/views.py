"""Training school screens: its courses and cohorts, opening a cohort, the roster and results."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from trainer.audit import operations as audit
from trainer.auth.scope import get_cohort_for_school_or_404, role_required
from trainer.cohorts.operations import attendance_rates, ineligible_reasons
from trainer.errors import DomainError
from trainer.extensions import db
from trainer.learning import operations as ops
from trainer.learning.models import SEAT_STATUSES, Cohort, Course, Enrollment
from trainer.forms_util import options
from trainer.params import arg_id
from trainer.school.forms import CancelForm, CohortForm
from trainer.views_util import one_commit

bp = Blueprint("school", __name__, url_prefix="/truong")
SCHOOL = ("school", "admin")


def _own_courses():
    q = sa.select(Course).order_by(Course.name)
    if current_user.role != "admin":
        q = q.where(Course.provider_id == current_user.provider_id)
    return db.session.scalars(q).all()


@bp.route("/")
@role_required(*SCHOOL)
def home():
    courses = _own_courses()
    ids = [c.id for c in courses]
    # Learners per cohort: those holding a seat now, or who finished (passed or not).
    taken = dict(db.session.execute(
        sa.select(Enrollment.cohort_id, sa.func.count(Enrollment.id))
        .where(Enrollment.status.in_(SEAT_STATUSES + ("completed", "failed")))
        .group_by(Enrollment.cohort_id)).all())
    cohorts = db.session.scalars(sa.select(Cohort).where(Cohort.course_id.in_(ids))
                                 .order_by(Cohort.start_date.desc())).all()
    return render_template("school/home.html", courses=courses, cohorts=cohorts, taken=taken)


@bp.route("/lop/moi", methods=["GET", "POST"])
@role_required(*SCHOOL)
def new_cohort():
    form = CohortForm()
    courses = _own_courses()
    form.course_id.choices = options((c.id, c.name) for c in courses)
    if request.method == "GET" and arg_id("course"):
        form.course_id.data = arg_id("course")
    if form.validate_on_submit():
        course = next(c for c in courses if c.id == form.course_id.data)
        with one_commit(f"Đã mở lớp {form.code.data}.") as outcome:
            cohort = ops.create_cohort(course, code=form.code.data.strip(),
                                       start_date=form.start_date.data,
                                       end_date=form.end_date.data, capacity=form.capacity.data,
                                       location=form.location.data.strip(), mode=form.mode.data,
                                       enrollment_deadline=form.enrollment_deadline.data)
        if outcome["ok"]:
            return redirect(url_for("school.cohort", cohort_id=cohort.id))
    return render_template("school/new_cohort.html", form=form)


@bp.route("/lop/<int:cohort_id>", methods=["GET", "POST"])
@role_required(*SCHOOL)
def cohort(cohort_id: int):
    cohort = get_cohort_for_school_or_404(current_user, cohort_id)
    if request.method == "POST":
        with one_commit() as outcome:
            results = _parse_results(request.form)
            n = ops.record_results(cohort, results, assessor=current_user.display_name)
        if outcome["ok"]:
            flash(f"Đã ghi kết quả cho {n} học viên.", "success")
        return redirect(url_for("school.cohort", cohort_id=cohort.id))
    roster = sorted(cohort.enrollments, key=lambda e: e.official.full_name)
    audit.record_access("official_view", subject_type="cohort", subject_id=cohort.id,
                        detail=f"danh sách học viên lớp {cohort.code} ({len(roster)} người)")
    return render_template("school/cohort.html", cohort=cohort, roster=roster,
                           closes=ops.enrollment_closes(cohort),
                           seats=cohort.capacity - ops.seats_taken(cohort),
                           rates=attendance_rates(cohort), reasons=ineligible_reasons(cohort),
                           cancel_form=CancelForm())


def _parse_results(form) -> dict[int, tuple[str, float | None]]:
    """Form fields outcome-<id> (completed/failed/blank) and score-<id> (0–10, comma allowed)."""
    results, errors = {}, []
    for key, outcome in form.items():
        if not key.startswith("outcome-") or outcome not in ("completed", "failed"):
            continue
        suffix = key.split("-", 1)[1]
        if not (suffix.isascii() and suffix.isdigit() and len(suffix) <= 10):
            errors.append(f"Trường “{key[:30]}” không hợp lệ.")
            continue
        enrollment_id = int(suffix)
        text = form.get(f"score-{enrollment_id}", "").strip().replace(",", ".")
        try:
            score = float(text) if text else None
        except ValueError:
            errors.append(f"Điểm “{text}” không phải là số.")
            continue
        results[enrollment_id] = (outcome, score)
    if errors:
        raise DomainError(" ".join(errors))
    if not results:
        raise DomainError("Chưa chọn kết quả cho học viên nào.")
    return results


@bp.route("/lop/<int:cohort_id>/khai-giang", methods=["POST"])
@role_required(*SCHOOL)
def start(cohort_id: int):
    cohort = get_cohort_for_school_or_404(current_user, cohort_id)
    with one_commit(f"Lớp {cohort.code} đã khai giảng: học viên chuyển sang “Đang học”."):
        ops.start_cohort(cohort)
    return redirect(url_for("school.cohort", cohort_id=cohort.id))


@bp.route("/lop/<int:cohort_id>/ket-thuc", methods=["POST"])
@role_required(*SCHOOL)
def finish(cohort_id: int):
    cohort = get_cohort_for_school_or_404(current_user, cohort_id)
    with one_commit(f"Lớp {cohort.code} đã kết thúc."):
        ops.finish_cohort(cohort)
    return redirect(url_for("school.cohort", cohort_id=cohort.id))


@bp.route("/lop/<int:cohort_id>/huy", methods=["POST"])
@role_required(*SCHOOL)
def cancel(cohort_id: int):
    cohort = get_cohort_for_school_or_404(current_user, cohort_id)
    form = CancelForm()
    if not form.validate_on_submit():
        flash("Cần ghi lý do hủy lớp.", "danger")
    else:
        with one_commit() as outcome:
            n = ops.cancel_cohort(cohort, reason=form.reason.data)
        if outcome["ok"]:
            flash(f"Đã hủy lớp {cohort.code} và báo cho {n} học viên.", "success")
    return redirect(url_for("school.cohort", cohort_id=cohort.id))


@bp.route("/dang-ky/<int:enrollment_id>/vang", methods=["POST"])
@role_required(*SCHOOL)
def no_show(enrollment_id: int):
    enrollment = db.session.get(Enrollment, enrollment_id)
    if enrollment is None or enrollment.cohort_id is None:
        abort(404)
    cohort = get_cohort_for_school_or_404(current_user, enrollment.cohort_id)
    with one_commit(f"Đã ghi {enrollment.official.full_name} không tham gia lớp."):
        ops.mark_no_show(enrollment)
    return redirect(url_for("school.cohort", cohort_id=cohort.id))
