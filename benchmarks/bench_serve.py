"""The production server under load (issue 8): `trainer serve` with two workers on a demo
province, concurrent clients on an official's page (`/toi`: gaps, path, mentors — numpy and
scikit-learn) and HR's officials list (`/can-bo`: gaps of everyone in scope), with numpy's BLAS
at one thread per worker (TRAINER_BLAS_THREADS=1, the default) and at two; a hello-world Flask
app under the same gunicorn settings is the yardstick for the machine's speed in the same run.
Prints one JSON object. Usage:
    .venv/bin/python benchmarks/bench_serve.py [--officials 1500] [--clients 4] [--requests 40]
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
KEY = "bench-0123456789abcdef0123456789abcdef0123456789"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build(url: str, officials: int) -> None:
    """The demo province of `officials` on `url` (emptied first), built in a child process: the
    clients that time the server then run in a process without the build's heap (its garbage
    collections slowed them: /toi measured 177 requests/s at 10,000 officials against 245/s
    with the same server)."""
    child = multiprocessing.get_context("spawn").Process(target=_build, args=(url, officials))
    child.start()
    child.join()
    if child.exitcode != 0:
        raise RuntimeError(f"building the demo province failed (exit code {child.exitcode})")


def _build(url: str, officials: int) -> None:
    from tests.conftest import reset_schema
    from trainer import create_app
    from trainer.core.extensions import db
    reset_schema(url)
    app = create_app({"ENV": "test", "SQLALCHEMY_DATABASE_URI": url, "PASSWORD_HASH_FAST": True})
    with app.app_context():
        from courses import load_catalog
        from trainer.catalog.operations import sync_catalog
        from trainer.demo.generate import generate_demo
        from trainer.targets.operations import seed_presets
        sync_catalog(load_catalog())
        seed_presets()
        generate_demo(officials, 2026)
        db.session.commit()
        db.engine.dispose()


def officials_in(url: str) -> int:
    import sqlalchemy as sa
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text("SELECT count(*) FROM officials")).scalar())
    except sa.exc.SQLAlchemyError:
        return -1
    finally:
        engine.dispose()


def start(command: list[str], env: dict, port: int) -> subprocess.Popen:
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
            return process
        except (requests.ConnectionError, requests.Timeout):  # not listening, or still booting
            time.sleep(0.3)
    raise RuntimeError("the server did not start")


def stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(30)


def signed_in(base: str, username: str) -> requests.Session:
    s = requests.Session()
    page = s.get(base + "/dang-nhap").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    answer = s.post(base + "/dang-nhap", data={"csrf_token": token, "username": username,
                                               "password": "demo1234"}, allow_redirects=False)
    assert answer.status_code == 302, answer.text[:300]
    return s


def a_write(base: str, admin: requests.Session) -> None:
    """A committed write a figure reads (the data version moves): lock and unlock an account."""
    page = admin.get(base + "/tai-khoan?q=truong").text
    user = re.search(r'href="/tai-khoan/(\d+)"', page).group(1)
    form = admin.get(f"{base}/tai-khoan/{user}").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    for what in ("khoa", "mo-khoa"):
        admin.post(f"{base}/tai-khoan/{user}/{what}", data={"csrf_token": token})


def officials_listed(base: str, hr: requests.Session, pages: int = 5) -> list[int]:
    """Ids of officials on the first pages of HR's list (spread over the province's parts)."""
    ids = []
    for page in range(1, pages + 1):
        ids += re.findall(r'href="/can-bo/(\d+)"', hr.get(f"{base}/can-bo?page={page}").text)
    return sorted({int(i) for i in ids})


def an_assessment(base: str, hr: requests.Session, official_id: int) -> None:
    """HR records a supervisor's assessment of one official (what HR writes most): a committed
    write of that official's rows."""
    form = hr.get(f"{base}/can-bo/{official_id}").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    competency = re.search(r'<select[^>]*name="competency_id"[^>]*>\s*<option[^>]*value="(\d+)"',
                           form).group(1)
    answer = hr.post(f"{base}/can-bo/{official_id}", allow_redirects=False, data={
        "csrf_token": token, "competency_id": competency, "level": "3", "source": "supervisor",
        "assessed_on": date.today().isoformat()})
    assert answer.status_code == 302, answer.text[:300]


def load(base: str, path: str, sessions: list[requests.Session], total: int) -> dict:
    """`total` GETs of `path` from len(sessions) clients at once: wall time and latencies."""
    sessions[0].get(base + path)  # warm: the first request of a worker imports and caches

    def one(i):
        t = time.perf_counter()
        r = sessions[i % len(sessions)].get(base + path, timeout=300)
        assert r.status_code == 200, (path, r.status_code)
        return time.perf_counter() - t
    begin = time.perf_counter()
    with ThreadPoolExecutor(len(sessions)) as pool:
        latencies = sorted(pool.map(one, range(total)))
    wall = time.perf_counter() - begin
    return {"wall_s": round(wall, 2), "per_s": round(total / wall, 2),
            "p50_ms": round(1000 * statistics.median(latencies)),
            "p95_ms": round(1000 * latencies[int(0.95 * (len(latencies) - 1))])}


HELLO = textwrap.dedent("""
    from flask import Flask
    app = Flask("hello")

    @app.route("/healthz")
    @app.route("/")
    def hello():
        return "xin chào"
""")


def server_env(url: str, tmp: Path, **extra: str) -> dict:
    """The environment of `trainer serve` (and of the hello-world app) on the database `url`."""
    return {"PATH": "/usr/bin:/bin", "HOME": str(tmp), "TRAINER_ENV": "production",
            "TRAINER_SECRET_KEY": KEY, "TRAINER_DATABASE_URL": url,
            "TRAINER_SESSION_COOKIE_SECURE": "false", "TRAINER_LOG_LEVEL": "WARNING", **extra}


def hello_world(tmp: Path, env: dict, clients: int, total: int) -> dict:
    """The yardstick: a hello-world Flask app under the same gunicorn settings, `total` GETs
    from `clients` at once."""
    (tmp / "hello.py").write_text(HELLO)
    port = free_port()
    hello = start([str(ROOT / ".venv/bin/gunicorn"), "--chdir", str(tmp), "--bind",
                   f"127.0.0.1:{port}", "--workers", "2", "--threads", "1",
                   "--no-control-socket", "hello:app"], env, port)
    try:
        return load(f"http://127.0.0.1:{port}", "/",
                    [requests.Session() for _ in range(clients)], total)
    finally:
        stop(hello)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--officials", type=int, default=1500)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--requests", type=int, default=40)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp())
    url = f"sqlite:///{tmp}/bench.db"
    build(url, args.officials)
    result = {"officials": args.officials, "clients": args.clients, "requests": args.requests,
              "workers": 2, "cpus": os.cpu_count()}
    base_env = server_env(url, tmp)
    result["hello_world"] = hello_world(tmp, base_env, args.clients, args.requests * 10)
    for threads in (1, 2):
        port = free_port()
        env = dict(base_env, TRAINER_BLAS_THREADS=str(threads))
        server = start([str(ROOT / ".venv/bin/trainer"), "serve", "--bind", f"127.0.0.1:{port}",
                        "--workers", "2", "--threads", "1"], env, port)
        try:
            base = f"http://127.0.0.1:{port}"
            figures = {"healthz": load(base, "/healthz", [requests.Session() for _ in
                                                           range(args.clients)],
                                       args.requests * 10)}
            officials = [signed_in(base, "canbo") for _ in range(args.clients)]
            figures["toi"] = load(base, "/toi", officials, args.requests)
            hr = [signed_in(base, "hr.tinh") for _ in range(args.clients)]
            figures["can_bo"] = load(base, "/can-bo", hr, args.requests)
        finally:
            stop(server)
        result[f"blas_threads_{threads}"] = figures
    one, two = result["blas_threads_1"], result["blas_threads_2"]
    result["toi_wall_ratio_2_over_1"] = round(two["toi"]["wall_s"] / one["toi"]["wall_s"], 2)
    result["can_bo_wall_ratio_2_over_1"] = round(two["can_bo"]["wall_s"] /
                                                 one["can_bo"]["wall_s"], 2)
    result["toi_per_s_over_hello_world"] = round(one["toi"]["per_s"] /
                                                 result["hello_world"]["per_s"], 4)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
