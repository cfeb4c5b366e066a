from __future__ import annotations

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trainer.extensions import db

ROLES = (("official", "Cán bộ, công chức"), ("school", "Cơ sở đào tạo"),
         ("hr", "Cán bộ tổ chức, nhân sự"), ("admin", "Quản trị hệ thống"))


class User(UserMixin, db.Model):
    """An account. Its scope: an official (role official), a provider (school) or a unit subtree
    (hr; admin sees everything)."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(200))
    display_name: Mapped[str] = mapped_column(sa.String(120))
    role: Mapped[str] = mapped_column(sa.String(12))
    official_id: Mapped[int | None] = mapped_column(sa.ForeignKey("officials.id"))
    provider_id: Mapped[int | None] = mapped_column(sa.ForeignKey("providers.id"))
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"))
    active: Mapped[bool] = mapped_column(default=True)

    official = relationship("Official")
    provider = relationship("Provider")
    unit = relationship("Unit")

    @property
    def is_active(self) -> bool:  # flask-login
        return self.active
