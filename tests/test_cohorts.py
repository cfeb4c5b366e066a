"""Running a class (issue 3): sessions, attendance, imports, and certificates under Circular
01/2018/TT-BNV — full attendance, every assessment ≥ 5/10, issued once."""
from __future__ import annotations

import io
import re
from datetime import date, time, timedelta

import pandas as pd
import pytest
import sqlalchemy as sa

from trainer.catalog.models import Course, CourseModule, Provider
from trainer.cohorts import operations as ops
from trainer.cohorts.certificate import certificate_pdf
from trainer.cohorts.models import Attendance
from trainer.core.errors import DomainError, ImportRejected
from trainer.core.extensions import db
from trainer.core.timeutil import today
from trainer.degrees.models import ModuleResult
from trainer.learning.models import Cohort, Enrollment
from trainer.learning.operations import create_cohort, enroll_official, record_result, start_cohort
from trainer.notices.models import Notification

T0 = today()


def _course(code):
    return db.session.scalar(sa.select(Course).where(Course.code == code))


@pytest.fixture
def running(app, catalog, make_official):
    """A factory: a cohort that has started, with `n` seated enrollees, its dates moved so that
    sessions can lie in the past (enrollment needs a future start)."""
    seq = iter(range(1, 1000))

    def make(course_code="CDLC-VTLT", n=2, **officials):
        course = _course(course_code)
        cohort = create_cohort(course, code=f"{course_code}-{next(seq)}",
                               start_date=T0 + timedelta(days=1), end_date=T0 + timedelta(days=30),
                               capacity=20, location="Hội trường UBND xã", mode=course.mode)
        enrollments = []
        for _ in range(n):
            enrollment = enroll_official(make_official(**officials), cohort=cohort)
            if enrollment.status == "requested":  # a course that needs HR approval
                enrollment.status = "enrolled"
            enrollments.append(enrollment)
        start_cohort(cohort, on=cohort.start_date)
        cohort.start_date, cohort.end_date = T0 - timedelta(days=20), T0 + timedelta(days=10)
        db.session.flush()
        return cohort, enrollments
    return make


def _session(cohort, days_ago, hour=8):
    return ops.add_session(cohort, day=T0 - timedelta(days=days_ago), start_time=time(hour),
                           end_time=time(hour + 3), place="Phòng 201")


def _csv(rows: list[dict]) -> pd.DataFrame:
    """What read_table returns for an uploaded CSV."""
    from trainer.core.tabular import read_table
    return read_table(io.BytesIO(pd.DataFrame(rows).to_csv(index=False).encode()), "tep.csv")


# --- Sessions ---------------------------------------------------------------------------------

def test_sessions_must_fall_within_the_cohort_and_end_after_they_start(running):
    cohort, _ = running()
    with pytest.raises(DomainError, match="phải trong thời gian của lớp"):
        ops.add_session(cohort, day=cohort.start_date - timedelta(days=1), start_time=time(8),
                        end_time=time(11), place="Phòng 201")
    with pytest.raises(DomainError, match="Giờ kết thúc phải sau giờ bắt đầu"):
        ops.add_session(cohort, day=T0, start_time=time(14), end_time=time(14), place="Phòng 201")
    with pytest.raises(DomainError, match="địa điểm hoặc đường dẫn"):
        ops.add_session(cohort, day=T0, start_time=time(8), end_time=time(11))
    with pytest.raises(DomainError, match="http"):
        ops.add_session(cohort, day=T0, start_time=time(8), end_time=time(11),
                        online_link="meet.example.vn/abc")
    session = ops.add_session(cohort, day=T0, start_time=time(8), end_time=time(11),
                              online_link="https://meet.example.vn/abc")
    with pytest.raises(DomainError, match="Trùng giờ"):
        ops.add_session(cohort, day=T0, start_time=time(10), end_time=time(12), place="Phòng 201")
    afternoon = ops.add_session(cohort, day=T0, start_time=time(13, 30), end_time=time(16, 30),
                                place="Phòng 201")
    assert [s.id for s in cohort.sessions] == [session.id, afternoon.id]


def test_a_session_with_attendance_cannot_be_removed(running):
    cohort, (a, _) = running()
    empty, taken = _session(cohort, 3), _session(cohort, 2)
    ops.record_attendance(taken, {a.id})
    with pytest.raises(DomainError, match="đã điểm danh"):
        ops.remove_session(taken)
    ops.remove_session(empty)
    db.session.commit()
    assert [s.id for s in cohort.sessions] == [taken.id]


def test_school_adds_and_removes_sessions_on_the_web(running, make_user, login):
    cohort, _ = running()
    school = make_user("school", provider_id=cohort.course.provider_id)
    client = login(school)
    day = T0 - timedelta(days=1)
    response = client.post(f"/truong/lop/{cohort.id}/buoi-hoc", data={
        "day": day.isoformat(), "start_time": "08:00", "end_time": "07:00", "place": "Phòng 1"})
    assert "Giờ kết thúc phải sau giờ bắt đầu" in response.get_data(as_text=True)
    response = client.post(f"/truong/lop/{cohort.id}/buoi-hoc", data={
        "day": day.isoformat(), "start_time": "08:00", "end_time": "11:00", "place": "Phòng 1"})
    assert response.status_code == 302
    db.session.expire_all()
    [session] = db.session.get(Cohort, cohort.id).sessions
    page = client.get(f"/truong/lop/{cohort.id}/buoi-hoc").get_data(as_text=True)
    assert f"{day:%d/%m/%Y}" in page and "Chưa điểm danh" in page
    client.post(f"/truong/lop/{cohort.id}/buoi-hoc/{session.id}/xoa")
    db.session.expire_all()
    assert db.session.get(Cohort, cohort.id).sessions == []


# --- Attendance -------------------------------------------------------------------------------

def test_attendance_upserts_every_attendee_and_rates_count_held_sessions(running):
    cohort, (a, b) = running()
    first, second = _session(cohort, 5), _session(cohort, 4)
    future = ops.add_session(cohort, day=T0 + timedelta(days=2), start_time=time(8),
                             end_time=time(11), place="Phòng 201")
    assert ops.attendance_rates(cohort) == {a.id: 0.0, b.id: 0.0}  # held but not taken yet
    ops.record_attendance(first, {a.id, b.id})
    ops.record_attendance(second, {a.id})
    ops.record_attendance(second, {a.id})  # again: rows updated, not duplicated
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attendance)) == 4
    assert ops.session_attendance(second) == {a.id: True, b.id: False}
    assert ops.attendance_rates(cohort) == {a.id: 1.0, b.id: 0.5}
    assert ops.attendance_rate(b) == 0.5
    with pytest.raises(DomainError, match="chưa diễn ra"):
        ops.record_attendance(future, {a.id})
    with pytest.raises(DomainError, match="không thuộc lớp"):
        ops.record_attendance(first, {a.id, 999999})


def test_attendance_rate_is_none_before_any_session_and_rates_take_one_query(running):
    cohort, (a, _, _) = running(n=3)
    assert set(ops.attendance_rates(cohort).values()) == {None}
    assert ops.attendance_rate(a) is None
    _session(cohort, 1)
    statements = []
    engine = db.engine

    def count(*_args):
        statements.append(1)
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        ops.attendance_rates(cohort)
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == 1


def test_attendance_form_on_the_web(running, make_user, login):
    cohort, (a, b) = running()
    session = _session(cohort, 1)
    school = make_user("school", provider_id=cohort.course.provider_id)
    db.session.commit()
    client = login(school)
    page = client.get(f"/truong/lop/{cohort.id}/buoi-hoc/{session.id}/diem-danh")
    assert a.official.full_name in page.get_data(as_text=True)
    response = client.post(f"/truong/lop/{cohort.id}/buoi-hoc/{session.id}/diem-danh",
                           data={"present": [str(b.id)]})
    assert response.status_code == 302
    assert ops.session_attendance(session) == {a.id: False, b.id: True}
    assert "1/2 có mặt" in client.get(f"/truong/lop/{cohort.id}/buoi-hoc").get_data(as_text=True)
    roster = client.get(f"/truong/lop/{cohort.id}").get_data(as_text=True)
    assert "100%" in roster and "0%" in roster


def test_attendance_import_writes_every_row(running):
    cohort, (a, b) = running()
    morning, afternoon = _session(cohort, 3, hour=8), _session(cohort, 3, hour=13)
    other = _session(cohort, 2)
    day, other_day = f"{morning.day:%d/%m/%Y}", other.day.isoformat()
    rows = _csv([
        {"Số định danh cá nhân": a.official.pid, "Ngày": day, "Có mặt": "có"},
        {"Số định danh cá nhân": b.official.pid, "Ngày": day, "Có mặt": "không"},
        {"Số định danh cá nhân": a.official.pid, "Ngày": other_day, "Có mặt": "Có"},
    ])
    counts = ops.plan_attendance(cohort, rows).run()
    assert (counts["rows"], counts["created"]) == (3, 5)  # a day with two sessions marks both
    assert ops.session_attendance(morning) == ops.session_attendance(afternoon) == {
        a.id: True, b.id: False}
    assert ops.session_attendance(other) == {a.id: True}


def test_a_broken_attendance_import_writes_nothing_and_names_row_and_column(running):
    cohort, (a, b) = running()
    session = _session(cohort, 3)
    day = f"{session.day:%d/%m/%Y}"
    with pytest.raises(ImportRejected) as rejected:
        ops.plan_attendance(cohort, _csv([
            {"Số định danh cá nhân": a.official.pid, "Ngày": day, "Có mặt": "có"},
            {"Số định danh cá nhân": "000000000000", "Ngày": day, "Có mặt": "có"},
            {"Số định danh cá nhân": b.official.pid, "Ngày": f"{T0 - timedelta(days=9):%d/%m/%Y}",
             "Có mặt": "có"},
            {"Số định danh cá nhân": b.official.pid, "Ngày": day, "Có mặt": "hay"},
            {"Số định danh cá nhân": a.official.pid, "Ngày": day, "Có mặt": "không"},
        ])).run()
    errors = rejected.value.errors
    assert errors[0].startswith("dòng 3, cột “Số định danh cá nhân”: không có học viên")
    assert errors[1].startswith("dòng 4, cột “Ngày”: lớp không có buổi học ngày")
    assert errors[2].startswith("dòng 5, cột “Có mặt”")
    assert errors[3] == "dòng 6: trùng học viên và ngày với dòng 2"
    assert len(errors) == 4
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attendance)) == 0
    with pytest.raises(ImportRejected, match="1 lỗi") as rejected:
        ops.plan_attendance(cohort, _csv([{"Số định danh cá nhân": a.official.pid,
                                             "Ngày": day}])).run()
    assert "thiếu cột “Có mặt”" in rejected.value.errors[0]


def test_attendance_import_on_the_web_shows_errors(running, make_user, login):
    cohort, (a, _) = running()
    _session(cohort, 3)
    school = make_user("school", provider_id=cohort.course.provider_id)
    client = login(school)
    body = pd.DataFrame([{"Số định danh cá nhân": a.official.pid, "Ngày": "31/02/2026",
                          "Có mặt": "có"}]).to_csv(index=False).encode()
    response = client.post(f"/truong/lop/{cohort.id}/nhap", data={
        "kind": "attendance", "file": (io.BytesIO(body), "diem-danh.csv")},
        content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert "dòng 2, cột “Ngày”" in page and "không phải ngày hợp lệ" in page
    template = client.get(f"/truong/lop/{cohort.id}/mau-attendance.xlsx")
    df = pd.read_excel(io.BytesIO(template.data), dtype=str)
    assert list(df.columns) == ["Số định danh cá nhân", "Họ và tên", "Ngày", "Có mặt"]
    assert len(df) == 2


def test_class_files_are_previewed_then_confirmed_and_import_twice_unchanged(running, make_user,
                                                                           login):
    cohort, (a, b) = running()
    session = _session(cohort, 3)
    db.session.commit()
    client = login(make_user("school", provider_id=cohort.course.provider_id))
    day = f"{session.day:%d/%m/%Y}"

    def upload(kind, rows):
        body = pd.DataFrame(rows).to_csv(index=False).encode()
        return client.post(f"/truong/lop/{cohort.id}/nhap", data={
            "kind": kind, "file": (io.BytesIO(body), "tep.csv")},
            content_type="multipart/form-data").get_data(as_text=True)

    def confirm(page):
        action = re.search(r'action="(/truong/lop/\d+/nhap/lo/\d+/xac-nhan)"', page).group(1)
        return client.post(action, follow_redirects=True).get_data(as_text=True)

    marks = [{"Số định danh cá nhân": a.official.pid, "Ngày": day, "Có mặt": "có"},
             {"Số định danh cá nhân": b.official.pid, "Ngày": day, "Có mặt": "không"}]
    page = upload("attendance", marks)
    assert "Sẽ thêm 2, cập nhật 0, giữ nguyên 0 lượt điểm danh." in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attendance)) == 0
    assert "Đã thêm 2, cập nhật 0, giữ nguyên 0 lượt điểm danh." in confirm(page)
    assert ops.session_attendance(session) == {a.id: True, b.id: False}
    template = pd.read_excel(io.BytesIO(client.get(
        f"/truong/lop/{cohort.id}/mau-attendance.xlsx").data), dtype=str)
    assert dict(zip(template["Số định danh cá nhân"], template["Có mặt"])) == {
        a.official.pid: "có", b.official.pid: "không"}  # the marks taken
    marks[1]["Có mặt"] = "có"
    page = upload("attendance", marks)
    assert "Sẽ thêm 0, cập nhật 1, giữ nguyên 1 lượt điểm danh." in page
    confirm(page)
    db.session.expire_all()
    assert ops.session_attendance(session) == {a.id: True, b.id: True}
    assert "nhập lại không thay đổi gì" in upload("attendance", marks)

    results = [{"Số định danh cá nhân": a.official.pid, "Điểm": "8,5", "Kết quả": ""},
               {"Số định danh cá nhân": b.official.pid, "Điểm": "4", "Kết quả": ""}]
    page = upload("class_results", results)
    assert "Sẽ thêm 2, cập nhật 0, giữ nguyên 0 kết quả học tập." in page
    assert "Đã thêm 2" in confirm(page)
    db.session.expire_all()
    assert [(e.status, e.score) for e in (db.session.get(Enrollment, a.id),
                                          db.session.get(Enrollment, b.id))] == [
        ("completed", 8.5), ("failed", 4.0)]
    assert "nhập lại không thay đổi gì" in upload("class_results", results)  # idempotent
    results[1]["Điểm"] = "6"
    page = upload("class_results", results)
    assert ("dòng 3, cột “Điểm”: học viên đã có kết quả (Không đạt, điểm 4); kết quả đã ghi "
            "không sửa bằng tệp") in page
    # Another school's user cannot confirm, nor see, this class's batches.
    other = make_user("school", provider_id=db.session.scalar(
        sa.select(Provider.id).where(Provider.id != cohort.course.provider_id)))
    login(other)
    assert client.post(f"/truong/lop/{cohort.id}/nhap/lo/1/xac-nhan").status_code == 404


# --- Results import ---------------------------------------------------------------------------

def test_results_import_records_through_record_results(running):
    cohort, (a, b, c) = running(n=3)
    counts = ops.plan_results(cohort, _csv([
        {"Số định danh cá nhân": a.official.pid, "Điểm": "8,5", "Kết quả": ""},
        {"Số định danh cá nhân": b.official.pid, "Điểm": "4", "Kết quả": ""},
        {"Số định danh cá nhân": c.official.pid, "Điểm": "6", "Kết quả": "Không đạt"},
    ]), assessor="Giảng viên").run()
    assert counts["created"] == 3
    assert [(e.status, e.score) for e in (a, b, c)] == [
        ("completed", 8.5), ("failed", 4.0), ("failed", 6.0)]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification).where(
        Notification.kind == "result")) == 3


def test_a_broken_results_import_writes_nothing_and_names_the_row(running):
    cohort, (a, b) = running()
    db.session.commit()
    with pytest.raises(ImportRejected) as rejected:
        ops.plan_results(cohort, _csv([
            {"Số định danh cá nhân": a.official.pid, "Điểm": "7", "Kết quả": "Hoàn thành"},
            {"Số định danh cá nhân": b.official.pid, "Điểm": "4,5", "Kết quả": "Hoàn thành"},
            {"Số định danh cá nhân": b.official.pid, "Điểm": "11", "Kết quả": ""},
            {"Số định danh cá nhân": "", "Điểm": "x", "Kết quả": "Giỏi"},
        ])).run()
    errors = rejected.value.errors
    assert errors[0].startswith("dòng 3, cột “Điểm”: 4,5 thấp hơn điểm đạt 5")
    assert errors[1] == "dòng 4, cột “Số định danh cá nhân”: trùng với dòng 3"
    assert errors[2] == "dòng 4, cột “Điểm”: 11 phải trong khoảng 0–10"
    assert {e.split(":")[0] for e in errors[3:]} == {"dòng 5, cột “Số định danh cá nhân”",
                                                     "dòng 5, cột “Điểm”", "dòng 5, cột “Kết quả”"}
    db.session.rollback()
    assert db.session.scalars(sa.select(Enrollment.status).where(
        Enrollment.cohort_id == cohort.id)).all() == ["in_progress", "in_progress"]


# --- Certificates -----------------------------------------------------------------------------

def _attend_all(cohort, enrollments, sessions=2):
    for k in range(sessions):
        ops.record_attendance(_session(cohort, 10 - k), {e.id for e in enrollments})


def test_full_attendance_and_a_pass_earn_a_numbered_certificate_once(running):
    cohort, (a, b) = running()
    _attend_all(cohort, [a, b])
    record_result(a, passed=True, score=8.0)
    record_result(b, passed=True, score=5.0)
    on = date(2026, 3, 5)
    assert ops.ineligible_reasons(cohort) == {}
    assert ops.issue_certificates(cohort, on=on) == 2
    db.session.commit()
    assert [a.certificate_no, b.certificate_no] == ["CDLC-2026-000001", "CDLC-2026-000002"]
    assert a.certificate_issued_on == on
    assert len(a.certificate_code) >= 12 and a.certificate_code != b.certificate_code
    notice = db.session.scalar(sa.select(Notification).where(
        Notification.official_id == a.official_id, Notification.kind == "certificate"))
    assert notice.link == f"/chung-chi/{a.id}.pdf"
    before = (a.certificate_no, a.certificate_code)
    assert ops.issue_certificates(cohort, on=date(2026, 4, 1)) == 0  # issued once
    assert (a.certificate_no, a.certificate_code, a.certificate_issued_on) == (*before, on)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification).where(
        Notification.kind == "certificate")) == 2


def test_one_absence_or_an_untaken_session_withholds_the_certificate(running):
    cohort, (a, b, c) = running(n=3)
    first, second = _session(cohort, 5), _session(cohort, 4)
    ops.record_attendance(first, {a.id, b.id, c.id})
    ops.record_attendance(second, {a.id, c.id})
    _session(cohort, 3)  # held, nobody took the roll
    for e in (a, b, c):
        record_result(e, passed=True, score=7.0)
    reasons = ops.ineligible_reasons(cohort)
    assert reasons[b.id] == "vắng 1/3 buổi; chưa điểm danh 1/3 buổi"
    assert reasons[a.id] == "chưa điểm danh 1/3 buổi"
    assert ops.issue_certificates(cohort) == 0
    assert b.certificate_no is None


def test_a_score_below_five_cannot_complete_so_gets_no_certificate(running):
    cohort, (a,) = running(n=1)  # pass mark 5
    assert cohort.course.pass_mark == 5
    _attend_all(cohort, [a])
    with pytest.raises(DomainError, match="thấp hơn điểm đạt"):
        record_result(a, passed=True, score=4.5)
    record_result(a, passed=False, score=4.5)
    assert ops.issue_certificates(cohort) == 0
    assert a.certificate_no is None and ops.ineligible_reasons(cohort) == {}


def test_score_below_five_is_refused_even_under_a_lower_pass_mark(running):
    cohort, (a,) = running(n=1)
    cohort.course.pass_mark = 4.0  # a provider's own pass mark cannot lower the legal floor
    _attend_all(cohort, [a])
    record_result(a, passed=True, score=4.5)
    assert ops.ineligible_reasons(cohort) == {a.id: "điểm 4,5 < 5"}
    assert ops.issue_certificates(cohort) == 0


def test_a_module_result_below_five_withholds_the_certificate(running):
    cohort, (a, b) = running()
    _attend_all(cohort, [a, b])
    m1 = CourseModule(course_id=cohort.course_id, code="HP1", name="Học phần 1", term=1)
    m2 = CourseModule(course_id=cohort.course_id, code="HP2", name="Học phần 2", term=1)
    db.session.add_all([m1, m2])
    db.session.flush()
    db.session.add_all([
        ModuleResult(enrollment_id=a.id, module_id=m1.id, score=8, passed=True, recorded_on=T0),
        ModuleResult(enrollment_id=a.id, module_id=m2.id, score=4, passed=False, recorded_on=T0),
        ModuleResult(enrollment_id=b.id, module_id=m1.id, score=6, passed=True, recorded_on=T0)])
    for e in (a, b):
        record_result(e, passed=True, score=7.0)
    assert ops.ineligible_reasons(cohort) == {a.id: "học phần HP2: điểm 4 < 5"}
    assert ops.issue_certificates(cohort) == 1
    assert a.certificate_no is None and b.certificate_no


def test_no_sessions_counts_as_full_attendance_only_online(running):
    in_person, (a,) = running(n=1)
    online, (b,) = running("BDHVS-KNS", n=1)
    assert (in_person.mode, online.mode) == ("in_person", "online")
    record_result(a, passed=True, score=9.0)
    record_result(b, passed=True, score=9.0)
    assert "chưa có buổi học nào" in ops.ineligible_reasons(in_person)[a.id]
    assert ops.issue_certificates(in_person) == 0
    assert ops.issue_certificates(online) == 1
    assert b.certificate_no.startswith("BDHVS-")


def test_numbers_continue_per_provider_and_year(running):
    cohort, (a, b) = running()
    other, (c,) = running("PTIT-LDCDS", n=1)
    earlier, (d,) = running(n=1)
    for e in (a, b, c, d):
        record_result(e, passed=True, score=6.0)
    for group, people in ((cohort, [a, b]), (other, [c]), (earlier, [d])):
        _attend_all(group, people, sessions=1)
    d.certificate_no, d.certificate_code = "CDLC-2026-000122", "existing-code"
    d.certificate_issued_on = date(2026, 1, 2)
    c.certificate_no, c.certificate_code = "PTIT-2026-000900", "ptit-code"
    db.session.flush()
    assert ops.issue_certificates(cohort, on=date(2026, 6, 1)) == 2
    assert {a.certificate_no, b.certificate_no} == {"CDLC-2026-000123", "CDLC-2026-000124"}
    third, (e,) = running(n=1)
    _attend_all(third, [e], sessions=1)
    record_result(e, passed=True, score=6.0)
    ops.issue_certificates(third, on=date(2027, 1, 4))
    assert e.certificate_no == "CDLC-2027-000001"
    # The unique constraint is the last guard against a duplicate number.
    e.certificate_no = a.certificate_no
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()


# --- PDF --------------------------------------------------------------------------------------

def _pdf_text(pdf: bytes) -> str:
    """Decode the text of an uncompressed fpdf2 PDF: its strings hold 2-byte glyph ids, mapped
    back to Unicode by each font's ToUnicode CMap. Decode with every map; one of them fits."""
    maps = []  # one per font; a CMap lists its glyphs in blocks of at most 100
    for cmap in re.findall(rb"begincmap(.*?)endcmap", pdf, re.DOTALL):
        maps.append({int(g, 16): chr(int(u, 16))
                     for block in re.findall(rb"beginbfchar(.*?)endbfchar", cmap, re.DOTALL)
                     for g, u in re.findall(rb"<([0-9A-Fa-f]{4})>\s*<([0-9A-Fa-f]{4})>", block)})
    escapes = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}

    def unescape(raw: bytes) -> bytes:
        return re.sub(rb"\\([nrtbf()\\]|[0-7]{1,3})", lambda m: escapes.get(
            m.group(1), bytes([int(m.group(1), 8)]) if m.group(1).isdigit() else m.group(1)), raw)
    strings = [unescape(s) for s in re.findall(rb"\(((?:\\.|[^\\)])*)\)\s*Tj", pdf, re.DOTALL)]
    out = []
    for cmap in maps:
        for raw in strings:
            out.append("".join(cmap.get(int.from_bytes(raw[i:i + 2], "big"), "?")
                               for i in range(0, len(raw) - 1, 2)))
    return "\n".join(out)


def _certified(running, **official):
    cohort, (a,) = running(n=1, **official)
    _attend_all(cohort, [a], sessions=1)
    record_result(a, passed=True, score=8.5)
    ops.issue_certificates(cohort, on=date(2026, 3, 5))
    db.session.commit()
    return a


def test_certificate_pdf_is_a4_landscape_in_vietnamese(running):
    a = _certified(running, full_name="Nguyễn Thị Ánh Tuyết", gender="female",
                   birth_date=date(1988, 2, 29))
    pdf = certificate_pdf(a, "http://localhost/xac-minh/" + a.certificate_code, compress=False)
    assert pdf.startswith(b"%PDF")
    assert b"DejaVuSans" in pdf
    assert re.search(rb"/MediaBox \[0 0 841\.89 595\.28\]", pdf)  # A4, landscape
    text = _pdf_text(pdf)
    for expected in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
                     "CHỨNG CHỈ", "Bà Nguyễn Thị Ánh Tuyết", "29/02/1988",
                     a.official.unit.name, a.course.name, "TRƯỜNG CAO ĐẲNG LAI CHÂU",
                     "Số: CDLC-2026-000001", a.certificate_code, "/xac-minh/",
                     "Ngày 05 tháng 03 năm 2026", "điểm 8,5/10"):
        assert expected in text, expected
    assert certificate_pdf(a).startswith(b"%PDF")  # compressed by default


def test_official_downloads_own_certificate_only(running, make_user, login, client):
    a = _certified(running)
    _, (b,) = running(n=1)
    owner = make_user("official", official_id=a.official_id)
    other = make_user("official", official_id=b.official_id)
    login(other)
    assert client.get(f"/chung-chi/{a.id}.pdf").status_code == 404
    assert client.get(f"/chung-chi/{b.id}.pdf").status_code == 404  # no certificate yet
    client.post("/dang-xuat")
    login(owner)
    response = client.get(f"/chung-chi/{a.id}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")


def test_school_and_hr_in_scope_may_download_others_may_not(running, make_user, login, client):
    a = _certified(running)
    own_school = make_user("school", provider_id=a.course.provider_id)
    other_provider = db.session.scalar(sa.select(Provider).where(Provider.code == "PTIT"))
    other_school = make_user("school", provider_id=other_provider.id)
    hr = make_user("hr", unit_id=a.official.unit_id)
    other_hr = make_user("hr", unit_id=running(n=1)[1][0].official.unit_id)
    for user, status in ((own_school, 200), (other_school, 404), (hr, 200), (other_hr, 404)):
        login(user)
        assert client.get(f"/chung-chi/{a.id}.pdf").status_code == status, user.username
        client.post("/dang-xuat")


def test_school_of_another_provider_cannot_issue(running, make_user, login):
    cohort, (a,) = running(n=1)
    _attend_all(cohort, [a], sessions=1)
    record_result(a, passed=True, score=9.0)
    other_provider = db.session.scalar(sa.select(Provider).where(Provider.code == "PTIT"))
    client = login(make_user("school", provider_id=other_provider.id))
    assert client.post(f"/truong/lop/{cohort.id}/cap-chung-chi").status_code == 404
    assert client.get(f"/truong/lop/{cohort.id}/buoi-hoc").status_code == 404
    db.session.expire_all()
    assert db.session.get(Enrollment, a.id).certificate_no is None


def test_school_issues_from_the_cohort_page(running, make_user, login):
    cohort, (a, b) = running()
    _attend_all(cohort, [a, b], sessions=2)
    ops.record_attendance(cohort.sessions[0], {a.id})
    record_result(a, passed=True, score=9.0)
    record_result(b, passed=True, score=9.0)
    client = login(make_user("school", provider_id=cohort.course.provider_id))
    page = client.get(f"/truong/lop/{cohort.id}").get_data(as_text=True)
    assert "Cấp chứng chỉ" in page and "data-confirm=" in page and "vắng 1/2 buổi" in page
    response = client.post(f"/truong/lop/{cohort.id}/cap-chung-chi", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Đã cấp 1 chứng chỉ." in page and "1 học viên hoàn thành chưa đủ điều kiện" in page
    db.session.expire_all()
    assert db.session.get(Enrollment, a.id).certificate_no in page


def test_verification_page_is_public_and_minimal(running, client):
    a = _certified(running, birth_date=date(1979, 11, 23))
    response = client.get(f"/xac-minh/{a.certificate_code}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for shown in ("Chứng chỉ hợp lệ", a.official.full_name, a.course.name, a.certificate_no,
                  a.course.provider.name, f"{a.completed_on:%d/%m/%Y}"):
        assert shown in html
    for hidden in (a.official.pid, "23/11/1979", "1979-11-23", a.official.unit.name,
                   a.official.code):
        assert hidden not in html
    missing = client.get("/xac-minh/khong-co-ma-nay")
    assert missing.status_code == 404
    assert "Không tìm thấy chứng chỉ" in missing.get_data(as_text=True)


def test_only_verification_is_public(running, client):
    a = _certified(running)
    for url in (f"/chung-chi/{a.id}.pdf", f"/truong/lop/{a.cohort_id}/buoi-hoc"):
        response = client.get(url)
        assert response.status_code == 302 and "/dang-nhap" in response.location


# --- A lost certificate: a confirmation of completion replaces it (Circular 01/2018) -----------

def test_a_lost_certificate_is_replaced_by_a_numbered_verifiable_confirmation(running, make_user,
                                                                             login, client):
    from trainer.cohorts.certificate import confirmation_pdf
    from trainer.cohorts.models import CertificateConfirmation
    a = _certified(running, full_name="Lò Văn Pằng", gender="male")
    other_school = make_user("school", provider_id=db.session.scalar(
        sa.select(Provider.id).where(Provider.code == "PTIT")))
    login(other_school)
    assert client.get(f"/truong/chung-chi/{a.id}/xac-nhan-thay").status_code == 404
    client.post("/dang-xuat")
    login(make_user("school", provider_id=a.course.provider_id))
    page = client.get(f"/truong/chung-chi/{a.id}/xac-nhan-thay").get_data(as_text=True)
    assert a.certificate_no in page and "data-confirm=" in page
    refused = client.post(f"/truong/chung-chi/{a.id}/xac-nhan-thay", data={"reason": ""})
    assert "Cần ghi lý do" in refused.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CertificateConfirmation)) == 0
    done = client.post(f"/truong/chung-chi/{a.id}/xac-nhan-thay",
                       data={"reason": "Học viên báo mất do lũ quét"}, follow_redirects=True)
    year = today().year
    assert f"Đã cấp giấy xác nhận số CDLC-XN-{year}-0001." in done.get_data(as_text=True)
    ops.confirm_lost_certificate(a, reason="Mất lần nữa", actor="x")
    db.session.commit()
    first, second = ops.confirmations_of(a)
    assert (first.number, second.number) == (f"CDLC-XN-{year}-0001", f"CDLC-XN-{year}-0002")
    assert first.code != a.certificate_code and a.certificate_no == "CDLC-2026-000001"  # kept
    assert db.session.scalar(sa.select(Notification.link).where(
        Notification.official_id == a.official_id, Notification.title.like("Giấy xác nhận%"))
        .limit(1)) == f"/giay-xac-nhan/{first.id}.pdf"

    pdf = confirmation_pdf(first, "http://localhost/xac-minh/" + first.code, compress=False)
    assert re.search(rb"/MediaBox \[0 0 595\.28 841\.89\]", pdf)  # A4, portrait
    text = " ".join(_pdf_text(pdf).split())  # paragraphs wrap
    for expected in ("GIẤY XÁC NHẬN", "HOÀN THÀNH KHÓA BỒI DƯỠNG", f"Số: {first.number}",
                     "ông Lò Văn Pằng", a.course.name, "chứng chỉ số CDLC-2026-000001",
                     "ngày 05/03/2026", "Học viên báo mất do lũ quét", first.code):
        assert expected in text, expected
    assert client.get(f"/giay-xac-nhan/{first.id}.pdf").data.startswith(b"%PDF")

    client.post("/dang-xuat")  # verification is public, for both codes
    verified = client.get(f"/xac-minh/{first.code}").get_data(as_text=True)
    assert "Giấy xác nhận hợp lệ" in verified and a.certificate_no in verified
    assert a.official.pid not in verified
    original = client.get(f"/xac-minh/{a.certificate_code}").get_data(as_text=True)
    assert "Chứng chỉ hợp lệ" in original and first.number in original
    assert client.get(f"/giay-xac-nhan/{first.id}.pdf").status_code == 302  # login first


def test_no_confirmation_without_a_certificate(running):
    cohort, (a,) = running(n=1)
    with pytest.raises(DomainError, match="chưa được cấp chứng chỉ"):
        ops.confirm_lost_certificate(a, reason="mất", actor="x")


def test_a_certified_enrollees_attendance_imports_unchanged_but_cannot_change(running):
    a = _certified(running)
    session = a.cohort.sessions[0]
    same = _csv([{"Số định danh cá nhân": a.official.pid, "Ngày": f"{session.day:%d/%m/%Y}",
                  "Có mặt": "có"}])
    assert ops.plan_attendance(a.cohort, same).run() == {
        "rows": 1, "created": 0, "updated": 0, "unchanged": 1, "queued": 0}
    other = _csv([{"Số định danh cá nhân": a.official.pid, "Ngày": f"{session.day:%d/%m/%Y}",
                   "Có mặt": "không"}])
    assert ops.plan_attendance(a.cohort, other).errors == [
        "dòng 2, cột “Có mặt”: học viên đã được cấp chứng chỉ, không sửa điểm danh"]
