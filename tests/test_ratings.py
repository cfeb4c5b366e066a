"""Ratings by period (issue 13 §2; KH-7, LC-b, TQ III.2): the period helper, HR's entry on the
official's record (updating the same period), the import with periods and its errors, LC-4 read
on the period set on the target, the KH-6 post-training reviews beside the next rating, the
JSON API and the national export. docs/ratings.md."""
from __future__ import annotations

import html
import io
import re
from datetime import date

import pandas as pd
import pytest
import sqlalchemy as sa

from trainer.audit.models import AuditEvent
from trainer.catalog.models import Course
from trainer.core.errors import DomainError
from trainer.core.extensions import db
from trainer.core.timeutil import today
from trainer.learning.models import Enrollment
from trainer.people.models import Rating
from trainer.people.periods import (Period, known_from, parse_period, period_end, period_label,
                                    period_problem)
from trainer.people.ratings import record_rating
from trainer.plans.models import PostTrainingReview
from trainer.targets import operations as targets
from trainer.targets.criteria import describe_criterion, validate_criterion
from trainer.targets.presets import TargetSpec

YEAR = today().year  # the suite's clock: 23/11/2026


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def commune_hr(province, make_user):
    return make_user("hr", unit_id=province[1].id)


@pytest.fixture
def official(province, make_official):
    o = make_official(unit=province[1], full_name="Lò Văn Xếp")
    db.session.commit()
    return o


def ratings_of(o) -> dict[tuple, tuple[str, str]]:
    db.session.expire_all()
    return {(r.year, r.period, r.period_no): (r.rating, r.note)
            for r in db.session.scalars(sa.select(Rating).where(Rating.official_id == o.id))}


# --------------------------------------------------------------------------- the period helper
@pytest.mark.parametrize("typed, expected", [
    ("2025", Period(2025, "year", 0)), ("Năm 2025", Period(2025, "year", 0)),
    ("2025.0", Period(2025, "year", 0)),
    ("Quý 3/2026", Period(2026, "quarter", 3)), ("Q3/2026", Period(2026, "quarter", 3)),
    ("quý 3 năm 2026", Period(2026, "quarter", 3)),
    ("Quý III năm 2026", Period(2026, "quarter", 3)),
    ("2026-Q3", Period(2026, "quarter", 3)), ("q4 2025", Period(2025, "quarter", 4)),
    ("Tháng 11/2026", Period(2026, "month", 11)), ("11/2026", Period(2026, "month", 11)),
    ("T2/2026", Period(2026, "month", 2)), ("tháng 2 năm 2026", Period(2026, "month", 2)),
    ("2026-11-01 00:00:00", Period(2026, "month", 11)),  # "11/2026" typed into Excel
])
def test_periods_are_read_as_people_type_them(typed, expected):
    assert parse_period(typed) == expected


def test_a_period_without_its_year_takes_the_years_cell():
    assert parse_period("", 2025) == Period(2025, "year", 0)
    assert parse_period("Năm", 2025) == Period(2025, "year", 0)
    assert parse_period("Quý 2", 2026) == Period(2026, "quarter", 2)
    assert parse_period("Tháng 7", 2026) == Period(2026, "month", 7)
    assert parse_period("Quý 2/2026", 2026) == Period(2026, "quarter", 2)


@pytest.mark.parametrize("typed, year, message", [
    ("Quý 5/2026", None, "“Quý 5/2026” không phải kỳ xếp loại"),
    ("Tháng 13/2026", None, "tháng phải từ 1 đến 12"),
    ("Quý 3", None, "“Quý 3” thiếu năm"),
    ("Q3/2025", 2026, "thuộc năm 2025, khác năm 2026"),
    ("hằng tuần", None, "không phải kỳ xếp loại"),
    ("", None, "thiếu kỳ xếp loại"),
])
def test_unreadable_periods_say_why_in_vietnamese(typed, year, message):
    with pytest.raises(ValueError, match=message):
        parse_period(typed, year)


def test_labels_ends_and_what_may_be_rated():
    assert [period_label(*p) for p in (("year", 0, 2025), ("quarter", 3, 2026),
                                       ("month", 11, 2026))] == [
        "Năm 2025", "Quý 3/2026", "Tháng 11/2026"]
    assert period_end("quarter", 1, 2024) == date(2024, 3, 31)
    assert period_end("month", 2, 2024) == date(2024, 2, 29)
    assert period_end("year", 0, 2025) == date(2025, 12, 31)
    assert known_from("year", 0, 2025) == date(2025, 12, 1)  # as targets always read it
    assert known_from("quarter", 3, 2026) == date(2026, 9, 30)
    on = date(2026, 11, 23)
    assert period_problem("quarter", 4, 2026, on) is None  # started: may be rated
    assert period_problem("month", 11, 2026, on) is None
    assert "Tháng 12/2026 chưa bắt đầu" in period_problem("month", 12, 2026, on)
    assert "Năm 2027 chưa bắt đầu" in period_problem("year", 0, 2027, on)
    assert period_problem("quarter", 0, 2026, on) == "quý phải từ 1 đến 4"
    assert period_problem("month", 13, 2026, on) == "tháng phải từ 1 đến 12"
    assert period_problem("week", 1, 2026, on)


# --------------------------------------------------------------------------- entry
def test_hr_records_a_quarterly_rating_then_updates_the_same_period(
        client, login, commune_hr, official):
    login(commune_hr)
    page = text(client.get(f"/can-bo/{official.id}"))
    assert "Ghi xếp loại chất lượng" in page and "Chưa có xếp loại." in page
    form = {"rating-period": "quarter", "rating-period_no": "3", "rating-year": str(YEAR),
            "rating-rating": "hoan_thanh_tot",
            "rating-note": "Hoàn thành 14/15 hồ sơ một cửa đúng hạn"}
    response = client.post(f"/can-bo/{official.id}/xep-loai", data=form)
    assert response.status_code == 302 and response.location.endswith("#xep-loai")
    assert ratings_of(official) == {(YEAR, "quarter", 3): (
        "hoan_thanh_tot", "Hoàn thành 14/15 hồ sơ một cửa đúng hạn")}
    page = text(client.get(f"/can-bo/{official.id}", follow_redirects=True))
    assert f"Đã ghi xếp loại Quý 3/{YEAR}." in page
    assert f"Quý 3/{YEAR}: Hoàn thành tốt nhiệm vụ" in page  # the latest, at the top
    assert "Xếp loại theo quý" in page and "Hoàn thành 14/15 hồ sơ một cửa đúng hạn" in page

    again = client.post(f"/can-bo/{official.id}/xep-loai",
                        data=dict(form, **{"rating-rating": "xuat_sac", "rating-note": ""}))
    assert again.status_code == 302
    assert ratings_of(official) == {(YEAR, "quarter", 3): ("xuat_sac", "")}  # one row, updated
    assert f"Đã cập nhật xếp loại Quý 3/{YEAR}." in text(client.get(f"/can-bo/{official.id}"))
    details = db.session.scalars(sa.select(AuditEvent.detail).where(
        AuditEvent.action == "rating", AuditEvent.subject_id == official.id)).all()
    assert details == [f"Quý 3/{YEAR}: Hoàn thành tốt nhiệm vụ",
                       f"Quý 3/{YEAR}: Hoàn thành xuất sắc nhiệm vụ (cập nhật)"]

    annual = {"rating-period": "year", "rating-period_no": "", "rating-year": str(YEAR - 1),
              "rating-rating": "hoan_thanh"}
    assert client.post(f"/can-bo/{official.id}/xep-loai", data=annual).status_code == 302
    assert ratings_of(official)[(YEAR - 1, "year", 0)] == ("hoan_thanh", "")


def test_the_entry_form_refuses_bad_periods_in_vietnamese(client, login, commune_hr, official):
    login(commune_hr)
    url = f"/can-bo/{official.id}/xep-loai"
    base = {"rating-period": "month", "rating-year": str(YEAR), "rating-rating": "hoan_thanh"}
    missing = client.post(url, data=dict(base, **{"rating-period_no": ""}))
    assert missing.status_code == 400
    assert "Nhập số quý (1–4) hoặc số tháng (1–12)." in text(missing)
    future = client.post(url, data=dict(base, **{"rating-period_no": "12"}))
    assert future.status_code == 400
    assert f"Tháng 12/{YEAR} chưa bắt đầu: chỉ xếp loại kỳ đã bắt đầu." in text(future)
    quarter = client.post(url, data=dict(base, **{"rating-period": "quarter",
                                                   "rating-period_no": "6"}))
    assert "Quý phải từ 1 đến 4." in text(quarter)
    too_long = client.post(url, data=dict(base, **{"rating-period_no": "1",
                                                    "rating-note": "x" * 2001}))
    assert "Tối đa 2000 ký tự." in text(too_long)
    assert ratings_of(official) == {}


def test_the_operation_checks_its_rules(official):
    with pytest.raises(DomainError, match="Chọn mức xếp loại"):
        record_rating(official, kind="year", no=0, year=2025, rating="gioi")
    with pytest.raises(DomainError, match="Xếp loại năm không có số kỳ"):
        record_rating(official, kind="year", no=3, year=2025, rating="hoan_thanh")
    with pytest.raises(DomainError, match="chưa bắt đầu"):
        record_rating(official, kind="quarter", no=1, year=YEAR + 1, rating="hoan_thanh")


def test_hr_of_another_unit_gets_404(client, login, province, make_user, official):
    other = make_user("hr", unit_id=province[2].id)
    login(other)
    assert client.get(f"/can-bo/{official.id}").status_code == 404
    response = client.post(f"/can-bo/{official.id}/xep-loai", data={
        "rating-period": "year", "rating-year": "2025", "rating-rating": "hoan_thanh"})
    assert response.status_code == 404
    assert ratings_of(official) == {}


def test_an_official_cannot_rate(client, login, make_user, official):
    login(make_user("official", official_id=official.id))
    response = client.post(f"/can-bo/{official.id}/xep-loai", data={
        "rating-period": "year", "rating-year": "2025", "rating-rating": "xuat_sac"})
    assert response.status_code == 403


# --------------------------------------------------------------------------- import
def _csv(rows: list[dict], columns: list[str]) -> bytes:
    return pd.DataFrame(rows, columns=columns).to_csv(index=False).encode("utf-8-sig")


def _preview(client, data: bytes):
    return client.post("/nhap-du-lieu", data={"kind": "ratings",
                                              "file": (io.BytesIO(data), "xep-loai.csv")},
                       content_type="multipart/form-data")


def _confirm(client, response):
    found = re.search(r'action="(/nhap-du-lieu/lo/\d+/xac-nhan)"', response.get_data(as_text=True))
    assert found, text(response)
    return client.post(found.group(1))


@pytest.fixture
def province_hr(client, login, province, make_user):
    return login(make_user("hr", unit_id=province[0].id))


def test_import_reads_periods_as_typed_and_older_files_stay_annual(
        province_hr, official, make_official, province):
    db.session.add(Rating(official_id=official.id, year=YEAR, period="quarter", period_no=1,
                          rating="hoan_thanh", note="Ghi chú cũ"))
    db.session.commit()
    p = official.pid
    cols = ["Số định danh cá nhân", "Năm", "Kỳ xếp loại", "Xếp loại", "Kết quả công việc"]
    rows = [{cols[0]: p, "Năm": "2025", "Kỳ xếp loại": "", "Xếp loại": "Hoàn thành tốt nhiệm vụ"},
            {cols[0]: p, "Năm": "", "Kỳ xếp loại": f"Q1/{YEAR}", "Xếp loại": "xuat_sac"},
            {cols[0]: p, "Năm": str(YEAR), "Kỳ xếp loại": "quý 2", "Xếp loại": "hoan_thanh",
             "Kết quả công việc": "Đạt 9/10 chỉ tiêu"},
            {cols[0]: p, "Năm": "", "Kỳ xếp loại": f"Tháng 10/{YEAR}", "Xếp loại": "hoan_thanh"}]
    response = _preview(province_hr, _csv(rows, cols))
    page = text(response)
    assert "Có lỗi" not in page and "không ghi dữ liệu nào" not in page, page
    _confirm(province_hr, response)
    assert ratings_of(official) == {
        (2025, "year", 0): ("hoan_thanh_tot", ""),
        (YEAR, "quarter", 1): ("xuat_sac", "Ghi chú cũ"),  # a blank note keeps the recorded one
        (YEAR, "quarter", 2): ("hoan_thanh", "Đạt 9/10 chỉ tiêu"),
        (YEAR, "month", 10): ("hoan_thanh", "")}

    # A file made before periods (three columns) still imports: annual ratings.
    other = make_official(unit=province[1])
    db.session.commit()
    old = [{"Số định danh cá nhân": other.pid, "Năm": "2024", "Xếp loại": "Hoàn thành nhiệm vụ"}]
    response = _preview(province_hr, _csv(old, ["Số định danh cá nhân", "Năm", "Xếp loại"]))
    _confirm(province_hr, response)
    assert ratings_of(other) == {(2024, "year", 0): ("hoan_thanh", "")}


def test_import_errors_name_the_row_and_the_column(province_hr, official):
    p = official.pid
    cols = ["Số định danh cá nhân", "Năm", "Kỳ xếp loại", "Xếp loại"]
    rows = [{cols[0]: p, "Năm": str(YEAR), "Kỳ xếp loại": "Quý 5", "Xếp loại": "hoan_thanh"},
            {cols[0]: p, "Năm": "", "Kỳ xếp loại": "Quý 3", "Xếp loại": "hoan_thanh"},
            {cols[0]: p, "Năm": str(YEAR), "Kỳ xếp loại": "Tháng 12", "Xếp loại": "hoan_thanh"},
            {cols[0]: p, "Năm": "2025", "Kỳ xếp loại": "Q2/2024", "Xếp loại": "hoan_thanh"},
            {cols[0]: p, "Năm": str(YEAR), "Kỳ xếp loại": "Q3", "Xếp loại": "hoan_thanh"},
            {cols[0]: p, "Năm": "", "Kỳ xếp loại": f"Quý 3/{YEAR}", "Xếp loại": "xuat_sac"},
            {cols[0]: p, "Năm": "", "Kỳ xếp loại": "", "Xếp loại": "xuat_sac"}]
    page = text(_preview(province_hr, _csv(rows, cols)))
    for expected in (
            "dòng 2, cột “Kỳ xếp loại”: “Quý 5” không phải kỳ xếp loại: viết 2025, Quý 3/2026 "
            "hoặc Tháng 11/2026",
            "dòng 3, cột “Kỳ xếp loại”: “Quý 3” thiếu năm",
            f"dòng 4, cột “Kỳ xếp loại”: Tháng 12/{YEAR} chưa bắt đầu: chỉ xếp loại kỳ đã bắt đầu",
            "dòng 5, cột “Kỳ xếp loại”: “Q2/2024” thuộc năm 2024, khác năm 2025 đã ghi",
            f"dòng 7, cột “Kỳ xếp loại”: cán bộ {p} đã có xếp loại Quý 3/{YEAR} ở dòng 6",
            "dòng 8, cột “Năm”: thiếu kỳ xếp loại"):
        assert expected in page, expected
    assert page.count("<li>dòng ") == 6
    assert ratings_of(official) == {}


def test_the_template_has_the_period_columns(province_hr):
    from trainer.interchange.operations import RATINGS, template_file
    sheet = pd.read_excel(io.BytesIO(template_file("ratings")), dtype=str)
    assert list(sheet.columns) == RATINGS.headers == [
        "Số định danh cá nhân", "Năm", "Kỳ xếp loại", "Xếp loại", "Kết quả công việc"]
    assert sheet.loc[0, "Năm"] == str(YEAR - 1) and sheet.loc[0, "Kỳ xếp loại"] == "Quý 4"


# --------------------------------------------------------------------------- LC-4 (targets)
def _spec(criterion):
    return TargetSpec("LC-4-Q", "Xếp loại quý", "LC-4", {}, criterion, 100.0,
                      date(2030, 12, 31), preset=False)


def test_lc4_reads_the_period_set_on_the_target(official, make_official, province):
    quarterly_only, annual_only = official, make_official(unit=province[1])
    for who, kind, no, year, rating in (
            (quarterly_only, "quarter", 2, YEAR, "khong_hoan_thanh"),
            (quarterly_only, "quarter", 3, YEAR, "hoan_thanh_tot"),
            (quarterly_only, "year", 0, YEAR - 1, "khong_hoan_thanh"),
            (annual_only, "year", 0, YEAR - 1, "hoan_thanh_tot"),
            (annual_only, "quarter", 1, YEAR, "hoan_thanh")):
        db.session.add(Rating(official_id=who.id, year=year, period=kind, period_no=no,
                              rating=rating))
    db.session.commit()
    facts = targets.facts_for()
    rows = facts.row_of([quarterly_only.id, annual_only.id])
    annual = {"kind": "rating", "level": "hoan_thanh_tot"}
    quarterly = dict(annual, period="quarter")
    assert facts.counts(annual)[rows].tolist() == [False, True]
    assert facts.counts(quarterly)[rows].tolist() == [True, False]  # Q3 is the latest quarter
    assert facts.counts(quarterly, date(YEAR, 9, 29))[rows].tolist() == [False, False]  # Q2
    assert targets.progress_of(_spec(quarterly), facts).counted == 1
    assert validate_criterion(quarterly) == []
    assert validate_criterion(dict(annual, period="week"))
    assert describe_criterion(quarterly) == \
        "Xếp loại quý gần nhất từ “Hoàn thành tốt nhiệm vụ” trở lên"
    assert describe_criterion(annual) == \
        "Xếp loại năm gần nhất từ “Hoàn thành tốt nhiệm vụ” trở lên"


def test_the_target_form_sets_the_period(app, catalog, client, login, province, make_user):
    login(make_user("hr", unit_id=province[0].id))
    lc4 = targets.target_by_code("LC-4")
    assert lc4.criterion == {"kind": "rating", "level": "hoan_thanh"}  # unchanged by default
    page = text(client.get("/muc-tieu/LC-4/sua"))
    assert "Theo kỳ xếp loại" in page
    data = {"code": "LC-4", "title": lc4.title, "source": "LC-4", "threshold": "100",
            "deadline": lc4.deadline.isoformat(), "kind": "rating", "rating": "hoan_thanh_tot",
            "rating_period": "quarter", "match": "all", "level": "2", "qualification": "",
            "qual_op": "", "qual_value": "", "unit_id": "", "has_position": "", "minority": "",
            "young": "", "gender": ""}
    response = client.post("/muc-tieu/LC-4/sua", data=data)
    assert response.status_code == 302, text(response)
    db.session.expire_all()
    assert targets.target_by_code("LC-4").criterion == {
        "kind": "rating", "level": "hoan_thanh_tot", "period": "quarter"}
    assert "Xếp loại quý gần nhất" in text(client.get("/muc-tieu/LC-4"))
    client.post("/muc-tieu/LC-4/sua", data=dict(data, rating_period="year"))
    db.session.expire_all()
    assert targets.target_by_code("LC-4").criterion == {"kind": "rating",
                                                         "level": "hoan_thanh_tot"}


# --------------------------------------------------------------------------- KH-6 beside ratings
def test_post_training_reviews_sit_beside_the_next_rating(
        client, login, commune_hr, official, catalog):
    courses = db.session.scalars(sa.select(Course).order_by(Course.code).limit(3)).all()

    def reviewed(course, on, outcome, note):
        e = Enrollment(official_id=official.id, course_id=course.id, status="completed",
                       completed_on=date(on.year, 1, 5), score=8)
        db.session.add(e)
        db.session.flush()
        db.session.add(PostTrainingReview(enrollment_id=e.id, outcome=outcome, reviewer="Chủ tịch",
                                          reviewed_on=on, note=note, use_at_work=4))

    reviewed(courses[0], date(YEAR, 2, 10), "applies", "Soạn văn bản điện tử thành thạo")
    reviewed(courses[1], date(YEAR, 5, 20), "no_change", "Chưa áp dụng")
    reviewed(courses[2], date(YEAR, 10, 2), "partly", "Dùng một phần")
    for kind, no, year in (("quarter", 1, YEAR), ("quarter", 3, YEAR), ("year", 0, YEAR - 1)):
        db.session.add(Rating(official_id=official.id, year=year, period=kind, period_no=no,
                              rating="hoan_thanh"))
    db.session.commit()

    from trainer.records.queries import ratings_with_reviews
    groups = dict(ratings_with_reviews(official.id))
    q = {row.label: [v.note for v in row.reviews] for row in groups["Quý"]}
    # Q1 takes the February review; Q3 the May one (Q2 has no rating: Q3 is the next one);
    # the October review waits for the next quarterly rating.
    assert q == {f"Quý 3/{YEAR}": ["Chưa áp dụng"],
                 f"Quý 1/{YEAR}": ["Soạn văn bản điện tử thành thạo"]}
    assert list(q) == [f"Quý 3/{YEAR}", f"Quý 1/{YEAR}"]  # latest first
    # The previous year's rating ended before every review: none beside it.
    assert [(row.label, row.reviews) for row in groups["Năm"]] == [(f"Năm {YEAR - 1}", [])]

    login(commune_hr)
    page = text(client.get(f"/can-bo/{official.id}"))
    section = page.split('id="xep-loai"')[1]
    assert "Đánh giá sau đào tạo trong kỳ" in section
    assert f"20/05/{YEAR} · {courses[1].name}: Năng lực không thay đổi — Chưa áp dụng" in section
    assert f"10/02/{YEAR} · {courses[0].name}: Vận dụng tốt vào công việc" in section


# --------------------------------------------------------------------------- readers
def test_the_api_and_the_national_export_carry_the_period(client, official, make_user):
    from tests.test_api import PREFIX, check_against_document
    from trainer.api.auth import issue_token
    from trainer.interchange.operations import export_frames, national_export
    record_rating(official, kind="year", no=0, year=2025, rating="hoan_thanh_tot")
    record_rating(official, kind="quarter", no=3, year=YEAR, rating="xuat_sac",
                  note="Vượt 2 chỉ tiêu")
    db.session.commit()
    record = national_export()["officials"][0]
    assert record["ratings"] == [
        {"year": 2025, "period": "year", "period_no": 0, "period_label": "Năm 2025",
         "rating": "hoan_thanh_tot", "note": ""},
        {"year": YEAR, "period": "quarter", "period_no": 3, "period_label": f"Quý 3/{YEAR}",
         "rating": "xuat_sac", "note": "Vượt 2 chỉ tiêu"}]
    sheet = export_frames(national_export())["Xếp loại"]
    assert sheet["Kỳ xếp loại"].tolist() == ["Năm 2025", f"Quý 3/{YEAR}"]

    hr = make_user("hr", unit_id=official.unit_id)
    token = issue_token(hr)[1]
    db.session.commit()
    response = client.get(f"{PREFIX}/officials/{official.id}",
                          headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.get_data(as_text=True)
    check_against_document("GET", f"{PREFIX}/officials/{official.id}", response)
    got = [(r["period_label"], r["rating"], r["period_end"]) for r in response.json["ratings"]]
    assert got == [(f"Quý 3/{YEAR}", "xuat_sac", f"{YEAR}-09-30"),
                   ("Năm 2025", "hoan_thanh_tot", "2025-12-31")]


def test_the_cli_imports_quarterly_ratings(app, runner, official, tmp_path):
    from trainer.interchange.cli import data_cli
    app.cli.add_command(data_cli)
    path = tmp_path / "xep-loai-quy.csv"
    path.write_bytes(_csv([{"Số định danh cá nhân": official.pid, "Kỳ xếp loại": f"Q2/{YEAR}",
                            "Xếp loại": "Hoàn thành nhiệm vụ"}],
                          ["Số định danh cá nhân", "Kỳ xếp loại", "Xếp loại"]))
    result = runner.invoke(args=["data", "import", "ratings", str(path)])
    assert result.exit_code == 0, result.output
    assert ratings_of(official) == {(YEAR, "quarter", 2): ("hoan_thanh", "")}
    bad = tmp_path / "sai.csv"
    bad.write_bytes(_csv([{"Số định danh cá nhân": official.pid, "Kỳ xếp loại": f"Q1/{YEAR + 1}",
                           "Xếp loại": "hoan_thanh"}],
                         ["Số định danh cá nhân", "Kỳ xếp loại", "Xếp loại"]))
    result = runner.invoke(args=["data", "import", "ratings", str(bad)])
    assert result.exit_code != 0
    assert f"dòng 2, cột “Kỳ xếp loại”: Quý 1/{YEAR + 1} chưa bắt đầu" in result.output
