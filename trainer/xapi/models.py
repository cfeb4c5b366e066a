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
    __table_args__ = (sa.Index("ix_xapi_statements_provider_stored", "provider_id", "stored_at",
                               "id"),)
    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)  # the statement id (UUID)
    provider_id: Mapped[int] = mapped_column(sa.ForeignKey("providers.id"), index=True)
    raw: Mapped[dict] = mapped_column(sa.JSON)
    verb_id: Mapped[str] = mapped_column(sa.String(500))
    activity_id: Mapped[str] = mapped_column(sa.String(500))
    actor_key: Mapped[str] = mapped_column(sa.String(300), index=True)  # normalised agent identity
    stored_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow,
                                                index=True)
    outcome: Mapped[str] = mapped_column(sa.String(10), default="ignored")
    # Indexed: locking an official's row (learning.operations.lock_row) makes SQLite check the
    # rows that reference it, which without an index is a scan of every statement.
    official_id: Mapped[int | None] = mapped_column(sa.ForeignKey("officials.id"), index=True)
    enrollment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("enrollments.id"))
    # The id of the statement that voided this one (xAPI 1.0.3 Data 2.3.2): a voided statement
    # is kept but no longer returned, except by `voidedStatementId`.
    voided_by: Mapped[str | None] = mapped_column(sa.String(36))


class XapiStatementKey(db.Model):
    """What a statement can be found by (xAPI 1.0.3 Communication 2.1.3): one row per agent,
    activity, verb and registration it names, so that every filter is one indexed range read in
    stored order. Kinds: `agent` (the actor, or the object when it is an Agent or Group),
    `agent+` (every agent anywhere: authority, instructor, team, a SubStatement's, for
    related_agents), `activity` (the object), `activity+` (the object, context activities and a
    SubStatement's, for related_activities), `verb`, `registration`. A statement that targets
    another (a StatementRef object) also carries its target's keys, so that a filter returns it
    beside the statement it targets. Derived from `raw` when the statement is stored."""

    __tablename__ = "xapi_statement_keys"
    __table_args__ = (sa.Index("ix_xapi_statement_keys_lookup", "provider_id", "kind", "value",
                               "stored_at", "statement_id"),)
    statement_id: Mapped[str] = mapped_column(sa.ForeignKey("xapi_statements.id"),
                                              primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(12), primary_key=True)
    value: Mapped[str] = mapped_column(sa.String(500), primary_key=True)
    provider_id: Mapped[int] = mapped_column(sa.ForeignKey("providers.id"))
    stored_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class XapiActivity(db.Model):
    """An activity's canonical definition as this provider's statements described it (the
    latest definition sent wins, property by property): what GET /xapi/activities returns."""

    __tablename__ = "xapi_activities"
    provider_id: Mapped[int] = mapped_column(sa.ForeignKey("providers.id"), primary_key=True)
    activity_id: Mapped[str] = mapped_column(sa.String(500), primary_key=True)
    definition: Mapped[dict] = mapped_column(sa.JSON, default=dict)


class XapiDocument(db.Model):
    """A document of the State, Activity Profile or Agent Profile resource (xAPI 1.0.3
    Communication 2.3, 2.6, 2.7), kept per provider: `kind` is "state", "activity_profile" or
    "agent_profile"; `activity_id`, `agent_key` (ops.actor_key of the agent) and `registration`
    are "" where the resource has none; `doc_id` is the stateId or profileId. `scope` is the
    SHA-256 of (kind, activity_id, agent_key, registration, doc_id): the unique key, short enough
    for any database's index. `etag` is the SHA-1 of the content, quoted in the ETag header."""

    __tablename__ = "xapi_documents"
    __table_args__ = (sa.UniqueConstraint("provider_id", "scope"),
                      sa.Index("ix_xapi_documents_list", "provider_id", "kind", "activity_id",
                               "agent_key"))
    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(sa.ForeignKey("providers.id"))
    kind: Mapped[str] = mapped_column(sa.String(16))
    activity_id: Mapped[str] = mapped_column(sa.String(500), default="")
    agent_key: Mapped[str] = mapped_column(sa.String(300), default="")
    registration: Mapped[str] = mapped_column(sa.String(36), default="")
    doc_id: Mapped[str] = mapped_column(sa.String(500))
    scope: Mapped[str] = mapped_column(sa.String(64))
    content_type: Mapped[str] = mapped_column(sa.String(255))
    content: Mapped[bytes] = mapped_column(sa.LargeBinary)
    etag: Mapped[str] = mapped_column(sa.String(64))
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)


class XapiAttachment(db.Model):
    """An attachment's content (xAPI 1.0.3 Data 2.4.11), stored once per provider and SHA-2:
    statements name it by `sha2` in their `attachments`; GET …&attachments=true serves it."""

    __tablename__ = "xapi_attachments"
    provider_id: Mapped[int] = mapped_column(sa.ForeignKey("providers.id"), primary_key=True)
    sha2: Mapped[str] = mapped_column(sa.String(128), primary_key=True)
    content_type: Mapped[str] = mapped_column(sa.String(255))
    content: Mapped[bytes] = mapped_column(sa.LargeBinary)
