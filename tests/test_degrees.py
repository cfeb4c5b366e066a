"""Issue 3: multi-year degree cohorts graded module by module (LC-T1, LC-T2), who should be sent to
university (LC-T2, retirement roadmap), and completions whose validity runs out."""
from __future__ import annotations

import dataclasses
import itertools
import shutil
from datetime import date, timedelta

import pandas as pd
import pytest
import sqlalchemy as sa

from courses import DATA_DIR, CatalogError, load_catalog, vocab
from trainer.catalog.models import Course, CourseModule, Position
from trainer.catalog.operations import sync_catalog
from trainer.core.errors import DomainError
from trainer.core.extensions import db
from trainer.core.timeutil import today
from trainer.degrees import operations as ops
from trainer.degrees.models import ModuleResult
from trainer.learning.models import Enrollment
from trainer.learning.operations import (approve_enrollment, create_cohort, enroll_official,
                                         start_cohort)
from trainer.learning.queries import officials_frame
from trainer.notices.models import Notification
from trainer.people.models import Assessment, Official
from trainer.targets.operations import facts_for, progress_of
from trainer.targets.presets import BY_CODE

_seq = itertools.count(1)
DAI_HOC = vocab.rank(vocab.EDUCATION, "dai_hoc")
CAO_DANG = vocab.rank(vocab.EDUCATION, "cao_dang")


def _by_code(model, code):
    return db.session.scalar(sa.select(model).where(model.code == code))


@pytest.fixture
def degree_cohort(catalog, make_official):
    """A started cohort of a degree programme with `n` seated officials (in progress)."""
    def make(course_code="PTIT-DH-CNTT", n=2, **official_kw):
        course = _by_code(Course, course_code)
        cohort = create_cohort(course, code=f"{course_code}-K{next(_seq)}",
                               start_date=today() + timedelta(days=1),
                               end_date=today() + timedelta(days=730), capacity=50,
                               location="Trường Chính trị tỉnh Lai Châu", mode="blended")
        values = {"education": "cao_dang", "position": _by_code(Position, "CV-CNTT"),
                  "birth_date": date(1988, 4, 2)}
        values.update(official_kw)
        enrollments = []
        for _ in range(n):
            enrollment = enroll_official(make_official(**values), cohort=cohort)
            approve_enrollment(enrollment, actor="Phòng Nội vụ")
            enrollments.append(enrollment)
        start_cohort(cohort, on=cohort.start_date)
        db.session.commit()
        return cohort, enrollments
    return make


def _modules(course_code="PTIT-DH-CNTT", term=None) -> list[CourseModule]:
    return ops.course_modules(_by_code(Course, course_code).id, term)


def _enter(cohort, enrollment, scores: dict[str, float], on=None):
    """Enter scores by module code, term by term as the school would."""
    by_code = {m.code: m for m in _modules(cohort.course.code)}
    entries = []
    for term in sorted({by_code[c].term for c in scores}):
        results = {(enrollment.id, by_code[c].id): s for c, s in scores.items()
                   if by_code[c].term == term}
        entries.append(ops.record_module_results(cohort, term, results, on=on or today(),
                                                 assessor="Phòng Đào tạo PTIT"))
    db.session.commit()
    return entries


# --------------------------------------------------------------------------- catalog and sync
def test_catalog_modules_load_and_a_broken_file_names_file_row_and_column(tmp_path):
    catalog = load_catalog()
    assert len(catalog.modules_of("PTIT-DH-CNTT")) == 16
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    lines = (data / "modules.csv").read_text(encoding="utf-8-sig").splitlines()
    lines[2] = lines[2].rsplit(",", 2)[0] + ",12,90"           # line 3: term 12
    (data / "modules.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(CatalogError) as info:
        load_catalog(data)
    assert info.value.errors == [
        'modules.csv, dòng 3, cột "term": học kỳ "12" không hợp lệ; ghi số nguyên từ 1 đến 10']


def test_sync_upserts_modules_by_course_and_code_and_is_idempotent(app, catalog):
    count = sa.select(sa.func.count(CourseModule.id))
    assert db.session.scalar(count) == 50
    first = {(m.course_id, m.code): m.id for m in db.session.scalars(sa.select(CourseModule))}
    renamed = [dataclasses.replace(m, name="Toán rời rạc 1", hours=95)
               if m.code == "CNTT-TRR" else m for m in catalog.modules]
    counts = sync_catalog(dataclasses.replace(catalog, modules=renamed))
    sync_catalog(dataclasses.replace(catalog, modules=renamed))
    db.session.commit()
    assert counts["modules"] == 50 and db.session.scalar(count) == 50
    again = {(m.course_id, m.code): m.id for m in db.session.scalars(sa.select(CourseModule))}
    assert again == first                         # same rows, updated in place
    trr = _by_code(Course, "PTIT-DH-CNTT")
    module = db.session.scalar(sa.select(CourseModule).where(
        CourseModule.course_id == trr.id, CourseModule.code == "CNTT-TRR"))
    assert (module.name, module.hours, module.term) == ("Toán rời rạc 1", 95, 1)


# --------------------------------------------------------------------------- module results
def test_module_results_are_all_or_nothing(app, degree_cohort):
    cohort, (a, b) = degree_cohort()
    trr, ltcb = _modules(term=1)[:2]
    with pytest.raises(DomainError) as info:
        ops.record_module_results(cohort, 1, {(a.id, trr.id): 8.0, (b.id, ltcb.id): 11.0},
                                  on=today())
    db.session.rollback()
    assert "điểm 11 phải trong khoảng 0–10" in str(info.value)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ModuleResult)) == 0
    # A module of another term, or an enrollment of another cohort, is refused the same way.
    term2 = _modules(term=2)[0]
    with pytest.raises(DomainError, match="không thuộc học kỳ 1"):
        ops.record_module_results(cohort, 1, {(a.id, term2.id): 8.0}, on=today())
    with pytest.raises(DomainError, match="không thuộc lớp"):
        ops.record_module_results(cohort, 1, {(999999, trr.id): 8.0}, on=today())
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ModuleResult)) == 0


def test_grid_page_records_comma_decimals_and_rejects_a_bad_cell_entirely(
        app, degree_cohort, make_user, login):
    cohort, (a, b) = degree_cohort()
    trr, ltcb = _modules(term=1)[:2]
    school = make_user("school", provider_id=cohort.course.provider_id)
    client = login(school)
    url = f"/truong/lop/{cohort.id}/hoc-phan?term=1"
    page = client.get(url).get_data(as_text=True)
    assert "Toán rời rạc" in page and f'name="score-{a.id}-{trr.id}"' in page
    response = client.post(url, data={f"score-{a.id}-{trr.id}": "7,5",
                                      f"score-{b.id}-{trr.id}": "abc"}, follow_redirects=True)
    assert "Điểm “abc” không phải là số." in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ModuleResult)) == 0
    response = client.post(url, data={f"score-{a.id}-{trr.id}": "7,5",
                                      f"score-{b.id}-{ltcb.id}": "4,0",
                                      f"score-{b.id}-{trr.id}": ""}, follow_redirects=True)
    assert "Đã ghi 2 điểm học phần." in response.get_data(as_text=True)
    db.session.expire_all()
    rows = {(r.enrollment_id, r.module_id): (r.score, r.passed)
            for r in db.session.scalars(sa.select(ModuleResult))}
    assert rows == {(a.id, trr.id): (7.5, True), (b.id, ltcb.id): (4.0, False)}
    assert 'value="7,5"' in client.get(url).get_data(as_text=True)


def test_a_failed_module_is_entered_again(app, degree_cohort):
    cohort, (a, _) = degree_cohort()
    _enter(cohort, a, {"CNTT-KTMT": 4.0})
    _enter(cohort, a, {"CNTT-KTMT": 6.5})
    rows = db.session.scalars(sa.select(ModuleResult).where(
        ModuleResult.enrollment_id == a.id)).all()
    assert [(r.module.code, r.score, r.passed) for r in rows] == [("CNTT-KTMT", 6.5, True)]


def test_progress_numbers_per_term_and_for_the_roster(app, degree_cohort):
    cohort, (a, b) = degree_cohort()
    # Term 1: Toán rời rạc 90 h, Lập trình cơ bản 120 h, Kiến trúc máy tính 90 h, CSDL 100 h.
    _enter(cohort, a, {"CNTT-TRR": 8.0, "CNTT-LTCB": 7.0, "CNTT-KTMT": 3.0})
    p = ops.degree_progress(a)
    assert (p["modules_passed"], p["modules_total"]) == (2, 16)
    assert (p["hours_passed"], p["hours_total"]) == (210, 1600)
    assert p["percent"] == pytest.approx(13.125)
    assert p["current_term"] == 1 and not p["granted"]
    assert [(t["term"], t["passed"], t["total"]) for t in p["terms"]] == [
        (1, 2, 4), (2, 0, 4), (3, 0, 4), (4, 0, 4)]
    ktmt = next(m for m in p["terms"][0]["modules"] if m["code"] == "CNTT-KTMT")
    assert (ktmt["score"], ktmt["passed"], ktmt["entered"]) == (3.0, False, True)
    # The whole term 1 passed: the current term moves to 2.
    _enter(cohort, a, {"CNTT-KTMT": 5.0, "CNTT-CSDL": 6.0})
    assert ops.degree_progress(a)["current_term"] == 2

    roster = ops.cohort_progress(cohort)
    assert roster.loc[a.id, ["modules_passed", "modules_total", "hours_passed",
                             "hours_total", "current_term"]].tolist() == [4, 16, 400, 1600, 2]
    assert roster.loc[a.id, "percent"] == pytest.approx(25.0)
    assert roster.loc[b.id, ["modules_passed", "hours_passed", "current_term"]].tolist() == [
        0, 0, 1]


def test_degree_is_granted_exactly_when_the_last_module_passes(app, degree_cohort):
    cohort, (a, _) = degree_cohort()
    official_id = a.official_id
    scores = {m.code: 7.0 for m in _modules()}
    scores.update({"CNTT-LTCB": 9.0, "CNTT-TRR": 10.0, "CNTT-DATN": 4.0})   # the project fails
    entries = _enter(cohort, a, scores)
    assert all(not e.granted for e in entries)
    db.session.expire_all()
    a = db.session.get(Enrollment, a.id)
    assert a.status == "in_progress"
    assert officials_frame(Official.id == official_id).iloc[0]["education_rank"] == CAO_DANG
    assert not db.session.scalars(sa.select(Assessment).where(
        Assessment.enrollment_id == a.id)).all()

    [entry] = _enter(cohort, a, {"CNTT-DATN": 7.0}, on=date(2028, 6, 30))
    assert [e.id for e in entry.granted] == [a.id]
    db.session.expire_all()
    a = db.session.get(Enrollment, a.id)
    # Hours-weighted mean: (7 × 1600 + 2 × 120 [LTCB] + 3 × 90 [TRR]) / 1600 = 7.31875 → 7.32
    assert (a.status, a.score, a.completed_on) == ("completed", 7.32, date(2028, 6, 30))
    assert officials_frame(Official.id == official_id).iloc[0]["education_rank"] == DAI_HOC
    evidence = {(x.competency.code, x.level, x.source) for x in db.session.scalars(
        sa.select(Assessment).where(Assessment.enrollment_id == a.id))}
    assert evidence == {("CNTT-01", 4, "course"), ("DATA-01", 3, "course"),
                        ("CDS-04", 3, "course"), ("CDS-01", 4, "course")}
    assert ops.degree_progress(a)["granted"]
    # Granted once: a graduate's modules are closed and grant_degree is a no-op.
    assert ops.grant_degree(a) is False
    trr = next(m for m in _modules(term=1) if m.code == "CNTT-TRR")
    with pytest.raises(DomainError, match="Hoàn thành"):
        ops.record_module_results(cohort, 1, {(a.id, trr.id): 5.0}, on=today())


def test_grant_degree_refuses_while_a_module_is_missing(app, degree_cohort):
    cohort, [a] = degree_cohort("THS-QLC", n=1, education="dai_hoc")
    _enter(cohort, a, {m.code: 8.0 for m in _modules("THS-QLC")[:-1]})
    with pytest.raises(DomainError, match="còn 1 học phần chưa đạt"):
        ops.grant_degree(a)


def test_a_course_without_modules_has_no_grid(app, catalog, make_user, login):
    course = _by_code(Course, "BDHVS-KNS")
    cohort = create_cohort(course, code="KNS-1", start_date=today() + timedelta(days=3),
                           end_date=today() + timedelta(days=10), capacity=5,
                           location="Trực tuyến", mode="online")
    db.session.commit()
    with pytest.raises(DomainError, match="không chia học phần"):
        ops.record_module_results(cohort, 1, {(1, 1): 5.0}, on=today())
    client = login(make_user("admin"))
    page = client.get(f"/truong/lop/{cohort.id}/hoc-phan").get_data(as_text=True)
    assert "không chia học phần" in page


# --------------------------------------------------------------------------- LC-T2
def test_years_of_service_left_follow_the_retirement_roadmap():
    on = date(2026, 11, 23)
    # Man born 1 May 1970: 62 (roadmap complete) in May 2032, retires at the end of that month;
    # 23/11/2026 → 31/05/2032 is 2,016 days = 5.52 years: not a LC-T2 candidate (needs > 6).
    assert ops.retirement_date(date(1970, 5, 1), "male") == date(2032, 5, 31)
    assert ops.years_of_service_left(date(1970, 5, 1), "male", on) == pytest.approx(2016 / 365.25)
    assert round(ops.years_of_service_left(date(1970, 5, 1), "male", on), 2) == 5.52
    # Woman born 15 March 1980: 60 (roadmap complete in 2035) in March 2040;
    # 23/11/2026 → 31/03/2040 is 4,877 days = 13.35 years.
    assert ops.retirement_date(date(1980, 3, 15), "female") == date(2040, 3, 31)
    assert round(ops.years_of_service_left(date(1980, 3, 15), "female", on), 2) == 13.35
    # During the transition: a man born in January 1962 retires at 60 years 6 months (2022);
    # a woman born in January 1966 at 55 years 4 months (2021); already retired → 0.
    assert ops.retirement_date(date(1962, 1, 10), "male") == date(2022, 7, 31)
    assert ops.retirement_date(date(1966, 1, 31), "female") == date(2021, 5, 31)
    assert ops.years_of_service_left(date(1960, 1, 1), "male", on) == 0.0


def test_degree_candidates_are_below_standard_with_more_than_six_years_left(
        app, catalog, make_official, make_unit, make_user, login):
    it = _by_code(Position, "CV-CNTT")
    justice = _by_code(Position, "CV-TPHT")
    office = _by_code(Position, "CV-VP")
    unit = make_unit()
    young_it = make_official(unit=unit, position=it, education="cao_dang",
                             birth_date=date(1990, 1, 1))
    young_justice = make_official(unit=unit, position=justice, education="trung_cap",
                                  birth_date=date(1992, 6, 1), gender="female")
    young_office = make_official(unit=unit, position=office, education="cao_dang",
                                 birth_date=date(1991, 2, 3))
    clerk = make_official(unit=unit, position=_by_code(Position, "CV-VTLT"), education="trung_cap",
                          birth_date=date(1994, 4, 4), gender="female")  # standard: cao đẳng
    make_official(unit=unit, position=it, education="cao_dang",
                  birth_date=today().replace(year=today().year - 58))    # ≤ 6 years left
    make_official(unit=unit, position=it, education="dai_hoc")           # meets the standard
    make_official(unit=unit, position=None, education="none")            # no position, no standard
    other = make_official(position=it, education="cao_dang")             # another commune
    db.session.commit()

    df = ops.degree_candidates()
    assert set(df["id"]) == {young_it.id, young_justice.id, young_office.id, clerk.id, other.id}
    suggested = dict(zip(df["id"], df["course_code"]))
    assert suggested[young_it.id] == "PTIT-DH-CNTT"        # LC-T1 / LC-T2: suitable field
    assert suggested[young_justice.id] == "DH-LUAT-VB2"
    assert suggested[young_office.id] == "DH-QLNN"
    assert suggested[clerk.id] == "CD-VTLT"                 # the lowest sufficient level
    row = df[df["id"] == young_it.id].iloc[0]
    assert (row["education_label"], row["min_education_label"]) == ("Cao đẳng", "Đại học")
    assert row["retirement_date"] == date(2052, 1, 31) and row["years_left"] > 6

    hr = make_user("hr", unit_id=unit.id)
    page = login(hr).get("/dao-tao-van-bang").get_data(as_text=True)
    assert young_it.full_name in page and other.full_name not in page
    assert "Đại học Luật (văn bằng 2, vừa làm vừa học)" in page


def test_a_candidate_drops_out_once_the_degree_is_granted(app, degree_cohort):
    cohort, [a] = degree_cohort(n=1)
    assert a.official_id in set(ops.degree_candidates()["id"])
    assert ops.degree_candidates().set_index("id").loc[a.official_id, "studying"]
    _enter(cohort, a, {m.code: 6.0 for m in _modules()})
    assert a.official_id not in set(ops.degree_candidates()["id"])


# --------------------------------------------------------------------------- validity
def _completion(official, course_code, completed_on):
    course = _by_code(Course, course_code)
    enrollment = Enrollment(official_id=official.id, course_id=course.id, status="completed",
                            completed_on=completed_on, score=8.0, source="import")
    db.session.add(enrollment)
    db.session.flush()
    return enrollment


def test_expiring_completions_and_reminders_sent_once(app, catalog, make_official):
    # BDHVS-ATTT and PTIT-ATTT are valid 24 months; BDHVS-KNS has no validity period.
    a, b = make_official(), make_official()
    now = pd.Timestamp(today())
    soon = _completion(a, "BDHVS-ATTT",
                       (now - pd.DateOffset(months=24) + pd.Timedelta(days=30)).date())
    gone = _completion(b, "PTIT-ATTT", (now - pd.DateOffset(months=36)).date())
    _completion(b, "BDHVS-ATTT", (now - pd.DateOffset(months=6)).date())      # far from expiry
    _completion(a, "BDHVS-KNS", date(2015, 1, 1))                             # never expires
    db.session.commit()

    df = ops.expiring_completions()
    assert df["enrollment_id"].tolist() == [gone.id, soon.id]        # by expiry date
    assert df["expired"].tolist() == [True, False]
    assert df.loc[1, "days_left"] == 30
    assert df.loc[1, "expires_on"] == today() + timedelta(days=30)
    assert ops.expiring_completions(within_days=10)["enrollment_id"].tolist() == [gone.id]
    assert ops.expiring_completions(Official.id == a.id)["enrollment_id"].tolist() == [soon.id]

    assert ops.remind_expiring() == 2
    db.session.commit()
    assert ops.remind_expiring() == 0                              # once per completion
    notices = db.session.scalars(sa.select(Notification).where(
        Notification.kind == "expiring").order_by(Notification.official_id)).all()
    assert [(n.official_id, n.dedupe_key) for n in notices] == [
        (a.id, f"expiring:{soon.id}"), (b.id, f"expiring:{gone.id}")]
    assert "sắp hết hiệu lực ngày" in notices[0].title
    assert "đã hết hiệu lực ngày" in notices[1].title


def test_a_retaken_course_is_no_longer_listed(app, catalog, make_official):
    a = make_official()
    _completion(a, "BDHVS-ATTT", date(2020, 1, 1))
    _completion(a, "BDHVS-ATTT", today() - timedelta(days=10))
    db.session.commit()
    assert ops.expiring_completions().empty


def test_a_target_counts_a_completion_while_valid_and_not_after_expiry(
        app, catalog, make_official):
    """DL-d counts a valid digital completion; an expired one (24-month validity) stops counting
    (learning.queries.completions_frame `valid`)."""
    official = make_official()
    enrollment = _completion(official, "BDHVS-ATTT", today() - timedelta(days=365))
    db.session.commit()
    target = BY_CODE["DL-d"]
    assert (progress_of(target, facts_for()).counted, progress_of(target, facts_for()).total) \
        == (1, 1)
    enrollment.completed_on = date(2022, 1, 10)                   # long ago: expired in 2024
    db.session.commit()
    progress = progress_of(target, facts_for())
    assert (progress.counted, progress.total) == (0, 1)
    assert progress.missing_ids == [official.id]


def test_the_official_sees_expiry_and_degree_progress_on_their_page(
        app, degree_cohort, make_user, login):
    cohort, [a] = degree_cohort(n=1)
    official = a.official
    _enter(cohort, a, {"CNTT-TRR": 8.0, "CNTT-LTCB": 7.0, "CNTT-KTMT": 3.0})
    expiring = _completion(official, "BDHVS-ATTT", today() - timedelta(days=700))
    db.session.commit()
    expires = (pd.Timestamp(expiring.completed_on) + pd.DateOffset(months=24)).date()
    client = login(make_user("official", official_id=official.id))
    page = client.get("/toi").get_data(as_text=True)
    assert f"sắp hết hiệu lực ngày {expires:%d/%m/%Y}" in page
    assert "Đã đạt <strong>2/16</strong> học phần" in page and "Học kỳ 1" in page
    assert "Kiến trúc máy tính (3,0)" in page
    client.post("/dang-xuat")
    hr = make_user("hr", unit_id=official.unit_id)
    page = login(hr).get(f"/can-bo/{official.id}").get_data(as_text=True)
    assert "Đã đạt <strong>2/16</strong> học phần" in page
    assert f"sắp hết hiệu lực ngày {expires:%d/%m/%Y}" in page
    expiry_page = client.get("/het-hieu-luc").get_data(as_text=True)
    assert official.full_name in expiry_page and "Còn" in expiry_page


# --------------------------------------------------------------------------- scope
def test_pages_are_scoped(app, degree_cohort, make_user, make_official, login, client):
    cohort, [a] = degree_cohort(n=1)
    outsider = make_official(position=_by_code(Position, "CV-CNTT"), education="cao_dang")
    _completion(outsider, "BDHVS-ATTT", date(2020, 1, 1))
    db.session.commit()
    grid = f"/truong/lop/{cohort.id}/hoc-phan"
    own_school = make_user("school", provider_id=cohort.course.provider_id)
    other_school = make_user("school", provider_id=_by_code(Course, "DH-QLNN").provider_id)
    official = make_user("official", official_id=a.official_id)
    hr = make_user("hr", unit_id=a.official.unit_id)
    admin = make_user("admin")

    def status(user, url, method="get"):
        login(user)
        code = getattr(client, method)(url).status_code
        client.post("/dang-xuat")
        return code

    assert status(own_school, grid) == 200
    assert status(admin, grid) == 200
    assert status(other_school, grid) == 404
    assert status(own_school, "/truong/lop/999999/hoc-phan") == 404
    assert status(hr, grid) == 403
    assert status(official, grid) == 403
    for url in ("/dao-tao-van-bang", "/het-hieu-luc"):
        assert status(official, url) == 403
        assert status(own_school, url) == 403
        assert status(hr, url) == 200
    assert status(hr, "/het-hieu-luc/nhac", "post") == 403
    login(hr)
    assert outsider.full_name not in client.get("/het-hieu-luc").get_data(as_text=True)
    assert outsider.full_name not in client.get("/dao-tao-van-bang").get_data(as_text=True)
    client.post("/dang-xuat")
    login(admin)
    assert outsider.full_name in client.get("/het-hieu-luc").get_data(as_text=True)
    response = client.post("/het-hieu-luc/nhac", data={"within": "60"}, follow_redirects=True)
    assert "Đã gửi 1 thông báo nhắc học lại." in response.get_data(as_text=True)
