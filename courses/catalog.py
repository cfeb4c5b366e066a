"""The course catalog: competencies, providers, courses, job positions, region priorities and the
modules (học phần) of degree programmes.

The catalog lives in six UTF-8 CSV files (``courses/data`` by default, format in
``courses/README.md``) that a training officer can open and edit in Excel. ``load_catalog`` reads
and validates all of them at once: every problem is collected, each message in Vietnamese names
the file, the line and the column, and if there is any problem nothing is returned
(``CatalogError`` carries the whole list) — a half-loaded catalog would silently produce wrong
gaps and wrong learning paths.

Standard library only: this package must not import flask, sqlalchemy or trainer (STYLE.md §1).
"""
from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from . import vocab
from .fields import normalise_field

__all__ = [
    "Competency", "Provider", "Course", "Position", "RegionPriority", "Module", "Catalog",
    "CatalogError",
    "load_catalog", "parse_rows", "DATA_DIR", "FILES", "OPTIONAL_COLUMNS", "IMPORT_TABLES",
]

DATA_DIR = Path(__file__).resolve().parent / "data"

LEVEL_MIN, LEVEL_MAX = 1, vocab.MAX_LEVEL      # a course teaches / a position requires 1..4
LEVEL_BUMP_MAX = 2                              # KH-9 bumps are 0 or 1 in practice
TERM_MIN, TERM_MAX = 1, 10                      # học kỳ of a degree programme (5 years at most)
YES = {"có", "co", "c", "x", "yes", "y", "true", "1"}
NO = {"không", "khong", "k", "no", "n", "false", "0"}
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
_GROUPED_INT = re.compile(r"^\d{1,3}([.,\s]\d{3})+$")   # "1.500.000" as typed in Excel (vi-VN)


# --------------------------------------------------------------------------- data classes
@dataclass(frozen=True)
class Competency:
    code: str
    name: str
    group: str           # vocab.COMPETENCY_GROUPS (KH-1)
    domain: str          # vocab.COMPETENCY_DOMAINS
    description: str = ""


@dataclass(frozen=True)
class Provider:
    code: str
    name: str
    kind: str            # vocab.PROVIDER_KINDS


@dataclass(frozen=True)
class Course:
    code: str
    name: str
    provider_code: str
    category: str        # vocab.COURSE_CATEGORIES
    mode: str            # vocab.MODES
    hours: int
    pass_mark: float     # on a 0–10 scale (Circular 01/2018: every assessment >= 5/10)
    competencies: dict[str, int] = field(hash=False)   # competency code -> level reached
    qualification: tuple[str, str] | None               # (kind in QUALIFICATION_SCALES, level)
    prerequisites: tuple[str, ...]                      # course codes
    validity_months: int | None
    requires_approval: bool
    cost: int            # VND per learner, 0 if free
    description: str = ""


@dataclass(frozen=True)
class Position:
    code: str
    name: str
    group: str           # vocab.POSITION_GROUPS
    requirements: dict[str, int] = field(hash=False)   # competency code -> required level
    min_education: str            # vocab.EDUCATION code
    min_political_theory: str     # vocab.POLITICAL_THEORY code
    min_state_management: str     # vocab.STATE_MANAGEMENT code
    min_it: str                   # vocab.IT_LEVEL code
    # Fields of study (chuyên ngành) the position accepts (LC-1b; courses.fields.field_fits):
    # () accepts any; None when the file has no "fields" column (an older file: keep what is
    # stored).
    fields: tuple[str, ...] | None = None


@dataclass(frozen=True)
class RegionPriority:
    region: str          # vocab.REGIONS (KH-9)
    competency_code: str
    level_bump: int      # added where the position already requires the competency
    weight: float
    min_level: int = 0   # every position in the region requires at least this level (0: none)


@dataclass(frozen=True)
class Module:
    """A module (học phần) of a multi-year degree programme, taught in one term (LC-T1, LC-T2)."""
    course_code: str
    code: str            # unique within its course
    name: str
    term: int            # TERM_MIN..TERM_MAX
    hours: int


@dataclass
class Catalog:
    competencies: list[Competency]
    providers: list[Provider]
    courses: list[Course]
    positions: list[Position]
    region_priorities: list[RegionPriority]
    modules: list[Module] = field(default_factory=list)   # modules.csv is optional

    # Small read-only conveniences; the lists above stay the source of truth.
    def competency(self, code: str) -> Competency | None:
        return next((c for c in self.competencies if c.code == code), None)

    def provider(self, code: str) -> Provider | None:
        return next((p for p in self.providers if p.code == code), None)

    def course(self, code: str) -> Course | None:
        return next((c for c in self.courses if c.code == code), None)

    def position(self, code: str) -> Position | None:
        return next((p for p in self.positions if p.code == code), None)

    def courses_teaching(self, competency_code: str, min_level: int = 1) -> list[Course]:
        """Courses that bring `competency_code` to at least `min_level`."""
        return [c for c in self.courses if c.competencies.get(competency_code, 0) >= min_level]

    def max_level_taught(self, competency_code: str) -> int:
        """The highest level any course reaches for a competency (0 if none teaches it)."""
        return max((c.competencies.get(competency_code, 0) for c in self.courses), default=0)

    def modules_of(self, course_code: str) -> list[Module]:
        """The modules of a degree programme by term, in file order within a term."""
        return sorted((m for m in self.modules if m.course_code == course_code),
                      key=lambda m: m.term)


class CatalogError(Exception):
    """The catalog files are invalid; `errors` lists every problem found, in Vietnamese."""

    def __init__(self, errors: list[str]):
        self.errors = list(errors)
        super().__init__("\n".join(self.errors))

    def __str__(self) -> str:
        return "\n".join(self.errors)


# --------------------------------------------------------------------------- file reading
FILES = {
    "competencies.csv": ("code", "name", "group", "domain", "description"),
    "providers.csv": ("code", "name", "kind"),
    "courses.csv": ("code", "name", "provider", "category", "mode", "hours", "pass_mark",
                    "competencies", "qualification", "prerequisites", "validity_months",
                    "requires_approval", "cost", "description"),
    "positions.csv": ("code", "name", "group", "requirements", "min_education",
                      "min_political_theory", "min_state_management", "min_it", "fields"),
    "region_priorities.csv": ("region", "competency", "level_bump", "weight", "min_level"),
    "modules.csv": ("course", "code", "name", "term", "hours"),
}
# Files a catalog directory may lack: modules.csv came later, so older directories still load.
OPTIONAL_FILES = {"modules.csv"}
# Columns a file may lack for the same reason (an absent column reads as empty cells).
LATER_COLUMNS = {"region_priorities.csv": {"min_level"}, "positions.csv": {"fields"}}
OPTIONAL_COLUMNS = {
    "positions.csv": {"fields"},
    "competencies.csv": {"description"},
    "courses.csv": {"description", "qualification", "prerequisites", "validity_months", "cost"},
    "region_priorities.csv": {"min_level"},
}


class _Row:
    """One data row: its line number in the file and its stripped values by column.
    A row of an import file (`parse_rows`) has no catalog file: its messages name the column by
    its header (`labels`) and references by what they are (`refs`), not by a catalog file."""

    def __init__(self, file: str | None, line: int, values: dict[str, str], errors: list[str],
                 labels: dict[str, str] | None = None, refs: dict[str, str] | None = None):
        self.file, self.line, self.values, self._errors = file, line, values, errors
        self.labels, self.refs = labels or {}, refs or {}

    def error(self, column: str, message: str) -> None:
        label = self.labels.get(column, column)
        if self.file:
            self._errors.append(f'{self.file}, dòng {self.line}, cột "{label}": {message}')
        else:
            self._errors.append(f"dòng {self.line}, cột “{label}”: {message}")

    def ref(self, file: str) -> str:
        """How a message names the list a reference must be in."""
        return self.refs.get(file, file)

    def get(self, column: str) -> str:
        return self.values.get(column, "")

    def required(self, column: str) -> str | None:
        value = self.get(column)
        if not value:
            self.error(column, "không được để trống")
            return None
        return value


def _read_table(directory: Path, file: str, errors: list[str]) -> list[_Row] | None:
    path = directory / file
    if not path.is_file() and file in OPTIONAL_FILES:
        return []
    if not path.is_file():
        errors.append(f"{file}: không tìm thấy tệp trong thư mục {directory}")
        return None
    try:
        text = path.read_text(encoding="utf-8-sig")      # utf-8-sig drops Excel's BOM
    except UnicodeDecodeError as exc:
        errors.append(f"{file}, dòng {_text_line(path, exc.start)}: tệp không phải UTF-8 "
                      "(trong Excel chọn Lưu dưới dạng “CSV UTF-8”)")
        return None
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        errors.append(f"{file}, dòng 1: thiếu dòng tiêu đề ({', '.join(FILES[file])})")
        return None
    # Excel with Vietnamese regional settings saves CSV with ";" — accept either delimiter.
    delimiter = ";" if lines[0].count(";") > lines[0].count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [h.strip() for h in next(reader)]
    missing = [c for c in FILES[file]
               if c not in header and c not in LATER_COLUMNS.get(file, ())]
    for column in missing:
        errors.append(f'{file}, dòng 1, cột "{column}": thiếu cột')
    seen: set[str] = set()
    for column in header:
        if column and column in seen:
            errors.append(f'{file}, dòng 1, cột "{column}": cột bị lặp lại')
        seen.add(column)
    if missing:
        return None
    index = {c: header.index(c) for c in FILES[file] if c in header}
    rows: list[_Row] = []
    last_line = reader.line_num
    for record in reader:
        line = last_line + 1                 # first physical line of this record
        last_line = reader.line_num
        cells = [v.strip() for v in record]
        if not any(cells):
            continue                          # blank rows are common in Excel files
        values = {c: (cells[i] if i < len(cells) else "") for c, i in index.items()}
        row = _Row(file, line, values, errors)
        extra = [v for v in cells[len(header):] if v]
        if extra:
            row.error(header[-1], f"dòng có {len(cells)} ô nhưng tiêu đề chỉ có {len(header)} cột "
                      "(có dấu phân cách thừa?)")
        rows.append(row)
    return rows


def _text_line(path: Path, byte_offset: int) -> int:
    return path.read_bytes()[:byte_offset].count(b"\n") + 1


# --------------------------------------------------------------------------- field parsers
def _code(row: _Row, column: str) -> str | None:
    value = row.required(column)
    if value is not None and not CODE_RE.match(value):
        row.error(column, f'mã "{value}" không hợp lệ (chỉ dùng chữ không dấu, số, "-", "_", ".")')
        return None
    return value


def _enum(row: _Row, column: str, scale, *, allow_none: bool = True) -> str | None:
    """A code from a vocab scale; the Vietnamese label is accepted too (Excel users type it)."""
    value = row.required(column)
    if value is None:
        return None
    choices = [(c, lab) for c, lab in scale if allow_none or c != "none"]
    for code, text in choices:
        if value == code or value.casefold() == text.casefold():
            return code
    row.error(column, f'giá trị "{value}" không hợp lệ; chọn một trong: '
              + ", ".join(c for c, _ in choices))
    return None


def _to_int(text: str) -> int | None:
    text = text.strip()
    if _GROUPED_INT.match(text):
        text = re.sub(r"[.,\s]", "", text)
    return int(text) if text.isdigit() and text.isascii() else None


def _positive_int(row: _Row, column: str, *, required: bool = True) -> int | None:
    value = row.required(column) if required else row.get(column)
    if not value:
        return None
    number = _to_int(value)
    if number is None or number <= 0:
        row.error(column, f'"{value}" không phải số nguyên dương')
        return None
    return number


def _float(row: _Row, column: str, low: float, high: float, *, low_open: bool = False):
    value = row.required(column)
    if value is None:
        return None
    try:
        number = float(value.replace(",", "."))     # "5,0" is how a vi-VN Excel writes 5.0
    except ValueError:
        row.error(column, f'"{value}" không phải số')
        return None
    if number != number or number > high or number < low or (low_open and number == low):
        bracket = "(" if low_open else "["
        row.error(column, f'{value} nằm ngoài khoảng {bracket}{low:g}; {high:g}]')
        return None
    return number


def _yes_no(row: _Row, column: str) -> bool | None:
    value = row.required(column)
    if value is None:
        return None
    folded = value.casefold()
    if folded in YES:
        return True
    if folded in NO:
        return False
    row.error(column, f'"{value}" không hợp lệ; ghi "có" hoặc "không"')
    return None


def _split_list(value: str) -> list[str]:
    return [item.strip() for item in value.split(";") if item.strip()]


def _levels(row: _Row, column: str, known: set[str] | None, what: str) -> dict[str, int] | None:
    """Parse "DS-01:2; LAND-01:3" into {code: level}, checking codes and the 1..4 range."""
    value = row.required(column)
    if value is None:
        return None
    result: dict[str, int] = {}
    ok = True
    for item in _split_list(value):
        code, sep, level_text = item.partition(":")
        code, level_text = code.strip(), level_text.strip()
        if not sep or not code or not level_text:
            row.error(column, f'mục "{item}" sai định dạng; ghi MÃ:mức, ví dụ "CDS-01:2"')
            ok = False
            continue
        level = int(level_text) if re.fullmatch(r"-?[0-9]+", level_text) else None
        if level is None:
            row.error(column, f'mức "{level_text}" của "{code}" không phải số nguyên')
            ok = False
            continue
        if not LEVEL_MIN <= level <= LEVEL_MAX:
            row.error(column, f'mức {level} của "{code}" nằm ngoài khoảng {LEVEL_MIN}–{LEVEL_MAX}')
            ok = False
            continue
        if known is not None and code not in known:
            row.error(column, f'{what} "{code}" không có trong {row.ref("competencies.csv")}')
            ok = False
            continue
        if code in result:
            row.error(column, f'"{code}" ghi hai lần')
            ok = False
            continue
        result[code] = level
    if ok and not result:
        row.error(column, "không được để trống")
    return result if ok else None


def _unique(rows_codes: list[tuple[_Row, str | None]], column: str) -> None:
    first: dict[str, int] = {}
    for row, code in rows_codes:
        if code is None:
            continue
        if code in first:
            row.error(column, f'mã "{code}" trùng với dòng {first[code]}')
        else:
            first[code] = row.line


# --------------------------------------------------------------------------- loaders per file
def _load_competencies(rows: list[_Row]) -> list[Competency | None]:
    out = []
    codes = []
    for row in rows:
        code = _code(row, "code")
        name = row.required("name")
        group = _enum(row, "group", vocab.COMPETENCY_GROUPS)
        domain = _enum(row, "domain", vocab.COMPETENCY_DOMAINS)
        codes.append((row, code))
        ok = None not in (code, name, group, domain)
        out.append(Competency(code, name, group, domain, row.get("description")) if ok else None)
    _unique(codes, "code")
    return out


def _load_providers(rows: list[_Row]) -> list[Provider | None]:
    out = []
    codes = []
    for row in rows:
        code = _code(row, "code")
        name = row.required("name")
        kind = _enum(row, "kind", vocab.PROVIDER_KINDS)
        codes.append((row, code))
        out.append(Provider(code, name, kind) if None not in (code, name, kind) else None)
    _unique(codes, "code")
    return out


def _qualification(row: _Row) -> tuple[tuple[str, str] | None, bool]:
    value = row.get("qualification")
    if not value:
        return None, True
    kind, sep, level = (part.strip() for part in value.partition(":"))
    if not sep or not kind or not level:
        row.error("qualification", f'"{value}" sai định dạng; ghi LOẠI:bậc, '
                  'ví dụ "political_theory:trung_cap"')
        return None, False
    scale = vocab.QUALIFICATION_SCALES.get(kind)
    if scale is None:
        row.error("qualification", f'loại văn bằng, chứng chỉ "{kind}" không hợp lệ; chọn một '
                  "trong: " + ", ".join(vocab.QUALIFICATION_SCALES))
        return None, False
    levels = [c for c in vocab.codes(scale) if c != "none"]
    if level not in levels:
        row.error("qualification", f'bậc "{level}" không có trong thang {kind}; chọn một trong: '
                  + ", ".join(levels))
        return None, False
    return (kind, level), True


def _load_courses(rows, competency_codes, provider_codes, other_courses=None):
    """`other_courses`: prerequisites of courses outside `rows` (already in the catalog) — they
    may be named as prerequisites, and a cycle through them is a cycle."""
    other_courses = other_courses or {}
    parsed = []
    codes = []
    for row in rows:
        code = _code(row, "code")
        name = row.required("name")
        provider = row.required("provider")
        if provider is not None and provider_codes is not None and provider not in provider_codes:
            row.error("provider",
                      f'cơ sở đào tạo "{provider}" không có trong {row.ref("providers.csv")}')
            provider = None
        category = _enum(row, "category", vocab.COURSE_CATEGORIES)
        mode = _enum(row, "mode", vocab.MODES)
        hours = _positive_int(row, "hours")
        pass_mark = _float(row, "pass_mark", 0.0, 10.0)
        comps = _levels(row, "competencies", competency_codes, "năng lực")
        qualification, qual_ok = _qualification(row)
        prerequisites = tuple(_split_list(row.get("prerequisites")))
        validity = _positive_int(row, "validity_months", required=False)
        validity_ok = not row.get("validity_months") or validity is not None
        approval = _yes_no(row, "requires_approval")
        cost_text = row.get("cost")
        cost = 0 if not cost_text else _to_int(cost_text)
        if cost is None:
            row.error("cost", f'"{cost_text}" không phải số tiền hợp lệ (số nguyên, đồng)')
        codes.append((row, code))
        ok = (None not in (code, name, provider, category, mode, hours, pass_mark, comps,
                           approval, cost) and qual_ok and validity_ok)
        course = Course(code, name, provider, category, mode, hours, pass_mark, comps,
                        qualification, prerequisites, validity, approval, cost,
                        row.get("description")) if ok else None
        parsed.append((row, code, prerequisites, course))
    _unique(codes, "code")

    # raw codes: a row with another error is still a known course
    known = _codes_in(rows) | set(other_courses)
    for row, code, prerequisites, _ in parsed:
        seen = set()
        for pre in prerequisites:
            if pre not in known:
                row.error("prerequisites",
                          f'khóa học tiên quyết "{pre}" không có trong {row.ref("courses.csv")}')
            elif pre in seen:
                row.error("prerequisites", f'"{pre}" ghi hai lần')
            seen.add(pre)
    _check_cycles(parsed, other_courses)
    return [course for _, _, _, course in parsed]


def _check_cycles(parsed, other_courses) -> None:
    """Report each prerequisite cycle once, on the row of its first course in file order."""
    graph = {code: list(pres) for code, pres in other_courses.items()}
    graph.update({code: list(pres) for _, code, pres, _ in parsed if code})
    row_of = {code: row for row, code, _, _ in parsed if code}
    state: dict[str, int] = {}            # 1 = on the current path, 2 = done
    reported: set[frozenset] = set()

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        path.append(node)
        for nxt in graph.get(node, ()):
            if nxt not in graph:
                continue
            if state.get(nxt) == 1:
                cycle = path[path.index(nxt):] + [nxt]
                key = frozenset(cycle)
                if key not in reported:
                    reported.add(key)
                    first = min((c for c in cycle[:-1] if c in row_of),
                                key=lambda c: row_of[c].line)
                    row_of[first].error("prerequisites", "điều kiện tiên quyết tạo vòng lặp: "
                                        + " → ".join(cycle))
            elif nxt not in state:
                visit(nxt, path)
        path.pop()
        state[node] = 2

    for _, code, _, _ in parsed:
        if code and code not in state:
            visit(code, [])


# --------------------------------------------------------------------------- import files
# Tables an import file (xlsx/csv with Vietnamese headers, trainer's "Nhập dữ liệu") may hold.
IMPORT_TABLES = ("competencies", "providers", "courses", "positions")


def parse_rows(table: str, records, *, competencies: set[str] = frozenset(),
               providers: set[str] = frozenset(), courses: dict[str, tuple] | None = None,
               labels: dict[str, str] | None = None,
               refs: dict[str, str] | None = None) -> tuple[list, list[str]]:
    """Validate rows of one catalog table read from an import file, with the rules of
    `load_catalog`. `records`: (row number, {column of FILES: text}). References may name codes
    of the rows themselves or those given — `competencies`, `providers`, and `courses` (code →
    its prerequisites, so that a cycle through a course outside the file is found). Returns one
    item per row (None where the row has an error) and every error; messages name the row and
    the column by `labels` (its header in the file), references by `refs`."""
    if table not in IMPORT_TABLES:
        raise ValueError(f"unknown catalog table {table!r}")
    errors: list[str] = []
    later = LATER_COLUMNS.get(f"{table}.csv", set())  # absent stays absent: "not given"
    rows = [_Row(None, line, {c: (values.get(c) or "").strip() for c in FILES[f"{table}.csv"]
                              if c in values or c not in later},
                 errors, labels, refs) for line, values in records]
    if table == "competencies":
        items = _load_competencies(rows)
    elif table == "providers":
        items = _load_providers(rows)
    elif table == "courses":
        items = _load_courses(rows, set(competencies), set(providers), courses or {})
    else:
        items = _load_positions(rows, set(competencies))
    return items, errors


def _load_positions(rows, competency_codes):
    out = []
    codes = []
    for row in rows:
        code = _code(row, "code")
        name = row.required("name")
        group = _enum(row, "group", vocab.POSITION_GROUPS)
        requirements = _levels(row, "requirements", competency_codes, "năng lực")
        minima = [
            _enum(row, "min_education", vocab.EDUCATION),
            _enum(row, "min_political_theory", vocab.POLITICAL_THEORY),
            _enum(row, "min_state_management", vocab.STATE_MANAGEMENT),
            _enum(row, "min_it", vocab.IT_LEVEL),
        ]
        fields = _fields(row) if "fields" in row.values else None
        codes.append((row, code))
        ok = None not in (code, name, group, requirements, *minima)
        out.append(Position(code, name, group, requirements, *minima, fields) if ok else None)
    _unique(codes, "code")
    return out


FIELD_MAX_LENGTH = 120  # trainer's position_fields.field


def _fields(row: _Row) -> tuple[str, ...] | None:
    """The accepted fields of study, "Luật; Hành chính học", each once (as field_fits compares
    them), in the order written."""
    out: dict[str, str] = {}
    for item in _split_list(row.get("fields")):
        if len(item) > FIELD_MAX_LENGTH:
            row.error("fields", f'chuyên ngành "{item[:40]}…" dài quá {FIELD_MAX_LENGTH} ký tự')
            return None
        out.setdefault(normalise_field(item), unicodedata.normalize("NFC", item))
    return tuple(out.values())


def _load_region_priorities(rows, competency_codes):
    out = []
    first: dict[tuple[str, str], int] = {}
    for row in rows:
        region = _enum(row, "region", vocab.REGIONS)
        competency = row.required("competency")
        if (competency is not None and competency_codes is not None
                and competency not in competency_codes):
            row.error("competency", f'năng lực "{competency}" không có trong competencies.csv')
            competency = None
        bump_text = row.required("level_bump")
        bump = None
        if bump_text is not None:
            bump = int(bump_text) if bump_text.isdigit() and bump_text.isascii() else None
            if bump is None or bump > LEVEL_BUMP_MAX:
                row.error("level_bump", f'"{bump_text}" không hợp lệ; ghi số nguyên từ 0 đến '
                          f"{LEVEL_BUMP_MAX}")
                bump = None
        weight = _float(row, "weight", 0.0, 1.0, low_open=True)
        floor_text = row.get("min_level") or "0"
        floor = int(floor_text) if floor_text.isdigit() and floor_text.isascii() else None
        if floor is None or floor > vocab.MAX_LEVEL:
            row.error("min_level", f'"{floor_text}" không hợp lệ; ghi mức từ 0 đến '
                      f"{vocab.MAX_LEVEL} (0 hoặc để trống: vùng không thêm yêu cầu)")
            floor = None
        if region and competency:
            key = (region, competency)
            if key in first:
                row.error("competency", f'cặp vùng "{region}" – năng lực "{competency}" trùng với '
                          f"dòng {first[key]}")
            else:
                first[key] = row.line
        ok = None not in (region, competency, bump, weight, floor)
        out.append(RegionPriority(region, competency, bump, weight, floor) if ok else None)
    return out


def _load_modules(rows, course_codes):
    out = []
    first: dict[tuple[str, str], int] = {}
    for row in rows:
        course = row.required("course")
        if course is not None and course_codes is not None and course not in course_codes:
            row.error("course", f'khóa học "{course}" không có trong courses.csv')
            course = None
        code = _code(row, "code")
        name = row.required("name")
        term_text = row.required("term")
        term = None
        if term_text is not None:
            term = int(term_text) if term_text.isdigit() and term_text.isascii() else None
            if term is None or not TERM_MIN <= term <= TERM_MAX:
                row.error("term", f'học kỳ "{term_text}" không hợp lệ; ghi số nguyên từ '
                          f"{TERM_MIN} đến {TERM_MAX}")
                term = None
        hours = _positive_int(row, "hours")
        raw_course = row.get("course")
        if raw_course and code:        # duplicates are a problem even when the course is unknown
            key = (raw_course, code)
            if key in first:
                row.error("code", f'mã học phần "{code}" của khóa "{raw_course}" trùng với '
                          f"dòng {first[key]}")
                code = None
            else:
                first[key] = row.line
        ok = None not in (course, code, name, term, hours)
        out.append(Module(course, code, name, term, hours) if ok else None)
    return out


def _codes_in(rows: list[_Row] | None) -> set[str] | None:
    return None if rows is None else {r.get("code") for r in rows if r.get("code")}


# --------------------------------------------------------------------------- entry point
def load_catalog(directory: str | Path | None = None) -> Catalog:
    """Read and validate the catalog files; raise CatalogError listing every problem.
    modules.csv may be missing (no degree modules); every other file is required."""
    directory = Path(directory) if directory is not None else DATA_DIR
    errors: list[str] = []
    tables = {file: _read_table(directory, file, errors) for file in FILES}

    competencies = _load_competencies(tables["competencies.csv"] or [])
    providers = _load_providers(tables["providers.csv"] or [])
    # Reference checks use every code that was written, even on a row with another error, so a
    # single typo does not cascade into dozens of "unknown code" messages.
    # A file that could not be read at all is already reported: skip checks against it (None).
    competency_codes = _codes_in(tables["competencies.csv"])
    provider_codes = _codes_in(tables["providers.csv"])
    courses = _load_courses(tables["courses.csv"] or [], competency_codes, provider_codes)
    positions = _load_positions(tables["positions.csv"] or [], competency_codes)
    priorities = _load_region_priorities(tables["region_priorities.csv"] or [], competency_codes)
    modules = _load_modules(tables["modules.csv"] or [], _codes_in(tables["courses.csv"]))

    if errors:
        raise CatalogError(errors)
    return Catalog(competencies=competencies, providers=providers, courses=courses,
                   positions=positions, region_priorities=priorities, modules=modules)
