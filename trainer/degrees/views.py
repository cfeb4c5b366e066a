"""Degree cohorts (LC-T1, LC-T2): the school's module grid, the HR list of officials to send to
university, the HR list of expiring completions; panels on /toi and on the official's record."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from trainer.core.cache import cached
from trainer.core.params import arg_choice
from trainer.core.timeutil import today
from trainer.core.views_util import one_commit, role_required
from trainer.degrees import operations as ops
from trainer.degrees.forms import WITHIN_CHOICES, ExpiringFilterForm
from trainer.learning.access import officials_filter
from trainer.people.models import Official

bp = Blueprint("degrees", __name__)
SCHOOL = ("school", "admin")
HR = ("hr", "admin")
SHOWN = 500  # rows on a page; the total is always shown


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
    """The official's completions expiring soon (/toi, HR record), kept per official, day and
    data version (core.cache)."""
    return cached("expiring", f"{official.id}:{within_days}:{today().isoformat()}",
                  lambda: ops.expiring_completions(Official.id == official.id,
                                                   within_days=within_days).to_dict("records"))


@bp.app_context_processor
def _degree_panels():
    # Functions, not data: a page pays for the queries only if it includes the panel.
    return {"degree_progress_of": degree_progress_of, "expiring_of": expiring_of}

