"""The all-targets Excel export (issue 11 §5) at 10,000 officials: built directly by a function
call in this process (what the request used to do, keeping the browser waiting), then through the
queue — the enqueue request, a real `trainer worker` in its own process, the status polled as the
job page does, the download. Prints one JSON object: the enqueue request's time (what the user
waits for before seeing the progress bar), the time until the file is downloaded, and the
direct build's time on the same machine in the same run.
Usage:
    .venv/bin/python benchmarks/bench_jobs.py [--officials 10000] [--database URL] [--reuse]
With PostgreSQL, give a database of the benchmark's own (`--database
postgresql+psycopg://postgres@127.0.0.1:5432/bench_jobs`); by default a SQLite file in a
temporary folder. `--reuse` keeps a database built by an earlier run."""
from __future__ import annotations

import argparse
import io
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
KEY = "bench-0123456789abcdef0123456789abcdef0123456789"
REDIS = "redis://127.0.0.1:6379/5"


def direct(app, user_id: int) -> tuple[float, int]:
    """The export as the request used to build it: facts, every target, the workbook."""
    from trainer.auth.models import User
    from trainer.core.exports import xlsx_bytes
    from trainer.core.extensions import db
    from trainer.learning.access import officials_filter
    from trainer.org.queries import visible_unit_ids
    from trainer.targets import operations as ops
    with app.app_context():
        user = db.session.get(User, user_id)
        started = time.perf_counter()
        facts = ops.facts_for(officials_filter(user), unit_ids=visible_unit_ids(user))
        outlooks = [ops.outlook_of(ops.progress_of(t, facts), facts) for t in ops.list_targets()]
        data = xlsx_bytes(ops.report_sheets(outlooks, facts), title="Báo cáo", unit="Tỉnh")
        return time.perf_counter() - started, len(data)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--officials", type=int, default=10_000)
    parser.add_argument("--database", default="")
    parser.add_argument("--reuse", action="store_true")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-jobs-"))
    url = args.database or f"sqlite:///{folder / 'bench.db'}"
    prefix = f"bench-jobs-{os.getpid()}"
    figures: dict = {"officials": args.officials, "database": url.split(":")[0]}
    if not args.reuse:
        from bench_serve import build
        started = time.perf_counter()
        build(url, args.officials)
        figures["build_s"] = round(time.perf_counter() - started, 1)

    from trainer import create_app
    from trainer.auth.models import User
    from trainer.core.extensions import db
    import sqlalchemy as sa
    import openpyxl
    app = create_app({"ENV": "test", "SQLALCHEMY_DATABASE_URI": url, "PASSWORD_HASH_FAST": True,
                      "SECRET_KEY": KEY, "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False,
                      "REDIS_URL": REDIS, "REDIS_PREFIX": prefix, "LOG_LEVEL": "WARNING"})
    with app.app_context():
        user_id = db.session.scalar(sa.select(User.id).where(User.username == "hr.tinh"))
    seconds, size = direct(app, user_id)
    figures["direct_s"] = round(seconds, 2)
    figures["direct_bytes"] = size

    env = dict(os.environ, TRAINER_ENV="test", TRAINER_SECRET_KEY=KEY, TRAINER_DATABASE_URL=url,
               TRAINER_REDIS_URL=REDIS, TRAINER_REDIS_PREFIX=prefix, TRAINER_LOG_LEVEL="WARNING")
    worker = subprocess.Popen([str(ROOT / ".venv" / "bin" / "trainer"), "worker"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    try:
        client = app.test_client()
        assert client.post("/dang-nhap", data={"username": "hr.tinh", "password": "demo1234"}
                           ).status_code == 302
        deadline = time.monotonic() + 60
        while True:  # the worker is up (registered on the queue) before the clock starts
            with app.app_context():
                from trainer.jobs.operations import worker_running
                if worker_running():
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("the worker did not start")
            time.sleep(0.2)
        started = time.perf_counter()
        answer = client.post("/viec/", data={"viec": "targets.report", "tham-so": ""})
        figures["enqueue_request_s"] = round(time.perf_counter() - started, 3)
        job_url = answer.headers["Location"]
        polls = 0
        while True:
            status = client.get(job_url + "/trang-thai").get_json()
            polls += 1
            if status["finished"]:
                break
            time.sleep(0.25)
        assert status["state"] == "done", status
        download = client.get(status["download"])
        figures["until_downloaded_s"] = round(time.perf_counter() - started, 2)
        figures["download_bytes"] = len(download.data)
        figures["status_polls"] = polls
        book = openpyxl.load_workbook(io.BytesIO(download.data), read_only=True)
        figures["sheets"] = book.sheetnames
        with app.app_context():
            from rq.job import Job
            from rq.serializers import JSONSerializer
            from trainer.core.store import redis_client
            job = Job.fetch(job_url.rsplit("/", 1)[1], connection=redis_client(),
                            serializer=JSONSerializer)
            figures["worker_steps"] = [[p, step, t] for p, step, t in job.meta["log"]
                                       if p in (5, 15, 80, 85, 100)]
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(60)
        import redis
        r = redis.Redis.from_url(REDIS)
        keys = list(r.scan_iter(f"*{prefix}*"))
        if keys:
            r.delete(*keys)
    print(json.dumps(figures, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
