"""A school's screens (/truong/…): its courses and cohorts, opening a class, the roster and
results, sessions and attendance, module results of degree programmes, the class imports, and
certificates with their verification page."""
from __future__ import annotations

import io

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from trainer.catalog.models import Course
from trainer.cohorts import operations as ops
from trainer.cohorts.certificate import certificate_pdf, confirmation_pdf
from trainer.cohorts.forms import (CancelForm, CohortForm, CohortImportForm, LecturerForm,
                                   ReplaceCertificateForm, SessionForm, StartForm)
from trainer.cohorts.models import CertificateConfirmation, CohortSession
from trainer.cohorts.operations import attendance_rates, ineligible_reasons
from trainer.core import events
from trainer.core.errors import DomainError
from trainer.core.extensions import db
from trainer.core.forms_util import options
from trainer.core.params import arg_id, arg_int, form_ids
from trainer.core.timeutil import today
from trainer.core.views_util import one_commit, role_required
from trainer.degrees import operations as degree_ops
from trainer.degrees.forms import TermForm, parse_module_scores, parse_score
from trainer.degrees.models import ModuleResult
from trainer.feedback import operations as feedback_ops
from trainer.interchange import operations as xops
from trainer.interchange.forms import ConfirmForm
from trainer.interchange.models import ImportBatch
from trainer.interchange.operations import CLASS_KINDS
from trainer.learning import operations as learning_ops
from trainer.learning.access import get_cohort_for_school_or_404, get_official_or_404
from trainer.learning.models import SEAT_STATUSES, Cohort, Enrollment

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
        return redirect(url_for("cohorts.cohort", cohort_id=cohort.id))
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
        message = ops.issue_summary(cohort, n)
    if outcome["ok"]:
        flash(message, "success" if n else "warning")
    return redirect(url_for("cohorts.cohort", cohort_id=cohort.id))


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


# --- The school's home, its cohorts and their rosters -----------------------------------------

def _own_courses():
    q = sa.select(Course).order_by(Course.name)
    if current_user.role != "admin":
        q = q.where(Course.provider_id == current_user.provider_id)
    return db.session.scalars(q).all()


@bp.route("/truong/")
@role_required(*SCHOOL)
def home():
    courses = _own_courses()
    ids = [c.id for c in courses]
    # Learners per cohort: those holding a seat now, or who finished (passed or not).
    taken = dict(db.session.execute(
        sa.select(Enrollment.cohort_id, sa.func.count(Enrollment.id))
        .where(Enrollment.status.in_(SEAT_STATUSES + ("completed", "failed")))
        .group_by(Enrollment.cohort_id)).all())
    cohorts = db.session.scalars(sa.select(Cohort).where(Cohort.course_id.in_(ids))
                                 .order_by(Cohort.start_date.desc())).all()
    return render_template("cohorts/home.html", courses=courses, cohorts=cohorts, taken=taken)


@bp.route("/truong/lop/moi", methods=["GET", "POST"])
@role_required(*SCHOOL)
def new_cohort():
    form = CohortForm()
    courses = _own_courses()
    form.course_id.choices = options((c.id, c.name) for c in courses)
    if request.method == "GET" and arg_id("course"):
        form.course_id.data = arg_id("course")
    if form.validate_on_submit():
        course = next(c for c in courses if c.id == form.course_id.data)
        with one_commit(f"Đã mở lớp {form.code.data}.") as outcome:
            cohort = learning_ops.create_cohort(course, code=form.code.data.strip(),
                                       start_date=form.start_date.data,
                                       end_date=form.end_date.data, capacity=form.capacity.data,
                                       location=form.location.data.strip(), mode=form.mode.data,
                                       enrollment_deadline=form.enrollment_deadline.data)
        if outcome["ok"]:
            return redirect(url_for("cohorts.cohort", cohort_id=cohort.id))
    return render_template("cohorts/new_cohort.html", form=form)


@bp.route("/truong/lop/<int:cohort_id>", methods=["GET", "POST"])
@role_required(*SCHOOL)
def cohort(cohort_id: int):
    cohort = get_cohort_for_school_or_404(current_user, cohort_id)
    preview = {}
    if request.method == "POST":
        with one_commit() as outcome:
            results = _parse_results(request.form)
            learning_ops.check_results(cohort, results)  # a broken rule first, as on saving
            # Before saving, the school sees who will not get a certificate and why: a
            # "Hoàn thành" that would not earn one must be confirmed (issue 12).
            preview = ops.certificate_outlook(cohort, results)
            if request.form.get("confirm") or not any(
                    results[eid][0] == "completed" for eid in preview):
                preview = {}
                n = learning_ops.record_results(cohort, results,
                                                assessor=current_user.display_name)
        if outcome["ok"] and not preview:
            flash(f"Đã ghi kết quả cho {n} học viên.", "success")
        if not preview:
            return redirect(url_for("cohorts.cohort", cohort_id=cohort.id))
    roster = sorted(cohort.enrollments, key=lambda e: e.official.full_name)
    events.audit_access("official_view", subject_type="cohort", subject_id=cohort.id,
                        detail=f"danh sách học viên lớp {cohort.code} ({len(roster)} người)")
    return render_template("cohorts/cohort.html", cohort=cohort, roster=roster,
                           closes=learning_ops.enrollment_closes(cohort),
                           seats=cohort.capacity - learning_ops.seats_taken(cohort),
                           rates=attendance_rates(cohort), reasons=ineligible_reasons(cohort),
                           outlook=ops.certificate_outlook(cohort), preview=preview,
                           entered=request.form if preview else {},
                           early=learning_ops.starts_early(cohort), start_form=StartForm(),
                           cancel_form=CancelForm())


def _parse_results(form) -> dict[int, tuple[str, float | None]]:
    """Form fields outcome-<id> (completed/failed/blank) and score-<id> (0–10, comma allowed)."""
    results, errors = {}, []
    for key, outcome in form.items():
        if not key.startswith("outcome-") or outcome not in ("completed", "failed"):
            continue
        suffix = key.split("-", 1)[1]
        if not (suffix.isascii() and suffix.isdigit() and len(suffix) <= 10):
            errors.append(f"Trường “{key[:30]}” không hợp lệ.")
            continue
        enrollment_id = int(suffix)
        try:
            score = parse_score(form.get(f"score-{enrollment_id}", ""))
        except DomainError as e:
            errors.append(str(e))
            continue
        results[enrollment_id] = (outcome, score)
    if errors:
        raise DomainError(" ".join(errors))
    if not results:
        raise DomainError("Chưa chọn kết quả cho học viên nào.")
    return results


@bp.route("/truong/lop/<int:cohort_id>/khai-giang", methods=["POST"])
@role_required(*SCHOOL)
def start(cohort_id: int):
    cohort = get_cohort_for_school_or_404(current_user, cohort_id)
    form = StartForm()
    if learning_ops.starts_early(cohort) and not form.confirm.data:
        flash(f"Lớp {cohort.code} khai giảng ngày {cohort.start_date:%d/%m/%Y}: khai giảng sớm "
              "cần ghi lý do và đánh dấu xác nhận.", "danger")
        return redirect(url_for("cohorts.cohort", cohort_id=cohort.id))
    with one_commit(f"Lớp {cohort.code} đã khai giảng: học viên chuyển sang “Đang học”."):
        learning_ops.start_cohort(cohort, reason=form.reason.data or "")
    return redirect(url_for("cohorts.cohort", cohort_id=cohort.id))


@bp.route("/truong/lop/<int:cohort_id>/ket-thuc", methods=["POST"])
@role_required(*SCHOOL)
def finish(cohort_id: int):
    cohort = get_cohort_for_school_or_404(current_user, cohort_id)
    with one_commit(f"Lớp {cohort.code} đã kết thúc."):
        learning_ops.finish_cohort(cohort)
    return redirect(url_for("cohorts.cohort", cohort_id=cohort.id))


@bp.route("/truong/lop/<int:cohort_id>/huy", methods=["POST"])
@role_required(*SCHOOL)
def cancel(cohort_id: int):
    cohort = get_cohort_for_school_or_404(current_user, cohort_id)
    form = CancelForm()
    if not form.validate_on_submit():
        flash("Cần ghi lý do hủy lớp.", "danger")
    else:
        with one_commit() as outcome:
            n = learning_ops.cancel_cohort(cohort, reason=form.reason.data)
        if outcome["ok"]:
            flash(f"Đã hủy lớp {cohort.code} và báo cho {n} học viên.", "success")
    return redirect(url_for("cohorts.cohort", cohort_id=cohort.id))


@bp.route("/truong/dang-ky/<int:enrollment_id>/vang", methods=["POST"])
@role_required(*SCHOOL)
def no_show(enrollment_id: int):
    enrollment = db.session.get(Enrollment, enrollment_id)
    if enrollment is None or enrollment.cohort_id is None:
        abort(404)
    cohort = get_cohort_for_school_or_404(current_user, enrollment.cohort_id)
    with one_commit(f"Đã ghi {enrollment.official.full_name} không tham gia lớp."):
        learning_ops.mark_no_show(enrollment)
    return redirect(url_for("cohorts.cohort", cohort_id=cohort.id))


# --- Degree programmes: module results by term ----------------------------------------------------

@bp.route("/truong/lop/<int:cohort_id>/hoc-phan", methods=["GET", "POST"])
@role_required(*SCHOOL)
def module_results(cohort_id: int):
    cohort = get_cohort_for_school_or_404(current_user, cohort_id)
    terms = degree_ops.course_terms(cohort.course_id)
    progress = degree_ops.cohort_progress(cohort)
    form = TermForm(request.args)
    form.term.choices = options((t, f"Học kỳ {t}") for t in terms)
    term = arg_int("term", min=1, max=99)
    if term not in terms:
        open_terms = progress.loc[progress["current_term"] > 0, "current_term"]
        term = int(open_terms.min()) if len(open_terms) else (terms[0] if terms else None)
    form.term.data = term
    if request.method == "POST" and term is not None:
        with one_commit() as outcome:
            entry = degree_ops.record_module_results(cohort, term, parse_module_scores(request.form),
                                              on=today(), assessor=current_user.display_name)
        if outcome["ok"]:
            message = f"Đã ghi {entry.recorded} điểm học phần."
            if entry.granted:
                message += (" Công nhận tốt nghiệp: "
                            + ", ".join(e.official.full_name for e in entry.granted) + ".")
            flash(message, "success")
        return redirect(url_for("cohorts.module_results", cohort_id=cohort.id, term=term))
    roster = sorted((e for e in cohort.enrollments if e.status in SEAT_STATUSES + ("completed",)),
                    key=lambda e: e.official.full_name)
    modules = degree_ops.course_modules(cohort.course_id, term) if term is not None else []
    scores = {}
    if roster and modules:
        scores = {(r.enrollment_id, r.module_id): r for r in db.session.scalars(
            sa.select(ModuleResult).where(
                ModuleResult.enrollment_id.in_([e.id for e in roster]),
                ModuleResult.module_id.in_([m.id for m in modules])))}
    return render_template("cohorts/module_results.html", cohort=cohort, form=form, term=term,
                           terms=terms, roster=roster, modules=modules, scores=scores,
                           progress=progress.to_dict("index"), seat_statuses=SEAT_STATUSES)


@bp.route("/truong/lop/<int:cohort_id>/giang-vien", methods=["GET", "POST"])
@role_required(*SCHOOL)
def lecturers(cohort_id: int):
    """The class's lecturers (issue 13 §4): learners' feedback is averaged by lecturer."""
    cohort = get_cohort_for_school_or_404(current_user, cohort_id)
    form = LecturerForm()
    if form.validate_on_submit():
        with one_commit(f"Đã thêm giảng viên {feedback_ops.lecturer_name(form.name.data)}.") \
                as outcome:
            feedback_ops.add_lecturer(cohort, form.name.data)
        if outcome["ok"]:
            return redirect(url_for("cohorts.lecturers", cohort_id=cohort.id))
    return render_template("cohorts/lecturers.html", cohort=cohort, form=form,
                           most=feedback_ops.LECTURERS_PER_CLASS), 400 if form.errors else 200


@bp.route("/truong/lop/<int:cohort_id>/giang-vien/bo", methods=["POST"])
@role_required(*SCHOOL)
def remove_lecturer(cohort_id: int):
    cohort = get_cohort_for_school_or_404(current_user, cohort_id)
    form = LecturerForm()
    if form.validate_on_submit():
        with one_commit("Đã bỏ giảng viên khỏi lớp."):
            feedback_ops.remove_lecturer(cohort, form.name.data)
    else:
        flash("Không rõ giảng viên cần bỏ.", "danger")
    return redirect(url_for("cohorts.lecturers", cohort_id=cohort.id))
