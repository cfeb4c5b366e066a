"""Issue 5, the catalog as import files: competencies, training providers, courses and job
positions with their competency framework come in as .xlsx/.csv with Vietnamese headers, through
the same preview → confirm as every other import (web and CLI), validated with the catalog's own
rules; the stored table downloads in the same layout and imports back unchanged."""
from __future__ import annotations

import io
import re

import pandas as pd
import pytest
import sqlalchemy as sa

from tests.test_interchange import confirm_url, counts_on_page, csv, preview, text, xlsx
from trainer.catalog.operations import CATALOG_COLUMNS
from trainer.core.extensions import db

COMP = list(CATALOG_COLUMNS["competencies"])
COURSE = list(CATALOG_COLUMNS["courses"])
POSITION = list(CATALOG_COLUMNS["positions"])


@pytest.fixture
def hr(client, province, catalog, make_user, login):
    return login(make_user("hr", unit_id=province[0].id))


def competency(code="AI-09", name="Ứng dụng trí tuệ nhân tạo trong soạn thảo văn bản", **more):
    row = {"Mã năng lực": code, "Tên năng lực": name, "Nhóm năng lực": "Năng lực phát triển",
           "Lĩnh vực": "ai", "Mô tả": ""}
    row.update(more)
    return row


def course(code="AI-VB", **more):
    row = dict.fromkeys(COURSE, "")
    row.update({"Mã khóa học": code, "Tên khóa học": "Dùng AI soạn thảo văn bản hành chính",
                "Mã cơ sở đào tạo": "PTIT", "Loại nội dung": "digital", "Hình thức": "Trực tuyến",
                "Số tiết": "12", "Điểm đạt": "5,0", "Năng lực đạt được": "CDS-01:2",
                "Khóa học tiên quyết": "BDHVS-KNS", "Cần phê duyệt": "không",
                "Kinh phí (đồng/học viên)": "1.500.000"})
    row.update(more)
    return row


def download(client, kind) -> bytes:
    response = client.get(f"/nhap-du-lieu/mau/{kind}.xlsx?all=1")
    assert response.status_code == 200
    return response.data


@pytest.mark.parametrize("kind, total", [("competencies", 60), ("providers", 9), ("courses", 89),
                                         ("positions", 20)])
def test_the_stored_table_downloads_and_imports_back_unchanged(hr, kind, total):
    data = download(hr, kind)
    frame = pd.read_excel(io.BytesIO(data), dtype=str)
    assert list(frame.columns) == list(CATALOG_COLUMNS[kind]) and len(frame) == total
    response = preview(hr, kind, data, f"{kind}.xlsx")
    assert counts_on_page(response) == {"created": 0, "updated": 0, "unchanged": total}
    assert "nhập lại không thay đổi gì" in text(response)
    assert confirm_url(response) is None  # nothing to confirm


def test_template_has_the_headers_and_a_real_example_row(hr):
    frame = pd.read_excel(io.BytesIO(hr.get("/nhap-du-lieu/mau/courses.xlsx").data), dtype=str)
    assert list(frame.columns) == COURSE and len(frame) == 1
    assert re.fullmatch(r"[A-Z0-9-]+:\d(; [A-Z0-9-]+:\d)*", frame["Năng lực đạt được"][0])


def test_competencies_create_update_confirm_and_reimport(hr):
    from trainer.catalog.models import Competency
    rows = [competency(), competency("CDS-01", "Kỹ năng số cơ bản (sửa tên)",
                                     **{"Nhóm năng lực": "thuc_thi", "Lĩnh vực": "digital"})]
    upload = xlsx(rows, COMP)
    response = preview(hr, "competencies", upload)
    assert counts_on_page(response) == {"created": 1, "updated": 1, "unchanged": 0}
    assert "Sẽ thêm 1, cập nhật 1, giữ nguyên 0 năng lực." in text(response)
    assert db.session.scalar(sa.select(Competency).where(Competency.code == "AI-09")) is None
    done = hr.post(confirm_url(response), follow_redirects=True)
    assert "Đã thêm 1, cập nhật 1, giữ nguyên 0 năng lực." in text(done)
    db.session.expire_all()
    new = db.session.scalar(sa.select(Competency).where(Competency.code == "AI-09"))
    assert (new.group, new.domain) == ("phat_trien", "ai")
    assert db.session.scalar(sa.select(Competency.name).where(Competency.code == "CDS-01")) \
        == "Kỹ năng số cơ bản (sửa tên)"
    again = preview(hr, "competencies", upload)
    assert counts_on_page(again) == {"created": 0, "updated": 0, "unchanged": 2}


def test_a_course_may_name_stored_and_new_codes_and_closes_gaps_like_the_catalog(hr):
    from trainer.catalog.models import Course
    rows = [course(), course("AI-VB2", **{"Khóa học tiên quyết": "AI-VB; LLCT-SC",
                                          "Năng lực đạt được": "CDS-01:3; LLCT-01:1",
                                          "Văn bằng, chứng chỉ": "it_level:co_ban",
                                          "Hiệu lực (tháng)": "24", "Cần phê duyệt": "có"})]
    response = preview(hr, "courses", csv(rows, COURSE), "khoa-hoc.csv")
    assert counts_on_page(response) == {"created": 2, "updated": 0, "unchanged": 0}
    hr.post(confirm_url(response))
    db.session.expire_all()
    second = db.session.scalar(sa.select(Course).where(Course.code == "AI-VB2"))
    assert sorted(p.code for p in second.prerequisites) == ["AI-VB", "LLCT-SC"]
    assert {t.competency.code: t.level for t in second.teaches} == {"CDS-01": 3, "LLCT-01": 1}
    assert (second.qualification_kind, second.validity_months, second.requires_approval,
            second.provider.code) == ("it_level", 24, True, "PTIT")
    assert db.session.scalar(sa.select(Course.cost).where(Course.code == "AI-VB")) == 1_500_000


def test_every_kind_of_catalog_error_is_named_by_row_and_column_and_nothing_is_written(hr):
    from trainer.catalog.models import Course
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Course))
    rows = [
        course("X-1", **{"Mã cơ sở đào tạo": "KHONG-CO"}),                      # row 2
        course("X-2", **{"Năng lực đạt được": "CDS-01:7; ZZ-99:2"}),            # row 3
        course("X-3", **{"Số tiết": "mười", "Điểm đạt": "11"}),                 # row 4
        course("X-1", **{"Hình thức": "bay"}),                                  # row 5
        course("X-4", **{"Khóa học tiên quyết": "KHONG-CO"}),                   # row 6
        course("BDHVS-KNS", **{"Khóa học tiên quyết": "X-5"}),                  # row 7
        course("X-5", **{"Khóa học tiên quyết": "BDHVS-KNS"}),                  # row 8
        course("X-6", **{"Cần phê duyệt": "tùy", "Tên khóa học": ""}),          # row 9
    ]
    response = preview(hr, "courses", xlsx(rows, COURSE))
    page = text(response)
    for expected in [
        'dòng 2, cột “Mã cơ sở đào tạo”: cơ sở đào tạo "KHONG-CO" không có trong danh mục cơ sở',
        'dòng 3, cột “Năng lực đạt được”: mức 7 của "CDS-01" nằm ngoài khoảng 1–4',
        'dòng 3, cột “Năng lực đạt được”: năng lực "ZZ-99" không có trong danh mục năng lực',
        'dòng 4, cột “Số tiết”: "mười" không phải số nguyên dương',
        "dòng 4, cột “Điểm đạt”: 11 nằm ngoài khoảng [0; 10]",
        'dòng 5, cột “Mã khóa học”: mã "X-1" trùng với dòng 2',
        'dòng 5, cột “Hình thức”: giá trị "bay" không hợp lệ',
        'dòng 6, cột “Khóa học tiên quyết”: khóa học tiên quyết "KHONG-CO" không có trong danh',
        "dòng 7, cột “Khóa học tiên quyết”: điều kiện tiên quyết tạo vòng lặp",
        'dòng 9, cột “Cần phê duyệt”: "tùy" không hợp lệ',
        "dòng 9, cột “Tên khóa học”: không được để trống",
    ]:
        assert expected in page, expected
    assert confirm_url(response) is None
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Course)) == before
    # Errors are listed in row order.
    rows_named = [int(n) for n in re.findall(r"dòng (\d+), cột", page)]
    assert rows_named == sorted(rows_named)


def test_missing_required_headers_are_named(hr):
    response = preview(hr, "positions", xlsx([{"Mã vị trí việc làm": "X"}], ["Mã vị trí việc làm"]))
    page = text(response)
    assert "thiếu cột “Tên vị trí việc làm”" in page and "“Khung năng lực”" in page


def test_a_position_framework_change_changes_officials_gaps(hr, province, make_official):
    from trainer.catalog.models import Competency, Position
    from trainer.guidance.operations import guidance_for
    ai = db.session.scalar(sa.select(Competency.id).where(Competency.code == "AI-01"))
    position = db.session.scalar(sa.select(Position).where(Position.code == "CV-VHXH"))
    official = make_official(unit_id=province[1].id, position_id=position.id)
    db.session.commit()
    assert ai not in {g.competency_id for g in guidance_for(official).gaps if g.gap}
    frame = pd.read_excel(io.BytesIO(download(hr, "positions")), dtype=str)
    row = frame[frame["Mã vị trí việc làm"] == "CV-VHXH"].iloc[0].to_dict()
    row["Khung năng lực"] += "; AI-01:3"
    response = preview(hr, "positions", xlsx([row], POSITION))
    assert counts_on_page(response) == {"created": 0, "updated": 1, "unchanged": 0}
    hr.post(confirm_url(response))
    db.session.expire_all()
    assert ai in {g.competency_id for g in guidance_for(
        db.session.get(type(official), official.id)).gaps if g.gap}


def test_only_province_hr_and_admins_import_the_catalog(client, province, catalog, make_user,
                                                        login):
    commune = login(make_user("hr", unit_id=province[1].id))
    page = text(commune.get("/nhap-du-lieu"))
    assert "Danh mục khóa học" not in page and "Danh sách cán bộ" in page
    assert commune.get("/nhap-du-lieu/mau/courses.xlsx?all=1").status_code == 404
    response = text(preview(commune, "courses", xlsx([course()], COURSE)))
    assert "Xem trước khi nhập" not in response and "Lựa chọn không hợp lệ." in response


def test_cli_imports_a_catalog_table(app, runner, catalog, tmp_path):
    from trainer.catalog.models import Course
    from trainer.interchange.cli import data_cli
    app.cli.add_command(data_cli)
    path = tmp_path / "khoa-hoc.csv"
    path.write_text(pd.DataFrame([course()], columns=COURSE).to_csv(index=False, sep=";"),
                    encoding="utf-8-sig")
    result = runner.invoke(args=["data", "import", "courses", str(path), "--dry-run"])
    assert result.exit_code == 0 and "Sẽ thêm 1, cập nhật 0, giữ nguyên 0 khóa học." \
        in result.output, result.output
    assert db.session.scalar(sa.select(Course).where(Course.code == "AI-VB")) is None
    result = runner.invoke(args=["data", "import", "courses", str(path)])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(sa.select(Course).where(Course.code == "AI-VB")) is not None
