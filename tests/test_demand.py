"""Demand → cohorts (LC-P1, KH-9, KH-11) and commissioned training (đặt hàng, KH-4) — issue 3."""
from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from trainer.catalog.models import (Competency, Course, CourseCompetency, Position,
                                    PositionRequirement, Provider)
from trainer.core.errors import DomainError, NotAllowed
from trainer.core.extensions import db
from trainer.core.timeutil import today
from trainer.demand import operations as ops
from trainer.demand.models import CohortRequest
from trainer.learning.models import Cohort, Enrollment
from trainer.learning.operations import create_cohort, enroll_official
from trainer.notices.models import Notification
from trainer.people.models import Assessment

SOON = today() + timedelta(days=30)


@pytest.fixture
def world(app, make_unit):
    """Two providers, one competency required at level 3 by one position, a course of provider
    `school` that teaches it, and communes in two regions under a province."""
    school = Provider(code="TCT", name="Trường Chính trị tỉnh", kind="political_school")
    other = Provider(code="CDLC", name="Trường Cao đẳng", kind="college")
    comp = Competency(code="C1", name="Dân vận", group="execution", domain="mass")
    comp2 = Competency(code="C2", name="Chữ ký số", group="development", domain="digital")
    db.session.add_all([school, other, comp, comp2])
    db.session.flush()
    position = Position(code="CV", name="Chuyên viên", group="specialist",
                        min_education="dai_hoc")
    db.session.add(position)
    db.session.flush()
    db.session.add(PositionRequirement(position_id=position.id, competency_id=comp.id, level=3))
    course = Course(code="DV-CS", name="Công tác dân vận", provider_id=school.id,
                    category="professional", mode="in_person", hours=40)
    foreign = Course(code="CD-X", name="Khóa của trường khác", provider_id=other.id,
                     category="professional", mode="in_person", hours=40)
    db.session.add_all([course, foreign])
    db.session.flush()
    db.session.add(CourseCompetency(course_id=course.id, competency_id=comp.id, level=3))
    db.session.add(CourseCompetency(course_id=foreign.id, competency_id=comp2.id, level=2))
    province = make_unit(code="P", name="Tỉnh Thử", kind="province", region=None)

    def mk(name, region):
        return make_unit(name=name, region=region, parent_id=province.id)

    w = SimpleNamespace(school=school, other=other, comp=comp, position=position, course=course,
                        foreign=foreign, province=province,
                        a=mk("Xã Nậm A", "mountain"), b=mk("Xã Nậm B", "mountain"),
                        c=mk("Xã Đồng C", "rural"))
    db.session.commit()
    return w


@pytest.fixture
def person(world, make_official):
    def make(unit, **kw):
        return make_official(unit=unit, position=world.position, **kw)
    return make


def _cohort(course, code="L-01", capacity=10):
    return create_cohort(course, code=code, start_date=SOON, end_date=SOON + timedelta(days=5),
                         capacity=capacity, location="Hội trường", mode="in_person")


# --------------------------------------------------------------------------- demand table


def test_demand_counts_need_by_commune_and_region_and_registered(world, person):
    person(world.a), person(world.c)
    o3 = person(world.c)
    enroll_official(o3, cohort=_cohort(world.course, capacity=20))
    db.session.commit()

    table = ops.course_demand_table(world.school.id).set_index("code")
    assert list(table.index) == ["DV-CS"]  # only the provider's courses
    row = table.loc["DV-CS"]
    # o1 and o2 need it; o3 is already registered (its path no longer holds the course).
    assert (row.need, row.in_path, row.qualification) == (2, 2, 0)
    assert (row.need_mountain, row.need_rural, row.need_urban, row.communes) == (1, 1, 0, 2)
    assert (row.registered, row.in_open_cohort) == (1, 1)
    assert (row.open_cohorts, row.open_seats, row.unplaced) == (1, 19, 0)

    communes = ops.demand_report(world.school.id).communes.set_index("commune_name")
    columns = ["need", "registered", "region"]
    assert communes.loc["Xã Nậm A", columns].tolist() == [1, 0, "mountain"]
    assert communes.loc["Xã Đồng C", columns].tolist() == [1, 1, "rural"]
    assert "Xã Nậm B" not in communes.index


def test_official_who_already_has_the_level_is_not_demand(world, person):
    o1 = person(world.a)
    db.session.add(Assessment(official_id=o1.id, competency_id=world.comp.id, level=3,
                              source="supervisor", assessed_on=today()))
    db.session.commit()
    assert ops.course_demand_table(world.school.id).iloc[0]["need"] == 0


def test_degree_demand_follows_the_standard_and_years_of_service_left(world, person):
    """LC-T2: below the degree standard with more than 6 years left → the bachelor's course,
    never the master's."""
    bachelor = Course(code="DH-X", name="Đại học vừa làm vừa học", provider_id=world.school.id,
                      category="degree", mode="blended", hours=2000,
                      qualification_kind="education", qualification_level="dai_hoc")
    master = Course(code="THS-X", name="Thạc sĩ", provider_id=world.school.id, category="degree",
                    mode="blended", hours=1500, qualification_kind="education",
                    qualification_level="thac_si")
    db.session.add_all([bachelor, master])
    young = person(world.a, education="cao_dang", birth_date=date(today().year - 30, 1, 1))
    person(world.a, education="cao_dang", birth_date=date(today().year - 58, 1, 1))  # < 6 y left
    person(world.a)  # already has the degree
    db.session.commit()
    table = ops.course_demand_table(world.school.id).set_index("code")
    assert (table.loc["DH-X", "need"], table.loc["DH-X", "qualification"]) == (1, 1)
    assert table.loc["THS-X", "need"] == 0
    assert [i.official_id for p in ops.propose_cohorts(bachelor, class_size=5,
                                                       weights=ops.DEFAULT_WEIGHTS)
            for i in p.invitees] == [young.id]


# --------------------------------------------------------------------------- proposals


def test_balanced_sizes():
    assert ops.balanced_sizes(5, 3) == [3, 2]
    assert ops.balanced_sizes(2, 3) == [2]
    assert ops.balanced_sizes(7, 3) == [3, 2, 2]
    assert ops.balanced_sizes(6, 3) == [3, 3]
    assert ops.balanced_sizes(0, 3) == []


def test_proposals_group_by_region_and_keep_communes_together(world, person):
    in_a = [person(world.a) for _ in range(3)]
    in_b = [person(world.b) for _ in range(2)]
    in_c = [person(world.c) for _ in range(2)]
    enrolled = person(world.c)
    enroll_official(enrolled, cohort=_cohort(world.course))
    db.session.commit()

    proposals = ops.propose_cohorts(world.course, class_size=3, weights=ops.DEFAULT_WEIGHTS)
    assert [(p.region, p.size) for p in proposals] == [("mountain", 3), ("mountain", 2),
                                                       ("rural", 2)]
    ids = [{i.official_id for i in p.invitees} for p in proposals]
    assert ids == [{o.id for o in in_a}, {o.id for o in in_b}, {o.id for o in in_c}]
    assert proposals[0].communes == ["Xã Nậm A"]
    assert [p.number for p in proposals] == [1, 2, 3]
    with pytest.raises(DomainError, match="Sĩ số"):
        ops.propose_cohorts(world.course, class_size=0, weights=ops.DEFAULT_WEIGHTS)


def _order(world, **weights):
    proposals = ops.propose_cohorts(world.course, class_size=10,
                                    weights=ops.DEFAULT_WEIGHTS | weights)
    return [i.official_id for i in proposals[0].invitees]


def test_young_female_minority_ranks_first_with_the_same_gap(world, person):
    old = person(world.a, birth_date=date(1975, 3, 1), gender="male", ethnicity="Kinh")
    priority = person(world.a, birth_date=date(today().year - 26, 3, 1), gender="female",
                      ethnicity="Thái")
    db.session.commit()
    assert _order(world) == [priority.id, old.id]
    invitee = ops.propose_cohorts(world.course, class_size=10,
                                  weights=ops.DEFAULT_WEIGHTS)[0].invitees[0]
    assert invitee.reasons == ["thiếu hụt 100%", "bắt buộc theo vị trí", "trẻ", "nữ",
                               "dân tộc thiểu số"]
    assert invitee.score == pytest.approx(1 + 1 + 0.3 * 3)
    # Without the KH-11 weights it is a tie, broken by official id.
    assert _order(world, young=0, female=0, minority=0) == [old.id, priority.id]
    # A lower age limit makes nobody young.
    proposals = ops.propose_cohorts(world.course, class_size=10, weights=ops.DEFAULT_WEIGHTS,
                                    young_age=20)
    assert "trẻ" not in proposals[0].invitees[0].reasons


def test_weights_change_the_order(world, person):
    big_gap = person(world.a, birth_date=date(1975, 3, 1), gender="male", ethnicity="Kinh")
    small_gap = person(world.a, birth_date=date(today().year - 26, 3, 1), gender="female",
                       ethnicity="Mông")
    db.session.add(Assessment(official_id=small_gap.id, competency_id=world.comp.id, level=2,
                              source="supervisor", assessed_on=today()))
    db.session.commit()
    # Defaults: 1 + 1 = 2.0 against 1/3 + 1 + 0.9 ≈ 2.23.
    assert _order(world) == [small_gap.id, big_gap.id]
    # Doubling the gap weight: 2 + 1 = 3.0 against 2/3 + 1 + 0.9 ≈ 2.57.
    assert _order(world, gap=2.0) == [big_gap.id, small_gap.id]


def test_creating_proposed_cohorts_invites_without_enrolling(world, person, make_user, login):
    officials = [person(world.a) for _ in range(3)] + [person(world.c) for _ in range(2)]
    school = make_user("school", provider_id=world.school.id)
    client = login(school)
    page = client.get(f"/truong/nhu-cau/{world.course.id}/de-xuat?class_size=2&w_gap=1"
                      "&w_mandatory=1&w_young=0.3&w_female=0.3&w_minority=0.3")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Tạo các lớp" in html and "data-confirm=" in html and html.count('class="card h-100') == 3

    form = {"class_size": 2, "w_gap": 1, "w_mandatory": 1, "w_young": 0.3, "w_female": 0.3,
            "w_minority": 0.3, "code_prefix": "DV-2027", "start_date": SOON.isoformat(),
            "end_date": (SOON + timedelta(days=3)).isoformat(), "enrollment_deadline": "",
            "location": "Trường Chính trị tỉnh", "mode": "in_person"}
    response = client.post(f"/truong/nhu-cau/{world.course.id}/de-xuat", data=form)
    assert response.status_code == 302
    cohorts = db.session.scalars(sa.select(Cohort).order_by(Cohort.code)).all()
    assert [c.code for c in cohorts] == ["DV-2027-01", "DV-2027-02", "DV-2027-03"]
    assert {c.capacity for c in cohorts} == {2}
    invited = db.session.scalars(sa.select(Notification).where(
        Notification.kind == "invited")).all()
    assert sorted(n.official_id for n in invited) == sorted(o.id for o in officials)
    assert {n.link for n in invited} == {"/toi"}
    assert db.session.scalar(sa.select(sa.func.count(Enrollment.id))) == 0  # not enrollment

    # The same codes again: nothing half-written, a Vietnamese error.
    again = client.post(f"/truong/nhu-cau/{world.course.id}/de-xuat", data=form)
    assert again.status_code == 200 and "đã có" in again.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Cohort.id))) == 3


def test_proposal_operation_refuses_another_providers_course_and_past_dates(world, person):
    person(world.a)
    db.session.commit()
    proposals = ops.propose_cohorts(world.course, class_size=5, weights=ops.DEFAULT_WEIGHTS)
    kw = {"code_prefix": "X", "start_date": SOON, "end_date": SOON, "capacity": 5,
          "location": "", "mode": "in_person"}
    with pytest.raises(NotAllowed, match="không thuộc cơ sở đào tạo"):
        ops.create_proposed_cohorts(world.course, proposals, provider_id=world.other.id, **kw)
    with pytest.raises(DomainError, match="sau hôm nay"):
        ops.create_proposed_cohorts(world.course, proposals, **kw | {"start_date": today()})
    with pytest.raises(DomainError, match="Không có cán bộ"):
        ops.create_proposed_cohorts(world.course, [], **kw)


# --------------------------------------------------------------------------- commissioning


def _schedule_form(code="DV-DH1", capacity=5):
    return {"code": code, "start_date": SOON.isoformat(),
            "end_date": (SOON + timedelta(days=2)).isoformat(), "capacity": capacity,
            "location": "Xã Nậm A", "mode": "in_person"}


def test_commissioning_lifecycle_submitted_accepted_scheduled(world, person, make_user, login,
                                                              app):
    o1, o2, busy = person(world.a), person(world.a), person(world.a)
    outsider = person(world.b)
    enroll_official(busy, cohort=_cohort(world.course, code="OLD-01"))
    hr = make_user("hr", unit_id=world.a.id)
    school = make_user("school", provider_id=world.school.id)

    client = login(hr)
    page = client.get(f"/dat-hang/moi?course={world.course.id}").get_data(as_text=True)
    assert o1.full_name in page and outsider.full_name not in page
    assert busy.full_name not in page  # already registered: not pre-selected as needing it
    response = client.post("/dat-hang/moi", data={
        "course_id": world.course.id, "official_ids": [o1.id, o2.id, busy.id],
        "note": "Cần gấp cho quý II"})
    assert response.status_code == 302
    req = db.session.scalar(sa.select(CohortRequest))
    assert (req.status, req.unit_id, req.requested_by) == ("submitted", world.a.id,
                                                           hr.display_name)
    assert {o.id for o in req.officials} == {o1.id, o2.id, busy.id}
    assert "Đã gửi" in client.get("/dat-hang").get_data(as_text=True)
    client.post("/dang-xuat")

    client = login(school)
    assert world.a.name in client.get("/truong/dat-hang").get_data(as_text=True)
    assert client.post(f"/truong/dat-hang/{req.id}/nhan").status_code == 302
    db.session.refresh(req)
    assert req.status == "accepted" and req.decided_at is not None

    # Capacity below the list: refused, nothing created.
    client.post(f"/truong/dat-hang/{req.id}/xep-lop", data=_schedule_form(capacity=2))
    db.session.refresh(req)
    assert req.status == "accepted"
    assert db.session.scalar(sa.select(Cohort).where(Cohort.code == "DV-DH1")) is None

    response = client.post(f"/truong/dat-hang/{req.id}/xep-lop", data=_schedule_form(),
                           follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "ghi danh 2 cán bộ" in html and busy.full_name in html  # skipped and reported
    db.session.refresh(req)
    cohort = req.cohort
    assert (req.status, cohort.code, cohort.commissioned_by_unit_id) == ("scheduled", "DV-DH1",
                                                                         world.a.id)
    seated = db.session.scalars(sa.select(Enrollment).where(
        Enrollment.cohort_id == cohort.id)).all()
    assert {(e.official_id, e.status) for e in seated} == {(o1.id, "enrolled"), (o2.id, "enrolled")}
    told = db.session.scalars(sa.select(Notification.official_id).where(
        Notification.kind == "enrolled", Notification.title.contains("DV-DH1"))).all()
    assert sorted(told) == sorted([o1.id, o2.id])
    # A scheduled request cannot be scheduled or rejected again.
    with pytest.raises(DomainError, match="đã nhận"):
        ops.schedule_request(req, **_schedule_form("DV-DH2") | {
            "start_date": SOON, "end_date": SOON, "capacity": 5})
    with pytest.raises(DomainError, match="Không thể từ chối"):
        ops.reject_request(req, response="muộn")


def test_rejected_request_needs_a_reason_and_cannot_be_accepted(world, person, make_user,
                                                                login):
    o1 = person(world.a)
    req = ops.commission_training(world.a, world.course, [o1], requested_by="HR", note="")
    db.session.commit()
    client = login(make_user("school", provider_id=world.school.id))
    page = client.post(f"/truong/dat-hang/{req.id}/tu-choi", data={"response": ""},
                       follow_redirects=True).get_data(as_text=True)
    assert "Cần ghi lý do từ chối." in page
    client.post(f"/truong/dat-hang/{req.id}/tu-choi", data={"response": "Hết kinh phí năm nay"})
    db.session.refresh(req)
    assert (req.status, req.response) == ("rejected", "Hết kinh phí năm nay")
    with pytest.raises(DomainError, match="Chỉ nhận được yêu cầu đang chờ"):
        ops.accept_request(req)
    with pytest.raises(DomainError, match="Chỉ xếp lớp"):
        ops.schedule_request(req, code="Z", start_date=SOON, end_date=SOON, capacity=5,
                             location="", mode="in_person")


def test_commissioning_rules(world, person):
    o1 = person(world.a)
    with pytest.raises(DomainError, match="Chưa chọn cán bộ"):
        ops.commission_training(world.a, world.course, [], requested_by="HR")
    req = ops.commission_training(world.a, world.course, [o1], requested_by="HR")
    with pytest.raises(NotAllowed, match="không thuộc cơ sở đào tạo"):
        ops.accept_request(req, provider_id=world.other.id)
    ops.accept_request(req, provider_id=world.school.id)
    with pytest.raises(DomainError, match="nhỏ hơn số cán bộ"):
        ops.schedule_request(req, code="Z", start_date=SOON, end_date=SOON, capacity=0,
                             location="", mode="in_person")


def test_hr_cannot_commission_an_official_outside_their_scope(world, person, make_user, login):
    mine, theirs = person(world.b), person(world.a)
    db.session.commit()
    with pytest.raises(NotAllowed, match="1 cán bộ đã chọn không thuộc đơn vị") as refused:
        ops.commission_training(world.b, world.course, [mine, theirs], requested_by="HR")
    assert theirs.full_name not in str(refused.value)  # never named
    db.session.rollback()
    client = login(make_user("hr", unit_id=world.b.id))
    # Out of scope and missing ids get the same answer: nothing tells which exist.
    outside = client.post("/dat-hang/moi", data={"course_id": world.course.id,
                                                 "official_ids": [mine.id, theirs.id]})
    missing = client.post("/dat-hang/moi", data={"course_id": world.course.id,
                                                 "official_ids": [mine.id, 99999]})
    assert outside.status_code == missing.status_code == 404
    assert theirs.full_name not in outside.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(CohortRequest.id))) == 0


def test_school_of_another_provider_cannot_see_or_decide(world, person, make_user, login):
    o1 = person(world.a)
    req = ops.commission_training(world.a, world.course, [o1], requested_by="HR")
    db.session.commit()
    client = login(make_user("school", provider_id=world.other.id))
    assert world.a.name not in client.get("/truong/dat-hang").get_data(as_text=True)
    assert client.get(f"/truong/dat-hang/{req.id}").status_code == 404
    assert client.post(f"/truong/dat-hang/{req.id}/nhan").status_code == 404
    assert client.post(f"/truong/dat-hang/{req.id}/tu-choi",
                       data={"response": "x"}).status_code == 404
    assert client.post(f"/truong/dat-hang/{req.id}/xep-lop",
                       data=_schedule_form()).status_code == 404
    db.session.refresh(req)
    assert req.status == "submitted"
    assert client.get(f"/truong/nhu-cau/{world.course.id}").status_code == 404
    assert client.get(f"/truong/nhu-cau/{world.course.id}/de-xuat").status_code == 404


# --------------------------------------------------------------------------- pages and roles


def test_pages_render_for_the_right_roles(world, person, make_user, login, client):
    o1 = person(world.a)
    ops.commission_training(world.a, world.course, [o1], requested_by="HR")
    db.session.commit()
    school = make_user("school", provider_id=world.school.id)
    hr = make_user("hr", unit_id=world.a.id)
    admin = make_user("admin")
    official = make_user("official", official_id=o1.id)

    login(school)
    page = client.get("/truong/nhu-cau?sap-xep=unplaced")
    assert page.status_code == 200 and "Công tác dân vận" in page.get_data(as_text=True)
    assert "Khóa của trường khác" not in page.get_data(as_text=True)
    detail = client.get(f"/truong/nhu-cau/{world.course.id}").get_data(as_text=True)
    assert "Xã Nậm A" in detail and "Miền núi" in detail
    assert client.get(f"/truong/nhu-cau/{world.course.id}/de-xuat").status_code == 200
    assert client.get("/truong/dat-hang").status_code == 200
    assert client.get("/dat-hang").status_code == 403
    client.post("/dang-xuat")

    login(admin)
    page = client.get(f"/truong/nhu-cau?provider={world.other.id}").get_data(as_text=True)
    assert "Khóa của trường khác" in page and "Công tác dân vận" not in page
    assert client.get(f"/truong/nhu-cau/{world.course.id}").status_code == 200
    assert client.get("/truong/dat-hang").status_code == 200
    client.post("/dang-xuat")

    login(hr)
    assert client.get("/dat-hang").status_code == 200
    assert client.get("/dat-hang/moi").status_code == 200
    assert client.get("/truong/nhu-cau").status_code == 403
    assert client.get("/truong/dat-hang").status_code == 403
    client.post("/dang-xuat")

    login(official)
    for url in ("/truong/nhu-cau", "/dat-hang", "/dat-hang/moi", "/truong/dat-hang",
                f"/truong/nhu-cau/{world.course.id}/de-xuat"):
        assert client.get(url).status_code == 403, url


def test_demand_table_uses_a_bounded_number_of_queries(world, person, app):
    """STYLE.md §6: no query per official."""
    for unit in (world.a, world.b, world.c):
        for _ in range(4):
            person(unit)
    db.session.commit()
    statements = []

    def count(conn, cursor, statement, *rest):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        ops.course_demand_table(world.school.id)
        few = len(statements)
        for _ in range(20):
            person(world.a)
        db.session.commit()
        statements.clear()
        ops.course_demand_table(world.school.id)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    assert len(statements) <= few  # fewer: the unit table is kept (no official's write moves it)


def test_demand_page_renders_with_no_officials_yet(world, make_user, login):
    client = login(make_user("school", provider_id=world.school.id))
    page = client.get("/truong/nhu-cau")
    assert page.status_code == 200 and "Công tác dân vận" in page.get_data(as_text=True)
    assert client.get(f"/truong/nhu-cau/{world.course.id}").status_code == 200
    proposals = client.get(f"/truong/nhu-cau/{world.course.id}/de-xuat").get_data(as_text=True)
    assert "Không có cán bộ nào cần khóa học này" in proposals
