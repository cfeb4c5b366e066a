"""xAPI 1.0.3 statement validation from one declared model (issue 14).

The model is `statement.schema.json` (JSON Schema draft 2020-12): Statement, SubStatement,
Agent, Group, Verb, Activity and its definition, StatementRef, Result, Context, Attachment,
Authority. This module supplies the formats the model names (`iri`, `uuid`, `xapi-timestamp`…),
turns every failure into a Vietnamese message naming the field's path
(`statements[1].context.instructor.mbox: phải có dạng “mailto:địa-chỉ@email”…`), and adds the
few rules JSON Schema cannot express (`_beyond_schema`).

A subschema may carry an `errorMessage` annotation: the message used when one of its keywords
fails, for rules whose keyword-by-keyword wording would not say what is wrong.
"""
from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import jsonschema_rs
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError

from trainer.xapi.keys import IFI_KEYS, MAX_VALUE, actor_key

MAX_IRI = MAX_VALUE  # the length of the IRI columns (verb, activity, keys)
COMPONENT_LISTS = ("choices", "scale", "source", "target", "steps")
MAX_AGENT_KEY = 300  # the length of the agent key columns (operations.actor_key)

# --- formats ---------------------------------------------------------------------------------

_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:\S+")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_MAILTO = re.compile(r"[mM][aA][iI][lL][tT][oO]:[^\s@]+@[^\s@]+")
_SHA1 = re.compile(r"[0-9a-fA-F]{40}")
_SHA2 = re.compile(r"[0-9a-fA-F]{56}|[0-9a-fA-F]{64}|[0-9a-fA-F]{96}|[0-9a-fA-F]{128}")
_NUM = r"[0-9]+(?:[.,][0-9]+)?"
# ISO 8601 durations: PnW alone, or PnYnMnDTnHnMnS (weeks do not mix with other units).
_DURATION = re.compile(
    rf"P(?:{_NUM}W|(?=[0-9]|T[0-9])(?:{_NUM}Y)?(?:{_NUM}M)?(?:{_NUM}D)?"
    rf"(?:T(?=[0-9])(?:{_NUM}H)?(?:{_NUM}M)?(?:{_NUM}S)?)?)")
# "-00", "-0000", "-00:00": ISO 8601 forbids a negative zero offset (the suite refuses them).
_NEGATIVE_ZERO = re.compile(r"-00(?::?00)?\Z")
# RFC 5646 "Language-Tag", well-formed (not checked against the registry).
_LANGUAGE_TAG = re.compile(
    r"(?:[A-Za-z]{2,3}(?:-[A-Za-z]{3}){0,3}|[A-Za-z]{4,8})"  # language, extlang
    r"(?:-[A-Za-z]{4})?"  # script
    r"(?:-(?:[A-Za-z]{2}|[0-9]{3}))?"  # region
    r"(?:-(?:[A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3}))*"  # variants
    r"(?:-[0-9A-WYZa-wyz](?:-[A-Za-z0-9]{2,8})+)*"  # extensions
    r"(?:-[xX](?:-[A-Za-z0-9]{1,8})+)?"  # private use
    r"|[xX](?:-[A-Za-z0-9]{1,8})+"  # a private-use tag
    r"|en-GB-oed|i-(?:ami|bnn|default|enochian|hak|klingon|lux|mingo|navajo|pwn|tao|tay|tsu)"
    r"|sgn-(?:BE-FR|BE-NL|CH-DE)",  # irregular grandfathered tags
    re.IGNORECASE)


def is_iri(value) -> bool:
    """An IRI with a scheme (`https://…`, `urn:…`, `mailto:…`), at most 500 characters."""
    return isinstance(value, str) and len(value) <= MAX_IRI and bool(_IRI.fullmatch(value))


def is_uuid(value) -> bool:
    """A UUID in its canonical 8-4-4-4-12 hex form (any case)."""
    return isinstance(value, str) and bool(_UUID.fullmatch(value))


def parse_timestamp(value) -> datetime | None:
    """An ISO 8601 date and time (`Z` or an offset; none means UTC), in UTC; None if invalid,
    including a negative zero offset (`-00`, `-0000`, `-00:00`)."""
    if not isinstance(value, str) or "T" not in value.upper():
        return None
    text = value.strip()
    if _NEGATIVE_ZERO.search(text):
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def is_language_tag(value) -> bool:
    """A well-formed RFC 5646 language tag (`vi`, `vi-VN`, `zh-Hant-TW`, `tlh`)."""
    return isinstance(value, str) and bool(_LANGUAGE_TAG.fullmatch(value))


def is_duration(value) -> bool:
    """An ISO 8601 duration (`PT1H30M`, `P3Y1M29DT4H35M59.14S`, `P4W`; not `P4W1D`)."""
    return isinstance(value, str) and bool(_DURATION.fullmatch(value))


def _is_mailto(value) -> bool:
    return isinstance(value, str) and bool(_MAILTO.fullmatch(value))


def _is_sha1(value) -> bool:
    return isinstance(value, str) and bool(_SHA1.fullmatch(value))


def _is_sha2(value) -> bool:
    return isinstance(value, str) and bool(_SHA2.fullmatch(value))


_FORMATS = {
    "iri": is_iri,
    "irl": is_iri,
    "uuid": is_uuid,
    "xapi-timestamp": lambda v: parse_timestamp(v) is not None,
    "xapi-duration": is_duration,
    "language-tag": is_language_tag,
    "mailto-iri": _is_mailto,
    "sha1": _is_sha1,
    "sha2": _is_sha2,
}
_FORMAT_MESSAGES = {
    "iri": "{value} không phải IRI (cần có scheme, ví dụ “https://nen-tang.vn/khoa-hoc/123”)",
    "irl": "{value} không phải IRL (địa chỉ có scheme, ví dụ “https://nen-tang.vn”)",
    "uuid": "{value} không phải UUID",
    "xapi-timestamp": "{value} không phải thời điểm ISO 8601 (ví dụ “2026-11-20T08:30:00+07:00”; "
                      "không dùng độ lệch -00:00)",
    "xapi-duration": "{value} không phải khoảng thời gian ISO 8601 (ví dụ “PT1H30M”; số tuần "
                     "“P4W” không ghép với đơn vị khác)",
    "language-tag": "{value} không phải mã ngôn ngữ RFC 5646 (ví dụ “vi-VN”)",
    "mailto-iri": "phải có dạng “mailto:địa-chỉ@email”, nhận được {value}",
    "sha1": "phải là 40 ký tự hex (SHA-1), nhận được {value}",
    "sha2": "phải là mã băm SHA-2 dạng hex (56, 64, 96 hoặc 128 ký tự), nhận được {value}",
}
_TYPES = {"object": "một đối tượng JSON", "array": "danh sách", "string": "chuỗi",
          "number": "số", "integer": "số nguyên", "boolean": "true hoặc false"}


def _format_checker() -> FormatChecker:
    checker = FormatChecker(formats=())
    for name, predicate in _FORMATS.items():
        # A format applies to strings only; the model's `type` refuses the others.
        checker.checks(name)(lambda v, p=predicate: not isinstance(v, str) or p(v))
    return checker


# --- the model -------------------------------------------------------------------------------

SCHEMA = json.loads(Path(__file__).with_name("statement.schema.json").read_text("utf-8"))
_IFI_RULE = SCHEMA["$defs"]["ExactlyOneIfi"]["oneOf"]
_CHECKER = _format_checker()


class _Model:
    """The schema rooted at one of its definitions, with two validators: jsonschema_rs answers
    "valid?" (about 20 µs a statement), jsonschema then explains an invalid instance (about
    1.5 ms, too slow for every statement of a 1,000-statement batch)."""

    def __init__(self, definition: str):
        schema = {**SCHEMA, "$ref": f"#/$defs/{definition}"}
        self.fast = jsonschema_rs.Draft202012Validator(
            schema, formats=_FORMATS, validate_formats=True, ignore_unknown_formats=False)
        self.explaining = Draft202012Validator(schema, format_checker=_CHECKER)

    def errors(self, instance) -> list[ValidationError]:
        return [] if self.fast.is_valid(instance) else list(self.explaining.iter_errors(instance))


_STATEMENT = _Model("Statement")
_AGENT = _Model("AgentOrIdentifiedGroup")


# --- messages --------------------------------------------------------------------------------

def _shown(value) -> str:
    """A received value as quoted in a message (at most 80 characters)."""
    text = repr(value) if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "…"


def _number(value) -> str:
    return str(value).replace("-", "−")


def _choices(values) -> str:
    names = [f"“{v}”" for v in values]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} hoặc {names[-1]}"


def _field(path: str, parts) -> str:
    return path + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts)


def _messages(error: ValidationError, path: str) -> list[tuple[str, str]]:
    """(field, message) pairs for one failure of the model."""
    field = _field(path, error.absolute_path)
    keyword, expected, value = error.validator, error.validator_value, error.instance
    if value is None:
        return [(field, "giá trị null không được phép.")]
    if keyword == "oneOf" and expected == _IFI_RULE:
        return _identifier_messages(field, value)
    if "errorMessage" in error.schema:
        return [(field, error.schema["errorMessage"].format(value=_shown(value)) + ".")]
    if keyword == "required":
        return [(_field(path, [*error.absolute_path, key]), "thiếu.")
                for key in expected if key not in value]
    if keyword == "dependentRequired":
        return [(_field(path, [*error.absolute_path, need]), f"thiếu (bắt buộc khi có “{key}”).")
                for key, needs in expected.items() if key in value
                for need in needs if need not in value]
    if keyword == "additionalProperties":
        allowed = list(error.schema.get("properties", {}))
        return [(_field(path, [*error.absolute_path, key]),
                 f"thuộc tính không có trong xAPI 1.0.3 (ở đây chỉ có: {', '.join(allowed)}).")
                for key in value if key not in allowed]
    if keyword == "format":
        text = _FORMAT_MESSAGES[expected].format(value=_shown(value))
        if len(error.schema_path) > 1 and error.schema_path[-2] == "propertyNames":
            return [(field, f"khóa {text}.")]
        return [(field, f"{text}.")]
    if keyword == "type":
        return [(field, f"phải là {_TYPES[expected]}.")]
    if keyword == "enum":
        return [(field, f"{_shown(value)} không hợp lệ (chỉ nhận {_choices(expected)}).")]
    if keyword == "const":
        return [(field, f"phải là “{expected}”, nhận được {_shown(value)}.")]
    if keyword in ("minimum", "maximum"):
        low, high = error.schema.get("minimum"), error.schema.get("maximum")
        if low is not None and high is not None:
            return [(field, f"{value} nằm ngoài khoảng {_number(low)}…{_number(high)}.")]
        return [(field, f"phải {'≥' if keyword == 'minimum' else '≤'} {_number(expected)}.")]
    if keyword == "minItems":
        return [(field, f"phải có ít nhất {expected} phần tử.")]
    if keyword == "maxItems":
        return [(field, f"chỉ được có tối đa {expected} phần tử.")]
    if keyword == "minLength":
        return [(field, "không được rỗng.")]
    if keyword == "maxLength":
        return [(field, f"dài quá {expected} ký tự.")]
    if keyword == "pattern":
        return [(field, f"{_shown(value)} không đúng định dạng.")]
    return [(field, "không hợp lệ theo xAPI 1.0.3.")]


def _identifier_messages(field: str, value) -> list[tuple[str, str]]:
    """Data 2.4.2.3: an Agent or identified Group has exactly one inverse functional
    identifier (a non-object gets its type's message instead)."""
    if not isinstance(value, dict):
        return []
    present = [k for k in IFI_KEYS if k in value]
    if not present:
        return [(field, "thiếu định danh — cần đúng một trong mbox, mbox_sha1sum, openid, "
                        "account.")]
    return [(field, f"phải có đúng một định danh (mbox, mbox_sha1sum, openid, account), "
                    f"nhận được {len(present)}: {', '.join(present)}.")]


def _translated(errors, path: str) -> list[str]:
    """One message per field, the first the model reports for it, in the model's order."""
    seen: dict[str, str] = {}
    for error in errors:
        for field, message in _messages(error, path):
            seen.setdefault(field, f"{field}: {message}")
    return list(seen.values())


# --- beyond the schema -----------------------------------------------------------------------

def _agent_key_too_long(agent: dict) -> bool:
    """The agent's key (keys.actor_key, the rule's one place) does not fit its column.
    Only asked of an agent the model found valid."""
    return len(actor_key(agent)) > MAX_AGENT_KEY


def _score_problems(result, path: str) -> list[str]:
    """Data 2.4.5.1: min < max, and raw within min…max."""
    score = result.get("score") if isinstance(result, dict) else None
    if not isinstance(score, dict):
        return []
    numbers = {k: v for k, v in score.items() if k in ("raw", "min", "max")
               and isinstance(v, (int, float)) and not isinstance(v, bool)}
    low, high, raw = numbers.get("min"), numbers.get("max"), numbers.get("raw")
    problems = []
    if low is not None and high is not None and low >= high:
        problems.append(f"{path}.score: min ({low}) phải nhỏ hơn max ({high}).")
    if raw is not None and ((low is not None and raw < low) or (high is not None and raw > high)):
        problems.append(f"{path}.score.raw: {raw} nằm ngoài khoảng min…max.")
    return problems


def _component_problems(activity, path: str) -> list[str]:
    """Data 2.4.4.1: within an array of interaction components, every id is distinct."""
    definition = activity.get("definition") if isinstance(activity, dict) else None
    problems = []
    for name in COMPONENT_LISTS:
        items = definition.get(name) if isinstance(definition, dict) else None
        ids = [c.get("id") for c in items if isinstance(c, dict)] \
            if isinstance(items, list) else []
        twice = sorted({i for i in ids if isinstance(i, str) and ids.count(i) > 1})
        if twice:
            problems.append(f"{path}.definition.{name}: id trùng nhau: {', '.join(twice)}.")
    return problems


def _beyond_schema(stmt: dict, path: str, *, valid: bool) -> list[str]:
    """The rules the model cannot express: score bounds and distinct interaction component ids
    (statement and SubStatement) and, for a statement otherwise valid, an actor identifier that
    fits the agent key column."""
    problems = _score_problems(stmt.get("result"), f"{path}.result")
    problems += _component_problems(stmt.get("object"), f"{path}.object")
    sub = stmt.get("object")
    if isinstance(sub, dict) and sub.get("objectType") == "SubStatement":
        problems += _score_problems(sub.get("result"), f"{path}.object.result")
        problems += _component_problems(sub.get("object"), f"{path}.object.object")
    if valid and _agent_key_too_long(stmt["actor"]):
        problems.append(f"{path}.actor: định danh dài quá {MAX_AGENT_KEY} ký tự.")
    return problems


# --- entry points ----------------------------------------------------------------------------

def validate_statement(stmt, path: str) -> list[str]:
    """Every problem of one statement, each naming the statement (`path`, e.g. `statement` or
    `statements[3]`) and the field; [] when it is a valid xAPI 1.0.3 statement."""
    if not isinstance(stmt, dict):
        return [f"{path}: phải là một đối tượng JSON (statement)."]
    problems = _translated(_STATEMENT.errors(stmt), path)
    return problems + _beyond_schema(stmt, path, valid=not problems)


def is_valid_statement(stmt) -> bool:
    """validate_statement(stmt) == [], without the cost of explaining an invalid statement."""
    return isinstance(stmt, dict) and _STATEMENT.fast.is_valid(stmt) \
        and not _beyond_schema(stmt, "", valid=True)


def validate_agent(agent, path: str) -> list[str]:
    """Every problem of an Agent or identified Group (a query parameter, a document's agent),
    each naming `path`; [] when valid."""
    if not isinstance(agent, dict):
        return [f"{path}: phải là một đối tượng JSON (Agent hoặc Group)."]
    problems = _translated(_AGENT.errors(agent), path)
    if not problems and _agent_key_too_long(agent):
        problems.append(f"{path}: định danh dài quá {MAX_AGENT_KEY} ký tự.")
    return problems
