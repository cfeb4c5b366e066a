"""The review cycle in the demo (issue 13), on top of `generate_demo`'s province: what HR, a
school, an official and a unit leader meet once the cycle runs.

* the approved headcount (biên chế) of every unit, per position it holds: most as placed, a
  third of the units one post more (a vacancy), a few one less, a few positions none;
* one or two lecturers a class, from a pool per school, and the learners' answers about most
  finished classes (averages show from 5 answers);
* in the demo commune (the one `hr.xa` manages) a review campaign under way: most officials
  have self-assessed, a part of them confirmed by their supervisor; the demo official `canbo`
  still has to self-assess;
* in the same commune mentorships from the engine's suggestions: the demo official mentored on
  a gap (sessions logged), others active, closed (the "mentoring" evidence written) and one
  cancelled;
* the account `lanhdao`: the demo official's supervisor (confirms reviews and mentorships).

Everything goes through the areas' own operations (the same rules as the screens), on today's
date, after the province is written: `generate_demo`'s rows are left as they were (its
fingerprints, tests/test_demo_bulk.py). Drawn from `random.Random(seed + 17)`, so the same seed
on the same day gives the same rows."""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, time, timedelta

import sqlalchemy as sa

from trainer.audit import operations as audit
from trainer.auth.models import User
from trainer.auth.operations import create_user
from trainer.catalog.models import Competency
from trainer.core.errors import DomainError
from trainer.core.extensions import db
from trainer.core.timeutil import LOCAL_ZONE, today
from trainer.feedback.models import CourseFeedback
from trainer.feedback.operations import add_lecturer
from trainer.guidance.operations import guidance_for
from trainer.learning.models import Cohort, Enrollment
from trainer.mentoring import operations as mentoring
from trainer.org.models import Unit
from trainer.people.models import Official
from trainer.people.operations import supervisor_of
from trainer.reviews import operations as reviews
from trainer.staffing.models import PositionQuota

from . import names
from .generate import DEMO_PASSWORD, DemoSummary, generate_demo

LEADER_USERNAME = "lanhdao"
COMMENTS = (
    "Nội dung sát với công việc ở xã, nhiều tình huống thực tế.",
    "Giảng viên nhiệt tình, giải đáp kỹ các vướng mắc.",
    "Tài liệu nên có thêm ví dụ về hồ sơ trên Cổng dịch vụ công.",
    "Thời lượng thực hành còn ít so với lý thuyết.",
    "Nên chia lớp nhỏ hơn để được thực hành nhiều hơn.",
    "Áp dụng được ngay vào việc tiếp nhận hồ sơ của người dân.",
)
SESSION_TOPICS = ("Hướng dẫn quy trình trên hệ thống một cửa điện tử",
                  "Thực hành soạn thảo văn bản hành chính", "Cùng xử lý hồ sơ thực tế của xã",
                  "Trao đổi kinh nghiệm tiếp công dân", "Rà soát hồ sơ đã xử lý trong tuần")


@dataclass
class CycleSummary:
    quotas: int = 0
    lecturers: int = 0
    feedback: int = 0
    campaign_participants: int = 0
    self_assessed: int = 0
    confirmed: int = 0
    mentorships: int = 0
    logins: tuple = ()


def build_demo(n_officials: int = 1500, seed: int = 2026) -> DemoSummary:
    """The demo province and its review cycle, in the session (flushes, never commits): what
    `trainer setup --demo` and `trainer demo` write."""
    summary = generate_demo(n_officials, seed)
    summary.review_cycle = add_review_cycle(seed)
    summary.logins += list(summary.review_cycle.logins)
    return summary


@audit.as_one("")  # synthetic people: their reviews and mentorships are not audit events
def add_review_cycle(seed: int = 2026, password: str = DEMO_PASSWORD) -> CycleSummary:
    """Add the review cycle to the demo province in the session (flushes, never commits)."""
    rng = random.Random(seed + 17)
    summary = CycleSummary()
    summary.quotas = _quotas(rng)
    summary.lecturers, summary.feedback = _lecturers_and_feedback(rng)
    hr_xa = db.session.scalar(sa.select(User).where(User.username == "hr.xa"))
    canbo = db.session.scalar(sa.select(User).where(User.username == "canbo"))
    if hr_xa is None or canbo is None or canbo.official is None:
        return summary
    commune, official = hr_xa.unit, canbo.official
    _campaign(rng, summary, commune, official)
    summary.mentorships = _mentorships(rng, commune, official)
    leader = supervisor_of(official)
    if leader is not None and db.session.scalar(
            sa.select(User.id).where(sa.or_(User.username == LEADER_USERNAME,
                                            User.official_id == leader.id))) is None:
        create_user(LEADER_USERNAME, password, "official", leader.full_name,
                    official_id=leader.id)
        summary.logins = (("official", LEADER_USERNAME, password,
                           f"Lãnh đạo của {official.full_name}: xác nhận đánh giá, kèm cặp"),)
    db.session.flush()
    return summary


def _quotas(rng: random.Random) -> int:
    """Per open unit and position held there: as placed, then one post more in a third of the
    units, one less in a few, none for a few positions."""
    held = db.session.execute(
        sa.select(Official.unit_id, Official.position_id, sa.func.count())
        .join(Unit, Unit.id == Official.unit_id)
        .where(Unit.closed_on.is_(None), Official.position_id.is_not(None))
        .group_by(Official.unit_id, Official.position_id)
        .order_by(Official.unit_id, Official.position_id)).all()
    by_unit: dict[int, list[list[int]]] = {}
    for unit_id, position_id, n in held:
        by_unit.setdefault(unit_id, []).append([position_id, n])
    rows = []
    for unit_id, positions in by_unit.items():
        draw = rng.random()
        if draw < 0.33:
            rng.choice(positions)[1] += 1
        elif draw < 0.43:
            pick = rng.choice(positions)
            pick[1] = max(0, pick[1] - 1)
        skipped = rng.choice(positions)[0] if rng.random() < 0.1 else None
        rows += [{"unit_id": unit_id, "position_id": p, "approved": n}
                 for p, n in positions if p != skipped]
    if rows:
        db.session.execute(sa.insert(PositionQuota), rows)
    return len(rows)


def _lecturers_and_feedback(rng: random.Random) -> tuple[int, int]:
    """Lecturers from a pool of five per school; answers from three learners in four of each
    finished class, around the class's own quality."""
    cohorts = db.session.execute(
        sa.select(Cohort.id, Cohort.status, Cohort.course_id).order_by(Cohort.id)).all()
    providers = dict(db.session.execute(sa.text(
        "SELECT c.id, c.provider_id FROM courses c")).all())
    pools: dict[int, list[str]] = {}
    n_lecturers = 0
    for cohort_id, _status, course_id in cohorts:
        pool = pools.setdefault(providers[course_id], [
            "TS. " + names.full_name(rng, "Kinh", rng.choice(("male", "female")))
            for _ in range(5)])
        cohort = db.session.get(Cohort, cohort_id)
        for name in rng.sample(pool, rng.choice((1, 1, 2))):
            add_lecturer(cohort, name)
            n_lecturers += 1
    done = db.session.execute(
        sa.select(Enrollment.id, Enrollment.cohort_id, Enrollment.completed_on)
        .join(Cohort, Cohort.id == Enrollment.cohort_id)
        .where(Enrollment.status == "completed", Cohort.status == "finished")
        .order_by(Enrollment.id)).all()
    quality = {c: rng.uniform(3.0, 4.8) for c, _s, _k in cohorts}
    rows = []
    for enrollment_id, cohort_id, completed_on in done:
        if rng.random() >= 0.75:
            continue
        q = quality[cohort_id]
        answer = {k: min(5, max(1, round(rng.gauss(q + shift, 0.8))))
                  for k, shift in (("fit", 0.0), ("lecturers", 0.3), ("materials", -0.4),
                                   ("use_at_work", -0.2))}
        day = (completed_on or today()) + timedelta(days=rng.randint(0, 6))
        rows.append({"enrollment_id": enrollment_id, **answer,
                     "comment": rng.choice(COMMENTS) if rng.random() < 0.25 else "",
                     "created_at": datetime.combine(min(day, today()), time(9),
                                                    tzinfo=LOCAL_ZONE)})
    if rows:
        db.session.execute(sa.insert(CourseFeedback), rows)
    return n_lecturers, len(rows)


def _campaign(rng: random.Random, summary: CycleSummary, commune: Unit,
              official: Official) -> None:
    """A year-end campaign over the demo commune: four in five have self-assessed (their view
    of their current level, a few a step above it), half of those confirmed by the supervisor,
    who brings an overestimate back down with a comment. Officials never assessed before only
    self-assess: what they reach is the supervisor's to say."""
    day = today()
    campaign, _left_out = reviews.open_campaign(
        name=f"Đánh giá năng lực cuối năm {day.year}", period_start=day - timedelta(days=10),
        period_end=day + timedelta(days=20), unit_ids=[commune.id], position_codes=[],
        competency_codes=[], scope=None, owner_unit_id=commune.id,
        actor_name=f"UBND {commune.name}")
    summary.campaign_participants = len(campaign.reviews)
    for review in sorted(campaign.reviews, key=lambda r: r.id):
        if review.official_id == official.id or rng.random() >= 0.8:
            continue
        current = {g.competency_id: g.current for g in guidance_for(review.official,
                                                                   with_mentors=False).gaps}
        own = {lv.competency_id: min(4, current.get(lv.competency_id, 0)
                                     + (1 if rng.random() < 0.2 else 0))
               for lv in review.levels}
        reviews.save_self_assessment(review, own, submit=True)
        summary.self_assessed += 1
        supervisor = reviews.effective_supervisor(review)
        if supervisor is None or not any(current.values()) or rng.random() >= 0.5:
            continue
        decisions = {c: reviews.Decision(current.get(c, 0), "" if level == current.get(c, 0)
                                         else "Chưa thể hiện được mức này trong công việc.")
                     for c, level in own.items()}
        reviews.confirm_review(review, decisions, supervisor=supervisor,
                               actor_name=supervisor.full_name)
        summary.confirmed += 1


def _mentorships(rng: random.Random, commune: Unit, official: Official) -> int:
    """From the engine's suggestions in the demo commune: the demo official mentored on a gap,
    then others until three are active, two closed and one cancelled."""
    day = today()
    in_commune = db.session.scalars(
        sa.select(Official).join(Unit, Unit.id == Official.unit_id)
        .where(sa.or_(Unit.id == commune.id, Unit.parent_id == commune.id),
               Official.position_id.is_not(None))
        .order_by(Official.id)).all()
    mentees = [official] + [o for o in in_commune if o.id != official.id]
    plan = ["active", "active", "active", "closed", "closed", "cancelled"]
    made = 0
    for mentee in mentees:
        if made == len(plan):
            break
        pair = _suggested_pair(mentee)
        if pair is None:
            continue
        mentor, competency, target = pair
        outcome = plan[made]
        start = day - timedelta(days=rng.randint(40, 80))
        try:
            m = mentoring.pair_mentor(mentee, mentor, competency, target_level=target,
                                      start=start, end=start + timedelta(days=150),
                                      actor_name=f"UBND {commune.name}")
        except DomainError:
            continue
        for k in range(rng.randint(2, 5)):
            mentoring.log_session(m, day=start + timedelta(days=7 * (k + 1)),
                                  minutes=rng.choice((60, 90, 120)),
                                  content=rng.choice(SESSION_TOPICS))
        if outcome == "closed":
            confirmer = mentoring.confirmer_of(m)
            mentoring.close_mentorship(
                m, reached_level=target if made == 3 else max(0, target - 1),
                confirmer_name=confirmer.full_name if confirmer else f"UBND {commune.name}")
        elif outcome == "cancelled":
            mentoring.cancel_mentorship(m, reason="Người kèm cặp đi học dài hạn.",
                                        actor_name=f"UBND {commune.name}")
        made += 1
    return made


def _suggested_pair(mentee: Official) -> tuple[Official, Competency, int] | None:
    """The first suggested mentor and one of the gaps they can coach, with the required level."""
    g = guidance_for(mentee)
    by_name = {gap.name: gap for gap in g.gaps if gap.current < gap.required}
    for mentor_id, competency_names, _same_unit in g.mentors:
        for name in competency_names:
            gap = by_name.get(name)
            if gap is not None:
                return (db.session.get(Official, mentor_id),
                        db.session.get(Competency, gap.competency_id), gap.required)
    return None

