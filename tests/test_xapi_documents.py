"""xAPI 1.0.3 document resources (issue 14): State, Activity Profile, Agent Profile (Communication
2.2, 2.3, 2.6, 2.7), the Agents and Activities resources (2.4, 2.5), concurrency with ETags (3.1)
and HEAD (1.1); every document kept per provider."""
from __future__ import annotations

import hashlib
import json
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.test_xapi import Lrs, statement
from trainer.core.extensions import db
from trainer.core.timeutil import utcnow
from trainer.xapi.models import XapiDocument

STATE = "/xapi/activities/state"
ACTIVITY_PROFILE = "/xapi/activities/profile"
AGENT_PROFILE = "/xapi/agents/profile"
ACTIVITY = "https://binhdanhocvuso.gov.vn/khoa-hoc/van-ban-dien-tu"
AGENT = {"objectType": "Agent", "account": {"homePage": "https://binhdanhocvuso.gov.vn",
                                            "name": "hv-001"}}


class Docs(Lrs):
    """A provider's client for the document resources."""

    def call(self, method, path, params=None, body=None, *, content_type="application/json",
             **headers):
        params = {k: json.dumps(v) if isinstance(v, dict) else v
                  for k, v in (params or {}).items()}
        kwargs = {"query_string": params, "headers": self._headers(**headers)}
        if body is not None:
            kwargs["data"] = body if isinstance(body, (str, bytes)) else json.dumps(body)
            kwargs["content_type"] = content_type
        return self.client.open(path, method=method, **kwargs)


def state(**extra):
    return {"activityId": ACTIVITY, "agent": AGENT, "stateId": "tien-do"} | extra


def agent_profile(**extra):
    return {"agent": AGENT, "profileId": "ho-so"} | extra


def activity_profile(**extra):
    return {"activityId": ACTIVITY, "profileId": "cau-hinh"} | extra


def quoted_sha1(content: bytes) -> str:
    return f'"{hashlib.sha1(content).hexdigest()}"'


@pytest.fixture
def bdhvs(client, catalog):
    return Docs(client, "BDHVS")


@pytest.fixture
def ptit(client, catalog):
    return Docs(client, "PTIT")


def count_documents() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(XapiDocument))


# --------------------------------------------------------------------------- 2.2 documents
def test_post_merges_top_level_keys_one_level_deep(bdhvs):
    first = {"xe": {"hang": "Ford", "mau": "Escape"}, "lai": "Dũng", "giai": {"a": {"b": 1}}}
    assert bdhvs.call("POST", STATE, state(), first).status_code == 204
    second = {"xe": {"hang": "Dodge"}, "giai": {"a": {"c": 2}}, "moi": True}
    assert bdhvs.call("POST", STATE, state(), second).status_code == 204
    response = bdhvs.call("GET", STATE, state())
    assert response.status_code == 200
    assert response.get_json() == {"xe": {"hang": "Dodge"}, "lai": "Dũng",
                                   "giai": {"a": {"c": 2}}, "moi": True}
    assert response.mimetype == "application/json"


def test_post_of_a_new_document_stores_it_as_put_does(bdhvs):
    assert bdhvs.call("POST", STATE, state(), b"\x00\x01raw",
                      content_type="application/octet-stream").status_code == 204
    response = bdhvs.call("GET", STATE, state())
    assert response.data == b"\x00\x01raw" and response.mimetype == "application/octet-stream"


@pytest.mark.parametrize("stored, sent, content_type", [
    ({"a": 1}, "abcdefg", "text/plain"),         # the sent document is not JSON
    ({"a": 1}, "[1, 2]", "application/json"),    # JSON, but not an object
    ({"a": 1}, '{"a": 2}{', "application/json"),  # not JSON at all
])
def test_a_refused_merge_changes_nothing(bdhvs, stored, sent, content_type):
    bdhvs.call("POST", STATE, state(), stored)
    response = bdhvs.call("POST", STATE, state(), sent, content_type=content_type)
    assert response.status_code == 400
    assert response.get_json()["message"]
    assert bdhvs.call("GET", STATE, state()).get_json() == stored


def test_json_cannot_be_merged_into_a_binary_document(bdhvs):
    assert bdhvs.call("PUT", STATE, state(), "/ asdf / undefined",
                      content_type="application/octet-stream").status_code == 204
    response = bdhvs.call("POST", STATE, state(), {"a": 1})
    assert response.status_code == 400
    assert "không phải một đối tượng JSON" in response.get_json()["message"]
    assert bdhvs.call("GET", STATE, state()).data == b"/ asdf / undefined"


def test_post_of_invalid_json_is_refused_even_for_a_new_document(bdhvs):
    response = bdhvs.call("POST", ACTIVITY_PROFILE, activity_profile(), '{"a": 1}[')
    assert response.status_code == 400
    assert count_documents() == 0


def test_a_form_body_is_refused_not_stored_empty(bdhvs):
    response = bdhvs.call("PUT", STATE, state(), "a=1",
                          content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400 and "biểu mẫu" in response.get_json()["message"]
    assert count_documents() == 0


def test_json_documents_are_held_to_the_json_limits(app, bdhvs):
    deep = "[" * (app.config["XAPI_MAX_DEPTH"] + 1) + "]" * (app.config["XAPI_MAX_DEPTH"] + 1)
    response = bdhvs.call("PUT", STATE, state(), deep)
    assert response.status_code == 400 and "lồng nhau" in response.get_json()["message"]
    assert count_documents() == 0


# --------------------------------------------------------------------------- 2.3 State
def test_state_put_get_delete(bdhvs):
    registration = str(uuid.uuid4())
    params = state(registration=registration.upper())
    body = {"trang": 12, "ghi_chu": "Đã xem chương 2"}
    response = bdhvs.call("PUT", STATE, params, body)
    assert response.status_code == 204 and response.data == b""
    response = bdhvs.call("GET", STATE, params)
    assert response.status_code == 200 and response.get_json() == body
    assert response.headers["ETag"] == quoted_sha1(response.data)
    assert response.headers["Last-Modified"].endswith("GMT")
    assert response.headers["X-Experience-API-Version"] == "1.0.3"
    # the registration is part of the state's identity (case-insensitive, as a UUID)
    assert bdhvs.call("GET", STATE, state(registration=registration)).status_code == 200
    assert bdhvs.call("GET", STATE, state()).status_code == 404
    # a State PUT needs no precondition header: it overwrites
    assert bdhvs.call("PUT", STATE, params, {"trang": 13}).status_code == 204
    assert bdhvs.call("GET", STATE, params).get_json() == {"trang": 13}
    assert bdhvs.call("DELETE", STATE, params).status_code == 204
    assert bdhvs.call("GET", STATE, params).status_code == 404
    assert bdhvs.call("DELETE", STATE, params).status_code == 204  # nothing left: still 204


def test_binary_state_keeps_its_bytes_and_content_type(bdhvs):
    content = bytes(range(256))
    assert bdhvs.call("PUT", STATE, state(), content,
                      content_type="image/png").status_code == 204
    response = bdhvs.call("GET", STATE, state())
    assert response.data == content and response.mimetype == "image/png"
    assert response.headers["ETag"] == quoted_sha1(content)
    doc = db.session.scalar(sa.select(XapiDocument))
    assert (doc.kind, doc.activity_id, doc.doc_id, doc.registration) == (
        "state", ACTIVITY, "tien-do", "")
    assert doc.agent_key == "account:https://binhdanhocvuso.gov.vn|hv-001"
    assert len(doc.scope) == 64


def test_state_list_and_since(bdhvs):
    for state_id in ("cu", "moi"):
        bdhvs.call("PUT", STATE, state(stateId=state_id), {"id": state_id})
    bdhvs.call("PUT", STATE, state(stateId="khac", activityId=ACTIVITY + "/2"), {})
    old = db.session.scalar(sa.select(XapiDocument).where(XapiDocument.doc_id == "cu"))
    old.updated_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    listing = {k: v for k, v in state().items() if k != "stateId"}
    response = bdhvs.call("GET", STATE, listing)
    assert response.status_code == 200 and response.get_json() == ["cu", "moi"]
    since = (utcnow() - timedelta(minutes=5)).isoformat()
    assert bdhvs.call("GET", STATE, listing | {"since": since}).get_json() == ["moi"]
    response = bdhvs.call("GET", STATE, listing | {"since": "not a timestamp"})
    assert response.status_code == 400 and "since" in response.get_json()["message"]


def test_state_delete_without_state_id_deletes_the_scope(bdhvs):
    registration = str(uuid.uuid4())
    bdhvs.call("PUT", STATE, state(stateId="a"), {})
    bdhvs.call("PUT", STATE, state(stateId="b", registration=registration), {})
    bdhvs.call("PUT", STATE, state(stateId="c", activityId=ACTIVITY + "/2"), {})
    scope = {"activityId": ACTIVITY, "agent": AGENT}
    # with a registration: that registration's states only
    assert bdhvs.call("DELETE", STATE, scope | {"registration": registration}).status_code == 204
    assert bdhvs.call("GET", STATE, scope).get_json() == ["a"]
    # without: every state of the activity and agent
    bdhvs.call("PUT", STATE, state(stateId="b", registration=registration), {})
    assert bdhvs.call("DELETE", STATE, scope).status_code == 204
    assert bdhvs.call("GET", STATE, scope).get_json() == []
    assert count_documents() == 1  # the other activity's state stays


@pytest.mark.parametrize("method", ["GET", "PUT", "POST", "DELETE"])
@pytest.mark.parametrize("change, named", [
    ({"activityId": None}, "activityId"),
    ({"agent": None}, "agent"),
    ({"activityId": "khong phai iri"}, "activityId"),
    ({"agent": "not JSON"}, "agent"),
    ({"agent": "true"}, "agent"),
    ({"agent": {"objectType": "Agent", "name": "Không định danh"}}, "agent"),
    ({"registration": "true"}, "registration"),
    ({"soTrang": "1"}, "soTrang"),
])
def test_state_parameters_are_checked(bdhvs, method, change, named):
    params = {k: v for k, v in (state() | change).items() if v is not None}
    body = {"a": 1} if method in ("PUT", "POST") else None
    response = bdhvs.call(method, STATE, params, body)
    assert response.status_code == 400
    assert named in response.get_json()["message"]
    assert count_documents() == 0


@pytest.mark.parametrize("method", ["PUT", "POST"])
def test_state_writes_need_a_state_id(bdhvs, method):
    params = {k: v for k, v in state().items() if k != "stateId"}
    response = bdhvs.call(method, STATE, params, {"a": 1})
    assert response.status_code == 400 and "stateId" in response.get_json()["message"]


def test_since_only_lists(bdhvs):
    response = bdhvs.call("PUT", STATE, state(since="2026-01-01T00:00:00Z"), {"a": 1})
    assert response.status_code == 400 and "since" in response.get_json()["message"]


def test_a_provider_sees_only_its_own_documents(bdhvs, ptit):
    bdhvs.call("PUT", STATE, state(), {"cua": "BDHVS"})
    bdhvs.call("PUT", AGENT_PROFILE, agent_profile(), {"cua": "BDHVS"}, **{"If-None-Match": "*"})
    assert ptit.call("GET", STATE, state()).status_code == 404
    assert ptit.call("GET", AGENT_PROFILE, agent_profile()).status_code == 404
    scope = {"activityId": ACTIVITY, "agent": AGENT}
    assert ptit.call("GET", STATE, scope).get_json() == []
    # PTIT's own document under the same ids is its own; its deletions touch only its own
    assert ptit.call("PUT", STATE, state(), {"cua": "PTIT"}).status_code == 204
    assert ptit.call("DELETE", STATE, scope).status_code == 204
    assert ptit.call("DELETE", AGENT_PROFILE, agent_profile()).status_code == 204
    assert bdhvs.call("GET", STATE, state()).get_json() == {"cua": "BDHVS"}
    assert bdhvs.call("GET", AGENT_PROFILE, agent_profile()).get_json() == {"cua": "BDHVS"}


def test_document_resources_need_the_version_header_and_a_credential(client, bdhvs):
    bdhvs.version = None
    assert bdhvs.call("GET", STATE, state()).status_code == 400
    assert client.get(STATE, query_string={"activityId": ACTIVITY},
                      headers={"X-Experience-API-Version": "1.0.3"}).status_code == 401


# --------------------------------------------------------------------------- 2.4 Agents
def test_agents_returns_a_person_with_what_statements_say(bdhvs):
    actor = {"objectType": "Agent", "name": "Nguyễn Văn An", "mbox": "mailto:An@xa.gov.vn"}
    instructor = {"name": "An (giảng viên)", "mbox": "mailto:an@xa.gov.vn"}
    bdhvs.post(statement(actor=actor, context={"instructor": instructor}))
    response = bdhvs.call("GET", "/xapi/agents", {"agent": {"mbox": "mailto:an@xa.gov.vn"}})
    assert response.status_code == 200
    person = response.get_json()
    assert person["objectType"] == "Person"
    assert person["mbox"] == ["mailto:an@xa.gov.vn"]
    assert sorted(person["name"]) == ["An (giảng viên)", "Nguyễn Văn An"]


def test_an_unknown_agent_is_still_a_person(bdhvs, ptit):
    ptit.post(statement(actor={"name": "Tên ở PTIT", "openid": "https://id.vn/hv"}))
    response = bdhvs.call("GET", "/xapi/agents", {"agent": {"openid": "https://id.vn/hv"}})
    assert response.get_json() == {"objectType": "Person", "openid": ["https://id.vn/hv"]}
    named = {"name": "Học viên", "account": {"homePage": "https://a.vn", "name": "x"}}
    assert bdhvs.call("GET", "/xapi/agents", {"agent": named}).get_json() == {
        "objectType": "Person", "name": ["Học viên"], "account": [named["account"]]}


@pytest.mark.parametrize("params, named", [
    ({}, "agent"),
    ({"agent": {"objectType": "Agent", "name": "Không định danh"}}, "agent"),
    ({"agent": AGENT, "profileId": "x"}, "profileId"),
])
def test_agents_parameters_are_checked(bdhvs, params, named):
    response = bdhvs.call("GET", "/xapi/agents", params)
    assert response.status_code == 400 and named in response.get_json()["message"]


# --------------------------------------------------------------------------- 2.5 Activities
def test_activities_returns_the_canonical_definition(bdhvs):
    first = statement()
    second = statement()
    second["object"]["definition"] = {"name": {"en-US": "Electronic documents"},
                                      "type": "http://adlnet.gov/expapi/activities/course"}
    assert bdhvs.post([first, second]).status_code == 200
    response = bdhvs.call("GET", "/xapi/activities", {"activityId": ACTIVITY})
    assert response.status_code == 200
    assert response.get_json() == {
        "objectType": "Activity", "id": ACTIVITY,
        "definition": {"name": {"vi-VN": "Văn bản điện tử và chữ ký số",
                                "en-US": "Electronic documents"},
                       "type": "http://adlnet.gov/expapi/activities/course"}}


def test_an_activity_never_described_is_its_id(bdhvs, ptit):
    ptit.post(statement())
    response = bdhvs.call("GET", "/xapi/activities", {"activityId": ACTIVITY})
    assert response.status_code == 200
    assert response.get_json() == {"objectType": "Activity", "id": ACTIVITY}


@pytest.mark.parametrize("params, named", [
    ({}, "activityId"), ({"activityId": "true"}, "activityId"),
    ({"activityId": ACTIVITY, "agent": AGENT}, "agent"),
])
def test_activities_parameters_are_checked(bdhvs, params, named):
    response = bdhvs.call("GET", "/xapi/activities", params)
    assert response.status_code == 400 and named in response.get_json()["message"]


# --------------------------------------------------------------------------- 2.6 Agent Profile
def test_agent_profile_put_needs_a_precondition(bdhvs):
    response = bdhvs.call("PUT", AGENT_PROFILE, agent_profile(), {"a": 1})
    assert response.status_code == 400 and "If-None-Match" in response.get_json()["message"]
    assert bdhvs.call("PUT", AGENT_PROFILE, agent_profile(), {"a": 1},
                      **{"If-None-Match": "*"}).status_code == 204
    response = bdhvs.call("PUT", AGENT_PROFILE, agent_profile(), {"a": 2})
    assert response.status_code == 409 and "If-Match" in response.get_json()["message"]
    assert bdhvs.call("GET", AGENT_PROFILE, agent_profile()).get_json() == {"a": 1}
    # POST merges without a header
    assert bdhvs.call("POST", AGENT_PROFILE, agent_profile(), {"b": 2}).status_code == 204
    assert bdhvs.call("GET", AGENT_PROFILE, agent_profile()).get_json() == {"a": 1, "b": 2}


def test_agent_profile_list_and_delete(bdhvs):
    for profile_id in ("p1", "p2"):
        bdhvs.call("POST", AGENT_PROFILE, agent_profile(profileId=profile_id), {})
    other = {"mbox": "mailto:khac@xa.gov.vn"}
    bdhvs.call("POST", AGENT_PROFILE, agent_profile(agent=other, profileId="p3"), {})
    assert bdhvs.call("GET", AGENT_PROFILE, {"agent": AGENT}).get_json() == ["p1", "p2"]
    since = (utcnow() + timedelta(minutes=1)).isoformat()
    assert bdhvs.call("GET", AGENT_PROFILE, {"agent": AGENT, "since": since}).get_json() == []
    assert bdhvs.call("DELETE", AGENT_PROFILE, agent_profile(profileId="p1")).status_code == 204
    assert bdhvs.call("GET", AGENT_PROFILE, {"agent": AGENT}).get_json() == ["p2"]
    response = bdhvs.call("DELETE", AGENT_PROFILE, {"agent": AGENT})
    assert response.status_code == 400 and "profileId" in response.get_json()["message"]


@pytest.mark.parametrize("params, named", [
    ({"profileId": "x"}, "agent"),
    ({"agent": "true", "profileId": "x"}, "agent"),
    ({"agent": AGENT}, "profileId"),
    ({"agent": AGENT, "profileId": "x", "activityId": ACTIVITY}, "activityId"),
])
def test_agent_profile_parameters_are_checked(bdhvs, params, named):
    response = bdhvs.call("POST", AGENT_PROFILE, params, {"a": 1})
    assert response.status_code == 400 and named in response.get_json()["message"]


# --------------------------------------------------------------------------- 2.7 Activity Profile
def test_activity_profile_roundtrip(bdhvs):
    params = activity_profile()
    assert bdhvs.call("PUT", ACTIVITY_PROFILE, params, "<xml/>", content_type="text/xml",
                      **{"If-None-Match": "*"}).status_code == 204
    response = bdhvs.call("GET", ACTIVITY_PROFILE, params)
    assert response.data == b"<xml/>" and response.mimetype == "text/xml"
    assert bdhvs.call("GET", ACTIVITY_PROFILE, {"activityId": ACTIVITY}).get_json() == [
        "cau-hinh"]
    assert bdhvs.call("PUT", ACTIVITY_PROFILE, params, "<b/>",
                      content_type="text/xml").status_code == 409
    assert bdhvs.call("DELETE", ACTIVITY_PROFILE, params).status_code == 204
    assert bdhvs.call("GET", ACTIVITY_PROFILE, params).status_code == 404


@pytest.mark.parametrize("params, named", [
    ({"profileId": "x"}, "activityId"),
    ({"activityId": "not an iri", "profileId": "x"}, "activityId"),
    ({"activityId": ACTIVITY}, "profileId"),
    ({"activityId": ACTIVITY, "profileId": "x", "agent": AGENT}, "agent"),
])
def test_activity_profile_parameters_are_checked(bdhvs, params, named):
    response = bdhvs.call("PUT", ACTIVITY_PROFILE, params, {"a": 1}, **{"If-None-Match": "*"})
    assert response.status_code == 400 and named in response.get_json()["message"]


# --------------------------------------------------------------------------- 3.1 concurrency
def _etag(docs, path, params):
    return docs.call("GET", path, params).headers["ETag"]


def test_if_match_and_if_none_match_on_put(bdhvs):
    params = activity_profile()
    bdhvs.call("PUT", ACTIVITY_PROFILE, params, {"v": 1}, **{"If-None-Match": "*"})
    etag = _etag(bdhvs, ACTIVITY_PROFILE, params)
    assert etag == quoted_sha1(b'{"v": 1}')
    response = bdhvs.call("PUT", ACTIVITY_PROFILE, params, {"v": 2}, **{"If-None-Match": "*"})
    assert response.status_code == 412 and "If-None-Match" in response.get_json()["message"]
    bad = '"' + "1" * 40 + '"'
    assert bdhvs.call("PUT", ACTIVITY_PROFILE, params, {"v": 2},
                      **{"If-Match": bad}).status_code == 412
    assert bdhvs.call("GET", ACTIVITY_PROFILE, params).get_json() == {"v": 1}
    response = bdhvs.call("PUT", ACTIVITY_PROFILE, params, {"v": 2},
                          **{"If-Match": f"{bad}, {etag}"})
    assert response.status_code == 204 and response.headers["ETag"] == quoted_sha1(b'{"v": 2}')
    # the old etag no longer matches; a weak form of the current one fails If-None-Match
    assert bdhvs.call("PUT", ACTIVITY_PROFILE, params, {"v": 3},
                      **{"If-Match": etag}).status_code == 412
    current = _etag(bdhvs, ACTIVITY_PROFILE, params)
    assert bdhvs.call("PUT", ACTIVITY_PROFILE, params, {"v": 3},
                      **{"If-None-Match": f"W/{current}"}).status_code == 412
    assert bdhvs.call("PUT", ACTIVITY_PROFILE, params, {"v": 3},
                      **{"If-Match": "*"}).status_code == 204


def test_if_match_on_a_missing_document_fails(bdhvs):
    for method in ("PUT", "POST", "DELETE"):
        body = {"a": 1} if method != "DELETE" else None
        response = bdhvs.call(method, AGENT_PROFILE, agent_profile(), body, **{"If-Match": "*"})
        assert response.status_code == 412, method
    assert count_documents() == 0


def test_preconditions_on_post_and_delete(bdhvs):
    bdhvs.call("POST", STATE, state(), {"a": 1})
    etag = _etag(bdhvs, STATE, state())
    assert bdhvs.call("POST", STATE, state(), {"b": 2},
                      **{"If-None-Match": "*"}).status_code == 412
    assert bdhvs.call("POST", STATE, state(), {"b": 2}, **{"If-Match": etag}).status_code == 204
    assert bdhvs.call("DELETE", STATE, state(), **{"If-Match": etag}).status_code == 412
    assert bdhvs.call("GET", STATE, state()).get_json() == {"a": 1, "b": 2}
    etag = _etag(bdhvs, STATE, state())
    assert bdhvs.call("DELETE", STATE, state(), **{"If-Match": etag}).status_code == 204
    assert count_documents() == 0


# --------------------------------------------------------------------------- 1.1 HEAD
def test_head_answers_as_get_without_the_body(bdhvs):
    content = b'{"trang": 12}'
    bdhvs.call("PUT", STATE, state(), content)
    get, head = bdhvs.call("GET", STATE, state()), bdhvs.call("HEAD", STATE, state())
    assert head.status_code == 200 and head.data == b""
    for name in ("ETag", "Last-Modified", "Content-Type", "Content-Length"):
        assert head.headers[name] == get.headers[name], name
    assert head.headers["Content-Length"] == str(len(content))
    listing = {"activityId": ACTIVITY, "agent": AGENT}
    assert bdhvs.call("HEAD", STATE, listing).status_code == 200
    assert bdhvs.call("HEAD", STATE, state(stateId="khong-co")).status_code == 404
    for path, params in (("/xapi/agents", {"agent": AGENT}),
                         ("/xapi/activities", {"activityId": ACTIVITY})):
        response = bdhvs.call("HEAD", path, params)
        assert response.status_code == 200 and response.data == b""
        assert int(response.headers["Content-Length"]) > 0
