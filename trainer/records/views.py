"""An official's record and the officials' list: /toi (my competencies, path, classes, who
saw my record) and /can-bo (HR's list with filters, an official's record, recording an
assessment). The pages compose the areas below: guidance, learning, audit."""
from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user

from courses import vocab
from trainer.audit import operations as audit_ops
from trainer.audit.models import ACTIONS
from trainer.auth.models import ROLES
from trainer.catalog.models import Competency, Course, Position
from trainer.core import events
from trainer.core.display import fold, name_key
from trainer.core.exports import xlsx_response
from trainer.core.extensions import db
from trainer.core.forms_util import options
from trainer.core.params import MAX_PAGE, arg_choice, arg_id, arg_int, link_args
from trainer.core.views_util import one_commit, role_required
from trainer.guidance.operations import guidance_for, load_catalogue, load_population
from trainer.learning.access import get_official_or_404, officials_filter
from trainer.learning.models import Enrollment
from trainer.learning.operations import open_cohorts
from trainer.learning.queries import officials_frame, qualification_status
from trainer.org.models import Unit
from trainer.org.queries import unit_subtree_ids, visible_unit_ids
from trainer.people import operations as ops
from trainer.people.models import Assessment, Official
from trainer.records.forms import AssessmentForm, OfficialFilterForm
from trainer.reports.operations import Filters, filter_clause
from trainer.core.settings import young_age_limit
from trainer.reports.forms import group_choices

bp = Blueprint("records", __name__)
PAGE = 50
HR = ("hr", "admin")


def _guidance_context(official: Official) -> dict:
    guidance = guidance_for(official)
    path_ids = [s.course_id for s in guidance.path]
    cohorts = open_cohorts(path_ids)
    mentor_ids = [m[0] for m in guidance.mentors]
    mentors = {o.id: o for o in db.session.scalars(sa.select(Official).where(Official.id.in_(mentor_ids)))}
    enrollments = list(db.session.scalars(sa.select(Enrollment).where(
        Enrollment.official_id == official.id).order_by(Enrollment.created_at.desc())))
    online_ids = set(db.session.scalars(sa.select(Course.id).where(
        Course.id.in_(path_ids), Course.mode == "online")))
    return dict(official=official, guidance=guidance, cohorts=cohorts, mentors=mentors,
                enrollments=enrollments, online_ids=online_ids,
                qualifications=qualification_status(official))


@bp.route("/toi")
@role_required("official")
def me():
    official = get_official_or_404(current_user, current_user.official_id)
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
    form = OfficialFilterForm(request.args)
    unit_ids = visible_unit_ids(current_user)
    units = db.session.scalars(sa.select(Unit).where(
        Unit.id.in_(unit_ids) if unit_ids is not None else sa.true(),
        Unit.closed_on.is_(None)).order_by(Unit.code)).all()  # a merged unit holds nobody
    form.unit.choices = options([(0, "Tất cả")] + [(u.id, u.name) for u in units])
    form.position.choices = options([(0, "Tất cả")] + [
        (p.id, p.name) for p in db.session.scalars(sa.select(Position).order_by(Position.name))])
    competencies = db.session.scalars(sa.select(Competency).order_by(Competency.name)).all()
    form.gap.choices = options([(0, "Bất kỳ")] + [(c.id, c.name) for c in competencies])
    form.validate()
    groups = dict(group_choices(young_age_limit()))
    group = request.args.get("group") if request.args.get("group") in groups else ""
    region = request.args.get("region") or None
    where = officials_filter(current_user)
    if form.unit.data:  # the unit and everything under it (`exact`: the unit alone)
        sub = [form.unit.data] if request.args.get("exact") else unit_subtree_ids(form.unit.data)
        where = sa.and_(where, Official.unit_id.in_(sub))
    if form.position.data:
        where = sa.and_(where, Official.position_id == form.position.data)
    if group or region:
        where = sa.and_(where, filter_clause(Filters(region=region, group=group or None,
                                                     young_age=young_age_limit())))
    if any(v for k, v in request.args.items() if k != "page"):
        events.audit_access("search", detail=request.query_string.decode("utf-8", "replace"))
    df = officials_frame(where)
    cat = load_catalogue()
    pop = load_population(cat, where)
    gaps = pop.gaps
    n_gaps = dict(zip(pop.official_ids.tolist(), (gaps > 0).sum(axis=1).tolist()))
    df["gaps"] = df["id"].map(n_gaps).fillna(0).astype(int)
    if form.gap.data and form.gap.data in cat.comp_index:
        col = gaps[:, cat.comp_index[form.gap.data]] > 0
        df = df[df["id"].isin(pop.official_ids[col])]
    if form.q.data:
        needle = fold(form.q.data)
        df = df[(df["full_name"].map(fold).str.contains(needle, regex=False))
                | df["code"].str.casefold().str.contains(needle, regex=False)]
    df = (df.assign(_key=df["full_name"].map(name_key))
          .sort_values(["commune_name", "_key"]).drop(columns="_key"))
    if export:  # the whole filtered list, the filters in the title
        group_label = groups[group] if group else ""
        scales = vocab.QUALIFICATION_SCALES
        frame = pd.DataFrame({
            "Họ và tên": df["full_name"], "Mã cán bộ": df["code"],
            "Ngày sinh": pd.to_datetime(df["birth_date"]).dt.strftime("%d/%m/%Y"),
            "Giới tính": df["gender"].map(dict(vocab.GENDERS)), "Dân tộc": df["ethnicity"],
            "Đơn vị": df["unit_name"], "Xã, phường": df["commune_name"],
            "Vị trí việc làm": df["position_name"].fillna(""),
            **{vocab.QUALIFICATION_LABELS[k]: df[k + "_rank"].map(dict(enumerate(
                label for _, label in scales[k]))) for k in ("education", "political_theory",
                                                             "state_management", "it_level")},
            "Số năng lực thiếu": df["gaps"]})
        parts = [{c.value: c.label for c in f.choices}.get(f.data, "")
                 for f in (form.position, form.gap) if f.data]
        if form.gap.data:
            parts[-1] = "thiếu " + parts[-1]
        parts += [group_label] if group_label else []
        title = "Danh sách cán bộ, công chức" + (" — " + ", ".join(parts) if parts else "")
        unit = db.session.get(Unit, form.unit.data) if form.unit.data else None
        if unit is None and current_user.unit_id:
            unit = db.session.get(Unit, current_user.unit_id)
        return xlsx_response({"Cán bộ, công chức": frame}, title=title,
                             unit=unit.name if unit else "Toàn tỉnh", filename="can-bo.xlsx")
    page = max(1, form.page.data or 1)
    total = len(df)
    rows = df.iloc[(page - 1) * PAGE: page * PAGE].to_dict("records")
    args = link_args("page", "format")
    return render_template("records/officials.html", form=form, rows=rows, total=total, page=page,
                           pages=max(1, -(-total // PAGE)), args=args, group_label=groups.get(group)
                           if group else "", exact=bool(request.args.get("exact")))


@bp.route("/can-bo/<int:official_id>", methods=["GET", "POST"])
@role_required(*HR)
def official(official_id: int):
    official = get_official_or_404(current_user, official_id)
    if request.method == "GET":
        events.audit_access("official_view", subject_type="official", subject_id=official.id)
    form = AssessmentForm()
    required = [r.competency for r in official.position.requirements] if official.position else []
    others = db.session.scalars(sa.select(Competency).order_by(Competency.name)).all()
    form.competency_id.choices = options([(c.id, c.name) for c in required] + [
        (c.id, c.name) for c in others if c not in required])
    if form.validate_on_submit():
        with one_commit("Đã ghi kết quả đánh giá."):
            ops.record_assessment(official, db.session.get(Competency, form.competency_id.data),
                                  form.level.data, source=form.source.data,
                                  assessor=current_user.display_name, on=form.assessed_on.data)
        return redirect(url_for("records.official", official_id=official.id))
    history = db.session.scalars(sa.select(Assessment).where(Assessment.official_id == official.id)
                                 .order_by(Assessment.assessed_on.desc(), Assessment.id.desc())).all()
    return render_template("records/official.html", form=form, history=history,
                           **_guidance_context(official))


@bp.route("/toi/ai-da-xem")
@role_required("official")
def my_viewers():
    """An official sees who opened, searched or changed their record (Nghị định 13/2023)."""
    seen = audit_ops.viewers_of(current_user.official_id)
    return render_template("records/my_viewers.html", events=seen, actions=dict(ACTIONS),
                           roles=dict(ROLES))
