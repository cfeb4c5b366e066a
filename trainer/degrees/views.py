"""Degree cohorts (LC-T1, LC-T2): the school's module grid, the HR list of officials to send to
university, the HR list of expiring completions; panels on /toi and on the official's record."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from trainer.auth.scope import get_cohort_for_school_or_404, officials_filter, role_required
from trainer.degrees import operations as ops
from trainer.degrees.forms import (WITHIN_CHOICES, ExpiringFilterForm, TermForm,
                                   parse_module_scores)
from trainer.extensions import db
from trainer.forms_util import options
from trainer.learning.models import SEAT_STATUSES, ModuleResult
from trainer.params import arg_choice, arg_int
from trainer.people.models import Official
from trainer.timeutil import today
from trainer.views_util import one_commit

bp = Blueprint("degrees", __name__)
SCHOOL = ("school", "admin")
HR = ("hr", "admin")
SHOWN = 500  # rows on a page; the total is always shown


@bp.route("/truong/lop/<int:cohort_id>/hoc-phan", methods=["GET", "POST"])
@role_required(*SCHOOL)
def module_results(cohort_id: int):
    cohort = get_cohort_for_school_or_404(current_user, cohort_id)
    terms = ops.course_terms(cohort.course_id)
    progress = ops.cohort_progress(cohort)
    form = TermForm(request.args)
    form.term.choices = options((t, f"Học kỳ {t}") for t in terms)
    term = arg_int("term", min=1, max=99)
    if term not in terms:
        open_terms = progress.loc[progress["current_term"] > 0, "current_term"]
        term = int(open_terms.min()) if len(open_terms) else (terms[0] if terms else None)
    form.term.data = term
    if request.method == "POST" and term is not None:
        with one_commit() as outcome:
            entry = ops.record_module_results(cohort, term, parse_module_scores(request.form),
                                              on=today(), assessor=current_user.display_name)
        if outcome["ok"]:
            message = f"Đã ghi {entry.recorded} điểm học phần."
            if entry.granted:
                message += (" Công nhận tốt nghiệp: "
                            + ", ".join(e.official.full_name for e in entry.granted) + ".")
            flash(message, "success")
        return redirect(url_for("degrees.module_results", cohort_id=cohort.id, term=term))
    roster = sorted((e for e in cohort.enrollments if e.status in SEAT_STATUSES + ("completed",)),
                    key=lambda e: e.official.full_name)
    modules = ops.course_modules(cohort.course_id, term) if term is not None else []
    scores = {}
    if roster and modules:
        scores = {(r.enrollment_id, r.module_id): r for r in db.session.scalars(
            sa.select(ModuleResult).where(
                ModuleResult.enrollment_id.in_([e.id for e in roster]),
                ModuleResult.module_id.in_([m.id for m in modules])))}
    return render_template("degrees/module_results.html", cohort=cohort, form=form, term=term,
                           terms=terms, roster=roster, modules=modules, scores=scores,
                           progress=progress.to_dict("index"), seat_statuses=SEAT_STATUSES)


@bp.route("/dao-tao-van-bang")
@role_required(*HR)
def candidates():
    df = ops.degree_candidates(officials_filter(current_user))
    per_course = (df.groupby(["course_code", "course_name"], dropna=False).size()
                  .rename("n").reset_index().sort_values("n", ascending=False)
                  .to_dict("records")) if not df.empty else []
    return render_template("degrees/candidates.html", rows=df.head(SHOWN).to_dict("records"),
                           total=len(df), per_course=per_course,
                           min_years=ops.LC_T2_MIN_YEARS_LEFT, on=today())


@bp.route("/het-hieu-luc")
@role_required(*HR)
def expiring():
    form = ExpiringFilterForm(request.args)
    within = form.within.data if form.validate() else 60
    df = ops.expiring_completions(officials_filter(current_user), within_days=within)
    return render_template("degrees/expiring.html", form=form, within=within,
                           rows=df.head(SHOWN).to_dict("records"), total=len(df),
                           n_expired=int(df["expired"].sum()) if not df.empty else 0)


@bp.route("/het-hieu-luc/nhac", methods=["POST"])
@role_required("admin")
def remind():
    """Province-wide reminders (also run daily from the CLI/cron)."""
    within = arg_choice("within", [days for days, _ in WITHIN_CHOICES], 60, source=request.form)
    with one_commit() as outcome:
        sent = ops.remind_expiring(within_days=within)
    if outcome["ok"]:
        flash(f"Đã gửi {sent} thông báo nhắc học lại.", "success")
    return redirect(url_for("degrees.expiring", within=within))


# --------------------------------------------------------------------------- panels
def degree_progress_of(official: Official) -> list[dict]:
    """Degree programmes the official is in, with modules passed per term (/toi, HR record)."""
    return [ops.degree_progress(e) for e in ops.degree_enrollments(official.id)]


def expiring_of(official: Official, within_days: int = 60) -> list[dict]:
    return ops.expiring_completions(Official.id == official.id,
                                    within_days=within_days).to_dict("records")


@bp.app_context_processor
def _degree_panels():
    # Functions, not data: a page pays for the queries only if it includes the panel.
    return {"degree_progress_of": degree_progress_of, "expiring_of": expiring_of}

