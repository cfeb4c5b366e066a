"""Course and lecturer feedback (issue 13 §4), /phan-hoi.

official: /phan-hoi/nhan-xet/<enrollment> — their answer about a course they completed.
school (its own courses), HR and admin: /phan-hoi — averages by course, class and lecturer from
MIN_ANSWERS answers up; /phan-hoi/khoa-hoc/<course> — a course's comments (school, province HR,
admin); /phan-hoi/excel — the same tables as a workbook."""
from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, url_for
from flask_login import current_user

from trainer.core.errors import DomainError
from trainer.core.exports import xlsx_response
from trainer.core.extensions import db
from trainer.core.timeutil import utcnow
from trainer.core.views_util import one_commit, role_required
from trainer.feedback import operations as ops
from trainer.feedback import queries
from trainer.feedback.forms import FeedbackForm
from trainer.feedback.models import EDIT_DAYS, MIN_ANSWERS, QUESTIONS, SCALES
from trainer.learning.models import Enrollment

bp = Blueprint("feedback", __name__)
READERS = ("school", "hr", "admin")


@bp.app_context_processor
def _given():
    """For the official's list of courses (templates/learning/_enrollments.html)."""
    return {"feedback_given": queries.given_for}


def _own_enrollment_or_404(enrollment_id: int) -> Enrollment:
    enrollment = db.session.get(Enrollment, enrollment_id)
    if enrollment is None or enrollment.official_id != current_user.official_id:
        abort(404)  # another learner's course: never say it exists
    return enrollment


@bp.route("/phan-hoi/nhan-xet/<int:enrollment_id>", methods=["GET", "POST"])
@role_required("official")
def answer(enrollment_id: int):
    enrollment = _own_enrollment_or_404(enrollment_id)
    existing = ops.feedback_of(enrollment)
    locked = existing is not None and utcnow() > ops.editable_until(existing)
    try:
        ops.check_may_answer(enrollment, current_user.official_id)
    except DomainError as e:
        return render_template("feedback/answer.html", enrollment=enrollment, refused=str(e),
                               form=None, existing=existing, locked=locked), 409
    form = FeedbackForm(obj=existing)
    if not locked and form.validate_on_submit():
        with one_commit("Cảm ơn bạn đã nhận xét khóa học." if existing is None
                        else "Đã lưu nhận xét đã sửa.") as outcome:
            ops.give_feedback(enrollment, official_id=current_user.official_id,
                              answers=form.answers(), comment=form.comment.data or "")
        if outcome["ok"]:
            return redirect(url_for("learning.my_courses"))
    status = 400 if form.errors else 200
    return render_template("feedback/answer.html", enrollment=enrollment, form=form,
                           existing=existing, locked=locked, refused=None,
                           until=ops.editable_until(existing) if existing else None,
                           edit_days=EDIT_DAYS, min_answers=MIN_ANSWERS, scales=SCALES), status


def _scope() -> queries.Scope:
    scope = queries.scope_for(current_user)
    if scope is None:
        abort(403)
    return scope


@bp.route("/phan-hoi")
@role_required(*READERS)
def averages():
    scope = _scope()
    return render_template("feedback/averages.html", scope=scope, questions=QUESTIONS,
                           courses=queries.by_course(scope).to_dict("records"),
                           cohorts=queries.by_cohort(scope).to_dict("records"),
                           lecturers=queries.by_lecturer(scope).to_dict("records"),
                           min_answers=MIN_ANSWERS, not_enough=queries.NOT_ENOUGH)


@bp.route("/phan-hoi/khoa-hoc/<int:course_id>")
@role_required(*READERS)
def comments(course_id: int):
    scope = _scope()
    course = queries.course_in_scope(scope, course_id)
    if course is None:
        abort(404)
    if not scope.comments:
        abort(403)
    return render_template("feedback/comments.html", course=course,
                           comments=queries.comments_on(course.id), min_answers=MIN_ANSWERS,
                           shown=queries.COMMENTS_SHOWN, not_enough=queries.NOT_ENOUGH)


@bp.route("/phan-hoi/excel")
@role_required(*READERS)
def export():
    scope = _scope()
    if scope.provider_id is not None:
        unit = current_user.provider.name if current_user.provider else ""
    else:
        unit = current_user.unit.name if current_user.unit else "Toàn tỉnh"
    return xlsx_response(queries.export_frames(scope),
                         title=f"Ý kiến học viên về khóa học và giảng viên (từ {MIN_ANSWERS} "
                               f"ý kiến trở lên)",
                         unit=unit, filename="y-kien-hoc-vien.xlsx")
