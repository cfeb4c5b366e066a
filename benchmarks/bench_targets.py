"""The target dashboard computed cold (issue 11 §2): `operations.dashboard_rows` — what the first
view after any write computes before the cache holds it — with every target's trend and
scheduled gains evaluated on all dates in one pass (the default) against the per-date
evaluation with the per-unit tables (`vectorised=False`, the code before), in the same run, on
the same demo province; the two must give the same rows. Also a target's detail page (progress,
24-month trend, forecast, who is missing) both ways, and the load of the facts alone (the
floor). Wall and CPU seconds (CPU: this process only, steadier on a shared machine); the median
of `--repeat` runs. Prints one JSON object.
Usage: .venv/bin/python benchmarks/bench_targets.py [--officials 1500 10000]
       [--database sqlite|URL ...] [--repeat 3] [--reuse] [--baseline COMMIT]
`sqlite` is a file in a temporary directory; any other URL is emptied first (use a database of
your own); `{n}` in it is replaced by the size, e.g.
postgresql+psycopg://postgres@127.0.0.1:5432/bench_dashboard_{n}. `--reuse`: a database that
already holds that many officials is kept as it is."""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench_serve import build, officials_in  # noqa: E402

DETAIL_CODES = ("LC-2", "DL-d")  # a competency-gap target and a course target


def timed(fn, repeat: int) -> tuple[dict, object]:
    walls, cpus, value = [], [], None
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        value = fn()
        cpus.append(time.process_time() - c)
        walls.append(time.perf_counter() - w)
    return {"wall_s": round(statistics.median(walls), 3),
            "cpu_s": round(statistics.median(cpus), 3)}, value


# `dashboard_rows` of another tree (a commit's code, `--baseline`): `trainer` imported from that
# tree, not from the editable install (its finder in sys.meta_path) nor the start directory.
BASELINE = """import json, statistics, sys, time
tree, url, repeat = sys.argv[1], sys.argv[2], int(sys.argv[3])
sys.meta_path[:] = [f for f in sys.meta_path
                    if not getattr(f, "__module__", "").startswith("__editable__")]
sys.path[:] = [tree] + [p for p in sys.path if p not in ("", ".")]
import trainer
assert trainer.__file__.startswith(tree), trainer.__file__
app = trainer.create_app({"ENV": "test", "SQLALCHEMY_DATABASE_URI": url,
                          "PASSWORD_HASH_FAST": True})
with app.test_request_context():
    from trainer.targets import operations as ops
    rows = ops.dashboard_rows()
    walls, cpus = [], []
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        ops.dashboard_rows()
        cpus.append(time.process_time() - c)
        walls.append(time.perf_counter() - w)
print(json.dumps({"code": trainer.__file__, "wall_s": round(statistics.median(walls), 3),
                  "cpu_s": round(statistics.median(cpus), 3),
                  "rows": json.loads(json.dumps(rows, default=str))}))
"""


def baseline(tree: Path, url: str, repeat: int) -> dict:
    done = subprocess.run([sys.executable, "-c", BASELINE, str(tree), url, str(repeat)],
                          check=True, capture_output=True, text=True, cwd=tree)
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(url: str, officials: int, repeat: int, reuse: bool, old: Path | None) -> dict:
    from trainer import create_app
    from trainer.core.extensions import db
    if not (reuse and officials_in(url) == officials):
        build(url, officials)
    app = create_app({"ENV": "test", "SQLALCHEMY_DATABASE_URI": url, "PASSWORD_HASH_FAST": True})
    out = {"officials": officials, "database": url.split(":")[0].split("+")[0]}
    with app.test_request_context():
        from trainer.targets import operations as ops
        fast = ops.dashboard_rows()  # imports, the catalog's first read
        slow = ops.dashboard_rows(vectorised=False)
        assert fast == slow, "the one-pass dashboard differs from the per-date one"
        out["targets"] = len(fast[1])
        out["facts_load"], _ = timed(ops.facts_for, repeat)
        out["dashboard_per_date"], _ = timed(lambda: ops.dashboard_rows(vectorised=False),
                                             repeat)
        out["dashboard_one_pass"], _ = timed(ops.dashboard_rows, repeat)
        out["dashboard_speedup_wall"] = round(out["dashboard_per_date"]["wall_s"]
                                              / out["dashboard_one_pass"]["wall_s"], 2)
        out["dashboard_speedup_cpu"] = round(out["dashboard_per_date"]["cpu_s"]
                                             / out["dashboard_one_pass"]["cpu_s"], 2)
        if old is not None:  # the code of the commit, in another process, same database
            before = baseline(old, url, repeat)
            assert before.pop("rows") == json.loads(json.dumps(fast, default=str)), \
                "the baseline's rows differ"
            out["dashboard_baseline"] = before
            out["dashboard_speedup_over_baseline_wall"] = round(
                before["wall_s"] / out["dashboard_one_pass"]["wall_s"], 2)
            out["dashboard_speedup_over_baseline_cpu"] = round(
                before["cpu_s"] / out["dashboard_one_pass"]["cpu_s"], 2)
        for code in DETAIL_CODES:
            target = ops.target_by_code(code)

            def detail(vectorised):
                facts = ops.facts_for()
                p = ops.progress_of(target, facts)
                o = ops.outlook_of(p, facts, vectorised=vectorised)
                return o.trend, o.gains, len(ops.missing_of(p, facts))
            a, one = timed(lambda: detail(False), repeat)
            b, other = timed(lambda: detail(True), repeat)
            assert one == other, code
            out[f"detail_{code}_per_date"], out[f"detail_{code}_one_pass"] = a, b
        db.session.rollback()
        db.engine.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--officials", type=int, nargs="+", default=[1500, 10000])
    parser.add_argument("--database", nargs="+", default=["sqlite"])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--baseline", help="a commit whose dashboard_rows is timed too (e.g. "
                        "2652ff1, before the one-pass trend); its rows must be the same")
    args = parser.parse_args()
    os.environ.setdefault("TRAINER_ENV", "development")
    tmp = Path(tempfile.mkdtemp())
    old = None
    if args.baseline:
        old = tmp / "baseline"
        old.mkdir()
        archive = subprocess.run(["git", "-C", str(Path(__file__).resolve().parent.parent),
                                  "archive", args.baseline], check=True,
                                 capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(old)], input=archive, check=True)
    runs = []
    for database in args.database:
        for n in args.officials:
            url = f"sqlite:///{tmp / f'targets-{n}.db'}" if database == "sqlite" else \
                database.format(n=n)
            runs.append(measure(url, n, args.repeat, args.reuse, old))
            print(json.dumps(runs[-1]), file=sys.stderr)  # progress: one line per size
    print(json.dumps({"cpus": os.cpu_count(), "load_average": os.getloadavg()[0],
                      "repeat": args.repeat, "baseline": args.baseline, "runs": runs}, indent=1))


if __name__ == "__main__":
    main()
