from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trainer.core.extensions import db
from trainer.core.timeutil import utcnow


class ActivityMapping(db.Model):
    """An e-learning activity (xAPI object id) of a provider that stands for one of its courses."""

    __tablename__ = "activity_mappings"
    __table_args__ = (sa.UniqueConstraint("provider_id", "activity_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(sa.ForeignKey("providers.id"), index=True)
    activity_id: Mapped[str] = mapped_column(sa.String(500))
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id"))

    course = relationship("Course")


class XapiStatement(db.Model):
    """A statement as received (xAPI 1.0.3), kept immutable in `raw`; what it did is recorded
    beside it: applied (a completion recorded), queued (waiting for HR review), ignored."""

    __tablename__ = "xapi_statements"
    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)  # the statement id (UUID)
    provider_id: Mapped[int] = mapped_column(sa.ForeignKey("providers.id"), index=True)
    raw: Mapped[dict] = mapped_column(sa.JSON)
    verb_id: Mapped[str] = mapped_column(sa.String(500))
    activity_id: Mapped[str] = mapped_column(sa.String(500))
    actor_key: Mapped[str] = mapped_column(sa.String(300), index=True)  # normalised agent identity
    stored_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow,
                                                index=True)
    outcome: Mapped[str] = mapped_column(sa.String(10), default="ignored")
    official_id: Mapped[int | None] = mapped_column(sa.ForeignKey("officials.id"))
    enrollment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("enrollments.id"))
    # The id of the statement that voided this one (xAPI 1.0.3 Data 2.3.2): a voided statement
    # is kept but no longer returned, except by `voidedStatementId`.
    voided_by: Mapped[str | None] = mapped_column(sa.String(36))
