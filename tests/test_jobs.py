"""Long work off the request (issue 11 §5, docs/jobs.md): exports run as RQ jobs on the test
Redis, by a real worker — `trainer worker --burst` in a process of its own, on the test database
— with progress, a download for the user who asked only, a Vietnamese error when a job fails, and
nothing lost when the web app restarts. `download_export` is how the other test files fetch an
export that is a job: the offer, the POST, a real RQ worker in this process, the download."""
from __future__ import annotations

import html
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import sqlalchemy as sa

from tests.conftest import REDIS_PREFIX, REDIS_URL, make_app
from trainer.audit.models import AuditEvent
from trainer.core.extensions import db
from trainer.jobs import operations as jobs

ROOT = Path(__file__).resolve().parents[1]
TRAINER = str(Path(sys.executable).with_name("trainer"))
KEY = "test-0123456789abcdef0123456789abcdef"


def download_export(client, url: str):
    """An export that is a background job, as a user gets it: the GET offers it, the offer's
    button queues it, a real RQ worker (in this process) runs it, the job's page downloads it."""
    offer = client.get(url)
    assert offer.status_code == 200, url
    page = offer.get_data(as_text=True)
    kind = re.search(r'name="viec" value="([^"]*)"', page).group(1)
    query = html.unescape(re.search(r'name="tham-so" value="([^"]*)"', page).group(1))
    answer = client.post("/viec/", data={"viec": kind, "tham-so": query})
    assert answer.status_code == 303, answer.get_data(as_text=True)[:500]
    jobs.work(burst=True, simple=True)
    job_url = answer.headers["Location"]
    status = client.get(job_url + "/trang-thai").get_json()
    assert status["state"] == "done", status
    return client.get(job_url + "/tai-ve")


def run_worker(database_url: str, *extra: str, redis_url: str = REDIS_URL):
    """`trainer worker --burst` in a process of its own, as systemd would start it."""
    env = dict(os.environ, TRAINER_ENV="test", TRAINER_SECRET_KEY=KEY,
               TRAINER_DATABASE_URL=database_url, TRAINER_REDIS_URL=redis_url,
               TRAINER_REDIS_PREFIX=REDIS_PREFIX, TRAINER_LOG_LEVEL="WARNING")
    return subprocess.run([TRAINER, "worker", "--burst", *extra], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=180)


@pytest.fixture(autouse=True)
def _empty_queue(app):
    """Each test starts with no job of an earlier one (user ids repeat across tests)."""
    client = jobs.redis_client()
    jobs._queue(client).empty()
    for key in client.scan_iter(f"{REDIS_PREFIX}:jobs:*"):
        client.delete(key)
    yield
    jobs._queue(client).empty()


@pytest.fixture
def scene(app, catalog, make_unit, make_user, make_official):
    province = make_unit(kind="province", region=None, name="Tỉnh Thử")
    commune = make_unit(parent_id=province.id, name="Xã Thử")
    other = make_unit(parent_id=province.id, name="Xã Khác")
    make_official(unit=commune, full_name="Trần Văn Ký", digital_signature=True)
    make_official(unit=commune, full_name="Đỗ Thị Chưa")
    make_official(unit=other, full_name="Lê Văn Ngoài")
    db.session.commit()
    return {"hr": make_user("hr", unit_id=province.id),
            "commune_hr": make_user("hr", unit_id=commune.id),
            "other_hr": make_user("hr", unit_id=province.id), "commune": commune, "other": other}


def _signed_in(app, user):
    c = app.test_client()
    assert c.post("/dang-nhap", data={"username": user.username,
                                      "password": "matkhau123"}).status_code == 302
    return c


def _ask(c, kind: str, query: str = "") -> str:
    answer = c.post("/viec/", data={"viec": kind, "tham-so": query})
    assert answer.status_code == 303, answer.get_data(as_text=True)[:300]
    return answer.headers["Location"].rsplit("/", 1)[1]


def test_a_real_worker_builds_the_export_the_user_alone_downloads(app, scene, database_url):
    hr = _signed_in(app, scene["hr"])
    offer = hr.get("/muc-tieu/bao-cao.xlsx")
    assert offer.status_code == 200 and "Tạo tệp Excel" in offer.get_data(as_text=True)
    dashboard = hr.get("/muc-tieu/").get_data(as_text=True)
    assert 'name="viec" value="targets.report"' in dashboard  # the button posts, no link

    job_id = _ask(hr, "targets.report")
    assert _ask(hr, "targets.report") == job_id  # asked twice while waiting: one job
    page = hr.get(f"/viec/{job_id}").get_data(as_text=True)
    assert "Đang chờ" in page and 'data-percent="0"' in page and "Tải lại" in page
    assert "/static/jobs.js" in page and "Chưa có tiến trình nền" in page
    status = hr.get(f"/viec/{job_id}/trang-thai").get_json()
    assert (status["state"], status["text"], status["worker"]) == ("waiting", "Đang chờ", False)
    assert hr.get(f"/viec/{job_id}/tai-ve").status_code == 404  # nothing to download yet
    # Someone else's: as if it did not exist, even for an HR of the same scope.
    other = _signed_in(app, scene["other_hr"])
    for url in (f"/viec/{job_id}", f"/viec/{job_id}/trang-thai", f"/viec/{job_id}/tai-ve"):
        assert other.get(url).status_code == 404, url
    assert job_id not in other.get("/viec/").get_data(as_text=True)

    done = run_worker(database_url)
    assert done.returncode == 0, done.stderr
    assert "Đã làm xong các việc đang chờ." in done.stdout

    status = hr.get(f"/viec/{job_id}/trang-thai").get_json()
    assert (status["state"], status["text"], status["percent"]) == ("done", "Xong", 100)
    assert status["download"] == f"/viec/{job_id}/tai-ve"
    steps = jobs._fetch(jobs.redis_client(), job_id).meta["log"]
    percents = [p for p, _, _ in steps]
    assert percents == sorted(percents) and percents[0] == 5 and percents[-1] == 100
    assert any(s.startswith("Đang tính mục tiêu HT-6") for _, s, _ in steps)
    assert any(s.startswith("Đang ghi tệp Excel") for _, s, _ in steps)
    page = hr.get(f"/viec/{job_id}").get_data(as_text=True)
    assert "Xong" in page and f"/viec/{job_id}/tai-ve" in page

    response = hr.get(f"/viec/{job_id}/tai-ve")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    assert re.search(r"bao-cao-muc-tieu-\d{8}\.xlsx", response.headers["Content-Disposition"])
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["Mục tiêu", "Theo đơn vị", "Chưa đạt"]
    assert book["Mục tiêu"]["A1"].value == "Báo cáo tiến độ mục tiêu đào tạo, bồi dưỡng"
    summary = pd.read_excel(io.BytesIO(response.data), sheet_name="Mục tiêu", header=2)
    row = summary.set_index("Mã").loc["HT-6"]
    assert (row["Đạt"], row["Tổng"]) == (1, 3)
    missing = pd.read_excel(io.BytesIO(response.data), sheet_name="Chưa đạt", header=2)
    assert set(missing[missing["Mã mục tiêu"] == "HT-6"]["Họ và tên"]) == {"Đỗ Thị Chưa",
                                                                          "Lê Văn Ngoài"}
    audit = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "export")).all()
    assert len(audit) == 1 and audit[0].actor_name == scene["hr"].username
    assert audit[0].detail.startswith("bao-cao-muc-tieu-")
    for url in (f"/viec/{job_id}", f"/viec/{job_id}/tai-ve"):
        assert other.get(url).status_code == 404, url

    # The web restarts: a new app, a new sign-in, the same job and file.
    again = make_app(database_url)
    with again.app_context():
        fresh = _signed_in(again, scene["hr"])
        assert "Xong" in fresh.get(f"/viec/{job_id}").get_data(as_text=True)
        assert job_id in fresh.get("/viec/").get_data(as_text=True)
        assert fresh.get(f"/viec/{job_id}/tai-ve").data == response.data
        db.session.remove()


def test_the_job_runs_in_the_asking_users_scope(app, scene, database_url):
    commune = _signed_in(app, scene["commune_hr"])
    job_id = _ask(commune, "records.officials", "format=xlsx")
    assert run_worker(database_url).returncode == 0
    data = commune.get(f"/viec/{job_id}/tai-ve").data
    names = pd.read_excel(io.BytesIO(data), sheet_name="Cán bộ, công chức", header=2)
    assert set(names["Họ và tên"]) == {"Trần Văn Ký", "Đỗ Thị Chưa"}  # not Xã Khác's


def test_a_failing_job_says_why_in_vietnamese(app, scene, database_url):
    other = _signed_in(app, scene["other_hr"])
    gone = _ask(other, "targets.report", "ma=KHONG-CO")  # a target deleted before the job runs
    hr = _signed_in(app, scene["hr"])
    blocked = _ask(hr, "reports.warnings", "format=xlsx")
    scene["hr"].active = False  # the account is locked while its job waits
    db.session.commit()
    result = run_worker(database_url)
    assert result.returncode == 0, result.stderr

    status = other.get(f"/viec/{gone}/trang-thai").get_json()
    assert status["state"] == "failed" and status["finished"] and status["download"] is None
    assert status["text"].startswith("Lỗi: Không tìm thấy đơn vị, mục tiêu hoặc hồ sơ")
    page = other.get(f"/viec/{gone}").get_data(as_text=True)
    assert "Lỗi: Không tìm thấy" in page and "Traceback" not in page and "abort" not in page
    assert other.get(f"/viec/{gone}/tai-ve").status_code == 404
    scene["hr"].active = True
    db.session.commit()
    hr = _signed_in(app, scene["hr"])
    status = hr.get(f"/viec/{blocked}/trang-thai").get_json()
    assert status["text"] == "Lỗi: Tài khoản đã bị khóa hoặc không còn: báo cáo không được tạo."


def test_who_may_ask_and_how_many_at_once(app, scene, make_user, make_official):
    official = make_official(unit=scene["commune"])
    db.session.commit()
    person = _signed_in(app, make_user("official", official_id=official.id))
    assert person.post("/viec/", data={"viec": "targets.report"}).status_code == 403
    assert person.get("/muc-tieu/bao-cao.xlsx").status_code == 403
    hr = _signed_in(app, scene["hr"])
    assert hr.post("/viec/", data={"viec": "khong-co"}).status_code == 404
    assert hr.get("/viec/khong-phai-ma").status_code == 404
    assert hr.get("/muc-tieu/bao-cao.xlsx?ma=KHONG-CO").status_code == 404  # checked at once
    for query in ("format=xlsx", "format=xlsx&region=mountain", "format=xlsx&region=rural"):
        _ask(hr, "reports.warnings", query)
    refused = hr.post("/viec/", data={"viec": "reports.warnings", "tham-so": "format=xlsx&q=1"})
    assert refused.status_code == 409
    assert "Bạn đang có 3 báo cáo chưa xong" in refused.get_data(as_text=True)
    assert len(re.findall(r"Đang chờ", hr.get("/viec/").get_data(as_text=True))) == 3


def test_without_redis_the_pages_say_so(scene, database_url):
    words = "chưa cấu hình hàng đợi việc nền"
    bare = make_app(database_url, REDIS_URL="", RATELIMIT_STORAGE_URI="memory://")
    with bare.app_context():
        hr = _signed_in(bare, scene["hr"])
        offer = hr.get("/muc-tieu/bao-cao.xlsx").get_data(as_text=True)
        assert words in offer and "Tạo tệp Excel</button>" not in offer
        answer = hr.post("/viec/", data={"viec": "targets.report"})
        assert answer.status_code == 503 and words in answer.get_data(as_text=True)
        assert hr.get("/viec/abcdef0123456789").status_code == 503
        assert words in hr.get("/viec/").get_data(as_text=True)
        db.session.remove()
    # A Redis that does not answer: the same, in other words (the web's client waits 2 s).
    dead = make_app(database_url, REDIS_URL="redis://127.0.0.1:1/0",
                    RATELIMIT_STORAGE_URI="memory://")
    with dead.app_context():
        with pytest.raises(jobs.JobsUnavailable, match="Không kết nối được hàng đợi việc nền"):
            jobs.enqueue("targets.report", scene["hr"], path="/muc-tieu/bao-cao.xlsx", query="")
        db.session.remove()


def test_the_worker_command(database_url):
    idle = run_worker(database_url)
    assert idle.returncode == 0 and "Không có việc nào đang chờ." in idle.stdout
    bare = make_app(database_url, REDIS_URL="", RATELIMIT_STORAGE_URI="memory://")
    with bare.app_context():
        refused = bare.test_cli_runner().invoke(args=["worker", "--burst"])
        db.session.remove()
    assert refused.exit_code == 1 and "chưa cấu hình hàng đợi việc nền" in refused.output


def test_the_in_process_helper_fetches_an_export(app, scene, client, login):
    login(scene["hr"])
    response = download_export(client, "/bao-cao/canh-bao?format=xlsx")
    assert response.status_code == 200
    assert "Chưa được đánh giá" in openpyxl.load_workbook(io.BytesIO(response.data)).sheetnames


@pytest.mark.browser
def test_the_job_page_follows_the_job_in_a_browser(app, scene, web):
    """In chromium, under the real CSP, CSRF on: the dashboard's button queues the report, the
    page polls (static/jobs.js) while a real worker runs it, then offers the download."""
    from playwright.sync_api import expect
    console = []
    web.on("console", lambda m: console.append(m.text))
    web.goto("/dang-nhap")
    web.fill("#username", scene["hr"].username)
    web.fill("#password", "matkhau123")
    web.click("button[type=submit]")
    web.wait_for_load_state()
    web.goto("/muc-tieu/")
    web.get_by_role("button", name="Xuất Excel").click()
    web.wait_for_url(re.compile(r"/viec/[0-9a-f-]+$"))
    expect(web.locator("[data-job-text]")).to_have_text("Đang chờ")
    expect(web.locator("[data-job-no-worker]")).to_be_visible()
    jobs.work(burst=True, simple=True)  # a real RQ worker, while the page polls
    download = web.get_by_role("link", name=re.compile("^Tải về bao-cao-muc-tieu-"))
    expect(download).to_be_visible(timeout=20_000)  # the page reloaded itself when done
    expect(web.locator("[data-job-text]")).to_have_text("Xong")
    assert web.locator("[data-job-bar]").evaluate("e => e.style.width") == "100%"
    with web.expect_download() as got:
        download.click()
    assert got.value.suggested_filename.startswith("bao-cao-muc-tieu-")
    book = openpyxl.load_workbook(io.BytesIO(Path(got.value.path()).read_bytes()))
    assert book.sheetnames == ["Mục tiêu", "Theo đơn vị", "Chưa đạt"]
    assert [t for t in console if "Content Security Policy" in t] == []
