"""Reads of the feedback area: who sees which averages, and the averages by course, by class
and by lecturer, computed in SQL (one aggregate query per table, never a loop over answers).

Anonymity (docs/feedback.md). The smallest set of answers anyone can tell apart is a class's
(or a course's self-paced learners'): every table is a union of such sets. An answer counts
only once its set holds MIN_ANSWERS answers; so every group shown rests on at least that many,
and no difference between two groups shown (a course minus one of its classes, a lecturer minus
a class) can isolate fewer. The averages of a group with nothing counted are never read out of
the database (`CASE WHEN count >= MIN_ANSWERS`)."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa

from trainer.catalog.models import Course, Provider
from trainer.core.extensions import db
from trainer.core.frames import select_frame
from trainer.feedback.models import MIN_ANSWERS, QUESTIONS, CourseFeedback
from trainer.learning.models import Cohort, CohortLecturer, Enrollment
from trainer.org.queries import is_province_hr

KEYS = [key for key, _ in QUESTIONS]
COMMENTS_SHOWN = 200
NOT_ENOUGH = f"Chưa đủ {MIN_ANSWERS} ý kiến"


@dataclass(frozen=True)
class Scope:
    """What a user reads: one provider's courses (a school) or all (None); comments or not."""
    provider_id: int | None
    comments: bool


def scope_for(user) -> Scope | None:
    """school: its own provider's courses, with comments · province HR and admin: every provider,
    with comments · other HR (district, commune): every provider's averages, without comments
    (a comment may name its writer's commune) · anyone else: nothing (None)."""
    if user.role == "school":
        return Scope(user.provider_id, True) if user.provider_id else None
    if user.role == "admin" or is_province_hr(user):
        return Scope(None, True)
    if user.role == "hr":
        return Scope(None, False)
    return None


def _counted_sets():
    """The (course, class) sets of answers holding at least MIN_ANSWERS answers; self-paced
    answers (no class) form one set per course (class key 0)."""
    cohort_key = sa.func.coalesce(Enrollment.cohort_id, 0)
    return (sa.select(Enrollment.course_id.label("course_id"), cohort_key.label("cohort_key"))
            .select_from(CourseFeedback)
            .join(Enrollment, Enrollment.id == CourseFeedback.enrollment_id)
            .group_by(Enrollment.course_id, cohort_key)
            .having(sa.func.count(CourseFeedback.id) >= MIN_ANSWERS)
            .subquery("counted_sets"))


def _answers(columns, scope: Scope, counted):
    """SELECT columns FROM every answer in scope, with its set's row when the set is counted."""
    stmt = (sa.select(*columns).select_from(CourseFeedback)
            .join(Enrollment, Enrollment.id == CourseFeedback.enrollment_id)
            .join(Course, Course.id == Enrollment.course_id)
            .join(Provider, Provider.id == Course.provider_id)
            .outerjoin(counted, sa.and_(
                counted.c.course_id == Enrollment.course_id,
                counted.c.cohort_key == sa.func.coalesce(Enrollment.cohort_id, 0))))
    if scope.provider_id is not None:
        stmt = stmt.where(Course.provider_id == scope.provider_id)
    return stmt


def _measures(counted) -> list:
    """The number of counted answers and each question's average over them; NULL (nothing read
    out) for a group under MIN_ANSWERS counted answers."""
    is_counted = counted.c.course_id.is_not(None)
    answers = sa.func.count(counted.c.course_id)
    enough = answers >= MIN_ANSWERS
    out = [sa.case((enough, answers), else_=sa.null()).label("answers")]
    for key in KEYS:
        average = sa.func.avg(sa.case((is_counted, getattr(CourseFeedback, key)), else_=sa.null()))
        out.append(sa.case((enough, sa.cast(average, sa.Float)), else_=sa.null()).label(key))
    return out


MEASURES = ["answers"] + KEYS


def _frame(stmt, columns: list[str]) -> pd.DataFrame:
    """The group rows; a hidden measure is None (not NaN), for pages, Excel and JSON alike."""
    frame = select_frame(stmt, columns + MEASURES)
    frame["answers"] = pd.Series([None if pd.isna(n) else int(n) for n in frame["answers"]],
                                 index=frame.index, dtype=object)
    for key in KEYS:
        values = frame[key].astype(float).round(2)
        frame[key] = values.astype(object).where(values.notna(), None)
    return frame


def by_course(scope: Scope) -> pd.DataFrame:
    """One row a course with any answer: course_id, course_code, course_name, provider_name,
    answers (None under the threshold), the four averages."""
    counted = _counted_sets()
    stmt = (_answers([Course.id, Course.code, Course.name, Provider.name, *_measures(counted)],
                     scope, counted)
            .group_by(Course.id, Course.code, Course.name, Provider.name)
            .order_by(Provider.name, Course.name, Course.id))
    return _frame(stmt, ["course_id", "course_code", "course_name", "provider_name"])


def by_cohort(scope: Scope) -> pd.DataFrame:
    """One row a class with any answer: cohort_id, cohort_code, course_name, provider_name,
    start_date, answers, the four averages."""
    counted = _counted_sets()
    stmt = (_answers([Cohort.id, Cohort.code, Course.name, Provider.name, Cohort.start_date,
                      *_measures(counted)], scope, counted)
            .join(Cohort, Cohort.id == Enrollment.cohort_id)
            .group_by(Cohort.id, Cohort.code, Course.name, Provider.name, Cohort.start_date)
            .order_by(Provider.name, Course.name, Cohort.start_date, Cohort.code))
    return _frame(stmt, ["cohort_id", "cohort_code", "course_name", "provider_name",
                         "start_date"])


def by_lecturer(scope: Scope) -> pd.DataFrame:
    """One row a lecturer (a name within a provider) whose classes have any answer: provider_id,
    provider_name, lecturer, classes (the classes of theirs with answers), answers, the four
    averages over the answers of every class they taught."""
    counted = _counted_sets()
    stmt = (_answers([Provider.id, Provider.name, CohortLecturer.name,
                      sa.func.count(sa.distinct(Enrollment.cohort_id)), *_measures(counted)],
                     scope, counted)
            .join(CohortLecturer, CohortLecturer.cohort_id == Enrollment.cohort_id)
            .group_by(Provider.id, Provider.name, CohortLecturer.name)
            .order_by(Provider.name, CohortLecturer.name))
    return _frame(stmt, ["provider_id", "provider_name", "lecturer", "classes"])


def course_in_scope(scope: Scope, course_id: int) -> Course | None:
    course = db.session.get(Course, course_id)
    if course is None or (scope.provider_id is not None
                          and course.provider_id != scope.provider_id):
        return None
    return course


def comments_on(course_id: int) -> list[str] | None:
    """The comments of a course's counted answers, in the order of their text (no name, no date,
    no class: nothing that tells who wrote them); None when fewer than MIN_ANSWERS answers of the
    course are counted."""
    counted = _counted_sets()
    answers = db.session.scalar(
        _answers([sa.func.count(counted.c.course_id)], Scope(None, True), counted)
        .where(Enrollment.course_id == course_id))
    if (answers or 0) < MIN_ANSWERS:
        return None
    return list(db.session.scalars(
        _answers([CourseFeedback.comment], Scope(None, True), counted)
        .where(Enrollment.course_id == course_id, counted.c.course_id.is_not(None),
               CourseFeedback.comment != "")
        .order_by(CourseFeedback.comment).limit(COMMENTS_SHOWN)))


def given_for(official_id: int) -> dict[int, CourseFeedback]:
    """The official's own answers, by enrollment (their list of courses shows which are done)."""
    return {f.enrollment_id: f for f in db.session.scalars(
        sa.select(CourseFeedback).join(Enrollment, Enrollment.id == CourseFeedback.enrollment_id)
        .where(Enrollment.official_id == official_id))}


def export_frames(scope: Scope) -> dict[str, pd.DataFrame]:
    """The three tables as Excel sheets, Vietnamese headers; the same threshold: a group under it
    has empty cells and the note "Chưa đủ 5 ý kiến"."""
    labels = dict(QUESTIONS)

    def measures(frame: pd.DataFrame) -> pd.DataFrame:
        out = pd.DataFrame({"Số ý kiến": frame["answers"]})
        for key in KEYS:
            out[labels[key]] = frame[key]
        out["Ghi chú"] = ["" if n is not None else NOT_ENOUGH for n in frame["answers"]]
        return out

    courses, cohorts, lecturers = by_course(scope), by_cohort(scope), by_lecturer(scope)
    return {
        "Theo khóa học": pd.concat([pd.DataFrame({
            "Mã khóa": courses["course_code"], "Khóa học": courses["course_name"],
            "Cơ sở đào tạo": courses["provider_name"]}), measures(courses)], axis=1),
        "Theo lớp": pd.concat([pd.DataFrame({
            "Mã lớp": cohorts["cohort_code"], "Khóa học": cohorts["course_name"],
            "Cơ sở đào tạo": cohorts["provider_name"], "Khai giảng": cohorts["start_date"]}),
            measures(cohorts)], axis=1),
        "Theo giảng viên": pd.concat([pd.DataFrame({
            "Giảng viên": lecturers["lecturer"], "Cơ sở đào tạo": lecturers["provider_name"],
            "Số lớp có ý kiến": lecturers["classes"]}), measures(lecturers)], axis=1),
    }
