"""Running a class: sessions, attendance, results import, certificates (issue 3)."""
from __future__ import annotations

import io

from flask import (Blueprint, abort, flash, redirect, render_template, request, send_file,
                   url_for)
from flask_login import current_user

from trainer.auth.scope import get_cohort_for_school_or_404, get_official_or_404, role_required
from trainer.cohorts import operations as ops
from trainer.cohorts.certificate import certificate_pdf, confirmation_pdf
from trainer.cohorts.forms import CohortImportForm, ReplaceCertificateForm, SessionForm
from trainer.cohorts.models import CertificateConfirmation
from trainer.extensions import db
from trainer.interchange import operations as xops
from trainer.interchange.forms import ConfirmForm
from trainer.interchange.models import ImportBatch
from trainer.interchange.operations import CLASS_KINDS
from trainer.learning.models import CohortSession, Enrollment
from trainer.params import form_ids
from trainer.timeutil import today
from trainer.views_util import one_commit

bp = Blueprint("cohorts", __name__)
SCHOOL = ("school", "admin")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _session_or_404(cohort_id: int, session_id: int) -> CohortSession:
    cohort = get_cohort_for_school_or_404(current_user, cohort_id)
    session = db.session.get(CohortSession, session_id)
    if session is None or session.cohort_id != cohort.id:
        abort(404)
    return session


@bp.route("/truong/lop/<int:cohort_id>/buoi-hoc", methods=["GET", "POST"])
@role_required(*SCHOOL)
def sessions(cohort_id: int):
    cohort = get_cohort_for_school_or_404(current_user, cohort_id)
    form = SessionForm()
    if request.method == "GET":
        form.place.data = cohort.location
    if form.validate_on_submit():
        with one_commit("Đã thêm buổi học.") as outcome:
            ops.add_session(cohort, day=form.day.data, start_time=form.start_time.data,
                            end_time=form.end_time.data, place=form.place.data or "",
                            online_link=form.online_link.data or "")
        if outcome["ok"]:
            return redirect(url_for("cohorts.sessions", cohort_id=cohort.id))
    taken = ops.attendance_by_session(cohort)
    return render_template("cohorts/sessions.html", cohort=cohort, form=form, taken=taken,
                           today=today())


@bp.route("/truong/lop/<int:cohort_id>/buoi-hoc/<int:session_id>/xoa", methods=["POST"])
@role_required(*SCHOOL)
def remove_session(cohort_id: int, session_id: int):
    session = _session_or_404(cohort_id, session_id)
    with one_commit("Đã xóa buổi học."):
        ops.remove_session(session)
    return redirect(url_for("cohorts.sessions", cohort_id=cohort_id))


@bp.route("/truong/lop/<int:cohort_id>/buoi-hoc/<int:session_id>/diem-danh",
          methods=["GET", "POST"])
@role_required(*SCHOOL)
def attendance(cohort_id: int, session_id: int):
    session = _session_or_404(cohort_id, session_id)
    if request.method == "POST":
        present = form_ids("present")
        with one_commit() as outcome:
            n = ops.record_attendance(session, present)
        if outcome["ok"]:
            flash(f"Đã ghi điểm danh buổi {session.day:%d/%m/%Y}: {len(present)}/{n} có mặt.",
                  "success")
            return redirect(url_for("cohorts.sessions", cohort_id=cohort_id))
        return redirect(url_for("cohorts.attendance", cohort_id=cohort_id, session_id=session_id))
    return render_template("cohorts/attendance.html", session=session, cohort=session.cohort,
                           people=ops.attendees(session.cohort),
                           marks=ops.session_attendance(session), held=session.day <= today())


@bp.route("/truong/lop/<int:cohort_id>/nhap", methods=["GET", "POST"])
@role_required(*SCHOOL)
def import_page(cohort_id: int):
    """Upload → preview (nothing written) → confirm, as every import (docs/imports.md); the file
    is kept with the class in an ImportBatch between the two steps."""
    cohort = get_cohort_for_school_or_404(current_user, cohort_id)
    form = CohortImportForm()
    if request.method == "GET" and request.args.get("kind") in CLASS_KINDS:
        form.kind.data = request.args["kind"]
    errors = []
    if form.validate_on_submit():
        upload, kind = form.file.data, form.kind.data
        with one_commit() as outcome:
            plan, batch = xops.stage_import(kind, upload.read(), upload.filename,
                                            user=current_user, cohort=cohort)
        if outcome["ok"]:
            return render_template(
                "interchange/preview.html", plan=plan, batch=batch, kind=kind,
                filename=upload.filename, label=f"{CLASS_KINDS[kind]} {cohort.code}",
                summary=xops.summary_text(kind, plan.counts(), done=False),
                confirm_form=ConfirmForm(),
                confirm_action=url_for("cohorts.confirm_import", cohort_id=cohort.id,
                                       batch_id=batch.id) if batch else None,
                back=url_for("cohorts.import_page", cohort_id=cohort.id, kind=kind))
        errors = outcome.get("errors", [])
    return render_template("cohorts/import.html", cohort=cohort, form=form, errors=errors,
                           result=None)


@bp.route("/truong/lop/<int:cohort_id>/nhap/lo/<int:batch_id>/xac-nhan", methods=["POST"])
@role_required(*SCHOOL)
def confirm_import(cohort_id: int, batch_id: int):
    cohort = get_cohort_for_school_or_404(current_user, cohort_id)
    batch = db.session.get(ImportBatch, batch_id)
    if batch is None or batch.cohort_id != cohort.id or batch.created_by != current_user.id:
        abort(404)
    ConfirmForm().validate_on_submit()  # CSRF
    kind, filename = batch.kind, batch.filename
    with one_commit() as outcome:
        counts = xops.confirm_import(batch, user=current_user).counts()
    if outcome["ok"]:
        flash(xops.summary_text(kind, counts) + f" (tệp “{filename}”)", "success")
        return redirect(url_for("school.cohort", cohort_id=cohort.id))
    form = CohortImportForm(kind=kind)
    return render_template("cohorts/import.html", cohort=cohort, form=form,
                           errors=outcome.get("errors", []), result=None)


@bp.route("/truong/lop/<int:cohort_id>/mau-<kind>.xlsx")
@role_required(*SCHOOL)
def import_template(cohort_id: int, kind: str):
    cohort = get_cohort_for_school_or_404(current_user, cohort_id)
    if kind not in CLASS_KINDS:
        abort(404)
    names = {"attendance": "diem-danh", "class_results": "ket-qua"}
    return send_file(io.BytesIO(ops.import_template(cohort, kind)), mimetype=XLSX,
                     download_name=f"{names[kind]}-{cohort.code}.xlsx", as_attachment=True)


@bp.route("/truong/lop/<int:cohort_id>/cap-chung-chi", methods=["POST"])
@role_required(*SCHOOL)
def issue(cohort_id: int):
    cohort = get_cohort_for_school_or_404(current_user, cohort_id)
    with one_commit() as outcome:
        n = ops.issue_certificates(cohort)
        waiting = len(ops.ineligible_reasons(cohort))
    if outcome["ok"]:
        message = f"Đã cấp {n} chứng chỉ."
        if waiting:
            message += (f" {waiting} học viên hoàn thành chưa đủ điều kiện "
                        "(xem lý do trong danh sách).")
        flash(message, "success" if n else "warning")
    return redirect(url_for("school.cohort", cohort_id=cohort.id))


def _certificate_or_404(enrollment_id: int) -> Enrollment:
    """The certificate if the user may see it: the official's own, the school of the cohort, HR in
    scope, admin. Anything else is a 404 (never reveal that it exists)."""
    enrollment = db.session.get(Enrollment, enrollment_id)
    if enrollment is None or not enrollment.certificate_no:
        abort(404)
    role = current_user.role
    if role == "official":
        if enrollment.official_id != current_user.official_id:
            abort(404)
    elif role == "school":
        if enrollment.cohort_id is None:
            abort(404)
        get_cohort_for_school_or_404(current_user, enrollment.cohort_id)
    elif role == "hr":
        get_official_or_404(current_user, enrollment.official_id)
    elif role != "admin":
        abort(404)
    return enrollment


@bp.route("/chung-chi/<int:enrollment_id>.pdf")
@role_required("official", "school", "hr", "admin")
def certificate(enrollment_id: int):
    enrollment = _certificate_or_404(enrollment_id)
    url = url_for("cohorts.verify", code=enrollment.certificate_code, _external=True)
    pdf = certificate_pdf(enrollment, url)
    return send_file(io.BytesIO(pdf), mimetype="application/pdf",
                     download_name=f"chung-chi-{enrollment.certificate_no}.pdf")


@bp.route("/truong/chung-chi/<int:enrollment_id>/xac-nhan-thay", methods=["GET", "POST"])
@role_required(*SCHOOL)
def replace_certificate(enrollment_id: int):
    """A lost certificate: the school issues a confirmation of completion instead (a certificate
    is issued once). The page shows what exists; issuing asks for a reason and a confirmation."""
    enrollment = _certificate_or_404(enrollment_id)
    form = ReplaceCertificateForm()
    if form.validate_on_submit():
        with one_commit() as outcome:
            confirmation = ops.confirm_lost_certificate(enrollment, reason=form.reason.data,
                                                        actor=current_user.display_name)
        if outcome["ok"]:
            flash(f"Đã cấp giấy xác nhận số {confirmation.number}.", "success")
            return redirect(url_for("cohorts.replace_certificate", enrollment_id=enrollment.id))
    return render_template("cohorts/replace.html", enrollment=enrollment, form=form,
                           confirmations=ops.confirmations_of(enrollment))


@bp.route("/giay-xac-nhan/<int:confirmation_id>.pdf")
@role_required("official", "school", "hr", "admin")
def confirmation(confirmation_id: int):
    confirmation = db.session.get(CertificateConfirmation, confirmation_id)
    if confirmation is None:
        abort(404)
    _certificate_or_404(confirmation.enrollment_id)
    url = url_for("cohorts.verify", code=confirmation.code, _external=True)
    return send_file(io.BytesIO(confirmation_pdf(confirmation, url)), mimetype="application/pdf",
                     download_name=f"giay-xac-nhan-{confirmation.number}.pdf")


@bp.route("/xac-minh/<code>")
def verify(code: str):
    """Public (no login): anyone holding the paper can check it. Shows only what is printed as
    proof of completion — no birth date, identity number or unit. The code may be a
    certificate's or that of a confirmation replacing it."""
    confirmation = ops.confirmation_by_code(code)
    enrollment = confirmation.enrollment if confirmation else ops.certificate_by_code(code)
    replaced = ops.confirmations_of(enrollment) if enrollment and not confirmation else []
    return render_template("cohorts/verify.html", enrollment=enrollment,
                           confirmation=confirmation, replaced=replaced), \
        200 if enrollment else 404

