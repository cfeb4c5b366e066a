"""Issue 5, data in and out: every import is previewed (created / updated / unchanged and every
error by row and column) before anything is written, confirmed all or nothing from the stored
file, idempotent; completion files from platforms without xAPI match officials by identity
number, code or e-mail and queue the rest for HR review; the national-database export has a
stable layout and its data-quality checks list what to fix."""
from __future__ import annotations

import html
import io
import json
import re
from datetime import date, datetime, timedelta, timezone

import pandas as pd
import pytest
import sqlalchemy as sa

from trainer.core.extensions import db
from trainer.people.identity import make_pid
from trainer.people.operations import OFFICIAL_COLUMNS

HEADERS = list(OFFICIAL_COLUMNS)
COURSE = "BDHVS-KNS"  # online, teaches CDS-01 at level 2, pass mark 5


def xlsx(rows, columns) -> bytes:
    buf = io.BytesIO()
    pd.DataFrame(rows, columns=columns).to_excel(buf, index=False)
    return buf.getvalue()


def csv(rows, columns) -> bytes:
    return pd.DataFrame(rows, columns=columns).to_csv(index=False).encode("utf-8-sig")


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def preview(client, kind, data, filename="tep.xlsx"):
    return client.post("/nhap-du-lieu", data={"kind": kind, "file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def confirm_url(response) -> str | None:
    found = re.search(r'action="(/nhap-du-lieu/lo/\d+/xac-nhan)"', response.get_data(as_text=True))
    return found.group(1) if found else None


def counts_on_page(response) -> dict[str, int]:
    page = response.get_data(as_text=True)
    return {k: int(re.search(rf'id="n-{k}">([\d.]+)<', page).group(1).replace(".", ""))
            for k in ("created", "updated", "unchanged")}


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def person(n: int, unit: str, **changes) -> dict:
    birth = date(1987, 4, 12)
    row = {h: "" for h in HEADERS}
    row.update({"Mã cán bộ": f"W{n:04d}", "Số định danh cá nhân": make_pid("011", birth, "female", 700 + n),
                "Họ và tên": f"Lường Thị Thử {n}", "Ngày sinh": "12/04/1987", "Giới tính": "Nữ",
                "Dân tộc": "Thái", "Mã đơn vị": unit, "Trình độ chuyên môn": "Đại học",
                "Email": f"thu{n}@laichau.gov.vn"})
    row.update(changes)
    return row


@pytest.fixture
def province_hr(province, make_user):
    return make_user("hr", unit_id=province[0].id)


@pytest.fixture
def hr(client, province_hr, login):
    return login(province_hr)


# --------------------------------------------------------------------------- preview and confirm
def test_preview_counts_created_updated_unchanged_and_writes_nothing(hr, province):
    from trainer.interchange.models import ImportBatch
    from trainer.people.models import Official
    _, a, _ = province
    first = [person(1, a.code), person(2, a.code)]
    url = confirm_url(preview(hr, "officials", xlsx(first, HEADERS)))
    hr.post(url)
    assert count(Official) == 2

    rows = [person(1, a.code), person(2, a.code, **{"Họ và tên": "Lường Thị Đổi"}),
            person(3, a.code)]
    upload = xlsx(rows, HEADERS)
    response = preview(hr, "officials", upload)
    assert response.status_code == 200
    page = text(response)
    assert counts_on_page(response) == {"created": 1, "updated": 1, "unchanged": 1}
    assert "3 dòng dữ liệu" in page
    assert "Sẽ thêm 1, cập nhật 1, giữ nguyên 1 cán bộ." in page
    assert 'data-busy="Đang nhập…"' in page  # the confirm button shows a spinner while it runs
    db.session.expire_all()
    assert count(Official) == 2  # the preview wrote nothing
    assert db.session.scalar(sa.select(Official.full_name).where(Official.code == "W0002")) \
        == "Lường Thị Thử 2"
    batch = db.session.scalars(sa.select(ImportBatch).order_by(ImportBatch.id.desc())).first()
    assert batch.status == "previewed" and batch.content == upload

    done = hr.post(confirm_url(response), follow_redirects=True)
    assert "Đã thêm 1, cập nhật 1, giữ nguyên 1 cán bộ." in text(done)
    db.session.expire_all()
    assert count(Official) == 3
    assert db.session.get(ImportBatch, batch.id).status == "applied"
    assert db.session.scalar(sa.select(Official.full_name).where(Official.code == "W0002")) \
        == "Lường Thị Đổi"
    # a batch is confirmed once
    again = hr.post(confirm_url(response), follow_redirects=True)
    assert "đã được nhập" in text(again)


def test_reimporting_the_same_file_changes_nothing(hr, province):
    from trainer.people.models import Official
    _, a, _ = province
    data = csv([person(1, a.code), person(2, a.code)], HEADERS)
    hr.post(confirm_url(preview(hr, "officials", data, "ds.csv")))
    stamps = dict(db.session.execute(sa.select(Official.code, Official.updated_at)).all())
    response = preview(hr, "officials", data, "ds.csv")
    assert counts_on_page(response) == {"created": 0, "updated": 0, "unchanged": 2}
    assert confirm_url(response) is None  # nothing to confirm
    assert "nhập lại không thay đổi gì" in text(response)
    db.session.expire_all()
    assert dict(db.session.execute(sa.select(Official.code, Official.updated_at)).all()) == stamps


def test_preview_lists_every_kind_of_error_by_row_and_column(hr, province, catalog, make_official):
    from trainer.interchange.models import ImportBatch
    from trainer.people.models import Official
    _, a, _ = province
    make_official(unit=a, code="CO-SAN", email="da.co@laichau.gov.vn")
    db.session.commit()
    rows = [
        person(1, a.code),                                                   # 2 good
        person(2, a.code, **{"Số định danh cá nhân": "0111870007"}),        # 3 bad pid
        person(3, a.code, **{"Mã đơn vị": "KHONG-CO"}),                     # 4 unknown unit
        person(4, a.code, **{"Mã vị trí việc làm": "KHONG-CO"}),            # 5 unknown position
        person(5, a.code, **{"Ngày sinh": "31/02/1987"}),                   # 6 no such date
        person(6, a.code, **{"Số định danh cá nhân": person(1, a.code)["Số định danh cá nhân"]}),  # 7
        person(7, a.code, **{"Mã cán bộ": "CO-SAN"}),                       # 8 code of another
        person(8, a.code, **{"Email": "DA.CO@laichau.gov.vn"}),             # 9 email of another
        person(9, a.code, **{"Trình độ chuyên môn": "Siêu tiến sĩ"}),       # 10 level not on scale
    ]
    response = preview(hr, "officials", xlsx(rows, HEADERS))
    page = text(response)
    assert "Tệp có 8 lỗi, không ghi dữ liệu nào." in page
    for expected in (
            "dòng 3, cột “Số định danh cá nhân”: “0111870007” phải gồm đúng 12 chữ số",
            "dòng 4, cột “Mã đơn vị”: không có đơn vị mã “KHONG-CO”",
            "dòng 5, cột “Mã vị trí việc làm”: không có vị trí mã “KHONG-CO”",
            "dòng 6, cột “Ngày sinh”: “31/02/1987” không phải ngày hợp lệ",
            "dòng 7, cột “Số định danh cá nhân”",
            "dòng 8, cột “Mã cán bộ”: “CO-SAN” đã thuộc một cán bộ có số định danh khác",
            "dòng 9, cột “Email”: “DA.CO@laichau.gov.vn” đã thuộc một cán bộ có số định danh khác",
            "dòng 10, cột “Trình độ chuyên môn”: “Siêu tiến sĩ” không phải"):
        assert f"<li>{expected}" in page, expected
    assert "trùng với dòng 2" in page
    assert page.count("<li>dòng ") == 8
    assert confirm_url(response) is None
    assert count(Official) == 1 and count(ImportBatch) == 0


def test_levels_years_scores_and_duplicates_out_of_range(hr, province, catalog, make_official):
    from trainer.interchange.operations import RATINGS, RESULT_COLUMNS
    from trainer.people.operations import ASSESSMENT_COLUMNS
    o = make_official(unit=province[1])
    db.session.commit()
    assessment = {"Số định danh cá nhân": o.pid, "Mã năng lực": "CDS-01", "Mức": "7",
                  "Ngày đánh giá": "01/03/2026", "Nguồn": "Tự đánh giá", "Người đánh giá": ""}
    page = text(preview(hr, "assessments", xlsx([assessment], list(ASSESSMENT_COLUMNS))))
    assert "dòng 2, cột “Mức”: “7” phải là số từ 0 đến 4" in page

    ratings = [{"Số định danh cá nhân": o.pid, "Năm": "1999", "Xếp loại": "Hoàn thành tốt nhiệm vụ"},
               {"Số định danh cá nhân": o.pid, "Năm": "2025", "Xếp loại": "Rất tốt"},
               {"Số định danh cá nhân": o.pid, "Năm": "2024", "Xếp loại": "hoan_thanh"},
               {"Số định danh cá nhân": o.pid, "Năm": "2024", "Xếp loại": "hoan_thanh"}]
    page = text(preview(hr, "ratings", xlsx(ratings, RATINGS.headers)))
    assert "dòng 2, cột “Năm”: “1999” phải là năm từ 2000" in page
    assert "dòng 3, cột “Xếp loại”: “Rất tốt” không phải mức xếp loại hợp lệ" in page
    assert "dòng 5, cột “Năm”: cán bộ " in page and "ở dòng 4" in page
    assert page.count("<li>dòng ") == 3

    results = [{"Số định danh cá nhân": o.pid, "Mã khóa học": COURSE, "Mã lớp": "",
                "Kết quả": "Hoàn thành", "Điểm": "11", "Ngày hoàn thành": "01/03/2026"},
               {"Số định danh cá nhân": o.pid, "Mã khóa học": "KHONG-CO", "Mã lớp": "LOP-X",
                "Kết quả": "Có lẽ", "Điểm": "", "Ngày hoàn thành": "30/02/2026"},
               {"Số định danh cá nhân": o.pid, "Mã khóa học": "PTIT-CDS", "Mã lớp": "",
                "Kết quả": "Hoàn thành", "Điểm": "4", "Ngày hoàn thành": "01/03/2026"}]
    page = text(preview(hr, "results", xlsx(results, list(RESULT_COLUMNS))))
    for expected in ("dòng 2, cột “Điểm”: 11 phải trong khoảng 0–10",
                     "dòng 3, cột “Mã khóa học”: không có khóa học mã “KHONG-CO”",
                     "dòng 3, cột “Mã lớp”: không có lớp mã “LOP-X”",
                     "dòng 3, cột “Kết quả”: “Có lẽ” phải là “Hoàn thành” hoặc “Không đạt”",
                     "dòng 3, cột “Ngày hoàn thành”: “30/02/2026” không phải ngày hợp lệ",
                     "dòng 4, cột “Điểm”: 4 thấp hơn điểm đạt 5 của khóa"):
        assert expected in page, expected


def test_confirm_revalidates_the_stored_file_and_writes_all_or_none(hr, province, make_official):
    from trainer.interchange.models import ImportBatch
    from trainer.people.models import Official
    _, a, _ = province
    rows = [person(1, a.code), person(2, a.code, **{"Email": "sau.nay@laichau.gov.vn"})]
    response = preview(hr, "officials", xlsx(rows, HEADERS))
    assert counts_on_page(response)["created"] == 2
    # between the preview and the confirmation someone else takes row 3's e-mail
    make_official(unit=a, email="sau.nay@laichau.gov.vn")
    db.session.commit()
    done = hr.post(confirm_url(response))
    page = text(done)
    assert "Tệp có 1 lỗi, không ghi dữ liệu nào." in page
    assert "dòng 3, cột “Email”" in page
    db.session.expire_all()
    assert count(Official) == 1  # not even row 2
    assert db.session.scalars(sa.select(ImportBatch)).one().status == "previewed"


def test_another_user_cannot_confirm_my_batch(hr, province, make_user, client, login):
    _, a, _ = province
    url = confirm_url(preview(hr, "officials", xlsx([person(1, a.code)], HEADERS)))
    hr.post("/dang-xuat")
    login(make_user("hr", unit_id=province[0].id))
    assert client.post(url).status_code == 404


def test_ratings_import_creates_updates_and_keeps(hr, province, make_official):
    from trainer.interchange.operations import RATINGS
    from trainer.people.models import Rating
    o = make_official(unit=province[1])
    db.session.add(Rating(official_id=o.id, year=2024, rating="hoan_thanh"))
    db.session.commit()
    rows = [{"Số định danh cá nhân": o.pid, "Năm": "2023", "Xếp loại": "Hoàn thành nhiệm vụ"},
            {"Số định danh cá nhân": o.pid, "Năm": "2024", "Xếp loại": "Hoàn thành xuất sắc nhiệm vụ"},
            {"Số định danh cá nhân": o.pid, "Năm": "2025", "Xếp loại": "hoan_thanh_tot"}]
    response = preview(hr, "ratings", csv(rows, RATINGS.headers), "xl.csv")
    assert counts_on_page(response) == {"created": 2, "updated": 1, "unchanged": 0}
    hr.post(confirm_url(response))
    got = dict(db.session.execute(sa.select(Rating.year, Rating.rating)).all())
    assert got == {2023: "hoan_thanh", 2024: "xuat_sac", 2025: "hoan_thanh_tot"}
    again = preview(hr, "ratings", csv(rows, RATINGS.headers), "xl.csv")
    assert counts_on_page(again) == {"created": 0, "updated": 0, "unchanged": 3}


def test_results_import_records_like_a_school_and_is_idempotent(hr, province, catalog,
                                                                make_official):
    from trainer.catalog.models import Course
    from trainer.interchange.operations import RESULT_COLUMNS
    from trainer.learning.models import Enrollment
    from trainer.people.models import Assessment
    o = make_official(unit=province[1])
    course = db.session.scalar(sa.select(Course).where(Course.code == COURSE))
    under_way = make_official(unit=province[1])
    db.session.add(Enrollment(official_id=under_way.id, course_id=course.id, status="enrolled"))
    db.session.commit()
    rows = [{"Số định danh cá nhân": o.pid, "Mã khóa học": COURSE, "Mã lớp": "",
             "Kết quả": "Hoàn thành", "Điểm": "8,5", "Ngày hoàn thành": "02/03/2026"},
            {"Số định danh cá nhân": under_way.pid, "Mã khóa học": COURSE, "Mã lớp": "",
             "Kết quả": "Không đạt", "Điểm": "3", "Ngày hoàn thành": ""}]
    response = preview(hr, "results", xlsx(rows, list(RESULT_COLUMNS)))
    assert counts_on_page(response) == {"created": 1, "updated": 1, "unchanged": 0}
    hr.post(confirm_url(response))
    new = db.session.scalars(sa.select(Enrollment).where(Enrollment.official_id == o.id)).one()
    assert (new.status, new.source, new.cohort_id, new.score, new.completed_on) == (
        "completed", "import", None, 8.5, date(2026, 3, 2))
    assert db.session.scalars(sa.select(Enrollment).where(
        Enrollment.official_id == under_way.id)).one().status == "failed"
    evidence = db.session.scalars(sa.select(Assessment).where(Assessment.official_id == o.id)).all()
    assert [(a.source, a.level, a.enrollment_id) for a in evidence] == [("course", 2, new.id)]
    again = preview(hr, "results", xlsx(rows, list(RESULT_COLUMNS)))
    assert counts_on_page(again) == {"created": 0, "updated": 0, "unchanged": 2}


# --------------------------------------------------------------------------- completion files
COMPLETION = ["Số định danh cá nhân", "Mã cán bộ", "Email", "Mã khóa học", "Ngày hoàn thành",
              "Kết quả"]


def completion(pid="", code="", email="", course=COURSE, on="05/03/2026", result="Hoàn thành"):
    return dict(zip(COMPLETION, (pid, code, email, course, on, result)))


@pytest.fixture
def people(province, make_official):
    _, a, b = province
    made = {
        "by_pid": make_official(unit=a),
        "by_code": make_official(unit=a, code="BDH-CODE"),
        "by_email": make_official(unit=a, email="email@laichau.gov.vn"),
        "twin1": make_official(unit=a, email="chung@laichau.gov.vn"),
        "twin2": make_official(unit=b, email="chung@laichau.gov.vn"),
        "other": make_official(unit=b),
    }
    db.session.commit()
    return made


def completion_rows(people):
    stranger = make_pid("001", date(1990, 1, 1), "male", 424242)
    return [
        completion(pid=people["by_pid"].pid),                               # applied
        completion(code="BDH-CODE"),                                        # applied
        completion(email="EMAIL@laichau.gov.vn"),                           # applied
        completion(pid=stranger),                                           # nobody → queue
        completion(email="chung@laichau.gov.vn"),                           # two → queue
        completion(pid=people["by_pid"].pid, code=people["other"].code),    # disagree → queue
    ]


def test_completion_file_applies_matches_and_queues_the_rest(hr, catalog, people):
    from trainer.interchange.models import ReviewItem
    from trainer.learning.models import Enrollment
    rows = completion_rows(people)
    response = preview(hr, "completions", csv(rows, COMPLETION), "bdhvs.csv")
    page = text(response)
    assert counts_on_page(response) == {"created": 3, "updated": 0, "unchanged": 0}
    assert re.search(r'id="n-queued">3<', response.get_data(as_text=True))
    assert count(ReviewItem) == 0 and count(Enrollment) == 0
    done = text(hr.post(confirm_url(response), follow_redirects=True))
    assert "Đã thêm 3, cập nhật 0, giữ nguyên 0 kết quả hoàn thành; 3 dòng đã chuyển vào hàng " \
           "chờ đối chiếu." in done, page
    completed = {e.official_id for e in db.session.scalars(sa.select(Enrollment))}
    assert completed == {people[k].id for k in ("by_pid", "by_code", "by_email")}
    items = db.session.scalars(sa.select(ReviewItem).order_by(ReviewItem.id)).all()
    assert [(i.source, i.status) for i in items] == [("completion_file", "open")] * 3
    assert items[0].candidates == [] and items[0].reason == "Không khớp cán bộ nào"
    assert sorted(items[1].candidates) == sorted([people["twin1"].id, people["twin2"].id])
    assert items[1].reason == "Khớp 2 cán bộ"
    assert sorted(items[2].candidates) == sorted([people["by_pid"].id, people["other"].id])
    assert items[0].payload["course_code"] == COURSE and items[0].payload["row"] == 5

    again = preview(hr, "completions", csv(rows, COMPLETION), "bdhvs.csv")
    assert counts_on_page(again) == {"created": 0, "updated": 0, "unchanged": 6}
    assert confirm_url(again) is None
    assert count(ReviewItem) == 3


def test_completion_file_errors_are_not_queued(hr, catalog, people):
    rows = [completion(pid="12345"), completion(course="KHONG-CO", pid=people["by_pid"].pid),
            completion(pid=people["by_pid"].pid, on="31/04/2026"), completion(),
            completion(email="khong-phai-email")]
    page = text(preview(hr, "completions", xlsx(rows, COMPLETION)))
    for expected in ("dòng 2, cột “Số định danh cá nhân”: “12345” phải gồm đúng 12 chữ số",
                     "dòng 3, cột “Mã khóa học”: không có khóa học mã “KHONG-CO”",
                     "dòng 4, cột “Ngày hoàn thành”: “31/04/2026” không phải ngày hợp lệ",
                     "dòng 5, cột “Số định danh cá nhân”: cần số định danh, mã cán bộ hoặc email",
                     "dòng 6, cột “Email”: “khong-phai-email” không phải email"):
        assert expected in page, expected
    page = text(preview(hr, "completions", xlsx([{"Mã khóa học": COURSE}], ["Mã khóa học"])))
    assert "thiếu cột “Số định danh cá nhân” hoặc “Mã cán bộ” hoặc “Email”, “Ngày hoàn thành”" \
        in page


def _queue_file(hr, people):
    response = preview(hr, "completions", csv(completion_rows(people), COMPLETION), "bdhvs.csv")
    hr.post(confirm_url(response))
    from trainer.interchange.models import ReviewItem
    return db.session.scalars(sa.select(ReviewItem).order_by(ReviewItem.id)).all()


def test_review_match_applies_the_completion_and_closes_the_gap(hr, catalog, people):
    from trainer.catalog.models import Competency, Position
    from trainer.guidance.operations import guidance_for
    from trainer.interchange.models import ReviewItem
    from trainer.learning.models import Enrollment
    from trainer.people.models import Official
    twin = db.session.get(Official, people["twin2"].id)
    twin.position = db.session.scalar(sa.select(Position).where(Position.code == "CV-VP"))
    db.session.commit()
    cds01 = db.session.scalar(sa.select(Competency.id).where(Competency.code == "CDS-01"))

    def cds01_row():
        return next(g for g in guidance_for(db.session.get(Official, twin.id),
                                            with_mentors=False).gaps if g.competency_id == cds01)
    before = cds01_row()
    assert before.current < 2 and before.gap > 0
    items = _queue_file(hr, people)
    ambiguous = items[1]
    page = text(hr.get(f"/hang-cho-doi-chieu/{ambiguous.id}"))
    assert twin.full_name in page and people["twin1"].full_name in page
    response = hr.post(f"/hang-cho-doi-chieu/{ambiguous.id}/ghep",
                       data={"official_id": str(twin.id)}, follow_redirects=True)
    assert f"Đã ghép với {twin.full_name}" in text(response)
    db.session.expire_all()
    item = db.session.get(ReviewItem, ambiguous.id)
    assert (item.status, item.official_id) == ("matched", twin.id)
    assert item.decided_by.startswith("Người dùng hr") and item.decided_at is not None
    e = db.session.scalars(sa.select(Enrollment).where(Enrollment.official_id == twin.id)).one()
    assert (e.status, e.source, e.completed_on) == ("completed", "import", date(2026, 3, 5))
    after = cds01_row()
    assert after.current >= 2 and after.gap == max(0, after.required - 2)
    # decided once
    again = hr.post(f"/hang-cho-doi-chieu/{ambiguous.id}/ghep", data={"official_id": str(twin.id)},
                    follow_redirects=True)
    assert "Mục này đã được xử lý." in text(again)
    assert count(Enrollment) == 4


def test_review_reject_needs_a_reason(hr, catalog, people):
    from trainer.interchange.models import ReviewItem
    item = _queue_file(hr, people)[0]
    response = hr.post(f"/hang-cho-doi-chieu/{item.id}/loai", data={"reason": ""},
                       follow_redirects=True)
    assert "Cần ghi lý do loại." in text(response)
    db.session.expire_all()
    assert db.session.get(ReviewItem, item.id).status == "open"
    hr.post(f"/hang-cho-doi-chieu/{item.id}/loai", data={"reason": "Không phải cán bộ của tỉnh"})
    db.session.expire_all()
    got = db.session.get(ReviewItem, item.id)
    assert got.status == "rejected" and "Không phải cán bộ của tỉnh" in got.reason
    assert f"/hang-cho-doi-chieu/{item.id}\"" not in hr.get("/hang-cho-doi-chieu").get_data(as_text=True)
    assert "Không phải cán bộ của tỉnh" in text(hr.get("/hang-cho-doi-chieu?status=rejected"))


def test_review_queue_scope(hr, catalog, people, province, make_user, client, login):
    items = _queue_file(hr, people)
    unmatched, twins, disagree = items
    listed = hr.get("/hang-cho-doi-chieu").get_data(as_text=True)
    assert all(f"/hang-cho-doi-chieu/{i.id}\"" in listed for i in items)  # province HR: all
    hr.post("/dang-xuat")

    _, a, b = province
    login(make_user("hr", unit_id=b.id))  # commune B: twin2 and "other" are theirs
    listed = client.get("/hang-cho-doi-chieu").get_data(as_text=True)
    assert f"/hang-cho-doi-chieu/{twins.id}\"" in listed
    assert f"/hang-cho-doi-chieu/{disagree.id}\"" in listed
    assert f"/hang-cho-doi-chieu/{unmatched.id}\"" not in listed  # unmatched: province only
    assert client.get(f"/hang-cho-doi-chieu/{unmatched.id}").status_code == 404
    page = text(client.get(f"/hang-cho-doi-chieu/{twins.id}"))
    assert people["twin2"].full_name in page and people["twin1"].full_name not in page
    # may not match someone outside their scope
    assert client.post(f"/hang-cho-doi-chieu/{twins.id}/ghep",
                       data={"official_id": str(people["twin1"].id)}).status_code == 404
    # the search stays in scope too
    page = text(client.get(f"/hang-cho-doi-chieu/{twins.id}?q=Nguyễn"))
    assert people["by_pid"].full_name not in page and people["other"].full_name in page
    client.post("/dang-xuat")

    official = make_user("official", official_id=people["other"].id)
    login(official)
    assert client.get("/hang-cho-doi-chieu").status_code == 403
    assert client.get("/xuat-csdl-quoc-gia").status_code == 403


def test_xapi_items_are_matched_through_the_xapi_module(app, province_hr, people, monkeypatch):
    """The xAPI module owns how a queued statement is applied; the queue only calls it (the
    matcher the xAPI area registered)."""
    from trainer.interchange import operations as xops
    from trainer.interchange.models import ReviewItem
    from trainer.xapi.operations import apply_review_match
    assert xops.REVIEW_MATCHERS["xapi"] is apply_review_match
    calls = []
    monkeypatch.setitem(xops.REVIEW_MATCHERS, "xapi", lambda item, official, **kw: calls.append(
        (item.id, official.id, kw)))
    item = ReviewItem(source="xapi", payload={"activity_id": "https://lms/x"},
                      identifiers={"mbox": "mailto:x@y"}, candidates=[], reason="Không khớp")
    db.session.add(item)
    db.session.flush()
    xops.match_review_item(item, people["other"], actor="HR")
    assert calls == [(item.id, people["other"].id, {"decided_by": "HR"})]
    assert item.status == "matched"


# --------------------------------------------------------------------------- national export
@pytest.fixture
def exported(province, catalog, make_official):
    from trainer.catalog.models import Course
    from trainer.learning.models import Enrollment
    from trainer.people.models import Rating
    _, a, _ = province
    o = make_official(unit=a, code="XK001", email="xk@laichau.gov.vn", full_name="Hà Thị Xuất")
    course = db.session.scalar(sa.select(Course).where(Course.code == COURSE))
    db.session.add_all([
        Rating(official_id=o.id, year=2025, rating="hoan_thanh_tot"),
        Enrollment(official_id=o.id, course_id=course.id, status="completed", score=9.0,
                   completed_on=date(2026, 1, 10), source="import", certificate_no="BDHVS-2026-1")])
    db.session.commit()
    return o


def test_national_export_json_layout(hr, exported):
    response = hr.get("/xuat-csdl-quoc-gia?format=json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.data)
    assert (data["format"], data["version"], data["count"]) == ("trainer.csdl-quoc-gia", 1, 1)
    record = data["officials"][0]
    assert list(record) == ["pid", "code", "full_name", "birth_date", "gender", "ethnicity",
                            "email", "unit", "position", "qualifications", "digital_signature",
                            "record_digitised", "ratings", "trainings", "updated_at",
                            "quality_issues"]
    assert (record["pid"], record["code"], record["birth_date"], record["gender"]) == (
        exported.pid, "XK001", "1990-05-17", "male")
    assert record["unit"] == {"code": "LCU-X01", "name": "Xã A"}
    assert record["position"] is None and record["quality_issues"] == ["missing"]
    assert record["qualifications"] == {"education": "dai_hoc", "political_theory": "so_cap",
                                        "state_management": "chuyen_vien", "it_level": "co_ban",
                                        "education_field": ""}
    assert record["ratings"] == [{"year": 2025, "period": "year", "period_no": 0,
                                  "period_label": "Năm 2025", "rating": "hoan_thanh_tot",
                                  "note": ""}]  # KH-7: ratings by period (docs/ratings.md)
    assert record["trainings"] == [{
        "course_code": COURSE, "course_name": record["trainings"][0]["course_name"],
        "category": "digital", "hours": 8, "provider": record["trainings"][0]["provider"],
        "cohort_code": None, "completed_on": "2026-01-10", "score": 9.0,
        "certificate_no": "BDHVS-2026-1", "certificate_issued_on": None, "source": "import"}]


def test_national_export_excel_reads_back(hr, exported):
    from trainer.interchange.operations import OFFICIAL_SHEET, RATING_SHEET, TRAINING_SHEET
    response = hr.get("/xuat-csdl-quoc-gia?format=xlsx")
    assert response.status_code == 200
    sheets = pd.read_excel(io.BytesIO(response.data), sheet_name=None, header=2, dtype=str)
    assert list(sheets) == ["Cán bộ", "Xếp loại", "Quá trình đào tạo"]
    assert list(sheets["Cán bộ"].columns) == list(OFFICIAL_SHEET)
    assert list(sheets["Xếp loại"].columns) == list(RATING_SHEET)
    assert list(sheets["Quá trình đào tạo"].columns) == list(TRAINING_SHEET)
    assert sheets["Cán bộ"].loc[0, "Số định danh cá nhân"] == exported.pid
    assert sheets["Xếp loại"].loc[0, "Xếp loại"] == "hoan_thanh_tot"
    assert sheets["Xếp loại"].loc[0, "Kỳ xếp loại"] == "Năm 2025"
    row = sheets["Quá trình đào tạo"].iloc[0]
    assert (row["Số định danh cá nhân"], row["Mã khóa học"], row["Số chứng chỉ"]) == (
        exported.pid, COURSE, "BDHVS-2026-1")


def test_each_data_quality_check(hr, province, catalog, make_official):
    from trainer.catalog.models import Position
    from trainer.interchange.operations import quality_issues
    from trainer.people.models import Official
    _, a, b = province
    cv = db.session.scalar(sa.select(Position).where(Position.code == "CV-VP"))
    clean = make_official(unit=a, position=cv)
    no_position = make_official(unit=a)
    bad_pid = make_official(unit=a, position=cv, pid="012" + "1" + "90000999")  # female digit
    twin1 = make_official(unit=a, position=cv, full_name="Lò Văn Trùng", birth_date=date(1980, 1, 2))
    twin2 = make_official(unit=b, position=cv, full_name="lò văn  trùng", birth_date=date(1980, 1, 2))
    stale = make_official(unit=b, position=cv)
    db.session.commit()
    old = datetime.now(timezone.utc) - timedelta(days=400)
    db.session.execute(sa.update(Official).where(Official.id == stale.id).values(updated_at=old))
    db.session.commit()
    issues = quality_issues(stale_months=12)
    got = {(r["official_id"], r["check"]) for r in issues.to_dict("records")}
    assert got == {(no_position.id, "missing"), (bad_pid.id, "invalid_pid"),
                   (twin1.id, "duplicate"), (twin2.id, "duplicate"), (stale.id, "stale")}
    assert clean.id not in set(issues["official_id"])
    details = dict(zip(zip(issues["official_id"], issues["check"]), issues["detail"]))
    assert details[(no_position.id, "missing")] == "Thiếu vị trí việc làm"
    assert "không khớp giới tính" in details[(bad_pid.id, "invalid_pid")]
    assert twin2.pid in details[(twin1.id, "duplicate")]
    assert "quá 12 tháng" in details[(stale.id, "stale")]
    assert quality_issues(stale_months=24)["check"].tolist().count("stale") == 0

    page = text(hr.get("/xuat-csdl-quoc-gia"))
    assert re.search(r'id="check-duplicate">2<', page)
    assert "Thiếu vị trí việc làm" in page and "Lò Văn Trùng" in page
    issues_xlsx = hr.get("/xuat-csdl-quoc-gia?format=issues")
    frame = pd.read_excel(io.BytesIO(issues_xlsx.data), header=2, dtype=str)
    assert len(frame) == 5 and "Vấn đề" in frame.columns


def test_export_is_limited_to_the_hr_scope(client, login, make_user, province, exported,
                                           make_official):
    _, a, b = province
    make_official(unit=b)
    db.session.commit()
    login(make_user("hr", unit_id=b.id))
    data = json.loads(client.get("/xuat-csdl-quoc-gia?format=json").data)
    assert data["count"] == 1 and data["officials"][0]["pid"] != exported.pid


# --------------------------------------------------------------------------- CLI
def test_cli_data_group_imports_with_dry_run_and_exports(app, runner, catalog, people, tmp_path):
    from trainer.interchange.cli import data_cli
    from trainer.interchange.models import ReviewItem
    from trainer.learning.models import Enrollment
    app.cli.add_command(data_cli)
    path = tmp_path / "bdhvs.csv"
    path.write_bytes(csv(completion_rows(people), COMPLETION))
    result = runner.invoke(args=["data", "import", "completions", str(path), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "Sẽ thêm 3, cập nhật 0, giữ nguyên 0 kết quả hoàn thành; 3 dòng sẽ chuyển" in result.output
    assert count(Enrollment) == 0 and count(ReviewItem) == 0
    result = runner.invoke(args=["data", "import", "completions", str(path)])
    assert result.exit_code == 0, result.output
    assert count(Enrollment) == 3 and count(ReviewItem) == 3
    out = tmp_path / "csdl.json"
    result = runner.invoke(args=["data", "export", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text(encoding="utf-8"))["count"] == len(people)
    result = runner.invoke(args=["data", "check"])
    assert result.exit_code == 0 and "Thiếu trường bắt buộc" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv([completion(pid="1")], COMPLETION))
    result = runner.invoke(args=["data", "import", "completions", str(bad)])
    assert result.exit_code != 0 and "dòng 2, cột “Số định danh cá nhân”" in result.output


def test_templates_for_the_new_kinds(hr, catalog, people):
    from trainer.interchange.operations import COMPLETION_COLUMNS, RATINGS, RESULT_COLUMNS
    for kind, columns in (("ratings", RATINGS.headers), ("results", RESULT_COLUMNS),
                          ("completions", COMPLETION_COLUMNS)):
        response = hr.get(f"/nhap-du-lieu/mau/{kind}.xlsx")
        assert response.status_code == 200
        df = pd.read_excel(io.BytesIO(response.data), dtype=str).fillna("")
        assert list(df.columns) == list(columns) and len(df) == 1
    page = text(hr.get("/nhap-du-lieu"))
    assert "Tải danh mục hiện có" in page and "/hang-cho-doi-chieu" in page
