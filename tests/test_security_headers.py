"""Security headers (trainer/core/security.py, docs/security.md "Browser protections"): the same
Content-Security-Policy and headers on every response whatever its status, HSTS over HTTPS only,
a view's own header kept, cookie flags from the settings, and no version in the Server header."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import time

import pytest
import requests
import sqlalchemy as sa
from werkzeug.routing import AnyConverter, IntegerConverter

from tests.conftest import make_app
from tests.test_serve import KEY, ROOT, free_port
from trainer.core.extensions import db
from trainer.notices.models import OutboxEmail

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
       "frame-ancestors 'none'")
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    "X-Frame-Options": "DENY",
}


def assert_protected(response, where):
    for name, value in HEADERS.items():
        assert response.headers.get(name) == value, (where, response.status_code, name)
    assert response.headers.getlist("Server") == ["trainer"], where
    assert "Strict-Transport-Security" not in response.headers, where  # plain HTTP


def get_urls(app) -> list[str]:
    """A URL for every rule that answers GET: <int:…> arguments are 1, others "x"."""
    urls = []
    adapter = app.url_map.bind("localhost")
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods:
            continue
        values = {}
        for name in rule.arguments:
            converter = rule._converters[name]
            if isinstance(converter, IntegerConverter):
                values[name] = 1
            elif isinstance(converter, AnyConverter):
                values[name] = converter.items[0]
            else:
                values[name] = "x"
        urls.append(adapter.build(rule.endpoint, values))
    return urls


def test_every_get_route_sends_the_headers_anonymously_and_to_an_admin(app, make_user, login):
    urls = get_urls(app)
    assert len(urls) > 60 and "/xapi/statements" in urls and "/api/v1/officials" in urls
    statuses = set()
    anonymous = app.test_client()
    for url in urls:
        response = anonymous.get(url)
        statuses.add(response.status_code)
        assert_protected(response, ("anonymous", url))
    admin = login(make_user("admin"))
    for url in urls:
        response = admin.get(url)
        statuses.add(response.status_code)
        assert_protected(response, ("admin", url))
    assert {200, 302, 401, 404} <= statuses, statuses


def test_error_pages_and_a_server_error_send_the_headers_too(app, client):
    @app.route("/_loi-thu")
    def _boom():
        raise RuntimeError("thử")

    app.testing = False  # the error handler answers, as in production
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get("/_loi-thu")
    assert response.status_code == 500
    assert_protected(response, "500")
    assert_protected(client.post("/khoa-hoc"), "405")
    assert_protected(client.get("/khoa-hoc/"), "404")


def test_hsts_only_over_https(app, client, _schema):
    plain = client.get("/dang-nhap")
    assert plain.status_code == 200  # no redirect to HTTPS: nginx does that
    assert "Strict-Transport-Security" not in plain.headers
    secure = client.get("/dang-nhap", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert secure.headers["Content-Security-Policy"] == CSP
    # Behind nginx (TRAINER_PROXY_COUNT=1), which says the browser came over HTTPS.
    proxied = make_app(_schema, PROXY_COUNT=1).test_client()
    behind = proxied.get("/dang-nhap", headers={"X-Forwarded-Proto": "https"})
    assert behind.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert "Strict-Transport-Security" not in proxied.get("/dang-nhap").headers


def test_the_reset_page_keeps_its_own_referrer_policy(app, client, make_official, make_user):
    """Its address carries the token: `same-origin`, set by the view, is not overwritten."""
    app.config["PUBLIC_URL"] = "https://daotao.laichau.gov.vn"
    official = make_official(email="lo.thi.mai@laichau.gov.vn")
    make_user("official", username="cb.mai", official_id=official.id)
    assert client.post("/quen-mat-khau", data={"identifier": "cb.mai"}).status_code == 302
    mail = db.session.scalar(sa.select(OutboxEmail))
    link = re.search(r"https://daotao\.laichau\.gov\.vn(/dat-lai-mat-khau/\S+)", mail.body).group(1)
    page = client.get(link)
    assert page.status_code == 200
    assert page.headers["Referrer-Policy"] == "same-origin"
    assert page.headers["Content-Security-Policy"] == CSP
    assert page.headers.getlist("Referrer-Policy") == ["same-origin"]


def test_session_cookie_flags_follow_the_settings(app, make_user, _schema):
    """Talisman would force Secure cookies: development over plain HTTP keeps its session."""
    user = make_user("admin")
    name = app.config["SESSION_COOKIE_NAME"]

    def cookie(an_app):
        response = an_app.test_client().post("/dang-nhap", data={
            "username": user.username, "password": "matkhau123"})
        assert response.status_code == 302
        [line] = [c for c in response.headers.getlist("Set-Cookie") if c.startswith(name + "=")]
        return line

    development = cookie(app)
    assert app.config["SESSION_COOKIE_SECURE"] is False
    assert "HttpOnly" in development and "SameSite=Lax" in development
    assert "Secure" not in development
    production = cookie(make_app(_schema, SESSION_COOKIE_SECURE=True))
    assert "Secure" in production and "HttpOnly" in production


def versionless(values: list[str]) -> bool:
    return all(not re.search(r"\d", value) for value in values)


@pytest.fixture
def gunicorn(app, database_url, tmp_path):
    """`trainer serve` (as tests/test_serve.py starts it, one worker); yields its base URL and
    log. A fresh worker may take seconds to load the app: any error is retried until it answers."""
    from tests.conftest import REDIS_URL
    port = free_port()
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "TRAINER_ENV": "production",
           "TRAINER_SECRET_KEY": KEY, "TRAINER_DATABASE_URL": database_url,
           "TRAINER_REDIS_URL": REDIS_URL, "TRAINER_SESSION_COOKIE_SECURE": "false"}
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(ROOT / ".venv/bin/trainer"), "serve", "--bind", f"127.0.0.1:{port}",
             "--workers", "1", "--threads", "2"], env=env, stdout=out,
            stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and process.poll() is None:
        try:
            requests.get(base + "/healthz", timeout=10)
            break
        except requests.RequestException:
            time.sleep(0.3)
    try:
        yield base, log
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(30)


def test_gunicorn_names_no_version(gunicorn):
    base, log = gunicorn
    response = requests.get(base + "/dang-nhap", timeout=30)
    assert response.status_code == 200, log.read_text()
    # gunicorn drops the app's Server header (a hop-by-hop one to it) and sends its own name.
    sent = response.raw.headers.getlist("Server")
    assert sent == ["gunicorn"] and versionless(sent), sent
    assert response.headers["Content-Security-Policy"] == CSP
    assert response.headers["X-Frame-Options"] == "DENY"


def test_the_app_adds_its_server_line_under_the_dev_server(live):
    """Werkzeug's development server (`make run`, the browser tests) adds its own line with its
    and Python's versions, which the app cannot remove: production runs gunicorn behind nginx
    (docs/security.md)."""
    response = requests.get(live + "/dang-nhap", timeout=30)
    sent = response.raw.headers.getlist("Server")
    assert "trainer" in sent, sent
    assert response.headers["Content-Security-Policy"] == CSP
