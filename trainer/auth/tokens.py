"""Credentials for machines: JSON API tokens (a user's scope) and xAPI keys (a provider's).
Only a hash of the secret is stored; the secret is shown once, when created."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trainer.extensions import db
from trainer.timeutil import utcnow


class ApiCredential(db.Model):
    __tablename__ = "api_credentials"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(8))  # "api" (user token) or "xapi" (provider)
    key: Mapped[str] = mapped_column(sa.String(40), unique=True)  # public part
    secret_hash: Mapped[str] = mapped_column(sa.String(64))
    name: Mapped[str] = mapped_column(sa.String(120), default="")
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    provider_id: Mapped[int | None] = mapped_column(sa.ForeignKey("providers.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    user = relationship("User")
    provider = relationship("Provider")


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_credential(kind: str, *, name: str = "", user_id: int | None = None,
                     provider_id: int | None = None) -> tuple[ApiCredential, str]:
    """Create a credential; returns it and the secret (shown once). Flushes, never commits."""
    secret = secrets.token_urlsafe(24)
    cred = ApiCredential(kind=kind, key=secrets.token_hex(8), secret_hash=_digest(secret),
                         name=name, user_id=user_id, provider_id=provider_id)
    db.session.add(cred)
    db.session.flush()
    return cred, secret


def check_credential(kind: str, key: str, secret: str) -> ApiCredential | None:
    cred = db.session.scalar(sa.select(ApiCredential).where(
        ApiCredential.kind == kind, ApiCredential.key == key, ApiCredential.revoked_at.is_(None)))
    if cred is None or not hmac.compare_digest(cred.secret_hash, _digest(secret)):
        return None
    return cred
