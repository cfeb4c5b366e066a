from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from trainer.core.extensions import db
from trainer.core.timeutil import utcnow


class ImportBatch(db.Model):
    """An uploaded file kept between its preview and its confirmation, so that what is confirmed
    is exactly what was previewed (issue 5)."""

    __tablename__ = "import_batches"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(24))
    filename: Mapped[str] = mapped_column(sa.String(200))
    content: Mapped[bytes] = mapped_column(sa.LargeBinary)
    created_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # The class a school's attendance or results file is for (CLASS_KINDS); None otherwise.
    cohort_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cohorts.id"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    status: Mapped[str] = mapped_column(sa.String(12), default="previewed")  # → applied
    summary: Mapped[dict] = mapped_column(sa.JSON, default=dict)


REVIEW_STATUSES = (("open", "Chờ xử lý"), ("matched", "Đã ghép"), ("rejected", "Đã loại"))


class ReviewItem(db.Model):
    """A record from an external source that matched no official, or more than one: never
    dropped, never guessed — HR matches it to an official or rejects it."""

    __tablename__ = "review_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(sa.String(16))  # xapi / completion_file / import
    provider_id: Mapped[int | None] = mapped_column(sa.ForeignKey("providers.id"))
    payload: Mapped[dict] = mapped_column(sa.JSON)  # what arrived (course, date, score, …)
    identifiers: Mapped[dict] = mapped_column(sa.JSON)  # pid / code / email / actor as given
    candidates: Mapped[list] = mapped_column(sa.JSON, default=list)  # official ids, if several
    reason: Mapped[str] = mapped_column(sa.String(300))
    statement_id: Mapped[str | None] = mapped_column(sa.ForeignKey("xapi_statements.id"))
    status: Mapped[str] = mapped_column(sa.String(10), default="open", index=True)
    official_id: Mapped[int | None] = mapped_column(sa.ForeignKey("officials.id"))
    decided_by: Mapped[str] = mapped_column(sa.String(120), default="")
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
