"""The official's page (/toi) whatever the province's size (issue 11 §3): it reads this
official's rows by index, the catalogue and its answers from the cache (core.cache, keyed on the
data version), the region's levels only when an answer is computed afresh. The answers are the
same as the province-wide computations they replace, and a committed write changes the next view."""
from __future__ import annotations

import re
from datetime import timedelta

import numpy as np
import sqlalchemy as sa
from flask import g

import recommender
from trainer.catalog.models import Course, Position, PositionRequirement
from trainer.core import cache
from trainer.core.extensions import db
from trainer.core.timeutil import today
from trainer.guidance import operations as guidance
from trainer.learning.models import Enrollment
from trainer.learning.operations import create_cohort, enroll_official, open_cohorts, seats_taken
from trainer.learning.queries import effective_ranks, officials_frame, qualification_status
from trainer.org.queries import regions_of, unit_table
from trainer.people.models import Official
from trainer.people.operations import record_assessment


def _new_request():
    """What the next request sees: nothing kept in memory, only what Redis holds."""
    g.pop("_cached", None)


def _position_with_requirements(n: int = 3):
    """A position requiring at least `n` competencies, with its requirements by competency."""
    for position in db.session.scalars(sa.select(Position).order_by(Position.code)):
        reqs = db.session.scalars(sa.select(PositionRequirement).where(
            PositionRequirement.position_id == position.id)
            .order_by(PositionRequirement.competency_id)).all()
        if len(reqs) >= n:
            return position, reqs
    raise AssertionError("the catalog has no such position")


def _mentors_province_wide(official: Official) -> list[tuple[int, list[str], bool]]:
    """The mentors as computed before the cache: the whole unit table for the region, the
    region's population loaded afresh, the engine on it."""
    cat = guidance.load_catalogue()
    own = guidance.load_population(cat, Official.id == official.id)
    if not (own.required[0] > own.current[0]).any():
        return []
    regions = guidance.unit_regions()  # every unit
    region = regions.get(official.unit_id)
    units = sorted(u for u, r in regions.items() if r == region) if region else [
        official.unit_id]
    pop = guidance.load_population(cat, Official.unit_id.in_(units))
    finder = recommender.MentorFinder(n_neighbors=5).fit(pop.current, pop.unit_ids, pop.region)
    found = finder.suggest(int(np.flatnonzero(pop.official_ids == official.id)[0]),
                           own.required[0])
    return [(int(pop.official_ids[m.official]), [cat.competency_names[c] for c in m.competencies],
             m.same_unit) for m in found]


def _region_world(catalog, province, make_unit, make_official):
    """A mountain region of three units (commune A, its department, commune C) and a rural
    commune B: a learner in A's department lacking three competencies; colleagues in the
    department, in A, in C and in B holding some of them."""
    top, a, b = province
    department = make_unit(code="LCU-X01-VP", name="Văn phòng Xã A", kind="department",
                           parent_id=a.id, region=None)
    c = make_unit(code="LCU-X03", name="Xã C", parent_id=top.id, region="mountain")
    position, reqs = _position_with_requirements()
    learner = make_official(unit=department, position_id=position.id)
    others = {}
    for name, unit, held in (("same_unit", department, [0]), ("commune", a, [0, 1]),
                             ("region", c, [0, 1, 2]), ("region_one", c, [2]),
                             ("other_region", b, [0, 1, 2])):
        o = others[name] = make_official(unit=unit, position_id=position.id)
        for i in held:
            record_assessment(o, reqs[i].competency, 4, source="supervisor",
                              assessor="Trưởng phòng", on=today() - timedelta(days=10))
    db.session.commit()
    return learner, others, reqs, (department, c)


def test_regions_of_a_few_units_are_the_unit_tables(app, province, make_unit):
    top, a, b = province
    department = make_unit(code="LCU-X01-VP", kind="department", parent_id=a.id, region=None)
    team = make_unit(code="LCU-X01-VP-T", kind="department", parent_id=department.id, region=None)
    loose = make_unit(code="LCU-Y", kind="department", parent_id=top.id, region=None)
    db.session.commit()
    table = unit_table()
    expected = {u: r if isinstance(r, str) else None
                for u, r in zip(table["unit_id"], table["region"])}
    assert regions_of(expected) == expected
    assert regions_of([team.id]) == {team.id: "mountain"}  # two levels up
    assert regions_of([loose.id, b.id]) == {loose.id: None, b.id: "rural"}
    assert guidance.unit_regions([team.id, a.id]) == {team.id: "mountain", a.id: "mountain"}


def test_mentors_equal_the_province_wide_computation(app, catalog, province, make_unit,
                                                     make_official):
    learner, others, _, _ = _region_world(catalog, province, make_unit, make_official)
    expected = _mentors_province_wide(learner)
    got = guidance.guidance_for(learner).mentors
    assert got == expected
    ids = [m[0] for m in got]
    assert others["other_region"].id not in ids          # another region
    assert ids[0] == others["same_unit"].id and got[0][2]  # same unit first
    assert set(ids) == {o.id for k, o in others.items() if k != "other_region"}
    _new_request()
    assert guidance.guidance_for(learner).mentors == expected  # from Redis, the same
    for o in others.values():  # and for everyone else in the world
        assert guidance.guidance_for(o).mentors == _mentors_province_wide(o)


def test_the_cached_guidance_is_the_computed_one(app, catalog, province, make_unit,
                                                 make_official):
    learner, _, _, _ = _region_world(catalog, province, make_unit, make_official)
    computed = guidance._guidance(learner, True)
    first = guidance.guidance_for(learner)
    _new_request()
    again = guidance.guidance_for(learner)
    assert first == computed and again == computed
    assert [s.course_id for s in again.path] and again.gaps
    assert guidance.guidance_for(learner, with_mentors=False).mentors == []
    assert guidance.guidance_for(learner, with_mentors=False).path == computed.path


def test_a_write_changes_the_next_view(app, catalog, province, make_unit, make_official,
                                       make_user, login):
    learner, others, reqs, (department, c) = _region_world(catalog, province, make_unit,
                                                           make_official)
    client = login(make_user("official", official_id=learner.id))

    def mentors_shown() -> list[str]:
        page = client.get("/toi").get_data(as_text=True)
        return re.findall(r'<li class="list-group-item small"><strong>([^<]+)</strong> — ', page)

    before = mentors_shown()
    assert others["same_unit"].full_name in before and mentors_shown() == before
    newcomer = make_official(unit=department, full_name="Hoàng Thị Mới Đến",
                             position_id=learner.position_id)
    for r in reqs[:3]:
        record_assessment(newcomer, r.competency, 4, source="test", assessor="Sát hạch")
    db.session.commit()
    after = mentors_shown()
    assert after[0] == "Hoàng Thị Mới Đến"  # same unit, closest: first on the very next view
    gap = reqs[0].competency.name
    assert f"{gap} <span" in client.get("/toi").get_data(as_text=True)
    record_assessment(learner, reqs[0].competency, 4, source="supervisor", assessor="Trưởng phòng")
    db.session.commit()
    assert f"{gap} <span" not in client.get("/toi").get_data(as_text=True)  # gap closed


def test_qualifications_are_officials_frames_and_follow_a_completion(app, catalog, make_official):
    position = db.session.scalar(sa.select(Position).where(
        Position.min_political_theory.is_not(None)).order_by(Position.code))
    course = db.session.scalar(sa.select(Course).where(
        Course.qualification_kind == "political_theory").order_by(Course.hours.desc()))
    official = make_official(position_id=position.id, political_theory=None)
    db.session.commit()

    def frame_ranks() -> dict[str, int]:
        row = officials_frame(Official.id == official.id).iloc[0]
        return {k: int(row[c + "_rank"]) for k, c in (("education", "education"),
                ("political_theory", "political_theory"), ("state_management",
                "state_management"), ("it_level", "it_level"))}

    assert effective_ranks(official) == frame_ranks()
    before = {q["label"]: q for q in qualification_status(official)}
    db.session.add(Enrollment(official_id=official.id, course_id=course.id, status="completed",
                              completed_on=today() - timedelta(days=30)))
    db.session.commit()
    _new_request()
    assert effective_ranks(official) == frame_ranks()
    after = {q["label"]: q for q in qualification_status(official)}
    label = "Lý luận chính trị"
    assert label in after and after[label]["have"] != before[label]["have"]
    assert effective_ranks(official)["political_theory"] > 0


def test_nothing_is_kept_from_a_transaction_that_has_not_committed(app, make_official):
    calls = []

    def compute():
        calls.append(1)
        return len(calls)

    assert cache.cached("uncommitted", "k", compute) == 1
    official = make_official()  # flushed, not committed
    assert cache.cached("uncommitted", "k", compute) == 2  # this transaction's own rows
    assert cache.cached("uncommitted", "k", compute) == 3  # and nothing kept from them
    db.session.rollback()
    _new_request()
    assert cache.cached("uncommitted", "k", compute) == 1  # the value before the write
    assert db.session.get(Official, official.id) is None


def test_open_cohorts_count_the_seats_of_their_own_cohorts(app, catalog, make_official):
    courses = db.session.scalars(sa.select(Course).order_by(Course.code).limit(2)).all()
    start = today() + timedelta(days=30)
    cohorts = [create_cohort(course, code=f"L-{course.code}", start_date=start,
                             end_date=start + timedelta(days=5), capacity=3, location="Xã A",
                             mode="in_person") for course in courses]
    db.session.flush()
    for cohort, n in zip(cohorts, (2, 1)):
        for _ in range(n):
            enroll_official(make_official(), cohort=cohort)
    db.session.commit()
    got = {c.code: seats for c, seats in open_cohorts([c.id for c in courses])}
    assert got == {c.code: c.capacity - seats_taken(c) for c in cohorts} == {
        cohorts[0].code: 1, cohorts[1].code: 2}
    assert [c.code for c, _ in open_cohorts([courses[1].id])] == [cohorts[1].code]


def test_the_pages_statements_do_not_grow_with_the_province(app, catalog, province, make_unit,
                                                           make_official, make_user, login):
    """A view from the cache reads the same statements with 4 units or 40, each bounded by the
    official (no statement over the whole unit table, the officials or their assessments)."""
    learner, _, reqs, (_, c) = _region_world(catalog, province, make_unit, make_official)
    client = login(make_user("official", official_id=learner.id))
    statements = []

    def record(_conn, _cursor, statement, *_):
        statements.append(" ".join(statement.split()))

    def cached_view() -> list[str]:
        assert client.get("/toi").status_code == 200  # computes (the sign-in was a write)
        statements.clear()
        sa.event.listen(db.engine, "before_cursor_execute", record)
        try:
            page = client.get("/toi")
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", record)
        assert page.status_code == 200
        return list(statements)

    small = cached_view()
    for i in range(36):  # a bigger region: more communes, officials and assessments
        unit = make_unit(code=f"LCU-M{i:02d}", name=f"Xã Núi {i}", region="mountain",
                         parent_id=province[0].id)
        for _ in range(3):
            o = make_official(unit=unit, position_id=learner.position_id)
            record_assessment(o, reqs[i % 3].competency, 3, source="self", assessor="Tự đánh giá")
    db.session.commit()
    big = cached_view()
    assert len(big) == len(small)
    for s in big:
        assert not re.search(r"FROM units(?! WHERE)", s), s
        assert "FROM assessments" not in s, s
        if re.search(r"FROM officials\b", s):
            assert "WHERE" in s, s


def test_mentors_equal_the_province_wide_computation_on_a_random_region(
        app, catalog, province, make_unit, make_official):
    """Many colleagues with assessments of every source, on many dates and levels (ties
    included): the same mentors, in the same order, for everyone."""
    import random
    rng = random.Random(11)
    top, a, b = province
    units = [a, b, make_unit(parent_id=top.id, region="mountain"),
             make_unit(kind="department", parent_id=a.id, region=None)]
    position, reqs = _position_with_requirements(4)
    people = [make_official(unit=rng.choice(units), position_id=position.id) for _ in range(40)]
    for o in people:
        for r in rng.sample(reqs, 3):
            for _ in range(rng.randint(1, 2)):
                record_assessment(o, r.competency, rng.randint(0, 4),
                                  source=rng.choice(["self", "supervisor", "test"]),
                                  assessor="Thử", on=today() - timedelta(days=rng.choice([3, 9])))
    db.session.commit()
    shown = 0
    for o in people:
        expected = _mentors_province_wide(o)
        assert guidance.guidance_for(o).mentors == expected, o.id
        shown += bool(expected)
    assert shown > 20


def test_the_expiring_panel_is_the_computed_one_and_follows_a_completion(
        app, catalog, make_official, make_user, login):
    """The "completions to renew" panel of /toi: kept per official and day, its units named
    from those units alone; a retaken course leaves it on the very next view."""
    from trainer.degrees.operations import expiring_completions
    from trainer.degrees.views import expiring_of
    course = db.session.scalar(sa.select(Course).where(Course.code == "BDHVS-ATTT"))
    official = make_official()
    db.session.add(Enrollment(official_id=official.id, course_id=course.id, status="completed",
                              completed_on=today() - timedelta(days=700), score=8.0,
                              source="import"))
    db.session.commit()
    rows = expiring_of(official)
    assert rows == expiring_completions(Official.id == official.id).to_dict("records")
    assert [(r["course_code"], r["unit_name"]) for r in rows] == [("BDHVS-ATTT",
                                                                   official.unit.name)]
    client = login(make_user("official", official_id=official.id))
    assert "Kết quả khóa học cần cập nhật lại" in client.get("/toi").get_data(as_text=True)
    db.session.add(Enrollment(official_id=official.id, course_id=course.id, status="completed",
                              completed_on=today() - timedelta(days=5), score=9.0,
                              source="import"))
    db.session.commit()
    assert "Kết quả khóa học cần cập nhật lại" not in client.get("/toi").get_data(as_text=True)
