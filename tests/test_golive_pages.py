"""Every screen issue 8 added, opened on the demo province by each role that reaches it from
the menu, and the destructive buttons in a real browser: a confirmation first, nothing done
when it is dismissed."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from trainer.auth.models import User
from trainer.core.extensions import db
from trainer.org.models import Unit

DEMO = "demo1234"


@pytest.fixture
def demo(app, catalog):
    from trainer.demo.generate import generate_demo
    summary = generate_demo(300, 2026)
    db.session.commit()
    return summary


def signed_in(app, username):
    client = app.test_client()
    assert client.post("/dang-nhap", data={"username": username, "password": DEMO}) \
        .status_code == 302
    return client


def test_units_and_accounts_screens_on_the_demo(app, demo):
    commune = db.session.scalar(sa.select(Unit).where(Unit.code == "LCU-X01"))
    other = db.session.scalar(sa.select(Unit).where(Unit.kind == "commune",
                                                    Unit.code != "LCU-X01").order_by(Unit.code))
    official_account = db.session.scalar(sa.select(User).where(User.username == "canbo"))
    pages = {
        "admin": ["/don-vi", "/don-vi?q=binh+lu", f"/don-vi/{commune.id}", "/don-vi/moi",
                  f"/don-vi/{commune.id}/sua", f"/don-vi/{commune.id}/sap-nhap", "/tai-khoan",
                  "/tai-khoan?q=can+bo&role=official&status=active", "/tai-khoan?page=2",
                  f"/tai-khoan/{official_account.id}", "/tai-khoan/moi",
                  f"/tai-khoan/cap-cho-can-bo?unit_id={commune.id}&scheme=code",
                  "/doi-mat-khau", "/nhap-du-lieu?kind=units",
                  "/nhap-du-lieu/mau/units.xlsx", "/nhap-du-lieu/mau/units.xlsx?all=1",
                  "/nhap-du-lieu/mau/accounts.xlsx"],
        "hr.tinh": ["/don-vi", f"/don-vi/{other.id}", f"/don-vi/{other.id}/sap-nhap", "/tai-khoan",
                    f"/tai-khoan/cap-cho-can-bo?unit_id={other.id}&scheme=email",
                    "/nhap-du-lieu?kind=accounts"],
        "hr.xa": ["/don-vi", f"/don-vi/{commune.id}", "/tai-khoan", "/tai-khoan/moi",
                  f"/tai-khoan/cap-cho-can-bo?unit_id={commune.id}&scheme=code",
                  f"/tai-khoan/{official_account.id}"],
        "canbo": ["/doi-mat-khau"],
        "truong.chinhtri": ["/doi-mat-khau"],
    }
    for username, urls in pages.items():
        client = signed_in(app, username)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, (username, url, response.status_code)
            if response.mimetype == "text/html":
                page = response.get_data(as_text=True)
                assert "Lỗi" not in page.split("<main", 1)[1][:200], (username, url)
    anonymous = app.test_client()
    assert anonymous.get("/quen-mat-khau").status_code == 200
    # What each screen shows, on the demo's numbers.
    admin = signed_in(app, "admin")
    tree = admin.get("/don-vi").get_data(as_text=True)
    assert "Tỉnh Lai Châu (mô phỏng)" in tree and commune.name in tree
    listing = admin.get("/tai-khoan").get_data(as_text=True)
    for username in ("admin", "hr.tinh", "hr.xa", "canbo", "truong.chinhtri"):
        assert f">{username}</a>" in listing, username
    issue = admin.get(f"/tai-khoan/cap-cho-can-bo?unit_id={commune.id}&scheme=code")
    ready = int(re.search(r"<strong>([\d.]+)</strong> cán bộ sẽ được cấp",
                          issue.get_data(as_text=True)).group(1).replace(".", ""))
    from trainer.org.queries import unit_subtree_ids
    from trainer.people.models import Official
    without = db.session.scalar(sa.select(sa.func.count(Official.id)).where(
        Official.unit_id.in_(unit_subtree_ids(commune.id)),
        Official.id.not_in(sa.select(User.official_id).where(User.official_id.is_not(None)))))
    assert ready == without > 0
    # Out of reach: officials and schools get 403, commune HR gets 404 for others' records.
    for username in ("canbo", "truong.chinhtri"):
        client = signed_in(app, username)
        for url in ("/don-vi", "/tai-khoan", "/tai-khoan/moi"):
            assert client.get(url).status_code == 403, (username, url)
    hr_xa = signed_in(app, "hr.xa")
    admin_account = db.session.scalar(sa.select(User).where(User.username == "admin"))
    assert hr_xa.get(f"/tai-khoan/{admin_account.id}").status_code == 404
    assert hr_xa.get(f"/don-vi/{other.id}").status_code == 404


@pytest.mark.browser
def test_disabling_an_account_asks_first_in_a_real_browser(web, make_user, province):
    admin = make_user("admin", username="quantri.web")
    target = make_user("hr", username="tochuc.web", unit_id=province[1].id)
    page = web
    page.goto("/dang-nhap")
    page.fill("#username", admin.username)
    page.fill("#password", "matkhau123")
    page.click("button[type=submit]")
    page.wait_for_url("**/muc-tieu/")
    page.goto(f"/tai-khoan/{target.id}")
    dialogs = []

    def dismiss(dialog):
        dialogs.append(dialog.message)
        dialog.dismiss()
    page.once("dialog", dismiss)
    page.get_by_role("button", name="Khóa tài khoản").click()
    page.wait_for_timeout(300)
    assert dialogs and "Khóa tài khoản tochuc.web?" in dialogs[0]
    db.session.expire_all()
    assert db.session.get(User, target.id).active  # dismissed: nothing done
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Khóa tài khoản").click()
    expect(page.get_by_text("Đã khóa tài khoản")).to_be_visible()
    db.session.expire_all()
    assert not db.session.get(User, target.id).active
