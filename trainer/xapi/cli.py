"""`trainer xapi …`: credentials and activity mappings for e-learning providers (issue 5).
Register with `app.cli.add_command(xapi_cli)` (trainer/cli.py)."""
from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from trainer.core.errors import DomainError
from trainer.core.extensions import db


@click.group("xapi", help="Kết nối xAPI với nền tảng học trực tuyến: khóa truy cập, ánh xạ.")
def xapi_cli():
    pass


@xapi_cli.command("credential")
@click.argument("provider_code")
@click.option("--name", default="", help="Ghi chú cho khóa (ví dụ: tên hệ thống LMS).")
@with_appcontext
def credential_cmd(provider_code, name):
    """Cấp khóa xAPI (key và secret) cho đơn vị cung cấp PROVIDER_CODE. Secret chỉ hiện một lần."""
    from trainer.xapi.operations import create_xapi_credential, provider_by_code
    try:
        provider = provider_by_code(provider_code)
        credential, secret = create_xapi_credential(provider, name=name)
        db.session.commit()
    except DomainError as e:
        db.session.rollback()
        raise click.ClickException(str(e)) from None
    click.echo(f"Khóa xAPI cho {provider.code} — {provider.name}")
    click.echo(f"key:    {credential.key}")
    click.echo(f"secret: {secret}")
    click.echo("Lưu secret ngay: hệ thống chỉ giữ mã băm, không hiển thị lại. Nền tảng gửi "
               "statement tới /xapi/statements với HTTP Basic key:secret.")


@xapi_cli.command("map")
@click.argument("provider_code")
@click.argument("activity_id")
@click.argument("course_code")
@with_appcontext
def map_cmd(provider_code, activity_id, course_code):
    """Ánh xạ hoạt động ACTIVITY_ID (IRI) của PROVIDER_CODE tới khóa COURSE_CODE của đơn vị đó;
    các statement hoàn thành đang chờ vì chưa ánh xạ được xử lý lại ngay."""
    from trainer.catalog.models import Course
    from trainer.xapi.operations import map_activity, provider_by_code, reprocess_unmapped
    try:
        provider = provider_by_code(provider_code)
        course = db.session.scalar(sa.select(Course).where(Course.code == course_code))
        if course is None:
            raise DomainError(f"Không có khóa học mã “{course_code}”.")
        _mapping, created = map_activity(provider, activity_id, course)
        counts = reprocess_unmapped(provider, activity_id, decided_by="trainer xapi map")
        db.session.commit()
    except DomainError as e:
        db.session.rollback()
        raise click.ClickException(str(e)) from None
    word = "Đã ánh xạ" if created else "Đã đổi ánh xạ"
    click.echo(f"{word}: {activity_id} → {course.code} ({course.name}).")
    if counts["applied"] or counts["still_queued"]:
        click.echo(f"Statement đang chờ: ghi nhận {counts['applied']}, còn chờ HR xem xét "
                   f"{counts['still_queued']}.")
