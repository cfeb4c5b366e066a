"""Gap reports (issue 4): heatmap, qualification standards, warnings, composition, exports —
hand-checked counts, drill levels, scope, filters, and Excel read back."""
import io
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import pandas as pd
import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from tests.test_jobs import download_export
from trainer.catalog.models import Competency, Course, Position
from trainer.core.exports import HEADER_ROW
from trainer.core.extensions import db
from trainer.core.timeutil import today
from trainer.learning.models import Cohort, Enrollment
from trainer.people.operations import record_assessment
from trainer.plans.models import PostTrainingReview
from trainer.reports import operations as ops
from trainer.reports.operations import competency_summary, gap_report


def _assess(official, levels: dict[str, int]):
    for req in official.position.requirements:
        record_assessment(official, req.competency, levels.get(req.competency.code, req.level),
                          source="supervisor", assessor="x", on=today() - timedelta(days=3))


def test_gap_report_counts_per_commune_and_competency(app, catalog, make_unit, make_official):
    vp = db.session.scalar(sa.select(Position).where(Position.code == "CV-VP"))
    a = make_unit(name="Xã A", region="rural")
    dept = make_unit(name="Văn phòng xã A", kind="department", region=None, parent_id=a.id)
    b = make_unit(name="Xã B", region="rural")
    _assess(make_official(unit=a, position=vp), {"CDS-02": 0})
    _assess(make_official(unit=dept, position=vp), {"CDS-02": 1, "HC-01": 1})
    _assess(make_official(unit=b, position=vp), {})
    db.session.commit()
    report = gap_report()
    cds02 = report[report["competency_code"] == "CDS-02"].set_index("unit_name")
    # The department's official counts under its commune.
    assert cds02.loc["Xã A", "required"] == 2 and cds02.loc["Xã A", "lacking"] == 2
    assert cds02.loc["Xã A", "mean_gap"] == (2 + 1) / 2
    assert cds02.loc["Xã B", "lacking"] == 0
    summary = competency_summary(report).set_index("competency_code")
    assert summary.loc["CDS-02", "lacking"] == 2 and summary.loc["HC-01", "lacking"] == 1
    assert summary.loc["CDS-02", "share"] == 200 / 3


def test_gap_report_page_stays_in_scope(app, catalog, make_unit, make_official, make_user, login):
    vp = db.session.scalar(sa.select(Position).where(Position.code == "CV-VP"))
    a, b = make_unit(name="Xã Mường A"), make_unit(name="Xã Mường B")
    _assess(make_official(unit=a, position=vp), {"CDS-02": 0})
    _assess(make_official(unit=b, position=vp), {"HC-01": 0})
    db.session.commit()
    page = login(make_user("hr", unit_id=a.id)).get("/bao-cao/thieu-hut").get_data(as_text=True)
    name = db.session.scalar(sa.select(Competency.name).where(Competency.code == "HC-01"))
    assert "Xã Mường A" in page and "Xã Mường B" not in page
    summary = page.index('table table-sm align-middle summary')  # below the heatmap
    row = page[page.index(name, summary):page.index(name, summary) + 400]
    assert "<td class=\"text-end\">0</td>" in row  # HC-01 lacked only in the other commune


# =========================================================================== issue 4: gap reports


def _by_code(model, code):
    return db.session.scalar(sa.select(model).where(model.code == code))


def _xlsx(response, sheet):
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    data = response.get_data()
    ws = load_workbook(io.BytesIO(data))[sheet]
    frame = pd.read_excel(io.BytesIO(data), sheet_name=sheet, header=HEADER_ROW - 1)
    return ws, frame


@pytest.fixture
def world(app, catalog, make_unit, make_official, make_user):
    """Province P → commune A (rural) → department D; commune B (mountain). Three office
    specialists (CV-VP: DD-01 2, DD-02 2 | CDS-01 2, CDS-02 2, HC-01 3, HC-03 2, PL-01 2):
    a1 (A, female) lacks CDS-02; d1 (D) lacks CDS-02 and HC-01; b1 (B, born 2000) lacks DD-01."""
    vp = _by_code(Position, "CV-VP")
    p = make_unit(name="Tỉnh Thử", kind="province", region=None)
    a = make_unit(name="Xã Alpha", region="rural", parent_id=p.id)
    d = make_unit(name="Văn phòng xã Alpha", kind="department", region=None, parent_id=a.id)
    b = make_unit(name="Xã Beta", region="mountain", parent_id=p.id)
    a1 = make_official(unit=a, position=vp, gender="female", full_name="Lò Thị Ánh")
    d1 = make_official(unit=d, position=vp, full_name="Vàng A Dũng")
    b1 = make_official(unit=b, position=vp, full_name="Giàng A Bình", birth_date=date(2000, 3, 1),
                       ethnicity="Mông")
    _assess(a1, {"CDS-02": 0})
    _assess(d1, {"CDS-02": 1, "HC-01": 1})
    _assess(b1, {"DD-01": 1})
    db.session.commit()
    comp = {c.code: c for c in db.session.scalars(sa.select(Competency))}
    return SimpleNamespace(p=p, a=a, d=d, b=b, a1=a1, d1=d1, b1=b1, comp=comp, vp=vp,
                           hr_a=make_user("hr", unit_id=a.id), admin=make_user("admin"))


def _cell(hm, row_name, code):
    j = [c["code"] for c in hm.columns].index(code)
    row = next(r for r in hm.rows if r["name"].startswith(row_name))
    return row["cells"][j]


def test_heatmap_province_level_counts_communes_by_competency(world):
    hm = ops.heatmap()
    assert hm.level == "province" and [r["name"] for r in hm.rows] == ["Xã Alpha", "Xã Beta"]
    assert _cell(hm, "Xã Alpha", "CDS-02") == {"required": 2, "lacking": 2, "share": 100.0}
    assert _cell(hm, "Xã Alpha", "HC-01") == {"required": 2, "lacking": 1, "share": 50.0}
    assert _cell(hm, "Xã Beta", "DD-01") == {"required": 1, "lacking": 1, "share": 100.0}
    assert _cell(hm, "Xã Beta", "CDS-02")["lacking"] == 0
    total = dict(zip([c["code"] for c in hm.columns], hm.total))
    assert total["CDS-02"]["lacking"] == 2 and total["CDS-02"]["required"] == 3
    # Only the competencies somebody here needs, in KH-1 group order.
    assert [c["code"] for c in hm.columns] == ["DD-01", "DD-02", "CDS-01", "CDS-02", "HC-01",
                                               "HC-03", "PL-01"]
    assert hm.column_groups == [("pham_chat", 2), ("thuc_thi", 5)]


def test_heatmap_by_competency_group_counts_officials_lacking_any(world):
    hm = ops.heatmap(by_group=True)
    assert [c["key"] for c in hm.columns] == ["pham_chat", "thuc_thi"]  # nobody needs phat_trien
    alpha = next(r for r in hm.rows if r["name"] == "Xã Alpha")["cells"]
    beta = next(r for r in hm.rows if r["name"] == "Xã Beta")["cells"]
    assert [(c["required"], c["lacking"]) for c in alpha] == [(2, 0), (2, 2)]
    assert [(c["required"], c["lacking"]) for c in beta] == [(1, 1), (1, 0)]
    # At the officials level: how many of the group's competencies are lacking.
    hm = ops.heatmap(unit_id=world.d.id, by_group=True)
    assert [(c["required"], c["lacking"]) for c in hm.rows[0]["cells"]] == [(2, 0), (5, 2)]


def test_heatmap_drills_commune_then_officials(world):
    hm = ops.heatmap(unit_id=world.a.id)
    assert hm.level == "commune"
    assert [r["name"] for r in hm.rows] == ["Xã Alpha (lãnh đạo, trực thuộc)",
                                            "Văn phòng xã Alpha"]
    assert _cell(hm, "Xã Alpha", "CDS-02") == {"required": 1, "lacking": 1, "share": 100.0}
    assert _cell(hm, "Văn phòng", "HC-01")["lacking"] == 1
    assert [b["name"] for b in hm.breadcrumb] == ["Tỉnh Thử", "Xã Alpha"]
    people = ops.heatmap(unit_id=world.a.id, by_official=True)
    assert people.level == "officials"
    assert {r["name"] for r in people.rows} == {"Lò Thị Ánh", "Vàng A Dũng"}
    dept = ops.heatmap(unit_id=world.d.id)
    assert dept.level == "officials" and [r["id"] for r in dept.rows] == [world.d1.id]
    cell = _cell(dept, "Vàng A Dũng", "CDS-02")
    assert (cell["current"], cell["required"], cell["gap"]) == (1, 2, 1)


def test_heatmap_filters_region_position_and_priority_groups(world):
    female = ops.heatmap(filters=ops.Filters(group="female"))
    assert [r["name"] for r in female.rows] == ["Xã Alpha"] and female.officials == 1
    assert _cell(female, "Xã Alpha", "CDS-02") == {"required": 1, "lacking": 1, "share": 100.0}
    young = ops.heatmap(filters=ops.Filters(group="young"))
    assert [r["name"] for r in young.rows] == ["Xã Beta"]
    assert ops.heatmap(filters=ops.Filters(group="young", young_age=25)).officials == 0
    minority = ops.heatmap(filters=ops.Filters(group="minority"))
    assert [r["name"] for r in minority.rows] == ["Xã Beta"]
    mountain = ops.heatmap(filters=ops.Filters(region="mountain"))
    assert [r["name"] for r in mountain.rows] == ["Xã Beta"]
    rural = ops.heatmap(filters=ops.Filters(region="rural"))  # the department inherits "rural"
    assert rural.officials == 2
    other = _by_code(Position, "CV-CNTT")
    assert ops.heatmap(filters=ops.Filters(position_id=other.id)).officials == 0


def test_young_means_below_the_age_limit_on_the_day():
    on = date(2026, 11, 23)
    assert ops.young_cutoff(on, 35) == date(1991, 11, 23)  # born that day: 35 today, not young
    assert ops.young_cutoff(date(2028, 2, 29), 35) == date(1993, 2, 28)


def test_heatmap_page_commune_hr_sees_only_its_subtree_and_cells_link_to_the_list(
        world, login, client):
    page = login(world.hr_a).get("/bao-cao/thieu-hut").get_data(as_text=True)
    assert "Văn phòng xã Alpha" in page and "Xã Beta" not in page  # starts at its commune
    assert "Toàn bộ phạm vi" not in page
    assert client.get(f"/bao-cao/thieu-hut?unit={world.b.id}").status_code == 404
    page = client.get(f"/bao-cao/thieu-hut?unit={world.d.id}").get_data(as_text=True)
    assert "Vàng A Dũng" in page and "Lò Thị Ánh" not in page
    page = client.get(f"/bao-cao/thieu-hut?unit={world.a.id}&by=official&view=group")
    assert "Lò Thị Ánh" in page.get_data(as_text=True)
    # The commune's own row links to the list of its own officials only (exact=1).
    page = client.get("/bao-cao/thieu-hut?group=female").get_data(as_text=True)
    cds02 = world.comp["CDS-02"].id
    link = f"/can-bo?unit={world.a.id}&amp;gap={cds02}&amp;group=female&amp;exact=1"
    assert link in page
    listing = client.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert "Lò Thị Ánh" in listing and "Vàng A Dũng" not in listing and "Nữ" in listing


def test_heatmap_page_for_the_province_with_filters(world, login):
    client = login(world.admin)
    page = client.get("/bao-cao/thieu-hut?region=mountain").get_data(as_text=True)
    assert "Xã Beta" in page and "Xã Alpha" not in page
    page = client.get("/bao-cao/thieu-hut?view=group&group=bogus").get_data(as_text=True)
    assert "Năng lực thực thi công vụ" in page and "Xã Alpha" in page


def test_heatmap_exports_to_excel(world, login):
    client = login(world.admin)
    ws, frame = _xlsx(download_export(client, "/bao-cao/thieu-hut?format=xlsx&group=female"),
                      "Tỷ lệ thiếu (%)")
    assert ws["A1"].value == "Bản đồ thiếu hụt năng lực — Nữ"
    assert ws["A2"].value.startswith("Đơn vị: Tỉnh Thử — ngày ")
    assert ws.freeze_panes == f"A{HEADER_ROW + 1}"
    col = f"CDS-02 – {world.comp['CDS-02'].name}"
    assert list(frame["Đơn vị"]) == ["Tổng", "Xã Alpha"]
    assert frame.set_index("Đơn vị").loc["Xã Alpha", col] == 100.0
    ws, detail = _xlsx(download_export(client, f"/bao-cao/thieu-hut?format=xlsx&unit={world.d.id}"),
                       "Các ô còn thiếu")
    assert ws["A2"].value.startswith("Đơn vị: Văn phòng xã Alpha")
    assert set(detail["Mã năng lực"]) == {"CDS-02", "HC-01"}
    assert set(detail["Họ và tên"]) == {"Vàng A Dũng"}


def test_officials_list_exports_the_filtered_list(world, login):
    client = login(world.hr_a)
    gap = world.comp['CDS-02'].id
    ws, frame = _xlsx(download_export(client, f"/can-bo?format=xlsx&gap={gap}"),
                      "Cán bộ, công chức")
    assert ws["A1"].value.startswith("Danh sách cán bộ, công chức — thiếu ")
    assert ws["A2"].value.startswith("Đơn vị: Xã Alpha")
    assert list(frame.columns[:3]) == ["Họ và tên", "Mã cán bộ", "Ngày sinh"]
    assert sorted(frame["Họ và tên"]) == ["Lò Thị Ánh", "Vàng A Dũng"]  # never Xã Beta's
    row = frame.set_index("Họ và tên").loc["Vàng A Dũng"]
    assert row["Số năng lực thiếu"] == 2 and row["Lý luận chính trị"] == "Sơ cấp"
    assert row["Đơn vị"] == "Văn phòng xã Alpha" and row["Xã, phường"] == "Xã Alpha"
    _, female = _xlsx(download_export(client, "/can-bo?format=xlsx&group=female"),
                      "Cán bộ, công chức")
    assert list(female["Họ và tên"]) == ["Lò Thị Ánh"] and list(female["Giới tính"]) == ["Nữ"]


# --------------------------------------------------------------------------- qualifications
@pytest.fixture
def standards(app, catalog, make_unit, make_official, make_user):
    """Internal-affairs specialists (CV-NV: political theory ≥ trung cấp, IT ≥ cơ bản)."""
    nv = _by_code(Position, "CV-NV")
    x = make_unit(name="Xã Gamma")
    low = make_official(unit=x, position=nv, full_name="Hà Văn Thấp", it_level="none")
    done = make_official(unit=x, position=nv, full_name="Lê Thị Đủ")  # so_cap + completed LLCT-TC
    going = make_official(unit=x, position=nv, full_name="Tòng Văn Đang")  # so_cap, studying
    lead = make_official(unit=x, position=_by_code(Position, "CT-UBND"), full_name="Chủ Tịch",
                         political_theory="cao_cap", state_management="chuyen_vien_chinh")
    tc = _by_code(Course, "LLCT-TC")
    db.session.add_all([
        Enrollment(official_id=done.id, course_id=tc.id, status="completed",
                   completed_on=today() - timedelta(days=30), score=8),
        Enrollment(official_id=going.id, course_id=tc.id, status="in_progress")])
    db.session.commit()
    return SimpleNamespace(x=x, low=low, done=done, going=going, lead=lead,
                           hr=make_user("hr", unit_id=x.id))


def test_qualification_report_lists_what_is_lacking_and_the_cheapest_course(standards):
    report = ops.qualification_report()
    gaps = report.gaps.set_index(["full_name", "kind"])
    row = gaps.loc[("Hà Văn Thấp", "political_theory")]
    assert (row["have_label"], row["need_label"]) == ("Sơ cấp", "Trung cấp")
    # Trung cấp (640 h, free) beats Cao cấp (960 h, free): cheapest, then shortest.
    assert row["course_code"] == "LLCT-TC"
    assert gaps.loc[("Hà Văn Thấp", "it_level"), "course_code"] == "CDLC-THCB"
    assert ("Lê Thị Đủ", "political_theory") not in gaps.index  # the completed course counts
    assert gaps.loc[("Tòng Văn Đang", "political_theory"), "active_course"].startswith("Trung cấp")
    assert pd.isna(row["active_course"])
    assert "Chủ Tịch" not in set(report.gaps["full_name"])
    by_group = report.by_group.set_index("position_group")
    assert by_group.loc["specialist", "officials"] == 3
    assert by_group.loc["specialist", "political_theory"] == 2
    assert by_group.loc["specialist", "it_level"] == 1 and by_group.loc["specialist", "any"] == 2
    assert by_group.loc["specialist", "share_ok"] == pytest.approx(100 / 3)
    assert by_group.loc["leadership", "any"] == 0
    unit = report.by_unit.set_index("commune_name").loc["Xã Gamma"]
    assert (unit["officials"], unit["any"], unit["political_theory"]) == (4, 2, 2)
    female = ops.qualification_report(filters=ops.Filters(group="female"))
    assert female.gaps.empty and female.by_group["officials"].sum() == 0


def test_qualification_page_and_export(standards, login):
    client = login(standards.hr)
    page = client.get("/bao-cao/chuan-chuc-danh").get_data(as_text=True)
    assert "Hà Văn Thấp" in page and "Trung cấp lý luận chính trị" in page
    ws, people = _xlsx(download_export(client, "/bao-cao/chuan-chuc-danh?format=xlsx"),
                       "Danh sách chưa đạt")
    assert ws["A2"].value.startswith("Đơn vị: Xã Gamma")
    row = people[(people["Họ và tên"] == "Hà Văn Thấp") & (people["Tiêu chuẩn"] == "Tin học")]
    assert row["Khóa học đề xuất"].iloc[0].startswith("Tin học ứng dụng cơ bản")
    assert row["Chi phí (đồng)"].iloc[0] == _by_code(Course, "CDLC-THCB").cost
    _, groups = _xlsx(download_export(client, "/bao-cao/chuan-chuc-danh?format=xlsx"),
                      "Theo nhóm vị trí")
    assert groups.set_index("Nhóm vị trí").loc["Chuyên viên", "Số cán bộ"] == 3


# --------------------------------------------------------------------------- warnings (KH-8)
def _cohort(code, course, start):
    c = Cohort(course_id=course.id, code=code, start_date=start, end_date=start + timedelta(days=5),
               capacity=30, mode="in_person", status="finished")
    db.session.add(c)
    db.session.flush()
    return c


def test_warnings_each_kind_with_its_reason(app, catalog, make_unit, make_official):
    x = make_unit(name="Xã Delta")
    vp = _by_code(Position, "CV-VP")
    people = {n: make_official(unit=x, position=vp, full_name=n) for n in (
        "Vắng Mặt", "Rút Muộn", "Rút Sớm", "Lớp Hủy", "Đánh Giá Cũ", "Đánh Giá Mới", "Tự Đánh Giá",
        "Không Đổi", "Không Tiến Bộ", "Có Tiến Bộ")}
    course = _by_code(Course, "BDHVS-VBDT")  # teaches CDS-02 (2) and HC-02 (1)
    start = today() - timedelta(days=20)
    cohort = _cohort("K-01", course, start)

    def enrol(name, status, left=None):
        e = Enrollment(official_id=people[name].id, course_id=course.id, cohort_id=cohort.id,
                       status=status)
        if left:
            e.updated_at = datetime.combine(left, datetime.min.time(), tzinfo=UTC)
        db.session.add(e)
        return e
    enrol("Vắng Mặt", "no_show")
    enrol("Rút Muộn", "withdrawn", left=start + timedelta(days=2))
    enrol("Rút Sớm", "withdrawn", left=start - timedelta(days=3))
    enrol("Lớp Hủy", "cancelled")

    def assess(name, code, level, days_ago, source="supervisor"):
        record_assessment(people[name], db.session.scalar(sa.select(Competency).where(
            Competency.code == code)), level, source=source, assessor="x",
            on=today() - timedelta(days=days_ago))
    for name in people:
        if name not in ("Đánh Giá Cũ", "Tự Đánh Giá"):
            assess(name, "DD-01", 2, 10)
    assess("Đánh Giá Cũ", "DD-01", 2, 400)
    assess("Tự Đánh Giá", "DD-01", 2, 5, source="self")

    reviewed = Enrollment(official_id=people["Không Đổi"].id, course_id=course.id,
                          status="completed", completed_on=today() - timedelta(days=100))
    db.session.add(reviewed)
    db.session.flush()
    db.session.add(PostTrainingReview(enrollment_id=reviewed.id, outcome="no_change",
                                      reviewer="Trưởng phòng", reviewed_on=today() - timedelta(days=5)))
    for name, after in (("Không Tiến Bộ", 1), ("Có Tiến Bộ", 2)):
        db.session.add(Enrollment(official_id=people[name].id, course_id=course.id,
                                  status="completed", completed_on=today() - timedelta(days=60)))
        assess(name, "CDS-02", 1, 90)
        assess(name, "CDS-02", after, 30)
    # Below standard: political theory "none" for an office specialist (needs sơ cấp).
    people["Vắng Mặt"].political_theory = "none"
    db.session.commit()

    w = ops.warnings_report()
    names = {k: list(v["full_name"]) for k, v in w.items()}
    assert sorted(names["skipped"]) == ["Rút Muộn", "Vắng Mặt"]  # not before the start, not cancelled
    reasons = dict(zip(w["skipped"]["full_name"], w["skipped"]["reason"]))
    assert reasons["Vắng Mặt"].startswith("Không tham gia khóa “Văn bản điện tử")
    assert "sau khi lớp đã khai giảng" in reasons["Rút Muộn"]
    assert sorted(names["not_reviewed"]) == ["Tự Đánh Giá", "Đánh Giá Cũ"]
    stale = dict(zip(w["not_reviewed"]["full_name"], w["not_reviewed"]["reason"]))
    assert stale["Đánh Giá Cũ"].startswith("Lần đánh giá gần nhất ngày")
    assert stale["Tự Đánh Giá"] == "Chưa từng được cấp trên đánh giá hoặc sát hạch"
    assert sorted(names["no_change"]) == ["Không Tiến Bộ", "Không Đổi"]
    change = dict(zip(w["no_change"]["full_name"], w["no_change"]["reason"]))
    assert "năng lực không thay đổi" in change["Không Đổi"]
    assert "không cao hơn trước trên 1 năng lực" in change["Không Tiến Bộ"]
    assert names["below_standard"] == ["Vắng Mặt"]
    assert "Lý luận chính trị: Chưa qua đào tạo (chuẩn: Sơ cấp)" in w["below_standard"]["reason"][0]
    # The period is a setting (REVIEW_PERIOD_MONTHS): 0 months flags everybody.
    assert len(ops.warnings_report(review_months=1)["not_reviewed"]) == 2
    assert len(ops.warnings_report(review_months=0)["not_reviewed"]) == 10


def test_warnings_page_scope_setting_and_export(app, catalog, make_unit, make_official, make_user,
                                                login):
    mine, other = make_unit(name="Xã Epsilon"), make_unit(name="Xã Zeta")
    make_official(unit=mine, full_name="Người Của Tôi")
    make_official(unit=other, full_name="Người Xã Khác")
    db.session.commit()
    app.config["REVIEW_PERIOD_MONTHS"] = 6
    client = login(make_user("hr", unit_id=mine.id))
    page = client.get("/bao-cao/canh-bao?kind=not_reviewed").get_data(as_text=True)
    assert "Người Của Tôi" in page and "Người Xã Khác" not in page and "6 tháng" in page
    _, frame = _xlsx(download_export(client, "/bao-cao/canh-bao?format=xlsx"),
                     "Chưa được đánh giá")
    assert list(frame.columns) == ["Họ và tên", "Mã cán bộ", "Đơn vị", "Vị trí việc làm", "Lý do",
                                   "Ngày"]
    assert list(frame["Họ và tên"]) == ["Người Của Tôi"]
    book = download_export(client, "/bao-cao/canh-bao?format=xlsx").get_data()
    assert set(load_workbook(io.BytesIO(book)).sheetnames) == {
        "Chưa đạt chuẩn", "Không tham gia đào tạo", "Chưa được đánh giá", "Không thay đổi sau ĐT"}


# --------------------------------------------------------------------------- composition (KH-11)
def test_composition_shares_among_managers_and_overall_and_by_year(app, catalog, make_unit,
                                                                  make_official):
    x, y = make_unit(name="Xã Eta"), make_unit(name="Xã Theta")
    ct, tp, cv = (_by_code(Position, c) for c in ("CT-UBND", "TRUONG-PKT", "CV-VP"))
    make_official(unit=x, position=ct, gender="female", ethnicity="Thái",
                  birth_date=date(1995, 6, 1))  # young manager until 2029 (limit 35)
    make_official(unit=x, position=tp, birth_date=date(1970, 1, 1))
    make_official(unit=x, position=cv, gender="female", birth_date=date(1998, 1, 1))
    make_official(unit=y, position=cv, ethnicity="Mông", birth_date=date(1980, 1, 1))
    db.session.commit()
    c = ops.composition_report(on=date(2026, 11, 23), years=range(2026, 2031))
    assert c.total["officials"] == 4 and c.total["managers"] == 2
    assert c.total["share_young"] == 50.0 and c.total["share_female"] == 50.0
    assert c.total["share_minority"] == 50.0
    assert c.total["managers_share_young"] == 50.0 and c.total["managers_share_female"] == 50.0
    eta = c.by_unit.set_index("commune_name").loc["Xã Eta"]
    assert eta["managers"] == 2 and eta["managers_share_minority"] == 50.0
    assert eta["share_female"] == pytest.approx(200 / 3)
    trend = c.trend.set_index("year")
    assert trend.loc[2029, "managers_share_young"] == 50.0
    assert trend.loc[2030, "managers_share_young"] == 0.0  # turns 35 in 2030
    assert ops.composition_report(young_age=30, on=date(2026, 11, 23)).total["young"] == 1


def test_composition_page_uses_the_setting_and_exports(app, catalog, make_unit, make_official,
                                                       make_user, login):
    x = make_unit(name="Xã Iota")
    make_official(unit=x, position=_by_code(Position, "CT-UBND"), birth_date=date(1994, 1, 1))
    db.session.commit()
    app.config["YOUNG_AGE_LIMIT"] = 30
    client = login(make_user("hr", unit_id=x.id))
    page = client.get("/bao-cao/co-cau").get_data(as_text=True)
    assert "dưới 30 tuổi" in page and "ngày tuyển dụng" in page
    _, frame = _xlsx(client.get("/bao-cao/co-cau?format=xlsx"), "Theo đơn vị")
    assert list(frame["Đơn vị"]) == ["Tổng", "Xã Iota"]
    assert frame.set_index("Đơn vị").loc["Xã Iota", "Lãnh đạo, quản lý trẻ (%)"] == 0.0
    _, trend = _xlsx(client.get("/bao-cao/co-cau?format=xlsx"), "Theo năm")
    assert trend["Năm (tại 31/12)"].iloc[-1] >= 2030


# -------------------------------------------------------------- the subtree rule, every level
def test_a_province_wide_filter_reaches_the_officials_of_departments(
        app, province, make_unit, make_official, make_user, login):
    """The officials list filters by the unit subtree (org.queries.unit_subtree_ids), every level
    down: a department's official is in the province and in its commune."""
    top, a, _ = province
    department = make_unit(code="LCU-X01-VP", name="Văn phòng Xã A", kind="department",
                           parent_id=a.id)
    official = make_official(unit=department, full_name="Lò Văn Phòng Ban")
    admin = make_user("admin")
    client = login(admin)
    for unit in (top, a, department):
        page = client.get(f"/can-bo?unit={unit.id}").get_data(as_text=True)
        assert official.full_name in page, unit.name
    assert official.full_name not in client.get(f"/can-bo?unit={a.id}&exact=1").get_data(
        as_text=True)
