from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from trainer.catalog.models import Competency, Course, Position
from trainer.core.extensions import db
from trainer.core.forms_util import options
from trainer.core.tabular import parse_date
from trainer.core.timeutil import today
from trainer.core.views_util import one_commit, role_required
from trainer.jobs import operations as jobs
from trainer.jobs.operations import register_export
from trainer.jobs.views import offer
from trainer.learning.access import officials_filter
from trainer.org.models import Unit
from trainer.org.queries import visible_unit_ids
from trainer.core.cache import cached
from trainer.targets import operations as ops
from trainer.targets.criteria import UNDATED_KINDS
from trainer.targets.facts import Facts
from trainer.targets.forms import TargetForm
from trainer.core.settings import young_age_limit

bp = Blueprint("targets", __name__, url_prefix="/muc-tieu")
HR = ("hr", "admin")
MISSING_SHOWN = 200
EARLIEST_AS_OF = date(2000, 1, 1)  # `?ngay=`: older than any record (and within pandas' dates)


def _facts(on: date | None = None):
    if ops.ensure_presets():  # a database set up before targets were data: seed once
        db.session.commit()
    if on is not None:  # a past date (the detail page's `?ngay=`)
        return Facts.load(officials_filter(current_user), unit_ids=visible_unit_ids(current_user),
                          young_age=young_age_limit(), on=on)
    return ops.facts_for(officials_filter(current_user), unit_ids=visible_unit_ids(current_user))


def _as_of_arg() -> date | None:
    """`?ngay=dd/mm/yyyy` (or yyyy-mm-dd): a past date to show a target as of; None for today.
    A bad or future date says so and shows today."""
    text = (request.args.get("ngay") or "").strip()
    if not text:
        return None
    try:
        on = parse_date(text)
    except ValueError:
        flash(f"“{text[:20]}” không phải ngày hợp lệ (dd/mm/yyyy): đang hiện số liệu hôm nay.",
              "warning")
        return None
    if on > today():
        flash("Không xem được số liệu của một ngày ở tương lai: đang hiện số liệu hôm nay.",
              "warning")
        return None
    if on < EARLIEST_AS_OF:
        flash(f"Chỉ xem được số liệu từ {EARLIEST_AS_OF:%d/%m/%Y}: đang hiện số liệu hôm nay.",
              "warning")
        return None
    return on if on < today() else None


def _scope_name() -> str:
    return current_user.unit.name if getattr(current_user, "unit", None) else "Toàn tỉnh"


def _target_or_404(code: str):
    target = ops.target_by_code(code)
    if target is None:
        abort(404)
    return target


@bp.route("/")
@role_required(*HR)
def dashboard():
    """HR's landing page. Its table is computed once per scope, day and data version (every
    committed write advances it: core.cache), then served from Redis; after a write, from the
    kept tallies of the parts of the province the write did not touch."""
    if ops.ensure_presets():  # a database set up before targets were data: seed once
        db.session.commit()
    scope = (current_user.role, current_user.unit_id if current_user.role != "admin" else None,
             young_age_limit(), today().isoformat())
    on, rows = cached("targets-dashboard", scope, lambda: ops.dashboard_rows(
        officials_filter(current_user), unit_ids=visible_unit_ids(current_user),
        cache_key=scope))
    return render_template("targets/dashboard.html", rows=rows, today=on,
                           can_manage=ops.can_manage_targets(current_user))


def _ms(d) -> int:
    return int(datetime.combine(d, time(), tzinfo=UTC).timestamp() * 1000)


def chart_data(o: ops.Outlook) -> dict:
    """Series for Chart.js (x in milliseconds since 1970, UTC): the trend, the projection at the
    current pace, the projection with the scheduled cohorts, the threshold line."""
    p, t = o.progress, o.progress.target
    on = o.trend[-1][0] if o.trend else None
    actual = [{"x": _ms(d), "y": round(v, 2)} for d, v in o.trend if v is not None]
    end = max([d for d in (t.deadline, o.forecast, o.forecast_with_cohorts, on) if d])
    pace = [] if on is None or o.pace is None or o.pace <= 0 else [
        {"x": _ms(on), "y": round(p.percent, 2)},
        {"x": _ms(o.forecast or end), "y": round(min(100.0, p.percent + o.pace * (
            (o.forecast or end) - on).days / ops.MONTH_DAYS), 2)}]
    cohorts = []
    if on is not None and o.gains:
        cohorts = [{"x": _ms(on), "y": round(p.percent, 2)}]
        base = max(o.pace or 0.0, 0.0)
        for d, g in o.gains:
            cohorts.append({"x": _ms(d), "y": round(min(100.0, p.percent + base * (d - on).days
                                                        / ops.MONTH_DAYS + g), 2)})
    start = o.trend[0][0] if o.trend else t.deadline
    return {"actual": actual, "pace": pace, "cohorts": cohorts,
            "threshold": [{"x": _ms(start), "y": t.threshold}, {"x": _ms(end), "y": t.threshold}],
            "deadline": _ms(t.deadline), "threshold_value": t.threshold}


def units_chart(p: ops.Progress) -> dict:
    colours = {"success": "#198754", "warning": "#ffc107", "danger": "#dc3545"}
    rows = p.per_unit
    return {"labels": rows["unit_name"].tolist(),
            "values": [round(float(v), 1) for v in rows["percent"]],
            "colours": [colours[c] for c in rows["colour"]], "threshold": p.target.threshold}


@bp.route("/<code>")
@role_required(*HR)
def detail(code: str):
    """A target's progress, trend, forecast, per-unit ranking and who is missing; `?ngay=` shows
    them as of a past date, on the unit tree of that day (docs/units.md), without a forecast."""
    as_of = _as_of_arg()
    facts = _facts(as_of)
    target = _target_or_404(code)
    if as_of is not None and target.criterion.get("kind") in UNDATED_KINDS:
        flash("Tiêu chí này (hồ sơ số hóa, chữ ký số, cơ cấu lãnh đạo) không có ngày ghi nhận nên "
              "không có số liệu của ngày đã qua: đang hiện số liệu hôm nay.", "warning")
        as_of, facts = None, _facts()
    p = ops.progress_of(target, facts)
    o = ops.outlook_of(p, facts)
    if as_of is not None:  # what is scheduled now says nothing about a past day
        o = replace(o, pace=None, forecast=None, gains=[], forecast_with_cohorts=None)
    missing = ops.missing_of(p, facts)
    population_text, criterion_text = ops.describe(target, young_age=facts.young_age)
    return render_template("targets/detail.html", p=p, o=o, missing=missing.head(MISSING_SHOWN),
                           missing_total=len(missing), population_text=population_text,
                           criterion_text=criterion_text, chart=chart_data(o),
                           units=units_chart(p), can_manage=ops.can_manage_targets(current_user),
                           as_of=as_of, today=today(),
                           recorded_levels=_reads_recorded_levels(target))


def _reads_recorded_levels(target) -> bool:
    """Whether the target reads a recorded qualification (undated: held since always)."""
    crit, pop = target.criterion or {}, target.population or {}
    return (crit.get("kind") == "qualification" or bool(crit.get("qualification"))
            or bool(pop.get("qualification")))


register_export("targets.report", "Báo cáo tiến độ mục tiêu (Excel)", endpoint="targets.export",
                roles=HR)


@bp.route("/bao-cao.xlsx")
@role_required(*HR)
def export():
    """The target report in Excel: all targets (or one, `?ma=`), per unit, who is missing. It
    takes 10–30 s at 10,000 officials, so it is a background job (trainer/jobs): a GET offers
    it, the worker runs this view in the asking user's scope and keeps the file."""
    code = request.args.get("ma")
    if not jobs.running():
        if code:
            _target_or_404(code)
        return offer("targets.report")
    jobs.progress(5, "Đang đọc hồ sơ, đánh giá và kết quả học tập")
    facts = _facts()
    targets = [_target_or_404(code)] if code else ops.list_targets()
    outlooks = []
    for i, t in enumerate(targets):
        jobs.progress(15 + 65 * i / len(targets), f"Đang tính mục tiêu {t.code} ({i + 1}/"
                      f"{len(targets)})")
        outlooks.append(ops.outlook_of(ops.progress_of(t, facts), facts))
    jobs.progress(80, "Đang lập các bảng: theo đơn vị, người chưa đạt")
    sheets = ops.report_sheets(outlooks, facts)
    name = f"muc-tieu-{code}" if code else "bao-cao-muc-tieu"
    return jobs.ExportFile(sheets, title="Báo cáo tiến độ mục tiêu đào tạo, bồi dưỡng",
                           unit=_scope_name(), filename=f"{name}-{facts.on:%Y%m%d}.xlsx")


def _form_choices(form: TargetForm) -> None:
    units = db.session.execute(sa.select(Unit.id, Unit.name).where(
        Unit.kind != "department", Unit.closed_on.is_(None))
        .order_by(Unit.parent_id.is_not(None), Unit.name)).all()
    form.unit_id.choices = options([("", "Toàn tỉnh (không lọc)")]
                                   + [(str(i), n) for i, n in units])
    form.position_codes.choices = options(db.session.execute(
        sa.select(Position.code, Position.name).order_by(Position.group, Position.name)).all())
    form.course_codes.choices = options(
        (c, f"{c} – {n}") for c, n in db.session.execute(
            sa.select(Course.code, Course.name).order_by(Course.code)).all())
    form.competency_codes.choices = options(
        (c, f"{c} – {n}") for c, n in db.session.execute(
            sa.select(Competency.code, Competency.name).order_by(Competency.code)).all())


def _require_manager():
    if not ops.can_manage_targets(current_user):
        abort(403)


@bp.route("/them", methods=["GET", "POST"])
@role_required(*HR)
def create():
    _require_manager()
    form = TargetForm()
    _form_choices(form)
    if form.validate_on_submit():
        with one_commit("Đã thêm mục tiêu.") as done:
            target = ops.create_target(form.to_data(), actor=current_user.username)
        if done["ok"]:
            return redirect(url_for("targets.detail", code=target.code))
    return render_template("targets/form.html", form=form, target=None), \
        400 if request.method == "POST" else 200


@bp.route("/<code>/sua", methods=["GET", "POST"])
@role_required(*HR)
def edit(code: str):
    _require_manager()
    target = _target_or_404(code)
    form = TargetForm()
    _form_choices(form)
    if request.method == "GET":
        form.fill_from(target)
    if form.validate_on_submit():
        with one_commit("Đã lưu mục tiêu.") as done:
            ops.update_target(target, form.to_data(), actor=current_user.username)
        if done["ok"]:
            return redirect(url_for("targets.detail", code=target.code))
        target = _target_or_404(code)
    return render_template("targets/form.html", form=form, target=target), \
        400 if request.method == "POST" else 200
