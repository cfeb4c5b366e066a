"""An official's record and the officials' list: /toi (my competencies, path, classes, who
saw my record) and /can-bo (HR's list with filters, an official's record, recording an
assessment). The pages compose the areas below: guidance, learning, audit."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import orm
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from trainer.audit import operations as audit_ops
from trainer.audit.models import ACTIONS
from trainer.auth.models import ROLES
from trainer.catalog.models import Competency
from trainer.core import events
from trainer.core.extensions import db
from trainer.core.forms_util import options
from trainer.core.params import MAX_PAGE, arg_choice, arg_id, arg_int, link_args
from trainer.core.views_util import one_commit, role_required
from trainer.guidance.operations import catalogue, guidance_for
from trainer.jobs import operations as jobs
from trainer.jobs.views import offer
from trainer.learning.access import get_official_or_404, officials_filter
from trainer.learning.models import Enrollment
from trainer.learning.operations import open_cohorts
from trainer.learning.queries import qualification_status
from trainer.org.queries import visible_unit_ids
from trainer.people import operations as ops
from trainer.people.models import Assessment, Official
from trainer.people.periods import period_label
from trainer.people.ratings import record_rating
from trainer.records import queries
from trainer.records.forms import AssessmentForm, OfficialFilterForm, RatingForm
from trainer.core.settings import young_age_limit
from trainer.core.timeutil import today
from trainer.reports.forms import group_choices

bp = Blueprint("records", __name__)
PAGE = 50
HR = ("hr", "admin")
# The filtered list in Excel: 4–5 s at 10,000 officials, so a background job (docs/jobs.md).
jobs.register_export("records.officials", "Danh sách cán bộ, công chức (Excel)",
                     endpoint="records.officials", roles=HR)


def _guidance_context(official: Official) -> dict:
    guidance = guidance_for(official)
    path_ids = [s.course_id for s in guidance.path]
    cohorts = open_cohorts(path_ids)
    mentor_ids = [m[0] for m in guidance.mentors]
    mentors = {o.id: o for o in db.session.scalars(sa.select(Official).options(
        orm.joinedload(Official.unit)).where(Official.id.in_(mentor_ids)))}  # names and units
    enrollments = list(db.session.scalars(sa.select(Enrollment).where(
        Enrollment.official_id == official.id).order_by(Enrollment.created_at.desc())))
    online_ids = catalogue().online_course_ids & set(path_ids)
    return dict(official=official, guidance=guidance, cohorts=cohorts, mentors=mentors,
                enrollments=enrollments, online_ids=online_ids,
                qualifications=qualification_status(official))


@bp.route("/toi")
@role_required("official")
def me():
    official = get_official_or_404(current_user, current_user.official_id,
                                   orm.joinedload(Official.position))
    return render_template("records/me.html", **_guidance_context(official))


@bp.route("/can-bo")
@role_required(*HR)
def officials():
    """The officials in scope, filtered; `?format=xlsx` exports the whole filtered list. The gap
    reports link here with `group` (young / female / minority), `region` and `exact` (the unit
    alone, without its departments) so that a heatmap cell and its list count the same people."""
    # Read before the form: a SelectField takes any integer, and one beyond 32 bits would reach
    # the query (a server error); an unknown format is refused rather than ignored.
    for name in ("unit", "position", "gap"):
        arg_id(name)
    arg_int("page", min=1, max=MAX_PAGE, default=1)
    export = arg_choice("format", ("xlsx",))
    if export and not jobs.running():  # the whole list is a background job (trainer/jobs)
        return offer("records.officials")
    form = OfficialFilterForm(request.args)
    _set_choices(form, queries.filter_choices(visible_unit_ids(current_user)))
    form.validate()
    young_age = young_age_limit()
    groups = dict(group_choices(young_age))
    group = request.args.get("group") if request.args.get("group") in groups else ""
    exact = bool(request.args.get("exact"))
    where = queries.officials_where(
        officials_filter(current_user), unit_id=form.unit.data, exact=exact,
        position_id=form.position.data, group=group, region=request.args.get("region") or None,
        young_age=young_age)
    if any(v for k, v in request.args.items() if k != "page"):
        events.audit_access("search", detail=request.query_string.decode("utf-8", "replace"))
    df = queries.officials_found(where, gap_id=form.gap.data, q=form.q.data)
    group_label = groups[group] if group else ""
    if export:  # the whole filtered list, the filters in the title (built by the worker)
        jobs.progress(50, f"Đang lập danh sách {len(df)} cán bộ")
        return jobs.ExportFile({"Cán bộ, công chức": queries.export_frame(df)},
                               title=_export_title(form, group_label),
                               unit=queries.export_unit_name(form.unit.data,
                                                             current_user.unit_id),
                               filename="can-bo.xlsx")
    page = max(1, form.page.data or 1)
    rows, total, pages = queries.page_of(df, page, PAGE)
    return render_template("records/officials.html", form=form, rows=rows, total=total, page=page,
                           pages=pages, args=link_args("page", "format"), group_label=group_label,
                           exact=exact)


def _set_choices(form: OfficialFilterForm, choices: queries.FilterChoices) -> None:
    form.unit.choices = options([(0, "Tất cả")] + [(u.id, u.name) for u in choices.units])
    form.position.choices = options([(0, "Tất cả")] + [(p.id, p.name)
                                                        for p in choices.positions])
    form.gap.choices = options([(0, "Bất kỳ")] + [(c.id, c.name) for c in choices.competencies])


def _export_title(form: OfficialFilterForm, group_label: str) -> str:
    """The export's title: the list, then the filters by name (position, missing competency,
    priority group)."""
    parts = [{c.value: c.label for c in f.choices}.get(f.data, "")
             for f in (form.position, form.gap) if f.data]
    if form.gap.data:
        parts[-1] = "thiếu " + parts[-1]
    parts += [group_label] if group_label else []
    return "Danh sách cán bộ, công chức" + (" — " + ", ".join(parts) if parts else "")


def _competency_choices(form: AssessmentForm, official: Official) -> None:
    required = [r.competency for r in official.position.requirements] if official.position else []
    others = db.session.scalars(sa.select(Competency).order_by(Competency.name)).all()
    form.competency_id.choices = options([(c.id, c.name) for c in required] + [
        (c.id, c.name) for c in others if c not in required])


@bp.route("/can-bo/<int:official_id>", methods=["GET", "POST"])
@role_required(*HR)
def official(official_id: int):
    official = get_official_or_404(current_user, official_id)
    if request.method == "GET":
        events.audit_access("official_view", subject_type="official", subject_id=official.id)
    form = AssessmentForm()
    _competency_choices(form, official)
    if form.validate_on_submit():
        with one_commit("Đã ghi kết quả đánh giá."):
            ops.record_assessment(official, db.session.get(Competency, form.competency_id.data),
                                  form.level.data, source=form.source.data,
                                  assessor=current_user.display_name, on=form.assessed_on.data)
        return redirect(url_for("records.official", official_id=official.id))
    return _render_official(official, form, _rating_form())


def _rating_form(formdata=None) -> RatingForm:
    form = RatingForm(formdata, prefix="rating")
    if form.year.data is None:
        form.year.data = today().year
    return form


def _render_official(official: Official, form: AssessmentForm, rating_form: RatingForm):
    history = db.session.scalars(sa.select(Assessment).where(Assessment.official_id == official.id)
                                 .order_by(Assessment.assessed_on.desc(), Assessment.id.desc())).all()
    return render_template("records/official.html", form=form, history=history,
                           rating_form=rating_form,
                           rating_groups=queries.ratings_with_reviews(official.id),
                           **_guidance_context(official))


@bp.route("/can-bo/<int:official_id>/xep-loai", methods=["POST"])
@role_required(*HR)
def rate_official(official_id: int):
    """HR records a rating for a period (KH-7); the same period again updates it."""
    official = get_official_or_404(current_user, official_id)
    rating_form = _rating_form(request.form)
    if rating_form.validate():
        f = rating_form
        with one_commit() as outcome:
            rating, new = record_rating(
                official, kind=f.period.data, no=0 if f.period.data == "year" else f.period_no.data,
                year=f.year.data, rating=f.rating.data, note=f.note.data)
            label = period_label(rating.period, rating.period_no, rating.year)
        if outcome["ok"]:
            flash(f"Đã {'ghi' if new else 'cập nhật'} xếp loại {label}.", "success")
            return redirect(url_for("records.official", official_id=official.id) + "#xep-loai")
    form = AssessmentForm(formdata=None)
    _competency_choices(form, official)
    return _render_official(official, form, rating_form), 400


@bp.route("/toi/ai-da-xem")
@role_required("official")
def my_viewers():
    """An official sees who opened, searched or changed their record (Nghị định 13/2023)."""
    seen = audit_ops.viewers_of(current_user.official_id)
    return render_template("records/my_viewers.html", events=seen, actions=dict(ACTIONS),
                           roles=dict(ROLES))
