"""The xAPI 1.0.3 LRS for e-learning providers (issues 5 and 14); see docs/xapi.md.

Every request but /about carries the version header and a provider's HTTP Basic credential,
checked here before any view; every response carries `X-Experience-API-Version: 1.0.3`. This
module holds the statements resource:
  GET  /xapi/about                       the versions this LRS speaks
  POST /xapi/statements                  one statement or a list (JSON, or multipart/mixed with
                                         the attachments' contents) → 200 [ids]
  PUT  /xapi/statements?statementId=…    one statement → 204
  GET  /xapi/statements?statementId=…|voidedStatementId=…
  GET  /xapi/statements?agent=…&verb=…&activity=…&registration=…&related_agents=…
       &related_activities=…&since=…&until=…&limit=…&ascending=…&format=…&attachments=…
                                         a StatementResult {"statements": [...], "more": ""}
The document resources are in document_views.py, on the same blueprint; the alternate request
syntax is rewritten before Flask sees it (alternate.py).
"""
from __future__ import annotations

import base64
import binascii
import re
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, g, jsonify, request
from sqlalchemy.exc import IntegrityError

from trainer.auth.tokens import check_credential, limit_per_credential, note_use
from trainer.catalog.models import Provider
from trainer.core.extensions import db
from trainer.core.params import JsonRefused, json_limits, read_json
from trainer.core.timeutil import utcnow
from trainer.xapi import attachments
from trainer.xapi import keys as K
from trainer.xapi import operations as ops
from trainer.xapi.alternate import REFUSED
from trainer.xapi.models import XapiStatement
from trainer.xapi.validation import validate_agent

bp = Blueprint("xapi", __name__, url_prefix="/xapi")
limit_per_credential(bp)

LRS_VERSION = "1.0.3"
MAX_LIMIT = 100
_ACCEPTED_VERSION = re.compile(r"^1\.0(\.\d+)?$")
GET_PARAMS = {"statementId", "voidedStatementId", "agent", "verb", "activity", "registration",
              "related_activities", "related_agents", "since", "until", "limit", "format",
              "attachments", "ascending", "cursor"}


def _error(status: int, errors: list[str] | str, **headers) -> Response:
    errors = [errors] if isinstance(errors, str) else errors
    response = jsonify({"error": status, "message": " ".join(errors), "errors": errors})
    response.status_code = status
    response.headers.update(headers)
    return response


@bp.errorhandler(429)
def _too_many(e):
    return _error(429, "Quá nhiều yêu cầu với khóa này trong thời gian ngắn: hãy gửi chậm lại.",
                  **{"Retry-After": "60"})


@bp.after_app_request
def _version_header(response: Response) -> Response:
    """Every response under /xapi (errors from routing included) says which xAPI it speaks."""
    if request.path == bp.url_prefix or request.path.startswith(bp.url_prefix + "/"):
        response.headers["X-Experience-API-Version"] = LRS_VERSION
        if request.path.startswith(bp.url_prefix + "/statements"):
            response.headers["X-Experience-API-Consistent-Through"] = ops.iso(utcnow())
    return response


@bp.before_request
def _check_version_and_credential():
    refused = request.environ.get(REFUSED)
    if refused:
        return _error(400, refused)
    if request.endpoint == "xapi.about":
        return None
    version = request.headers.get("X-Experience-API-Version", "").strip()
    if not version:
        return _error(400, "Thiếu header X-Experience-API-Version (ví dụ “1.0.3”).")
    if not _ACCEPTED_VERSION.match(version):
        return _error(400, f"Phiên bản xAPI “{version}” không được hỗ trợ: chỉ nhận 1.0.x "
                           f"(LRS này theo {LRS_VERSION}).")
    credential = None
    header = request.headers.get("Authorization", "")
    if header[:6].lower() == "basic ":
        try:
            key, _, secret = base64.b64decode(header[6:].strip(), validate=True) \
                .decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            key, secret = "", ""
        if key and secret:
            credential = check_credential("xapi", key, secret)
    if credential is None or credential.provider_id is None:
        return _error(401, "Cần xác thực HTTP Basic bằng khóa xAPI của đơn vị cung cấp "
                           "(key:secret).", **{"WWW-Authenticate": 'Basic realm="xAPI"'})
    if note_use(credential):
        db.session.commit()  # before the view runs: its own commit or rollback stays its own
    g.xapi_credential = credential
    return None


@bp.get("/about")
def about():
    return jsonify({"version": [LRS_VERSION], "extensions": {}})


def _body() -> tuple[object, dict[str, bytes]]:
    """The statements sent, within the JSON limits of the settings (depth, list length, string
    length: trainer.core.params.read_json) — an LRS may refuse what it will not store (xAPI 1.0.3,
    Communication 1.3); and the attachments' contents by SHA-2 when the body is multipart/mixed
    (Communication 1.5.2: the statements are its first part). Another multipart is refused."""
    raw, contents = request.get_data(cache=False), {}
    if request.mimetype == "multipart/mixed":
        raw, contents = attachments.parse_multipart(raw, request.mimetype_params.get(
            "boundary", ""))
    elif request.mimetype.startswith("multipart/"):
        raise ops.StatementError(400, [f"Content-Type {request.mimetype} không được nhận: gửi "
                                       "statement dạng application/json, hoặc multipart/mixed "
                                       "khi kèm nội dung tệp đính kèm."])
    try:
        return (read_json(raw, **json_limits(current_app.config)) if raw else None), contents
    except JsonRefused as e:
        raise ops.StatementError(e.status, [str(e)]) from None


def _store(put_id: str | None = None) -> list[str]:
    """Store under the request's transaction; one retry when a concurrent request stored the same
    id first (it then compares as a re-send: no change, or 409)."""
    body, contents = _body()
    if body is None:
        raise ops.StatementError(400, ["Thiếu nội dung: gửi một statement hoặc danh sách."])
    for attempt in (1, 2):
        try:
            ids = ops.store_statements(body, g.xapi_credential, put_id=put_id)
            attachments.receive(body, contents, g.xapi_credential.provider_id)
            db.session.commit()
            return ids
        except IntegrityError:
            db.session.rollback()
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


@bp.post("/statements")
def post_statements():
    if request.args:
        return _error(400, "POST /statements không nhận tham số truy vấn.")
    try:
        ids = _store()
    except ops.StatementError as e:
        db.session.rollback()
        return _error(e.status, e.errors)
    return jsonify(ids)


@bp.put("/statements")
def put_statement():
    statement_id = request.args.get("statementId", "")
    if set(request.args) != {"statementId"} or not ops.is_uuid(statement_id):
        return _error(400, "PUT /statements cần đúng một tham số statementId là UUID.")
    try:
        _store(put_id=statement_id.lower())
    except ops.StatementError as e:
        db.session.rollback()
        return _error(e.status, e.errors)
    return Response(status=204)


def _provider() -> Provider:
    return db.session.get(Provider, g.xapi_credential.provider_id)


@bp.get("/statements")
def get_statements():
    args = request.args
    unknown = sorted(set(args) - GET_PARAMS)
    if unknown:
        return _error(400, f"Tham số không được hỗ trợ: {', '.join(unknown)}.")
    provider = _provider()
    if "statementId" in args or "voidedStatementId" in args:
        if "statementId" in args and "voidedStatementId" in args:
            return _error(400, "Không dùng statementId cùng với voidedStatementId.")
        extra = sorted(set(args) - {"statementId", "voidedStatementId", "format", "attachments"})
        if extra:
            return _error(400, "statementId không dùng cùng các tham số lọc: "
                               f"{', '.join(extra)}.")
        problems = _flags(args)
        if problems:
            return _error(400, problems)
        wanted = args.get("statementId") or args.get("voidedStatementId")
        if not ops.is_uuid(wanted):
            return _error(400, f"statementId “{wanted}” không phải UUID.")
        statement = db.session.get(XapiStatement, wanted.lower())
        voided = "voidedStatementId" in args
        if statement is None or statement.provider_id != provider.id \
                or (statement.voided_by is not None) != voided:
            db.session.commit()
            return _error(404, f"Không có statement {wanted}.")
        response = _answer(_returned([statement], provider, args)[0], provider, args)
        response.headers["Last-Modified"] = statement.stored_at.strftime(
            "%a, %d %b %Y %H:%M:%S GMT")
        db.session.commit()
        return response

    q, problems = _query(args)
    if problems:
        return _error(400, problems)
    rows, more = ops.query_statements(provider.id, q)
    result = {"statements": _returned(rows, provider, args), "more": ""}
    if more:
        params = {k: v for k, v in args.items() if k != "cursor"}
        last = rows[-1]
        params["cursor"] = f"{ops.iso(last.stored_at)}|{last.id}"
        result["more"] = f"{bp.url_prefix}/statements?{urlencode(params)}"
    response = _answer(result, provider, args)
    db.session.commit()
    return response


def _answer(document: dict, provider: Provider, args) -> Response:
    """A statement or StatementResult as JSON; with attachments=true, as multipart/mixed with
    the contents of the attachments its statements name (Communication 2.1.3)."""
    if args.get("attachments") != "true":
        return jsonify(document)
    body, content_type = attachments.multipart_answer(document, provider.id)
    return Response(body, content_type=content_type)


def _returned(rows: list[XapiStatement], provider: Provider, args) -> list[dict]:
    """The statements in the format asked; `canonical` keeps, of each language map, the
    language the request's Accept-Language prefers (else the first one sent)."""
    def choose(languages: list[str]) -> str:
        return request.accept_languages.best_match(languages) or languages[0]
    return ops.returned(rows, provider, args.get("format", "exact"), choose=choose)


def _flags(args) -> list[str]:
    """The problems of the parameters any GET of statements may carry."""
    problems = []
    for name in ("ascending", "attachments", "related_agents", "related_activities"):
        if name in args and args[name] not in ("true", "false"):
            problems.append(f"Tham số {name} phải là true hoặc false.")
    if "format" in args and args["format"] not in ("exact", "ids", "canonical"):
        problems.append("Tham số format phải là exact, ids hoặc canonical.")
    return problems


def agent_param(text: str, name: str = "agent") -> tuple[dict | None, list[str]]:
    """A query parameter holding an Agent (or identified Group) as JSON: the agent, or the
    problems, each in Vietnamese and naming the parameter."""
    try:
        agent = read_json(text, **json_limits(current_app.config))
    except JsonRefused:
        agent = None
    errors = validate_agent(agent, name)
    if errors:
        errors.insert(0, f"Tham số {name} phải là Agent JSON, ví dụ "
                         '{"mbox": "mailto:a@xa.gov.vn"}.')
    return (None if errors else agent), errors


def _query(args) -> tuple[ops.Query, list[str]]:
    q, problems = ops.Query(), []
    related = {"agent": args.get("related_agents") == "true",
               "activity": args.get("related_activities") == "true"}
    if "agent" in args:  # the most selective filters first: the first drives the read
        agent, errors = agent_param(args["agent"])
        problems += errors
        if agent is not None:
            q.filters.append((K.AGENT_ANY if related["agent"] else K.AGENT,
                              ops.actor_key(agent)))
    if "registration" in args:
        if not ops.is_uuid(args["registration"]):
            problems.append(f"Tham số registration “{args['registration'][:40]}” phải là UUID.")
        q.filters.append((K.REGISTRATION, args["registration"].lower()))
    if "activity" in args:
        if not ops.is_iri(args["activity"]):
            problems.append("Tham số activity phải là IRI.")
        q.filters.append((K.ACTIVITY_ANY if related["activity"] else K.ACTIVITY,
                          args["activity"]))
    if "verb" in args:
        if not ops.is_iri(args["verb"]):
            problems.append("Tham số verb phải là IRI.")
        q.filters.append((K.VERB, args["verb"]))
    for name in ("since", "until"):
        if name in args:
            moment = ops.parse_timestamp(args[name])
            if moment is None:
                problems.append(f"Tham số {name} “{args[name]}” không phải thời điểm ISO 8601 "
                                "(ví dụ 2026-11-20T08:30:00Z).")
            setattr(q, name, moment)
    if "limit" in args:
        value = args["limit"]
        digits = value.lstrip("0")
        if not (value.isascii() and value.isdigit()):  # "²".isdigit() is True
            problems.append(f"Tham số limit “{value[:20]}” phải là số nguyên không âm.")
        else:  # 0 or more than the maximum: the maximum
            q.limit = min(int(digits), MAX_LIMIT) if 0 < len(digits) <= 12 else MAX_LIMIT
    problems += _flags(args)
    q.ascending = args.get("ascending") == "true"
    if "cursor" in args:
        at, _, last_id = args["cursor"].partition("|")
        moment = ops.parse_timestamp(at)
        if moment is None or not ops.is_uuid(last_id):
            problems.append("Tham số cursor không hợp lệ (dùng nguyên địa chỉ “more”).")
        else:
            q.after = (moment, last_id)
    return q, problems


from trainer.xapi import document_views  # noqa: E402,F401  (its routes are on `bp`)
