"""Accounts of a real province (issue 8): the first sign-in with a one-time password, the password
policy, changing and resetting passwords, "Quên mật khẩu", disabling, the account screens, the
accounts file and accounts issued in bulk for a unit's officials — and sessions that end at once
when an account is disabled or its password changes."""
from __future__ import annotations

import io
import re
from datetime import date, timedelta

import pandas as pd
import pytest
import sqlalchemy as sa
import time_machine

from trainer.auth.models import User
from trainer.core.extensions import db
from trainer.notices.models import OutboxEmail

GOOD = "Song-Da-mua-lu-2026"


def account(username: str) -> User:
    db.session.expire_all()
    return db.session.scalar(sa.select(User).where(User.username == username))


def sign_in(client, username, password):
    return client.post("/dang-nhap", data={"username": username, "password": password})


def passwords_on(page: str) -> dict[str, str]:
    """username -> one-time password from the page that shows them once."""
    names = re.findall(r'<input type="hidden" name="u" value="([^"]+)">', page)
    secrets = re.findall(r'<input type="hidden" name="p" value="([^"]+)">', page)
    return dict(zip(names, secrets))


@pytest.fixture
def commune(province):
    return province[1]


@pytest.fixture
def commune_hr(make_user, commune):
    return make_user("hr", username="tochuc.xaa", unit_id=commune.id)


@pytest.fixture
def admin(make_user):
    return make_user("admin", username="quantri")


# --------------------------------------------------------------------------- first sign-in
def test_a_one_time_password_must_be_changed_before_anything_else(app, client, login, admin,
                                                                   make_official, commune):
    official = make_official(unit=commune, birth_date=date(1990, 5, 17), code="CB0101")
    c = login(admin)
    page = c.post("/tai-khoan/moi", data={"username": "CB0101", "role": "official",
                                          "official_code": "CB0101", "display_name": "",
                                          "email": "", "unit_id": 0, "provider_id": 0})
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    password = passwords_on(page.get_data(as_text=True))["cb0101"]
    user = account("cb0101")
    assert user.display_name == official.full_name and user.must_change_password
    assert password not in user.password_hash
    c.post("/dang-xuat")
    # Usernames are typed as people type them: case does not matter.
    response = sign_in(client, "Cb0101", password)
    assert response.headers["Location"] == "/doi-mat-khau"
    for url in ("/toi", "/khoa-hoc", "/thong-bao"):
        blocked = client.get(url)
        assert blocked.status_code == 302 and blocked.headers["Location"] == "/doi-mat-khau"
    form = {"current_password": password}
    for new, reason in (("ngan", "ít nhất 10 ký tự"), ("password123", "quá phổ biến"),
                        ("matkhau1234", "quá phổ biến"), (official.pid, "số định danh"),
                        ("17051990", "ít nhất 10"), ("1990-05-17", "ngày sinh"),
                        ("17/05/1990", "ngày sinh")):
        page = client.post("/doi-mat-khau", data=form | {"new_password": new, "confirm": new})
        assert reason in page.get_data(as_text=True), new
        assert account("cb0101").must_change_password, new
    page = client.post("/doi-mat-khau", data=form | {"new_password": GOOD, "confirm": GOOD + "x"})
    assert "không khớp" in page.get_data(as_text=True)
    done = client.post("/doi-mat-khau", data=form | {"new_password": GOOD, "confirm": GOOD})
    assert done.status_code == 302
    assert client.get("/toi").status_code == 200
    assert not account("cb0101").must_change_password
    client.post("/dang-xuat")
    assert sign_in(client, "cb0101", password).status_code == 200  # the old one is gone
    assert sign_in(client, "cb0101", GOOD).status_code == 302


def test_the_policy_refuses_the_username_common_words_and_the_birth_date(app):
    from trainer.auth.passwords import password_problem
    assert password_problem("Ngan", username="x") == "Mật khẩu phải có ít nhất 10 ký tự."
    assert "tên đăng nhập" in password_problem("nguyen.van.an", username="Nguyen.Van.An")
    assert "phổ biến" in password_problem("iloveyou123")
    assert "phổ biến" in password_problem("Matkhau123!")
    assert "lặp lại" in password_problem("aaaaaaaaaaaa")
    assert "số định danh" in password_problem("x012190012345", pid="012190012345")
    assert "ngày sinh" in password_problem("17-05-1990", birth_date=date(1990, 5, 17))
    assert "ngày sinh" in password_problem("17.05.1990", birth_date=date(1990, 5, 17))
    assert password_problem(GOOD, username="cb0101", pid="012190012345",
                            birth_date=date(1990, 5, 17)) is None


# --------------------------------------------------------------------------- sessions end
def test_changing_my_password_ends_my_other_sessions(app, make_user, commune):
    user = make_user("hr", username="tochuc.phone", unit_id=commune.id, password=GOOD)
    laptop, phone = app.test_client(), app.test_client()
    assert sign_in(laptop, "tochuc.phone", GOOD).status_code == 302
    assert sign_in(phone, "tochuc.phone", GOOD).status_code == 302
    assert phone.get("/can-bo").status_code == 200
    new = "Nha-san-ban-Lo-2027"
    assert laptop.post("/doi-mat-khau", data={"current_password": GOOD, "new_password": new,
                                              "confirm": new}).status_code == 302
    assert laptop.get("/can-bo").status_code == 200  # this session goes on
    refused = phone.get("/can-bo")
    assert refused.status_code == 302 and "/dang-nhap" in refused.headers["Location"]
    assert user.id == account("tochuc.phone").id


def test_a_disabled_account_is_refused_at_its_next_request(app, client, admin, commune_hr, login):
    hr_client = app.test_client()
    assert sign_in(hr_client, "tochuc.xaa", "matkhau123").status_code == 302
    assert hr_client.get("/can-bo").status_code == 200
    c = login(admin)
    page = c.post(f"/tai-khoan/{commune_hr.id}/khoa", follow_redirects=True)
    assert "Đã khóa tài khoản" in page.get_data(as_text=True)
    refused = hr_client.get("/can-bo")
    assert refused.status_code == 302 and "/dang-nhap" in refused.headers["Location"]
    page = sign_in(app.test_client(), "tochuc.xaa", "matkhau123")
    assert page.status_code == 200 and "không đúng" in page.get_data(as_text=True)
    user = account("tochuc.xaa")
    assert not user.active and user.username == "tochuc.xaa"  # kept, never deleted
    c.post(f"/tai-khoan/{commune_hr.id}/mo-khoa")
    assert sign_in(app.test_client(), "tochuc.xaa", "matkhau123").status_code == 302


def test_nobody_disables_themselves_or_the_last_admin(app, admin, login, make_user):
    c = login(admin)
    page = c.post(f"/tai-khoan/{admin.id}/khoa", follow_redirects=True).get_data(as_text=True)
    assert "Không tự khóa" in page and account("quantri").active
    other = make_user("admin", username="quantri2")
    c2 = login(other)
    c2.post(f"/tai-khoan/{admin.id}/khoa")
    assert not account("quantri").active
    page = c2.post(f"/tai-khoan/{other.id}/khoa", follow_redirects=True).get_data(as_text=True)
    assert account("quantri2").active


# --------------------------------------------------------------------------- reset by HR
def test_hr_resets_a_password_within_its_scope_only(app, client, login, commune_hr, province,
                                                    make_official, make_user):
    mine = make_user("official", username="cb.mine", password=GOOD,
                     official_id=make_official(unit=province[1]).id)
    theirs = make_user("official", username="cb.theirs", password=GOOD,
                       official_id=make_official(unit=province[2]).id)
    phone = app.test_client()
    sign_in(phone, "cb.mine", GOOD)
    c = login(commune_hr)
    assert c.post(f"/tai-khoan/{theirs.id}/dat-lai-mat-khau").status_code == 404
    assert c.get(f"/tai-khoan/{theirs.id}").status_code == 404
    page = c.post(f"/tai-khoan/{mine.id}/dat-lai-mat-khau")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    one_time = passwords_on(page.get_data(as_text=True))["cb.mine"]
    assert phone.get("/toi").status_code == 302  # the official's open session ended
    assert sign_in(app.test_client(), "cb.mine", GOOD).status_code == 200
    fresh = app.test_client()
    assert sign_in(fresh, "cb.mine", one_time).headers["Location"] == "/doi-mat-khau"


def test_hr_cannot_create_or_edit_admin_and_school_accounts(app, login, commune_hr, admin,
                                                            catalog):
    from trainer.catalog.models import Provider
    provider = db.session.scalar(sa.select(Provider).order_by(Provider.code))
    c = login(commune_hr)
    page = c.get("/tai-khoan/moi").get_data(as_text=True)
    assert 'value="admin"' not in page and 'value="school"' not in page
    response = c.post("/tai-khoan/moi", data={"username": "truong.moi", "role": "school",
                                              "provider_id": provider.id, "unit_id": 0,
                                              "display_name": "Trường"})
    assert response.status_code == 200 and account("truong.moi") is None
    assert c.get(f"/tai-khoan/{admin.id}").status_code == 404
    a = login(admin)
    page = a.post("/tai-khoan/moi", data={"username": "truong.moi", "role": "school",
                                          "provider_id": provider.id, "unit_id": 0,
                                          "display_name": "Phòng đào tạo", "email": "x@y.vn"})
    assert page.status_code == 200 and "truong.moi" in passwords_on(page.get_data(as_text=True))
    assert account("truong.moi").provider_id == provider.id


def test_the_account_list_search_ignores_diacritics_and_respects_scope(app, login, admin,
                                                                       commune_hr, province,
                                                                       make_user):
    make_user("hr", username="tochuc.xab", unit_id=province[2].id)
    user = account("tochuc.xaa")
    user.display_name = "Đặng Thị Hường"
    db.session.commit()
    page = login(admin).get("/tai-khoan?q=dang+thi+huong").get_data(as_text=True)
    assert "tochuc.xaa" in page and "tochuc.xab" not in page
    page = login(commune_hr).get("/tai-khoan").get_data(as_text=True)
    assert "tochuc.xaa" in page and "tochuc.xab" not in page and "quantri" not in page
    page = login(admin).get("/tai-khoan?status=disabled").get_data(as_text=True)
    assert "Không có tài khoản nào" in page


def test_editing_an_account(app, login, admin, commune_hr, province):
    c = login(admin)
    assert "tochuc.xaa" in c.get(f"/tai-khoan/{commune_hr.id}").get_data(as_text=True)
    c.post(f"/tai-khoan/{commune_hr.id}", data={
        "display_name": "Phòng Nội vụ Xã B", "email": "noivu@xab.gov.vn", "role": "hr",
        "unit_id": province[2].id, "provider_id": 0, "official_code": ""})
    user = account("tochuc.xaa")
    assert (user.display_name, user.email, user.unit_id) == ("Phòng Nội vụ Xã B",
                                                             "noivu@xab.gov.vn", province[2].id)
    page = c.post(f"/tai-khoan/{commune_hr.id}", data={
        "display_name": "X", "email": "không-phải-email", "role": "hr",
        "unit_id": province[2].id, "provider_id": 0}, follow_redirects=True)
    assert "không phải địa chỉ e-mail hợp lệ" in page.get_data(as_text=True)


# --------------------------------------------------------------------------- forgotten password
def test_a_forgotten_password_link_works_once_and_expires(app, client, make_official, make_user,
                                                          commune):
    app.config["PUBLIC_URL"] = "https://daotao.laichau.gov.vn"
    official = make_official(unit=commune, email="lo.thi.mai@laichau.gov.vn")
    make_user("official", username="cb.mai", password=GOOD, official_id=official.id)
    response = client.post("/quen-mat-khau", data={"identifier": "LO.THI.MAI@laichau.gov.vn"})
    assert response.status_code == 302
    mail = db.session.scalar(sa.select(OutboxEmail))
    assert mail.to_address == "lo.thi.mai@laichau.gov.vn"
    link = re.search(r"https://daotao\.laichau\.gov\.vn(/dat-lai-mat-khau/\S+)", mail.body).group(1)
    assert client.get(link).status_code == 200
    new = "Ruong-bac-thang-Y-Ty"
    done = client.post(link, data={"new_password": new, "confirm": new})
    assert done.status_code == 302 and done.headers["Location"] == "/dang-nhap"
    assert sign_in(app.test_client(), "cb.mai", new).status_code == 302
    again = client.get(link, follow_redirects=True).get_data(as_text=True)
    assert "đã được dùng" in again
    # Unknown names get the same answer and no mail.
    client.post("/quen-mat-khau", data={"identifier": "khong.co.ai"})
    assert db.session.scalar(sa.select(sa.func.count(OutboxEmail.id))) == 1
    client.post("/quen-mat-khau", data={"identifier": "cb.mai"})
    second = db.session.scalars(sa.select(OutboxEmail).order_by(OutboxEmail.id.desc())).first()
    link = re.search(r"(/dat-lai-mat-khau/\S+)", second.body).group(1)
    with time_machine.travel(timedelta(minutes=61)):
        expired = client.get(link, follow_redirects=True).get_data(as_text=True)
    assert "quá 60 phút" in expired


def test_reset_links_need_a_public_url_in_production(app, client):
    app.config.update(ENV="production", PUBLIC_URL="")
    page = client.get("/quen-mat-khau").get_data(as_text=True)
    assert "chưa được cấu hình" in page
    client.post("/quen-mat-khau", data={"identifier": "ai"})
    assert db.session.scalar(sa.select(sa.func.count(OutboxEmail.id))) == 0


def test_unknown_usernames_cost_a_password_check_too(app, make_user, monkeypatch, commune):
    from trainer.auth import operations
    make_user("hr", username="co.that", unit_id=commune.id)
    calls = []
    real = operations.check_password
    monkeypatch.setattr(operations, "check_password",
                        lambda h, p: calls.append(1) or real(h, p))
    assert operations.authenticate("co.that", "sai-mat-khau") is None
    assert operations.authenticate("khong.that", "sai-mat-khau") is None
    assert len(calls) == 2


# --------------------------------------------------------------------------- bulk issuance
def test_hr_issues_accounts_for_a_communes_officials(app, login, commune_hr, commune, make_unit,
                                                     make_official, make_user):
    dept = make_unit(code=f"{commune.code}-KT", name="Phòng Kinh tế", kind="department",
                     region=None, parent_id=commune.id)
    a = make_official(unit=commune, code="CB-A1", email="a1@xa.gov.vn")
    b = make_official(unit=dept, code="CB-A2", email=None)
    has = make_official(unit=commune, code="CB-A3")
    make_user("official", username="cb.a3", official_id=has.id)
    make_official(unit=make_unit(code="XA-KHAC"), code="CB-Z9")  # not in the subtree
    db.session.commit()
    c = login(commune_hr)
    preview = c.get(f"/tai-khoan/cap-cho-can-bo?unit_id={commune.id}&scheme=email")
    text = preview.get_data(as_text=True)
    assert "a1@xa.gov.vn" in text and "chưa có e-mail" in text and "CB-Z9" not in text
    preview = c.get(f"/tai-khoan/cap-cho-can-bo?unit_id={commune.id}&scheme=code")
    assert "<strong>2</strong> cán bộ sẽ được cấp" in preview.get_data(as_text=True)
    page = c.post("/tai-khoan/cap-cho-can-bo", data={"unit_id": commune.id, "scheme": "code"})
    issued = passwords_on(page.get_data(as_text=True))
    assert set(issued) == {"cb-a1", "cb-a2"}
    assert page.headers["Cache-Control"] == "no-store"
    assert account("cb-a1").official_id == a.id and account("cb-a2").official_id == b.id
    # The same list as .xlsx, for HR to print; only accounts still waiting for the first change.
    data = {"u": list(issued), "p": list(issued.values())}
    xlsx = c.post("/tai-khoan/mat-khau-ban-dau.xlsx", data=data)
    assert xlsx.status_code == 200
    sheet = pd.read_excel(io.BytesIO(xlsx.data), header=2, dtype=str)
    assert dict(zip(sheet["Tên đăng nhập"], sheet["Mật khẩu ban đầu"])) == issued
    forged = c.post("/tai-khoan/mat-khau-ban-dau.xlsx", data={"u": ["cb.a3", "quantri"],
                                                              "p": ["x", "y"]})
    assert pd.read_excel(io.BytesIO(forged.data), header=2).empty
    # Issuing again gives nothing new.
    again = c.post("/tai-khoan/cap-cho-can-bo", data={"unit_id": commune.id, "scheme": "code"},
                   follow_redirects=True)
    assert "đã có tài khoản" in again.get_data(as_text=True)
    official = app.test_client()
    assert sign_in(official, "cb-a2", issued["cb-a2"]).headers["Location"] == "/doi-mat-khau"


def test_hr_cannot_issue_accounts_outside_its_subtree(app, login, commune_hr, province):
    c = login(commune_hr)
    page = c.get(f"/tai-khoan/cap-cho-can-bo?unit_id={province[2].id}&scheme=code")
    assert "sẽ được cấp" not in page.get_data(as_text=True)
    response = c.post("/tai-khoan/cap-cho-can-bo", data={"unit_id": province[2].id,
                                                         "scheme": "code"})
    assert response.status_code == 200 and "Lựa chọn không hợp lệ" in response.get_data(
        as_text=True)


# --------------------------------------------------------------------------- accounts file
def accounts_file(rows) -> bytes:
    from trainer.auth.operations import ACCOUNT_COLUMNS
    buf = io.BytesIO()
    pd.DataFrame(rows, columns=list(ACCOUNT_COLUMNS)).to_excel(buf, index=False)
    return buf.getvalue()


def preview(client, data):
    return client.post("/nhap-du-lieu", data={"kind": "accounts",
                                              "file": (io.BytesIO(data), "tai-khoan.xlsx")},
                       content_type="multipart/form-data")


def test_accounts_file_preview_confirm_shows_the_passwords_once(app, login, admin, province,
                                                                catalog, make_official):
    from trainer.catalog.models import Provider
    school = db.session.scalar(sa.select(Provider.code).order_by(Provider.code))
    make_official(unit=province[1], code="CB-77", full_name="Hà Thị Lan")
    rows = [
        {"Tên đăng nhập": "TOCHUC.TINH", "Họ và tên": "Sở Nội vụ", "Email": "snv@tinh.gov.vn",
         "Vai trò": "Cán bộ tổ chức, nhân sự", "Mã phạm vi": province[0].code},
        {"Tên đăng nhập": "tochuc.xaa", "Họ và tên": "Phòng Nội vụ xã A", "Email": "",
         "Vai trò": "hr", "Mã phạm vi": province[1].code},
        {"Tên đăng nhập": "truong.ct", "Họ và tên": "Trường Chính trị", "Email": "",
         "Vai trò": "Cơ sở đào tạo", "Mã phạm vi": school},
        {"Tên đăng nhập": "cb-77", "Họ và tên": "", "Email": "", "Vai trò": "Cán bộ",
         "Mã phạm vi": "CB-77"},
    ]
    c = login(admin)
    page = preview(c, accounts_file(rows)).get_data(as_text=True)
    assert 'id="n-created">4<' in page
    batch = re.search(r'action="(/nhap-du-lieu/lo/\d+/xac-nhan)"', page).group(1)
    done = c.post(batch)
    issued = passwords_on(done.get_data(as_text=True))
    assert set(issued) == {"tochuc.tinh", "tochuc.xaa", "truong.ct", "cb-77"}
    assert account("cb-77").display_name == "Hà Thị Lan"
    assert account("tochuc.tinh").must_change_password
    again = preview(c, accounts_file(rows)).get_data(as_text=True)
    assert 'id="n-unchanged">4<' in again
    rows[1]["Email"] = "noivu@xaa.gov.vn"
    changed = preview(c, accounts_file(rows)).get_data(as_text=True)
    assert 'id="n-updated">1<' in changed


def test_accounts_file_errors_name_row_and_column_and_write_nothing(app, login, admin, province,
                                                                    commune_hr, make_official,
                                                                    make_user):
    taken = make_official(unit=province[1], code="CB-88")
    make_user("official", username="cb.88", official_id=taken.id)
    rows = [
        {"Tên đăng nhập": "ok.user", "Họ và tên": "Đúng", "Vai trò": "hr",
         "Mã phạm vi": province[1].code},
        {"Tên đăng nhập": "có dấu", "Họ và tên": "Sai", "Vai trò": "hr",
         "Mã phạm vi": province[1].code},
        {"Tên đăng nhập": "ok.user", "Họ và tên": "Trùng", "Vai trò": "hr",
         "Mã phạm vi": province[1].code},
        {"Tên đăng nhập": "vai.tro", "Họ và tên": "Sai vai trò", "Vai trò": "giám đốc",
         "Mã phạm vi": ""},
        {"Tên đăng nhập": "pham.vi", "Họ và tên": "Sai mã", "Vai trò": "hr",
         "Mã phạm vi": "KHONG-CO"},
        {"Tên đăng nhập": "cb.khac", "Họ và tên": "", "Vai trò": "Cán bộ", "Mã phạm vi": "CB-88"},
        {"Tên đăng nhập": "qt", "Họ và tên": "Quản trị", "Vai trò": "admin",
         "Mã phạm vi": province[0].code},
    ]
    page = preview(login(admin), accounts_file(rows)).get_data(as_text=True)
    for expected in (
            "dòng 3, cột “Tên đăng nhập”: tên đăng nhập 3–64 ký tự",
            "dòng 4, cột “Tên đăng nhập”: “ok.user” trùng với dòng 2",
            "dòng 5, cột “Vai trò”: “giám đốc” không phải vai trò hợp lệ",
            "dòng 6, cột “Mã phạm vi”: không có đơn vị mã “KHONG-CO”",
            "dòng 7, cột “Mã phạm vi”: cán bộ này đã có tài khoản “cb.88”",
            "dòng 8, cột “Mã phạm vi”: tài khoản quản trị không gắn với phạm vi nào",
            "dòng 8, cột “Tên đăng nhập”: tên đăng nhập 3–64 ký tự"):
        assert expected in page, expected
    assert "xac-nhan" not in page and account("ok.user") is None
    # A commune's HR may create its own HR and officials' accounts, nothing wider.
    wide = [{"Tên đăng nhập": "tochuc.tinh2", "Họ và tên": "X", "Vai trò": "hr",
             "Mã phạm vi": province[0].code},
            {"Tên đăng nhập": "quantri", "Họ và tên": "X", "Vai trò": "admin", "Mã phạm vi": ""}]
    page = preview(login(commune_hr), accounts_file(wide)).get_data(as_text=True)
    assert "dòng 2, cột “Vai trò”: vai trò và phạm vi này ngoài quyền quản lý của bạn" in page
    assert "dòng 3, cột “Vai trò”: vai trò và phạm vi này ngoài quyền quản lý của bạn" in page


def test_accounts_file_from_the_command_line(app, runner, province, tmp_path):
    path = tmp_path / "tai-khoan.xlsx"
    path.write_bytes(accounts_file([
        {"Tên đăng nhập": "tochuc.tinh", "Họ và tên": "Sở Nội vụ", "Vai trò": "hr",
         "Mã phạm vi": province[0].code}]))
    dry = runner.invoke(args=["data", "import", "accounts", str(path), "--dry-run"])
    assert dry.exit_code == 0 and "Sẽ thêm 1" in dry.output and account("tochuc.tinh") is None
    out = tmp_path / "mat-khau.xlsx"
    done = runner.invoke(args=["data", "import", "accounts", str(path), "--passwords", str(out)])
    assert done.exit_code == 0, done.output
    sheet = pd.read_excel(out, header=2, dtype=str)
    assert list(sheet["Tên đăng nhập"]) == ["tochuc.tinh"]
    assert out.stat().st_mode & 0o777 == 0o600
    from trainer.auth.passwords import check_password
    assert check_password(account("tochuc.tinh").password_hash, sheet["Mật khẩu ban đầu"][0])
