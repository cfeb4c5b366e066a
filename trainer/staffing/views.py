"""Staffing pages (LC (1), DL-l; LC-1b) under /bien-che: approved vs filled headcount per unit
and position with its Excel export, a unit's quota form, the stored quotas as an import file,
and the officials whose field of study does not fit their position."""
from __future__ import annotations

import io

import pandas as pd
import sqlalchemy as sa
from flask import (Blueprint, abort, flash, redirect, render_template, request, send_file,
                   url_for)
from flask_login import current_user

from trainer.catalog.models import Position
from trainer.core import events
from trainer.core.exports import xlsx_response
from trainer.core.extensions import db
from trainer.core.forms_util import options
from trainer.core.params import arg_choice, arg_id, arg_int
from trainer.core.views_util import one_commit, role_required
from trainer.learning.access import officials_filter
from trainer.org.models import Unit
from trainer.org.queries import every_unit, unit_subtree_ids, visible_unit_ids
from trainer.people.models import Official
from trainer.staffing import operations as ops
from trainer.staffing import queries
from trainer.staffing.forms import UnitFilterForm, quota_form, quota_values
from trainer.staffing.models import PositionQuota

bp = Blueprint("staffing", __name__, url_prefix="/bien-che")
HR = ("hr", "admin")
UNITS_PER_PAGE = 100
SHOWN = 500  # officials on the mismatch page; the export has them all
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- Scope ------------------------------------------------------------------------------------

def _visible() -> list[int] | None:
    """The units the user may see (None: every unit — no list of ids in each statement)."""
    units = visible_unit_ids(current_user)
    return None if every_unit(units) else units


def _unit_or_404(unit_id: int, *, open_only: bool = True) -> Unit:
    unit = db.session.get(Unit, unit_id)
    visible = visible_unit_ids(current_user)
    if unit is None or (visible is not None and unit.id not in visible) or \
            (open_only and unit.closed_on is not None):
        abort(404)
    return unit


def _filter() -> tuple[UnitFilterForm, Unit | None, list[int] | None]:
    """The unit filter: the chosen unit (in scope, else 404) and the unit ids it covers (the
    unit and everything under it; None: every unit)."""
    visible = visible_unit_ids(current_user)
    form = UnitFilterForm(request.args)
    units = db.session.scalars(sa.select(Unit).where(
        Unit.id.in_(visible) if not every_unit(visible) else sa.true(),
        Unit.closed_on.is_(None)).order_by(Unit.code)).all()
    form.unit.choices = options([(0, "Mọi đơn vị trong phạm vi")] +
                                [(u.id, f"{u.code} — {u.name}") for u in units])
    unit_id = arg_id("unit", default=0)
    if not unit_id:
        form.unit.data = 0
        return form, None, _visible()
    unit = _unit_or_404(unit_id)
    form.unit.data = unit.id
    return form, unit, unit_subtree_ids(unit.id)


def _scope_name(unit: Unit | None) -> str:
    if unit is not None:
        return unit.name
    if current_user.unit_id:
        own = db.session.get(Unit, current_user.unit_id)
        if own is not None:
            return own.name
    return "Toàn tỉnh"


def _wants_xlsx() -> bool:
    return arg_choice("format", ("xlsx",)) == "xlsx"


# --- Approved vs filled -----------------------------------------------------------------------

STAFFING_SHEET = {"unit_code": "Mã đơn vị", "unit_name": "Đơn vị",
                  "position_code": "Mã vị trí việc làm", "position_name": "Vị trí việc làm",
                  "approved": "Biên chế được giao", "filled": "Đang bố trí",
                  "vacancies": "Còn thiếu", "over": "Vượt biên chế", "note": "Ghi chú"}
TOTALS_SHEET = {"unit_code": "Mã đơn vị", "unit_name": "Đơn vị",
                "approved": "Biên chế được giao", "filled": "Đang bố trí", "vacancies": "Còn thiếu",
                "over": "Vượt biên chế", "no_quota_filled": "Bố trí ở vị trí chưa giao biên chế"}
NO_QUOTA = "Chưa giao biên chế"


def _staffing_export(df: pd.DataFrame, per_unit: pd.DataFrame, unit: Unit | None):
    rows = df.assign(note=df["no_quota"].map({True: NO_QUOTA, False: ""}),
                     approved=df["approved"].astype("Int64"))
    sheets = {"Theo vị trí": rows[list(STAFFING_SHEET)].rename(columns=STAFFING_SHEET),
              "Theo đơn vị": per_unit[list(TOTALS_SHEET)].rename(columns=TOTALS_SHEET)}
    return xlsx_response(sheets, title="Biên chế được giao và số cán bộ đang bố trí theo vị trí "
                                       "việc làm", unit=_scope_name(unit),
                         filename="bien-che-vi-tri-viec-lam.xlsx")


@bp.route("/")
@role_required(*HR)
def index():
    """Per unit: approved, filled, vacancies, over (the unit's positions on its own page); the
    unit filter narrows to a unit and everything under it."""
    form, unit, unit_ids = _filter()
    df = queries.staffing_frame(unit_ids)
    per_unit = queries.unit_totals(df)
    if _wants_xlsx():
        return _staffing_export(df, per_unit, unit)
    pages = max(1, -(-len(per_unit) // UNITS_PER_PAGE))
    page = arg_int("page", min=1, max=pages, default=1)
    shown = per_unit.iloc[(page - 1) * UNITS_PER_PAGE:page * UNITS_PER_PAGE]
    return render_template("staffing/index.html", form=form, unit=unit,
                           rows=shown.to_dict("records"), total=queries.totals(df),
                           n_units=len(per_unit), page=page, pages=pages,
                           link={"unit": unit.id} if unit else {})


@bp.route("/don-vi/<int:unit_id>")
@role_required(*HR)
def unit_page(unit_id: int):
    """A unit's own officials by position against its quotas, with each position's accepted
    fields of study."""
    unit = _unit_or_404(unit_id)
    df = queries.staffing_frame([unit.id])
    accepted = queries.accepted_fields()
    rows = df.assign(accepted=df["position_id"].map(lambda p: accepted.get(p, []))) \
        .to_dict("records")
    return render_template("staffing/unit.html", unit=unit, rows=rows,
                           total=queries.totals(df))


@bp.route("/don-vi/<int:unit_id>/sua", methods=["GET", "POST"])
@role_required(*HR)
def edit_unit(unit_id: int):
    """HR enters a unit's approved headcount, one box per position (blank: no quota)."""
    unit = _unit_or_404(unit_id)
    positions = db.session.scalars(sa.select(Position).order_by(Position.group, Position.name)) \
        .all()
    current = {q.position_id: q.approved for q in db.session.scalars(
        sa.select(PositionQuota).where(PositionQuota.unit_id == unit.id))}
    form = quota_form(positions, current, request.form if request.method == "POST" else None)
    if form.validate_on_submit():
        with one_commit() as outcome:
            counts = ops.set_unit_quotas(unit, quota_values(form, positions),
                                         actor=current_user)
        if outcome["ok"]:
            changed = counts["created"] + counts["updated"] + counts["removed"]
            flash(f"Đã lưu biên chế của {unit.name}: {changed} vị trí thay đổi."
                  if changed else "Không có gì thay đổi.", "success")
            return redirect(url_for("staffing.unit_page", unit_id=unit.id))
    accepted = queries.accepted_fields()
    filled = queries.staffing_frame([unit.id]).set_index("position_id")["filled"].to_dict()
    return render_template("staffing/edit.html", unit=unit, form=form, positions=positions,
                           accepted=accepted, filled=filled)


@bp.route("/bien-che.xlsx")
@role_required(*HR)
def quotas_file():
    """The stored quotas of the units in scope in the import file's layout (edit in Excel,
    import again at /nhap-du-lieu, kind "quotas")."""
    _, unit, unit_ids = _filter()
    records = ops.quota_records(unit_ids)
    events.audit_access("export", subject_type="report",
                        detail=f"bien-che-duoc-giao.xlsx: biên chế được giao — "
                               f"{_scope_name(unit)}, {len(records)} dòng")
    return send_file(io.BytesIO(ops.QUOTAS.download(records)), as_attachment=True,
                     download_name="bien-che-duoc-giao.xlsx", mimetype=XLSX)


# --- LC-1b: field of study and position ---------------------------------------------------------

MISMATCH_SHEET = {"code": "Mã cán bộ", "full_name": "Họ và tên", "unit_name": "Đơn vị",
                  "position_name": "Vị trí việc làm", "education_field": "Chuyên ngành",
                  "accepted_text": "Chuyên ngành phù hợp với vị trí",
                  "retraining": "Đào tạo lại (năng lực thực thi công vụ)"}


@bp.route("/chuyen-mon")
@role_required(*HR)
def mismatches():
    """LC-1b: officials whose field of study does not fit their position, and whether they still
    lack a competency of the retraining group (the LC-1b target counts the same)."""
    form, unit, unit_ids = _filter()
    where = officials_filter(current_user)
    if unit is not None:
        where = sa.and_(where, Official.unit_id.in_(unit_ids))
    found = queries.mismatches(where)
    rows = found.rows.assign(
        accepted_text=found.rows["accepted"].map("; ".join),
        retraining=found.rows["still_gap"].map(
            {True: "Còn thiếu hụt", False: "Đã đạt"}) if not found.rows.empty else "")
    if _wants_xlsx():  # the export's own audit row (xlsx_response)
        return xlsx_response({"Chưa phù hợp": rows[list(MISMATCH_SHEET)].rename(
            columns=MISMATCH_SHEET)}, title="Cán bộ có chuyên môn chưa phù hợp vị trí việc làm "
                                            "(LC-1b)", unit=_scope_name(unit),
            filename="chuyen-mon-chua-phu-hop.xlsx")
    events.audit_access("official_view", subject_type="report",
                        detail=f"Chuyên môn chưa phù hợp vị trí (LC-1b) — {_scope_name(unit)}: "
                               f"{found.mismatched} người")
    return render_template("staffing/mismatches.html", form=form, unit=unit, found=found,
                           rows=rows.head(SHOWN).to_dict("records"), shown=SHOWN,
                           target_code=queries.LC1B_TARGET,
                           link={"unit": unit.id} if unit else {})


# --- Panels -------------------------------------------------------------------------------------

@bp.app_context_processor
def _staffing_panels():
    # A function, not data: a page pays for it only if it shows the official's field.
    return {"field_fit_of": queries.field_fit_of}
