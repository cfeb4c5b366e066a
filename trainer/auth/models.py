from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trainer.extensions import db
from trainer.timeutil import utcnow

ROLES = (("official", "Cán bộ, công chức"), ("school", "Cơ sở đào tạo"),
         ("hr", "Cán bộ tổ chức, nhân sự"), ("admin", "Quản trị hệ thống"))


class User(UserMixin, db.Model):
    """An account. Its scope: an official (role official), a provider (school) or a unit subtree
    (hr; admin sees everything). Accounts are disabled, never deleted (history keeps the name).

    `session_version` is part of the session's user id (`get_id`): raising it — disabling the
    account, a password change or reset — ends every open session at its next request."""

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
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")
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

    def get_id(self) -> str:  # flask-login: what the session cookie carries
        return f"{self.id}.{self.session_version}"
