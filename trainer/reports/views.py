"""HR reports (issue 4): /bao-cao/thieu-hut (heatmap), /chuan-chuc-danh (qualification standards),
/canh-bao (warnings), /co-cau (composition). Each answers `?format=xlsx` with the same report as
an Excel file (trainer.core.exports)."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, render_template, request
from flask_login import current_user

from courses import vocab
from trainer.catalog.models import Position
from trainer.core.exports import xlsx_response
from trainer.core.extensions import db
from trainer.core.forms_util import options
from trainer.core.params import arg_choice, arg_id, link_args
from trainer.core.timeutil import today
from trainer.core.views_util import role_required
from trainer.learning.access import officials_filter
from trainer.org.models import Unit
from trainer.org.queries import visible_unit_ids
from trainer.reports import operations as ops
from trainer.reports.forms import ReportFilterForm, group_choices
from trainer.core.settings import young_age_limit

bp = Blueprint("reports", __name__, url_prefix="/bao-cao")
HR = ("hr", "admin")


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


@bp.route("/thieu-hut")
@role_required(*HR)
def gaps():
    """The heatmap, province → commune → officials (KH-1, KH-2)."""
    form, filters = _filter_form()
    unit_id = _unit_in_scope(arg_id("unit") or None)
    start = None
    if current_user.role == "hr" and current_user.unit_id:
        own = db.session.get(Unit, current_user.unit_id)
        if own is not None and own.kind != "province":  # commune HR starts at its commune
            start = own.id
    unit_id = unit_id or start
    by_official = request.args.get("by") == "official"
    hm = ops.heatmap(officials_filter(current_user), unit_id=unit_id, by_official=by_official,
                     by_group=form.view.data == "group", filters=filters)
    visible = visible_unit_ids(current_user)
    hm.breadcrumb = [b for b in hm.breadcrumb if visible is None or b["id"] in visible]
    if _wants_xlsx():
        where = hm.unit["name"] if hm.unit else _scope_name()
        return xlsx_response(ops.heatmap_frames(hm), title="Bản đồ thiếu hụt năng lực"
                             + _filter_label(form), unit=where, filename="thieu-hut-nang-luc.xlsx")
    summary = sorted(zip(hm.columns, hm.total), key=lambda cc: (-cc[1]["lacking"], cc[0]["name"]))
    args = link_args("unit", "by", "format")
    return render_template("reports/gaps.html", hm=hm, form=form, summary=summary, args=args,
                           unit_id=unit_id, by_official=by_official,
                           show_root=start is None and unit_id is not None)


@bp.route("/chuan-chuc-danh")
@role_required(*HR)
def standards():
    """Qualification standards by position group (LC-5, LC-5b, LC-6, LC-7)."""
    form, filters = _filter_form()
    report = ops.qualification_report(officials_filter(current_user), filters)
    if _wants_xlsx():
        return xlsx_response(ops.qualification_frames(report),
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
    months = int(current_app.config.get("REVIEW_PERIOD_MONTHS", ops.DEFAULT_REVIEW_PERIOD_MONTHS))
    report = ops.warnings_report(officials_filter(current_user), review_months=months)
    if _wants_xlsx():
        return xlsx_response(ops.warning_frames(report), title="Cảnh báo cán bộ, công chức (KH-8)",
                             unit=_scope_name(), filename="canh-bao.xlsx")
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
                             title="Cơ cấu cán bộ trẻ, nữ, dân tộc thiểu số (KH-11)",
                             unit=_scope_name(), filename="co-cau-can-bo.xlsx")
    return render_template("reports/composition.html", c=c, this_year=today().year)
