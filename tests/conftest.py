"""Test fixtures. The suite runs on SQLite by default and on PostgreSQL when
TRAINER_TEST_DATABASE_URL is set (`make test` does both). The schema is built once per run by the
Alembic migrations from an empty database; each test then starts from empty tables.

Redis is real too (TRAINER_TEST_REDIS_URL, default redis://127.0.0.1:6379/0): every app of the
suite shares it under a key prefix of this run's own, and the run stops at once, saying so, when
it does not answer — it is never skipped."""
from __future__ import annotations

import itertools
import os
import threading
from datetime import date, datetime, timedelta, timezone

import pandas as pd
import pytest
import sqlalchemy as sa
import time_machine

from trainer import create_app
from trainer.core.extensions import db

PG_URL = os.environ.get("TRAINER_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("TRAINER_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
REDIS_PREFIX = f"trainer-test-{os.getpid()}"

# The suite runs on a fixed clock, ticking from Monday 23/11/2026 10:00 UTC (17:00 in Việt Nam):
# every run sees the same dates, so no test changes meaning at midnight (UTC or local), at the end
# of a month or a year, or as the real date passes the fixed dates of the seeds (a preset's
# deadline, a statement's timestamp). Started in pytest_configure, before the test modules are
# imported: some compute dates at import. See docs/decisions.md, "Tests and databases".
CLOCK = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)


def pytest_configure(config):
    config.trainer_clock = time_machine.travel(CLOCK, tick=True)
    config.trainer_clock.start()


def pytest_collection_modifyitems(config, items):
    """The layout checks (axe, 360 px over every role's pages) read templates and CSS, which do
    not depend on the database: they run in the SQLite pass, not again on PostgreSQL (100 s),
    and the run says so."""
    if PG_URL:
        kept = [i for i in items if i.get_closest_marker("layout") is None]
        if len(kept) < len(items):
            config.hook.pytest_deselected(items=[i for i in items if i not in kept])
            items[:] = kept


def pytest_report_header(config):
    if PG_URL:
        return "PostgreSQL pass: the layout checks (marker `layout`) ran in the SQLite pass"


def pytest_unconfigure(config):
    clock = getattr(config, "trainer_clock", None)
    if clock is not None:
        clock.stop()


def redis_or_exit():
    """This run's Redis client; stops the run when Redis does not answer (never a silent skip)."""
    import redis
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.RedisError as e:
        pytest.exit(f"Redis không phản hồi tại {REDIS_URL} ({e}): `make test` khởi động Redis "
                    "(scripts/ensure-redis.sh); bộ kiểm thử không bỏ qua Redis.", returncode=3)
    return client


@pytest.fixture(scope="session", autouse=True)
def _redis():
    client = redis_or_exit()
    yield client
    keys = list(client.scan_iter(f"*{REDIS_PREFIX}*"))
    if keys:
        client.delete(*keys)
# Tests read exports back with pandas; the app reads uploads with calamine (explicitly). Say
# which reader the tests use, as pandas asks once python-calamine is installed.
pd.set_option("io.excel.xlsx.reader", "openpyxl")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """SQLite in a temporary file, or a fresh PostgreSQL database of this run's own on the server
    of TRAINER_TEST_DATABASE_URL (so that two runs never share tables), dropped at the end."""
    if not PG_URL:
        yield "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.db")
        return
    base = sa.make_url(PG_URL)
    name = f"{base.database}_run{os.getpid()}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield base.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def make_app(url: str, **overrides):
    """An app of the test environment on `url`, sharing this run's Redis (rate limits are off
    unless a test turns them on)."""
    config = {"ENV": "test", "TESTING": True, "SQLALCHEMY_DATABASE_URI": url,
              "WTF_CSRF_ENABLED": False, "PASSWORD_HASH_FAST": True, "SECRET_KEY": "test",
              "REDIS_URL": REDIS_URL, "RATELIMIT_STORAGE_URI": REDIS_URL,
              "RATELIMIT_KEY_PREFIX": REDIS_PREFIX, "REDIS_PREFIX": REDIS_PREFIX,
              "RATELIMIT_ENABLED": False,
              "LOG_LEVEL": "WARNING"}
    return create_app(config | overrides)


def reset_schema(url: str) -> None:
    """Empty the database completely, then build the schema with the migrations."""
    from flask_migrate import upgrade
    app = make_app(url)
    with app.app_context():
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
            else:
                meta = sa.MetaData()
                meta.reflect(conn)
                meta.drop_all(conn)
                conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def _schema(database_url):
    reset_schema(database_url)
    return database_url


def _truncate():
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("TRUNCATE " + ", ".join(tables) + " RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                conn.execute(sa.text(f"DELETE FROM {name}"))


@pytest.fixture
def app(_schema):
    app = make_app(_schema)
    with app.app_context():
        _truncate()
        yield app
        db.session.remove()
        _truncate()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def catalog(app):
    """The standard catalog, loaded as `trainer catalog load` would."""
    from courses import load_catalog
    from trainer.catalog.operations import sync_catalog
    from trainer.targets.operations import seed_presets
    sync_catalog(load_catalog())
    seed_presets()
    db.session.commit()
    return load_catalog()


_seq = itertools.count(1)


@pytest.fixture
def make_unit(app):
    from trainer.org.models import Unit

    def make(**kw):
        n = next(_seq)
        values = dict(code=f"U{n:04d}", name=f"Xã Thử {n}", kind="commune", region="rural")
        values.update(kw)
        unit = Unit(**values)
        db.session.add(unit)
        db.session.flush()
        return unit
    return make


@pytest.fixture
def province(app, make_unit):
    """A province with two communes (A is mountain); HR tests usually manage commune A only."""
    top = make_unit(code="LCU", name="Tỉnh Thử", kind="province", region=None)
    a = make_unit(code="LCU-X01", name="Xã A", parent_id=top.id, region="mountain")
    b = make_unit(code="LCU-X02", name="Xã B", parent_id=top.id)
    db.session.commit()
    return top, a, b


@pytest.fixture
def make_cohort(app, catalog):
    """A class of a catalog course (by code) starting in `starts_in` days, for `days` days, in
    the course's mode unless `mode` says otherwise; other keywords go to create_cohort."""
    from trainer.catalog.models import Course
    from trainer.core.timeutil import today
    from trainer.learning.operations import create_cohort
    counter = iter(range(1, 1000))

    def make(code="TCD-KN", *, capacity=2, starts_in=10, days=3, mode=None, **kw):
        course = db.session.scalar(sa.select(Course).where(Course.code == code))
        start = today() + timedelta(days=starts_in)
        return create_cohort(course, code=f"{code}-T{next(counter)}", start_date=start,
                             end_date=start + timedelta(days=days - 1), capacity=capacity,
                             location="Hội trường UBND xã", mode=mode or course.mode, **kw)
    return make


@pytest.fixture
def make_official(app, make_unit):
    from trainer.people.identity import make_pid
    from trainer.people.models import Official

    def make(**kw):
        n = next(_seq)
        birth = kw.pop("birth_date", date(1990, 5, 17))
        gender = kw.pop("gender", "male")
        values = dict(code=f"T{n:06d}", pid=make_pid("012", birth, gender, n),
                      full_name=f"Nguyễn Văn Thử {n}", birth_date=birth, gender=gender,
                      ethnicity="Kinh", education="dai_hoc", political_theory="so_cap",
                      state_management="chuyen_vien", it_level="co_ban")
        if "unit_id" not in kw and "unit" not in kw:
            values["unit"] = make_unit()
        values.update(kw)
        official = Official(**values)
        db.session.add(official)
        db.session.flush()
        return official
    return make


@pytest.fixture
def make_user(app):
    from trainer.auth.operations import create_user

    def make(role="hr", username=None, password="matkhau123", **scope):
        username = username or f"{role}{next(_seq)}"
        user = create_user(username, password, role, f"Người dùng {username}", **scope)
        db.session.commit()
        return user
    return make


@pytest.fixture
def login(client):
    def do(user, password="matkhau123"):
        response = client.post("/dang-nhap", data={"username": user.username,
                                                   "password": password})
        assert response.status_code == 302, "đăng nhập thất bại"
        return client
    return do


# --------------------------------------------------------------------------- the browser
# Debian's chromium through Playwright (never `playwright install`: STACK.md).
BROWSER_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run",
                "--disable-dev-shm-usage"]


@pytest.fixture(scope="module")
def chromium():
    from playwright.sync_api import expect, sync_playwright
    expect.set_options(timeout=15_000)  # a busy 2-core CI machine runs the suite twice
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=BROWSER_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def live(app):
    """The test app served over HTTP by werkzeug in a thread, CSRF on; yields its base URL."""
    from werkzeug.serving import make_server
    app.config["WTF_CSRF_ENABLED"] = True
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def web(chromium, live):
    """A fresh browser page (own cookies) whose relative URLs go to the live app."""
    context = chromium.new_context(base_url=live, locale="vi-VN",
                                   viewport={"width": 1280, "height": 800})
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()
