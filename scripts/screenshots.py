"""Screenshots of each role's main page for the README (needs `make run` serving the demo).
Usage: .venv/bin/python scripts/screenshots.py [BASE_URL]"""
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:5000"
OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
SHOTS = [("canbo", "/toi", "official.png", 1280), ("canbo", "/toi", "official-phone.png", 390),
         ("truong.chinhtri", "/truong/", "school.png", 1280),
         ("hr.tinh", "/muc-tieu/", "hr.png", 1280), ("hr.xa", "/can-bo", "hr-officials.png", 1280),
         ("hr.tinh", "/muc-tieu/DL-d", "target.png", 1280),
         ("admin", "/don-vi", "units.png", 1280), ("hr.xa", "/tai-khoan", "accounts.png", 1280),
         ("admin", "/nhat-ky", "audit.png", 1280),
         ("hr.tinh", "/bao-cao/thieu-hut", "heatmap.png", 1280)]

def finished_cohort_and_code() -> tuple[int, str]:
    """A finished cohort of the political school with certificates, from the app's database."""
    import sqlalchemy as sa

    from trainer import create_app
    from trainer.catalog.models import Course, Provider
    from trainer.core.extensions import db
    from trainer.learning.models import Cohort, Enrollment
    with create_app({"ENV": "development"}).app_context():
        return db.session.execute(
            sa.select(Cohort.id, Enrollment.certificate_code).join(Enrollment)
            .join(Course, Course.id == Cohort.course_id).join(Provider)
            .where(Provider.kind == "political_school", Enrollment.certificate_code.is_not(None))
            .order_by(Cohort.id).limit(1)).one()


def review_cycle_ids() -> tuple[int, int]:
    """The demo's campaign under way, and canbo's review in it (trainer/demo/cycle.py)."""
    import sqlalchemy as sa

    from trainer import create_app
    from trainer.auth.models import User
    from trainer.core.extensions import db
    from trainer.reviews.models import CampaignReview
    with create_app({"ENV": "development"}).app_context():
        official_id = db.session.scalar(sa.select(User.official_id).where(
            User.username == "canbo"))
        return db.session.execute(sa.select(CampaignReview.campaign_id, CampaignReview.id)
                                  .where(CampaignReview.official_id == official_id)
                                  .order_by(CampaignReview.id.desc()).limit(1)).one()


cohort_id, code = finished_cohort_and_code()
campaign_id, review_id = review_cycle_ids()
SHOTS += [("truong.chinhtri", f"/truong/lop/{cohort_id}", "cohort.png", 1280),
          (None, f"/xac-minh/{code}", "verify.png", 900),
          ("hr.xa", f"/dot-danh-gia/{campaign_id}", "campaign.png", 1280),
          ("canbo", f"/dot-danh-gia/tu-danh-gia/{review_id}", "self-review-phone.png", 390),
          ("lanhdao", "/dot-danh-gia/cap-duoi", "supervisor.png", 1280),
          ("hr.tinh", "/kem-cap", "mentoring.png", 1280),
          ("hr.tinh", "/bien-che/", "staffing.png", 1280),
          ("truong.chinhtri", "/phan-hoi", "feedback.png", 1280)]

with sync_playwright() as p:
    browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
    for user, path, name, width in SHOTS:
        page = browser.new_page(viewport={"width": width, "height": 900})
        if user:
            page.goto(BASE + "/dang-nhap")
            page.fill("#username", user)
            page.fill("#password", "demo1234")
            page.click("button[type=submit]")
        page.goto(BASE + path)
        page.screenshot(path=str(OUT / name), full_page=width < 600 or name == "hr.png")
        page.close()
        print("wrote", OUT / name)
    browser.close()
