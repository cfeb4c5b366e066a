"""Province-scale figures (issue 2 §9): build a 10,000-official demo province, then time
learning paths for everyone, progress of every target preset (and, issue 4, the dashboard with
trends and forecasts) and the per-unit gap report.
Prints one JSON object. Usage:
    .venv/bin/python benchmarks/bench_province.py [--officials 10000] [--repeat 3] [--database URL]
Default database: a temporary SQLite file. PostgreSQL: --database postgresql+psycopg://...
(the database is emptied first)."""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def timed(fn, repeat: int) -> tuple[dict, object]:
    runs, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        runs.append(time.perf_counter() - start)
    return {"min_s": round(min(runs), 3), "median_s": round(statistics.median(runs), 3)}, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--officials", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database")
    args = parser.parse_args()
    url = args.database or f"sqlite:///{tempfile.mkdtemp()}/bench.db"

    from tests.conftest import reset_schema
    from trainer import create_app
    from trainer.core.extensions import db
    reset_schema(url)
    app = create_app({"ENV": "test", "SQLALCHEMY_DATABASE_URI": url, "PASSWORD_HASH_FAST": True})
    with app.app_context():
        from courses import load_catalog
        from trainer.catalog.operations import sync_catalog
        from trainer.demo.generate import generate_demo
        from trainer.guidance.operations import all_learning_paths, load_catalogue, load_population
        from trainer.reports.operations import gap_report
        from trainer.targets.operations import all_outlooks, all_progress

        start = time.perf_counter()
        sync_catalog(load_catalog())
        generate_demo(args.officials, 2026)
        db.session.commit()
        build_s = time.perf_counter() - start

        def paths():
            cat = load_catalogue()
            pop = load_population(cat)
            return cat, pop, all_learning_paths(cat, pop)

        paths_t, (cat, pop, result) = timed(paths, args.repeat)
        engine_t, _ = timed(lambda: all_learning_paths(cat, pop), args.repeat)
        targets_t, progress = timed(all_progress, args.repeat)
        outlook_t, _ = timed(all_outlooks, args.repeat)
        report_t, report = timed(gap_report, args.repeat)
        figures = {
            "database": db.engine.dialect.name,
            "officials": int(len(pop.official_ids)),
            "competencies": len(cat.competency_ids),
            "courses": len(cat.course_ids),
            "build_province_s": round(build_s, 2),
            "learning_paths_all_officials": paths_t,
            "learning_paths_engine_only": engine_t,
            "mean_path_courses": round(sum(len(p.courses) for p in result) / len(result), 2),
            "target_progress_all_presets": dict(targets_t, presets=len(progress)),
            "target_dashboard_with_trend_and_forecast": outlook_t,
            "per_unit_gap_report": dict(report_t, rows=int(len(report))),
        }
    print(json.dumps(figures, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
