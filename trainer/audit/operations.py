"""The audit log (issue 9 §8, Nghị định 13/2023/NĐ-CP): who saw and who changed whom.

Areas do not call this module: they send `trainer.core.events.audit(...)` (a change) or
`audit_access(...)` (a read), and the receivers below write the row.

- a change (an assessment, a result, an approval, an account, an import…) —
  added to the caller's transaction, so it is written with the change or not at all.
- a read of personal data (a record viewed, a search, an export, a
  sign-in) — queued during the request and written after the page is built, in one commit of
  its own, so that the read is recorded whatever the view does with its transaction. Outside a
  request (the CLI), it is added to the session like a change.

Rows are only ever added; `prune` deletes those older than AUDIT_RETENTION_DAYS."""
from __future__ import annotations

import getpass
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

import sqlalchemy as sa
from flask import Flask, g, has_request_context, request

from trainer.audit.models import AuditEvent
from trainer.core import events
from trainer.core.extensions import db
from trainer.core.timeutil import utcnow

LOCAL = timezone(timedelta(hours=7))  # Asia/Ho_Chi_Minh: a "day" of the screens' filters
_quiet: ContextVar[bool] = ContextVar("audit_quiet", default=False)


@contextmanager
def as_one(action: str, **event):
    """Many changes recorded as one row: a confirmed import (one row for the batch, not one per
    result it writes) or the demo generator. The row is written when the block succeeds."""
    token = _quiet.set(True)
    try:
        yield
    finally:
        _quiet.reset(token)
    if action:
        events.audit(action, **event)


def _event(action: str, subject_type: str, subject_id, detail: str, actor) -> AuditEvent:
    user = actor
    if user is None and has_request_context():
        user = g.get("_login_user")  # loaded by Flask-Login for this request, if any
    authenticated = user is not None and getattr(user, "is_authenticated", False)
    if has_request_context():
        address = (request.remote_addr or "")[:45]
    else:
        address = ""
    if authenticated:
        name, role, actor_id = user.username, user.role, user.id
    elif has_request_context():
        name, role, actor_id = "", "", None
    else:
        name, role, actor_id = f"dòng lệnh ({getpass.getuser()})", "cli", None
    return AuditEvent(at=utcnow(), actor_id=actor_id, actor_name=name[:120], actor_role=role,
                      address=address, action=action, subject_type=subject_type,
                      subject_id=int(subject_id) if subject_id is not None else None,
                      detail=(detail or "")[:300])


@events.audited.connect
def _on_audited(_sender, *, access: bool, action: str, **event) -> AuditEvent | None:
    return (record_access if access else record)(action, **event)


def record(action: str, *, subject_type: str = "", subject_id=None, detail: str = "",
           actor=None, actor_name: str = "") -> AuditEvent | None:
    """A change, in the caller's transaction (inside `as_one`: nothing, the block records)."""
    if _quiet.get():
        return None
    event = _event(action, subject_type, subject_id, detail, actor)
    if actor_name and not event.actor_name:
        event.actor_name = actor_name[:120]
    db.session.add(event)
    return event


def record_access(action: str, *, subject_type: str = "", subject_id=None, detail: str = "",
                  actor=None, actor_name: str = "") -> None:
    """A read (or a sign-in attempt), written after the response is built."""
    event = _event(action, subject_type, subject_id, detail, actor)
    if actor_name and not event.actor_name:
        event.actor_name = actor_name[:120]
    if has_request_context():
        g.setdefault("audit_pending", []).append(event)
    else:
        db.session.add(event)


def init_app(app: Flask) -> None:
    @app.after_request
    def _write_reads(response):
        pending = g.pop("audit_pending", None)
        if pending and response.status_code < 500:
            if db.session.new or db.session.dirty or db.session.deleted:
                db.session.rollback()  # what the view did not commit was never to be written
            db.session.add_all(pending)
            db.session.commit()
        return response


# --- Reading the log ---------------------------------------------------------------------------

@dataclass
class Filters:
    action: str = ""
    actor: str = ""  # username, or part of it
    subject_type: str = ""
    subject_id: int | None = None
    start: date | None = None
    end: date | None = None


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=LOCAL).astimezone(timezone.utc)


def events_query(f: Filters):
    q = sa.select(AuditEvent)
    if f.action:
        q = q.where(AuditEvent.action == f.action)
    if f.actor:
        q = q.where(AuditEvent.actor_name.ilike(f"%{f.actor.strip()[:120]}%"))
    if f.subject_type:
        q = q.where(AuditEvent.subject_type == f.subject_type)
    if f.subject_id is not None:
        q = q.where(AuditEvent.subject_id == f.subject_id)
    if f.start:
        q = q.where(AuditEvent.at >= _day_start(f.start))
    if f.end:
        q = q.where(AuditEvent.at < _day_start(f.end + timedelta(days=1)))
    return q.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())


def viewers_of(official_id: int, limit: int = 200) -> list[AuditEvent]:
    """Who opened this official's record, searched for them or changed them (newest first):
    what an official is shown of the log about themselves."""
    return list(db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.subject_type == "official", AuditEvent.subject_id == official_id,
        AuditEvent.actor_role.in_(("hr", "admin", "school")))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit)))


def prune(days: int) -> int:
    """Delete the rows older than `days`; returns how many."""
    cutoff = utcnow() - timedelta(days=days)
    result = db.session.execute(sa.delete(AuditEvent).where(AuditEvent.at < cutoff))
    return result.rowcount or 0
