"""Running in production (issue 8): settings from the environment and the instance file, the
secret key, cookies behind a proxy, the request log, /healthz, `trainer setup` without demo data,
the first admin, and scheduled jobs that never run twice at once."""
from __future__ import annotations

import io
import logging
import re
import subprocess
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import REDIS_URL, make_app
from trainer import create_app
from trainer.core.extensions import db
from trainer.core.settings import DEFAULTS, ConfigError

ROOT = Path(__file__).resolve().parent.parent
STRONG_KEY = "9f2c4e6a8b0d1f3a5c7e9b1d3f5a7c9e1b3d5f7a9c1e3b5d"


class Config(dict):
    """The two methods of Flask's Config that settings.load calls, without the environment."""

    def from_mapping(self, m):
        self.update(m)

    def from_prefixed_env(self, prefix):
        pass


def _prod(tmp_path, **extra):
    return {"ENV": "production", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/p.db", **extra}


# --------------------------------------------------------------------------- settings
def test_production_refuses_to_start_without_a_secret_key(monkeypatch, tmp_path):
    monkeypatch.delenv("TRAINER_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError) as e:
        create_app(_prod(tmp_path))
    assert "TRAINER_SECRET_KEY" in str(e.value) and "secrets.token_hex(32)" in str(e.value)
    with pytest.raises(ConfigError, match="quá yếu"):
        create_app(_prod(tmp_path, SECRET_KEY="short"))
    assert create_app(_prod(tmp_path, SECRET_KEY=STRONG_KEY)).config["SECRET_KEY"] == STRONG_KEY


def test_the_command_says_why_it_does_not_start_in_vietnamese(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "TRAINER_ENV": "production", "HOME": str(tmp_path),
           "TRAINER_DATABASE_URL": f"sqlite:///{tmp_path}/p.db"}
    result = subprocess.run([str(ROOT / ".venv/bin/trainer"), "db", "current"], env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "Lỗi cấu hình: Chưa đặt TRAINER_SECRET_KEY" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_default_environment_is_production(monkeypatch, tmp_path):
    monkeypatch.delenv("TRAINER_ENV", raising=False)
    monkeypatch.delenv("TRAINER_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/p.db"})


def test_no_secret_key_is_written_in_the_code():
    for path in (ROOT / "trainer").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"SECRET_KEY\s*=\s*['\"]", text), path
        assert "dev-only-change-me" not in text, path


def test_development_makes_a_random_key_once_and_keeps_it(tmp_path, monkeypatch):
    monkeypatch.delenv("TRAINER_SECRET_KEY", raising=False)
    from trainer.core import settings

    first, second = Config(), Config()
    settings.load(first, str(tmp_path), {"ENV": "development"})
    settings.load(second, str(tmp_path), {"ENV": "development"})
    assert len(first["SECRET_KEY"]) == 64 and first["SECRET_KEY"] == second["SECRET_KEY"]
    key_file = tmp_path / "secret_key"
    assert key_file.read_text().strip() == first["SECRET_KEY"]
    assert key_file.stat().st_mode & 0o777 == 0o600


def test_every_documented_setting_is_read_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("TRAINER_YOUNG_AGE_LIMIT", "30")
    monkeypatch.setenv("TRAINER_PRIORITY_WEIGHTS", '{"young": 0.5}')
    monkeypatch.setenv("TRAINER_REVIEW_AFTER_MONTHS", "6")
    monkeypatch.setenv("TRAINER_REVIEW_PERIOD_MONTHS", "18")
    monkeypatch.setenv("TRAINER_STALE_MONTHS", "24")
    monkeypatch.setenv("TRAINER_MAIL_PASSWORD", "123456")  # JSON-looking text stays text
    monkeypatch.setenv("TRAINER_SESSION_COOKIE_SECURE", "true")
    app = create_app(_prod(tmp_path, SECRET_KEY=STRONG_KEY))
    c = app.config
    assert (c["YOUNG_AGE_LIMIT"], c["REVIEW_AFTER_MONTHS"], c["REVIEW_PERIOD_MONTHS"],
            c["STALE_MONTHS"]) == (30, 6, 18, 24)
    assert c["PRIORITY_WEIGHTS"] == {"young": 0.5} and c["MAIL_PASSWORD"] == "123456"
    assert c["SESSION_COOKIE_SECURE"] is True
    with app.app_context():  # the readers see them
        from trainer.reports.views import young_age_limit
        from trainer.targets.operations import young_age_limit as target_young
        assert young_age_limit() == 30 and target_young() == 30


def test_the_settings_file_in_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("TRAINER_STALE_MONTHS", raising=False)
    from trainer.core import settings

    (tmp_path / "settings.toml").write_text('STALE_MONTHS = 6\nPUBLIC_URL = "https://x.vn"\n')
    config = Config()
    settings.load(config, str(tmp_path), {"ENV": "test"})
    assert config["STALE_MONTHS"] == 6 and config["PUBLIC_URL"] == "https://x.vn"
    (tmp_path / "settings.toml").write_text("STALE_MONHTS = 6\n")
    with pytest.raises(ConfigError, match="STALE_MONHTS"):
        settings.load(Config(), str(tmp_path), {"ENV": "test"})


@pytest.mark.parametrize("key, value, words", [
    ("ENV", "prod", "TRAINER_ENV"), ("YOUNG_AGE_LIMIT", "ba mươi", "số nguyên"),
    ("LOG_LEVEL", "LOUD", "TRAINER_LOG_LEVEL"), ("PRIORITY_WEIGHTS", "0.3", "JSON")])
def test_a_wrong_setting_stops_the_start_with_its_name(tmp_path, key, value, words):
    with pytest.raises(ConfigError, match=words):
        create_app({"ENV": "test", key: value,
                    "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/p.db"})


def test_the_readme_table_lists_every_setting_and_nothing_else():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `TRAINER_([A-Z_]+)`", table, re.M))
    assert documented == set(DEFAULTS), (set(DEFAULTS) - documented, documented - set(DEFAULTS))


# --------------------------------------------------------------------------- cookies, proxy
def test_production_cookies_are_secure_httponly_samesite(tmp_path):
    app = create_app(_prod(tmp_path, SECRET_KEY=STRONG_KEY))
    with app.app_context():
        from flask_migrate import upgrade
        upgrade()
    response = app.test_client().get("/dang-nhap", base_url="https://daotao.example.vn")
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_behind_one_proxy_the_forwarded_address_and_scheme_are_used(tmp_path):
    from flask import request
    app = create_app({"ENV": "test", "PROXY_COUNT": 1,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/p.db"})
    seen = {}

    @app.route("/_who")
    def _who():
        seen.update(addr=request.remote_addr, scheme=request.scheme, host=request.host)
        return "ok"
    app.test_client().get("/_who", headers={"X-Forwarded-For": "203.0.113.9",
                                            "X-Forwarded-Proto": "https",
                                            "X-Forwarded-Host": "daotao.laichau.gov.vn"})
    assert seen == {"addr": "203.0.113.9", "scheme": "https", "host": "daotao.laichau.gov.vn"}
    plain = create_app({"ENV": "test", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/q.db"})
    plain.add_url_rule("/_who", view_func=_who)
    plain.test_client().get("/_who", headers={"X-Forwarded-For": "203.0.113.9"})
    assert seen["addr"] == "127.0.0.1"  # without a proxy, a client's header is not believed


# --------------------------------------------------------------------------- request log
def test_one_log_line_per_request_without_personal_data(app, client, make_official, make_user,
                                                         login):
    official = make_official(full_name="Lò Thị Riêng Tư")
    user = make_user("hr", unit_id=official.unit_id)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger("trainer.request")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        login(user)
        client.get(f"/can-bo/{official.id}")
        client.get("/can-bo?q=Lò+Thị")
        client.get("/dat-lai-mat-khau/bimat.token.rieng")
        client.get("/khong-co-trang-nay")
    finally:
        logger.removeHandler(handler)
    lines = stream.getvalue().splitlines()
    assert re.fullmatch(r"POST /dang-nhap 302 [\d.]+ms user=-", lines[0]) \
        or re.fullmatch(r"POST /dang-nhap 302 [\d.]+ms user=\d+", lines[0])
    assert re.fullmatch(rf"GET /can-bo/<int:official_id> 200 [\d.]+ms user={user.id}", lines[1])
    assert re.fullmatch(rf"GET /can-bo 200 [\d.]+ms user={user.id}", lines[2])
    assert lines[3].startswith("GET /dat-lai-mat-khau/<token> ")
    assert lines[4].startswith("GET /khong-co-trang-nay 404 ")
    text = stream.getvalue()
    assert "Riêng Tư" not in text and "bimat" not in text and "q=" not in text


def test_a_server_error_is_logged_with_its_traceback(tmp_path):
    app = create_app({"ENV": "test", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/p.db"})

    @app.route("/_boom")
    def _boom():
        raise RuntimeError("hỏng")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    app.logger.addHandler(handler)
    try:
        response = app.test_client().get("/_boom")
    finally:
        app.logger.removeHandler(handler)
    assert response.status_code == 500
    assert "Traceback" in stream.getvalue() and "RuntimeError: hỏng" in stream.getvalue()


# --------------------------------------------------------------------------- /healthz
def test_healthz_reports_database_migrations_and_redis(app, client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "migrations": "current",
                                   "redis": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


def test_healthz_is_503_when_migrations_are_behind(tmp_path):
    from flask_migrate import downgrade, upgrade
    url = f"sqlite:///{tmp_path}/h.db"
    app = make_app(url)
    with app.app_context():
        upgrade()
        downgrade(revision="-1")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "error" and body["database"] == "ok"
    assert body["migrations"].startswith("behind")
    with app.app_context():
        upgrade()
    assert app.test_client().get("/healthz").status_code == 200


def test_healthz_is_503_when_the_database_or_redis_is_down(tmp_path):
    down = make_app("postgresql+psycopg://nobody@127.0.0.1:1/none")
    body = down.test_client().get("/healthz")
    assert body.status_code == 503 and body.get_json()["database"].startswith("unreachable")
    no_redis = make_app(f"sqlite:///{tmp_path}/r.db", REDIS_URL="redis://127.0.0.1:1/0")
    with no_redis.app_context():
        from flask_migrate import upgrade
        upgrade()
    body = no_redis.test_client().get("/healthz")
    assert body.status_code == 503 and body.get_json()["redis"].startswith("unreachable")
    assert body.get_json()["database"] == "ok"


def test_two_workers_count_rate_limits_together_in_redis(_schema):
    """Two apps — two gunicorn workers — share the counters: the limit holds across them."""
    import redis

    from tests.conftest import REDIS_PREFIX
    first, second = (make_app(_schema, RATELIMIT_ENABLED=True,
                              FORGOT_PASSWORD_LIMIT="3 per hour") for _ in range(2))
    (limiter,) = first.extensions["limiter"]
    assert type(limiter.storage).__name__ == "RedisStorage"
    answers = [app.test_client().post("/quen-mat-khau", data={"identifier": "ai-do"},
                                      environ_base={"REMOTE_ADDR": "198.51.100.7"}).status_code
               for app in (first, second, first, second)]
    assert answers == [302, 302, 302, 429]
    assert any(redis.Redis.from_url(REDIS_URL).scan_iter(f"*{REDIS_PREFIX}*"))


# --------------------------------------------------------------------------- setup, first admin
def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_setup_without_demo_creates_nothing_of_the_demo(app, runner):
    from trainer.auth.models import User
    from trainer.catalog.models import Competency, Course
    from trainer.learning.models import Cohort, Enrollment
    from trainer.org.models import Unit
    from trainer.people.models import Assessment, Official
    from trainer.targets.models import Target
    result = runner.invoke(args=["setup"])
    assert result.exit_code == 0, result.output
    assert "trainer accounts create-admin" in result.output
    assert "demo1234" not in result.output
    assert [count(m) for m in (User, Official, Unit, Cohort, Enrollment, Assessment)] == [0] * 6
    assert count(Competency) > 0 and count(Course) > 0 and count(Target) > 0


def test_setup_demo_is_refused_in_production(app, runner):
    app.config["ENV"] = "production"
    result = runner.invoke(args=["setup", "--demo"])
    assert result.exit_code != 0 and "production" in result.output


def test_create_admin_asks_twice_and_applies_the_policy(app, runner, client):
    from trainer.auth.models import User
    weak = runner.invoke(args=["accounts", "create-admin", "quantri"],
                         input="matkhau123\nmatkhau123\n")
    assert weak.exit_code != 0 and "quá phổ biến" in weak.output
    mismatch = runner.invoke(args=["accounts", "create-admin", "quantri"],
                             input="Nui-cao-song-dai-7\nkhac\n")
    assert mismatch.exit_code != 0 and count(User) == 0
    ok = runner.invoke(args=["accounts", "create-admin", "QuanTri", "--email", "qt@tinh.gov.vn"],
                       input="Nui-cao-song-dai-7\nNui-cao-song-dai-7\n")
    assert ok.exit_code == 0, ok.output
    assert "Nui-cao" not in ok.output  # not echoed
    user = db.session.scalar(sa.select(User))
    assert (user.username, user.role, user.must_change_password) == ("quantri", "admin", False)
    again = runner.invoke(args=["accounts", "create-admin", "quantri", "--password-stdin"],
                          input="Nui-cao-song-dai-8\n")
    assert again.exit_code != 0 and "đã có" in again.output
    response = client.post("/dang-nhap", data={"username": "quantri",
                                               "password": "Nui-cao-song-dai-7"})
    assert response.status_code == 302 and response.headers["Location"] == "/"


# --------------------------------------------------------------------------- scheduled jobs
def test_a_job_runs_once_when_two_runs_overlap(app, runner):
    from trainer.core.jobs import job_lock
    held, release = threading.Event(), threading.Event()
    flask_app = app

    def hold():
        with flask_app.app_context(), job_lock("notices-remind") as mine:
            assert mine
            held.set()
            release.wait(30)
    t = threading.Thread(target=hold)
    t.start()
    try:
        assert held.wait(30)
        with job_lock("notices-remind") as mine:
            assert mine is False
        result = runner.invoke(args=["notices", "remind"])
        assert result.exit_code == 0 and "đang chạy" in result.output
    finally:
        release.set()
        t.join(30)
    result = runner.invoke(args=["notices", "remind"])
    assert result.exit_code == 0 and "Đã nhắc" in result.output


def test_overlapping_reminder_processes_notify_each_official_once(app, catalog, make_official,
                                                                  database_url, tmp_path):
    """Two `trainer notices remind` processes started together: the cohort starting in three
    days is announced once to each enrollee."""
    # The processes run on the real clock, not the suite's fixed one.
    from datetime import timedelta, timezone

    from time_machine import escape_hatch

    from trainer.catalog.models import Course
    from trainer.learning.operations import create_cohort, enroll_official
    from trainer.notices.models import Notification
    start = escape_hatch.datetime.datetime.now(timezone.utc).date() + timedelta(days=3)
    course = db.session.scalar(sa.select(Course).where(Course.mode == "in_person",
                                                       Course.requires_approval.is_(False))
                               .order_by(Course.code))
    cohort = create_cohort(course, code="LOP-NHAC-01", start_date=start,
                           end_date=start + timedelta(days=2), capacity=40,
                           location="Hội trường UBND xã", mode="in_person")
    for _ in range(30):
        enroll_official(make_official(), cohort=cohort)
    db.session.commit()
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "TRAINER_ENV": "test",
           "TRAINER_DATABASE_URL": database_url, "TRAINER_LOG_LEVEL": "WARNING"}
    runs = [subprocess.Popen([str(ROOT / ".venv/bin/trainer"), "notices", "remind"], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)]
    outputs = [r.communicate(timeout=120) for r in runs]
    assert all(r.returncode == 0 for r in runs), outputs
    db.session.expire_all()
    starting = db.session.scalar(sa.select(sa.func.count(Notification.id)).where(
        Notification.kind == "starting"))
    assert starting == 30, outputs


def test_no_demo_data_in_production_by_any_command(app, runner):
    from trainer.auth.models import User
    app.config["ENV"] = "production"
    result = runner.invoke(args=["demo", "--officials", "20"])
    assert result.exit_code != 0 and "production" in result.output
    assert count(User) == 0


def test_sending_mail_without_a_server_is_not_a_failure(app, runner):
    app.config["MAIL_SERVER"] = ""
    result = runner.invoke(args=["notices", "send"])
    assert result.exit_code == 0 and "chờ trong hộp thư đi" in result.output


def test_static_urls_carry_the_file_version(app, client):
    page = client.get("/dang-nhap").get_data(as_text=True)
    version = int((ROOT / "static/app.js").stat().st_mtime)
    assert f"/static/app.js?v={version}" in page


def test_a_refused_form_says_why_in_vietnamese_and_logs_the_reason(_schema):
    app = make_app(_schema, WTF_CSRF_ENABLED=True)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    app.logger.addHandler(handler)
    try:
        response = app.test_client().post("/dang-nhap", data={"username": "a", "password": "b"})
    finally:
        app.logger.removeHandler(handler)
    assert response.status_code == 400
    assert "mã chống giả mạo không khớp" in response.get_data(as_text=True)
    assert "CSRF refused on /dang-nhap" in stream.getvalue()


# --------------------------------------------------------------------------- the worker's unit
def _unit(name: str) -> dict[str, str]:
    values = {}
    for line in (ROOT / "deploy" / name).read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            values.setdefault(key.strip(), value.strip())
    return values


def test_the_worker_unit_runs_trainer_worker_as_the_web_service_runs(runner):
    worker, web = _unit("trainer-worker.service"), _unit("trainer.service")
    assert worker["ExecStart"] == "/opt/trainer/.venv/bin/trainer worker"
    for key in ("User", "Group", "WorkingDirectory", "EnvironmentFile", "NoNewPrivileges",
                "ProtectSystem", "ProtectHome", "ReadWritePaths", "WantedBy"):
        assert worker[key] == web[key], key
    assert "redis-server.service" in worker["After"] and worker["Restart"] == "always"
    assert int(worker["TimeoutStopSec"]) >= 60  # room to finish the job it runs
    guide = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    assert "deploy/trainer-worker.service" in guide and "enable --now trainer trainer-worker" \
        in guide
    assert "--burst" in runner.invoke(args=["worker", "--help"]).output  # the command exists
