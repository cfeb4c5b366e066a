"""The `trainer` command line: catalog load, imports, recommend, targets, demo, setup. Every
command runs through app.test_cli_runner() on the test database; fixture spreadsheets are written
into tmp_path by the tests themselves."""
from __future__ import annotations

import csv
import json
import re
import shutil
from datetime import date, datetime, timedelta

import pandas as pd
import pytest
import sqlalchemy as sa

from trainer.core.extensions import db
from trainer.people.identity import make_pid
from trainer.people.operations import ASSESSMENT_COLUMNS, OFFICIAL_COLUMNS

HEADERS = list(OFFICIAL_COLUMNS)


# --------------------------------------------------------------------------- helpers
def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def catalog_counts() -> dict[str, int]:
    from trainer.catalog.models import (Competency, Course, CourseCompetency, Position,
                                        PositionRequirement, Provider, RegionPriority)
    return {m.__tablename__: count(m) for m in (Competency, Course, Position, Provider,
                                                RegionPriority, PositionRequirement,
                                                CourseCompetency)}


def error_lines(output: str) -> list[str]:
    """The per-problem lines the CLI prints before its summary (`  - …`)."""
    return [line[4:] for line in output.splitlines() if line.startswith("  - ")]


def official_row(**values) -> dict[str, object]:
    row = {h: "" for h in HEADERS}
    row.update(values)
    return row


def write_xlsx(path, rows, columns=HEADERS):
    pd.DataFrame(rows, columns=columns).to_excel(path, index=False)
    return path


def write_csv(path, rows, columns=HEADERS):
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({c: row.get(c, "") for c in columns})
    return path


def officials_by_code() -> dict:
    from trainer.people.models import Official
    return {o.code: o for o in db.session.scalars(sa.select(Official))}


@pytest.fixture
def commune(app, make_unit):
    unit = make_unit(code="LCU-X01", name="Xã Mường Thử", region="mountain")
    db.session.commit()
    return unit


def good_officials(unit_code: str) -> list[dict]:
    """Three valid officials with Vietnamese labels, as a commune HR officer would type them."""
    return [
        official_row(**{
            "Mã cán bộ": "CB001", "Số định danh cá nhân": make_pid("012", date(1990, 3, 15), "female", 1),
            "Họ và tên": "Lò Thị Mai", "Ngày sinh": "15/03/1990", "Giới tính": "Nữ",
            "Dân tộc": "Thái", "Mã đơn vị": unit_code, "Mã vị trí việc làm": "CV-VP",
            "Trình độ chuyên môn": "Đại học", "Chuyên ngành": "Luật",
            "Lý luận chính trị": "Trung cấp", "Quản lý nhà nước": "Chuyên viên",
            "Tin học": "Cơ bản", "Chữ ký số": "có", "Đã số hóa hồ sơ": "không",
            "Email": "mai.lt@laichau.gov.vn"}),
        official_row(**{
            "Mã cán bộ": "CB002", "Số định danh cá nhân": make_pid("012", date(2001, 1, 9), "male", 2),
            # a date cell typed as a real date in Excel (read back as "2001-01-09 00:00:00")
            "Họ và tên": "Giàng A Páo", "Ngày sinh": datetime(2001, 1, 9), "Giới tính": "Nam",
            "Dân tộc": "H'Mông", "Mã đơn vị": unit_code, "Trình độ chuyên môn": "Trung cấp",
            "Lý luận chính trị": "Sơ cấp", "Chữ ký số": "không", "Đã số hóa hồ sơ": "có"}),
        official_row(**{
            "Mã cán bộ": "CB003", "Số định danh cá nhân": make_pid("001", date(1985, 7, 2), "male", 3),
            "Họ và tên": "Nguyễn Văn Hùng", "Ngày sinh": "1985-07-02", "Giới tính": "nam",
            "Dân tộc": "kinh", "Mã đơn vị": unit_code, "Mã vị trí việc làm": "CT-UBND",
            "Trình độ chuyên môn": "Thạc sĩ", "Lý luận chính trị": "cao_cap",
            "Quản lý nhà nước": "Chuyên viên chính", "Tin học": "Nâng cao"}),
    ]


# --------------------------------------------------------------------------- catalog load
def test_catalog_load_prints_counts_and_is_idempotent(runner):
    from courses import load_catalog
    cat = load_catalog()
    result = runner.invoke(args=["catalog", "load"])
    assert result.exit_code == 0, result.output
    assert "Đã nạp danh mục:" in result.output
    for kind, n in (("competencies", len(cat.competencies)), ("courses", len(cat.courses)),
                    ("positions", len(cat.positions)), ("providers", len(cat.providers))):
        assert f"{kind} {n}" in result.output
    first = catalog_counts()
    assert first["competencies"] == len(cat.competencies) > 0
    assert first["courses"] == len(cat.courses) > 0
    assert first["positions"] == len(cat.positions) > 0

    again = runner.invoke(args=["catalog", "load"])
    assert again.exit_code == 0, again.output
    db.session.expire_all()
    assert catalog_counts() == first  # nothing duplicated, links replaced not appended


def _broken_catalog(tmp_path):
    """A copy of courses/data where the course on line 3 has hours "nhiều" and the course on
    line 2 has been renamed (a valid change that must not be written either)."""
    from courses import DATA_DIR
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    path = target / "courses.csv"
    with open(path, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    renamed = rows[1][0]
    rows[1][rows[0].index("name")] = "Tên đã đổi"
    rows[2][rows[0].index("hours")] = "nhiều"
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f).writerows(rows)
    return target, renamed


def test_catalog_load_broken_directory_writes_nothing(runner, tmp_path):
    from trainer.catalog.models import Course
    assert runner.invoke(args=["catalog", "load"]).exit_code == 0
    before = catalog_counts()
    broken, renamed = _broken_catalog(tmp_path)

    result = runner.invoke(args=["catalog", "load", str(broken)])
    assert result.exit_code != 0
    assert "Danh mục không hợp lệ, không nạp gì." in result.output
    lines = error_lines(result.output)
    assert any(line.startswith('courses.csv, dòng 3, cột "hours"') for line in lines), lines
    assert len(lines) == 1, lines
    db.session.expire_all()
    assert catalog_counts() == before
    name = db.session.scalar(sa.select(Course.name).where(Course.code == renamed))
    assert name != "Tên đã đổi"


def test_catalog_load_broken_directory_on_empty_database(runner, tmp_path):
    broken, _ = _broken_catalog(tmp_path)
    result = runner.invoke(args=["catalog", "load", str(broken)])
    assert result.exit_code != 0
    assert 'courses.csv, dòng 3, cột "hours"' in result.output
    assert all(n == 0 for n in catalog_counts().values())


def test_catalog_load_missing_directory(runner, tmp_path):
    result = runner.invoke(args=["catalog", "load", str(tmp_path / "khong-co")])
    assert result.exit_code != 0
    assert "không tìm thấy tệp" in result.output
    assert all(n == 0 for n in catalog_counts().values())


# --------------------------------------------------------------------------- import officials
def test_import_officials_xlsx_creates_then_updates(runner, catalog, commune, tmp_path):
    from trainer.catalog.models import Position
    from trainer.people.models import Official
    path = write_xlsx(tmp_path / "can-bo.xlsx", good_officials(commune.code))

    result = runner.invoke(args=["import", "officials", str(path)])
    assert result.exit_code == 0, result.output
    assert "Đã thêm 3, cập nhật 0 cán bộ." in result.output
    got = officials_by_code()
    assert set(got) == {"CB001", "CB002", "CB003"}
    mai, pao, hung = got["CB001"], got["CB002"], got["CB003"]
    cv_vp = db.session.scalar(sa.select(Position.id).where(Position.code == "CV-VP"))
    assert (mai.pid, mai.full_name, mai.birth_date, mai.gender, mai.ethnicity) == (
        "012190000001", "Lò Thị Mai", date(1990, 3, 15), "female", "Thái")
    assert (mai.education, mai.political_theory, mai.state_management, mai.it_level) == (
        "dai_hoc", "trung_cap", "chuyen_vien", "co_ban")
    assert mai.position_id == cv_vp and mai.unit_id == commune.id
    assert mai.digital_signature is True and mai.record_digitised is False
    assert mai.education_field == "Luật" and mai.email == "mai.lt@laichau.gov.vn"
    assert pao.birth_date == date(2001, 1, 9) and pao.gender == "male"
    assert pao.ethnicity == "Mông"  # alias H'Mông
    assert (pao.education, pao.political_theory) == ("trung_cap", "so_cap")
    assert pao.position_id is None and pao.record_digitised is True
    # optional cells left empty take the model defaults
    assert (pao.state_management, pao.it_level, pao.email) == ("none", "none", None)
    assert (hung.birth_date, hung.ethnicity, hung.education) == (date(1985, 7, 2), "Kinh", "thac_si")
    assert (hung.political_theory, hung.state_management, hung.it_level) == (
        "cao_cap", "chuyen_vien_chinh", "nang_cao")

    # the same file again (one name corrected): updates by identity number, creates nothing,
    # and leaves the rows that did not change alone
    rows = good_officials(commune.code)
    rows[0]["Họ và tên"] = "Lò Thị Mai Anh"
    write_xlsx(path, rows)
    again = runner.invoke(args=["import", "officials", str(path)])
    assert again.exit_code == 0, again.output
    assert "Đã thêm 0, cập nhật 1 cán bộ. Giữ nguyên 2." in again.output
    db.session.expire_all()
    assert count(Official) == 3
    assert officials_by_code()["CB001"].full_name == "Lò Thị Mai Anh"


def test_import_officials_broken_csv_reports_every_row_and_writes_nothing(
        runner, catalog, commune, make_official, tmp_path):
    from trainer.people.models import Official
    existing = make_official(code="EXIST01", unit=commune)
    existing_name = existing.full_name
    db.session.commit()

    def row(n, **changes):
        birth = date(1988, 8, 8)
        base = {"Mã cán bộ": f"NEW{n:03d}", "Số định danh cá nhân": make_pid("012", birth, "male", 500 + n),
                "Họ và tên": f"Nguyễn Văn Mới {n}", "Ngày sinh": "08/08/1988", "Giới tính": "Nam",
                "Dân tộc": "Kinh", "Mã đơn vị": commune.code, "Mã vị trí việc làm": "CV-VP",
                "Trình độ chuyên môn": "Đại học"}
        base.update(changes)
        return official_row(**base)

    good_pid = make_pid("012", date(1988, 8, 8), "male", 501)
    rows = [
        row(1),                                                         # 2: good
        row(2, **{"Số định danh cá nhân": "01219000012"}),              # 3: 11 digits
        row(3, **{"Số định danh cá nhân": "003090000003"}),             # 4: no province 003
        row(4, **{"Số định danh cá nhân": make_pid("012", date(1989, 8, 8), "male", 4)}),  # 5: year
        row(5, **{"Số định danh cá nhân": make_pid("012", date(1988, 8, 8), "female", 5)}),  # 6: gender
        row(6, **{"Mã đơn vị": "KHONG-CO"}),                            # 7: unknown unit
        row(7, **{"Mã vị trí việc làm": "KHONG-CO"}),                   # 8: unknown position
        row(8, **{"Ngày sinh": "31/02/1988"}),                          # 9: no such date
        row(9, **{"Dân tộc": "Ngoài hành tinh"}),                       # 10: unknown ethnicity
        row(10, **{"Trình độ chuyên môn": "Tiến sỹ danh dự"}),          # 11: bad level label
        row(11, **{"Số định danh cá nhân": good_pid}),                  # 12: pid repeats row 2
        row(12, **{"Mã cán bộ": "EXIST01"}),                            # 13: code of another official
        row(13, **{"Họ và tên": ""}),                                   # 14: required cell empty
        row(14),                                                        # 15: good
    ]
    expected = {
        3: ("Số định danh cá nhân", "phải gồm đúng 12 chữ số"),
        4: ("Số định danh cá nhân", "mã tỉnh “003”"),
        5: ("Số định danh cá nhân", "không khớp năm sinh 1988"),
        6: ("Số định danh cá nhân", "không khớp giới tính"),
        7: ("Mã đơn vị", "không có đơn vị mã “KHONG-CO”"),
        8: ("Mã vị trí việc làm", "không có vị trí mã “KHONG-CO”"),
        9: ("Ngày sinh", "“31/02/1988” không phải ngày hợp lệ"),
        10: ("Dân tộc", "“Ngoài hành tinh” không thuộc 54 dân tộc"),
        11: ("Trình độ chuyên môn", "“Tiến sỹ danh dự” không phải"),
        12: ("Số định danh cá nhân", "trùng với dòng 2"),
        13: ("Mã cán bộ", "“EXIST01” đã thuộc một cán bộ có số định danh khác"),
        14: ("Họ và tên", "không được để trống"),
    }
    path = write_csv(tmp_path / "can-bo.csv", rows)

    result = runner.invoke(args=["import", "officials", str(path)])
    assert result.exit_code != 0
    assert f"Tệp có {len(expected)} lỗi, không ghi dữ liệu nào." in result.output
    lines = error_lines(result.output)
    assert len(lines) == len(expected), lines
    for line_no, (column, fragment) in expected.items():
        mine = [x for x in lines if x.startswith(f"dòng {line_no}, ")]
        assert len(mine) == 1, (line_no, lines)
        assert f"cột “{column}”" in mine[0] and fragment in mine[0], mine[0]
    assert not any(x.startswith(("dòng 2,", "dòng 15,")) for x in lines)
    db.session.expire_all()
    assert count(Official) == 1  # not even rows 2 and 15
    assert db.session.get(Official, existing.id).full_name == existing_name


def test_import_officials_missing_column(runner, commune, tmp_path):
    from trainer.people.models import Official
    rows = good_officials(commune.code)
    columns = [h for h in HEADERS if h != "Mã đơn vị"]
    path = write_csv(tmp_path / "thieu-cot.csv", rows, columns)
    result = runner.invoke(args=["import", "officials", str(path)])
    assert result.exit_code != 0
    assert error_lines(result.output) == ["thieu-cot.csv: thiếu cột “Mã đơn vị”"]
    assert count(Official) == 0


def test_import_officials_optional_columns_may_be_absent(runner, commune, tmp_path):
    from trainer.people.operations import OFFICIAL_REQUIRED
    rows = good_officials(commune.code)[:1]
    rows[0]["Ngày sinh"] = "15/03/1990"
    path = write_csv(tmp_path / "toi-thieu.csv", rows, list(OFFICIAL_REQUIRED))
    result = runner.invoke(args=["import", "officials", str(path)])
    assert result.exit_code == 0, result.output
    official = officials_by_code()["CB001"]
    assert (official.ethnicity, official.education) == ("Kinh", "none")


def test_import_rejects_other_file_types(runner, tmp_path):
    path = tmp_path / "can-bo.txt"
    path.write_text("Mã cán bộ\n", encoding="utf-8")
    result = runner.invoke(args=["import", "officials", str(path)])
    assert result.exit_code != 0
    assert "chỉ nhận .xlsx hoặc .csv" in result.output


def test_import_unreadable_files_give_a_message_not_a_traceback(runner, tmp_path):
    from trainer.people.models import Official
    not_utf8 = tmp_path / "windows.csv"
    not_utf8.write_bytes(",".join(HEADERS).encode("utf-8") + b"\nL\xf2 Th\xec Mai\n")  # Windows-1258 bytes
    corrupt = tmp_path / "hong.xlsx"
    corrupt.write_bytes(b"this is not a zip archive" * 10)
    for path in (not_utf8, corrupt):
        result = runner.invoke(args=["import", "officials", str(path)])
        assert result.exit_code == 1, result.output
        assert isinstance(result.exception, SystemExit), result.exception
        assert f"Không đọc được tệp “{path.name}”" in result.output
    assert count(Official) == 0


# --------------------------------------------------------------------------- import assessments
def _assessment_row(**values) -> dict:
    row = {h: "" for h in ASSESSMENT_COLUMNS}
    row.update(values)
    return row


def test_import_assessments(runner, catalog, make_official, tmp_path):
    from trainer.people.models import Assessment
    official = make_official()
    db.session.commit()
    rows = [
        _assessment_row(**{"Số định danh cá nhân": official.pid, "Mã năng lực": "CDS-01", "Mức": "2",
                           "Ngày đánh giá": "01/03/2026", "Nguồn": "Cấp trên đánh giá",
                           "Người đánh giá": "Trần Văn Bình"}),
        _assessment_row(**{"Số định danh cá nhân": official.pid, "Mã năng lực": "CDS-02", "Mức": "0",
                           "Ngày đánh giá": "2026-02-01", "Nguồn": "self"}),
    ]
    path = write_xlsx(tmp_path / "danh-gia.xlsx", rows, list(ASSESSMENT_COLUMNS))
    result = runner.invoke(args=["import", "assessments", str(path)])
    assert result.exit_code == 0, result.output
    assert "Đã ghi 2 kết quả đánh giá." in result.output
    got = db.session.scalars(sa.select(Assessment).order_by(Assessment.assessed_on)).all()
    assert [(a.competency.code, a.level, a.source, a.assessed_on, a.assessor, a.official_id)
            for a in got] == [
        ("CDS-02", 0, "self", date(2026, 2, 1), "", official.id),
        ("CDS-01", 2, "supervisor", date(2026, 3, 1), "Trần Văn Bình", official.id)]


def test_import_assessments_broken_rows_write_nothing(runner, catalog, make_official, tmp_path):
    from trainer.core.timeutil import today
    from trainer.people.models import Assessment
    official = make_official()
    db.session.commit()
    unknown_pid = make_pid("012", date(1990, 5, 17), "male", 999_999)

    def row(**changes):
        base = {"Số định danh cá nhân": official.pid, "Mã năng lực": "CDS-01", "Mức": "2",
                "Ngày đánh giá": "01/03/2026", "Nguồn": "Tự đánh giá"}
        base.update(changes)
        return _assessment_row(**base)

    future = (today() + timedelta(days=30)).strftime("%d/%m/%Y")
    rows = [row(), row(**{"Số định danh cá nhân": unknown_pid}), row(**{"Mã năng lực": "XX-99"}),
            row(Mức="7"), row(**{"Ngày đánh giá": future}), row(Nguồn="Hàng xóm"),
            row(Nguồn="Hoàn thành khóa học"), row(Mức=""), row()]
    expected = {
        3: ("Số định danh cá nhân", f"không có cán bộ số {unknown_pid}"),
        4: ("Mã năng lực", "không có năng lực mã “XX-99”"),
        5: ("Mức", "“7” phải là số từ 0 đến 4"),
        6: ("Ngày đánh giá", "ngày ở tương lai"),
        7: ("Nguồn", "“Hàng xóm” không phải nguồn đánh giá hợp lệ"),
        8: ("Nguồn", "“Hoàn thành khóa học” không phải"),  # only HR-entered sources
        9: ("Mức", "không được để trống"),
        10: ("Mã năng lực", "trùng cán bộ, năng lực, nguồn và ngày đánh giá với dòng 2"),
    }
    path = write_csv(tmp_path / "danh-gia.csv", rows, list(ASSESSMENT_COLUMNS))
    result = runner.invoke(args=["import", "assessments", str(path)])
    assert result.exit_code != 0
    assert f"Tệp có {len(expected)} lỗi, không ghi dữ liệu nào." in result.output
    lines = error_lines(result.output)
    assert len(lines) == len(expected), lines
    for line_no, (column, fragment) in expected.items():
        mine = [x for x in lines if x.startswith(f"dòng {line_no}, ")]
        assert len(mine) == 1, (line_no, lines)
        assert f"cột “{column}”" in mine[0] and fragment in mine[0], mine[0]
    assert count(Assessment) == 0


# --------------------------------------------------------------------------- recommend
def test_recommend_json_for_official_with_gaps(runner, catalog, make_official):
    from trainer.catalog.models import Position
    position = db.session.scalar(sa.select(Position).where(Position.code == "CV-VP"))
    official = make_official(code="CB777", position=position)
    db.session.commit()
    result = runner.invoke(args=["recommend", "CB777", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["official"] == {"code": "CB777", "name": official.full_name}
    assert data["gaps"], data
    assert all(g["current"] < g["required"] for g in data["gaps"])
    assert data["path"] and data["hours"] == pytest.approx(sum(s["hours"] for s in data["path"]))
    why = [s["why"] for s in data["path"]]
    assert any(re.search(r"hiện \d, yêu cầu \d", w) for w in why), why
    # every gap names a competency that a step's explanation (or `uncovered`) mentions
    text = " ".join(why) + " " + " ".join(data["uncovered"])
    assert all(g["competency"] in text for g in data["gaps"])

    plain = runner.invoke(args=["recommend", "CB777"])
    assert plain.exit_code == 0, plain.output
    assert official.full_name in plain.output and "thiếu:" in plain.output
    assert "Tổng:" in plain.output


def test_recommend_unknown_code(runner, catalog):
    result = runner.invoke(args=["recommend", "KHONG-CO", "--json"])
    assert result.exit_code != 0
    assert "Không có cán bộ mã “KHONG-CO”." in result.output


# --------------------------------------------------------------------------- targets
def test_targets_json_counts_from_records(runner, catalog, make_official, make_unit):
    from trainer.catalog.models import Position
    from trainer.targets.presets import PRESETS
    cv_vp = db.session.scalar(sa.select(Position).where(Position.code == "CV-VP"))
    unit = make_unit()
    a = make_official(unit=unit, position=cv_vp, education="dai_hoc", digital_signature=True,
                      record_digitised=True)
    b = make_official(unit=unit, position=cv_vp, education="trung_cap", digital_signature=True)
    make_official(unit=unit)
    make_official(unit=unit)
    db.session.commit()
    assert a.id and b.id

    result = runner.invoke(args=["targets", "--json"])
    assert result.exit_code == 0, result.output
    rows = {r["code"]: r for r in json.loads(result.output)}
    assert list(rows) == [t.code for t in PRESETS]
    for code in ("DL-c", "DL-d", "DL-đ", "LC-2", "LC-3", "LC-5", "LC-5b", "LC-6a", "LC-6b",
                 "LC-7a", "LC-7b", "HT-3", "HT-6"):
        assert code in rows
        assert set(rows[code]) == {"code", "title", "counted", "total", "percent", "threshold",
                                   "deadline"}
    assert (rows["HT-6"]["counted"], rows["HT-6"]["total"], rows["HT-6"]["percent"]) == (2, 4, 50.0)
    assert (rows["HT-3"]["counted"], rows["HT-3"]["total"], rows["HT-3"]["percent"]) == (1, 4, 25.0)
    assert (rows["LC-7a"]["counted"], rows["LC-7a"]["total"], rows["LC-7a"]["percent"]) == (1, 2, 50.0)
    assert (rows["LC-2"]["counted"], rows["LC-2"]["total"]) == (0, 2)  # nobody assessed yet
    assert (rows["LC-5"]["counted"], rows["LC-5"]["total"], rows["LC-5"]["percent"]) == (0, 0, 0.0)
    assert (rows["DL-d"]["counted"], rows["DL-d"]["total"]) == (0, 4)
    assert rows["HT-6"]["deadline"] == "2027-12-31" and rows["HT-6"]["threshold"] == 100

    text = runner.invoke(args=["targets"])
    assert text.exit_code == 0, text.output
    assert re.search(r"HT-6\s+50\.0% \(2/4, chỉ tiêu 100%\)", text.output), text.output


# --------------------------------------------------------------------------- demo, setup
def test_demo_creates_officials_and_logins(runner, catalog, client):
    from trainer.auth.models import User
    from trainer.people.models import Official
    result = runner.invoke(args=["demo", "--officials", "120", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert "Đã sinh dữ liệu mô phỏng:" in result.output
    assert count(Official) == 120
    names = set(db.session.scalars(sa.select(User.username)))
    assert {"admin", "hr.tinh", "hr.xa", "canbo"} <= names
    response = client.post("/dang-nhap", data={"username": "hr.xa", "password": "demo1234"})
    assert response.status_code == 302

    again = runner.invoke(args=["demo", "--officials", "120", "--seed", "3"])
    assert again.exit_code != 0
    assert "Đã có dữ liệu mô phỏng" in again.output
    assert count(Official) == 120


def test_demo_refuses_without_catalog(runner):
    from trainer.people.models import Official
    result = runner.invoke(args=["demo", "--officials", "10"])
    assert result.exit_code != 0
    assert isinstance(result.exception, SystemExit), result.exception
    assert count(Official) == 0


def test_setup_on_existing_database_lists_demo_logins(runner, catalog, make_user, make_unit):
    """A database that already has users: setup --demo only migrates and reloads the catalog,
    then lists the accounts (it must not generate a province)."""
    from trainer.people.models import Official
    user = make_user("hr", unit_id=make_unit().id)
    result = runner.invoke(args=["setup", "--demo"])
    assert result.exit_code == 0, (result.output, result.exception)
    assert "CSDL đã có dữ liệu" in result.output
    assert "Tài khoản dùng thử" in result.output and user.username in result.output
    assert count(Official) == 0
    assert catalog_counts()["competencies"] == len(catalog.competencies)


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_blank_row_is_skipped_and_rows_keep_their_numbers(runner, catalog, commune, tmp_path,
                                                          suffix):
    from trainer.people.models import Official
    rows = good_officials(commune.code)[:2]
    rows[0]["Ngày sinh"], rows[1]["Ngày sinh"] = "15/03/1990", "99/99/2001"
    path = tmp_path / f"can-bo.{suffix}"
    if suffix == "csv":
        write_csv(path, rows)
        text = path.read_text(encoding="utf-8").splitlines()
        path.write_text("\n".join(text[:2] + [""] + text[2:]) + "\n", encoding="utf-8")
    else:
        blank = {h: None for h in HEADERS}
        write_xlsx(path, [rows[0], blank, rows[1]])
    result = runner.invoke(args=["import", "officials", str(path)])
    assert result.exit_code != 0
    assert error_lines(result.output) == [
        "dòng 4, cột “Ngày sinh”: “99/99/2001” không phải ngày hợp lệ (dd/mm/yyyy)"]
    assert count(Official) == 0
