"""Enrollment and results. Rules live here; the web, the CLI and the importers call them."""
from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta

from courses import vocab
from trainer.catalog.models import Course
from trainer.core import events
from trainer.core.display import vndate, vnnum, vnscore
from trainer.core.errors import DomainError, NotAllowed
from trainer.core.extensions import db
from trainer.core.timeutil import today
from trainer.learning.models import (ACTIVE_STATUSES, ENROLLMENT_STATUSES, SEAT_STATUSES, Cohort,
                                     Enrollment)
from trainer.org.queries import away_limit
from trainer.people.models import Assessment, Official


def seat_counts(cohorts=None):
    """Seats taken per cohort, as a subquery (cohort_id, n): enrolled or studying. With
    `cohorts` (an SQL clause on Cohort), those cohorts' alone: their enrollments by index, not
    every enrollment of the province."""
    q = sa.select(Enrollment.cohort_id, sa.func.count(Enrollment.id).label("n")).where(
        Enrollment.status.in_(SEAT_STATUSES))
    if cohorts is not None:
        q = q.where(Enrollment.cohort_id.in_(sa.select(Cohort.id).where(cohorts)))
    return q.group_by(Enrollment.cohort_id).subquery()


def seats_taken(cohort: Cohort) -> int:
    return db.session.scalar(sa.select(sa.func.count(Enrollment.id)).where(
        Enrollment.cohort_id == cohort.id, Enrollment.status.in_(SEAT_STATUSES))) or 0


def enrollment_closes(cohort: Cohort) -> date:
    """The last day to enroll: the cohort's deadline, or the day before it starts."""
    return cohort.enrollment_deadline or cohort.start_date - timedelta(days=1)


def taking_enrollments(on: date | None = None):
    """SQL: the cohort is open, has not started and its enrollment has not closed on `on`
    (today) — `enrollment_closes(cohort) >= on`, written for the database."""
    on = on or today()
    return sa.and_(Cohort.status == "open", Cohort.start_date > on,
                   sa.or_(Cohort.enrollment_deadline.is_(None), Cohort.enrollment_deadline >= on))


def open_cohorts(course_ids: list[int]) -> list[tuple[Cohort, int]]:
    """Cohorts of these courses still taking enrollments, with the seats left in each."""
    if not course_ids:
        return []
    which = sa.and_(Cohort.course_id.in_(course_ids), taking_enrollments())
    taken = seat_counts(which)
    rows = db.session.execute(
        sa.select(Cohort, sa.func.coalesce(taken.c.n, 0))
        .outerjoin(taken, taken.c.cohort_id == Cohort.id)
        .where(which)
        .order_by(Cohort.start_date)).all()
    return [(cohort, cohort.capacity - n) for cohort, n in rows]


def lock_row(model, row_id: int) -> None:
    """Serialise changes that count rows: a no-op UPDATE takes the row lock on PostgreSQL and the
    database write lock on SQLite, held until the request commits. Lock order everywhere:
    official, then cohort — so two requests never wait on each other in a cycle."""
    # Plain SQL: an ORM update would also fire `onupdate` columns (officials.updated_at).
    db.session.execute(sa.text(f"UPDATE {model.__tablename__} SET id = id WHERE id = :id"),
                       {"id": row_id})


def completion_expired(completed_on: date | None, validity_months: int | None,
                       on: date | None = None) -> bool:
    """A completion of a course with a validity period stops counting after it (and may be
    retaken); a course without one never expires. Same month arithmetic as the reports."""
    if completed_on is None or not validity_months:
        return False
    return completed_on + relativedelta(months=validity_months) <= (on or today())


def _active_enrollment(official: Official, course: Course) -> Enrollment | None:
    """An enrollment under way, or a completion still valid: either bars a new enrollment."""
    rows = db.session.scalars(sa.select(Enrollment).where(
        Enrollment.official_id == official.id, Enrollment.course_id == course.id,
        Enrollment.status.in_(ACTIVE_STATUSES + ("completed",)))).all()
    return next((e for e in rows if e.status != "completed"
                 or not completion_expired(e.completed_on, course.validity_months)), None)


# Modes that take the official away from the office for the class's dates (LC-P2, vừa học vừa
# làm): an online class does not, so it never clashes.
ATTENDED_MODES = ("in_person", "blended")


def clashing_enrollment(official: Official, cohort: Cohort, *,
                        ignore: Enrollment | None = None) -> Enrollment | None:
    """Another in-person or blended class of the official, still under way (asked, approved,
    seated, waiting or studying), whose dates overlap `cohort`'s; None when there is none or
    `cohort` is online. The one rule of "one class at a time" (issue 12): enrollment and
    approval both ask it, after locking the official's row (lock_row: official, then cohort)."""
    if cohort is None or cohort.mode not in ATTENDED_MODES:
        return None
    q = (sa.select(Enrollment).join(Cohort, Cohort.id == Enrollment.cohort_id)
         .where(Enrollment.official_id == official.id,
                Enrollment.status.in_(ACTIVE_STATUSES),
                Cohort.id != cohort.id, Cohort.status.in_(("open", "running")),
                Cohort.mode.in_(ATTENDED_MODES),
                Cohort.start_date <= cohort.end_date, Cohort.end_date >= cohort.start_date)
         .order_by(Cohort.start_date, Enrollment.id))
    if ignore is not None and ignore.id is not None:
        q = q.where(Enrollment.id != ignore.id)
    return db.session.scalars(q.limit(1)).first()


AWAY_STATUSES = ("approved", "enrolled", "in_progress")  # holding a seat: away when it runs


def away_warning(official: Official, cohort: Cohort | None) -> str | None:
    """DL "không làm ảnh hưởng đến hoạt động thường xuyên": the warning when, with this
    official, more of their unit's officials than the limit in force (org.queries.away_limit)
    would be in an in-person or blended class during `cohort`'s dates; None otherwise. A
    warning, not a refusal: HR decides (shown at enrollment and at approval)."""
    if cohort is None or cohort.mode not in ATTENDED_MODES or official.unit is None:
        return None
    limit = away_limit(official.unit)
    if limit is None:
        return None
    percent, source = limit
    unit = official.unit
    size = db.session.scalar(sa.select(sa.func.count(Official.id))
                             .where(Official.unit_id == unit.id))
    away = db.session.scalar(
        sa.select(sa.func.count(sa.distinct(Enrollment.official_id)))
        .join(Cohort, Cohort.id == Enrollment.cohort_id)
        .join(Official, Official.id == Enrollment.official_id)
        .where(Official.unit_id == unit.id, Official.id != official.id,
               Enrollment.status.in_(AWAY_STATUSES), Cohort.status.in_(("open", "running")),
               Cohort.mode.in_(ATTENDED_MODES),
               Cohort.start_date <= cohort.end_date, Cohort.end_date >= cohort.start_date)) + 1
    if not size or away * 100 <= percent * size:
        return None
    set_by = "" if source.id == unit.id else f" (do {source.name} đặt)"
    return (f"Lưu ý: trong thời gian lớp {cohort.code} ({vndate(cohort.start_date)}–"
            f"{vndate(cohort.end_date)}), {unit.name} sẽ có {away}/{size} cán bộ đi học cùng lúc "
            f"({vnnum(100 * away / size)}%), quá giới hạn {percent}%{set_by}.")


def _refuse_clash(official: Official, cohort: Cohort | None, *,
                  ignore: Enrollment | None = None) -> None:
    other = clashing_enrollment(official, cohort, ignore=ignore) if cohort is not None else None
    if other is None:
        return
    theirs = other.cohort
    raise DomainError(
        f"{official.full_name} đã có lớp {theirs.code} “{theirs.course.name}” "
        f"({theirs.start_date:%d/%m/%Y}–{theirs.end_date:%d/%m/%Y}, "
        f"{vocab.label(vocab.MODES, theirs.mode).lower()}) trùng thời gian với lớp {cohort.code} "
        f"({cohort.start_date:%d/%m/%Y}–{cohort.end_date:%d/%m/%Y}): không thể học hai lớp "
        "trực tiếp hoặc kết hợp cùng lúc. Hãy rút đăng ký lớp kia hoặc chọn lớp khác.")


def _cohort_link(enrollment: Enrollment) -> str:
    return "/khoa-hoc-cua-toi"


def _place(enrollment: Enrollment) -> None:
    """Give the enrollment a seat if one is free, else put it on the waitlist (in arrival order)."""
    cohort = enrollment.cohort
    name = enrollment.course.name
    if cohort is None:
        enrollment.status = "enrolled"
        events.tell(enrollment.official, "enrolled", f"Đã ghi danh khóa “{name}”",
                    "Bạn có thể bắt đầu học trực tuyến.", link=_cohort_link(enrollment))
        return
    lock_row(Cohort, cohort.id)
    if seats_taken(cohort) < cohort.capacity:
        enrollment.status = "enrolled"
        events.tell(enrollment.official, "enrolled", f"Đã ghi danh lớp {cohort.code}",
                    f"Lớp “{name}” khai giảng ngày {cohort.start_date:%d/%m/%Y} tại {cohort.location}.",
                    link=_cohort_link(enrollment))
    else:
        enrollment.status = "waitlisted"
        db.session.flush()
        events.tell(enrollment.official, "waitlisted", f"Lớp {cohort.code} đã đủ: bạn ở danh sách chờ",
                    f"Bạn đứng thứ {waitlist_position(enrollment)} trong danh sách chờ của lớp “{name}”."
                    " Khi có người rút, bạn được chuyển vào lớp và nhận thông báo.",
                    link=_cohort_link(enrollment))
    db.session.flush()


def waitlist_position(enrollment: Enrollment) -> int:
    """1-based place on the cohort's waitlist: by arrival (enrollment id), never stored."""
    return db.session.scalar(sa.select(sa.func.count(Enrollment.id)).where(
        Enrollment.cohort_id == enrollment.cohort_id, Enrollment.status == "waitlisted",
        Enrollment.id <= enrollment.id)) or 0


def enroll_official(official: Official, *, cohort: Cohort | None = None,
                    course: Course | None = None) -> Enrollment:
    """Enroll in a cohort, or in a self-paced online course (no cohort).

    A course that needs approval starts as `requested` and takes a seat only once the unit's HR
    approves; otherwise the official gets a seat or a place on the waitlist at once. An official
    is never twice in the same course at the same time, and a cohort never holds more than its
    capacity — also under concurrent requests (see `_lock`)."""
    course = cohort.course if cohort else course
    if course is None:
        raise DomainError("Chưa chọn khóa học hoặc lớp.")
    if cohort is None and course.mode != "online":
        raise DomainError(f"Khóa “{course.name}” học theo lớp: hãy chọn một lớp đang tuyển.")
    if cohort is not None:
        if cohort.status != "open" or cohort.start_date <= today():
            raise DomainError(f"Lớp {cohort.code} không còn nhận đăng ký.")
        if enrollment_closes(cohort) < today():
            raise DomainError(f"Lớp {cohort.code} đã hết hạn đăng ký "
                              f"({enrollment_closes(cohort):%d/%m/%Y}).")
    lock_row(Official, official.id)
    if cohort is not None:
        lock_row(Cohort, cohort.id)  # before the insert: arrival order = id order = waitlist order
    existing = _active_enrollment(official, course)
    if existing is not None:
        word = "đã hoàn thành" if existing.status == "completed" else "đang đăng ký"
        raise DomainError(f"{official.full_name} {word} khóa “{course.name}”.")
    _refuse_clash(official, cohort)
    enrollment = Enrollment(official_id=official.id, course_id=course.id,
                            cohort_id=cohort.id if cohort else None, status="requested")
    db.session.add(enrollment)
    db.session.flush()
    if not course.requires_approval:
        _place(enrollment)
    return enrollment


def approve_enrollment(enrollment: Enrollment, *, actor: str) -> None:
    """HR of the official's unit approves a request: it then gets a seat or a waitlist place."""
    if enrollment.status != "requested":
        raise DomainError("Chỉ duyệt được đăng ký đang chờ duyệt.")
    lock_row(Official, enrollment.official_id)  # official first; _place locks the cohort after
    _refuse_clash(enrollment.official, enrollment.cohort, ignore=enrollment)
    enrollment.status, enrollment.decided_by = "approved", actor
    events.tell(enrollment.official, "approved", f"Đăng ký khóa “{enrollment.course.name}” được duyệt",
                f"Người duyệt: {actor}.", link=_cohort_link(enrollment))
    _place(enrollment)


def reject_enrollment(enrollment: Enrollment, *, actor: str, reason: str = "") -> None:
    if enrollment.status != "requested":
        raise DomainError("Chỉ từ chối được đăng ký đang chờ duyệt.")
    enrollment.status, enrollment.decided_by = "rejected", actor
    events.tell(enrollment.official, "rejected",
                f"Đăng ký khóa “{enrollment.course.name}” không được duyệt",
                f"Người duyệt: {actor}. {reason}".strip(), link=_cohort_link(enrollment))
    db.session.flush()


def decide_enrollment(enrollment: Enrollment, *, approve: bool, actor: str,
                      reason: str = "") -> None:
    """HR's decision on a request (web and API)."""
    if approve:
        approve_enrollment(enrollment, actor=actor)
    else:
        reject_enrollment(enrollment, actor=actor, reason=reason.strip())
    events.audit("approval", subject_type="official", subject_id=enrollment.official_id,
                 detail=f"{'duyệt' if approve else 'từ chối'} đăng ký {enrollment.course.code}")


def promote_waitlisted(cohort: Cohort) -> list[Enrollment]:
    """Fill free seats from the waitlist, first come first served, and tell those promoted."""
    lock_row(Cohort, cohort.id)
    free = cohort.capacity - seats_taken(cohort)
    promoted = []
    if free <= 0 or cohort.status != "open":
        return promoted
    waiting = db.session.scalars(sa.select(Enrollment).where(
        Enrollment.cohort_id == cohort.id, Enrollment.status == "waitlisted")
        .order_by(Enrollment.id).limit(free)).all()
    for enrollment in waiting:
        enrollment.status = "enrolled"
        events.tell(enrollment.official, "promoted", f"Bạn đã được vào lớp {cohort.code}",
                    f"Có chỗ trống trong lớp “{cohort.course.name}”, khai giảng ngày "
                    f"{cohort.start_date:%d/%m/%Y}.", link=_cohort_link(enrollment))
        promoted.append(enrollment)
    db.session.flush()
    return promoted


def withdraw_enrollment(enrollment: Enrollment, official: Official) -> None:
    """The official withdraws before the class starts; a seat freed goes to the waitlist."""
    if enrollment.official_id != official.id:
        raise NotAllowed("Không thể rút đăng ký của người khác.")
    if enrollment.status not in ("requested", "approved", "enrolled", "waitlisted"):
        raise DomainError("Chỉ rút được đăng ký chưa bắt đầu học.")
    held_seat = enrollment.status in SEAT_STATUSES
    enrollment.status = "withdrawn"
    db.session.flush()
    if held_seat and enrollment.cohort is not None:
        promote_waitlisted(enrollment.cohort)


def cancel_cohort(cohort: Cohort, *, reason: str) -> int:
    """Cancel a cohort that has not finished; everyone still in it is told. Returns how many."""
    if cohort.status in ("finished", "cancelled"):
        raise DomainError(f"Lớp {cohort.code} đã kết thúc hoặc đã hủy.")
    if not reason.strip():
        raise DomainError("Cần ghi lý do hủy lớp.")
    lock_row(Cohort, cohort.id)
    cohort.status, cohort.cancelled_reason = "cancelled", reason.strip()
    affected = db.session.scalars(sa.select(Enrollment).where(
        Enrollment.cohort_id == cohort.id, Enrollment.status.in_(ACTIVE_STATUSES))).all()
    for enrollment in affected:
        enrollment.status = "cancelled"
        events.tell(enrollment.official, "cancelled", f"Lớp {cohort.code} bị hủy",
                    f"Lớp “{cohort.course.name}” dự kiến khai giảng {cohort.start_date:%d/%m/%Y} đã "
                    f"bị hủy. Lý do: {reason.strip()}. Bạn có thể đăng ký lớp khác.",
                    link="/toi")
    db.session.flush()
    return len(affected)


def starts_early(cohort: Cohort, on: date | None = None) -> bool:
    """The class would start before its start date (the school must give a reason)."""
    return (on or today()) < cohort.start_date


def start_cohort(cohort: Cohort, *, reason: str = "", on: date | None = None) -> None:
    """The class begins: seated enrollees are in progress; the waitlist and requests lapse (and
    are told). A class starts from its start date: earlier only with a reason, which is audited,
    and the start date becomes the day it really started (issue 12)."""
    if cohort.status != "open":
        raise DomainError(f"Lớp {cohort.code} không ở trạng thái đang tuyển.")
    on = on or today()
    reason = (reason or "").strip()
    early = starts_early(cohort, on)
    if early and not reason:
        raise DomainError(f"Lớp {cohort.code} khai giảng ngày {cohort.start_date:%d/%m/%Y}: chưa "
                          "đến ngày. Khai giảng sớm cần ghi lý do và xác nhận (danh sách chờ và "
                          "đăng ký chưa duyệt sẽ kết thúc ngay hôm nay).")
    lock_row(Cohort, cohort.id)
    if early:
        events.audit("early_start", subject_type="cohort", subject_id=cohort.id,
                     detail=f"{cohort.code}: khai giảng {on:%d/%m/%Y} thay vì "
                            f"{cohort.start_date:%d/%m/%Y}. Lý do: {reason[:250]}")
        cohort.start_date = on
    cohort.status = "running"
    for enrollment in cohort.enrollments:
        if enrollment.status == "enrolled":
            enrollment.status = "in_progress"
        elif enrollment.status in ("waitlisted", "requested", "approved"):
            enrollment.status = "cancelled"
            events.tell(enrollment.official, "cancelled", f"Lớp {cohort.code} đã khai giảng",
                        f"Lớp “{cohort.course.name}” đã khai giảng ngày {on:%d/%m/%Y}; đăng ký "
                        "của bạn (chờ duyệt hoặc danh sách chờ) đã kết thúc. Bạn có thể đăng ký "
                        "lớp khác.", link="/toi")
    db.session.flush()


def finish_cohort(cohort: Cohort) -> None:
    """Close a running class once every learner has a result (or is marked no-show)."""
    if cohort.status != "running":
        raise DomainError(f"Lớp {cohort.code} chưa khai giảng hoặc đã kết thúc.")
    pending = [e.official.full_name for e in cohort.enrollments if e.status in SEAT_STATUSES]
    if pending:
        raise DomainError(f"Còn {len(pending)} học viên chưa có kết quả: "
                          f"{', '.join(sorted(pending)[:5])}{'…' if len(pending) > 5 else ''}.")
    cohort.status = "finished"
    db.session.flush()


def mark_no_show(enrollment: Enrollment) -> None:
    """Assigned but never came (TQ III.4.4: shown to HR as training skipped)."""
    if enrollment.status not in SEAT_STATUSES:
        raise DomainError("Chỉ ghi “không tham gia” cho học viên đang có chỗ trong lớp.")
    enrollment.status = "no_show"
    db.session.flush()


def remind_starting_cohorts(*, within_days: int = 7) -> int:
    """Tell seated enrollees that their class starts soon (once per enrollment)."""
    soon = db.session.scalars(sa.select(Enrollment).join(Cohort).where(
        Cohort.status == "open", Cohort.start_date > today(),
        Cohort.start_date <= today() + timedelta(days=within_days),
        Enrollment.status == "enrolled")).all()
    sent = 0
    for enrollment in soon:
        cohort = enrollment.cohort
        if events.tell(enrollment.official, "starting", f"Lớp {cohort.code} sắp khai giảng",
                       f"Lớp “{cohort.course.name}” khai giảng ngày {cohort.start_date:%d/%m/%Y} tại "
                       f"{cohort.location}.", link=_cohort_link(enrollment),
                       dedupe_key=f"starting:{enrollment.id}"):
            sent += 1
    return sent


def create_cohort(course: Course, *, code: str, start_date: date, end_date: date, capacity: int,
                  location: str, mode: str, enrollment_deadline: date | None = None,
                  commissioned_by_unit_id: int | None = None) -> Cohort:
    errors = []
    if db.session.scalar(sa.select(Cohort.id).where(Cohort.code == code)):
        errors.append(f"Mã lớp “{code}” đã có.")
    if end_date < start_date:
        errors.append("Ngày kết thúc phải sau ngày khai giảng.")
    if capacity < 1:
        errors.append("Sĩ số tối đa phải từ 1 trở lên.")
    if mode not in vocab.codes(vocab.MODES):
        errors.append("Hình thức học không hợp lệ.")
    if enrollment_deadline is not None and enrollment_deadline >= start_date:
        errors.append("Hạn đăng ký phải trước ngày khai giảng.")
    if errors:
        raise DomainError(" ".join(errors))
    cohort = Cohort(course_id=course.id, code=code, start_date=start_date, end_date=end_date,
                    capacity=capacity, location=location, mode=mode, status="open",
                    enrollment_deadline=enrollment_deadline,
                    commissioned_by_unit_id=commissioned_by_unit_id)
    db.session.add(cohort)
    db.session.flush()
    return cohort


def check_result(enrollment: Enrollment, *, passed: bool, score: float | None) -> None:
    """The rules a result must meet, checked without writing (record_result, and the results
    preview of the class page)."""
    if enrollment.status not in SEAT_STATUSES:
        raise DomainError(f"Không ghi được kết quả cho đăng ký đang ở trạng thái "
                          f"“{vocab.label(ENROLLMENT_STATUSES, enrollment.status)}”.")
    if score is not None and not 0 <= score <= 10:
        raise DomainError(f"Điểm {vnscore(score)} phải trong khoảng 0–10.")
    if passed and score is not None and score < enrollment.course.pass_mark:
        raise DomainError(f"Điểm {vnscore(score)} thấp hơn điểm đạt {vnscore(enrollment.course.pass_mark)} "
                          "của khóa.")


def record_result(enrollment: Enrollment, *, passed: bool, score: float | None,
                  on: date | None = None, assessor: str = "") -> None:
    """Record a result. A pass (score ≥ the course's pass mark) adds course-completion evidence at
    the course's level for each competency it teaches (the loop of DESIGN.md); the qualification
    it grants is read from the completed enrollment (learning.queries). A fail adds nothing."""
    course = enrollment.course
    check_result(enrollment, passed=passed, score=score)
    on = on or today()
    enrollment.score = score
    enrollment.status = "completed" if passed else "failed"
    enrollment.completed_on = on if passed else None
    if passed:
        for taught in course.teaches:
            db.session.add(Assessment(official_id=enrollment.official_id,
                                      competency_id=taught.competency_id, level=taught.level,
                                      source="course", assessed_on=on, assessor=assessor,
                                      enrollment_id=enrollment.id))
    outcome = "Hoàn thành" if passed else "Chưa đạt"
    events.tell(enrollment.official, "result", f"Kết quả khóa “{course.name}”: {outcome}",
                f"Điểm: {vnscore(score)}." if score is not None else "", link=_cohort_link(enrollment))
    if passed:
        events.completed(enrollment)  # the feedback area invites the learner to rate the course
    events.audit("result", subject_type="official", subject_id=enrollment.official_id,
                 detail=f"{course.code}: {outcome}" + (f", điểm {vnscore(score)}" if score is not None
                                                       else ""))
    db.session.flush()


def record_results(cohort: Cohort, results: dict[int, tuple[str, float | None]], *,
                   assessor: str, on: date | None = None) -> int:
    """Bulk entry for a cohort: {enrollment id: ('completed'|'failed', score)}. All or nothing."""
    return _each_result(cohort, results, lambda enrollment, passed, score: record_result(
        enrollment, passed=passed, score=score, on=on, assessor=assessor))


def check_results(cohort: Cohort, results: dict[int, tuple[str, float | None]]) -> None:
    """record_results' checks without writing: every error, by learner, or nothing."""
    _each_result(cohort, results, lambda enrollment, passed, score: check_result(
        enrollment, passed=passed, score=score))


def _each_result(cohort: Cohort, results: dict[int, tuple[str, float | None]], do) -> int:
    by_id = {e.id: e for e in cohort.enrollments}
    errors, done = [], 0
    for enrollment_id, (outcome, score) in results.items():
        enrollment = by_id.get(enrollment_id)
        if enrollment is None:
            errors.append(f"Đăng ký #{enrollment_id} không thuộc lớp {cohort.code}.")
            continue
        try:
            do(enrollment, outcome == "completed", score)
            done += 1
        except DomainError as e:
            errors.append(f"{enrollment.official.full_name}: {e}")
    if errors:
        raise DomainError(" ".join(errors))
    return done

