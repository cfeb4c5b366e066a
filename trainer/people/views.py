from __future__ import annotations

import io

import pandas as pd
import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user

from courses import vocab
from trainer.audit import operations as audit
from trainer.auth.scope import (
    get_official_or_404,
    officials_filter,
    role_required,
    unit_subtree_ids,
    visible_unit_ids,
)
from trainer.display import fold, name_key
from trainer.exports import xlsx_response
from trainer.extensions import db
from trainer.forms_util import options
from trainer.framework.models import Competency, Position
from trainer.framework.operations import CATALOG_COLUMNS, catalog_rows
from trainer.guidance.operations import guidance_for, load_catalogue, load_population
from trainer.interchange import operations as xops
from trainer.interchange.forms import ConfirmForm, ImportForm
from trainer.imports import template_bytes
from trainer.interchange.operations import template_example
from trainer.learning.models import Course, Enrollment
from trainer.learning.operations import open_cohorts
from trainer.org import operations as org_ops
from trainer.org.models import Unit
from trainer.params import MAX_PAGE, arg_choice, arg_id, arg_int, link_args
from trainer.people import operations as ops
from trainer.people.forms import AssessmentForm, OfficialFilterForm
from trainer.people.models import Assessment, Official
from trainer.people.queries import officials_frame, qualification_status
from trainer.reports.operations import Filters, filter_clause
from trainer.reports.views import group_choices, young_age_limit
from trainer.timeutil import today
from trainer.views_util import one_commit

bp = Blueprint("people", __name__)
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
    return render_template("people/me.html", **_guidance_context(official))


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
        audit.record_access("search", detail=request.query_string.decode("utf-8", "replace"))
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
    return render_template("people/officials.html", form=form, rows=rows, total=total, page=page,
                           pages=max(1, -(-total // PAGE)), args=args, group_label=groups.get(group)
                           if group else "", exact=bool(request.args.get("exact")))


@bp.route("/can-bo/<int:official_id>", methods=["GET", "POST"])
@role_required(*HR)
def official(official_id: int):
    official = get_official_or_404(current_user, official_id)
    if request.method == "GET":
        audit.record_access("official_view", subject_type="official", subject_id=official.id)
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
        return redirect(url_for("people.official", official_id=official.id))
    history = db.session.scalars(sa.select(Assessment).where(Assessment.official_id == official.id)
                                 .order_by(Assessment.assessed_on.desc(), Assessment.id.desc())).all()
    return render_template("people/official.html", form=form, history=history,
                           **_guidance_context(official))


@bp.route("/nhap-du-lieu", methods=["GET", "POST"])
@role_required(*HR)
def import_page():
    """Upload → preview (nothing written: counts and every error by row and column) → confirm
    (interchange.confirm_import). The file is kept in an ImportBatch between the two steps."""
    form = ImportForm()
    kinds = xops.kinds_for(current_user)
    form.kind.choices = options(kinds.items())
    if request.method == "GET" and request.args.get("kind") in kinds:
        form.kind.data = request.args["kind"]
    errors = []
    if form.validate_on_submit():
        upload = form.file.data
        content = upload.read()
        with one_commit() as outcome:
            plan, batch = xops.stage_import(form.kind.data, content, upload.filename,
                                            user=current_user)
        if outcome["ok"]:
            return render_template("interchange/preview.html", plan=plan, batch=batch,
                                   kind=form.kind.data, filename=upload.filename,
                                   label=xops.KIND_LABELS[form.kind.data],
                                   summary=xops.summary_text(form.kind.data, plan.counts(),
                                                             done=False),
                                   confirm_form=ConfirmForm())
        errors = outcome.get("errors", [])
    return render_template("people/import.html", form=form, errors=errors, result=None,
                           kinds=kinds, catalog_kinds=xops.PROVINCE_KINDS)


TEMPLATES = {
    "officials": (ops.OFFICIAL_COLUMNS, {
        "Mã cán bộ": "CB900001", "Số định danh cá nhân": "012190000123", "Họ và tên": "Lò Thị Mai",
        "Ngày sinh": "15/03/1990", "Giới tính": "Nữ", "Dân tộc": "Thái", "Mã đơn vị": "LCU-X01",
        "Mã vị trí việc làm": "", "Trình độ chuyên môn": "Đại học", "Chuyên ngành": "Luật",
        "Lý luận chính trị": "Trung cấp", "Quản lý nhà nước": "Chuyên viên", "Tin học": "Cơ bản",
        "Chữ ký số": "có", "Đã số hóa hồ sơ": "có", "Email": "mai.lt@laichau.gov.vn"}),
    "assessments": (ops.ASSESSMENT_COLUMNS, {
        "Số định danh cá nhân": "012190000123", "Mã năng lực": "", "Mức": "2",
        "Ngày đánh giá": "", "Nguồn": "Cấp trên đánh giá",
        "Người đánh giá": "Nguyễn Văn An"}),
}


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TEMPLATE_NAMES = {"officials": "mau-can-bo.xlsx", "assessments": "mau-danh-gia.xlsx",
                  "ratings": "mau-xep-loai.xlsx", "results": "mau-ket-qua-hoc-tap.xlsx",
                  "completions": "mau-hoan-thanh-khoa-hoc.xlsx", "competencies": "mau-nang-luc.xlsx",
                  "positions": "mau-vi-tri-viec-lam.xlsx", "providers": "mau-co-so-dao-tao.xlsx",
                  "courses": "mau-khoa-hoc.xlsx", "units": "mau-don-vi.xlsx",
                  "accounts": "mau-tai-khoan.xlsx"}


@bp.route("/nhap-du-lieu/mau/<kind>.xlsx")
@role_required(*HR)
def import_template(kind: str):
    """The template of a kind: headers and one example row. For a catalog table or the unit
    tree, `?all=1` gives the whole stored table in the same layout, to edit in Excel and import
    again."""
    if kind not in TEMPLATE_NAMES or kind not in xops.kinds_for(current_user):
        abort(404)
    if kind in xops.PROVINCE_KINDS and request.args.get("all"):
        if kind == "units":
            data = template_bytes(org_ops.UNIT_COLUMNS, *org_ops.unit_rows())
        else:
            data = template_bytes(list(CATALOG_COLUMNS[kind]), *catalog_rows(kind))
        return send_file(io.BytesIO(data), download_name=f"danh-muc-{TEMPLATE_NAMES[kind][4:]}",
                         as_attachment=True, mimetype=XLSX)
    if kind in TEMPLATES:
        columns, example = TEMPLATES[kind]
    else:
        columns, example = template_example(kind)
    if kind == "assessments":
        example = dict(example, **{"Mã năng lực": db.session.scalar(
            sa.select(Competency.code).order_by(Competency.code)) or "",
            "Ngày đánh giá": today().strftime("%d/%m/%Y")})
    data = template_bytes(columns, example)
    return send_file(io.BytesIO(data), download_name=TEMPLATE_NAMES[kind], as_attachment=True,
                     mimetype=XLSX)
