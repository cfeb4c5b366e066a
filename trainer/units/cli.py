"""`trainer units …`: the unit tree's changes from the command line, with the operations of the
web (the tree itself is imported with `trainer data import units FILE`)."""
from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from trainer.core.errors import DomainError
from trainer.core.extensions import db


@click.group("units", help="Đơn vị hành chính: sáp nhập (nhập cây đơn vị: trainer data import "
                           "units TỆP).")
def units_cli():
    pass


@units_cli.command("merge")
@click.argument("source_code")
@click.argument("target_code")
@click.option("--date", "on_text", required=True, help="Ngày sáp nhập theo quyết định, "
                                                        "dd/mm/yyyy.")
@click.option("--decision", required=True, help="Số quyết định sáp nhập.")
@with_appcontext
def merge_cmd(source_code, target_code, on_text, decision):
    """Sáp nhập đơn vị SOURCE_CODE vào TARGET_CODE (một giao dịch: lỗi là không ghi gì)."""
    from trainer.core.tabular import parse_date
    from trainer.org.models import Unit
    from trainer.units import operations as ops
    try:
        on = parse_date(on_text)
    except ValueError as e:
        raise click.ClickException(f"--date: {e}.") from None
    units = {u.code: u for u in db.session.scalars(
        sa.select(Unit).where(Unit.code.in_((source_code, target_code))))}
    for code in (source_code, target_code):
        if code not in units:
            raise click.ClickException(f"Không có đơn vị mã “{code}”.")
    source, target = units[source_code], units[target_code]
    try:
        outline = ops.outline_merge(source, target, on=on, decision_no=decision)
        ops.merge_units(source, target, on=on, decision_no=decision, actor="dòng lệnh")
        db.session.commit()
    except DomainError as e:
        db.session.rollback()
        raise click.ClickException(str(e)) from None
    click.echo(outline.done_text())
