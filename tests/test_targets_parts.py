"""The dashboard in parts (issue 11 §2): each part of the officials keeps its tallies between
writes, a write recomputes only the parts it touched, and the sum of the parts is the figure of
the whole — the same rows as the per-date reference after every kind of write."""
from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from flask import g

from trainer.catalog.models import Competency, Course
from trainer.core import cache
from trainer.core.extensions import db
from trainer.people.models import Official
from trainer.targets import operations as ops

PART = 32  # parts of 32 ids: the 300 demo officials fall in about ten, loaded 3 at a time


@pytest.fixture
def demo(app, catalog, monkeypatch):
    from trainer.demo.generate import generate_demo
    monkeypatch.setattr(cache, "PART_SIZE", PART)
    monkeypatch.setattr(ops, "LOAD_PARTS", 3)
    generate_demo(300, 2026)
    db.session.commit()


@pytest.fixture
def computed(monkeypatch):
    """How many parts had their tallies computed (their officials' facts loaded) since the last
    look."""
    seen = []
    load = ops.facts_for

    def counting(where=None, **kwargs):
        facts = load(where, **kwargs)
        seen.append(frozenset(int(i) // PART for i in facts.officials["id"]))
        return facts
    monkeypatch.setattr(ops, "facts_for", counting)

    def look() -> int:
        n = len(frozenset().union(*seen))
        seen.clear()
        return n
    return look


def view(key="province"):
    """One view of the dashboard in a new request (nothing kept in this process's memory)."""
    g.pop("_cached", None)
    return ops.dashboard_rows(cache_key=key)


def reference():
    return ops.dashboard_rows(vectorised=False)


def recomputed(computed) -> int:
    """Views the dashboard, checks it against the reference: how many parts it computed."""
    rows = view()
    n = computed()
    assert rows == reference()
    computed()
    return n


def test_the_parts_add_up_to_the_whole(demo):
    parts = ops.parts_of()
    assert len(parts) >= 8
    whole = ops.dashboard_rows()
    assert view() == whole == reference()
    kinds = {t.criterion["kind"] for t in ops.list_targets()}
    assert {"unit_headcount", "course", "no_gap", "competency"} <= kinds
    assert any(r["forecast_with_cohorts"] for r in whole[1])  # the gains are in the sum
    commune = db.session.scalar(sa.select(Official.unit_id).limit(1))
    where = Official.unit_id == commune
    assert ops.dashboard_rows(where, unit_ids=[commune], cache_key=("commune", commune)) == \
        ops.dashboard_rows(where, unit_ids=[commune], vectorised=False)


def test_a_scope_without_officials_still_counts_its_units(demo, make_unit):
    """No part holds an official of a new commune; its per-unit headcount still counts it."""
    from trainer.org.models import Unit
    province = db.session.scalar(sa.select(Unit).where(Unit.kind == "province"))
    empty = make_unit(parent_id=province.id, name="Trạm Y tế xã Mới Lập")
    db.session.commit()
    where = Official.unit_id == empty.id
    assert ops.parts_of(where) == []
    rows = ops.dashboard_rows(where, unit_ids=[empty.id], cache_key=("empty", empty.id))
    assert rows == ops.dashboard_rows(where, unit_ids=[empty.id], vectorised=False) == \
        ops.dashboard_rows(where, unit_ids=[empty.id])
    assert any(r["by_unit"] and r["total"] == 1 for r in rows[1])


def test_a_write_recomputes_only_the_parts_it_touched(demo, computed):
    from trainer.people.operations import record_assessment
    n = len(ops.parts_of())
    assert recomputed(computed) == n
    assert recomputed(computed) == 0  # kept: nothing computed again

    # an assessment of one official: their part alone
    someone = db.session.scalar(sa.select(Official).order_by(Official.id).offset(100))
    comp = db.session.scalar(sa.select(Competency).order_by(Competency.code))
    record_assessment(someone, comp, 4, source="supervisor", assessor="Trưởng phòng")
    db.session.commit()
    assert recomputed(computed) == 1

    # an official moved to another commune: their part alone, and the per-unit counts follow
    moved = db.session.scalar(sa.select(Official).order_by(Official.id).offset(7))
    other = db.session.scalar(sa.select(Official.unit_id).where(
        Official.unit_id != moved.unit_id).limit(1))
    moved.unit_id = other
    db.session.commit()
    assert recomputed(computed) == 1

    # a course's hours are not an official's row: every part again
    course = db.session.scalar(sa.select(Course).order_by(Course.code))
    course.hours += 1
    db.session.commit()
    assert recomputed(computed) == n


def test_a_new_official_and_a_cohort_date_change_the_next_view(demo, make_official, computed):
    from trainer.learning.models import Cohort
    before = view()
    computed()
    make_official(unit=db.session.get(Official, 1).unit, record_digitised=True)
    db.session.commit()
    assert recomputed(computed) == 1  # the newcomer's part (the last one, or a new one)
    assert view() != before
    cohort = db.session.scalar(sa.select(Cohort).where(Cohort.status == "open").limit(1))
    cohort.end_date += timedelta(days=40)  # the forecast with the scheduled cohorts moves
    db.session.commit()
    assert recomputed(computed) == len(ops.parts_of())  # a cohort is not an official's row


def test_evidence_read_a_range_of_officials_at_a_time(demo, monkeypatch):
    """The facts' evidence and the engine's current levels, read ID_RANGE officials at a time
    (core.frames.id_ranges), equal them read at once."""
    from trainer.core import frames
    from trainer.guidance.operations import load_catalogue, load_population
    whole_facts = ops.facts_for().evidence()
    whole_levels = load_population(load_catalogue()).current
    monkeypatch.setattr(frames, "ID_RANGE", 37)
    assert len(frames.id_ranges(ops.facts_for().officials["id"])) >= 8
    pd.testing.assert_frame_equal(ops.facts_for().evidence(), whole_facts)
    assert np.array_equal(load_population(load_catalogue()).current, whole_levels)
