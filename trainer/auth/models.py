from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trainer.core.extensions import db
from trainer.core.timeutil import utcnow

ROLES = (("official", "Cán bộ, công chức"), ("school", "Cơ sở đào tạo"),
         ("hr", "Cán bộ tổ chức, nhân sự"), ("admin", "Quản trị hệ thống"))


class User(UserMixin, db.Model):
    """An account. Its scope: an official (role official), a provider (school) or a unit subtree
    (hr; admin sees everything). Accounts are disabled, never deleted (history keeps the name).
    Its sign-ins are `UserSession` rows, each ended on the server (docs/security.md)."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(200))
    display_name: Mapped[str] = mapped_column(sa.String(120))
    role: Mapped[str] = mapped_column(sa.String(12))
    official_id: Mapped[int | None] = mapped_column(sa.ForeignKey("officials.id"), unique=True)
    provider_id: Mapped[int | None] = mapped_column(sa.ForeignKey("providers.id"))
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"))
    active: Mapped[bool] = mapped_column(default=True)
    email: Mapped[str | None] = mapped_column(sa.String(120))
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    password_changed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    last_login_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    created_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True),
                                                        default=utcnow)
    created_by: Mapped[str] = mapped_column(sa.String(120), default="", server_default="")

    official = relationship("Official")
    provider = relationship("Provider")
    unit = relationship("Unit")

    @property
    def is_active(self) -> bool:  # flask-login
        return self.active


class UserSession(db.Model):
    """One sign-in. The session cookie carries its random token; only the token's SHA-256 is
    stored (`id`), so a copy of the database opens no session. A request is served only while
    the row is open, the account active, and neither the idle timeout nor the absolute lifetime
    (settings, shorter for HR and admin) has passed."""

    __tablename__ = "user_sessions"
    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)  # sha256 hex of the token
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    ended_reason: Mapped[str] = mapped_column(sa.String(20), default="")  # SESSION_END_REASONS
    address: Mapped[str] = mapped_column(sa.String(45), default="")
    user_agent: Mapped[str] = mapped_column(sa.String(200), default="")

    user: Mapped[User] = relationship()


SESSION_END_REASONS = (("logout", "Đăng xuất"), ("idle", "Quá thời gian không thao tác"),
                       ("expired", "Hết thời hạn phiên"), ("password", "Đổi mật khẩu"),
                       ("reset", "Đặt lại mật khẩu"), ("disabled", "Tài khoản bị khóa"),
                       ("admin", "Quản trị viên kết thúc"))


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
    expires_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    user = relationship("User")
    provider = relationship("Provider")
