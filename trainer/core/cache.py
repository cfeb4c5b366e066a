"""Computed results kept across requests and processes, never stale.

Every cached value is keyed on the **data version**: a counter in Redis that every committed
write advances, right after its commit. A value computed before a write is therefore never
served after it: the write's commit moves the version, and the next reader computes afresh.
(A reader between the commit and the increment computes from the new data under the old
version: still correct.) Writes to bookkeeping tables that no computed figure reads — the
audit log, sessions, credentials' last use, notices, the outbox, import batches — do not move
it, so reading pages (which write audit rows) keeps the cache. A value missing from the cache
is computed once: other processes asking for it meanwhile wait for it (a Redis lock).

Without Redis (one development process) nothing is kept between requests; within a request
(or a command's app context) values are kept in memory under this process's own count of its
writes."""
from __future__ import annotations

import pickle

import sqlalchemy as sa
from flask import Flask, current_app, g, has_app_context
from redis.exceptions import LockError

from trainer.core.store import redis_client

BOOKKEEPING = frozenset({"audit_events", "user_sessions", "api_credentials", "outbox_emails",
                         "notifications", "import_batches"})
TTL_SECONDS = 3600
COMPUTE_WAIT_SECONDS = 30
_CHANGED = "trainer_data_changed"
_writes_here = 0  # this process's committed writes: the version without Redis, and a guard
_session = None  # the app's (scoped) session, set by init_app


def _key(*parts) -> str:
    return ":".join([current_app.config["REDIS_PREFIX"], *map(str, parts)])


def data_version() -> tuple[int, int]:
    client = redis_client() if has_app_context() else None
    shared = int(client.get(_key("data-version")) or 0) if client is not None else 0
    return shared, _writes_here


def advance() -> None:
    """The data changed (after a commit that wrote something a figure reads)."""
    global _writes_here
    _writes_here += 1
    client = redis_client()
    if client is not None:
        client.incr(_key("data-version"))


def cached(name: str, key, compute):
    """`compute()`, or its value kept under (name, key, data version). Within one request the
    value is kept in memory too (also without Redis). In a transaction that has written
    something a figure reads and not yet committed, `compute()` alone: a value computed from
    uncommitted rows is never kept (the transaction may roll back; the version has not moved),
    and a value kept earlier would not see this transaction's own writes."""
    if has_app_context() and _session is not None and _uncommitted_writes(_session()):
        return compute()
    version = data_version()
    local = g.setdefault("_cached", {}) if has_app_context() else {}
    full = (name, str(key), version)
    if full in local:
        return local[full]
    client = redis_client() if has_app_context() else None
    if client is None:
        local[full] = compute()
        return local[full]
    redis_key = _key("cache", name, key, version[0])
    raw = client.get(redis_key)
    if raw is None:
        # One computes, the others wait for its value (the first views after a write, from
        # several HR users at once); after COMPUTE_WAIT_SECONDS a waiter computes too.
        lock = client.lock(redis_key + ":computing", timeout=COMPUTE_WAIT_SECONDS * 2,
                           blocking_timeout=COMPUTE_WAIT_SECONDS, sleep=0.05)
        held = lock.acquire()
        try:
            raw = client.get(redis_key)  # computed while this one waited
            if raw is None:
                value = compute()
                client.set(redis_key, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL),
                           ex=TTL_SECONDS)
                local[full] = value
                return value
        finally:
            if held:
                try:
                    lock.release()
                except LockError:  # held past its timeout: another may compute now
                    pass
    local[full] = pickle.loads(raw)
    return local[full]


def _tables_of(objects) -> set[str]:
    return {getattr(o, "__tablename__", "") for o in objects}


def _uncommitted_writes(s) -> bool:
    """The transaction wrote, or is about to flush, a table a figure reads."""
    return bool(s.info.get(_CHANGED) or _tables_of([*s.new, *s.dirty, *s.deleted]) - BOOKKEEPING)


def _committed(s) -> None:
    if s.info.pop(_CHANGED, False):
        advance()


def init_app(app: Flask, session) -> None:
    """Watch the app's session: a flush or statement that changes a table a figure reads marks
    the transaction; its commit advances the data version."""

    global _session
    _session = session
    if sa.event.contains(session, "after_commit", _committed):
        return  # one session for every app of the process: watched once

    @sa.event.listens_for(session, "after_flush")
    def _flushed(s, _context):
        if _tables_of([*s.new, *s.dirty, *s.deleted]) - BOOKKEEPING:
            s.info[_CHANGED] = True

    @sa.event.listens_for(session, "do_orm_execute")
    def _executed(state):
        if state.is_insert or state.is_update or state.is_delete:
            table = getattr(state.statement, "table", None)
            if table is None or table.name not in BOOKKEEPING:
                state.session.info[_CHANGED] = True

    sa.event.listen(session, "after_commit", _committed)

    @sa.event.listens_for(session, "after_rollback")
    def _rolled_back(s):
        s.info.pop(_CHANGED, None)
