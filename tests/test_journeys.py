"""Journeys without dead ends (issue 12, item 4): enrolling from a qualification gap and from the
catalog, one in-person class at a time, a class that starts only from its start date (or with a
confirmed reason), and the school told who will get no certificate, and why, before it saves."""
from __future__ import annotations

import re
from datetime import time, timedelta

import pytest
import sqlalchemy as sa

from trainer.audit.models import AuditEvent
from trainer.catalog.models import Course, Position
from trainer.cohorts import operations as cohort_ops
from trainer.core.errors import DomainError
from trainer.core.extensions import db
from trainer.core.timeutil import today
from trainer.learning import operations as ops
from trainer.learning.models import Enrollment
from trainer.notices.models import Notification

T0 = today()


def _course(code):
    return db.session.scalar(sa.select(Course).where(Course.code == code))


def _text(response) -> str:
    return response.get_data(as_text=True)


def _flashes(client) -> list[str]:
    with client.session_transaction() as s:
        return [m for _, m in s.get("_flashes", [])]


# --- a) enroll from a qualification gap ---------------------------------------------------------

def test_a_qualification_gap_offers_the_open_cohort_and_enrolls(make_cohort, make_official,
                                                                  make_user, login, province):
    position = db.session.scalar(sa.select(Position).where(Position.code == "CHANH-VP"))
    official = make_official(position_id=position.id, state_management="chua",
                             unit_id=province[1].id)
    cohort = make_cohort("QLNN-CV", capacity=45)  # the course that grants "chuyên viên"
    db.session.commit()
    client = login(make_user("official", official_id=official.id))
    page = _text(client.get("/toi"))
    qualifications = page[page.index("Trình độ so với chuẩn vị trí"):]
    assert "Học: Bồi dưỡng kiến thức quản lý nhà nước chương trình chuyên viên" in qualifications
    assert f"Lớp {cohort.code}" in qualifications and "còn <strong>45</strong> chỗ" in qualifications
    assert f'name="cohort_id" value="{cohort.id}"' in qualifications
    response = client.post("/dang-ky", data={"cohort_id": cohort.id})
    assert response.status_code == 302
    enrollment = db.session.scalar(sa.select(Enrollment).where(
        Enrollment.official_id == official.id))
    assert (enrollment.cohort_id, enrollment.status) == (cohort.id, "requested")  # needs HR


def test_hr_sees_the_gap_cohort_without_an_enroll_button(make_cohort, make_official, make_user,
                                                         login, province):
    position = db.session.scalar(sa.select(Position).where(Position.code == "CHANH-VP"))
    official = make_official(position_id=position.id, state_management="chua",
                             unit_id=province[1].id)
    cohort = make_cohort("QLNN-CV")
    db.session.commit()
    client = login(make_user("hr", unit_id=province[0].id))
    page = _text(client.get(f"/can-bo/{official.id}"))
    assert f"Lớp {cohort.code}" in page
    assert f'name="cohort_id" value="{cohort.id}"' not in page


# --- b) the catalog ------------------------------------------------------------------------------

def test_the_catalog_shows_open_cohorts_and_lets_an_official_enroll(make_cohort, make_official,
                                                                    make_user, login):
    official = make_official()
    open_one = make_cohort("TCD-KN", capacity=3)
    full = make_cohort("VH-QL", capacity=1, starts_in=40)
    ops.enroll_official(make_official(), cohort=full)
    db.session.commit()
    client = login(make_user("official", official_id=official.id))
    page = _text(client.get("/khoa-hoc"))
    assert f"Lớp {open_one.code}" in page and "còn <strong>3</strong> chỗ" in page
    assert f"Lớp {full.code}" in page and "đã đủ chỗ" in page
    assert f'name="cohort_id" value="{open_one.id}"' in page
    assert "Vào danh sách chờ" in page  # a full class still leads somewhere
    assert "Học trực tuyến ngay" in page  # online courses, no class needed
    client.post("/dang-ky", data={"cohort_id": full.id})
    mine = db.session.scalar(sa.select(Enrollment).where(Enrollment.official_id == official.id))
    assert (mine.cohort_id, mine.status) == (full.id, "waitlisted")


def test_the_catalog_shows_cohorts_to_others_without_the_button(make_cohort, make_user, login):
    cohort = make_cohort("TCD-KN")
    db.session.commit()
    school = make_user("school", provider_id=cohort.course.provider_id)
    page = _text(login(school).get("/khoa-hoc"))
    assert f"Lớp {cohort.code}" in page
    assert 'name="cohort_id"' not in page and "Học trực tuyến ngay" not in page


def test_the_catalog_reads_open_cohorts_in_one_query(app, make_cohort, make_user, login,
                                                     province):
    from sqlalchemy import event
    user = make_user("hr", unit_id=province[0].id)
    client = login(user)

    def statements() -> int:
        seen = []
        listener = lambda *a: seen.append(a[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert client.get("/khoa-hoc").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen)

    make_cohort("TCD-KN")
    db.session.commit()
    one = statements()
    for code in ("VH-QL", "PCTN", "TG-QL", "DT-CS"):
        make_cohort(code)
    db.session.commit()
    assert statements() == one  # five courses with a cohort cost what one does


# --- c) one in-person or blended class at a time --------------------------------------------------

def test_overlapping_in_person_classes_are_refused_naming_the_other(make_cohort, make_official):
    official = make_official()
    first = make_cohort("TCD-KN", starts_in=10, days=5)
    ops.enroll_official(official, cohort=first)
    clash = make_cohort("VH-QL", starts_in=14, days=3)  # blended? no: in person, overlaps
    with pytest.raises(DomainError) as refused:
        ops.enroll_official(official, cohort=clash)
    message = str(refused.value)
    assert first.code in message and clash.code in message
    assert f"{first.start_date:%d/%m/%Y}–{first.end_date:%d/%m/%Y}" in message
    assert "trùng thời gian" in message
    blended = make_cohort("PCTN", starts_in=12, days=2, mode="blended")
    with pytest.raises(DomainError, match=first.code):
        ops.enroll_official(official, cohort=blended)


def test_online_and_later_classes_do_not_clash(make_cohort, make_official):
    official = make_official()
    first = make_cohort("TCD-KN", starts_in=10, days=5)
    ops.enroll_official(official, cohort=first)
    online = make_cohort("TG-QL", starts_in=11, days=3, mode="online")
    assert ops.enroll_official(official, cohort=online).status == "enrolled"
    later = make_cohort("VH-QL", starts_in=15, days=3)  # the day after the first ends
    assert ops.enroll_official(official, cohort=later).status == "enrolled"


def test_a_withdrawn_class_no_longer_clashes(make_cohort, make_official):
    official = make_official()
    first = make_cohort("TCD-KN", starts_in=10, days=5)
    mine = ops.enroll_official(official, cohort=first)
    clash = make_cohort("VH-QL", starts_in=12, days=3)
    with pytest.raises(DomainError):
        ops.enroll_official(official, cohort=clash)
    ops.withdraw_enrollment(mine, official)
    assert ops.enroll_official(official, cohort=clash).status == "enrolled"


def test_approval_refuses_a_class_that_now_overlaps(make_cohort, make_official, make_user, login,
                                                    province):
    official = make_official(unit_id=province[1].id)
    seated = make_cohort("TCD-KN", starts_in=10, days=5)
    ops.enroll_official(official, cohort=seated)
    needs_approval = make_cohort("LLCT-SC", starts_in=30, days=3)
    request = ops.enroll_official(official, cohort=needs_approval)
    assert request.status == "requested"
    # the school moved its class onto the dates of the other one
    needs_approval.start_date, needs_approval.end_date = seated.start_date, seated.end_date
    db.session.commit()
    with pytest.raises(DomainError, match=seated.code):
        ops.approve_enrollment(request, actor="Phòng Nội vụ")
    db.session.rollback()
    client = login(make_user("hr", unit_id=province[0].id))
    client.post(f"/duyet-dang-ky/{request.id}", data={"decision": "approve"})
    assert any(seated.code in m and "trùng thời gian" in m for m in _flashes(client))
    db.session.expire_all()
    assert db.session.get(Enrollment, request.id).status == "requested"


def test_the_official_sees_the_clash_message_on_the_web(make_cohort, make_official, make_user,
                                                        login):
    official = make_official()
    first = make_cohort("TCD-KN", starts_in=10, days=5)
    ops.enroll_official(official, cohort=first)
    clash = make_cohort("VH-QL", starts_in=11, days=2)
    db.session.commit()
    client = login(make_user("official", official_id=official.id))
    client.post("/dang-ky", data={"cohort_id": clash.id})
    assert any(first.code in m for m in _flashes(client))
    assert db.session.scalar(sa.select(sa.func.count(Enrollment.id)).where(
        Enrollment.official_id == official.id)) == 1


# --- d) a class starts from its start date ----------------------------------------------------

def test_an_early_start_needs_a_reason_and_is_audited(make_cohort, make_official):
    cohort = make_cohort("TCD-KN", capacity=1, starts_in=30)
    seated = ops.enroll_official(make_official(), cohort=cohort)
    waiting_person = make_official()
    waiting = ops.enroll_official(waiting_person, cohort=cohort)
    with pytest.raises(DomainError, match="chưa đến ngày"):
        ops.start_cohort(cohort)
    assert cohort.status == "open" and waiting.status == "waitlisted"
    ops.start_cohort(cohort, reason="Giảng viên chỉ dạy được tuần này")
    assert (cohort.status, cohort.start_date) == ("running", T0)
    assert (seated.status, waiting.status) == ("in_progress", "cancelled")
    told = db.session.scalars(sa.select(Notification.title).where(
        Notification.official_id == waiting_person.id)).all()
    assert f"Lớp {cohort.code} đã khai giảng" in told
    audit = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "early_start"))
    assert "Giảng viên chỉ dạy được tuần này" in audit.detail


def test_a_class_starts_without_a_reason_on_its_start_date(make_cohort, make_official):
    cohort = make_cohort("TCD-KN", starts_in=3)
    ops.enroll_official(make_official(), cohort=cohort)
    starts = cohort.start_date
    ops.start_cohort(cohort, on=starts)
    assert (cohort.status, cohort.start_date) == ("running", starts)


def test_the_start_button_asks_reason_and_confirmation_before_the_date(make_cohort, make_user,
                                                                        login, make_official):
    cohort = make_cohort("TCD-KN", starts_in=20)
    ops.enroll_official(make_official(), cohort=cohort)
    db.session.commit()
    client = login(make_user("school", provider_id=cohort.course.provider_id))
    page = _text(client.get(f"/truong/lop/{cohort.id}"))
    assert "Khai giảng sớm…" in page and "danh sách chờ" in page.lower()
    assert re.search(r'id="start-form"[^>]*data-confirm="[^"]*kết thúc ngay hôm nay', page)
    url = f"/truong/lop/{cohort.id}/khai-giang"
    client.post(url, data={"reason": "Lý do"})  # not confirmed
    db.session.expire_all()
    assert db.session.get(type(cohort), cohort.id).status == "open"
    client.post(url, data={"confirm": "y"})  # confirmed, no reason
    assert any("cần ghi lý do" in m for m in _flashes(client))
    db.session.expire_all()
    assert db.session.get(type(cohort), cohort.id).status == "open"
    client.post(url, data={"confirm": "y", "reason": "Học viên đề nghị học sớm"})
    db.session.expire_all()
    assert db.session.get(type(cohort), cohort.id).status == "running"


# --- e) who will get no certificate, and why ---------------------------------------------------

@pytest.fixture
def running(make_cohort, make_official):
    """A started in-person class with three learners and two sessions held."""
    cohort = make_cohort("TCD-KN", starts_in=1, days=30, capacity=10)
    people = [ops.enroll_official(make_official(full_name=name), cohort=cohort)
              for name in ("Lò Văn An", "Hà Thị Bình", "Vàng A Chư")]
    ops.start_cohort(cohort, on=cohort.start_date)
    cohort.start_date, cohort.end_date = T0 - timedelta(days=10), T0 + timedelta(days=10)
    db.session.flush()
    held = [cohort_ops.add_session(cohort, day=T0 - timedelta(days=d), start_time=time(8),
                                   end_time=time(11), place="Phòng 201") for d in (5, 2)]
    an, binh, chu = people
    cohort_ops.record_attendance(held[0], {an.id, binh.id, chu.id})
    cohort_ops.record_attendance(held[1], {an.id, chu.id})  # Bình missed one
    db.session.commit()
    return cohort, people


def test_the_roster_says_who_already_misses_the_attendance_rule(running, make_user, login):
    cohort, (an, binh, chu) = running
    client = login(make_user("school", provider_id=cohort.course.provider_id))
    page = _text(client.get(f"/truong/lop/{cohort.id}"))
    assert "Sẽ chưa đủ điều kiện: vắng 1/2 buổi" in page
    assert page.count("Sẽ chưa đủ điều kiện") == 1


def test_saving_results_first_shows_who_gets_no_certificate(running, make_user, login):
    cohort, (an, binh, chu) = running
    client = login(make_user("school", provider_id=cohort.course.provider_id))
    form = {f"outcome-{an.id}": "completed", f"score-{an.id}": "8",
            f"outcome-{binh.id}": "completed", f"score-{binh.id}": "7,5",
            f"outcome-{chu.id}": "failed", f"score-{chu.id}": "3"}
    response = client.post(f"/truong/lop/{cohort.id}", data=form)
    page = _text(response)
    assert response.status_code == 200 and "Chưa ghi kết quả." in page
    preview = page[page.index('id="results-preview"'):page.index("Vẫn ghi kết quả")]
    assert "Hà Thị Bình: vắng 1/2 buổi" in preview
    assert "Vàng A Chư: kết quả “Không đạt”" in preview
    assert "Lò Văn An" not in preview
    assert 'value="7,5"' in page  # what was typed is kept
    db.session.expire_all()
    assert db.session.get(Enrollment, binh.id).status == "in_progress"  # nothing saved yet
    client.post(f"/truong/lop/{cohort.id}", data={**form, "confirm": "1"})
    db.session.expire_all()
    assert [db.session.get(Enrollment, e.id).status for e in (an, binh, chu)] == [
        "completed", "completed", "failed"]


def test_results_without_a_surprise_are_saved_at_once(running, make_user, login):
    cohort, (an, binh, chu) = running
    client = login(make_user("school", provider_id=cohort.course.provider_id))
    client.post(f"/truong/lop/{cohort.id}", data={f"outcome-{an.id}": "completed",
                                                  f"score-{an.id}": "9"})
    db.session.expire_all()
    assert db.session.get(Enrollment, an.id).status == "completed"


def test_the_outlook_names_missing_attendance_and_score(make_cohort, make_official):
    cohort = make_cohort("TCD-KN", starts_in=1, days=30)
    learner = ops.enroll_official(make_official(), cohort=cohort)
    ops.start_cohort(cohort, on=cohort.start_date)
    planned = {learner.id: ("completed", None)}
    assert cohort_ops.certificate_outlook(cohort, planned)[learner.id] == (
        "lớp chưa có buổi học nào được ghi, không xác định được chuyên cần; chưa có điểm")
    assert cohort_ops.certificate_outlook(cohort, {learner.id: ("completed", 9.0)})[
        learner.id].startswith("lớp chưa có buổi học")


def test_issuing_no_certificate_says_why(running, make_user, login):
    cohort, (an, binh, chu) = running
    client = login(make_user("school", provider_id=cohort.course.provider_id))
    client.post(f"/truong/lop/{cohort.id}/cap-chung-chi")
    message = _flashes(client)[-1]
    assert message.startswith("Chưa cấp được chứng chỉ nào.")
    assert "3 học viên chưa có kết quả" in message
    ops.record_result(db.session.get(Enrollment, binh.id), passed=True, score=8)
    db.session.commit()
    client.post(f"/truong/lop/{cohort.id}/cap-chung-chi")
    message = _flashes(client)[-1]
    assert "Chưa cấp được chứng chỉ nào." in message
    assert "Hà Thị Bình (vắng 1/2 buổi)" in message
    ops.record_result(db.session.get(Enrollment, an.id), passed=True, score=8)
    db.session.commit()
    client.post(f"/truong/lop/{cohort.id}/cap-chung-chi")
    assert _flashes(client)[-1].startswith("Đã cấp 1 chứng chỉ.")
    client.post(f"/truong/lop/{cohort.id}/cap-chung-chi")
    again = _flashes(client)[-1]
    assert "Hà Thị Bình (vắng 1/2 buổi)" in again


def test_a_broken_rule_is_answered_before_any_preview(running, make_user, login):
    cohort, (an, binh, chu) = running
    client = login(make_user("school", provider_id=cohort.course.provider_id))
    response = client.post(f"/truong/lop/{cohort.id}", data={
        f"outcome-{binh.id}": "completed", f"score-{binh.id}": "4"})
    assert response.status_code == 302  # back to the class page, nothing previewed or saved
    assert any("Hà Thị Bình: Điểm 4 thấp hơn điểm đạt" in m for m in _flashes(client))
    db.session.expire_all()
    assert db.session.get(Enrollment, binh.id).status == "in_progress"


# --- f) the largest share of a unit away at once ------------------------------------------------

def test_hr_sets_how_many_may_be_away_and_enrolling_beyond_it_warns(
        make_cohort, make_official, make_unit, make_user, login, province):
    """DL "không làm ảnh hưởng đến hoạt động thường xuyên": the commune's HR sets 50%; in a
    department of 3 the second official in class during the same days is warned (2/3), the
    limit found on the commune above the department; a later class, an online one, or no
    limit: no warning."""
    _, commune, _ = province
    department = make_unit(code="LCU-X01-VP", name="Văn phòng xã A", kind="department",
                           parent_id=commune.id)
    first, second, _third = (make_official(unit=department) for _ in range(3))
    running = make_cohort("TCD-KN", starts_in=10, days=5)
    ops.enroll_official(first, cohort=running)
    overlapping = make_cohort("VH-QL", starts_in=12, days=3)
    later = make_cohort("VH-QL", starts_in=20, days=3)
    online = make_cohort("TG-QL", starts_in=11, days=3, mode="online")
    db.session.commit()
    assert ops.away_warning(second, overlapping) is None  # no limit anywhere yet

    hr = login(make_user("hr", unit_id=commune.id))
    assert hr.post(f"/don-vi/{commune.id}/gioi-han-di-hoc", data={"percent": "150"}) \
        .status_code == 302
    assert any("từ 1 đến 100" in m for m in _flashes(hr)) and commune.max_away_percent is None
    hr.post(f"/don-vi/{commune.id}/gioi-han-di-hoc", data={"percent": "50"})
    db.session.refresh(commune)
    assert commune.max_away_percent == 50
    page = _text(hr.get(f"/don-vi/{department.id}"))
    assert "tối đa 50% cán bộ của mỗi đơn vị (theo Xã A)" in page

    warning = ops.away_warning(second, overlapping)
    assert warning and "Văn phòng xã A sẽ có 2/3 cán bộ đi học cùng lúc" in warning
    assert overlapping.code in warning and "quá giới hạn 50% (do Xã A đặt)" in warning
    assert ops.away_warning(second, later) is None and ops.away_warning(second, online) is None

    official = login(make_user("official", official_id=second.id))
    official.post("/dang-ky", data={"cohort_id": overlapping.id})
    assert any("2/3 cán bộ đi học cùng lúc" in m for m in _flashes(official))
    assert db.session.scalar(sa.select(Enrollment.status).where(
        Enrollment.official_id == second.id)) == "enrolled"  # a warning, not a refusal

    hr = login(make_user("hr", unit_id=commune.id))  # `login` signs the one test client in
    hr.post(f"/don-vi/{commune.id}/gioi-han-di-hoc", data={"percent": ""})
    assert any("Đã bỏ giới hạn" in m for m in _flashes(hr))
    db.session.refresh(commune)
    assert commune.max_away_percent is None


def test_approving_beyond_the_limit_warns_hr(make_cohort, make_official, make_unit, make_user,
                                             login, province):
    _, commune, _ = province
    commune.max_away_percent = 50
    first, second = make_official(unit=commune), make_official(unit=commune)
    ops.enroll_official(first, cohort=make_cohort("TCD-KN", starts_in=10, days=5))
    needs_approval = db.session.scalar(sa.select(Course).where(
        Course.requires_approval.is_(True), Course.mode == "in_person"))
    cohort = make_cohort(needs_approval.code, starts_in=11, days=2)
    request = ops.enroll_official(second, cohort=cohort)
    db.session.commit()
    assert request.status == "requested"
    hr = login(make_user("hr", unit_id=commune.id))
    hr.post(f"/duyet-dang-ky/{request.id}", data={"decision": "approve"})
    assert any("2/2 cán bộ đi học cùng lúc" in m and "quá giới hạn 50%" in m
               for m in _flashes(hr))
