"""The targets issue 13 adds (docs/targets.md): DL-a "reviewed since the reform" on the evidence,
LC-1b's population of officials whose field of study does not fit their position, DL-b's
communes with an approved annual plan and LC-5's leadership composition per commune — each on
realistic rows, its trend in one pass equal to the per-date evaluation, the dashboard's kept
figures moving after the write that changes them, and commune HR's scope."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from flask import g

from trainer.catalog.models import Competency, Position, PositionField
from trainer.core.extensions import db
from trainer.core.timeutil import today
from trainer.people.models import Assessment
from trainer.plans.models import TrainingPlan
from trainer.targets import criteria
from trainer.targets import operations as ops
from trainer.targets.facts import Facts
from trainer.targets.models import Target
from trainer.targets.presets import BY_CODE, LC_1B_STAND_IN_NOTE, TargetSpec

from tests.test_targets import FORM
from tests.test_targets_trend import assert_counts_match, assert_outlooks_match


def spec(criterion, population=None, code="T-1"):
    return TargetSpec(code, "Mục tiêu thử", "TEST", population or {}, criterion, 100.0,
                      date(2030, 12, 31), preset=False)


def _position(code):
    return db.session.scalar(sa.select(Position).where(Position.code == code))


def _assess(official, day, source="supervisor", code="DD-01", level=2):
    comp = db.session.scalar(sa.select(Competency).where(Competency.code == code))
    db.session.add(Assessment(official_id=official.id, competency_id=comp.id, level=level,
                              source=source, assessed_on=day, assessor="Chủ tịch UBND xã"))


def _around(*days):
    out = set()
    for d in days:
        out |= {d - timedelta(days=1), d, d + timedelta(days=1)}
    return sorted(x for x in out if x <= today())


@pytest.fixture
def communes(province, make_unit):
    top, a, b = province
    c = make_unit(code="LCU-X03", name="Xã C", parent_id=top.id, region="mountain")
    db.session.commit()
    return top, a, b, c


# --------------------------------------------------------------------------- DL-a: reviewed
def test_reviewed_counts_authoritative_assessments_since_the_reform(communes, catalog,
                                                                    make_official):
    _, a, b, _ = communes
    cv = _position("CV-VP")
    since = date(2025, 7, 1)
    reviewed = make_official(unit=a, position_id=cv.id, full_name="Lò Thị Được")
    _assess(reviewed, date(2025, 9, 15))
    tested = make_official(unit=b, position_id=cv.id)
    _assess(tested, date(2026, 3, 2), source="test")
    only_self = make_official(unit=a, position_id=cv.id, full_name="Vàng A Tự")
    _assess(only_self, date(2026, 2, 1), source="self")
    before = make_official(unit=b, position_id=cv.id, full_name="Giàng Văn Cũ")
    _assess(before, date(2025, 6, 30))
    make_official(unit=a)  # no position: not in DL-a's population
    db.session.commit()

    target = BY_CODE["DL-a"]
    assert target.criterion == {"kind": "reviewed", "since": "2025-07-01"}
    facts = ops.facts_for()
    p = ops.progress_of(target, facts)
    assert (p.total, p.counted) == (4, 2)
    missing = ops.missing_of(p, facts).set_index("full_name")["reason"]
    assert missing["Vàng A Tự"] == "Chưa được đánh giá từ 01/07/2025"
    assert missing["Giàng Văn Cũ"] == \
        "Chưa được đánh giá từ 01/07/2025 (lần gần nhất 30/06/2025)"
    # before the first review nobody, then one, then two; the trend's one pass = per date
    days = _around(since, date(2025, 9, 15), date(2026, 3, 2))
    assert_counts_match(facts, target.criterion, days)
    assert [ops.share_at(p, facts, d) for d in (date(2025, 9, 14), date(2025, 9, 15),
                                                date(2026, 3, 2))] == [0.0, 25.0, 50.0]
    assert_outlooks_match(facts, [target])
    assert ops.scheduled_gains(p, facts) == []  # a course is no review
    assert criteria.describe_criterion(target.criterion).endswith("từ ngày 01/07/2025")


def test_reviewed_is_validated_in_vietnamese():
    assert criteria.validate_criterion({"kind": "reviewed", "since": "2025-07-01"}) == []
    assert criteria.validate_criterion({"kind": "reviewed"}) == [
        "Tiêu chí đã đánh giá: cần ngày bắt đầu kỳ đánh giá “since” dạng YYYY-MM-DD."]
    assert criteria.validate_criterion({"kind": "reviewed", "since": "01/07/2025"})
    assert criteria.validate_criterion({"kind": "reviewed", "since": "2025-07-01",
                                        "months": 12}) == ["Tiêu chí: khóa không hỗ trợ months."]


# --------------------------------------------------------------------------- LC-1b: fields
def test_field_mismatch_uses_the_positions_accepted_fields(communes, catalog, make_official):
    _, a, _, _ = communes
    tp = _position("CV-TPHT")
    tp.fields = [PositionField(field="Luật")]
    ld = _position("CV-LDVL")
    ld.fields = []  # accepts any field: cannot be told
    fits = make_official(unit=a, position_id=tp.id, education_field="Ngành Luật hành chính",
                         full_name="Phù Văn Hợp")
    wrong = make_official(unit=a, position_id=tp.id, education_field="Sư phạm Toán",
                          full_name="Lý Thị Lệch")
    make_official(unit=a, position_id=tp.id, education_field="")  # not recorded
    make_official(unit=a, position_id=ld.id, education_field="Sư phạm Toán")
    make_official(unit=a, education_field="Sư phạm Toán")  # no position
    db.session.commit()

    facts = ops.facts_for()
    ids = facts.officials["id"].to_numpy()
    assert set(ids[facts.population({"field_mismatch": True})]) == {wrong.id}
    assert set(ids[facts.population({"field_mismatch": False})]) == {fits.id}
    lc1b = BY_CODE["LC-1b"]
    assert lc1b.population == {"has_position": True, "field_mismatch": True}
    p = ops.progress_of(lc1b, facts)
    assert p.total == 1 and p.counted == 0
    assert ops.missing_of(p, facts)["full_name"].tolist() == ["Lý Thị Lệch"]
    assert "không phù hợp" in criteria.describe_population(lc1b.population)
    assert "stand-in" not in lc1b.note and "Chưa có dữ liệu" not in lc1b.note
    assert criteria.validate_population({"field_mismatch": "yes"}) == [
        "Đối tượng: “field_mismatch” phải là true hoặc false."]


def test_seeding_updates_an_unedited_preset_and_keeps_an_edited_one(app, catalog):
    row = db.session.scalar(sa.select(Target).where(Target.code == "LC-1b"))
    assert row.population == BY_CODE["LC-1b"].population  # seeded with today's definition
    row.population, row.note = {"has_position": True}, LC_1B_STAND_IN_NOTE  # as seeded before
    db.session.commit()
    assert ops.seed_presets() == 1
    db.session.commit()
    db.session.refresh(row)
    assert row.population == {"has_position": True, "field_mismatch": True}
    assert row.note == BY_CODE["LC-1b"].note
    assert ops.seed_presets() == 0
    # edited by HR (a threshold of their own) on the old definition: left alone
    row.population, row.note, row.threshold = {"has_position": True}, LC_1B_STAND_IN_NOTE, 90
    db.session.commit()
    assert ops.seed_presets() == 0
    db.session.refresh(row)
    assert row.population == {"has_position": True} and row.threshold == 90


def test_an_upgraded_database_gets_the_new_presets_on_its_first_target_view(
        app, catalog, client, login, province, make_user):
    """An upgrade runs `trainer db upgrade` only (docs/deploy.md): the target pages seed."""
    db.session.execute(sa.delete(Target).where(Target.code.in_(("DL-a", "DL-b", "LC-5c"))))
    row = db.session.scalar(sa.select(Target).where(Target.code == "LC-1b"))
    row.population, row.note = {"has_position": True}, LC_1B_STAND_IN_NOTE
    db.session.commit()
    login(make_user(role="hr", unit_id=province[0].id))
    page = client.get("/muc-tieu/").get_data(as_text=True)
    assert "DL-a" in page and "DL-b" in page and "LC-5c" in page
    db.session.expire_all()
    assert db.session.get(Target, row.id).population == BY_CODE["LC-1b"].population
    assert ops.ensure_presets() == 0


# --------------------------------------------------------------------------- DL-b: plans
def _plan(unit, year, status, decided: date | None = None):
    at = None if decided is None else datetime(decided.year, decided.month, decided.day, 3,
                                               tzinfo=timezone.utc)
    plan = TrainingPlan(unit_id=unit.id, year=year, status=status, decided_at=at,
                        submitted_at=at)
    db.session.add(plan)
    db.session.flush()
    return plan


def test_unit_plan_counts_communes_with_an_approved_plan_for_the_year(communes, catalog,
                                                                      make_official):
    top, a, b, c = communes
    year = today().year
    _plan(a, year, "approved", date(year, 1, 20))
    _plan(b, year, "submitted")
    _plan(c, year - 1, "approved", date(year - 2, 12, 10))
    make_official(unit=a)
    db.session.commit()

    target = BY_CODE["DL-b"]
    facts = ops.facts_for()
    p = ops.progress_of(target, facts)
    assert p.by_unit and (p.total, p.counted) == (3, 1)
    missing = ops.missing_of(p, facts).set_index("unit_name")
    assert missing.loc["Xã B", "reason"] == f"Kế hoạch năm {year}: đã gửi, chưa được phê duyệt"
    assert missing.loc["Xã C", "reason"] == f"Chưa có kế hoạch năm {year}"
    assert set(missing["plan_year"]) == {year}
    # the trend: C's plan of last year counted last year only, A's from its approval day
    days = _around(date(year - 2, 12, 10), date(year - 1, 1, 1), date(year, 1, 1),
                   date(year, 1, 20))
    assert_counts_match(facts, target.criterion, days)
    assert [ops.share_at(p, facts, d) for d in (date(year - 1, 6, 1), date(year, 1, 19),
                                                date(year, 1, 20))] == \
        [pytest.approx(100 / 3), 0.0, pytest.approx(100 / 3)]
    assert_outlooks_match(facts, [target])
    last_year = spec({"kind": "unit_plan", "year": year - 1})
    assert ops.progress_of(last_year, facts).counted == 1
    assert ops.shares_on(ops.progress_of(last_year, facts), facts, [date(year - 2, 12, 9),
                                                                   today()]) == \
        [0.0, pytest.approx(100 / 3)]
    assert criteria.validate_criterion({"kind": "unit_plan", "year": 1900}) == [
        "Tiêu chí kế hoạch đào tạo: năm phải từ 2000 đến 2100."]


# --------------------------------------------------------------------------- LC-5: composition
def test_unit_composition_flags_communes_lacking_a_woman_or_a_minority_leader(
        communes, catalog, make_official):
    _, a, b, c = communes
    ct, pct, cv = _position("CT-UBND"), _position("PCT-UBND"), _position("CV-VP")
    make_official(unit=a, position_id=ct.id, gender="female", ethnicity="Kinh")
    make_official(unit=a, position_id=pct.id, gender="male", ethnicity="Thái")
    make_official(unit=b, position_id=ct.id, gender="male", ethnicity="Kinh")
    make_official(unit=b, position_id=cv.id, gender="female", ethnicity="Mông")  # no leader
    make_official(unit=c, position_id=pct.id, gender="female", ethnicity="Hà Nhì")
    db.session.commit()

    target = BY_CODE["LC-5c"]
    assert target.source == "LC-5" and target.threshold == 100
    facts = ops.facts_for()
    p = ops.progress_of(target, facts)
    assert (p.total, p.counted) == (3, 2)
    rows = p.per_unit.set_index("unit_name")
    assert rows.loc["Xã B", ["female", "minority"]].tolist() == [0, 0]
    missing = ops.missing_of(p, facts)
    assert missing[["unit_name", "reason"]].values.tolist() == [
        ["Xã B", "Nhóm lãnh đạo: chưa có nữ; chưa có người dân tộc thiểu số"]]
    o = ops.outlook_of(p, facts)
    assert o.status == "no_history" and [v for _, v in o.trend if v is not None] == \
        [pytest.approx(200 / 3)]
    assert_outlooks_match(facts, [target])
    only_women = spec({"kind": "unit_composition", "position_groups": ["leadership"],
                       "female": True})
    assert ops.progress_of(only_women, facts).counted == 2
    assert criteria.validate_criterion({"kind": "unit_composition",
                                        "position_groups": ["leadership"]}) == [
        "Tiêu chí cơ cấu: chọn ít nhất một yêu cầu (có nữ, có người dân tộc thiểu số)."]


# --------------------------------------------------------------------------- the dashboard
def _view(key):
    g.pop("_cached", None)
    return {r["code"]: r for r in ops.dashboard_rows(cache_key=key)[1]}


def test_the_dashboard_follows_an_approval_and_a_review(communes, catalog, make_official,
                                                        make_user):
    from trainer.people.operations import record_assessment
    from trainer.plans.operations import approve_plan
    top, a, b, c = communes
    cv = _position("CV-VP")
    year = today().year
    plan = _plan(a, year, "submitted")
    who = make_official(unit=a, position_id=cv.id)
    make_official(unit=b, position_id=cv.id)
    db.session.commit()
    before = _view("province")
    assert (before["DL-b"]["counted"], before["DL-b"]["total"]) == (0, 3)
    assert (before["DL-a"]["counted"], before["DL-a"]["total"]) == (0, 2)
    assert before["DL-b"]["by_unit"] and before["LC-5c"]["by_unit"]
    assert _view("province") == before  # kept

    from trainer.core import cache

    def versions():  # the shared ones (the second of each pair is this process's count)
        return cache.structure_version()[0], cache.part_versions([who.id])[who.id][0]

    kept = versions()
    approve_plan(plan, actor=make_user(role="hr", unit_id=top.id))
    db.session.commit()
    # a plan moves the plans version only: every part's cached tally is kept
    assert versions() == kept
    after = _view("province")
    assert after["DL-b"]["counted"] == 1
    assert after == {r["code"]: r for r in ops.dashboard_rows(vectorised=False)[1]}

    comp = db.session.scalar(sa.select(Competency).where(Competency.code == "DD-01"))
    record_assessment(who, comp, 2, source="supervisor", assessor="Chủ tịch UBND xã")
    db.session.commit()
    reviewed = _view("province")
    assert reviewed["DL-a"]["counted"] == 1 and reviewed["DL-a"]["percent"] == 50.0
    assert reviewed == {r["code"]: r for r in ops.dashboard_rows(vectorised=False)[1]}

    # commune A's HR: its own commune only
    from trainer.learning.access import officials_filter
    from trainer.org.queries import visible_unit_ids
    hr_a = make_user(role="hr", unit_id=a.id)
    rows = {r["code"]: r for r in ops.dashboard_rows(
        officials_filter(hr_a), unit_ids=visible_unit_ids(hr_a), cache_key=("hr", a.id))[1]}
    assert (rows["DL-b"]["counted"], rows["DL-b"]["total"]) == (1, 1)
    assert (rows["DL-a"]["counted"], rows["DL-a"]["total"]) == (1, 1)
    assert rows == {r["code"]: r for r in ops.dashboard_rows(
        officials_filter(hr_a), unit_ids=visible_unit_ids(hr_a), vectorised=False)[1]}


# --------------------------------------------------------------------------- pages and form
def test_pages_show_the_communes_missing_and_link_the_plans(communes, catalog, make_official,
                                                            make_user, client, login):
    top, a, b, c = communes
    _plan(a, today().year, "approved", today() - timedelta(days=30))
    make_official(unit=a, position_id=_position("CT-UBND").id, gender="female",
                  ethnicity="Thái")
    db.session.commit()
    login(make_user(role="hr", unit_id=top.id))
    page = client.get("/muc-tieu/DL-b").get_data(as_text=True)
    assert "Xã B" in page and f"Chưa có kế hoạch năm {today().year}" in page
    assert f"/ke-hoach?nam={today().year}" in page
    page = client.get("/muc-tieu/LC-5c").get_data(as_text=True)
    assert "chưa có nữ; chưa có người dân tộc thiểu số" in page
    page = client.get("/muc-tieu/DL-a").get_data(as_text=True)
    assert "từ ngày 01/07/2025" in page
    assert client.get("/muc-tieu/").status_code == 200
    assert client.get("/muc-tieu/LC-5c?ngay=01/01/2026").status_code == 200

    form = {**FORM, "code": "DL-a2", "title": "Đánh giá năm 2026", "threshold": "100",
            "deadline": "31/12/2026", "kind": "reviewed", "since": "01/01/2026", "gender": "",
            "young": ""}
    response = client.post("/muc-tieu/them", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    made = db.session.scalar(sa.select(Target).where(Target.code == "DL-a2"))
    assert made.criterion == {"kind": "reviewed", "since": "2026-01-01"}
    response = client.post("/muc-tieu/them", data={**form, "code": "DL-a3", "since": ""})
    assert response.status_code == 400
    assert "Nhập ngày bắt đầu kỳ đánh giá" in response.get_data(as_text=True)
    for kind, extra, want in (
            ("unit_plan", {"plan_year": "2027"}, {"kind": "unit_plan", "year": 2027}),
            ("unit_composition", {"composition_groups": "leadership",
                                  "composition_needs": ["female", "minority"]},
             {"kind": "unit_composition", "position_groups": ["leadership"], "female": True,
              "minority": True})):
        code = f"X-{kind}"[:32]
        response = client.post("/muc-tieu/them", data={**form, "code": code, "kind": kind,
                                                       **extra})
        assert response.status_code == 302, response.get_data(as_text=True)
        made = db.session.scalar(sa.select(Target).where(Target.code == code))
        assert made.criterion == want
        edit = client.get(f"/muc-tieu/{code}/sua").get_data(as_text=True)
        assert "Loại tiêu chí" in edit
    response = client.post("/muc-tieu/them", data={**form, "code": "X-pop", "kind": "reviewed",
                                                   "field_mismatch": "yes"})
    assert response.status_code == 302
    made = db.session.scalar(sa.select(Target).where(Target.code == "X-pop"))
    assert made.population == {"field_mismatch": True}


# --------------------------------------------------------------------------- a demo province
NEW = ("DL-a", "DL-b", "LC-1b", "LC-5c")


@pytest.fixture
def demo(app, catalog, monkeypatch):
    """The demo province with approved plans on some communes (this year, last year), in parts
    of 32 officials (tests/test_targets_parts.py)."""
    from trainer.core import cache
    from trainer.demo.generate import generate_demo
    from trainer.org.models import Unit
    monkeypatch.setattr(cache, "PART_SIZE", 32)
    monkeypatch.setattr(ops, "LOAD_PARTS", 3)
    generate_demo(300, 2026)
    year = today().year
    communes = db.session.scalars(sa.select(Unit).where(Unit.kind.in_(
        ("commune", "ward", "special_zone"))).order_by(Unit.id)).all()
    for i, unit in enumerate(communes[:6]):
        _plan(unit, year - i % 2, "approved", date(year - 1, 12, 1) + timedelta(days=40 * i))
    _plan(communes[6], year, "submitted")
    db.session.commit()


def test_the_new_presets_on_a_demo_province_equal_the_per_date_evaluation(demo):
    from trainer.people.models import Official
    targets = [BY_CODE[c] for c in NEW]
    facts = ops.facts_for()
    assert_outlooks_match(facts, targets)
    figures = {t.code: ops.progress_of(t, facts) for t in targets}
    assert 0 < figures["DL-a"].counted < figures["DL-a"].total  # the demo reviews most
    assert 0 < figures["DL-b"].counted < figures["DL-b"].total
    assert figures["LC-1b"].total > 0  # the catalog's accepted fields meet the demo's fields
    assert figures["LC-5c"].total == figures["DL-b"].total  # every commune, by both
    assert len({v for _, v in ops.trend_of(figures["DL-a"], facts)}) > 2  # not flat
    assert len({v for _, v in ops.trend_of(figures["DL-b"], facts)}) > 2
    sheets = ops.report_sheets([ops.outlook_of(p, facts) for p in figures.values()], facts)
    assert set(sheets["Mục tiêu"]["Mã"]) == set(NEW)  # the Excel report keeps working
    assert set(sheets["Theo đơn vị"]["Mã mục tiêu"]) >= {"DL-b", "LC-5c"}
    assert (sheets["Chưa đạt"]["Mã mục tiêu"] == "DL-b").sum() == \
        figures["DL-b"].total - figures["DL-b"].counted
    past = today() - timedelta(days=200)
    assert_outlooks_match(Facts.load(on=past), targets)
    commune = db.session.scalar(sa.select(Official.unit_id).group_by(Official.unit_id)
                                .order_by(sa.func.count().desc()).limit(1))
    where = Official.unit_id == commune
    assert_outlooks_match(ops.facts_for(where, unit_ids=[commune]), targets,
                          months=ops.PACE_MONTHS)
    assert ops.dashboard_rows(where, unit_ids=[commune], cache_key=("commune", commune)) == \
        ops.dashboard_rows(where, unit_ids=[commune], vectorised=False)


def test_the_parts_follow_a_change_of_a_leader_and_a_plan(demo):
    from trainer.people.models import Official
    rows = _view("province")
    assert rows == {r["code"]: r for r in ops.dashboard_rows(vectorised=False)[1]}
    # the composition of one commune changes when one leader's record does
    leaders = db.session.scalars(sa.select(Official).join(Position).where(
        Position.group == "leadership")).all()
    for o in leaders:
        o.gender, o.ethnicity = "male", "Kinh"
    db.session.commit()
    none = _view("province")
    assert none["LC-5c"]["counted"] == 0
    leaders[0].gender, leaders[0].ethnicity = "female", "Thái"
    db.session.commit()
    one = _view("province")
    assert one["LC-5c"]["counted"] == 1
    assert one == {r["code"]: r for r in ops.dashboard_rows(vectorised=False)[1]}
    # a plan returned to draft for the year: one commune less on the next view
    plan = db.session.scalar(sa.select(TrainingPlan).where(
        TrainingPlan.status == "approved", TrainingPlan.year == today().year).limit(1))
    plan.status = "returned"
    db.session.commit()
    fewer = _view("province")
    assert fewer["DL-b"]["counted"] == one["DL-b"]["counted"] - 1
    assert fewer == {r["code"]: r for r in ops.dashboard_rows(vectorised=False)[1]}
