from __future__ import annotations

from datetime import UTC, datetime, time

import sqlalchemy as sa
from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user

from trainer.auth.scope import officials_filter, role_required, visible_unit_ids
from trainer.exports import xlsx_response
from trainer.extensions import db
from trainer.forms_util import options
from trainer.framework.models import Competency, Position
from trainer.learning.models import Course
from trainer.org.models import Unit
from trainer.targets import operations as ops
from trainer.targets.forms import TargetForm
from trainer.views_util import one_commit

bp = Blueprint("targets", __name__, url_prefix="/muc-tieu")
HR = ("hr", "admin")
MISSING_SHOWN = 200


def _facts():
    if ops.ensure_presets():  # a database set up before targets were data: seed once
        db.session.commit()
    return ops.facts_for(officials_filter(current_user), unit_ids=visible_unit_ids(current_user))


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
    facts = _facts()
    outlooks = ops.all_outlooks(facts=facts)
    texts = {o.progress.target.code: ops.describe(o.progress.target, young_age=facts.young_age)
             for o in outlooks}
    return render_template("targets/dashboard.html", outlooks=outlooks, texts=texts,
                           today=facts.on, can_manage=ops.can_manage_targets(current_user))


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
    facts = _facts()
    target = _target_or_404(code)
    p = ops.progress_of(target, facts)
    o = ops.outlook_of(p, facts)
    missing = ops.missing_of(p, facts)
    population_text, criterion_text = ops.describe(target, young_age=facts.young_age)
    return render_template("targets/detail.html", p=p, o=o, missing=missing.head(MISSING_SHOWN),
                           missing_total=len(missing), population_text=population_text,
                           criterion_text=criterion_text, chart=chart_data(o),
                           units=units_chart(p), can_manage=ops.can_manage_targets(current_user))


@bp.route("/bao-cao.xlsx")
@role_required(*HR)
def export():
    """The target report in Excel: all targets (or one, `?ma=`), per unit, who is missing."""
    facts = _facts()
    code = request.args.get("ma")
    targets = [_target_or_404(code)] if code else ops.list_targets()
    outlooks = [ops.outlook_of(ops.progress_of(t, facts), facts) for t in targets]
    sheets = ops.report_sheets(outlooks, facts)
    name = f"muc-tieu-{code}" if code else "bao-cao-muc-tieu"
    return xlsx_response(sheets, title="Báo cáo tiến độ mục tiêu đào tạo, bồi dưỡng",
                         unit=_scope_name(), filename=f"{name}-{facts.on:%Y%m%d}.xlsx")


def _form_choices(form: TargetForm) -> None:
    units = db.session.execute(sa.select(Unit.id, Unit.name).where(Unit.kind != "department")
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
