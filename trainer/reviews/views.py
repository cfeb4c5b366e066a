"""Review campaigns (đợt đánh giá, KH-2, DL-a) — docs/reviews.md.

HR (its unit subtree) and admin: /dot-danh-gia (campaigns), /dot-danh-gia/moi (open one),
/dot-danh-gia/<id> (progress by unit, reminders, closing), its units' pages (assessors, the
unit's leader), /dot-danh-gia/<id>/can-dao-tao (below standard, KH-2).
Officials: /dot-danh-gia/cua-toi (my reviews), /dot-danh-gia/tu-danh-gia/<id> (self-assessment),
/dot-danh-gia/cap-duoi (the supervisor's queue) and /dot-danh-gia/cap-duoi/<id>, which HR also
opens to confirm on behalf when a review has no supervisor.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from courses import vocab
from trainer.catalog.models import Competency, Position
from trainer.core import events
from trainer.core.exports import xlsx_response
from trainer.core.extensions import db
from trainer.core.forms_util import options
from trainer.core.timeutil import today
from trainer.core.views_util import one_commit, role_required
from trainer.org.models import Unit
from trainer.org.queries import visible_unit_ids
from trainer.people.models import Official
from trainer.people.operations import set_unit_leader
from trainer.reviews import operations as ops
from trainer.reviews import queries as q
from trainer.reviews.forms import (AssessorForm, CampaignForm, LeaderForm, confirm_form,
                                   self_form)
from trainer.reviews.models import CAMPAIGN_STATUSES, CampaignReview, ReviewCampaign

bp = Blueprint("reviews", __name__)
HR = ("hr", "admin")
ALL = ("hr", "admin", "official")


@bp.app_context_processor
def _menu():
    """For base.html: whether an official's menu shows "Đánh giá năng lực"."""
    return {"review_work": q.has_review_work}


# --------------------------------------------------------------------------- HR


def _campaign_or_404(campaign_id: int) -> ReviewCampaign:
    campaign = q.campaign_in_scope(campaign_id, visible_unit_ids(current_user))
    if campaign is None:
        abort(404)
    return campaign


def _review_of(campaign: ReviewCampaign, review_id: int) -> CampaignReview:
    review = db.session.get(CampaignReview, review_id)
    if review is None or review.campaign_id != campaign.id:
        abort(404)
    return review


def _unit_in(campaign: ReviewCampaign, unit_id: int) -> Unit:
    unit = db.session.get(Unit, unit_id)
    scope = visible_unit_ids(current_user)
    if unit is None or unit.id not in ops.campaign_unit_ids(campaign) or (
            scope is not None and unit.id not in scope):
        abort(404)
    return unit


@bp.route("/dot-danh-gia")
@role_required(*ALL)
def index():
    if current_user.role == "official":
        return redirect(url_for("reviews.mine"))
    campaigns = q.campaigns_in_scope(visible_unit_ids(current_user))
    return render_template("reviews/index.html", campaigns=campaigns,
                           totals=q.campaign_totals([c.id for c in campaigns]),
                           statuses=dict(CAMPAIGN_STATUSES), today=today())


def _campaign_form() -> CampaignForm:
    form = CampaignForm()
    scope = visible_unit_ids(current_user)
    units = sa.select(Unit).where(Unit.closed_on.is_(None)).order_by(Unit.parent_id.is_not(None),
                                                                       Unit.name)
    if scope is not None:
        units = units.where(Unit.id.in_(scope))
    form.unit_ids.choices = options([(u.id, u.name) for u in db.session.scalars(units)])
    form.position_codes.choices = options(db.session.execute(
        sa.select(Position.code, Position.name).order_by(Position.name)).all())
    form.competency_codes.choices = options(db.session.execute(
        sa.select(Competency.code, Competency.name).order_by(Competency.name)).all())
    return form


@bp.route("/dot-danh-gia/moi", methods=["GET", "POST"])
@role_required(*HR)
def new():
    form = _campaign_form()
    if request.method == "GET":
        form.period_start.data = today()
    if form.validate_on_submit():
        campaign = None
        with one_commit() as outcome:
            campaign, left_out = ops.open_campaign(
                name=form.name.data, period_start=form.period_start.data,
                period_end=form.period_end.data, unit_ids=form.unit_ids.data,
                position_codes=form.position_codes.data or [],
                competency_codes=form.competency_codes.data or [],
                scope=visible_unit_ids(current_user), owner_unit_id=current_user.unit_id,
                actor_name=current_user.display_name)
        if outcome["ok"]:
            flash(f"Đã mở đợt đánh giá “{campaign.name}” với {len(campaign.reviews)} cán bộ; "
                  f"mỗi người đã nhận thông báo.", "success")
            if left_out:
                flash(f"{left_out} cán bộ không có năng lực nào cần đánh giá trong đợt này "
                      f"(khung năng lực vị trí không yêu cầu năng lực đã chọn).", "info")
            return redirect(url_for("reviews.detail", campaign_id=campaign.id))
    status = 400 if request.method == "POST" else 200
    return render_template("reviews/new.html", form=form), status


@bp.route("/dot-danh-gia/<int:campaign_id>")
@role_required(*HR)
def detail(campaign_id: int):
    campaign = _campaign_or_404(campaign_id)
    rows, totals = q.progress_by_unit(campaign)
    names = dict(db.session.execute(sa.select(Unit.id, Unit.name).where(
        Unit.id.in_(campaign.unit_ids or []))).all())
    unconfirmed = q.unconfirmed_reviews(campaign) if campaign.status == "closed" else None
    return render_template("reviews/detail.html", campaign=campaign, rows=rows, totals=totals,
                           unit_names=[names.get(int(u), "") for u in campaign.unit_ids or []],
                           unconfirmed=unconfirmed, statuses=dict(CAMPAIGN_STATUSES),
                           today=today())


@bp.route("/dot-danh-gia/<int:campaign_id>/don-vi/<int:unit_id>")
@role_required(*HR)
def unit(campaign_id: int, unit_id: int):
    campaign = _campaign_or_404(campaign_id)
    unit = _unit_in(campaign, unit_id)
    reviews = q.unit_reviews(campaign, unit.id)
    supervisors = {r.id: ops.effective_supervisor(r) for r in reviews}
    # an assessor from the unit (a department: from its commune, whose leaders sit there)
    candidates = q.unit_officials(unit.parent_id if unit.kind == "department" and unit.parent_id
                                  else unit.id)
    choices = options([(0, "— lãnh đạo đơn vị (mặc định) —")]
                      + [(o.id, f"{o.full_name} ({o.code})") for o in candidates])
    assessor_forms = {}
    for r in reviews:
        f = AssessorForm(formdata=None, prefix=f"a{r.id}",
                         data={"official_id": r.assessor_official_id or 0})
        f.official_id.choices = choices
        assessor_forms[r.id] = f
    unit_form = AssessorForm(formdata=None, prefix="unit")
    unit_form.official_id.choices = choices
    leader = q.leader_of(unit.id)
    leader_form = LeaderForm(formdata=None, data={"official_id": leader.id if leader else 0})
    leader_form.official_id.choices = options(
        [(0, "— chưa đặt —")] + [(o.id, f"{o.full_name} ({o.code})")
                                 for o in q.unit_officials(unit.id)])
    events.audit_access("official_view", subject_type="campaign", subject_id=campaign.id,
                        detail=f"{unit.name}: {len(reviews)} cán bộ")
    return render_template("reviews/unit.html", campaign=campaign, unit=unit, reviews=reviews,
                           supervisors=supervisors, assessor_forms=assessor_forms,
                           unit_form=unit_form, leader=leader, leader_form=leader_form)


def _back_to_unit(campaign: ReviewCampaign, unit: Unit):
    return redirect(url_for("reviews.unit", campaign_id=campaign.id, unit_id=unit.id))


def _picked_official(form) -> Official | None:
    """The official a select named (0: none); 404 when HR may not see them."""
    from trainer.learning.access import get_official_or_404
    oid = form.official_id.data
    return get_official_or_404(current_user, oid) if oid else None


@bp.route("/dot-danh-gia/<int:campaign_id>/don-vi/<int:unit_id>/nguoi-xac-nhan",
          methods=["POST"])
@role_required(*HR)
def set_unit_assessor(campaign_id: int, unit_id: int):
    campaign = _campaign_or_404(campaign_id)
    unit = _unit_in(campaign, unit_id)
    form = AssessorForm(prefix="unit")
    if form.validate_on_submit():
        assessor = _picked_official(form)
        with one_commit() as outcome:
            count = ops.set_unit_assessor(campaign, unit, assessor)
        if outcome["ok"]:
            flash(f"Đã đặt người xác nhận cho {count} cán bộ của {unit.name}: "
                  f"{assessor.full_name if assessor else 'lãnh đạo đơn vị'}.", "success")
    return _back_to_unit(campaign, unit)


@bp.route("/dot-danh-gia/<int:campaign_id>/phieu/<int:review_id>/nguoi-xac-nhan",
          methods=["POST"])
@role_required(*HR)
def set_assessor(campaign_id: int, review_id: int):
    campaign = _campaign_or_404(campaign_id)
    review = _review_of(campaign, review_id)
    unit = _unit_in(campaign, review.official.unit_id)
    form = AssessorForm(prefix=f"a{review.id}")
    if form.validate_on_submit():
        assessor = _picked_official(form)
        with one_commit(f"Đã đặt người xác nhận cho {review.official.full_name}."):
            ops.set_assessor(review, assessor)
    return _back_to_unit(campaign, unit)


@bp.route("/dot-danh-gia/<int:campaign_id>/don-vi/<int:unit_id>/lanh-dao", methods=["POST"])
@role_required(*HR)
def set_leader(campaign_id: int, unit_id: int):
    campaign = _campaign_or_404(campaign_id)
    unit = _unit_in(campaign, unit_id)
    form = LeaderForm()
    if form.validate_on_submit():
        leader = _picked_official(form)
        with one_commit(f"Đã đặt lãnh đạo {unit.name}: {leader.full_name}." if leader
                        else f"Đã bỏ lãnh đạo của {unit.name}."):
            set_unit_leader(unit, leader)
    return _back_to_unit(campaign, unit)


@bp.route("/dot-danh-gia/<int:campaign_id>/nhac", methods=["POST"])
@role_required(*HR)
def remind(campaign_id: int):
    campaign = _campaign_or_404(campaign_id)
    with one_commit() as outcome:
        own, sup = ops.remind_campaign(campaign)
    if outcome["ok"]:
        flash(f"Đã nhắc {own} cán bộ chưa tự đánh giá và {sup} cấp trên chưa xác nhận "
              f"(mỗi phiếu tối đa một lần một ngày).", "success")
    return redirect(url_for("reviews.detail", campaign_id=campaign.id))


@bp.route("/dot-danh-gia/<int:campaign_id>/ket-thuc", methods=["POST"])
@role_required(*HR)
def close(campaign_id: int):
    campaign = _campaign_or_404(campaign_id)
    with one_commit(f"Đã kết thúc đợt đánh giá “{campaign.name}”."):
        ops.close_campaign(campaign, actor_name=current_user.display_name)
    return redirect(url_for("reviews.detail", campaign_id=campaign.id))


@bp.route("/dot-danh-gia/<int:campaign_id>/can-dao-tao")
@role_required(*HR)
def below(campaign_id: int):
    campaign = _campaign_or_404(campaign_id)
    frame = q.below_standard(campaign)
    people = []
    for oid, group in frame.groupby("official_id", sort=False):
        first = group.iloc[0]
        people.append({"official_id": int(oid), "full_name": first.full_name,
                       "unit_name": first.unit_name, "position_name": first.position_name,
                       "gaps": group.to_dict("records")})
    events.audit_access("official_view", subject_type="campaign", subject_id=campaign.id,
                        detail=f"Cần đào tạo hoặc bố trí lại: {len(people)} cán bộ")
    return render_template("reviews/below.html", campaign=campaign, people=people)


@bp.route("/dot-danh-gia/<int:campaign_id>/can-dao-tao/excel")
@role_required(*HR)
def below_excel(campaign_id: int):
    campaign = _campaign_or_404(campaign_id)
    unit = current_user.unit.name if current_user.unit else "Toàn tỉnh"
    return xlsx_response({"Cần đào tạo, bố trí lại": q.below_standard_frame(
        q.below_standard(campaign))},
        title=f"Cần đào tạo hoặc bố trí lại sau đợt đánh giá “{campaign.name}”", unit=unit,
        filename=f"can-dao-tao-dot-{campaign.id}.xlsx")


# --------------------------------------------------------------------------- officials


def _me() -> Official:
    if current_user.official_id is None:
        abort(404)
    return current_user.official


@bp.route("/dot-danh-gia/cua-toi")
@role_required("official")
def mine():
    me = _me()
    return render_template("reviews/mine.html", reviews=q.reviews_of(me.id),
                           queue=len(q.supervisor_queue(me)), statuses=dict(CAMPAIGN_STATUSES))


def _my_review_or_404(review_id: int) -> CampaignReview:
    review = db.session.get(CampaignReview, review_id)
    if review is None or review.official_id != current_user.official_id:
        abort(404)
    return review


@bp.route("/dot-danh-gia/tu-danh-gia/<int:review_id>", methods=["GET", "POST"])
@role_required("official")
def self_assess(review_id: int):
    review = _my_review_or_404(review_id)
    form = self_form(review, formdata=request.form if request.method == "POST" else None)
    if request.method == "POST" and form.validate_on_submit():
        submit = request.form.get("action") == "submit"
        with one_commit("Đã gửi bản tự đánh giá cho cấp trên xác nhận." if submit
                        else "Đã lưu bản nháp.") as outcome:
            ops.save_self_assessment(review, form.levels(), submit=submit)
        if outcome["ok"]:
            return redirect(url_for("reviews.mine") if submit
                            else url_for("reviews.self_assess", review_id=review.id))
        review = db.session.get(CampaignReview, review_id)
    return render_template("reviews/self.html", review=review, form=form,
                           levels=vocab.PROFICIENCY,
                           locked=review.self_submitted_at is not None
                           or review.campaign.status != "open")


@bp.route("/dot-danh-gia/cap-duoi")
@role_required("official")
def queue():
    return render_template("reviews/queue.html", reviews=q.supervisor_queue(_me()))


def _confirmable_or_404(review_id: int) -> tuple[CampaignReview, Official | None]:
    """The review and who confirms it: the supervisor (an official's account), or HR in scope
    (None) — only where the review has no supervisor. 404 for anyone else."""
    review = db.session.get(CampaignReview, review_id)
    if review is None:
        abort(404)
    supervisor = ops.effective_supervisor(review)
    if current_user.role == "official":
        if supervisor is None or supervisor.id != current_user.official_id:
            abort(404)
        return review, supervisor
    _campaign_or_404(review.campaign_id)
    from trainer.learning.access import get_official_or_404
    get_official_or_404(current_user, review.official_id)
    return review, None


@bp.route("/dot-danh-gia/cap-duoi/<int:review_id>", methods=["GET", "POST"])
@role_required(*ALL)
def confirm(review_id: int):
    review, supervisor = _confirmable_or_404(review_id)
    expected = ops.effective_supervisor(review)
    form = confirm_form(review, formdata=request.form if request.method == "POST" else None)
    if request.method == "POST" and form.validate_on_submit():
        with one_commit(f"Đã xác nhận kết quả đánh giá của {review.official.full_name}.") \
                as outcome:
            ops.confirm_review(review, form.decisions(), supervisor=supervisor,
                               actor_name=supervisor.full_name if supervisor
                               else current_user.display_name)
        if outcome["ok"]:
            if supervisor is not None:
                return redirect(url_for("reviews.queue"))
            return redirect(url_for("reviews.unit", campaign_id=review.campaign_id,
                                    unit_id=review.official.unit_id))
        review = db.session.get(CampaignReview, review_id)
    events.audit_access("official_view", subject_type="official", subject_id=review.official_id,
                        detail=f"Đợt đánh giá “{review.campaign.name}”")
    return render_template("reviews/confirm.html", review=review, form=form,
                           on_behalf=supervisor is None, expected=expected,
                           editable=(review.campaign.status == "open"
                                     and review.self_submitted_at is not None
                                     and review.confirmed_at is None
                                     and (supervisor is not None or expected is None)))
