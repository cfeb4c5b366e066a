"""xAPI 1.0.3 statement attachments and signed statements (issue 14): the Attachment object
(Data 2.4.11), multipart/mixed requests and what is refused (Communication 1.5), signatures
(Data 2.6: RS256/384/512, the payload, an x5c certificate) and GET …&attachments=true
(Communication 2.1.3), through the endpoint as a provider's LMS calls it."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime, timedelta
from email.parser import BytesParser
from email.policy import HTTP

import pytest
import sqlalchemy as sa
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from trainer.core.extensions import db
from trainer.xapi.attachments import SIGNATURE_USAGE
from trainer.xapi.models import XapiAttachment, XapiStatement
from tests.test_xapi import Lrs, statement

EXPERIENCED = "http://adlnet.gov/expapi/verbs/experienced"
BOUNDARY = "ranh-gioi-314159265358979"
# A content with what could confuse a parser: CR and LF alone, NUL, bytes above 127, a line
# that starts like a boundary, and a CR at its very end.
CONTENT = b"PDF\r\n\x00\xff\xfe--ranh-gioi\n\r--" + bytes(range(256)) + b"\r"
OTHER = "Tài liệu thứ hai".encode()


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def attachment(content: bytes | None = None, **extra) -> dict:
    out = {"usageType": "https://binhdanhocvuso.gov.vn/tep/chung-chi",
           "display": {"vi-VN": "Chứng chỉ"}, "description": {"vi-VN": "Bản chụp chứng chỉ"},
           "contentType": "application/pdf", "length": len(content or b""),
           "sha2": sha256(content or b"")}
    if content is None:
        out["fileUrl"] = "https://binhdanhocvuso.gov.vn/tep/chung-chi.pdf"
    out.update(extra)
    return out


def with_attachments(*attachments, **extra) -> dict:
    return statement(EXPERIENCED, sid=str(uuid.uuid4()), attachments=list(attachments), **extra)


def part(content: bytes, *, sha2: str | None = None, encoding: str | None = "binary",
         content_type: str = "application/pdf") -> tuple[list[str], bytes]:
    headers = [f"Content-Type: {content_type}"]
    if encoding is not None:
        headers.append(f"Content-Transfer-Encoding: {encoding}")
    if sha2 != "":
        headers.append(f"X-Experience-API-Hash: {sha2 or sha256(content)}")
    return headers, content


def mixed(body, *parts, first_type: str = "application/json") -> bytes:
    """A multipart/mixed request body: the statements, then each (headers, content) part."""
    first = ([f"Content-Type: {first_type}"], json.dumps(body).encode())
    out = b""
    for headers, content in (first, *parts):
        out += "\r\n".join([f"--{BOUNDARY}", *headers, "", ""]).encode() + content + b"\r\n"
    return out + f"--{BOUNDARY}--\r\n".encode()


def send(lrs: Lrs, data: bytes, content_type: str = f"multipart/mixed; boundary={BOUNDARY}",
         method: str = "POST", **query):
    return lrs.client.open("/xapi/statements", method=method, data=data,
                           content_type=content_type, query_string=query,
                           headers=lrs._headers())


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.fixture
def lrs(client, catalog):
    return Lrs(client, "BDHVS")


def refused(response, *expected: str) -> None:
    assert response.status_code == 400, response.get_data(as_text=True)
    body = response.get_json()
    for text in expected:
        assert text in body["message"], body
    assert count(XapiStatement) == 0 and count(XapiAttachment) == 0


# --------------------------------------------------------------------------- Data 2.4.11
def test_an_attachment_with_file_url_is_kept_as_sent(lrs):
    stmt = with_attachments(attachment())
    response = lrs.post(stmt)
    assert response.status_code == 200
    assert db.session.get(XapiStatement, stmt["id"]).raw["attachments"] == stmt["attachments"]
    assert count(XapiAttachment) == 0  # nothing sent but its address


@pytest.mark.parametrize("attachments, field", [
    (attachment(), "attachments"),
    ([12345], "attachments[0]"),
    (["should fail"], "attachments[0]"),
    ([attachment(usageType="should fail")], "attachments[0].usageType"),
    ([attachment(contentType=999)], "attachments[0].contentType"),
    # it becomes a part header of the GET answer: no CR/LF, a media type
    ([attachment(contentType="text/plain\r\nX-Evil: 1")], "attachments[0].contentType"),
    ([attachment(contentType="pdf")], "attachments[0].contentType"),
    ([attachment(length="27")], "attachments[0].length"),
    ([attachment(length=-1)], "attachments[0].length"),
    ([attachment(length=True)], "attachments[0].length"),
    ([attachment(sha2=12345)], "attachments[0].sha2"),
    ([attachment(sha2="xyz" * 20)], "attachments[0].sha2"),
    ([attachment(fileUrl="should fail")], "attachments[0].fileUrl"),
    ([attachment(display="Chứng chỉ")], "attachments[0].display"),
    ([attachment(description=12345)], "attachments[0].description"),
    ([attachment(kich_thuoc=1)], "attachments[0].kich_thuoc"),
    ([attachment(), {k: v for k, v in attachment().items() if k != "display"}],
     "attachments[1].display"),
])
def test_a_malformed_attachment_is_refused_naming_the_field(lrs, attachments, field):
    stmt = statement(EXPERIENCED, attachments=attachments)
    refused(lrs.post(stmt), f"statement.{field}: ")


def test_a_substatements_attachments_are_checked_too(lrs):
    sub = {"objectType": "SubStatement", "actor": {"mbox": "mailto:an@xa.gov.vn"},
           "verb": {"id": EXPERIENCED}, "attachments": [attachment(sha2="abc")],
           "object": {"id": "https://binhdanhocvuso.gov.vn/khoa-hoc/1"}}
    refused(lrs.post(statement(EXPERIENCED, object=sub)), "statement.object.attachments[0].sha2")
    sub["attachments"] = [attachment(CONTENT)]
    stmt = statement(EXPERIENCED, object=sub)
    refused(lrs.post(stmt), "statement.object.attachments[0]: không có fileUrl")
    assert send(lrs, mixed(stmt, part(CONTENT))).status_code == 200
    assert db.session.get(XapiAttachment, (lrs.provider_id, sha256(CONTENT))) is not None


def test_json_without_the_content_of_an_attachment_lacking_file_url_is_refused(lrs):
    batch = [with_attachments(attachment()), with_attachments(attachment(CONTENT))]
    refused(lrs.post(batch), "statements[1].attachments[0]: không có fileUrl",
            sha256(CONTENT))


# --------------------------------------------------------------------------- Communication 1.5
def test_multipart_mixed_stores_each_content_once_per_provider(client, lrs):
    shared = attachment(CONTENT)
    batch = [with_attachments(shared, attachment(OTHER, contentType="text/plain; charset=utf-8")),
             with_attachments(shared, attachment())]
    response = send(lrs, mixed(batch, part(CONTENT), part(OTHER, content_type="text/plain")))
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == [s["id"] for s in batch]
    kept = db.session.get(XapiAttachment, (lrs.provider_id, sha256(CONTENT)))
    assert kept.content == CONTENT and kept.content_type == "application/pdf"
    other = db.session.get(XapiAttachment, (lrs.provider_id, sha256(OTHER)))
    assert other.content == OTHER and other.content_type == "text/plain; charset=utf-8"
    # A later statement may send the same content again, or name it by its address only.
    again = with_attachments(shared)
    assert send(lrs, mixed(again, part(CONTENT)), method="PUT",
                statementId=again["id"]).status_code == 204
    assert count(XapiAttachment) == 2
    # Another provider keeps its own copy.
    ptit = Lrs(client, "PTIT")
    assert send(ptit, mixed(with_attachments(shared), part(CONTENT))).status_code == 200
    assert count(XapiAttachment) == 3


def test_a_part_may_carry_the_content_of_an_attachment_with_file_url(lrs):
    stmt = with_attachments(attachment(CONTENT, fileUrl="https://nen-tang.vn/tep/1.pdf"))
    assert send(lrs, mixed(stmt, part(CONTENT))).status_code == 200
    assert count(XapiAttachment) == 1


def test_no_other_multipart_than_mixed(lrs):
    form = f"multipart/form-data; boundary={BOUNDARY}"
    refused(send(lrs, json.dumps(with_attachments(attachment())).encode(), form),
            "multipart/form-data không được nhận")
    refused(send(lrs, mixed(with_attachments(attachment(CONTENT)), part(CONTENT)), form),
            "multipart/form-data")


@pytest.mark.parametrize("make, expected", [
    # No boundary in the Content-Type.
    (lambda s: (mixed(s, part(CONTENT)), "multipart/mixed;"), "cần tham số boundary"),
    # The boundary never opens a part.
    (lambda s: (mixed(s, part(CONTENT)).replace(f"--{BOUNDARY}".encode(), b"--khac"), None),
     "không đúng cú pháp"),
    # No closing boundary (a body cut short).
    (lambda s: (mixed(s, part(CONTENT)).rsplit(b"--" + BOUNDARY.encode(), 1)[0], None),
     "không đúng cú pháp"),
    # The statements are not the first part, or not application/json.
    (lambda s: (mixed(s, part(CONTENT), first_type="text/plain"), None),
     "Phần 1 của nội dung multipart/mixed phải chứa các statement"),
    # The statements split over two parts: the second has no hash.
    (lambda s: (mixed(s, ([("Content-Type: application/json")], json.dumps(s).encode()),
                      part(CONTENT)), None), "Phần 2 của nội dung multipart/mixed: thiếu header "
     "X-Experience-API-Hash"),
    (lambda s: (mixed(s, part(CONTENT, sha2="")), None),
     "Phần 2 của nội dung multipart/mixed: thiếu header X-Experience-API-Hash"),
    (lambda s: (mixed(s, part(CONTENT, sha2=sha256(OTHER))), None),
     f"X-Experience-API-Hash {sha256(OTHER)} không khớp"),
    (lambda s: (mixed(s, part(CONTENT, sha2="abc")), None), "không phải SHA-2"),
    (lambda s: (mixed(s, part(CONTENT, encoding="base64")), None),
     "cần header Content-Transfer-Encoding: binary (nhận được “base64”)"),
    (lambda s: (mixed(s, part(CONTENT, encoding=None)), None),
     "Content-Transfer-Encoding: binary (nhận được “không có”)"),
    # A part no attachment names (Communication 1.5.1: no excess parts).
    (lambda s: (mixed(s, part(CONTENT), part(OTHER)), None),
     f"Phần có X-Experience-API-Hash {sha256(OTHER)} của nội dung multipart/mixed không ứng với "
     "tệp đính kèm nào"),
    # An attachment without fileUrl and without its part.
    (lambda s: (mixed(s), None), "statement.attachments[0]: không có fileUrl"),
    # The statements' JSON is checked as a JSON body is.
    (lambda s: (mixed(s, part(CONTENT)).replace(b"}\r\n--", b"\r\n--", 1), None), "JSON"),
])
def test_a_malformed_multipart_request_is_refused_naming_the_part(lrs, make, expected):
    stmt = with_attachments(attachment(CONTENT))
    data, content_type = make(stmt)
    refused(send(lrs, data, content_type or f"multipart/mixed; boundary={BOUNDARY}"), expected)


def test_a_malformed_multipart_request_names_every_bad_part(lrs):
    stmt = with_attachments(attachment(CONTENT), attachment(OTHER))
    response = send(lrs, mixed(stmt, part(CONTENT, encoding="7bit"), part(OTHER, sha2="")))
    refused(response, "Phần 2", "Phần 3")
    assert len(response.get_json()["errors"]) == 2


# --------------------------------------------------------------------------- Data 2.6
@pytest.fixture(scope="module")
def signer():
    """An RSA key and its self-signed certificate, as a signing LMS has."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "LMS Bình dân học vụ số")])
    now = datetime.now(UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - timedelta(days=1))
                   .not_valid_after(now + timedelta(days=30))
                   .sign(key, hashes.SHA256()))
    return key, base64.b64encode(certificate.public_bytes(serialization.Encoding.DER)).decode()


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jws(payload, key, *, alg: str = "RS256", x5c: str | None = None) -> bytes:
    header = {"alg": alg, **({"x5c": [x5c]} if x5c else {})}
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    signing_input = f"{_b64url(json.dumps(header).encode())}.{_b64url(body)}".encode()
    if alg.startswith("HS"):
        signature = hmac.new(b"bi-mat", signing_input, hashlib.sha256).digest()
    else:
        chosen = {"RS256": hashes.SHA256, "RS384": hashes.SHA384, "RS512": hashes.SHA512}[alg]
        signature = key.sign(signing_input, padding.PKCS1v15(), chosen())
    return signing_input + b"." + _b64url(signature).encode()


def signed(stmt: dict, token: bytes, *, content_type: str = "application/octet-stream"):
    """The statement with its signature attached, and the multipart body that sends both."""
    out = json.loads(json.dumps(stmt))
    out.setdefault("attachments", []).append({
        "usageType": SIGNATURE_USAGE, "display": {"vi-VN": "Chữ ký của LMS"},
        "contentType": content_type, "length": len(token), "sha2": sha256(token)})
    return out, mixed(out, part(token, content_type=content_type))


@pytest.mark.parametrize("alg, with_certificate", [("RS256", True), ("RS384", False),
                                                    ("RS512", True)])
def test_a_signed_statement_is_accepted_and_kept_with_its_signature(lrs, signer, alg,
                                                                    with_certificate):
    key, certificate = signer
    stmt = statement(EXPERIENCED, sid=str(uuid.uuid4()))
    token = jws(stmt, key, alg=alg, x5c=certificate if with_certificate else None)
    sent, body = signed(stmt, token)
    response = send(lrs, body)
    assert response.status_code == 200, response.get_json()
    assert db.session.get(XapiStatement, stmt["id"]).raw["attachments"] == sent["attachments"]
    assert db.session.get(XapiAttachment, (lrs.provider_id, sha256(token))).content == token


def test_the_payload_is_the_statement_before_its_signature(lrs, signer):
    key, certificate = signer
    # Without an id (the LRS assigns one), with another attachment sent beside the signature,
    # and with the timestamp written another way in the payload.
    stmt = statement(EXPERIENCED, timestamp="2026-11-20T08:30:00+07:00",
                     attachments=[attachment(CONTENT)])
    token = jws(dict(stmt, timestamp="2026-11-20T01:30:00Z"), key, x5c=certificate)
    sent, _ = signed(stmt, token)
    body = mixed(sent, part(CONTENT), part(token, content_type="application/octet-stream"))
    assert send(lrs, body).status_code == 200
    assert count(XapiAttachment) == 2


@pytest.mark.parametrize("make, expected", [
    (lambda s, key, cert: jws(dict(s, verb={"id": "http://adlnet.gov/expapi/verbs/passed"}),
                              key, x5c=cert), "payload) của JWS phải là JSON của chính statement"),
    (lambda s, key, cert: jws(dict(s, id=str(uuid.uuid4())), key),
     "payload) của JWS phải là JSON"),
    (lambda s, key, cert: jws(json.dumps(s).replace('"', "'", 1).encode(), key),
     "payload) của JWS phải là JSON"),
    (lambda s, key, cert: jws(s, key, alg="HS256"),
     "thuật toán chữ ký “HS256” không được nhận: chỉ RS256, RS384 hoặc RS512"),
    (lambda s, key, cert: jws(s, rsa.generate_private_key(public_exponent=65537, key_size=1024),
                              x5c=cert), "không khớp với khóa công khai của chứng thư x5c[0]"),
    (lambda s, key, cert: jws(s, key, x5c=base64.b64encode(b"khong-phai-chung-thu").decode()),
     "x5c[0] của JWS không phải chứng thư X.509"),
    (lambda s, key, cert: b"khong-phai-jws", "chữ ký không phải JWS dạng compact"),
])
def test_a_bad_signature_is_refused(lrs, signer, make, expected):
    key, certificate = signer
    stmt = statement(EXPERIENCED, sid=str(uuid.uuid4()))
    _, body = signed(stmt, make(stmt, key, certificate))
    refused(send(lrs, body), "statement.attachments[0]: ", expected)


def test_a_signature_must_be_octet_stream_and_sent_as_a_part(lrs, signer):
    key, certificate = signer
    stmt = statement(EXPERIENCED, sid=str(uuid.uuid4()))
    token = jws(stmt, key, x5c=certificate)
    _, body = signed(stmt, token, content_type="text/plain; charset=ascii")
    refused(send(lrs, body), "statement.attachments[0].contentType: chữ ký",
            "application/octet-stream")
    sent, _ = signed(stmt, token)
    sent["attachments"][0]["fileUrl"] = "https://nen-tang.vn/chu-ky/1"
    refused(lrs.post(sent), "statement.attachments[0]: chữ ký phải được gửi kèm")


# --------------------------------------------------------------------------- Communication 2.1
def _parts(response) -> list:
    """The parts of a multipart/mixed answer, read by the stdlib's MIME parser."""
    content_type = response.headers["Content-Type"]
    assert content_type.startswith("multipart/mixed; boundary=")
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + response.data)
    assert not message.defects
    return message.get_payload()


def test_get_with_attachments_true_answers_multipart_mixed(client, lrs):
    first = with_attachments(attachment(CONTENT), attachment(OTHER, contentType="text/plain"),
                             attachment())
    second = with_attachments(attachment(CONTENT))
    assert send(lrs, mixed([first, second], part(CONTENT), part(OTHER))).status_code == 200

    one = lrs.get(statementId=first["id"], attachments="true")
    assert one.status_code == 200 and one.headers["Last-Modified"]
    head, *files = _parts(one)
    assert head.get_content_type() == "application/json"
    assert json.loads(head.get_payload(decode=True))["id"] == first["id"]
    assert [(f["Content-Type"], f["Content-Transfer-Encoding"], f["X-Experience-API-Hash"],
             f.get_payload(decode=True)) for f in files] == [
        ("application/pdf", "binary", sha256(CONTENT), CONTENT),
        ("text/plain", "binary", sha256(OTHER), OTHER)]  # the fileUrl one has no content here
    # Each hash twice: in the statement's attachments and on its part.
    assert one.data.count(sha256(CONTENT).encode()) == 2

    # A StatementResult: each content once, however many statements name it.
    many = lrs.get(attachments="true")
    head, *files = _parts(many)
    assert {s["id"] for s in json.loads(head.get_payload(decode=True))["statements"]} == {
        first["id"], second["id"]}
    assert sorted(f["X-Experience-API-Hash"] for f in files) == sorted([sha256(CONTENT),
                                                                        sha256(OTHER)])
    # Without attachments=true (or with false): plain JSON.
    for params in ({}, {"attachments": "false"}):
        assert lrs.get(statementId=first["id"], **params).mimetype == "application/json"
        assert lrs.get(**params).get_json()["statements"]
    assert lrs.get(statementId=first["id"], attachments="co").status_code == 400

    # Another provider naming the same content by its address gets no content it did not send.
    ptit = Lrs(client, "PTIT")
    mine = with_attachments(attachment(sha2=sha256(CONTENT)))
    assert ptit.post(mine).status_code == 200
    head, *files = _parts(ptit.get(statementId=mine["id"], attachments="true"))
    assert files == []
