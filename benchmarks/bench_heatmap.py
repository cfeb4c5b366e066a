"""The gap heat map under the production server (issue 11 §4: "p95 ≤ 300 ms at 10,000 and its HTML
≤ 300 KB"): the app under gunicorn (2 workers, 1 thread each, Redis for the data version and the
cache, as benchmarks/bench_web.py runs it) on a demo province, HR of the province as 4 concurrent
clients on /bao-cao/thieu-hut (communes), a commune's page, its officials (?by=official) and the
rows a ▸ loads (/bao-cao/thieu-hut/hang), plus the first view after a committed write (the cache
computes afresh). In the same run: a hello-world Flask app under the same gunicorn settings, and
— with `--baseline COMMIT` — the same pages served by the code of that commit (the whole-table
page before this work: `git archive` of it into a temporary directory, same database).
Prints one JSON object (keys heatmap_p95_ms and heatmap_html_kb as bench_web.py's).
Usage: .venv/bin/python benchmarks/bench_heatmap.py [--officials 10000] [--clients 4]
       [--requests 40] [--database URL] [--baseline 2652ff1] [--json]"""
from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_serve import (  # noqa: E402
    ROOT, a_write, build, free_port, hello_world, load, server_env, signed_in, start, stop)


# gunicorn, importing `trainer` from the tree given first: not from the editable install (its
# finder in sys.meta_path), nor from the directory the benchmark was started in ("" in sys.path).
LAUNCH = """import os, sys
tree = sys.argv.pop(1)
os.chdir(tree)
sys.meta_path[:] = [f for f in sys.meta_path
                    if not getattr(f, "__module__", "").startswith("__editable__")]
sys.path[:] = [tree] + [p for p in sys.path if p not in ("", ".")]
from gunicorn.app.wsgiapp import run
sys.argv[0] = "gunicorn"
run()
"""


def gunicorn(tree: Path, env: dict, port: int):
    """`trainer.wsgi:app` of the code in `tree`, as `trainer serve` runs it (2 sync workers)."""
    return start([str(ROOT / ".venv/bin/python"), "-c", LAUNCH, str(tree), "--chdir", str(tree),
                  "--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "1",
                  "--timeout", "600", "--no-control-socket", "trainer.wsgi:app"], env, port)


def pages(base: str, hr: requests.Session) -> dict[str, str]:
    """The paths measured: the province's communes, a commune (the largest), its officials,
    and (when the server has it) the rows a commune's ▸ loads."""
    html = hr.get(base + "/bao-cao/thieu-hut", timeout=600).text
    commune = re.search(r'href="/bao-cao/thieu-hut\?unit=(\d+)"', html).group(1)
    out = {"province": "/bao-cao/thieu-hut", "commune": f"/bao-cao/thieu-hut?unit={commune}",
           "officials": f"/bao-cao/thieu-hut?unit={commune}&by=official"}
    if "/bao-cao/thieu-hut/hang" in html:
        out["rows"] = f"/bao-cao/thieu-hut/hang?unit={commune}&depth=1"
    return out


def measure(base: str, hr: list[requests.Session], admin: requests.Session, total: int) -> dict:
    result = {}
    for name, path in pages(base, hr[0]).items():
        figures = load(base, path, hr, total)
        size = len(hr[0].get(base + path, timeout=600).content)
        result[name] = {"p50_ms": figures["p50_ms"], "p95_ms": figures["p95_ms"],
                        "per_s": figures["per_s"], "kb": round(size / 1024)}
    after = []
    for _ in range(3):
        a_write(base, admin)
        t = time.perf_counter()
        assert hr[0].get(base + "/bao-cao/thieu-hut", timeout=600).status_code == 200
        after.append(round(1000 * (time.perf_counter() - t)))
    result["province_first_view_after_a_write_ms"] = statistics.median(after)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--officials", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--database", help="an existing demo database (else one is built)")
    parser.add_argument("--baseline", help="a commit whose code serves the same pages too")
    parser.add_argument("--json", action="store_true", help="one line of JSON")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp())
    url = args.database
    if url is None:
        url = f"sqlite:///{tmp}/bench.db"
        build(url, args.officials)
    env = server_env(url, tmp, TRAINER_REDIS_URL=os.environ.get(
        "TRAINER_REDIS_URL", "redis://127.0.0.1:6379/0"),
        TRAINER_LOGIN_LIMIT="100000 per minute", TRAINER_BLAS_THREADS="1")
    result = {"officials": args.officials, "clients": args.clients, "requests": args.requests,
              "database": url.split(":")[0], "workers": 2, "cpus": os.cpu_count()}
    result["hello_rps"] = hello_world(tmp, env, args.clients, args.requests * 10)["per_s"]

    trees = {"now": ROOT}
    if args.baseline:
        old = tmp / "baseline"
        old.mkdir()
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.baseline],
                                 check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(old)], input=archive, check=True)
        trees["baseline"] = old
    for label, tree in trees.items():
        port = free_port()
        server = gunicorn(tree, {**env, "TRAINER_REDIS_PREFIX": f"bench-heatmap-{label}-"
                                 f"{os.getpid()}"}, port)
        try:
            base = f"http://127.0.0.1:{port}"
            hr = [signed_in(base, "hr.tinh") for _ in range(args.clients)]
            result[label] = {"code": str(tree), "lazy_rows": requests.get(
                base + "/static/heatmap.js").status_code == 200}
            result[label].update(measure(base, hr, signed_in(base, "admin"), args.requests))
        finally:
            stop(server)
    result["heatmap_p95_ms"] = result["now"]["province"]["p95_ms"]
    result["heatmap_html_kb"] = result["now"]["province"]["kb"]
    print(json.dumps(result) if args.json else json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
