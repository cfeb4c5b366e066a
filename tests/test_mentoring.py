"""On-site mentoring (kèm cặp tại chỗ, KH-5) — issue 13 §3: pairing and its rules, scope, both
parties' pages, the mentor's sessions, closing by the supervisor into "mentoring" evidence,
cancelling, and the counts by unit."""
from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from trainer.catalog.models import Competency, Position, PositionRequirement
from trainer.core.errors import DomainError
from trainer.core.extensions import db
from trainer.core.timeutil import today
from trainer.guidance.operations import guidance_for
from trainer.mentoring import operations as ops
from trainer.mentoring import queries
from trainer.mentoring.models import MentoringSession, Mentorship
from trainer.notices.models import Notification
from trainer.people.models import Assessment
from trainer.people.operations import record_assessment, set_unit_leader


@pytest.fixture
def world(app, make_unit, make_official, make_user):
    """A province with two mountain communes. Commune A: its chairman (the unit leader, with an
    account), a skilled land officer (level 4 in land administration, the mentor) and a young
    officer at level 1 (the mentee), both in the land position that requires level 3; a
    colleague at level 2. Commune B: an official of its own. HR accounts for A, B and the
    province."""
    land = Competency(code="NL-DD", name="Quản lý đất đai", group="execution", domain="land")
    docs = Competency(code="NL-VB", name="Soạn thảo văn bản", group="execution", domain="admin")
    db.session.add_all([land, docs])
    db.session.flush()
    position = Position(code="DC", name="Công chức địa chính - xây dựng", group="specialist")
    db.session.add(position)
    db.session.flush()
    db.session.add_all([PositionRequirement(position_id=position.id, competency_id=land.id,
                                            level=3),
                        PositionRequirement(position_id=position.id, competency_id=docs.id,
                                            level=2)])
    top = make_unit(code="LCU", name="Tỉnh Lai Châu", kind="province", region=None)
    a = make_unit(code="LCU-X01", name="Xã Nậm Tăm", parent_id=top.id, region="mountain")
    b = make_unit(code="LCU-X02", name="Xã Pa Ủ", parent_id=top.id, region="mountain")
    chair = make_official(unit=a, full_name="Lò Văn Chung")
    mentor = make_official(unit=a, position=position, full_name="Tòng Thị Hoa")
    mentee = make_official(unit=a, position=position, full_name="Lường Văn Tài")
    colleague = make_official(unit=a, position=position, full_name="Điêu Thị Mai")
    outsider = make_official(unit=b, position=position, full_name="Vàng A Sử")
    set_unit_leader(a, chair)
    past = today() - timedelta(days=60)
    for who, level in ((mentor, 4), (mentee, 1), (colleague, 2), (outsider, 4)):
        record_assessment(who, land, level, source="supervisor", assessor="Lò Văn Chung",
                          on=past)
    record_assessment(mentor, docs, 3, source="test", assessor="Sở Nội vụ", on=past)
    db.session.commit()
    users = SimpleNamespace(
        hr_a=make_user("hr", unit_id=a.id), hr_b=make_user("hr", unit_id=b.id),
        province=make_user("hr", unit_id=top.id),
        chair=make_user("official", official_id=chair.id),
        mentor=make_user("official", official_id=mentor.id),
        mentee=make_user("official", official_id=mentee.id),
        colleague=make_user("official", official_id=colleague.id))
    return SimpleNamespace(land=land, docs=docs, position=position, top=top, a=a, b=b,
                           chair=chair, mentor=mentor, mentee=mentee, colleague=colleague,
                           outsider=outsider, users=users)


def _pair(w, *, mentee=None, mentor=None, competency=None, target=3, start=None, days=90):
    start = start or today() - timedelta(days=30)
    m = ops.pair_mentor(mentee or w.mentee, mentor or w.mentor, competency or w.land,
                        target_level=target, start=start, end=start + timedelta(days=days),
                        actor_name="Cán bộ tổ chức xã")
    db.session.commit()
    return m


def _form(start=None, end=None, **kw):
    start = start or today() - timedelta(days=7)
    end = end or today() + timedelta(days=60)
    return {"start_date": f"{start:%d/%m/%Y}", "end_date": f"{end:%d/%m/%Y}", "target_level": 3,
            **kw}


# --------------------------------------------------------------------------- pairing


def test_hr_pairs_from_the_suggestions_on_the_record_and_both_are_told(world, login):
    w = world
    client = login(w.users.hr_a)
    record = client.get(f"/can-bo/{w.mentee.id}").get_data(as_text=True)
    assert "Phân công kèm cặp" in record
    assert f"/kem-cap/moi?can_bo={w.mentee.id}" in record
    # the suggestion names the skilled colleague for the land gap, with a prefilled link
    assert guidance_for(w.mentee).mentors[0][0] == w.mentor.id
    link = f"/kem-cap/moi?can_bo={w.mentee.id}&amp;nguoi_kem={w.mentor.id}&amp;nang_luc={w.land.id}"
    assert link in record
    page = client.get(link.replace("&amp;", "&"))
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f'value="{w.mentee.code}"' in html and f'value="{w.mentor.code}"' in html
    assert f'<option selected value="{w.land.id}">' in html
    response = client.post("/kem-cap/moi", data=_form(
        mentee_code=w.mentee.code, mentor_code=w.mentor.code, competency_id=w.land.id))
    assert response.status_code == 302
    m = db.session.scalar(sa.select(Mentorship))
    assert (m.mentee_id, m.mentor_id, m.competency_id, m.target_level, m.status) == (
        w.mentee.id, w.mentor.id, w.land.id, 3, "active")
    assert m.created_by == w.users.hr_a.display_name
    told = db.session.execute(sa.select(Notification.official_id, Notification.kind)).all()
    assert sorted(told) == sorted([(w.mentee.id, "mentoring"), (w.mentor.id, "mentoring")])
    detail = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Tòng Thị Hoa" in detail and "Lường Văn Tài" in detail and "Lò Văn Chung" in detail


def test_pairing_by_hand_refuses_codes_outside_the_scope(world, login):
    w = world
    client = login(w.users.hr_a)
    response = client.post("/kem-cap/moi", data=_form(
        mentee_code=w.mentee.code, mentor_code=w.outsider.code, competency_id=w.land.id))
    assert response.status_code == 400
    assert f"Không có cán bộ mã “{w.outsider.code}” trong phạm vi quản lý" in \
        response.get_data(as_text=True)
    # a suggestion outside the scope is not prefilled
    page = client.get(f"/kem-cap/moi?can_bo={w.mentee.id}&nguoi_kem={w.outsider.id}")
    assert "ngoài phạm vi quản lý" in page.get_data(as_text=True)
    assert f'value="{w.outsider.code}"' not in page.get_data(as_text=True)
    # a mentee outside the scope is not found
    assert client.get(f"/kem-cap/moi?can_bo={w.outsider.id}").status_code == 404
    assert db.session.scalar(sa.select(sa.func.count(Mentorship.id))) == 0


@pytest.mark.parametrize("case, message", [
    ("self", "phải khác"),
    ("weak_mentor", "thấp hơn mức mục tiêu"),
    ("mentee_there", "đã ở mức"),
    ("end_before_start", "phải sau ngày bắt đầu"),
    ("too_long", f"tối đa {ops.MAX_MONTHS} tháng"),
    ("past", "đã qua"),
    ("out_of_scope", "ngoài phạm vi"),
])
def test_pairing_rules(world, case, message):
    w = world
    start, end = today(), today() + timedelta(days=60)
    kw = dict(mentee=w.mentee, mentor=w.mentor, target=3, scope=[w.a.id])
    if case == "self":
        kw["mentor"] = w.mentee
    elif case == "weak_mentor":
        kw["mentor"] = w.colleague  # level 2 < 3
    elif case == "mentee_there":
        kw.update(mentee=w.colleague, target=2)
    elif case == "end_before_start":
        end = start
    elif case == "too_long":
        end = start + timedelta(days=ops.MAX_DAYS + 1)
    elif case == "past":
        start, end = today() - timedelta(days=90), today() - timedelta(days=1)
    elif case == "out_of_scope":
        kw["mentor"] = w.outsider
    with pytest.raises(DomainError, match=message):
        ops.pair_mentor(kw["mentee"], kw["mentor"], w.land, target_level=kw["target"],
                        start=start, end=end, actor_name="HR", unit_scope=kw["scope"])


def test_one_active_mentorship_per_mentee_and_competency(world):
    w = world
    _pair(w)
    with pytest.raises(DomainError, match="đang được kèm cặp"):
        _pair(w)
    # another competency is fine; after a cancellation the same one is fine again
    _pair(w, competency=w.docs, target=2)
    first = db.session.scalar(sa.select(Mentorship).where(Mentorship.competency_id == w.land.id))
    ops.cancel_mentorship(first, reason="Chuyển công tác", actor_name="HR")
    _pair(w)
    assert db.session.scalar(sa.select(sa.func.count(Mentorship.id)).where(
        Mentorship.status == "active")) == 2


def test_a_merged_units_official_cannot_be_paired(world):
    w = world
    w.b.closed_on, w.b.merged_into_id = today(), w.a.id
    db.session.flush()
    with pytest.raises(DomainError, match="đã sáp nhập"):
        _pair(w, mentee=w.outsider, mentor=w.mentor)


# --------------------------------------------------------------------------- scope, both see it


def test_outside_the_scope_everything_is_404(world, login, client):
    w = world
    m = _pair(w)
    login(w.users.hr_b)
    for url in (f"/kem-cap/{m.id}", f"/kem-cap/{m.id}/huy"):
        assert client.get(url).status_code == 404
    assert client.post(f"/kem-cap/{m.id}/ket-thuc", data={"reached_level": 3}).status_code == 404
    assert "Lường Văn Tài" not in client.get("/kem-cap").get_data(as_text=True)
    client.post("/dang-xuat")
    login(w.users.colleague)  # an official not in it
    assert client.get(f"/kem-cap/{m.id}").status_code == 404
    assert client.post(f"/kem-cap/{m.id}/buoi", data={}).status_code == 404


def test_mentee_and_mentor_see_it_on_their_pages(world, login, client):
    w = world
    m = _pair(w)
    for user, heading in ((w.users.mentee, "Tôi được kèm cặp"), (w.users.mentor, "Tôi kèm cặp")):
        login(user)
        me = client.get("/toi").get_data(as_text=True)
        assert f'href="/kem-cap/{m.id}"' in me and "Quản lý đất đai" in me
        assert 'href="/kem-cap">Kèm cặp</a>' in me  # the menu
        mine = client.get("/kem-cap")
        assert mine.status_code == 200 and heading in mine.get_data(as_text=True)
        assert f'href="/kem-cap/{m.id}"' in mine.get_data(as_text=True)
        assert client.get(f"/kem-cap/{m.id}").status_code == 200
        client.post("/dang-xuat")
    login(w.users.colleague)
    assert 'href="/kem-cap">Kèm cặp</a>' not in client.get("/toi").get_data(as_text=True)


def test_hr_list_filters_by_status(world, login):
    w = world
    m = _pair(w)
    client = login(w.users.province)
    html = client.get("/kem-cap").get_data(as_text=True)
    assert "Lường Văn Tài" in html and "Đang kèm cặp" in html
    assert "Lường Văn Tài" not in client.get("/kem-cap?trang_thai=closed").get_data(as_text=True)
    assert client.get("/kem-cap?trang_thai=xyz").status_code == 400
    assert f'href="/kem-cap/{m.id}"' in client.get("/kem-cap?trang_thai=active").get_data(
        as_text=True)


# --------------------------------------------------------------------------- sessions


def _session(client, m, day=None, minutes=90, content="Hướng dẫn lập hồ sơ cấp giấy chứng nhận"):
    return client.post(f"/kem-cap/{m.id}/buoi", data={
        "day": f"{(day or today()):%d/%m/%Y}", "minutes": minutes, "content": content})


def test_the_mentor_logs_sessions_within_limits(world, login, client):
    w = world
    m = _pair(w)
    login(w.users.mentor)
    assert "Ghi buổi kèm cặp" in client.get(f"/kem-cap/{m.id}").get_data(as_text=True)
    assert _session(client, m, day=today() - timedelta(days=3)).status_code == 302
    assert _session(client, m, minutes=45, content="Đo đạc thực địa").status_code == 302
    future = _session(client, m, day=today() + timedelta(days=1))
    assert future.status_code == 400 and "tương lai" in future.get_data(as_text=True)
    early = _session(client, m, day=m.start_date - timedelta(days=1))
    assert early.status_code == 400 and "trước ngày bắt đầu" in early.get_data(as_text=True)
    assert _session(client, m, minutes=5).status_code == 400
    assert _session(client, m, minutes=600).status_code == 400
    assert _session(client, m, content="x" * 1001).status_code == 400
    assert _session(client, m, content="   ").status_code == 400
    sessions = db.session.scalars(sa.select(MentoringSession).order_by(MentoringSession.day)).all()
    assert [(s.minutes, s.content) for s in sessions] == [
        (90, "Hướng dẫn lập hồ sơ cấp giấy chứng nhận"), (45, "Đo đạc thực địa")]
    html = client.get(f"/kem-cap/{m.id}").get_data(as_text=True)
    assert "2 buổi · 2,2 giờ" in html
    client.post("/dang-xuat")
    login(w.users.mentee)  # the mentee sees the sessions but does not log them
    assert "Đo đạc thực địa" in client.get(f"/kem-cap/{m.id}").get_data(as_text=True)
    assert _session(client, m).status_code == 403


# --------------------------------------------------------------------------- closing


def test_the_supervisor_closes_it_into_mentoring_evidence(world, login, client):
    w = world
    m = _pair(w)
    ops.log_session(m, day=today() - timedelta(days=2), minutes=120, content="Thực hành hồ sơ")
    db.session.commit()
    assert next(g for g in guidance_for(w.mentee).gaps if g.competency_id == w.land.id).current == 1
    # HR (there is a supervisor), the mentor and the mentee may not close it
    for user in (w.users.hr_a, w.users.mentor, w.users.mentee):
        login(user)
        assert client.post(f"/kem-cap/{m.id}/ket-thuc",
                           data={"reached_level": 3}).status_code == 403
        assert "Xác nhận và kết thúc" not in client.get(f"/kem-cap/{m.id}").get_data(as_text=True)
        client.post("/dang-xuat")
    login(w.users.chair)
    mine = client.get("/kem-cap").get_data(as_text=True)
    assert "Chờ tôi xác nhận" in mine and f'href="/kem-cap/{m.id}"' in mine
    assert "Xác nhận và kết thúc" in client.get(f"/kem-cap/{m.id}").get_data(as_text=True)
    response = client.post(f"/kem-cap/{m.id}/ket-thuc",
                           data={"reached_level": 3, "note": "Tự lập được hồ sơ"})
    assert response.status_code == 302
    db.session.expire_all()
    m = db.session.get(Mentorship, m.id)
    assert (m.status, m.reached_level, m.closed_on, m.confirmed_by) == (
        "closed", 3, today(), "Lò Văn Chung")
    evidence = db.session.scalar(sa.select(Assessment).where(Assessment.source == "mentoring"))
    assert (evidence.official_id, evidence.competency_id, evidence.level, evidence.assessed_on,
            evidence.assessor) == (w.mentee.id, w.land.id, 3, today(), "Lò Văn Chung")
    # the current level the guidance reads is now the confirmed one: the gap is closed
    gap = next(g for g in guidance_for(w.mentee).gaps if g.competency_id == w.land.id)
    assert (gap.current, gap.gap) == (3, 0)
    assert ops.current_level(w.mentee, w.land) == 3
    # both are told; the record shows the source in Vietnamese
    assert db.session.scalar(sa.select(sa.func.count(Notification.id)).where(
        Notification.title.like("Kết thúc kèm cặp%"))) == 2
    client.post("/dang-xuat")
    login(w.users.hr_a)
    assert "Kèm cặp tại chỗ" in client.get(f"/can-bo/{w.mentee.id}").get_data(as_text=True)
    # closed is read-only
    assert client.get(f"/kem-cap/{m.id}/huy").status_code == 302
    with pytest.raises(DomainError, match="không thay đổi được"):
        ops.log_session(m, day=today(), minutes=60, content="Thêm")
    with pytest.raises(DomainError, match="không thay đổi được"):
        ops.cancel_mentorship(m, reason="x", actor_name="HR")


def test_closing_needs_a_logged_session(world):
    m = _pair(world)
    with pytest.raises(DomainError, match="Chưa ghi buổi"):
        ops.close_mentorship(m, reached_level=3, confirmer_name="Lò Văn Chung")


def test_hr_confirms_where_there_is_no_supervisor(world, login):
    w = world
    set_unit_leader(w.a, None)
    db.session.commit()
    m = _pair(w, target=3)
    ops.log_session(m, day=today(), minutes=60, content="Kèm cặp tại bộ phận một cửa")
    db.session.commit()
    assert ops.confirmer_of(m) is None
    client = login(w.users.hr_a)
    page = client.get(f"/kem-cap/{m.id}").get_data(as_text=True)
    assert "Cán bộ tổ chức (đơn vị chưa có lãnh đạo có tài khoản)" in page
    assert client.post(f"/kem-cap/{m.id}/ket-thuc", data={"reached_level": 2}).status_code == 302
    evidence = db.session.scalar(sa.select(Assessment).where(Assessment.source == "mentoring"))
    assert (evidence.level, evidence.assessor) == (2, w.users.hr_a.display_name)
    # below target: counted as closed but not reached
    row = queries.counts_by_unit([w.a.id]).iloc[0]
    assert (row.closed, row.reached) == (1, 0)


# --------------------------------------------------------------------------- cancelling


def test_hr_cancels_after_a_confirmation_with_a_reason(world, login):
    w = world
    m = _pair(w)
    client = login(w.users.hr_a)
    confirm = client.get(f"/kem-cap/{m.id}/huy")
    assert confirm.status_code == 200 and "Hủy đợt kèm cặp?" in confirm.get_data(as_text=True)
    assert client.post(f"/kem-cap/{m.id}/huy", data={"reason": " "}).status_code == 400
    assert client.post(f"/kem-cap/{m.id}/huy", data={"reason": "x" * 1001}).status_code == 400
    response = client.post(f"/kem-cap/{m.id}/huy", data={"reason": "Người kèm cặp đi học dài hạn"})
    assert response.status_code == 302
    db.session.expire_all()
    m = db.session.get(Mentorship, m.id)
    assert (m.status, m.note, m.closed_on) == ("cancelled", "Người kèm cặp đi học dài hạn",
                                               today())
    assert db.session.scalar(sa.select(sa.func.count(Assessment.id)).where(
        Assessment.source == "mentoring")) == 0
    assert db.session.scalar(sa.select(sa.func.count(Notification.id)).where(
        Notification.body == "Lý do: Người kèm cặp đi học dài hạn")) == 2
    page = client.get(f"/kem-cap/{m.id}").get_data(as_text=True)
    assert "Lý do: Người kèm cặp đi học dài hạn" in page and "Hủy đợt kèm cặp…" not in page


def test_officials_cannot_cancel(world, login):
    m = _pair(world)
    client = login(world.users.chair)
    assert client.get(f"/kem-cap/{m.id}/huy").status_code == 403


# --------------------------------------------------------------------------- counts by unit


def test_counts_by_unit(world, login, make_official, client):
    w = world
    a_active = _pair(w)
    ops.log_session(a_active, day=today() - timedelta(days=1), minutes=90, content="Buổi 1")
    ops.log_session(a_active, day=today(), minutes=30, content="Buổi 2")
    a_closed = _pair(w, competency=w.docs, target=2)
    ops.log_session(a_closed, day=today(), minutes=60, content="Soạn công văn")
    ops.close_mentorship(a_closed, reached_level=2, confirmer_name="Lò Văn Chung")
    b_mentee = make_official(unit=w.b, position=w.position, full_name="Giàng Thị Dua")
    db.session.commit()
    b_one = _pair(w, mentee=b_mentee, mentor=w.outsider)
    ops.cancel_mentorship(b_one, reason="Nghỉ thai sản", actor_name="HR")
    db.session.commit()
    frame = queries.counts_by_unit(None).set_index("code")
    assert frame.loc["LCU-X01", ["active", "closed", "cancelled", "sessions", "minutes",
                                 "reached"]].tolist() == [1, 1, 0, 3, 180, 1]
    assert frame.loc["LCU-X02", ["active", "closed", "cancelled", "sessions", "minutes",
                                 "reached"]].tolist() == [0, 0, 1, 0, 0, 0]
    assert list(queries.counts_by_unit([w.b.id])["code"]) == ["LCU-X02"]
    login(w.users.province)
    html = client.get("/kem-cap/bao-cao").get_data(as_text=True)
    assert "Xã Nậm Tăm" in html and "Xã Pa Ủ" in html and "<td>Tổng</td>" in html
    assert "3,0" in html  # hours of commune A
    assert 'href="/kem-cap/bao-cao"' in client.get("/kem-cap").get_data(as_text=True)
    client.post("/dang-xuat")
    login(w.users.hr_b)
    html = client.get("/kem-cap/bao-cao").get_data(as_text=True)
    assert "Xã Pa Ủ" in html and "Xã Nậm Tăm" not in html


def test_the_report_is_one_query(world, app):
    _pair(world)
    statements = []

    def count(*_args, **_kw):
        statements.append(1)
    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        queries.counts_by_unit(None)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    assert len(statements) == 1


# --------------------------------------------------------------------------- the import of pairs


def _upload(client, rows):
    import html
    import io
    import re

    import pandas as pd
    buf = io.BytesIO()
    pd.DataFrame(rows, columns=ops.MENTORSHIPS.headers).to_excel(buf, index=False)
    response = client.post("/nhap-du-lieu", data={
        "kind": "mentorships", "file": (io.BytesIO(buf.getvalue()), "kem-cap.xlsx")},
        content_type="multipart/form-data")
    found = re.search(r'action="(/nhap-du-lieu/lo/\d+/xac-nhan)"', response.get_data(as_text=True))
    if found:
        response = client.post(found.group(1), follow_redirects=True)
    return html.unescape(response.get_data(as_text=True))


def test_hr_imports_pairs_all_or_nothing_and_again_changes_nothing(world, login):
    w = world
    client = login(w.users.hr_a)
    template = client.get("/nhap-du-lieu/mau/mentorships.xlsx")
    assert template.status_code == 200
    start, end = f"{today():%d/%m/%Y}", f"{today() + timedelta(days=90):%d/%m/%Y}"
    good = [w.mentee.code, w.land.code, "3", w.mentor.code, start, end]
    bad = [
        [w.colleague.code, w.land.code, "3", w.colleague.code, start, end],  # the same person
        [w.colleague.code, "NL-XX", "3", w.mentor.code, start, end],
        [w.mentee.code, w.land.code, "5", w.outsider.code, start, end],
        [w.mentee.code, w.land.code, "3", w.mentor.code, start, end],  # the first row again
    ]
    text = _upload(client, [good] + bad)
    assert "dòng 3: Người kèm cặp phải khác người được kèm cặp" in text
    assert "dòng 4, cột “Mã năng lực”: không có năng lực mã “NL-XX”" in text
    assert "dòng 5, cột “Mức mục tiêu”: “5” phải là số từ 1 đến 4" in text
    assert "dòng 6: trùng người được kèm cặp và năng lực với dòng 2" in text
    assert db.session.scalar(sa.select(sa.func.count(Mentorship.id))) == 0
    # out of HR's scope: the outsider cannot mentor
    text = _upload(client, [[w.mentee.code, w.land.code, "3", w.outsider.code, start, end]])
    assert "ngoài phạm vi quản lý của bạn" in text
    text = _upload(client, [good, [w.colleague.code, w.land.code, "3", w.mentor.code, start,
                                   end]])
    assert "Đã thêm 2, cập nhật 0, giữ nguyên 0 đợt kèm cặp." in text
    m = db.session.scalar(sa.select(Mentorship).where(Mentorship.mentee_id == w.mentee.id))
    assert (m.mentor_id, m.target_level, m.created_by) == (w.mentor.id, 3,
                                                           w.users.hr_a.display_name)
    assert db.session.scalar(sa.select(sa.func.count(Notification.id)).where(
        Notification.kind == "mentoring")) == 4
    text = _upload(client, [good])
    assert "Sẽ thêm 0, cập nhật 0, giữ nguyên 1 đợt kèm cặp." in text
    assert db.session.scalar(sa.select(sa.func.count(Mentorship.id))) == 2


# --------------------------------------------------------------------------- the JSON API


def test_the_api_lists_the_scopes_mentorships(world, client):
    from tests.test_api import check_against_document
    from trainer.api.auth import issue_token
    w = world
    m = _pair(w)
    ops.log_session(m, day=today(), minutes=45, content="Hướng dẫn trích đo")
    db.session.commit()
    tokens = {name: issue_token(getattr(w.users, name))[1] for name in ("hr_a", "hr_b", "mentee")}
    db.session.commit()

    def get(path, who):
        response = client.get(f"/api/v1{path}", headers={"Authorization": f"Bearer {tokens[who]}"})
        check_against_document("GET", f"/api/v1{path}", response)
        return response
    body = get("/mentorships", "hr_a").get_json()
    assert body["total"] == 1
    item = body["items"][0]
    assert (item["mentee"]["code"], item["mentor"]["code"], item["competency"]["code"],
            item["sessions"], item["minutes"], item["status"]) == (
        w.mentee.code, w.mentor.code, "NL-DD", 1, 45, "active")
    assert get("/mentorships?status=closed", "hr_a").get_json()["total"] == 0
    assert get("/mentorships", "hr_b").get_json()["total"] == 0
    assert get("/mentorships?status=xyz", "hr_a").status_code == 400
    assert get("/mentorships", "mentee").status_code == 403
