"""`trainer data …`: the imports of issue 5 with the same code as the web (preview with
--dry-run), the national-database export, the data-quality checks and the review queue."""
from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import with_appcontext

from trainer.core.errors import DomainError, ImportRejected
from trainer.core.extensions import db


@click.group("data", help="Nhập, xuất dữ liệu: tệp Excel/CSV, CSDL quốc gia, hàng chờ đối chiếu.")
def data_cli():
    pass


@data_cli.command("import")
@click.argument("kind", type=click.Choice(["officials", "assessments", "ratings", "results",
                                           "completions", "competencies", "positions",
                                           "providers", "courses", "units", "accounts",
                                           "quotas", "mentorships"]))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Chỉ kiểm tra và đếm (xem trước), không ghi.")
@click.option("--passwords", "passwords_out", type=click.Path(dir_okay=False, path_type=Path),
              help="Tài khoản: ghi mật khẩu ban đầu của tài khoản mới vào tệp .xlsx này (mặc "
                   "định: in ra màn hình).")
@with_appcontext
def import_cmd(kind, file, dry_run, passwords_out):
    """Nhập tệp FILE loại KIND trong một giao dịch: có lỗi là không ghi gì."""
    from trainer.interchange.operations import import_file, summary_text
    if passwords_out is not None and passwords_out.suffix.lower() != ".xlsx":
        raise click.ClickException("Tệp mật khẩu phải là .xlsx.")
    try:
        plan = import_file(kind, file, dry_run=dry_run, actor=f"Nhập từ tệp {file.name}")
        if dry_run:
            db.session.rollback()
        else:
            db.session.commit()
    except ImportRejected as e:
        db.session.rollback()
        for line in e.errors:
            click.echo(f"  - {line}", err=True)
        raise click.ClickException(str(e)) from None
    except DomainError as e:
        db.session.rollback()
        raise click.ClickException(str(e)) from None
    click.echo(f"{plan.rows} dòng. " + summary_text(kind, plan.counts(), done=not dry_run))
    if plan.issued:  # one-time passwords of the new accounts: shown (or written) this once
        from trainer.auth.operations import issued_frame
        if passwords_out is not None:
            from trainer.core.exports import xlsx_bytes
            passwords_out.write_bytes(xlsx_bytes(
                {"Tài khoản": issued_frame(plan.issued)}, unit="",
                title="Tài khoản và mật khẩu ban đầu (đổi ở lần đăng nhập đầu tiên)"))
            passwords_out.chmod(0o600)
            click.echo(f"Mật khẩu ban đầu của {len(plan.issued)} tài khoản: {passwords_out}")
        else:
            click.echo("Mật khẩu ban đầu (chỉ hiện lần này; đổi ở lần đăng nhập đầu tiên):")
            for i in plan.issued:
                click.echo(f"  {i.username}\t{i.password}\t{i.display_name}")


@data_cli.command("export")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def export_cmd(out):
    """Xuất quá trình đào tạo của mọi cán bộ sang OUT (.json hoặc .xlsx) cho CSDL quốc gia."""
    from trainer.core.exports import xlsx_bytes
    from trainer.interchange.operations import export_frames, national_export
    data = national_export()
    if out.suffix.lower() == ".json":
        out.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    elif out.suffix.lower() == ".xlsx":
        out.write_bytes(xlsx_bytes(export_frames(data), unit="Toàn tỉnh",
                                   title="Quá trình đào tạo, bồi dưỡng — dữ liệu đồng bộ CSDL "
                                         "quốc gia"))
    else:
        raise click.ClickException("Tệp xuất phải là .json hoặc .xlsx.")
    click.echo(f"Đã xuất {data['count']} cán bộ vào {out}.")


@data_cli.command("check")
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def check_cmd(as_json):
    """Kiểm tra chất lượng dữ liệu trước khi đồng bộ: đúng, đủ, sạch, sống."""
    from trainer.interchange.operations import QUALITY_CHECKS, quality_issues
    issues = quality_issues()
    if as_json:
        click.echo(json.dumps(issues.drop(columns="official_id").to_dict("records"),
                              ensure_ascii=False, indent=1))
        return
    counts = issues["check"].value_counts().to_dict() if not issues.empty else {}
    for code, label in QUALITY_CHECKS:
        click.echo(f"{counts.get(code, 0):>6}  {label}")
    for r in issues.head(50).to_dict("records"):
        click.echo(f"  {r['pid']} {r['full_name']} ({r['unit_name']}): {r['detail']}")


@data_cli.command("queue")
@with_appcontext
def queue_cmd():
    """Các mục đang chờ đối chiếu (xử lý trên trang /hang-cho-doi-chieu)."""
    import sqlalchemy as sa

    from trainer.interchange.models import ReviewItem
    items = db.session.scalars(sa.select(ReviewItem).where(ReviewItem.status == "open")
                               .order_by(ReviewItem.id)).all()
    click.echo(f"{len(items)} mục chờ đối chiếu.")
    for item in items:
        click.echo(f"  #{item.id} {item.source} {item.identifiers} — {item.reason}")
