from __future__ import annotations

import sqlalchemy as sa

from trainer.auth.models import User
from trainer.auth.passwords import check_password, hash_password
from trainer.errors import DomainError
from trainer.extensions import db


def authenticate(username: str, password: str) -> User | None:
    user = db.session.scalar(sa.select(User).where(User.username == username.strip()))
    if user and user.active and check_password(user.password_hash, password):
        return user
    return None


def create_user(username: str, password: str, role: str, display_name: str, *,
                official_id=None, provider_id=None, unit_id=None) -> User:
    if db.session.scalar(sa.select(User.id).where(User.username == username)):
        raise DomainError(f"Tên đăng nhập “{username}” đã có.")
    need = {"official": official_id, "school": provider_id, "hr": unit_id}
    if role in need and need[role] is None:
        raise DomainError("Tài khoản thiếu phạm vi (cán bộ, cơ sở đào tạo hoặc đơn vị).")
    user = User(username=username, password_hash=hash_password(password), role=role,
                display_name=display_name, official_id=official_id, provider_id=provider_id,
                unit_id=unit_id)
    db.session.add(user)
    db.session.flush()
    return user
