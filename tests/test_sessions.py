"""Sessions ended on the server, sign-in limits and locks, machines' credentials (issue 9 §2, §3):
a cookie copied before logging out opens nothing after; idle and absolute limits, shorter for
HR and admin; wrong passwords lock a username (known or not) until an admin lifts it; API
tokens and xAPI keys expire, are counted, listed and revoked by their owner."""
from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
import sqlalchemy as sa
import time_machine

from tests.conftest import make_app
from trainer.auth.models import UserSession
from trainer.core.extensions import db

GOOD = "Doi-Tram-Ton-2026"


def sign_in(client, username, password=GOOD):
    return client.post("/dang-nhap", data={"username": username, "password": password})


def copy_of(client, app):
    """A second browser holding the same cookie (what a thief would replay)."""
    other = app.test_client()
    cookie = client.get_cookie("session")
    other.set_cookie("session", cookie.value)
    return other


def refused(response) -> bool:
    return response.status_code == 302 and "/dang-nhap" in response.headers["Location"]


@pytest.fixture
def hr(make_user, province):
    return make_user("hr", username="tochuc.phien", unit_id=province[1].id, password=GOOD)


@pytest.fixture
def official_user(make_user, make_official, province):
    return make_user("official", username="cb.phien", password=GOOD,
                     official_id=make_official(unit=province[1]).id)


# --------------------------------------------------------------------------- sessions
def test_a_cookie_copied_before_logout_opens_nothing_after(app, client, hr):
    assert sign_in(client, "tochuc.phien").status_code == 302
    thief = copy_of(client, app)
    assert thief.get("/can-bo").status_code == 200
    client.post("/dang-xuat")
    page = thief.get("/can-bo")
    assert refused(page)
    followed = thief.get(page.headers["Location"]).get_data(as_text=True)
    assert "Phiên làm việc đã kết thúc" in followed
    row = db.session.scalar(sa.select(UserSession))
    assert row.ended_reason == "logout"


def test_each_sign_in_is_a_new_session_and_only_its_hash_is_stored(app, client, hr):
    sign_in(client, "tochuc.phien")
    first = client.get_cookie("session").value
    sign_in(client, "tochuc.phien")
    second = client.get_cookie("session").value
    assert first != second
    rows = db.session.scalars(sa.select(UserSession)).all()
    assert len(rows) == 2
    with app.test_request_context():
        from flask import session
        serializer = app.session_interface.get_signing_serializer(app)
        token = serializer.loads(second)["sid"]
        assert session is not None
    assert hashlib.sha256(token.encode()).hexdigest() in {r.id for r in rows}
    assert token not in {r.id for r in rows}


def test_idle_timeout_is_shorter_for_hr_than_for_officials(app, hr, official_user):
    hr_client, official_client = app.test_client(), app.test_client()
    sign_in(hr_client, "tochuc.phien")
    sign_in(official_client, "cb.phien")
    with time_machine.travel(timedelta(minutes=31)):
        assert refused(hr_client.get("/can-bo"))  # staff: 30 minutes
        assert official_client.get("/toi").status_code == 200  # officials: 60 minutes
    with time_machine.travel(timedelta(minutes=31 + 61)):
        assert refused(official_client.get("/toi"))
    reasons = set(db.session.scalars(sa.select(UserSession.ended_reason)))
    assert reasons == {"idle"}


def test_a_session_ends_at_its_absolute_lifetime_even_when_used(app, official_user):
    client = app.test_client()
    sign_in(client, "cb.phien")
    for half_hours in range(1, 24):  # busy every half hour for 11.5 hours
        with time_machine.travel(timedelta(minutes=30 * half_hours)):
            assert client.get("/toi").status_code == 200, half_hours
    with time_machine.travel(timedelta(hours=12, minutes=5)):
        assert refused(client.get("/toi"))
    assert db.session.scalar(sa.select(UserSession.ended_reason)) == "expired"


def test_changing_a_password_ends_the_other_sessions_only(app, hr):
    laptop, phone = app.test_client(), app.test_client()
    sign_in(laptop, "tochuc.phien")
    sign_in(phone, "tochuc.phien")
    new = "Suoi-Nam-Cuoi-2027"
    laptop.post("/doi-mat-khau", data={"current_password": GOOD, "new_password": new,
                                       "confirm": new})
    assert laptop.get("/can-bo").status_code == 200
    assert refused(phone.get("/can-bo"))
    reasons = sorted(r or "" for r in db.session.scalars(sa.select(UserSession.ended_reason)))
    assert reasons == ["", "password"]


def test_an_admin_ends_someones_sessions(app, hr, make_user, login):
    target = app.test_client()
    sign_in(target, "tochuc.phien")
    admin = login(make_user("admin"))
    page = admin.get(f"/tai-khoan/{hr.id}").get_data(as_text=True)
    assert "Kết thúc các phiên đăng nhập" in page
    admin.post(f"/tai-khoan/{hr.id}/ket-thuc-phien")
    assert refused(target.get("/can-bo"))


# --------------------------------------------------------------------------- sign-in limits
@pytest.fixture
def limited(app, _schema):
    """An app that counts: rate limits on (in this run's Redis), tight numbers. Made after the
    suite's `app` (Flask-Limiter is one object: the app initialised last says whether it
    counts)."""
    app = make_app(_schema, RATELIMIT_ENABLED=True, LOGIN_LOCK_AFTER=3, LOGIN_LOCK_MINUTES=15,
                   LOGIN_LIMIT="8 per minute")
    with app.app_context():
        yield app
        db.session.remove()


def test_wrong_passwords_lock_a_username_known_or_not(limited, app, hr, make_user, login):
    def attempt(username, password, address):
        return limited.test_client().post(
            "/dang-nhap", data={"username": username, "password": password},
            environ_base={"REMOTE_ADDR": address})
    for i in range(3):
        assert attempt("tochuc.phien", "sai-mat-khau", f"203.0.113.{i}").status_code == 200
    locked = attempt("tochuc.phien", GOOD, "203.0.113.9")
    assert locked.status_code == 429
    text = locked.get_data(as_text=True)
    assert "đang tạm khóa vì nhập sai mật khẩu nhiều lần" in text and "quản trị viên" in text
    for i in range(3):
        attempt("khong.co.ai", "sai-mat-khau", f"198.51.100.{i}")
    ghost = attempt("khong.co.ai", "sai-mat-khau", "198.51.100.9")
    assert ghost.status_code == 429  # the same answer: a lock says nothing about who exists
    # An admin sees the lock on the account's page and lifts it.
    admin = make_user("admin", username="quantri.khoa")
    c = limited.test_client()
    assert sign_in(c, "quantri.khoa", "matkhau123").status_code == 302
    page = c.get(f"/tai-khoan/{hr.id}").get_data(as_text=True)
    assert "Đăng nhập đang tạm khóa đến" in page
    c.post(f"/tai-khoan/{hr.id}/mo-khoa-dang-nhap")
    assert attempt("tochuc.phien", GOOD, "203.0.113.10").status_code == 302
    assert admin.username == "quantri.khoa"


def test_an_address_gets_429_past_the_sign_in_limit(limited, hr):
    client = limited.test_client()
    answers = [client.post("/dang-nhap", data={"username": f"ai{i}", "password": "x"},
                           environ_base={"REMOTE_ADDR": "192.0.2.77"}).status_code
               for i in range(9)]
    assert answers[:8] == [200] * 8 and answers[8] == 429, answers


def test_the_lock_window_passes(limited, hr):
    def attempt(password):
        return limited.test_client().post("/dang-nhap", data={"username": "tochuc.phien",
                                                              "password": password})
    for _ in range(3):
        attempt("sai")
    assert attempt(GOOD).status_code == 429
    with time_machine.travel(timedelta(minutes=16)):
        assert attempt(GOOD).status_code == 302


# --------------------------------------------------------------------------- credentials
def test_api_tokens_expire_and_are_revoked_by_their_owner(app, client, hr, make_user, login):
    from trainer.api.auth import issue_token
    _, token = issue_token(hr, name="Phần mềm nhân sự")
    db.session.commit()
    header = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/officials", headers=header).status_code == 200
    with time_machine.travel(timedelta(days=366)):
        assert client.get("/api/v1/officials", headers=header).status_code == 401
    c = login(hr, password=GOOD)
    page = c.get("/ma-truy-cap").get_data(as_text=True)
    assert "Phần mềm nhân sự" in page and "Còn hiệu lực" in page
    other = make_user("hr", unit_id=hr.unit_id)
    _, theirs = issue_token(other, name="Của người khác")
    db.session.commit()
    assert "Của người khác" not in c.get("/ma-truy-cap").get_data(as_text=True)
    from trainer.auth.models import ApiCredential
    cred = db.session.scalar(sa.select(ApiCredential).where(ApiCredential.name == "Phần mềm nhân sự"))
    theirs_cred = db.session.scalar(sa.select(ApiCredential).where(
        ApiCredential.name == "Của người khác"))
    assert c.post(f"/ma-truy-cap/{theirs_cred.id}/thu-hoi").status_code == 404
    c.post(f"/ma-truy-cap/{cred.id}/thu-hoi")
    assert client.get("/api/v1/officials", headers=header).status_code == 401
    admin = login(make_user("admin"))
    assert "Của người khác" in admin.get("/ma-truy-cap").get_data(as_text=True)


def test_machines_are_counted_per_credential(_schema, hr):
    from trainer.api.auth import issue_token
    app = make_app(_schema, RATELIMIT_ENABLED=True, API_RATE_LIMIT="3 per minute")
    with app.app_context():
        _, token = issue_token(db.session.merge(hr))
        db.session.commit()
        client = app.test_client()
        answers = [client.get("/api/v1/officials", headers={"Authorization": f"Bearer {token}"})
                   for _ in range(4)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        assert "Quá nhiều yêu cầu" in answers[3].get_json()["error"]
        db.session.remove()


def test_a_school_sees_personal_data_only_while_the_official_is_with_it(app, catalog,
                                                                        make_official, make_user):
    from trainer.catalog.models import Course
    from trainer.learning.access import officials_filter
    from trainer.learning.models import Enrollment
    from trainer.people.models import Official
    course = db.session.scalar(sa.select(Course).where(Course.mode == "online")
                               .order_by(Course.code))
    school = make_user("school", provider_id=course.provider_id)
    people = {}
    for status in ("requested", "enrolled", "completed", "failed", "rejected", "withdrawn",
                   "cancelled", "no_show"):
        official = make_official()
        db.session.add(Enrollment(official_id=official.id, course_id=course.id, status=status))
        people[status] = official.id
    db.session.commit()
    visible = set(db.session.scalars(sa.select(Official.id).where(officials_filter(school))))
    assert visible == {people[s] for s in ("requested", "enrolled", "completed", "failed")}
