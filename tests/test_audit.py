"""The audit log (issue 9 §8): who saw whom, who changed what, from where; written in the same
transaction as a change, and after the page for a read; append-only; screens for admins and
province HR; an official sees who viewed their record; pruned after the retention period."""
from __future__ import annotations

import io
import re
from datetime import timedelta

import pandas as pd
import pytest
import sqlalchemy as sa
import time_machine

from tests.test_jobs import download_export
from trainer.audit.models import AuditEvent
from trainer.core.extensions import db


def events(**where) -> list[AuditEvent]:
    db.session.expire_all()
    q = sa.select(AuditEvent).order_by(AuditEvent.id)
    for key, value in where.items():
        q = q.where(getattr(AuditEvent, key) == value)
    return db.session.scalars(q).all()


@pytest.fixture
def people(province, make_official, make_user):
    top, a, b = province
    official = make_official(unit=a, full_name="Lò Thị Xem")
    return {"official": official,
            "official_user": make_user("official", username="cb.xem", official_id=official.id),
            "hr": make_user("hr", username="tochuc.a", unit_id=a.id),
            "province_hr": make_user("hr", username="tochuc.tinh", unit_id=top.id),
            "admin": make_user("admin", username="quantri.nk")}


def test_viewing_searching_and_exporting_leave_rows(app, people, login):
    o = people["official"]
    c = login(people["hr"])
    c.get(f"/can-bo/{o.id}", environ_base={"REMOTE_ADDR": "10.1.2.3"})
    view = events(action="official_view")
    assert len(view) == 1
    e = view[0]
    assert (e.actor_name, e.actor_role, e.subject_type, e.subject_id, e.address) == (
        "tochuc.a", "hr", "official", o.id, "10.1.2.3")
    c.get("/can-bo?q=lo+thi")
    assert events(action="search")[0].detail == "q=lo+thi"
    c.get("/can-bo")  # the plain list is not a search
    assert len(events(action="search")) == 1
    download_export(c, "/can-bo?format=xlsx&q=lo")  # a background job (docs/jobs.md)
    export = events(action="export")
    assert len(export) == 1 and export[0].detail.startswith("can-bo.xlsx")
    c.get("/xuat-csdl-quoc-gia?format=json")
    assert "csdl-quoc-gia.json" in events(action="export")[-1].detail
    # Out of scope: nothing shown, nothing logged as a view.
    other = login(people["hr"])
    assert other.get("/can-bo/999999").status_code == 404
    assert len(events(action="official_view")) == 1


def test_a_change_and_its_row_are_one_transaction(app, catalog, people, login):
    from trainer.catalog.models import Competency
    o = people["official"]
    competency = db.session.scalar(sa.select(Competency).order_by(Competency.code))
    c = login(people["hr"])
    c.post(f"/can-bo/{o.id}", data={"competency_id": competency.id, "level": 2,
                                   "source": "supervisor", "assessed_on": "2026-11-20"})
    rows = events(action="assessment")
    assert len(rows) == 1 and rows[0].subject_id == o.id and competency.code in rows[0].detail
    # A change refused by a rule writes neither the change nor its row.
    c.post(f"/can-bo/{o.id}", data={"competency_id": competency.id, "level": 2,
                                   "source": "supervisor", "assessed_on": "2030-01-01"})
    assert len(events(action="assessment")) == 1


def test_sign_ins_and_failures_are_logged(app, client, people):
    client.post("/dang-nhap", data={"username": "tochuc.a", "password": "sai"},
                environ_base={"REMOTE_ADDR": "10.9.9.9"})
    client.post("/dang-nhap", data={"username": "tochuc.a", "password": "matkhau123"})
    client.post("/dang-xuat")
    failed, = events(action="login_failed")
    assert (failed.actor_name, failed.actor_id, failed.address) == ("tochuc.a", None, "10.9.9.9")
    assert events(action="login")[0].actor_id == people["hr"].id
    assert events(action="logout")[0].actor_id == people["hr"].id


def test_an_import_is_one_row_not_one_per_line(app, people, login, province):
    from tests.test_interchange import confirm_url, preview
    from trainer.people.identity import make_pid
    from trainer.people.operations import OFFICIAL_COLUMNS
    rows = [{**dict.fromkeys(OFFICIAL_COLUMNS, ""), "Mã cán bộ": f"NK{i}",
             "Số định danh cá nhân": make_pid("012", pd.Timestamp("1990-01-01").date(), "male",
                                              500 + i),
             "Họ và tên": f"Cán Bộ {i}", "Ngày sinh": "01/01/1990", "Giới tính": "Nam",
             "Mã đơn vị": province[1].code} for i in range(5)]
    buf = io.BytesIO()
    pd.DataFrame(rows, columns=list(OFFICIAL_COLUMNS)).to_excel(buf, index=False)
    c = login(people["hr"])
    c.post(confirm_url(preview(c, "officials", buf.getvalue())))
    imported, = events(action="import")
    assert imported.subject_type == "batch" and "Đã thêm 5" in imported.detail


def test_token_use_is_logged_once_in_a_while(app, client, people):
    from trainer.api.auth import issue_token
    _, token = issue_token(people["hr"], name="Hệ thống nhân sự")
    db.session.commit()
    for _ in range(3):
        client.get("/api/v1/officials", headers={"Authorization": f"Bearer {token}"})
    assert len(events(action="token")) == 1
    with time_machine.travel(timedelta(minutes=6)):
        client.get("/api/v1/officials", headers={"Authorization": f"Bearer {token}"})
    assert len(events(action="token")) == 2
    assert events(action="token")[0].actor_id == people["hr"].id


def test_the_log_screens_filters_and_export(app, people, login):
    o = people["official"]
    login(people["hr"]).get(f"/can-bo/{o.id}")
    assert login(people["hr"]).get("/nhat-ky").status_code == 403  # a commune's HR: no
    c = login(people["province_hr"])
    page = c.get("/nhat-ky").get_data(as_text=True)
    assert "Xem hồ sơ cán bộ" in page and "tochuc.a" in page and "Lò Thị Xem" in page
    page = c.get(f"/nhat-ky?official={o.code}&action=official_view").get_data(as_text=True)
    assert "Lò Thị Xem" in page
    page = c.get("/nhat-ky?actor=khong-ai").get_data(as_text=True)
    assert "Không có dòng nhật ký nào" in page
    xlsx = c.get("/nhat-ky?format=xlsx&action=official_view")
    sheet = pd.read_excel(io.BytesIO(xlsx.data), header=2)
    assert list(sheet["Người thực hiện"]) == ["tochuc.a"]
    from openpyxl import load_workbook
    cell = load_workbook(io.BytesIO(xlsx.data)).active["A4"]  # the first row's moment
    assert cell.is_date and cell.number_format == "dd/mm/yyyy hh:mm"
    assert login(people["admin"]).get("/nhat-ky").status_code == 200
    # The official sees who opened their record.
    mine = login(people["official_user"]).get("/toi/ai-da-xem").get_data(as_text=True)
    assert "tochuc.a" in mine and "Xem hồ sơ cán bộ" in mine


def test_rows_cannot_be_changed(app, people, login):
    login(people["hr"]).get(f"/can-bo/{people['official'].id}")
    row = events(action="official_view")[0]
    with pytest.raises(sa.exc.DatabaseError, match="never changed"):
        db.session.execute(sa.update(AuditEvent).where(AuditEvent.id == row.id)
                           .values(actor_name="ai đó"))
        db.session.flush()
    db.session.rollback()


def test_prune_deletes_rows_past_the_retention(app, runner, people, login):
    login(people["hr"]).get(f"/can-bo/{people['official'].id}")
    app.config["AUDIT_RETENTION_DAYS"] = 30
    with time_machine.travel(timedelta(days=31)):
        login(people["hr"]).get(f"/can-bo/{people['official'].id}")
        result = runner.invoke(args=["prune"])
    assert result.exit_code == 0, result.output
    assert re.search(r"Đã xóa \d+ dòng nhật ký", result.output)
    assert [e.at.date() for e in events(action="official_view")] != []
    assert len(events(action="official_view")) == 1
