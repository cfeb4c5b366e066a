"""Where people look, under the production server (issue 11): `trainer serve` (2 workers, Redis
for the data version and the cache) on a demo province beside a hello-world Flask app under the
same gunicorn settings, in one run. Concurrent clients (4 by default) on: sign-in, an official's
page (/toi; also its first view after a write), HR's target dashboard (/muc-tieu/: its first
view after an assessment, one official's write, and after an account's; then from the cache;
then while another HR officer records an assessment every second) and the gap heatmap
(/bao-cao/thieu-hut). Prints one JSON object.
Usage: .venv/bin/python benchmarks/bench_web.py [--officials 10000] [--clients 4]
       [--requests 100] [--database URL] [--reuse] [--json] [--only toi]
The database defaults to a temporary SQLite file; a PostgreSQL URL is emptied first. `--only toi`:
hello-world and the official's page alone (the other keys are left out)."""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_serve import (ROOT, a_write, an_assessment, build, free_port,  # noqa: E402
                         hello_world, load, officials_in, officials_listed, server_env,
                         signed_in, start, stop)


def logins(base: str, clients: int, total: int) -> dict:
    """`total` sign-ins (form, CSRF token, password check, session row) from `clients` at once."""
    def one(_):
        t = time.perf_counter()
        signed_in(base, "canbo")
        return time.perf_counter() - t
    begin = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        latencies = sorted(pool.map(one, range(total)))
    wall = time.perf_counter() - begin
    return {"per_s": round(total / wall, 2), "p95_ms": round(1000 * latencies[
        int(0.95 * (len(latencies) - 1))])}


def first_view_after(write, base: str, hr: requests.Session) -> float:
    """Milliseconds of the dashboard right after a committed write (the cache computes afresh:
    for an account's write, the sum of the kept parts; for an official's, their part too)."""
    write()
    t = time.perf_counter()
    assert hr.get(base + "/muc-tieu/", timeout=600).status_code == 200
    return round(1000 * (time.perf_counter() - t))


def load_while_writing(base: str, hr: list[requests.Session], writer: requests.Session,
                       ids: list[int], seconds: float = 15.0, every_s: float = 1.0) -> dict:
    """Each HR client opens the dashboard again and again for `seconds` while another HR
    officer records an assessment every `every_s` seconds: the p95 holds the first views after
    those writes (each recomputes one part)."""
    done, writes, latencies = threading.Event(), [], []

    def write():
        while not done.wait(every_s):
            an_assessment(base, writer, ids[len(writes) % len(ids)])
            writes.append(1)

    def read(session):
        while not done.is_set():
            t = time.perf_counter()
            assert session.get(base + "/muc-tieu/", timeout=300).status_code == 200
            latencies.append(time.perf_counter() - t)
    threads = [threading.Thread(target=write)] + [threading.Thread(target=read, args=(s,))
                                                   for s in hr]
    for t in threads:
        t.start()
    time.sleep(seconds)
    done.set()
    for t in threads:
        t.join()
    latencies.sort()
    return {"requests": len(latencies), "writes": len(writes),
            "p50_ms": round(1000 * statistics.median(latencies)),
            "p95_ms": round(1000 * latencies[int(0.95 * (len(latencies) - 1))]),
            "p99_ms": round(1000 * latencies[int(0.99 * (len(latencies) - 1))]),
            "max_ms": round(1000 * latencies[-1])}


def warm(base: str, path: str, sessions: list[requests.Session], rounds: int = 3) -> None:
    """Concurrent requests, so that every worker has served the page once (its first request
    imports and compiles: seconds, not what a visitor of a running server waits)."""
    with ThreadPoolExecutor(len(sessions)) as pool:
        for _ in range(rounds):
            list(pool.map(lambda s: s.get(base + path, timeout=600), sessions))


def toi_after_a_write(base: str) -> float:
    """Milliseconds of /toi right after a committed write (a sign-in records its time): the
    official's answers and the region's levels are computed afresh."""
    official = signed_in(base, "canbo")
    t = time.perf_counter()
    assert official.get(base + "/toi", timeout=600).status_code == 200
    return round(1000 * (time.perf_counter() - t))


def _toi_figures(hello: dict, toi: dict) -> dict:
    return {"hello_rps": hello["per_s"],
            "official_page_rps": toi["per_s"], "official_page_p95_ms": toi["p95_ms"],
            "official_page_rps_over_hello": round(toi["per_s"] / hello["per_s"], 4),
            "official_page_first_view_after_a_write_ms": toi["after_write_ms"]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--officials", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--database")
    parser.add_argument("--reuse", action="store_true",
                        help="keep a database that already holds that many officials")
    parser.add_argument("--json", action="store_true", help="one line of JSON")
    parser.add_argument("--only", choices=["toi"], help="measure this page alone (and hello)")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp())
    url = args.database or f"sqlite:///{tmp}/bench.db"
    if not (args.reuse and officials_in(url) == args.officials):
        build(url, args.officials)
    env = server_env(url, tmp, TRAINER_REDIS_URL=os.environ.get(
        "TRAINER_REDIS_URL", "redis://127.0.0.1:6379/0"),
        TRAINER_REDIS_PREFIX=f"bench-web-{os.getpid()}", TRAINER_LOGIN_LIMIT="100000 per minute")
    result = {"officials": args.officials, "clients": args.clients, "requests": args.requests,
              "database": url.split(":")[0], "workers": 2, "cpus": os.cpu_count()}
    hello_figures = hello_world(tmp, env, args.clients, args.requests * 10)
    port = free_port()
    server = start([str(ROOT / ".venv/bin/trainer"), "serve", "--bind", f"127.0.0.1:{port}",
                    "--workers", "2", "--threads", "1"], env, port)
    try:
        base = f"http://127.0.0.1:{port}"
        login = None if args.only else logins(base, args.clients, args.requests)
        officials = [signed_in(base, "canbo") for _ in range(args.clients)]
        warm(base, "/toi", officials)
        toi = load(base, "/toi", officials, args.requests)
        toi["after_write_ms"] = statistics.median(toi_after_a_write(base) for _ in range(3))
        if args.only == "toi":
            result.update(_toi_figures(hello_figures, toi))
            print(json.dumps(result) if args.json else json.dumps(result, indent=1))
            return
        hr = [signed_in(base, "hr.tinh") for _ in range(args.clients)]
        admin = signed_in(base, "admin")
        writer = signed_in(base, "hr.tinh")
        ids = officials_listed(base, writer)
        after_account = [first_view_after(lambda: a_write(base, admin), base, hr[0])
                         for _ in range(3)]
        after_assessment = [first_view_after(lambda i=i: an_assessment(base, writer, i), base,
                                             hr[0]) for i in ids[:3]]
        dashboard = load(base, "/muc-tieu/", hr, args.requests)
        with_writes = load_while_writing(base, hr, writer, ids[3:])
        heatmap = load(base, "/bao-cao/thieu-hut", hr, args.requests)
        heatmap_kb = round(len(hr[0].get(base + "/bao-cao/thieu-hut").content) / 1024)
    finally:
        stop(server)
    result.update(_toi_figures(hello_figures, toi))
    result.update({
        "login_rps": login["per_s"], "login_p95_ms": login["p95_ms"],
        "dashboard_p95_ms": dashboard["p95_ms"], "dashboard_p50_ms": dashboard["p50_ms"],
        "dashboard_first_view_after_a_write_ms": statistics.median(after_assessment),
        "dashboard_first_view_after_an_account_write_ms": statistics.median(after_account),
        "dashboard_p95_ms_while_hr_writes": with_writes["p95_ms"],
        "dashboard_p50_ms_while_hr_writes": with_writes["p50_ms"],
        "dashboard_p99_ms_while_hr_writes": with_writes["p99_ms"],
        "dashboard_max_ms_while_hr_writes": with_writes["max_ms"],
        "dashboard_views_while_hr_writes": with_writes["requests"],
        "assessments_written_meanwhile": with_writes["writes"],
        "heatmap_p95_ms": heatmap["p95_ms"], "heatmap_html_kb": heatmap_kb,
    })
    print(json.dumps(result) if args.json else json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
