"""The document resources of the LRS (xAPI 1.0.3 Communication 2.3–2.7): State, Activity
Profile, Agent Profile, and the Agents and Activities resources; on the blueprint of views.py
(same version and credential check). See docs/xapi.md.

  GET|HEAD|PUT|POST|DELETE /xapi/activities/state?activityId=…&agent=…[&registration=…]&stateId=…
      (GET and DELETE without stateId: the ids of the states / delete them all)
  GET|HEAD|PUT|POST|DELETE /xapi/activities/profile?activityId=…&profileId=…
  GET|HEAD|PUT|POST|DELETE /xapi/agents/profile?agent=…&profileId=…
      (GET without profileId: the ids of the profiles; `since` lists those changed after it)
  GET|HEAD /xapi/agents?agent=…                 the Person object
  GET|HEAD /xapi/activities?activityId=…        the Activity object

The rules are in trainer/xapi/documents.py; these views read the parameters and headers, call
it, and commit once."""
from __future__ import annotations

from dataclasses import dataclass

from flask import Response, current_app, g, jsonify, request
from sqlalchemy.exc import IntegrityError
from werkzeug.http import http_date, parse_etags

from trainer.core.extensions import db
from trainer.core.params import json_limits
from trainer.core.timeutil import aware
from trainer.xapi import documents as docs
from trainer.xapi import operations as ops
from trainer.xapi.views import _error, agent_param, bp

MAX_ID = 500  # characters of a stateId or profileId (XapiDocument.doc_id)
MAX_CONTENT_TYPE = 255  # XapiDocument.content_type
DEFAULT_TYPE = "application/octet-stream"
# Bodies Flask parses as a form before any view runs: their raw content is gone by then.
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


@dataclass(frozen=True)
class Resource:
    kind: str
    id_param: str  # stateId or profileId
    scope_params: tuple[str, ...]  # required besides the id
    optional: tuple[str, ...] = ()


STATE = Resource("state", "stateId", ("activityId", "agent"), ("registration",))
ACTIVITY_PROFILE = Resource("activity_profile", "profileId", ("activityId",))
AGENT_PROFILE = Resource("agent_profile", "profileId", ("agent",))


def _agent(text: str, problems: list[str]) -> dict | None:
    """The agent parameter (its identifier within XapiDocument.agent_key: validation checks)."""
    agent, errors = agent_param(text)
    problems += errors
    return agent


def _activity_id(args, problems: list[str]) -> str:
    value = args["activityId"]
    if not ops.is_iri(value):
        problems.append(f"Tham số activityId phải là IRI (ví dụ “https://nen-tang.vn/khoa-hoc/"
                        f"123”), nhận được “{value[:100]}”.")
    return value


def _check_params(allowed: set[str], required: tuple[str, ...]) -> list[str]:
    args, problems = request.args, []
    unknown = sorted(set(args) - allowed)
    if unknown:
        problems.append(f"Tham số không được hỗ trợ: {', '.join(unknown)}.")
    for name in required:
        if not args.get(name):
            problems.append(f"Thiếu tham số {name}.")
    return problems


def _read(resource: Resource, *, id_required: bool, since_ok: bool = False):
    """The scope, the document id ("" when absent) and `since` of the request, or the
    problems."""
    args = request.args
    allowed = {resource.id_param, *resource.scope_params, *resource.optional}
    if since_ok:
        allowed.add("since")
    required = resource.scope_params + ((resource.id_param,) if id_required else ())
    problems = _check_params(allowed, required)
    activity_id, agent_key, registration, since = "", "", None, None
    if args.get("activityId") and "activityId" in resource.scope_params:
        activity_id = _activity_id(args, problems)
    if args.get("agent") and "agent" in resource.scope_params:
        agent = _agent(args["agent"], problems)
        agent_key = ops.actor_key(agent) if agent is not None else ""
    if "registration" in args and "registration" in resource.optional:
        if not ops.is_uuid(args["registration"]):
            problems.append(f"Tham số registration phải là UUID, nhận được "
                            f"“{args['registration'][:100]}”.")
        registration = args["registration"].lower()
    doc_id = args.get(resource.id_param, "")
    if len(doc_id) > MAX_ID:
        problems.append(f"Tham số {resource.id_param} dài quá {MAX_ID} ký tự.")
    if "since" in args and since_ok:
        since = ops.parse_timestamp(args["since"])
        if since is None:
            problems.append(f"Tham số since “{args['since'][:40]}” không phải thời điểm ISO 8601 "
                            "(ví dụ 2026-11-20T08:30:00Z).")
    scope = docs.Scope(resource.kind, activity_id, agent_key, registration)
    return scope, doc_id, since, problems


def _conditions() -> docs.Conditions:
    def etags(name: str, *, weak: bool) -> frozenset[str] | None:
        if name not in request.headers:
            return None
        parsed = parse_etags(request.headers[name])
        tags = set(parsed.as_set(include_weak=weak))
        if parsed.star_tag:
            tags.add("*")
        return frozenset(tags)
    # If-Match compares strongly, If-None-Match weakly (RFC 7232 3.1, 3.2).
    return docs.Conditions(etags("If-Match", weak=False), etags("If-None-Match", weak=True))


def _sent() -> docs.Sent | Response:
    content_type = request.headers.get("Content-Type", "").strip() or DEFAULT_TYPE
    if docs.mimetype(content_type) in FORM_TYPES:
        return _error(400, f"Tài liệu không gửi được dưới dạng biểu mẫu ({content_type}): dùng "
                           f"{docs.JSON} hoặc kiểu của chính tài liệu (ví dụ {DEFAULT_TYPE}).")
    if len(content_type) > MAX_CONTENT_TYPE:
        return _error(400, f"Content-Type dài quá {MAX_CONTENT_TYPE} ký tự.")
    return docs.Sent(request.get_data(cache=False), content_type)


def _document_response(doc) -> Response:
    response = Response(doc.content, status=200, content_type=doc.content_type)
    response.headers["ETag"] = f'"{doc.etag}"'
    response.headers["Last-Modified"] = http_date(aware(doc.updated_at))
    return response


def _get(resource: Resource) -> Response:
    scope, doc_id, since, problems = _read(resource, id_required=False, since_ok=True)
    if problems:
        return _error(400, problems)
    provider_id = g.xapi_credential.provider_id
    if doc_id:
        doc = docs.get(provider_id, scope, doc_id)
        response = (_document_response(doc) if doc is not None else
                    _error(404, f"Không có tài liệu {resource.id_param} “{doc_id[:100]}”."))
    else:
        response = jsonify(docs.list_ids(provider_id, scope, since))
    db.session.commit()
    return response


def _write(resource: Resource, operation) -> Response:
    """PUT or POST: one retry when a concurrent request created the same document first (the
    second attempt then sees it, with its preconditions)."""
    scope, doc_id, _, problems = _read(resource, id_required=True)
    if problems:
        return _error(400, problems)
    sent = _sent()
    if isinstance(sent, Response):
        return sent
    conditions, limits = _conditions(), json_limits(current_app.config)
    for attempt in (1, 2):
        try:
            doc = operation(g.xapi_credential.provider_id, scope, doc_id, sent, conditions,
                            limits=limits)
            etag = doc.etag
            db.session.commit()
            return Response(status=204, headers={"ETag": f'"{etag}"'})
        except docs.DocumentError as e:
            db.session.rollback()
            return _error(e.status, e.message)
        except IntegrityError:
            db.session.rollback()
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _delete(resource: Resource) -> Response:
    all_states = resource is STATE and not request.args.get(resource.id_param)
    scope, doc_id, _, problems = _read(resource, id_required=not all_states)
    if problems:
        return _error(400, problems)
    provider_id = g.xapi_credential.provider_id
    try:
        if all_states:
            docs.delete_all(provider_id, scope)
        else:
            docs.delete(provider_id, scope, doc_id, _conditions())
    except docs.DocumentError as e:
        db.session.rollback()
        return _error(e.status, e.message)
    db.session.commit()
    return Response(status=204)


def _document_resource(resource: Resource) -> Response:
    if request.method in ("GET", "HEAD"):
        return _get(resource)
    if request.method == "PUT":
        return _write(resource, docs.put)
    if request.method == "POST":
        return _write(resource, docs.post)
    return _delete(resource)


METHODS = ["GET", "PUT", "POST", "DELETE"]  # HEAD: Flask answers it as GET without the body


@bp.route("/activities/state", methods=METHODS)
def state():
    return _document_resource(STATE)


@bp.route("/activities/profile", methods=METHODS)
def activity_profile():
    return _document_resource(ACTIVITY_PROFILE)


@bp.route("/agents/profile", methods=METHODS)
def agent_profile():
    return _document_resource(AGENT_PROFILE)


@bp.get("/agents")
def agents():
    problems = _check_params({"agent"}, ("agent",))
    agent = _agent(request.args["agent"], problems) if not problems else None
    if problems:
        return _error(400, problems)
    response = jsonify(docs.person(g.xapi_credential.provider_id, agent))
    db.session.commit()
    return response


@bp.get("/activities")
def activities():
    problems = _check_params({"activityId"}, ("activityId",))
    activity_id = _activity_id(request.args, problems) if not problems else ""
    if problems:
        return _error(400, problems)
    response = jsonify(docs.activity(g.xapi_credential.provider_id, activity_id))
    db.session.commit()
    return response
