"""Review campaigns (đợt đánh giá, KH-2 / DL-a): HR opens one over units, positions and
competencies; each official in it self-assesses against their position's framework, the supervisor
confirms or changes each level; confirmed levels become assessment evidence (docs/reviews.md)."""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trainer.core.extensions import db
from trainer.core.timeutil import utcnow

CAMPAIGN_STATUSES = (("open", "Đang đánh giá"), ("closed", "Đã kết thúc"))


class ReviewCampaign(db.Model):
    """An HR-opened review over `unit_ids` (each with the units below it), the positions of
    `position_codes` (empty: every position) and the competencies of `competency_codes` (empty:
    each official's whole framework). Its participants are fixed when it opens."""

    __tablename__ = "review_campaigns"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    period_start: Mapped[date] = mapped_column(sa.Date)
    period_end: Mapped[date] = mapped_column(sa.Date)  # the deadline
    unit_ids: Mapped[list] = mapped_column(sa.JSON, default=list)
    position_codes: Mapped[list] = mapped_column(sa.JSON, default=list)
    competency_codes: Mapped[list] = mapped_column(sa.JSON, default=list)
    status: Mapped[str] = mapped_column(sa.String(8), default="open")
    owner_unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), index=True)  # HR's scope
    created_by: Mapped[str] = mapped_column(sa.String(120), default="")
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    closed_by: Mapped[str] = mapped_column(sa.String(120), default="")

    reviews: Mapped[list[CampaignReview]] = relationship(back_populates="campaign",
                                                         cascade="all, delete-orphan")


class CampaignReview(db.Model):
    """One official in a campaign: their self-assessment, then the supervisor's confirmation.
    `assessor_official_id` is the assessor HR named; none, the unit's leader
    (people.operations.supervisor_of)."""

    __tablename__ = "campaign_reviews"
    __table_args__ = (sa.UniqueConstraint("campaign_id", "official_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("review_campaigns.id"), index=True)
    official_id: Mapped[int] = mapped_column(sa.ForeignKey("officials.id"), index=True)
    assessor_official_id: Mapped[int | None] = mapped_column(sa.ForeignKey("officials.id"))
    self_submitted_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    confirmed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    confirmed_by: Mapped[str] = mapped_column(sa.String(120), default="")
    reminded_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    campaign: Mapped[ReviewCampaign] = relationship(back_populates="reviews")
    official = relationship("Official", foreign_keys=[official_id])
    assessor = relationship("Official", foreign_keys=[assessor_official_id])
    levels: Mapped[list[CampaignLevel]] = relationship(cascade="all, delete-orphan")


class CampaignLevel(db.Model):
    """One competency of one review: the official's own level, the supervisor's, and why."""

    __tablename__ = "campaign_levels"
    review_id: Mapped[int] = mapped_column(sa.ForeignKey("campaign_reviews.id"), primary_key=True)
    competency_id: Mapped[int] = mapped_column(sa.ForeignKey("competencies.id"), primary_key=True)
    self_level: Mapped[int | None] = mapped_column(sa.SmallInteger)
    confirmed_level: Mapped[int | None] = mapped_column(sa.SmallInteger)
    comment: Mapped[str] = mapped_column(sa.String(1000), default="")

    competency = relationship("Competency")
