"""Query-string and form parameters, read in one place (issue 9): a value nobody could have meant
answers 400 with a Vietnamese message, an id that cannot exist answers 404 — never a server
error (an integer too large for the database, a year before 1, a NUL character PostgreSQL
refuses).

    year = arg_int("nam", min=YEAR_MIN, max=YEAR_MAX, default=today().year + 1)
    course_id = arg_id("course")                    # None when absent; 404 beyond 32 bits
    fmt = arg_choice("format", ("xlsx",))           # None when absent; 400 for "csv"
    on = arg_date("ngay")                           # dd/mm/yyyy or yyyy-mm-dd

Each takes `source=` (request.form) for POST forms; request.args by default."""
from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime

from flask import abort, request
from werkzeug.exceptions import BadRequest

from trainer.core.display import vnnum
from trainer.core.text import clean

MAX_ID = 2**31 - 1  # ids are 32-bit integers in PostgreSQL: a larger one names nothing
YEAR_MIN, YEAR_MAX = 2000, 2100  # plan years, report years (DraftForm's range)
MAX_TEXT = 200  # a search box
MAX_PAGE = 100_000  # pages of a list
_INTEGER = re.compile(r"^[+-]?[0-9]{1,12}$")  # ASCII digits only ("²".isdigit() is True)
_DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d")
# url_for's own keywords: a query string must never reach them through **args
# (`?_external=1&_scheme=javascript` would make every link of the page a javascript: URL).
_URL_FOR_KEYWORDS = {"_external", "_scheme", "_anchor", "_method"}


class BadParameter(BadRequest):
    """400 whose description is a Vietnamese sentence for the person (the error page shows
    it)."""

    def __init__(self, message: str):
        super().__init__(description=message)


def _text(name: str, source) -> str:
    values = request.args if source is None else source
    return clean(values.get(name))


def arg_text(name: str, *, max_length: int = MAX_TEXT, source: Mapping | None = None) -> str:
    """Free text (a search); over `max_length` characters or with a NUL character: 400."""
    text = _text(name, source)
    if len(text) > max_length:
        raise BadParameter(f"Tham số “{name}” dài quá {max_length} ký tự.")
    if "\x00" in text:
        raise BadParameter(f"Tham số “{name}” chứa ký tự không hợp lệ.")
    return text


def arg_int(name: str, *, min: int, max: int, default: int | None = None,
            source: Mapping | None = None) -> int | None:
    """An integer in min…max; absent or empty: `default`; anything else: 400."""
    text = _text(name, source)
    if not text:
        return default
    if not _INTEGER.match(text) or not min <= int(text) <= max:
        raise BadParameter(f"Tham số “{name}” phải là số nguyên từ {min} đến {max} "
                           f"(nhận được “{text[:20]}”).")
    return int(text)


def arg_id(name: str, *, default: int | None = None, source: Mapping | None = None) -> int | None:
    """A record id (0 is the forms' “all”); absent or empty: `default`. Not a number: 400; a
    number no record can have (beyond 32 bits): 404, as for an id in the path."""
    text = _text(name, source)
    if not text:
        return default
    if not (text.isascii() and text.isdigit()):
        raise BadParameter(f"Tham số “{name}” phải là mã số (nhận được “{text[:20]}”).")
    if len(text) > 12 or int(text) > MAX_ID:
        abort(404)
    return int(text)


def form_ids(name: str, source: Mapping | None = None) -> set[int]:
    """Every id of a repeated form field (`?present=3&present=7`); any other value: 400,
    one beyond 32 bits: 404."""
    values = request.form if source is None else source
    out = set()
    for text in values.getlist(name):
        text = text.strip()
        if not (text.isascii() and text.isdigit()):
            raise BadParameter(f"Trường “{name}” phải là mã số (nhận được “{text[:20]}”).")
        if len(text) > 12 or int(text) > MAX_ID:
            abort(404)
        out.add(int(text))
    return out


def arg_choice(name: str, choices: Iterable, default=None, *, source: Mapping | None = None):
    """One of `choices` (their keys when a dict of code → label); absent or empty: `default`;
    anything else: 400 naming what is accepted."""
    allowed = list(choices)
    text = _text(name, source)
    if not text:
        return default
    for choice in allowed:
        if text == str(choice):
            return choice
    listed = ", ".join(f"“{c}”" for c in allowed) or "không có giá trị nào"
    raise BadParameter(f"Tham số “{name}” không hợp lệ (nhận được “{text[:20]}”): chọn "
                       f"{listed}.")


def arg_date(name: str, *, default: date | None = None,
             source: Mapping | None = None) -> date | None:
    """dd/mm/yyyy (what people type) or yyyy-mm-dd (ISO, what date inputs send)."""
    text = _text(name, source)
    if not text:
        return default
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise BadParameter(f"Tham số “{name}” không phải ngày hợp lệ (dd/mm/yyyy): "
                       f"“{text[:20]}”.")


def link_args(*exclude: str) -> dict[str, str]:
    """The query string to repeat in the page's own links (pagination, export), without
    `exclude` and without anything url_for would read as its own keyword."""
    return {k: v for k, v in request.args.items()
            if k not in exclude and k not in _URL_FOR_KEYWORDS and not k.startswith("_")}


def ids_in_range(endpoint, values) -> None:
    """url_value_preprocessor: an id in the path that no record can have (0, or beyond 32
    bits — SQLite cannot bind it, PostgreSQL's integer overflows) answers 404."""
    for value in (values or {}).values():
        if isinstance(value, int) and not isinstance(value, bool) and not 1 <= value <= MAX_ID:
            abort(404)


def refuse_nul() -> None:
    """before_request: a NUL character in the path, the query string or a form answers 400
    (PostgreSQL refuses it in text: it would be a server error deep in a query)."""
    def has_nul(values) -> bool:
        return any("\x00" in k or any("\x00" in v for v in vs) for k, vs in values.lists())
    if "\x00" in request.path or has_nul(request.args):
        raise BadParameter("Địa chỉ chứa ký tự không hợp lệ (NUL).")
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data") \
            and has_nul(request.form):
        raise BadParameter("Dữ liệu gửi lên chứa ký tự không hợp lệ (NUL).")


# ---------------------------------------------------------------------------- JSON bodies
_JSON_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{},]', re.DOTALL)
_MAX_NUMBER_DIGITS = 100


class JsonRefused(ValueError):
    """A JSON body beyond the limits, or not JSON: `str(e)` is the Vietnamese reason; `status`
    400 (413 for a top-level list longer than the limit, the xAPI batch rule)."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def json_limits(config) -> dict[str, int]:
    return {"max_depth": int(config["XAPI_MAX_DEPTH"]), "max_array": int(config["XAPI_MAX_ARRAY"]),
            "max_string": int(config["XAPI_MAX_STRING"])}


def _number(text: str):
    if len(text.lstrip("-")) > _MAX_NUMBER_DIGITS:
        raise JsonRefused(f"Nội dung có số dài quá {_MAX_NUMBER_DIGITS} chữ số.")
    return int(text)


def read_json(raw: bytes | str, *, max_depth: int, max_array: int, max_string: int):
    """Parse a request body after checking, in one pass and without recursion, its nesting
    depth, the items of every array and the length of every string (a body of 5,000 nested
    lists, or “[” × 100,000, never reaches json.loads, whose recursion would fail). A NUL
    character is refused too: PostgreSQL stores no text that holds one."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError:
        raise JsonRefused("Nội dung phải là JSON mã hóa UTF-8.") from None
    stack: list[list] = []  # [kind, commas] per open array or object
    for match in _JSON_TOKEN.finditer(text):
        token = match.group()
        if token[0] == '"':
            if len(token) - 2 > max_string or "\\u0000" in token.lower() or "\x00" in token:
                try:
                    value = json.loads(token)
                except ValueError:
                    value = token  # json.loads below says what is wrong
                if len(value) > max_string:
                    raise JsonRefused(f"Nội dung có chuỗi dài {vnnum(len(value))} ký tự, quá "
                                      f"giới hạn {vnnum(max_string)} ký tự.")
                if "\x00" in value:
                    raise JsonRefused("Nội dung có chuỗi chứa ký tự NUL (\\u0000).")
        elif token in "[{":
            stack.append([token, 0])
            if len(stack) > max_depth:
                raise JsonRefused(f"Nội dung lồng nhau quá {max_depth} tầng.")
        elif token in "]}":
            if stack:
                stack.pop()
        elif stack and stack[-1][0] == "[":  # a comma between two items of a list
            stack[-1][1] += 1
            if stack[-1][1] >= max_array:
                raise JsonRefused(f"Nội dung có danh sách quá {vnnum(max_array)} phần tử.",
                                  413 if len(stack) == 1 else 400)
    try:
        return json.loads(text, parse_int=_number)
    except JsonRefused:
        raise
    except json.JSONDecodeError as e:
        raise JsonRefused(f"Nội dung không phải JSON hợp lệ (dòng {e.lineno}, cột "
                          f"{e.colno}).") from None
    except (ValueError, RecursionError):
        raise JsonRefused("Nội dung không phải JSON hợp lệ.") from None
