"""Post-training reviews (KH-6) and annual training plans (HT-8, LC-9, TQ II.2).

Reviews: some months after a completion the supervisor records whether the official applies what
was learned and the new level of each competency the course teaches (as supervisor assessments);
"no change" flags the official for HR.

Plans: a draft is generated from the unit's officials' learning paths ("thiếu gì học nấy"), edited
by the unit's HR, submitted before 31/12 of the year before (TQ II.2), then approved or returned by
the province, which sends the aggregate demand to the schools. Operations flush, never commit.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
import sqlalchemy as sa
from flask import current_app

from courses import vocab
from trainer.catalog.models import Competency, Course, CourseCompetency, Provider
from trainer.core.errors import DomainError, NotAllowed
from trainer.core.extensions import db
from trainer.core.frames import select_frame
from trainer.core.settings import DEFAULTS
from trainer.core.timeutil import today, utcnow
from trainer.demand.operations import (Needs, priority_settings, balanced_sizes,
                                       compute_needs, priority_scores)
from trainer.learning.models import Cohort, Enrollment
from trainer.org.models import Unit
from trainer.org.queries import is_province_hr, unit_subtree_ids
from trainer.people.models import Official
from trainer.people.operations import record_assessment
from trainer.plans.models import (PLAN_STATUSES, REVIEW_OUTCOMES, USE_AT_WORK_SCALE,
                                  PostTrainingReview, TrainingPlan, TrainingPlanItem,
                                  plan_item_officials)

DEFAULT_REVIEW_AFTER_MONTHS = DEFAULTS["REVIEW_AFTER_MONTHS"]  # the setting (trainer.core.settings)
QUARTERS = (1, 2, 3, 4)
QUARTER_LABELS = {1: "Quý I", 2: "Quý II", 3: "Quý III", 4: "Quý IV"}
EDITABLE = ("draft", "returned")
# A course needed by more officials than this, and by more than a quarter of the plan's seats, is
# split over successive quarters (highest priority first): a commune cannot send everyone at once.
SPLIT_MIN = 10


# =========================================================================== KH-6 reviews


def review_after_months() -> int:
    return int(current_app.config.get("REVIEW_AFTER_MONTHS", DEFAULT_REVIEW_AFTER_MONTHS))


def review_cutoff(months: int, on: date | None = None) -> date:
    """Completions on or before this date are due for review."""
    return (pd.Timestamp(on or today()) - pd.DateOffset(months=months)).date()


def due_reviews(where=None, *, months: int | None = None, on: date | None = None) -> pd.DataFrame:
    """Completed enrollments older than `months` (REVIEW_AFTER_MONTHS) with no review yet, for the
    officials matching `where` (an SQL clause on Official): one query, oldest first."""
    months = review_after_months() if months is None else months
    cond = where if where is not None else sa.true()
    return select_frame(
        sa.select(Enrollment.id, Enrollment.official_id, Official.full_name, Unit.name,
                  Enrollment.course_id, Course.code, Course.name, Enrollment.completed_on)
        .join(Official, Official.id == Enrollment.official_id)
        .join(Unit, Unit.id == Official.unit_id)
        .join(Course, Course.id == Enrollment.course_id)
        .outerjoin(PostTrainingReview, PostTrainingReview.enrollment_id == Enrollment.id)
        .where(Enrollment.status == "completed", Enrollment.completed_on.is_not(None),
               Enrollment.completed_on <= review_cutoff(months, on),
               PostTrainingReview.id.is_(None), cond)
        .order_by(Enrollment.completed_on, Official.full_name, Enrollment.id),
        ["enrollment_id", "official_id", "full_name", "unit_name", "course_id", "course_code",
         "course_name", "completed_on"])


@dataclass
class Taught:
    competency_id: int
    name: str
    level: int  # the level the course brings


def taught_by(course_ids) -> dict[int, list[Taught]]:
    """The competencies each course teaches (one query for all the courses)."""
    rows = db.session.execute(
        sa.select(CourseCompetency.course_id, Competency.id, Competency.name,
                  CourseCompetency.level)
        .join(Competency, Competency.id == CourseCompetency.competency_id)
        .where(CourseCompetency.course_id.in_([int(c) for c in course_ids]))
        .order_by(Competency.code)).all()
    out: dict[int, list[Taught]] = {}
    for course_id, comp_id, name, level in rows:
        out.setdefault(course_id, []).append(Taught(comp_id, name, level))
    return out


def record_review(enrollment: Enrollment, *, outcome: str, levels: dict[int, int], reviewer: str,
                  use_at_work: int | None, on: date | None = None,
                  note: str = "") -> PostTrainingReview:
    """KH-6: the supervisor's review of a completion. Each competency the course teaches gets its
    new level, recorded as a supervisor assessment dated the review date; the supervisor also
    says how much of the course the official uses at work (USE_AT_WORK_SCALE, required for every
    new review; reviews recorded before the question existed keep it empty). One review per
    enrollment."""
    if outcome not in dict(REVIEW_OUTCOMES):
        raise DomainError("Chọn kết quả vận dụng sau đào tạo.")
    if use_at_work not in dict(USE_AT_WORK_SCALE):
        raise DomainError("Chọn mức vận dụng nội dung khóa học vào công việc (từ 1 đến 5).")
    if enrollment.status != "completed" or enrollment.completed_on is None:
        raise DomainError("Chỉ đánh giá sau đào tạo được khóa học đã hoàn thành.")
    if db.session.scalar(sa.select(PostTrainingReview.id).where(
            PostTrainingReview.enrollment_id == enrollment.id)) is not None:
        raise DomainError(f"Khóa “{enrollment.course.name}” của {enrollment.official.full_name} "
                          f"đã được đánh giá sau đào tạo.")
    on = on or today()
    if on < enrollment.completed_on:
        raise DomainError("Ngày đánh giá không được trước ngày hoàn thành khóa học.")
    taught = {t.competency_id: t for t in taught_by([enrollment.course_id]).get(
        enrollment.course_id, [])}
    unknown = set(levels) - set(taught)
    if unknown:
        raise DomainError("Chỉ ghi mức cho các năng lực mà khóa học bồi dưỡng.")
    missing = [t.name for cid, t in taught.items() if levels.get(cid) is None]
    if missing:
        raise DomainError(f"Nhập mức mới cho: {', '.join(missing)}.")
    competencies = {c.id: c for c in db.session.scalars(
        sa.select(Competency).where(Competency.id.in_(list(taught))))}
    for comp_id in taught:
        record_assessment(enrollment.official, competencies[comp_id], int(levels[comp_id]),
                          source="supervisor", assessor=reviewer, on=on)
    review = PostTrainingReview(enrollment_id=enrollment.id, outcome=outcome, reviewer=reviewer,
                                reviewed_on=on, note=note.strip(), use_at_work=use_at_work)
    db.session.add(review)
    db.session.flush()
    return review


def reviews_of(official_id: int) -> list[PostTrainingReview]:
    return list(db.session.scalars(
        sa.select(PostTrainingReview).join(Enrollment)
        .where(Enrollment.official_id == official_id)
        .order_by(PostTrainingReview.reviewed_on.desc(), PostTrainingReview.id.desc())))


def officials_flagged_no_change(where=None) -> pd.DataFrame:
    """KH-6 warning: officials whose latest post-training review found that their capacity did not
    change (consider another placement). A later review that finds them applying what they
    learned clears the flag. One query; `where` is an SQL clause on Official (e.g. a scope).
    Columns: official_id, full_name, unit_id, unit_name, course_name, reviewed_on, reviewer,
    note."""
    cond = where if where is not None else sa.true()
    frame = select_frame(
        sa.select(Official.id, Official.full_name, Official.unit_id, Unit.name, Course.name,
                  PostTrainingReview.reviewed_on, PostTrainingReview.id,
                  PostTrainingReview.outcome, PostTrainingReview.reviewer,
                  PostTrainingReview.note)
        .select_from(PostTrainingReview)
        .join(Enrollment, Enrollment.id == PostTrainingReview.enrollment_id)
        .join(Official, Official.id == Enrollment.official_id)
        .join(Unit, Unit.id == Official.unit_id)
        .join(Course, Course.id == Enrollment.course_id)
        .where(cond),
        ["official_id", "full_name", "unit_id", "unit_name", "course_name", "reviewed_on",
         "review_id", "outcome", "reviewer", "note"])
    latest = frame.sort_values(["official_id", "reviewed_on", "review_id"]).groupby(
        "official_id").tail(1)
    flagged = latest[latest["outcome"] == "no_change"]
    return flagged.drop(columns=["review_id", "outcome"]).sort_values(
        ["unit_name", "full_name"]).reset_index(drop=True)


# =========================================================================== plans: drafting


def submission_deadline(year: int) -> date:
    """TQ II.2: a plan for `year` is due before 31/12 of the year before."""
    return date(year - 1, 12, 31)


def is_late(plan: TrainingPlan, on: date | None = None) -> bool:
    """Submitted after the deadline, or still not submitted once it has passed."""
    deadline = submission_deadline(plan.year)
    if plan.submitted_at is not None:
        return plan.submitted_at.date() > deadline
    return (on or today()) > deadline


def quarter_of(day: date) -> int:
    return (day.month - 1) // 3 + 1


def _depths(courses: list[int], prerequisites: np.ndarray) -> dict[int, int]:
    """Length of the longest chain of prerequisites among `courses` (catalogue indices)."""
    inside = set(courses)
    depth: dict[int, int] = {}

    def walk(k: int, seen: frozenset) -> int:
        if k not in depth:
            before = [j for j in np.flatnonzero(prerequisites[k]) if j in inside and j not in seen]
            depth[k] = 1 + max((walk(int(j), seen | {k}) for j in before), default=-1)
        return depth[k]

    for k in courses:
        walk(k, frozenset())
    return depth


def _open_cohort_quarters(course_ids: list[int],
                          year: int) -> dict[int, list[tuple[int, str, date]]]:
    """Per course: (quarter, code, start) of its open cohorts starting in `year`."""
    rows = db.session.execute(
        sa.select(Cohort.course_id, Cohort.code, Cohort.start_date)
        .where(Cohort.course_id.in_(course_ids), Cohort.status == "open",
               Cohort.start_date >= date(year, 1, 1), Cohort.start_date <= date(year, 12, 31))
        .order_by(Cohort.start_date)).all()
    out: dict[int, list] = {}
    for course_id, code, start in rows:
        out.setdefault(course_id, []).append((quarter_of(start), code, start))
    return out


@dataclass
class DraftItem:
    course_id: int
    quarter: int
    official_ids: list[int]
    priority: float
    note: str = ""


def plan_items(needs: Needs, year: int, *, weights: dict, young_age: int) -> list[DraftItem]:
    """The lines of a draft plan from the needs of the unit's officials.

    Each course someone needs (their learning path, or the qualification their position lacks) is
    a line with all the officials who need it. Quarters: courses are taken prerequisites first
    (the longest chain of prerequisites among the plan's courses), then by priority (mean KH-11
    score of their officials); each goes to the earliest quarter that is after the quarter in
    which each of its officials takes its prerequisites, and that still has room (a quarter of
    the plan's seats) — or to the least loaded allowed quarter. An open cohort of the course
    starting in the plan year fixes the quarter. A large course is split over successive quarters,
    the officials with the highest priority score first."""
    cat, pop = needs.cat, needs.pop
    need = needs.need
    columns = [int(k) for k in np.flatnonzero(need.any(axis=0))]
    if not columns:
        return []
    course_ids = [cat.course_ids[k] for k in columns]
    cohorts = _open_cohort_quarters(course_ids, year)
    total = int(need[:, columns].sum())
    room = max(1, math.ceil(total / 4))
    load = {q: 0 for q in QUARTERS}
    depth = _depths(columns, cat.prerequisites)

    chunks_of: dict[int, list[tuple[np.ndarray, np.ndarray]]] = {}
    priority: dict[int, float] = {}
    for k in columns:
        rows = np.flatnonzero(need[:, k])
        scores = priority_scores(needs, cat.course_ids[k], rows, weights, young_age)["score"]
        order = np.lexsort((pop.official_ids[rows], -scores.to_numpy()))
        rows, score = rows[order], scores.to_numpy()[order]
        priority[k] = float(score.mean())
        parts = balanced_sizes(rows.size, room) if rows.size > max(SPLIT_MIN, room) else [rows.size]
        cuts = np.cumsum(parts)[:-1]
        chunks_of[k] = list(zip(np.split(rows, cuts), np.split(score, cuts)))

    quarter_for: dict[tuple[int, int], int] = {}  # (row, course) → quarter
    items: list[DraftItem] = []
    for k in sorted(columns, key=lambda k: (depth[k], -priority[k], cat.course_ids[k])):
        prereqs = np.flatnonzero(cat.prerequisites[k])
        previous = 0
        for rows, score in chunks_of[k]:
            earliest = 1 + max([previous] + [quarter_for.get((int(r), int(j)), 0)
                                             for r in rows for j in prereqs])
            earliest = min(earliest, 4)  # a chain longer than the year ends in Q IV
            note = ""
            fixed = [c for c in cohorts.get(cat.course_ids[k], []) if c[0] >= earliest]
            if fixed:
                quarter, code, start = fixed[0]
                note = f"Theo lớp {code} khai giảng {start:%d/%m/%Y}"
            else:
                allowed = [q for q in QUARTERS if q >= earliest]
                fits = [q for q in allowed if load[q] == 0 or load[q] + rows.size <= room]
                quarter = fits[0] if fits else min(allowed, key=lambda q: (load[q], q))
            load[quarter] += rows.size
            previous = quarter
            for r in rows:
                quarter_for[(int(r), k)] = quarter
            items.append(DraftItem(course_id=cat.course_ids[k], quarter=quarter,
                                   official_ids=[int(i) for i in pop.official_ids[rows]],
                                   priority=round(float(score.mean()), 3), note=note))
    return items


def _status_label(plan: TrainingPlan) -> str:
    return vocab.label(PLAN_STATUSES, plan.status, plan.status)


def draft_plan(unit: Unit, year: int, *, weights: dict | None = None,
               young_age: int | None = None) -> TrainingPlan:
    """Generate the draft annual plan of `unit` (and the departments under it) for `year` from
    its officials' learning paths. Regenerating replaces a draft, never a plan that was
    submitted, approved or returned."""
    if unit.kind == "province":
        raise DomainError("Kế hoạch được lập cho từng xã, phường, đặc khu; tỉnh tổng hợp.")
    if not 2000 <= year <= 2100:
        raise DomainError("Năm kế hoạch không hợp lệ.")
    plan = db.session.scalar(sa.select(TrainingPlan).where(TrainingPlan.unit_id == unit.id,
                                                          TrainingPlan.year == year))
    if plan is not None and plan.status != "draft":
        raise DomainError(f"Kế hoạch năm {year} của {unit.name} {_status_label(plan).lower()}: "
                          f"không tạo lại dự thảo được.")
    weights, young_age = priority_settings(weights, young_age)
    needs = compute_needs(Official.unit_id.in_(unit_subtree_ids(unit.id)))
    drafted = plan_items(needs, year, weights=weights, young_age=young_age)
    if plan is None:
        plan = TrainingPlan(unit_id=unit.id, year=year, status="draft")
        db.session.add(plan)
    else:
        plan.items.clear()
        plan.created_at = utcnow()
    db.session.flush()
    costs = dict(db.session.execute(sa.select(Course.id, Course.cost).where(
        Course.id.in_({d.course_id for d in drafted}))).all())
    officials = {o.id: o for o in db.session.scalars(sa.select(Official).where(
        Official.id.in_({i for d in drafted for i in d.official_ids})))}
    for d in drafted:
        plan.items.append(TrainingPlanItem(
            course_id=d.course_id, quarter=d.quarter, priority=d.priority, note=d.note,
            cost_estimate=int(costs.get(d.course_id) or 0) * len(d.official_ids),
            officials=[officials[i] for i in d.official_ids]))
    db.session.flush()
    return plan


# =========================================================================== plans: editing


def _check_editable(plan: TrainingPlan) -> None:
    if plan.status not in EDITABLE:
        raise DomainError(f"Kế hoạch {_status_label(plan).lower()}: không sửa được.")


def _recost(item: TrainingPlanItem) -> None:
    item.cost_estimate = int(item.course.cost or 0) * len(item.officials)


def set_item_quarter(item: TrainingPlanItem, quarter: int) -> None:
    _check_editable(item.plan)
    if quarter not in QUARTERS:
        raise DomainError("Quý phải từ I đến IV.")
    item.quarter = quarter
    db.session.flush()


def set_item_note(item: TrainingPlanItem, note: str) -> None:
    _check_editable(item.plan)
    item.note = note.strip()
    db.session.flush()


def remove_item(item: TrainingPlanItem) -> None:
    _check_editable(item.plan)
    item.plan.items.remove(item)
    db.session.flush()


def remove_item_official(item: TrainingPlanItem, official: Official) -> bool:
    """Take one official off a line; the line goes when nobody is left. True if it went."""
    _check_editable(item.plan)
    if official not in item.officials:
        raise DomainError(f"{official.full_name} không có trong dòng kế hoạch này.")
    item.officials.remove(official)
    if not item.officials:
        item.plan.items.remove(item)
        db.session.flush()
        return True
    _recost(item)
    db.session.flush()
    return False


# =========================================================================== plans: lifecycle


can_decide = is_province_hr  # approving and returning plans is the province's


def submit_plan(plan: TrainingPlan) -> bool:
    """Send the plan to the province. Returns True when it is late (after 31/12 of the year
    before, TQ II.2): a late plan is still accepted, flagged."""
    _check_editable(plan)
    plan.status, plan.submitted_at = "submitted", utcnow()
    plan.decided_at, plan.decided_by = None, ""
    db.session.flush()
    return is_late(plan)


def _decide(plan: TrainingPlan, actor) -> None:
    if not can_decide(actor):
        raise NotAllowed("Chỉ cơ quan tổ chức, nhân sự cấp tỉnh phê duyệt hoặc trả lại kế hoạch.")
    if plan.status != "submitted":
        raise DomainError(f"Chỉ xử lý được kế hoạch đã gửi (kế hoạch này: "
                          f"{_status_label(plan).lower()}).")


def approve_plan(plan: TrainingPlan, *, actor) -> None:
    _decide(plan, actor)
    plan.status, plan.decided_at, plan.decided_by = "approved", utcnow(), actor.display_name
    db.session.flush()


def return_plan(plan: TrainingPlan, *, actor, comment: str) -> None:
    """Back to the unit with the province's comment; it can be edited and submitted again."""
    _decide(plan, actor)
    if not comment.strip():
        raise DomainError("Cần ghi ý kiến khi trả lại kế hoạch.")
    plan.status, plan.comment = "returned", comment.strip()
    plan.decided_at, plan.decided_by = utcnow(), actor.display_name
    db.session.flush()


# =========================================================================== plans: reading


def plan_totals(plan: TrainingPlan) -> dict:
    officials = {o.id for item in plan.items for o in item.officials}
    return {"items": len(plan.items), "seats": sum(len(i.officials) for i in plan.items),
            "officials": len(officials), "cost": sum(i.cost_estimate for i in plan.items),
            "per_quarter": {q: sum(len(i.officials) for i in plan.items if i.quarter == q)
                            for q in QUARTERS}}


def plan_frames(plan: TrainingPlan) -> dict[str, pd.DataFrame]:
    """The plan as two sheets with Vietnamese headers: the lines, and one row per official."""
    lines, people = [], []
    for item in sorted(plan.items, key=lambda i: (i.quarter, -i.priority, i.course.code)):
        lines.append({"Quý": QUARTER_LABELS[item.quarter], "Mã khóa": item.course.code,
                      "Khóa học": item.course.name, "Cơ sở đào tạo": item.course.provider.name,
                      "Số cán bộ": len(item.officials),
                      "Chi phí dự kiến (đồng)": item.cost_estimate,
                      "Điểm ưu tiên": round(item.priority, 2), "Ghi chú": item.note,
                      "Cán bộ": ", ".join(o.full_name for o in item.officials)})
        for o in item.officials:
            people.append({"Quý": QUARTER_LABELS[item.quarter], "Mã khóa": item.course.code,
                           "Khóa học": item.course.name, "Mã cán bộ": o.code,
                           "Họ và tên": o.full_name, "Đơn vị": o.unit.name})
    line_cols = ["Quý", "Mã khóa", "Khóa học", "Cơ sở đào tạo", "Số cán bộ",
                 "Chi phí dự kiến (đồng)", "Điểm ưu tiên", "Ghi chú", "Cán bộ"]
    people_cols = ["Quý", "Mã khóa", "Khóa học", "Mã cán bộ", "Họ và tên", "Đơn vị"]
    return {"Kế hoạch": pd.DataFrame(lines, columns=line_cols),
            "Danh sách cán bộ": pd.DataFrame(people, columns=people_cols)}


AGGREGATED = ("submitted", "approved")


def aggregate_demand(year: int, unit_ids: list[int] | None = None) -> pd.DataFrame:
    """What the province sends to the schools: per course (and its provider), the number of
    officials per quarter across the submitted and approved plans of `year` — one query.
    Columns: course_id, code, name, provider, q1…q4, total, cost."""
    q = (sa.select(Course.id, Course.code, Course.name, Provider.name, TrainingPlanItem.quarter,
                   sa.func.count(plan_item_officials.c.official_id),
                   sa.func.sum(Course.cost))
         .select_from(TrainingPlanItem)
         .join(TrainingPlan, TrainingPlan.id == TrainingPlanItem.plan_id)
         .join(plan_item_officials, plan_item_officials.c.item_id == TrainingPlanItem.id)
         .join(Course, Course.id == TrainingPlanItem.course_id)
         .join(Provider, Provider.id == Course.provider_id)
         .where(TrainingPlan.year == year, TrainingPlan.status.in_(AGGREGATED))
         .group_by(Course.id, Course.code, Course.name, Provider.name, TrainingPlanItem.quarter))
    if unit_ids is not None:
        q = q.where(TrainingPlan.unit_id.in_(unit_ids))
    frame = select_frame(q, ["course_id", "code", "name", "provider", "quarter", "n", "cost"])
    columns = ["course_id", "code", "name", "provider", "q1", "q2", "q3", "q4", "total", "cost"]
    if frame.empty:
        return pd.DataFrame({c: pd.Series(dtype="int64" if c not in ("code", "name", "provider")
                                          else object) for c in columns})
    frame = frame.astype({"n": "int64", "cost": "int64", "quarter": "int64"})
    table = frame.pivot_table(index=["course_id", "code", "name", "provider"], columns="quarter",
                              values="n", aggfunc="sum", fill_value=0)
    table = table.reindex(columns=list(QUARTERS), fill_value=0)
    table.columns = [f"q{q}" for q in QUARTERS]
    table["total"] = table.sum(axis=1)
    table["cost"] = frame.groupby(["course_id", "code", "name", "provider"])["cost"].sum()
    table = table.reset_index().sort_values(["provider", "total", "code"],
                                            ascending=[True, False, True])
    return table[columns].astype({c: "int64" for c in columns[4:]}).reset_index(drop=True)


def aggregate_frame(table: pd.DataFrame) -> pd.DataFrame:
    """The aggregate with Vietnamese headers, for Excel."""
    out = table.drop(columns="course_id").rename(columns={
        "code": "Mã khóa", "name": "Khóa học", "provider": "Cơ sở đào tạo", "q1": "Quý I",
        "q2": "Quý II", "q3": "Quý III", "q4": "Quý IV", "total": "Tổng số cán bộ",
        "cost": "Chi phí dự kiến (đồng)"})
    return out


def plan_status_counts(year: int, unit_ids: list[int] | None = None) -> dict[str, int]:
    q = (sa.select(TrainingPlan.status, sa.func.count(TrainingPlan.id))
         .where(TrainingPlan.year == year).group_by(TrainingPlan.status))
    if unit_ids is not None:
        q = q.where(TrainingPlan.unit_id.in_(unit_ids))
    return dict(db.session.execute(q).all())


def plans_overview(year: int, unit_ids: list[int] | None = None) -> list[dict]:
    """One row per plan of `year` (in `unit_ids`, all when None) with its lines, seats and cost,
    and one row per commune still without a plan (plan_id missing) — two queries."""
    items = (sa.select(TrainingPlanItem.plan_id, sa.func.count(sa.distinct(TrainingPlanItem.id))
                       .label("n_items"), sa.func.count(plan_item_officials.c.official_id)
                       .label("seats"))
             .outerjoin(plan_item_officials, plan_item_officials.c.item_id == TrainingPlanItem.id)
             .group_by(TrainingPlanItem.plan_id).subquery())
    costs = (sa.select(TrainingPlanItem.plan_id, sa.func.sum(TrainingPlanItem.cost_estimate)
                       .label("cost")).group_by(TrainingPlanItem.plan_id).subquery())
    q = (sa.select(TrainingPlan.id, TrainingPlan.unit_id, Unit.name, TrainingPlan.status,
                   TrainingPlan.submitted_at, TrainingPlan.created_at,
                   sa.func.coalesce(items.c.n_items, 0), sa.func.coalesce(items.c.seats, 0),
                   sa.func.coalesce(costs.c.cost, 0))
         .join(Unit, Unit.id == TrainingPlan.unit_id)
         .outerjoin(items, items.c.plan_id == TrainingPlan.id)
         .outerjoin(costs, costs.c.plan_id == TrainingPlan.id)
         .where(TrainingPlan.year == year))
    if unit_ids is not None:
        q = q.where(TrainingPlan.unit_id.in_(unit_ids))
    plans = select_frame(q, ["plan_id", "unit_id", "unit_name", "status", "submitted_at",
                             "created_at", "items", "seats", "cost"])
    deadline = submission_deadline(year)
    plans["late"] = [today() > deadline if pd.isna(at) else at.date() > deadline
                     for at in plans["submitted_at"]]  # one per unit: a few hundred at most
    communes = select_frame(sa.select(Unit.id, Unit.name).where(Unit.kind.in_(
        ("commune", "ward", "special_zone")), Unit.closed_on.is_(None)),  # merged: no plan due
        ["unit_id", "unit_name"])
    if unit_ids is not None:
        communes = communes[communes["unit_id"].isin(unit_ids)]
    missing = communes[~communes["unit_id"].isin(plans["unit_id"])].assign(status="none")
    rows = plans.to_dict("records") + missing.to_dict("records")
    return sorted(rows, key=lambda r: (r["unit_name"], r["unit_id"]))
