"""Review campaigns (issue 13 §1, KH-2, DL-a): HR opens one in scope, officials self-assess,
the supervisor confirms or changes each level (writing the evidence as imports do), HR follows
progress by unit, reminds once a day, closes; who is below standard lands on a list."""
from __future__ import annotations

import io
import re
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
import time_machine

from trainer.catalog.models import Competency, Position
from trainer.core.errors import DomainError
from trainer.core.extensions import db
from trainer.core.timeutil import today, utcnow
from trainer.guidance.operations import catalogue, load_population
from trainer.notices.models import Notification
from trainer.people.models import Assessment, Official
from trainer.people.operations import set_unit_leader
from trainer.reviews import operations as ops
from trainer.reviews import queries as q
from trainer.reviews.models import CampaignLevel, CampaignReview, ReviewCampaign


def position(code):
    return db.session.scalar(sa.select(Position).where(Position.code == code))


@pytest.fixture
def world(catalog, province, make_unit, make_official, make_user):
    """Commune A (mountain) with a chairman who leads it, a department with two specialists,
    someone without a position; commune B with one official. HR of A, HR of the province."""
    top, a, b = province
    dept = make_unit(code="LCU-X01-VP", name="Văn phòng HĐND và UBND xã A", kind="department",
                     parent_id=a.id, region=None)
    chairman = make_official(unit=a, position=position("CT-UBND"), full_name="Lò Văn Chủ")
    clerk = make_official(unit=dept, position=position("CHANH-VP"), full_name="Điêu Thị Văn")
    deputy = make_official(unit=dept, position=position("PHO-CVP"), full_name="Tòng Văn Phó")
    make_official(unit=a, position=None, full_name="Hà Văn Chưa")
    other = make_official(unit=b, position=position("CHANH-VP"), full_name="Vi Thị Khác")
    set_unit_leader(a, chairman)
    db.session.commit()
    users = {
        "hr": make_user("hr", unit_id=a.id), "province": make_user("hr", unit_id=top.id),
        "clerk_u": make_user("official", official_id=clerk.id),
        "chairman_u": make_user("official", official_id=chairman.id),
        "deputy_u": make_user("official", official_id=deputy.id),
        "other_u": make_user("official", official_id=other.id)}
    return dict(top=top, a=a, b=b, dept=dept, chairman=chairman, clerk=clerk, deputy=deputy,
                other=other, **users)


def open_over(units, **kw):
    values = dict(name="Đánh giá năng lực năm 2026", period_start=today(),
                  period_end=today() + timedelta(days=30), unit_ids=[u.id for u in units],
                  position_codes=[], competency_codes=[], scope=None, owner_unit_id=units[0].id,
                  actor_name="Cán bộ tổ chức")
    values.update(kw)
    campaign, _ = ops.open_campaign(**values)
    db.session.commit()
    return campaign


def review_of(campaign, official):
    return db.session.scalar(sa.select(CampaignReview).where(
        CampaignReview.campaign_id == campaign.id, CampaignReview.official_id == official.id))


def submit(review, level_of=lambda lv: 2):
    ops.save_self_assessment(review, {lv.competency_id: level_of(lv) for lv in review.levels},
                             submit=True)
    db.session.commit()


def confirm_as_given(review, supervisor, name="Lò Văn Chủ"):
    ops.confirm_review(review, {lv.competency_id: ops.Decision(lv.self_level)
                                for lv in review.levels}, supervisor=supervisor, actor_name=name)
    db.session.commit()


# --------------------------------------------------------------------------- opening


def test_hr_opens_a_campaign_over_its_units_asking_each_framework(world, login, client):
    login(world["hr"])
    page = client.get("/dot-danh-gia/moi")
    assert page.status_code == 200 and "Xã B" not in page.text  # only HR's units are offered
    response = client.post("/dot-danh-gia/moi", data={
        "name": "Đánh giá năng lực 2026", "period_start": today().strftime("%d/%m/%Y"),
        "period_end": (today() + timedelta(days=30)).strftime("%d/%m/%Y"),
        "unit_ids": [str(world["a"].id)]}, follow_redirects=True)
    assert "Đã mở đợt đánh giá “Đánh giá năng lực 2026” với 3 cán bộ" in response.text
    campaign = db.session.scalar(sa.select(ReviewCampaign))
    assert campaign.owner_unit_id == world["a"].id and campaign.created_by
    # the commune's officials with a position, the department below included; not B's, not the
    # one without a position
    assert {r.official_id for r in campaign.reviews} == {
        world["chairman"].id, world["clerk"].id, world["deputy"].id}
    # each is asked what the gap computation requires: position and region (A is mountain)
    cat = catalogue()
    pop = load_population(cat, Official.id == world["clerk"].id)
    required = {cat.competency_ids[c] for c in np.flatnonzero(pop.required[0] > 0)}
    assert {lv.competency_id for lv in review_of(campaign, world["clerk"]).levels} == required
    notices = db.session.scalars(sa.select(Notification).where(Notification.kind == "review"))
    assert {n.official_id for n in notices} == {r.official_id for r in campaign.reviews}


def test_opening_outside_hrs_units_is_refused(world, login, client):
    login(world["hr"])
    response = client.post("/dot-danh-gia/moi", data={
        "name": "Đợt lấn phạm vi", "period_start": today().strftime("%d/%m/%Y"),
        "period_end": (today() + timedelta(days=30)).strftime("%d/%m/%Y"),
        "unit_ids": [str(world["b"].id)]})
    assert response.status_code == 400
    assert "Đơn vị “Xã B” ngoài phạm vi quản lý của bạn." in response.text
    assert db.session.scalar(sa.select(sa.func.count(ReviewCampaign.id))) == 0


def test_positions_and_competencies_narrow_the_campaign(world):
    dd01 = db.session.scalar(sa.select(Competency).where(Competency.code == "DD-01"))
    campaign = open_over([world["a"]], position_codes=["CHANH-VP", "PHO-CVP"],
                         competency_codes=["DD-01", "HC-03"])
    assert {r.official_id for r in campaign.reviews} == {world["clerk"].id, world["deputy"].id}
    clerk = review_of(campaign, world["clerk"])
    assert {lv.competency.code for lv in clerk.levels} == {"DD-01", "HC-03"}
    deputy = review_of(campaign, world["deputy"])
    assert {lv.competency_id for lv in deputy.levels} >= {dd01.id}


# --------------------------------------------------------------------------- self-assessment


def test_the_official_saves_a_draft_then_submits(world, login, client):
    campaign = open_over([world["a"]])
    review = review_of(campaign, world["clerk"])
    first, *rest = review.levels
    login(world["clerk_u"])
    assert "Đánh giá năng lực" in client.get("/toi").text  # the menu shows the page
    page = client.get(f"/dot-danh-gia/tu-danh-gia/{review.id}")
    assert page.status_code == 200
    assert first.competency.name in page.text and "4 — Thành thạo" in page.text
    client.post(f"/dot-danh-gia/tu-danh-gia/{review.id}",
                data={f"level_{first.competency_id}": "3", "action": "draft"})
    db.session.expire_all()
    assert review.levels[0].self_level == 3 and review.self_submitted_at is None
    # submitting with levels missing is refused, naming how many
    response = client.post(f"/dot-danh-gia/tu-danh-gia/{review.id}",
                           data={f"level_{first.competency_id}": "3", "action": "submit"})
    assert f"Chọn mức cho {len(rest)} năng lực còn thiếu" in response.text
    data = {f"level_{lv.competency_id}": "2" for lv in review.levels} | {"action": "submit"}
    response = client.post(f"/dot-danh-gia/tu-danh-gia/{review.id}", data=data,
                           follow_redirects=True)
    assert "Đã gửi bản tự đánh giá cho cấp trên xác nhận." in response.text
    db.session.expire_all()
    assert review.self_submitted_at is not None
    # the chairman (the commune's leader: the department has none) is told
    assert db.session.scalar(sa.select(Notification).where(
        Notification.official_id == world["chairman"].id,
        Notification.dedupe_key == f"review-submitted-{review.id}")) is not None
    # submitted: locked for the official
    response = client.post(f"/dot-danh-gia/tu-danh-gia/{review.id}",
                           data=data | {"action": "draft"})
    assert "Bạn đã gửi bản tự đánh giá: không sửa được nữa." in response.text
    page = client.get(f"/dot-danh-gia/tu-danh-gia/{review.id}")
    assert "chờ cấp trên xác nhận" in page.text and "Lưu nháp" not in page.text


# --------------------------------------------------------------------------- the supervisor


def test_the_supervisor_confirms_a_change_with_a_comment_writing_both_evidence_rows(
        world, login, client):
    campaign = open_over([world["a"]])
    review = review_of(campaign, world["clerk"])
    submit(review)
    submitted_on = today()
    changed = review.levels[0]
    login(world["chairman_u"])
    queue = client.get("/dot-danh-gia/cap-duoi")
    assert "Đánh giá cấp dưới" in queue.text and "Điêu Thị Văn" in queue.text
    data = {f"level_{lv.competency_id}": "2" for lv in review.levels}
    data[f"level_{changed.competency_id}"] = "1"
    response = client.post(f"/dot-danh-gia/cap-duoi/{review.id}", data=data)
    assert f"Ghi nhận xét khi đổi mức của “{changed.competency.name}”" in response.text
    db.session.expire_all()
    assert review.confirmed_at is None
    data[f"comment_{changed.competency_id}"] = "Chưa tự soạn được văn bản phức tạp."
    response = client.post(f"/dot-danh-gia/cap-duoi/{review.id}", data=data,
                           follow_redirects=True)
    assert "Đã xác nhận kết quả đánh giá của Điêu Thị Văn." in response.text
    db.session.expire_all()
    assert review.confirmed_at is not None and review.confirmed_by == "Lò Văn Chủ"
    rows = db.session.scalars(sa.select(Assessment).where(
        Assessment.official_id == world["clerk"].id,
        Assessment.competency_id == changed.competency_id)).all()
    assert sorted((a.source, a.level, a.assessor, a.assessed_on) for a in rows) == [
        ("self", 2, "Điêu Thị Văn", submitted_on), ("supervisor", 1, "Lò Văn Chủ", today())]
    assert db.session.scalar(sa.select(sa.func.count(Assessment.id)).where(
        Assessment.official_id == world["clerk"].id)) == 2 * len(review.levels)
    level = db.session.get(CampaignLevel, (review.id, changed.competency_id))
    assert level.confirmed_level == 1 and level.comment.startswith("Chưa tự soạn")
    assert "Không có phiếu nào" in client.get("/dot-danh-gia/cap-duoi").text


def test_another_official_or_supervisor_is_refused(world, login, client, make_user):
    campaign = open_over([world["a"]])
    review = review_of(campaign, world["clerk"])
    submit(review)
    login(world["deputy_u"])  # a colleague, not the supervisor
    assert client.get(f"/dot-danh-gia/cap-duoi/{review.id}").status_code == 404
    assert client.get(f"/dot-danh-gia/tu-danh-gia/{review.id}").status_code == 404
    assert "Điêu Thị Văn" not in client.get("/dot-danh-gia/cap-duoi").text
    client.post("/dang-xuat")
    login(world["other_u"])  # another commune's official
    assert client.post(f"/dot-danh-gia/cap-duoi/{review.id}", data={}).status_code == 404
    client.post("/dang-xuat")
    # HR names the deputy as assessor: the chairman no longer sees it, the deputy does
    ops.set_assessor(review, world["deputy"])
    db.session.commit()
    login(world["chairman_u"])
    assert client.get(f"/dot-danh-gia/cap-duoi/{review.id}").status_code == 404
    client.post("/dang-xuat")
    login(world["deputy_u"])
    assert "Điêu Thị Văn" in client.get("/dot-danh-gia/cap-duoi").text
    assert client.get(f"/dot-danh-gia/cap-duoi/{review.id}").status_code == 200
    # HR of another commune does not see the campaign
    client.post("/dang-xuat")
    login(make_user("hr", unit_id=world["b"].id))
    assert client.get(f"/dot-danh-gia/{campaign.id}").status_code == 404
    assert client.get(f"/dot-danh-gia/cap-duoi/{review.id}").status_code == 404


def test_hr_confirms_on_behalf_only_when_there_is_no_supervisor(world, login, client):
    campaign = open_over([world["a"]])
    chairman_review = review_of(campaign, world["chairman"])  # the commune's leader: nobody above
    clerk_review = review_of(campaign, world["clerk"])
    submit(chairman_review)
    submit(clerk_review)
    login(world["hr"])
    unit_page = client.get(f"/dot-danh-gia/{campaign.id}/don-vi/{world['a'].id}")
    assert "Không có cấp trên: cán bộ tổ chức xác nhận thay" in unit_page.text
    page = client.get(f"/dot-danh-gia/cap-duoi/{chairman_review.id}")
    assert "anh/chị xác nhận thay với tư cách cán bộ tổ chức" in page.text
    data = {f"level_{lv.competency_id}": "2" for lv in chairman_review.levels}
    client.post(f"/dot-danh-gia/cap-duoi/{chairman_review.id}", data=data)
    db.session.expire_all()
    assert chairman_review.confirmed_at is not None
    assert "xác nhận thay" in chairman_review.confirmed_by
    hr_name = world["hr"].display_name
    assert {a.assessor for a in db.session.scalars(sa.select(Assessment).where(
        Assessment.official_id == world["chairman"].id, Assessment.source == "supervisor"))} \
        == {hr_name}
    # the clerk has a supervisor: HR may not confirm for them
    page = client.get(f"/dot-danh-gia/cap-duoi/{clerk_review.id}")
    assert "Phiếu này do Lò Văn Chủ xác nhận" in page.text
    data = {f"level_{lv.competency_id}": "2" for lv in clerk_review.levels}
    response = client.post(f"/dot-danh-gia/cap-duoi/{clerk_review.id}", data=data)
    assert "cán bộ tổ chức chỉ xác nhận thay khi không có cấp trên" in response.text
    db.session.expire_all()
    assert clerk_review.confirmed_at is None


def test_hr_sets_the_units_leader_and_assessors(world, login, client):
    campaign = open_over([world["a"]])
    dept = world["dept"]
    login(world["hr"])
    page = client.get(f"/dot-danh-gia/{campaign.id}/don-vi/{dept.id}")
    assert page.status_code == 200 and "Lãnh đạo đơn vị: chưa đặt" in page.text
    client.post(f"/dot-danh-gia/{campaign.id}/don-vi/{dept.id}/lanh-dao",
                data={"official_id": world["clerk"].id})
    db.session.expire_all()
    assert ops.effective_supervisor(review_of(campaign, world["deputy"])) == world["clerk"]
    assert ops.effective_supervisor(review_of(campaign, world["clerk"])) == world["chairman"]
    response = client.post(f"/dot-danh-gia/{campaign.id}/don-vi/{dept.id}/nguoi-xac-nhan",
                           data={"unit-official_id": world["chairman"].id},
                           follow_redirects=True)
    assert "Đã đặt người xác nhận cho 2 cán bộ" in response.text
    db.session.expire_all()
    assert ops.effective_supervisor(review_of(campaign, world["deputy"])) == world["chairman"]
    # an official outside HR's scope cannot be named
    deputy_review = review_of(campaign, world["deputy"])
    assert client.post(f"/dot-danh-gia/{campaign.id}/phieu/{deputy_review.id}/nguoi-xac-nhan",
                       data={f"a{deputy_review.id}-official_id": world["other"].id}
                       ).status_code == 404


# --------------------------------------------------------------------------- progress


def test_progress_by_unit_counts_in_sql(world, login, client):
    campaign = open_over([world["a"]])
    submit(review_of(campaign, world["clerk"]))
    submit(review_of(campaign, world["deputy"]))
    confirm_as_given(review_of(campaign, world["clerk"]), world["chairman"])
    rows, totals = q.progress_by_unit(campaign)
    assert (totals.participants, totals.submitted, totals.confirmed) == (3, 2, 1)
    by_name = {r.name: r for r in rows}
    commune, dept = by_name["Xã A"], by_name["Văn phòng HĐND và UBND xã A"]
    assert commune.depth == 0 and dept.depth == 1
    assert (commune.own.participants, commune.total.participants) == (1, 3)
    assert (dept.total.participants, dept.total.submitted, dept.total.confirmed) == (2, 2, 1)
    assert dept.total.share_confirmed == 50.0
    login(world["hr"])
    page = client.get(f"/dot-danh-gia/{campaign.id}")
    assert page.status_code == 200 and "Tiến độ theo đơn vị" in page.text
    assert "33,3%" in page.text  # 1 of 3 confirmed
    index = client.get("/dot-danh-gia")
    assert "Đánh giá năng lực năm 2026" in index.text
    # the province's HR follows it too
    client.post("/dang-xuat")
    login(world["province"])
    assert client.get(f"/dot-danh-gia/{campaign.id}").status_code == 200


# --------------------------------------------------------------------------- reminders


def test_reminders_go_once_a_day_to_whoever_must_act(world, login, client):
    campaign = open_over([world["a"]])
    submit(review_of(campaign, world["clerk"]))  # waits for the chairman
    confirm_target = review_of(campaign, world["deputy"])
    submit(confirm_target)
    confirm_as_given(confirm_target, world["chairman"])  # done: never reminded
    login(world["hr"])
    response = client.post(f"/dot-danh-gia/{campaign.id}/nhac", follow_redirects=True)
    # the chairman has not self-assessed (one reminder) and waits to confirm the clerk (one)
    assert "Đã nhắc 1 cán bộ chưa tự đánh giá và 1 cấp trên chưa xác nhận" in response.text
    assert ops.remind_campaign(campaign) == (0, 0)  # the same day: nobody again
    db.session.commit()
    reminded = db.session.scalars(sa.select(Notification).where(
        Notification.dedupe_key.like("review-remind-%"))).all()
    assert sorted(n.official_id for n in reminded) == [world["chairman"].id] * 2
    assert all(r.reminded_at is not None for r in campaign.reviews if r.confirmed_at is None)
    with time_machine.travel(utcnow() + timedelta(days=1)):
        assert ops.remind_campaign(campaign) == (1, 1)
        db.session.commit()


def test_the_chairman_is_reminded_to_self_assess_and_the_cli_counts(world, runner):
    open_over([world["a"]])
    result = runner.invoke(args=["reviews", "remind"])
    assert result.exit_code == 0, result.output
    assert "1 đợt đang mở: đã nhắc 3 cán bộ chưa tự đánh giá, 0 cấp trên" in result.output
    result = runner.invoke(args=["reviews", "remind"])
    assert "đã nhắc 0 cán bộ chưa tự đánh giá, 0 cấp trên" in result.output


# --------------------------------------------------------------------------- closing


def test_closing_locks_everything_and_lists_the_unconfirmed(world, login, client):
    campaign = open_over([world["a"]])
    review = review_of(campaign, world["clerk"])
    submit(review)
    login(world["hr"])
    page = client.get(f"/dot-danh-gia/{campaign.id}")
    assert "data-confirm=\"Kết thúc đợt" in page.text
    response = client.post(f"/dot-danh-gia/{campaign.id}/ket-thuc", follow_redirects=True)
    assert "Đã kết thúc đợt đánh giá" in response.text
    assert "Phiếu chưa được xác nhận khi kết thúc (3)" in response.text
    assert "đã tự đánh giá, chưa được cấp trên xác nhận" in response.text
    db.session.expire_all()
    assert campaign.status == "closed" and campaign.closed_by
    with pytest.raises(DomainError, match="đã kết thúc"):
        confirm_as_given(review, world["chairman"])
    db.session.rollback()
    with pytest.raises(DomainError, match="đã kết thúc"):
        ops.save_self_assessment(review_of(campaign, world["deputy"]), {}, submit=False)
    db.session.rollback()
    with pytest.raises(DomainError, match="đã kết thúc"):
        ops.remind_campaign(campaign)
    db.session.rollback()
    assert review.confirmed_at is None
    assert db.session.scalar(sa.select(sa.func.count(Assessment.id))) == 0
    client.post("/dang-xuat")
    login(world["chairman_u"])
    page = client.get(f"/dot-danh-gia/cap-duoi/{review.id}")
    assert page.status_code == 200 and "Đợt đánh giá đã kết thúc." in page.text
    assert "Xác nhận kết quả</button>" not in page.text
    assert "Không có phiếu nào" in client.get("/dot-danh-gia/cap-duoi").text


# --------------------------------------------------------------------------- KH-2


def test_below_standard_after_review_lists_gaps_and_exports(world, login, client):
    campaign = open_over([world["a"]])
    clerk = review_of(campaign, world["clerk"])
    deputy = review_of(campaign, world["deputy"])
    submit(clerk, level_of=lambda lv: 4)
    submit(deputy, level_of=lambda lv: 4)
    weak = clerk.levels[0]
    ops.confirm_review(clerk, {lv.competency_id: ops.Decision(
        1 if lv.competency_id == weak.competency_id else 4,
        "Còn yếu" if lv.competency_id == weak.competency_id else "")
        for lv in clerk.levels}, supervisor=world["chairman"], actor_name="Lò Văn Chủ")
    confirm_as_given(deputy, world["chairman"])  # at level 4: above every requirement
    below = q.below_standard(campaign)
    assert list(below["official_id"].unique()) == [world["clerk"].id]
    row = below.iloc[0]
    assert row.competency == weak.competency.name and row.confirmed == 1 and row.gap >= 1
    login(world["hr"])
    page = client.get(f"/dot-danh-gia/{campaign.id}/can-dao-tao")
    assert "Cần đào tạo hoặc bố trí lại (1)" in page.text and "Điêu Thị Văn" in page.text
    assert f"/can-bo/{world['clerk'].id}" in page.text  # a link to the record
    assert "Tòng Văn Phó" not in page.text
    response = client.get(f"/dot-danh-gia/{campaign.id}/can-dao-tao/excel")
    assert response.status_code == 200
    sheet = pd.read_excel(io.BytesIO(response.data), header=2)
    assert list(sheet["Họ và tên"]) == ["Điêu Thị Văn"]
    assert sheet["Mức được xác nhận"].iloc[0] == 1


def test_exported_names_stay_text(world, login, client):
    world["clerk"].full_name = '=HYPERLINK("http://x","bấm")'
    db.session.commit()
    campaign = open_over([world["a"]])
    clerk = review_of(campaign, world["clerk"])
    submit(clerk, level_of=lambda lv: 0)
    confirm_as_given(clerk, world["chairman"])
    login(world["hr"])
    from openpyxl import load_workbook
    data = client.get(f"/dot-danh-gia/{campaign.id}/can-dao-tao/excel").data
    ws = load_workbook(io.BytesIO(data)).active
    cells = [c for row in ws.iter_rows() for c in row if isinstance(c.value, str)
             and c.value.startswith("=HYPERLINK")]
    assert cells and all(c.data_type == "s" for c in cells)


def test_my_reviews_page_lists_the_officials_campaigns(world, login, client):
    campaign = open_over([world["a"]])
    login(world["clerk_u"])
    page = client.get("/dot-danh-gia/cua-toi")
    assert campaign.name in page.text and "Tự đánh giá" in page.text
    assert re.search(r"\d+ năng lực", page.text)
    client.post("/dang-xuat")
    login(world["other_u"])  # not in the campaign: the menu has no link
    assert "/dot-danh-gia/cua-toi" not in client.get("/toi").text


# --------------------------------------------------------------------------- the browser


@pytest.mark.browser
def test_a_campaign_from_opening_to_closing_in_the_browser(web, world, tmp_path):
    from playwright.sync_api import expect
    page = web

    def sign_in(user, home):
        page.context.clear_cookies()
        page.goto("/dang-nhap")
        page.fill("#username", user.username)
        page.fill("#password", "matkhau123")
        page.click("button[type=submit]")
        page.wait_for_url(f"**{home}")

    # HR of commune A opens a campaign for the office's chiefs
    sign_in(world["hr"], "/muc-tieu/")
    page.goto("/dot-danh-gia")
    page.get_by_role("link", name="Mở đợt đánh giá").click()
    page.fill("#name", "Đánh giá năng lực quý IV")
    page.fill("#period_start", today().strftime("%d/%m/%Y"))
    page.fill("#period_end", (today() + timedelta(days=20)).strftime("%d/%m/%Y"))
    page.select_option("#unit_ids", label="Xã A")
    page.select_option("#position_codes", label="Chánh Văn phòng HĐND và UBND xã")
    page.get_by_role("button", name="Mở đợt đánh giá").click()
    expect(page.locator(".alert-success")).to_contain_text(
        "Đã mở đợt đánh giá “Đánh giá năng lực quý IV” với 1 cán bộ")
    expect(page.locator("#share-confirmed")).to_have_text("0,0%")
    campaign_url = page.url

    # the official self-assesses on a phone
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(world["clerk_u"], "/toi")
    page.goto("/dot-danh-gia/cua-toi")
    page.get_by_role("link", name="Tự đánh giá").click()
    fieldsets = page.locator("form fieldset")
    count = fieldsets.count()
    assert count >= 5
    for i in range(count):
        fieldsets.nth(i).get_by_label("3 — Khá").check()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.screenshot(path=str(tmp_path / "tu-danh-gia-390.png"), full_page=True)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Gửi cấp trên xác nhận").click()
    expect(page.locator(".alert-success")).to_contain_text("Đã gửi bản tự đánh giá")
    expect(page.get_by_text("Đã gửi, chờ cấp trên xác nhận")).to_be_visible()
    page.set_viewport_size({"width": 1280, "height": 800})

    # the chairman confirms, lowering one level with a comment
    sign_in(world["chairman_u"], "/toi")
    page.get_by_role("link", name="Đánh giá năng lực").first.click()
    page.get_by_role("link", name=re.compile("Đánh giá cấp dưới: 1 phiếu")).click()
    page.get_by_role("link", name="Xác nhận").click()
    first = page.locator("form fieldset").first
    first.locator("select").select_option("2")
    page.get_by_role("button", name="Xác nhận kết quả").click()
    expect(page.locator(".alert-danger")).to_contain_text("Ghi nhận xét khi đổi mức")
    first = page.locator("form fieldset").first
    first.locator("select").select_option("2")
    first.locator("input[type=text]").fill("Cần rèn thêm kỹ năng soạn thảo.")
    page.get_by_role("button", name="Xác nhận kết quả").click()
    expect(page.locator(".alert-success")).to_contain_text(
        "Đã xác nhận kết quả đánh giá của Điêu Thị Văn.")

    # HR sees 100% and closes the campaign
    sign_in(world["hr"], "/muc-tieu/")
    page.goto(campaign_url)
    expect(page.locator("#share-confirmed")).to_have_text("100,0%")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Kết thúc đợt đánh giá").click()
    expect(page.locator(".alert-success")).to_contain_text("Đã kết thúc đợt đánh giá")
    expect(page.get_by_text("Mọi phiếu đều đã được xác nhận.")).to_be_visible()
    expect(page.get_by_role("button", name="Kết thúc đợt đánh giá")).to_have_count(0)
    db.session.expire_all()
    sources = sorted(db.session.scalars(sa.select(Assessment.source).where(
        Assessment.official_id == world["clerk"].id)))
    assert sources.count("self") == sources.count("supervisor") == count


def test_every_review_page_is_vietnamese(world, login, client):
    from tests.test_vietnamese import problems_of
    campaign = open_over([world["a"]], position_codes=["CHANH-VP", "PHO-CVP"],
                         competency_codes=["DD-01", "HC-03"])
    clerk = review_of(campaign, world["clerk"])
    submit(clerk, level_of=lambda lv: 0)
    submit(review_of(campaign, world["deputy"]))
    confirm_as_given(clerk, world["chairman"])
    deputy = review_of(campaign, world["deputy"])
    pages = {"hr": ["/dot-danh-gia", "/dot-danh-gia/moi", f"/dot-danh-gia/{campaign.id}",
                    f"/dot-danh-gia/{campaign.id}/don-vi/{world['dept'].id}",
                    f"/dot-danh-gia/{campaign.id}/can-dao-tao",
                    f"/dot-danh-gia/cap-duoi/{clerk.id}"],
             "clerk_u": ["/dot-danh-gia/cua-toi", f"/dot-danh-gia/tu-danh-gia/{clerk.id}"],
             "deputy_u": [f"/dot-danh-gia/tu-danh-gia/{deputy.id}"],
             "chairman_u": ["/dot-danh-gia/cua-toi", "/dot-danh-gia/cap-duoi",
                            f"/dot-danh-gia/cap-duoi/{deputy.id}"]}
    found = []
    for who, urls in pages.items():
        login(world[who])
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, (who, url)
            found += [f"{url}: {p}" for p in problems_of(response.text)]
        client.post("/dang-xuat")
    assert not found, "\n".join(found)


def test_progress_costs_the_same_queries_whatever_the_number_of_officials(world, make_official):
    def statements(campaign):
        seen = []

        def count(*_args):
            seen.append(1)
        db.session.expire_all()
        sa.event.listen(db.engine, "before_cursor_execute", count)
        try:
            q.progress_by_unit(campaign)
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count)
        return len(seen)

    small = open_over([world["dept"]])
    for n in range(20):
        make_official(unit=world["dept"], position=position("CHANH-VP"),
                      full_name=f"Cán Bộ Thêm {n}")
    db.session.commit()
    large = open_over([world["dept"]], name="Đợt thứ hai")
    assert len(large.reviews) == len(small.reviews) + 20
    statements(small)  # the unit tree is read once and kept
    assert statements(large) == statements(small)


def test_a_draft_keeps_the_cached_figures_and_a_confirmation_moves_only_its_officials_part(
        world, monkeypatch):
    """core.cache: the campaign's working rows are read by no cached figure (BOOKKEEPING), so
    opening and self-assessing keep every cached dashboard part; the confirmation's evidence
    moves the confirmed official's part only."""
    from trainer.core import cache
    monkeypatch.setattr(cache, "PART_SIZE", 1)  # a part per official
    clerk, deputy = world["clerk"], world["deputy"]

    def versions():
        parts = cache.part_versions([clerk.id, deputy.id])
        return parts[clerk.id][0], parts[deputy.id][0], cache.data_version()[0]

    before = versions()
    campaign = open_over([world["a"]])
    review = review_of(campaign, clerk)
    submit(review)
    assert versions() == before
    confirm_as_given(review, world["chairman"])
    after = versions()
    assert after[0] != before[0] and after[1] == before[1] and after[2] != before[2]
