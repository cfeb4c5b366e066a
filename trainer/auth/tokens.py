"""Credentials for machines: JSON API tokens (a user's scope) and xAPI keys (a provider's).
Only a hash of the secret is stored; the secret is shown once, when created. Each expires
after API_TOKEN_DAYS and can be revoked by its owner or an admin (docs/security.md)."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from trainer.auth.models import ApiCredential
from trainer.core import events
from trainer.core.extensions import db
from trainer.core.timeutil import aware, utcnow


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_credential(kind: str, *, name: str = "", user_id: int | None = None,
                     provider_id: int | None = None) -> tuple[ApiCredential, str]:
    """Create a credential; returns it and the secret (shown once). Flushes, never commits."""
    secret = secrets.token_urlsafe(24)
    days = int(current_app.config["API_TOKEN_DAYS"])
    cred = ApiCredential(kind=kind, key=secrets.token_hex(8), secret_hash=_digest(secret),
                         name=name, user_id=user_id, provider_id=provider_id,
                         expires_at=utcnow() + timedelta(days=days))
    db.session.add(cred)
    db.session.flush()
    return cred, secret


def check_credential(kind: str, key: str, secret: str) -> ApiCredential | None:
    cred = db.session.scalar(sa.select(ApiCredential).where(
        ApiCredential.kind == kind, ApiCredential.key == key, ApiCredential.revoked_at.is_(None)))
    if cred is None or not hmac.compare_digest(cred.secret_hash, _digest(secret)):
        return None
    if cred.expires_at is not None and aware(cred.expires_at) <= utcnow():
        return None
    return cred


def revoke_credential(cred: ApiCredential) -> ApiCredential:
    if cred.revoked_at is None:
        cred.revoked_at = utcnow()
        db.session.flush()
    return cred


# `last_used_at` is for the owner's eyes ("is this key still used?") and each refresh is an
# audit row (token use): written at most this often, not on every request.
TOUCH_EVERY = timedelta(minutes=5)


def note_use(cred: ApiCredential) -> bool:
    """Record that the credential was used (at most every TOUCH_EVERY); True when it wrote.
    The caller commits."""
    now = utcnow()
    if cred.last_used_at is not None and now - aware(cred.last_used_at) <= TOUCH_EVERY:
        return False
    cred.last_used_at = now
    owner = cred.user.username if cred.user else (cred.provider.code if cred.provider else "")
    events.audit("token", subject_type="credential", subject_id=cred.id, actor=cred.user,
                 actor_name=f"{cred.kind} {owner}", detail=f"{cred.kind} {cred.key} ({owner})")
    return True


def credential_key(header: str | None) -> str | None:
    """The public key named by an Authorization header (Bearer <key>.<secret> or HTTP Basic
    key:secret), for counting requests per credential; None when there is none."""
    import base64
    import binascii
    scheme, _, value = (header or "").strip().partition(" ")
    if scheme.lower() == "bearer":
        return value.strip().partition(".")[0][:40] or None
    if scheme.lower() == "basic":
        try:
            return base64.b64decode(value.strip(), validate=True).decode("utf-8") \
                .partition(":")[0][:40] or None
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return None
    return None


def limit_per_credential(blueprint) -> None:
    """API_RATE_LIMIT requests per credential (per address when there is none) on every route
    of a machines' blueprint. Called once, where the blueprint is made."""
    from flask import request
    from flask_limiter.util import get_remote_address

    from trainer.core.extensions import limiter

    def key() -> str:
        return "cred:" + (credential_key(request.headers.get("Authorization"))
                          or get_remote_address())
    limiter.limit(lambda: current_app.config["API_RATE_LIMIT"], key_func=key)(blueprint)
