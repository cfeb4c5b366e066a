"""The `trainer` command: Flask's CLI (run, shell, db …) plus the product's own commands.
Each command calls the same operations as the web and commits once."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask
from flask.cli import FlaskGroup, with_appcontext

from trainer.core.errors import DomainError, ImportRejected
from trainer.core.extensions import db


def _fail(message: str, errors: list[str] | None = None):
    for line in errors or []:
        click.echo(f"  - {line}", err=True)
    raise click.ClickException(message)


def _commit_or_fail(fn, *args, **kwargs):
    try:
        result = fn(*args, **kwargs)
        db.session.commit()
        return result
    except ImportRejected as e:
        db.session.rollback()
        _fail(str(e), e.errors)
    except DomainError as e:
        db.session.rollback()
        _fail(str(e))


@click.group("catalog", help="Danh mục chuẩn: năng lực, khóa học, vị trí việc làm.")
def catalog_cli():
    pass


@catalog_cli.command("load")
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def catalog_load(directory):
    """Nạp (hoặc cập nhật) danh mục từ thư mục DIRECTORY (mặc định: danh mục chuẩn)."""
    from courses import CatalogError, load_catalog
    from trainer.catalog.operations import sync_catalog
    try:
        catalog = load_catalog(directory)
    except CatalogError as e:
        _fail("Danh mục không hợp lệ, không nạp gì.", e.errors)
    counts = _commit_or_fail(sync_catalog, catalog)
    click.echo("Đã nạp danh mục: " + ", ".join(f"{k} {v}" for k, v in counts.items()))


@click.command("demo", help="Sinh dữ liệu tỉnh mô phỏng (xác định theo seed).")
@click.option("--officials", "n", default=1500, show_default=True)
@click.option("--seed", default=2026, show_default=True)
@with_appcontext
def demo_cmd(n, seed):
    from flask import current_app

    from trainer.demo.cycle import build_demo
    if current_app.config["ENV"] == "production":
        _fail("Không sinh dữ liệu mô phỏng ở môi trường production (TRAINER_ENV=production): "
              "tài khoản mô phỏng dùng chung một mật khẩu ai cũng biết.")
    summary = _commit_or_fail(build_demo, n, seed)
    click.echo(f"Đã sinh dữ liệu mô phỏng: {summary}")


@click.group("import", help="Nhập dữ liệu từ .xlsx hoặc .csv (một giao dịch: lỗi là không ghi gì).")
def import_cli():
    pass


@import_cli.command("officials")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Chỉ kiểm tra và đếm, không ghi.")
@with_appcontext
def import_officials_cmd(file, dry_run):
    from trainer.core.tabular import read_table
    from trainer.people.operations import import_officials
    counts = _commit_or_fail(lambda: import_officials(read_table(file, file.name), file.name,
                                                      dry_run=dry_run))
    if dry_run:
        db.session.rollback()
    verb = "Sẽ thêm" if dry_run else "Đã thêm"
    click.echo(f"{verb} {counts['created']}, cập nhật {counts['updated']} cán bộ. "
               f"Giữ nguyên {counts['unchanged']}.")


@import_cli.command("assessments")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Chỉ kiểm tra và đếm, không ghi.")
@with_appcontext
def import_assessments_cmd(file, dry_run):
    from trainer.core.tabular import read_table
    from trainer.people.operations import import_assessments
    counts = _commit_or_fail(lambda: import_assessments(read_table(file, file.name), file.name,
                                                        dry_run=dry_run))
    if dry_run:
        db.session.rollback()
    n = counts["created"] + counts["updated"]
    click.echo(f"{'Sẽ ghi' if dry_run else 'Đã ghi'} {n} kết quả đánh giá. Mới {counts['created']}, "
               f"sửa {counts['updated']}, giữ nguyên {counts['unchanged']}.")


@click.command("recommend", help="Năng lực còn thiếu và lộ trình học của cán bộ có mã CODE.")
@click.argument("code")
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def recommend_cmd(code, as_json):
    from trainer.guidance.operations import guidance_for
    from trainer.people.models import Official
    official = db.session.scalar(sa.select(Official).where(Official.code == code))
    if official is None:
        _fail(f"Không có cán bộ mã “{code}”.")
    g = guidance_for(official, with_mentors=False)
    data = {
        "official": {"code": official.code, "name": official.full_name},
        "gaps": [{"competency": r.name, "current": r.current, "required": r.required}
                 for r in g.gaps if r.gap],
        "path": [{"course": s.name, "hours": s.hours, "why": s.explanation} for s in g.path],
        "hours": g.path_hours, "uncovered": g.uncovered,
    }
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    click.echo(f"{official.full_name} ({official.code})")
    for gap in data["gaps"]:
        click.echo(f"  thiếu: {gap['competency']}: hiện {gap['current']}, yêu cầu {gap['required']}")
    for i, step in enumerate(data["path"], 1):
        click.echo(f"  {i}. {step['course']} ({step['hours']:g} giờ) — {step['why']}")
    click.echo(f"  Tổng: {g.path_hours:g} giờ")
    if g.uncovered:
        click.echo("  Chưa có khóa bù: " + ", ".join(g.uncovered))


@click.command("targets", help="Tiến độ các mục tiêu của tỉnh.")
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def targets_cmd(as_json):
    from trainer.targets.operations import all_progress, ensure_presets
    if ensure_presets():  # a database set up before targets were data (docs/targets.md)
        db.session.commit()
    rows = [{"code": p.target.code, "title": p.target.title, "counted": p.counted,
             "total": p.total, "percent": round(p.percent, 1), "threshold": p.target.threshold,
             "deadline": p.target.deadline.isoformat()} for p in all_progress()]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for r in rows:
        click.echo(f"{r['code']:<6} {r['percent']:>5.1f}% ({r['counted']}/{r['total']}, chỉ tiêu "
                   f"{r['threshold']:g}%) {r['title']}")


@click.command("setup", help="Tạo/cập nhật CSDL, nạp danh mục và mục tiêu; --demo: thêm tỉnh mô phỏng.")
@click.option("--demo", is_flag=True, help="Sinh tỉnh mô phỏng khi CSDL chưa có tài khoản nào "
              "(không dùng ở production).")
@click.option("--officials", "n", default=1500, show_default=True,
              help="Số cán bộ của tỉnh mô phỏng.")
@with_appcontext
def setup_cmd(demo, n):
    """A real province starts from `trainer setup` (schema, catalog, target presets, nothing
    else); `make run` adds `--demo`, whose accounts share one known password."""
    from flask import current_app
    from flask_migrate import upgrade

    from courses import load_catalog
    from trainer.auth.models import User
    from trainer.catalog.operations import sync_catalog
    from trainer.demo.cycle import build_demo
    from trainer.demo.generate import DEMO_PASSWORD
    from trainer.targets.operations import seed_presets
    if demo and current_app.config["ENV"] == "production":
        _fail("Không sinh dữ liệu mô phỏng ở môi trường production (TRAINER_ENV=production): "
              "tài khoản mô phỏng dùng chung một mật khẩu ai cũng biết.")
    upgrade()
    _commit_or_fail(sync_catalog, load_catalog())
    _commit_or_fail(seed_presets)
    accounts = db.session.scalar(sa.select(sa.func.count(User.id)))
    if demo:
        if accounts == 0:
            click.echo(f"CSDL trống: sinh tỉnh mô phỏng với {n} cán bộ…")
            _commit_or_fail(build_demo, n, 2026)
        else:
            click.echo("CSDL đã có dữ liệu: dùng lại.")
        click.echo(f"\nTài khoản dùng thử (mật khẩu của dữ liệu mô phỏng: {DEMO_PASSWORD}):")
        users = db.session.scalars(sa.select(User).order_by(User.id).limit(12))
        for user in users:
            click.echo(f"  {user.role:<9} {user.username:<18} {user.display_name}")
        click.echo("")
        return
    click.echo("CSDL đã sẵn sàng: lược đồ, danh mục chuẩn và các mục tiêu.")
    if accounts == 0:
        click.echo("Chưa có tài khoản nào. Tạo tài khoản quản trị đầu tiên:\n"
                   "  trainer accounts create-admin TÊN_ĐĂNG_NHẬP\n"
                   "rồi nạp đơn vị, cán bộ và tài khoản (docs/deploy.md).")


@click.group("notices", help="Thông báo và thư điện tử.")
def notices_cli():
    pass


@notices_cli.command("remind")
@with_appcontext
def notices_remind():
    """Nhắc lớp sắp khai giảng (7 ngày) và chứng chỉ sắp hết hiệu lực (60 ngày). Chạy hằng ngày."""
    from trainer.core.jobs import job_lock
    from trainer.degrees.operations import remind_expiring
    from trainer.learning.operations import remind_starting_cohorts
    with job_lock("notices-remind") as mine:
        if not mine:
            click.echo("Một lượt nhắc khác đang chạy: bỏ qua lượt này.")
            return
        starting = _commit_or_fail(remind_starting_cohorts)
        expiring = _commit_or_fail(remind_expiring)
    click.echo(f"Đã nhắc {starting} học viên sắp khai giảng, {expiring} chứng chỉ sắp hết hạn.")


@notices_cli.command("send")
@with_appcontext
def notices_send():
    """Gửi thư trong hộp thư đi qua SMTP (MAIL_SERVER); thư lỗi được giữ lại để gửi lại."""
    from flask import current_app

    from trainer.core.jobs import job_lock
    from trainer.notices.operations import send_outbox
    if not current_app.config.get("MAIL_SERVER"):  # the timer must not fail every 5 minutes
        click.echo("Chưa cấu hình máy chủ thư (TRAINER_MAIL_SERVER): thư chờ trong hộp thư đi.")
        return
    with job_lock("notices-send") as mine:
        if not mine:
            click.echo("Một lượt gửi thư khác đang chạy: bỏ qua lượt này.")
            return
        sent, failed = send_outbox(current_app.config)
    click.echo(f"Đã gửi {sent} thư, {failed} thư lỗi (sẽ gửi lại lần sau).")


@click.command("prune", help="Xóa nhật ký quá thời hạn lưu và phiên đăng nhập cũ (chạy hằng ngày).")
@with_appcontext
def prune_cmd():
    """Audit rows older than AUDIT_RETENTION_DAYS; sessions ended (or idle) for 30 days."""
    from flask import current_app

    from trainer.audit.operations import prune
    from trainer.auth.sessions import prune_sessions
    from trainer.core.jobs import job_lock
    with job_lock("prune") as mine:
        if not mine:
            click.echo("Một lượt dọn dẹp khác đang chạy: bỏ qua lượt này.")
            return
        days = int(current_app.config["AUDIT_RETENTION_DAYS"])
        events = _commit_or_fail(prune, days)
        old_sessions = _commit_or_fail(prune_sessions)
    click.echo(f"Đã xóa {events} dòng nhật ký cũ hơn {days} ngày và {old_sessions} phiên đăng "
               f"nhập cũ.")


@click.group("accounts", help="Tài khoản người dùng.")
def accounts_cli():
    pass


def _read_new_password(password_stdin: bool, *, username: str) -> str:
    from trainer.auth.passwords import password_problem
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Mật khẩu", hide_input=True, confirmation_prompt=
                                "Nhập lại mật khẩu")
    problem = password_problem(password, username=username)
    if problem:
        _fail(problem)
    return password


@accounts_cli.command("create-admin")
@click.argument("username")
@click.option("--name", "display_name", default="Quản trị hệ thống", show_default=True)
@click.option("--email", default=None, help="Để nhận liên kết “Quên mật khẩu”.")
@click.option("--password-stdin", is_flag=True,
              help="Đọc mật khẩu từ dòng đầu của đầu vào chuẩn (không hỏi).")
@with_appcontext
def create_admin_cmd(username, display_name, email, password_stdin):
    """Tạo tài khoản quản trị USERNAME (mật khẩu hỏi hai lần, không hiện trên màn hình)."""
    from trainer.auth.operations import create_user
    password = _read_new_password(password_stdin, username=username)
    user = _commit_or_fail(create_user, username, password, "admin", display_name, email=email,
                           created_by="trainer accounts create-admin")
    click.echo(f"Đã tạo tài khoản quản trị “{user.username}”.")


@accounts_cli.command("set-password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True,
              help="Đọc mật khẩu từ dòng đầu của đầu vào chuẩn (không hỏi).")
@with_appcontext
def set_password_cmd(username, password_stdin):
    """Đặt mật khẩu mới cho USERNAME (khi quản trị viên quên mật khẩu); các phiên của tài khoản
    kết thúc."""
    from trainer.auth.operations import change_password, find_user
    user = find_user(username)
    if user is None:
        _fail(f"Không có tài khoản “{username}”.")
    password = _read_new_password(password_stdin, username=user.username)
    _commit_or_fail(change_password, user, password, current_password=None)
    click.echo(f"Đã đặt mật khẩu mới cho “{user.username}”.")


@click.command("serve", help="Chạy ứng dụng dưới gunicorn (production).")
@click.option("--bind", default=None, help="HOST:PORT (mặc định 127.0.0.1:8000).")
@click.option("--workers", type=click.IntRange(1, 64), default=None,
              help="Số tiến trình (mặc định: số lõi CPU, ít nhất 2).")
@click.option("--threads", type=click.IntRange(1, 64), default=None,
              help="Số luồng mỗi tiến trình (mặc định 4).")
@click.option("--timeout", type=click.IntRange(10, 3600), default=120, show_default=True,
              help="Giây tối đa cho một yêu cầu.")
def serve_cmd(bind, workers, threads, timeout):
    """Registered on the command group itself, so that running it does not build the app in
    this process (trainer.serve): only the settings are checked here."""
    from flask import Config

    from trainer import ROOT, serve
    from trainer.core import settings
    config = Config(str(ROOT))
    try:
        settings.load(config, str(ROOT / "instance"))
    except settings.ConfigError as e:
        click.echo(f"Lỗi cấu hình: {e}", err=True)
        sys.exit(2)
    serve.run(bind=bind or serve.DEFAULT_BIND, workers=workers or serve.default_workers(),
              threads=threads or serve.DEFAULT_THREADS, timeout=timeout,
              log_level=config["LOG_LEVEL"])


@click.command("worker", help="Tiến trình nền: tạo các báo cáo lớn (hàng đợi RQ trên Redis).")
@click.option("--burst", is_flag=True, help="Làm hết việc đang chờ rồi thoát (kiểm thử, cron).")
@with_appcontext
def worker_cmd(burst):
    """Runs the jobs of this deployment's queue (docs/jobs.md), each in a process of its own;
    systemd keeps it running (deploy/trainer-worker.service). Needs TRAINER_REDIS_URL."""
    from trainer.jobs.operations import JobsUnavailable, queue_name, work
    try:
        if burst:
            click.echo(f"Làm các việc đang chờ trong hàng đợi “{queue_name()}”…")
        did = work(burst=burst)
    except JobsUnavailable as e:
        _fail(str(e))
    if burst:
        click.echo("Đã làm xong các việc đang chờ." if did else "Không có việc nào đang chờ.")


@click.command("cache-advance",
               help="Dữ liệu đã đổi ngoài ứng dụng (khôi phục bản sao lưu): tính lại mọi số liệu.")
@with_appcontext
def cache_advance_cmd():
    """A restore (or any change made outside the app) moves no data version: this one does, so
    no figure cached from the data before is served after it (docs/deploy.md, restore)."""
    from trainer.core import cache
    cache.advance()
    click.echo("Đã đánh dấu dữ liệu thay đổi: các số liệu sẽ được tính lại ở lần xem tới.")


def register_commands(app: Flask) -> None:
    from trainer.api.cli import api_cli
    from trainer.interchange.cli import data_cli
    from trainer.reviews.cli import reviews_cli
    from trainer.units.cli import units_cli
    from trainer.xapi.cli import xapi_cli
    for command in (catalog_cli, demo_cmd, import_cli, recommend_cmd, targets_cmd, setup_cmd,
                    notices_cli, data_cli, xapi_cli, api_cli, accounts_cli, units_cli,
                    prune_cmd, worker_cmd, cache_advance_cmd, reviews_cli):
        app.cli.add_command(command)


def main() -> None:
    from trainer import create_app
    from trainer.core.settings import ConfigError

    def make():
        try:
            return create_app()
        except ConfigError as e:  # a Vietnamese sentence, not a traceback
            click.echo(f"Lỗi cấu hình: {e}", err=True)
            sys.exit(2)
    cli = FlaskGroup(create_app=make, help="trainer — thiếu gì học nấy")
    cli.add_command(serve_cmd)
    cli.main(args=sys.argv[1:], prog_name="trainer")
