"""Token authentication for the JSON API.

A token is `<key>.<secret>`: the credential's public key (16 hex digits) and its secret
(URL-safe base64, never contains a dot), sent as `Authorization: Bearer <key>.<secret>`. Only a
hash of the secret is stored (auth.tokens); the token is shown once, when issued. A token acts
with its user's role and scope, exactly as that user would on the web.
"""
from __future__ import annotations

import re

import sqlalchemy as sa

from trainer.auth.models import ApiCredential, User
from trainer.auth.tokens import check_credential, issue_credential, note_use, revoke_credential
from trainer.core.errors import DomainError
from trainer.core.extensions import db

KIND = "api"
# What issue_credential makes: token_hex(8) and token_urlsafe(24). Anything else is refused before
# the database is asked (a NUL byte, say, would make PostgreSQL fail rather than not match).
TOKEN = re.compile(r"(?P<key>[0-9a-f]{16})\.(?P<secret>[A-Za-z0-9_-]{16,128})")


def issue_token(user: User, *, name: str = "") -> tuple[ApiCredential, str]:
    """A new API token for the user: the credential and the token text (shown once).
    Flushes, never commits."""
    if not user.active:
        raise DomainError(f"Tài khoản “{user.username}” đã bị khóa: không cấp mã truy cập.")
    cred, secret = issue_credential(KIND, name=name, user_id=user.id)
    return cred, f"{cred.key}.{secret}"


def revoke_token(key: str) -> ApiCredential:
    cred = db.session.scalar(sa.select(ApiCredential).where(
        ApiCredential.kind == KIND, ApiCredential.key == key))
    if cred is None:
        raise DomainError(f"Không có mã truy cập “{key}”.")
    return revoke_credential(cred)


def parse_bearer(header: str | None) -> tuple[str, str] | None:
    """(key, secret) from an `Authorization` header value, or None when it is not a bearer token
    of our format."""
    scheme, _, token = (header or "").strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    match = TOKEN.fullmatch(token.strip())
    return (match["key"], match["secret"]) if match else None


def user_for_token(header: str | None) -> User | None:
    """The active user a valid, unrevoked token belongs to; None otherwise."""
    parsed = parse_bearer(header)
    if parsed is None:
        return None
    cred = check_credential(KIND, *parsed)
    if cred is None or cred.user is None or not cred.user.active:
        return None
    if note_use(cred):
        db.session.commit()  # before the view runs: its own commit or rollback stays its own
    return cred.user
