"""Sessions ended on the server, and sign-in attempts counted per account (docs/security.md).

A sign-in makes a `UserSession` row and puts its random token in the (signed) session cookie;
every request needs the row open and within its idle timeout and absolute lifetime. Logging out
ends this session; a password change ends the others; a reset or disabling the account ends
them all — at the next request of each, wherever it is.

Wrong passwords are counted per username — known or not, so that a lock tells nothing about
which accounts exist — in the rate-limit store (Redis when configured): LOGIN_LOCK_AFTER in
LOGIN_LOCK_MINUTES lock the username for the rest of that window, and four times as many in a
day lock it for the day (a growing delay). An admin can lift it."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from flask import current_app
from limits import parse_many

from trainer.auth.models import User, UserSession
from trainer.core.extensions import db, limiter
from trainer.core.timeutil import aware, utcnow

STAFF = ("hr", "admin")
TOUCH_EVERY = timedelta(seconds=60)  # last_seen_at is written at most this often
LOCK_SCOPE = "login-account"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def limits_for(role: str) -> tuple[timedelta, timedelta]:
    """(idle timeout, absolute lifetime) of a session of this role: shorter for HR and admin,
    who see other people's records."""
    c = current_app.config
    staff = role in STAFF
    idle = c["SESSION_IDLE_MINUTES_STAFF"] if staff else c["SESSION_IDLE_MINUTES"]
    lifetime = c["SESSION_MAX_HOURS_STAFF"] if staff else c["SESSION_MAX_HOURS"]
    return timedelta(minutes=int(idle)), timedelta(hours=int(lifetime))


def start_session(user: User, *, address: str = "", user_agent: str = "") -> str:
    """A new session for the account; returns its token (for the cookie, never stored)."""
    token = secrets.token_urlsafe(32)
    db.session.add(UserSession(id=_digest(token), user_id=user.id, address=(address or "")[:45],
                               user_agent=(user_agent or "")[:200]))
    db.session.flush()
    return token


def open_session(token: str | None, user: User) -> UserSession | None:
    """The session the token names, if it is the user's, open, and within its limits; a
    session found past a limit is ended (reason idle or expired). Never raises."""
    if not token or not isinstance(token, str) or len(token) > 100:
        return None
    row = db.session.get(UserSession, _digest(token))
    if row is None or row.user_id != user.id or row.ended_at is not None:
        return None
    idle, lifetime = limits_for(user.role)
    now = utcnow()
    if now - aware(row.created_at) > lifetime:
        _end(row, "expired", now)
    elif now - aware(row.last_seen_at) > idle:
        _end(row, "idle", now)
    else:
        return row
    db.session.commit()  # the end is kept even though the request goes on anonymous
    return None


def touch(row: UserSession) -> bool:
    """Record the session as seen now (at most once a minute). True when it wrote."""
    now = utcnow()
    if now - aware(row.last_seen_at) < TOUCH_EVERY:
        return False
    row.last_seen_at = now
    return True


def _end(row: UserSession, reason: str, now: datetime | None = None) -> None:
    row.ended_at, row.ended_reason = now or utcnow(), reason


def end_session(token: str | None, reason: str = "logout") -> None:
    row = db.session.get(UserSession, _digest(token)) if token else None
    if row is not None and row.ended_at is None:
        _end(row, reason)
        db.session.flush()


def end_sessions(user: User, reason: str, *, keep: str | None = None) -> int:
    """End every open session of the account (but the one whose token is `keep`); returns how
    many. They stop at their next request."""
    q = sa.update(UserSession).where(UserSession.user_id == user.id,
                                     UserSession.ended_at.is_(None))
    if keep:
        q = q.where(UserSession.id != _digest(keep))
    result = db.session.execute(q.values(ended_at=utcnow(), ended_reason=reason))
    return result.rowcount or 0


def open_sessions(user: User) -> list[UserSession]:
    return list(db.session.scalars(sa.select(UserSession).where(
        UserSession.user_id == user.id, UserSession.ended_at.is_(None))
        .order_by(UserSession.last_seen_at.desc())))


def prune_sessions(*, older_than_days: int = 30) -> int:
    """Delete sessions ended (or last seen) more than `older_than_days` ago."""
    cutoff = utcnow() - timedelta(days=older_than_days)
    result = db.session.execute(sa.delete(UserSession).where(sa.or_(
        UserSession.ended_at < cutoff, UserSession.last_seen_at < cutoff)))
    return result.rowcount or 0


# --- Wrong passwords, per username ------------------------------------------------------------

def _lock_items():
    c = current_app.config
    n, minutes = int(c["LOGIN_LOCK_AFTER"]), int(c["LOGIN_LOCK_MINUTES"])
    return parse_many(f"{n} per {minutes} minutes; {4 * n} per day")


def _counting() -> bool:
    return bool(current_app.config.get("RATELIMIT_ENABLED", True))


def _ids(username: str) -> tuple[str, ...]:
    return (current_app.config.get("RATELIMIT_KEY_PREFIX", ""), LOCK_SCOPE, username)


def locked_until(username: str) -> datetime | None:
    """When the username may try again, if it is locked now; None otherwise."""
    if not _counting():
        return None
    until = None
    for item in _lock_items():
        if not limiter.limiter.test(item, *_ids(username)):
            reset, _ = limiter.limiter.get_window_stats(item, *_ids(username))
            moment = datetime.fromtimestamp(reset, timezone.utc)
            until = moment if until is None or moment > until else until
    return until


def count_failure(username: str) -> None:
    if _counting():
        for item in _lock_items():
            limiter.limiter.hit(item, *_ids(username))


def unlock(username: str) -> None:
    """Forget the wrong passwords of the username (a success, or an admin lifting the lock)."""
    if _counting():
        for item in _lock_items():
            limiter.limiter.clear(item, *_ids(username))
