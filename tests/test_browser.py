"""End-to-end journeys in a real browser (Debian chromium through Playwright), one per role:
the official (gaps → path → enroll → withdraw), the training school (open a cohort, record
results; run a cohort from demand to certificates and their public verification) and HR
(targets dashboard in scope, search, assessment, 404 outside scope).

The app is served by werkzeug on 127.0.0.1 (port 0) in a daemon thread, with CSRF switched back on
so the real forms and their tokens are exercised. Data is committed before the browser acts; the
DB is read again (after expire_all) to check what the browser did."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from trainer.catalog.models import Course, Position
from trainer.core.extensions import db
from trainer.core.timeutil import today
from trainer.guidance.operations import guidance_for
from trainer.learning.models import Cohort, Enrollment
from trainer.learning.operations import create_cohort, enroll_official
from trainer.notices.models import Notification
from trainer.people.models import Assessment, Official
from trainer.people.operations import record_assessment

pytestmark = pytest.mark.browser

# --------------------------------------------------------------------------- fixtures
# chromium, live and web are in tests/conftest.py (every browser test uses them).
PASSWORD = "matkhau123"


def login(page, user, home: str):
    page.goto("/dang-nhap")
    page.fill("#username", user.username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"**{home}")


def by_code(model, code):
    return db.session.scalar(sa.select(model).where(model.code == code))


# --------------------------------------------------------------------------- 1. official

def test_official_sees_gaps_and_path_enrolls_and_withdraws(web, make_official, make_user,
                                                           catalog, tmp_path):
    page = web
    position = by_code(Position, "CV-VP")
    official = make_official(position=position, full_name="Lò Thị Mai")
    for req in position.requirements:
        level = {"CDS-02": 0, "HC-01": 1}.get(req.competency.code, req.level)
        record_assessment(official, req.competency, level, source="supervisor",
                          assessor="Trưởng phòng", on=today() - timedelta(days=10))
    path = {db.session.get(Course, s.course_id).code: s for s in guidance_for(official).path}
    assert "HC-VB" in path and "BDHVS-VBDT" in path
    hcvb = by_code(Course, "HC-VB")
    online = by_code(Course, "BDHVS-VBDT")
    assert hcvb.mode != "online" and online.mode == "online"
    create_cohort(hcvb, code="HCVB-T1", start_date=today() + timedelta(days=7),
                           end_date=today() + timedelta(days=9), capacity=20,
                           location="Hội trường UBND xã", mode=hcvb.mode)
    user = make_user("official", official_id=official.id)  # commits
    official_id, hcvb_name, online_name = official.id, hcvb.name, online.name

    login(page, user, "/toi")
    expect(page.locator("h1")).to_have_text("Lò Thị Mai")
    # Gaps: two competencies short of the position's requirement.
    expect(page.get_by_text("Còn thiếu 2 năng lực.")).to_be_visible()
    gap_rows = page.locator("tr.table-warning")
    expect(gap_rows).to_have_count(2)
    expect(gap_rows.filter(has_text="Văn bản điện tử và chữ ký số")).to_contain_text("thiếu 2")
    expect(gap_rows.filter(has_text="Soạn thảo văn bản hành chính")).to_contain_text("thiếu 2")
    # The path, each step with why it is there.
    steps = page.locator("ol.list-group > li")
    expect(steps).to_have_count(2)
    online_step = steps.filter(has_text=online_name)
    hcvb_step = steps.filter(has_text=hcvb_name)
    expect(online_step).to_contain_text("Văn bản điện tử và chữ ký số: hiện 0, yêu cầu 2")
    expect(hcvb_step).to_contain_text("Soạn thảo văn bản hành chính: hiện 1, yêu cầu 3")
    expect(hcvb_step).to_contain_text("Lớp HCVB-T1")
    expect(hcvb_step).to_contain_text("Hội trường UBND xã")
    expect(hcvb_step).to_contain_text("còn 20 chỗ")

    # Phone width: screenshot, and nothing wider than the screen.
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    expect(page.locator("h1")).to_have_text("Lò Thị Mai")
    page.screenshot(path=str(tmp_path / "toi-390.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.set_viewport_size({"width": 1280, "height": 800})

    # Enroll in the open cohort.
    hcvb_step.get_by_role("button", name="Đăng ký lớp này").click()
    page.wait_for_url("**/khoa-hoc-cua-toi")
    expect(page.locator(".alert-success")).to_contain_text(f"Đã đăng ký “{hcvb_name}”.")
    row = page.locator("tbody tr").filter(has_text=hcvb_name)
    expect(row).to_contain_text("HCVB-T1")
    expect(row).to_contain_text("Đã ghi danh")

    # Withdraw it (the form asks for confirmation first).
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Rút đăng ký").click()
    expect(page.locator(".alert-success")).to_contain_text(f"Đã rút đăng ký “{hcvb_name}”.")
    expect(row).to_contain_text("Đã rút")
    expect(row.get_by_role("button", name="Rút đăng ký")).to_have_count(0)

    # Back on the path: the online course can be started right away.
    page.get_by_role("link", name="← Năng lực và lộ trình học").click()
    page.wait_for_url("**/toi")
    expect(page.get_by_role("button", name="Học trực tuyến ngay")).to_have_count(1)
    online_step = page.locator("ol.list-group > li").filter(has_text=online_name)
    online_step.get_by_role("button", name="Học trực tuyến ngay").click()
    page.wait_for_url("**/khoa-hoc-cua-toi")
    expect(page.locator(".alert-success")).to_contain_text(f"Đã đăng ký “{online_name}”.")
    online_row = page.locator("tbody tr").filter(has_text=online_name)
    expect(online_row).to_contain_text("Tự học trực tuyến")
    expect(online_row).to_contain_text("Đã ghi danh")

    db.session.expire_all()
    got = {(e.course.code, e.cohort_id is not None, e.status) for e in db.session.scalars(
        sa.select(Enrollment).where(Enrollment.official_id == official_id))}
    assert got == {("HC-VB", True, "withdrawn"), ("BDHVS-VBDT", False, "enrolled")}


# --------------------------------------------------------------------------- 2. training school

def test_school_opens_a_cohort_and_records_results(web, make_official, make_user, catalog):
    page = web
    course = by_code(Course, "TCD-KN")
    cohort = create_cohort(course, code="TCD-T1", start_date=today() + timedelta(days=3),
                           end_date=today() + timedelta(days=5), capacity=30,
                           location="Trường Chính trị tỉnh", mode=course.mode)
    an = make_official(full_name="Phạm Văn An")
    binh = make_official(full_name="Lê Thị Bình")
    cuong = make_official(full_name="Đỗ Văn Cường")
    enrollments = {o.full_name: enroll_official(o, cohort=cohort) for o in (an, binh, cuong)}
    assert {e.status for e in enrollments.values()} == {"enrolled"}
    school = make_user("school", provider_id=course.provider_id)  # commits
    ids = {name: e.id for name, e in enrollments.items()}
    cohort_id, course_name = cohort.id, course.name

    login(page, school, "/truong/")
    expect(page.locator("tbody").first).to_contain_text("TCD-T1")

    # Open a new cohort through the form.
    page.get_by_role("link", name="Mở lớp mới").click()
    page.wait_for_url("**/truong/lop/moi")
    page.select_option("#course_id", label=course_name)
    page.fill("#code", "TCD-T2")
    page.fill("#start_date", (today() + timedelta(days=20)).isoformat())
    page.fill("#end_date", (today() + timedelta(days=22)).isoformat())
    page.fill("#capacity", "25")
    page.select_option("#mode", label="Trực tiếp")
    page.fill("#location", "Hội trường UBND xã Bình Lư")
    page.get_by_role("button", name="Mở lớp").click()
    expect(page.locator("h1")).to_have_text("Lớp TCD-T2")
    expect(page.locator(".alert-success")).to_contain_text("Đã mở lớp TCD-T2.")
    expect(page.locator("main")).to_contain_text(course_name)
    expect(page.locator("main")).to_contain_text("Hội trường UBND xã Bình Lư")
    expect(page.locator("main")).to_contain_text("Sĩ số 25, còn 25 chỗ")
    expect(page.get_by_text("Chưa có học viên.")).to_be_visible()

    # The existing cohort, from the school's home page.
    page.get_by_role("link", name="Khóa học và lớp").first.click()
    page.get_by_role("link", name="TCD-T1", exact=True).click()
    page.wait_for_url(f"**/truong/lop/{cohort_id}")
    expect(page.locator("h1")).to_have_text("Lớp TCD-T1")

    def result(name, outcome, score):
        page.get_by_label(f"Kết quả của {name}").select_option(label=outcome)
        page.get_by_label(f"Điểm của {name}").fill(score)

    # A "pass" below the pass mark is refused, and the whole submission with it.
    result("Phạm Văn An", "Hoàn thành", "8,5")
    result("Đỗ Văn Cường", "Hoàn thành", "4")
    page.get_by_role("button", name="Ghi kết quả").click()
    expect(page.locator(".alert-danger")).to_contain_text(
        "Đỗ Văn Cường: Điểm 4 thấp hơn điểm đạt 5 của khóa.")
    db.session.expire_all()
    assert {e.status for e in db.session.scalars(sa.select(Enrollment).where(
        Enrollment.cohort_id == cohort_id))} == {"enrolled"}
    assert db.session.scalar(sa.select(sa.func.count(Assessment.id))) == 0

    # A pass and a fail.
    result("Phạm Văn An", "Hoàn thành", "8,5")
    result("Lê Thị Bình", "Không đạt", "3")
    page.get_by_role("button", name="Ghi kết quả").click()
    # No session was recorded: before saving, the school is told who gets no certificate (issue 12)
    preview = page.locator("#results-preview")
    expect(preview).to_contain_text("Phạm Văn An: lớp chưa có buổi học nào được ghi")
    expect(preview).to_contain_text("Lê Thị Bình: lớp chưa có buổi học nào được ghi, không xác "
                                    "định được chuyên cần; kết quả “Không đạt”")
    page.get_by_role("button", name="Vẫn ghi kết quả").click()
    expect(page.locator(".alert-success")).to_contain_text("Đã ghi kết quả cho 2 học viên.")
    roster = page.locator("tbody tr")
    expect(roster.filter(has_text="Phạm Văn An")).to_contain_text("Hoàn thành · 8,5")
    expect(roster.filter(has_text="Lê Thị Bình")).to_contain_text("Không đạt · 3,0")
    expect(page.get_by_label("Kết quả của Đỗ Văn Cường")).to_be_visible()  # still open
    expect(page.get_by_label("Kết quả của Phạm Văn An")).to_have_count(0)

    db.session.expire_all()
    got = {e.id: (e.status, e.score) for e in db.session.scalars(
        sa.select(Enrollment).where(Enrollment.cohort_id == cohort_id))}
    assert got == {ids["Phạm Văn An"]: ("completed", 8.5), ids["Lê Thị Bình"]: ("failed", 3.0),
                   ids["Đỗ Văn Cường"]: ("enrolled", None)}
    evidence = db.session.scalars(sa.select(Assessment)).all()
    assert {a.enrollment_id for a in evidence} == {ids["Phạm Văn An"]}
    assert {(a.competency.code, a.level, a.source) for a in evidence} == {
        ("TCD-01", 3, "course"), ("PV-01", 2, "course")}


# --------------------------------------------------------------------------- 3. HR

def test_hr_sees_targets_in_scope_searches_and_assesses(web, make_unit, make_official,
                                                        make_user, catalog):
    page = web
    position = by_code(Position, "CV-VP")
    province = make_unit(kind="province", region=None, name="Tỉnh Thử")
    mine = make_unit(parent_id=province.id, region="mountain", name="Xã Sơn Thủy")
    other = make_unit(parent_id=province.id, region="mountain", name="Xã Bình Lư")
    hoa = make_official(unit=mine, position=position, full_name="Nguyễn Thị Hoà")
    make_official(unit=mine, position=position, full_name="Trần Văn Nam", digital_signature=True)
    make_official(unit=mine, position=position, full_name="Lê Văn Đức")
    outsider = make_official(unit=other, position=position, full_name="Phạm Thị Hòa",
                             digital_signature=True)
    make_official(unit=other, full_name="Vũ Văn Long", digital_signature=True)
    hr = make_user("hr", unit_id=mine.id)  # commits
    hoa_id, outsider_id = hoa.id, outsider.id

    login(page, hr, "/muc-tieu/")
    expect(page.locator("h1")).to_contain_text("Xã Sơn Thủy")
    rows = page.locator("tbody tr")
    expect(rows.filter(has_text="DL-d")).to_contain_text("0 / 3")
    expect(rows.filter(has_text="HT-6")).to_contain_text("1 / 3")
    expect(rows.filter(has_text="HT-3")).to_contain_text("0 / 3")
    expect(page.locator("tbody")).not_to_contain_text("/ 5")  # the other commune is not counted

    # A target's detail: who is still missing.
    page.get_by_role("link", name="HT-6", exact=True).click()
    page.wait_for_url("**/muc-tieu/HT-6")
    expect(page.get_by_text("1 / 3 người đạt.")).to_be_visible()
    expect(page.get_by_role("heading", name="Chưa đạt (2)")).to_be_visible()
    expect(page.get_by_role("link", name="Nguyễn Thị Hoà")).to_be_visible()
    expect(page.get_by_role("link", name="Lê Văn Đức")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("Trần Văn Nam")
    expect(page.locator("main")).not_to_contain_text("Phạm Thị Hòa")

    # Search without diacritics; only the own commune is searched.
    page.get_by_role("link", name="Cán bộ", exact=True).click()
    page.wait_for_url("**/can-bo")
    expect(page.locator("h1")).to_contain_text("(3)")
    page.fill("#q", "hoa")
    page.get_by_role("button", name="Lọc").click()
    page.wait_for_url("**/can-bo?*q=hoa*")
    expect(page.locator("h1")).to_contain_text("(1)")
    expect(page.locator("tbody tr")).to_have_count(1)
    expect(page.locator("tbody")).not_to_contain_text("Phạm Thị Hòa")
    page.get_by_role("link", name="Nguyễn Thị Hoà").click()
    page.wait_for_url(f"**/can-bo/{hoa_id}")
    expect(page.get_by_text("Chưa được đánh giá theo khung năng lực.")).to_be_visible()

    # Record an assessment with the form.
    on = today() - timedelta(days=2)
    page.select_option("#competency_id", label="Văn bản điện tử và chữ ký số")
    page.select_option("#level", label="3 – Khá")
    page.select_option("#source", label="Cấp trên đánh giá")
    page.fill("#assessed_on", on.isoformat())
    page.get_by_role("button", name="Ghi đánh giá").click()
    expect(page.locator(".alert-success")).to_contain_text("Đã ghi kết quả đánh giá.")
    history = page.locator("table").filter(has=page.locator("th", has_text="Người đánh giá"))
    row = history.locator("tbody tr")
    expect(row).to_have_count(1)
    for text in (on.strftime("%d/%m/%Y"), "Văn bản điện tử và chữ ký số", "3",
                 "Cấp trên đánh giá", hr.display_name):
        expect(row).to_contain_text(text)

    db.session.expire_all()
    got = [(a.official_id, a.competency.code, a.level, a.source, a.assessed_on, a.assessor)
           for a in db.session.scalars(sa.select(Assessment))]
    assert got == [(hoa_id, "CDS-02", 3, "supervisor", on, hr.display_name)]

    # An official of the other commune does not exist for this user.
    response = page.goto(f"/can-bo/{outsider_id}")
    assert response.status == 404
    expect(page.locator("main")).to_contain_text("Không tìm thấy trang hoặc hồ sơ.")
    expect(page.locator("main")).not_to_contain_text("Phạm Thị Hòa")


# --------------------------------------------------------------------------- 4. school: demand → certificates

def test_school_runs_a_cohort_from_demand_to_certificates(web, chromium, live, make_unit,
                                                          make_official, make_user, catalog):
    """Issue 3 end to end: the demand table, a proposed class with its invitees by priority,
    creating it (invitations), starting it, a session with attendance, bulk results, certificates
    (one refused for an absence), the public verification page and the PDF."""
    page = web
    position = by_code(Position, "CV-VP")
    hcvb = by_code(Course, "HC-VB")
    assert hcvb.provider.code == "TCT" and not hcvb.requires_approval
    commune = make_unit(region="mountain", name="Xã Mường Lựu")
    people = [make_official(unit=commune, position=position, full_name=name)
              for name in ("Nguyễn Văn An", "Trần Văn Bình", "Đỗ Văn Cường")]
    # Born 2000, female, Thái: young + female + minority, so she ranks first among equal gaps
    # (created last, so the tie-break by id alone would put her last).
    mai = make_official(unit=commune, position=position, full_name="Lò Thị Mai", ethnicity="Thái",
                        gender="female", birth_date=date(2000, 3, 8))
    people.append(mai)
    for official in people:
        for req in position.requirements:
            level = 1 if req.competency.code == "HC-01" else req.level  # HC-01: 1 of 3
            record_assessment(official, req.competency, level, source="supervisor",
                              assessor="Trưởng phòng", on=today() - timedelta(days=10))
        assert hcvb.id in {s.course_id for s in guidance_for(official).path}
    school = make_user("school", provider_id=hcvb.provider_id)  # commits
    ids = {o.full_name: o.id for o in people}
    hcvb_id, hcvb_name = hcvb.id, hcvb.name
    mai_birth, mai_pid = mai.birth_date.strftime("%d/%m/%Y"), mai.pid

    # Demand: the course's row counts the four officials, all in a mountain commune.
    login(page, school, "/truong/")
    page.get_by_role("link", name="Nhu cầu đào tạo").click()
    page.wait_for_url("**/truong/nhu-cau")
    row = page.locator("#demand-table > tbody > tr").filter(has_text="HC-VB")
    expect(row).to_have_count(1)
    cells = row.locator("td")
    expect(cells.nth(1)).to_have_text("4")          # Cần học
    expect(cells.nth(4)).to_have_text("4")          # Miền núi
    expect(cells.nth(6)).to_have_text("1")          # Số xã

    # Proposals: one class of four, the young female minority official first.
    row.get_by_role("link", name="Đề xuất lớp").click()
    page.wait_for_url(f"**/truong/nhu-cau/{hcvb_id}/de-xuat")
    page.fill("#class_size", "4")
    page.get_by_role("button", name="Tính lại").click()
    page.wait_for_url("**/de-xuat?*class_size=4*")
    proposal = page.locator(".proposal")
    expect(proposal).to_have_count(1)
    expect(proposal.locator(".card-header")).to_contain_text("4 người")
    invitees = proposal.locator("tbody tr")
    expect(invitees).to_have_count(4)
    expect(invitees.first).to_contain_text("Lò Thị Mai")
    expect(invitees.first.locator("td").last).to_have_attribute(
        "title", re.compile("trẻ, nữ, dân tộc thiểu số"))

    # Create the class: code HC-VB-01, capacity = class size.
    expect(page.locator("#code_prefix")).to_have_value("HC-VB")
    page.fill("#start_date", (today() + timedelta(days=7)).isoformat())
    page.fill("#end_date", (today() + timedelta(days=8)).isoformat())
    page.fill("#location", "Hội trường Trường Chính trị tỉnh")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Tạo các lớp").click()
    page.wait_for_url("**/truong/")
    expect(page.locator(".alert-success")).to_contain_text(
        "Đã mở 1 lớp (HC-VB-01) và gửi lời mời đến 4 cán bộ.")

    db.session.expire_all()
    cohort = db.session.scalar(sa.select(Cohort).where(Cohort.code == "HC-VB-01"))
    assert (cohort.course_id, cohort.capacity, cohort.status) == (hcvb_id, 4, "open")
    invited = db.session.scalars(sa.select(Notification.official_id).where(
        Notification.kind == "invited")).all()
    assert sorted(invited) == sorted(ids.values())

    # The invitees enroll (the official's enroll button is covered by the first test).
    for official in db.session.scalars(sa.select(Official).where(Official.id.in_(ids.values()))):
        assert enroll_official(official, cohort=cohort).status == "enrolled"
    db.session.commit()
    # Time passes: a cohort can only be created to start after today, and the roll is taken
    # only for sessions on or before today (inside the cohort's dates), so move the class to
    # today as if its first day had come.
    cohort.start_date, cohort.end_date = today(), today() + timedelta(days=1)
    db.session.commit()
    cohort_id = cohort.id

    # Start the class.
    page.goto(f"/truong/lop/{cohort_id}")
    expect(page.locator("h1")).to_have_text("Lớp HC-VB-01")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Khai giảng").click()
    expect(page.locator(".alert-success")).to_contain_text("Lớp HC-VB-01 đã khai giảng")
    roster = page.locator("main table tbody tr")
    expect(roster).to_have_count(4)
    for n in range(4):
        expect(roster.nth(n).locator("td").nth(2)).to_have_text("Đang học")
    expect(page.get_by_role("button", name="Khai giảng")).to_have_count(0)

    # A session today, and its roll: everyone but Nguyễn Văn An.
    page.get_by_role("link", name=re.compile("Buổi học và điểm danh")).click()
    page.wait_for_url(f"**/truong/lop/{cohort_id}/buoi-hoc")
    page.fill("#day", today().isoformat())
    page.fill("#start_time", "08:00")
    page.fill("#end_time", "11:30")
    page.fill("#place", "Phòng 201, Trường Chính trị tỉnh")
    page.get_by_role("button", name="Thêm buổi học").click()
    expect(page.locator(".alert-success")).to_contain_text("Đã thêm buổi học.")
    session_row = page.locator("main table tbody tr")
    expect(session_row).to_have_count(1)
    expect(session_row).to_contain_text("08:00–11:30")
    expect(session_row).to_contain_text("Chưa điểm danh")
    session_row.get_by_role("link", name="Điểm danh").click()
    page.wait_for_url("**/diem-danh")
    for name in ids:
        expect(page.get_by_label(name)).to_be_checked()
    page.get_by_label("Nguyễn Văn An").uncheck()
    page.get_by_role("button", name="Ghi điểm danh").click()
    page.wait_for_url(f"**/truong/lop/{cohort_id}/buoi-hoc")
    expect(page.locator(".alert-success")).to_contain_text(
        f"Đã ghi điểm danh buổi {today():%d/%m/%Y}: 3/4 có mặt.")
    expect(session_row).to_contain_text("3/4 có mặt")

    # Results for all four in the bulk form.
    page.get_by_role("link", name="HC-VB-01").click()
    page.wait_for_url(f"**/truong/lop/{cohort_id}")
    for name, score in (("Lò Thị Mai", "8"), ("Trần Văn Bình", "7,5"),
                        ("Đỗ Văn Cường", "9"), ("Nguyễn Văn An", "8")):
        page.get_by_label(f"Kết quả của {name}").select_option(label="Hoàn thành")
        page.get_by_label(f"Điểm của {name}").fill(score)
    page.get_by_role("button", name="Ghi kết quả").click()
    # the absent official is named before anything is saved (issue 12)
    expect(page.locator("#results-preview")).to_contain_text("Nguyễn Văn An: vắng 1/1 buổi")
    expect(page.locator("#results-preview li")).to_have_count(1)
    page.get_by_role("button", name="Vẫn ghi kết quả").click()
    expect(page.locator(".alert-success")).to_contain_text("Đã ghi kết quả cho 4 học viên.")
    expect(roster.filter(has_text="Trần Văn Bình")).to_contain_text("Hoàn thành · 7,5")
    expect(roster.filter(has_text="Nguyễn Văn An").locator("td").nth(3)).to_have_text("0%")

    # Certificates: three issued; the absent official is told why not.
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Cấp chứng chỉ").click()
    expect(page.locator(".alert-success")).to_contain_text(
        "Đã cấp 3 chứng chỉ. 1 học viên hoàn thành chưa đủ điều kiện")
    number = re.compile(rf"^TCT-{today().year}-\d{{6}}$")
    for name in ("Lò Thị Mai", "Trần Văn Bình", "Đỗ Văn Cường"):
        links = roster.filter(has_text=name).locator("td").nth(4).get_by_role("link")
        expect(links.first).to_have_text(number)
        expect(links.nth(1)).to_have_text("Mất chứng chỉ?")  # the confirmation that replaces it
    absent = roster.filter(has_text="Nguyễn Văn An").locator("td").nth(4)
    expect(absent).to_contain_text("Chưa đủ điều kiện")
    expect(absent).to_contain_text("vắng 1/1 buổi")
    expect(absent.get_by_role("link")).to_have_count(0)

    db.session.expire_all()
    enrollments = {e.official.full_name: e for e in db.session.scalars(
        sa.select(Enrollment).where(Enrollment.cohort_id == cohort_id))}
    assert {n: (e.status, e.certificate_no is not None) for n, e in enrollments.items()} == {
        "Lò Thị Mai": ("completed", True), "Trần Văn Bình": ("completed", True),
        "Đỗ Văn Cường": ("completed", True), "Nguyễn Văn An": ("completed", False)}
    certified = enrollments["Lò Thị Mai"]
    code, enrollment_id, cert_no = (certified.certificate_code, certified.id,
                                    certified.certificate_no)

    # Public verification, not logged in: proof of completion, nothing personal.
    context = chromium.new_context(base_url=live, locale="vi-VN")
    try:
        public = context.new_page()
        response = public.goto(f"/xac-minh/{code}")
        assert response.status == 200
        body = public.locator("body")
        expect(public.locator(".alert-success")).to_contain_text("Chứng chỉ hợp lệ")
        expect(body).to_contain_text("Lò Thị Mai")
        expect(body).to_contain_text(hcvb_name)
        expect(body).to_contain_text(cert_no)
        expect(body).not_to_contain_text(mai_birth)
        expect(body).not_to_contain_text(mai_pid)
        assert mai_pid not in public.content()
        assert public.goto(f"/xac-minh/{code}x").status == 404
    finally:
        context.close()

    # The PDF, as the school (the page's cookies).
    pdf = page.request.get(f"/chung-chi/{enrollment_id}.pdf")
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")
