"""`trainer reviews …`: the review campaigns' daily reminders (cron), with the web's operation.
Registered in trainer/cli.py."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from trainer.core.errors import DomainError
from trainer.core.extensions import db


@click.group("reviews", help="Đợt đánh giá năng lực: nhắc người chưa hoàn thành.")
def reviews_cli():
    pass


@reviews_cli.command("remind")
@with_appcontext
def remind_cmd():
    """Nhắc cán bộ chưa tự đánh giá và cấp trên chưa xác nhận trong mọi đợt đang mở (mỗi phiếu
    tối đa một lần một ngày). Chạy hằng ngày."""
    from trainer.core.jobs import job_lock
    from trainer.reviews.operations import remind_open_campaigns
    with job_lock("reviews-remind") as mine:
        if not mine:
            click.echo("Một lượt nhắc khác đang chạy: bỏ qua lượt này.")
            return
        try:
            campaigns, own, sup = remind_open_campaigns()
            db.session.commit()
        except DomainError as e:
            db.session.rollback()
            raise click.ClickException(str(e)) from None
    click.echo(f"{campaigns} đợt đang mở: đã nhắc {own} cán bộ chưa tự đánh giá, "
               f"{sup} cấp trên chưa xác nhận.")
