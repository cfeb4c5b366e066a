"""Exact learning paths at province scale (issue 11 §1): build a demo province, then time the
paths of every official — the engine as shipped (one exact solve per distinct problem) beside
the naive way (one solve per official, no sharing), in the same run. Prints one JSON object:
the times, how many distinct problems the officials hold, and the share of paths whose hours
an independent solver (a mixed-integer model solved by HiGHS through scipy.optimize.milp)
confirms optimal, on a sample of officials.
Usage: .venv/bin/python benchmarks/bench_paths.py [--officials 10000] [--repeat 3]
       [--naive-sample 2000] [--verify 1000]"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_province import timed  # noqa: E402


def milp_hours(engine, i: int) -> float:
    """The fewest hours closing official i's gaps, by a mixed-integer model: x_k = 1 when course
    k is taken; each gap needs a course reaching the level every takeable course can reach;
    a course needs its prerequisites unless satisfied; blocked courses are out."""
    from scipy.optimize import Bounds, LinearConstraint, milp
    levels, hours = np.asarray(engine["course_levels"]), np.asarray(engine["course_hours"], float)
    pre = np.asarray(engine["prerequisites"], bool)
    req, cur = engine["required"][i], engine["current"][i]
    blocked, satisfied = engine["blocked"][i], engine["satisfied"][i]
    n_courses = len(hours)

    def takeable(k, seen=None):
        seen = seen or set()
        if blocked[k]:
            return False
        seen.add(k)
        return all(satisfied[j] or (j in seen or takeable(j, seen)) for j in np.flatnonzero(pre[k]))

    ok = np.array([takeable(k) for k in range(n_courses)])
    if not ok.any():
        return 0.0
    reach = levels[ok].max(axis=0)
    target = np.minimum(req, reach)
    gaps = np.flatnonzero((req > cur) & (target > cur))
    if gaps.size == 0:
        return 0.0
    rows, lower = [], []
    for c in gaps:
        rows.append((levels[:, c] >= target[c]) & ok)
        lower.append(1)
    for k in range(n_courses):
        for j in np.flatnonzero(pre[k]):
            if not satisfied[j]:
                row = np.zeros(n_courses)
                row[k], row[j] = -1, 1     # x_j - x_k >= 0
                rows.append(row)
                lower.append(0)
    result = milp(hours, integrality=np.ones(n_courses),
                  bounds=Bounds(0, np.where(ok, 1, 0)),
                  constraints=LinearConstraint(np.array(rows, float), lower, np.inf))
    return float(result.fun)


def verify(engine, paths, count: int) -> tuple[float, int]:
    rng = np.random.default_rng(11)
    sample = rng.choice(len(paths), size=min(count, len(paths)), replace=False)
    same = sum(abs(milp_hours(engine, int(i)) - paths[int(i)].hours) < 1e-6 for i in sample)
    return round(same / max(len(sample), 1), 4), int(len(sample))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--officials", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--naive-sample", type=int, default=2000,
                        help="officials solved one by one for the naive figure")
    parser.add_argument("--verify", type=int, default=1000,
                        help="officials whose path hours HiGHS checks")
    args = parser.parse_args()
    url = f"sqlite:///{tempfile.mkdtemp()}/bench.db"

    import recommender
    from tests.conftest import reset_schema
    from trainer import create_app
    from trainer.core.extensions import db
    reset_schema(url)
    app = create_app({"ENV": "test", "SQLALCHEMY_DATABASE_URI": url, "PASSWORD_HASH_FAST": True})
    with app.app_context():
        from courses import load_catalog
        from trainer.catalog.operations import sync_catalog
        from trainer.demo.generate import generate_demo
        from trainer.guidance.operations import _engine_args, load_catalogue, load_population

        sync_catalog(load_catalog())
        generate_demo(args.officials, 2026)
        db.session.commit()
        cat = load_catalogue()
        pop = load_population(cat)
        engine = _engine_args(cat, pop)

    exact_t, paths = timed(lambda: recommender.learning_paths(**engine), args.repeat)
    sample = min(args.naive_sample, len(paths))

    def one_by_one():
        rows = {k: v for k, v in engine.items() if k in ("required", "current", "weight",
                                                          "blocked", "satisfied")}
        fixed = {k: v for k, v in engine.items() if k not in rows}
        return [recommender.learning_paths(**{k: v[i:i + 1] for k, v in rows.items()}, **fixed)[0]
                for i in range(sample)]

    naive_t, naive = timed(one_by_one, 1)
    assert naive == paths[:sample], "sharing a solve changed a path"
    gap = engine["required"] > engine["current"]
    keys = np.concatenate([np.where(gap, engine["required"], 0).astype(np.int8).view(np.uint8),
                           np.where(gap, engine["current"], 0).astype(np.int8).view(np.uint8),
                           np.packbits(engine["blocked"], axis=1),
                           np.packbits(engine["satisfied"], axis=1)], axis=1)
    figures = {
        "officials": len(paths),
        "courses": len(cat.course_ids),
        "competencies": len(cat.competency_ids),
        "distinct_problems": int(len(np.unique(keys, axis=0))),
        "exact_paths_all_officials": exact_t,
        "naive_one_solve_per_official": dict(naive_t, officials=sample,
                                             per_official_ms=round(
                                                 1000 * naive_t["min_s"] / max(sample, 1), 3)),
        "mean_path_courses": round(sum(len(p.courses) for p in paths) / len(paths), 2),
        "mean_path_hours": round(sum(p.hours for p in paths) / len(paths), 1),
        "share_confirmed_optimal_by_highs": dict(zip(("share", "officials"),
                                                     verify(engine, paths, args.verify))),
    }
    print(json.dumps(figures, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
