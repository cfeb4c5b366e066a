"""xAPI 1.0.3 statements checked against one declared model (issue 14):
trainer/xapi/statement.schema.json, read by trainer/xapi/validation.py. The tests follow the ADL
conformance suite's sections (test/v1_0_3: Data 2.2 … 4.0): each valid example passes, each
invalid one is refused with a Vietnamese message naming the bad field's path."""
from __future__ import annotations

import copy
import time
from datetime import UTC, datetime

import pytest
from jsonschema import Draft202012Validator

from trainer.xapi import validation as v

ACTIVITY = "https://binhdanhocvuso.gov.vn/khoa-hoc/van-ban-dien-tu"
PASSED = "http://adlnet.gov/expapi/verbs/passed"
VOIDED = "http://adlnet.gov/expapi/verbs/voided"
UUID = "6690e6c9-3ef0-4ed3-8b37-7f3964730bee"
SHA1 = "cd9b00a5611f94eaa7b1661edab976068e364975"
SHA2 = "495395e777cd98da653df9615d09c0fd6bb2f8d4788394cd53c56a3bfdcd848a"
AGENT = {"objectType": "Agent", "name": "Học viên", "mbox": "mailto:hoc.vien@xa.gov.vn"}
OTHER = {"name": "Giảng viên", "mbox": "mailto:giang.vien@xa.gov.vn"}
GROUP = {"objectType": "Group", "name": "Lớp K1", "member": [dict(AGENT), dict(OTHER)]}
ACCOUNT = {"homePage": "https://binhdanhocvuso.gov.vn", "name": "079123456789"}
STATEMENT_REF = {"objectType": "StatementRef", "id": UUID}
ATTACHMENT = {"usageType": "http://adlnet.gov/expapi/attachments/certificate",
              "display": {"vi-VN": "Chứng nhận"}, "description": {"vi-VN": "Bản chụp"},
              "contentType": "application/pdf", "length": 27, "sha2": SHA2,
              "fileUrl": "https://binhdanhocvuso.gov.vn/chung-nhan/1.pdf"}
IFI_NAMES = "(mbox, mbox_sha1sum, openid, account)"


def statement(**extra) -> dict:
    """A valid statement (as tests/test_xapi.py's), with `extra` properties set or replaced."""
    stmt = {"actor": dict(AGENT), "verb": {"id": PASSED, "display": {"vi-VN": "đạt"}},
            "object": {"objectType": "Activity", "id": ACTIVITY,
                       "definition": {"name": {"vi-VN": "Văn bản điện tử và chữ ký số"}}}}
    stmt.update(copy.deepcopy(extra))
    return stmt


def sub(**extra) -> dict:
    """A statement whose object is a valid SubStatement, with `extra` set on the SubStatement."""
    inner = {"objectType": "SubStatement", "actor": dict(OTHER),
             "verb": {"id": "http://adlnet.gov/expapi/verbs/reported"},
             "object": {"id": ACTIVITY}}
    inner.update(copy.deepcopy(extra))
    return statement(object=inner)


def activity(**definition) -> dict:
    """A statement about an activity with this definition."""
    return statement(object={"id": ACTIVITY, "definition": definition})


def problems(stmt, path: str = "statements[1]") -> list[str]:
    """validate_statement's answer, once the fast engine (jsonschema_rs) and the explaining one
    (jsonschema) are seen to agree on the model."""
    fast = v._STATEMENT.fast.is_valid(stmt)
    assert fast == (not list(v._STATEMENT.explaining.iter_errors(stmt))), stmt
    return v.validate_statement(stmt, path)


def assert_valid(stmt) -> None:
    assert problems(stmt) == []


def assert_refused(stmt, *expected: str) -> None:
    """Refused, with a message starting with each of `expected`."""
    errors = problems(stmt)
    assert errors, stmt
    for start in expected:
        assert any(e.startswith(start) for e in errors), (start, errors)


# --------------------------------------------------------------------------- model
def test_the_model_is_a_2020_12_schema_whose_every_keyword_is_worded():
    Draft202012Validator.check_schema(v.SCHEMA)
    worded = {"type", "required", "additionalProperties", "const", "enum", "format", "pattern",
              "minimum", "maximum", "minItems", "maxItems", "minLength", "maxLength",
              "dependentRequired",
              "oneOf", "not"}  # `not` and `pattern` only where an errorMessage words them
    structural = {"$schema", "$id", "$ref", "$defs", "$comment", "title", "errorMessage",
                  "properties", "items", "allOf", "anyOf", "if", "then", "else",
                  "propertyNames"}
    used = set()

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                used.add(key)
                if key in ("properties", "$defs", "dependentRequired"):
                    for child in value.values():
                        walk(child)
                elif key not in ("enum", "const", "required"):
                    walk(value)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(v.SCHEMA)
    assert used <= worded | structural, used - worded - structural


def test_a_thousand_statements_are_validated_well_under_a_third_of_a_second():
    batch = [statement(id=UUID, timestamp="2026-11-20T08:30:00+07:00",
                       result={"score": {"scaled": 0.85}, "success": True, "completion": True})
             for _ in range(1000)]
    v.validate_statement(batch[0], "statement")
    start = time.perf_counter()
    assert not any(v.validate_statement(s, f"statements[{i}]") for i, s in enumerate(batch))
    assert time.perf_counter() - start < 0.3


# --------------------------------------------------------------------------- Data 2.2
def test_2_2_null_is_refused_everywhere_but_in_extension_values():
    assert_refused(statement(result=None), "statements[1].result: giá trị null không được phép.")
    assert_refused(statement(actor=dict(AGENT, name=None)),
                   "statements[1].actor.name: giá trị null không được phép.")
    assert_refused(statement(verb={"id": PASSED, "display": {"vi-VN": None}}),
                   "statements[1].verb.display.vi-VN: giá trị null không được phép.")
    assert_refused(statement(attachments=[None]),
                   "statements[1].attachments[0]: giá trị null không được phép.")
    assert_refused(sub(context={"registration": None}),
                   "statements[1].object.context.registration: giá trị null không được phép.")
    assert_refused(statement(context={"extensions": None}),
                   "statements[1].context.extensions: giá trị null không được phép.")
    # Data 4.1: an extension's value may be anything, null included (an empty string, {}, []).
    for value in (None, "", {}, [], {"a": None, "b": [None]}):
        extensions = {"http://example.com/ex": value}
        assert_valid(statement(result={"extensions": extensions}))
        assert_valid(statement(context={"extensions": extensions}))
        assert_valid(activity(extensions=extensions))
        assert_valid(sub(result={"extensions": extensions}))


@pytest.mark.parametrize("stmt, field", [
    (statement(diem=9), "statements[1].diem"),
    (statement(actor=dict(AGENT, email="a@b.vn")), "statements[1].actor.email"),
    (statement(verb={"id": PASSED, "name": "đạt"}), "statements[1].verb.name"),
    (statement(object={"id": ACTIVITY, "name": "khóa học"}), "statements[1].object.name"),
    (activity(title={"vi": "x"}), "statements[1].object.definition.title"),
    (activity(interactionType="choice", choices=[{"id": "a", "name": "x"}]),
     "statements[1].object.definition.choices[0].name"),
    (statement(result={"grade": "A"}), "statements[1].result.grade"),
    (statement(result={"score": {"percent": 80}}), "statements[1].result.score.percent"),
    (statement(context={"location": "Hà Nội"}), "statements[1].context.location"),
    (statement(context={"contextActivities": {"parents": [{"id": ACTIVITY}]}}),
     "statements[1].context.contextActivities.parents"),
    (statement(attachments=[dict(ATTACHMENT, size=3)]), "statements[1].attachments[0].size"),
    (statement(actor={"account": dict(ACCOUNT, id=1)}), "statements[1].actor.account.id"),
    (statement(object=dict(STATEMENT_REF, note="x")), "statements[1].object.note"),
    (statement(context={"statement": dict(STATEMENT_REF, note="x")}),
     "statements[1].context.statement.note"),
    (sub(id=UUID), "statements[1].object.id"),
    (sub(stored="2013-05-18T05:32:34.804Z"), "statements[1].object.stored"),
    (sub(version="1.0.0"), "statements[1].object.version"),
    (sub(authority=dict(AGENT)), "statements[1].object.authority"),
])
def test_2_2_unknown_properties_are_refused(stmt, field):
    assert_refused(stmt, f"{field}: thuộc tính không có trong xAPI 1.0.3 (ở đây chỉ có: ")


@pytest.mark.parametrize("stmt, field", [
    (statement(verb={"id": "adlnet.gov/expapi/verbs/attended"}), "statements[1].verb.id"),
    (statement(verb={"id": "ab=c://should.fail.com"}), "statements[1].verb.id"),
    (statement(actor={"openid": "open.id.com/testUser"}), "statements[1].actor.openid"),
    (statement(object={"id": "www.example.com/meetings/1"}), "statements[1].object.id"),
    (activity(type="adlnet.gov/expapi/activities/meeting"),
     "statements[1].object.definition.type"),
    (statement(attachments=[dict(ATTACHMENT, usageType="example.com/usage")]),
     "statements[1].attachments[0].usageType"),
])
def test_2_2_iris_need_a_scheme(stmt, field):
    assert_refused(stmt, f"{field}: ")
    assert any("không phải IRI (cần có scheme" in e for e in problems(stmt))


@pytest.mark.parametrize("stmt, field", [
    (statement(actor={"account": dict(ACCOUNT, homePage="homePage.com/testUser")}),
     "statements[1].actor.account.homePage"),
    (activity(moreInfo="virtualmeeting.example.com/345256"),
     "statements[1].object.definition.moreInfo"),
    (statement(attachments=[dict(ATTACHMENT, fileUrl="over.there.com/file.txt")]),
     "statements[1].attachments[0].fileUrl"),
])
def test_2_2_irls_need_a_scheme(stmt, field):
    assert_refused(stmt, f"{field}: ")
    assert any("không phải IRL (địa chỉ có scheme" in e for e in problems(stmt))


def test_2_2_a_statement_is_a_json_object():
    assert v.validate_statement([], "statements[0]") == [
        "statements[0]: phải là một đối tượng JSON (statement)."]
    assert_refused(statement(actor=dict(AGENT, objectType='"objectType": "Agent"')),
                   "statements[1].actor.objectType: ")


# --------------------------------------------------------------------------- Data 2.4.1
def test_2_4_1_id_is_a_uuid():
    for good in (UUID, UUID.upper(), "00000000-0000-0000-0000-000000000000"):
        assert_valid(statement(id=good))
    assert_refused(statement(id="123"), "statements[1].id: '123' không phải UUID.")
    for bad in (UUID + "0", UUID.replace("6", "g"), UUID.replace("-", ""), "6690e6c93-ef0-"
                "4ed3-8b37-7f3964730bee", f"{{{UUID}}}", f"urn:uuid:{UUID}"):
        assert_refused(statement(id=bad), f"statements[1].id: {bad!r} không phải UUID.")
    assert_refused(statement(id=12345), "statements[1].id: phải là chuỗi.")
    assert_refused(statement(id={"uuid": UUID}), "statements[1].id: phải là chuỗi.")
    assert v.is_uuid(UUID) and not v.is_uuid(UUID + "\n") and not v.is_uuid(None)


# --------------------------------------------------------------------------- Data 2.4.2
PLACES = {  # where an Agent or a Group may stand, as a statement holding it
    "actor": lambda a: statement(actor=a),
    "object": lambda a: statement(object=a),
    "authority": lambda a: statement(authority=a),
    "context.instructor": lambda a: statement(context={"instructor": a}),
    "object.actor": lambda a: sub(actor=a),
    "object.object": lambda a: sub(object=a),
    "object.context.instructor": lambda a: sub(context={"instructor": a}),
}


@pytest.mark.parametrize("place", PLACES)
def test_2_4_2_an_agent_has_exactly_one_identifier_wherever_it_stands(place):
    at = PLACES[place]
    for ifi in ({"mbox": "mailto:a@xa.gov.vn"}, {"mbox_sha1sum": SHA1},
                {"openid": "https://openid.example.org/a"}, {"account": ACCOUNT}):
        assert_valid(at({"objectType": "Agent", **ifi}))
    assert_refused(at({"objectType": "Agent", "name": "An"}),
                   f"statements[1].{place}: thiếu định danh — cần đúng một trong mbox, "
                   "mbox_sha1sum, openid, account.")
    assert_refused(at(dict(AGENT, openid="https://openid.example.org/a")),
                   f"statements[1].{place}: phải có đúng một định danh {IFI_NAMES}, nhận được 2:"
                   " mbox, openid.")
    assert_refused(at(dict(AGENT, mbox="hoc.vien@xa.gov.vn")),
                   f"statements[1].{place}.mbox: phải có dạng “mailto:địa-chỉ@email”, nhận "
                   "được 'hoc.vien@xa.gov.vn'.")


@pytest.mark.parametrize("agent, expected", [
    ({"mbox": "mailto:should.fail.com"}, "statements[1].actor.mbox: phải có dạng “mailto:"),
    ({"mbox": "http://should.fail.com"}, "statements[1].actor.mbox: phải có dạng “mailto:"),
    ({"mbox": 12345}, "statements[1].actor.mbox: phải là chuỗi."),
    ({"mbox_sha1sum": "xyz"}, "statements[1].actor.mbox_sha1sum: phải là 40 ký tự hex (SHA-1)"),
    ({"openid": "ab=c://should.fail.com"}, "statements[1].actor.openid: 'ab=c://should.fail.com'"
                                           " không phải IRI"),
    ({"account": {"name": "a"}}, "statements[1].actor.account.homePage: thiếu."),
    ({"account": {"homePage": "https://lms.vn"}}, "statements[1].actor.account.name: thiếu."),
    ({"account": {"homePage": "lms", "name": "a"}}, "statements[1].actor.account.homePage: 'lms'"
                                                    " không phải IRL"),
    ({"account": dict(ACCOUNT, name=5)}, "statements[1].actor.account.name: phải là chuỗi."),
    ({"account": dict(ACCOUNT, name=" ")}, "statements[1].actor.account.name: không được rỗng"),
    ({"account": "079123456789"}, "statements[1].actor.account: phải là một đối tượng JSON."),
    ({"mbox": "mailto:a@xa.gov.vn", "name": ["An"]}, "statements[1].actor.name: phải là chuỗi."),
    ({"objectType": "agent", "mbox": "mailto:a@xa.gov.vn"},
     "statements[1].actor.objectType: 'agent' không hợp lệ (chỉ nhận “Agent” hoặc “Group”)."),
    ({"objectType": "group", "mbox": "mailto:a@xa.gov.vn"},
     "statements[1].actor.objectType: 'group' không hợp lệ (chỉ nhận “Agent” hoặc “Group”)."),
])
def test_2_4_2_identifiers_are_well_formed(agent, expected):
    assert_refused(statement(actor=agent), expected)


GROUP_PLACES = {**PLACES, "context.team": lambda g: statement(context={"team": g}),
                "object.context.team": lambda g: sub(context={"team": g})}


@pytest.mark.parametrize("place", GROUP_PLACES)
def test_2_4_2_groups_anonymous_with_members_or_identified_once(place):
    at = GROUP_PLACES[place]
    anonymous = copy.deepcopy(GROUP)
    if place != "authority":  # Data 2.4.9: the authority's own rule (two members, OAuth)
        assert_valid(at(dict(anonymous, member=[dict(AGENT)])))
        assert_valid(at({"objectType": "Group", "mbox": "mailto:lop@xa.gov.vn"}))
        assert_valid(at({"objectType": "Group", "account": ACCOUNT, "member": [dict(OTHER)]}))
    assert_valid(at(anonymous))
    assert_refused(at({"objectType": "Group", "name": "Lớp"}),
                   f"statements[1].{place}: Group không có định danh (mbox, mbox_sha1sum, openid,"
                   " account) là nhóm ẩn danh: cần member gồm ít nhất một Agent.")
    if place != "authority":
        assert_refused(at({"objectType": "Group", "member": []}),
                       f"statements[1].{place}.member: nhóm ẩn danh phải có ít nhất một thành "
                       "viên (Agent).")
    assert_refused(at(dict(anonymous, member=[dict(AGENT), {"name": "Không định danh"}])),
                   f"statements[1].{place}.member[1]: thiếu định danh")
    assert_refused(at(dict(anonymous, member=[dict(AGENT), dict(GROUP)])),
                   f"statements[1].{place}.member[1].objectType: phải là “Agent”, nhận được "
                   "'Group'.")
    assert_refused(at(dict(anonymous, member=dict(AGENT))),
                   f"statements[1].{place}.member: phải là danh sách.")
    assert_refused(at({"objectType": "Group", "mbox": "mailto:lop@xa.gov.vn",
                       "mbox_sha1sum": SHA1}),
                   f"statements[1].{place}: phải có đúng một định danh {IFI_NAMES}, nhận được 2:"
                   " mbox, mbox_sha1sum.")


# --------------------------------------------------------------------------- Data 2.4.3
def test_2_4_3_verb():
    assert_valid(statement(verb={"id": PASSED}))
    assert_valid(sub(verb={"id": "urn:x-trainer:verb:1", "display": {"vi": "đạt", "en-US": "p"}}))
    assert_refused(statement(verb=None), "statements[1].verb: giá trị null không được phép.")
    stmt = statement()
    del stmt["verb"]
    assert_refused(stmt, "statements[1].verb: thiếu.")
    assert_refused(statement(verb={"display": {"vi": "đạt"}}), "statements[1].verb.id: thiếu.")
    assert_refused(sub(verb="ab=c://should.fail.com"),
                   "statements[1].object.verb: phải là một đối tượng JSON.")
    assert_refused(statement(verb={"id": PASSED, "display": "a12345 attended"}),
                   "statements[1].verb.display: phải là một đối tượng JSON.")
    assert_refused(statement(verb={"id": PASSED, "display": {"a12345678": "should error"}}),
                   "statements[1].verb.display: khóa 'a12345678' không phải mã ngôn ngữ RFC 5646"
                   " (ví dụ “vi-VN”).")
    assert_refused(statement(verb={"id": PASSED, "display": {"vi": 1}}),
                   "statements[1].verb.display.vi: phải là chuỗi.")


# --------------------------------------------------------------------------- Data 2.4.4
def test_2_4_4_activity_and_its_definition():
    assert_valid(statement(object={"id": ACTIVITY}))  # objectType defaults to Activity
    assert_valid(activity(type="http://adlnet.gov/expapi/activities/course",
                          moreInfo="https://binhdanhocvuso.gov.vn/gioi-thieu",
                          name={"vi-VN": "Khóa học", "en": "Course"}, description={"vi": "…"},
                          extensions={"https://binhdanhocvuso.gov.vn/ext/gio": 4}))
    assert_refused(statement(object={"objectType": "Activity"}),
                   "statements[1].object.id: thiếu.")
    assert_refused(statement(object={"id": "khoa hoc 1"}),
                   "statements[1].object.id: 'khoa hoc 1' không phải IRI")
    assert_refused(statement(object={"objectType": "activity", "id": ACTIVITY}),
                   "statements[1].object.objectType: 'activity' không hợp lệ (chỉ nhận "
                   "“Activity”, “Agent”, “Group”, “StatementRef” hoặc “SubStatement”).")
    assert_refused(statement(object={"id": ACTIVITY, "definition": "should error"}),
                   "statements[1].object.definition: phải là một đối tượng JSON.")
    for key in ("name", "description"):
        assert_refused(activity(**{key: "this is not a language map"}),
                       f"statements[1].object.definition.{key}: phải là một đối tượng JSON.")
        assert_refused(sub(object={"id": ACTIVITY, "definition": {key: 1234}}),
                       f"statements[1].object.object.definition.{key}: phải là một đối tượng")
        assert_refused(activity(**{key: {"a12345678": "x"}}),
                       f"statements[1].object.definition.{key}: khóa 'a12345678' không phải mã")
    assert_refused(activity(type="should error"), "statements[1].object.definition.type: ")
    assert_refused(activity(extensions="should error"),
                   "statements[1].object.definition.extensions: phải là một đối tượng JSON.")


COMPONENT = [{"id": "a", "description": {"vi": "Phương án A"}}, {"id": "b"}]
INTERACTIONS = {  # each interaction type with the component lists it may use
    "true-false": (), "fill-in": (), "long-fill-in": (), "numeric": (), "other": (),
    "choice": ("choices",), "sequencing": ("choices",), "likert": ("scale",),
    "matching": ("source", "target"), "performance": ("steps",),
}


@pytest.mark.parametrize("kind", INTERACTIONS)
def test_2_4_4_interaction_types_and_their_components(kind):
    lists = {name: COMPONENT for name in INTERACTIONS[kind]}
    assert_valid(activity(interactionType=kind, correctResponsesPattern=["a"], **lists))
    assert_valid(sub(object={"id": ACTIVITY, "definition": {"interactionType": kind, **lists}}))
    for name in {"choices", "scale", "source", "target", "steps"} - set(lists):
        assert_refused(activity(interactionType=kind, **{name: COMPONENT}),
                       f"statements[1].object.definition.{name}: chỉ dùng khi interactionType "
                       "là “")
    # XAPI-00064: correctResponsesPattern and the components need an interactionType.
    assert_refused(activity(correctResponsesPattern=["a"], **lists),
                   "statements[1].object.definition.interactionType: thiếu (bắt buộc khi có "
                   "“correctResponsesPattern”).")
    assert_refused(activity(interactionType=kind.upper(), correctResponsesPattern=["a"]),
                   f"statements[1].object.definition.interactionType: {kind.upper()!r} không "
                   "hợp lệ (chỉ nhận “true-false”, “choice”")


def test_2_4_4_interaction_component_ids_are_distinct_within_a_list():
    twice = [{"id": "a"}, {"id": "b"}, {"id": "a"}]
    assert_refused(activity(interactionType="choice", choices=twice),
                   "statements[1].object.definition.choices: id trùng nhau: a.")
    assert_refused(sub(object={"id": ACTIVITY, "definition": {
        "interactionType": "matching", "source": COMPONENT, "target": twice}}),
        "statements[1].object.object.definition.target: id trùng nhau: a.")
    # the same id in source and in target is fine: distinct within each list
    assert_valid(activity(interactionType="matching", source=COMPONENT, target=COMPONENT))


def test_2_4_4_interaction_components_and_patterns():
    assert_refused(activity(interactionType="choice", choices=[{"description": {"vi": "A"}}]),
                   "statements[1].object.definition.choices[0].id: thiếu.")
    assert_refused(activity(interactionType="likert", scale=[{"id": "", "description": {}}]),
                   "statements[1].object.definition.scale[0].id: không được rỗng.")
    assert_refused(activity(interactionType="likert", scale=[{"id": "a", "description": "A"}]),
                   "statements[1].object.definition.scale[0].description: phải là một đối tượng")
    assert_refused(activity(interactionType="choice", choices={"id": "a"}),
                   "statements[1].object.definition.choices: phải là danh sách.")
    assert_refused(activity(interactionType="numeric", correctResponsesPattern="4[:]"),
                   "statements[1].object.definition.correctResponsesPattern: phải là danh sách.")
    assert_refused(activity(interactionType="numeric", correctResponsesPattern=[4]),
                   "statements[1].object.definition.correctResponsesPattern[0]: phải là chuỗi.")
    assert_refused(activity(interactionType=12345),
                   "statements[1].object.definition.interactionType: 12345 không hợp lệ")
    assert_refused(activity(interactionType="ab=c://should.fail.com"),
                   "statements[1].object.definition.interactionType: 'ab=c://should.fail.com' "
                   "không hợp lệ")


@pytest.mark.parametrize("kind", ["Agent", "Group"])
def test_2_4_4_an_agent_or_group_object_states_its_object_type(kind):
    actor = dict(AGENT, objectType=kind)
    assert_valid(statement(object=actor))
    assert_valid(sub(object=actor))
    del actor["objectType"]  # then it reads as an Activity
    for stmt, at in ((statement(object=actor), "object"), (sub(object=actor), "object.object")):
        assert_refused(stmt, f"statements[1].{at}.id: thiếu.",
                       f"statements[1].{at}.mbox: thuộc tính không có trong xAPI 1.0.3")


def test_2_4_4_statement_ref():
    assert_valid(statement(object=STATEMENT_REF))
    assert_valid(sub(object=dict(STATEMENT_REF, id=UUID.upper())))
    assert_refused(statement(object={"objectType": "StatementRef"}),
                   "statements[1].object.id: thiếu.")
    assert_refused(sub(object={"objectType": "StatementRef", "id": "should fail"}),
                   "statements[1].object.object.id: 'should fail' không phải UUID.")
    assert_refused(statement(object={"objectType": "statementref", "id": UUID}),
                   "statements[1].object.objectType: 'statementref' không hợp lệ")


def test_2_4_4_sub_statement():
    assert_valid(sub(result={"completion": True}, timestamp="2026-11-20T08:30:00Z",
                     context={"registration": UUID, "platform": "LMS"},
                     attachments=[ATTACHMENT]))
    assert_valid(sub(object=dict(GROUP)))
    for key in ("actor", "verb", "object"):
        stmt = sub()
        del stmt["object"][key]
        assert_refused(stmt, f"statements[1].object.{key}: thiếu.")
    assert_refused(statement(object={**sub()["object"], "objectType": "substatement"}),
                   "statements[1].object.objectType: 'substatement' không hợp lệ")
    assert_refused(sub(object=sub()["object"]),
                   "statements[1].object.object.objectType: 'SubStatement' không hợp lệ: object "
                   "của SubStatement chỉ là Activity, Agent, Group hoặc StatementRef (không lồng "
                   "SubStatement).")


def test_2_3_2_a_voiding_statement_points_to_a_statement_ref():
    assert_valid(statement(verb={"id": VOIDED}, object=STATEMENT_REF))
    message = ("statements[1].object: statement hủy (verb voided) phải có object là StatementRef "
               "trỏ tới statement cần hủy.")
    assert_refused(statement(verb={"id": VOIDED, "display": {"en-US": "voided"}}), message)
    assert_refused(statement(verb={"id": VOIDED}, object=dict(AGENT)), message)
    assert_valid(sub(verb={"id": VOIDED}))  # a SubStatement voids nothing


# --------------------------------------------------------------------------- Data 2.4.5
def test_2_4_5_result():
    assert_valid(statement(result={"success": False, "completion": True, "response": "A",
                                   "duration": "PT1H0M0S", "extensions": {"urn:ex:a": 1}}))
    assert_refused(statement(result={"completion": "yes"}),
                   "statements[1].result.completion: phải là true hoặc false.")
    assert_refused(sub(result={"success": 1}),
                   "statements[1].object.result.success: phải là true hoặc false.")
    assert_refused(statement(result={"response": 42}),
                   "statements[1].result.response: phải là chuỗi.")
    assert_refused(statement(result={"duration": "PA1H0M0S"}),
                   "statements[1].result.duration: 'PA1H0M0S' không phải khoảng thời gian ISO "
                   "8601")
    assert_refused(statement(result={"duration": 3600}),
                   "statements[1].result.duration: phải là chuỗi.")
    assert_refused(statement(result="đạt"), "statements[1].result: phải là một đối tượng JSON.")


def test_2_4_5_score():
    for score in ({"scaled": 0.6767676}, {"scaled": 1}, {"scaled": -1.0},
                  {"raw": 0.6767676, "min": 0, "max": 100}, {"raw": 95, "min": 0.6767676},
                  {"raw": 0, "max": 100.6767676}, {"min": -3, "max": -1}):
        assert_valid(statement(result={"score": score}))
        assert_valid(sub(result={"score": score}))
    assert_refused(statement(result={"score": {"scaled": 1.01}}),
                   "statements[1].result.score.scaled: 1.01 nằm ngoài khoảng −1…1.")
    assert_refused(sub(result={"score": {"scaled": -1.00001}}),
                   "statements[1].object.result.score.scaled: -1.00001 nằm ngoài khoảng −1…1.")
    assert_refused(statement(result={"score": {"raw": "95"}}),
                   "statements[1].result.score.raw: phải là số.")
    assert_refused(statement(result={"score": {"max": True}}),
                   "statements[1].result.score.max: phải là số.")
    assert_refused(statement(result={"score": 12345}),
                   "statements[1].result.score: phải là một đối tượng JSON.")
    assert_refused(statement(result={"score": {"raw": 0.6767676, "min": 0, "max": 0.6567676}}),
                   "statements[1].result.score.raw: 0.6767676 nằm ngoài khoảng min…max.")
    assert_refused(sub(result={"score": {"raw": 0.6767676, "min": 7.6767676}}),
                   "statements[1].object.result.score.raw: 0.6767676 nằm ngoài khoảng min…max.")
    assert_refused(statement(result={"score": {"min": 104.6, "max": 100.6}}),
                   "statements[1].result.score: min (104.6) phải nhỏ hơn max (100.6).")
    assert_refused(statement(result={"score": {"min": 5, "max": 5}}),
                   "statements[1].result.score: min (5) phải nhỏ hơn max (5).")


# --------------------------------------------------------------------------- Data 2.4.6
def test_2_4_6_context_properties():
    assert_valid(statement(context={
        "registration": UUID, "instructor": dict(OTHER), "team": dict(GROUP),
        "revision": "rev_10_3_2", "platform": "LMS tỉnh", "language": "vi-VN",
        "statement": STATEMENT_REF, "extensions": {"http://example.com/ex": {"a": 1}}}))
    assert_valid(statement(context={"instructor": dict(GROUP), "language": "tlh"}))
    assert_refused(statement(context={"registration": "should fail"}),
                   "statements[1].context.registration: 'should fail' không phải UUID.")
    assert_refused(sub(context={"registration": {"key": "x"}}),
                   "statements[1].object.context.registration: phải là chuỗi.")
    assert_refused(statement(context={"team": dict(AGENT)}),
                   "statements[1].context.team.objectType: phải là “Group”, nhận được 'Agent'.")
    assert_refused(statement(context={"team": dict(OTHER)}),
                   "statements[1].context.team.objectType: thiếu.")
    assert_refused(statement(context={"language": "a12345678"}),
                   "statements[1].context.language: 'a12345678' không phải mã ngôn ngữ RFC 5646")
    assert_refused(statement(context={"language": ["vi"]}),
                   "statements[1].context.language: phải là chuỗi.")
    assert_refused(statement(context={"statement": {"objectType": "StatementRef", "id": "x"}}),
                   "statements[1].context.statement.id: 'x' không phải UUID.")
    assert_refused(statement(context={"statement": {"objectType": "Activity", "id": UUID}}),
                   "statements[1].context.statement.objectType: phải là “StatementRef”")
    assert_refused(statement(context={"revision": 3, "platform": ["LMS"]}),
                   "statements[1].context.revision: phải là chuỗi.",
                   "statements[1].context.platform: phải là chuỗi.")


@pytest.mark.parametrize("obj", [dict(AGENT), dict(GROUP), STATEMENT_REF, sub()["object"]])
def test_2_4_6_revision_and_platform_only_with_an_activity_object(obj):
    for key in ("revision", "platform"):
        assert_valid(statement(context={key: "x"}))
        assert_refused(statement(object=obj, context={key: "x"}),
                       f"statements[1].context.{key}: chỉ dùng khi object của statement là một "
                       "Activity.")
    if obj.get("objectType") != "SubStatement":
        assert_refused(sub(object=obj, context={"platform": "x"}),
                       "statements[1].object.context.platform: chỉ dùng khi object")


@pytest.mark.parametrize("kind", ["parent", "grouping", "category", "other"])
def test_2_4_6_context_activities_are_one_activity_or_a_list(kind):
    one = {"id": ACTIVITY, "definition": {"name": {"vi": "Chương trình"}}}
    for given in (one, [one], [one, {"objectType": "Activity", "id": "urn:x:2"}], []):
        assert_valid(statement(context={"contextActivities": {kind: given}}))
        assert_valid(sub(context={"contextActivities": {kind: given}}))
    assert_refused(statement(context={"contextActivities": {kind: {"id": "khong phai iri"}}}),
                   f"statements[1].context.contextActivities.{kind}.id: 'khong phai iri' không "
                   "phải IRI")
    assert_refused(statement(context={"contextActivities": {kind: [one, {"mbox": "x"}]}}),
                   f"statements[1].context.contextActivities.{kind}[1].id: thiếu.")
    assert_refused(statement(context={"contextActivities": {kind: "urn:x:1"}}),
                   f"statements[1].context.contextActivities.{kind}: phải là một đối tượng JSON.")
    assert_refused(statement(context={"contextActivities": [one]}),
                   "statements[1].context.contextActivities: phải là một đối tượng JSON.")


# --------------------------------------------------------------------------- Data 2.4.7
GOOD_TIMESTAMPS = ("2026-11-20T08:30:00+07:00", "2026-11-20T01:30:00Z", "2026-11-20T01:30:00",
                   "2013-05-18T05:32:34.804Z", "2008-09-15T15:53:00.601+00:00",
                   "2008-09-15T15:53:00.6019876-05:00", "2045-01-01T00:00:00Z")
BAD_TIMESTAMPS = ("should fail", "01/011/2015", "2026-11-20", "2026-02-30T08:00:00Z",
                  "2008-09-15T15:53:00.601-00", "2008-09-15T15:53:00.601-0000",
                  "2008-09-15T15:53:00.601-00:00", "2026-11-20T25:00:00Z")


def test_2_4_7_timestamps():
    for good in GOOD_TIMESTAMPS:
        assert_valid(statement(timestamp=good, stored=good))
        assert_valid(sub(timestamp=good))
    for bad in BAD_TIMESTAMPS:
        expected = "không phải thời điểm ISO 8601 (ví dụ “2026-11-20T08:30:00+07:00”"
        assert_refused(statement(timestamp=bad), f"statements[1].timestamp: {bad!r} {expected}")
        assert_refused(sub(timestamp=bad), f"statements[1].object.timestamp: {bad!r} {expected}")
        assert_refused(statement(stored=bad), f"statements[1].stored: {bad!r}")
        assert v.parse_timestamp(bad) is None
    assert_refused(statement(timestamp=1700000000), "statements[1].timestamp: phải là chuỗi.")
    # As operations.parse_timestamp: an aware UTC instant; none given means UTC.
    expected = datetime(2026, 11, 20, 1, 30, tzinfo=UTC)
    for text in ("2026-11-20T08:30:00+07:00", "2026-11-20T01:30:00Z", "2026-11-20T01:30:00",
                 " 2026-11-20T01:30:00Z "):
        assert v.parse_timestamp(text) == expected
    assert v.parse_timestamp("2026-11-20T01:30:00+00:00") == expected  # +00:00 is fine
    assert v.parse_timestamp(None) is None and v.parse_timestamp(20261120) is None


# --------------------------------------------------------------------------- Data 2.4.9
def test_2_4_9_authority_is_an_agent_or_an_oauth_pair():
    assert_valid(statement(authority=dict(AGENT)))
    oauth = {"objectType": "Group", "member": [
        {"account": {"homePage": "http://example.com/xAPI/OAuth/Token",
                     "name": "oauth_consumer_x75db"}}, {"mbox": "mailto:bob@example.com"}]}
    assert_valid(statement(authority=oauth))
    for ifi in ({"mbox": "mailto:bob@example.com"}, {"mbox_sha1sum": SHA1},
                {"openid": "http://openid.example.org/12345"}, {"account": ACCOUNT}):
        assert_refused(statement(authority={**oauth, **ifi}),
                       "statements[1].authority: authority là Group thì phải là nhóm ẩn danh "
                       "(không có mbox, mbox_sha1sum, openid, account).")
    two = "statements[1].authority.member: authority là Group thì phải gồm đúng hai Agent"
    assert_refused(statement(authority={**oauth, "member": oauth["member"][:1]}), two)
    assert_refused(statement(authority={**oauth, "member": [*oauth["member"], dict(OTHER)]}),
                   two)
    assert_refused(statement(authority={"objectType": "Group", "name": "Nhóm"}),
                   "statements[1].authority: Group không có định danh")
    assert_refused(statement(authority={"objectType": "agent", "mbox": "mailto:a@b.vn"}),
                   "statements[1].authority.objectType: 'agent' không hợp lệ")


# --------------------------------------------------------------------------- Data 2.4.10
def test_2_4_10_version_is_1_0_x():
    for good in ("1.0", "1.0.0", "1.0.3", "1.0.9", "1.0.12"):
        assert_valid(statement(version=good))
    for bad in ("1.1.0", "0.9.9", "should fail", "2.0.0", "1.0.", "1.0.3\n", 1.0):
        assert_refused(statement(version=bad),
                       "statements[1].version: chỉ nhận phiên bản 1.0.x (ví dụ “1.0.3”).")


# --------------------------------------------------------------------------- Data 2.4.11
def test_2_4_11_attachment_metadata():
    assert_valid(statement(attachments=[ATTACHMENT]))
    minimal = {k: ATTACHMENT[k] for k in ("usageType", "display", "contentType", "length",
                                          "sha2")}
    assert_valid(statement(attachments=[minimal, dict(minimal, sha2="ab" * 64)]))
    assert_valid(sub(attachments=[]))
    assert_refused(statement(attachments=ATTACHMENT),
                   "statements[1].attachments: phải là danh sách.")
    assert_refused(statement(attachments=[12345]),
                   "statements[1].attachments[0]: phải là một đối tượng JSON.")
    for key in minimal:
        attachment = dict(minimal)
        del attachment[key]
        assert_refused(statement(attachments=[attachment]),
                       f"statements[1].attachments[0].{key}: thiếu.")
    at = "statements[1].attachments[0]"
    for change, expected in (
            ({"usageType": "should fail"}, f"{at}.usageType: 'should fail' không phải IRI"),
            ({"contentType": 12345}, f"{at}.contentType: phải là chuỗi."),
            ({"length": "27"}, f"{at}.length: phải là số nguyên."),
            ({"length": 2.5}, f"{at}.length: phải là số nguyên."),
            ({"length": -1}, f"{at}.length: phải ≥ 0."),
            ({"sha2": 12345}, f"{at}.sha2: phải là chuỗi."),
            ({"sha2": SHA1}, f"{at}.sha2: phải là mã băm SHA-2 dạng hex"),
            ({"sha2": "z" * 64}, f"{at}.sha2: phải là mã băm SHA-2 dạng hex"),
            ({"fileUrl": "should fail"}, f"{at}.fileUrl: 'should fail' không phải IRL"),
            ({"display": "should fail"}, f"{at}.display: phải là một đối tượng JSON."),
            ({"display": {"a12345678": "x"}}, f"{at}.display: khóa 'a12345678' không phải mã"),
            ({"description": 12345}, f"{at}.description: phải là một đối tượng JSON.")):
        assert_refused(statement(attachments=[dict(ATTACHMENT, **change)]), expected)
        assert_refused(sub(attachments=[dict(ATTACHMENT, **change)]),
                       expected.replace("statements[1]", "statements[1].object"))


# --------------------------------------------------------------------------- Data 4.0
@pytest.mark.parametrize("tag, ok", [
    ("vi", True), ("vi-VN", True), ("en-US", True), ("tlh", True), ("zh-Hant-TW", True),
    ("sr-Latn-RS", True), ("es-419", True), ("de-CH-1901", True), ("zh-yue-HK", True),
    ("en-US-x-twain", True), ("x-private", True), ("i-klingon", True), ("EN-us", True),
    ("en-a-bbb-x-a-ccc", True),
    ("a12345678", False), ("", False), ("e", False), ("en_US", False), ("en-", False),
    ("-en", False), ("en--US", False), ("abcdefghi", False), ("en-US-x", False),
    ("vi VN", False), ("en-x-toolongvalue", False), ("en-a", False),
])
def test_4_2_language_tags(tag, ok):
    assert v.is_language_tag(tag) is ok
    stmt = statement(verb={"id": PASSED, "display": {tag: "đạt"}})
    if ok:
        assert_valid(stmt)
        assert_valid(statement(context={"language": tag}))
    else:
        assert_refused(stmt, f"statements[1].verb.display: khóa {tag!r} không phải mã ngôn ngữ")


@pytest.mark.parametrize("iri, ok", [
    ("http://adlnet.gov/expapi/verbs/passed", True), ("https://vi.wikipedia.org/wiki/Học", True),
    ("urn:uuid:6690e6c9-3ef0-4ed3-8b37-7f3964730bee", True), ("mailto:a@b.vn", True),
    ("tag:xa.gov.vn,2026:khoa-hoc", True),
    ("adlnet.gov/expapi/verbs/passed", False), ("ab=c://should.fail.com", False),
    ("http://a b", False), ("http:", False), ("://x", False), ("1http://x", False),
    ("http://x\n", False), ("", False), ("https://x.vn/" + "a" * 490, False),
])
def test_4_0_iris_and_extension_keys(iri, ok):
    assert v.is_iri(iri) is ok
    at = {"definition": "statements[1].object.definition.extensions",
          "result": "statements[1].result.extensions",
          "context": "statements[1].context.extensions"}
    stmts = {"definition": activity(extensions={iri: 1}),
             "result": statement(result={"extensions": {iri: 1}}),
             "context": statement(context={"extensions": {iri: 1}})}
    for where, stmt in stmts.items():
        if ok:
            assert_valid(stmt)
        else:
            assert_refused(stmt, f"{at[where]}: khóa {iri!r}"[:80])
            assert any("không phải IRI" in e for e in problems(stmt))


@pytest.mark.parametrize("duration, ok", [
    ("PT1H0M0S", True), ("PT4H35M59.14S", True), ("PT16559.14S", True),
    ("P3Y1M29DT4H35M59.14S", True), ("P3Y", True), ("P4W", True), ("P1.5W", True),
    ("PT0S", True), ("P0D", True), ("PT1,5H", True),
    ("P4W1D", False), ("P1Y2W", False), ("PT4W", False), ("P", False), ("PT", False),
    ("P1YT", False), ("PT1H30", False), ("1H", False), ("PA1H0M0S", False), ("pt1h", False),
    ("P1S", False), ("PT1D", False), ("P-1D", False), ("PT1H\n", False),
])
def test_4_6_durations(duration, ok):
    assert v.is_duration(duration) is ok
    stmt = statement(result={"duration": duration})
    if ok:
        assert_valid(stmt)
    else:
        assert_refused(stmt, f"statements[1].result.duration: {duration!r} không phải khoảng "
                             "thời gian ISO 8601 (ví dụ “PT1H30M”; số tuần “P4W” không ghép với "
                             "đơn vị khác).")


# --------------------------------------------------------------------------- agents
def test_validate_agent_takes_an_agent_or_an_identified_group():
    assert v.validate_agent({"mbox": "mailto:An@xa.gov.vn"}, "agent") == []
    assert v.validate_agent({"objectType": "Group", "account": ACCOUNT}, "agent") == []
    assert v.validate_agent({"name": "an"}, "agent") == [
        "agent: thiếu định danh — cần đúng một trong mbox, mbox_sha1sum, openid, account."]
    assert v.validate_agent(dict(GROUP), "agent")[0].startswith("agent: thiếu định danh")
    assert v.validate_agent({"mbox": "an@xa.gov.vn"}, "agent") == [
        "agent.mbox: phải có dạng “mailto:địa-chỉ@email”, nhận được 'an@xa.gov.vn'."]
    assert v.validate_agent("an@xa.gov.vn", "agent") == [
        "agent: phải là một đối tượng JSON (Agent hoặc Group)."]
    assert v.validate_agent({"mbox": "mailto:a@b.vn", "x": 1}, "agent")[0].startswith(
        "agent.x: thuộc tính không có trong xAPI 1.0.3")
    assert v.validate_agent({"mbox": "mailto:" + "a" * 300 + "@xa.gov.vn"}, "agent") == [
        "agent: định danh dài quá 300 ký tự."]


# --------------------------------------------------------------------------- issue 5's messages
@pytest.mark.parametrize("change, expected", [
    (lambda s: s["actor"].update(account={"homePage": "https://lms.vn", "name": "x"}),
     "statements[1].actor: phải có đúng một định danh"),
    (lambda s: s["actor"].pop("mbox"), "statements[1].actor: thiếu định danh"),
    (lambda s: s["actor"].update(mbox="hoc.vien@xa.gov.vn"), "statements[1].actor.mbox"),
    (lambda s: s["actor"].update(mbox_sha1sum="xyz") or s["actor"].pop("mbox"),
     "statements[1].actor.mbox_sha1sum"),
    (lambda s: s["actor"].pop("mbox") and s["actor"].update(account={"homePage": "lms"}),
     "statements[1].actor.account.homePage"),
    (lambda s: s["verb"].pop("id"), "statements[1].verb.id: thiếu"),
    (lambda s: s["verb"].update(id="da hoan thanh"), "statements[1].verb.id"),
    (lambda s: s.pop("verb"), "statements[1].verb: thiếu"),
    (lambda s: s["object"].update(id="khoa hoc 1"), "statements[1].object.id"),
    (lambda s: s["object"].pop("id"), "statements[1].object.id: thiếu"),
    (lambda s: s.update(id="123"), "statements[1].id: '123' không phải UUID"),
    (lambda s: s.update(result={"score": {"scaled": 1.5}}),
     "statements[1].result.score.scaled: 1.5 nằm ngoài khoảng"),
    (lambda s: s.update(result={"score": {"scaled": "0.8"}}),
     "statements[1].result.score.scaled: phải là số"),
    (lambda s: s.update(result={"completion": "yes"}), "statements[1].result.completion"),
    (lambda s: s.update(timestamp="20/11/2026"), "statements[1].timestamp"),
    (lambda s: s.update(timestamp="2026-02-30T08:00:00Z"), "statements[1].timestamp"),
    (lambda s: s.update(diem=9), "statements[1].diem: thuộc tính không có"),
    (lambda s: s.update(result=None), "statements[1].result: giá trị null"),
    (lambda s: s.update(version="1.1.0"), "statements[1].version"),
])
def test_the_messages_of_issue_5_are_kept(change, expected):
    stmt = statement()
    change(stmt)
    assert_refused(stmt, expected)


def test_every_problem_is_reported_once_per_field_in_the_model_order():
    stmt = statement(id="abc", timestamp="hôm qua", diem=1, result={"score": {"scaled": 2}})
    del stmt["verb"]
    assert v.validate_statement(stmt, "statement") == [
        "statement.verb: thiếu.",
        "statement.id: 'abc' không phải UUID.",
        "statement.result.score.scaled: 2 nằm ngoài khoảng −1…1.",
        "statement.timestamp: 'hôm qua' không phải thời điểm ISO 8601 (ví dụ "
        "“2026-11-20T08:30:00+07:00”; không dùng độ lệch -00:00).",
        "statement.diem: thuộc tính không có trong xAPI 1.0.3 (ở đây chỉ có: id, actor, verb, "
        "object, result, context, timestamp, stored, authority, version, attachments)."]
    assert v.validate_statement(dict(statement(), id="abc"), "statement") == [
        "statement.id: 'abc' không phải UUID."]


def test_an_actor_identifier_must_fit_its_column():
    long_mbox = "mailto:" + "a" * 290 + "@xa.gov.vn"
    assert_refused(statement(actor={"mbox": long_mbox}),
                   "statements[1].actor: định danh dài quá 300 ký tự.")
    assert_valid(statement(actor={"mbox": "mailto:" + "a" * 200 + "@xa.gov.vn"}))
    assert_refused(statement(actor={"account": {"homePage": "https://x.vn/" + "h" * 200,
                                                "name": "n" * 100}}),
                   "statements[1].actor: định danh dài quá 300 ký tự.")
