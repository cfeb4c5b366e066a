"""Annual training plans (HT-8, LC-9) and post-training reviews (KH-6) (issue 4).

HR (its unit subtree) and admin: /danh-gia-sau-dao-tao, /ke-hoach, /ke-hoach/<id>.
Province HR (HR of the root unit) and admin: approve/return, /ke-hoach/tong-hop.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from trainer.core.exports import xlsx_response
from trainer.core.extensions import db
from trainer.core.forms_util import options
from trainer.core.params import YEAR_MAX, YEAR_MIN, arg_int
from trainer.core.timeutil import today
from trainer.core.views_util import one_commit, role_required
from trainer.learning.access import get_official_or_404, officials_filter
from trainer.learning.models import Enrollment
from trainer.org.models import Unit
from trainer.org.queries import COMMUNE_KINDS, visible_unit_ids
from trainer.plans import operations as ops
from trainer.plans.forms import DraftForm, NoteForm, QuarterForm, ReturnForm, review_form
from trainer.plans.models import (PLAN_STATUSES, REVIEW_OUTCOMES, USE_AT_WORK_SCALE, TrainingPlan,
                                  TrainingPlanItem)

bp = Blueprint("plans", __name__)
HR = ("hr", "admin")
REVIEWS_SHOWN = 100  # forms on one page; the rest follow once these are done


@bp.app_context_processor
def _official_reviews():
    """For the official's record (templates/people/official.html): their past reviews."""
    return {"post_training_reviews": ops.reviews_of, "review_outcomes": REVIEW_OUTCOMES,
            "use_at_work_scale": USE_AT_WORK_SCALE}


# --------------------------------------------------------------------------- KH-6 reviews


def _render_reviews(failed: tuple[int, object] | None = None):
    due = ops.due_reviews(officials_filter(current_user))
    shown = due.head(REVIEWS_SHOWN)
    taught = ops.taught_by(shown["course_id"].unique())
    rows = []
    for r in shown.itertuples():
        if failed and failed[0] == r.enrollment_id:
            form = failed[1]
        else:
            form = review_form(taught.get(r.course_id, []), formdata=None,
                               data={"reviewed_on": today()}, prefix=f"r{r.enrollment_id}")
        rows.append((r, form))
    return render_template("plans/reviews.html", rows=rows, total=len(due),
                           months=ops.review_after_months(),
                           flagged=ops.officials_flagged_no_change(officials_filter(current_user)))


@bp.route("/danh-gia-sau-dao-tao")
@role_required(*HR)
def reviews():
    return _render_reviews()


@bp.route("/danh-gia-sau-dao-tao/<int:enrollment_id>", methods=["POST"])
@role_required(*HR)
def record_review(enrollment_id: int):
    enrollment = db.session.get(Enrollment, enrollment_id)
    if enrollment is None:
        abort(404)
    get_official_or_404(current_user, enrollment.official_id)  # scope
    taught = ops.taught_by([enrollment.course_id]).get(enrollment.course_id, [])
    form = review_form(taught, prefix=f"r{enrollment_id}")
    if not form.validate_on_submit():
        return _render_reviews(failed=(enrollment_id, form)), 400
    with one_commit(f"Đã ghi đánh giá sau đào tạo của {enrollment.official.full_name}."):
        ops.record_review(enrollment, outcome=form.outcome.data, levels=form.levels(),
                          reviewer=current_user.display_name, on=form.reviewed_on.data,
                          use_at_work=int(form.use_at_work.data),
                          note=form.note.data or "")
    return redirect(url_for("plans.reviews"))


# --------------------------------------------------------------------------- plans


def _plan_or_404(plan_id: int) -> TrainingPlan:
    plan = db.session.get(TrainingPlan, plan_id)
    scope = visible_unit_ids(current_user)
    if plan is None or (scope is not None and plan.unit_id not in scope):
        abort(404)
    return plan


def _item_or_404(plan: TrainingPlan, item_id: int) -> TrainingPlanItem:
    item = db.session.get(TrainingPlanItem, item_id)
    if item is None or item.plan_id != plan.id:
        abort(404)
    return item


def _draft_units() -> list[Unit]:
    """Units the user may draft a plan for: the communes in scope (or their own unit)."""
    scope = visible_unit_ids(current_user)
    q = (sa.select(Unit).where(Unit.kind != "province", Unit.closed_on.is_(None))
         .order_by(Unit.name))  # a merged unit drafts nothing
    if scope is not None:
        q = q.where(Unit.id.in_(scope))
    units = db.session.scalars(q).all()
    return [u for u in units if u.kind in COMMUNE_KINDS or u.id == current_user.unit_id]


def _year_arg() -> int:
    return arg_int("nam", min=YEAR_MIN, max=YEAR_MAX, default=today().year + 1)


@bp.route("/ke-hoach")
@role_required(*HR)
def index():
    year = _year_arg()
    form = DraftForm(formdata=None, data={"year": year})
    form.unit_id.choices = options([(u.id, u.name) for u in _draft_units()])
    rows = ops.plans_overview(year, visible_unit_ids(current_user))
    return render_template("plans/index.html", rows=rows, year=year, form=form,
                           deadline=ops.submission_deadline(year), statuses=PLAN_STATUSES,
                           can_decide=ops.can_decide(current_user), today=today())


@bp.route("/ke-hoach/tao", methods=["POST"])
@role_required(*HR)
def draft():
    form = DraftForm()
    units = _draft_units()
    form.unit_id.choices = options([(u.id, u.name) for u in units])
    if not form.validate_on_submit():
        for errors in form.errors.values():
            flash(" ".join(errors), "danger")
        return redirect(url_for("plans.index"))
    unit = next(u for u in units if u.id == form.unit_id.data)
    plan = None
    with one_commit(f"Đã tạo dự thảo kế hoạch năm {form.year.data} của {unit.name}.") as outcome:
        plan = ops.draft_plan(unit, form.year.data)
    if not outcome["ok"]:
        return redirect(url_for("plans.index", nam=form.year.data))
    return redirect(url_for("plans.detail", plan_id=plan.id))


@bp.route("/ke-hoach/<int:plan_id>")
@role_required(*HR)
def detail(plan_id: int):
    plan = _plan_or_404(plan_id)
    return render_template(
        "plans/detail.html", plan=plan, totals=ops.plan_totals(plan),
        deadline=ops.submission_deadline(plan.year), late=ops.is_late(plan),
        editable=plan.status in ops.EDITABLE, can_decide=ops.can_decide(current_user),
        quarter_labels=ops.QUARTER_LABELS, statuses=PLAN_STATUSES, return_form=ReturnForm(),
        quarter_form=QuarterForm, note_form=NoteForm)


def _back(plan: TrainingPlan):
    return redirect(url_for("plans.detail", plan_id=plan.id))


@bp.route("/ke-hoach/<int:plan_id>/dong/<int:item_id>/quy", methods=["POST"])
@role_required(*HR)
def set_quarter(plan_id: int, item_id: int):
    plan = _plan_or_404(plan_id)
    item = _item_or_404(plan, item_id)
    form = QuarterForm()
    if form.validate_on_submit():
        label = ops.QUARTER_LABELS[form.quarter.data]
        with one_commit(f"Đã chuyển “{item.course.name}” sang {label}."):
            ops.set_item_quarter(item, form.quarter.data)
    else:
        flash("Quý phải từ I đến IV.", "danger")
    return _back(plan)


@bp.route("/ke-hoach/<int:plan_id>/dong/<int:item_id>/ghi-chu", methods=["POST"])
@role_required(*HR)
def set_note(plan_id: int, item_id: int):
    plan = _plan_or_404(plan_id)
    item = _item_or_404(plan, item_id)
    form = NoteForm()
    if form.validate_on_submit():
        with one_commit("Đã lưu ghi chú."):
            ops.set_item_note(item, form.note.data or "")
    else:
        flash("Ghi chú tối đa 1000 ký tự.", "danger")
    return _back(plan)


@bp.route("/ke-hoach/<int:plan_id>/dong/<int:item_id>/xoa", methods=["POST"])
@role_required(*HR)
def remove_item(plan_id: int, item_id: int):
    plan = _plan_or_404(plan_id)
    item = _item_or_404(plan, item_id)
    name = item.course.name
    with one_commit(f"Đã bỏ “{name}” khỏi kế hoạch."):
        ops.remove_item(item)
    return _back(plan)


@bp.route("/ke-hoach/<int:plan_id>/dong/<int:item_id>/bo/<int:official_id>", methods=["POST"])
@role_required(*HR)
def remove_official(plan_id: int, item_id: int, official_id: int):
    plan = _plan_or_404(plan_id)
    item = _item_or_404(plan, item_id)
    # Only someone on this line, and in the user's scope, is named (a 404 otherwise).
    official = next((o for o in item.officials if o.id == official_id), None)
    if official is None:
        abort(404)
    get_official_or_404(current_user, official.id)
    name, course = official.full_name, item.course.name
    with one_commit(f"Đã bỏ {name} khỏi “{course}”."):
        ops.remove_item_official(item, official)
    return _back(plan)


@bp.route("/ke-hoach/<int:plan_id>/gui", methods=["POST"])
@role_required(*HR)
def submit(plan_id: int):
    plan = _plan_or_404(plan_id)
    with one_commit("Đã gửi kế hoạch lên tỉnh.") as outcome:
        late = ops.submit_plan(plan)
    if outcome["ok"] and late:
        flash(f"Kế hoạch gửi sau hạn {ops.submission_deadline(plan.year):%d/%m/%Y}: "
              f"đã ghi nhận là gửi muộn.", "warning")
    return _back(plan)


@bp.route("/ke-hoach/<int:plan_id>/phe-duyet", methods=["POST"])
@role_required(*HR)
def approve(plan_id: int):
    plan = _plan_or_404(plan_id)
    if not ops.can_decide(current_user):
        abort(403)
    with one_commit("Đã phê duyệt kế hoạch."):
        ops.approve_plan(plan, actor=current_user)
    return _back(plan)


@bp.route("/ke-hoach/<int:plan_id>/tra-lai", methods=["POST"])
@role_required(*HR)
def return_plan(plan_id: int):
    plan = _plan_or_404(plan_id)
    if not ops.can_decide(current_user):
        abort(403)
    form = ReturnForm()
    if form.validate_on_submit():
        with one_commit("Đã trả lại kế hoạch cho đơn vị."):
            ops.return_plan(plan, actor=current_user, comment=form.comment.data)
    else:
        flash("Cần ghi ý kiến khi trả lại kế hoạch.", "danger")
    return _back(plan)


@bp.route("/ke-hoach/<int:plan_id>/excel")
@role_required(*HR)
def plan_excel(plan_id: int):
    plan = _plan_or_404(plan_id)
    return xlsx_response(ops.plan_frames(plan),
                         title=f"Kế hoạch đào tạo, bồi dưỡng năm {plan.year}",
                         unit=plan.unit.name,
                         filename=f"ke-hoach-{plan.year}-{plan.unit.code}.xlsx")


def _province_only() -> None:
    if not ops.can_decide(current_user):
        abort(403)


@bp.route("/ke-hoach/tong-hop")
@role_required(*HR)
def aggregate():
    _province_only()
    year = arg_int("year", min=YEAR_MIN, max=YEAR_MAX) or _year_arg()
    table = ops.aggregate_demand(year)
    return render_template("plans/aggregate.html", year=year, rows=table.to_dict("records"),
                           totals=table[["q1", "q2", "q3", "q4", "total", "cost"]].sum().to_dict(),
                           counts=ops.plan_status_counts(year), statuses=PLAN_STATUSES)


@bp.route("/ke-hoach/tong-hop/excel")
@role_required(*HR)
def aggregate_excel():
    _province_only()
    year = arg_int("year", min=YEAR_MIN, max=YEAR_MAX) or _year_arg()
    unit = current_user.unit.name if current_user.unit else "Toàn tỉnh"
    return xlsx_response({"Tổng hợp nhu cầu": ops.aggregate_frame(ops.aggregate_demand(year))},
                         title=f"Tổng hợp nhu cầu đào tạo, bồi dưỡng năm {year} "
                               f"(kế hoạch đã gửi và đã phê duyệt)",
                         unit=unit, filename=f"tong-hop-nhu-cau-{year}.xlsx")
