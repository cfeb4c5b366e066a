"""Results kept across requests (trainer.core.cache): keyed on a data version every committed
write advances, so never stale; bookkeeping writes (the audit log) keep them."""
from __future__ import annotations

from trainer.core import cache, events
from trainer.core.extensions import db


def test_a_committed_write_advances_the_version_and_a_rollback_does_not(app, make_official):
    before = cache.data_version()
    official = make_official()
    assert cache.data_version() == before  # flushed, not committed
    db.session.commit()
    after = cache.data_version()
    assert after[0] == before[0] + 1 and after[1] == before[1] + 1
    official.full_name = "Lò Thị Đổi Tên"
    db.session.flush()
    db.session.rollback()
    assert cache.data_version() == after


def test_bookkeeping_writes_keep_the_version(app):
    before = cache.data_version()
    events.audit("unit", subject_type="unit", subject_id=1, detail="xem")
    db.session.commit()
    assert cache.data_version() == before


def test_a_cached_value_is_served_until_the_next_write(app, make_official):
    calls = []

    def compute():
        calls.append(1)
        return len(calls)

    assert cache.cached("test", "k", compute) == 1
    assert cache.cached("test", "k", compute) == 1       # kept
    from flask import g
    g.pop("_cached")                                      # a new request: from Redis
    assert cache.cached("test", "k", compute) == 1 and len(calls) == 1
    make_official()
    db.session.commit()                                   # a write: computed afresh
    assert cache.cached("test", "k", compute) == 2


def test_mentors_see_a_new_assessment_on_the_next_view(app, province, make_official, catalog):
    """The mentors' region levels are cached: the next view after a write still sees it."""
    import sqlalchemy as sa

    from trainer.catalog.models import Competency, Position, PositionRequirement
    from trainer.guidance.operations import guidance_for
    from trainer.people.operations import record_assessment
    _, a, _ = province
    comp = db.session.scalar(sa.select(Competency).order_by(Competency.code))
    position = db.session.scalar(sa.select(Position).join(PositionRequirement).where(
        PositionRequirement.competency_id == comp.id).limit(1))
    level = db.session.scalar(sa.select(PositionRequirement.level).where(
        PositionRequirement.position_id == position.id,
        PositionRequirement.competency_id == comp.id))
    learner = make_official(unit=a, position_id=position.id)
    colleague = make_official(unit=a, position_id=position.id)
    db.session.commit()
    assert colleague.id not in {m[0] for m in guidance_for(learner).mentors}
    record_assessment(colleague, comp, level, source="supervisor", assessor="Trưởng phòng")
    db.session.commit()
    assert colleague.id in {m[0] for m in guidance_for(learner).mentors}


def test_a_write_changes_the_next_dashboard(app, catalog, province, make_official, make_user,
                                            login):
    """The dashboard's table is cached on the data version: a new official counts on the very
    next view (figures are never stale), and a view alone keeps the cache."""
    import re
    top, a, _ = province
    make_official(unit=a, record_digitised=True)
    db.session.commit()
    client = login(make_user("admin"))

    def totals() -> list[str]:
        page = client.get("/muc-tieu/").get_data(as_text=True)
        return re.findall(r'text-end text-nowrap">([\d.]+) / ([\d.]+)', page)

    first = totals()
    version = cache.data_version()
    assert totals() == first and cache.data_version() == version  # served from the cache
    make_official(unit=a)
    db.session.commit()
    after = totals()
    assert after != first
    assert any(int(b[1]) == int(f[1]) + 1 for f, b in zip(first, after))


def test_a_missing_value_is_computed_once_while_others_wait(app):
    """Several processes asking for the same missing value at once (HR users opening the
    dashboard after a write): one computes, the others wait for its value."""
    import threading
    import time

    from flask import g
    calls, answers = [], []

    def compute():
        calls.append(1)
        time.sleep(0.5)
        return "table"

    def ask():
        with app.app_context():
            g.pop("_cached", None)
            answers.append(cache.cached("test-once", "k", compute))

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert answers == ["table"] * 4 and len(calls) == 1


def test_cache_advance_after_a_restore_computes_figures_afresh(app, runner):
    """A restore changes the data outside the app: `trainer cache-advance` moves the version."""
    calls = []

    def compute():
        calls.append(1)
        return len(calls)

    assert cache.cached("test-restore", "k", compute) == 1
    from flask import g
    g.pop("_cached")
    result = runner.invoke(args=["cache-advance"])
    assert result.exit_code == 0, result.output
    assert "tính lại" in result.output
    assert cache.cached("test-restore", "k", compute) == 2


def test_a_write_advances_the_parts_of_the_officials_it_touched(app, make_official, make_user,
                                                                 province, monkeypatch):
    """An official's row moves their part's version; a unit's moves every part's (the
    structure); an account without an official moves only the data version."""
    monkeypatch.setattr(cache, "PART_SIZE", 1)  # a part per official
    _, a, _ = province
    one, other = make_official(unit=a), make_official(unit=a)
    db.session.commit()

    def versions():  # the shared versions: each part's, the data's
        parts = cache.part_versions([one.id, other.id])
        return parts[one.id][0], parts[other.id][0], cache.data_version()[0]

    before = versions()
    one.full_name = "Lò Văn Đổi"
    db.session.commit()
    after = versions()
    assert after[0] != before[0] and after[1] == before[1] and after[2] != before[2]
    make_user("admin")
    assert versions()[:2] == after[:2] and versions()[2] != after[2]
    a.name = "Xã Đổi Tên"
    db.session.commit()
    last = versions()
    assert last[0] != after[0] and last[1] != after[1]
