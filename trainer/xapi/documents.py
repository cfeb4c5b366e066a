"""xAPI 1.0.3 document resources (Communication 2.2–2.7, 3.1): the State, Activity Profile and
Agent Profile documents a provider keeps in the LRS, and the Agents and Activities resources.

A document is any content with its Content-Type, kept as sent (`XapiDocument`), per provider:
a provider never sees another's documents. Where it lives is a `Scope`:

* "state": activityId + agent (+ registration) — stateId;
* "activity_profile": activityId — profileId;
* "agent_profile": agent — profileId.

PUT replaces the document; POST merges a JSON object into a stored JSON object (top-level keys
of the sent document overwrite the stored ones) or, when nothing is stored, stores it as PUT
does. Concurrency (Communication 3.1): every document has an ETag (SHA-1 of its content);
If-Match / If-None-Match on PUT, POST and DELETE that are not met answer 412 and change
nothing. A PUT to an Activity or Agent Profile must carry one of them: without, it answers 409
when the document exists (someone else may have changed it) and 400 when it does not (what the
ADL conformance suite expects). State documents need no header.

Functions here flush, never commit: the view commits once per request."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from trainer.core.extensions import db
from trainer.core.params import JsonRefused, read_json
from trainer.core.timeutil import utcnow
from trainer.xapi import keys as K
from trainer.xapi.keys import IFI_KEYS, actor_key
from trainer.xapi.models import XapiActivity, XapiDocument, XapiStatement, XapiStatementKey

JSON = "application/json"
GUARDED_KINDS = ("activity_profile", "agent_profile")  # a PUT must carry If-Match/If-None-Match
PERSON_STATEMENTS = 100  # the newest statements naming an agent that the Person is built from


class DocumentError(Exception):
    """A request the LRS refuses: `status` (400, 409, 412) and its Vietnamese reason."""

    def __init__(self, status: int, message: str):
        self.status = status
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class Scope:
    """Where documents live: the resource and its parameters ("" where it has none). A
    `registration` of None means "any registration" when listing or deleting states, and "none"
    for one document."""

    kind: str
    activity_id: str = ""
    agent_key: str = ""
    registration: str | None = None

    def key(self, doc_id: str) -> str:
        """The document's unique key within its provider (XapiDocument.scope)."""
        parts = [self.kind, self.activity_id, self.agent_key, self.registration or "", doc_id]
        return hashlib.sha256(json.dumps(parts).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Conditions:
    """The request's If-Match / If-None-Match: None when the header is absent, else the etags
    it lists (unquoted), "*" standing for any document."""

    if_match: frozenset[str] | None = None
    if_none_match: frozenset[str] | None = None

    @property
    def given(self) -> bool:
        return self.if_match is not None or self.if_none_match is not None


@dataclass(frozen=True)
class Sent:
    """A document as sent: its bytes and its Content-Type."""

    content: bytes
    content_type: str

    @property
    def is_json(self) -> bool:
        return mimetype(self.content_type) == JSON


def mimetype(content_type: str) -> str:
    """The media type alone: "application/json; charset=utf-8" → "application/json"."""
    return content_type.split(";", 1)[0].strip().lower()


def etag_of(content: bytes) -> str:
    return hashlib.sha1(content).hexdigest()  # noqa: S324 — an ETag, as xAPI 3.1 says


# --- reading ---------------------------------------------------------------------------------

def _one(provider_id: int, scope: Scope, doc_id: str, *, for_update: bool = False):
    stmt = sa.select(XapiDocument).where(XapiDocument.provider_id == provider_id,
                                         XapiDocument.scope == scope.key(doc_id))
    return db.session.scalar(stmt.with_for_update() if for_update else stmt)


def get(provider_id: int, scope: Scope, doc_id: str) -> XapiDocument | None:
    return _one(provider_id, scope, doc_id)


def _in_scope(provider_id: int, scope: Scope):
    where = [XapiDocument.provider_id == provider_id, XapiDocument.kind == scope.kind,
             XapiDocument.activity_id == scope.activity_id,
             XapiDocument.agent_key == scope.agent_key]
    if scope.registration is not None:
        where.append(XapiDocument.registration == scope.registration)
    return where


def list_ids(provider_id: int, scope: Scope, since: datetime | None = None) -> list[str]:
    """The ids of the scope's documents, oldest change first; with `since`, only those changed
    after it (exclusive)."""
    stmt = sa.select(XapiDocument.doc_id).where(*_in_scope(provider_id, scope))
    if since is not None:
        stmt = stmt.where(XapiDocument.updated_at > since)
    return list(db.session.scalars(stmt.order_by(XapiDocument.updated_at, XapiDocument.id)))


# --- writing ---------------------------------------------------------------------------------

def _check(doc: XapiDocument | None, conditions: Conditions) -> None:
    """412 when the If-Match or If-None-Match precondition is not met (RFC 2616 14.24, 14.26)."""
    match, none_match = conditions.if_match, conditions.if_none_match
    if match is not None and (doc is None or ("*" not in match and doc.etag not in match)):
        raise DocumentError(412, "Điều kiện If-Match không thỏa: "
                            + ("tài liệu chưa có." if doc is None else
                               "tài liệu đã bị thay đổi (ETag khác); hãy đọc lại rồi gửi lại."))
    if none_match is not None and doc is not None and ("*" in none_match
                                                       or doc.etag in none_match):
        raise DocumentError(412, "Điều kiện If-None-Match không thỏa: tài liệu đã có "
                                 "(dùng If-Match với ETag của nó để ghi đè).")


def _json_object(content: bytes, limits: dict, what: str) -> dict:
    try:
        value = read_json(content, **limits)
    except JsonRefused as e:
        raise DocumentError(400, f"{what}: {e}") from None
    if not isinstance(value, dict):
        raise DocumentError(400, f"{what}: phải là một đối tượng JSON ({{…}}) để gộp.")
    return value


def _write(provider_id: int, scope: Scope, doc_id: str, doc: XapiDocument | None,
           content: bytes, content_type: str) -> XapiDocument:
    if doc is None:
        doc = XapiDocument(provider_id=provider_id, kind=scope.kind,
                           activity_id=scope.activity_id, agent_key=scope.agent_key,
                           registration=scope.registration or "", doc_id=doc_id,
                           scope=scope.key(doc_id))
        db.session.add(doc)
    doc.content, doc.content_type = content, content_type
    doc.etag, doc.updated_at = etag_of(content), utcnow()
    db.session.flush()
    return doc


def put(provider_id: int, scope: Scope, doc_id: str, sent: Sent, conditions: Conditions, *,
        limits: dict) -> XapiDocument:
    """Store the document, replacing what was there. A JSON document must be valid JSON
    (within `limits`: trainer.core.params.json_limits)."""
    doc = _one(provider_id, scope, doc_id, for_update=True)
    if scope.kind in GUARDED_KINDS and not conditions.given:
        if doc is not None:
            raise DocumentError(409, "Tài liệu đã có: gửi kèm If-Match với ETag của nó (lấy "
                                     "bằng GET) để ghi đè, hoặc dùng POST để gộp.")
        raise DocumentError(400, "PUT cần header If-None-Match: * (tạo mới) hoặc If-Match: "
                                 "\"<ETag>\" (ghi đè) để tránh ghi đè thay đổi của người khác.")
    _check(doc, conditions)
    if sent.is_json:
        try:
            read_json(sent.content, **limits)
        except JsonRefused as e:
            raise DocumentError(400, f"Nội dung (Content-Type {JSON}): {e}") from None
    return _write(provider_id, scope, doc_id, doc, sent.content, sent.content_type)


def post(provider_id: int, scope: Scope, doc_id: str, sent: Sent, conditions: Conditions, *,
         limits: dict) -> XapiDocument:
    """Merge the sent JSON object into the stored one (top-level keys: the sent value wins); with
    nothing stored, store the document as PUT does. Both must be JSON objects sent as
    application/json, else 400 and nothing changes."""
    doc = _one(provider_id, scope, doc_id, for_update=True)
    _check(doc, conditions)
    what = f"Nội dung (Content-Type {JSON})"
    if doc is None:
        if sent.is_json:
            _json_object(sent.content, limits, what)
        return _write(provider_id, scope, doc_id, None, sent.content, sent.content_type)
    if not sent.is_json:
        raise DocumentError(400, f"Tài liệu đã có: POST chỉ gộp được một đối tượng JSON gửi với "
                                 f"Content-Type {JSON} (nhận được {sent.content_type}); dùng PUT "
                                 "để thay thế.")
    update = _json_object(sent.content, limits, what)
    stored = None
    if mimetype(doc.content_type) == JSON:
        try:
            stored = json.loads(doc.content)
        except ValueError:
            stored = None
    if not isinstance(stored, dict):
        raise DocumentError(400, f"Tài liệu đã có ({doc.content_type}) không phải một đối tượng "
                                 "JSON: không gộp được; dùng PUT để thay thế.")
    content = json.dumps(stored | update, ensure_ascii=False,
                         separators=(",", ":")).encode("utf-8")
    return _write(provider_id, scope, doc_id, doc, content, JSON)


def delete(provider_id: int, scope: Scope, doc_id: str, conditions: Conditions) -> None:
    """Delete one document (nothing stored: nothing to do, unless If-Match asks for one)."""
    doc = _one(provider_id, scope, doc_id, for_update=True)
    _check(doc, conditions)
    if doc is not None:
        db.session.delete(doc)
        db.session.flush()


def delete_all(provider_id: int, scope: Scope) -> int:
    """Delete every document of the scope (the State resource without stateId); how many."""
    result = db.session.execute(sa.delete(XapiDocument).where(*_in_scope(provider_id, scope)))
    db.session.flush()
    return result.rowcount


# --- Agents and Activities resources ---------------------------------------------------------

def _agent_objects(value, key: str):
    """Every Agent object anywhere in a statement whose identifier is `key`."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if any(k in item for k in IFI_KEYS):
                try:
                    if actor_key(item) == key:
                        yield item
                except (AttributeError, KeyError, TypeError):
                    pass
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def person(provider_id: int, agent: dict) -> dict:
    """The Person object of the Agents resource (Communication 2.4): the agent's identifier and
    every name this provider's statements gave it (the newest statements naming it), each
    property a list. An agent no statement names is still a Person, with what was asked."""
    key = actor_key(agent)
    names = [agent["name"]] if isinstance(agent.get("name"), str) else []
    named = sa.select(XapiStatementKey.statement_id).where(
        XapiStatementKey.provider_id == provider_id, XapiStatementKey.kind == K.AGENT_ANY,
        XapiStatementKey.value == key)
    raws = db.session.scalars(sa.select(XapiStatement.raw).where(
        XapiStatement.provider_id == provider_id, XapiStatement.voided_by.is_(None),
        sa.or_(XapiStatement.actor_key == key, XapiStatement.id.in_(named)))
        .order_by(XapiStatement.stored_at.desc()).limit(PERSON_STATEMENTS))
    for raw in raws:
        for item in _agent_objects(raw, key):
            if isinstance(item.get("name"), str) and item["name"] not in names:
                names.append(item["name"])
    out: dict = {"objectType": "Person"}
    if names:
        out["name"] = names
    ifi = next(k for k in IFI_KEYS if k in agent)
    out[ifi] = [agent[ifi]]
    return out


def activity(provider_id: int, activity_id: str) -> dict:
    """The Activity object of the Activities resource (Communication 2.5): its canonical
    definition from this provider's statements; an activity they never described is its id."""
    out: dict = {"objectType": "Activity", "id": activity_id}
    row = db.session.get(XapiActivity, (provider_id, activity_id))
    if row is not None and row.definition:
        out["definition"] = row.definition
    return out
