"""Data in and out (issue 5): imports with a preview, the identity review queue for external
completion files, the national officials database export and its data-quality checks.

An import is worked out first without writing (`preview_import` → an `ImportPlan` with counts and
every error by row and column); the uploaded bytes are kept in an `ImportBatch`; confirming re-runs
the whole validation on those bytes and applies every row in the caller's one transaction, or
none. Operations flush, never commit (STYLE.md §3)."""
from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from datetime import date, datetime, timezone

import pandas as pd
import sqlalchemy as sa
from dateutil.relativedelta import relativedelta

from courses import vocab
from trainer.audit import operations as audit
from trainer.auth import operations as auth_ops
from trainer.catalog import operations as catalog_ops
from trainer.catalog.models import Competency, Course, Provider
from trainer.core import settings
from trainer.core.display import fold
from trainer.core.errors import DomainError, ImportRejected, NotAllowed
from trainer.core.extensions import db
from trainer.core.frames import select_frame
from trainer.core.tabular import (Column, ImportPlan, Row, Table, cell_error, parse_choice,
                                  parse_date, parse_score, read_table)
from trainer.core.timeutil import today, utcnow
from trainer.interchange.models import ImportBatch, ReviewItem
from trainer.learning.access import officials_filter
from trainer.learning.models import (ACTIVE_STATUSES, ENROLLMENT_STATUSES, SEAT_STATUSES, Cohort,
                                     Enrollment)
from trainer.learning.operations import record_result
from trainer.learning.queries import officials_frame
from trainer.mentoring import operations as mentoring_ops
from trainer.org import operations as org_ops
from trainer.org.models import Unit
from trainer.org.queries import is_province_hr, visible_unit_ids
from trainer.people import operations as people_ops
from trainer.people.identity import pid_problem
from trainer.people.models import Official, Rating
from trainer.people.periods import Period, parse_period, period_label, period_problem
from trainer.people.ratings import NOTE_MAX as RATING_NOTE_MAX
from trainer.staffing import operations as staffing_ops

PID = "Số định danh cá nhân"

PASSED_WORDS = {"hoàn thành", "đạt", "completed", "passed", "x", "có"}
FAILED_WORDS = {"không đạt", "chưa đạt", "không hoàn thành", "failed"}

KIND_LABELS = {
    "officials": "Danh sách cán bộ, công chức",
    "assessments": "Kết quả đánh giá năng lực",
    "ratings": "Xếp loại chất lượng (năm, quý, tháng)",
    "results": "Ghi danh và kết quả học tập",
    "completions": "Tệp hoàn thành khóa học từ nền tảng trực tuyến (Bình dân học vụ số…)",
    "competencies": "Danh mục năng lực (khung năng lực)",
    "positions": "Vị trí việc làm và khung năng lực của vị trí",
    "providers": "Cơ sở đào tạo, bồi dưỡng",
    "courses": "Danh mục khóa học",
    "units": "Đơn vị hành chính (tỉnh, xã, phường, đặc khu, phòng ban)",
    "accounts": "Tài khoản người dùng",
    "quotas": "Biên chế được giao theo vị trí việc làm",
    "mentorships": "Phân công kèm cặp tại chỗ",
}
# The catalog is the province's: only admins and province HR import it.
CATALOG_KINDS = ("competencies", "positions", "providers", "courses")
# So is the unit tree (docs/units.md).
PROVINCE_KINDS = CATALOG_KINDS + ("units",)
# A school's files for one of its classes (class page → Nhập từ Excel), kept with the class.
# A class's files (a school's attendance or results for one cohort): the cohorts area, above
# this one, registers each kind with its label and its planner, plan(cohort, df, filename, *,
# assessor) -> ImportPlan (docs/architecture.md: areas below hear of areas above only this way).
CLASS_KINDS: dict[str, str] = {}
_CLASS_PLANNERS: dict = {}
# How an identity-review item of a source is applied once HR says who it is about: the xAPI
# area registers its own rules, apply(item, official, *, decided_by).
REVIEW_MATCHERS: dict = {}


def register_class_kind(kind: str, label: str, planner) -> None:
    CLASS_KINDS[kind] = label
    _CLASS_PLANNERS[kind] = planner
NOUNS = {"officials": "cán bộ", "assessments": "kết quả đánh giá", "ratings": "xếp loại",
         "results": "kết quả học tập", "completions": "kết quả hoàn thành",
         "competencies": "năng lực", "positions": "vị trí việc làm",
         "providers": "cơ sở đào tạo", "courses": "khóa học", "units": "đơn vị",
         "accounts": "tài khoản", "quotas": "biên chế vị trí", "mentorships": "đợt kèm cặp",
         "attendance": "lượt điểm danh", "class_results": "kết quả học tập"}


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind) or CLASS_KINDS[kind]


# --- Scope ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ImportScope:
    """What the importer may touch: unit ids and official ids (None: everything, for admin).
    `label` names the importer in the records written (assessor)."""

    unit_ids: frozenset[int] | None = None
    official_ids: frozenset[int] | None = None
    label: str = ""
    catalog: bool = True  # may import the catalog and the unit tree (PROVINCE_KINDS)


def scope_for(user) -> ImportScope:
    units = visible_unit_ids(user)
    catalog = is_province_hr(user)
    if units is None:
        return ImportScope(label=user.display_name, catalog=catalog)
    ids = db.session.scalars(sa.select(Official.id).where(officials_filter(user)))
    return ImportScope(frozenset(units), frozenset(ids), user.display_name, catalog)


def kinds_for(user) -> dict[str, str]:
    """The kinds of data this user may import, with their labels."""
    allowed = scope_for(user).catalog
    return {k: v for k, v in KIND_LABELS.items() if allowed or k not in PROVINCE_KINDS}


def _pid_scope_errors(df: pd.DataFrame, scope: ImportScope) -> list[str]:
    """A known official outside the importer's scope may be neither changed nor moved in."""
    if scope.official_ids is None or PID not in df.columns:
        return []
    known = dict(db.session.execute(sa.select(Official.pid, Official.id)).all())
    return [cell_error(i, PID, f"cán bộ {p} ngoài phạm vi quản lý của bạn")
            for i, p in enumerate(df[PID], start=2)
            if p in known and known[p] not in scope.official_ids]


# --- Shared parsing -----------------------------------------------------------------------------

def _parse_outcome(text: str) -> bool:
    folded = text.casefold().strip()
    if folded in PASSED_WORDS:
        return True
    if folded in FAILED_WORDS:
        return False
    raise ValueError(f"“{text}” phải là “Hoàn thành” hoặc “Không đạt”")


def _parse_completed_on(text: str) -> date:
    on = parse_date(text)
    if on > today():
        raise ValueError("ngày ở tương lai")
    return on


def _num(value: float) -> str:
    return f"{value:g}".replace(".", ",")


# --- Ratings ------------------------------------------------------------------------------------

def _parse_rating_note(text: str) -> str:
    if len(text) > RATING_NOTE_MAX:
        raise ValueError(f"tối đa {RATING_NOTE_MAX} ký tự (đang có {len(text)})")
    return text


def _parse_year(text: str) -> int:
    if re.fullmatch(r"\d{4}(\.0)?", text) and 2000 <= int(float(text)) <= today().year:
        return int(float(text))
    raise ValueError(f"“{text}” phải là năm từ 2000 đến {today().year}")


RATINGS = Table((
    Column(PID, "pid", required=True, example="012190000123"),
    Column("Năm", "year", _parse_year, example="2025"),
    # KH-7: the period as people type it ("Quý 3", "Q3/2026", "Tháng 11"…); blank: the year,
    # so that files made before periods still import (docs/ratings.md).
    Column("Kỳ xếp loại", "period", example="Quý 4"),
    Column("Xếp loại", "rating", lambda v: parse_choice(v, vocab.RATINGS, "mức xếp loại"),
           required=True, example="Hoàn thành tốt nhiệm vụ"),
    Column("Kết quả công việc", "note", _parse_rating_note, example=""),
))


def _rating_period(row: Row) -> Period | None:
    """The row's period from its "Năm" and "Kỳ xếp loại" cells (periods.parse_period), checked
    as the form checks it (periods.period_problem); None after an error on the row."""
    if str(row.cells.get("Năm") or "").strip() and row.values["year"] is None:
        return None  # the year's own error is already on the row
    try:
        period = parse_period(row.values["period"] or "", row.values["year"])
    except ValueError as e:
        row.error("year" if row.values["year"] is None and not row.values["period"] else "period",
                  str(e))
        return None
    problem = period_problem(period.kind, period.no, period.year, today())
    if problem:
        row.error("period" if row.values["period"] else "year", problem)
        return None
    return period


def plan_ratings(df: pd.DataFrame, filename: str = "tệp") -> ImportPlan:
    """Ratings by period (Decree 335/2025; KH-7) keyed by (official, period): the same rating
    again is unchanged, another rating (or another work-results note) replaces it; a blank note
    keeps the one recorded."""
    officials = dict(db.session.execute(sa.select(Official.pid, Official.id)).all())
    existing = {(r.official_id, r.year, r.period, r.period_no): r
                for r in db.session.scalars(sa.select(Rating))}
    plan, seen, new, changes = ImportPlan(), {}, [], []
    for row in RATINGS.read(df, filename):
        plan.rows += 1
        pid, rating, note = (row.values[k] for k in ("pid", "rating", "note"))
        if pid and pid not in officials:
            row.error("pid", f"không có cán bộ số {pid}")
        period = _rating_period(row)
        if row.ok and period is not None:
            key = (pid, period)
            if key in seen:
                row.error("period" if row.values["period"] else "year",
                          f"cán bộ {pid} đã có xếp loại {period.label} ở dòng {seen[key]}")
            seen.setdefault(key, row.number)
        plan.errors.extend(row.errors)
        if not row.ok or period is None:
            continue
        found = existing.get((officials[pid], period.year, period.kind, period.no))
        if found is None:
            new.append(Rating(official_id=officials[pid], year=period.year, period=period.kind,
                              period_no=period.no, rating=rating, note=note or ""))
            plan.created += 1
        elif found.rating != rating or (note and note != found.note):
            changes.append((found, rating, note or found.note))
            plan.updated += 1
        else:
            plan.unchanged += 1

    def apply() -> None:
        db.session.add_all(new)
        for found, rating, note in changes:
            found.rating, found.note = rating, note
    plan.actions.append(apply)
    return plan


# --- Results and completions --------------------------------------------------------------------

RESULTS = Table((
    Column(PID, "pid", required=True, example="012190000123"),
    Column("Mã khóa học", "course", required=True, example="BDHVS-01"),
    Column("Mã lớp", "cohort"),
    Column("Kết quả", "outcome", _parse_outcome, in_file=True, example="Hoàn thành"),  # blank: passed
    Column("Điểm", "score", parse_score, example="8,5"),
    Column("Ngày hoàn thành", "completed_on", _parse_completed_on),
))
RESULT_COLUMNS = {c.header: c.key for c in RESULTS.columns}


def _check_pid(text: str) -> str:
    problem = pid_problem(text)
    if problem:
        raise ValueError(problem)
    return text


def _check_email(text: str) -> str:
    if "@" not in text:
        raise ValueError(f"“{text}” không phải email")
    return text


# A completion file of a platform that cannot send xAPI (Bình dân học vụ số style): any of the
# three identity columns, the course, the date; "Kết quả" empty means completed.
COMPLETIONS = Table((
    Column(PID, "pid", _check_pid, example="012190000123"),
    Column("Mã cán bộ", "code"),
    Column("Email", "email", _check_email),
    Column("Mã khóa học", "course", required=True, example="BDHVS-01"),
    Column("Ngày hoàn thành", "completed_on", _parse_completed_on, required=True),
    Column("Kết quả", "outcome", _parse_outcome, example="Hoàn thành"),
    Column("Điểm", "score", parse_score),
))
COMPLETION_COLUMNS = {c.header: c.key for c in COMPLETIONS.columns}
COMPLETION_IDENTITY = (PID, "Mã cán bộ", "Email")


def _enrollments_by_pair(official_ids, course_ids) -> dict[tuple[int, int], list[Enrollment]]:
    out: dict[tuple[int, int], list[Enrollment]] = {}
    if not official_ids or not course_ids:
        return out
    for e in db.session.scalars(sa.select(Enrollment).where(
            Enrollment.official_id.in_(list(official_ids)),
            Enrollment.course_id.in_(list(course_ids))).order_by(Enrollment.id)):
        out.setdefault((e.official_id, e.course_id), []).append(e)
    return out


def _decide(existing: list[Enrollment], *, passed: bool, score: float | None, on: date | None,
            cohort: Cohort | None) -> tuple[str, Enrollment | None]:
    """What recording this result does, given the official's enrollments in the course:
    ("unchanged", e) the same result is there already; ("updated", e) it completes an enrollment
    under way; ("created", None) a new self-paced enrollment with source "import" takes it. Raises
    ValueError (Vietnamese) when it cannot be recorded."""
    if cohort is not None:
        existing = [e for e in existing if e.cohort_id == cohort.id]
    for e in existing:
        same_score = score is None or e.score == score
        if passed and e.status == "completed" and e.completed_on == on:
            if same_score:
                return "unchanged", e
            raise ValueError(f"đã có kết quả hoàn thành ngày {on:%d/%m/%Y} với điểm "
                             f"{_num(e.score) if e.score is not None else 'trống'}")
        if not passed and e.status == "failed" and same_score:
            return "unchanged", e
    for e in existing:
        if e.status in SEAT_STATUSES:
            return "updated", e
    if cohort is not None:
        if existing:
            status = vocab.label(ENROLLMENT_STATUSES, existing[-1].status)
            raise ValueError(f"học viên đang ở trạng thái “{status}” trong lớp {cohort.code}, "
                             "không ghi được kết quả")
        raise ValueError(f"cán bộ không có trong lớp {cohort.code}")
    for e in existing:
        if e.status in ACTIVE_STATUSES:
            if e.cohort_id is None:
                return "updated", e  # a self-paced request: the course was done meanwhile
            status = vocab.label(ENROLLMENT_STATUSES, e.status)
            raise ValueError(f"cán bộ đang “{status}” một lớp của khóa này: xử lý đăng ký đó "
                             "trước")
    return "created", None


def _record(official_id: int, course: Course, outcome: str, enrollment: Enrollment | None, *,
            passed: bool, score: float | None, on: date | None, assessor: str) -> Enrollment:
    """Record the result exactly like a school's (learning.record_result: evidence, gap closed,
    notice), creating the self-paced enrollment with source "import" first when needed."""
    if outcome == "unchanged":
        return enrollment
    if enrollment is None:
        enrollment = Enrollment(official_id=official_id, course_id=course.id, cohort_id=None,
                                status="enrolled", source="import")
        db.session.add(enrollment)
        db.session.flush()
    elif enrollment.status not in SEAT_STATUSES:
        enrollment.status = "enrolled"
    record_result(enrollment, passed=passed, score=score, on=on, assessor=assessor)
    return enrollment


def _check_pass_mark(row: Row, course: Course | None, passed: bool | None,
                     score: float | None) -> None:
    if course is not None and passed and score is not None and score < course.pass_mark:
        row.error("score", f"{_num(score)} thấp hơn điểm đạt {_num(course.pass_mark)} của khóa, "
                           "không thể “Hoàn thành”")


def _result_cells(row: Row) -> tuple[bool, float | None, date | None]:
    """(passed, score, on) of a row: "Kết quả" blank means "Hoàn thành", which needs a date
    (a completions file requires one in every row: its table says so)."""
    passed = row.values["outcome"] is not False
    dateless = not row.cells.get("Ngày hoàn thành")
    if passed and dateless and not row.table.column("completed_on").required:
        row.error("completed_on", "không được để trống khi “Hoàn thành”")
    return passed, row.values["score"], row.values["completed_on"]


def plan_results(df: pd.DataFrame, filename: str = "tệp", *, assessor: str = "") -> ImportPlan:
    """Enrollments and results of known officials (by identity number): a result for an
    enrollment under way completes it; an official without one in the course gets a self-paced
    enrollment with source "import"; the same result again is unchanged."""
    rows = RESULTS.read(df, filename)  # the headers are checked here, before any query
    officials = dict(db.session.execute(sa.select(Official.pid, Official.id)).all())
    courses = {c.code: c for c in db.session.scalars(sa.select(Course))}
    cohorts = {c.code: c for c in db.session.scalars(sa.select(Cohort))}
    parsed, seen = [], {}
    plan = ImportPlan()
    for row in rows:
        plan.rows += 1
        pid, course_code, cohort_code = (row.values[k] for k in ("pid", "course", "cohort"))
        if pid and pid not in officials:
            row.error("pid", f"không có cán bộ số {pid}")
        course = courses.get(course_code)
        if course_code and course is None:
            row.error("course", f"không có khóa học mã “{course_code}”")
        cohort = None
        if cohort_code:
            cohort = cohorts.get(cohort_code)
            if cohort is None:
                row.error("cohort", f"không có lớp mã “{cohort_code}”")
            elif course is not None and cohort.course_id != course.id:
                row.error("cohort", f"lớp {cohort_code} không thuộc khóa “{course_code}”")
        passed, score, on = _result_cells(row)
        _check_pass_mark(row, course, passed, score)
        if row.ok:
            key = (pid, course_code)
            if key in seen:
                row.error("course", f"cán bộ {pid} đã có kết quả khóa “{course_code}” ở dòng "
                                    f"{seen[key]}")
            seen.setdefault(key, row.number)
        plan.errors.extend(row.errors)
        if row.ok:
            parsed.append((row.number, officials[pid], course, cohort, passed, score, on))
    _plan_results(plan, parsed, assessor=assessor)
    return plan


def _plan_results(plan: ImportPlan, rows, *, assessor: str, also=lambda: None) -> None:
    """Decide, for each (row, official, course, cohort, passed, score, date), whether the result
    creates, updates or leaves an enrollment unchanged; count it in the plan and register the
    writes (then `also`) as the plan's action. Shared by results and completion files."""
    by_pair = _enrollments_by_pair({r[1] for r in rows}, {r[2].id for r in rows})
    todo = []
    for i, official_id, course, cohort, passed, score, on in rows:
        try:
            outcome, enrollment = _decide(by_pair.get((official_id, course.id), []),
                                          passed=passed, score=score, on=on, cohort=cohort)
        except ValueError as e:
            plan.errors.append(cell_error(i, "Mã lớp" if cohort else "Mã khóa học", str(e)))
            continue
        setattr(plan, outcome, getattr(plan, outcome) + 1)
        todo.append((official_id, course, outcome, enrollment, passed, score, on))

    def apply() -> None:
        for official_id, course, outcome, enrollment, passed, score, on in todo:
            _record(official_id, course, outcome, enrollment, passed=passed, score=score, on=on,
                    assessor=assessor)
        also()
    plan.actions.append(apply)


def _identity_index():
    rows = db.session.execute(sa.select(Official.id, Official.pid, Official.code,
                                        Official.email)).all()
    by_pid = {pid: oid for oid, pid, _, _ in rows}
    by_code = {code: oid for oid, _, code, _ in rows}
    by_email: dict[str, set[int]] = {}
    for oid, _, _, email in rows:
        if email:
            by_email.setdefault(email.strip().casefold(), set()).add(oid)
    return by_pid, by_code, by_email


def match_identity(identifiers: dict[str, str], index=None) -> tuple[set[int], str | None]:
    """Officials matching an external record's identifiers (pid / code / email). A match is
    accepted only when every identifier given points to the same one official; otherwise the
    candidates and the reason go to the review queue — never guessed."""
    by_pid, by_code, by_email = index or _identity_index()
    found = []
    for key, lookup in (("pid", lambda v: {by_pid[v]} if v in by_pid else set()),
                        ("code", lambda v: {by_code[v]} if v in by_code else set()),
                        ("email", lambda v: by_email.get(v.casefold(), set()))):
        if identifiers.get(key):
            found.append((key, lookup(identifiers[key])))
    union = set().union(*(s for _, s in found)) if found else set()
    if not union:
        return union, "Không khớp cán bộ nào"
    if len(union) > 1:
        return union, f"Khớp {len(union)} cán bộ"
    missing = [key for key, s in found if not s]
    if missing:
        names = {"pid": "số định danh", "code": "mã cán bộ", "email": "email"}
        return union, ("Thông tin định danh không thống nhất: " +
                       ", ".join(names[k] for k in missing) + " không khớp cán bộ tìm thấy")
    return union, None


def plan_completions(df: pd.DataFrame, filename: str = "tệp", *, assessor: str = "",
                     scope: ImportScope | None = None) -> ImportPlan:
    """A completion file from a platform that cannot send xAPI. Each row is matched to an official
    by identity number, official code or e-mail; a unique, consistent match is recorded like a
    school's result, anything else goes to the review queue (`queued`). Re-importing the same
    file records and queues nothing new."""
    missing = [h for h in COMPLETIONS.required_headers if h not in df.columns]
    if not any(h in df.columns for h in COMPLETION_IDENTITY):
        missing.insert(0, " hoặc ".join(f"“{h}”" for h in COMPLETION_IDENTITY))
    if missing:
        raise ImportRejected([f"{filename}: thiếu cột " + ", ".join(
            m if m.startswith("“") else f"“{m}”" for m in missing)])
    courses = {c.code: c for c in db.session.scalars(sa.select(Course))}
    index = _identity_index()
    queued_keys = {(item.payload or {}).get("key") for item in db.session.scalars(
        sa.select(ReviewItem).where(ReviewItem.source == "completion_file"))}
    plan, seen, matched, queue = ImportPlan(), {}, [], []
    for row in COMPLETIONS.read(df, filename):
        plan.rows += 1
        # The identity number and the e-mail are checked by the table; the identifiers are the
        # cells as given.
        identifiers = {COMPLETION_COLUMNS[h]: row.cells[h] for h in COMPLETION_IDENTITY
                       if row.cells.get(h)}
        if not identifiers:
            row.error("pid", "cần số định danh, mã cán bộ hoặc email")
        course_code = row.values["course"]
        course = courses.get(course_code)
        if course_code and course is None:
            row.error("course", f"không có khóa học mã “{course_code}”")
        passed, score, on = _result_cells(row)
        _check_pass_mark(row, course, passed, score)
        if row.ok:
            key = json.dumps([identifiers, course_code], sort_keys=True, ensure_ascii=False)
            if key in seen:
                row.error("course", f"trùng người và khóa học với dòng {seen[key]}")
            seen.setdefault(key, row.number)
        if not row.ok:
            plan.errors.extend(row.errors)
            continue
        candidates, reason = match_identity(identifiers, index)
        if reason is None:
            (official_id,) = candidates
            if scope and scope.official_ids is not None and official_id not in scope.official_ids:
                row.error("pid", "cán bộ ngoài phạm vi quản lý của bạn")
                plan.errors.extend(row.errors)
                continue
            matched.append((row.number, official_id, course, passed, score, on))
            continue
        payload = {"course_code": course.code, "course_id": course.id,
                   "completed_on": on.isoformat() if on else None, "passed": passed,
                   "score": score, "filename": filename, "row": row.number}
        payload["key"] = json.dumps([identifiers, payload["course_code"], payload["completed_on"],
                                     passed, score], sort_keys=True, ensure_ascii=False)
        if payload["key"] in queued_keys:
            plan.unchanged += 1  # already waiting (or decided) in the review queue
            continue
        queued_keys.add(payload["key"])
        plan.queued += 1
        queue.append(ReviewItem(source="completion_file", payload=payload,
                                identifiers=identifiers, candidates=sorted(candidates),
                                reason=reason, status="open"))
    _plan_results(plan, [(i, o, c, None, p, sc, on) for i, o, c, p, sc, on in matched],
                  assessor=assessor, also=lambda: db.session.add_all(queue))
    return plan


def apply_completion(official: Official, course: Course, *, passed: bool = True,
                     score: float | None = None, on: date | None = None,
                     assessor: str = "") -> str:
    """Record an external completion for a known official, like a school's result. Returns
    "created", "updated" or "unchanged"; DomainError when it cannot be recorded."""
    if passed and score is not None and score < course.pass_mark:
        raise DomainError(f"Điểm {_num(score)} thấp hơn điểm đạt {_num(course.pass_mark)}.")
    existing = _enrollments_by_pair({official.id}, {course.id}).get((official.id, course.id), [])
    try:
        outcome, enrollment = _decide(existing, passed=passed, score=score, on=on, cohort=None)
    except ValueError as e:
        raise DomainError(f"{official.full_name}: {e}.") from None
    _record(official.id, course, outcome, enrollment, passed=passed, score=score, on=on,
            assessor=assessor)
    db.session.flush()
    return outcome


# --- Preview and confirmation -------------------------------------------------------------------

def plan_import(kind: str, df: pd.DataFrame, filename: str, scope: ImportScope,
                cohort: Cohort | None = None) -> ImportPlan:
    """Every kind's validation, with the importer's scope; writes nothing. The class kinds need
    the class (`cohort`), which the caller has checked the importer runs."""
    if kind not in KIND_LABELS and not (kind in CLASS_KINDS and cohort is not None):
        raise DomainError(f"Loại dữ liệu “{kind}” không được hỗ trợ.")
    if kind in CLASS_KINDS:
        plan = _CLASS_PLANNERS[kind](cohort, df, filename, assessor=scope.label)
        plan.errors.sort(key=_row_of)
        return plan
    if kind in PROVINCE_KINDS:
        if not scope.catalog:
            raise NotAllowed("Chỉ quản trị viên và phòng tổ chức cấp tỉnh được nhập danh mục và "
                             "cây đơn vị.")
        plan = (org_ops.plan_units(df, filename) if kind == "units" else
                catalog_ops.plan_catalog(kind, df, filename))
        plan.errors.sort(key=_row_of)
        return plan
    if kind == "quotas":  # the staffing area's rows and rules (LC (1), DL-l)
        plan = staffing_ops.plan_quotas(df, filename, unit_scope=scope.unit_ids)
        plan.errors.sort(key=_row_of)
        return plan
    if kind == "mentorships":  # the mentoring area's rows and rules (KH-5)
        plan = mentoring_ops.plan_mentorships(df, filename, unit_scope=scope.unit_ids,
                                              actor=scope.label)
        plan.errors.sort(key=_row_of)
        return plan
    if kind == "accounts":
        plan = auth_ops.plan_accounts(df, filename, unit_ids=scope.unit_ids, actor=scope.label)
        plan.errors.sort(key=_row_of)
        return plan
    scope_errors = [] if kind == "completions" else _pid_scope_errors(df, scope)
    if kind == "officials":
        plan = people_ops.plan_officials(df, filename, unit_scope=scope.unit_ids)
    elif kind == "assessments":
        plan = people_ops.plan_assessments(df, filename, assessor=scope.label)
    elif kind == "ratings":
        plan = plan_ratings(df, filename)
    elif kind == "results":
        plan = plan_results(df, filename, assessor=scope.label)
    else:
        plan = plan_completions(df, filename, assessor=scope.label, scope=scope)
    seen = set(plan.errors)
    plan.errors[:0] = [e for e in scope_errors if e not in seen]
    plan.errors.sort(key=_row_of)
    return plan


def _row_of(error: str) -> int:
    m = re.match(r"dòng (\d+)", error)
    return int(m.group(1)) if m else 0


def preview_import(kind: str, content: bytes, filename: str, scope: ImportScope,
                   cohort: Cohort | None = None) -> ImportPlan:
    return plan_import(kind, read_table(io.BytesIO(content), filename), filename, scope, cohort)


def stage_import(kind: str, content: bytes, filename: str, *, user,
                 cohort: Cohort | None = None) -> tuple[ImportPlan, ImportBatch | None]:
    """Validate an upload and keep its bytes for confirmation. A file with errors is not kept
    (nothing could be confirmed): the plan lists the errors."""
    plan = preview_import(kind, content, filename, scope_for(user), cohort)
    if plan.errors:
        return plan, None
    batch = ImportBatch(kind=kind, filename=filename[:200], content=content, created_by=user.id,
                        cohort_id=cohort.id if cohort else None,
                        status="previewed", summary={**plan.counts(), "errors": []})
    db.session.add(batch)
    db.session.flush()
    return plan, batch


def confirm_import(batch: ImportBatch, *, user) -> ImportPlan:
    """Re-run the validation on the stored bytes (the data may have changed since the preview)
    and apply every row, or none (ImportRejected). Returns the plan applied: its counts, and the
    one-time passwords of accounts it created (`issued`), to be shown once."""
    if batch.created_by != user.id:
        raise NotAllowed("Chỉ người tải tệp lên mới xác nhận được lần nhập này.")
    if batch.status != "previewed":
        raise DomainError(f"Tệp “{batch.filename}” đã được nhập.")
    cohort = db.session.get(Cohort, batch.cohort_id) if batch.cohort_id else None
    plan = preview_import(batch.kind, batch.content, batch.filename, scope_for(user), cohort)
    with audit.as_one("import", subject_type="batch", subject_id=batch.id,
                      detail=f"{kind_label(batch.kind)} — {batch.filename}: "
                             + summary_text(batch.kind, plan.counts())):
        counts = plan.run()
    batch.status, batch.summary = "applied", {**counts, "errors": []}
    db.session.flush()
    return plan


def import_file(kind: str, path, *, dry_run: bool = False, actor: str = "") -> ImportPlan:
    """The CLI: the same validation and writes as the web, with an admin's scope."""
    df = read_table(path, path.name)
    plan = plan_import(kind, df, path.name, ImportScope(label=actor))
    with audit.as_one("" if dry_run else "import",
                      detail=f"{kind_label(kind)} — {path.name}: "
                             + summary_text(kind, plan.counts())):
        plan.run(dry_run)
    return plan


def summary_text(kind: str, counts: dict[str, int], *, done: bool = True) -> str:
    noun = NOUNS.get(kind, "dòng")
    verb = ("Đã thêm", "cập nhật", "giữ nguyên") if done else ("Sẽ thêm", "cập nhật", "giữ nguyên")
    text = (f"{verb[0]} {counts['created']}, {verb[1]} {counts['updated']}, {verb[2]} "
            f"{counts['unchanged']} {noun}")
    if counts.get("queued"):
        text += f"; {counts['queued']} dòng {'đã' if done else 'sẽ'} chuyển vào hàng chờ đối chiếu"
    return text + "."


# --- Review queue -------------------------------------------------------------------------------

is_province_reviewer = is_province_hr  # unmatched items: only the province sees them


def review_items_for(user, status: str = "open") -> list[ReviewItem]:
    """Items the user may decide: all for province HR/admin; for other HR, the items with a
    candidate in their scope."""
    q = sa.select(ReviewItem).order_by(ReviewItem.created_at, ReviewItem.id)
    if status:
        q = q.where(ReviewItem.status == status)
    items = db.session.scalars(q).all()
    if is_province_reviewer(user):
        return items
    if user.role != "hr":
        return []
    visible = set(db.session.scalars(sa.select(Official.id).where(officials_filter(user))))
    return [item for item in items if set(item.candidates or []) & visible]


def review_item_visible(user, item: ReviewItem) -> bool:
    if is_province_reviewer(user):
        return True
    if user.role != "hr" or not item.candidates:
        return False
    return db.session.scalar(sa.select(sa.func.count(Official.id)).where(
        Official.id.in_(list(item.candidates)), officials_filter(user))) > 0


def search_officials(user, text: str, limit: int = 20) -> list[Official]:
    """Officials in the user's scope whose name, identity number, code or e-mail contains the
    text, folded as every search box folds it (no diacritics, no case: `fold`)."""
    needle = fold(text).strip()
    if len(needle) < 2:
        return []
    rows = db.session.execute(sa.select(
        Official.id, Official.full_name, Official.pid, Official.code, Official.email)
        .where(officials_filter(user))).all()
    ids = [r.id for r in rows if any(needle in fold(v or "") for v in r[1:])]
    if not ids:
        return []
    return db.session.scalars(sa.select(Official).where(Official.id.in_(ids[:5000]))
                              .order_by(Official.full_name).limit(limit)).all()


def match_review_item(item: ReviewItem, official: Official, *, actor: str) -> str:
    """HR says who the record is about: the completion is applied (xAPI statements through the
    xAPI module) and the item closes. The caller checks the official is in the actor's scope."""
    if item.status != "open":
        raise DomainError("Mục này đã được xử lý.")
    if item.source in REVIEW_MATCHERS:
        REVIEW_MATCHERS[item.source](item, official, decided_by=actor)
        outcome = "applied"
    elif item.source == "completion_file":
        p = item.payload or {}
        course = db.session.get(Course, p.get("course_id")) if p.get("course_id") else None
        if course is None:
            course = db.session.scalar(sa.select(Course).where(Course.code == p.get("course_code")))
        if course is None:
            raise DomainError(f"Khóa học “{p.get('course_code')}” không còn trong danh mục.")
        on = date.fromisoformat(p["completed_on"]) if p.get("completed_on") else None
        outcome = apply_completion(official, course, passed=p.get("passed", True),
                                   score=p.get("score"), on=on, assessor=actor)
    else:
        raise DomainError(f"Nguồn “{item.source}” chưa hỗ trợ ghép.")
    item.status, item.official_id = "matched", official.id
    item.decided_by, item.decided_at = actor, utcnow()
    db.session.flush()
    return outcome


def reject_review_item(item: ReviewItem, *, reason: str, actor: str) -> None:
    """Not one of ours (or not a real completion): kept, marked rejected, with the reason."""
    if item.status != "open":
        raise DomainError("Mục này đã được xử lý.")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Cần ghi lý do loại.")
    item.status, item.decided_by, item.decided_at = "rejected", actor, utcnow()
    item.reason = f"{item.reason} — Loại: {reason}"[:300]
    db.session.flush()


# --- National officials database export (TQ VI, DL-e, HT-3) ------------------------------------

EXPORT_FORMAT, EXPORT_VERSION = "trainer.csdl-quoc-gia", 1
QUALITY_CHECKS = (
    ("missing", "Thiếu trường bắt buộc"),
    ("invalid_pid", "Số định danh không hợp lệ"),
    ("duplicate", "Nghi trùng người: cùng họ tên và ngày sinh, khác số định danh"),
    ("stale", "Lâu không cập nhật"),
)
QUAL_KEYS = ("education", "political_theory", "state_management", "it_level")


def _identity_frame(where) -> pd.DataFrame:
    """officials_frame (effective qualifications) plus the identity fields it does not carry."""
    df = officials_frame(where)
    extra = select_frame(sa.select(Official.id, Official.pid, Official.email,
                                   Official.education_field, Official.updated_at).where(where),
                         ["id", "pid", "email", "education_field", "updated_at"])
    df = df.merge(extra, on="id", how="left")
    units = select_frame(sa.select(Unit.id, Unit.code), ["unit_id", "unit_code"])
    df = df.merge(units, on="unit_id", how="left")
    for kind in QUAL_KEYS:
        codes = vocab.codes(vocab.QUALIFICATION_SCALES[kind])
        df[kind + "_effective"] = df[kind + "_rank"].map(dict(enumerate(codes)))
    return df.sort_values("pid").reset_index(drop=True)


def _as_utc(value) -> datetime | None:
    if value is None or pd.isna(value):
        return None
    value = pd.Timestamp(value).to_pydatetime()
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _trainings_frame(where) -> pd.DataFrame:
    return select_frame(
        sa.select(Enrollment.official_id, Course.code, Course.name, Course.category, Course.hours,
                  Provider.name, Cohort.code, Enrollment.completed_on, Enrollment.score,
                  Enrollment.certificate_no, Enrollment.certificate_issued_on, Enrollment.source)
        .join(Course, Course.id == Enrollment.course_id)
        .join(Provider, Provider.id == Course.provider_id)
        .outerjoin(Cohort, Cohort.id == Enrollment.cohort_id)
        .join(Official, Official.id == Enrollment.official_id)
        .where(Enrollment.status == "completed", where)
        .order_by(Enrollment.official_id, Enrollment.completed_on, Enrollment.id),
        ["official_id", "course_code", "course_name", "category", "hours", "provider",
         "cohort_code", "completed_on", "score", "certificate_no", "certificate_issued_on",
         "source"])


def _ratings_frame(where) -> pd.DataFrame:
    return select_frame(
        sa.select(Rating.official_id, Rating.year, Rating.period, Rating.period_no, Rating.rating,
                  Rating.note)
        .join(Official, Official.id == Rating.official_id).where(where)
        .order_by(Rating.official_id, Rating.year, Rating.period, Rating.period_no),
        ["official_id", "year", "period", "period_no", "rating", "note"])


def _iso(value) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _clean(value):
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else value


def national_export(where=None, *, stale_months: int | None = None) -> dict:
    """The stable JSON layout (docs/imports.md): one record per official keyed by "pid"."""
    where = where if where is not None else sa.true()
    df = _identity_frame(where)
    trainings = _trainings_frame(where)
    ratings = _ratings_frame(where)
    issues = quality_issues(where, stale_months=stale_months)
    issues_by = issues.groupby("official_id")["check"].agg(lambda s: sorted(set(s))).to_dict() \
        if not issues.empty else {}
    t_by = {k: g for k, g in trainings.groupby("official_id")} if not trainings.empty else {}
    r_by = {k: g for k, g in ratings.groupby("official_id")} if not ratings.empty else {}
    records = []
    for row in df.to_dict("records"):
        oid = row["id"]
        t = t_by.get(oid)
        r = r_by.get(oid)
        records.append({
            "pid": row["pid"],
            "code": row["code"],
            "full_name": row["full_name"],
            "birth_date": _iso(row["birth_date"]),
            "gender": row["gender"],
            "ethnicity": row["ethnicity"],
            "email": _clean(row["email"]),
            "unit": {"code": row["unit_code"], "name": row["unit_name"]},
            "position": ({"code": row["position_code"], "name": row["position_name"]}
                         if _clean(row["position_code"]) else None),
            "qualifications": {**{k: row[k + "_effective"] for k in QUAL_KEYS},
                               "education_field": row["education_field"] or ""},
            "digital_signature": bool(row["digital_signature"]),
            "record_digitised": bool(row["record_digitised"]),
            "ratings": [] if r is None else [
                {"year": int(x["year"]), "period": x["period"], "period_no": int(x["period_no"]),
                 "period_label": period_label(x["period"], int(x["period_no"]), int(x["year"])),
                 "rating": x["rating"], "note": x["note"] or ""}
                for x in r.to_dict("records")],
            "trainings": [] if t is None else [
                {"course_code": x["course_code"], "course_name": x["course_name"],
                 "category": x["category"], "hours": int(x["hours"]), "provider": x["provider"],
                 "cohort_code": _clean(x["cohort_code"]), "completed_on": _iso(x["completed_on"]),
                 "score": None if _clean(x["score"]) is None else float(x["score"]),
                 "certificate_no": _clean(x["certificate_no"]),
                 "certificate_issued_on": _iso(_clean(x["certificate_issued_on"])),
                 "source": x["source"]} for x in t.to_dict("records")],
            "updated_at": _iso(_as_utc(row["updated_at"])),
            "quality_issues": issues_by.get(oid, []),
        })
    return {"format": EXPORT_FORMAT, "version": EXPORT_VERSION,
            "generated_at": utcnow().isoformat(timespec="seconds"), "count": len(records),
            "officials": records}


OFFICIAL_SHEET = {  # Vietnamese header -> JSON key (docs/imports.md)
    "Số định danh cá nhân": "pid", "Mã cán bộ": "code", "Họ và tên": "full_name",
    "Ngày sinh": "birth_date", "Giới tính": "gender", "Dân tộc": "ethnicity", "Email": "email",
    "Mã đơn vị": "unit.code", "Đơn vị": "unit.name", "Mã vị trí việc làm": "position.code",
    "Vị trí việc làm": "position.name", "Trình độ chuyên môn": "qualifications.education",
    "Chuyên ngành": "qualifications.education_field",
    "Lý luận chính trị": "qualifications.political_theory",
    "Quản lý nhà nước": "qualifications.state_management", "Tin học": "qualifications.it_level",
    "Chữ ký số": "digital_signature", "Đã số hóa hồ sơ": "record_digitised",
    "Cập nhật lần cuối": "updated_at", "Vấn đề dữ liệu": "quality_issues",
}
RATING_SHEET = {"Số định danh cá nhân": "pid", "Năm": "year", "Kỳ xếp loại": "period_label",
                "Xếp loại": "rating", "Kết quả công việc": "note"}
TRAINING_SHEET = {
    "Số định danh cá nhân": "pid", "Mã khóa học": "course_code", "Tên khóa học": "course_name",
    "Loại khóa học": "category", "Số giờ": "hours", "Cơ sở đào tạo": "provider",
    "Mã lớp": "cohort_code", "Ngày hoàn thành": "completed_on", "Điểm": "score",
    "Số chứng chỉ": "certificate_no", "Ngày cấp chứng chỉ": "certificate_issued_on",
    "Nguồn": "source",
}


def _dig(record: dict, path: str):
    for part in path.split("."):
        record = record.get(part) if isinstance(record, dict) else None
    return record


def export_frames(data: dict) -> dict[str, pd.DataFrame]:
    """The Excel layout: three sheets keyed by the identification number; values are the codes
    of the JSON layout, so the two read the same."""
    officials = pd.DataFrame(
        [{h: ("; ".join(v) if isinstance(v := _dig(r, k), list) else v)
          for h, k in OFFICIAL_SHEET.items()} for r in data["officials"]],
        columns=list(OFFICIAL_SHEET))
    ratings = pd.DataFrame([{h: (r["pid"] if k == "pid" else x[k])
                             for h, k in RATING_SHEET.items()}
                            for r in data["officials"] for x in r["ratings"]],
                           columns=list(RATING_SHEET))
    trainings = pd.DataFrame([{h: (r["pid"] if k == "pid" else x[k])
                               for h, k in TRAINING_SHEET.items()}
                              for r in data["officials"] for x in r["trainings"]],
                             columns=list(TRAINING_SHEET))
    return {"Cán bộ": officials, "Xếp loại": ratings, "Quá trình đào tạo": trainings}


def quality_issues(where=None, *, stale_months: int | None = None,
                   now: datetime | None = None) -> pd.DataFrame:
    """"Đúng, đủ, sạch, sống" (DOMAIN.md, Decree 27/2026) before a sync: one row per problem —
    official_id, pid, code, full_name, unit_name, check (QUALITY_CHECKS), detail (Vietnamese)."""
    stale_months = settings.stale_months() if stale_months is None else stale_months
    where = where if where is not None else sa.true()
    df = _identity_frame(where)
    columns = ["official_id", "pid", "code", "full_name", "unit_name", "check", "detail"]
    if df.empty:
        return pd.DataFrame(columns=columns)
    out = []

    def add(mask, check, detail):
        sub = df[mask]
        if sub.empty:
            return
        details = detail(sub) if callable(detail) else pd.Series(detail, index=sub.index)
        out.append(pd.DataFrame({"official_id": sub["id"], "pid": sub["pid"],
                                 "code": sub["code"], "full_name": sub["full_name"],
                                 "unit_name": sub["unit_name"], "check": check,
                                 "detail": details}))

    # đủ: the mandatory identity and placement fields of the national record.
    blank = lambda s: s.isna() | (s.astype(str).str.strip() == "")  # noqa: E731
    for column, label in (("full_name", "họ và tên"), ("pid", "số định danh"),
                          ("ethnicity", "dân tộc"), ("unit_id", "đơn vị"),
                          ("position_id", "vị trí việc làm")):
        add(blank(df[column]), "missing", f"Thiếu {label}")
    # đúng: the identity number agrees with its own rules, the birth year and the gender.
    problems = pd.Series([pid_problem(p, b, g) for p, b, g in
                          zip(df["pid"], df["birth_date"], df["gender"])], index=df.index)
    add(problems.notna(), "invalid_pid", lambda sub: problems[sub.index].str.capitalize())
    # sạch: one person, one record.
    name_key = df["full_name"].fillna("").str.casefold().str.split().str.join(" ")
    key = name_key + "|" + df["birth_date"].astype(str)
    pids = df.groupby(key)["pid"].transform("nunique")
    dup = pids > 1
    if dup.any():
        others = df[dup].groupby(key[dup])["pid"].agg(list)

        def dup_detail(sub):
            return pd.Series([
                "Trùng họ tên, ngày sinh với số định danh " +
                ", ".join(p for p in others[key[i]] if p != sub.at[i, "pid"])
                for i in sub.index], index=sub.index)
        add(dup, "duplicate", dup_detail)
    # sống: updated within the period.
    now = now or utcnow()
    cutoff = now - relativedelta(months=stale_months)
    updated = df["updated_at"].map(_as_utc)
    stale = updated.map(lambda v: v is None or v < cutoff)
    add(stale.astype(bool), "stale", lambda sub: [
        f"Cập nhật lần cuối {updated[i]:%d/%m/%Y} (quá {stale_months} tháng)"
        if updated[i] is not None else "Chưa từng cập nhật" for i in sub.index])
    if not out:
        return pd.DataFrame(columns=columns)
    order = {c: n for n, (c, _) in enumerate(QUALITY_CHECKS)}
    result = pd.concat(out, ignore_index=True)
    result["_o"] = result["check"].map(order)
    return result.sort_values(["_o", "unit_name", "full_name"]).drop(columns="_o") \
        .reset_index(drop=True)


# --- Templates and stored tables ----------------------------------------------------------------

TEMPLATE_NAMES = {"officials": "mau-can-bo.xlsx", "assessments": "mau-danh-gia.xlsx",
                  "ratings": "mau-xep-loai.xlsx", "results": "mau-ket-qua-hoc-tap.xlsx",
                  "completions": "mau-hoan-thanh-khoa-hoc.xlsx", "competencies": "mau-nang-luc.xlsx",
                  "positions": "mau-vi-tri-viec-lam.xlsx", "providers": "mau-co-so-dao-tao.xlsx",
                  "courses": "mau-khoa-hoc.xlsx", "units": "mau-don-vi.xlsx",
                  "accounts": "mau-tai-khoan.xlsx", "quotas": "mau-bien-che.xlsx",
                  "mentorships": "mau-kem-cap.xlsx"}


def _first(column) -> str | None:
    return db.session.scalar(sa.select(column).order_by(column))


def _table_and_examples(kind: str) -> tuple[Table, dict[str, str]]:
    """A kind's table and the examples of its template taken from the database (real codes,
    this month), over the columns' own."""
    course = db.session.scalar(sa.select(Course.code).where(Course.mode == "online")
                               .order_by(Course.code)) or _first(Course.code) or "BDHVS-01"
    day = today().replace(day=1).strftime("%d/%m/%Y")
    if kind == "officials":
        return people_ops.OFFICIALS, {}
    if kind == "assessments":
        return people_ops.ASSESSMENTS, {"competency": _first(Competency.code) or "",
                                        "assessed_on": today().strftime("%d/%m/%Y")}
    if kind == "ratings":
        return RATINGS, {"year": str(today().year - 1)}  # its fourth quarter has ended
    if kind in ("results", "completions"):
        return (RESULTS if kind == "results" else COMPLETIONS), {"course": course,
                                                                 "completed_on": day}
    if kind == "units":
        return org_ops.UNITS, {"parent": org_ops.root_code()}
    if kind == "accounts":
        scope = db.session.scalar(sa.select(Unit.code).where(
            Unit.kind != "province", Unit.closed_on.is_(None)).order_by(Unit.code))
        return auth_ops.ACCOUNTS, {"scope": scope} if scope else {}
    if kind == "mentorships":
        return mentoring_ops.MENTORSHIPS, {"competency": _first(Competency.code) or "",
                                           "start": today().strftime("%d/%m/%Y"),
                                           "end": (today() + relativedelta(months=3))
                                           .strftime("%d/%m/%Y")}
    if kind == "quotas":
        unit = db.session.scalar(sa.select(Unit).where(
            Unit.kind != "province", Unit.closed_on.is_(None)).order_by(Unit.code))
        return staffing_ops.QUOTAS, ({"unit": unit.code, "unit_name": unit.name} if unit else {})
    raise KeyError(kind)


def template_file(kind: str) -> bytes:
    """A kind's template: the headers of its file and one example row."""
    if kind in CATALOG_KINDS:  # the first stored row, or a blank one
        rows = catalog_ops.catalog_records(kind, limit=1)
        return catalog_ops.CATALOG_TABLES[kind].template(**(rows[0] if rows else {}))
    table, examples = _table_and_examples(kind)
    return table.template(**examples)


def stored_table_file(kind: str) -> bytes:
    """The stored catalog table or unit tree in its import file's layout, to edit in Excel and
    import again."""
    if kind == "units":
        return org_ops.UNITS.download(org_ops.unit_records())
    return catalog_ops.CATALOG_TABLES[kind].download(catalog_ops.catalog_records(kind))

