"""Issue 8, loading a real province: the administrative unit tree comes in from a file (preview →
confirm, web and CLI), is edited with the same rules, and communes are merged (sáp nhập, the 2025
reform) — officials, departments, plans and requests move, the merged unit is closed and kept, and
reports as of an earlier date still show it (docs/units.md)."""
from __future__ import annotations

import io
import re
from datetime import date

import pandas as pd
import pytest
import sqlalchemy as sa

from tests.test_interchange import confirm_url, counts_on_page, csv, preview, text, xlsx
from trainer.core.errors import DomainError
from trainer.core.extensions import db
from trainer.org import operations as ops
from trainer.units import operations as unit_ops
from trainer.org.models import Unit, UnitMerge
from trainer.org.queries import unit_table
from trainer.people.models import Official

COLUMNS = list(ops.UNIT_COLUMNS)
MERGED_ON = date(2026, 7, 1)
DECISION = "1670/NQ-UBTVQH15"


def plain(response) -> str:
    """The page's text without tags, spaces collapsed (for sentences with links inside)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", text(response)))


def row(code, name, kind, region="", parent="LCU") -> dict:
    return {"Mã đơn vị": code, "Tên đơn vị": name, "Loại đơn vị": kind, "Vùng": region,
            "Mã đơn vị cấp trên": parent}


# A real province's file, as a Sở Nội vụ would type it: a department listed before its commune.
LAI_CHAU = [
    row("LCU", "Tỉnh Lai Châu", "Tỉnh, thành phố", parent=""),
    row("LCU-X01-VP", "Văn phòng HĐND và UBND xã Sìn Hồ", "Phòng, ban, trung tâm",
        parent="LCU-X01"),
    row("LCU-X01", "Xã Sìn Hồ", "Xã", "Miền núi, vùng đồng bào dân tộc thiểu số"),
    row("LCU-X02", "Xã Tả Phìn", "commune", "mountain"),
    row("LCU-X02-KT", "Phòng Kinh tế xã Tả Phìn", "Phòng", parent="LCU-X02"),
    row("LCU-P01", "Phường Tân Phong", "Phường", "Đô thị"),
    row("LCU-P01-TT", "Trung tâm Phục vụ hành chính công phường Tân Phong", "Trung tâm",
        parent="LCU-P01"),
    row("LCU-SNV", "Sở Nội vụ", "Ban", parent="LCU"),
]


def code_of(unit_id):
    return db.session.scalar(sa.select(Unit.code).where(Unit.id == unit_id))


def by_code(code) -> Unit:
    return db.session.scalar(sa.select(Unit).where(Unit.code == code))


def unit_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Unit))


@pytest.fixture
def tree(app, make_unit):
    """Lai Châu after its own file: the province, two mountain communes and a ward, with their
    departments (a commune's Văn phòng, Phòng Kinh tế, Trạm Y tế)."""
    top = make_unit(code="LCU", name="Tỉnh Lai Châu", kind="province", region=None)
    u = {"top": top}
    for key, code, name, kind, region in [("sin_ho", "LCU-X01", "Xã Sìn Hồ", "commune", "mountain"),
                                          ("ta_phin", "LCU-X02", "Xã Tả Phìn", "commune",
                                           "mountain"),
                                          ("tan_phong", "LCU-P01", "Phường Tân Phong", "ward",
                                           "urban")]:
        u[key] = make_unit(code=code, name=name, kind=kind, region=region, parent_id=top.id)
    for key, code, name, parent in [
            ("sin_ho_vp", "LCU-X01-VP", "Văn phòng HĐND và UBND xã Sìn Hồ", "sin_ho"),
            ("sin_ho_yt", "LCU-X01-YT", "Trạm Y tế xã Sìn Hồ", "sin_ho"),
            ("ta_phin_vp", "LCU-X02-VP", "Văn phòng HĐND và UBND xã Tả Phìn", "ta_phin"),
            ("ta_phin_kt", "LCU-X02-KT", "Phòng Kinh tế xã Tả Phìn", "ta_phin"),
            ("ta_phin_yt", "LCU-X02-YT", "Trạm Y tế xã Tả Phìn", "ta_phin")]:
        u[key] = make_unit(code=code, name=name, kind="department", region=None,
                           parent_id=u[parent].id)
    db.session.commit()
    return u


@pytest.fixture
def province_hr(client, tree, make_user, login):
    return login(make_user("hr", username="hr.tinh", unit_id=tree["top"].id))


def merge_ta_phin(tree, on=MERGED_ON):
    merge = unit_ops.merge_units(tree["ta_phin"], tree["sin_ho"], on=on, decision_no=DECISION,
                            actor="hr.tinh")
    db.session.commit()
    return merge


# --------------------------------------------------------------------------- import
def test_import_builds_the_tree_from_xlsx_through_preview_then_confirm(client, make_user, login):
    admin = login(make_user("admin"))
    response = preview(admin, "units", xlsx(LAI_CHAU, COLUMNS), "don-vi-lai-chau.xlsx")
    assert counts_on_page(response) == {"created": 8, "updated": 0, "unchanged": 0}
    assert "Sẽ thêm 8, cập nhật 0, giữ nguyên 0 đơn vị." in text(response)
    assert unit_count() == 0  # the preview writes nothing
    done = admin.post(confirm_url(response), follow_redirects=True)
    assert "Đã thêm 8, cập nhật 0, giữ nguyên 0 đơn vị." in text(done)
    db.session.expire_all()
    got = {u.code: (u.kind, u.region, code_of(u.parent_id)) for u in
           db.session.scalars(sa.select(Unit))}
    assert got == {"LCU": ("province", None, None),
                   "LCU-X01": ("commune", "mountain", "LCU"),
                   "LCU-X01-VP": ("department", None, "LCU-X01"),
                   "LCU-X02": ("commune", "mountain", "LCU"),
                   "LCU-X02-KT": ("department", None, "LCU-X02"),
                   "LCU-P01": ("ward", "urban", "LCU"),
                   "LCU-P01-TT": ("department", None, "LCU-P01"),
                   "LCU-SNV": ("department", None, "LCU")}
    # A department takes its commune's region in reports.
    table = unit_table().set_index("unit_code")
    assert table.loc["LCU-X01-VP", "region"] == "mountain"
    assert table.loc["LCU-X01-VP", "commune_name"] == "Xã Sìn Hồ"
    again = preview(admin, "units", xlsx(LAI_CHAU, COLUMNS))
    assert counts_on_page(again) == {"created": 0, "updated": 0, "unchanged": 8}
    assert confirm_url(again) is None and "nhập lại không thay đổi gì" in text(again)


def test_a_csv_with_semicolons_updates_a_renamed_unit_and_adds_a_new_one(province_hr):
    rows = [row("LCU-X01", "Xã Sìn Hồ (mới)", "Xã", "Miền núi"),
            row("LCU-X03", "Xã Phong Thổ", "xã", "miền núi"),
            row("LCU-X03-YT", "Trạm Y tế xã Phong Thổ", "Trung tâm", parent="LCU-X03")]
    data = pd.DataFrame(rows, columns=COLUMNS).to_csv(index=False, sep=";").encode("utf-8-sig")
    response = preview(province_hr, "units", data, "don-vi.csv")
    assert counts_on_page(response) == {"created": 2, "updated": 1, "unchanged": 0}
    province_hr.post(confirm_url(response))
    db.session.expire_all()
    assert by_code("LCU-X01").name == "Xã Sìn Hồ (mới)"
    assert code_of(by_code("LCU-X03-YT").parent_id) == "LCU-X03"
    # The departments already under Sìn Hồ are untouched: a file never deletes or moves others.
    assert code_of(by_code("LCU-X01-VP").parent_id) == "LCU-X01"


@pytest.mark.parametrize("typed, kind", [
    ("Tỉnh", "province"), ("Thành phố", "province"), ("tỉnh, thành phố", "province"),
    ("Xã", "commune"), ("PHƯỜNG", "ward"), ("Đặc khu", "special_zone"),
    ("special_zone", "special_zone"), ("Phòng", "department"), ("Ban", "department"),
    ("Trung tâm", "department"), ("Phòng, ban, trung tâm", "department")])
def test_unit_kinds_accept_codes_labels_and_the_short_forms_people_type(typed, kind):
    assert ops.parse_kind(typed) == kind


def test_the_cli_imports_units_with_a_dry_run_first(app, runner, tmp_path):
    from trainer.interchange.cli import data_cli
    app.cli.add_command(data_cli)
    path = tmp_path / "don-vi.csv"  # "Tỉnh, thành phố" is quoted: the comma is data
    path.write_bytes(csv(LAI_CHAU, COLUMNS))
    result = runner.invoke(args=["data", "import", "units", str(path), "--dry-run"])
    assert result.exit_code == 0 and "8 dòng. Sẽ thêm 8, cập nhật 0, giữ nguyên 0 đơn vị." \
        in result.output, result.output
    assert unit_count() == 0
    result = runner.invoke(args=["data", "import", "units", str(path)])
    assert result.exit_code == 0 and "Đã thêm 8" in result.output, result.output
    assert unit_count() == 8
    result = runner.invoke(args=["data", "import", "units", str(path)])
    assert "Đã thêm 0, cập nhật 0, giữ nguyên 8 đơn vị." in result.output


def test_every_unit_error_names_its_row_and_column_and_nothing_is_written(province_hr, tree):
    merge_ta_phin(tree)
    before = unit_count()
    rows = [
        row("LCU-X03", "", "Xã", "Miền núi"),                                     # 2
        row("LCU-X04-" + "A" * 25, "Xã Mường Tè", "Xã", "Miền núi"),              # 3
        row("LCU-X05", "Xã " + "Than Uyên " * 19 + "Than Uyê", "Xã", "Miền núi"),  # 4
        row("LCU-X06", "Xã Tân Uyên", "Xã", "Miền núi"),                          # 5
        row("LCU-X06", "Xã Tân Uyên (lặp)", "Xã", "Miền núi"),                    # 6
        row("LCU-X07", "Xã Mù Cả", "Xã", "Miền núi", parent="LCU-KHONG"),         # 7
        row("LCU-X01", "Xã Sìn Hồ", "Phòng", parent="LCU-X01-YT"),                # 8
        row("LCU-X08", "Xã Bum Nưa", "Xã", "Trung du"),                           # 9
        row("LCU-T", "Tỉnh Thử", "Tỉnh", "Đô thị", parent="LCU"),                 # 10
        row("LCU-X09", "Xã Pa Ủ", "Xã"),                                          # 11
        row("LCU-X10", "Xã Thu Lũm", "Xã", "Miền núi", parent="LCU-P01"),         # 12
        row("LCU-X01-KT", "Phòng Kinh tế xã Sìn Hồ", "Phòng", parent="LCU-X01-VP"),  # 13
        row("LCU-X02-TP", "Tổ một cửa xã Tả Phìn", "Phòng", parent="LCU-X02"),    # 14
        row("LCU-X02", "Xã Tả Phìn (sửa)", "Xã", "Miền núi"),                     # 15
        row("LCU-X11", "Thôn Nậm Cuổi", "Thôn", "Miền núi"),                      # 16
        row("LCU-X12", "Xã Nậm Tăm", "Xã", "Miền núi", parent=""),                # 17
    ]
    response = preview(province_hr, "units", xlsx(rows, COLUMNS))
    page = text(response)
    expected = [
        "dòng 2, cột “Tên đơn vị”: không được để trống",
        "dòng 3, cột “Mã đơn vị”: dài 33 ký tự, tối đa 32",
        "dòng 4, cột “Tên đơn vị”: dài 201 ký tự, tối đa 200",
        "dòng 6, cột “Mã đơn vị”: “LCU-X06” trùng với dòng 5",
        "dòng 7, cột “Mã đơn vị cấp trên”: không có đơn vị mã “LCU-KHONG”",
        "dòng 8, cột “Mã đơn vị cấp trên”: đơn vị cấp trên tạo vòng lặp: LCU-X01 → LCU-X01-YT "
        "→ LCU-X01",
        "dòng 9, cột “Vùng”: “Trung du” không phải vùng hợp lệ (Đô thị, Nông thôn, Miền núi, "
        "vùng đồng bào dân tộc thiểu số, Hải đảo)",
        "dòng 10, cột “Vùng”: đơn vị cấp tỉnh không ghi vùng",
        "dòng 10, cột “Mã đơn vị cấp trên”: đơn vị cấp tỉnh không có đơn vị cấp trên",
        "dòng 11, cột “Vùng”: không được để trống với xã, phường, đặc khu",
        "dòng 12, cột “Mã đơn vị cấp trên”: “LCU-P01”: xã không trực thuộc phường",
        "dòng 13, cột “Mã đơn vị cấp trên”: “LCU-X01-VP”: phòng, ban, trung tâm không trực "
        "thuộc phòng, ban, trung tâm",
        "dòng 14, cột “Mã đơn vị cấp trên”: đơn vị “LCU-X02” đã sáp nhập vào “Xã Sìn Hồ” ngày "
        "01/07/2026: chọn đơn vị đang hoạt động",
        "dòng 15, cột “Mã đơn vị”: đơn vị đã sáp nhập vào “Xã Sìn Hồ” ngày 01/07/2026: không "
        "sửa được",
        "dòng 16, cột “Loại đơn vị”: “Thôn” không phải loại đơn vị hợp lệ",
        "dòng 17, cột “Mã đơn vị cấp trên”: không được để trống (chỉ đơn vị cấp tỉnh không có "
        "đơn vị cấp trên)",
    ]
    for message in expected:
        assert message in page, message
    # A commune turned into a department would also leave its departments under a department.
    assert "dòng 8, cột “Loại đơn vị”: đơn vị trực thuộc" in page
    assert "dòng 5," not in page  # the first of two equal codes is fine
    assert confirm_url(response) is None
    rows_named = [int(n) for n in re.findall(r"dòng (\d+), cột", page)]
    assert rows_named == sorted(rows_named)
    db.session.expire_all()
    assert unit_count() == before and by_code("LCU-X01").kind == "commune"


def test_missing_headers_are_named(province_hr):
    response = preview(province_hr, "units", xlsx([{"Mã đơn vị": "X"}], ["Mã đơn vị"]))
    assert "thiếu cột “Tên đơn vị”, “Loại đơn vị”, “Vùng”, “Mã đơn vị cấp trên”" in text(response)


def test_the_stored_tree_downloads_and_imports_back_unchanged(province_hr, tree):
    merge_ta_phin(tree)
    response = province_hr.get("/nhap-du-lieu/mau/units.xlsx?all=1")
    assert response.status_code == 200
    frame = pd.read_excel(io.BytesIO(response.data), dtype=str).fillna("")
    assert list(frame.columns) == COLUMNS
    # Open units only, parents before children; the merged commune is history, not in the file.
    assert "LCU-X02" not in set(frame["Mã đơn vị"]) and len(frame) == unit_count() - 1
    assert frame.iloc[0].to_dict() == row("LCU", "Tỉnh Lai Châu", "Tỉnh, thành phố", parent="")
    first_seen = {code: i for i, code in enumerate(frame["Mã đơn vị"])}
    assert all(first_seen[p] < i for i, p in enumerate(frame["Mã đơn vị cấp trên"]) if p)
    assert frame.set_index("Mã đơn vị").loc["LCU-X02-VP", "Mã đơn vị cấp trên"] == "LCU-X01"
    again = preview(province_hr, "units", response.data, "danh-muc-don-vi.xlsx")
    assert counts_on_page(again) == {"created": 0, "updated": 0, "unchanged": len(frame)}
    page = text(province_hr.get("/nhap-du-lieu"))
    assert 'href="/nhap-du-lieu/mau/units.xlsx?all=1"' in page


def test_the_template_has_the_headers_and_an_importable_lai_chau_commune(province_hr):
    data = province_hr.get("/nhap-du-lieu/mau/units.xlsx").data
    frame = pd.read_excel(io.BytesIO(data), dtype=str).fillna("")
    assert list(frame.columns) == COLUMNS and len(frame) == 1
    assert frame.iloc[0].to_dict() == row("LCU-X39", "Xã Sìn Hồ", "Xã", "Miền núi")
    renamed = frame.assign(**{"Mã đơn vị": "LCU-X39", "Tên đơn vị": "Xã Nậm Tăm"})
    buf = io.BytesIO()
    renamed.to_excel(buf, index=False)
    assert counts_on_page(preview(province_hr, "units", buf.getvalue()))["created"] == 1


def test_commune_hr_may_not_import_units(client, tree, make_user, login):
    commune = login(make_user("hr", unit_id=tree["sin_ho"].id))
    page = text(commune.get("/nhap-du-lieu"))
    assert "Danh sách cán bộ" in page and "Đơn vị hành chính (tỉnh" not in page
    assert commune.get("/nhap-du-lieu/mau/units.xlsx").status_code == 404
    assert commune.get("/nhap-du-lieu/mau/units.xlsx?all=1").status_code == 404
    response = text(preview(commune, "units", xlsx(LAI_CHAU, COLUMNS)))
    assert "Xem trước khi nhập" not in response and "Lựa chọn không hợp lệ." in response


# --------------------------------------------------------------------------- merging
@pytest.fixture
def staffed(tree, catalog, make_official, make_user):
    """Officials with history in Tả Phìn (the commune itself and its Văn phòng), a plan for two
    years (Sìn Hồ already has one for 2027), a cohort request and a commissioned cohort, and an
    HR account on Tả Phìn."""
    from trainer.catalog.models import Competency, Course
    from trainer.demand.models import CohortRequest
    from trainer.learning.models import Enrollment
    from trainer.learning.operations import create_cohort
    from trainer.people.operations import record_assessment
    from trainer.plans.models import TrainingPlan
    s = {"chair": make_official(unit_id=tree["ta_phin"].id, full_name="Lò Văn Pình"),
         "clerk": make_official(unit_id=tree["ta_phin"].id, full_name="Tẩn Thị Mẩy",
                                gender="female"),
         "office": make_official(unit_id=tree["ta_phin_vp"].id, full_name="Chảo A Lử"),
         "sin_ho": make_official(unit_id=tree["sin_ho"].id, full_name="Vàng Thị Dung",
                                 gender="female")}
    course = db.session.scalar(sa.select(Course).where(Course.code == "BDHVS-KNS"))
    db.session.add(Enrollment(official_id=s["chair"].id, course_id=course.id,
                              status="completed", completed_on=date(2026, 3, 10), score=9.0,
                              source="import"))
    s["assessment"] = record_assessment(
        s["clerk"], db.session.scalar(sa.select(Competency).where(Competency.code == "CDS-01")),
        3, source="supervisor", assessor="Chủ tịch UBND xã", on=date(2026, 5, 4))
    for unit, year in (("ta_phin", 2026), ("ta_phin", 2027), ("sin_ho", 2027)):
        db.session.add(TrainingPlan(unit_id=tree[unit].id, year=year))
    request = CohortRequest(unit_id=tree["ta_phin"].id, course_id=course.id,
                            requested_by="hr.taphin", note="Lớp kỹ năng số cho công chức xã")
    db.session.add(request)
    cohort = create_cohort(course, code="KNS-TP-2026", start_date=date(2026, 12, 7),
                           end_date=date(2026, 12, 9), capacity=30, location="UBND xã Tả Phìn",
                           mode="in_person", commissioned_by_unit_id=tree["ta_phin"].id)
    db.session.commit()
    s["account"] = make_user("hr", username="hr.taphin", unit_id=tree["ta_phin"].id)
    s.update(course=course, request=request, cohort=cohort)
    return s


def test_a_merge_moves_officials_departments_plans_and_requests_and_keeps_history(tree, staffed):
    from trainer.learning.models import Enrollment
    from trainer.people.models import Assessment
    from trainer.plans.models import TrainingPlan
    outline = unit_ops.outline_merge(tree["ta_phin"], tree["sin_ho"], on=MERGED_ON,
                                decision_no=DECISION)
    assert sorted(outline.official_ids) == sorted([staffed["chair"].id, staffed["clerk"].id])
    assert [p.year for p in outline.plans_moved] == [2026]
    assert [p.year for p in outline.plans_kept] == [2027]
    assert [u.username for u in outline.accounts] == ["hr.taphin"]
    stamped = db.session.get(Official, staffed["chair"].id).updated_at
    merge = merge_ta_phin(tree)
    db.session.expire_all()
    ta_phin, sin_ho = by_code("LCU-X02"), by_code("LCU-X01")
    # The merge record, with what it moved.
    assert (merge.from_unit_id, merge.into_unit_id, merge.merged_on, merge.decision_no,
            merge.recorded_by) == (ta_phin.id, sin_ho.id, MERGED_ON, DECISION, "hr.tinh")
    assert sorted(merge.official_ids) == sorted([staffed["chair"].id, staffed["clerk"].id])
    assert sorted(merge.child_unit_ids) == sorted(
        [tree[k].id for k in ("ta_phin_vp", "ta_phin_kt", "ta_phin_yt")])
    # The source is closed, not deleted.
    assert (ta_phin.is_open, ta_phin.closed_on, ta_phin.merged_into_id) == (False, MERGED_ON,
                                                                            sin_ho.id)
    assert ta_phin.children == []
    assert {c.code for c in sin_ho.children} == {"LCU-X01-VP", "LCU-X01-YT", "LCU-X02-VP",
                                                 "LCU-X02-KT", "LCU-X02-YT"}
    chair = db.session.get(Official, staffed["chair"].id)
    # A changed record: the national-database sync sees the new unit (updated_at moves on).
    assert chair.unit_id == sin_ho.id and chair.updated_at > stamped
    assert db.session.get(Official, staffed["office"].id).unit_id == tree["ta_phin_vp"].id
    # History is keyed by official: still theirs.
    assert list(db.session.scalars(sa.select(Enrollment.completed_on).where(
        Enrollment.official_id == chair.id))) == [date(2026, 3, 10)]
    assert db.session.get(Assessment, staffed["assessment"].id).official_id == staffed["clerk"].id
    plans = {(p.year, code_of(p.unit_id)) for p in db.session.scalars(sa.select(TrainingPlan))}
    assert plans == {(2026, "LCU-X01"), (2027, "LCU-X01"), (2027, "LCU-X02")}
    assert code_of(db.session.get(type(staffed["request"]), staffed["request"].id).unit_id) \
        == "LCU-X01"
    assert code_of(db.session.get(type(staffed["cohort"]), staffed["cohort"].id)
                   .commissioned_by_unit_id) == "LCU-X01"
    # The account stays on the closed unit: a merge widens nobody's access.
    assert db.session.get(type(staffed["account"]), staffed["account"].id).unit_id == ta_phin.id
    assert "hr.taphin" in outline.done_text() and "kế hoạch năm 2027 ở lại" in outline.done_text()


def test_the_hr_account_left_on_the_closed_unit_sees_nobody(client, tree, staffed, login):
    merge_ta_phin(tree)
    page = text(login(staffed["account"]).get("/can-bo"))
    assert "Không có cán bộ nào khớp bộ lọc." in page and "Lò Văn Pình" not in page


@pytest.mark.parametrize("source, target, on, decision, message", [
    ("ta_phin", "ta_phin", MERGED_ON, DECISION, "Không sáp nhập một đơn vị vào chính nó."),
    ("top", "sin_ho", MERGED_ON, DECISION, "là đơn vị cấp tỉnh (gốc của cây đơn vị)"),
    ("ta_phin", "ta_phin_kt", MERGED_ON, DECISION, "không sáp nhập một đơn vị vào đơn vị cấp "
                                                   "dưới của chính nó"),
    ("ta_phin", "sin_ho", MERGED_ON, "  ", "Nhập số quyết định sáp nhập."),
    ("ta_phin", "sin_ho", date(2026, 12, 1), DECISION, "Ngày sáp nhập không được ở tương lai."),
    ("ta_phin", "sin_ho_yt", MERGED_ON, DECISION, "Xã không sáp nhập vào phòng, ban, trung tâm: "
                                                  "chỉ sáp nhập vào xã, phường, đặc khu."),
    ("ta_phin", "top", MERGED_ON, DECISION, "Xã không sáp nhập vào tỉnh, thành phố"),
])
def test_a_merge_refuses_what_breaks_the_tree(tree, source, target, on, decision, message):
    with pytest.raises(DomainError, match=re.escape(message)):
        unit_ops.merge_units(tree[source], tree[target], on=on, decision_no=decision, actor="x")
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(UnitMerge)) == 0


def test_a_closed_unit_cannot_merge_or_receive_a_merge_and_dates_keep_their_order(tree):
    merge_ta_phin(tree)
    for source, target, message in [("ta_phin", "tan_phong", "“Xã Tả Phìn” đã sáp nhập vào "
                                                            "“Xã Sìn Hồ” ngày 01/07/2026."),
                                    ("tan_phong", "ta_phin", "chọn đơn vị đang hoạt động")]:
        with pytest.raises(DomainError, match=re.escape(message)):
            unit_ops.merge_units(tree[source], tree[target], on=MERGED_ON, decision_no=DECISION,
                            actor="x")
    with pytest.raises(DomainError, match="Ngày sáp nhập phải từ 01/07/2026 trở đi"):
        unit_ops.merge_units(tree["tan_phong"], tree["sin_ho"], on=date(2026, 6, 30),
                        decision_no=DECISION, actor="x")


def test_the_merge_cli_merges_once_and_reports_what_stays(app, runner, tree, staffed):
    from trainer.units.cli import units_cli
    app.cli.add_command(units_cli)
    result = runner.invoke(args=["units", "merge", "LCU-X02", "LCU-X01", "--date", "01/07/2026",
                                 "--decision", DECISION])
    assert result.exit_code == 0, result.output
    assert "Đã sáp nhập “Xã Tả Phìn” vào “Xã Sìn Hồ” ngày 01/07/2026" in result.output
    assert "2 cán bộ, 3 đơn vị trực thuộc, 1 kế hoạch đào tạo" in result.output
    assert "hr.taphin" in result.output
    db.session.expire_all()
    assert not by_code("LCU-X02").is_open
    result = runner.invoke(args=["units", "merge", "LCU-X02", "LCU-X01", "--date", "01/07/2026",
                                 "--decision", DECISION])
    assert result.exit_code != 0 and "đã sáp nhập vào" in result.output
    result = runner.invoke(args=["units", "merge", "LCU-P01", "LCU-X09", "--date", "31/02/2026",
                                 "--decision", DECISION])
    assert result.exit_code != 0 and "không phải ngày hợp lệ" in result.output


# --------------------------------------------------------------------------- deleting
def test_delete_is_refused_while_something_holds_the_unit_and_allowed_when_empty(
        tree, make_official, make_unit):
    make_official(unit_id=tree["ta_phin_kt"].id)
    make_official(unit_id=tree["ta_phin_kt"].id)
    with pytest.raises(DomainError) as e:
        unit_ops.delete_unit(tree["ta_phin_kt"])
    assert str(e.value) == ("Đơn vị còn 2 cán bộ: không xóa được; hãy sáp nhập hoặc chuyển cán "
                            "bộ trước.")
    with pytest.raises(DomainError, match="còn 3 đơn vị trực thuộc"):
        unit_ops.delete_unit(tree["ta_phin"])
    typo = make_unit(code="LCU-X99", name="Xã Nhập Nhầm", parent_id=tree["top"].id)
    db.session.commit()
    unit_ops.delete_unit(typo)
    db.session.commit()
    assert by_code("LCU-X99") is None


def test_a_merged_unit_is_never_deleted(tree):
    merge_ta_phin(tree)
    with pytest.raises(DomainError, match="1 lần sáp nhập đã ghi: không xóa được"):
        unit_ops.delete_unit(by_code("LCU-X02"))


def test_a_target_naming_a_unit_keeps_it(tree, catalog):
    from trainer.targets.models import Target
    db.session.add(Target(code="TP-KNS", title="Phường Tân Phong: kỹ năng số", threshold=80,
                          deadline=date(2027, 12, 31),
                          population={"unit_id": tree["tan_phong"].id},
                          criterion={"kind": "course", "categories": ["digital"]}))
    db.session.commit()
    with pytest.raises(DomainError, match="1 mục tiêu lấy đơn vị làm đối tượng"):
        unit_ops.delete_unit(tree["tan_phong"])


# --------------------------------------------------------------------------- as of a date
def test_the_tree_and_the_officials_as_of_a_date_before_the_merge(tree, staffed):
    from trainer.learning.queries import officials_frame
    merge_ta_phin(tree)
    before, after = date(2026, 6, 30), MERGED_ON
    then = unit_table(before).set_index("unit_code")
    now = unit_table(after).set_index("unit_code")
    assert bool(then.loc["LCU-X02", "is_open"]) and not bool(now.loc["LCU-X02", "is_open"])
    assert then.loc["LCU-X02-VP", "commune_name"] == "Xã Tả Phìn"
    assert now.loc["LCU-X02-VP", "commune_name"] == "Xã Sìn Hồ"
    assert unit_table().set_index("unit_code").loc["LCU-X02-VP", "parent_id"] == tree["sin_ho"].id
    people_then = officials_frame(None, before).set_index("full_name")
    people_now = officials_frame(None, after).set_index("full_name")
    assert people_then.loc["Lò Văn Pình", "unit_name"] == "Xã Tả Phìn"
    assert people_then.loc["Chảo A Lử", "commune_name"] == "Xã Tả Phìn"
    assert people_now.loc["Lò Văn Pình", "unit_name"] == "Xã Sìn Hồ"
    assert people_now.loc["Chảo A Lử", "commune_name"] == "Xã Sìn Hồ"


def ranking(page: str) -> str:
    """The per-unit ranking table of the target page."""
    return page.split("Xếp hạng đơn vị", 1)[1].split("Chưa đạt (", 1)[0]


def test_target_detail_as_of_before_the_merge_ranks_the_old_commune(province_hr, tree, staffed):
    from trainer.targets.models import Target
    db.session.add(Target(code="KNS-XA", title="Cán bộ xã hoàn thành kỹ năng số cơ bản",
                          threshold=80, deadline=date(2027, 12, 31), population={},
                          criterion={"kind": "course", "course_codes": ["BDHVS-KNS"]}))
    db.session.commit()
    merge_ta_phin(tree)
    now = text(province_hr.get("/muc-tieu/KNS-XA"))
    assert "Xã Tả Phìn" not in now and "Xã Sìn Hồ" in ranking(now)
    assert "1 / 4 người đạt." in now
    then = province_hr.get("/muc-tieu/KNS-XA?ngay=30/06/2026")
    assert then.status_code == 200
    page = text(then)
    assert "Số liệu tại ngày 30/06/2026" in page and "1 / 4 người đạt tại ngày 30/06/2026." in page
    assert "Xã Tả Phìn" in ranking(page) and "Xã Sìn Hồ" in ranking(page)
    assert re.search(r"Xã Tả Phìn</td>.*?</td><td class=\"text-end\">1 / 3</td>", ranking(page),
                     re.S)
    assert "trình độ ghi trong hồ sơ không có ngày" not in page  # a course: dated
    # ISO dates too; the day of the merge already shows the new tree.
    assert "Xã Tả Phìn" not in ranking(text(province_hr.get("/muc-tieu/KNS-XA?ngay=2026-07-01")))
    # Before the course was completed, nobody counted.
    assert "0 / 4 người đạt tại ngày 01/03/2026." in text(
        province_hr.get("/muc-tieu/KNS-XA?ngay=01/03/2026"))


@pytest.mark.parametrize("ngay, message", [
    ("31/02/2026", "“31/02/2026” không phải ngày hợp lệ (dd/mm/yyyy): đang hiện số liệu hôm nay."),
    ("hôm qua", "“hôm qua” không phải ngày hợp lệ"),
    ("01/01/2027", "Không xem được số liệu của một ngày ở tương lai"),
    ("01/01/0001", "Chỉ xem được số liệu từ 01/01/2000"),
])
def test_a_bad_date_on_the_target_page_says_so_and_shows_today(province_hr, catalog, ngay,
                                                               message):
    response = province_hr.get("/muc-tieu/LC-3", query_string={"ngay": ngay})
    assert response.status_code == 200
    page = text(response)
    assert message in page and "(không phải hôm nay" not in page


def test_undated_facts_and_recorded_levels_say_they_have_no_history(province_hr, catalog):
    page = text(province_hr.get("/muc-tieu/HT-6?ngay=01/01/2026"))
    assert "không có ngày ghi nhận nên không có số liệu của ngày đã qua" in page
    assert "(không phải hôm nay" not in page
    page = text(province_hr.get("/muc-tieu/LC-7a?ngay=01/01/2026"))
    assert "Số liệu tại ngày 01/01/2026" in page
    assert "trình độ ghi trong hồ sơ không có ngày" in page


def test_a_per_unit_target_stops_counting_the_closed_commune(tree, catalog, make_official):
    from trainer.targets import operations as tops
    from trainer.targets.presets import BY_CODE, TargetSpec
    make_official(unit_id=tree["sin_ho"].id, education="dai_hoc", education_field="Luật")
    make_official(unit_id=tree["ta_phin"].id, education="trung_cap", education_field="Luật")
    for station in ("sin_ho_yt", "ta_phin_yt"):
        for _ in range(4 if station == "sin_ho_yt" else 1):
            make_official(unit_id=tree[station].id, education="dai_hoc",
                          education_field="Y đa khoa")
    db.session.commit()
    jurist = TargetSpec("LUAT-XA", "Mỗi xã có một công chức đại học luật", "TEST", {},
                        {"kind": "unit_headcount", "count": 1, "qualification": "education",
                         "level": "dai_hoc", "field_contains": ["luật"]}, 100,
                        date(2027, 12, 31), preset=False)

    def progress(spec, on=None):
        facts = tops.Facts.load(on=on) if on else tops.facts_for()
        return tops.progress_of(spec, facts)

    p = progress(jurist)
    assert (p.counted, p.total) == (1, 3)  # Sìn Hồ has one; Tả Phìn and Tân Phong none
    assert (progress(BY_CODE["HT-7"]).counted, progress(BY_CODE["HT-7"]).total) == (1, 2)
    unit_ops.merge_units(tree["ta_phin"], tree["sin_ho"], on=MERGED_ON, decision_no=DECISION,
                    actor="x")
    unit_ops.merge_units(tree["ta_phin_yt"], tree["sin_ho_yt"], on=MERGED_ON, decision_no=DECISION,
                    actor="x")
    db.session.commit()
    p = progress(jurist)
    assert (p.counted, p.total) == (1, 2) and "Xã Tả Phìn" not in set(p.per_unit["unit_name"])
    station = progress(BY_CODE["HT-7"])
    assert (station.counted, station.total) == (1, 1)
    assert station.per_unit.loc[0, "counted"] == 5  # the merged station's doctor moved too
    then = progress(jurist, date(2026, 6, 30))
    assert (then.counted, then.total) == (1, 3) and "Xã Tả Phìn" in set(then.per_unit["unit_name"])


# --------------------------------------------------------------------------- screens
def test_the_tree_page_for_province_hr(province_hr, tree, staffed):
    merge_ta_phin(tree)
    response = province_hr.get("/don-vi")
    assert response.status_code == 200
    page = text(response)
    for expected in ("Tỉnh Lai Châu", "Xã Sìn Hồ", "Phường Tân Phong", "LCU-X02-KT",
                     "Đã sáp nhập vào Xã Sìn Hồ ngày 01/07/2026", "Thêm đơn vị",
                     "Tải cây đơn vị (.xlsx)", 'class="table-responsive"'):
        assert expected in page, expected
    # Counts include the departments: 2 moved + 1 of Sìn Hồ + 1 in Tả Phìn's office.
    assert re.search(r"Xã Sìn Hồ</a>.*?<td class=\"text-end\">4</td>", page, re.S)
    # The tree: the commune's departments right after it, indented.
    assert page.index("Xã Sìn Hồ") < page.index("Phòng Kinh tế xã Tả Phìn") \
        < page.index("Phường Tân Phong")


def test_the_tree_search_ignores_diacritics(province_hr, tree):
    page = text(province_hr.get("/don-vi?q=tram y te xa sin ho"))
    assert "Trạm Y tế xã Sìn Hồ" in page and "Xã Sìn Hồ" in page  # the match and its commune
    assert "Trạm Y tế xã Tả Phìn" not in page and "Phường Tân Phong" not in page
    assert "Không có đơn vị nào khớp" in text(province_hr.get("/don-vi?q=Mường Tè"))


def test_commune_hr_reads_its_subtree_only(client, tree, staffed, make_user, login):
    merge_ta_phin(tree)
    hr = login(make_user("hr", unit_id=tree["sin_ho"].id))
    page = text(hr.get("/don-vi"))
    assert "Xã Sìn Hồ" in page and "Phòng Kinh tế xã Tả Phìn" in page  # moved in by the merge
    assert "Phường Tân Phong" not in page and "Thêm đơn vị" not in page and "Chỉ xem" in page
    assert "Xã Tả Phìn" in page  # what merged into it stays readable
    unit_page = plain(hr.get(f"/don-vi/{tree['sin_ho'].id}"))
    assert "Sửa" not in unit_page and "Sáp nhập vào…" not in unit_page
    assert "Xã Tả Phìn sáp nhập vào đơn vị này" in unit_page
    assert hr.get(f"/don-vi/{tree['ta_phin'].id}").status_code == 200
    assert hr.get(f"/don-vi/{tree['tan_phong'].id}").status_code == 404
    assert hr.get(f"/don-vi/{tree['top'].id}").status_code == 404
    for url in ("/don-vi/moi", f"/don-vi/{tree['sin_ho'].id}/sua",
                f"/don-vi/{tree['sin_ho_vp'].id}/sap-nhap"):
        assert hr.get(url).status_code == 403, url
        assert hr.post(url, data={"code": "X"}).status_code == 403, url
    assert hr.post(f"/don-vi/{tree['sin_ho_yt'].id}/xoa").status_code == 403
    assert by_code("LCU-X01-YT") is not None


@pytest.mark.parametrize("role", ["official", "school"])
def test_officials_and_schools_may_not_see_units(client, tree, catalog, make_official, make_user,
                                                 login, role):
    from trainer.catalog.models import Provider
    scope = ({"official_id": make_official(unit_id=tree["sin_ho"].id).id} if role == "official"
             else {"provider_id": db.session.scalar(sa.select(Provider.id))})
    user = login(make_user(role, **scope))
    for url in ("/don-vi", f"/don-vi/{tree['sin_ho'].id}", "/don-vi/moi"):
        assert user.get(url).status_code == 403, url


def test_a_unit_page_shows_details_children_counts_and_manager_buttons(province_hr, tree,
                                                                       staffed):
    page = text(province_hr.get(f"/don-vi/{tree['ta_phin'].id}"))
    for expected in ("Xã Tả Phìn", "LCU-X02", "Miền núi, vùng đồng bào dân tộc thiểu số",
                     "Tỉnh Lai Châu", "Phòng Kinh tế xã Tả Phìn", "Chưa có lần sáp nhập nào.",
                     f'href="/can-bo?unit={tree["ta_phin"].id}"', "3 cán bộ",
                     "Sáp nhập vào…", 'data-confirm="Xóa đơn vị “Xã Tả Phìn”?'):
        assert expected in page, expected
    assert re.findall(r"<script(?![^>]*\bsrc=)", page) == [] and "onclick" not in page
    dept = text(province_hr.get(f"/don-vi/{tree['ta_phin_kt'].id}"))
    assert "theo đơn vị cấp trên" in dept and "Thêm đơn vị trực thuộc" not in dept


def test_the_officials_list_filters_a_whole_subtree_and_leaves_closed_units_out(
        province_hr, tree, staffed):
    page = text(province_hr.get(f"/can-bo?unit={tree['top'].id}"))
    assert all(name in page for name in ("Lò Văn Pình", "Chảo A Lử", "Vàng Thị Dung"))
    page = text(province_hr.get(f"/can-bo?unit={tree['ta_phin'].id}"))
    assert "Chảo A Lử" in page and "Vàng Thị Dung" not in page
    page = text(province_hr.get(f"/can-bo?unit={tree['ta_phin'].id}&exact=1"))
    assert "Lò Văn Pình" in page and "Chảo A Lử" not in page
    merge_ta_phin(tree)
    page = province_hr.get("/can-bo").get_data(as_text=True)
    assert f'<option value="{tree["ta_phin"].id}">Xã Tả Phìn</option>' not in page
    assert f'<option value="{tree["sin_ho"].id}">Xã Sìn Hồ</option>' in page


def test_pickers_leave_closed_units_out(province_hr, tree):
    merge_ta_phin(tree)
    for url in ("/ke-hoach", "/muc-tieu/them"):
        picker = re.search(r'<select[^>]*name="unit_id".*?</select>',
                           text(province_hr.get(url)), re.S).group(0)
        assert "Xã Sìn Hồ" in picker and "Xã Tả Phìn" not in picker, url


def test_the_officials_import_refuses_a_closed_unit(province_hr, tree):
    from tests.test_interchange import HEADERS, person
    merge_ta_phin(tree)
    response = preview(province_hr, "officials", xlsx([person(1, "LCU-X02")], HEADERS))
    assert ("dòng 2, cột “Mã đơn vị”: đơn vị “LCU-X02” đã sáp nhập vào “Xã Sìn Hồ” (mã LCU-X01) "
            "ngày 01/07/2026") in text(response)


# --------------------------------------------------------------------------- forms
def test_create_and_edit_use_the_import_rules(province_hr, tree):
    form = {"code": "LCU-X03", "name": "Xã Phong Thổ", "kind": "commune", "region": "",
            "parent": "LCU"}
    response = province_hr.post("/don-vi/moi", data=form)
    assert response.status_code == 400
    assert "không được để trống với xã, phường, đặc khu" in text(response)
    assert by_code("LCU-X03") is None
    response = province_hr.post("/don-vi/moi", data=dict(form, region="mountain"))
    assert response.status_code == 302
    created = by_code("LCU-X03")
    assert (created.kind, created.region, created.parent_id) == ("commune", "mountain",
                                                                 tree["top"].id)
    # The same rules as the file: a commune under a commune, a code taken, a too-long name.
    for changes, message in [({"code": "LCU-X01"}, "mã “LCU-X01” đã thuộc đơn vị “Xã Sìn Hồ”"),
                             ({"kind": "department", "parent": "LCU-X01", "region": ""},
                              "đơn vị trực thuộc"),
                             ({"name": "Xã " + "Phong Thổ " * 25}, "Không được dài quá 200 ký tự.")]:
        data = dict(form, code="LCU-X02", region="mountain") | changes
        response = province_hr.post(f"/don-vi/{tree['ta_phin'].id}/sua", data=data)
        assert response.status_code == 400 and message in text(response), message
    response = province_hr.post(f"/don-vi/{tree['ta_phin'].id}/sua", data={
        "code": "LCU-X02", "name": "Xã Tả Phìn (huyện Sìn Hồ cũ)", "kind": "commune",
        "region": "mountain", "parent": "LCU"})
    assert response.status_code == 302
    db.session.expire_all()
    assert by_code("LCU-X02").name == "Xã Tả Phìn (huyện Sìn Hồ cũ)"
    page = text(province_hr.get(f"/don-vi/{tree['ta_phin'].id}/sua"))
    assert 'value="Xã Tả Phìn (huyện Sìn Hồ cũ)"' in page
    assert '<option selected value="LCU-X01">' in text(province_hr.get("/don-vi/moi?cap-tren=LCU-X01"))


def test_a_root_province_is_created_by_an_admin_only(client, tree, make_user, login):
    form = {"code": "DBN", "name": "Tỉnh Điện Biên", "kind": "province", "region": "",
            "parent": ""}
    province_hr = login(make_user("hr", unit_id=tree["top"].id))
    assert province_hr.post("/don-vi/moi", data=form).status_code == 400
    admin = login(make_user("admin"))
    assert admin.post("/don-vi/moi", data=form).status_code == 302
    assert by_code("DBN").parent_id is None


def test_the_merge_screens_show_what_will_move_then_merge(province_hr, tree, staffed):
    url = f"/don-vi/{tree['ta_phin'].id}/sap-nhap"
    page = text(province_hr.get(url))
    assert "Sáp nhập vào đơn vị" in page and "dd/mm/yyyy" in page
    options = re.findall(r'<option value="(\d+)"', province_hr.get(url).get_data(as_text=True))
    assert str(tree["sin_ho"].id) in options and str(tree["ta_phin"].id) not in options
    assert str(tree["ta_phin_kt"].id) not in options  # not into its own department
    data = {"target": tree["sin_ho"].id, "merged_on": "01/07/2026", "decision_no": DECISION}
    check = province_hr.post(url, data=data)
    assert check.status_code == 200
    page = text(check)
    for expected in ("Kiểm tra trước khi ghi — chưa có gì thay đổi.", "2 cán bộ",
                     "3 đơn vị trực thuộc", "1 kế hoạch đào tạo", "1 đặt hàng đào tạo",
                     "1 lớp đặt hàng", "kế hoạch năm 2027", "hr.taphin",
                     'data-confirm="Sáp nhập Xã Tả Phìn vào Xã Sìn Hồ?'):
        assert expected in page, expected
    db.session.expire_all()
    assert by_code("LCU-X02").is_open  # nothing written yet
    done = province_hr.post(url, data=dict(data, confirmed="1"), follow_redirects=True)
    page = plain(done)
    assert "Đã sáp nhập “Xã Tả Phìn” vào “Xã Sìn Hồ” ngày 01/07/2026" in page
    assert "Đã sáp nhập vào Xã Sìn Hồ ngày 01/07/2026 (quyết định số 1670/NQ-UBTVQH15)" in page
    assert "quản trị viên cần chuyển sang đơn vị khác: hr.taphin" in page
    assert "năm 2027" in page  # the plan that stayed
    db.session.expire_all()
    assert not by_code("LCU-X02").is_open
    merge = db.session.scalar(sa.select(UnitMerge))
    assert merge.recorded_by == "hr.tinh" and len(merge.official_ids) == 2
    # A closed unit has no manager buttons any more, and its edit page says why.
    assert "Sáp nhập vào…" not in page
    edit = province_hr.get(f"/don-vi/{tree['ta_phin'].id}/sua", follow_redirects=True)
    assert "không sửa được" in text(edit)


def test_the_merge_form_refuses_bad_input_in_vietnamese(province_hr, tree):
    url = f"/don-vi/{tree['ta_phin'].id}/sap-nhap"
    response = province_hr.post(url, data={"target": tree["sin_ho"].id, "merged_on": "32/13/2026",
                                           "decision_no": ""})
    page = text(response)
    assert response.status_code == 400
    assert "Ngày không hợp lệ (dd/mm/yyyy)." in page and "Nhập số quyết định." in page
    response = province_hr.post(url, data={"target": tree["sin_ho"].id,
                                           "merged_on": "15/12/2026", "decision_no": DECISION,
                                           "confirmed": "1"})
    assert response.status_code == 400 and "không được ở tương lai" in text(response)
    db.session.expire_all()
    assert by_code("LCU-X02").is_open


def test_delete_from_the_page(province_hr, tree, make_official):
    make_official(unit_id=tree["ta_phin_yt"].id)
    db.session.commit()
    refused = province_hr.post(f"/don-vi/{tree['ta_phin_yt'].id}/xoa", follow_redirects=True)
    assert "Đơn vị còn 1 cán bộ: không xóa được" in text(refused)
    done = province_hr.post(f"/don-vi/{tree['sin_ho_yt'].id}/xoa", follow_redirects=True)
    assert "Đã xóa đơn vị “Trạm Y tế xã Sìn Hồ”." in text(done)
    assert by_code("LCU-X01-YT") is None and by_code("LCU-X02-YT") is not None


@pytest.mark.parametrize("who", ["admin", "province"])
def test_every_manager_screen_opens_with_real_data(client, tree, staffed, make_user, login, who):
    user = login(make_user("admin") if who == "admin"
                 else make_user("hr", unit_id=tree["top"].id))
    ta_phin = tree["ta_phin"].id
    for url, expected in [
            ("/don-vi", "Xã Tả Phìn"),
            (f"/don-vi/{ta_phin}", "Phòng Kinh tế xã Tả Phìn"),
            ("/don-vi/moi", "Đơn vị cấp trên"),
            (f"/don-vi/{ta_phin}/sua", 'value="Xã Tả Phìn"'),
            (f"/don-vi/{ta_phin}/sap-nhap", "Xã Sìn Hồ (LCU-X01)"),
            (f"/don-vi/{tree['top'].id}", "Đơn vị trực thuộc (3)")]:
        response = user.get(url)
        assert response.status_code == 200 and expected in text(response), url
    assert user.get("/don-vi/99999").status_code == 404
