"""`trainer serve`: production's server, started for real (gunicorn, two workers) against the
suite's database and Redis, on a port of its own."""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests

from tests.conftest import REDIS_URL
from trainer.core.extensions import db

ROOT = Path(__file__).resolve().parent.parent
KEY = "5b1e0c9a7d3f2e8b6a4c1d0e9f8a7b6c5d4e3f2a1b0c9d8e"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


@pytest.fixture
def server(app, database_url, tmp_path):
    port = free_port()
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "TRAINER_ENV": "production",
           "TRAINER_SECRET_KEY": KEY, "TRAINER_DATABASE_URL": database_url,
           "TRAINER_REDIS_URL": REDIS_URL, "TRAINER_SESSION_COOKIE_SECURE": "false",
           "TRAINER_LOG_LEVEL": "INFO"}
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen(
        [str(ROOT / ".venv/bin/trainer"), "serve", "--bind", f"127.0.0.1:{port}",
         "--workers", "2", "--threads", "2"], env=env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:  # a worker still loading the app may not answer in time: ask again
                if requests.get(base + "/healthz", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if process.poll() is not None:
                break
            time.sleep(0.3)
        yield base, process, tmp_path / "serve.log"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(30)
        log.close()


def test_serve_runs_two_workers_with_health_login_and_pages(server, make_official, make_user):
    official = make_official(full_name="Vàng Thị Sông")
    make_user("hr", username="tochuc.serve", unit_id=official.unit_id,
              password="Doi-che-Tan-Uyen-9")
    db.session.commit()
    base, process, log = server
    assert process.poll() is None, log.read_text()
    health = requests.get(base + "/healthz", timeout=10)
    assert health.status_code == 200, log.read_text()
    assert health.json() == {"status": "ok", "database": "ok", "migrations": "current",
                             "redis": "ok"}
    assert len(children(process.pid)) == 2  # the master's two workers
    browser = requests.Session()
    page = browser.get(base + "/dang-nhap", timeout=10).text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = browser.post(base + "/dang-nhap", timeout=30, allow_redirects=False, data={
        "csrf_token": token, "username": "tochuc.serve", "password": "Doi-che-Tan-Uyen-9"})
    assert response.status_code == 302, response.text[:500]
    listing = browser.get(base + "/can-bo", timeout=60)
    assert listing.status_code == 200 and "Vàng Thị Sông" in listing.text
    for _ in range(6):  # whichever worker answers, the session holds
        assert browser.get(base + "/can-bo", timeout=60).status_code == 200
    lines = log.read_text()
    assert re.search(r"trainer\.request: GET /can-bo 200 [\d.]+ms user=\d+", lines)
    assert "Vàng Thị Sông" not in lines


def test_the_master_never_loads_the_app_so_a_reload_brings_new_code(server):
    """`trainer serve` becomes gunicorn serving trainer.wsgi:app (same process); HUP replaces
    the workers, which import the app afresh."""
    base, process, log = server
    cmdline = Path(f"/proc/{process.pid}/cmdline").read_bytes().split(b"\0")
    assert b"trainer.wsgi:app" in cmdline and any(b"gunicorn" in c for c in cmdline)
    before = set(children(process.pid))
    assert len(before) == 2, log.read_text()
    os.kill(process.pid, signal.SIGHUP)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        now = set(children(process.pid))
        if len(now) == 2 and not now & before:
            break
        time.sleep(0.3)
    assert len(now) == 2 and not now & before, (before, now)
    assert requests.get(base + "/healthz", timeout=30).status_code == 200


def test_serve_refuses_to_start_in_production_without_a_key(tmp_path, database_url):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "TRAINER_ENV": "production",
           "TRAINER_DATABASE_URL": database_url}
    result = subprocess.run([str(ROOT / ".venv/bin/trainer"), "serve", "--bind",
                             f"127.0.0.1:{free_port()}"], env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 2
    assert "Chưa đặt TRAINER_SECRET_KEY" in result.stderr
