"""The xAPI statements resource at scale (issue 14): (a) a batch of 1,000 statements stored in
≤ 1 s — POST /xapi/statements with a list of 1,000, its wall time over every batch of the load;
(b) with 100,000 statements of one provider (BDHVS) stored, plus 10,000 of another (PTIT) over
the same learners, GET /xapi/statements by `agent`, by `activity`, with `related_agents=true`,
`related_activities=true` and by `registration`: p50 / p95 of ≥ 200 requests each, each with
another agent, activity or registration (a filter the checkout refuses is reported unsupported).
In the same run, as the yardstick of a shared and noisy machine: GET /xapi/about on the same app
(no database work) — the figures to compare are the ratios to it.

Requests go through Flask's test client (the WSGI app, its views, the database; no socket) to
the app as in production (TRAINER_ENV production, Redis for the data version) but with no rate
limit. The statements look like a learning platform's: 2,000 learners (mbox; 70 % are the
e-mails of the demo province's officials, the others match no one), 300 activities (30 courses
of 10 lessons; the final tests of four courses are mapped to BDHVS's four courses, so that some
completions are recorded, the others wait in the review queue), verbs completed / passed /
experienced / attempted, results with scores and durations, a context with the registration of
the learner's attempt at the course, contextActivities parent (the course) and grouping (the
programme), an instructor in one statement of five. They are loaded by POSTs of 1,000, which
measure (a); when the first five project a load longer than --http-budget seconds, the rest goes
through trainer.xapi.operations.store_statements inside an app context (one commit a batch), and
the output says so ("load": "http+direct").

Each database is built, loaded and queried in child processes of their own (the parent only
prints), so no step runs with another's heap. PostgreSQL: a database of the run's own,
bench_xapi_<pid>, created on the server of --pg-server and dropped at the end. SQLite: a
temporary file. Prints one JSON object (with --json on one line): per database, post_1000
(p50 / p95 / max ms of the batches, how many within 1 s, SQL statements per statement, each
batch's ms) and get (about, then each filter: p50 / p95 / max ms, rows returned, the ratio of
its p50 to about's).
Usage: .venv/bin/python benchmarks/bench_xapi.py [--databases postgresql,sqlite]
       [--statements 100000] [--other 10000] [--requests 200] [--officials 2000]
       [--pg-server URL] [--http-budget 300] [--profile] [--json]
--profile: cProfile of the last batch of the load and the SQL statements it ran, on stderr."""
from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from base64 import b64encode
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta, timezone
from multiprocessing import get_context
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
KEY = "bench-0123456789abcdef0123456789abcdef0123456789"
SEED = 2026
BATCH = 1000
ADL = "http://adlnet.gov/expapi/verbs/"
VERBS = (("completed", 0.20), ("passed", 0.15), ("experienced", 0.45), ("attempted", 0.20))
SITES = {"BDHVS": "https://binhdanhocvuso.gov.vn", "PTIT": "https://elearning.ptit.edu.vn"}
MAPPED = ("BDHVS-KNS", "BDHVS-VBDT", "BDHVS-NTDC", "BDHVS-AI")  # BDHVS courses 0-3's tests
COURSES, LESSONS, PROGRAMMES, INSTRUCTORS = 30, 10, 5, 40
NAMESPACE = uuid.UUID("6f1c2d0e-5b7a-4c3e-9d8f-0a1b2c3d4e5f")
VN = timezone(timedelta(hours=7))


# ---- the statements ---------------------------------------------------------------------------

def activity_iri(site: str, index: int) -> str:
    course, lesson = divmod(index, LESSONS)
    return f"{site}/khoa-hoc/{course + 1}/bai/{lesson + 1}"


def course_iri(site: str, course: int) -> str:
    return f"{site}/khoa-hoc/{course + 1}"


def registration(provider: str, learner: int, course: int) -> str:
    """The learner's attempt at a course: every statement of it carries the same registration."""
    return str(uuid.uuid5(NAMESPACE, f"{provider}/{learner}/{course}"))


def instructor(k: int) -> dict:
    return {"objectType": "Agent", "name": f"Giảng viên {k + 1}",
            "mbox": f"mailto:giang.vien{k + 1}@laichau.gov.vn"}


def statements(rng: random.Random, provider: str, learners: list[dict], n: int,
               now: datetime):
    """`n` statements of the provider's platform, each a dict as its LMS would send it."""
    site = SITES[provider]
    verbs, weights = zip(*VERBS)
    for _ in range(n):
        who = rng.randrange(len(learners))
        index = rng.randrange(COURSES * LESSONS)
        course, lesson = divmod(index, LESSONS)
        verb = rng.choices(verbs, weights)[0]
        minutes = rng.randint(5, 90)
        stmt = {
            "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "actor": learners[who],
            "verb": {"id": ADL + verb, "display": {"vi-VN": verb}},
            "object": {"objectType": "Activity", "id": activity_iri(site, index), "definition": {
                "name": {"vi-VN": f"Khóa {course + 1} — bài {lesson + 1}"},
                "type": "http://adlnet.gov/expapi/activities/lesson"}},
            "timestamp": (now - timedelta(seconds=rng.randrange(365 * 86400)))
            .astimezone(VN).isoformat(timespec="seconds"),
            "context": {
                "registration": registration(provider, who, course),
                "platform": provider,
                "language": "vi-VN",
                "contextActivities": {
                    "parent": [{"id": course_iri(site, course)}],
                    "grouping": [{"id": f"{site}/chuong-trinh/{course % PROGRAMMES + 1}"}]}}}
        if verb in ("completed", "passed"):
            raw = rng.randint(50, 100)
            stmt["result"] = {"score": {"scaled": raw / 100, "raw": raw, "min": 0, "max": 100},
                              "success": True, "completion": True, "duration": f"PT{minutes}M"}
        elif verb == "attempted":
            stmt["result"] = {"completion": False, "duration": f"PT{minutes}M"}
        if rng.random() < 0.2:
            stmt["context"]["instructor"] = instructor(rng.randrange(INSTRUCTORS))
        yield stmt


def learners_of(rng: random.Random, emails: list[str], n: int) -> list[dict]:
    """`n` learners: 70 % officials' e-mails (matched), the others nobody's."""
    known = rng.sample(emails, min(len(emails), int(0.7 * n)))
    others = [f"hoc.vien{i}@hocvien.example.vn" for i in range(n - len(known))]
    return [{"objectType": "Agent", "name": f"Học viên {i + 1}", "mbox": f"mailto:{email}"}
            for i, email in enumerate(known + others)]


def percentiles(seconds: list[float], digits: int = 1) -> dict:
    ms = sorted(1000 * s for s in seconds)
    return {"n": len(ms), "p50_ms": round(statistics.median(ms), digits),
            "p95_ms": round(ms[int(0.95 * (len(ms) - 1))], digits),
            "max_ms": round(ms[-1], digits)}


# ---- the app ------------------------------------------------------------------------------------

def make_app(url: str):
    from trainer import create_app
    return create_app({
        "ENV": "production", "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": KEY,
        "PASSWORD_HASH_FAST": True, "SESSION_COOKIE_SECURE": False, "RATELIMIT_ENABLED": False,
        "REDIS_URL": os.environ.get("TRAINER_REDIS_URL", "redis://127.0.0.1:6379/0"),
        "REDIS_PREFIX": f"bench-xapi-{os.getpid()}", "LOG_LEVEL": "WARNING"})


def headers(auth: str) -> dict:
    return {"Authorization": f"Basic {auth}", "X-Experience-API-Version": "1.0.3"}


class Queries:
    """Counts the SQL statements the engine runs (cursor executions); while `timing`, the time
    of each, by its text."""

    def __init__(self, engine):
        import sqlalchemy as sa
        self.n, self.timing, self.by_text, self._started = 0, False, {}, 0.0
        sa.event.listen(engine, "before_cursor_execute", self._before)
        sa.event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, *_args):
        self.n += 1
        self._started = time.perf_counter()

    def _after(self, _conn, _cursor, text, *_args):
        if self.timing:
            figures = self.by_text.setdefault(" ".join(text.split())[:150], [0, 0.0])
            figures[0] += 1
            figures[1] += time.perf_counter() - self._started

    def slowest(self, n: int = 15) -> str:
        rows = sorted(self.by_text.items(), key=lambda kv: -kv[1][1])[:n]
        return "SQL of the batch, slowest first: count, total s, text\n" + "\n".join(
            f"{count:6d} {seconds:8.3f}  {text}" for text, (count, seconds) in rows)


# ---- build and load (a child process) -------------------------------------------------------

def setup(officials: int) -> tuple[dict, dict, list[str]]:
    """The catalog, the demo province, a credential for BDHVS and for PTIT, the final tests of
    four courses mapped to BDHVS's courses; committed. Returns the credentials' HTTP Basic
    values and ids, and the officials' e-mails."""
    import sqlalchemy as sa

    from courses import load_catalog
    from trainer.catalog.models import Course
    from trainer.catalog.operations import sync_catalog
    from trainer.core.extensions import db
    from trainer.demo.generate import generate_demo
    from trainer.people.models import Official
    from trainer.targets.operations import seed_presets
    from trainer.xapi import operations as ops
    sync_catalog(load_catalog())
    seed_presets()
    generate_demo(officials, SEED)
    auth, ids = {}, {}
    for code in SITES:
        cred, secret = ops.create_xapi_credential(ops.provider_by_code(code))
        auth[code] = b64encode(f"{cred.key}:{secret}".encode()).decode()
        ids[code] = cred.id
    bdhvs = ops.provider_by_code("BDHVS")
    for course, code in enumerate(MAPPED):
        ops.map_activity(bdhvs, activity_iri(SITES["BDHVS"], course * LESSONS + LESSONS - 1),
                         db.session.scalar(sa.select(Course).where(Course.code == code)))
    emails = sorted(db.session.scalars(sa.select(Official.email)
                                       .where(Official.email.is_not(None))))
    db.session.commit()
    return auth, ids, emails


def batches_of(n: int, other: int) -> list[tuple[str, int]]:
    """(provider, size) of each POST: BDHVS's batches of 1,000, PTIT's spread among them."""
    def sizes(total: int) -> list[int]:
        return [BATCH] * (total // BATCH) + ([total % BATCH] if total % BATCH else [])
    batches = [("BDHVS", size) for size in sizes(n)]
    others = [("PTIT", size) for size in sizes(other)]
    every = max(1, len(batches) // max(1, len(others)))
    for i, item in enumerate(others):
        batches.insert(min(len(batches), (i + 1) * (every + 1) - 1), item)
    return batches


def load(url: str, n: int, other: int, officials: int, budget_s: float, profile: bool) -> dict:
    """Empty the database, set it up, then store the statements by POSTs of 1,000 (the rest
    directly when the first five project more than `budget_s`). Returns the figures of the
    POSTs and what the queries will ask for."""
    import sqlalchemy as sa

    from tests.conftest import reset_schema
    from trainer.auth.models import ApiCredential
    from trainer.catalog.models import Provider
    from trainer.core.extensions import db
    from trainer.serve import settle_memory
    from trainer.xapi import operations as ops
    from trainer.xapi.models import XapiStatement

    started = time.perf_counter()
    reset_schema(url)
    app = make_app(url)
    out: dict = {}
    with app.app_context():
        auth, credential_ids, emails = setup(officials)
        out["build_s"] = round(time.perf_counter() - started, 1)
        learners = learners_of(random.Random(SEED), emails, 2000)
        now = datetime.now(UTC)
        streams = {code: statements(random.Random(f"{SEED}/{code}"), code, learners,
                                    n if code == "BDHVS" else other, now) for code in SITES}
        batches = batches_of(n, other)
        last = max(i for i, (code, _) in enumerate(batches) if code == "BDHVS")
        queries, client = Queries(db.engine), app.test_client()
        profiler = cProfile.Profile() if profile else None
        posts, per_statement, direct, registrations = [], [], 0, set()
        settle_memory()  # as each gunicorn worker does once its app is built (trainer.wsgi)
        began = time.perf_counter()
        for i, (code, size) in enumerate(batches):
            batch = [next(streams[code]) for _ in range(size)]
            if code == "BDHVS":
                registrations.update(s["context"]["registration"] for s in batch)
            profiled = profiler is not None and i == last  # through HTTP in any case
            if not profiled and (direct or (len(posts) == 5 and statistics.mean(posts)
                                            * len(batches) > budget_s)):
                ops.store_statements(batch, db.session.get(ApiCredential, credential_ids[code]))
                db.session.commit()
                db.session.expunge_all()
                direct += 1
                continue
            body = json.dumps(batch).encode()
            before = queries.n
            if profiled:
                profiler.enable()
                queries.timing = True
            t = time.perf_counter()
            answer = client.post("/xapi/statements", data=body, headers=headers(auth[code]),
                                 content_type="application/json")
            seconds = time.perf_counter() - t
            if profiled:
                profiler.disable()
                queries.timing = False
            assert answer.status_code == 200, (answer.status_code, answer.get_data()[:500])
            assert len(answer.get_json()) == size
            if size == BATCH and not profiled:  # cProfile slows the profiled one
                posts.append(seconds)
                per_statement.append((queries.n - before) / size)
        out["load"] = "http+direct" if direct else "http"
        out["load_s"] = round(time.perf_counter() - began, 1)
        out["batches_direct"] = direct
        out["outcomes"] = dict(db.session.execute(sa.select(
            XapiStatement.outcome, sa.func.count()).group_by(XapiStatement.outcome)).all())
        out["stored"] = dict(db.session.execute(sa.select(Provider.code, sa.func.count()).join(
            XapiStatement, XapiStatement.provider_id == Provider.id).group_by(Provider.code))
            .all())
        db.session.remove()
        db.engine.dispose()
    out["post_1000"] = dict(percentiles(posts, 0), first_10_p50_ms=round(
        1000 * statistics.median(posts[:10])), last_10_p50_ms=round(
        1000 * statistics.median(posts[-10:])), within_1s=sum(s <= 1 for s in posts),
        sql_per_statement=round(statistics.median(per_statement), 2),
        each_ms=[round(1000 * s) for s in posts])
    if profiler is not None:
        text = io.StringIO()
        stats = pstats.Stats(profiler, stream=text)
        stats.sort_stats("cumulative").print_stats(35)
        stats.sort_stats("tottime").print_stats(20)
        out["profile"] = text.getvalue() + queries.slowest()
    rng = random.Random(f"{SEED}/queries")
    out["plan"] = {
        "auth": auth["BDHVS"],
        "agents": rng.sample(learners, len(learners)),
        "instructors": [instructor(k) for k in range(INSTRUCTORS)],
        "activities": rng.sample([activity_iri(SITES["BDHVS"], i)
                                  for i in range(COURSES * LESSONS)], COURSES * LESSONS),
        "courses": [course_iri(SITES["BDHVS"], c) for c in range(COURSES)],
        "registrations": rng.sample(sorted(registrations), min(len(registrations), 5000))}
    return out


# ---- the queries (a child process) ----------------------------------------------------------

def query(url: str, plan: dict, requests: int) -> dict:
    """p50 / p95 of `requests` GETs of each filter, each with other parameters, and of
    GET /xapi/about, on the same app."""
    from trainer.serve import settle_memory
    app = make_app(url)
    settle_memory()  # as each gunicorn worker does (trainer.wsgi)
    client = app.test_client()
    auth = headers(plan["auth"])
    agents, n = plan["agents"], requests

    def cycle(items: list) -> list:
        return [items[i % len(items)] for i in range(n)]

    cases = {
        "agent": [{"agent": json.dumps(a)} for a in cycle(agents)],
        "activity": [{"activity": a} for a in cycle(plan["activities"])],
        "related_agents": [{"agent": json.dumps(a), "related_agents": "true"}
                           for a in cycle(agents[::-1])],
        "related_agents_instructor": [{"agent": json.dumps(a), "related_agents": "true"}
                                      for a in cycle(plan["instructors"])],
        "related_activities": [{"activity": a, "related_activities": "true"}
                               for a in cycle(plan["courses"])],
        "registration": [{"registration": r} for r in cycle(plan["registrations"])],
        "unfiltered": [{} for _ in range(n)],
    }
    result, timings = {}, {"about": []}
    for name, params in cases.items():  # also warms: imports, compiled queries, caches
        answer = client.get("/xapi/statements", query_string=params[0], headers=auth)
        if answer.status_code == 200:
            timings[name] = []
        else:
            result[name] = {"supported": False, "status": answer.status_code,
                            "message": (answer.get_json() or {}).get("message", "")[:200]}
    for _ in range(20):
        assert client.get("/xapi/about").status_code == 200
    rows = {name: [] for name in timings}
    for j in range(n):  # round-robin: the machine's noise and the caches' warmth alike for all
        for _ in range(5):
            t = time.perf_counter()
            answer = client.get("/xapi/about")
            timings["about"].append(time.perf_counter() - t)
            assert answer.status_code == 200
        for name in timings.keys() - {"about"}:
            t = time.perf_counter()
            answer = client.get("/xapi/statements", query_string=cases[name][j], headers=auth)
            timings[name].append(time.perf_counter() - t)
            assert answer.status_code == 200, (name, cases[name][j], answer.get_data()[:300])
            body = answer.get_json()
            rows[name].append((len(body["statements"]), bool(body["more"])))
    result["about"] = percentiles(timings["about"], 2)
    for name in cases:
        if name in timings:
            result[name] = dict(percentiles(timings[name]), distinct=len(
                {json.dumps(p, sort_keys=True) for p in cases[name]}),
                rows_p50=statistics.median(r for r, _ in rows[name]),
                with_more=sum(m for _, m in rows[name]))
            result[name]["p50_over_about_p50"] = round(result[name]["p50_ms"] /
                                                       result["about"]["p50_ms"], 1)
    return result


# ---- the run ----------------------------------------------------------------------------------

def in_child(fn, *args):
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
        return pool.submit(fn, *args).result()


def run(url: str, args) -> dict:
    loaded = in_child(load, url, args.statements, args.other, args.officials, args.http_budget,
                      args.profile)
    plan = loaded.pop("plan")
    if "profile" in loaded:
        print(loaded.pop("profile"), file=sys.stderr)
    figures = {"database": url.split(":")[0].split("+")[0], **loaded}
    figures["get"] = in_child(query, url, plan, args.requests)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--databases", default="postgresql",
                        help="comma-separated: postgresql, sqlite")
    parser.add_argument("--statements", type=int, default=100_000, help="BDHVS's statements")
    parser.add_argument("--other", type=int, default=10_000, help="PTIT's statements")
    parser.add_argument("--requests", type=int, default=200, help="GETs of each filter")
    parser.add_argument("--officials", type=int, default=2000, help="the demo province's size")
    parser.add_argument("--pg-server", default="postgresql+psycopg://postgres@127.0.0.1:5432/"
                        "postgres", help="where the run's own database is created")
    parser.add_argument("--http-budget", type=float, default=300,
                        help="seconds the HTTP load may take before the rest goes direct")
    parser.add_argument("--profile", action="store_true",
                        help="cProfile of the last batch of the load, on stderr")
    parser.add_argument("--json", action="store_true", help="one line of JSON")
    args = parser.parse_args()
    result = {"statements": args.statements, "other_provider": args.other,
              "requests": args.requests, "batch": BATCH, "cpus": os.cpu_count(), "runs": []}
    for name in args.databases.split(","):
        if name == "sqlite":
            folder = Path(tempfile.mkdtemp(prefix="bench-xapi-"))
            try:
                result["runs"].append(run(f"sqlite:///{folder / 'bench.db'}", args))
            finally:
                shutil.rmtree(folder, ignore_errors=True)
        elif name == "postgresql":
            result["runs"].append(on_postgresql(args))
        else:
            parser.error(f"unknown database {name!r}")
    print(json.dumps(result) if args.json else json.dumps(result, indent=1))


def on_postgresql(args) -> dict:
    """The run on a database of its own, bench_xapi_<pid>, dropped at the end."""
    import sqlalchemy as sa
    server = sa.make_url(args.pg_server)
    name = f"bench_xapi_{os.getpid()}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        return run(server.set(database=name).render_as_string(hide_password=False), args)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
