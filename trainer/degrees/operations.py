"""Multi-year degree cohorts (LC-T1, LC-T2), who should be sent to university (LC-T2), and
completions whose validity runs out. Operations flush, never commit (STYLE.md §3)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd
import sqlalchemy as sa

from courses import vocab
from trainer.catalog.models import (Course, CourseCompetency, CourseModule, Position,
                                    PositionRequirement)
from trainer.core import events
from trainer.core.errors import DomainError
from trainer.core.extensions import db
from trainer.core.frames import select_frame
from trainer.core.display import vnscore
from trainer.core.timeutil import today
from trainer.degrees.models import ModuleResult
from trainer.learning.models import (ACTIVE_STATUSES, ENROLLMENT_STATUSES, SEAT_STATUSES, Cohort,
                                     Enrollment)
from trainer.learning.operations import lock_row, record_result
from trainer.learning.queries import officials_frame
from trainer.org.models import Unit
from trainer.people.models import Official

# --------------------------------------------------------------------------- module results


@dataclass
class ModuleEntry:
    """What one grid submission did: results written, and the enrollments whose degree it
    completed."""
    recorded: int
    granted: list[Enrollment] = field(default_factory=list)


def course_modules(course_id: int, term: int | None = None) -> list[CourseModule]:
    q = sa.select(CourseModule).where(CourseModule.course_id == course_id)
    if term is not None:
        q = q.where(CourseModule.term == term)
    return list(db.session.scalars(q.order_by(CourseModule.term, CourseModule.id)))


def course_terms(course_id: int) -> list[int]:
    return list(db.session.scalars(sa.select(CourseModule.term).distinct()
                                   .where(CourseModule.course_id == course_id)
                                   .order_by(CourseModule.term)))


def record_module_results(cohort: Cohort, term: int,
                          results: dict[tuple[int, int], float], *, on: date | None = None,
                          assessor: str = "") -> ModuleEntry:
    """Upsert module scores of one term for a cohort: {(enrollment id, module id): score 0–10}.
    A module is passed with a score at or above the course's pass mark (5/10 for every shipped
    degree; Circular 01/2018). All or nothing: any bad cell and nothing is written. A failed module
    is simply entered again. When an enrollee has passed every module of the course, the degree
    is granted (grant_degree)."""
    course = cohort.course
    on = on or today()
    if not course_terms(course.id):
        raise DomainError(f"Khóa “{course.name}” không chia học phần.")
    modules = {m.id: m for m in course_modules(course.id, term)}
    if not modules:
        raise DomainError(f"Học kỳ {term} của khóa “{course.name}” không có học phần nào.")
    if not results:
        raise DomainError("Chưa nhập điểm học phần nào.")
    lock_row(Cohort, cohort.id)  # two clerks never grant the same degree twice
    enrollments = {e.id: e for e in db.session.scalars(
        sa.select(Enrollment).where(Enrollment.cohort_id == cohort.id))}
    errors = []
    for (enrollment_id, module_id), score in results.items():
        enrollment, module = enrollments.get(enrollment_id), modules.get(module_id)
        if enrollment is None:
            errors.append(f"Đăng ký #{enrollment_id} không thuộc lớp {cohort.code}.")
            continue
        who = enrollment.official.full_name
        if module is None:
            errors.append(f"{who}: học phần #{module_id} không thuộc học kỳ {term} của khóa.")
        elif enrollment.status not in SEAT_STATUSES:
            errors.append(f"{who}: không ghi được điểm cho đăng ký đang ở trạng thái “"
                          f"{vocab.label(ENROLLMENT_STATUSES, enrollment.status)}”.")
        elif score is None or not 0 <= score <= 10:      # NaN fails both comparisons
            errors.append(f"{who}, học phần “{module.name}”: điểm {vnscore(score)} phải trong "
                          "khoảng 0–10.")
    if errors:
        raise DomainError(" ".join(dict.fromkeys(errors)))

    keys = list(results)
    existing = {(r.enrollment_id, r.module_id): r for r in db.session.scalars(
        sa.select(ModuleResult).where(
            ModuleResult.enrollment_id.in_({e for e, _ in keys}),
            ModuleResult.module_id.in_({m for _, m in keys})))}
    for key, score in results.items():
        row = existing.get(key)
        if row is None:
            row = ModuleResult(enrollment_id=key[0], module_id=key[1])
            db.session.add(row)
        row.score, row.passed, row.recorded_on = float(score), score >= course.pass_mark, on
    db.session.flush()

    entry = ModuleEntry(recorded=len(results))
    touched = sorted({e for e, _ in keys})
    progress = cohort_progress(cohort)
    for enrollment_id in touched:
        p = progress.loc[enrollment_id]
        complete = p["modules_total"] and p["modules_passed"] == p["modules_total"]
        if complete and grant_degree(enrollments[enrollment_id], on=on, assessor=assessor):
            entry.granted.append(enrollments[enrollment_id])
    return entry


def degree_score(enrollment: Enrollment) -> float | None:
    """The hours-weighted mean of the module scores, rounded to 0.01 (None without results)."""
    rows = db.session.execute(sa.select(ModuleResult.score, CourseModule.hours)
                              .join(CourseModule, CourseModule.id == ModuleResult.module_id)
                              .where(ModuleResult.enrollment_id == enrollment.id)).all()
    if not rows:
        return None
    scores = np.array([r[0] for r in rows], dtype=float)
    hours = np.array([r[1] for r in rows], dtype=float)
    mean = (scores * hours).sum() / hours.sum() if hours.sum() > 0 else scores.mean()
    return round(float(mean), 2)


def grant_degree(enrollment: Enrollment, *, on: date | None = None, assessor: str = "") -> bool:
    """Every module passed: record the course completion through learning.record_result, so the
    degree's qualification (đại học / thạc sĩ) and its competency evidence follow exactly as for
    any course. Returns False when it was granted already."""
    if enrollment.status == "completed":
        return False
    modules = course_modules(enrollment.course_id)
    if not modules:
        raise DomainError(f"Khóa “{enrollment.course.name}” không chia học phần.")
    passed = set(db.session.scalars(sa.select(ModuleResult.module_id).where(
        ModuleResult.enrollment_id == enrollment.id, ModuleResult.passed.is_(True))))
    missing = [m for m in modules if m.id not in passed]
    if missing:
        raise DomainError(f"{enrollment.official.full_name} còn {len(missing)} học phần chưa đạt, "
                          "chưa thể công nhận tốt nghiệp.")
    record_result(enrollment, passed=True, score=degree_score(enrollment), on=on,
                  assessor=assessor)
    return True


def degree_progress(enrollment: Enrollment) -> dict:
    """Modules passed out of all, per term; hours passed out of all; the current term (the first
    with a module not yet passed, None when all are)."""
    rows = db.session.execute(
        sa.select(CourseModule.id, CourseModule.code, CourseModule.name, CourseModule.term,
                  CourseModule.hours, ModuleResult.score, ModuleResult.passed)
        .outerjoin(ModuleResult, sa.and_(ModuleResult.module_id == CourseModule.id,
                                         ModuleResult.enrollment_id == enrollment.id))
        .where(CourseModule.course_id == enrollment.course_id)
        .order_by(CourseModule.term, CourseModule.id)).all()
    terms: dict[int, dict] = {}
    for _, code, name, term, hours, score, passed in rows:
        t = terms.setdefault(term, {"term": term, "total": 0, "passed": 0, "hours": 0,
                                    "modules": []})
        t["total"] += 1
        t["passed"] += bool(passed)
        t["hours"] += hours
        t["modules"].append({"code": code, "name": name, "hours": hours, "score": score,
                             "passed": bool(passed), "entered": score is not None})
    hours_total = sum(r.hours for r in rows)
    hours_passed = sum(r.hours for r in rows if r.passed)
    open_terms = [t["term"] for t in terms.values() if t["passed"] < t["total"]]
    return {
        "enrollment": enrollment, "course": enrollment.course,
        "modules_total": len(rows), "modules_passed": sum(bool(r.passed) for r in rows),
        "hours_total": hours_total, "hours_passed": hours_passed,
        "percent": 100.0 * hours_passed / hours_total if hours_total else 0.0,
        "current_term": min(open_terms) if open_terms else None,
        "terms": list(terms.values()), "granted": enrollment.status == "completed",
    }


def cohort_progress(cohort: Cohort) -> pd.DataFrame:
    """Degree progress of every enrollee of a cohort in one query, indexed by enrollment id:
    modules_total, modules_passed, hours_total, hours_passed, current_term (0 = all passed or
    no modules), percent (of hours)."""
    passed = sa.func.coalesce(ModuleResult.passed, sa.false())
    stmt = (sa.select(
        Enrollment.id,
        sa.func.count(CourseModule.id),
        sa.func.sum(sa.case((passed, 1), else_=0)),
        sa.func.coalesce(sa.func.sum(CourseModule.hours), 0),
        sa.func.sum(sa.case((passed, CourseModule.hours), else_=0)),
        sa.func.min(sa.case((sa.not_(passed), CourseModule.term))))
        .select_from(Enrollment)
        .outerjoin(CourseModule, CourseModule.course_id == Enrollment.course_id)
        .outerjoin(ModuleResult, sa.and_(ModuleResult.module_id == CourseModule.id,
                                         ModuleResult.enrollment_id == Enrollment.id))
        .where(Enrollment.cohort_id == cohort.id)
        .group_by(Enrollment.id))
    df = select_frame(stmt, ["enrollment_id", "modules_total", "modules_passed", "hours_total",
                             "hours_passed", "current_term"])
    df = df.set_index("enrollment_id")
    for column in ("modules_total", "modules_passed", "hours_total", "hours_passed",
                   "current_term"):
        df[column] = pd.to_numeric(df[column]).fillna(0).astype(int)
    df["percent"] = np.where(df["hours_total"] > 0,
                             100.0 * df["hours_passed"] / df["hours_total"].clip(lower=1), 0.0)
    return df


def degree_enrollments(official_id: int) -> list[Enrollment]:
    """The official's enrollments in module-based programmes: under way or completed."""
    with_modules = sa.select(CourseModule.course_id)
    return list(db.session.scalars(sa.select(Enrollment).where(
        Enrollment.official_id == official_id, Enrollment.course_id.in_(with_modules),
        Enrollment.status.in_(SEAT_STATUSES + ("completed",)))
        .order_by(Enrollment.created_at.desc())))


# --------------------------------------------------------------------------- LC-T2: service left

@dataclass(frozen=True)
class RetirementRoadmap:
    """Retirement age (in months) by the calendar year in which it is reached: `start` in
    `first_year`, `step` more each following year, never above `final`; `before` applied to
    anyone who reached it before `first_year`."""
    first_year: int
    start: int
    step: int
    final: int
    before: int

    def age_in(self, year: int) -> int:
        if year < self.first_year:
            return self.before
        return min(self.start + self.step * (year - self.first_year), self.final)

    @property
    def final_year(self) -> int:
        return self.first_year + -(-(self.final - self.start) // self.step)


# Legal basis: Bộ luật Lao động 2019 (Điều 169), Nghị định 135/2020/NĐ-CP (hiệu lực 01/01/2021).
# Nam: 60 tuổi 3 tháng năm 2021, mỗi năm thêm 3 tháng, đủ 62 tuổi từ năm 2028.
# Nữ: 55 tuổi 4 tháng năm 2021, mỗi năm thêm 4 tháng, đủ 60 tuổi từ năm 2035.
# The retirement point is the end of the last day of the month in which the age is reached
# (NĐ 135/2020). Working past it (experts, leaders) is a personal decision, not modelled here.
RETIREMENT_ROADMAP = {
    "male": RetirementRoadmap(first_year=2021, start=60 * 12 + 3, step=3, final=62 * 12,
                              before=60 * 12),
    "female": RetirementRoadmap(first_year=2021, start=55 * 12 + 4, step=4, final=60 * 12,
                                before=55 * 12),
}
LC_T2_MIN_YEARS_LEFT = 6          # LC-T2: "còn trên 6 năm công tác"
DAYS_PER_YEAR = 365.25


def retirement_dates(birth_dates: pd.Series, genders: pd.Series) -> pd.Series:
    """Vectorised retirement date (datetime64, NaT for an unknown gender) under the roadmap:
    the first year Y whose retirement age, added to the birth month, falls in Y or earlier."""
    born = pd.to_datetime(pd.Series(birth_dates).reset_index(drop=True))
    month = (born.dt.year * 12 + born.dt.month - 1).to_numpy(dtype="int64")  # month index
    gender = pd.Series(genders).reset_index(drop=True).to_numpy()
    out = np.full(len(month), -1, dtype="int64")
    for code, road in RETIREMENT_ROADMAP.items():
        todo = gender == code
        hit = todo & ((month + road.before) // 12 < road.first_year)
        out[hit] = (month + road.before)[hit]
        todo &= ~hit
        for year in range(road.first_year, road.final_year + 1):   # ≤ 15 passes, not per row
            reached = month + road.age_in(year)
            hit = todo & (reached // 12 <= year)
            out[hit] = reached[hit]
            todo &= ~hit
        out[todo] = (month + road.final)[todo]
    known = out >= 0
    last_day = np.full(len(month), np.datetime64("NaT"), dtype="datetime64[D]")
    first_of_next = (out[known] - 1970 * 12 + 1).astype("datetime64[M]").astype("datetime64[D]")
    last_day[known] = first_of_next - np.timedelta64(1, "D")
    return pd.Series(pd.to_datetime(last_day), index=pd.Series(birth_dates).index)


def retirement_date(birth_date: date, gender: str) -> date:
    if gender not in RETIREMENT_ROADMAP:
        raise DomainError(f"Giới tính “{gender}” không hợp lệ.")
    return retirement_dates(pd.Series([birth_date]), pd.Series([gender])).iloc[0].date()


def years_of_service_left(birth_date: date, gender: str, on: date | None = None) -> float:
    """Years from `on` to the retirement date (days / 365.25), never below 0 (LC-T2)."""
    days = (retirement_date(birth_date, gender) - (on or today())).days
    return max(0.0, days / DAYS_PER_YEAR)


def _education_rank(code: str | None) -> int:
    return max(vocab.rank(vocab.EDUCATION, code), 0) if code else 0


def _degree_course_per_position() -> dict[int, Course]:
    """For each position, the education-granting course that brings an official to the position's
    minimum in the most suitable field ("ngành phù hợp", LC-T2): the lowest sufficient level, then
    the best fit with the position's competency requirements, then the fewest hours."""
    courses = db.session.scalars(sa.select(Course).where(
        Course.qualification_kind == "education")).all()
    teaches: dict[int, dict[int, int]] = {}
    for course_id, comp_id, level in db.session.execute(sa.select(
            CourseCompetency.course_id, CourseCompetency.competency_id, CourseCompetency.level)):
        teaches.setdefault(course_id, {})[comp_id] = level
    needs: dict[int, dict[int, int]] = {}
    for pos_id, comp_id, level in db.session.execute(sa.select(
            PositionRequirement.position_id, PositionRequirement.competency_id,
            PositionRequirement.level)):
        needs.setdefault(pos_id, {})[comp_id] = level
    out = {}
    for pos_id, min_education in db.session.execute(sa.select(Position.id,
                                                              Position.min_education)):
        need = _education_rank(min_education)
        fitting = [c for c in courses if _education_rank(c.qualification_level) >= need]
        if not fitting:
            continue
        req = needs.get(pos_id, {})

        def key(c: Course, req=req, need=need):
            fit = sum(min(teaches.get(c.id, {}).get(k, 0), lvl) for k, lvl in req.items())
            return (_education_rank(c.qualification_level) - need, -fit, c.hours, c.code)
        out[pos_id] = min(fitting, key=key)
    return out


CANDIDATE_COLUMNS = ["id", "code", "full_name", "unit_name", "commune_name", "position_name",
                     "birth_date", "gender", "education_label", "min_education_label",
                     "retirement_date", "years_left", "course_id", "course_code", "course_name",
                     "studying"]


def degree_candidates(where=None, on: date | None = None) -> pd.DataFrame:
    """LC-T2: officials whose effective education is below their position's minimum and who
    have more than 6 years of service left, with the degree course that would bring each to the
    standard and the degree course they are already enrolled in, if any ("studying")."""
    on = on or today()
    df = officials_frame(where, on)
    positions = select_frame(sa.select(Position.id, Position.min_education),
                             ["position_id", "min_education"])
    if df.empty or positions.empty:
        return pd.DataFrame(columns=CANDIDATE_COLUMNS)
    order = {code: i for i, code in enumerate(vocab.codes(vocab.EDUCATION))}
    need = df["position_id"].map(dict(zip(positions["position_id"].astype("Int64"),
                                          positions["min_education"].map(order))))
    df["min_rank"] = pd.to_numeric(need).fillna(-1).astype(int)
    df = df[df["education_rank"] < df["min_rank"]].copy()
    if df.empty:
        return pd.DataFrame(columns=CANDIDATE_COLUMNS)
    df["retirement_date"] = retirement_dates(df["birth_date"], df["gender"])
    df["years_left"] = ((df["retirement_date"] - pd.Timestamp(on)).dt.days
                        / DAYS_PER_YEAR).clip(lower=0)
    df = df[df["years_left"] > LC_T2_MIN_YEARS_LEFT].copy()
    labels = dict(enumerate(label for _, label in vocab.EDUCATION))
    df["education_label"] = df["education_rank"].map(labels)
    df["min_education_label"] = df["min_rank"].map(labels)
    suggested = _degree_course_per_position()
    pos = df["position_id"].astype(int)
    df["course_id"] = pos.map({p: c.id for p, c in suggested.items()}).astype("Int64")
    df["course_code"] = pos.map({p: c.code for p, c in suggested.items()}).astype(object).fillna("")
    df["course_name"] = pos.map({p: c.name for p, c in suggested.items()}).astype(object).fillna("")
    studying = select_frame(
        sa.select(Enrollment.official_id, Course.name).join(Course)
        .where(Enrollment.official_id.in_([int(i) for i in df["id"]]),
               Enrollment.status.in_(ACTIVE_STATUSES), Course.qualification_kind == "education"),
        ["official_id", "course_name"]).drop_duplicates("official_id")
    df["studying"] = (df["id"].map(dict(zip(studying["official_id"], studying["course_name"])))
                      .astype(object).fillna(""))
    df["retirement_date"] = df["retirement_date"].dt.date
    return df.sort_values(["commune_name", "unit_name", "full_name"])[CANDIDATE_COLUMNS]


# --------------------------------------------------------------------------- validity

EXPIRING_COLUMNS = ["enrollment_id", "official_id", "full_name", "official_code", "unit_id",
                    "unit_name", "course_id", "course_code", "course_name", "completed_on",
                    "validity_months", "expires_on", "days_left", "expired"]


def expiring_completions(where=None, within_days: int = 60,
                         on: date | None = None) -> pd.DataFrame:
    """Completed courses with a validity period that expire within the next `within_days` days,
    or have expired already — only the latest completion of each course per official (a retaken
    course is valid again). `expires_on` is the first day it no longer counts, consistent with
    learning.queries.completions_frame (`valid` while completed_on + months > today)."""
    on = on or today()
    cond = where if where is not None else sa.true()
    df = select_frame(
        sa.select(Enrollment.id, Enrollment.official_id, Official.full_name, Official.code,
                  Official.unit_id, Enrollment.course_id, Course.code, Course.name,
                  Enrollment.completed_on, Course.validity_months)
        .join(Course, Course.id == Enrollment.course_id)
        .join(Official, Official.id == Enrollment.official_id)
        .where(Enrollment.status == "completed", Enrollment.completed_on.is_not(None),
               Course.validity_months.is_not(None), cond),
        ["enrollment_id", "official_id", "full_name", "official_code", "unit_id", "course_id",
         "course_code", "course_name", "completed_on", "validity_months"])
    if df.empty:
        return pd.DataFrame(columns=EXPIRING_COLUMNS)
    df = (df.sort_values(["completed_on", "enrollment_id"])
          .drop_duplicates(["official_id", "course_id"], keep="last"))
    done = pd.to_datetime(df["completed_on"])
    months = pd.to_numeric(df["validity_months"]).astype(int)
    expires = pd.Series(pd.NaT, index=df.index, dtype="datetime64[ns]")
    for m in months.unique():          # a few distinct validity periods: one pass each
        expires[months == m] = done[months == m] + pd.DateOffset(months=int(m))
    df["days_left"] = (expires - pd.Timestamp(on)).dt.days.astype(int)
    df["expired"] = df["days_left"] <= 0
    df["expires_on"] = expires.dt.date
    df = df[df["days_left"] <= within_days]
    names = dict(db.session.execute(sa.select(Unit.id, Unit.name).where(  # these units alone
        Unit.id.in_(df["unit_id"].unique().tolist()))).all())
    df["unit_name"] = df["unit_id"].map(names)
    return df.sort_values(["expires_on", "full_name"])[EXPIRING_COLUMNS].reset_index(drop=True)


def remind_expiring(within_days: int = 60, on: date | None = None) -> int:
    """Tell each official, once per completion, that a course stops counting (or has stopped):
    they should take it again. Returns how many notices were sent."""
    rows = expiring_completions(within_days=within_days, on=on)
    if rows.empty:
        return 0
    officials = {o.id: o for o in db.session.scalars(sa.select(Official).where(
        Official.id.in_([int(i) for i in rows["official_id"].unique()])))}
    sent = 0
    for row in rows.itertuples(index=False):
        when = f"{row.expires_on:%d/%m/%Y}"
        if row.expired:
            title = f"Khóa “{row.course_name}” đã hết hiệu lực ngày {when}"
        else:
            title = f"Khóa “{row.course_name}” sắp hết hiệu lực ngày {when}"
        body = (f"Bạn hoàn thành khóa ngày {row.completed_on:%d/%m/%Y}; kết quả có hiệu lực "
                f"{row.validity_months} tháng. Hãy đăng ký học lại để kết quả tiếp tục được tính.")
        if events.tell(officials[int(row.official_id)], "expiring", title, body, link="/toi",
                       dedupe_key=f"expiring:{int(row.enrollment_id)}"):
            sent += 1
    db.session.flush()
    return sent
