"""Province-scale figures (issue 2 §9, issue 11 §6): build a demo province, then time learning
paths for everyone, progress of every target preset (and, issue 4, the dashboard with trends and
forecasts) and the per-unit gap report; then check a sample of the paths with an independent
solver (bench_paths' mixed-integer model, HiGHS through scipy.optimize.milp) and report the
share proven optimal.
Usage:
    .venv/bin/python benchmarks/bench_province.py [--officials 10000] [--repeat 3]
        [--database URL] [--verify 1000] [--json] [--baseline COMMIT]
Default database: a temporary SQLite file. PostgreSQL: --database postgresql+psycopg://...
(the database is emptied first). The national scale, --officials 250000, needs PostgreSQL.
Output: readable lines, or with --json one JSON object (build_s, peak_rss_mb, paths_all_s,
targets_s, report_s, paths_proven_optimal_share and the details).
--baseline COMMIT builds the province with that commit's code first, in the same run on the same
database (b0d2b84: the generator before the bulk build, every row in memory, one multi-row
INSERT a table), and reports its time and peak beside the build's.
Memory: the peak resident set size of the process (VmHWM of /proc/self/status, put back to the
current size before each step through /proc/self/clear_refs; getrusage's ru_maxrss, never put
back, where /proc is missing). The build runs in a child process of its own, so the analysis'
peaks do not carry what the build left in the heap."""
from __future__ import annotations

import argparse
import json
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
SEED = 2026


def timed(fn, repeat: int) -> tuple[dict, object]:
    runs, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        runs.append(time.perf_counter() - start)
    return {"min_s": round(min(runs), 3), "median_s": round(statistics.median(runs), 3)}, result


# ---- peak memory ------------------------------------------------------------------------------

def reset_peak() -> None:
    """Start a new peak at the current resident size (Linux ≥ 4.0; elsewhere a no-op)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def peak_rss_mb() -> int:
    """The peak resident set size since the last `reset_peak` (MB)."""
    try:
        status = Path("/proc/self/status").read_text()
        return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) // 1024
    except (OSError, AttributeError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def measured(fn, repeat: int) -> tuple[dict, object]:
    """`timed`, with the step's peak resident size."""
    reset_peak()
    figures, result = timed(fn, repeat)
    return dict(figures, peak_rss_mb=peak_rss_mb()), result


# ---- the build (a child process) -------------------------------------------------------------

def build(url: str, officials: int) -> dict:
    """Empty the database, load the catalog and the target presets, generate the province and
    commit: the time and the peak resident size of this process."""
    from tests.conftest import reset_schema
    from trainer import create_app
    from trainer.core.extensions import db
    reset_schema(url)
    app = create_app({"ENV": "test", "SQLALCHEMY_DATABASE_URI": url, "PASSWORD_HASH_FAST": True,
                      "LOG_LEVEL": "WARNING"})
    with app.app_context():
        from courses import load_catalog
        from trainer.catalog.operations import sync_catalog
        from trainer.demo.generate import generate_demo
        from trainer.targets.operations import seed_presets

        reset_peak()
        start = time.perf_counter()
        sync_catalog(load_catalog())
        seed_presets()
        generate_demo(officials, SEED)
        db.session.commit()
        seconds = time.perf_counter() - start
        db.engine.dispose()
    return {"build_s": round(seconds, 2), "build_peak_rss_mb": peak_rss_mb()}


# `build` with the code of another tree (a commit's, --baseline): `trainer`, `courses` and
# `tests` imported from that tree, not from the editable install nor this checkout.
BASELINE_BUILD = """import json, runpy, sys
bench, tree, url, officials = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
build = runpy.run_path(bench)["build"]
sys.meta_path[:] = [f for f in sys.meta_path
                    if not getattr(f, "__module__", "").startswith("__editable__")]
here = (bench.rsplit("/", 2)[0], bench.rsplit("/", 1)[0])  # this checkout and its benchmarks
sys.path[:] = [tree] + [p for p in sys.path[1:] if p not in here]
out = build(url, officials)
import trainer
assert trainer.__file__.startswith(tree), trainer.__file__
print(json.dumps(out))
"""


def build_in_child(url: str, officials: int, tree: Path | None = None) -> dict:
    if tree is None:
        command = [sys.executable, __file__, "--build-only", "--officials", str(officials),
                   "--database", url]
    else:
        command = [sys.executable, "-c", BASELINE_BUILD, str(Path(__file__).resolve()),
                   str(tree), url, str(officials)]
    out = subprocess.run(command, capture_output=True, text=True)
    if out.returncode:
        sys.exit(f"the build failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def commit_tree(commit: str) -> Path:
    """The files of `commit` in a temporary directory."""
    tree = Path(tempfile.mkdtemp()) / commit
    tree.mkdir()
    archive = subprocess.run(["git", "-C", str(Path(__file__).resolve().parent.parent),
                              "archive", commit], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    return tree


# ---- the optimality check ---------------------------------------------------------------------

def proven_optimal(engine: dict, paths: list, count: int) -> dict:
    """The share of a sample of distinct problems (officials with the same gaps, blocked and
    satisfied courses share one) whose path hours bench_paths' mixed-integer model confirms."""
    import numpy as np
    from bench_paths import milp_hours

    gap = engine["required"] > engine["current"]  # what a path depends on, gap by gap
    keys = np.concatenate([np.where(gap, engine["required"], 0).astype(np.int8),
                           np.where(gap, engine["current"], 0).astype(np.int8),
                           np.asarray(engine["blocked"], np.int8),
                           np.asarray(engine["satisfied"], np.int8)], axis=1)
    _, first = np.unique(keys, axis=0, return_index=True)
    rng = np.random.default_rng(11)
    sample = rng.choice(first, size=min(count, len(first)), replace=False)
    start = time.perf_counter()
    same = sum(abs(milp_hours(engine, int(i)) - paths[int(i)].hours) < 1e-6 for i in sample)
    return {"share": round(same / max(len(sample), 1), 4), "problems_checked": int(len(sample)),
            "distinct_problems": int(len(first)),
            "check_s": round(time.perf_counter() - start, 2)}


# ---- the analysis -----------------------------------------------------------------------------

def analyse(url: str, repeat: int, verify: int) -> dict:
    from trainer import create_app
    from trainer.core.extensions import db
    app = create_app({"ENV": "test", "SQLALCHEMY_DATABASE_URI": url, "PASSWORD_HASH_FAST": True,
                      "LOG_LEVEL": "WARNING"})
    with app.app_context():
        from trainer.guidance.operations import (_engine_args, all_learning_paths, load_catalogue,
                                                 load_population)
        from trainer.reports.operations import gap_report
        from trainer.targets.operations import all_progress, dashboard_rows

        def paths():
            cat = load_catalogue()
            pop = load_population(cat)
            return cat, pop, all_learning_paths(cat, pop)

        start_rss = peak_rss_mb()
        paths_t, (cat, pop, result) = measured(paths, repeat)
        engine_t, _ = measured(lambda: all_learning_paths(cat, pop), repeat)
        optimal = proven_optimal(_engine_args(cat, pop), result, verify)
        figures = {
            "database": db.engine.dialect.name,
            "officials": int(len(pop.official_ids)),
            "competencies": len(cat.competency_ids),
            "courses": len(cat.course_ids),
            "mean_path_courses": round(sum(len(p.courses) for p in result) / len(result), 2),
            "analysis_start_rss_mb": start_rss,
            "learning_paths_all_officials": paths_t,
            "learning_paths_engine_only": engine_t,
            "paths_proven_optimal": optimal,
        }
        del cat, pop, result
        targets_t, progress = measured(all_progress, repeat)
        figures["target_progress_all_presets"] = dict(targets_t, presets=len(progress))
        del progress
        # what the dashboard computes with nothing kept: every part's tallies, a load at a time
        figures["target_dashboard_with_trend_and_forecast"], _ = measured(dashboard_rows, repeat)
        report_t, report = measured(gap_report, repeat)
        figures["per_unit_gap_report"] = dict(report_t, rows=int(len(report)))
    return figures


def summary(built: dict, figures: dict) -> dict:
    """The headline figures first, then the details."""
    steps = ("learning_paths_all_officials", "learning_paths_engine_only",
             "target_progress_all_presets", "target_dashboard_with_trend_and_forecast",
             "per_unit_gap_report")
    analysis_peak = max(figures[s]["peak_rss_mb"] for s in steps)
    return {
        "database": figures["database"], "officials": figures["officials"],
        "build_s": built["build_s"],
        "peak_rss_mb": max(built["build_peak_rss_mb"], analysis_peak),
        "build_peak_rss_mb": built["build_peak_rss_mb"],
        "analysis_peak_rss_mb": analysis_peak,
        "paths_all_s": figures["learning_paths_all_officials"]["min_s"],
        "targets_s": figures["target_progress_all_presets"]["min_s"],
        "report_s": figures["per_unit_gap_report"]["min_s"],
        "paths_proven_optimal_share": figures["paths_proven_optimal"]["share"],
        **{k: v for k, v in figures.items() if k not in ("database", "officials")},
    }


def readable(out: dict) -> str:
    opt = out["paths_proven_optimal"]
    lines = [f"Province of {out['officials']:,} officials on {out['database']} "
             f"({out['competencies']} competencies, {out['courses']} courses)",
             f"  {'build (catalog, presets, demo)':44} {out['build_s']:8.2f} s"
             f"{'':18}peak {out['build_peak_rss_mb']:,} MB"]
    for key, label in (("learning_paths_all_officials", "learning paths, all officials"),
                       ("learning_paths_engine_only", "  of which the engine"),
                       ("target_progress_all_presets", "progress of every target preset"),
                       ("target_dashboard_with_trend_and_forecast",
                        "target dashboard, trends and forecasts"),
                       ("per_unit_gap_report", "per-unit gap report")):
        t = out[key]
        lines.append(f"  {label:44} {t['min_s']:8.3f} s (median {t['median_s']:.3f})"
                     f"   peak {t['peak_rss_mb']:,} MB")
    lines += [f"  mean courses in a path: {out['mean_path_courses']}",
              f"  paths proven optimal by HiGHS: {100 * opt['share']:.1f}% of "
              f"{opt['problems_checked']:,} distinct problems (of {opt['distinct_problems']:,};"
              f" {opt['check_s']} s)",
              f"  peak memory: build {out['build_peak_rss_mb']:,} MB, analysis "
              f"{out['analysis_peak_rss_mb']:,} MB (started at {out['analysis_start_rss_mb']:,})"]
    if "baseline" in out:
        b = out["baseline"]
        lines.append(f"  build with {b['commit']}'s code: {b['build_s']:.2f} s, peak "
                     f"{b['build_peak_rss_mb']:,} MB (this build ×{b['build_speedup']} faster)")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--officials", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database", help="SQLAlchemy URL (emptied first); 250,000 officials "
                                           "need postgresql+psycopg://...")
    parser.add_argument("--verify", type=int, default=1000,
                        help="distinct path problems whose hours HiGHS checks")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--baseline", help="a commit whose code builds the province first, "
                                           "timed beside the build (e.g. b0d2b84)")
    parser.add_argument("--build-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    url = args.database or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    if args.build_only:
        print(json.dumps(build(url, args.officials)))
        return
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    before = build_in_child(url, args.officials, commit_tree(args.baseline)) \
        if args.baseline else None
    built = build_in_child(url, args.officials)
    out = summary(built, analyse(url, args.repeat, args.verify))
    if before is not None:
        out["baseline"] = dict(commit=args.baseline, **before,
                               build_speedup=round(before["build_s"] / built["build_s"], 2))
    print(json.dumps(out, ensure_ascii=False) if args.json else readable(out))


if __name__ == "__main__":
    main()
