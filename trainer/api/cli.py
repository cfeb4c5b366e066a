"""`trainer api …`: issue and revoke JSON API tokens (docs/api.md)."""
from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from trainer.core.errors import DomainError
from trainer.core.extensions import db


@click.group("api", help="Mã truy cập API JSON (/api/v1).")
def api_cli():
    pass


@api_cli.command("token")
@click.argument("username")
@click.option("--name", default="", help="Ghi chú: mã dùng cho việc gì, máy nào.")
@with_appcontext
def api_token(username, name):
    """Cấp một mã truy cập mới cho tài khoản USERNAME; mã chỉ hiện một lần."""
    from trainer.api.auth import issue_token
    from trainer.auth.models import User
    user = db.session.scalar(sa.select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"Không có tài khoản “{username}”.")
    try:
        cred, token = issue_token(user, name=name)
        db.session.commit()
    except DomainError as e:
        db.session.rollback()
        raise click.ClickException(str(e)) from e
    click.echo(token)
    click.echo(f"Mã {cred.key} cho {user.username} ({user.role}). Lưu lại ngay: mã không hiện "
               f"lại lần nữa. Gửi kèm: Authorization: Bearer <mã>", err=True)


@api_cli.command("revoke")
@click.argument("key")
@with_appcontext
def api_revoke(key):
    """Thu hồi mã truy cập có phần công khai KEY (phần trước dấu chấm)."""
    from trainer.api.auth import revoke_token
    try:
        cred = revoke_token(key)
        db.session.commit()
    except DomainError as e:
        db.session.rollback()
        raise click.ClickException(str(e)) from e
    click.echo(f"Đã thu hồi mã {cred.key}.")
