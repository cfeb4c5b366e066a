"""Unit screens: the tree, a unit's page, create, edit, merge, delete (docs/units.md).

HR reads its own subtree (and the units merged into it); admins and province HR (an HR account
on the root of the tree) manage. Officials and schools: 403; a unit outside the scope: 404."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from courses import vocab
from trainer.auth.models import User
from trainer.core.display import fold
from trainer.core.extensions import db
from trainer.core.forms_util import options
from trainer.core.params import arg_text
from trainer.core.views_util import one_commit, role_required
from trainer.org import operations as org_ops
from trainer.org.models import Unit
from trainer.org.queries import (away_limit, is_province_hr, merges_of, subtree_totals,
                                 unit_subtree_ids, visible_unit_ids)
from trainer.people.queries import official_counts
from trainer.plans.models import TrainingPlan
from trainer.units import operations as ops
from trainer.units.forms import AwayLimitForm, DeleteForm, MergeForm, UnitForm

bp = Blueprint("units", __name__)
HR = ("hr", "admin")
KIND_ORDER = {code: i for i, (code, _) in enumerate(vocab.UNIT_KINDS)}


def _visible_ids() -> set[int] | None:
    """Units the user may read: their subtree, and the closed units merged into it (a merged
    commune's page stays readable by the HR of the commune that took it over). None: all."""
    ids = visible_unit_ids(current_user)
    if ids is None:
        return None
    seen = set(ids)
    merged = db.session.execute(sa.select(Unit.id, Unit.merged_into_id)
                                .where(Unit.merged_into_id.is_not(None))).all()
    grew = True
    while grew:  # merges can chain (A into B, B into C): a few passes over a few rows
        grew = False
        for uid, into in merged:
            if into in seen and uid not in seen:
                seen.add(uid)
                grew = True
    return seen


def _unit_or_404(unit_id: int) -> Unit:
    unit = db.session.get(Unit, unit_id)
    visible = _visible_ids()
    if unit is None or (visible is not None and unit.id not in visible):
        abort(404)
    return unit


def _require_manager() -> None:
    if not is_province_hr(current_user):
        abort(403)


def _managed_units() -> list[Unit]:
    ids = visible_unit_ids(current_user)
    q = sa.select(Unit).where(Unit.closed_on.is_(None)).order_by(Unit.code)
    if ids is not None:
        q = q.where(Unit.id.in_(ids))
    return list(db.session.scalars(q))


def _tree_rows(units: list[Unit], roots: list[int]) -> list[tuple[Unit, int]]:
    """(unit, depth), each unit followed by the units under it: by kind, then name."""
    below: dict[int | None, list[Unit]] = {}
    for u in units:
        below.setdefault(u.parent_id, []).append(u)
    for children in below.values():
        children.sort(key=lambda u: (u.closed_on is not None, KIND_ORDER.get(u.kind, 9),
                                     fold(u.name)))
    by_id = {u.id: u for u in units}
    out, stack = [], [(by_id[r], 0) for r in reversed(roots) if r in by_id]
    while stack:
        unit, depth = stack.pop()
        out.append((unit, depth))
        stack.extend((c, depth + 1) for c in reversed(below.get(unit.id, [])))
    return out


@bp.route("/don-vi")
@role_required(*HR)
def units():
    visible = _visible_ids()
    units = list(db.session.scalars(sa.select(Unit)))
    if visible is not None:
        units = [u for u in units if u.id in visible]
    ids = {u.id for u in units}
    roots = [u.id for u in sorted(units, key=lambda u: (u.closed_on is not None, u.code))
             if u.parent_id not in ids]  # the province; for HR, its unit and what merged in
    rows = _tree_rows(units, roots)
    q = arg_text("q", max_length=100)
    if q:  # the matches and the units above them, so the tree still reads
        needle = fold(q)
        keep = set()
        by_id = {u.id: u for u in units}
        for u in units:
            if needle in fold(u.name) or needle in u.code.casefold():
                at = u
                while at is not None and at.id not in keep:
                    keep.add(at.id)
                    at = by_id.get(at.parent_id)
        rows = [(u, d) for u, d in rows if u.id in keep]
    totals = subtree_totals(units, official_counts())
    return render_template("units/units.html", rows=rows, totals=totals, q=q,
                           can_manage=is_province_hr(current_user),
                           shown=sum(1 for u, _ in rows if u.is_open),
                           total_open=sum(1 for u in units if u.is_open))


@bp.route("/don-vi/<int:unit_id>")
@role_required(*HR)
def unit(unit_id: int):
    unit = _unit_or_404(unit_id)
    direct = official_counts()
    below = list(db.session.scalars(sa.select(Unit).where(Unit.id.in_(
        unit_subtree_ids(unit.id)))))
    totals = subtree_totals(below, direct)
    children = sorted(unit.children, key=lambda u: (u.closed_on is not None,
                                                    KIND_ORDER.get(u.kind, 9), fold(u.name)))
    merged_in, merged_out = merges_of(unit)
    leftovers = {}
    if not unit.is_open:  # what stayed on the closed unit for a person to decide
        leftovers = {
            "plans": list(db.session.scalars(sa.select(TrainingPlan).where(
                TrainingPlan.unit_id == unit.id).order_by(TrainingPlan.year))),
            "accounts": list(db.session.scalars(sa.select(User).where(
                User.unit_id == unit.id).order_by(User.username))),
            "targets": ops.targets_naming(unit.id)}
    return render_template("units/unit.html", unit=unit, children=children, totals=totals,
                           direct=direct.get(unit.id, 0), merged_in=merged_in,
                           merged_out=merged_out, leftovers=leftovers,
                           can_manage=is_province_hr(current_user), delete_form=DeleteForm(),
                           away_form=AwayLimitForm(percent=unit.max_away_percent),
                           away_limit=away_limit(unit))


@bp.route("/don-vi/<int:unit_id>/gioi-han-di-hoc", methods=["POST"])
@role_required(*HR)
def set_away_limit(unit_id: int):
    """HR of the unit (any HR who sees it) sets how many of its officials may be in class at
    once: a warning at enrollment and approval beyond it (learning.operations.away_warning)."""
    unit = _unit_or_404(unit_id)
    form = AwayLimitForm()
    if not form.validate_on_submit():
        for message in form.percent.errors:
            flash(message, "danger")
        return redirect(url_for("units.unit", unit_id=unit.id))
    percent = form.percent.data
    with one_commit(f"Đã đặt giới hạn {percent}% cán bộ đi học cùng lúc cho {unit.name}."
                    if percent is not None else f"Đã bỏ giới hạn đi học cùng lúc của {unit.name}."):
        org_ops.set_away_limit(unit, percent)
    return redirect(url_for("units.unit", unit_id=unit.id))


def _unit_form(unit: Unit | None) -> UnitForm:
    form = UnitForm()
    below = set(unit_subtree_ids(unit.id)) if unit is not None else set()
    managed = [u for u in _managed_units() if u.kind != "department" and u.id not in below]
    root_allowed = current_user.role == "admin" or (unit is not None and unit.parent_id is None)
    form.parent.choices = options(
        ([("", "— không có (đơn vị cấp tỉnh) —")] if root_allowed else [])
        + [(u.code, f"{u.name} ({u.code})") for u in managed])
    return form


def _save(unit: Unit | None):
    form = _unit_form(unit)
    if request.method == "GET":
        if unit is not None:
            form.code.data, form.name.data, form.kind.data = unit.code, unit.name, unit.kind
            form.region.data = unit.region or ""
            form.parent.data = unit.parent.code if unit.parent else ""
        elif request.args.get("cap-tren"):
            form.parent.data = request.args["cap-tren"]
    if form.validate_on_submit():
        with one_commit("Đã lưu đơn vị.") as done:
            try:
                saved = org_ops.save_unit(form.values(), unit=unit)
            except org_ops.UnitInvalid as e:  # the import's messages, on the fields they concern
                for name, message in e.problems:
                    form[name].errors.append(message)
                raise
        if done["ok"]:
            return redirect(url_for("units.unit", unit_id=saved.id))
        if unit is not None:
            unit = db.session.get(Unit, unit.id)
    return render_template("units/form.html", form=form, unit=unit), \
        400 if request.method == "POST" else 200


@bp.route("/don-vi/moi", methods=["GET", "POST"])
@role_required(*HR)
def create():
    _require_manager()
    return _save(None)


@bp.route("/don-vi/<int:unit_id>/sua", methods=["GET", "POST"])
@role_required(*HR)
def edit(unit_id: int):
    _require_manager()
    unit = _unit_or_404(unit_id)
    if not unit.is_open:
        flash(f"Đơn vị “{unit.name}” {org_ops.closed_text(unit)}: không sửa được.", "warning")
        return redirect(url_for("units.unit", unit_id=unit.id))
    return _save(unit)


@bp.route("/don-vi/<int:unit_id>/sap-nhap", methods=["GET", "POST"])
@role_required(*HR)
def merge(unit_id: int):
    """Choose the target, date and decision → a confirmation saying what will move and what
    stays (nothing written) → the merge, in one commit."""
    _require_manager()
    source = _unit_or_404(unit_id)
    if not source.is_open:
        flash(f"Đơn vị “{source.name}” {org_ops.closed_text(source)}.", "warning")
        return redirect(url_for("units.unit", unit_id=source.id))
    form = MergeForm()
    excluded = set(unit_subtree_ids(source.id))
    form.target.choices = options([(u.id, f"{u.name} ({u.code})") for u in _managed_units()
                                   if u.id not in excluded
                                   and u.kind in org_ops.MERGE_INTO[source.kind]])
    outline = None
    if form.validate_on_submit():
        target = db.session.get(Unit, form.target.data)
        args = dict(on=form.merged_on.data, decision_no=form.decision_no.data)
        if form.confirmed.data == "1":
            with one_commit() as done:
                outline = ops.outline_merge(source, target, **args)
                ops.merge_units(source, target, **args, actor=current_user.username)
            if done["ok"]:
                flash(outline.done_text(), "success")
                return redirect(url_for("units.unit", unit_id=source.id))
            outline = None
        else:
            with one_commit() as done:  # writes nothing: the outline only reads
                outline = ops.outline_merge(source, target, **args)
            if done["ok"]:
                form.confirmed.data = "1"
            else:
                outline = None
    return render_template("units/merge.html", form=form, unit=source, outline=outline), \
        400 if request.method == "POST" and outline is None else 200


@bp.route("/don-vi/<int:unit_id>/xoa", methods=["POST"])
@role_required(*HR)
def delete(unit_id: int):
    _require_manager()
    unit = _unit_or_404(unit_id)
    if not DeleteForm().validate_on_submit():
        abort(400)
    name = unit.name
    with one_commit(f"Đã xóa đơn vị “{name}”.") as done:
        ops.delete_unit(unit)
    if done["ok"]:
        return redirect(url_for("units.units"))
    return redirect(url_for("units.unit", unit_id=unit_id))
