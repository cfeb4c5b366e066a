"""xAPI 1.0.3 statements endpoint for e-learning providers (issue 5); see docs/xapi.md.

Routes (all JSON, no session, CSRF-exempt; every response carries
`X-Experience-API-Version: 1.0.3`):
  GET  /xapi/about                       the versions this LRS speaks (no auth, no version header)
  POST /xapi/statements                  one statement or a list → 200 [ids]
  PUT  /xapi/statements?statementId=…    one statement → 204
  GET  /xapi/statements?statementId=…    one statement
  GET  /xapi/statements?agent=…&verb=…&activity=…&since=…&until=…&limit=…&ascending=…
                                         StatementResult {"statements": [...], "more": ""}
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
from trainer.xapi import operations as ops
from trainer.xapi.models import XapiStatement

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


def _body():
    """The statements sent, within the JSON limits of the settings (depth, list length, string
    length: trainer.core.params.read_json) — an LRS may refuse what it will not store (xAPI 1.0.3,
    Communication 1.3)."""
    raw = request.get_data(cache=False)
    try:
        return read_json(raw, **json_limits(current_app.config)) if raw else None
    except JsonRefused as e:
        raise ops.StatementError(e.status, [str(e)]) from None


def _store(put_id: str | None = None) -> list[str]:
    """Store under the request's transaction; one retry when a concurrent request stored the same
    id first (it then compares as a re-send: no change, or 409)."""
    body = _body()
    if body is None:
        raise ops.StatementError(400, ["Thiếu nội dung: gửi một statement hoặc danh sách."])
    for attempt in (1, 2):
        try:
            ids = ops.store_statements(body, g.xapi_credential, put_id=put_id)
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
        return _error(400, "POST /statements không nhận tham số truy vấn (cú pháp thay thế "
                           "“method=” không được hỗ trợ).")
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
        wanted = args.get("statementId") or args.get("voidedStatementId")
        if not ops.is_uuid(wanted):
            return _error(400, f"statementId “{wanted}” không phải UUID.")
        statement = db.session.get(XapiStatement, wanted.lower())
        voided = "voidedStatementId" in args
        if statement is None or statement.provider_id != provider.id \
                or (statement.voided_by is not None) != voided:
            db.session.commit()
            return _error(404, f"Không có statement {wanted}.")
        response = jsonify(ops.as_returned(statement, provider))
        response.headers["Last-Modified"] = statement.stored_at.strftime(
            "%a, %d %b %Y %H:%M:%S GMT")
        db.session.commit()
        return response

    q, problems = _query(args)
    if problems:
        return _error(400, problems)
    rows, more = ops.query_statements(provider.id, q)
    result = {"statements": [ops.as_returned(s, provider) for s in rows], "more": ""}
    if more:
        params = {k: v for k, v in args.items() if k != "cursor"}
        last = rows[-1]
        params["cursor"] = f"{ops.iso(last.stored_at)}|{last.id}"
        result["more"] = f"{bp.url_prefix}/statements?{urlencode(params)}"
    db.session.commit()
    return jsonify(result)


def _query(args) -> tuple[ops.Query, list[str]]:
    q, problems = ops.Query(), []
    if "agent" in args:
        try:
            agent = read_json(args["agent"], **json_limits(current_app.config))
        except JsonRefused:
            agent = None
        errors: list[str] = []
        ops._check_agent(agent, "agent", errors)
        if not errors and not ops.actor_key(agent):
            errors.append("agent: cần một định danh (mbox, mbox_sha1sum, openid, account).")
        if errors:
            problems += [("Tham số agent phải là Agent JSON, ví dụ "
                         '{"mbox": "mailto:a@xa.gov.vn"}.')] + errors
        else:
            q.agent_key = ops.actor_key(agent)
    for name in ("verb", "activity"):
        if name in args:
            if not ops.is_iri(args[name]):
                problems.append(f"Tham số {name} phải là IRI.")
            else:
                setattr(q, name, args[name])
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
    for name in ("ascending", "attachments", "related_agents", "related_activities"):
        if name in args and args[name] not in ("true", "false"):
            problems.append(f"Tham số {name} phải là true hoặc false.")
    q.ascending = args.get("ascending") == "true"
    if args.get("attachments") == "true":
        problems.append("LRS này không trả tệp đính kèm (attachments=true không được hỗ trợ).")
    if args.get("related_agents") == "true" or args.get("related_activities") == "true":
        problems.append("related_agents / related_activities không được hỗ trợ.")
    if "registration" in args:
        problems.append("Lọc theo registration không được hỗ trợ.")
    if "format" in args and args["format"] not in ("exact", "ids", "canonical"):
        problems.append("Tham số format phải là exact, ids hoặc canonical.")
    if "cursor" in args:
        at, _, last_id = args["cursor"].partition("|")
        moment = ops.parse_timestamp(at)
        if moment is None or not ops.is_uuid(last_id):
            problems.append("Tham số cursor không hợp lệ (dùng nguyên địa chỉ “more”).")
        else:
            q.after = (moment, last_id)
    return q, problems
