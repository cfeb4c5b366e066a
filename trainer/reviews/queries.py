"""Reads of review campaigns: progress by unit (SQL aggregates), an official's reviews, a
supervisor's queue, and who is below standard after review (KH-2)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import sqlalchemy as sa

from trainer.catalog.models import Competency, Position
from trainer.core.extensions import db
from trainer.core.frames import select_frame
from trainer.guidance.operations import catalogue, load_population
from trainer.org.models import Unit
from trainer.org.queries import unit_subtree_ids, unit_table
from trainer.people.models import Official, UnitLeader
from trainer.reviews.models import CampaignLevel, CampaignReview, ReviewCampaign
from trainer.reviews.operations import campaign_unit_ids, effective_supervisor


def campaigns_in_scope(scope: list[int] | None) -> list[ReviewCampaign]:
    """Campaigns HR of `scope` (unit ids, None: all) may follow: those opened in its units."""
    q = sa.select(ReviewCampaign).order_by(ReviewCampaign.status.desc(),
                                           ReviewCampaign.period_end.desc(), ReviewCampaign.id)
    if scope is not None:
        q = q.where(ReviewCampaign.owner_unit_id.in_(scope))
    return list(db.session.scalars(q))


def campaign_in_scope(campaign_id: int, scope: list[int] | None) -> ReviewCampaign | None:
    """The campaign if HR of `scope` may follow it (opened in one of its units), else None."""
    campaign = db.session.get(ReviewCampaign, campaign_id)
    if campaign is None or (scope is not None and campaign.owner_unit_id not in scope):
        return None
    return campaign


@dataclass
class Totals:
    participants: int = 0
    submitted: int = 0
    confirmed: int = 0

    @property
    def share_confirmed(self) -> float:
        return 100.0 * self.confirmed / self.participants if self.participants else 0.0

    def add(self, other: Totals) -> None:
        self.participants += other.participants
        self.submitted += other.submitted
        self.confirmed += other.confirmed


@dataclass
class UnitProgress:
    unit_id: int
    name: str
    depth: int
    own: Totals = field(default_factory=Totals)  # the unit's own officials
    total: Totals = field(default_factory=Totals)  # with the units below it


def direct_totals(campaign_ids) -> pd.DataFrame:
    """Per campaign and unit (the official's unit): participants, submitted, confirmed — one
    aggregate query."""
    return select_frame(
        sa.select(CampaignReview.campaign_id, Official.unit_id, sa.func.count(CampaignReview.id),
                  sa.func.count(CampaignReview.self_submitted_at),
                  sa.func.count(CampaignReview.confirmed_at))
        .join(Official, Official.id == CampaignReview.official_id)
        .where(CampaignReview.campaign_id.in_(list(campaign_ids)))
        .group_by(CampaignReview.campaign_id, Official.unit_id),
        ["campaign_id", "unit_id", "participants", "submitted", "confirmed"])


def campaign_totals(campaign_ids) -> dict[int, Totals]:
    frame = direct_totals(campaign_ids)
    out = {int(c): Totals() for c in campaign_ids}
    for r in frame.itertuples():
        out[int(r.campaign_id)].add(Totals(int(r.participants), int(r.submitted),
                                           int(r.confirmed)))
    return out


def progress_by_unit(campaign: ReviewCampaign) -> tuple[list[UnitProgress], Totals]:
    """Each unit of the campaign's scope that holds participants (itself or below), in tree
    order with its depth, its own officials' totals and its subtree's; and the campaign's."""
    frame = direct_totals([campaign.id])
    direct = {int(r.unit_id): Totals(int(r.participants), int(r.submitted), int(r.confirmed))
              for r in frame.itertuples()}
    table = unit_table()
    names = dict(zip(table["unit_id"], table["unit_name"]))
    parents = {int(u): (None if pd.isna(p) else int(p))
               for u, p in zip(table["unit_id"], table["parent_id"])}
    in_scope = set(campaign_unit_ids(campaign))
    rows: dict[int, UnitProgress] = {}
    for uid, totals in direct.items():
        at = uid
        while at is not None and at in in_scope:  # the official's unit and its ancestors in scope
            row = rows.setdefault(at, UnitProgress(at, names.get(at, ""), 0))
            row.total.add(totals)
            at = parents.get(at)
        if uid in rows:
            rows[uid].own = totals
    ordered: list[UnitProgress] = []
    children: dict[int | None, list[int]] = {}
    for uid in rows:
        parent = parents.get(uid)
        children.setdefault(parent if parent in rows else None, []).append(uid)

    def walk(uid: int, depth: int) -> None:
        rows[uid].depth = depth
        ordered.append(rows[uid])
        for c in sorted(children.get(uid, []), key=lambda u: rows[u].name):
            walk(c, depth + 1)
    for root in sorted(children.get(None, []), key=lambda u: rows[u].name):
        walk(root, 0)
    overall = Totals()
    for totals in direct.values():
        overall.add(totals)
    return ordered, overall


def unit_reviews(campaign: ReviewCampaign, unit_id: int) -> list[CampaignReview]:
    """The reviews of the unit's own officials, by name."""
    return list(db.session.scalars(
        sa.select(CampaignReview).join(Official, Official.id == CampaignReview.official_id)
        .where(CampaignReview.campaign_id == campaign.id, Official.unit_id == unit_id)
        .order_by(Official.full_name, Official.id)))


def unconfirmed_reviews(campaign: ReviewCampaign) -> pd.DataFrame:
    frame = select_frame(
        sa.select(Official.id, Official.full_name, Unit.name, CampaignReview.self_submitted_at)
        .select_from(CampaignReview)
        .join(Official, Official.id == CampaignReview.official_id)
        .join(Unit, Unit.id == Official.unit_id)
        .where(CampaignReview.campaign_id == campaign.id, CampaignReview.confirmed_at.is_(None))
        .order_by(Unit.name, Official.full_name),
        ["official_id", "full_name", "unit_name", "submitted_at"])
    frame["submitted"] = frame["submitted_at"].notna()
    return frame


def leader_of(unit_id: int) -> Official | None:
    row = db.session.get(UnitLeader, unit_id)
    return row.official if row else None


def unit_officials(unit_id: int) -> list[Official]:
    """Officials who may lead the unit (its own and those of the units below it)."""
    return list(db.session.scalars(sa.select(Official).where(
        Official.unit_id.in_(unit_subtree_ids(unit_id))).order_by(Official.full_name)))


# --------------------------------------------------------------------------- officials


def reviews_of(official_id: int) -> list[CampaignReview]:
    """The official's reviews, open campaigns first, newest first."""
    return list(db.session.scalars(
        sa.select(CampaignReview).join(ReviewCampaign)
        .where(CampaignReview.official_id == official_id)
        .order_by(ReviewCampaign.status.desc(), ReviewCampaign.period_end.desc(),
                  CampaignReview.id.desc())))


def supervisor_queue(official: Official) -> list[CampaignReview]:
    """Submitted, unconfirmed reviews of open campaigns whose supervisor is `official`: those
    where HR named them, and, where no one is named, those of the units they lead (and below)
    whose supervisor they are by the one rule (people.operations.supervisor_of)."""
    base = (sa.select(CampaignReview).join(ReviewCampaign)
            .join(Official, Official.id == CampaignReview.official_id)
            .where(ReviewCampaign.status == "open", CampaignReview.self_submitted_at.is_not(None),
                   CampaignReview.confirmed_at.is_(None), CampaignReview.official_id != official.id)
            .order_by(CampaignReview.self_submitted_at, CampaignReview.id))
    named = list(db.session.scalars(base.where(
        CampaignReview.assessor_official_id == official.id)))
    led = list(db.session.scalars(sa.select(UnitLeader.unit_id).where(
        UnitLeader.official_id == official.id)))
    units = sorted({u for uid in led for u in unit_subtree_ids(uid)})
    candidates = list(db.session.scalars(base.where(
        CampaignReview.assessor_official_id.is_(None), Official.unit_id.in_(units)))) if units \
        else []
    mine = [r for r in candidates if (s := effective_supervisor(r)) is not None
            and s.id == official.id]
    return sorted(named + mine, key=lambda r: (r.self_submitted_at, r.id))


def has_review_work(official_id: int) -> bool:
    """Whether the official's menu shows the review pages: a review of their own, a review HR
    named them for, or a unit they lead (two small queries)."""
    own = db.session.scalar(sa.select(CampaignReview.id).where(
        sa.or_(CampaignReview.official_id == official_id,
               CampaignReview.assessor_official_id == official_id)).limit(1))
    if own is not None:
        return True
    return db.session.scalar(sa.select(UnitLeader.unit_id).where(
        UnitLeader.official_id == official_id).limit(1)) is not None


# --------------------------------------------------------------------------- KH-2


BELOW_COLUMNS = ["official_id", "full_name", "code", "unit_name", "position_name",
                 "competency_id", "competency", "required", "confirmed", "gap"]


def below_standard(campaign: ReviewCampaign) -> pd.DataFrame:
    """KH-2: for each confirmed review, the competencies whose confirmed level is below what the
    official's framework requires (position and region, the engine's required levels as the
    gap computation reads them today). One row per (official, competency); vectorised."""
    levels = select_frame(
        sa.select(CampaignReview.official_id, Official.full_name, Official.code, Unit.name,
                  Position.name, CampaignLevel.competency_id, Competency.name,
                  CampaignLevel.confirmed_level)
        .select_from(CampaignLevel)
        .join(CampaignReview, CampaignReview.id == CampaignLevel.review_id)
        .join(Official, Official.id == CampaignReview.official_id)
        .join(Unit, Unit.id == Official.unit_id)
        .outerjoin(Position, Position.id == Official.position_id)
        .join(Competency, Competency.id == CampaignLevel.competency_id)
        .where(CampaignReview.campaign_id == campaign.id,
               CampaignReview.confirmed_at.is_not(None)),
        ["official_id", "full_name", "code", "unit_name", "position_name", "competency_id",
         "competency", "confirmed"])
    if levels.empty:
        return pd.DataFrame(columns=BELOW_COLUMNS)
    cat = catalogue()
    pop = load_population(cat, Official.id.in_(
        sa.select(CampaignReview.official_id).where(CampaignReview.campaign_id == campaign.id,
                                                    CampaignReview.confirmed_at.is_not(None))))
    rows = pd.Series(np.arange(len(pop.official_ids)), index=pop.official_ids)
    r = levels["official_id"].map(rows).to_numpy(dtype=np.int64)
    c = levels["competency_id"].map(cat.comp_index).to_numpy(dtype=np.int64)
    levels["required"] = pop.required[r, c].astype(int)
    levels["gap"] = (levels["required"] - levels["confirmed"].astype(int)).clip(lower=0)
    out = levels[levels["gap"] > 0]
    return out[BELOW_COLUMNS].sort_values(["unit_name", "full_name", "official_id",
                                           "competency"]).reset_index(drop=True)


def below_standard_frame(below: pd.DataFrame) -> pd.DataFrame:
    """The list as exported: Vietnamese headers, one row per gap."""
    return pd.DataFrame({
        "Mã cán bộ": below["code"], "Họ và tên": below["full_name"],
        "Đơn vị": below["unit_name"], "Vị trí việc làm": below["position_name"],
        "Năng lực": below["competency"], "Mức yêu cầu": below["required"],
        "Mức được xác nhận": below["confirmed"], "Thiếu": below["gap"]})
