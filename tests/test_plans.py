"""Post-training reviews (KH-6) and annual training plans (HT-8, LC-9, TQ II.2) — issue 4."""
from __future__ import annotations

import io
from datetime import date, timedelta
from types import SimpleNamespace

import openpyxl
import pytest
import sqlalchemy as sa

from trainer.catalog.models import (Competency, Course, CourseCompetency, Position,
                                    PositionRequirement, Provider)
from trainer.core.errors import DomainError, NotAllowed
from trainer.core.extensions import db
from trainer.core.timeutil import today
from trainer.learning.models import Enrollment
from trainer.learning.operations import create_cohort
from trainer.people.models import Assessment, Official
from trainer.plans import operations as ops
from trainer.plans.models import PostTrainingReview, TrainingPlan, TrainingPlanItem

YEAR = today().year + 1  # next year's plan: its deadline (31/12 this year) has not passed
OLD = date(1975, 3, 1)   # not young whatever the year


@pytest.fixture
def world(app, make_unit):
    """Competency c1 taught by course A; c2 taught by course B, which requires A. Position P1
    requires c1 at level 3, P2 requires c2 at level 3. Two communes under a province; commune
    `a` has a department."""
    school = Provider(code="TCT", name="Trường Chính trị tỉnh", kind="political_school")
    c1 = Competency(code="C1", name="Dân vận", group="execution", domain="mass")
    c2 = Competency(code="C2", name="Chuyển đổi số", group="development", domain="digital")
    db.session.add_all([school, c1, c2])
    db.session.flush()
    p1 = Position(code="P1", name="Công chức văn hóa", group="specialist")
    p2 = Position(code="P2", name="Công chức văn phòng", group="specialist")
    db.session.add_all([p1, p2])
    db.session.flush()
    db.session.add_all([PositionRequirement(position_id=p1.id, competency_id=c1.id, level=3),
                        PositionRequirement(position_id=p2.id, competency_id=c2.id, level=3)])
    a = Course(code="A", name="Khóa A dân vận", provider_id=school.id, category="professional",
               mode="in_person", hours=40, cost=1_000_000)
    b = Course(code="B", name="Khóa B chuyển đổi số", provider_id=school.id,
               category="professional", mode="in_person", hours=40, cost=2_000_000)
    db.session.add_all([a, b])
    db.session.flush()
    b.prerequisites.append(a)
    db.session.add_all([CourseCompetency(course_id=a.id, competency_id=c1.id, level=3),
                        CourseCompetency(course_id=b.id, competency_id=c2.id, level=3)])
    province = make_unit(code="P", name="Tỉnh Thử", kind="province", region=None)
    commune = make_unit(name="Xã Nậm A", region="mountain", parent_id=province.id)
    dept = make_unit(name="Văn phòng xã Nậm A", kind="department", region=None,
                     parent_id=commune.id)
    other = make_unit(name="Xã Đồng B", region="rural", parent_id=province.id)
    db.session.commit()
    return SimpleNamespace(school=school, c1=c1, c2=c2, p1=p1, p2=p2, a=a, b=b,
                           province=province, commune=commune, dept=dept, other=other)


@pytest.fixture
def person(world, make_official):
    def make(unit, position, **kw):
        kw.setdefault("birth_date", OLD)
        return make_official(unit=unit, position=position, **kw)
    return make


@pytest.fixture
def users(world, make_user):
    return SimpleNamespace(
        commune=make_user("hr", unit_id=world.commune.id),
        other=make_user("hr", unit_id=world.other.id),
        province=make_user("hr", unit_id=world.province.id),
        admin=make_user("admin"))


def _completed(official, course, days_ago):
    e = Enrollment(official_id=official.id, course_id=course.id, status="completed",
                   completed_on=today() - timedelta(days=days_ago), score=8)
    db.session.add(e)
    db.session.flush()
    return e


# =========================================================================== KH-6 reviews


def test_due_reviews_lists_completions_older_than_the_setting_without_a_review(
        app, world, person):
    o1, o2 = person(world.commune, world.p1), person(world.dept, world.p1)
    outsider = person(world.other, world.p1)
    old = _completed(o1, world.a, days_ago=120)
    recent = _completed(o2, world.a, days_ago=40)
    reviewed = _completed(o2, world.b, days_ago=200)
    _completed(outsider, world.a, days_ago=150)
    db.session.add(PostTrainingReview(enrollment_id=reviewed.id, outcome="applies",
                                      reviewer="x", use_at_work=3, reviewed_on=today()))
    db.session.commit()

    scope = Official.unit_id.in_([world.commune.id, world.dept.id])
    due = ops.due_reviews(scope)
    assert due["enrollment_id"].tolist() == [old.id]  # 3 months by default
    assert due.iloc[0]["course_name"] == "Khóa A dân vận"

    app.config["REVIEW_AFTER_MONTHS"] = 1
    assert ops.due_reviews(scope)["enrollment_id"].tolist() == [old.id, recent.id]
    assert len(ops.due_reviews()) == 3  # no scope: every unit


def test_record_review_writes_supervisor_assessments_and_the_review(world, person):
    o = person(world.commune, world.p1)
    e = _completed(o, world.a, days_ago=100)
    on = today() - timedelta(days=2)
    review = ops.record_review(e, outcome="applies", levels={world.c1.id: 3},
                               reviewer="Trưởng phòng", use_at_work=4, on=on, note=" Vận dụng tốt ")
    db.session.commit()
    assert (review.outcome, review.reviewed_on, review.note) == ("applies", on, "Vận dụng tốt")
    a = db.session.scalars(sa.select(Assessment).where(Assessment.official_id == o.id)).one()
    assert (a.competency_id, a.level, a.source, a.assessed_on, a.assessor) == (
        world.c1.id, 3, "supervisor", on, "Trưởng phòng")
    assert ops.due_reviews(sa.true(), months=0).empty


def test_one_review_per_enrollment_and_every_taught_competency_needs_a_level(world, person):
    o = person(world.commune, world.p1)
    e = _completed(o, world.a, days_ago=100)
    with pytest.raises(DomainError, match="Nhập mức mới cho: Dân vận"):
        ops.record_review(e, outcome="applies", levels={}, reviewer="x", use_at_work=3)
    with pytest.raises(DomainError, match="năng lực mà khóa học bồi dưỡng"):
        ops.record_review(e, outcome="applies", levels={world.c1.id: 2, world.c2.id: 2},
                          reviewer="x", use_at_work=3)
    ops.record_review(e, outcome="partly", levels={world.c1.id: 2}, reviewer="x", use_at_work=3)
    db.session.commit()
    with pytest.raises(DomainError, match="đã được đánh giá sau đào tạo"):
        ops.record_review(e, outcome="applies", levels={world.c1.id: 3}, reviewer="x",
                          use_at_work=3)
    not_done = Enrollment(official_id=o.id, course_id=world.b.id, status="enrolled")
    db.session.add(not_done)
    db.session.flush()
    with pytest.raises(DomainError, match="đã hoàn thành"):
        ops.record_review(not_done, outcome="applies", levels={world.c2.id: 1}, reviewer="x",
                          use_at_work=3)


def test_no_change_flags_the_official_until_a_later_review_finds_progress(world, person):
    o, ok = person(world.commune, world.p1), person(world.other, world.p1)
    e1 = _completed(o, world.a, days_ago=300)
    ops.record_review(e1, outcome="no_change", levels={world.c1.id: 1}, reviewer="x", use_at_work=3,
                      on=today() - timedelta(days=10), note="Chưa vận dụng")
    ops.record_review(_completed(ok, world.a, days_ago=300), outcome="applies",
                      levels={world.c1.id: 3}, reviewer="x", use_at_work=3)
    db.session.commit()
    flagged = ops.officials_flagged_no_change()
    assert flagged["official_id"].tolist() == [o.id]
    assert flagged.iloc[0][["course_name", "note"]].tolist() == ["Khóa A dân vận", "Chưa vận dụng"]
    assert ops.officials_flagged_no_change(Official.unit_id == world.other.id).empty

    e2 = _completed(o, world.b, days_ago=200)
    ops.record_review(e2, outcome="applies", levels={world.c2.id: 3}, reviewer="x", use_at_work=3)
    db.session.commit()
    assert ops.officials_flagged_no_change().empty


def test_review_page_records_a_review_in_scope_and_the_record_shows_it(
        world, person, users, login, client):
    o = person(world.dept, world.p1)
    e = _completed(o, world.a, days_ago=100)
    db.session.commit()
    login(users.other)
    assert "Khóa A dân vận" not in client.get("/danh-gia-sau-dao-tao").get_data(as_text=True)
    form = {f"r{e.id}-outcome": "no_change", f"r{e.id}-reviewed_on": today().isoformat(),
            f"r{e.id}-level_{world.c1.id}": "1", f"r{e.id}-note": "Không tiến bộ",
            f"r{e.id}-use_at_work": "1"}
    assert client.post(f"/danh-gia-sau-dao-tao/{e.id}", data=form).status_code == 404
    client.post("/dang-xuat")

    login(users.commune)
    page = client.get("/danh-gia-sau-dao-tao").get_data(as_text=True)
    assert "Khóa A dân vận" in page and "Cần đánh giá: 1" in page
    missing = client.post(f"/danh-gia-sau-dao-tao/{e.id}",
                          data={k: v for k, v in form.items() if "level" not in k})
    assert missing.status_code == 400 and "Chọn mức mới." in missing.get_data(as_text=True)
    assert client.post(f"/danh-gia-sau-dao-tao/{e.id}", data=form).status_code == 302
    review = db.session.scalars(sa.select(PostTrainingReview)).one()
    assert (review.enrollment_id, review.outcome, review.reviewer) == (
        e.id, "no_change", users.commune.display_name)
    page = client.get("/danh-gia-sau-dao-tao").get_data(as_text=True)
    assert "Cần đánh giá: 0" in page and "năng lực không thay đổi sau đào tạo" in page
    record = client.get(f"/can-bo/{o.id}").get_data(as_text=True)
    assert "Đánh giá sau đào tạo" in record and "Năng lực không thay đổi" in record


# =========================================================================== drafting


@pytest.fixture
def small_case(world, person):
    """o1 (female), o2 lack c1 → course A; o3 lacks c2 → course B, with its prerequisite A."""
    o1 = person(world.commune, world.p1, gender="female")
    o2 = person(world.dept, world.p1)
    o3 = person(world.commune, world.p2)
    person(world.other, world.p1)  # another commune: not in this plan
    db.session.commit()
    return SimpleNamespace(o1=o1, o2=o2, o3=o3)


def _items(plan):
    return {(i.course.code, i.quarter): sorted(o.id for o in i.officials) for i in plan.items}


def test_draft_plan_hand_checked(world, small_case):
    s = small_case
    plan = ops.draft_plan(world.commune, YEAR)
    db.session.commit()
    assert (plan.status, plan.year, plan.unit_id) == ("draft", YEAR, world.commune.id)
    # A: everyone who needs it (o3 as B's prerequisite) in Q I; B after it, in Q II.
    assert _items(plan) == {("A", 1): sorted([s.o1.id, s.o2.id, s.o3.id]), ("B", 2): [s.o3.id]}
    a, b = sorted(plan.items, key=lambda i: i.course.code)
    assert (a.cost_estimate, b.cost_estimate) == (3_000_000, 2_000_000)
    # Scores (DEFAULT_WEIGHTS): o1 = gap 1 + mandatory 1 + female 0.3 = 2.3; o2 = 2.0; o3 takes
    # A only as a prerequisite: 0. B for o3: 2.0.
    assert a.priority == pytest.approx(round(4.3 / 3, 3))
    assert b.priority == pytest.approx(2.0)
    totals = ops.plan_totals(plan)
    assert (totals["seats"], totals["officials"], totals["cost"]) == (4, 3, 5_000_000)
    assert totals["per_quarter"] == {1: 3, 2: 1, 3: 0, 4: 0}


def test_large_course_is_split_over_quarters_priority_groups_first(world, person):
    young = date(today().year - 25, 1, 1)
    first = [person(world.commune, world.p1, gender="female", ethnicity="Thái", birth_date=young)
             for _ in range(3)]
    rest = [person(world.commune, world.p1) for _ in range(9)]
    db.session.commit()
    plan = ops.draft_plan(world.commune, YEAR)
    items = _items(plan)
    # 12 seats: a quarter is 3 seats; 12 > SPLIT_MIN, so four lines of 3, best scores first.
    assert sorted(items) == [("A", 1), ("A", 2), ("A", 3), ("A", 4)]
    assert items[("A", 1)] == sorted(o.id for o in first)
    assert sum(len(v) for v in items.values()) == 12
    assert sorted(i for v in items.values() for i in v) == sorted(o.id for o in first + rest)


def test_open_cohort_in_the_plan_year_sets_the_quarter(world, small_case):
    start = date(YEAR, 8, 4)
    create_cohort(world.b, code="B-01", start_date=start, end_date=start + timedelta(days=4),
                  capacity=30, location="Hội trường", mode="in_person")
    db.session.commit()
    plan = ops.draft_plan(world.commune, YEAR)
    b = next(i for i in plan.items if i.course.code == "B")
    assert b.quarter == 3 and "B-01" in b.note


def test_regenerating_replaces_only_a_draft(world, small_case, person):
    plan = ops.draft_plan(world.commune, YEAR)
    ops.remove_item(next(i for i in plan.items if i.course.code == "B"))
    db.session.commit()
    newcomer = person(world.commune, world.p1)
    db.session.commit()
    again = ops.draft_plan(world.commune, YEAR)
    db.session.commit()
    assert again.id == plan.id
    assert db.session.scalar(sa.select(sa.func.count(TrainingPlan.id))) == 1
    assert db.session.scalar(sa.select(sa.func.count(TrainingPlanItem.id))) == 2
    assert newcomer.id in _items(again)[("A", 1)]

    ops.submit_plan(again)
    db.session.commit()
    with pytest.raises(DomainError, match="không tạo lại dự thảo"):
        ops.draft_plan(world.commune, YEAR)
    with pytest.raises(DomainError, match="tỉnh tổng hợp"):
        ops.draft_plan(world.province, YEAR)


def test_edit_operations_on_a_draft(world, small_case):
    s = small_case
    plan = ops.draft_plan(world.commune, YEAR)
    a, b = sorted(plan.items, key=lambda i: i.course.code)
    ops.set_item_quarter(a, 2)
    ops.set_item_note(a, "  Học tại xã ")
    assert ops.remove_item_official(a, s.o2) is False
    assert (a.quarter, a.note, a.cost_estimate) == (2, "Học tại xã", 2_000_000)
    assert sorted(o.id for o in a.officials) == sorted([s.o1.id, s.o3.id])
    with pytest.raises(DomainError, match="không có trong dòng"):
        ops.remove_item_official(a, s.o2)
    with pytest.raises(DomainError, match="Quý"):
        ops.set_item_quarter(a, 5)
    assert ops.remove_item_official(b, s.o3) is True  # the last one: the line goes
    db.session.commit()
    assert [i.course.code for i in plan.items] == ["A"]
    ops.remove_item(plan.items[0])
    db.session.commit()
    assert plan.items == []
    assert db.session.scalar(sa.select(sa.func.count(TrainingPlanItem.id))) == 0


def test_submitted_plan_is_not_editable_and_late_submission_is_flagged(world, small_case, users):
    plan = ops.draft_plan(world.commune, YEAR)
    assert ops.submission_deadline(YEAR) == date(YEAR - 1, 12, 31)
    assert ops.submit_plan(plan) is False
    with pytest.raises(DomainError, match="không sửa được"):
        ops.set_item_quarter(plan.items[0], 4)
    with pytest.raises(NotAllowed):
        ops.approve_plan(plan, actor=users.commune)
    with pytest.raises(DomainError, match="ý kiến"):
        ops.return_plan(plan, actor=users.province, comment=" ")
    late = ops.draft_plan(world.commune, today().year)  # this year's: its deadline has passed
    assert ops.submit_plan(late) is True and ops.is_late(late)


# =========================================================================== web lifecycle


def test_submit_return_approve_lifecycle_with_permissions(world, small_case, users, login, client):
    login(users.commune)
    r = client.post("/ke-hoach/tao", data={"unit_id": world.commune.id, "year": YEAR})
    plan = db.session.scalars(sa.select(TrainingPlan)).one()
    assert r.headers["Location"].endswith(f"/ke-hoach/{plan.id}")
    listing = client.get(f"/ke-hoach?nam={YEAR}").get_data(as_text=True)
    assert "Xã Nậm A" in listing and "Dự thảo" in listing and "Xã Đồng B" not in listing
    page = client.get(f"/ke-hoach/{plan.id}").get_data(as_text=True)
    assert "Khóa A dân vận" in page and f"31/12/{YEAR - 1}" in page and "In kế hoạch" in page
    assert client.post(f"/ke-hoach/{plan.id}/gui").status_code == 302
    db.session.refresh(plan)
    assert plan.status == "submitted"
    assert client.post(f"/ke-hoach/{plan.id}/phe-duyet").status_code == 403
    assert client.post(f"/ke-hoach/{plan.id}/tra-lai", data={"comment": "x"}).status_code == 403
    assert client.get("/ke-hoach/tong-hop").status_code == 403
    client.post("/dang-xuat")

    login(users.other)
    assert client.get(f"/ke-hoach/{plan.id}").status_code == 404
    assert client.post(f"/ke-hoach/{plan.id}/gui").status_code == 404
    assert "Xã Nậm A" not in client.get(f"/ke-hoach?nam={YEAR}").get_data(as_text=True)
    client.post("/dang-xuat")

    login(users.province)
    listing = client.get(f"/ke-hoach?nam={YEAR}").get_data(as_text=True)
    assert "Xã Nậm A" in listing and "Đã gửi" in listing and "Xã Đồng B" in listing
    client.post(f"/ke-hoach/{plan.id}/tra-lai", data={"comment": "Bổ sung khóa chữ ký số"})
    db.session.refresh(plan)
    assert (plan.status, plan.comment, plan.decided_by) == (
        "returned", "Bổ sung khóa chữ ký số", users.province.display_name)
    client.post("/dang-xuat")

    login(users.commune)
    assert "Bổ sung khóa chữ ký số" in client.get(f"/ke-hoach/{plan.id}").get_data(as_text=True)
    item = next(i for i in plan.items if i.course.code == "A")
    client.post(f"/ke-hoach/{plan.id}/dong/{item.id}/quy", data={"quarter": 2})
    client.post(f"/ke-hoach/{plan.id}/dong/{item.id}/ghi-chu", data={"note": "Lớp tại xã"})
    client.post(f"/ke-hoach/{plan.id}/dong/{item.id}/bo/{small_case.o2.id}")
    db.session.refresh(item)
    assert (item.quarter, item.note, len(item.officials)) == (2, "Lớp tại xã", 2)
    client.post(f"/ke-hoach/{plan.id}/gui")
    client.post("/dang-xuat")

    login(users.province)
    client.post(f"/ke-hoach/{plan.id}/phe-duyet")
    db.session.refresh(plan)
    assert plan.status == "approved"
    r = client.post(f"/ke-hoach/{plan.id}/dong/{item.id}/quy", data={"quarter": 3},
                    follow_redirects=True)
    assert "không sửa được" in r.get_data(as_text=True)


def test_aggregate_counts_submitted_and_approved_plans_per_course_and_quarter(
        world, small_case, person, users, login, client):
    person(world.other, world.p1)  # with small_case's: two officials of the other commune
    person(world.province, world.p1)  # no plan for the province itself
    a_plan = ops.draft_plan(world.commune, YEAR)  # A: 3 in Q I, B: 1 in Q II
    b_plan = ops.draft_plan(world.other, YEAR)    # A: 2 in Q I
    ops.submit_plan(a_plan)
    ops.submit_plan(b_plan)
    ops.approve_plan(b_plan, actor=users.province)
    db.session.commit()
    table = ops.aggregate_demand(YEAR).set_index("code")
    assert table.loc["A", ["q1", "q2", "q3", "q4", "total", "cost"]].tolist() == [
        5, 0, 0, 0, 5, 5_000_000]
    assert table.loc["B", ["q1", "q2", "total"]].tolist() == [0, 1, 1]
    assert table.loc["A", "provider"] == "Trường Chính trị tỉnh"
    a_plan.status = "returned"  # a returned plan is not counted until it is sent again
    db.session.commit()
    assert ops.aggregate_demand(YEAR).set_index("code").loc["A", "total"] == 2
    assert ops.aggregate_demand(YEAR + 1).empty

    login(users.province)
    page = client.get(f"/ke-hoach/tong-hop?year={YEAR}").get_data(as_text=True)
    assert "Khóa A dân vận" in page and "Trường Chính trị tỉnh" in page


def _sheet(response):
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    return openpyxl.load_workbook(io.BytesIO(response.data))


def test_plan_and_aggregate_export_to_excel(world, small_case, users, login, client):
    plan = ops.draft_plan(world.commune, YEAR)
    ops.submit_plan(plan)
    db.session.commit()
    login(users.province)
    book = _sheet(client.get(f"/ke-hoach/{plan.id}/excel"))
    ws = book["Kế hoạch"]
    assert ws["A1"].value == f"Kế hoạch đào tạo, bồi dưỡng năm {YEAR}"
    assert "Xã Nậm A" in ws["A2"].value
    rows = list(ws.iter_rows(min_row=3, values_only=True))
    assert rows[0][:6] == ("Quý", "Mã khóa", "Khóa học", "Cơ sở đào tạo", "Số cán bộ",
                           "Chi phí dự kiến (đồng)")
    assert [r[:2] + r[4:6] for r in rows[1:]] == [("Quý I", "A", 3, 3_000_000),
                                                  ("Quý II", "B", 1, 2_000_000)]
    people = list(book["Danh sách cán bộ"].iter_rows(min_row=4, values_only=True))
    assert len(people) == 4 and {p[4] for p in people} == {
        small_case.o1.full_name, small_case.o2.full_name, small_case.o3.full_name}

    ws = _sheet(client.get(f"/ke-hoach/tong-hop/excel?year={YEAR}"))["Tổng hợp nhu cầu"]
    rows = list(ws.iter_rows(min_row=3, values_only=True))
    assert rows[0] == ("Mã khóa", "Khóa học", "Cơ sở đào tạo", "Quý I", "Quý II", "Quý III",
                       "Quý IV", "Tổng số cán bộ", "Chi phí dự kiến (đồng)")
    assert rows[1] == ("A", "Khóa A dân vận", "Trường Chính trị tỉnh", 3, 0, 0, 0, 3, 3_000_000)
    assert rows[2] == ("B", "Khóa B chuyển đổi số", "Trường Chính trị tỉnh", 0, 1, 0, 0, 1,
                       2_000_000)
