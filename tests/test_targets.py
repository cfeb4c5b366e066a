"""Targets as data (issue 4): every criterion kind and population filter on hand-made cases,
presets seeded once, CRUD permissions, the trend, the forecast arithmetic checked by hand, the
status rule, who is missing with the course that would make them count, and the Excel report
read back."""
from __future__ import annotations

import io
from dataclasses import replace
from datetime import date, timedelta

import openpyxl
import pandas as pd
import pytest
import sqlalchemy as sa

from tests.test_jobs import download_export
from trainer.catalog.models import Competency, Course, Position
from trainer.core.errors import DomainError
from trainer.core.extensions import db
from trainer.core.timeutil import today
from trainer.learning.models import Enrollment
from trainer.people.models import Rating
from trainer.people.operations import record_assessment
from trainer.targets import operations as ops
from trainer.targets.models import Target
from trainer.targets.presets import BY_CODE, PRESETS, TargetSpec


def _by_code(model, code):
    return db.session.scalar(sa.select(model).where(model.code == code))


def _completion(official, course_code, completed_on):
    course = _by_code(Course, course_code)
    db.session.add(Enrollment(official_id=official.id, course_id=course.id, status="completed",
                              completed_on=completed_on, score=8.0, source="import"))
    db.session.flush()


def spec(criterion, population=None, threshold=100.0, deadline=date(2030, 12, 31)):
    return TargetSpec("T-1", "Mục tiêu thử", "TEST", population or {}, criterion, threshold,
                      deadline, preset=False)


def counted(target) -> set[int]:
    facts = ops.facts_for()
    p = ops.progress_of(target, facts)
    return set(facts.officials.loc[p.counts & p.in_pop, "id"])


def population_ids(population) -> set[int]:
    facts = ops.facts_for()
    return set(facts.officials.loc[facts.population(population), "id"])


# --------------------------------------------------------------------------- criterion kinds
def test_course_criterion_all_any_and_course_codes_count_only_valid_completions(
        app, catalog, make_official):
    ago = today() - timedelta(days=30)
    full, digital_only, expired_law, nobody = (make_official() for _ in range(4))
    for code in ("BDHVS-KNS", "TCD-KN", "DD-CV"):  # digital, skills, ethics
        _completion(full, code, ago)
    _completion(digital_only, "BDHVS-VBDT", ago)
    _completion(expired_law, "PL-CN2026", today() - timedelta(days=800))  # valid 12 months
    db.session.commit()

    all_of = spec({"kind": "course", "categories": ["digital", "skills", "ethics"],
                   "match": "all"})
    any_of = spec({"kind": "course", "categories": ["digital", "law"], "match": "any"})
    codes = spec({"kind": "course", "course_codes": ["BDHVS-VBDT", "PL-CN2026"]})
    assert counted(all_of) == {full.id}
    assert counted(any_of) == {full.id, digital_only.id}
    assert counted(codes) == {digital_only.id}  # the law course has expired
    assert nobody.id not in counted(any_of)


def test_competency_criterion_needs_every_code_at_the_level(app, catalog, make_official):
    both, one, low = make_official(), make_official(), make_official()
    cds02, cds03 = _by_code(Competency, "CDS-02"), _by_code(Competency, "CDS-03")
    on = today() - timedelta(days=5)
    for o, l2, l3 in ((both, 2, 3), (one, 2, 0), (low, 1, 1)):
        record_assessment(o, cds02, l2, source="supervisor", assessor="TP", on=on)
        record_assessment(o, cds03, l3, source="supervisor", assessor="TP", on=on)
    db.session.commit()
    assert counted(BY_CODE["DL-đ"]) == {both.id}
    assert counted(spec({"kind": "competency", "codes": ["CDS-02"], "level": 2})) == {
        both.id, one.id}


def test_qualification_criterion_takes_the_higher_of_recorded_and_granted(
        app, catalog, make_official):
    recorded = make_official(political_theory="cao_cap")
    granted = make_official(political_theory="so_cap")
    below = make_official(political_theory="trung_cap")
    _completion(granted, "LLCT-CC", today() - timedelta(days=10))
    db.session.commit()
    target = spec({"kind": "qualification", "qualification": "political_theory",
                   "level": "cao_cap"})
    assert counted(target) == {recorded.id, granted.id}
    assert below.id not in counted(target)


def test_rating_criterion_reads_the_latest_rating(app, catalog, make_official):
    good, plain, bad, unrated = (make_official() for _ in range(4))
    db.session.add_all([Rating(official_id=good.id, year=2024, rating="khong_hoan_thanh"),
                        Rating(official_id=good.id, year=2025, rating="hoan_thanh_tot"),
                        Rating(official_id=plain.id, year=2025, rating="hoan_thanh"),
                        Rating(official_id=bad.id, year=2025, rating="khong_hoan_thanh")])
    db.session.commit()
    assert counted(BY_CODE["LC-4"]) == {good.id, plain.id}
    assert counted(BY_CODE["LC-4b"]) == {good.id}
    assert unrated.id not in counted(BY_CODE["LC-4"])


def test_record_digitised_and_digital_signature(app, catalog, make_official):
    a = make_official(record_digitised=True)
    b = make_official(digital_signature=True)
    db.session.commit()
    assert counted(BY_CODE["HT-3"]) == {a.id}
    assert counted(BY_CODE["HT-6"]) == {b.id}


def test_no_gap_against_the_position_optionally_restricted_to_domains(
        app, catalog, make_official):
    position = _by_code(Position, "CV-VP")
    met, lacks_digital = make_official(position=position), make_official(position=position)
    make_official()  # no position: outside LC-2's population
    on = today() - timedelta(days=3)
    for o in (met, lacks_digital):
        for req in position.requirements:
            level = 0 if (o is lacks_digital and req.competency.code == "CDS-02") else req.level
            record_assessment(o, req.competency, level, source="supervisor", assessor="TP", on=on)
    db.session.commit()
    lc2 = ops.progress_of(BY_CODE["LC-2"], ops.facts_for())
    assert (lc2.counted, lc2.total) == (1, 2)
    assert counted(BY_CODE["LC-2"]) == {met.id}
    ethics_only = spec({"kind": "no_gap", "domains": ["ethics"]}, {"has_position": True})
    assert counted(ethics_only) == {met.id, lacks_digital.id}


def test_unit_headcount_counts_units_meeting_it(app, catalog, make_unit, make_official):
    """HT-7: each health station needs 4 doctors; progress is stations meeting it / stations."""
    full = make_unit(name="Trạm Y tế xã Một", kind="department")
    short = make_unit(name="Trạm y tế xã Hai", kind="department")
    make_unit(name="Phòng Kinh tế xã Một", kind="department")
    for _ in range(4):
        make_official(unit=full, education="dai_hoc", education_field="Y đa khoa")
    make_official(unit=short, education="dai_hoc", education_field="Bác sĩ y học cổ truyền")
    make_official(unit=short, education="cao_dang", education_field="Y sĩ")  # not a doctor
    make_official(unit=short, education="dai_hoc", education_field="Kế toán")
    db.session.commit()
    p = ops.progress_of(BY_CODE["HT-7"], ops.facts_for())
    assert p.by_unit and (p.counted, p.total, p.percent) == (1, 2, 50.0)
    rows = p.per_unit.set_index("unit_name")
    assert rows.loc["Trạm Y tế xã Một", "counted"] == 4
    assert rows.loc["Trạm y tế xã Hai", "counted"] == 1
    missing = ops.missing_of(p, ops.facts_for())
    assert missing[["unit_name", "reason"]].values.tolist() == [["Trạm y tế xã Hai",
                                                                 "Có 1/4 người đạt"]]


# --------------------------------------------------------------------------- population filters
def test_population_filters(app, catalog, make_unit, make_official):
    province = make_unit(kind="province", region=None, name="Tỉnh")
    mountain = make_unit(parent_id=province.id, region="mountain", name="Xã Núi")
    dept = make_unit(parent_id=mountain.id, kind="department", region=None, name="Phòng KT")
    urban = make_unit(parent_id=province.id, region="urban", kind="ward", name="Phường Phố")
    chair, vice = _by_code(Position, "CT-UBND"), _by_code(Position, "PCT-UBND")
    a = make_official(unit=dept, position=chair, gender="female", ethnicity="Thái",
                      birth_date=date(today().year - 30, 1, 1), education="dai_hoc")
    b = make_official(unit=mountain, position=vice, birth_date=date(today().year - 50, 1, 1),
                      education="thac_si")
    c = make_official(unit=urban, position=_by_code(Position, "CV-VP"), gender="female",
                      birth_date=date(today().year - 40, 1, 1), education="cao_dang")
    d = make_official(unit=urban)  # no position
    db.session.commit()
    assert population_ids({"unit_id": mountain.id}) == {a.id, b.id}
    assert population_ids({"position_groups": ["leadership"]}) == {a.id, b.id}
    assert population_ids({"position_codes": ["PCT-UBND"]}) == {b.id}
    assert population_ids({"has_position": False}) == {d.id}
    assert population_ids({"regions": ["mountain"]}) == {a.id, b.id}  # the department inherits
    assert population_ids({"gender": "female"}) == {a.id, c.id}
    assert population_ids({"minority": True}) == {a.id}
    assert population_ids({"young": True}) == {a.id}
    assert population_ids({"young": False}) == {b.id, c.id, d.id}  # d: born 1990
    assert population_ids({"qualification": {"kind": "education", "below": "dai_hoc"}}) == {c.id}
    assert population_ids({"qualification": {"kind": "education", "at_least": "thac_si"}}) \
        == {b.id}
    assert population_ids({"regions": ["urban"], "gender": "female"}) == {c.id}


def test_young_age_limit_is_a_setting(app, catalog, make_official):
    forty = make_official(birth_date=date(today().year - 38, 1, 1))
    db.session.commit()
    assert ops.facts_for(young_age=35).population({"young": True}).sum() == 0
    facts = ops.facts_for(young_age=40)
    assert facts.officials.loc[facts.population({"young": True}), "id"].tolist() == [forty.id]


def test_json_shapes_are_validated_in_vietnamese():
    from trainer.targets.criteria import validate_criterion, validate_population
    assert validate_population({"regions": ["sea"]}) == ["Vùng: giá trị không hợp lệ sea."]
    assert "khóa không hỗ trợ" in validate_population({"age": 3})[0]
    assert validate_criterion({"kind": "competency", "codes": ["CDS-02"], "level": 7}) == [
        "Tiêu chí năng lực: mức phải từ 1 đến 4."]
    assert validate_criterion({"kind": "nope"}) == ["Tiêu chí: chọn một loại tiêu chí."]
    for p in PRESETS:  # every preset is valid JSON of docs/targets.md
        assert validate_population(p.population) == [] and validate_criterion(p.criterion) == []


# --------------------------------------------------------------------------- presets and CRUD
def test_presets_seeded_once_and_edits_kept(app, catalog):
    db.session.execute(sa.delete(Target))  # whether or not the fixture seeded them
    assert ops.seed_presets() == len(PRESETS)
    assert ops.seed_presets() == 0
    lc5 = ops.target_by_code("LC-5")
    ops.update_target(lc5, {"threshold": 80.0, "title": "Lãnh đạo có thạc sĩ (sửa)",
                            "code": "LC-5", "deadline": lc5.deadline,
                            "population": lc5.population, "criterion": lc5.criterion},
                      actor="hr.tinh")
    db.session.delete(ops.target_by_code("HT-7"))
    db.session.commit()
    assert ops.seed_presets() == 1  # only the missing one comes back
    db.session.commit()
    lc5 = ops.target_by_code("LC-5")
    assert (lc5.threshold, lc5.title, lc5.preset) == (80.0, "Lãnh đạo có thạc sĩ (sửa)", True)
    assert db.session.scalar(sa.select(sa.func.count(Target.id))) == len(PRESETS)
    assert [t.code for t in ops.list_targets()] == [p.code for p in PRESETS]
    with pytest.raises(DomainError, match="Không đổi mã"):
        ops.update_target(lc5, {"code": "LC-5x", "title": "x", "threshold": 50.0,
                                "deadline": lc5.deadline, "population": {},
                                "criterion": {"kind": "digital_signature"}}, actor="hr")


def test_presets_are_seeded_lazily_on_an_empty_table(app, catalog):
    db.session.execute(sa.delete(Target))
    assert db.session.scalar(sa.select(sa.func.count(Target.id))) == 0
    assert [t.code for t in ops.list_targets()] == [p.code for p in PRESETS]


@pytest.fixture
def province_hr(make_unit, make_user):
    province = make_unit(kind="province", region=None, name="Tỉnh Thử")
    commune = make_unit(parent_id=province.id, name="Xã Thử")
    return make_user("hr", unit_id=province.id), make_user("hr", unit_id=commune.id), commune


FORM = {"code": "NU-TRE", "title": "Cán bộ nữ trẻ được cấp chữ ký số", "source": "KH-11",
        "threshold": "90,5", "deadline": "2028-06-30", "gender": "female", "young": "yes",
        "kind": "digital_signature", "match": "all", "has_position": "", "minority": "",
        "qual_op": "", "qual_value": "", "unit_id": "", "qualification": "",
        "rating": "hoan_thanh", "level": "2"}


def test_province_hr_creates_and_edits_targets(app, catalog, client, login, province_hr,
                                              make_official):
    hr, _, commune = province_hr
    young_woman = make_official(unit=commune, gender="female", digital_signature=True,
                                birth_date=date(today().year - 28, 3, 1))
    make_official(unit=commune, gender="female", birth_date=date(today().year - 25, 3, 1))
    db.session.commit()
    login(hr)
    assert client.get("/muc-tieu/them").status_code == 200
    response = client.post("/muc-tieu/them", data=FORM)
    assert response.status_code == 302, response.get_data(as_text=True)
    target = ops.target_by_code("NU-TRE")
    assert target.population == {"gender": "female", "young": True}
    assert target.criterion == {"kind": "digital_signature"}
    assert (target.threshold, target.deadline, target.preset) == (90.5, date(2028, 6, 30), False)
    page = client.get("/muc-tieu/NU-TRE").get_data(as_text=True)
    assert "1 / 2 người đạt." in page and young_woman.full_name not in page.split("Chưa đạt")[1]

    # Edit a preset: the code stays, the preset flag stays.
    data = dict(FORM, code="LC-5", title="Lãnh đạo chủ chốt có thạc sĩ", threshold="80",
                kind="qualification", qualification="education:thac_si", gender="", young="",
                position_groups=["leadership"])
    assert client.post("/muc-tieu/LC-5/sua", data=data).status_code == 302
    lc5 = ops.target_by_code("LC-5")
    assert (lc5.threshold, lc5.preset, lc5.population) == (80.0, True,
                                                            {"position_groups": ["leadership"]})
    assert lc5.criterion == {"kind": "qualification", "qualification": "education",
                             "level": "thac_si"}


def test_target_form_refuses_bad_input_in_vietnamese(app, catalog, client, login, province_hr):
    hr, _, _ = province_hr
    login(hr)
    response = client.post("/muc-tieu/them", data=dict(FORM, threshold="150", kind="competency"))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Chỉ tiêu phải lớn hơn 0 và không quá 100 (%)." in page
    assert "Chọn ít nhất một năng lực." in page
    client.post("/muc-tieu/them", data=FORM)
    response = client.post("/muc-tieu/them", data=dict(FORM, title="Trùng mã"))
    assert "Mã mục tiêu “NU-TRE” đã có." in response.get_data(as_text=True)


def test_commune_hr_reads_targets_but_may_not_edit(app, catalog, client, login, province_hr,
                                                   make_user, make_official):
    _, commune_hr, _ = province_hr
    login(commune_hr)
    assert client.get("/muc-tieu/").status_code == 200
    assert "Thêm mục tiêu" not in client.get("/muc-tieu/").get_data(as_text=True)
    assert client.get("/muc-tieu/LC-5").status_code == 200
    assert client.get("/muc-tieu/them").status_code == 403
    assert client.post("/muc-tieu/them", data=FORM).status_code == 403
    assert client.get("/muc-tieu/LC-5/sua").status_code == 403
    assert client.post("/muc-tieu/LC-5/sua", data=FORM).status_code == 403


def test_an_official_may_not_see_or_edit_targets(app, catalog, client, login, make_user,
                                                 make_official):
    official = make_official()
    login(make_user("official", official_id=official.id))
    for url in ("/muc-tieu/", "/muc-tieu/them", "/muc-tieu/LC-5/sua", "/muc-tieu/bao-cao.xlsx"):
        assert client.get(url).status_code == 403
    assert client.post("/muc-tieu/them", data=FORM).status_code == 403


# --------------------------------------------------------------------------- trend and forecast
def test_forecast_arithmetic_on_a_hand_checked_case(app, catalog, make_official):
    """20 officials; over the last 12 months one more completed a digital course each month, so
    today 12/20 = 60% count and 12 months ago nobody did. Pace: 1 official = 5 points a month.
    From 60% to the 80% threshold: 20 points / 5 = 4 months = 4 × 30.4375 = 121.75 → 122 days."""
    points = ops.trend_dates(today())  # oldest first, today last, one month apart
    officials = [make_official() for _ in range(20)]
    for k in range(12):  # k months ago
        _completion(officials[k], "BDHVS-KNS", points[-1 - k])
    db.session.commit()
    target = spec({"kind": "course", "categories": ["digital"], "match": "any"}, threshold=80)
    facts = ops.facts_for()
    p = ops.progress_of(target, facts)
    o = ops.outlook_of(p, facts)
    shares = [v for _, v in o.trend]
    assert shares[-13:] == [0.0] + [5.0 * n for n in range(1, 13)]  # 0%, 5%, …, 60%
    assert shares[:12] == [0.0] * 12
    assert o.pace == pytest.approx(5.0)
    assert o.forecast == today() + timedelta(days=122)
    assert o.status == "on_track"
    assert ops.outlook_of(ops.progress_of(replace(target, deadline=today() + timedelta(days=60)),
                                          facts), facts).status == "at_risk"  # pace > 0, late


def test_forecast_date_with_scheduled_gains_by_hand():
    on = date(2026, 1, 1)
    # No pace: only the cohorts' jumps: 50 → 65 on 1/3 → 85 on 1/6 reaches 80 on 1/6.
    assert ops.forecast_date(on, 50, 80, None, [(date(2026, 3, 1), 15),
                                                (date(2026, 6, 1), 35)]) == date(2026, 6, 1)
    assert ops.forecast_date(on, 50, 80, -1.0, [(date(2026, 3, 1), 15)]) is None
    # 2 points a month and +20 on 1/3: on 1/3 50 + 2 × 1.94 + 20 = 73.9 < 80; then
    # 50 + 2m + 20 = 80 → m = 5 months after 1/1 = 152 days → 2/6/2026.
    assert ops.forecast_date(on, 50, 80, 2.0, [(date(2026, 3, 1), 20)]) == date(2026, 6, 2)
    assert ops.forecast_date(on, 50, 80, 2.0) == on + timedelta(days=round(15 * ops.MONTH_DAYS))
    assert ops.forecast_date(on, 90, 80, None) == on


def test_scheduled_cohorts_bring_the_forecast_forward(app, catalog, make_official):
    from trainer.learning.operations import create_cohort
    officials = [make_official() for _ in range(4)]
    course = _by_code(Course, "BDHVS-VBDT")
    end = today() + timedelta(days=40)
    cohort = create_cohort(course, code="VBDT-1", start_date=today() + timedelta(days=10),
                           end_date=end, capacity=10, location="Trực tuyến", mode="online")
    for o in officials[:2]:
        db.session.add(Enrollment(official_id=o.id, course_id=course.id, cohort_id=cohort.id,
                                  status="enrolled"))
    db.session.commit()
    target = spec({"kind": "competency", "codes": ["CDS-02"], "level": 2}, threshold=50)
    facts = ops.facts_for()
    o = ops.outlook_of(ops.progress_of(target, facts), facts)
    assert o.pace == 0.0 and o.forecast is None
    assert o.gains == [(end, 50.0)]
    assert o.forecast_with_cohorts == end
    assert o.status == "at_risk"  # only the scheduled cohorts reach it: at risk, not on track


def test_status_rule():
    base = {"met": False, "total": 10, "on": date(2026, 1, 1), "deadline": date(2027, 1, 1),
            "pace": None, "forecast": None, "forecast_with_cohorts": None, "no_history": False}
    assert ops.status_code(**dict(base, met=True)) == "met"
    assert ops.status_code(**dict(base, total=0)) == "empty"
    assert ops.status_code(**dict(base, pace=2.0, forecast=date(2026, 12, 31))) == "on_track"
    assert ops.status_code(**dict(base, pace=0.1, forecast=date(2040, 1, 1))) == "at_risk"
    assert ops.status_code(**dict(base, forecast_with_cohorts=date(2027, 7, 1))) == "at_risk"
    assert ops.status_code(**dict(base, forecast_with_cohorts=date(2027, 7, 2))) == "off_track"
    assert ops.status_code(**dict(base, pace=-1.0)) == "off_track"
    assert ops.status_code(**dict(base, no_history=True)) == "no_history"
    assert ops.status_code(**dict(base, on=date(2027, 1, 2), pace=3.0)) == "overdue"


def test_criteria_without_dates_have_no_history(app, catalog, make_official):
    make_official(digital_signature=True)
    make_official()
    db.session.commit()
    facts = ops.facts_for()
    o = ops.outlook_of(ops.progress_of(BY_CODE["HT-6"], facts), facts)
    assert [v for _, v in o.trend if v is not None] == [50.0]  # only today
    assert o.trend[-1] == (today(), 50.0)
    assert (o.pace, o.forecast, o.status) == (None, None, "no_history")


# --------------------------------------------------------------------------- missing, export
def test_missing_lists_the_reason_and_the_cheapest_course(app, catalog, make_official):
    a = make_official(full_name="Lê Thị A", education="dai_hoc",
                      position=_by_code(Position, "CT-UBND"))
    record_assessment(a, _by_code(Competency, "CDS-02"), 1, source="supervisor", assessor="TP",
                      on=today() - timedelta(days=2))
    db.session.commit()
    facts = ops.facts_for()
    dl = ops.missing_of(ops.progress_of(BY_CODE["DL-đ"], facts), facts).iloc[0]
    assert dl["reason"] == ("CDS-02 Văn bản điện tử và chữ ký số: hiện 1, cần 2; "
                            "CDS-03 Khai thác nền tảng, hệ thống dùng chung: hiện 0, cần 2")
    assert dl["course"] == ("BDHVS-VBDT – Văn bản điện tử và chữ ký số; BDHVS-NTDC – Khai thác "
                            "nền tảng dùng chung và Hệ thống thông tin giải quyết thủ tục hành "
                            "chính")
    lc5 = ops.missing_of(ops.progress_of(BY_CODE["LC-5"], facts), facts).iloc[0]
    assert lc5["reason"] == "Trình độ chuyên môn: Đại học, cần Thạc sĩ trở lên"
    assert lc5["course"].startswith("THS-")
    dlc = ops.missing_of(ops.progress_of(BY_CODE["DL-c"], facts), facts).iloc[0]
    assert dlc["reason"].startswith("Chưa có khóa còn hiệu lực thuộc nhóm: kỹ năng số")
    assert len(dlc["course"].split("; ")) == 3  # one cheapest course per lacking category
    hts = ops.missing_of(ops.progress_of(BY_CODE["HT-6"], facts), facts).iloc[0]
    assert (hts["reason"], hts["course"]) == ("Chưa được cấp chữ ký số", "")


def test_target_report_exports_to_excel_and_reads_back(app, catalog, client, login,
                                                       province_hr, make_official):
    hr, _, commune = province_hr
    make_official(unit=commune, full_name="Trần Văn Ký", digital_signature=True)
    make_official(unit=commune, full_name="Đỗ Thị Chưa")
    db.session.commit()
    login(hr)
    response = download_export(client, "/muc-tieu/bao-cao.xlsx")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["Mục tiêu", "Theo đơn vị", "Chưa đạt"]
    assert book["Mục tiêu"]["A1"].value == "Báo cáo tiến độ mục tiêu đào tạo, bồi dưỡng"
    assert "Tỉnh Thử" in book["Mục tiêu"]["A2"].value
    summary = pd.read_excel(io.BytesIO(response.data), sheet_name="Mục tiêu", header=2)
    row = summary.set_index("Mã").loc["HT-6"]
    assert (row["Đạt"], row["Tổng"], row["Tỷ lệ (%)"], row["Chỉ tiêu (%)"]) == (1, 2, 50.0, 100)
    assert row["Hạn"] == pd.Timestamp(2027, 12, 31)  # a date cell
    assert row["Tình trạng"] == "Chưa đủ dữ liệu dự báo"
    assert list(summary["Mã"]) == [p.code for p in PRESETS]
    units = pd.read_excel(io.BytesIO(response.data), sheet_name="Theo đơn vị", header=2)
    ht6 = units[units["Mã mục tiêu"] == "HT-6"]
    assert ht6[["Đơn vị", "Đạt", "Tổng"]].values.tolist() == [["Xã Thử", 1, 2]]
    missing = pd.read_excel(io.BytesIO(response.data), sheet_name="Chưa đạt", header=2)
    ht6 = missing[missing["Mã mục tiêu"] == "HT-6"]
    assert ht6[["Họ và tên", "Lý do"]].values.tolist() == [["Đỗ Thị Chưa",
                                                            "Chưa được cấp chữ ký số"]]

    one = download_export(client, "/muc-tieu/bao-cao.xlsx?ma=HT-6")
    assert pd.read_excel(io.BytesIO(one.data), sheet_name="Mục tiêu", header=2)["Mã"].tolist() \
        == ["HT-6"]


def test_detail_page_draws_charts_from_the_vendored_chart_js(app, catalog, client, login,
                                                             province_hr, make_official):
    hr, _, commune = province_hr
    make_official(unit=commune)
    db.session.commit()
    login(hr)
    page = client.get("/muc-tieu/DL-d").get_data(as_text=True)
    assert "/static/vendor/chart.umd.min.js" in page and 'id="trend-data"' in page
    assert "cdn" not in page.lower()
    js = client.get("/static/vendor/chart.umd.min.js")
    assert js.status_code == 200 and b"Chart.js v4" in js.data[:200]
    js.close()
