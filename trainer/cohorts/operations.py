"""Running a class (LC-P2, vừa học vừa làm): sessions, attendance, results import and certificates.

Certificates follow Circular 01/2018/TT-BNV (DOMAIN.md): issued only with full attendance and every
assessment ≥ 5/10, and issued once. Operations change objects and flush; the caller commits."""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date, time

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from courses import vocab
from trainer.catalog.models import CourseModule, Provider
from trainer.cohorts.models import Attendance, CertificateConfirmation, CohortSession
from trainer.core import events
from trainer.core.display import vnscore
from trainer.core.errors import DomainError
from trainer.core.extensions import db
from trainer.core.tabular import (Column, ImportPlan, Table, parse_date, parse_score, parse_yes_no)
from trainer.core.timeutil import today
from trainer.degrees.models import ModuleResult
from trainer.interchange.operations import register_class_kind
from trainer.learning.models import ENROLLMENT_STATUSES, SEAT_STATUSES, Cohort, Enrollment
from trainer.learning.operations import lock_row, record_results
from trainer.people.models import Official

# Circular 01/2018/TT-BNV: every assessment must reach 5 on the 0–10 scale.
CERTIFICATE_MIN_SCORE = 5.0
# Whose attendance is kept: those holding a seat, and those whose result is already in (the last
# sessions' sheets often arrive after the final exam; without them no certificate can be issued).
ATTENDEE_STATUSES = SEAT_STATUSES + ("completed", "failed")

OUTCOMES = (("completed", "Hoàn thành"), ("failed", "Không đạt"))


def _parse_outcome(text: str) -> str:
    folded = text.casefold()
    for code, label in OUTCOMES:
        if folded in (code, label.casefold()):
            return code
    raise ValueError(f"“{text}” phải là “Hoàn thành” hoặc “Không đạt”")


# The class's files, one row per enrollee (and per day, for attendance). "Họ và tên" is there
# for the reader: the template fills it in, the importers read nothing from it.
PID = "Số định danh cá nhân"
# "Ngày" and "Có mặt" are read by plan_attendance once the roster is checked: a row's errors
# list the blank cells first, then the cells in the order of the columns.
ATTENDANCE = Table((
    Column(PID, "pid", required=True, example="012190000123"),
    Column("Họ và tên", "name", example="Lò Văn Hùng"),
    Column("Ngày", "day", parse_date, required=True, example="01/03/2026"),
    Column("Có mặt", "present", parse_yes_no, required=True, example="có"),
))
CLASS_RESULTS = Table((
    Column(PID, "pid", required=True, example="012190000123"),
    Column("Họ và tên", "name", example="Lò Văn Hùng"),
    Column("Điểm", "score", parse_score, required=True, example="8,5"),
    Column("Kết quả", "outcome", _parse_outcome, example="Hoàn thành"),
))


# --- Sessions ---------------------------------------------------------------------------------

def add_session(cohort: Cohort, *, day: date, start_time: time, end_time: time, place: str = "",
                online_link: str = "") -> CohortSession:
    """Schedule a class meeting (buổi học) inside the cohort's dates."""
    place, online_link = (place or "").strip(), (online_link or "").strip()
    errors = []
    if cohort.status in ("finished", "cancelled"):
        raise DomainError(f"Lớp {cohort.code} đã kết thúc hoặc đã hủy: không thêm buổi học.")
    if not cohort.start_date <= day <= cohort.end_date:
        errors.append(f"Ngày học {day:%d/%m/%Y} phải trong thời gian của lớp "
                      f"({cohort.start_date:%d/%m/%Y}–{cohort.end_date:%d/%m/%Y}).")
    if end_time <= start_time:
        errors.append("Giờ kết thúc phải sau giờ bắt đầu.")
    if not place and not online_link:
        errors.append("Cần ghi địa điểm hoặc đường dẫn học trực tuyến.")
    if online_link and not re.match(r"^https?://\S+$", online_link):
        errors.append("Đường dẫn học trực tuyến phải bắt đầu bằng http:// hoặc https://.")
    if len(place) > 200 or len(online_link) > 300:
        errors.append("Địa điểm tối đa 200 ký tự, đường dẫn tối đa 300 ký tự.")
    if not errors:
        for other in cohort.sessions:
            if other.day == day and other.start_time < end_time and start_time < other.end_time:
                errors.append(f"Trùng giờ với buổi {other.day:%d/%m/%Y} "
                              f"{other.start_time:%H:%M}–{other.end_time:%H:%M}.")
    if errors:
        raise DomainError(" ".join(errors))
    session = CohortSession(cohort_id=cohort.id, day=day, start_time=start_time,
                            end_time=end_time, place=place, online_link=online_link)
    db.session.add(session)
    db.session.flush()
    db.session.expire(cohort, ["sessions"])
    return session


def remove_session(session: CohortSession) -> None:
    """Delete a session; refused once attendance was taken (the record would be lost)."""
    taken = db.session.scalar(sa.select(sa.func.count()).select_from(Attendance).where(
        Attendance.session_id == session.id)) or 0
    if taken:
        raise DomainError(f"Buổi {session.day:%d/%m/%Y} đã điểm danh ({taken} học viên): "
                          "không xóa được.")
    cohort = session.cohort
    db.session.delete(session)
    db.session.flush()
    db.session.expire(cohort, ["sessions"])


# --- Attendance -------------------------------------------------------------------------------

def attendees(cohort: Cohort) -> list[Enrollment]:
    """The enrollees whose attendance is kept, by name."""
    return db.session.scalars(
        sa.select(Enrollment).join(Official, Enrollment.official_id == Official.id)
        .where(Enrollment.cohort_id == cohort.id, Enrollment.status.in_(ATTENDEE_STATUSES))
        .order_by(Official.full_name, Enrollment.id)).all()


def _check_held(session: CohortSession) -> None:
    if session.day > today():
        raise DomainError(f"Buổi {session.day:%d/%m/%Y} chưa diễn ra: chưa điểm danh được.")


def _upsert(session_id: int, marks: dict[int, bool]) -> None:
    existing = {a.enrollment_id: a for a in db.session.scalars(sa.select(Attendance).where(
        Attendance.session_id == session_id, Attendance.enrollment_id.in_(list(marks))))}
    for enrollment_id, present in marks.items():
        row = existing.get(enrollment_id)
        if row is None:
            db.session.add(Attendance(session_id=session_id, enrollment_id=enrollment_id,
                                      present=present))
        else:
            row.present = present


def record_attendance(session: CohortSession, present_ids: set[int]) -> int:
    """Take the roll: every attendee gets a row, present if in `present_ids`, else absent.
    Enrollees who already hold a certificate keep the attendance it was issued on."""
    _check_held(session)
    people = attendees(session.cohort)
    known = {e.id for e in people}
    stray = set(present_ids) - known
    if stray:
        raise DomainError(f"Học viên #{', #'.join(map(str, sorted(stray)))} không thuộc lớp "
                          f"{session.cohort.code}.")
    marks = {e.id: e.id in present_ids for e in people if e.certificate_no is None}
    _upsert(session.id, marks)
    db.session.flush()
    return len(marks)


def session_attendance(session: CohortSession) -> dict[int, bool]:
    """{enrollment id: present} as taken for this session (no key = not yet taken)."""
    return dict(db.session.execute(sa.select(Attendance.enrollment_id, Attendance.present).where(
        Attendance.session_id == session.id)).all())


def attendance_by_session(cohort: Cohort) -> dict[int, tuple[int, int]]:
    """{session id: (present, marked)} for the sessions whose roll was taken, in one query."""
    rows = db.session.execute(
        sa.select(Attendance.session_id,
                  sa.func.count(Attendance.enrollment_id).filter(Attendance.present.is_(True)),
                  sa.func.count(Attendance.enrollment_id))
        .join(CohortSession, CohortSession.id == Attendance.session_id)
        .where(CohortSession.cohort_id == cohort.id).group_by(Attendance.session_id)).all()
    return {sid: (present, marked) for sid, present, marked in rows}


@dataclass(frozen=True)
class AttendanceCount:
    sessions: int  # sessions counted (held so far, or all of the cohort's)
    present: int
    absent: int  # marked absent; sessions - present - absent were never taken


def _attendance_counts(cohort: Cohort, *, held_only: bool,
                       enrollment_id: int | None = None) -> dict[int, AttendanceCount]:
    """Per enrollment of the cohort, in one query: sessions counted, present and absent marks."""
    on_day = CohortSession.day <= today() if held_only else sa.true()
    n_sessions = (sa.select(sa.func.count(CohortSession.id))
                  .where(CohortSession.cohort_id == cohort.id, on_day).scalar_subquery())
    q = (sa.select(Enrollment.id, n_sessions,
                   sa.func.count(CohortSession.id).filter(Attendance.present.is_(True)),
                   sa.func.count(CohortSession.id).filter(Attendance.present.is_(False)))
         .select_from(Enrollment)
         .outerjoin(Attendance, Attendance.enrollment_id == Enrollment.id)
         .outerjoin(CohortSession, sa.and_(CohortSession.id == Attendance.session_id,
                                           CohortSession.cohort_id == cohort.id, on_day))
         .where(Enrollment.cohort_id == cohort.id)
         .group_by(Enrollment.id))
    if enrollment_id is not None:
        q = q.where(Enrollment.id == enrollment_id)
    return {eid: AttendanceCount(n or 0, p or 0, a or 0)
            for eid, n, p, a in db.session.execute(q).all()}


def attendance_rates(cohort: Cohort) -> dict[int, float | None]:
    """{enrollment id: sessions attended / sessions held so far} for every enrollment of the
    cohort, in one query; None while no session has been held."""
    return {eid: (c.present / c.sessions if c.sessions else None)
            for eid, c in _attendance_counts(cohort, held_only=True).items()}


def attendance_rate(enrollment: Enrollment) -> float | None:
    if enrollment.cohort is None:
        return None
    counts = _attendance_counts(enrollment.cohort, held_only=True, enrollment_id=enrollment.id)
    c = counts.get(enrollment.id)
    return c.present / c.sessions if c and c.sessions else None


# --- Imports ----------------------------------------------------------------------------------

def _by_pid(cohort: Cohort, statuses) -> dict[str, Enrollment]:
    rows = db.session.execute(
        sa.select(Official.pid, Enrollment).join(Enrollment, Enrollment.official_id == Official.id)
        .where(Enrollment.cohort_id == cohort.id, Enrollment.status.in_(statuses))).all()
    return {pid: enrollment for pid, enrollment in rows}


def plan_attendance(cohort: Cohort, df: pd.DataFrame, filename: str = "tệp", *,
                    assessor: str = "") -> ImportPlan:
    """Attendance from a spreadsheet: one row per enrollee and day ("Có mặt": có/không). A day
    with two sessions (morning and afternoon) marks both. Worked out without writing: the plan
    counts marks created, changed and unchanged, lists every error by row (numbered as in the
    spreadsheet, header = row 1) and, when run, writes every mark or none."""
    enrollees = _by_pid(cohort, ATTENDEE_STATUSES)
    sessions_by_day: dict[date, list[CohortSession]] = {}
    for s in cohort.sessions:
        sessions_by_day.setdefault(s.day, []).append(s)
    plan, marks, seen = ImportPlan(), {}, {}
    stored = {(sid, eid): present for sid, eid, present in db.session.execute(
        sa.select(Attendance.session_id, Attendance.enrollment_id, Attendance.present)
        .join(CohortSession, CohortSession.id == Attendance.session_id)
        .where(CohortSession.cohort_id == cohort.id))}
    for row in ATTENDANCE.read(df, filename):
        plan.rows += 1
        pid = row.values["pid"]
        enrollment = None
        if pid is not None:
            enrollment = enrollees.get(pid)
            if enrollment is None:
                row.error("pid", f"không có học viên số {pid} trong lớp {cohort.code}")
        day = row.values["day"]
        if day is not None:
            if day not in sessions_by_day:
                row.error("day", f"lớp không có buổi học ngày {day:%d/%m/%Y}")
            elif day > today():
                row.error("day", f"buổi học {day:%d/%m/%Y} chưa diễn ra")
        present = row.values["present"]
        if row.ok:
            key = (pid, day)
            if key in seen:  # the row, not a column
                row.row_error(f"trùng học viên và ngày với dòng {seen[key]}")
            seen.setdefault(key, row.number)
        if row.ok and enrollment.certificate_no:
            # The certificate was issued on this attendance: the same marks again are unchanged
            # (the class's file imports twice), another mark is refused.
            if any(stored.get((s.id, enrollment.id)) != present for s in sessions_by_day[day]):
                row.error("present", "học viên đã được cấp chứng chỉ, không sửa điểm danh")
            else:
                plan.unchanged += len(sessions_by_day[day])
                continue
        plan.errors.extend(row.errors)
        if row.ok:
            for session in sessions_by_day[day]:
                marks.setdefault(session.id, {})[enrollment.id] = present
    for session_id, by_enrollment in marks.items():
        for enrollment_id, present in by_enrollment.items():
            before = stored.get((session_id, enrollment_id))
            if before is None:
                plan.created += 1
            elif before != present:
                plan.updated += 1
            else:
                plan.unchanged += 1

    def apply() -> None:
        for session_id, by_enrollment in marks.items():
            _upsert(session_id, by_enrollment)
    plan.actions.append(apply)
    return plan


def plan_results(cohort: Cohort, df: pd.DataFrame, filename: str = "tệp", *,
                 assessor: str = "", on: date | None = None) -> ImportPlan:
    """Results from a spreadsheet: "Số định danh cá nhân", "Điểm" (0–10, comma allowed) and
    optionally "Kết quả" (Hoàn thành / Không đạt; by default from the course's pass mark).
    Checked row by row without writing; when run, written by `record_results`, all or nothing.
    A result equal to the one already recorded is unchanged (the same file imports twice)."""
    enrollees = _by_pid(cohort, [code for code, _ in ENROLLMENT_STATUSES])
    pass_mark = cohort.course.pass_mark
    plan, results, seen = ImportPlan(), {}, {}
    for row in CLASS_RESULTS.read(df, filename):
        plan.rows += 1
        pid, score, outcome = (row.values[k] for k in ("pid", "score", "outcome"))
        enrollment = None
        if pid is not None:
            enrollment = enrollees.get(pid)
            if enrollment is None:
                row.error("pid", f"không có học viên số {pid} trong lớp "
                                                f"{cohort.code}")
            elif enrollment.status not in ATTENDEE_STATUSES:
                status = vocab.label(ENROLLMENT_STATUSES, enrollment.status)
                row.error("pid", f"học viên đang ở trạng thái “{status}”, không "
                                                "ghi được kết quả")
            elif pid in seen:
                row.error("pid", f"trùng với dòng {seen[pid]}")
            seen.setdefault(pid, row.number)
        if row.cells.get("Kết quả", "") == "" and score is not None:
            outcome = "completed" if score >= pass_mark else "failed"
        if outcome == "completed" and score is not None and score < pass_mark:
            row.error("score", f"{vnscore(score)} thấp hơn điểm đạt {vnscore(pass_mark)} của khóa, "
                               "không thể “Hoàn thành”")
        if row.ok:
            if enrollment.status in SEAT_STATUSES:
                results[enrollment.id] = (outcome, score)
                plan.created += 1
            elif (enrollment.status, enrollment.score) == (outcome, score):
                plan.unchanged += 1
            else:
                recorded = vocab.label(OUTCOMES, enrollment.status)
                if enrollment.score is not None:
                    recorded += f", điểm {vnscore(enrollment.score)}"
                row.error("score", f"học viên đã có kết quả ({recorded}); kết quả đã ghi không "
                                   "sửa bằng tệp")
        plan.errors.extend(row.errors)
    if not plan.rows:
        plan.errors.append(f"{filename}: không có dòng dữ liệu nào")
    plan.actions.append(lambda: record_results(cohort, results, assessor=assessor, on=on))
    return plan


# --- Certificates (Circular 01/2018/TT-BNV) ----------------------------------------------------

def _candidates(cohort: Cohort) -> list[Enrollment]:
    return db.session.scalars(sa.select(Enrollment).where(
        Enrollment.cohort_id == cohort.id, Enrollment.status == "completed",
        Enrollment.certificate_no.is_(None)).order_by(Enrollment.id)).all()


def _low_modules(enrollment_ids: list[int]) -> dict[int, list[str]]:
    """Module results below 5, per enrollment: ["học phần M1: điểm 4,5 < 5"]."""
    if not enrollment_ids:
        return {}
    rows = db.session.execute(
        sa.select(ModuleResult.enrollment_id, CourseModule.code, ModuleResult.score)
        .join(CourseModule, CourseModule.id == ModuleResult.module_id)
        .where(ModuleResult.enrollment_id.in_(enrollment_ids),
               ModuleResult.score < CERTIFICATE_MIN_SCORE)
        .order_by(CourseModule.term, CourseModule.code)).all()
    out: dict[int, list[str]] = {}
    for eid, code, score in rows:
        out.setdefault(eid, []).append(
            f"học phần {code}: điểm {vnscore(score)} < {vnscore(CERTIFICATE_MIN_SCORE)}")
    return out


def _reasons(cohort: Cohort, enrollments: list[Enrollment],
             planned: dict[int, tuple[str, float | None]] | None = None, *,
             known_only: bool = False) -> dict[int, str]:
    """Why each enrollment may not get a certificate; an eligible one gets no key. `planned`:
    results about to be saved ({enrollment id: (outcome, score)}), read instead of the stored
    ones; `known_only`: only what is already recorded of a learner without a result yet
    (attendance, module results), not the missing score."""
    counts = _attendance_counts(cohort, held_only=False)
    low = _low_modules([e.id for e in enrollments])
    planned = planned or {}
    out = {}
    for e in enrollments:
        reasons = []
        c = counts.get(e.id, AttendanceCount(0, 0, 0))
        if c.sessions == 0:
            # Attendance cannot be proven without sessions, except for a self-paced online class.
            if cohort.mode != "online":
                reasons.append("lớp chưa có buổi học nào được ghi, không xác định được chuyên cần")
        else:
            if c.absent:
                reasons.append(f"vắng {c.absent}/{c.sessions} buổi")
            missing = c.sessions - c.present - c.absent
            if missing:
                reasons.append(f"chưa điểm danh {missing}/{c.sessions} buổi")
        outcome, score = planned.get(e.id, (e.status, e.score))
        if outcome == "failed":
            reasons.append("kết quả “Không đạt”")
        elif known_only and e.id not in planned:
            pass
        elif score is None:
            reasons.append("chưa có điểm")
        elif score < CERTIFICATE_MIN_SCORE:
            reasons.append(f"điểm {vnscore(score)} < {vnscore(CERTIFICATE_MIN_SCORE)}")
        reasons.extend(low.get(e.id, []))
        if reasons:
            out[e.id] = "; ".join(reasons)
    return out


def ineligible_reasons(cohort: Cohort) -> dict[int, str]:
    """{enrollment id: Vietnamese reason} for completed enrollees without a certificate who may not
    get one yet ("vắng 2/10 buổi", "điểm 4,5 < 5")."""
    return _reasons(cohort, _candidates(cohort))


def certificate_outlook(cohort: Cohort, planned: dict[int, tuple[str, float | None]] | None = None
                        ) -> dict[int, str]:
    """For learners still in the class (no result yet): why each would not get a certificate —
    no attendance, attendance short of every session, no score, a score below 5, "Không đạt".
    Without `planned`, from what is recorded so far (attendance, module results); with the
    results about to be saved, for those learners with their outcome and score (issue 12)."""
    seated = [e for e in cohort.enrollments if e.status in SEAT_STATUSES]
    if planned is not None:
        seated = [e for e in seated if e.id in planned]
    return _reasons(cohort, seated, planned, known_only=planned is None)


def issue_summary(cohort: Cohort, issued: int) -> str:
    """What "Cấp chứng chỉ" did, and when it issued nothing, why: who is not eligible and the
    reason, or that nobody completed without a certificate yet."""
    message = f"Đã cấp {issued} chứng chỉ." if issued else "Chưa cấp được chứng chỉ nào."
    candidates = _candidates(cohort)
    reasons = _reasons(cohort, candidates)
    if reasons:
        names = [f"{e.official.full_name} ({reasons[e.id]})" for e in candidates if e.id in reasons]
        message += (f" {len(names)} học viên hoàn thành chưa đủ điều kiện: "
                    + "; ".join(names[:5]) + ("…" if len(names) > 5 else "") + ".")
    elif not issued:
        statuses = [e.status for e in cohort.enrollments]
        certified = sum(1 for e in cohort.enrollments if e.certificate_no)
        pending = sum(1 for s in statuses if s in SEAT_STATUSES)
        failed = statuses.count("failed")
        parts = ["không có học viên nào đã ghi “Hoàn thành” mà chưa có chứng chỉ"]
        if certified:
            parts.append(f"{certified} học viên đã được cấp trước đó (chứng chỉ chỉ cấp một lần)")
        if pending:
            parts.append(f"{pending} học viên chưa có kết quả")
        if failed:
            parts.append(f"{failed} học viên “Không đạt”")
        message += " Lý do: " + "; ".join(parts) + "."
    return message


def _next_numbers(provider: Provider, year: int):
    """Certificate numbers PROVIDER-YEAR-NNNNNN, continuing after the largest issued this year.
    Fixed-width numbers sort as text, so MAX finds the last one."""
    prefix = f"{provider.code}-{year}-"
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    last = db.session.scalar(sa.select(sa.func.max(Enrollment.certificate_no)).where(
        Enrollment.certificate_no.like(escaped + "%", escape="\\")))
    n = int(last.rsplit("-", 1)[1]) if last else 0
    while True:
        n += 1
        yield f"{prefix}{n:06d}"


def certificate_link(enrollment: Enrollment) -> str:
    return f"/chung-chi/{enrollment.id}.pdf"


def issue_certificates(cohort: Cohort, *, on: date | None = None) -> int:
    """Issue a certificate to every completed enrollee who meets the rule and has none yet; tell
    each one. Running it again issues nothing new. Returns how many were issued."""
    on = on or today()
    provider = cohort.course.provider
    # Serialise numbering per provider (row lock on PostgreSQL, write lock on SQLite); the unique
    # constraint on certificate_no is the last guard.
    lock_row(Provider, provider.id)
    candidates = _candidates(cohort)
    reasons = _reasons(cohort, candidates)
    numbers = _next_numbers(provider, on.year)
    issued = []
    for enrollment in candidates:
        if enrollment.id in reasons:
            continue
        enrollment.certificate_no = next(numbers)
        enrollment.certificate_code = secrets.token_urlsafe(9)  # 12 characters, 72 random bits
        enrollment.certificate_issued_on = on
        issued.append(enrollment)
    try:
        db.session.flush()
    except IntegrityError as e:
        raise DomainError("Số chứng chỉ bị trùng do cấp đồng thời: vui lòng thử lại.") from e
    for enrollment in issued:
        events.tell(enrollment.official, "certificate",
                    f"Chứng chỉ khóa “{cohort.course.name}”",
                    f"Số chứng chỉ {enrollment.certificate_no}, cấp ngày {on:%d/%m/%Y}. Tải bản PDF "
                    f"từ đường dẫn kèm theo.", link=certificate_link(enrollment))
    db.session.flush()
    return len(issued)


def certificate_by_code(code: str) -> Enrollment | None:
    if not code:
        return None
    return db.session.scalar(sa.select(Enrollment).where(Enrollment.certificate_code == code,
                                                         Enrollment.certificate_no.is_not(None)))


def confirmation_by_code(code: str) -> CertificateConfirmation | None:
    if not code:
        return None
    return db.session.scalar(sa.select(CertificateConfirmation).where(
        CertificateConfirmation.code == code))


def confirmations_of(enrollment: Enrollment) -> list[CertificateConfirmation]:
    return db.session.scalars(sa.select(CertificateConfirmation).where(
        CertificateConfirmation.enrollment_id == enrollment.id)
        .order_by(CertificateConfirmation.id)).all()


def confirmation_link(confirmation: CertificateConfirmation) -> str:
    return f"/giay-xac-nhan/{confirmation.id}.pdf"


def confirm_lost_certificate(enrollment: Enrollment, *, reason: str, actor: str,
                             on: date | None = None) -> CertificateConfirmation:
    """A certificate is issued once; when it is lost the school issues a confirmation of
    completion instead (Circular 01/2018/TT-BNV), numbered PROVIDER-XN-YEAR-NNNN, with its own
    verification code. The certificate's number stays valid; the official is told."""
    if not enrollment.certificate_no:
        raise DomainError("Học viên chưa được cấp chứng chỉ nên không có gì để xác nhận thay.")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Cần ghi lý do cấp giấy xác nhận (ví dụ: học viên báo mất chứng chỉ).")
    on = on or today()
    provider = enrollment.course.provider
    lock_row(Provider, provider.id)  # serialise numbering, as for certificates
    prefix = f"{provider.code}-XN-{on.year}-"
    last = db.session.scalar(sa.select(sa.func.max(CertificateConfirmation.number)).where(
        CertificateConfirmation.number.startswith(prefix, autoescape=True)))
    n = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    confirmation = CertificateConfirmation(
        enrollment_id=enrollment.id, number=f"{prefix}{n:04d}", code=secrets.token_urlsafe(9),
        issued_on=on, reason=reason[:300], issued_by=actor[:120])
    db.session.add(confirmation)
    try:
        db.session.flush()
    except IntegrityError as e:
        raise DomainError("Số giấy xác nhận bị trùng do cấp đồng thời: vui lòng thử lại.") from e
    events.tell(enrollment.official, "certificate",
                f"Giấy xác nhận hoàn thành khóa “{enrollment.course.name}”",
                f"Số {confirmation.number}, cấp ngày {on:%d/%m/%Y}, thay chứng chỉ số "
                f"{enrollment.certificate_no}. Tải bản PDF từ đường dẫn kèm theo.",
                link=confirmation_link(confirmation))
    return confirmation


def import_template(cohort: Cohort, kind: str) -> bytes:
    """An .xlsx to fill in, one row per enrollee (and per session day held, for attendance, with
    the marks already taken — "có" where none is). "Họ và tên" is there for the reader; the
    importers ignore columns they do not know."""
    people = attendees(cohort)
    if kind == "attendance":
        held = [s for s in cohort.sessions if s.day <= today()]
        taken = {(a.session_id, a.enrollment_id): a.present for a in db.session.scalars(
            sa.select(Attendance).where(Attendance.session_id.in_([s.id for s in held])))}

        def mark(day: date, enrollment: Enrollment) -> str:
            present = [taken.get((s.id, enrollment.id), True) for s in held if s.day == day]
            return "có" if all(present) else "không"
        days = sorted({s.day for s in held})
        return ATTENDANCE.download(  # names as text, never formulas
            {"pid": e.official.pid, "name": e.official.full_name, "day": f"{d:%d/%m/%Y}",
             "present": mark(d, e)} for d in days for e in people)
    return CLASS_RESULTS.download({"pid": e.official.pid, "name": e.official.full_name}
                                  for e in people if e.status in SEAT_STATUSES)


register_class_kind("attendance", "Điểm danh của lớp", plan_attendance)
register_class_kind("class_results", "Kết quả học tập của lớp", plan_results)
