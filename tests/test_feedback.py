"""Course and lecturer feedback (issue 13 §4): lecturers named by the school, the learner's answer
after a completion, averages shown only from 5 answers, the export, and KH-6's use-at-work
question asked of the supervisor."""
from __future__ import annotations

import io
import unicodedata
from datetime import timedelta
from types import SimpleNamespace

import openpyxl
import pytest
import sqlalchemy as sa

from trainer.catalog.models import Course, Provider
from trainer.core.errors import DomainError, NotAllowed
from trainer.core.extensions import db
from trainer.core.timeutil import today, utcnow
from trainer.feedback import operations as ops
from trainer.feedback import queries
from trainer.feedback.models import EDIT_DAYS, MIN_ANSWERS, CourseFeedback
from trainer.learning.models import Cohort, CohortLecturer, Enrollment
from trainer.learning.operations import record_result
from trainer.notices.models import Notification
from trainer.plans.models import PostTrainingReview

GIVEN = ["Trần Thị Hoa", "Lê Văn Nam", "Phạm Thị Lan", "Hoàng Văn Đức", "Vũ Thị Mai",
         "Đỗ Văn Hùng", "Bùi Thị Thu", "Ngô Văn Sơn", "Đặng Thị Hà", "Lý Văn Phúc", "Mai Thị Hồng",
         "Tạ Văn Quang"]


@pytest.fixture
def world(app, make_unit, make_official, make_user):
    """Two schools. The provincial political school runs course QLNN in classes K1 and K2 (K1 by
    two lecturers, K2 by one of them) and course DV in class K3; the academy runs course SO in
    class K4. Twelve officials of commune Xã Nậm Cang."""
    school = Provider(code="TCT", name="Trường Chính trị tỉnh", kind="political_school")
    academy = Provider(code="HVHC", name="Học viện Hành chính Quốc gia", kind="academy")
    db.session.add_all([school, academy])
    db.session.flush()

    def course(code, name, provider):
        c = Course(code=code, name=name, provider_id=provider.id, category="professional",
                   mode="in_person", hours=40, cost=1_500_000)
        db.session.add(c)
        return c
    qlnn = course("QLNN", "Bồi dưỡng quản lý nhà nước cấp xã", school)
    dv = course("DV", "Kỹ năng dân vận", school)
    so = course("SO", "Chuyển đổi số cho cán bộ xã", academy)
    db.session.flush()
    start = today() - timedelta(days=60)

    def cohort(code, c):
        k = Cohort(course_id=c.id, code=code, start_date=start, end_date=start + timedelta(days=4),
                   capacity=40, location="Trường Chính trị tỉnh", mode="in_person",
                   status="running")
        db.session.add(k)
        return k
    k1, k2, k3, k4 = cohort("QLNN-K1", qlnn), cohort("QLNN-K2", qlnn), cohort("DV-K3", dv), \
        cohort("SO-K4", so)
    db.session.flush()
    db.session.add_all([CohortLecturer(cohort_id=k1.id, name="TS. Nguyễn Văn An"),
                        CohortLecturer(cohort_id=k1.id, name="ThS. Lê Thị Bình"),
                        CohortLecturer(cohort_id=k2.id, name="TS. Nguyễn Văn An")])
    province = make_unit(code="P", name="Tỉnh Thử", kind="province", region=None)
    commune = make_unit(name="Xã Nậm Cang", region="mountain", parent_id=province.id)
    officials = [make_official(unit=commune, full_name=f"{name}") for name in GIVEN]
    db.session.commit()
    return SimpleNamespace(
        school=school, academy=academy, qlnn=qlnn, dv=dv, so=so, k1=k1, k2=k2, k3=k3, k4=k4,
        province=province, commune=commune, officials=officials,
        school_user=make_user("school", provider_id=school.id),
        academy_user=make_user("school", provider_id=academy.id),
        province_hr=make_user("hr", unit_id=province.id),
        commune_hr=make_user("hr", unit_id=commune.id),
        learner=make_user("official", official_id=officials[0].id),
        neighbour=make_user("official", official_id=officials[1].id))


def _enroll(official, cohort, status="in_progress"):
    e = Enrollment(official_id=official.id, course_id=cohort.course_id, cohort_id=cohort.id,
                   status=status)
    db.session.add(e)
    db.session.flush()
    return e


def _completed(official, cohort):
    e = _enroll(official, cohort)
    record_result(e, passed=True, score=8.0, assessor="Trường Chính trị tỉnh")
    return e


def _answer(official, cohort, fit, lecturers, materials, use, comment=""):
    e = _completed(official, cohort)
    return ops.give_feedback(e, official_id=official.id, answers={
        "fit": fit, "lecturers": lecturers, "materials": materials, "use_at_work": use},
        comment=comment)


ANSWERS_K1 = [(5, 4, 3, 4), (4, 4, 4, 3), (5, 5, 4, 5), (3, 4, 2, 3), (4, 3, 3, 4)]


# --------------------------------------------------------------------------- lecturers


def test_the_school_names_its_class_lecturers_in_nfc_within_limits(world, login, client):
    login(world.school_user)
    page = client.get(f"/truong/lop/{world.k3.id}")
    assert "Giảng viên (0)" in page.get_data(as_text=True)
    url = f"/truong/lop/{world.k3.id}/giang-vien"
    assert "Chưa ghi giảng viên nào" in client.get(url).get_data(as_text=True)
    typed = unicodedata.normalize("NFD", "  PGS.TS.   Trần   Quốc Toản ")
    assert client.post(url, data={"name": typed}).status_code == 302
    names = db.session.scalars(sa.select(CohortLecturer.name).where(
        CohortLecturer.cohort_id == world.k3.id)).all()
    assert names == ["PGS.TS. Trần Quốc Toản"]
    assert unicodedata.is_normalized("NFC", names[0])
    again = client.post(url, data={"name": "pgs.ts. tran quoc toan"}, follow_redirects=True)
    assert "đã có trong danh sách giảng viên" in again.get_data(as_text=True)
    too_long = client.post(url, data={"name": "Nguyễn " * 30})
    assert too_long.status_code == 400 and "tối đa 120 ký tự" in too_long.get_data(as_text=True)
    assert client.post(url, data={"name": ""}).status_code == 400
    page = client.get(url).get_data(as_text=True)
    assert "PGS.TS. Trần Quốc Toản" in page and "data-confirm" in page
    assert client.post(f"{url}/bo", data={"name": "PGS.TS. Trần Quốc Toản"}).status_code == 302
    assert not db.session.scalars(sa.select(CohortLecturer).where(
        CohortLecturer.cohort_id == world.k3.id)).all()


def test_lecturers_of_another_school_class_are_out_of_reach(world, login, client):
    login(world.academy_user)
    assert client.get(f"/truong/lop/{world.k1.id}/giang-vien").status_code == 404
    assert client.post(f"/truong/lop/{world.k1.id}/giang-vien",
                       data={"name": "Người Lạ"}).status_code == 404
    assert client.post(f"/truong/lop/{world.k1.id}/giang-vien/bo",
                       data={"name": "TS. Nguyễn Văn An"}).status_code == 404
    assert len(db.session.get(Cohort, world.k1.id).lecturers) == 2


def test_a_class_holds_at_most_twenty_lecturers(world):
    for n in range(ops.LECTURERS_PER_CLASS):
        ops.add_lecturer(world.k3, f"Giảng viên số {n + 1}")
    with pytest.raises(DomainError, match="tối đa 20 giảng viên"):
        ops.add_lecturer(world.k3, "Giảng viên thừa")
    with pytest.raises(DomainError, match="không có giảng viên"):
        ops.remove_lecturer(world.k3, "Không Có Ai")


# --------------------------------------------------------------------------- the learner's answer


def test_a_completion_invites_the_learner_once_and_a_fail_does_not(world):
    passed = _completed(world.officials[0], world.k1)
    failed = _enroll(world.officials[1], world.k1)
    record_result(failed, passed=False, score=3.0)
    db.session.commit()
    invites = db.session.scalars(sa.select(Notification).where(
        Notification.kind == "feedback")).all()
    assert [(n.official_id, n.link) for n in invites] == [
        (world.officials[0].id, f"/phan-hoi/nhan-xet/{passed.id}")]
    assert "Bồi dưỡng quản lý nhà nước cấp xã" in invites[0].title


def test_only_the_learner_answers_and_only_after_completing(world, login, client):
    done = _completed(world.officials[0], world.k1)
    studying = _enroll(world.officials[0], world.k3)
    db.session.commit()
    form = {"fit": "4", "lecturers": "5", "materials": "3", "use_at_work": "4",
            "comment": "Nhiều ví dụ thực tế ở xã miền núi."}

    login(world.neighbour)
    assert client.get(f"/phan-hoi/nhan-xet/{done.id}").status_code == 404
    assert client.post(f"/phan-hoi/nhan-xet/{done.id}", data=form).status_code == 404
    client.post("/dang-xuat")
    login(world.school_user)
    assert client.get(f"/phan-hoi/nhan-xet/{done.id}").status_code == 403
    client.post("/dang-xuat")

    login(world.learner)
    courses = client.get("/khoa-hoc-cua-toi").get_data(as_text=True)
    assert f"/phan-hoi/nhan-xet/{done.id}" in courses and "Nhận xét khóa học" in courses
    assert f"/phan-hoi/nhan-xet/{studying.id}" not in courses
    refused = client.post(f"/phan-hoi/nhan-xet/{studying.id}", data=form)
    assert refused.status_code == 409
    assert "Chỉ nhận xét được khóa học đã hoàn thành" in refused.get_data(as_text=True)

    page = client.get(f"/phan-hoi/nhan-xet/{done.id}").get_data(as_text=True)
    assert "3 — Trung bình" in page and "5 — Vận dụng được gần như toàn bộ" in page
    missing = client.post(f"/phan-hoi/nhan-xet/{done.id}",
                          data={k: v for k, v in form.items() if k != "materials"})
    assert missing.status_code == 400 and "Chọn một mức cho “Tài liệu”" in missing.get_data(
        as_text=True)
    assert client.post(f"/phan-hoi/nhan-xet/{done.id}",
                       data=form | {"fit": "9"}).status_code == 400
    assert client.post(f"/phan-hoi/nhan-xet/{done.id}",
                       data=form | {"comment": "x" * 2001}).status_code == 400
    assert client.post(f"/phan-hoi/nhan-xet/{done.id}", data=form).status_code == 302
    answer = db.session.scalars(sa.select(CourseFeedback)).one()
    assert (answer.fit, answer.lecturers, answer.materials, answer.use_at_work) == (4, 5, 3, 4)
    assert answer.comment == "Nhiều ví dụ thực tế ở xã miền núi."
    assert "Xem nhận xét đã gửi" in client.get("/khoa-hoc-cua-toi").get_data(as_text=True)

    # One answer per enrollment: sending again changes it, for EDIT_DAYS.
    assert client.post(f"/phan-hoi/nhan-xet/{done.id}",
                       data=form | {"fit": "2"}).status_code == 302
    db.session.expire_all()
    assert db.session.scalars(sa.select(CourseFeedback.fit)).all() == [2]
    answer = db.session.scalars(sa.select(CourseFeedback)).one()
    answer.created_at = utcnow() - timedelta(days=EDIT_DAYS + 1)
    db.session.commit()
    locked = client.get(f"/phan-hoi/nhan-xet/{done.id}").get_data(as_text=True)
    assert "nay đã cố định" in locked and "Gửi nhận xét" not in locked
    client.post(f"/phan-hoi/nhan-xet/{done.id}", data=form | {"fit": "5"})
    db.session.expire_all()
    assert db.session.scalars(sa.select(CourseFeedback.fit)).all() == [2]


def test_give_feedback_refuses_someone_else_and_values_off_the_scale(world):
    done = _completed(world.officials[0], world.k1)
    answers = {"fit": 4, "lecturers": 4, "materials": 4, "use_at_work": 4}
    with pytest.raises(NotAllowed):
        ops.give_feedback(done, official_id=world.officials[1].id, answers=answers)
    with pytest.raises(DomainError, match="Tài liệu"):
        ops.give_feedback(done, official_id=world.officials[0].id,
                          answers=answers | {"materials": 0})
    with pytest.raises(DomainError, match="2.000 ký tự"):
        ops.give_feedback(done, official_id=world.officials[0].id, answers=answers,
                          comment="x" * 2001)


# --------------------------------------------------------------------------- averages


def _row(frame, column, value):
    rows = frame[frame[column] == value].to_dict("records")
    assert len(rows) == 1, rows
    return rows[0]


def test_averages_are_hidden_under_five_answers_and_shown_at_five(world):
    scope = queries.Scope(None, True)
    for official, answer in zip(world.officials[:4], ANSWERS_K1):
        _answer(official, world.k1, *answer)
    db.session.commit()
    assert _row(queries.by_course(scope), "course_code", "QLNN")["answers"] is None
    assert _row(queries.by_course(scope), "course_code", "QLNN")["fit"] is None
    assert _row(queries.by_cohort(scope), "cohort_code", "QLNN-K1")["lecturers"] is None
    assert _row(queries.by_lecturer(scope), "lecturer", "ThS. Lê Thị Bình")["answers"] is None

    _answer(world.officials[4], world.k1, *ANSWERS_K1[4], comment="Tài liệu cần cập nhật.")
    db.session.commit()
    expected = {"answers": 5, "fit": 4.2, "lecturers": 4.0, "materials": 3.2, "use_at_work": 3.8}
    course = _row(queries.by_course(scope), "course_code", "QLNN")
    cohort = _row(queries.by_cohort(scope), "cohort_code", "QLNN-K1")
    bình = _row(queries.by_lecturer(scope), "lecturer", "ThS. Lê Thị Bình")
    for row in (course, cohort, bình):
        assert {k: row[k] for k in expected} == expected
    assert bình["classes"] == 1 and bình["provider_name"] == "Trường Chính trị tỉnh"


def test_a_lecturer_is_averaged_over_the_classes_they_taught(world):
    scope = queries.Scope(None, True)
    for official, answer in zip(world.officials[:5], ANSWERS_K1):
        _answer(official, world.k1, *answer)
    k2 = [(2, 2, 2, 2), (3, 3, 3, 3), (2, 3, 2, 3), (3, 2, 3, 2), (2, 2, 2, 2)]
    for official, answer in zip(world.officials[5:10], k2):
        _answer(official, world.k2, *answer)
    db.session.commit()
    an = _row(queries.by_lecturer(scope), "lecturer", "TS. Nguyễn Văn An")
    assert (an["classes"], an["answers"]) == (2, 10)
    assert an["fit"] == pytest.approx((21 + 12) / 10) and an["lecturers"] == pytest.approx(3.2)
    assert _row(queries.by_lecturer(scope), "lecturer", "ThS. Lê Thị Bình")["answers"] == 5
    assert _row(queries.by_course(scope), "course_code", "QLNN")["answers"] == 10
    assert _row(queries.by_cohort(scope), "cohort_code", "QLNN-K2")["materials"] == 2.4


def test_a_class_under_five_answers_is_not_counted_in_its_course_or_lecturer(world):
    """Otherwise the course's average minus its big class's would give the small class's
    answers away."""
    scope = queries.Scope(None, True)
    for official, answer in zip(world.officials[:5], ANSWERS_K1):
        _answer(official, world.k1, *answer)
    _answer(world.officials[5], world.k2, 1, 1, 1, 1)
    db.session.commit()
    course = _row(queries.by_course(scope), "course_code", "QLNN")
    assert (course["answers"], course["fit"]) == (5, 4.2)
    an = _row(queries.by_lecturer(scope), "lecturer", "TS. Nguyễn Văn An")
    assert (an["answers"], an["lecturers"]) == (5, 4.0)
    assert _row(queries.by_cohort(scope), "cohort_code", "QLNN-K2")["answers"] is None


def test_the_page_shows_a_school_its_own_courses_and_comments_only_from_five(
        world, login, client):
    for official, answer in zip(world.officials[:5], ANSWERS_K1):
        _answer(official, world.k1, *answer, comment=f"Ý kiến riêng của {official.full_name}"
                if official is world.officials[0] else "")
    for official in world.officials[5:8]:
        _answer(official, world.k3, 2, 2, 2, 2, comment="Phòng học nóng.")
    for official in world.officials[8:10]:
        _answer(official, world.k4, 5, 5, 5, 5)
    db.session.commit()

    login(world.school_user)
    page = client.get("/phan-hoi").get_data(as_text=True)
    assert "Bồi dưỡng quản lý nhà nước cấp xã" in page and "Kỹ năng dân vận" in page
    assert "Chuyển đổi số cho cán bộ xã" not in page and "SO-K4" not in page
    assert "4,2" in page and "Chưa đủ 5 ý kiến" in page and "TS. Nguyễn Văn An" in page
    comments = client.get(f"/phan-hoi/khoa-hoc/{world.qlnn.id}").get_data(as_text=True)
    assert "Ý kiến riêng của Trần Thị Hoa" in comments
    assert "QLNN-K1" not in comments
    few = client.get(f"/phan-hoi/khoa-hoc/{world.dv.id}").get_data(as_text=True)
    assert "Chưa đủ 5 ý kiến" in few and "Phòng học nóng" not in few
    assert client.get(f"/phan-hoi/khoa-hoc/{world.so.id}").status_code == 404
    client.post("/dang-xuat")

    login(world.academy_user)
    page = client.get("/phan-hoi").get_data(as_text=True)
    assert "Chuyển đổi số cho cán bộ xã" in page and "Kỹ năng dân vận" not in page
    client.post("/dang-xuat")

    login(world.province_hr)
    page = client.get("/phan-hoi").get_data(as_text=True)
    assert "Kỹ năng dân vận" in page and "Chuyển đổi số cho cán bộ xã" in page
    assert "Học viện Hành chính Quốc gia" in page
    assert client.get(f"/phan-hoi/khoa-hoc/{world.qlnn.id}").status_code == 200
    client.post("/dang-xuat")

    login(world.commune_hr)  # every provider's averages, no comments
    page = client.get("/phan-hoi").get_data(as_text=True)
    assert "Bồi dưỡng quản lý nhà nước cấp xã" in page
    assert f"/phan-hoi/khoa-hoc/{world.qlnn.id}" not in page
    assert client.get(f"/phan-hoi/khoa-hoc/{world.qlnn.id}").status_code == 403
    client.post("/dang-xuat")

    login(world.learner)
    assert client.get("/phan-hoi").status_code == 403


def test_the_export_keeps_the_threshold_and_holds_no_formula(world, login, client):
    for official, answer in zip(world.officials[:5], ANSWERS_K1):
        _answer(official, world.k1, *answer)
    for official in world.officials[5:7]:
        _answer(official, world.k3, 1, 1, 1, 1)
    ops.add_lecturer(world.k3, "=HYPERLINK(\"http://x\")")
    db.session.commit()
    login(world.school_user)
    response = client.get("/phan-hoi/excel")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["Theo khóa học", "Theo lớp", "Theo giảng viên"]
    rows = {r[0]: r for r in book["Theo khóa học"].iter_rows(min_row=4, values_only=True)}
    assert rows["QLNN"][3:] == (5, 4.2, 4.0, 3.2, 3.8, None)
    assert rows["DV"][3:] == (None, None, None, None, None, "Chưa đủ 5 ý kiến")
    cohorts = {r[0]: r for r in book["Theo lớp"].iter_rows(min_row=4, values_only=True)}
    assert set(cohorts) == {"QLNN-K1", "DV-K3"} and cohorts["DV-K3"][4] is None
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
    lecturers = [r[0] for r in book["Theo giảng viên"].iter_rows(min_row=4, values_only=True)]
    assert "=HYPERLINK(\"http://x\")" in lecturers


# --------------------------------------------------------------------------- KH-6


def test_the_post_training_review_asks_how_much_is_used_at_work(world, login, client):
    from trainer.catalog.models import Competency, CourseCompetency
    skill = Competency(code="C1", name="Quản lý hành chính", group="execution", domain="admin")
    db.session.add(skill)
    db.session.flush()
    db.session.add(CourseCompetency(course_id=world.qlnn.id, competency_id=skill.id, level=3))
    e = _completed(world.officials[2], world.k1)
    e.completed_on = today() - timedelta(days=120)
    db.session.commit()
    login(world.commune_hr)
    page = client.get("/danh-gia-sau-dao-tao").get_data(as_text=True)
    assert "Mức vận dụng nội dung khóa học vào công việc" in page
    assert "3 — Vận dụng được khoảng một nửa" in page
    form = {f"r{e.id}-outcome": "partly",
            f"r{e.id}-reviewed_on": today().strftime("%d/%m/%Y"),
            f"r{e.id}-level_{skill.id}": "3", f"r{e.id}-note": "Áp dụng được một phần"}
    missing = client.post(f"/danh-gia-sau-dao-tao/{e.id}", data=form)
    assert missing.status_code == 400
    assert "Chọn mức vận dụng vào công việc." in missing.get_data(as_text=True)
    assert client.post(f"/danh-gia-sau-dao-tao/{e.id}",
                       data=form | {f"r{e.id}-use_at_work": "4"}).status_code == 302
    review = db.session.scalars(sa.select(PostTrainingReview)).one()
    assert review.use_at_work == 4
    record = client.get(f"/can-bo/{world.officials[2].id}").get_data(as_text=True)
    assert "Mức vận dụng" in record and "4/5 — Vận dụng được phần lớn" in record


def test_record_review_requires_use_at_work(world):
    from trainer.plans import operations as plans
    e = _completed(world.officials[3], world.k3)
    with pytest.raises(DomainError, match="Chọn mức vận dụng"):
        plans.record_review(e, outcome="applies", levels={}, reviewer="Chủ tịch UBND xã",
                            use_at_work=None)
    with pytest.raises(DomainError, match="Chọn mức vận dụng"):
        plans.record_review(e, outcome="applies", levels={}, reviewer="Chủ tịch UBND xã",
                            use_at_work=6)


# --------------------------------------------------------------------------- JSON API


def test_the_api_gives_the_same_averages_in_the_same_scope(world, client):
    from trainer.api.auth import issue_token
    for official, answer in zip(world.officials[:5], ANSWERS_K1):
        _answer(official, world.k1, *answer)
    _answer(world.officials[5], world.k4, 5, 5, 5, 5)
    school, academy, learner = (issue_token(u)[1] for u in
                                (world.school_user, world.academy_user, world.learner))
    db.session.commit()

    def get(token):
        return client.get("/api/v1/feedback/courses", headers={"Authorization": f"Bearer {token}"})
    body = get(school).get_json()
    assert body == {"threshold": MIN_ANSWERS, "items": [{
        "course_id": world.qlnn.id, "code": "QLNN", "name": "Bồi dưỡng quản lý nhà nước cấp xã",
        "provider": "Trường Chính trị tỉnh", "answers": 5, "fit": 4.2, "lecturers": 4.0,
        "materials": 3.2, "use_at_work": 3.8}]}
    assert get(academy).get_json()["items"] == [{
        "course_id": world.so.id, "code": "SO", "name": "Chuyển đổi số cho cán bộ xã",
        "provider": "Học viện Hành chính Quốc gia", "answers": None, "fit": None,
        "lecturers": None, "materials": None, "use_at_work": None}]
    assert get(learner).status_code == 403


# --------------------------------------------------------------------------- in a browser, on a phone


@pytest.mark.browser
def test_a_learner_answers_on_a_phone_and_the_school_reads_the_averages(world, web):
    from playwright.sync_api import expect
    for official, answer in zip(world.officials[1:5], ANSWERS_K1):
        _answer(official, world.k1, *answer)
    mine = _completed(world.officials[0], world.k1)
    db.session.commit()
    page = web
    page.set_viewport_size({"width": 390, "height": 844})

    def sign_in(user, home):
        page.goto("/dang-nhap")
        page.fill("#username", user.username)
        page.fill("#password", "matkhau123")
        page.click("button[type=submit]")
        page.wait_for_url(f"**{home}")
    sign_in(world.learner, "/toi")
    page.goto("/thong-bao")
    page.get_by_text("Mời nhận xét khóa “Bồi dưỡng quản lý nhà nước cấp xã”").first.click()
    page.wait_for_url(f"**/phan-hoi/nhan-xet/{mine.id}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.get_by_label("5 — Rất phù hợp").check()
    page.get_by_label("3 — Trung bình").nth(0).check()   # lecturers
    page.get_by_label("3 — Trung bình").nth(1).check()   # materials
    page.get_by_label("4 — Vận dụng được phần lớn").check()
    page.fill("#comment", "Nên có thêm bài tập tình huống.")
    page.get_by_role("button", name="Gửi nhận xét").click()
    page.wait_for_url("**/khoa-hoc-cua-toi")
    expect(page.get_by_text("Cảm ơn bạn đã nhận xét khóa học.")).to_be_visible()
    db.session.expire_all()
    answer = db.session.scalar(sa.select(CourseFeedback).where(
        CourseFeedback.enrollment_id == mine.id))
    assert (answer.fit, answer.lecturers, answer.materials, answer.use_at_work) == (5, 3, 3, 4)

    page.context.clear_cookies()
    sign_in(world.school_user, "/truong/")
    page.goto("/phan-hoi")
    expect(page.get_by_role("heading", name="Theo giảng viên")).to_be_visible()
    expect(page.get_by_text("Chưa đủ 5 ý kiến")).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.get_by_role("link", name="Bồi dưỡng quản lý nhà nước cấp xã").click()
    expect(page.get_by_text("Nên có thêm bài tập tình huống.")).to_be_visible()
