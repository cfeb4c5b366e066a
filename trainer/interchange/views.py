"""Imports with preview (/nhap-du-lieu: upload, preview, confirm, templates), the identity review
queue, the national-database export (issue 5)."""
from __future__ import annotations

import io
import json

import sqlalchemy as sa
from flask import (Blueprint, abort, flash, redirect, render_template, request, send_file,
                   url_for)
from flask_login import current_user

from trainer.auth.views import issued_passwords_page
from trainer.core import events
from trainer.core.extensions import db
from trainer.core.forms_util import options
from trainer.core.params import arg_choice, arg_id, arg_text
from trainer.core.settings import stale_months
from trainer.core.views_util import one_commit, role_required
from trainer.interchange import operations as ops
from trainer.interchange.forms import ConfirmForm, ImportForm, MatchForm, RejectForm
from trainer.interchange.models import REVIEW_STATUSES, ImportBatch, ReviewItem
from trainer.learning.access import get_official_or_404, officials_filter
from trainer.org.models import Unit
from trainer.people.models import Official

bp = Blueprint("interchange", __name__)
HR = ("hr", "admin")


# --- Import: upload and preview, templates, confirmation ---------------------------------------

@bp.route("/nhap-du-lieu", methods=["GET", "POST"])
@role_required(*HR)
def import_page():
    """Upload → preview (nothing written: counts and every error by row and column) → confirm
    (interchange.confirm_import). The file is kept in an ImportBatch between the two steps."""
    form = ImportForm()
    kinds = ops.kinds_for(current_user)
    form.kind.choices = options(kinds.items())
    if request.method == "GET" and request.args.get("kind") in kinds:
        form.kind.data = request.args["kind"]
    errors = []
    if form.validate_on_submit():
        upload = form.file.data
        content = upload.read()
        with one_commit() as outcome:
            plan, batch = ops.stage_import(form.kind.data, content, upload.filename,
                                            user=current_user)
        if outcome["ok"]:
            return render_template("interchange/preview.html", plan=plan, batch=batch,
                                   kind=form.kind.data, filename=upload.filename,
                                   label=ops.KIND_LABELS[form.kind.data],
                                   summary=ops.summary_text(form.kind.data, plan.counts(),
                                                             done=False),
                                   confirm_form=ConfirmForm())
        errors = outcome.get("errors", [])
    return render_template("interchange/import.html", form=form, errors=errors, result=None,
                           kinds=kinds, catalog_kinds=ops.PROVINCE_KINDS)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.route("/nhap-du-lieu/mau/<kind>.xlsx")
@role_required(*HR)
def import_template(kind: str):
    """The template of a kind: headers and one example row. For a catalog table or the unit
    tree, `?all=1` gives the whole stored table in the same layout, to edit in Excel and import
    again."""
    if kind not in ops.TEMPLATE_NAMES or kind not in ops.kinds_for(current_user):
        abort(404)
    name = ops.TEMPLATE_NAMES[kind]
    if kind in ops.PROVINCE_KINDS and request.args.get("all"):
        data, name = ops.stored_table_file(kind), f"danh-muc-{name[4:]}"
    else:
        data = ops.template_file(kind)
    return send_file(io.BytesIO(data), download_name=name, as_attachment=True, mimetype=XLSX)


@bp.route("/nhap-du-lieu/lo/<int:batch_id>/xac-nhan", methods=["POST"])
@role_required(*HR)
def confirm(batch_id: int):
    batch = db.session.get(ImportBatch, batch_id)
    if batch is None or batch.created_by != current_user.id:
        abort(404)
    kind, filename = batch.kind, batch.filename
    ConfirmForm().validate_on_submit()  # CSRF
    with one_commit() as outcome:
        plan = ops.confirm_import(batch, user=current_user)
    if outcome["ok"]:
        flash(ops.summary_text(kind, plan.counts()) + f" (tệp “{filename}”)", "success")
        if plan.issued:  # new accounts: their one-time passwords, shown this once
            return issued_passwords_page(plan.issued)
        return redirect(url_for("interchange.import_page", kind=kind))
    if not outcome.get("errors"):
        return redirect(url_for("interchange.import_page", kind=kind))
    # The data changed since the preview: show the preview again with the new errors.
    plan = ops.ImportPlan(errors=outcome["errors"])
    return render_template("interchange/preview.html", plan=plan, batch=None, kind=kind,
                           filename=filename, label=ops.kind_label(kind), summary="",
                           confirm_form=ConfirmForm())


# --- Review queue -------------------------------------------------------------------------------

def _item_or_404(item_id: int) -> ReviewItem:
    item = db.session.get(ReviewItem, item_id)
    if item is None or not ops.review_item_visible(current_user, item):
        abort(404)
    return item


@bp.route("/hang-cho-doi-chieu")
@role_required(*HR)
def queue():
    status = request.args.get("status", "open")
    if status not in dict(REVIEW_STATUSES):
        status = "open"
    items = ops.review_items_for(current_user, status)
    return render_template("interchange/queue.html", items=items[:500], total=len(items),
                           status=status, statuses=REVIEW_STATUSES)


@bp.route("/hang-cho-doi-chieu/<int:item_id>")
@role_required(*HR)
def review_item(item_id: int):
    item = _item_or_404(item_id)
    candidates = db.session.scalars(sa.select(Official).where(
        Official.id.in_(list(item.candidates or [])), officials_filter(current_user))
        .order_by(Official.full_name)).all()
    q = arg_text("q")
    found = ops.search_officials(current_user, q)
    return render_template("interchange/review_item.html", item=item, candidates=candidates,
                           found=found, q=q, match_form=MatchForm(), reject_form=RejectForm(),
                           statuses=dict(REVIEW_STATUSES))


@bp.route("/hang-cho-doi-chieu/<int:item_id>/ghep", methods=["POST"])
@role_required(*HR)
def match(item_id: int):
    item = _item_or_404(item_id)
    form = MatchForm()
    official_id = arg_id("official_id", source=request.form)
    if not form.validate_on_submit() or not official_id:
        abort(400)
    official = get_official_or_404(current_user, official_id)
    with one_commit() as outcome:
        ops.match_review_item(item, official, actor=current_user.display_name)
    if outcome["ok"]:
        flash(f"Đã ghép với {official.full_name} ({official.code}) và ghi nhận kết quả.", "success")
        return redirect(url_for("interchange.queue"))
    return redirect(url_for("interchange.review_item", item_id=item_id))


@bp.route("/hang-cho-doi-chieu/<int:item_id>/loai", methods=["POST"])
@role_required(*HR)
def reject(item_id: int):
    item = _item_or_404(item_id)
    form = RejectForm()
    if not form.validate_on_submit():
        flash("Cần ghi lý do loại.", "danger")
        return redirect(url_for("interchange.review_item", item_id=item_id))
    with one_commit("Đã loại mục này khỏi hàng chờ."):
        ops.reject_review_item(item, reason=form.reason.data, actor=current_user.display_name)
    return redirect(url_for("interchange.queue"))


# --- National officials database export ---------------------------------------------------------

@bp.route("/xuat-csdl-quoc-gia")
@role_required(*HR)
def national():
    """Data-quality checks ("đúng, đủ, sạch, sống") for HR to fix, then the export (JSON or
    Excel) of every official in scope keyed by the identification number."""
    from trainer.core.exports import xlsx_response
    where = officials_filter(current_user)
    fmt = arg_choice("format", ("json", "xlsx", "issues"))
    unit = db.session.get(Unit, current_user.unit_id) if current_user.unit_id else None
    unit_name = unit.name if unit else "Toàn tỉnh"
    if fmt in ("json", "xlsx"):
        data = ops.national_export(where)
        if fmt == "json":
            events.audit_access("export", subject_type="report",
                                detail=f"csdl-quoc-gia.json — {unit_name}, {data['count']} cán bộ")
            body = json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8")
            return send_file(io.BytesIO(body), mimetype="application/json", as_attachment=True,
                             download_name="csdl-quoc-gia.json")
        return xlsx_response(ops.export_frames(data),
                             title="Quá trình đào tạo, bồi dưỡng — dữ liệu đồng bộ CSDL quốc gia",
                             unit=unit_name, filename="csdl-quoc-gia.xlsx")
    issues = ops.quality_issues(where)
    if fmt == "issues":
        labels = dict(ops.QUALITY_CHECKS)
        frame = issues.assign(check=issues["check"].map(labels)).rename(columns={
            "pid": "Số định danh cá nhân", "code": "Mã cán bộ", "full_name": "Họ và tên",
            "unit_name": "Đơn vị", "check": "Vấn đề", "detail": "Chi tiết"}).drop(
            columns="official_id")
        return xlsx_response({"Vấn đề dữ liệu": frame}, title="Dữ liệu cần sửa trước khi đồng bộ",
                             unit=unit_name, filename="van-de-du-lieu.xlsx")
    total = db.session.scalar(sa.select(sa.func.count(Official.id)).where(where))
    counts = issues["check"].value_counts().to_dict() if not issues.empty else {}
    check = request.args.get("check")
    shown = issues[issues["check"] == check] if check in dict(ops.QUALITY_CHECKS) else issues
    return render_template("interchange/national.html", total=total, counts=counts,
                           checks=ops.QUALITY_CHECKS, rows=shown.head(500).to_dict("records"),
                           shown=len(shown), check=check, months=stale_months(),
                           affected=issues["official_id"].nunique() if not issues.empty else 0)
