"""Statement attachments (xAPI 1.0.3 Data 2.4.11, Communication 1.5.2) and signed statements
(Data 2.6).

An attachment describes a file: usageType, display, contentType, length, the SHA-2 of the content
(`sha2`), and either a `fileUrl` where the content is, or the content itself sent beside the
statements in a multipart/mixed request. There the first part holds the statements (Content-Type
application/json) and each further part one attachment's content, with the headers
`X-Experience-API-Hash` (its SHA-2 in hex, which must match) and `Content-Transfer-Encoding:
binary`. Each part must belong to an attachment of the statements sent, and each attachment
without fileUrl must have its part. Contents are kept once per provider and SHA-2
(XapiAttachment) and returned in the same format by GET …&attachments=true.

A signed statement (Data 2.6) carries an attachment of usageType SIGNATURE_USAGE and contentType
application/octet-stream whose content is a JWS in compact serialisation, signed with RS256, RS384
or RS512, whose payload is the statement as it was before the signature was attached. When the JWS
header carries a certificate chain (`x5c`), the signature is checked with the first certificate's
public key; without one it cannot be checked (the spec asks for no more).
Functions here flush, never commit.
"""
from __future__ import annotations

import base64
import binascii
import email.policy
import hashlib
import re
import uuid
from email.message import Message
from email.parser import BytesHeaderParser

import sqlalchemy as sa
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from flask import current_app

from trainer.core.extensions import db
from trainer.core.params import JsonRefused, json_limits, read_json
from trainer.xapi import operations as ops
from trainer.xapi.models import XapiAttachment

SIGNATURE_USAGE = "http://adlnet.gov/expapi/attachments/signature"
SIGNATURE_TYPE = "application/octet-stream"
_SHA2 = {56: hashlib.sha224, 64: hashlib.sha256, 96: hashlib.sha384, 128: hashlib.sha512}
_HEX = re.compile(r"[0-9a-fA-F]+")
_RSA_HASHES = {"RS256": hashes.SHA256, "RS384": hashes.SHA384, "RS512": hashes.SHA512}
_MULTIPART = "nội dung multipart/mixed"
MAX_PART_HEADERS = 16 * 1024  # bytes of a part's headers


def is_sha2(value) -> bool:
    """A SHA-2 digest in hex: SHA-224, SHA-256, SHA-384 or SHA-512."""
    return isinstance(value, str) and len(value) in _SHA2 and bool(_HEX.fullmatch(value))


# --- the request -----------------------------------------------------------------------------

def _body_parts(raw: bytes, boundary: bytes) -> list[bytes] | None:
    """The body parts of a multipart body (RFC 2046 §5.1.1: each delimiter is CRLF, "--",
    the boundary, optional white space and CRLF; the last is followed by "--"), the preamble and
    the epilogue left out; None when the delimiters are not there as the grammar says."""
    delimiter = b"\r\n--" + boundary
    at = -2 if raw.startswith(delimiter[2:]) else raw.find(delimiter)  # the first needs no CRLF
    if at == -1:
        return None
    parts = []
    while not raw.startswith(b"--", at + len(delimiter)):
        line_end = raw.find(b"\r\n", at + len(delimiter))
        if line_end < 0 or raw[at + len(delimiter):line_end].strip(b" \t"):
            return None
        at = raw.find(delimiter, line_end + 2)
        if at < 0:
            return None  # no closing delimiter: a body cut short
        parts.append(raw[line_end + 2:at])
    return parts


def _headers_and_content(part: bytes) -> tuple[Message, bytes] | None:
    """A body part's headers (read by the stdlib's MIME parser) and its content, exactly as
    sent; None when the headers are malformed or no blank line ends them."""
    end = -2 if part.startswith(b"\r\n") else part.find(b"\r\n\r\n")
    if end == -1 or end > MAX_PART_HEADERS:
        return None
    headers = BytesHeaderParser(policy=email.policy.HTTP).parsebytes(part[:end + 4])
    return None if headers.defects else (headers, part[end + 4:])


def parse_multipart(raw: bytes, boundary: str) -> tuple[bytes, dict[str, bytes]]:
    """A multipart/mixed request body (Communication 1.5.2) with the boundary its Content-Type
    names: the first part's content (the statements' JSON) and the content of each further part
    by its SHA-2 (lower-case hex). Raises StatementError(400) naming each part that is wrong."""
    if not (0 < len(boundary) <= 70 and boundary.isascii()):
        raise ops.StatementError(400, ["Content-Type multipart/mixed cần tham số boundary (1–70 "
                                       "ký tự), ví dụ “multipart/mixed; boundary=abc123”."])
    parts = _body_parts(raw, boundary.encode())
    if not parts:
        raise ops.StatementError(400, [
            f"Nội dung multipart/mixed không đúng cú pháp: mỗi phần mở đầu bằng dòng "
            f"“--{boundary}”, phần cuối kết thúc bằng dòng “--{boundary}--”."])
    first = _headers_and_content(parts[0])
    kind = first[0].get_content_type() if first else "không đọc được"
    if kind != "application/json":
        raise ops.StatementError(400, [
            f"Phần 1 của {_MULTIPART} phải chứa các statement, với Content-Type "
            f"application/json (nhận được “{kind}”)."])
    contents, errors = {}, []
    for n, part in enumerate(parts[1:], start=2):
        where = f"Phần {n} của {_MULTIPART}"
        read = _headers_and_content(part)
        if read is None:
            errors.append(f"{where}: không đúng cú pháp (các header, một dòng trống, rồi nội "
                          "dung tệp).")
            continue
        headers, content = read
        encoding = str(headers.get("Content-Transfer-Encoding", "")).strip()
        if encoding.lower() != "binary":
            errors.append(f"{where}: cần header Content-Transfer-Encoding: binary (nhận được "
                          f"“{encoding[:40] or 'không có'}”).")
        declared = str(headers.get("X-Experience-API-Hash", "")).strip().lower()
        if not declared:
            errors.append(f"{where}: thiếu header X-Experience-API-Hash (SHA-2 của nội dung, "
                          "dạng hex, bằng sha2 của tệp đính kèm).")
        elif not is_sha2(declared):
            errors.append(f"{where}: X-Experience-API-Hash “{declared[:40]}” không phải SHA-2 "
                          "dạng hex (56, 64, 96 hoặc 128 ký tự).")
        elif _SHA2[len(declared)](content).hexdigest() != declared:
            errors.append(f"{where}: X-Experience-API-Hash {declared} không khớp với SHA-2 của "
                          "nội dung phần này.")
        else:
            contents[declared] = content
    if errors:
        raise ops.StatementError(400, errors)
    return first[1], contents


def _attachments_of(stmt: dict, path: str):
    """(path, attachment) of a statement's attachments and its SubStatement's."""
    for where, holder in ((path, stmt), (f"{path}.object", stmt.get("object"))):
        if isinstance(holder, dict) and isinstance(holder.get("attachments"), list) and (
                holder is stmt or holder.get("objectType") == "SubStatement"):
            for j, attachment in enumerate(holder["attachments"]):
                yield f"{where}.attachments[{j}]", attachment


def receive(body, contents: dict[str, bytes], provider_id: int) -> None:
    """Check the attachments of the statements sent (their Attachment objects are valid: the
    model checked them) — a part for each attachment without fileUrl, an attachment for each
    part, each signature (Data 2.6) — then keep the contents. Called once ops.store_statements
    accepted `body` as statements, in the same transaction: a refusal here (StatementError 400,
    every problem) stores nothing. `length` is not compared with the content: the SHA-2 is what
    identifies it."""
    single = isinstance(body, dict)
    statements = [body] if single else body
    errors, named = [], {}
    for i, stmt in enumerate(statements):
        for path, attachment in _attachments_of(stmt, "statement" if single
                                                else f"statements[{i}]"):
            sha2 = attachment["sha2"].lower()
            named.setdefault(sha2, attachment["contentType"])
            if "fileUrl" not in attachment and sha2 not in contents:
                errors.append(f"{path}: không có fileUrl, cũng không có phần nào của nội dung "
                              f"mang X-Experience-API-Hash {sha2}: gửi nội dung tệp (một phần "
                              "của multipart/mixed) hoặc cho fileUrl.")
    errors += [f"Phần có X-Experience-API-Hash {sha2} của {_MULTIPART} không ứng với tệp đính "
               "kèm nào của các statement (sha2)." for sha2 in contents if sha2 not in named]
    if errors:
        raise ops.StatementError(400, errors)
    for i, stmt in enumerate(statements):
        for j, attachment in enumerate(stmt.get("attachments", [])):
            if attachment["usageType"] == SIGNATURE_USAGE:
                path = f"{'statement' if single else f'statements[{i}]'}.attachments[{j}]"
                errors += _signature_problems(stmt, attachment, contents, path)
    if errors:
        raise ops.StatementError(400, errors)
    for sha2, content in contents.items():
        if db.session.get(XapiAttachment, (provider_id, sha2)) is None:
            db.session.add(XapiAttachment(provider_id=provider_id, sha2=sha2,
                                          content_type=named[sha2], content=content))
    db.session.flush()


# --- signed statements -----------------------------------------------------------------------

def _signature_problems(stmt: dict, signature: dict, contents: dict[str, bytes],
                        path: str) -> list[str]:
    if signature["contentType"].split(";")[0].strip().lower() != SIGNATURE_TYPE:
        return [f"{path}.contentType: chữ ký (usageType {SIGNATURE_USAGE}) phải có contentType "
                f"{SIGNATURE_TYPE}."]
    token = contents.get(signature["sha2"].lower())
    if token is None:
        return [f"{path}: chữ ký phải được gửi kèm, là một phần của nội dung multipart/mixed "
                "(không qua fileUrl)."]
    unsigned = {k: v for k, v in stmt.items() if k != "attachments"}
    others = [a for a in stmt["attachments"] if a is not signature]
    if others:
        unsigned["attachments"] = others
    problem = jws_problem(token, unsigned)
    return [f"{path}: {problem}"] if problem else []


def _b64url(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)


def jws_problem(token: bytes, unsigned: dict) -> str | None:
    """What is wrong with a statement's signature (a JWS, compact serialisation) given the
    statement without it, in Vietnamese; None when it is good."""
    limits = json_limits(current_app.config)
    try:
        header_part, payload_part, signature_part = token.decode("ascii").strip().split(".")
        header = read_json(_b64url(header_part), **limits)
        payload_text, signature = _b64url(payload_part), _b64url(signature_part)
    except (UnicodeDecodeError, ValueError, binascii.Error):  # JsonRefused is a ValueError
        return ("chữ ký không phải JWS dạng compact (header.payload.chữ-ký, mỗi phần mã "
                "base64url, header là JSON).")
    algorithm = header.get("alg") if isinstance(header, dict) else None
    if algorithm not in _RSA_HASHES:
        shown = "không có" if algorithm is None else str(algorithm)[:20]
        return f"thuật toán chữ ký “{shown}” không được nhận: chỉ RS256, RS384 hoặc RS512."
    if "x5c" in header:
        problem = _certificate_problem(header["x5c"], algorithm,
                                       f"{header_part}.{payload_part}".encode(), signature)
        if problem:
            return problem
    try:
        payload = read_json(payload_text, **limits)
    except JsonRefused:
        payload = None
    if not _same_as_signed(payload, unsigned):
        return ("nội dung (payload) của JWS phải là JSON của chính statement này trước khi gắn "
                "chữ ký, nhưng nó khác statement đã gửi.")
    return None


def _certificate_problem(chain, algorithm: str, signed: bytes, signature: bytes) -> str | None:
    if not (isinstance(chain, list) and chain and isinstance(chain[0], str)):
        return "x5c của JWS phải là danh sách chứng thư X.509 (DER mã base64)."
    try:
        key = x509.load_der_x509_certificate(base64.b64decode(chain[0], validate=True)) \
            .public_key()
    except (ValueError, binascii.Error, UnsupportedAlgorithm):
        return "x5c[0] của JWS không phải chứng thư X.509 đọc được."
    if not isinstance(key, rsa.RSAPublicKey):
        return f"chứng thư x5c[0] phải mang khóa RSA (thuật toán {algorithm})."
    try:
        key.verify(signature, signed, padding.PKCS1v15(), _RSA_HASHES[algorithm]())
    except InvalidSignature:
        return "chữ ký JWS không khớp với khóa công khai của chứng thư x5c[0]."
    return None


def _same_as_signed(payload, unsigned: dict) -> bool:
    """The JWS payload is the statement sent, less its signature: compared as a re-sent statement
    is (ops.same_statement: without what the LRS sets); an empty `attachments` is none."""
    if not isinstance(payload, dict) or ops.validate_statement(payload, "payload"):
        return False
    if payload.get("attachments") == []:
        payload = {k: v for k, v in payload.items() if k != "attachments"}
    if ("id" in payload) != ("id" in unsigned):
        return False
    blank = {} if "id" in unsigned else {"id": ""}
    return ops.same_statement({**payload, **blank}, {**unsigned, **blank})


# --- the answer ------------------------------------------------------------------------------

def multipart_answer(document: dict, provider_id: int) -> tuple[bytes, str]:
    """GET …&attachments=true (Communication 2.1.3): the statement or the StatementResult as the
    first part (application/json), then the content of each attachment its statements name
    (each once, those whose content the LRS keeps). Returns the body and its Content-Type."""
    statements = document["statements"] if "statements" in document else [document]
    named = list(dict.fromkeys(
        attachment["sha2"].lower() for stmt in statements
        for _, attachment in _attachments_of(stmt, "")
        if isinstance(attachment, dict) and is_sha2(attachment.get("sha2"))))
    kept = {a.sha2: a for a in db.session.scalars(sa.select(XapiAttachment).where(
        XapiAttachment.provider_id == provider_id, XapiAttachment.sha2.in_(named)))} \
        if named else {}
    parts = [(["Content-Type: application/json"], current_app.json.dumps(document).encode())]
    parts += [([f"Content-Type: {kept[sha2].content_type}", "Content-Transfer-Encoding: binary",
                f"X-Experience-API-Hash: {sha2}"], kept[sha2].content)
              for sha2 in named if sha2 in kept]
    boundary = uuid.uuid4().hex
    while any(boundary.encode() in content for _, content in parts):
        boundary = uuid.uuid4().hex
    chunks = []
    for headers, content in parts:
        chunks += ["\r\n".join([f"--{boundary}", *headers, "", ""]).encode(), content, b"\r\n"]
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f"multipart/mixed; boundary={boundary}"
