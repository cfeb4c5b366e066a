"""Scheduled work that must not run twice at once (`notices remind`, `notices send`, and any
later job), wherever the timers fire: two overlapping runs — a slow run and the next tick, or the
same timer on two machines — would remind or mail twice.

`job_lock(name)` holds a lock for the job while it runs: a PostgreSQL advisory lock (held by a
connection of its own, released by the server if the process dies), or, on SQLite (one machine),
an exclusive file lock next to the database in the instance folder. A run that finds the lock
taken does nothing and says so."""
from __future__ import annotations

import fcntl
import hashlib
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from trainer.core.extensions import db


def _lock_id(name: str) -> int:
    """A stable signed 64-bit key for pg_try_advisory_lock."""
    return int.from_bytes(hashlib.sha256(f"trainer-job:{name}".encode()).digest()[:8], "big",
                          signed=True)


@contextmanager
def job_lock(name: str):
    """Yields True when this run holds the lock (do the work), False when another run does."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as conn:
            got = conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"),
                               {"k": _lock_id(name)}).scalar()
            try:
                yield bool(got)
            finally:
                if got:
                    conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": _lock_id(name)})
                conn.rollback()
        return
    database = db.engine.url.database
    if database and database != ":memory:":
        path = Path(database).with_name(f"{Path(database).name}.job-{name}.lock")
    else:
        path = Path(current_app.instance_path) / f"job-{name}.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
