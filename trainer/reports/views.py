"""HR reports (issue 4): /bao-cao/thieu-hut (heatmap), /chuan-chuc-danh (qualification standards),
/canh-bao (warnings), /co-cau (composition). Each answers `?format=xlsx` with the same report as
an Excel file (trainer.core.exports)."""
from __future__ import annotations

from urllib.parse import urlencode

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, render_template, request
from flask_login import current_user

from courses import vocab
from trainer.catalog.models import Position
from trainer.core.cache import cached
from trainer.core.exports import xlsx_response
from trainer.core.extensions import db
from trainer.core.forms_util import options
from trainer.core.params import MAX_PAGE, arg_choice, arg_id, arg_int, link_args
from trainer.core.timeutil import today
from trainer.core.views_util import role_required
from trainer.jobs import operations as jobs
from trainer.jobs.views import offer
from trainer.learning.access import officials_filter
from trainer.org.models import Unit
from trainer.org.queries import visible_unit_ids
from trainer.reports import cells
from trainer.reports import operations as ops
from trainer.reports.forms import ReportFilterForm, group_choices
from trainer.core.settings import young_age_limit

bp = Blueprint("reports", __name__, url_prefix="/bao-cao")
HR = ("hr", "admin")
# The exports that take more than ~2 s at 10,000 officials run as background jobs (docs/jobs.md);
# the composition's (under a second) stays a direct download.
jobs.register_export("reports.gaps", "Bản đồ thiếu hụt năng lực (Excel)",
                     endpoint="reports.gaps", roles=HR)
jobs.register_export("reports.standards", "Cán bộ chưa đạt tiêu chuẩn trình độ (Excel)",
                     endpoint="reports.standards", roles=HR)
jobs.register_export("reports.warnings", "Cảnh báo cán bộ, công chức (Excel)",
                     endpoint="reports.warnings", roles=HR)
# Rows of the heatmap per page (issue 11: the page stays small at any size of province).
UNIT_ROWS_PER_PAGE = 50
OFFICIAL_ROWS_PER_PAGE = 100


def _filter_form() -> tuple[ReportFilterForm, ops.Filters]:
    form = ReportFilterForm(request.args)
    young = young_age_limit()
    form.position.choices = options([(0, "Mọi vị trí")] + [
        (p.id, p.name) for p in db.session.scalars(sa.select(Position).order_by(Position.name))])
    form.group.choices = options(group_choices(young))
    if not form.validate():  # an unknown value: ignore that filter rather than fail the page
        for f in (form.region, form.position, form.group, form.view):
            if f.errors:
                f.data = f.default
    filters = ops.Filters(region=form.region.data or None, position_id=form.position.data or None,
                          group=form.group.data or None, young_age=young)
    return form, filters


def _filter_label(form: ReportFilterForm) -> str:
    parts = [{c.value: c.label for c in f.choices}.get(f.data, "")
             for f in (form.region, form.position, form.group) if f.data]
    return (" — " + ", ".join(parts)) if parts else ""


def _scope_name() -> str:
    if current_user.unit_id:
        unit = db.session.get(Unit, current_user.unit_id)
        if unit:
            return unit.name
    root = db.session.scalar(sa.select(Unit.name).where(Unit.parent_id.is_(None)).order_by(Unit.id))
    return root or "Toàn tỉnh"


def _unit_in_scope(unit_id: int | None) -> int | None:
    if unit_id is None:
        return None
    visible = visible_unit_ids(current_user)
    if (visible is not None and unit_id not in visible) or db.session.get(Unit, unit_id) is None:
        abort(404)
    return unit_id


def _wants_xlsx() -> bool:
    return arg_choice("format", ("xlsx",)) == "xlsx"


def _heatmap(unit_id: int | None, by_official: bool, by_group: bool,
             filters: ops.Filters) -> ops.Heatmap:
    """The heatmap of one level, computed once per scope, filters, day and data version
    (core.cache: never stale), then served from Redis."""
    scope = (current_user.role, current_user.unit_id if current_user.role != "admin" else None)
    key = (scope, unit_id, by_official, by_group, filters, today().isoformat())
    return cached("heatmap", key, lambda: ops.heatmap(
        officials_filter(current_user), unit_id=unit_id, by_official=by_official,
        by_group=by_group, filters=filters))


def _start_unit() -> int | None:
    """Where the heatmap starts: a commune HR at its commune, others at the whole scope."""
    if current_user.role == "hr" and current_user.unit_id:
        own = db.session.get(Unit, current_user.unit_id)
        if own is not None and own.kind != "province":
            return own.id
    return None


def _tail(pairs) -> str:
    """Query arguments as the end of a link that has one already: `&name=value…`."""
    return "".join("&" + urlencode({k: v}) for k, v in pairs if v)


def _list_tail(form: ReportFilterForm) -> str:
    """The filters, as the end of a link to the officials list (records.officials)."""
    return _tail([("position", form.position.data), ("group", form.group.data),
                  ("region", form.region.data)])


@bp.route("/thieu-hut")
@role_required(*HR)
def gaps():
    """The heatmap, province → commune → officials (KH-1, KH-2), one level and one page of rows
    at a time; a row's ▸ expands the level under it in place (gap_rows, static/heatmap.js)."""
    form, filters = _filter_form()
    unit_id = _unit_in_scope(arg_id("unit") or None)
    if _wants_xlsx() and not jobs.running():  # a background job (trainer/jobs): offer it
        return offer("reports.gaps")
    page = arg_int("page", min=1, max=MAX_PAGE, default=1)
    start = _start_unit()
    unit_id = unit_id or start
    by_official = request.args.get("by") == "official"
    hm = _heatmap(unit_id, by_official, form.view.data == "group", filters)
    visible = visible_unit_ids(current_user)
    hm.breadcrumb = [b for b in hm.breadcrumb if visible is None or b["id"] in visible]
    if _wants_xlsx():
        jobs.progress(50, "Đang lập các bảng của bản đồ thiếu hụt")
        where = hm.unit["name"] if hm.unit else _scope_name()
        return jobs.ExportFile(ops.heatmap_frames(hm), title="Bản đồ thiếu hụt năng lực"
                               + _filter_label(form), unit=where,
                               filename="thieu-hut-nang-luc.xlsx")
    summary = sorted(zip(hm.columns, hm.total), key=lambda cc: (-cc[1]["lacking"], cc[0]["name"]))
    size = OFFICIAL_ROWS_PER_PAGE if hm.level == "officials" else UNIT_ROWS_PER_PAGE
    rows, page, pages = hm.page(page, size)
    args = link_args("unit", "by", "format", "page")
    return render_template("reports/gaps.html", hm=hm, rows=rows, page=page, pages=pages,
                           size=size, form=form, summary=summary,
                           total_heat=ops.heat_step([c["share"] for c in hm.total]).tolist(),
                           args=args, args_tail=_tail(args.items()),
                           page_args=link_args("page", "format"), list_tail=_list_tail(form),
                           unit_id=unit_id, by_official=by_official, depth=0, cells=cells,
                           show_root=start is None and unit_id is not None)


@bp.route("/thieu-hut/hang")
@role_required(*HR)
def gap_rows():
    """The rows under one row of the heatmap (`unit`), under the columns of the page they are
    drawn in (`within`, the page's unit): an HTML fragment of <tr>, for static/heatmap.js.
    Officials beyond one page end with a link to their own page."""
    form, filters = _filter_form()
    unit_id = _unit_in_scope(arg_id("unit"))
    if unit_id is None:
        abort(404)
    within = _unit_in_scope(arg_id("within") or None) or _start_unit()
    depth = arg_int("depth", min=1, max=3, default=1)
    by_group = form.view.data == "group"
    columns = _heatmap(within, False, by_group, filters).columns
    hm = _heatmap(unit_id, False, by_group, filters).aligned(columns)
    rows = hm.rows_between(0, OFFICIAL_ROWS_PER_PAGE)
    args = link_args("unit", "by", "format", "page", "within", "depth")
    return render_template("reports/_gap_rows.html", hm=hm, rows=rows, form=form,
                           args=args, args_tail=_tail(args.items()),
                           list_tail=_list_tail(form), unit_id=within, depth=depth, cells=cells,
                           more=len(hm.heads) - len(rows), parent_id=unit_id)


@bp.route("/chuan-chuc-danh")
@role_required(*HR)
def standards():
    """Qualification standards by position group (LC-5, LC-5b, LC-6, LC-7)."""
    if _wants_xlsx() and not jobs.running():  # a background job (trainer/jobs): offer it
        return offer("reports.standards")
    form, filters = _filter_form()
    report = ops.qualification_report(officials_filter(current_user), filters)
    if _wants_xlsx():
        return jobs.ExportFile(ops.qualification_frames(report),
                               title="Cán bộ chưa đạt tiêu chuẩn trình độ của vị trí"
                               + _filter_label(form), unit=_scope_name(),
                               filename="chuan-chuc-danh.xlsx")
    return render_template("reports/standards.html", form=form, report=report,
                           kinds=ops.QUAL_KINDS, labels=vocab.QUALIFICATION_LABELS,
                           groups=dict(vocab.POSITION_GROUPS))


@bp.route("/canh-bao")
@role_required(*HR)
def warnings():
    """Warnings (KH-8): below standard, skipped training, not reviewed, no change after training."""
    if _wants_xlsx() and not jobs.running():  # a background job (trainer/jobs): offer it
        return offer("reports.warnings")
    months = int(current_app.config.get("REVIEW_PERIOD_MONTHS", ops.DEFAULT_REVIEW_PERIOD_MONTHS))
    report = ops.warnings_report(officials_filter(current_user), review_months=months)
    if _wants_xlsx():
        return jobs.ExportFile(ops.warning_frames(report),
                               title="Cảnh báo cán bộ, công chức", unit=_scope_name(),
                               filename="canh-bao.xlsx")
    kind = request.args.get("kind")
    if kind not in report:
        kind = next((k for k, _ in ops.WARNING_KINDS if len(report[k])), "below_standard")
    return render_template("reports/warnings.html", report=report, kind=kind,
                           kinds=ops.WARNING_KINDS, months=months, limit=500)


@bp.route("/co-cau")
@role_required(*HR)
def composition():
    """Workforce composition (KH-11): young, female, ethnic-minority shares."""
    c = ops.composition_report(officials_filter(current_user), young_age=young_age_limit())
    if _wants_xlsx():
        return xlsx_response(ops.composition_frames(c),
                             title="Cơ cấu cán bộ trẻ, nữ, dân tộc thiểu số",
                             unit=_scope_name(), filename="co-cau-can-bo.xlsx")
    return render_template("reports/composition.html", c=c, this_year=today().year)
