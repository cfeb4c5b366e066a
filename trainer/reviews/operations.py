"""Review campaigns (đợt đánh giá, KH-2, DL-a): opening, self-assessment, the supervisor's
confirmation (which writes the assessment evidence), reminders and closing. Operations flush,
never commit; the rules are in docs/reviews.md."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import sqlalchemy as sa

from courses import vocab
from trainer.catalog.models import Competency, Position
from trainer.core import events
from trainer.core.errors import DomainError
from trainer.core.extensions import db
from trainer.core.timeutil import local_date, today, utcnow
from trainer.guidance.operations import catalogue, load_population
from trainer.org.models import Unit
from trainer.org.queries import unit_subtree_ids
from trainer.people.models import Official
from trainer.people.operations import record_assessment, supervisor_of
from trainer.reviews.models import CampaignLevel, CampaignReview, ReviewCampaign

MY_REVIEWS_LINK = "/dot-danh-gia/cua-toi"
QUEUE_LINK = "/dot-danh-gia/cap-duoi"


def _short(text: str, size: int = 120) -> str:
    """A name inside a notice's title (titles and e-mail subjects hold 200 characters)."""
    return text if len(text) <= size else text[:size - 1] + "…"


def _require_open(campaign: ReviewCampaign) -> None:
    if campaign.status != "open":
        raise DomainError(f"Đợt đánh giá “{campaign.name}” đã kết thúc: không thay đổi được nữa.")


def campaign_unit_ids(campaign: ReviewCampaign) -> list[int]:
    """The campaign's units, each with every unit below it (the participants' units)."""
    out: list[int] = []
    for uid in campaign.unit_ids or []:
        out.extend(u for u in unit_subtree_ids(int(uid)) if u not in out)
    return out


# --------------------------------------------------------------------------- opening


def _participants_where(unit_ids: list[int], position_ids: list[int]):
    cond = [Official.unit_id.in_(unit_ids), Official.position_id.is_not(None)]
    if position_ids:
        cond.append(Official.position_id.in_(position_ids))
    return sa.and_(*cond)


def open_campaign(*, name: str, period_start: date, period_end: date, unit_ids: list[int],
                  position_codes: list[str], competency_codes: list[str],
                  scope: list[int] | None, owner_unit_id: int | None,
                  actor_name: str) -> tuple[ReviewCampaign, int]:
    """Open a campaign over `unit_ids` (each with the units below it; all within `scope`, the
    opener's units, None: all). Participants are the officials of those units who hold a
    position (of `position_codes`, empty: any), fixed now. Each is asked the competencies their
    framework requires as the gap computation reads it (position and region: the engine's
    required levels), or of those only `competency_codes`; an official asked nothing is left
    out. Every participant is told. Returns the campaign and how many were left out."""
    name = (name or "").strip()
    if not name:
        raise DomainError("Nhập tên đợt đánh giá.")
    if period_end < period_start:
        raise DomainError("Hạn hoàn thành không được trước ngày bắt đầu.")
    if period_end < today():
        raise DomainError("Hạn hoàn thành đã qua.")
    if not unit_ids:
        raise DomainError("Chọn ít nhất một đơn vị.")
    units = {u.id: u for u in db.session.scalars(sa.select(Unit).where(Unit.id.in_(unit_ids)))}
    for uid in unit_ids:
        unit = units.get(uid)
        if unit is None:
            raise DomainError("Đơn vị không tồn tại.")
        if scope is not None and uid not in scope:
            raise DomainError(f"Đơn vị “{unit.name}” ngoài phạm vi quản lý của bạn.")
        if not unit.is_open:
            raise DomainError(f"Đơn vị “{unit.name}” đã sáp nhập.")
    positions = dict(db.session.execute(sa.select(Position.code, Position.id).where(
        Position.code.in_(position_codes or []))).all())
    if set(position_codes or []) - set(positions):
        raise DomainError("Có vị trí việc làm không tồn tại.")
    competencies = dict(db.session.execute(sa.select(Competency.code, Competency.id).where(
        Competency.code.in_(competency_codes or []))).all())
    if set(competency_codes or []) - set(competencies):
        raise DomainError("Có năng lực không tồn tại.")

    campaign = ReviewCampaign(
        name=name, period_start=period_start, period_end=period_end,
        unit_ids=[int(u) for u in unit_ids], position_codes=list(position_codes or []),
        competency_codes=list(competency_codes or []), status="open",
        owner_unit_id=owner_unit_id or int(unit_ids[0]), created_by=actor_name)
    db.session.add(campaign)
    db.session.flush()

    in_units = campaign_unit_ids(campaign)
    cat = catalogue()
    pop = load_population(cat, _participants_where(in_units, list(positions.values())))
    required = pop.required > 0
    if competencies:
        chosen = np.zeros(len(cat.competency_ids), dtype=bool)
        chosen[[cat.comp_index[c] for c in competencies.values()]] = True
        required &= chosen
    asked = {int(pop.official_ids[i]): [cat.competency_ids[c] for c in np.flatnonzero(row)]
             for i, row in enumerate(required) if row.any()}
    if not asked:
        raise DomainError("Không có cán bộ nào thuộc đợt đánh giá (đơn vị, vị trí việc làm và "
                          "năng lực đã chọn).")
    db.session.execute(sa.insert(CampaignReview), [
        {"campaign_id": campaign.id, "official_id": oid} for oid in asked])
    review_ids = dict(db.session.execute(sa.select(CampaignReview.official_id, CampaignReview.id)
                                         .where(CampaignReview.campaign_id == campaign.id)).all())
    db.session.execute(sa.insert(CampaignLevel), [
        {"review_id": review_ids[oid], "competency_id": cid, "comment": ""}
        for oid, comps in asked.items() for cid in comps])
    for official in db.session.scalars(sa.select(Official).where(Official.id.in_(list(asked)))):
        events.tell(official, "review", f"Đợt đánh giá năng lực: {_short(name)}",
                    f"Mời anh/chị tự đánh giá {len(asked[official.id])} năng lực theo khung "
                    f"năng lực vị trí việc làm trước ngày {period_end:%d/%m/%Y}.",
                    link=MY_REVIEWS_LINK, dedupe_key=f"review-open-{review_ids[official.id]}")
    events.audit("review", subject_type="campaign", subject_id=campaign.id,
                 detail=f"{name}: {len(asked)} cán bộ")
    db.session.flush()
    db.session.expire(campaign, ["reviews"])
    return campaign, len(pop.official_ids) - len(asked)


# --------------------------------------------------------------------------- self-assessment


def _check_levels(review: CampaignReview, levels: dict[int, int | None]) -> None:
    asked = {lv.competency_id for lv in review.levels}
    if set(levels) - asked:
        raise DomainError("Chỉ đánh giá các năng lực của đợt đánh giá.")
    for level in levels.values():
        if level is not None and not 0 <= int(level) <= vocab.MAX_LEVEL:
            raise DomainError(f"Mức năng lực phải từ 0 đến {vocab.MAX_LEVEL}.")


def save_self_assessment(review: CampaignReview, levels: dict[int, int | None], *,
                         submit: bool) -> None:
    """The official's own levels, kept as a draft or submitted (then the supervisor's: the
    official can no longer change them). Submitting needs a level for every competency."""
    _require_open(review.campaign)
    if review.self_submitted_at is not None:
        raise DomainError("Bạn đã gửi bản tự đánh giá: không sửa được nữa.")
    _check_levels(review, levels)
    for lv in review.levels:
        if lv.competency_id in levels:
            value = levels[lv.competency_id]
            lv.self_level = None if value is None else int(value)
    if submit:
        missing = [lv.competency.name for lv in review.levels if lv.self_level is None]
        if missing:
            raise DomainError(f"Chọn mức cho {len(missing)} năng lực còn thiếu: "
                              f"{', '.join(missing[:5])}{'…' if len(missing) > 5 else ''}.")
        review.self_submitted_at = utcnow()
        supervisor = effective_supervisor(review)
        if supervisor is not None:
            events.tell(supervisor, "review", f"Chờ xác nhận: {review.official.full_name}",
                        f"{review.official.full_name} đã tự đánh giá trong đợt “"
                        f"{review.campaign.name}”. Mời anh/chị xác nhận hoặc điều chỉnh mức.",
                        link=QUEUE_LINK, dedupe_key=f"review-submitted-{review.id}")
    db.session.flush()


# --------------------------------------------------------------------------- the supervisor


def effective_supervisor(review: CampaignReview) -> Official | None:
    """Who confirms this review: the assessor HR named, else the official's supervisor
    (people.operations.supervisor_of: the unit's leader, climbing up). None: HR confirms."""
    if review.assessor_official_id is not None:
        return review.assessor
    return supervisor_of(review.official)


def set_assessor(review: CampaignReview, assessor: Official | None) -> None:
    """Name (None: clear) the official who confirms this review instead of the unit's leader."""
    _require_open(review.campaign)
    if review.confirmed_at is not None:
        raise DomainError(f"Kết quả của {review.official.full_name} đã được xác nhận.")
    if assessor is not None and assessor.id == review.official_id:
        raise DomainError(f"{assessor.full_name} không thể tự xác nhận kết quả của mình.")
    review.assessor_official_id = assessor.id if assessor else None
    db.session.flush()
    db.session.expire(review, ["assessor"])


def set_unit_assessor(campaign: ReviewCampaign, unit: Unit, assessor: Official | None) -> int:
    """The same assessor for every unconfirmed review of the unit's officials (the assessor's
    own review is left as it is). Returns how many were set."""
    _require_open(campaign)
    reviews = db.session.scalars(sa.select(CampaignReview).join(
        Official, Official.id == CampaignReview.official_id).where(
        CampaignReview.campaign_id == campaign.id, Official.unit_id == unit.id,
        CampaignReview.confirmed_at.is_(None))).all()
    count = 0
    for review in reviews:
        if assessor is None or review.official_id != assessor.id:
            set_assessor(review, assessor)
            count += 1
    return count


@dataclass
class Decision:
    level: int | None
    comment: str = ""


def confirm_review(review: CampaignReview, decisions: dict[int, Decision], *,
                   supervisor: Official | None, actor_name: str) -> None:
    """The supervisor confirms or changes each submitted level (a comment is required for a
    change). `supervisor`: the official confirming, who must be the review's supervisor; None:
    HR confirms on behalf, allowed only when the review has no supervisor. Writes the evidence
    as an import does: the official's level (source "self", the submission's day, assessor the
    official) and the confirmed one (source "supervisor", today, assessor `actor_name`)."""
    _require_open(review.campaign)
    if review.self_submitted_at is None:
        raise DomainError(f"{review.official.full_name} chưa gửi bản tự đánh giá.")
    if review.confirmed_at is not None:
        raise DomainError(f"Kết quả của {review.official.full_name} đã được xác nhận.")
    expected = effective_supervisor(review)
    if supervisor is None and expected is not None:
        raise DomainError(f"{review.official.full_name} có cấp trên xác nhận "
                          f"({expected.full_name}): cán bộ tổ chức chỉ xác nhận thay khi không "
                          f"có cấp trên.")
    if supervisor is not None and (expected is None or expected.id != supervisor.id):
        raise DomainError("Bạn không phải cấp trên xác nhận kết quả này.")
    _check_levels(review, {cid: d.level for cid, d in decisions.items()})
    for lv in review.levels:
        d = decisions.get(lv.competency_id)
        if d is None or d.level is None:
            raise DomainError(f"Chọn mức xác nhận cho “{lv.competency.name}”.")
        comment = (d.comment or "").strip()
        if int(d.level) != lv.self_level and not comment:
            raise DomainError(f"Ghi nhận xét khi đổi mức của “{lv.competency.name}” (tự đánh giá "
                              f"mức {lv.self_level}, xác nhận mức {d.level}).")
        if len(comment) > 1000:
            raise DomainError("Nhận xét tối đa 1000 ký tự.")
        lv.confirmed_level, lv.comment = int(d.level), comment
    submitted_on = local_date(review.self_submitted_at)
    for lv in review.levels:
        record_assessment(review.official, lv.competency, lv.self_level, source="self",
                          assessor=review.official.full_name, on=submitted_on)
        record_assessment(review.official, lv.competency, lv.confirmed_level,
                          source="supervisor", assessor=actor_name, on=today())
    review.confirmed_at = utcnow()
    review.confirmed_by = actor_name if supervisor else \
        f"{_short(actor_name, 80)} (cán bộ tổ chức xác nhận thay)"
    changed = sum(lv.confirmed_level != lv.self_level for lv in review.levels)
    events.tell(review.official, "review",
                f"Đã xác nhận kết quả đánh giá: {_short(review.campaign.name)}",
                f"{actor_name} đã xác nhận kết quả tự đánh giá của anh/chị"
                + (f", điều chỉnh {changed} năng lực." if changed else "."),
                link=MY_REVIEWS_LINK, dedupe_key=f"review-confirmed-{review.id}")
    events.audit("review", subject_type="official", subject_id=review.official_id,
                 detail=f"Đợt “{review.campaign.name}”: {len(review.levels)} năng lực, "
                        f"đổi {changed}")
    db.session.flush()


# --------------------------------------------------------------------------- reminders, closing


def remind_campaign(campaign: ReviewCampaign) -> tuple[int, int]:
    """Remind each unfinished review at most once a day (`reminded_at`): the official who has
    not submitted, or the supervisor of a submitted one (none: nobody, HR confirms). Returns
    (officials reminded, supervisors reminded)."""
    _require_open(campaign)
    day = today()
    reviews = db.session.scalars(sa.select(CampaignReview).where(
        CampaignReview.campaign_id == campaign.id, CampaignReview.confirmed_at.is_(None))
        .order_by(CampaignReview.id)).all()
    own = sup = 0
    for review in reviews:
        if review.reminded_at is not None and local_date(review.reminded_at) >= day:
            continue
        key = f"review-remind-{review.id}-{day:%Y%m%d}"
        if review.self_submitted_at is None:
            events.tell(review.official, "review", f"Nhắc tự đánh giá: {_short(campaign.name)}",
                        f"Anh/chị chưa gửi bản tự đánh giá; hạn {campaign.period_end:%d/%m/%Y}.",
                        link=MY_REVIEWS_LINK, dedupe_key=key)
            own += 1
        else:
            supervisor = effective_supervisor(review)
            if supervisor is None:
                continue
            events.tell(supervisor, "review", f"Nhắc xác nhận: {review.official.full_name}",
                        f"Kết quả tự đánh giá của {review.official.full_name} trong đợt “"
                        f"{campaign.name}” đang chờ anh/chị xác nhận.",
                        link=QUEUE_LINK, dedupe_key=key)
            sup += 1
        review.reminded_at = utcnow()
    db.session.flush()
    return own, sup


def remind_open_campaigns() -> tuple[int, int, int]:
    """Every open campaign's reminders (the daily CLI): (campaigns, officials, supervisors)."""
    campaigns = db.session.scalars(sa.select(ReviewCampaign).where(
        ReviewCampaign.status == "open").order_by(ReviewCampaign.id)).all()
    own = sup = 0
    for campaign in campaigns:
        a, b = remind_campaign(campaign)
        own, sup = own + a, sup + b
    return len(campaigns), own, sup


def close_campaign(campaign: ReviewCampaign, *, actor_name: str) -> None:
    """Close the campaign: nothing in it changes afterwards; unconfirmed reviews stay so (no
    evidence is written for them)."""
    _require_open(campaign)
    campaign.status = "closed"
    campaign.closed_at = utcnow()
    campaign.closed_by = actor_name
    events.audit("review", subject_type="campaign", subject_id=campaign.id,
                 detail=campaign.name)
    db.session.flush()
