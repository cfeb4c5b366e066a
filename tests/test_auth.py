"""Who may see what: every page checks the role and the scope (issue 2 §7)."""
from datetime import timedelta

import sqlalchemy as sa

from trainer.auth.models import User
from trainer.catalog.models import Course
from trainer.core.extensions import db
from trainer.core.timeutil import today
from trainer.learning.operations import create_cohort, enroll_official


def test_passwords_are_hashed_and_wrong_ones_refused(app, make_user, client):
    user = make_user("hr", unit_id=_unit(app).id, password="mật-khẩu-đúng")
    stored = db.session.scalar(sa.select(User.password_hash).where(User.id == user.id))
    assert stored.startswith("$argon2") and "mật-khẩu-đúng" not in stored
    page = client.post("/dang-nhap", data={"username": user.username, "password": "sai"},
                       follow_redirects=True).get_data(as_text=True)
    assert "Tên đăng nhập hoặc mật khẩu không đúng." in page


def _unit(app, **kw):
    from trainer.org.models import Unit
    unit = Unit(code=kw.get("code", "XA-A"), name=kw.get("name", "Xã A"), kind="commune",
                region="rural")
    db.session.add(unit)
    db.session.flush()
    return unit


def test_anonymous_visitors_are_sent_to_login(client, app):
    for url in ("/toi", "/can-bo", "/truong/", "/muc-tieu/", "/khoa-hoc"):
        response = client.get(url)
        assert response.status_code == 302 and "/dang-nhap" in response.headers["Location"]


def test_login_ignores_an_offsite_next(app, make_user, client):
    user = make_user("hr", unit_id=_unit(app).id)
    response = client.post("/dang-nhap?next=http://evil.example/x",
                           data={"username": user.username, "password": "matkhau123"})
    assert response.headers["Location"] == "/"


def test_an_official_cannot_open_hr_or_school_pages(app, make_official, make_user, login):
    official = make_official()
    c = login(make_user("official", official_id=official.id))
    assert c.get("/toi").status_code == 200
    for url in ("/can-bo", f"/can-bo/{official.id}", "/truong/", "/muc-tieu/", "/nhap-du-lieu"):
        assert c.get(url).status_code == 403, url


def test_commune_hr_sees_its_commune_only(app, catalog, make_official, make_unit, make_user,
                                          login):
    from trainer.org.models import Unit
    province = make_unit(kind="province", region=None, name="Tỉnh Thử")
    a = make_unit(parent_id=province.id, name="Xã Thượng")
    dept = make_unit(parent_id=a.id, kind="department", region=None, name="Phòng Kinh tế")
    b = make_unit(parent_id=province.id, name="Xã Hạ")
    mine, in_dept, other = make_official(unit=a), make_official(unit=dept), make_official(unit=b)
    db.session.commit()
    c = login(make_user("hr", unit_id=a.id))
    assert c.get(f"/can-bo/{mine.id}").status_code == 200
    assert c.get(f"/can-bo/{in_dept.id}").status_code == 200
    assert c.get(f"/can-bo/{other.id}").status_code == 404
    listing = c.get("/can-bo").get_data(as_text=True)
    assert mine.full_name in listing and other.full_name not in listing
    # The province's HR sees both communes.
    c.post("/dang-xuat")
    c = login(make_user("hr", unit_id=province.id))
    assert c.get(f"/can-bo/{other.id}").status_code == 200
    assert db.session.get(Unit, b.id) is not None


def test_a_school_sees_only_its_own_cohorts(app, catalog, make_user, login):
    course = db.session.scalar(sa.select(Course).where(Course.code == "TCD-KN"))
    other = db.session.scalar(sa.select(Course).where(Course.provider_id != course.provider_id))
    mine = create_cohort(course, code="A1", start_date=today() + timedelta(days=2),
                         end_date=today() + timedelta(days=4), capacity=5, location="",
                         mode=course.mode)
    theirs = create_cohort(other, code="B1", start_date=today() + timedelta(days=2),
                           end_date=today() + timedelta(days=4), capacity=5, location="",
                           mode=other.mode)
    db.session.commit()
    c = login(make_user("school", provider_id=course.provider_id))
    assert c.get(f"/truong/lop/{mine.id}").status_code == 200
    assert c.get(f"/truong/lop/{theirs.id}").status_code == 404
    assert c.post(f"/truong/lop/{theirs.id}", data={}).status_code == 404


def test_an_official_cannot_withdraw_someone_else(app, catalog, make_official, make_user, login):
    course = db.session.scalar(sa.select(Course).where(Course.mode == "online"))
    other = make_official()
    enrollment = enroll_official(other, course=course)
    me = make_official()
    db.session.commit()
    c = login(make_user("official", official_id=me.id))
    assert c.post(f"/dang-ky/{enrollment.id}/rut").status_code == 404
    db.session.refresh(enrollment)
    assert enrollment.status == "enrolled"


def test_forms_require_a_csrf_token_outside_tests(database_url, _schema):
    from tests.conftest import make_app
    app = make_app(_schema)
    app.config["WTF_CSRF_ENABLED"] = True
    with app.app_context():
        response = app.test_client().post("/dang-nhap", data={"username": "x", "password": "y"})
        page = response.get_data(as_text=True)
    assert response.status_code == 400 or "CSRF" in page or "csrf" in page
