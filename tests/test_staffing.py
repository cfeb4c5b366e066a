"""Staffing (issue 13 §6; LC (1), DL-l; LC-1b): approved headcount per unit and position entered
on a form or imported, filled posts and vacancies computed, the fields of study positions accept
(catalog file, sync, positions import), and the officials whose field does not fit."""
from __future__ import annotations

import html
import io
import re
import shutil
from datetime import date

import openpyxl
import pandas as pd
import pytest
import sqlalchemy as sa

from courses import load_catalog
from courses.catalog import DATA_DIR
from trainer.audit.models import AuditEvent
from trainer.catalog.models import Competency, Position, PositionField
from trainer.catalog.operations import sync_catalog
from trainer.core.extensions import db
from trainer.core.timeutil import today
from trainer.people.models import Assessment
from trainer.staffing import queries
from trainer.staffing.models import PositionQuota

QUOTA_HEADERS = ["Mã đơn vị", "Mã vị trí việc làm", "Biên chế được giao"]


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def xlsx(rows, columns=QUOTA_HEADERS) -> bytes:
    buf = io.BytesIO()
    pd.DataFrame(rows, columns=columns).to_excel(buf, index=False)
    return buf.getvalue()


def upload(client, data: bytes, filename="bien-che.xlsx", kind="quotas"):
    """Preview, then confirm when the preview offers to."""
    response = client.post("/nhap-du-lieu", data={"kind": kind, "file": (io.BytesIO(data),
                                                                          filename)},
                           content_type="multipart/form-data")
    found = re.search(r'action="(/nhap-du-lieu/lo/\d+/xac-nhan)"', response.get_data(as_text=True))
    if response.status_code != 200 or not found:
        return response
    return client.post(found.group(1), follow_redirects=True)


def pos(code: str) -> Position:
    return db.session.scalar(sa.select(Position).where(Position.code == code))


def quotas() -> dict[tuple[str, str], int]:
    return {(q.unit.code, q.position.code): q.approved
            for q in db.session.scalars(sa.select(PositionQuota))}


@pytest.fixture
def world(catalog, province, make_unit, make_official):
    """Commune A (mountain) with a department and real catalog positions; commune B; a merged
    (closed) commune C. Officials as a commune has them: some with a field that fits, some not,
    some without a field or a position."""
    top, a, b = province
    dept = make_unit(code="LCU-X01-VP", name="Văn phòng Xã A", kind="department", region=None,
                     parent_id=a.id)
    closed = make_unit(code="LCU-X03", name="Xã C (đã sáp nhập)", parent_id=top.id,
                       closed_on=date(2025, 7, 1), merged_into_id=a.id)
    tp, vp, cntt, vt, ct = (pos(c) for c in ("CV-TPHT", "CV-VP", "CV-CNTT", "CV-VTLT",
                                             "CT-UBND"))
    people = {
        "luat": make_official(unit=a, position=tp, full_name="Lò Văn Luật",
                              education_field="Luật hành chính"),
        "ketoan": make_official(unit=a, position=tp, full_name="Hà Thị Kế",
                                education_field="Kế toán"),
        "vp1": make_official(unit=a, position=vp, full_name="Vàng A Một",
                             education_field="Hành chính học"),
        "vp2": make_official(unit=a, position=vp, full_name="Vàng A Hai",
                             education_field="ngành Quản trị văn phòng"),
        "vp3": make_official(unit=a, position=vp, full_name="Vàng A Ba", education_field=""),
        "it": make_official(unit=a, position=cntt, full_name="Mùa A Tin",
                            education_field="Công nghệ thông tin"),
        "vt": make_official(unit=a, position=vt, full_name="Giàng Thị Lưu",
                            education_field="Quản trị văn phòng"),
        "chair": make_official(unit=a, position=ct, full_name="Sùng A Chủ",
                               education_field="Kinh tế"),
        "unplaced": make_official(unit=a, position=None, education_field="Luật"),
        "dept": make_official(unit=dept, position=vp, full_name="Lý Thị Phòng",
                              education_field="Luật"),
        "b": make_official(unit=b, position=tp, full_name="Đinh Văn Bê",
                           education_field="Kinh tế"),
        "closed": make_official(unit=closed, position=tp, education_field="Kế toán"),
    }
    db.session.add_all([
        PositionQuota(unit_id=a.id, position_id=tp.id, approved=3),
        PositionQuota(unit_id=a.id, position_id=vp.id, approved=1),
        PositionQuota(unit_id=a.id, position_id=vt.id, approved=0),
        PositionQuota(unit_id=b.id, position_id=tp.id, approved=2),
        PositionQuota(unit_id=closed.id, position_id=tp.id, approved=5),
    ])
    # The archivist has been retrained: every competency at the top level.
    for c in db.session.scalars(sa.select(Competency)):
        db.session.add(Assessment(official_id=people["vt"].id, competency_id=c.id, level=4,
                                  source="test", assessed_on=today(), assessor="Sở Nội vụ"))
    db.session.commit()
    return dict(top=top, a=a, b=b, dept=dept, closed=closed, people=people)


@pytest.fixture
def hr_a(world, make_user, login):
    return login(make_user("hr", unit_id=world["a"].id))


@pytest.fixture
def hr_province(world, make_user, login):
    return login(make_user("hr", unit_id=world["top"].id))


# --- Figures -----------------------------------------------------------------------------------

def test_approved_filled_vacancies_and_over_per_unit_and_position(world):
    df = queries.staffing_frame()
    got = {(r.unit_code, r.position_code): (None if r.no_quota else int(r.approved), r.filled,
                                            r.vacancies, r.over)
           for r in df.itertuples()}
    assert got == {
        ("LCU-X01", "CV-TPHT"): (3, 2, 1, 0),       # two of three posts filled
        ("LCU-X01", "CV-VP"): (1, 3, 0, 2),         # three people on one post
        ("LCU-X01", "CV-VTLT"): (0, 1, 0, 1),       # none approved, one placed
        ("LCU-X01", "CV-CNTT"): (None, 1, 0, 0),    # filled without a quota
        ("LCU-X01", "CT-UBND"): (None, 1, 0, 0),
        ("LCU-X01-VP", "CV-VP"): (None, 1, 0, 0),   # the department counts on its own
        ("LCU-X02", "CV-TPHT"): (2, 1, 1, 0),
    }  # the closed commune C counts neither its quota nor its official; unplaced officials none
    per_unit = queries.unit_totals(df).set_index("unit_code")
    assert per_unit.loc["LCU-X01", ["approved", "filled", "vacancies", "over",
                                    "no_quota_filled"]].tolist() == [4, 8, 1, 3, 2]
    assert queries.totals(df) == {"approved": 6, "filled": 10, "vacancies": 2, "over": 3,
                                  "no_quota_filled": 3}
    only_a = queries.staffing_frame([world["a"].id])
    assert set(only_a["unit_code"]) == {"LCU-X01"}


def test_index_and_unit_pages_show_the_figures(hr_a, world):
    page = text_of(hr_a.get("/bien-che/"))
    assert "Biên chế được giao và cán bộ đang bố trí" in page
    assert "Xã A" in page and "Văn phòng Xã A" in page
    assert "Xã B" not in page and "Xã C" not in page  # outside the scope; closed
    unit = text_of(hr_a.get(f"/bien-che/don-vi/{world['a'].id}"))
    assert "Chuyên viên tư pháp – hộ tịch" in unit
    assert "Chưa giao biên chế" in unit
    assert "Chuyên ngành phù hợp: Luật" in unit  # the accepted fields where positions are shown
    sub = text_of(hr_a.get(f"/bien-che/?unit={world['dept'].id}"))
    assert "Văn phòng Xã A" in sub and "LCU-X01<" not in sub.replace("</div>", "<")


def test_hr_of_the_province_sees_every_open_unit(hr_province, world):
    page = text_of(hr_province.get("/bien-che/"))
    assert "Xã A" in page and "Xã B" in page and "Xã C" not in page
    assert "3 đơn vị" in page


def test_scope_other_units_are_404_and_roles_403(hr_a, world, make_user, login, client):
    b, closed = world["b"], world["closed"]
    for url in (f"/bien-che/don-vi/{b.id}", f"/bien-che/don-vi/{b.id}/sua",
                f"/bien-che/?unit={b.id}", f"/bien-che/chuyen-mon?unit={b.id}",
                f"/bien-che/don-vi/{closed.id}", "/bien-che/don-vi/999999"):
        assert hr_a.get(url).status_code == 404, url
    assert hr_a.post(f"/bien-che/don-vi/{b.id}/sua", data={}).status_code == 404
    hr_a.get("/dang-xuat")
    official = make_user("official", official_id=world["people"]["luat"].id)
    login(official)
    assert client.get("/bien-che/").status_code == 403
    assert client.get("/bien-che/chuyen-mon").status_code == 403


# --- Entry form --------------------------------------------------------------------------------

def test_quota_form_sets_changes_and_removes(hr_a, world):
    a = world["a"]
    page = text_of(hr_a.get(f"/bien-che/don-vi/{a.id}/sua"))
    assert "Giao biên chế: Xã A" in page and 'inputmode="numeric"' in page
    assert "chuyên ngành phù hợp: Luật" in page
    tp, vp, cntt = pos("CV-TPHT"), pos("CV-VP"), pos("CV-CNTT")
    form = {f"p{p.id}": "" for p in db.session.scalars(sa.select(Position))}
    form.update({f"p{tp.id}": "3", f"p{vp.id}": "4", f"p{cntt.id}": "1"})  # CV-VTLT blank
    response = hr_a.post(f"/bien-che/don-vi/{a.id}/sua", data=form, follow_redirects=True)
    assert "Đã lưu biên chế của Xã A: 3 vị trí thay đổi." in text_of(response)
    got = {k: v for k, v in quotas().items() if k[0] == "LCU-X01"}
    assert got == {("LCU-X01", "CV-TPHT"): 3, ("LCU-X01", "CV-VP"): 4,
                   ("LCU-X01", "CV-CNTT"): 1}
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "unit")).one()
    assert event.subject_id == a.id and "CV-VP: 1 → 4" in event.detail
    assert "CV-VTLT: bỏ" in event.detail and "CV-CNTT: 1" in event.detail

    form[f"p{vp.id}"] = "hai"
    form[f"p{tp.id}"] = "1000"
    bad = text_of(hr_a.post(f"/bien-che/don-vi/{a.id}/sua", data=form))
    assert "Biên chế “hai” phải là số nguyên từ 0 đến 999." in bad
    assert "Biên chế “1000” phải là số nguyên từ 0 đến 999." in bad
    assert quotas()[("LCU-X01", "CV-VP")] == 4  # nothing saved


# --- Import ------------------------------------------------------------------------------------

def test_import_quotas_preview_confirm_and_again_unchanged(hr_a, world):
    rows = [["LCU-X01", "CV-TPHT", "4"], ["LCU-X01", "CV-CNTT", "1"],
            ["LCU-X01-VP", "CV-VP", "2,0"], ["LCU-X01", "CV-VP", "1"]]
    response = upload(hr_a, xlsx(rows))
    assert "Đã thêm 2, cập nhật 1, giữ nguyên 1 biên chế vị trí." in text_of(response)
    got = quotas()
    assert got[("LCU-X01", "CV-TPHT")] == 4 and got[("LCU-X01", "CV-CNTT")] == 1
    assert got[("LCU-X01-VP", "CV-VP")] == 2
    again = hr_a.post("/nhap-du-lieu", data={"kind": "quotas",
                                             "file": (io.BytesIO(xlsx(rows)), "b.xlsx")},
                      content_type="multipart/form-data")
    assert "Sẽ thêm 0, cập nhật 0, giữ nguyên 4 biên chế vị trí." in text_of(again)


def test_import_quotas_bad_rows_name_row_and_column_and_write_nothing(hr_a, world):
    before = quotas()
    rows = [["LCU-X01", "CV-TPHT", "5"],            # fine, but the file has errors
            ["KHONG-CO", "CV-TPHT", "1"],
            ["LCU-X02", "CV-TPHT", "1"],            # outside the HR officer's scope
            ["LCU-X03", "CV-TPHT", "1"],            # merged
            ["LCU-X01", "VT-LA", "1"],
            ["LCU-X01", "CV-VP", "hai"],
            ["LCU-X01", "CV-TPHT", "2"],            # the same pair again
            ["LCU-X01", "CV-NV", ""]]
    page = text_of(upload(hr_a, xlsx(rows)))
    for message in (
            "dòng 3, cột “Mã đơn vị”: không có đơn vị mã “KHONG-CO”",
            "dòng 4, cột “Mã đơn vị”: đơn vị “Xã B” ngoài phạm vi quản lý của bạn",
            "dòng 5, cột “Mã đơn vị”: đơn vị “Xã C (đã sáp nhập)” đã sáp nhập hoặc giải thể "
            "từ 01/07/2025",
            "dòng 6, cột “Mã vị trí việc làm”: không có vị trí việc làm mã “VT-LA”",
            "dòng 7, cột “Biên chế được giao”: “hai” phải là số nguyên từ 0 đến 999",
            "dòng 8, cột “Mã vị trí việc làm”: đơn vị LCU-X01 đã có biên chế vị trí CV-TPHT ở "
            "dòng 2",
            "dòng 9, cột “Biên chế được giao”: không được để trống"):
        assert message in page, message
    assert quotas() == before
    missing = text_of(upload(hr_a, xlsx([["LCU-X01", "CV-TPHT"]], QUOTA_HEADERS[:2])))
    assert "thiếu cột “Biên chế được giao”" in missing


def test_import_template_and_stored_quotas_round_trip(hr_a, world):
    template = hr_a.get("/nhap-du-lieu/mau/quotas.xlsx")
    assert template.status_code == 200
    head = pd.read_excel(io.BytesIO(template.data), dtype=str)
    assert list(head.columns)[:3] == ["Mã đơn vị", "Tên đơn vị", "Mã vị trí việc làm"]
    stored = hr_a.get("/bien-che/bien-che.xlsx")
    assert stored.status_code == 200
    table = pd.read_excel(io.BytesIO(stored.data), dtype=str)
    assert set(table["Mã đơn vị"]) == {"LCU-X01"}  # only the scope's; never the closed unit's
    again = hr_a.post("/nhap-du-lieu", data={"kind": "quotas",
                                             "file": (io.BytesIO(stored.data), "lai.xlsx")},
                      content_type="multipart/form-data")
    assert "Sẽ thêm 0, cập nhật 0, giữ nguyên 3 biên chế vị trí." in text_of(again)


def test_cli_imports_quotas(runner, world, tmp_path):
    path = tmp_path / "bien-che.csv"
    pd.DataFrame([["LCU-X02", "CV-VP", "2"]], columns=QUOTA_HEADERS).to_csv(path, index=False)
    result = runner.invoke(args=["data", "import", "quotas", str(path)])
    assert result.exit_code == 0, result.output
    assert "Đã thêm 1, cập nhật 0, giữ nguyên 0 biên chế vị trí." in result.output
    assert quotas()[("LCU-X02", "CV-VP")] == 2


# --- Export ------------------------------------------------------------------------------------

def test_export_holds_the_figures_and_no_formula(hr_a, world):
    world["a"].name = '=HYPERLINK("http://x.example","bấm")'
    db.session.commit()
    response = hr_a.get("/bien-che/?format=xlsx")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    sheet = book["Theo vị trí"]
    rows = [[c.value for c in r] for r in sheet.iter_rows(min_row=3)]
    assert rows[0][:5] == ["Mã đơn vị", "Đơn vị", "Mã vị trí việc làm", "Vị trí việc làm",
                           "Biên chế được giao"]
    vp = next(r for r in rows if r[0] == "LCU-X01" and r[2] == "CV-VP")
    assert vp[4:8] == [1, 3, 0, 2]
    cntt = next(r for r in rows if r[2] == "CV-CNTT")
    assert cntt[4] is None and cntt[8] == "Chưa giao biên chế"
    assert all(c.data_type != "f" for ws in book for r in ws.iter_rows() for c in r)
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(
        AuditEvent.action == "export")) >= 1


# --- Fields of study in the catalog ------------------------------------------------------------

def test_catalog_file_carries_the_accepted_fields():
    cat = load_catalog()
    assert cat.position("CV-TPHT").fields == ("Luật",)
    assert "Quản lý đất đai" in cat.position("CV-DCXD").fields
    assert cat.position("CT-UBND").fields == ()  # elected leaders: any field
    assert "Thống kê" in cat.position("CV-VP").fields


def test_older_positions_file_without_the_column_loads_and_keeps_stored_fields(catalog,
                                                                               tmp_path):
    old = tmp_path / "old"
    shutil.copytree(DATA_DIR, old)
    frame = pd.read_csv(old / "positions.csv", dtype=str, keep_default_na=False)
    frame.drop(columns="fields").to_csv(old / "positions.csv", index=False)
    cat = load_catalog(old)
    assert cat.position("CV-TPHT").fields is None
    sync_catalog(cat)
    db.session.commit()
    assert [f.field for f in pos("CV-TPHT").fields] == ["Luật"]  # kept
    frame.loc[frame["code"] == "CV-TPHT", "fields"] = "Luật; luật ; Hành chính học"
    frame.to_csv(old / "positions.csv", index=False)
    sync_catalog(load_catalog(old))
    db.session.commit()
    assert [f.field for f in pos("CV-TPHT").fields] == ["Hành chính học", "Luật"]


def test_positions_import_sets_fields_and_older_files_keep_them(catalog, make_user, login,
                                                                province):
    top, _, _ = province
    client = login(make_user("hr", unit_id=top.id))
    stored = client.get("/nhap-du-lieu/mau/positions.xlsx?all=1")
    table = pd.read_excel(io.BytesIO(stored.data), dtype=str, keep_default_na=False)
    assert "Chuyên ngành phù hợp" in table.columns
    assert table.set_index("Mã vị trí việc làm").loc["CV-TPHT", "Chuyên ngành phù hợp"] == "Luật"
    table.loc[table["Mã vị trí việc làm"] == "CV-NV", "Chuyên ngành phù hợp"] = "Quản lý nhà nước"
    buf = io.BytesIO()
    table.to_excel(buf, index=False)
    page = text_of(upload(client, buf.getvalue(), "vi-tri.xlsx", kind="positions"))
    assert "cập nhật 1" in page
    assert [f.field for f in pos("CV-NV").fields] == ["Quản lý nhà nước"]
    older = table.drop(columns="Chuyên ngành phù hợp")
    buf = io.BytesIO()
    older.to_excel(buf, index=False)
    preview = text_of(client.post("/nhap-du-lieu", data={
        "kind": "positions", "file": (io.BytesIO(buf.getvalue()), "cu.xlsx")},
        content_type="multipart/form-data"))
    assert "cập nhật 0" in preview  # no column: the fields are not a change
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PositionField)) > 20


# --- LC-1b: who does not fit -------------------------------------------------------------------

def test_mismatch_list_with_retraining_from_the_gap_rule(world):
    from trainer.people.models import Official
    found = queries.mismatches(Official.unit_id.in_([world["a"].id, world["dept"].id]))
    names = dict(zip(found.rows["full_name"], found.rows["still_gap"]))
    # "Luật hành chính" fits "Luật"; "ngành Quản trị văn phòng" fits CV-VP; the chair's post
    # accepts any field and one specialist has none recorded: "chưa rõ".
    assert names == {"Hà Thị Kế": True, "Giàng Thị Lưu": False}
    assert (found.counted, found.fitting, found.mismatched, found.unknown) == (9, 5, 2, 2)
    assert found.retrained == 1
    row = found.rows.set_index("full_name").loc["Hà Thị Kế"]
    assert row["accepted"] == ["Luật"] and row["gap_count"] > 0


def test_mismatch_page_and_export(hr_a, world):
    page = text_of(hr_a.get("/bien-che/chuyen-mon"))
    assert "Chuyên môn chưa phù hợp vị trí việc làm" in page
    assert "Hà Thị Kế" in page and "Kế toán" in page and "Còn thiếu" in page
    assert "Giàng Thị Lưu" in page and "Đã đạt" in page
    assert "Lò Văn Luật" not in page and "Đinh Văn Bê" not in page  # fits; outside the scope
    assert 'href="/muc-tieu/LC-1b"' in page
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(
        AuditEvent.action == "official_view", AuditEvent.subject_type == "report")) == 1
    response = hr_a.get("/bien-che/chuyen-mon?format=xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    rows = [[c.value for c in r] for r in sheet.iter_rows(min_row=4)]
    assert {r[1] for r in rows} == {"Hà Thị Kế", "Giàng Thị Lưu"}
    assert hr_a.get("/muc-tieu/LC-1b").status_code == 200


# --- JSON API ----------------------------------------------------------------------------------

def test_api_staffing_in_scope(client, world, make_user):
    from trainer.api.auth import issue_token
    hr = make_user("hr", unit_id=world["a"].id)
    _, token = issue_token(hr, name="bien-che")
    db.session.commit()
    auth = {"Authorization": f"Bearer {token}"}
    body = client.get("/api/v1/staffing", headers=auth).get_json()
    assert body["unit"] is None
    assert body["totals"] == {"approved": 4, "filled": 9, "vacancies": 1, "over": 3,
                              "no_quota_filled": 3}
    tp = next(i for i in body["items"] if i["unit"]["code"] == "LCU-X01"
              and i["position"]["code"] == "CV-TPHT")
    assert (tp["approved"], tp["filled"], tp["vacancies"], tp["over"]) == (3, 2, 1, 0)
    assert any(i["approved"] is None for i in body["items"])
    dept = client.get(f"/api/v1/staffing?unit={world['dept'].id}", headers=auth).get_json()
    assert dept["unit"]["code"] == "LCU-X01-VP" and len(dept["items"]) == 1
    assert client.get(f"/api/v1/staffing?unit={world['b'].id}", headers=auth).status_code == 404


def test_official_record_shows_the_field_and_whether_it_fits(hr_a, world):
    page = text_of(hr_a.get(f"/can-bo/{world['people']['ketoan'].id}"))
    assert "Kế toán" in page and "Chưa phù hợp vị trí" in page
    assert "Chuyên ngành phù hợp với vị trí: Luật" in page
    fits = text_of(hr_a.get(f"/can-bo/{world['people']['luat'].id}"))
    assert "Luật hành chính" in fits and "Chưa phù hợp vị trí" not in fits
