"""xAPI 1.0.3 statements: validation, storage, and what a completion does (issue 5).

A provider (an e-learning platform or a school's LMS) sends statements with its own credential.
Every valid statement is stored as received (`XapiStatement.raw`, never changed afterwards) and
then processed:

* not a completion (any verb but completed/passed, without `result.completion: true`; `failed`,
  or a completion with `result.success: false`) → outcome `ignored`: kept, nothing recorded;
* a completion of an activity the provider has not mapped to one of its courses → `queued`: a
  ReviewItem (reason "hoạt động chưa được ánh xạ") waits for HR;
* a completion whose actor matches no official, or several → `queued` with the candidates;
* a completion the course rules refuse (e.g. a score under the pass mark) → `queued`, the reason
  being the rule's message;
* otherwise → `applied`: the result is recorded with `learning.operations.record_result`, so the
  course evidence and the qualification follow exactly as for a school's result. An official
  without an enrollment in the course gets a self-paced one (no cohort, source "xapi"); a
  completion still valid makes the statement a duplicate (`ignored`).

HR resolves a queued statement with `apply_review_match(review_item, official)`.

Voiding (xAPI 1.0.3 Data 2.3.2): a statement with the verb `voided` and a StatementRef object
voids one of the same provider's statements, stored before or after it. The voided statement is
kept but no longer returned, except by `voidedStatementId`, and does nothing from then on: if it
was waiting in the review queue, its item is closed (rejected, "nền tảng đã hủy"); a completion it
already recorded stays — a recorded result is corrected by the school or HR, never by a platform
alone. A voiding statement cannot itself be voided (400).
Functions here flush, never commit: the caller (view, CLI) commits once.
"""
from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from trainer.auth.models import ApiCredential
from trainer.auth.tokens import issue_credential
from trainer.catalog.models import Course, Provider
from trainer.core.errors import DomainError
from trainer.core.extensions import db
from trainer.core.timeutil import aware, local_date, today, utcnow
from trainer.interchange.models import ReviewItem
from trainer.interchange.operations import REVIEW_MATCHERS
from trainer.learning.models import ACTIVE_STATUSES, SEAT_STATUSES, Enrollment
from trainer.learning.operations import completion_expired, lock_row, record_result
from trainer.people.models import Official
from trainer.xapi import formats
from trainer.xapi import keys as K
from trainer.xapi.keys import IFI_KEYS, actor_key
from trainer.xapi.models import (ActivityMapping, XapiActivity, XapiStatement,
                                 XapiStatementKey)
from trainer.xapi.validation import (is_iri, is_valid_statement, parse_timestamp,
                                     validate_statement)
from trainer.xapi.validation import is_uuid  # noqa: F401  (ops.is_uuid for the views)

VERB_COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
VERB_PASSED = "http://adlnet.gov/expapi/verbs/passed"
VERB_FAILED = "http://adlnet.gov/expapi/verbs/failed"
VERB_VOIDED = "http://adlnet.gov/expapi/verbs/voided"

REASON_UNMAPPED = "hoạt động chưa được ánh xạ"
REASON_NO_MATCH = "không tìm thấy cán bộ khớp với người học"
REASON_SEVERAL = "nhiều cán bộ khớp với người học"

MAX_BATCH = 1000

# Properties the LRS sets or may set: ignored when comparing a re-sent statement with the stored
# one (xAPI 1.0.3 Data 2.3.1, statement immutability and its exceptions).
LRS_SET = ("authority", "stored", "version")
# A request's invalid statements explained one by one, at most this many (explaining one costs
# about 1.5 ms: validation.py); the others are counted.
MAX_EXPLAINED = 20


class StatementError(Exception):
    """A request the LRS refuses: `status` (400, 404, 409) and one message per problem."""

    def __init__(self, status: int, errors: list[str]):
        self.status = status
        self.errors = errors
        super().__init__(" ".join(errors))


# --- identities ------------------------------------------------------------------------------

def actor_identifiers(agent: dict) -> dict:
    """What the actor says about itself, as stored on a ReviewItem."""
    out = {k: agent[k] for k in IFI_KEYS if k in agent}
    if "mbox" in out:
        out["email"] = out["mbox"][len("mailto:"):]
    if "account" in out:
        out["account_name"] = out["account"].get("name", "")
    if agent.get("name"):
        out["name"] = agent["name"]
    return out


def officials_for(agents: list[dict]) -> dict[str, list[Official]]:
    """The officials each actor may be (by keys.actor_key), in one query per kind of
    identifier whatever the number of actors: mbox → e-mail (case-insensitive); mbox_sha1sum →
    the SHA-1 of "mailto:" + e-mail; account.name → personal identification number or official
    code. openid and Groups match no one. Never guessed: the caller applies only a single
    match."""
    found: dict[str, list[Official]] = {}
    people = [a for a in agents if a.get("objectType") != "Group" and actor_key(a)]
    emails = {a["mbox"][len("mailto:"):].strip().lower(): actor_key(a)
              for a in people if "mbox" in a}
    names = {str(a["account"].get("name", "")).strip(): actor_key(a)
             for a in people if "account" in a}
    names.pop("", None)
    sums = {a["mbox_sha1sum"].lower(): actor_key(a) for a in people if "mbox_sha1sum" in a}
    for key in {actor_key(a) for a in people}:
        found[key] = []
    if emails:
        for official in db.session.scalars(sa.select(Official).where(
                sa.func.lower(Official.email).in_(list(emails))).order_by(Official.id)):
            found[emails[official.email.strip().lower()]].append(official)
    if names:
        uppers = {n.upper(): key for n, key in names.items()}
        for official in db.session.scalars(sa.select(Official).where(sa.or_(
                Official.pid.in_(list(names)), sa.func.upper(Official.code).in_(list(uppers))))
                .order_by(Official.id)):
            keys = {names.get(official.pid), uppers.get((official.code or "").upper())}
            for key in keys - {None}:
                found[key].append(official)
    if sums:
        for official in db.session.scalars(sa.select(Official).where(
                Official.email.is_not(None)).order_by(Official.id)):
            for email in {official.email.strip().lower(), official.email.strip()}:
                key = sums.get(hashlib.sha1(f"mailto:{email}".encode()).hexdigest())
                if key is not None and official not in found[key]:
                    found[key].append(official)
    return found


def match_officials(agent: dict) -> list[Official]:
    """The officials one actor may be (officials_for)."""
    return officials_for([agent]).get(actor_key(agent), [])


# --- completions -----------------------------------------------------------------------------

@dataclass
class Completion:
    passed: bool
    score: float | None
    on: date


def completion_of(stmt: dict, stored_at: datetime) -> Completion | None:
    """The completion a statement reports, or None. completed/passed, or result.completion true;
    `failed`, or `success: false`, records nothing. Score on 0–10: scaled × 10, else raw/max × 10,
    else none."""
    verb = stmt["verb"]["id"]
    result = stmt.get("result") or {}
    if verb == VERB_FAILED:
        return None
    if verb not in (VERB_COMPLETED, VERB_PASSED) and result.get("completion") is not True:
        return None
    if result.get("success") is False:
        return None
    if stmt["object"].get("objectType", "Activity") != "Activity":
        return None
    if stmt["actor"].get("objectType") == "Group":
        return None
    score = None
    raw_score = result.get("score") or {}
    if "scaled" in raw_score:
        score = raw_score["scaled"] * 10
    elif "raw" in raw_score and raw_score.get("max"):
        score = raw_score["raw"] / raw_score["max"] * 10
    if score is not None:
        score = round(min(max(score, 0.0), 10.0), 2)
    moment = parse_timestamp(stmt["timestamp"]) if "timestamp" in stmt else None
    on = local_date(moment or stored_at)
    return Completion(passed=True, score=score, on=min(on, today()))


def _mapping(provider_id: int, activity_id: str) -> ActivityMapping | None:
    return db.session.scalar(sa.select(ActivityMapping).where(
        ActivityMapping.provider_id == provider_id, ActivityMapping.activity_id == activity_id))


@dataclass
class Lookups:
    """What deciding a request's statements looks up, read once for all of them: the officials
    their actors may be, and the mappings of their activities."""
    officials: dict[str, list[Official]]
    mappings: dict[str, ActivityMapping]

    @classmethod
    def of(cls, statements: list[XapiStatement]) -> Lookups:
        completing = [s for s in statements if completion_of(s.raw, s.stored_at) is not None]
        activities = {s.activity_id for s in completing}
        mappings = {m.activity_id: m for m in db.session.scalars(sa.select(ActivityMapping)
                    .where(ActivityMapping.provider_id == statements[0].provider_id,
                           ActivityMapping.activity_id.in_(activities)))} if activities else {}
        return cls(officials_for([s.raw["actor"] for s in completing]), mappings)


def _apply(statement: XapiStatement, official: Official, course: Course,
           completion: Completion) -> str:
    """Record the completion for this official; returns the outcome ("applied", or "ignored" for
    a completion already recorded and still valid). Raises DomainError if the course's rules
    refuse it — nothing is then written."""
    with db.session.begin_nested():
        lock_row(Official, official.id)
        enrollments = db.session.scalars(sa.select(Enrollment).where(
            Enrollment.official_id == official.id, Enrollment.course_id == course.id,
            Enrollment.status.in_(ACTIVE_STATUSES + ("completed",)))
            .order_by(Enrollment.id)).all()
        valid = [e for e in enrollments if e.status == "completed"
                 and not completion_expired(e.completed_on, course.validity_months)]
        if valid:
            statement.official_id, statement.enrollment_id = official.id, valid[-1].id
            return "ignored"
        active = [e for e in enrollments if e.status in ACTIVE_STATUSES]
        if active and active[0].status not in SEAT_STATUSES:
            raise DomainError(
                f"{official.full_name} có đăng ký khóa “{course.name}” đang ở trạng thái chờ "
                "(chờ duyệt hoặc danh sách chờ): HR cần xem xét trước khi ghi kết quả.")
        if active:
            enrollment = active[0]
        else:
            enrollment = Enrollment(official_id=official.id, course_id=course.id, cohort_id=None,
                                    status="in_progress", source="xapi")
            db.session.add(enrollment)
            db.session.flush()
        provider = db.session.get(Provider, statement.provider_id)
        record_result(enrollment, passed=completion.passed, score=completion.score,
                      on=completion.on, assessor=f"xAPI: {provider.name}")
        statement.official_id, statement.enrollment_id = official.id, enrollment.id
        return "applied"


def _queue(statement: XapiStatement, reason: str, candidates: list[Official],
           completion: Completion) -> ReviewItem:
    raw = statement.raw
    item = ReviewItem(
        source="xapi", provider_id=statement.provider_id, statement_id=statement.id,
        payload={"activity_id": statement.activity_id, "verb": statement.verb_id,
                 "result": raw.get("result", {}), "timestamp": raw.get("timestamp"),
                 "completed_on": completion.on.isoformat(), "score": completion.score},
        identifiers=actor_identifiers(raw["actor"]),
        candidates=[o.id for o in candidates], reason=reason[:300])
    db.session.add(item)
    statement.outcome = "queued"
    return item


def process_statement(statement: XapiStatement, lookups: Lookups | None = None) -> str:
    """Decide what a newly stored statement does (see the module's docstring); sets and returns
    its outcome. `lookups`: those of its request (else read for it alone)."""
    raw = statement.raw
    completion = completion_of(raw, statement.stored_at or utcnow())
    if completion is None:
        statement.outcome = "ignored"
        return statement.outcome
    lookups = lookups or Lookups.of([statement])
    matches = lookups.officials.get(actor_key(raw["actor"]), [])
    mapping = lookups.mappings.get(statement.activity_id)
    if mapping is None:
        _queue(statement, REASON_UNMAPPED, matches, completion)
        return statement.outcome
    if len(matches) != 1:
        _queue(statement, REASON_SEVERAL if matches else REASON_NO_MATCH, matches, completion)
        return statement.outcome
    try:
        statement.outcome = _apply(statement, matches[0], mapping.course, completion)
    except DomainError as e:
        _queue(statement, str(e), matches, completion)
    return statement.outcome


def apply_review_match(review_item: ReviewItem, official: Official, *,
                       decided_by: str = "") -> XapiStatement:
    """HR chose `official` for a queued xAPI statement: record its completion for them (through
    the activity's current mapping) and close the review item as matched.

    Raises DomainError, changing nothing, when the item is not an open xAPI item, the activity is
    still unmapped (map it first: `trainer xapi map`), or the course's rules refuse the result.
    A completion the official already holds closes the item too (the statement is then
    `ignored`). Flushes, never commits."""
    if review_item.source != "xapi" or not review_item.statement_id:
        raise DomainError("Mục này không phải một câu lệnh xAPI.")
    if review_item.status != "open":
        raise DomainError("Mục này đã được xử lý.")
    statement = db.session.get(XapiStatement, review_item.statement_id)
    completion = completion_of(statement.raw, statement.stored_at)
    if completion is None:
        raise DomainError("Câu lệnh này không báo hoàn thành khóa học nào.")
    mapping = _mapping(statement.provider_id, statement.activity_id)
    if mapping is None:
        raise DomainError(f"Hoạt động “{statement.activity_id}” chưa được ánh xạ tới khóa học "
                          "nào của đơn vị cung cấp: hãy ánh xạ trước (trainer xapi map).")
    statement.outcome = _apply(statement, official, mapping.course, completion)
    review_item.status, review_item.official_id = "matched", official.id
    review_item.decided_by, review_item.decided_at = decided_by, utcnow()
    db.session.flush()
    return statement


def reprocess_unmapped(provider: Provider, activity_id: str, *, decided_by: str) -> dict:
    """After an activity is mapped: its statements waiting only for the mapping are applied when
    their actor matches exactly one official; the others stay queued with the new reason."""
    counts = {"applied": 0, "still_queued": 0}
    items = db.session.scalars(sa.select(ReviewItem).join(
        XapiStatement, XapiStatement.id == ReviewItem.statement_id).where(
        ReviewItem.source == "xapi", ReviewItem.status == "open",
        ReviewItem.reason == REASON_UNMAPPED, XapiStatement.provider_id == provider.id,
        XapiStatement.activity_id == activity_id).order_by(ReviewItem.id)).all()
    for item in items:
        statement = db.session.get(XapiStatement, item.statement_id)
        matches = match_officials(statement.raw["actor"])
        item.candidates = [o.id for o in matches]
        if len(matches) == 1:
            try:
                apply_review_match(item, matches[0], decided_by=decided_by)
                counts["applied"] += 1
                continue
            except DomainError as e:
                item.reason = str(e)[:300]
        else:
            item.reason = REASON_SEVERAL if matches else REASON_NO_MATCH
        counts["still_queued"] += 1
    db.session.flush()
    return counts


# --- storing ---------------------------------------------------------------------------------

def _normalised(stmt: dict) -> dict:
    """A statement as compared with a re-sent one: without what the LRS sets, ids and mbox
    lower-cased, the timestamp as an instant."""
    out = {k: v for k, v in formats.arrays(stmt).items() if k not in LRS_SET}
    out["id"] = out["id"].lower()
    if "timestamp" in out:
        out["timestamp"] = parse_timestamp(out["timestamp"])
    actor = dict(out["actor"])
    if "mbox" in actor:
        actor["mbox"] = actor["mbox"].lower()
    out["actor"] = actor
    return out


def same_statement(a: dict, b: dict) -> bool:
    return _normalised(a) == _normalised(b)


def store_statements(body, credential: ApiCredential, *, put_id: str | None = None) -> list[str]:
    """Validate and store one statement or a list, all or nothing; returns the ids in order.
    Raises StatementError: 400 (malformed, duplicate ids in the batch), 409 (an id already stored
    with other content). Statements already stored with the same content change nothing."""
    single = isinstance(body, dict)
    statements = [body] if single else body
    if put_id is not None and not single:
        raise StatementError(400, [("PUT nhận đúng một statement (đối tượng JSON), không phải "
                                   "danh sách.")])
    if not isinstance(statements, list):
        raise StatementError(400, [("Nội dung phải là một statement (đối tượng JSON) hoặc danh "
                                   "sách statement.")])
    if not statements:
        raise StatementError(400, ["Danh sách statement rỗng."])
    if len(statements) > MAX_BATCH:
        raise StatementError(413, [f"Mỗi lần gửi tối đa {MAX_BATCH} statement."])
    errors: list[str] = []
    refused = 0
    for i, stmt in enumerate(statements):
        path = "statement" if single else f"statements[{i}]"
        if refused < MAX_EXPLAINED:
            problems = validate_statement(stmt, path)
            errors += problems
            refused += bool(problems)
        elif not is_valid_statement(stmt):
            refused += 1
        if put_id is not None and isinstance(stmt, dict) and "id" in stmt \
                and str(stmt["id"]).lower() != put_id.lower():
            errors.append(f"{path}.id: {stmt['id']!r} khác tham số statementId {put_id!r}.")
    if refused > MAX_EXPLAINED:
        errors.append(f"… và {refused - MAX_EXPLAINED} statement khác cũng không hợp lệ (chỉ "
                      f"giải thích {MAX_EXPLAINED} statement đầu tiên).")
    if errors:
        raise StatementError(400, errors)
    prepared, seen = [], {}
    for i, stmt in enumerate(statements):
        stmt = dict(stmt)
        stmt["id"] = (stmt.get("id") or put_id or str(uuid.uuid4())).lower()
        if stmt["id"] in seen:
            errors.append(f"statements[{i}].id: trùng id với statements[{seen[stmt['id']]}] "
                          f"({stmt['id']}) trong cùng một lần gửi.")
        seen.setdefault(stmt["id"], i)
        prepared.append(stmt)
    if errors:
        raise StatementError(400, errors)
    existing = {s.id: s for s in db.session.scalars(
        sa.select(XapiStatement).where(XapiStatement.id.in_(list(seen))))}
    conflicts = []
    for i, stmt in enumerate(prepared):
        old = existing.get(stmt["id"])
        if old is not None and (old.provider_id != credential.provider_id
                                or not same_statement(old.raw, stmt)):
            path = "statement" if single else f"statements[{i}]"
            conflicts.append(f"{path}: id {stmt['id']} đã được lưu với nội dung khác; statement "
                             "không thể thay đổi (gửi statement mới với id mới).")
    if conflicts:
        raise StatementError(409, conflicts)
    _check_voiding_targets(prepared, credential.provider_id, single)
    rows = [XapiStatement(
        id=stmt["id"], provider_id=credential.provider_id, raw=stmt, verb_id=stmt["verb"]["id"],
        activity_id=_object_id(stmt["object"]), actor_key=actor_key(stmt["actor"]),
        stored_at=stored_now(), outcome="ignored")
        for stmt in prepared if stmt["id"] not in existing]
    if rows:
        db.session.add_all(rows)
        db.session.flush()
        _index(rows)
        _process(rows)
    return [stmt["id"] for stmt in prepared]


def _process(rows: list[XapiStatement]) -> None:
    """Void, or decide what each new statement does, in the order sent. A statement voided
    before it arrived (by a stored statement, or an earlier one of the same request) does
    nothing; one voided by a later statement of the request is processed, then voided."""
    ids = [r.id for r in rows]
    voided = dict(db.session.execute(sa.select(XapiStatement.activity_id, XapiStatement.id)
                                     .where(XapiStatement.provider_id == rows[0].provider_id,
                                            XapiStatement.verb_id == VERB_VOIDED,
                                            XapiStatement.activity_id.in_(ids),
                                            XapiStatement.id.not_in(ids))).all())
    lookups = Lookups.of(rows)
    for statement in rows:
        if statement.verb_id == VERB_VOIDED:
            _void(statement)
            voided.setdefault(statement.activity_id, statement.id)
        elif statement.id in voided:
            statement.voided_by = voided[statement.id]
        else:
            process_statement(statement, lookups)
    db.session.flush()


def _object_id(obj: dict) -> str:
    """The object's id as kept beside the statement: a StatementRef's in lower case."""
    target = str(obj.get("id", ""))
    return (target.lower() if obj.get("objectType") == "StatementRef" else target)[:K.MAX_VALUE]


def _index(statements: list[XapiStatement]) -> None:
    """Write the keys the new statements are found by (keys.py): their own, their target's when
    they target a statement (stored, or in the same request), and theirs to the stored
    statements that target them; and the definitions of the activities they describe."""
    provider_id = statements[0].provider_id
    found = {s.id: K.statement_keys(s.raw) for s in statements}
    targets = {v for keys in found.values() for k, v in keys if k == K.REF} - set(found)
    stored: dict[str, set] = {}
    if targets:
        for sid, kind, value in db.session.execute(sa.select(
                XapiStatementKey.statement_id, XapiStatementKey.kind, XapiStatementKey.value)
                .where(XapiStatementKey.provider_id == provider_id,
                       XapiStatementKey.kind.in_(K.INHERITED),
                       XapiStatementKey.statement_id.in_(targets))):
            stored.setdefault(sid, set()).add((kind, value))
    K.lend_target_keys(found, stored)
    at = {s.id: s.stored_at for s in statements}
    _add_keys(provider_id, {sid: at[sid] for sid in found}, found, new=True)
    waiting = {sid: {(k, v) for k, v in keys if k in K.INHERITED} for sid, keys in found.items()}
    seen = set(found)
    while waiting:  # stored statements that target these (sent before them), and so on
        referrers = db.session.execute(sa.select(
            XapiStatementKey.statement_id, XapiStatementKey.stored_at, XapiStatementKey.value)
            .where(XapiStatementKey.provider_id == provider_id, XapiStatementKey.kind == K.REF,
                   XapiStatementKey.value.in_(list(waiting)))).all()
        lent = {sid: waiting[target] for sid, _, target in referrers if sid not in seen}
        seen |= set(lent)
        _add_keys(provider_id, {sid: at for sid, at, _ in referrers if sid in lent}, lent)
        waiting = lent
    _remember_definitions(provider_id, [a for s in statements
                                        for a in K.described_activities(s.raw)])


def _add_keys(provider_id: int, statements: dict[str, datetime], keys: dict[str, set], *,
              new: bool = False) -> None:
    """Give each statement (id → stored) its keys (id → set); unless they are `new`, skip the
    keys they already have."""
    have = set() if new or not statements else set(db.session.execute(sa.select(
        XapiStatementKey.statement_id, XapiStatementKey.kind, XapiStatementKey.value).where(
        XapiStatementKey.statement_id.in_(list(statements)))).all())
    rows = [{"statement_id": sid, "kind": kind, "value": value, "provider_id": provider_id,
             "stored_at": at}
            for sid, at in statements.items() for kind, value in keys[sid]
            if (sid, kind, value) not in have]
    if rows:  # Core, not the ORM's bulk path: multi-row VALUES, several times faster
        db.session.connection().execute(XapiStatementKey.__table__.insert(), rows)


def _remember_definitions(provider_id: int, activities: list[dict]) -> None:
    """The canonical definitions (keys.merge_definition), in the order the activities came."""
    ids = {a["id"][:K.MAX_VALUE] for a in activities}
    if not ids:
        return
    rows = {r.activity_id: r for r in db.session.scalars(sa.select(XapiActivity).where(
        XapiActivity.provider_id == provider_id, XapiActivity.activity_id.in_(ids)))}
    for activity in activities:
        activity_id = activity["id"][:K.MAX_VALUE]
        if activity_id not in rows:
            rows[activity_id] = XapiActivity(provider_id=provider_id, activity_id=activity_id,
                                             definition={})
            db.session.add(rows[activity_id])
        rows[activity_id].definition = K.merge_definition(rows[activity_id].definition,
                                                          activity["definition"])


def _check_voiding_targets(prepared: list[dict], provider_id: int, single: bool) -> None:
    """A voiding statement may not target another voiding statement (stored or in the batch)."""
    voiding = {s["id"] for s in prepared if s["verb"]["id"] == VERB_VOIDED}
    targets = {s["object"]["id"].lower(): i for i, s in enumerate(prepared)
               if s["id"] in voiding}
    if not targets:
        return
    stored = set(db.session.scalars(sa.select(XapiStatement.id).where(
        XapiStatement.id.in_(list(targets)), XapiStatement.provider_id == provider_id,
        XapiStatement.verb_id == VERB_VOIDED)))
    bad = [f"{'statement' if single else f'statements[{i}]'}.object.id: {target} là một "
           "statement hủy; không thể hủy nó."
           for target, i in targets.items() if target in stored or target in voiding]
    if bad:
        raise StatementError(400, bad)


def _void(voiding: XapiStatement) -> None:
    """Void the provider's statement the voiding statement points to, if it is stored (if not,
    it is voided when it arrives). A queued statement's review item is closed."""
    target = db.session.get(XapiStatement, voiding.activity_id)
    if target is None or target.provider_id != voiding.provider_id or target.voided_by:
        return
    target.voided_by = voiding.id
    for item in db.session.scalars(sa.select(ReviewItem).where(
            ReviewItem.statement_id == target.id, ReviewItem.status == "open")):
        item.status, item.decided_at = "rejected", utcnow()
        item.decided_by = "xAPI: nền tảng đã hủy statement"
        item.reason = f"{item.reason} — Loại: nền tảng đã hủy (voided) statement này"[:300]


def stored_now() -> datetime:
    """Now, to the millisecond: the precision "stored" is returned with, so that a client's
    `since=<stored>` excludes exactly what it has seen."""
    now = utcnow()
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


# --- reading ---------------------------------------------------------------------------------

def iso(moment: datetime) -> str:
    return aware(moment).astimezone(UTC).isoformat(timespec="milliseconds") \
        .replace("+00:00", "Z")


def as_returned(statement: XapiStatement, provider: Provider) -> dict:
    """The stored statement as the LRS returns it: the raw statement plus what the LRS sets
    (stored, authority, version, and timestamp = stored when the provider sent none)."""
    out = dict(statement.raw)
    out["stored"] = iso(statement.stored_at)
    out.setdefault("timestamp", out["stored"])
    out.setdefault("version", "1.0.0")
    out["authority"] = {"objectType": "Agent", "name": provider.name,
                        "account": {"homePage": "urn:trainer:provider", "name": provider.code}}
    return out


def returned(statements: list[XapiStatement], provider: Provider, fmt: str = "exact", *,
             choose=lambda languages: languages[0]) -> list[dict]:
    """The statements as returned in the format asked (formats.py); `choose` picks the one
    language of a language map for `canonical` (the view passes the Accept-Language match)."""
    known: dict[str, dict | None] = {}

    def definition_of(activity_id: str) -> dict | None:
        if activity_id not in known:
            row = db.session.get(XapiActivity, (provider.id, activity_id[:K.MAX_VALUE]))
            known[activity_id] = row.definition if row is not None else None
        return known[activity_id]

    return [formats.shaped(formats.arrays(as_returned(s, provider)), fmt, choose=choose,
                           definition_of=definition_of) for s in statements]


@dataclass
class Query:
    """A statement query's filters (Communication 2.1.3): each key filter is (kind, value) of
    keys.py, the related_* parameters choosing the broad kinds."""
    filters: list[tuple[str, str]] = field(default_factory=list)
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 100
    ascending: bool = False
    after: tuple[datetime, str] | None = None  # the last (stored, id) already returned


def query_statements(provider_id: int, q: Query) -> tuple[list[XapiStatement], bool]:
    """This provider's statements matching the filters (voided ones left out), ordered by stored
    time (newest first unless ascending), at most `limit`; and whether more remain.

    The first filter drives the read, along the index (provider, kind, value, stored, id) in
    stored order; the other filters are EXISTS on the same index. With no filter the read goes
    along (provider, stored, id) of the statements."""
    if q.filters:
        driver = aliased(XapiStatementKey)
        kind, value = q.filters[0]
        col, key = driver.stored_at, driver.statement_id
        stmt = sa.select(XapiStatement).join(driver, driver.statement_id == XapiStatement.id) \
            .where(driver.provider_id == provider_id, driver.kind == kind, driver.value == value)
        for kind, value in q.filters[1:]:
            other = aliased(XapiStatementKey)
            stmt = stmt.where(sa.exists().where(
                other.statement_id == XapiStatement.id, other.provider_id == provider_id,
                other.kind == kind, other.value == value))
    else:
        col, key = XapiStatement.stored_at, XapiStatement.id
        stmt = sa.select(XapiStatement).where(XapiStatement.provider_id == provider_id)
    stmt = stmt.where(XapiStatement.voided_by.is_(None))
    if q.since is not None:
        stmt = stmt.where(col > q.since)
    if q.until is not None:
        stmt = stmt.where(col <= q.until)
    if q.after is not None:
        at, last_id = q.after
        if q.ascending:
            stmt = stmt.where(sa.or_(col > at, sa.and_(col == at, key > last_id)))
        else:
            stmt = stmt.where(sa.or_(col < at, sa.and_(col == at, key < last_id)))
    order = (col.asc(), key.asc()) if q.ascending else (col.desc(), key.desc())
    rows = db.session.scalars(stmt.order_by(*order).limit(q.limit + 1)).all()
    return rows[:q.limit], len(rows) > q.limit


# --- administration (CLI) --------------------------------------------------------------------

def provider_by_code(code: str) -> Provider:
    provider = db.session.scalar(sa.select(Provider).where(Provider.code == code))
    if provider is None:
        raise DomainError(f"Không có đơn vị cung cấp mã “{code}”.")
    return provider


def create_xapi_credential(provider: Provider, *, name: str = "") -> tuple[ApiCredential, str]:
    """A key and secret for this provider's LMS (HTTP Basic key:secret); the secret is returned
    once and only its hash is kept."""
    return issue_credential("xapi", name=name or f"xAPI {provider.code}", provider_id=provider.id)


def map_activity(provider: Provider, activity_id: str, course: Course) -> tuple[ActivityMapping,
                                                                                   bool]:
    """Map (or re-map) an activity of the provider to one of its courses; returns the mapping and
    whether it is new."""
    if not is_iri(activity_id):
        raise DomainError(f"“{activity_id}” không phải IRI của hoạt động (ví dụ "
                          "“https://nen-tang.vn/khoa-hoc/123”).")
    if course.provider_id != provider.id:
        raise DomainError(f"Khóa “{course.code}” không thuộc đơn vị {provider.code}: chỉ ánh xạ "
                          "được tới khóa của chính đơn vị cung cấp.")
    mapping = _mapping(provider.id, activity_id)
    created = mapping is None
    if created:
        mapping = ActivityMapping(provider_id=provider.id, activity_id=activity_id,
                                  course_id=course.id)
        db.session.add(mapping)
    else:
        mapping.course_id = course.id
    db.session.flush()
    return mapping, created


REVIEW_MATCHERS["xapi"] = apply_review_match
