"""The core loop, end to end through the web: gap → recommendation → enroll → completion
recorded by the school → gap closed → target progress up (issue 2 §5)."""
from datetime import timedelta

import sqlalchemy as sa

from trainer.catalog.models import Course, Position
from trainer.core.extensions import db
from trainer.core.timeutil import today
from trainer.guidance.operations import guidance_for
from trainer.learning.models import Enrollment
from trainer.learning.operations import create_cohort
from trainer.people.models import Assessment
from trainer.people.operations import record_assessment
from trainer.targets.operations import all_progress, facts_for, progress_of
from trainer.targets.presets import BY_CODE


def _by_code(model, code):
    return db.session.scalar(sa.select(model).where(model.code == code))


def _assess_everything_met_except(official, missing: dict[str, int]):
    """Supervisor assessment: every requirement met except the given competency levels."""
    for req in official.position.requirements:
        level = missing.get(req.competency.code, req.level)
        record_assessment(official, req.competency, level, source="supervisor",
                          assessor="Trưởng phòng", on=today() - timedelta(days=30))


def test_gap_recommend_enroll_complete_closes_gap_and_moves_target(
        app, catalog, make_official, make_user, client):
    position = _by_code(Position, "CV-VP")
    official = make_official(position=position)
    _assess_everything_met_except(official, {"CDS-02": 0})
    db.session.commit()

    guidance = guidance_for(official)
    gaps = {g.name: g.gap for g in guidance.gaps if g.gap}
    assert gaps == {"Văn bản điện tử và chữ ký số": 2}
    path_codes = [db.session.get(Course, s.course_id).code for s in guidance.path]
    assert path_codes == ["BDHVS-VBDT"]  # 6 online hours close it: the cheapest cover
    assert "Văn bản điện tử và chữ ký số: hiện 0, yêu cầu 2" in guidance.path[0].explanation

    lc2 = BY_CODE["LC-2"]
    before = progress_of(lc2, facts_for())
    assert (before.counted, before.total) == (0, 1)
    assert progress_of(BY_CODE["DL-d"], facts_for()).counted == 0

    # The official enrolls in the self-paced online course from their page.
    user = make_user("official", official_id=official.id)
    client.post("/dang-nhap", data={"username": user.username, "password": "matkhau123"})
    page = client.get("/toi").get_data(as_text=True)
    assert "Văn bản điện tử và chữ ký số" in page and "hiện 0, yêu cầu 2" in page
    response = client.post("/dang-ky", data={"course_id": path_codes and guidance.path[0].course_id})
    assert response.status_code == 302
    enrollment = db.session.scalar(sa.select(Enrollment).where(
        Enrollment.official_id == official.id))
    assert enrollment.status == "enrolled"
    # In progress: no longer recommended, the gap is still open.
    assert guidance_for(official).path == []

    # The platform's school records a pass: evidence at the course level closes the gap.
    course = db.session.get(Course, enrollment.course_id)
    cohort = create_cohort(course, code="VBDT-TEST", start_date=today(),
                           end_date=today() + timedelta(days=7), capacity=10,
                           location="Trực tuyến", mode="online")
    enrollment.cohort_id = cohort.id
    school = make_user("school", provider_id=course.provider_id)
    db.session.commit()
    client.post("/dang-xuat")
    client.post("/dang-nhap", data={"username": school.username, "password": "matkhau123"})
    response = client.post(f"/truong/lop/{cohort.id}",
                           data={f"outcome-{enrollment.id}": "completed",
                                 f"score-{enrollment.id}": "8,5"})
    assert response.status_code == 302
    db.session.expire_all()
    enrollment = db.session.get(Enrollment, enrollment.id)
    assert (enrollment.status, enrollment.score) == ("completed", 8.5)
    evidence = db.session.scalars(sa.select(Assessment).where(
        Assessment.enrollment_id == enrollment.id)).all()
    assert {(a.competency.code, a.level, a.source) for a in evidence} == {
        ("CDS-02", 2, "course"), ("HC-02", 1, "course")}

    after = guidance_for(official)
    assert [g for g in after.gaps if g.gap] == []
    assert after.path == []
    assert progress_of(lc2, facts_for()).counted == 1
    assert progress_of(BY_CODE["DL-d"], facts_for()).counted == 1


def test_failed_result_adds_no_evidence_and_keeps_the_gap(app, catalog, make_official):
    from trainer.learning.operations import enroll_official, record_result
    official = make_official(position=_by_code(Position, "CV-VP"))
    _assess_everything_met_except(official, {"CDS-02": 0})
    enrollment = enroll_official(official, course=_by_code(Course, "BDHVS-VBDT"))
    record_result(enrollment, passed=False, score=3.0)
    db.session.commit()
    assert enrollment.status == "failed"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Assessment).where(
        Assessment.source == "course")) == 0
    assert [g.gap for g in guidance_for(official).gaps if g.gap] == [2]
    # A failed course is recommended again.
    assert [s.name for s in guidance_for(official).path] == ["Văn bản điện tử và chữ ký số"]


def test_a_pass_below_the_pass_mark_is_refused(app, catalog, make_official):
    import pytest

    from trainer.core.errors import DomainError
    from trainer.learning.operations import enroll_official, record_result
    official = make_official(position=_by_code(Position, "CV-VP"))
    enrollment = enroll_official(official, course=_by_code(Course, "BDHVS-VBDT"))
    with pytest.raises(DomainError, match="thấp hơn điểm đạt"):
        record_result(enrollment, passed=True, score=4.0)


def test_completion_grants_the_course_qualification(app, catalog, make_official):
    from trainer.learning.operations import enroll_official, record_result
    official = make_official(position=_by_code(Position, "CV-VP"), political_theory="none")
    course = _by_code(Course, "LLCT-SC")
    cohort = create_cohort(course, code="SC-1", start_date=today() + timedelta(days=1),
                           end_date=today() + timedelta(days=90), capacity=5,
                           location="Trường Chính trị tỉnh", mode=course.mode)
    enrollment = enroll_official(official, cohort=cohort)
    if enrollment.status == "requested":
        enrollment.status = "enrolled"
    record_result(enrollment, passed=True, score=7.0)
    db.session.commit()
    facts = facts_for()
    row = facts.officials.set_index("id").loc[official.id]
    assert row["political_theory_rank"] == 1  # sơ cấp, granted by the course
    assert official.political_theory == "none"  # the recorded fact is untouched


def test_targets_cover_the_required_presets(app, catalog):
    codes = {p.target.code for p in all_progress()}
    assert {"DL-c", "DL-d", "DL-đ", "LC-2", "LC-3", "LC-5", "LC-5b", "LC-6a", "LC-6b", "LC-7a",
            "LC-7b", "HT-3", "HT-6"} <= codes


def test_cohort_never_overfills(app, catalog, make_official):
    import pytest

    from trainer.core.errors import DomainError
    from trainer.learning.operations import enroll_official
    course = _by_code(Course, "TCD-KN")
    cohort = create_cohort(course, code="TCD-1", start_date=today() + timedelta(days=3),
                           end_date=today() + timedelta(days=5), capacity=2,
                           location="UBND xã", mode=course.mode)
    enroll_official(make_official(), cohort=cohort)
    second = make_official()
    enroll_official(second, cohort=cohort)
    third = enroll_official(make_official(), cohort=cohort)
    assert third.status == "waitlisted"
    with pytest.raises(DomainError, match="đang đăng ký"):
        enroll_official(second, cohort=cohort)
    statuses = db.session.scalars(sa.select(Enrollment.status).where(
        Enrollment.cohort_id == cohort.id).order_by(Enrollment.id)).all()
    assert statuses == ["enrolled", "enrolled", "waitlisted"]
