"""xAPI 1.0.3 statement queries (Communication 2.1.3, 2.1.4) and the alternate request syntax
(Communication 1.3): the registration and related_* filters, statements targeting a matching
statement, the ids and canonical formats with Accept-Language, context activities returned as
lists, and the keys of statements stored before migration 0012 derived by the migration."""
from __future__ import annotations

import base64
import json
import uuid
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa

from tests.conftest import make_app
from tests.test_xapi import Lrs, statement
from trainer.core.extensions import db
from trainer.xapi.models import XapiActivity, XapiStatementKey

VOIDED = "http://adlnet.gov/expapi/verbs/voided"
ATTENDED = "http://adlnet.gov/expapi/verbs/attended"


@pytest.fixture
def lrs(client, catalog):
    return Lrs(client, "BDHVS")


def ids_of(response) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [s["id"] for s in response.get_json()["statements"]]


def sid() -> str:
    return str(uuid.uuid4())


# ------------------------------------------------------------------ Communication 2.1.3 filters
def test_registration_filters_and_is_checked(lrs):
    registration = sid()
    mine = statement(sid=sid(), context={"registration": registration.upper()})
    other = statement(sid=sid(), context={"registration": sid()})
    assert lrs.post([mine, other]).status_code == 200
    assert ids_of(lrs.get(registration=registration)) == [mine["id"]]
    refused = lrs.get(registration="không-phải-uuid")
    assert refused.status_code == 400
    assert "registration" in refused.get_json()["message"]


def test_related_agents_looks_at_instructor_team_and_substatements(lrs):
    teacher = {"mbox": "mailto:giang.vien@truong.edu.vn"}
    as_actor = statement(sid=sid(), email="giang.vien@truong.edu.vn")
    as_instructor = statement(sid=sid(), context={"instructor": teacher})
    as_team_member = statement(sid=sid(), context={"team": {
        "objectType": "Group", "mbox": "mailto:giang.vien@truong.edu.vn"}})
    in_sub = statement(sid=sid(), object={
        "objectType": "SubStatement", "actor": teacher, "verb": {"id": ATTENDED},
        "object": {"id": "https://truong.edu.vn/lop/1"}})
    unrelated = statement(sid=sid())
    assert lrs.post([as_actor, as_instructor, as_team_member, in_sub, unrelated]) \
        .status_code == 200
    agent = json.dumps(teacher)
    assert ids_of(lrs.get(agent=agent)) == [as_actor["id"]]
    assert set(ids_of(lrs.get(agent=agent, related_agents="true"))) == {
        as_actor["id"], as_instructor["id"], as_team_member["id"], in_sub["id"]}


def test_related_activities_looks_at_context_activities_and_substatements(lrs):
    course = "https://truong.edu.vn/khoa/chuyen-doi-so"
    direct = statement(sid=sid(), activity=course)
    as_parent = statement(sid=sid(), context={"contextActivities": {"parent": {"id": course}}})
    as_category = statement(sid=sid(), context={"contextActivities": {
        "category": [{"id": "https://truong.edu.vn/loai/a"}, {"id": course}]}})
    in_sub = statement(sid=sid(), object={
        "objectType": "SubStatement", "actor": {"mbox": "mailto:a@xa.gov.vn"},
        "verb": {"id": ATTENDED}, "object": {"id": course}})
    other = statement(sid=sid())
    assert lrs.post([direct, as_parent, as_category, in_sub, other]).status_code == 200
    assert ids_of(lrs.get(activity=course)) == [direct["id"]]
    assert set(ids_of(lrs.get(activity=course, related_activities="true"))) == {
        direct["id"], as_parent["id"], as_category["id"], in_sub["id"]}


def test_filters_combine_and_page_in_stored_order(lrs):
    registration = sid()
    sent = [statement(sid=sid(), email=f"hv{i % 2}@xa.gov.vn",
                      context={"registration": registration}) for i in range(5)]
    for stmt in sent:  # one by one: five stored times
        assert lrs.post(stmt).status_code == 200
    agent = json.dumps({"mbox": "mailto:hv0@xa.gov.vn"})
    first = lrs.get(agent=agent, registration=registration, limit=2, ascending="true")
    page = first.get_json()
    assert [s["id"] for s in page["statements"]] == [sent[0]["id"], sent[2]["id"]]
    more = lrs.client.get(page["more"], headers=lrs._headers())
    assert ids_of(more) == [sent[4]["id"]]
    assert more.get_json()["more"] == ""


# ------------------------------------------------------- Communication 2.1.4 targeting statements
def test_a_statement_targeting_a_matching_one_is_returned_by_its_filters(lrs):
    verb = f"https://truong.edu.vn/verb/{uuid.uuid4()}"
    target = statement(verb, sid=sid())
    referring = statement(ATTENDED, sid=sid(),
                          object={"objectType": "StatementRef", "id": target["id"]})
    assert lrs.post(target).status_code == 200
    assert lrs.post(referring).status_code == 200
    assert set(ids_of(lrs.get(verb=verb))) == {target["id"], referring["id"]}
    # sent before its target: found once the target arrives
    late_target = statement(verb, sid=sid())
    early = statement(ATTENDED, sid=sid(),
                      object={"objectType": "StatementRef", "id": late_target["id"]})
    chained = statement(ATTENDED, sid=sid(),
                        object={"objectType": "StatementRef", "id": early["id"]})
    assert lrs.post([early, chained]).status_code == 200
    assert lrs.post(late_target).status_code == 200
    assert set(ids_of(lrs.get(verb=verb))) == {target["id"], referring["id"],
                                               late_target["id"], early["id"], chained["id"]}


def test_a_voided_statement_is_left_out_but_those_targeting_it_are_returned(lrs):
    verb = f"https://truong.edu.vn/verb/{uuid.uuid4()}"
    voided = statement(verb, sid=sid())
    voiding = statement(VOIDED, sid=sid(), object={"objectType": "StatementRef",
                                                   "id": voided["id"]})
    referring = statement(verb, sid=sid(), object={"objectType": "StatementRef",
                                                   "id": voided["id"]})
    for stmt in (voided, voiding, referring):
        assert lrs.post(stmt).status_code == 200
    found = ids_of(lrs.get(verb=verb))
    assert set(found) == {voiding["id"], referring["id"]}


# ---------------------------------------------------------------------- formats and languages
def _described(activity_id: str, names: dict) -> dict:
    return {"id": activity_id, "definition": {
        "name": names, "description": {"vi-VN": "Mô tả", "en-GB": "Description"},
        "type": "http://adlnet.gov/expapi/activities/course"}}


def test_format_ids_keeps_only_identifiers(lrs):
    group = {"objectType": "Group", "name": "Tổ 1", "member": [
        {"name": "A", "mbox": "mailto:a@xa.gov.vn"}, {"name": "B", "mbox": "mailto:b@xa.gov.vn"}]}
    stmt = statement(sid=sid(), context={"instructor": {"name": "GV", "mbox": "mailto:g@t.vn"},
                                         "contextActivities": {"parent": {"id": "https://t.vn/p"}}})
    stmt["actor"] = group
    assert lrs.post(stmt).status_code == 200
    got = lrs.get(statementId=stmt["id"], format="ids").get_json()
    assert got["actor"] == {"objectType": "Group", "member": [{"mbox": "mailto:a@xa.gov.vn"},
                                                              {"mbox": "mailto:b@xa.gov.vn"}]}
    assert got["verb"] == {"id": stmt["verb"]["id"]}
    assert got["object"] == {"id": stmt["object"]["id"]}
    assert got["context"]["instructor"] == {"mbox": "mailto:g@t.vn"}
    assert got["context"]["contextActivities"]["parent"] == [{"id": "https://t.vn/p"}]
    assert lrs.get(statementId=stmt["id"], format="bogus").status_code == 400


def test_format_canonical_chooses_one_language_and_the_latest_definition(lrs, client):
    activity_id = f"https://truong.edu.vn/khoa/{uuid.uuid4()}"
    first = statement(sid=sid())
    first["verb"] = {"id": ATTENDED, "display": {"vi-VN": "đã dự", "en-GB": "attended"}}
    first["object"] = _described(activity_id, {"vi-VN": "Khóa cũ", "en-GB": "Old course"})
    second = statement(sid=sid())
    second["object"] = _described(activity_id, {"vi-VN": "Khóa mới", "en-GB": "New course"})
    assert lrs.post(first).status_code == 200
    assert lrs.post(second).status_code == 200
    got = client.get("/xapi/statements", query_string={"statementId": first["id"],
                                                       "format": "canonical"},
                     headers=lrs._headers(**{"Accept-Language": "en-GB,en;q=0.8"})).get_json()
    assert got["verb"]["display"] == {"en-GB": "attended"}
    assert got["object"]["definition"]["name"] == {"en-GB": "New course"}
    assert got["object"]["definition"]["description"] == {"en-GB": "Description"}
    exact = lrs.get(statementId=first["id"]).get_json()
    assert exact["object"]["definition"]["name"] == {"vi-VN": "Khóa cũ", "en-GB": "Old course"}
    assert exact["verb"]["display"] == {"vi-VN": "đã dự", "en-GB": "attended"}
    row = db.session.get(XapiActivity, (lrs.provider_id, activity_id))
    assert row.definition["name"] == {"vi-VN": "Khóa mới", "en-GB": "New course"}


def test_a_single_context_activity_is_returned_as_a_list(lrs):
    stmt = statement(sid=sid(), context={"contextActivities": {
        "grouping": {"id": "https://t.vn/g"}, "other": [{"id": "https://t.vn/o"}]}})
    assert lrs.post(stmt).status_code == 200
    got = lrs.get(statementId=stmt["id"]).get_json()["context"]["contextActivities"]
    assert got == {"grouping": [{"id": "https://t.vn/g"}], "other": [{"id": "https://t.vn/o"}]}
    # a re-send in either shape is the same statement
    stmt["context"]["contextActivities"]["grouping"] = [{"id": "https://t.vn/g"}]
    assert lrs.post(stmt).status_code == 200


# ------------------------------------------------------------ Communication 1.3 alternate syntax
def _form(lrs, **fields) -> dict:
    return {"Authorization": lrs.headers["Authorization"], "X-Experience-API-Version": "1.0.3",
            **fields}


def test_alternate_syntax_get_and_put_as_a_form(lrs, client):
    stored = statement(sid=sid())
    assert lrs.post(stored).status_code == 200
    got = client.post("/xapi/statements?method=GET",
                      data=urlencode(_form(lrs, statementId=stored["id"])),
                      content_type="application/x-www-form-urlencoded")
    assert got.status_code == 200 and got.get_json()["id"] == stored["id"]
    new_id = sid()
    put = client.post("/xapi/statements?method=PUT",
                      data=urlencode(_form(lrs, statementId=new_id,
                                           content=json.dumps(statement()))),
                      content_type="application/x-www-form-urlencoded")
    assert put.status_code == 204
    assert lrs.get(statementId=new_id).status_code == 200


@pytest.mark.parametrize("case", ["not a POST", "query beside method", "JSON body",
                                  "form version header", "no credential"])
def test_alternate_syntax_refusals(lrs, client, case):
    form = _form(lrs, statementId=sid(), content=json.dumps(statement()))
    kwargs = {"data": urlencode(form), "content_type": "application/x-www-form-urlencoded"}
    url, method = "/xapi/statements?method=PUT", client.post
    if case == "not a POST":
        method = client.put
    elif case == "query beside method":
        url += f"&statementId={form['statementId']}"
    elif case == "JSON body":
        kwargs["data"] = json.dumps(form)
    elif case == "form version header":
        kwargs["data"] = urlencode({**form, "X-Experience-API-Version": "0.8"})
    else:
        kwargs["data"] = urlencode({k: v for k, v in form.items() if k != "Authorization"})
    response = method(url, **kwargs)
    assert response.status_code == (401 if case == "no credential" else 400)
    assert response.get_json()["message"]
    assert lrs.get(statementId=form["statementId"]).status_code == 404


# ------------------------------------------------------------------------------ migration 0012
def test_migration_derives_the_keys_of_statements_already_stored(tmp_path):
    """Statements stored before 0012 are found by every filter after the upgrade."""
    from flask_migrate import downgrade, upgrade

    from trainer.catalog.models import Provider
    from trainer.xapi import operations as ops
    app = make_app(f"sqlite:///{tmp_path}/x.db")
    with app.app_context():
        upgrade()
        provider = Provider(code="P", name="Nền tảng", kind="platform")
        db.session.add(provider)
        db.session.commit()
        cred, secret = ops.create_xapi_credential(provider)
        db.session.commit()
        key = cred.key
        target = statement(sid=sid(), context={"instructor": {"mbox": "mailto:g@t.vn"}})
        referring = statement(ATTENDED, sid=sid(), object={"objectType": "StatementRef",
                                                           "id": target["id"]})
        ops.store_statements([target, referring], cred)
        db.session.commit()
        before = set(db.session.execute(sa.select(
            XapiStatementKey.statement_id, XapiStatementKey.kind, XapiStatementKey.value)))
        definitions = {a.activity_id: a.definition for a in db.session.scalars(
            sa.select(XapiActivity))}
        db.session.remove()
        downgrade(revision="0011")
        upgrade()
        after = set(db.session.execute(sa.select(
            XapiStatementKey.statement_id, XapiStatementKey.kind, XapiStatementKey.value)))
        assert after == before
        assert (referring["id"], "agent+", "mbox:mailto:g@t.vn") in after
        assert {a.activity_id: a.definition for a in db.session.scalars(
            sa.select(XapiActivity))} == definitions
        token = base64.b64encode(f"{key}:{secret}".encode()).decode()
        response = app.test_client().get(
            "/xapi/statements", query_string={"agent": json.dumps({"mbox": "mailto:g@t.vn"}),
                                              "related_agents": "true"},
            headers={"Authorization": f"Basic {token}", "X-Experience-API-Version": "1.0.3"})
        assert {s["id"] for s in response.get_json()["statements"]} == {target["id"],
                                                                        referring["id"]}
