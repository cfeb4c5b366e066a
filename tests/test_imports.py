"""Spreadsheet imports on the web (/nhap-du-lieu): HR only, within the HR officer's units,
all-or-nothing with every error listed; the downloadable templates import cleanly. Each upload
is previewed first and then confirmed (tests/test_interchange.py covers the preview itself)."""
from __future__ import annotations

import html
import io
import re
from datetime import date

import pandas as pd
import pytest
import sqlalchemy as sa

from trainer.core.extensions import db
from trainer.people.identity import make_pid
from trainer.people.operations import ASSESSMENT_COLUMNS, OFFICIAL_COLUMNS

HEADERS = list(OFFICIAL_COLUMNS)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_bytes(rows, columns=HEADERS) -> bytes:
    buf = io.BytesIO()
    pd.DataFrame(rows, columns=columns).to_excel(buf, index=False)
    return buf.getvalue()


def upload(client, kind: str, data: bytes, filename: str):
    """Upload, then confirm the preview when it offers to (no errors, something to write)."""
    response = client.post("/nhap-du-lieu", data={"kind": kind, "file": (io.BytesIO(data), filename)},
                           content_type="multipart/form-data")
    found = re.search(r'action="(/nhap-du-lieu/lo/\d+/xac-nhan)"', response.get_data(as_text=True))
    if response.status_code != 200 or not found:
        return response
    return client.post(found.group(1), follow_redirects=True)


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def official_count() -> int:
    from trainer.people.models import Official
    return db.session.scalar(sa.select(sa.func.count(Official.id)))


def person(n: int, unit_code: str, **changes) -> dict:
    birth = date(1987, 4, 12)
    row = {h: "" for h in HEADERS}
    row.update({"Mã cán bộ": f"W{n:04d}", "Số định danh cá nhân": make_pid("011", birth, "female", 700 + n),
                "Họ và tên": f"Lường Thị Thử {n}", "Ngày sinh": "12/04/1987", "Giới tính": "Nữ",
                "Dân tộc": "Thái", "Mã đơn vị": unit_code, "Trình độ chuyên môn": "Đại học",
                "Lý luận chính trị": "Trung cấp", "Chữ ký số": "có"})
    row.update(changes)
    return row


@pytest.fixture
def hr_client(province, make_user, login):
    _, a, _ = province
    return login(make_user("hr", unit_id=a.id))


def test_hr_uploads_good_xlsx(hr_client, province):
    from trainer.people.models import Official
    _, a, _ = province
    rows = [person(1, a.code), person(2, a.code, **{"Dân tộc": "H'Mông"}), person(3, a.code)]
    response = upload(hr_client, "officials", xlsx_bytes(rows), "ds.xlsx")
    assert response.status_code == 200
    text = page_text(response)
    assert "Đã thêm 3, cập nhật 0, giữ nguyên 0 cán bộ." in text
    got = db.session.scalars(sa.select(Official).order_by(Official.code)).all()
    assert [o.code for o in got] == ["W0001", "W0002", "W0003"]
    assert all(o.unit_id == a.id and o.gender == "female" and o.digital_signature for o in got)
    assert got[1].ethnicity == "Mông"

    again = upload(hr_client, "officials", xlsx_bytes(rows), "ds.xlsx")
    assert "Sẽ thêm 0, cập nhật 0, giữ nguyên 3 cán bộ." in page_text(again)  # nothing to confirm
    assert official_count() == 3


def test_broken_file_lists_every_error_and_writes_nothing(hr_client, province):
    _, a, _ = province
    rows = [person(1, a.code),
            person(2, a.code, **{"Số định danh cá nhân": "0111870007"}),
            person(3, a.code, **{"Ngày sinh": "30/02/1987"}),
            person(4, a.code, **{"Mã đơn vị": "KHONG-CO"}),
            person(5, a.code, **{"Giới tính": "Khác"}),
            person(6, a.code)]
    response = upload(hr_client, "officials", xlsx_bytes(rows), "ds.xlsx")
    assert response.status_code == 200
    text = page_text(response)
    assert "Tệp có 4 lỗi, không ghi dữ liệu nào." in text
    for expected in ("dòng 3, cột “Số định danh cá nhân”: “0111870007” phải gồm đúng 12 chữ số",
                     "dòng 4, cột “Ngày sinh”: “30/02/1987” không phải ngày hợp lệ",
                     "dòng 5, cột “Mã đơn vị”: không có đơn vị mã “KHONG-CO”",
                     "dòng 6, cột “Giới tính”: “Khác” không phải giới tính hợp lệ"):
        assert f"<li>{expected}" in text, expected
    assert text.count("<li>dòng ") == 4
    assert "Đã thêm" not in text
    assert official_count() == 0


def test_row_outside_the_hr_scope_is_refused(hr_client, province):
    _, a, b = province
    rows = [person(1, a.code), person(2, b.code), person(3, a.code)]
    csv = pd.DataFrame(rows, columns=HEADERS).to_csv(index=False).encode("utf-8-sig")
    response = upload(hr_client, "officials", csv, "ds.csv")
    text = page_text(response)
    assert "dòng 3, cột “Mã đơn vị”: đơn vị “LCU-X02” ngoài phạm vi quản lý của bạn" in text
    assert text.count("<li>dòng ") == 1
    assert official_count() == 0


def test_hr_cannot_update_an_official_of_another_commune(hr_client, province, make_official):
    """Re-importing someone else's official with a unit code of one's own commune would move
    them: the identity number is outside the HR officer's scope, so the row is refused."""
    from trainer.people.models import Official
    _, a, b = province
    other = make_official(unit=b, gender="female", birth_date=date(1987, 4, 12))
    db.session.commit()
    row = person(1, a.code, **{"Số định danh cá nhân": other.pid, "Mã cán bộ": other.code})
    response = upload(hr_client, "officials", xlsx_bytes([row]), "ds.xlsx")
    text = page_text(response)
    assert "Đã thêm" not in text
    assert f"dòng 2, cột “Số định danh cá nhân”: cán bộ {other.pid} ngoài phạm vi" in text
    db.session.expire_all()
    assert db.session.get(Official, other.id).unit_id == b.id


def test_assessments_upload_within_scope(hr_client, province, catalog, make_official):
    from trainer.people.models import Assessment
    _, a, b = province
    mine, theirs = make_official(unit=a), make_official(unit=b)
    db.session.commit()
    rows = [{"Số định danh cá nhân": mine.pid, "Mã năng lực": "CDS-01", "Mức": "3",
             "Ngày đánh giá": "02/02/2026", "Nguồn": "Kiểm tra, sát hạch", "Người đánh giá": ""}]
    response = upload(hr_client, "assessments", xlsx_bytes(rows, list(ASSESSMENT_COLUMNS)), "dg.xlsx")
    assert "Đã thêm 1, cập nhật 0, giữ nguyên 0 kết quả đánh giá." in page_text(response)
    got = db.session.scalars(sa.select(Assessment)).one()
    assert (got.official_id, got.level, got.source) == (mine.id, 3, "test")
    assert got.assessor.startswith("Người dùng hr")  # the uploader, when the cell is empty

    rows[0]["Số định danh cá nhân"] = theirs.pid
    response = upload(hr_client, "assessments", xlsx_bytes(rows, list(ASSESSMENT_COLUMNS)), "dg.xlsx")
    text = page_text(response)
    assert f"dòng 2, cột “Số định danh cá nhân”: cán bộ {theirs.pid} ngoài phạm vi" in text
    assert db.session.scalar(sa.select(sa.func.count(Assessment.id))) == 1


def test_unreadable_or_wrong_files_are_refused(hr_client, province):
    response = upload(hr_client, "officials", b"this is not a zip archive" * 10, "ds.xlsx")
    assert response.status_code == 200
    assert "Không đọc được tệp “ds.xlsx”" in page_text(response)
    response = upload(hr_client, "officials", b"Ma can bo\n", "ds.txt")
    assert response.status_code == 200
    assert "Chỉ nhận tệp .xlsx hoặc .csv." in page_text(response)
    assert official_count() == 0


def test_official_role_gets_403(client, login, make_official, make_user, province):
    official = make_official(unit=province[1])
    db.session.commit()
    login(make_user("official", official_id=official.id))
    assert client.get("/nhap-du-lieu").status_code == 403
    rows = [person(1, province[1].code)]
    assert upload(client, "officials", xlsx_bytes(rows), "ds.xlsx").status_code == 403
    assert client.get("/nhap-du-lieu/mau/officials.xlsx").status_code == 403
    assert official_count() == 1


def test_anonymous_is_sent_to_login(client):
    response = client.get("/nhap-du-lieu")
    assert response.status_code == 302 and "/dang-nhap" in response.headers["Location"]


def test_templates_have_the_documented_headers_and_import_cleanly(hr_client, province, catalog):
    from trainer.people.models import Assessment, Official
    _, a, _ = province
    assert hr_client.get("/nhap-du-lieu/mau/khac.xlsx").status_code == 404

    response = hr_client.get("/nhap-du-lieu/mau/officials.xlsx")
    assert response.status_code == 200
    assert response.mimetype == XLSX
    assert "attachment" in response.headers["Content-Disposition"]
    df = pd.read_excel(io.BytesIO(response.data), dtype=str).fillna("")
    assert list(df.columns) == [
        "Mã cán bộ", "Số định danh cá nhân", "Họ và tên", "Ngày sinh", "Giới tính", "Dân tộc",
        "Mã đơn vị", "Mã vị trí việc làm", "Trình độ chuyên môn", "Chuyên ngành",
        "Lý luận chính trị", "Quản lý nhà nước", "Tin học", "Chữ ký số", "Đã số hóa hồ sơ", "Email"]
    assert list(df.columns) == HEADERS
    assert len(df) == 1
    df.loc[0, "Mã đơn vị"] = a.code
    buf = io.BytesIO()
    df.to_excel(buf, index=False)
    result = upload(hr_client, "officials", buf.getvalue(), "mau-can-bo.xlsx")
    assert "Đã thêm 1, cập nhật 0, giữ nguyên 0 cán bộ." in page_text(result)
    official = db.session.scalars(sa.select(Official)).one()
    assert (official.pid, official.gender, official.ethnicity, official.unit_id) == (
        df.loc[0, "Số định danh cá nhân"], "female", "Thái", a.id)

    response = hr_client.get("/nhap-du-lieu/mau/assessments.xlsx")
    assert response.status_code == 200
    df = pd.read_excel(io.BytesIO(response.data), dtype=str).fillna("")
    assert list(df.columns) == list(ASSESSMENT_COLUMNS) == [
        "Số định danh cá nhân", "Mã năng lực", "Mức", "Ngày đánh giá", "Nguồn", "Người đánh giá"]
    assert df.loc[0, "Mã năng lực"] != ""  # filled with a real competency code
    # the example assessment is about the example official
    result = upload(hr_client, "assessments", response.data, "mau-danh-gia.xlsx")
    assert "Đã thêm 1, cập nhật 0, giữ nguyên 0 kết quả đánh giá." in page_text(result), page_text(result)
    assert db.session.scalars(sa.select(Assessment)).one().official_id == official.id


def test_a_semicolon_csv_saved_by_vietnamese_excel_is_read(tmp_path):
    from trainer.core.tabular import read_table
    path = tmp_path / "ds.csv"
    path.write_text("Mã cán bộ;Họ và tên\nCB1;Lò Văn Páo\n\nCB2;Vàng Thị Dở\n", encoding="utf-8-sig")
    df = read_table(path, path.name)
    assert list(df.columns) == ["Mã cán bộ", "Họ và tên"]
    # The blank line is kept so that row numbers match the spreadsheet (header = row 1).
    assert df["Họ và tên"].tolist() == ["Lò Văn Páo", "", "Vàng Thị Dở"]
