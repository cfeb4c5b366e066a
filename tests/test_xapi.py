"""xAPI 1.0.3 statements endpoint (issue 5): the spec's rules (version header, ids, idempotent
re-send, 409, 400 with what is wrong), provider credentials, and a completion closing a gap
exactly as a school's result does; unknown actors and activities wait in the review queue."""
from __future__ import annotations

import base64
import hashlib
import json
import uuid
from datetime import UTC, date, timedelta

import pytest
import sqlalchemy as sa

from trainer.catalog.models import Course, Position, Provider
from trainer.core.errors import DomainError
from trainer.core.extensions import db
from trainer.core.timeutil import today
from trainer.guidance.operations import guidance_for
from trainer.interchange.models import ReviewItem
from trainer.learning.models import Enrollment
from trainer.people.models import Assessment
from trainer.people.operations import record_assessment
from trainer.targets.operations import facts_for, progress_of
from trainer.targets.presets import BY_CODE
from trainer.xapi import operations as ops
from trainer.xapi.models import ActivityMapping, XapiStatement

PASSED = "http://adlnet.gov/expapi/verbs/passed"
COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
FAILED = "http://adlnet.gov/expapi/verbs/failed"
EXPERIENCED = "http://adlnet.gov/expapi/verbs/experienced"
ACTIVITY = "https://binhdanhocvuso.gov.vn/khoa-hoc/van-ban-dien-tu"


# --------------------------------------------------------------------------- helpers
def _by_code(model, code):
    return db.session.scalar(sa.select(model).where(model.code == code))


def count(model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


class Lrs:
    """A provider's view of the endpoint: its credential and the version header on every call."""

    def __init__(self, client, provider_code: str, version: str | None = "1.0.3"):
        provider = _by_code(Provider, provider_code)
        cred, secret = ops.create_xapi_credential(provider)
        db.session.commit()
        self.client, self.version, self.provider_id = client, version, provider.id
        token = base64.b64encode(f"{cred.key}:{secret}".encode()).decode()
        self.headers = {"Authorization": f"Basic {token}"}

    def _headers(self, **extra):
        headers = dict(self.headers)
        if self.version is not None:
            headers["X-Experience-API-Version"] = self.version
        headers.update(extra)
        return headers

    def post(self, body, **headers):
        data = body if isinstance(body, (str, bytes)) else json.dumps(body)
        return self.client.post("/xapi/statements", data=data,
                                content_type="application/json",
                                headers=self._headers(**headers))

    def put(self, body, statement_id, **headers):
        return self.client.put("/xapi/statements", query_string={"statementId": statement_id},
                               data=json.dumps(body), content_type="application/json",
                               headers=self._headers(**headers))

    def get(self, **params):
        return self.client.get("/xapi/statements", query_string=params, headers=self._headers())


def statement(verb=PASSED, *, email="hoc.vien@xa.gov.vn", activity=ACTIVITY, scaled=None,
              sid: str | None = None, **extra):
    stmt = {"actor": {"objectType": "Agent", "name": "Học viên", "mbox": f"mailto:{email}"},
            "verb": {"id": verb, "display": {"vi-VN": verb.rsplit("/", 1)[-1]}},
            "object": {"objectType": "Activity", "id": activity,
                       "definition": {"name": {"vi-VN": "Văn bản điện tử và chữ ký số"}}}}
    if scaled is not None:
        stmt["result"] = {"score": {"scaled": scaled}, "success": True, "completion": True}
    if sid is not None:
        stmt["id"] = sid
    stmt.update(extra)
    return stmt


@pytest.fixture
def bdhvs(client, catalog):
    return Lrs(client, "BDHVS")


@pytest.fixture
def mapped(bdhvs):
    """BDHVS's activity for its online course BDHVS-VBDT (CDS-02:2, HC-02:1) is mapped."""
    ops.map_activity(_by_code(Provider, "BDHVS"), ACTIVITY, _by_code(Course, "BDHVS-VBDT"))
    db.session.commit()
    return bdhvs


def _official_with_gap(make_official, email="hoc.vien@xa.gov.vn"):
    """A CV-VP specialist meeting every requirement except CDS-02 (level 0 of 2)."""
    official = make_official(position=_by_code(Position, "CV-VP"), email=email)
    for req in official.position.requirements:
        level = 0 if req.competency.code == "CDS-02" else req.level
        record_assessment(official, req.competency, level, source="supervisor",
                          assessor="Trưởng phòng", on=today() - timedelta(days=30))
    db.session.commit()
    return official


# --------------------------------------------------------------------------- protocol
def test_version_header_is_required_and_always_answered(client, bdhvs):
    body = statement(EXPERIENCED)
    bdhvs.version = None
    response = bdhvs.post(body)
    assert response.status_code == 400
    assert "X-Experience-API-Version" in response.get_json()["message"]
    assert response.headers["X-Experience-API-Version"] == "1.0.3"
    for bad in ("1.1.0", "2.0.0", "0.95", "abc"):
        bdhvs.version = bad
        response = bdhvs.post(body)
        assert response.status_code == 400, bad
        assert bad in response.get_json()["message"]
        assert response.headers["X-Experience-API-Version"] == "1.0.3"
    for good in ("1.0.0", "1.0.3", "1.0"):
        bdhvs.version = good
        response = bdhvs.post(body)
        assert response.status_code == 200, good
        assert response.headers["X-Experience-API-Version"] == "1.0.3"
        assert "X-Experience-API-Consistent-Through" in response.headers
    # The about resource needs neither the header nor a credential.
    about = client.get("/xapi/about")
    assert about.status_code == 200 and about.get_json()["version"] == ["1.0.3"]
    assert about.headers["X-Experience-API-Version"] == "1.0.3"
    # Even a route that does not exist under /xapi says which version it speaks.
    assert client.get("/xapi/khong-co").headers["X-Experience-API-Version"] == "1.0.3"
    assert client.delete("/xapi/statements").headers["X-Experience-API-Version"] == "1.0.3"


def test_credentials_are_required(client, bdhvs):
    from trainer.auth.tokens import issue_credential
    body = json.dumps(statement(EXPERIENCED))
    version = {"X-Experience-API-Version": "1.0.3"}

    def post(**headers):
        return client.post("/xapi/statements", data=body, content_type="application/json",
                           headers={**version, **headers})

    response = post()
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    assert response.headers["X-Experience-API-Version"] == "1.0.3"
    key = base64.b64decode(bdhvs.headers["Authorization"][6:]).decode().split(":")[0]
    wrong = base64.b64encode(f"{key}:sai-mat-khau".encode()).decode()
    assert post(Authorization=f"Basic {wrong}").status_code == 401
    assert post(Authorization="Basic khong-phai-base64!").status_code == 401
    assert post(Authorization="Bearer abc").status_code == 401
    # A JSON API token is not an xAPI credential.
    api_cred, secret = issue_credential("api", name="api")
    db.session.commit()
    token = base64.b64encode(f"{api_cred.key}:{secret}".encode()).decode()
    assert post(Authorization=f"Basic {token}").status_code == 401
    assert count(XapiStatement) == 0
    assert bdhvs.post(statement(EXPERIENCED)).status_code == 200


def test_post_one_or_many_answers_the_ids_in_order(bdhvs):
    given = str(uuid.uuid4())
    response = bdhvs.post(statement(EXPERIENCED, sid=given))
    assert response.status_code == 200 and response.get_json() == [given]

    response = bdhvs.post(statement(EXPERIENCED))  # no id: the LRS assigns one
    (assigned,) = response.get_json()
    assert uuid.UUID(assigned).version == 4

    batch = [statement(EXPERIENCED, sid=str(uuid.uuid4())), statement(EXPERIENCED),
             statement(EXPERIENCED, sid=str(uuid.uuid4()).upper())]
    ids = bdhvs.post(batch).get_json()
    assert len(ids) == 3
    assert ids[0] == batch[0]["id"] and ids[2] == batch[2]["id"].lower()
    assert count(XapiStatement) == 5
    stored = db.session.get(XapiStatement, ids[0])
    assert stored.raw["object"]["definition"]["name"] == {"vi-VN": "Văn bản điện tử và chữ ký số"}
    assert (stored.outcome, stored.verb_id, stored.activity_id) == ("ignored", EXPERIENCED,
                                                                    ACTIVITY)
    assert stored.actor_key == "mbox:mailto:hoc.vien@xa.gov.vn"


def test_resending_is_idempotent_and_a_different_content_is_a_conflict(mapped, make_official):
    _official_with_gap(make_official)
    sid = str(uuid.uuid4())
    first = statement(PASSED, scaled=0.85, sid=sid, timestamp="2026-11-20T08:30:00+07:00")
    assert mapped.post([first]).get_json() == [sid]
    before = (count(XapiStatement), count(Enrollment), count(Assessment), count(ReviewItem))
    raw_before = dict(db.session.get(XapiStatement, sid).raw)

    # The same statement again — also with the same instant written another way, and with the
    # properties the LRS sets — changes nothing.
    same = dict(first, timestamp="2026-11-20T01:30:00Z", version="1.0.0",
                stored="2030-01-01T00:00:00Z")
    for body in ([first], first, [same]):
        response = mapped.post(body)
        assert response.status_code == 200 and response.get_json() == [sid]
    assert (count(XapiStatement), count(Enrollment), count(Assessment),
            count(ReviewItem)) == before

    # Other content under the same id: 409, and the whole request is refused.
    changed = statement(PASSED, scaled=0.95, sid=sid)
    fresh = statement(EXPERIENCED, sid=str(uuid.uuid4()))
    response = mapped.post([fresh, changed])
    assert response.status_code == 409
    assert "statements[1]" in response.get_json()["message"] and sid in response.get_json()[
        "message"]
    assert response.headers["X-Experience-API-Version"] == "1.0.3"
    assert db.session.get(XapiStatement, fresh["id"]) is None
    db.session.expire_all()
    assert db.session.get(XapiStatement, sid).raw == raw_before
    assert (count(XapiStatement), count(Enrollment), count(Assessment),
            count(ReviewItem)) == before


def test_another_provider_cannot_reuse_a_statement_id(client, bdhvs):
    other = Lrs(client, "PTIT")
    stmt = statement(EXPERIENCED, sid=str(uuid.uuid4()))
    assert bdhvs.post(stmt).status_code == 200
    assert other.post(stmt).status_code == 409


@pytest.mark.parametrize("index, change, expected", [
    (1, lambda s: s["actor"].update(account={"homePage": "https://lms.vn", "name": "x"}),
     "statements[1].actor: phải có đúng một định danh"),
    (0, lambda s: s["actor"].pop("mbox"), "statements[0].actor: thiếu định danh"),
    (1, lambda s: s["actor"].update(mbox="hoc.vien@xa.gov.vn"), "statements[1].actor.mbox"),
    (0, lambda s: s["actor"].update(mbox_sha1sum="xyz", mbox=None) or s["actor"].pop("mbox"),
     "statements[0].actor.mbox_sha1sum"),
    (1, lambda s: s["actor"].pop("mbox") and s["actor"].update(account={"homePage": "lms"}),
     "statements[1].actor.account.homePage"),
    (0, lambda s: s["verb"].pop("id"), "statements[0].verb.id: thiếu"),
    (1, lambda s: s["verb"].update(id="da hoan thanh"), "statements[1].verb.id"),
    (0, lambda s: s.pop("verb"), "statements[0].verb: thiếu"),
    (1, lambda s: s["object"].update(id="khoa hoc 1"), "statements[1].object.id"),
    (0, lambda s: s["object"].pop("id"), "statements[0].object.id: thiếu"),
    (1, lambda s: s.update(id="123"), "statements[1].id: '123' không phải UUID"),
    (0, lambda s: s.update(result={"score": {"scaled": 1.5}}),
     "statements[0].result.score.scaled: 1.5 nằm ngoài khoảng"),
    (1, lambda s: s.update(result={"score": {"scaled": "0.8"}}),
     "statements[1].result.score.scaled: phải là số"),
    (0, lambda s: s.update(result={"completion": "yes"}), "statements[0].result.completion"),
    (1, lambda s: s.update(timestamp="20/11/2026"), "statements[1].timestamp"),
    (0, lambda s: s.update(timestamp="2026-02-30T08:00:00Z"), "statements[0].timestamp"),
    (1, lambda s: s.update(diem=9), "statements[1].diem: thuộc tính không có"),
    (0, lambda s: s.update(result=None), "statements[0].result: giá trị null"),
    (1, lambda s: s.update(version="1.1.0"), "statements[1].version"),
])
def test_malformed_statements_are_refused_with_what_is_wrong(bdhvs, index, change, expected):
    batch = [statement(EXPERIENCED), statement(EXPERIENCED)]
    change(batch[index])
    response = bdhvs.post(batch)
    assert response.status_code == 400
    body = response.get_json()
    assert expected in body["message"], body
    assert any(expected in e for e in body["errors"])
    assert response.headers["X-Experience-API-Version"] == "1.0.3"
    assert count(XapiStatement) == 0  # all or nothing


def test_other_bad_requests(bdhvs):
    sid = str(uuid.uuid4())
    response = bdhvs.post([statement(EXPERIENCED, sid=sid), statement(EXPERIENCED),
                           statement(EXPERIENCED, sid=sid)])
    assert response.status_code == 400
    assert "statements[2].id: trùng id với statements[0]" in response.get_json()["message"]
    response = bdhvs.post("{không phải json")
    assert response.status_code == 400 and "JSON" in response.get_json()["message"]
    assert bdhvs.post([]).status_code == 400
    assert bdhvs.post("42").status_code == 400
    single = bdhvs.post(dict(statement(EXPERIENCED), id="abc"))
    assert single.status_code == 400
    assert single.get_json()["message"].startswith("statement.id: 'abc' không phải UUID")
    assert count(XapiStatement) == 0


def test_put_stores_one_statement(bdhvs):
    sid = str(uuid.uuid4())
    body = statement(EXPERIENCED)
    response = bdhvs.put(body, sid)
    assert response.status_code == 204 and response.data == b""
    assert response.headers["X-Experience-API-Version"] == "1.0.3"
    assert db.session.get(XapiStatement, sid).raw["id"] == sid
    assert bdhvs.put(body, sid).status_code == 204  # same again: no change
    assert bdhvs.put(statement(COMPLETED), sid).status_code == 409
    mismatch = bdhvs.put(statement(EXPERIENCED, sid=str(uuid.uuid4())), str(uuid.uuid4()))
    assert mismatch.status_code == 400 and "statementId" in mismatch.get_json()["message"]
    assert bdhvs.put(body, "khong-phai-uuid").status_code == 400
    assert count(XapiStatement) == 1


def test_get_by_id_by_agent_and_since(client, bdhvs, monkeypatch):
    from datetime import datetime
    moments = iter([datetime(2026, 11, 1, 8, tzinfo=UTC),
                    datetime(2026, 11, 2, 8, tzinfo=UTC),
                    datetime(2026, 11, 3, 8, tzinfo=UTC),
                    datetime(2026, 11, 4, 8, tzinfo=UTC)])
    monkeypatch.setattr(ops, "stored_now", lambda: next(moments))
    a1 = bdhvs.post(statement(EXPERIENCED, email="an@xa.gov.vn")).get_json()[0]
    b1 = bdhvs.post(statement(EXPERIENCED, email="binh@xa.gov.vn")).get_json()[0]
    a2, a3 = bdhvs.post([statement(EXPERIENCED, email="AN@xa.gov.vn"),
                         statement(COMPLETED, email="an@xa.gov.vn")]).get_json()
    other = Lrs(client, "PTIT")
    monkeypatch.setattr(ops, "stored_now", lambda: datetime(2026, 11, 5, tzinfo=UTC))
    foreign = other.post(statement(EXPERIENCED, email="an@xa.gov.vn")).get_json()[0]

    one = bdhvs.get(statementId=a1)
    assert one.status_code == 200
    got = one.get_json()
    assert got["id"] == a1 and got["actor"]["mbox"] == "mailto:an@xa.gov.vn"
    assert got["stored"] == "2026-11-01T08:00:00.000Z"
    assert got["timestamp"] == got["stored"] and got["version"] == "1.0.0"
    assert got["authority"]["account"]["name"] == "BDHVS"
    assert one.headers["X-Experience-API-Version"] == "1.0.3"
    assert bdhvs.get(statementId=str(uuid.uuid4())).status_code == 404
    assert bdhvs.get(statementId=foreign).status_code == 404  # another provider's
    assert bdhvs.get(statementId=a1, agent='{"mbox": "mailto:an@xa.gov.vn"}').status_code == 400
    assert bdhvs.get(statementId="123").status_code == 400

    everything = bdhvs.get().get_json()
    assert set(everything) == {"statements", "more"} and everything["more"] == ""
    assert [s["id"] for s in everything["statements"]] == [a3, a2, b1, a1]  # newest first

    by_agent = bdhvs.get(agent=json.dumps({"mbox": "mailto:An@xa.gov.vn"})).get_json()
    assert [s["id"] for s in by_agent["statements"]] == [a3, a2, a1]
    assert bdhvs.get(agent='{"name": "an"}').status_code == 400
    assert bdhvs.get(agent="an@xa.gov.vn").status_code == 400

    since = bdhvs.get(since="2026-11-02T08:00:00Z").get_json()  # exclusive
    assert [s["id"] for s in since["statements"]] == [a3, a2]
    since_local = bdhvs.get(since="2026-11-02T15:00:00+07:00", ascending="true").get_json()
    assert [s["id"] for s in since_local["statements"]] == [a2, a3]
    assert bdhvs.get(since="hôm qua").status_code == 400
    assert bdhvs.get(verb=COMPLETED).get_json()["statements"][0]["id"] == a3
    assert bdhvs.get(tuy_y="1").status_code == 400
    none = bdhvs.get(agent=json.dumps({"mbox": "mailto:khong@co.vn"})).get_json()
    assert none == {"statements": [], "more": ""}

    # Paging: limit, then follow "more" to the end.
    page = bdhvs.get(limit="3").get_json()
    assert [s["id"] for s in page["statements"]] == [a3, a2, b1]
    assert page["more"].startswith("/xapi/statements?")
    rest = client.get(page["more"], headers=bdhvs._headers()).get_json()
    assert [s["id"] for s in rest["statements"]] == [a1] and rest["more"] == ""


# --------------------------------------------------------------------------- completions
def test_a_passed_statement_closes_the_gap_like_a_schools_result(mapped, make_official):
    official = _official_with_gap(make_official, email="Nguyen.An@Xa.gov.vn")
    assert [g.gap for g in guidance_for(official).gaps if g.gap] == [2]
    assert progress_of(BY_CODE["DL-d"], facts_for()).counted == 0

    sid = str(uuid.uuid4())
    response = mapped.post(statement(PASSED, email="nguyen.an@xa.gov.vn", scaled=0.85, sid=sid,
                                     timestamp="2026-11-19T23:30:00Z"))
    assert response.status_code == 200
    db.session.expire_all()
    enrollment = db.session.scalar(sa.select(Enrollment).where(
        Enrollment.official_id == official.id))
    assert (enrollment.status, enrollment.score, enrollment.source, enrollment.cohort_id) == (
        "completed", 8.5, "xapi", None)
    assert enrollment.completed_on == date(2026, 11, 20)  # 06:30 in Hà Nội
    evidence = db.session.scalars(sa.select(Assessment).where(
        Assessment.enrollment_id == enrollment.id)).all()
    assert {(a.competency.code, a.level, a.source) for a in evidence} == {
        ("CDS-02", 2, "course"), ("HC-02", 1, "course")}
    assert all(a.assessor == "xAPI: Nền tảng Bình dân học vụ số" for a in evidence)
    stored = db.session.get(XapiStatement, sid)
    assert (stored.outcome, stored.official_id, stored.enrollment_id) == (
        "applied", official.id, enrollment.id)
    assert [g for g in guidance_for(official).gaps if g.gap] == []
    assert progress_of(BY_CODE["DL-d"], facts_for()).counted == 1

    # The platform reports the same completion again under a new id: kept, nothing recorded.
    again = str(uuid.uuid4())
    assert mapped.post(statement(COMPLETED, email="nguyen.an@xa.gov.vn", sid=again)
                       ).status_code == 200
    db.session.expire_all()
    assert db.session.get(XapiStatement, again).outcome == "ignored"
    assert count(Enrollment) == 1 and count(Assessment, Assessment.source == "course") == 2


def test_completion_finishes_an_existing_enrollment_and_scores_from_raw(mapped, make_official):
    from trainer.learning.operations import enroll_official
    official = _official_with_gap(make_official)
    enrollment = enroll_official(official, course=_by_code(Course, "BDHVS-VBDT"))
    db.session.commit()
    body = statement(COMPLETED, result={"completion": True, "score": {"raw": 18, "max": 20}})
    assert mapped.post(body).status_code == 200
    db.session.expire_all()
    enrollment = db.session.get(Enrollment, enrollment.id)
    assert (enrollment.status, enrollment.score, enrollment.source) == ("completed", 9.0,
                                                                         "school")
    assert count(Enrollment) == 1


def test_result_completion_true_counts_and_no_score_is_a_pass(mapped, make_official):
    official = _official_with_gap(make_official)
    body = statement("http://adlnet.gov/expapi/verbs/experienced", result={"completion": True})
    assert mapped.post(body).status_code == 200
    enrollment = db.session.scalar(sa.select(Enrollment).where(
        Enrollment.official_id == official.id))
    assert (enrollment.status, enrollment.score) == ("completed", None)


@pytest.mark.parametrize("body", [
    statement(FAILED, scaled=0.3),
    statement(COMPLETED, result={"completion": True, "success": False}),
    statement("http://adlnet.gov/expapi/verbs/attempted"),
    statement(PASSED, scaled=0.9, actor={"objectType": "Group", "name": "Lớp",
                                         "mbox": "mailto:lop@xa.gov.vn"}),
])
def test_non_completions_record_nothing(mapped, make_official, body):
    _official_with_gap(make_official)
    assessments = count(Assessment)
    response = mapped.post(body)
    assert response.status_code == 200
    (sid,) = response.get_json()
    assert db.session.get(XapiStatement, sid).outcome == "ignored"
    assert count(Enrollment) == 0 and count(ReviewItem) == 0
    assert count(Assessment) == assessments


def test_unknown_actor_waits_for_review_then_applies(mapped, make_official):
    official = _official_with_gap(make_official, email="ai.do@xa.gov.vn")
    sid = str(uuid.uuid4())
    assert mapped.post(statement(PASSED, email="la.mat@gmail.com", scaled=0.7, sid=sid)
                       ).status_code == 200
    item = db.session.scalar(sa.select(ReviewItem))
    assert (item.source, item.reason, item.status, item.statement_id) == (
        "xapi", ops.REASON_NO_MATCH, "open", sid)
    assert item.identifiers["email"] == "la.mat@gmail.com"
    assert item.candidates == [] and item.payload["score"] == 7.0
    assert item.provider_id == mapped.provider_id
    assert db.session.get(XapiStatement, sid).outcome == "queued"
    assert count(Enrollment) == 0

    ops.apply_review_match(item, official, decided_by="hr1")
    db.session.commit()
    db.session.expire_all()
    item = db.session.get(ReviewItem, item.id)
    assert (item.status, item.official_id, item.decided_by) == ("matched", official.id, "hr1")
    assert item.decided_at is not None
    stored = db.session.get(XapiStatement, sid)
    assert (stored.outcome, stored.official_id) == ("applied", official.id)
    enrollment = db.session.get(Enrollment, stored.enrollment_id)
    assert (enrollment.status, enrollment.score, enrollment.source) == ("completed", 7.0, "xapi")
    assert [g for g in guidance_for(official).gaps if g.gap] == []
    with pytest.raises(DomainError, match="đã được xử lý"):
        ops.apply_review_match(item, official)


VOIDED = "http://adlnet.gov/expapi/verbs/voided"


def voiding(target: str, sid: str | None = None) -> dict:
    return statement(VOIDED, email="quan.tri@binhdanhocvuso.gov.vn", sid=sid,
                     object={"objectType": "StatementRef", "id": target})


def test_voiding_hides_the_statement_and_closes_its_review_item(mapped, make_official):
    queued, kept = str(uuid.uuid4()), str(uuid.uuid4())
    assert mapped.post([statement(PASSED, email="la.mat@gmail.com", scaled=0.7, sid=queued),
                        statement(EXPERIENCED, sid=kept)]).status_code == 200
    void_id = str(uuid.uuid4())
    assert mapped.post(voiding(queued.upper(), sid=void_id)).status_code == 200
    db.session.expire_all()
    assert db.session.get(XapiStatement, queued).voided_by == void_id
    item = db.session.scalar(sa.select(ReviewItem).where(ReviewItem.statement_id == queued))
    assert item.status == "rejected" and "nền tảng đã hủy" in item.reason
    assert mapped.get(statementId=queued).status_code == 404
    found = mapped.get(voidedStatementId=queued)
    assert found.status_code == 200 and found.get_json()["id"] == queued
    assert mapped.get(voidedStatementId=kept).status_code == 404  # not voided
    listed = [s["id"] for s in mapped.get().get_json()["statements"]]
    assert queued not in listed and {kept, void_id} <= set(listed)  # the voiding one is listed
    # A voiding statement cannot be voided; voiding needs a StatementRef.
    refused = mapped.post(voiding(void_id))
    assert refused.status_code == 400
    assert refused.get_json()["errors"] == [
        f"statement.object.id: {void_id} là một statement hủy; không thể hủy nó."]
    wrong = mapped.post(statement(VOIDED))
    assert wrong.status_code == 400 and "StatementRef" in " ".join(wrong.get_json()["errors"])


def test_a_statement_voided_before_it_arrives_records_nothing(mapped, make_official):
    official = _official_with_gap(make_official)
    later = str(uuid.uuid4())
    assert mapped.post(voiding(later)).status_code == 200
    assert mapped.post(statement(PASSED, scaled=0.9, sid=later)).status_code == 200
    db.session.expire_all()
    assert db.session.get(XapiStatement, later).voided_by is not None
    assert count(Enrollment, Enrollment.official_id == official.id) == 0
    assert mapped.get(statementId=later).status_code == 404


def test_voiding_an_applied_completion_keeps_the_result(mapped, make_official):
    official = _official_with_gap(make_official)
    sid = str(uuid.uuid4())
    mapped.post(statement(PASSED, scaled=0.8, sid=sid))
    mapped.post(voiding(sid))
    db.session.expire_all()
    assert db.session.get(XapiStatement, sid).voided_by is not None
    enrollment = db.session.scalar(sa.select(Enrollment).where(
        Enrollment.official_id == official.id))
    assert enrollment.status == "completed"  # corrected by the school or HR, not by the platform


def test_several_candidates_are_listed_never_guessed(mapped, make_official):
    first = make_official(email="chung@xa.gov.vn")
    second = make_official(email="CHUNG@xa.gov.vn")
    db.session.commit()
    assert mapped.post(statement(PASSED, email="chung@xa.gov.vn")).status_code == 200
    item = db.session.scalar(sa.select(ReviewItem))
    assert item.reason == ops.REASON_SEVERAL
    assert sorted(item.candidates) == sorted([first.id, second.id])
    assert count(Enrollment) == 0


def test_account_name_matches_pid_or_code_and_sha1_matches_email(mapped, make_official):
    by_pid = make_official(email=None)
    by_code = make_official(email=None)
    by_sha = make_official(email="bi.mat@xa.gov.vn")
    db.session.commit()
    home = "https://binhdanhocvuso.gov.vn"
    sha = hashlib.sha1(b"mailto:bi.mat@xa.gov.vn").hexdigest()
    bodies = [statement(PASSED, actor={"account": {"homePage": home, "name": by_pid.pid}}),
              statement(PASSED, actor={"account": {"homePage": home,
                                                   "name": by_code.code.lower()}}),
              statement(PASSED, actor={"mbox_sha1sum": sha})]
    assert mapped.post(bodies).status_code == 200
    done = set(db.session.scalars(sa.select(Enrollment.official_id).where(
        Enrollment.status == "completed")))
    assert done == {by_pid.id, by_code.id, by_sha.id}
    assert count(ReviewItem) == 0


def test_activity_of_another_provider_is_queued_not_applied(client, mapped, make_official):
    """Statements count only for activities mapped to the sending provider's own courses."""
    official = _official_with_gap(make_official)
    ptit = Lrs(client, "PTIT")
    assert ptit.post(statement(PASSED, scaled=0.9)).status_code == 200  # BDHVS's activity
    item = db.session.scalar(sa.select(ReviewItem))
    assert (item.reason, item.provider_id, item.candidates) == (
        ops.REASON_UNMAPPED, ptit.provider_id, [official.id])
    assert count(Enrollment) == 0
    with pytest.raises(DomainError, match="chưa được ánh xạ"):
        ops.apply_review_match(item, official)
    # Nor can a provider map an activity to another provider's course.
    with pytest.raises(DomainError, match="không thuộc đơn vị PTIT"):
        ops.map_activity(_by_code(Provider, "PTIT"), ACTIVITY, _by_code(Course, "BDHVS-VBDT"))


def test_a_score_under_the_pass_mark_waits_for_review_and_writes_nothing(mapped, make_official):
    official = _official_with_gap(make_official)
    assessments = count(Assessment)
    assert mapped.post(statement(PASSED, scaled=0.4)).status_code == 200
    item = db.session.scalar(sa.select(ReviewItem))
    assert "thấp hơn điểm đạt" in item.reason and item.candidates == [official.id]
    assert count(Enrollment) == 0 and count(Assessment) == assessments
    with pytest.raises(DomainError, match="thấp hơn điểm đạt"):
        ops.apply_review_match(item, official)
    assert count(Enrollment) == 0 and item.status == "open"


def test_cli_issues_a_credential_and_maps_an_activity(app, client, catalog, make_official):
    from trainer.xapi.cli import xapi_cli
    runner = app.test_cli_runner()
    result = runner.invoke(xapi_cli, ["credential", "BDHVS", "--name", "LMS chính"])
    assert result.exit_code == 0, result.output
    key = result.output.split("key:")[1].split()[0]
    secret = result.output.split("secret:")[1].split()[0]
    token = base64.b64encode(f"{key}:{secret}".encode()).decode()
    headers = {"Authorization": f"Basic {token}", "X-Experience-API-Version": "1.0.3"}
    official = _official_with_gap(make_official)

    # Sent before the mapping exists: queued…
    assert client.post("/xapi/statements", json=statement(PASSED, scaled=0.8),
                       headers=headers).status_code == 200
    assert db.session.scalar(sa.select(ReviewItem.reason)) == ops.REASON_UNMAPPED
    assert runner.invoke(xapi_cli, ["credential", "KHONG-CO"]).exit_code != 0
    bad = runner.invoke(xapi_cli, ["map", "BDHVS", "khong la iri", "BDHVS-VBDT"])
    assert bad.exit_code != 0 and "IRI" in bad.output
    assert runner.invoke(xapi_cli, ["map", "BDHVS", ACTIVITY, "KHONG-CO"]).exit_code != 0

    # …and applied as soon as the activity is mapped.
    result = runner.invoke(xapi_cli, ["map", "BDHVS", ACTIVITY, "BDHVS-VBDT"])
    assert result.exit_code == 0, result.output
    assert "ghi nhận 1" in result.output
    db.session.expire_all()
    assert count(ActivityMapping) == 1
    assert db.session.scalar(sa.select(ReviewItem.status)) == "matched"
    enrollment = db.session.scalar(sa.select(Enrollment).where(
        Enrollment.official_id == official.id))
    assert (enrollment.status, enrollment.score) == ("completed", 8.0)
    again = runner.invoke(xapi_cli, ["map", "BDHVS", ACTIVITY, "BDHVS-KNS"])
    assert again.exit_code == 0 and "Đã đổi ánh xạ" in again.output
    assert count(ActivityMapping) == 1


def test_what_the_lrs_keeps_moves_no_cached_figure_and_a_recorded_completion_moves_its_part(
        mapped, make_official, monkeypatch):
    """core.cache: statements, their keys, queued completions and documents are read by no
    cached figure (BOOKKEEPING), so platforms sending them all day keep every cached dashboard
    part; a completion recorded for an official moves that official's part only."""
    from trainer.core import cache
    monkeypatch.setattr(cache, "PART_SIZE", 1)  # a part per official
    learner = _official_with_gap(make_official)
    other = make_official(email="khac@xa.gov.vn")
    db.session.commit()

    def versions():
        parts = cache.part_versions([learner.id, other.id])
        return parts[learner.id][0], parts[other.id][0], cache.data_version()[0]

    before = versions()
    assert mapped.post([statement(EXPERIENCED), statement(PASSED, email="khong.ai@xa.gov.vn"),
                        statement(PASSED, activity="https://khac.vn/chua-anh-xa")]) \
        .status_code == 200
    state = mapped.client.put("/xapi/activities/state", data=b'{"trang": 3}',
                              content_type="application/json", headers=mapped._headers(),
                              query_string={"activityId": ACTIVITY, "stateId": "vi-tri",
                                            "agent": '{"mbox": "mailto:hoc.vien@xa.gov.vn"}'})
    assert state.status_code == 204
    assert versions() == before
    assert mapped.post(statement(PASSED, scaled=0.9)).status_code == 200  # recorded for learner
    after = versions()
    assert after[0] != before[0] and after[1] == before[1] and after[2] != before[2]
