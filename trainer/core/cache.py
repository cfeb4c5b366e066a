"""Computed results kept across requests and processes, never stale.

Every cached value is keyed on the **data version**: a counter in Redis that every committed
write advances, right after its commit. A value computed before a write is therefore never
served after it: the write's commit moves the version, and the next reader computes afresh.
(A reader between the commit and the increment computes from the new data under the old
version: still correct.) Writes to bookkeeping tables that no computed figure reads — the
audit log, sessions, credentials' last use, notices, the outbox, import batches — do not move
it, so reading pages (which write audit rows) keeps the cache. A value missing from the cache
is computed once: other processes asking for it meanwhile wait for it (a Redis lock).

**Parts.** Officials fall in parts of PART_SIZE consecutive ids. A write is also told apart by
what it touched: rows of some officials (an official, or a row carrying `official_id`: an
assessment, a rating, an enrollment…) advance those officials' parts' versions; any other write
(a unit, a course, a cohort, a target, a setting, a statement outside the ORM) advances the
**structure** version, which every part's version includes. A figure that is a sum over
officials (the target dashboard) keeps each part's share under `part_versions()` and, after a
write, recomputes only the parts the write touched.

Without Redis (one development process) nothing is kept between requests; within a request
(or a command's app context) values are kept in memory under this process's own count of its
writes."""
from __future__ import annotations

import pickle

import sqlalchemy as sa
from flask import Flask, current_app, g, has_app_context
from redis.exceptions import LockError

from trainer.core.store import redis_client

# Tables no cached figure reads (a table joins only when that holds: check every `cached(` of
# the areas): the bookkeeping, the review cycle's own working rows — a draft
# self-assessment, a mentoring session, a learner's answer, a quota — whose pages read them
# directly, and the LRS's — statements, their keys, documents, attachments, the review queue.
# What the cycle settles is written as assessments, and what a statement records as an
# enrollment and its evidence: they move their officials' parts.
BOOKKEEPING = frozenset({"audit_events", "user_sessions", "api_credentials", "outbox_emails",
                         "notifications", "import_batches",
                         "review_campaigns", "campaign_reviews", "campaign_levels",
                         "mentorships", "mentoring_sessions", "course_feedback",
                         "cohort_lecturers", "position_quotas",
                         "xapi_statements", "xapi_statement_keys", "xapi_activities",
                         "xapi_documents", "xapi_attachments", "review_items"})
# Training plans are read by the plan figures alone (DL-b: facts.plan_approvals, the dashboard's
# unit figures), never inside an official's part: their writes advance the plans version
# (plans_version), not the structure, so an approval keeps every cached part.
PLAN_TABLES = frozenset({"training_plans", "training_plan_items"})
TTL_SECONDS = 3600
COMPUTE_WAIT_SECONDS = 30
PART_SIZE = 2048
_CHANGED = "trainer_data_changed"  # session.info: the parts a transaction wrote, or EVERYTHING
EVERYTHING = -1
PLANS = -2  # the "part" of a plans write (PLAN_TABLES)
_writes_here = 0  # this process's committed writes: the version without Redis, and a guard
_session = None  # the app's (scoped) session, set by init_app


def _key(*parts) -> str:
    return ":".join([current_app.config["REDIS_PREFIX"], *map(str, parts)])


def data_version() -> tuple[int, int]:
    client = redis_client() if has_app_context() else None
    shared = int(client.get(_key("data-version")) or 0) if client is not None else 0
    return shared, _writes_here


def advance(parts=None) -> None:
    """The data changed (after a commit that wrote something a figure reads): the rows of the
    officials of `parts` only (part numbers), or anything (None)."""
    global _writes_here
    _writes_here += 1
    client = redis_client()
    if client is not None:
        pipe = client.pipeline(transaction=False)
        pipe.incr(_key("data-version"))
        if parts is None or EVERYTHING in parts:
            pipe.incr(_key("structure-version"))
        else:  # some officials' rows (none: a user account's, say), or the plans
            for k in parts:
                if k == PLANS:
                    pipe.incr(_key("plans-version"))
                else:
                    pipe.hincrby(_key("part-versions"), str(k), 1)
        pipe.execute()


def part_of(official_id: int) -> int:
    return int(official_id) // PART_SIZE


def part_versions(parts) -> dict[int, tuple[str, int]]:
    """Each part's version, shaped as `data_version()`: (the structure version and the part's
    own, shared through Redis; this process's count of its writes)."""
    parts = list(parts)
    client = redis_client() if has_app_context() else None
    if client is None or not parts:
        return {k: ("0.0", _writes_here) for k in parts}
    structure = int(client.get(_key("structure-version")) or 0)
    own = client.hmget(_key("part-versions"), [str(k) for k in parts])
    return {k: (f"{structure}.{int(v or 0)}", _writes_here) for k, v in zip(parts, own)}


def _keepable() -> bool:
    """No uncommitted write a figure reads in this transaction (else nothing is read or kept)."""
    return not (has_app_context() and _session is not None and _uncommitted_writes(_session()))


def _local() -> dict:
    return g.setdefault("_cached", {}) if has_app_context() else {}


def _dumps(value) -> bytes:
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def structure_version() -> tuple[str, int]:
    """The version of everything but the officials' rows, shaped as `data_version()`."""
    client = redis_client() if has_app_context() else None
    shared = int(client.get(_key("structure-version")) or 0) if client is not None else 0
    return f"s{shared}", _writes_here


def plans_version() -> tuple[str, int]:
    """The version of everything but the officials' rows, training plans included."""
    client = redis_client() if has_app_context() else None
    if client is None:
        return "s0.p0", _writes_here
    structure, plans = client.mget([_key("structure-version"), _key("plans-version")])
    return f"s{int(structure or 0)}.p{int(plans or 0)}", _writes_here


def cached(name: str, key, compute, version: tuple | None = None):
    """`compute()`, or its value kept under (name, key, version: the data version unless given,
    e.g. a `part_versions` entry). Within one request the value is kept in memory too (also
    without Redis). In a transaction that has written something a figure reads and not yet
    committed, `compute()` alone: a value computed from uncommitted rows is never kept (the
    transaction may roll back; the version has not moved), and a value kept earlier would not
    see this transaction's own writes."""
    if not _keepable():
        return compute()
    version = data_version() if version is None else version
    local = _local()
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
                client.set(redis_key, _dumps(value), ex=TTL_SECONDS)
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


def cached_many(name: str, entries: dict, compute_missing) -> dict:
    """`cached` for many values at once: `entries` maps an id to its (key, version); the values
    missing are computed together, `compute_missing(ids) -> {id: value}`, and kept. One read
    and one write to Redis. No lock: a caller that many may ask at once holds one (the
    dashboard's `cached`)."""
    if not _keepable():
        return compute_missing(list(entries))
    local = _local()
    full = {i: (name, str(key), version) for i, (key, version) in entries.items()}
    out = {i: local[f] for i, f in full.items() if f in local}
    client = redis_client() if has_app_context() else None
    ask = [i for i in entries if i not in out]
    if client is not None and ask:
        keys = [_key("cache", name, entries[i][0], entries[i][1][0]) for i in ask]
        for i, raw in zip(ask, client.mget(keys)):
            if raw is not None:
                out[i] = local[full[i]] = pickle.loads(raw)
    missing = [i for i in entries if i not in out]
    if missing:
        made = compute_missing(missing)
        if client is not None:
            pipe = client.pipeline(transaction=False)
            for i in missing:
                pipe.set(_key("cache", name, entries[i][0], entries[i][1][0]), _dumps(made[i]),
                         ex=TTL_SECONDS)
            pipe.execute()
        for i in missing:
            out[i] = local[full[i]] = made[i]
    return {i: out[i] for i in entries}


def _tables_of(objects) -> set[str]:
    return {getattr(o, "__tablename__", "") for o in objects}


def _parts_of(obj) -> set[int]:
    """The parts of the officials whose rows `obj` is (an official, or a row with `official_id`:
    its value now and before this flush; none when empty, as a user without an official),
    {PLANS} for a training plan, or {EVERYTHING}. Read in after_flush, where attribute
    histories still hold the flush's changes."""
    table = obj.__table__
    if table.name in PLAN_TABLES:
        return {PLANS}
    column = "id" if table.name == "officials" else \
        "official_id" if "official_id" in table.c else None
    if column is None:
        return {EVERYTHING}
    values = [getattr(obj, column), *sa.inspect(obj).attrs[column].history.deleted]
    return {part_of(v) for v in values if v is not None}


def mark_written(s, parts=(EVERYTHING,)) -> None:
    """The transaction of session `s` wrote rows of these parts' officials (default: anything):
    for writes the session does not see (Core statements on its connection)."""
    s.info.setdefault(_CHANGED, set()).update(parts)


def _uncommitted_writes(s) -> bool:
    """The transaction wrote, or is about to flush, a table a figure reads."""
    return _CHANGED in s.info or bool(_tables_of([*s.new, *s.dirty, *s.deleted]) - BOOKKEEPING)


def _committed(s) -> None:
    parts = s.info.pop(_CHANGED, None)
    if parts is not None:
        advance(parts)


def init_app(app: Flask, session) -> None:
    """Watch the app's session: a flush or statement that changes a table a figure reads marks
    the transaction with the parts it touched; its commit advances the data version (and those
    parts')."""

    global _session
    _session = session
    if sa.event.contains(session, "after_commit", _committed):
        return  # one session for every app of the process: watched once

    @sa.event.listens_for(session, "after_flush")
    def _flushed(s, _context):
        for obj in [*s.new, *s.dirty, *s.deleted]:
            if getattr(obj, "__tablename__", "") not in BOOKKEEPING:
                mark_written(s, _parts_of(obj))

    @sa.event.listens_for(session, "do_orm_execute")
    def _executed(state):
        if state.is_insert or state.is_update or state.is_delete:
            table = getattr(state.statement, "table", None)
            if table is None or table.name not in BOOKKEEPING:
                mark_written(state.session)

    sa.event.listen(session, "after_commit", _committed)

    @sa.event.listens_for(session, "after_rollback")
    def _rolled_back(s):
        s.info.pop(_CHANGED, None)
