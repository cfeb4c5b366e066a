"""The trend and the scheduled gains evaluated on every date in one pass (Facts.counts_on,
facts.level_steps, operations.shares_on) give exactly the numbers of the per-date evaluation
(Facts.counts on each date, kept as the reference): on a generated demo province for every
preset target, as of today and as of a past day (the unit tree of that day), in a commune's
scope; on hand cases at the edges (validity ending at a month's end, several assessments on
one day, ratings known from 1 December, a merged health station); and on random facts."""
from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import recommender
from recommender.evidence import SOURCES
from trainer.catalog.models import Competency, Course
from trainer.core.extensions import db
from trainer.core.timeutil import today
from trainer.learning.models import Enrollment
from trainer.people.models import Assessment, Official, Rating
from trainer.targets import operations as ops
from trainer.targets.facts import Facts, _ns, level_steps
from trainer.targets.presets import BY_CODE, PRESETS, TargetSpec


def spec(criterion, population=None):
    return TargetSpec("T-1", "Mục tiêu thử", "TEST", population or {}, criterion, 100.0,
                      date(2030, 12, 31), preset=False)


def assert_counts_match(facts: Facts, crit: dict, dates: list[date]) -> None:
    """counts_on on all dates = counts on each date (None: no history, an all-False column)."""
    matrix, known = facts.counts_on(crit, dates)
    assert matrix.shape == (facts.n, len(dates))
    for j, d in enumerate(dates):
        one = facts.counts(crit, d)
        if one is None:
            assert not known[j] and not matrix[:, j].any(), (crit, d)
        else:
            assert known[j], (crit, d)
            np.testing.assert_array_equal(matrix[:, j], one, err_msg=f"{crit} on {d}")


def assert_outlooks_match(facts: Facts, targets, months: int = ops.TREND_MONTHS) -> None:
    for t in targets:
        p = ops.progress_of(t, facts)
        fast = ops.trend_of(p, facts, months)
        assert fast == ops.trend_of(p, facts, months, vectorised=False), t.code
        assert ops.scheduled_gains(p, facts) == ops.scheduled_gains(p, facts, vectorised=False), \
            t.code
        assert_counts_match(facts, t.criterion, ops.trend_dates(facts.on, months))


# --------------------------------------------------------------------------- a demo province
@pytest.fixture
def demo(app, catalog):
    from trainer.demo.generate import generate_demo
    generate_demo(300, 2026)
    db.session.commit()


def test_every_preset_on_a_demo_province_equals_the_per_date_evaluation(demo):
    facts = ops.facts_for()
    assert_outlooks_match(facts, PRESETS)
    ends = sorted(set(pd.to_datetime(facts.scheduled_once()["end_date"]).dt.date))
    assert len(ends) > 3  # the demo schedules cohorts: the gains are exercised
    for t in PRESETS:
        assert_counts_match(facts.with_all_scheduled(), t.criterion, ends)
        if t.criterion["kind"] not in ("competency", "no_gap"):  # the copy without evidence
            assert_counts_match(facts.with_all_scheduled(levels=False), t.criterion, ends)
    assert ops.dashboard_rows() == ops.dashboard_rows(vectorised=False)
    changing = [t.code for t in PRESETS if len({v for _, v in ops.trend_of(
        ops.progress_of(t, facts), facts)}) > 2]
    assert {"DL-d", "DL-m", "LC-2"} <= set(changing)  # the trend is not flat: it is tested


def test_a_past_day_and_a_commune_scope_equal_the_per_date_evaluation(demo):
    past = today() - timedelta(days=200)
    assert_outlooks_match(Facts.load(on=past), PRESETS)
    commune = db.session.scalar(sa.select(Official.unit_id).group_by(Official.unit_id)
                                .order_by(sa.func.count().desc()).limit(1))
    where = Official.unit_id == commune
    facts = ops.facts_for(where, unit_ids=[commune])
    assert 0 < facts.n < ops.facts_for().n
    assert_outlooks_match(facts, PRESETS, months=ops.PACE_MONTHS)
    assert ops.dashboard_rows(where, unit_ids=[commune]) == ops.dashboard_rows(
        where, unit_ids=[commune], vectorised=False)


# --------------------------------------------------------------------------- hand cases
def _by_code(model, code):
    return db.session.scalar(sa.select(model).where(model.code == code))


def _completion(official, course_code, completed_on):
    db.session.add(Enrollment(official_id=official.id, course_id=_by_code(Course, course_code).id,
                              status="completed", completed_on=completed_on, score=8.0,
                              source="import"))


def _around(*days: date) -> list[date]:
    """Each day, the day before and after, and the same day one, twelve and 24 months later
    (the month's end clipped as pandas clips it), unsorted on purpose."""
    out = set()
    for d in days:
        at = pd.Timestamp(d)
        out |= {d, d - timedelta(days=1), d + timedelta(days=1)}
        out |= {(at + pd.DateOffset(months=m)).date() for m in (1, 12, 24)}
        out |= {(at + pd.DateOffset(months=m)).date() + timedelta(days=1) for m in (12, 24)}
    return sorted(out, key=lambda d: (d.day, d))


def test_course_validity_at_the_end_of_a_month(app, catalog, make_official):
    """PL-CN2026 (law) is valid 12 months, BDHVS-ATTT (digital) 24: completions on 29 February,
    31 January and 31 March, read on the days where `on − 12 months` clips."""
    days = [date(2024, 2, 29), date(2024, 1, 31), date(2024, 3, 31), date(2025, 2, 28)]
    people = [make_official() for _ in range(5)]
    for person, d in zip(people, days):
        _completion(person, "PL-CN2026", d)
        _completion(person, "BDHVS-ATTT", d + timedelta(days=30))
    _completion(people[4], "DD-CV", date(2024, 3, 31))  # ethics, valid forever
    _completion(people[4], "PL-CN2026", None)  # no date: never counts
    db.session.commit()
    facts = ops.facts_for()
    dates = _around(*days) + [date(2023, 1, 1), date(2027, 6, 30)]
    for crit in ({"kind": "course", "course_codes": ["PL-CN2026"]},
                 {"kind": "course", "course_codes": ["PL-CN2026", "BDHVS-ATTT"]},
                 {"kind": "course", "categories": ["law", "digital"], "match": "all"},
                 {"kind": "course", "categories": ["law", "ethics"], "match": "any"},
                 {"kind": "course", "categories": ["law", "law"], "match": "all"}):
        assert_counts_match(facts, crit, dates)
    law = facts.counts_on({"kind": "course", "course_codes": ["PL-CN2026"]},
                          [date(2025, 2, 28), date(2025, 3, 1)])[0]
    row = facts.row_of([people[0].id])[0]
    assert law[row].tolist() == [True, False]  # 29/02/2024 + 12 months: valid on 28/02/2025


def test_levels_with_same_day_assessments_courses_and_self_assessments(app, catalog,
                                                                        make_official):
    cds02, cds03 = _by_code(Competency, "CDS-02"), _by_code(Competency, "CDS-03")
    d0 = today() - timedelta(days=400)
    a, b, c, d = (make_official() for _ in range(4))

    def ev(who, comp, level, source, on):
        db.session.add(Assessment(official_id=who.id, competency_id=comp.id, level=level,
                                  source=source, assessed_on=on, assessor="x"))
        db.session.flush()

    ev(a, cds02, 1, "supervisor", d0)
    ev(a, cds02, 3, "course", d0)  # same day as the assessment: raises it
    ev(a, cds02, 2, "test", d0 + timedelta(days=40))  # later: the course before it is superseded
    ev(a, cds03, 2, "self", d0)
    ev(b, cds02, 2, "course", d0 + timedelta(days=10))
    ev(b, cds02, 1, "supervisor", d0 + timedelta(days=70))
    ev(b, cds03, 4, "self", d0 + timedelta(days=5))
    ev(b, cds03, 1, "course", d0 + timedelta(days=90))  # course silences the self-assessment
    ev(c, cds02, 3, "supervisor", d0 + timedelta(days=20))
    ev(c, cds02, 1, "supervisor", d0 + timedelta(days=20))  # same day: the later row wins
    ev(c, cds03, 2, "supervisor", today() + timedelta(days=30))  # future: on no past date
    ev(d, cds02, 3, "course", d0 + timedelta(days=50))  # recorded before the assessment of
    ev(d, cds02, 1, "supervisor", d0 + timedelta(days=50))  # the same day: still counts
    ev(d, cds03, 3, "self", d0 + timedelta(days=100))
    ev(d, cds03, 2, "self", d0 + timedelta(days=100))
    db.session.commit()
    facts = ops.facts_for()
    dates = sorted({d0 + timedelta(days=k) for k in range(-2, 120, 3)} | set(
        ops.trend_dates(today())) | {today() + timedelta(days=40)})
    for level in (1, 2, 3):
        assert_counts_match(facts, {"kind": "competency", "codes": ["CDS-02", "CDS-03"],
                                    "level": level}, dates)
        assert_counts_match(facts, {"kind": "competency", "codes": ["CDS-02"], "level": level},
                            dates)
    assert_counts_match(facts, {"kind": "competency", "codes": ["CDS-02", "XX-99"], "level": 1},
                        dates)
    for crit in ({"kind": "no_gap"}, {"kind": "no_gap", "domains": ["digital"]}):
        assert_counts_match(facts, crit, dates)
    keys, levels = facts.level_steps_on(dates)
    for j, on in enumerate(dates):  # the matrix itself, against the library's rule
        full = facts.levels_at(on).reshape(-1)
        np.testing.assert_array_equal(levels[:, j], full[keys])
        rest = np.delete(full, keys)
        assert not rest.any()


def test_ratings_are_known_from_the_first_of_december(app, catalog, make_official):
    a, b, c = make_official(), make_official(), make_official()
    year = today().year
    for who, rows in ((a, [(year - 2, "hoan_thanh"), (year - 1, "xuat_sac")]),
                      (b, [(year - 1, "khong_hoan_thanh"), (year, "hoan_thanh_tot")]),
                      (c, [(year - 3, "hoan_thanh_tot")])):
        for y, rating in rows:
            db.session.add(Rating(official_id=who.id, year=y, rating=rating))
    db.session.commit()
    facts = ops.facts_for()
    dates = _around(date(year - 2, 12, 1), date(year - 1, 12, 1), today()) + [
        date(year - 5, 1, 1), today()]
    for level in ("hoan_thanh", "hoan_thanh_tot", "xuat_sac"):
        assert_counts_match(facts, {"kind": "rating", "level": level}, dates)


def test_quarterly_ratings_are_known_from_the_quarters_last_day(app, catalog, make_official):
    """LC-4 on a quarterly target (docs/ratings.md): the latest quarter ended (or recorded) by
    the date counts, annual and monthly ratings are not read; both paths agree."""
    a, b, c = make_official(), make_official(), make_official()
    year = today().year - 1
    for who, rows in ((a, [(year, "quarter", 1, "xuat_sac"), (year, "quarter", 2, "hoan_thanh")]),
                      (b, [(year, "year", 0, "xuat_sac"), (year, "month", 5, "xuat_sac")]),
                      (c, [(year - 1, "quarter", 4, "hoan_thanh_tot"),
                           (year, "quarter", 3, "khong_hoan_thanh")])):
        for y, kind, no, rating in rows:
            db.session.add(Rating(official_id=who.id, year=y, period=kind, period_no=no,
                                  rating=rating))
    db.session.commit()
    facts = ops.facts_for()
    crit = {"kind": "rating", "level": "hoan_thanh_tot", "period": "quarter"}
    rows = facts.row_of([a.id, b.id, c.id])
    assert facts.counts(crit, date(year, 3, 30))[rows].tolist() == [False, False, True]
    assert facts.counts(crit, date(year, 3, 31))[rows].tolist() == [True, False, True]
    assert facts.counts(crit, date(year, 6, 30))[rows].tolist() == [False, False, True]
    assert facts.counts(crit, date(year, 9, 30))[rows].tolist() == [False, False, False]
    annual = facts.counts({"kind": "rating", "level": "xuat_sac"}, date(year, 12, 1))[rows]
    assert annual.tolist() == [False, True, False]
    dates = _around(date(year, 3, 31), date(year, 6, 30), date(year, 9, 30), today())
    for level in ("hoan_thanh", "hoan_thanh_tot", "xuat_sac"):
        for period in ("quarter", "month", "year"):
            assert_counts_match(facts, {"kind": "rating", "level": level, "period": period},
                                dates)


def test_qualifications_granted_by_courses(app, catalog, make_official):
    a, b = make_official(education="cao_dang"), make_official(political_theory="none")
    _completion(a, "PTIT-DH-CNTT", today() - timedelta(days=100))
    _completion(b, "LLCT-SC", today() - timedelta(days=300))
    _completion(b, "LLCT-TC", today() - timedelta(days=30))
    db.session.commit()
    facts = ops.facts_for()
    dates = _around(today() - timedelta(days=100), today() - timedelta(days=300),
                    today() - timedelta(days=30))
    for crit in ({"kind": "qualification", "qualification": "education", "level": "dai_hoc"},
                 {"kind": "qualification", "qualification": "political_theory",
                  "level": "trung_cap"},
                 {"kind": "qualification", "qualification": "political_theory",
                  "level": "so_cap"}):
        assert_counts_match(facts, crit, dates)
        assert_outlooks_match(facts, [spec(crit)])


def test_a_health_station_merged_on_a_past_day(app, catalog, make_unit, make_official):
    """HT-7 counts stations: one merged into the other 60 days ago. The trend as of today (the
    tree of today) and as of a day before the merge (the tree of that day) equal the per-date
    evaluation; so do the scheduled gains."""
    from trainer.units import operations as unit_ops
    top = make_unit(code="LCU", name="Tỉnh Thử", kind="province", region=None)
    one = make_unit(code="LCU-X01", name="Xã Một", parent_id=top.id)
    two = make_unit(code="LCU-X02", name="Xã Hai", parent_id=top.id)
    st1 = make_unit(code="LCU-X01-YT", name="Trạm Y tế xã Một", kind="department",
                    region=None, parent_id=one.id)
    st2 = make_unit(code="LCU-X02-YT", name="Trạm Y tế xã Hai", kind="department",
                    region=None, parent_id=two.id)
    for i in range(3):
        make_official(unit_id=st1.id, education="dai_hoc", education_field="Y đa khoa")
    late = make_official(unit_id=st1.id, education="cao_dang", education_field="Bác sĩ")
    _completion(late, "PTIT-DH-CNTT", today() - timedelta(days=90))  # a degree, 90 days ago
    for i in range(2):
        make_official(unit_id=st2.id, education="dai_hoc", education_field="Y khoa")
    make_official(unit_id=two.id, education="dai_hoc", education_field="Luật")
    db.session.commit()
    merged_on = today() - timedelta(days=60)
    unit_ops.merge_units(st2, st1, on=merged_on, decision_no="1/NQ", actor="x")
    unit_ops.merge_units(two, one, on=merged_on, decision_no="1/NQ", actor="x")
    db.session.commit()
    headcounts = [BY_CODE["HT-7"],
                  spec({"kind": "unit_headcount", "count": 1, "qualification": "education",
                        "level": "dai_hoc", "field_contains": ["luật"]}),
                  spec({"kind": "unit_headcount", "count": 2, "unit_name_contains": "tram y te"})]
    for facts in (ops.facts_for(), Facts.load(on=merged_on - timedelta(days=10))):
        assert_outlooks_match(facts, headcounts)
    before = Facts.load(on=merged_on - timedelta(days=10))
    p = ops.progress_of(BY_CODE["HT-7"], before)
    assert p.total == 2  # two stations on that day
    trend = dict(ops.trend_of(p, before))
    assert trend[before.on] == 50.0 and trend[ops.trend_dates(before.on)[0]] == 0.0


def test_undated_criteria_have_only_todays_point(app, catalog, make_official):
    make_official(record_digitised=True)
    make_official(digital_signature=True)
    db.session.commit()
    facts = ops.facts_for()
    for kind in ("record_digitised", "digital_signature"):
        assert_counts_match(facts, {"kind": kind}, ops.trend_dates(today()) + [
            today() + timedelta(days=5)])
        trend = ops.trend_of(ops.progress_of(spec({"kind": kind}), facts), facts)
        assert [v for _, v in trend[:-1]] == [None] * ops.TREND_MONTHS and trend[-1][1] == 50.0


# --------------------------------------------------------------------------- random facts
day = st.dates(min_value=date(2023, 1, 1), max_value=date(2026, 12, 31))
near = st.integers(0, 3).map(lambda k: date(2025, 1, 1) + timedelta(days=k))  # ties are common
SOURCE = st.sampled_from(SOURCES)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.tuples(st.integers(0, 2), st.integers(0, 1), st.integers(0, 4), near,
                               SOURCE), min_size=6, max_size=16),
       grid=st.lists(near, min_size=1, max_size=5))
def test_level_steps_equal_current_levels_on_every_date(rows, grid):
    """Few keys and days: several rows of a key on one day, of every source, in any order."""
    ev = pd.DataFrame(rows, columns=["official", "competency", "level", "date", "source"])
    ev["date"] = pd.to_datetime(ev["date"])
    grid = sorted(grid)
    keys, levels = level_steps(ev, 2, _ns(grid))
    for j, on in enumerate(grid):
        full = recommender.current_levels(ev[ev["date"] <= pd.Timestamp(on)], 3, 2).reshape(-1)
        np.testing.assert_array_equal(levels[:, j], full[keys])
        assert not np.delete(full, keys).any()


COURSES = [("A", "law", 12.0), ("B", "law", 1.0), ("C", "digital", None), ("D", "ethics", 24.0),
           ("E", "digital", 6.0)]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(done=st.lists(st.tuples(st.integers(1, 4), st.integers(0, len(COURSES) - 1),
                               st.one_of(st.none(), day)), max_size=25),
       ratings=st.lists(st.tuples(st.integers(1, 4), st.integers(2021, 2026),
                                  st.sampled_from(["hoan_thanh", "hoan_thanh_tot", "xuat_sac",
                                                   "khong_hoan_thanh"]),
                                  st.one_of(st.just(("year", 0)),  # KH-7: quarters and months
                                            st.tuples(st.just("quarter"), st.integers(1, 4)),
                                            st.tuples(st.just("month"), st.integers(1, 12)))),
                        max_size=16, unique_by=lambda r: (r[0], r[1], r[3])),
       dates=st.lists(day, min_size=1, max_size=6),
       today_=day)
def test_courses_ratings_and_granted_levels_on_random_facts(done, ratings, dates, today_):
    """Facts made by hand (no database): every dated criterion on random dates."""
    officials = pd.DataFrame({"id": [1, 2, 3, 4, 5],
                              "political_theory": ["none", "so_cap", "trung_cap", "none",
                                                   "cao_cap"]})
    completions = pd.DataFrame(
        [(o, COURSES[c][0], COURSES[c][1], COURSES[c][2], pd.Timestamp(d) if d else pd.NaT,
          "political_theory" if c == 4 else None, "trung_cap" if c == 4 else None)
         for o, c, d in done],
        columns=["official_id", "course_code", "category", "validity_months", "completed_on",
                 "qual_kind", "qual_level"])
    completions["completed_on"] = pd.to_datetime(completions["completed_on"])
    facts = Facts(today_, officials, completions,
                  pd.DataFrame([(o, y, kind, no, r) for o, y, r, (kind, no) in ratings],
                               columns=["official_id", "year", "period", "period_no", "rating"]),
                  None, 35)
    for crit in ({"kind": "course", "course_codes": ["A", "B"]},
                 {"kind": "course", "course_codes": ["E"]},
                 {"kind": "course", "categories": ["law", "digital"], "match": "all"},
                 {"kind": "course", "categories": ["law", "digital", "ethics"], "match": "any"},
                 {"kind": "rating", "level": "hoan_thanh"},
                 {"kind": "rating", "level": "xuat_sac"},
                 {"kind": "rating", "level": "hoan_thanh_tot", "period": "quarter"},
                 {"kind": "rating", "level": "hoan_thanh", "period": "month"},
                 {"kind": "qualification", "qualification": "political_theory",
                  "level": "trung_cap"}):
        assert_counts_match(facts, crit, dates)
