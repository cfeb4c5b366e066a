"""Demand → cohorts, and commissioned training (đặt hàng, KH-4) (issue 3).

School (admin: any provider): /truong/nhu-cau, /truong/nhu-cau/<course>, …/de-xuat,
/truong/dat-hang. HR: /dat-hang.
"""
from __future__ import annotations

import numpy as np
import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from trainer.catalog.models import Course, Provider
from trainer.core.extensions import db
from trainer.core.forms_util import options
from trainer.core.params import arg_id, form_ids
from trainer.core.views_util import one_commit, role_required
from trainer.demand import operations as ops
from trainer.demand.forms import (WEIGHT_LABELS, CommissionForm, CreateCohortsForm,
                                  ProposalParamsForm, RejectForm, ScheduleForm)
from trainer.demand.models import REQUEST_STATUSES, CohortRequest
from trainer.learning.access import officials_filter
from trainer.org.models import Unit
from trainer.org.queries import visible_unit_ids
from trainer.people.models import Official

bp = Blueprint("demand", __name__)
SCHOOL = ("school", "admin")
SORTS = {"need": "need", "unplaced": "unplaced", "registered": "registered", "code": "code"}


def _school_provider_id() -> int | None:
    """The provider a school acts for; an admin picks one (None: all providers)."""
    if current_user.role == "school":
        return current_user.provider_id
    return arg_id("provider") or None


def _scope_provider_id() -> int | None:
    """For operations' own check: None for an admin (any provider)."""
    return current_user.provider_id if current_user.role == "school" else None


def _course_or_404(course_id: int) -> Course:
    course = db.session.get(Course, course_id)
    if course is None or (current_user.role == "school"
                          and course.provider_id != current_user.provider_id):
        abort(404)
    return course


def _request_for_school_or_404(request_id: int) -> CohortRequest:
    req = db.session.get(CohortRequest, request_id)
    if req is None or (current_user.role == "school"
                       and req.course.provider_id != current_user.provider_id):
        abort(404)
    return req


# --------------------------------------------------------------------------- demand


@bp.route("/truong/nhu-cau")
@role_required(*SCHOOL)
def overview():
    provider_id = _school_provider_id()
    if current_user.role == "school" and provider_id is None:
        abort(403)
    report = ops.demand_report(provider_id)
    sort = SORTS.get(request.args.get("sap-xep", "need"), "need")
    table = report.courses.sort_values([sort, "code"], ascending=[sort == "code", True])
    communes = {cid: g for cid, g in report.communes[report.communes["need"] > 0]
                .groupby("course_id")}
    providers = db.session.scalars(sa.select(Provider).order_by(Provider.name)).all() \
        if current_user.role == "admin" else []
    return render_template("demand/overview.html", rows=table.to_dict("records"),
                           communes=communes, sort=sort, providers=providers,
                           provider_id=provider_id, regions=ops.REGION_LABELS)


@bp.route("/truong/nhu-cau/<int:course_id>")
@role_required(*SCHOOL)
def course(course_id: int):
    course = _course_or_404(course_id)
    report = ops.demand_report(course.provider_id)
    row = report.courses[report.courses["course_id"] == course.id].iloc[0].to_dict()
    communes = report.communes[report.communes["course_id"] == course.id]
    regions = (communes.groupby("region")[["need", "registered", "in_open_cohort"]].sum()
               .assign(communes=communes[communes["need"] > 0].groupby("region")["commune_id"]
                       .nunique()).fillna(0).astype("int64")
               .sort_values("need", ascending=False).reset_index())
    return render_template("demand/course.html", course=course, row=row,
                           regions=regions.to_dict("records"),
                           communes=communes.to_dict("records"), region_labels=ops.REGION_LABELS)


@bp.route("/truong/nhu-cau/<int:course_id>/de-xuat", methods=["GET", "POST"])
@role_required(*SCHOOL)
def proposals(course_id: int):
    course = _course_or_404(course_id)
    weights, young_age = ops.priority_settings()
    defaults = {f"w_{k}": v for k, v in weights.items()}
    if request.method == "POST":
        params = form = CreateCohortsForm(data=defaults)
        form_ok = form.validate()
        params_ok = not any(f"w_{k}" in form.errors for k in WEIGHT_LABELS) \
            and "class_size" not in form.errors
    else:
        params = ProposalParamsForm(request.args, data=defaults, meta={"csrf": False})
        if request.args and not params.validate():
            params.class_size.data = 30
            for key, value in weights.items():
                getattr(params, f"w_{key}").data = value
        form = CreateCohortsForm(formdata=None, data=defaults | {
            "class_size": params.class_size.data, "code_prefix": course.code,
            "mode": course.mode} | {f"w_{k}": v for k, v in params.weights().items()})
        form_ok, params_ok = False, True
    proposed = []
    if params_ok:
        proposed = ops.propose_cohorts(course, class_size=params.class_size.data,
                                       weights=params.weights(), young_age=young_age)
    if request.method == "POST" and form_ok:
        with one_commit() as outcome:
            cohorts = ops.create_proposed_cohorts(
                course, proposed, code_prefix=form.code_prefix.data,
                start_date=form.start_date.data, end_date=form.end_date.data,
                capacity=form.class_size.data, location=form.location.data.strip(),
                mode=form.mode.data, enrollment_deadline=form.enrollment_deadline.data,
                provider_id=_scope_provider_id())
        if outcome["ok"]:
            invited = sum(p.size for p in proposed)
            flash(f"Đã mở {len(cohorts)} lớp ({', '.join(c.code for c in cohorts)}) và gửi lời mời "
                  f"đến {invited} cán bộ.", "success")
            return redirect(url_for("cohorts.home"))
    return render_template("demand/proposals.html", course=course, params=params, form=form,
                           proposals=proposed, young_age=young_age, weight_labels=WEIGHT_LABELS)


# --------------------------------------------------------------------------- commissioning: HR


def _hr_requests():
    units = visible_unit_ids(current_user)
    return db.session.scalars(sa.select(CohortRequest).where(CohortRequest.unit_id.in_(units))
                              .order_by(CohortRequest.created_at.desc(),
                                        CohortRequest.id.desc())).all()


@bp.route("/dat-hang")
@role_required("hr")
def requests():
    return render_template("demand/requests.html", requests=_hr_requests(),
                           request_statuses=REQUEST_STATUSES)


@bp.route("/dat-hang/moi", methods=["GET", "POST"])
@role_required("hr")
def new_request():
    unit = db.session.get(Unit, current_user.unit_id) if current_user.unit_id else None
    if unit is None:
        abort(403)
    form = CommissionForm()
    courses = db.session.scalars(sa.select(Course).order_by(Course.name)).all()
    form.course_id.choices = options([(0, "— Chọn khóa học —")] + [
        (c.id, f"{c.name} ({c.provider.name})") for c in courses])
    course_id = (arg_id("course_id", default=0, source=request.form) if request.method == "POST"
                 else arg_id("course", default=0))
    course = db.session.get(Course, course_id) if course_id else None
    if request.method == "GET":
        form.course_id.data = course_id
    if request.method == "POST" and form.validate():
        if course is None:
            flash("Chưa chọn khóa học.", "danger")
        else:
            ids = form_ids("official_ids")
            chosen = db.session.scalars(sa.select(Official).where(
                Official.id.in_(ids), officials_filter(current_user))).all()
            if len(chosen) < len(ids):
                # A missing id and one outside the scope get the same answer: nobody learns
                # which officials exist.
                abort(404)
            with one_commit("Đã gửi yêu cầu đặt hàng đến cơ sở đào tạo.") as outcome:
                ops.commission_training(unit, course, chosen,
                                        requested_by=current_user.display_name,
                                        note=form.note.data or "")
            if outcome["ok"]:
                return redirect(url_for("demand.requests"))
    candidates = []
    show_all = request.args.get("tat-ca") == "1"
    if course is not None:
        needs = ops.compute_needs(officials_filter(current_user))
        need = needs.need[:, needs.column(course.id)]
        people = needs.people.assign(needs_course=need, row=np.arange(len(need)))
        if not show_all:
            people = people[people["needs_course"]]
        candidates = (people.reset_index().rename(columns={"index": "id"})
                      .sort_values(["unit_name", "full_name"]).to_dict("records"))
    selected = set(form.official_ids.data or [])
    return render_template("demand/new_request.html", form=form, course=course, unit=unit,
                           candidates=candidates, selected=selected, show_all=show_all)


# --------------------------------------------------------------------------- commissioning: school


@bp.route("/truong/dat-hang")
@role_required(*SCHOOL)
def school_requests():
    q = sa.select(CohortRequest).join(Course, Course.id == CohortRequest.course_id)
    if current_user.role == "school":
        q = q.where(Course.provider_id == current_user.provider_id)
    status = request.args.get("trang-thai", "")
    if status in dict(REQUEST_STATUSES):
        q = q.where(CohortRequest.status == status)
    reqs = db.session.scalars(q.order_by(CohortRequest.created_at.desc(),
                                         CohortRequest.id.desc())).all()
    return render_template("demand/school_requests.html", requests=reqs, status=status,
                           request_statuses=REQUEST_STATUSES)


@bp.route("/truong/dat-hang/<int:request_id>")
@role_required(*SCHOOL)
def school_request(request_id: int):
    req = _request_for_school_or_404(request_id)
    schedule = ScheduleForm(data={"capacity": len(req.officials), "mode": req.course.mode,
                                  "code": f"{req.course.code}-DH{req.id}"})
    return render_template("demand/request.html", req=req, reject=RejectForm(),
                           schedule=schedule, request_statuses=REQUEST_STATUSES)


@bp.route("/truong/dat-hang/<int:request_id>/nhan", methods=["POST"])
@role_required(*SCHOOL)
def accept(request_id: int):
    req = _request_for_school_or_404(request_id)
    with one_commit("Đã nhận yêu cầu đặt hàng. Hãy xếp lớp cho yêu cầu này."):
        ops.accept_request(req, provider_id=_scope_provider_id())
    return redirect(url_for("demand.school_request", request_id=req.id))


@bp.route("/truong/dat-hang/<int:request_id>/tu-choi", methods=["POST"])
@role_required(*SCHOOL)
def reject(request_id: int):
    req = _request_for_school_or_404(request_id)
    form = RejectForm()
    if not form.validate():
        flash(" ".join(e for errors in form.errors.values() for e in errors), "danger")
    else:
        with one_commit("Đã từ chối yêu cầu đặt hàng."):
            ops.reject_request(req, response=form.response.data,
                               provider_id=_scope_provider_id())
    return redirect(url_for("demand.school_request", request_id=req.id))


@bp.route("/truong/dat-hang/<int:request_id>/xep-lop", methods=["POST"])
@role_required(*SCHOOL)
def schedule(request_id: int):
    req = _request_for_school_or_404(request_id)
    form = ScheduleForm()
    if not form.validate():
        return render_template("demand/request.html", req=req, reject=RejectForm(formdata=None),
                               schedule=form, request_statuses=REQUEST_STATUSES), 400
    with one_commit() as outcome:
        result = ops.schedule_request(req, code=form.code.data, start_date=form.start_date.data,
                                      end_date=form.end_date.data, capacity=form.capacity.data,
                                      location=form.location.data.strip(), mode=form.mode.data,
                                      provider_id=_scope_provider_id())
    if outcome["ok"]:
        message = f"Đã mở lớp {result.cohort.code} và ghi danh {len(result.enrolled)} cán bộ."
        if result.skipped:
            message += (" Bỏ qua (đã đăng ký hoặc đã hoàn thành khóa này): "
                        + ", ".join(o.full_name for o in result.skipped) + ".")
        flash(message, "success" if not result.skipped else "warning")
    return redirect(url_for("demand.school_request", request_id=req.id))
