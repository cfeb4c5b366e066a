"""On-site mentoring (KH-5): /kem-cap.

HR (its unit subtree) and admin: the list, pairing (/kem-cap/moi, prefilled from the record
page's suggestions), cancelling, the counts by unit (/kem-cap/bao-cao). Officials: their
mentorships as mentee or mentor, the mentor's session log, and the supervisor's confirmation
that closes one (docs/mentoring.md)."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from trainer.catalog.models import Competency
from trainer.core import events
from trainer.core.extensions import db
from trainer.core.forms_util import options
from trainer.core.params import arg_choice, arg_id
from trainer.core.timeutil import today
from trainer.core.views_util import one_commit, role_required
from trainer.guidance.operations import guidance_for
from trainer.learning.access import officials_filter
from trainer.mentoring import operations as ops
from trainer.mentoring import queries
from trainer.mentoring.forms import CancelForm, CloseForm, PairForm, SessionForm
from trainer.mentoring.models import MENTORSHIP_STATUSES, Mentorship
from trainer.org.queries import visible_unit_ids
from trainer.people.models import Official

bp = Blueprint("mentoring", __name__)
HR = ("hr", "admin")
DEFAULT_WEEKS = 12  # the pairing form's proposed period


@bp.app_context_processor
def _mentoring_context():
    """For the menu (base.html) and the official's pages (records): whether an official takes
    part in mentoring, and their mentorships."""
    def takes_part() -> bool:
        return (current_user.is_authenticated and current_user.role == "official"
                and current_user.official_id is not None
                and queries.takes_part(current_user.official_id))
    return {"vn_mentoring": takes_part, "mentorships_of": queries.mentorships_of,
            "mentorship_statuses": dict(MENTORSHIP_STATUSES)}


def _scope():
    return visible_unit_ids(current_user)


def _in_scope(official: Official) -> bool:
    scope = _scope()
    return scope is None or official.unit_id in scope


def _mentorship_or_404(mentorship_id: int) -> Mentorship:
    """A mentorship the user may see: HR of the mentee's unit, the mentee, the mentor, the
    one who confirms it. Anyone else: 404."""
    m = db.session.get(Mentorship, mentorship_id)
    if m is None:
        abort(404)
    if current_user.role in HR and _in_scope(m.mentee):
        return m
    if current_user.role == "official" and current_user.official_id is not None:
        me = current_user.official_id
        if me in (m.mentee_id, m.mentor_id) or ops.may_confirm(current_user, m, None):
            return m
    abort(404)


def _official_by_code(code: str) -> Official | None:
    return db.session.scalar(sa.select(Official).where(
        Official.code == code, officials_filter(current_user)))


def _official_by_id(official_id: int | None) -> Official | None:
    if not official_id:
        return None
    return db.session.scalar(sa.select(Official).where(
        Official.id == official_id, officials_filter(current_user)))


# --------------------------------------------------------------------------- lists


@bp.route("/kem-cap")
@role_required("hr", "admin", "official")
def index():
    if current_user.role == "official":
        me = current_user.official_id
        if me is None:
            abort(404)
        mine = queries.mentorships_of(me)
        confirm = queries.to_confirm_by(me)
        every = mine["mentee"] + mine["mentor"] + confirm
        return render_template("mentoring/mine.html", mine=mine, confirm=confirm,
                               totals=queries.session_totals(m.id for m in every))
    status = arg_choice("trang_thai", dict(MENTORSHIP_STATUSES))
    rows = queries.mentorships_in(_scope(), status=status)
    events.audit_access("search", detail="Danh sách kèm cặp"
                        + (f" ({status})" if status else ""))
    return render_template("mentoring/index.html", rows=rows, status=status,
                           totals=queries.session_totals(m.id for m in rows),
                           limit=queries.LIST_LIMIT)


@bp.route("/kem-cap/bao-cao")
@role_required(*HR)
def report():
    frame = queries.counts_by_unit(_scope())
    rows = frame.to_dict("records")
    totals = frame[queries.REPORT_COLUMNS[3:]].sum().to_dict() if len(frame) else {}
    return render_template("mentoring/report.html", rows=rows, totals=totals)


# --------------------------------------------------------------------------- pairing


def _competency_choices(mentee: Official | None):
    comps = db.session.scalars(sa.select(Competency).order_by(Competency.name)).all()
    required = ([r.competency for r in mentee.position.requirements]
                if mentee is not None and mentee.position else [])
    return options([(0, "— chọn năng lực —")] + [(c.id, c.name) for c in required]
                   + [(c.id, c.name) for c in comps if c not in required])


def _suggestions(mentee: Official | None) -> tuple[list, dict]:
    """The mentee's gaps and the mentors guidance suggests for them (KH-5), those in scope."""
    if mentee is None:
        return [], {}
    guidance = guidance_for(mentee)
    ids = [m[0] for m in guidance.mentors]
    people = {o.id: o for o in db.session.scalars(sa.select(Official).where(
        Official.id.in_(ids), officials_filter(current_user)))} if ids else {}
    gap_ids = {g.name: g.competency_id for g in guidance.gaps if g.gap}
    rows = [(people[i], [(n, gap_ids.get(n)) for n in names])
            for i, names, _same in guidance.mentors if i in people]
    return rows, {g.competency_id: g for g in guidance.gaps}


@bp.route("/kem-cap/moi", methods=["GET", "POST"])
@role_required(*HR)
def new():
    form = PairForm()
    if request.method == "GET":
        mentee_id = arg_id("can_bo")
        mentee = _official_by_id(mentee_id)
        if mentee_id and mentee is None:
            abort(404)  # never reveal an official outside the scope
        if mentee is not None:  # the page shows their gaps
            events.audit_access("official_view", subject_type="official",
                                subject_id=mentee.id, detail="Phân công kèm cặp")
        mentor_id = arg_id("nguoi_kem")
        mentor = _official_by_id(mentor_id)
        if mentor_id and mentor is None:
            flash("Người được gợi ý ngoài phạm vi quản lý của bạn: chọn người khác.", "warning")
        form.mentee_code.data = mentee.code if mentee else ""
        form.mentor_code.data = mentor.code if mentor else ""
        form.competency_id.data = arg_id("nang_luc") or 0
        form.start_date.data = today()
        form.end_date.data = today() + timedelta(weeks=DEFAULT_WEEKS)
        gaps = guidance_for(mentee).gaps if mentee else []
        gap = next((g for g in gaps if g.competency_id == form.competency_id.data), None)
        if gap is not None and gap.required:
            form.target_level.data = max(1, gap.required)
    else:
        mentee = _official_by_code(form.mentee_code.data or "")
    form.competency_id.choices = _competency_choices(mentee)
    if form.validate_on_submit():
        mentor = _official_by_code(form.mentor_code.data)
        competency = db.session.get(Competency, form.competency_id.data)
        if mentee is None:
            form.mentee_code.errors.append(f"Không có cán bộ mã “{form.mentee_code.data}” trong "
                                           f"phạm vi quản lý của bạn.")
        if mentor is None:
            form.mentor_code.errors.append(f"Không có cán bộ mã “{form.mentor_code.data}” trong "
                                           f"phạm vi quản lý của bạn.")
        if competency is None:
            form.competency_id.errors.append("Chọn năng lực.")
        if mentee is not None and mentor is not None and competency is not None:
            created = None
            with one_commit(f"Đã phân công {mentor.full_name} kèm cặp {mentee.full_name}.") \
                    as outcome:
                created = ops.pair_mentor(
                    mentee, mentor, competency, target_level=form.target_level.data,
                    start=form.start_date.data, end=form.end_date.data,
                    actor_name=current_user.display_name, unit_scope=_scope())
            if outcome["ok"]:
                return redirect(url_for("mentoring.detail", mentorship_id=created.id))
    suggestions, gaps = _suggestions(mentee)
    status = 400 if request.method == "POST" else 200
    return render_template("mentoring/new.html", form=form, mentee=mentee,
                           suggestions=suggestions, gaps=gaps,
                           max_months=ops.MAX_MONTHS), status


# --------------------------------------------------------------------------- one mentorship


def _render_detail(m: Mentorship, *, session_form=None, close_form=None, status=200):
    is_mentor = current_user.role == "official" and current_user.official_id == m.mentor_id
    can_confirm = m.status == "active" and ops.may_confirm(current_user, m, _scope())
    levels = ops.levels_of([m.mentee, m.mentor], m.competency)
    if close_form is None and can_confirm:
        close_form = CloseForm(formdata=None, data={"reached_level": levels.get(m.mentee_id, 0)})
    if session_form is None and is_mentor and m.status == "active":
        session_form = SessionForm(formdata=None, data={"day": min(today(), m.end_date),
                                                        "minutes": 60})
    return render_template(
        "mentoring/detail.html", m=m, levels=levels, confirmer=ops.confirmer_of(m),
        is_mentor=is_mentor, can_confirm=can_confirm,
        can_cancel=m.status == "active" and current_user.role in HR,
        session_form=session_form if is_mentor and m.status == "active" else None,
        close_form=close_form if can_confirm else None,
        minutes=sum(s.minutes for s in m.sessions)), status


@bp.route("/kem-cap/<int:mentorship_id>")
@role_required("hr", "admin", "official")
def detail(mentorship_id: int):
    m = _mentorship_or_404(mentorship_id)
    if current_user.official_id != m.mentee_id:
        events.audit_access("official_view", subject_type="official", subject_id=m.mentee_id,
                            detail=f"Kèm cặp #{m.id}")
    return _render_detail(m)


@bp.route("/kem-cap/<int:mentorship_id>/buoi", methods=["POST"])
@role_required("official")
def log_session(mentorship_id: int):
    m = _mentorship_or_404(mentorship_id)
    if current_user.official_id != m.mentor_id:
        abort(403)  # only the mentor logs the sessions
    form = SessionForm()
    if not form.validate_on_submit():
        return _render_detail(m, session_form=form, status=400)
    with one_commit("Đã ghi buổi kèm cặp.") as outcome:
        ops.log_session(m, day=form.day.data, minutes=form.minutes.data,
                        content=form.content.data)
    if not outcome["ok"]:
        return _render_detail(m, session_form=form, status=400)
    return redirect(url_for("mentoring.detail", mentorship_id=m.id))


@bp.route("/kem-cap/<int:mentorship_id>/ket-thuc", methods=["POST"])
@role_required("hr", "admin", "official")
def close(mentorship_id: int):
    m = _mentorship_or_404(mentorship_id)
    if not ops.may_confirm(current_user, m, _scope()):
        abort(403)
    form = CloseForm()
    if not form.validate_on_submit():
        return _render_detail(m, close_form=form, status=400)
    confirmer = ops.confirmer_of(m)  # the assessor: the supervisor's name, else HR's
    name = confirmer.full_name if confirmer is not None else current_user.display_name
    with one_commit("Đã xác nhận kết quả và kết thúc đợt kèm cặp."):
        ops.close_mentorship(m, reached_level=form.reached_level.data, confirmer_name=name,
                             note=form.note.data)
    return redirect(url_for("mentoring.detail", mentorship_id=m.id))


@bp.route("/kem-cap/<int:mentorship_id>/huy", methods=["GET", "POST"])
@role_required(*HR)
def cancel(mentorship_id: int):
    m = _mentorship_or_404(mentorship_id)
    if m.status != "active":
        flash("Đợt kèm cặp đã kết thúc hoặc đã hủy.", "warning")
        return redirect(url_for("mentoring.detail", mentorship_id=m.id))
    form = CancelForm()
    if form.validate_on_submit():
        with one_commit("Đã hủy đợt kèm cặp.") as outcome:
            ops.cancel_mentorship(m, reason=form.reason.data,
                                  actor_name=current_user.display_name)
        if outcome["ok"]:
            return redirect(url_for("mentoring.detail", mentorship_id=m.id))
    status = 400 if request.method == "POST" else 200
    return render_template("mentoring/cancel.html", m=m, form=form), status
