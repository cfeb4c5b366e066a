"""On-site mentoring (kèm cặp tại chỗ, KH-5): pairing, sessions, closing into evidence,
cancelling. Every rule of a mentorship is here; the pages, the import and the API call these
functions (docs/mentoring.md)."""
from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import sqlalchemy as sa
from sqlalchemy import orm

from courses import vocab
from trainer.auth.models import User
from trainer.catalog.models import Competency
from trainer.core import events
from trainer.core.errors import DomainError
from trainer.core.extensions import db
from trainer.core.tabular import Column, ImportPlan, Table, parse_date
from trainer.core.timeutil import today
from trainer.guidance.operations import catalogue, load_population
from trainer.mentoring.models import MentoringSession, Mentorship
from trainer.people.models import Official
from trainer.people.operations import record_mentoring_assessment, supervisor_of

MAX_MONTHS = 12  # the longest mentorship (KH-5 speaks of on-the-job coaching, not a course)
MAX_DAYS = MAX_MONTHS * 31
MAX_START_AHEAD_DAYS = 366  # a pairing planned for next year at the latest
MIN_SESSION_MINUTES, MAX_SESSION_MINUTES = 15, 480  # a quarter of an hour to a working day
MAX_SESSIONS = 200  # sessions of one mentorship (about one a working day for a year)
CONTENT_MAX, NOTE_MAX = 1000, 1000  # the columns' sizes


def levels_of(officials: list[Official], competency: Competency) -> dict[int, int]:
    """Current levels of a few officials on one competency, read as guidance reads them (the
    recommender's rule over all their evidence): never stored."""
    levels = all_levels_of(officials)
    return {o.id: levels.get((o.id, competency.id), 0) for o in officials}


def all_levels_of(officials) -> dict[tuple[int, int], int]:
    """(official id, competency id) → current level of these officials on every competency
    where it is above 0: one population read, however many (an import's rows)."""
    ids = sorted({o.id for o in officials})
    if not ids:
        return {}
    cat = catalogue()
    pop = load_population(cat, Official.id.in_(ids))
    rows, cols = pop.current.nonzero()
    return {(int(pop.official_ids[r]), cat.competency_ids[c]): int(pop.current[r, c])
            for r, c in zip(rows, cols)}


def current_level(official: Official, competency: Competency) -> int:
    return levels_of([official], competency)[official.id]


def _check_person(official: Official, role: str, unit_scope) -> None:
    if not official.unit.is_open:
        raise DomainError(f"{official.full_name} thuộc đơn vị đã sáp nhập "
                          f"({official.unit.name}): cập nhật đơn vị trước khi phân công.")
    if unit_scope is not None and official.unit_id not in unit_scope:
        raise DomainError(f"{role} {official.full_name} ngoài phạm vi quản lý của bạn.")


def _check_period(start: date, end: date) -> None:
    if end <= start:
        raise DomainError("Ngày kết thúc phải sau ngày bắt đầu.")
    if (end - start).days > MAX_DAYS:
        raise DomainError(f"Thời gian kèm cặp tối đa {MAX_MONTHS} tháng.")
    if start > today() + timedelta(days=MAX_START_AHEAD_DAYS):
        raise DomainError("Ngày bắt đầu không được quá một năm kể từ hôm nay.")
    if end < today():
        raise DomainError("Ngày kết thúc đã qua: không phân công kèm cặp cho thời gian đã qua.")


def check_pairing(mentee: Official, mentor: Official, competency: Competency, *,
                  target_level: int, start: date, end: date, unit_scope=None,
                  levels: dict[tuple[int, int], int] | None = None) -> None:
    """Every rule of a pairing (DomainError on the first broken). `unit_scope`: the unit ids HR
    manages (None: all). The mentor must already hold the target level (a mentor cannot coach
    what they lack; refused, not warned: closing writes authoritative evidence); the mentee must
    not hold it yet; one active mentorship per mentee and competency. `levels`: current levels
    already read (all_levels_of), else read here."""
    if mentor.id == mentee.id:
        raise DomainError("Người kèm cặp phải khác người được kèm cặp.")
    _check_person(mentee, "Người được kèm cặp", unit_scope)
    _check_person(mentor, "Người kèm cặp", unit_scope)
    if not 1 <= target_level <= vocab.MAX_LEVEL:
        raise DomainError(f"Mức mục tiêu phải từ 1 đến {vocab.MAX_LEVEL}.")
    _check_period(start, end)
    if db.session.scalar(sa.select(Mentorship.id).where(
            Mentorship.mentee_id == mentee.id, Mentorship.competency_id == competency.id,
            Mentorship.status == "active")) is not None:
        raise DomainError(f"{mentee.full_name} đang được kèm cặp về “{competency.name}”: kết "
                          f"thúc hoặc hủy đợt đó trước.")
    if levels is None:
        levels = all_levels_of([mentor, mentee])
    mentor_level = levels.get((mentor.id, competency.id), 0)
    if mentor_level < target_level:
        raise DomainError(f"{mentor.full_name} hiện ở mức {mentor_level} về “{competency.name}”, "
                          f"thấp hơn mức mục tiêu {target_level}: chọn người đã đạt mức này.")
    mentee_level = levels.get((mentee.id, competency.id), 0)
    if mentee_level >= target_level:
        raise DomainError(f"{mentee.full_name} đã ở mức {mentee_level} về “{competency.name}”: "
                          f"chọn mức mục tiêu cao hơn.")


def pair_mentor(mentee: Official, mentor: Official, competency: Competency, *,
                target_level: int, start: date, end: date, actor_name: str,
                unit_scope=None) -> Mentorship:
    """HR pairs a mentor with a mentee for one competency, a target level and a period
    (check_pairing's rules); both are told."""
    check_pairing(mentee, mentor, competency, target_level=target_level, start=start, end=end,
                  unit_scope=unit_scope)
    return _create(mentee, mentor, competency, target_level=target_level, start=start, end=end,
                   actor_name=actor_name)


def _create(mentee: Official, mentor: Official, competency: Competency, *, target_level: int,
            start: date, end: date, actor_name: str) -> Mentorship:
    mentorship = Mentorship(mentor_id=mentor.id, mentee_id=mentee.id,
                            competency_id=competency.id, target_level=target_level,
                            start_date=start, end_date=end, status="active",
                            created_by=actor_name[:120])
    db.session.add(mentorship)
    db.session.flush()
    period = f"{start:%d/%m/%Y} – {end:%d/%m/%Y}"
    link = f"/kem-cap/{mentorship.id}"
    events.tell(mentee, "mentoring", f"Bạn được kèm cặp về “{competency.name}”",
                f"{mentor.full_name} ({mentor.unit.name}) sẽ kèm cặp bạn đạt mức {target_level} "
                f"từ {period}.", link=link)
    events.tell(mentor, "mentoring", f"Bạn được phân công kèm cặp {mentee.full_name}",
                f"Kèm cặp về “{competency.name}” đến mức {target_level}, {period}. Ghi lại "
                f"từng buổi kèm cặp trên trang kèm cặp.", link=link)
    events.audit("mentoring", subject_type="official", subject_id=mentee.id,
                 detail=f"Phân công {mentor.full_name} kèm cặp {competency.code} mức "
                        f"{target_level} ({period})")
    return mentorship


def _require_active(mentorship: Mentorship) -> None:
    if mentorship.status != "active":
        raise DomainError("Đợt kèm cặp đã kết thúc hoặc đã hủy: không thay đổi được nữa.")


def log_session(mentorship: Mentorship, *, day: date, minutes: int,
                content: str) -> MentoringSession:
    """The mentor records one session: its day (within the period, not in the future), its
    length and what was worked on."""
    _require_active(mentorship)
    content = (content or "").strip()
    if not content:
        raise DomainError("Ghi nội dung đã kèm cặp.")
    if len(content) > CONTENT_MAX:
        raise DomainError(f"Nội dung tối đa {CONTENT_MAX} ký tự.")
    if not MIN_SESSION_MINUTES <= minutes <= MAX_SESSION_MINUTES:
        raise DomainError(f"Thời lượng một buổi từ {MIN_SESSION_MINUTES} đến "
                          f"{MAX_SESSION_MINUTES} phút.")
    if day > today():
        raise DomainError("Ngày kèm cặp không được ở tương lai.")
    if day < mentorship.start_date:
        raise DomainError(f"Ngày kèm cặp không được trước ngày bắt đầu "
                          f"{mentorship.start_date:%d/%m/%Y}.")
    if day > mentorship.end_date:
        raise DomainError(f"Ngày kèm cặp không được sau ngày kết thúc "
                          f"{mentorship.end_date:%d/%m/%Y}.")
    if len(mentorship.sessions) >= MAX_SESSIONS:
        raise DomainError(f"Một đợt kèm cặp ghi tối đa {MAX_SESSIONS} buổi.")
    session = MentoringSession(day=day, minutes=minutes, content=content)
    mentorship.sessions.append(session)
    db.session.flush()
    return session


# --- Who confirms -------------------------------------------------------------------------------

def confirmer_of(mentorship: Mentorship) -> Official | None:
    """Who confirms the level reached: the mentee's supervisor (people.operations.supervisor_of)
    when they can sign in; None: HR of the mentee's unit confirms (no supervisor, or one
    without an active account)."""
    supervisor = supervisor_of(mentorship.mentee)
    if supervisor is None:
        return None
    has_account = db.session.scalar(sa.select(User.id).where(
        User.official_id == supervisor.id, User.active.is_(True), User.role == "official"))
    return supervisor if has_account is not None else None


def may_confirm(user, mentorship: Mentorship, unit_scope) -> bool:
    """The supervisor (through their own account), or HR in scope when there is none. HR never
    confirms in a supervisor's place: the supervisor knows the work (KH-5)."""
    confirmer = confirmer_of(mentorship)
    if confirmer is not None:
        return user.role == "official" and user.official_id == confirmer.id
    if user.role == "admin":
        return True
    return (user.role == "hr" and unit_scope is not None
            and mentorship.mentee.unit_id in unit_scope)


def close_mentorship(mentorship: Mentorship, *, reached_level: int, confirmer_name: str,
                     note: str = "", on: date | None = None) -> Mentorship:
    """The supervisor confirms the level reached: the mentorship closes and becomes evidence
    of source "mentoring" (level = reached, dated the closing day, assessor = the confirmer),
    the same row an import writes. At least one session must have been logged."""
    _require_active(mentorship)
    if not 0 <= reached_level <= vocab.MAX_LEVEL:
        raise DomainError(f"Mức đạt được phải từ 0 đến {vocab.MAX_LEVEL}.")
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise DomainError(f"Nhận xét tối đa {NOTE_MAX} ký tự.")
    if not mentorship.sessions:
        raise DomainError("Chưa ghi buổi kèm cặp nào: không thể xác nhận kết quả (hủy đợt kèm "
                          "cặp nếu không thực hiện).")
    on = on or today()
    if on < mentorship.start_date:
        raise DomainError("Ngày kết thúc không được trước ngày bắt đầu.")
    record_mentoring_assessment(mentorship.mentee, mentorship.competency, reached_level,
                                assessor=confirmer_name[:120], on=on)
    mentorship.status, mentorship.closed_on = "closed", on
    mentorship.reached_level, mentorship.confirmed_by = reached_level, confirmer_name[:120]
    mentorship.note = note
    db.session.flush()
    reached = ("đạt mức mục tiêu" if reached_level >= mentorship.target_level
               else f"chưa đạt mức mục tiêu {mentorship.target_level}")
    body = (f"{confirmer_name} xác nhận mức {reached_level} về “{mentorship.competency.name}” "
            f"({reached}).")
    link = f"/kem-cap/{mentorship.id}"
    events.tell(mentorship.mentee, "mentoring", "Kết thúc kèm cặp: đã xác nhận kết quả", body,
                link=link)
    events.tell(mentorship.mentor, "mentoring",
                f"Kết thúc kèm cặp {mentorship.mentee.full_name}", body, link=link)
    return mentorship


def cancel_mentorship(mentorship: Mentorship, *, reason: str, actor_name: str) -> Mentorship:
    """HR cancels an active mentorship, with a reason; no evidence is written. The reason is
    kept in `note`, who cancelled in `confirmed_by`, the day in `closed_on`."""
    _require_active(mentorship)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Ghi lý do hủy.")
    if len(reason) > NOTE_MAX:
        raise DomainError(f"Lý do tối đa {NOTE_MAX} ký tự.")
    mentorship.status, mentorship.closed_on = "cancelled", today()
    mentorship.confirmed_by, mentorship.note = actor_name[:120], reason
    db.session.flush()
    title = f"Hủy kèm cặp về “{mentorship.competency.name}”"
    for who in (mentorship.mentee, mentorship.mentor):
        events.tell(who, "mentoring", title, f"Lý do: {reason}",
                    link=f"/kem-cap/{mentorship.id}")
    events.audit("mentoring", subject_type="official", subject_id=mentorship.mentee_id,
                 detail=f"Hủy kèm cặp {mentorship.competency.code}: {reason}"[:300])
    return mentorship



# --- Import of pairs ----------------------------------------------------------------------------

def _parse_target(text: str) -> int:
    if text.isdecimal() and 1 <= int(text) <= vocab.MAX_LEVEL:
        return int(text)
    raise ValueError(f"“{text}” phải là số từ 1 đến {vocab.MAX_LEVEL}")


# The pairs HR would otherwise enter one by one (docs/mentoring.md); officials by their code.
MENTORSHIPS = Table((
    Column("Mã cán bộ được kèm cặp", "mentee", required=True, example="CB900002"),
    Column("Mã năng lực", "competency", required=True),  # the template: the first stored one
    Column("Mức mục tiêu", "target_level", _parse_target, required=True, example="3"),
    Column("Mã người kèm cặp", "mentor", required=True, example="CB900001"),
    Column("Ngày bắt đầu", "start", parse_date, required=True),  # the template: today
    Column("Ngày kết thúc", "end", parse_date, required=True),
))


def plan_mentorships(df: pd.DataFrame, filename: str = "tệp", *, unit_scope=None,
                     actor: str = "") -> ImportPlan:
    """Pairs from a file, each checked by check_pairing (the form's rules, the levels read once
    for every official of the file). A row equal to an active mentorship (same mentee,
    competency, mentor, target and period) is `unchanged`: importing a file again changes
    nothing. Nothing else is updated: a mentorship is changed by closing or cancelling it."""
    rows = list(MENTORSHIPS.read(df, filename))  # the headers first, before any query
    codes = {r.values[k] for r in rows for k in ("mentee", "mentor") if r.values[k]}
    officials = {o.code: o for o in db.session.scalars(sa.select(Official).options(
        orm.joinedload(Official.unit)).where(Official.code.in_(codes)))} if codes else {}
    comps = {c.code: c for c in db.session.scalars(sa.select(Competency))}
    ids = [o.id for o in officials.values()]
    active = {(m.mentee_id, m.competency_id): m for m in db.session.scalars(
        sa.select(Mentorship).where(Mentorship.status == "active",
                                    Mentorship.mentee_id.in_(ids)))} if ids else {}
    levels = all_levels_of(officials.values())
    plan, seen, new = ImportPlan(), {}, []
    for row in rows:
        plan.rows += 1
        v = row.values
        for key in ("mentee", "mentor"):
            if v[key] is not None and v[key] not in officials:
                row.error(key, f"không có cán bộ mã “{v[key]}”")
        if v["competency"] is not None and v["competency"] not in comps:
            row.error("competency", f"không có năng lực mã “{v['competency']}”")
        if row.ok:
            mentee, mentor, comp = officials[v["mentee"]], officials[v["mentor"]], comps[
                v["competency"]]
            key = (mentee.id, comp.id)
            if key in seen:
                row.row_error(f"trùng người được kèm cặp và năng lực với dòng {seen[key]}")
            seen.setdefault(key, row.number)
        if row.ok:
            same = active.get(key)
            if same is not None and (same.mentor_id, same.target_level, same.start_date,
                                     same.end_date) == (mentor.id, v["target_level"],
                                                        v["start"], v["end"]):
                plan.unchanged += 1
                continue
            try:
                check_pairing(mentee, mentor, comp, target_level=v["target_level"],
                              start=v["start"], end=v["end"], unit_scope=unit_scope,
                              levels=levels)
            except DomainError as e:
                row.row_error(str(e).rstrip("."))
        plan.errors.extend(row.errors)
        if row.ok:
            plan.created += 1
            new.append((mentee, mentor, comp, v["target_level"], v["start"], v["end"]))

    def apply() -> None:
        for mentee, mentor, comp, target, start, end in new:
            _create(mentee, mentor, comp, target_level=target, start=start, end=end,
                    actor_name=actor)
    plan.actions.append(apply)
    return plan
