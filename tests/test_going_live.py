"""A province goes live (issue 8, "Done means"), on SQLite and on PostgreSQL: from an empty
database, `trainer setup` (no demo) → the first admin → the units file (a province, two communes
and their departments) → the roster → the HR accounts file → the accounts of one commune's
officials issued by its HR → an official signs in with the one-time password, is made to change
it, and sees their gaps → the two communes are merged and every official, with their history, is
found under the new one → a disabled account's open session is refused at its next request."""
from __future__ import annotations

import io
import re
from datetime import date, timedelta

import pandas as pd
import sqlalchemy as sa

from trainer.core.extensions import db
from trainer.core.timeutil import today
from trainer.people.identity import make_pid
from trainer.people.operations import OFFICIAL_COLUMNS

ADMIN_PASSWORD = "Cao-nguyen-Sin-Ho-2026"


def xlsx(rows: list[dict], columns) -> bytes:
    buf = io.BytesIO()
    pd.DataFrame(rows, columns=list(columns)).to_excel(buf, index=False)
    return buf.getvalue()


def upload_and_confirm(client, kind: str, data: bytes) -> str:
    """The import page: preview (nothing written), then the confirmation; the page it ends on."""
    preview = client.post("/nhap-du-lieu", data={"kind": kind,
                                                 "file": (io.BytesIO(data), f"{kind}.xlsx")},
                          content_type="multipart/form-data").get_data(as_text=True)
    found = re.search(r'action="(/nhap-du-lieu/lo/\d+/xac-nhan)"', preview)
    assert found, preview[preview.find("alert"):][:2000]
    return client.post(found.group(1), follow_redirects=True).get_data(as_text=True)


def one_time_passwords(page: str) -> dict[str, str]:
    names = re.findall(r'name="u" value="([^"]+)"', page)
    return dict(zip(names, re.findall(r'name="p" value="([^"]+)"', page)))


def first_sign_in(app, username: str, one_time: str, new: str):
    """A new browser: sign in with the one-time password, be sent to change it, change it."""
    client = app.test_client()
    response = client.post("/dang-nhap", data={"username": username, "password": one_time})
    assert response.headers["Location"] == "/doi-mat-khau", username
    assert client.get("/").headers["Location"] == "/doi-mat-khau"
    done = client.post("/doi-mat-khau", data={"current_password": one_time,
                                              "new_password": new, "confirm": new})
    assert done.status_code == 302, done.get_data(as_text=True)[:3000]
    return client


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_a_province_goes_live_from_an_empty_database(app, runner, tmp_path):
    from trainer.auth.models import User
    from trainer.learning.models import Cohort, Enrollment
    from trainer.org.models import Unit
    from trainer.people.models import Assessment, Official

    # 1. trainer setup: schema, catalog, targets — and nothing of the demo.
    result = runner.invoke(args=["setup"])
    assert result.exit_code == 0, result.output
    assert [count(m) for m in (User, Unit, Official, Cohort, Enrollment, Assessment)] == [0] * 6

    # 2. The first admin, from the command line.
    result = runner.invoke(args=["accounts", "create-admin", "quantri", "--password-stdin"],
                           input=ADMIN_PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    admin = app.test_client()
    assert admin.post("/dang-nhap", data={"username": "quantri",
                                          "password": ADMIN_PASSWORD}).status_code == 302

    # 3. The units file: a province, two communes, their departments (parents after children
    #    too: a file is read as a whole).
    units = [
        {"Mã đơn vị": "DBN-KT-A", "Tên đơn vị": "Phòng Kinh tế", "Loại đơn vị": "Phòng",
         "Vùng": "", "Mã đơn vị cấp trên": "DBN-A"},
        {"Mã đơn vị": "DBN", "Tên đơn vị": "Tỉnh Điện Biên", "Loại đơn vị": "Tỉnh", "Vùng": "",
         "Mã đơn vị cấp trên": ""},
        {"Mã đơn vị": "DBN-A", "Tên đơn vị": "Xã Mường Phăng", "Loại đơn vị": "Xã",
         "Vùng": "Miền núi", "Mã đơn vị cấp trên": "DBN"},
        {"Mã đơn vị": "DBN-B", "Tên đơn vị": "Xã Nà Tấu", "Loại đơn vị": "Xã",
         "Vùng": "Miền núi", "Mã đơn vị cấp trên": "DBN"},
        {"Mã đơn vị": "DBN-KT-B", "Tên đơn vị": "Phòng Kinh tế", "Loại đơn vị": "Phòng",
         "Vùng": "", "Mã đơn vị cấp trên": "DBN-B"},
    ]
    from trainer.org.operations import UNIT_COLUMNS
    page = upload_and_confirm(admin, "units", xlsx(units, UNIT_COLUMNS))
    assert "Đã thêm 5" in page
    by_code = {u.code: u for u in db.session.scalars(sa.select(Unit))}
    assert by_code["DBN-KT-A"].parent_id == by_code["DBN-A"].id

    # 4. The roster, from the command line (as the IT team would load it).
    def official(code, name, birth, gender, unit, position, email=""):
        return {**dict.fromkeys(OFFICIAL_COLUMNS, ""), "Mã cán bộ": code,
                "Số định danh cá nhân": make_pid("011", birth, gender, int(code[-3:])),
                "Họ và tên": name, "Ngày sinh": birth.strftime("%d/%m/%Y"),
                "Giới tính": "Nữ" if gender == "female" else "Nam", "Dân tộc": "Thái",
                "Mã đơn vị": unit, "Mã vị trí việc làm": position,
                "Trình độ chuyên môn": "Đại học", "Email": email}
    roster = [
        official("DB001", "Lò Thị Hoa", date(1991, 4, 2), "female", "DBN-A", "CV-DCXD"),
        official("DB002", "Quàng Văn Sơn", date(1985, 9, 20), "male", "DBN-KT-A", "CV-VP"),
        official("DB003", "Lường Thị Ánh", date(1996, 1, 11), "female", "DBN-B", "CV-VP"),
        official("DB004", "Cà Văn Dũng", date(1979, 12, 5), "male", "DBN-KT-B", "CV-DCXD"),
    ]
    path = tmp_path / "can-bo.xlsx"
    path.write_bytes(xlsx(roster, OFFICIAL_COLUMNS))
    result = runner.invoke(args=["data", "import", "officials", str(path)])
    assert result.exit_code == 0 and "Đã thêm 4" in result.output, result.output

    # 5. The HR accounts file, confirmed on the web: passwords shown once.
    from trainer.auth.operations import ACCOUNT_COLUMNS
    accounts = [
        {"Tên đăng nhập": "tochuc.tinh", "Họ và tên": "Sở Nội vụ tỉnh Điện Biên",
         "Email": "snv@dienbien.gov.vn", "Vai trò": "Cán bộ tổ chức, nhân sự", "Mã phạm vi": "DBN"},
        {"Tên đăng nhập": "tochuc.muongphang", "Họ và tên": "Văn phòng UBND xã Mường Phăng",
         "Email": "", "Vai trò": "Cán bộ tổ chức, nhân sự", "Mã phạm vi": "DBN-A"},
        {"Tên đăng nhập": "tochuc.natau", "Họ và tên": "Văn phòng UBND xã Nà Tấu", "Email": "",
         "Vai trò": "Cán bộ tổ chức, nhân sự", "Mã phạm vi": "DBN-B"},
    ]
    page = upload_and_confirm(admin, "accounts", xlsx(accounts, ACCOUNT_COLUMNS))
    hr_passwords = one_time_passwords(page)
    assert set(hr_passwords) == {"tochuc.tinh", "tochuc.muongphang", "tochuc.natau"}

    # 6. Commune A's HR signs in, sets a password, and issues its officials' accounts.
    hr_a = first_sign_in(app, "tochuc.muongphang", hr_passwords["tochuc.muongphang"],
                         "Ruong-bac-thang-Muong-Phang")
    preview = hr_a.get(f"/tai-khoan/cap-cho-can-bo?unit_id={by_code['DBN-A'].id}&scheme=code")
    assert "<strong>2</strong> cán bộ sẽ được cấp" in preview.get_data(as_text=True)
    page = hr_a.post("/tai-khoan/cap-cho-can-bo",
                     data={"unit_id": by_code["DBN-A"].id, "scheme": "code"})
    official_passwords = one_time_passwords(page.get_data(as_text=True))
    assert set(official_passwords) == {"db001", "db002"}  # commune A and its department

    # 7. An official signs in with it, is made to change it, and sees their gaps.
    hoa = first_sign_in(app, "DB001", official_passwords["db001"], "Hoa-ban-no-trang-doi")
    me = hoa.get("/toi").get_data(as_text=True)
    assert "Lò Thị Hoa" in me and "Lộ trình" in me
    hoa_id = db.session.scalar(sa.select(Official.id).where(Official.code == "DB001"))
    from trainer.guidance.operations import guidance_for
    assert any(g.gap for g in guidance_for(db.session.get(Official, hoa_id),
                                           with_mentors=False).gaps)
    # Her history: a supervisor's assessment recorded by commune A's HR before the merge.
    competency = db.session.scalar(sa.text(
        "SELECT c.id FROM competencies c JOIN position_requirements r ON r.competency_id = c.id "
        "JOIN positions p ON p.id = r.position_id WHERE p.code = 'CV-DCXD' ORDER BY c.code"))
    before = (today() - timedelta(days=20)).isoformat()  # the date input sends ISO
    hr_a.post(f"/can-bo/{hoa_id}", data={"competency_id": competency, "level": 3,
                                        "source": "supervisor", "assessed_on": before})
    assert count(Assessment) == 1

    # 8. The two communes are merged (Mường Phăng into Nà Tấu), confirmed after the outline.
    a, b = by_code["DBN-A"], by_code["DBN-B"]
    form = {"target": b.id, "merged_on": today().strftime("%d/%m/%Y"),
            "decision_no": "1681/QĐ-UBND"}
    outline = admin.post(f"/don-vi/{a.id}/sap-nhap", data=form).get_data(as_text=True)
    assert "Kiểm tra trước khi ghi" in outline and "tochuc.muongphang" in outline
    assert db.session.get(Unit, a.id).closed_on is None  # nothing written yet
    done = admin.post(f"/don-vi/{a.id}/sap-nhap", data=form | {"confirmed": "1"},
                      follow_redirects=True).get_data(as_text=True)
    assert "Đã sáp nhập" in done
    db.session.expire_all()
    merged = db.session.get(Unit, a.id)
    assert merged.closed_on == today() and merged.merged_into_id == b.id
    hr_b = first_sign_in(app, "tochuc.natau", hr_passwords["tochuc.natau"],
                         "Song-Nam-Rom-chay-mai")
    listing = hr_b.get("/can-bo").get_data(as_text=True)
    for name in ("Lò Thị Hoa", "Quàng Văn Sơn", "Lường Thị Ánh", "Cà Văn Dũng"):
        assert name in listing, name
    record = hr_b.get(f"/can-bo/{hoa_id}").get_data(as_text=True)
    assert "Lò Thị Hoa" in record and "Xã Nà Tấu" in record
    history = db.session.scalars(sa.select(Assessment).where(
        Assessment.official_id == hoa_id)).all()
    assert [(h.level, h.source) for h in history] == [(3, "supervisor")]
    assert db.session.get(Official, hoa_id).unit_id == b.id
    # The department of A now stands under B; A's HR sees nobody any more.
    assert db.session.get(Unit, by_code["DBN-KT-A"].id).parent_id == b.id
    assert "Quàng Văn Sơn" not in hr_a.get("/can-bo").get_data(as_text=True)
    assert hr_a.get(f"/can-bo/{hoa_id}").status_code == 404
    # The closed commune stays readable; a report as of a day before the merge still shows it.
    closed_page = admin.get(f"/don-vi/{a.id}").get_data(as_text=True)
    assert "Đã sáp nhập vào" in closed_page and "1681/QĐ-UBND" in closed_page
    from trainer.learning.queries import officials_frame
    then = officials_frame(on=today() - timedelta(days=1)).set_index("code")
    now = officials_frame().set_index("code")
    assert then.loc["DB001", "commune_name"] == "Xã Mường Phăng"
    assert then.loc["DB002", "commune_name"] == "Xã Mường Phăng"
    assert now.loc["DB001", "commune_name"] == now.loc["DB002", "commune_name"] == "Xã Nà Tấu"

    # 9. Disabling an account ends its open session at the next request.
    assert hoa.get("/toi").status_code == 200
    hoa_user = db.session.scalar(sa.select(User).where(User.username == "db001"))
    admin.post(f"/tai-khoan/{hoa_user.id}/khoa")
    refused = hoa.get("/toi")
    assert refused.status_code == 302 and "/dang-nhap" in refused.headers["Location"]
