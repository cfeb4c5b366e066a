"""Every screen a person meets (issue 12): on the demo province, each demo account signs in
through the form in chromium and opens one page of each route it can reach (the crawl of
tests/test_crawl.py) that no account of the same role has opened before it (accounts of one role
share the templates: admin and the two HR accounts, the two schools, the two officials), and its
own home page; each page has no serious or critical axe-core violation (WCAG 2 A/AA), and at
360 × 740 px nothing sticks out of the viewport (long unbroken values wrap; wide tables scroll
inside their own box). Every menu link a role is shown opens for that role."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.test_crawl import DEMO, ROLES, _pattern, _same_site, crawl, demo  # noqa: F401
from trainer.core.extensions import db

PUBLIC = "(chưa đăng nhập)"
# Accounts whose pages are one family's: a route one of them opened is not opened again.
FAMILY = {"admin": "staff", "hr.tinh": "staff", "hr.xa": "staff", "truong.chinhtri": "school",
          "truong.ptit": "school", "canbo": "official", "lanhdao": "official"}
# Routes opened per family (about 75 for the staff, 17 for the schools, 12 for the officials):
# the check must not have run on a handful.
LEAST_PAGES = {"staff": 60, "school": 12, "official": 8}
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}
# A 200-character value with no place to break (a place typed without spaces): it must wrap,
# not widen the page.
LONG = "Phòng" + "X" * 195

RUN_AXE = """async () => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa"]},
                                          resultTypes: ["violations"]});
  return result.violations.filter(v => v.impact === "serious" || v.impact === "critical")
    .map(v => ({rule: v.id, impact: v.impact, help: v.help,
                targets: v.nodes.slice(0, 5).map(n => n.target.join(" "))}));
}"""

# Visible elements whose right edge passes the viewport, outside any box that scrolls sideways
# on purpose (.table-responsive and other overflow-x: auto/scroll boxes, which the heat map sits
# in). Named by a short CSS path.
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  function scrolls(node) {
    for (let a = node.parentElement; a && a !== document.body; a = a.parentElement) {
      const o = getComputedStyle(a).overflowX;
      if (o === "auto" || o === "scroll") return true;
    }
    return false;
  }
  function name(el) {
    const parts = [];
    for (let e = el; e && e !== document.body && parts.length < 4; e = e.parentElement) {
      let part = e.tagName.toLowerCase();
      if (e.id) { parts.unshift(part + "#" + e.id); break; }
      const cls = [...e.classList].slice(0, 2).join(".");
      if (cls) part += "." + cls;
      parts.unshift(part);
    }
    return parts.join(" > ");
  }
  const out = [];
  // When the page is wider than the viewport, an absolutely positioned element may have escaped
  // its scroll box (whose containing block it is not): name it too.
  const wide = document.documentElement.scrollWidth > width;
  function check(node, el, r) {
    if (r.width === 0 || r.height === 0 || r.right <= width + 1 || out.length >= 8) return;
    const style = getComputedStyle(el);
    if (style.visibility === "hidden" || style.position === "fixed") return;
    if (scrolls(node) && !(wide && style.position === "absolute")) return;
    out.push(name(el) + (node === el ? "" : " (chữ)") + " (right " + Math.round(r.right) + " px) "
             + JSON.stringify((el.textContent || "").trim().slice(0, 40)));
  }
  for (const el of document.body.querySelectorAll("*")) check(el, el, el.getBoundingClientRect());
  // A long word sticks out of its box without widening the box: measure the text itself.
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  for (let t = walker.nextNode(); t; t = walker.nextNode()) {
    if (!t.textContent.trim() || !t.parentElement) continue;
    range.selectNodeContents(t);
    check(t, t.parentElement, range.getBoundingClientRect());
  }
  return {scrollWidth: document.documentElement.scrollWidth, offenders: out};
}"""


def pages_of(app, username: str, seen: set) -> list[str]:
    """One HTML page (not a download: Excel, PDF) of each route and set of query parameters the
    account reaches and `seen` (its family's routes so far, updated) does not hold; its home page
    always."""
    found = crawl(app, username)
    client = app.test_client()
    client.post("/dang-nhap", data={"username": username, "password": DEMO})
    chosen: dict[tuple, str] = {}
    home = next(url for url, code in found["status"].items() if code == 200)  # where "/" led
    for url, code in found["status"].items():
        key = _pattern(app, url)
        if code == 200 and key not in chosen and (key not in seen or url == home) \
                and client.get(url).mimetype == "text/html":
            chosen[key] = url
    seen.update(chosen)
    return list(chosen.values())


def _long_values():
    """Every class's place as one long word: each page that shows one must wrap it."""
    from trainer.learning.models import Cohort
    db.session.execute(sa.update(Cohort).values(location=LONG))
    db.session.commit()


def _sign_in(context, username: str):
    page = context.new_page()
    page.goto("/dang-nhap")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO)
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_load_state()
    assert "/dang-nhap" not in page.url, f"{username}: không đăng nhập được"
    return page


def _public_pages() -> list[str]:
    """What a visitor opens without signing in: the sign-in and forgotten-password pages and a
    certificate's public verification."""
    from trainer.learning.models import Enrollment
    code = db.session.scalar(sa.select(Enrollment.certificate_code)
                             .where(Enrollment.certificate_code.is_not(None)).limit(1))
    assert code, "bản mô phỏng không có chứng chỉ nào để xác minh"
    return ["/dang-nhap", "/quen-mat-khau", f"/xac-minh/{code}"]


@pytest.mark.layout
def test_every_page_of_every_role_passes_axe_and_fits_a_360_px_phone(app, demo, chromium, live):
    _long_values()
    app.config["WTF_CSRF_ENABLED"] = False  # the crawl signs in without a form (`live` set it on)
    seen: dict[str, set] = {family: set() for family in LEAST_PAGES}
    pages = {PUBLIC: _public_pages()} | {username: pages_of(app, username, seen[FAMILY[username]])
                                         for username in ROLES}
    app.config["WTF_CSRF_ENABLED"] = True
    problems: list[str] = []
    opened = {}
    for username, urls in pages.items():
        opened[username] = len(urls)
        # bypass_csp: axe is injected as a script tag, which the policy (rightly) refuses.
        context = chromium.new_context(base_url=live, locale="vi-VN", viewport=DESKTOP,
                                       bypass_csp=True)
        context.set_default_timeout(15_000)
        page = context.new_page() if username == PUBLIC else _sign_in(context, username)
        for url in urls:
            page.set_viewport_size(DESKTOP)
            response = page.goto(url)
            assert response.status == 200, f"{username}: {url} → {response.status}"
            page.add_script_tag(path=str(AXE))
            for v in page.evaluate(RUN_AXE):
                problems.append(f"{username} {url}: axe {v['impact']} {v['rule']} ({v['help']}) "
                                f"tại {', '.join(v['targets'])}")
            page.set_viewport_size(PHONE)
            page.wait_for_timeout(50)
            fit = page.evaluate(OVERFLOW)
            if fit["scrollWidth"] > PHONE["width"] or fit["offenders"]:
                problems.append(f"{username} {url}: 360 px — trang rộng {fit['scrollWidth']} px; "
                                + "; ".join(fit["offenders"]))
        context.close()
    assert not problems, f"{len(problems)} vấn đề:\n" + "\n".join(problems)
    assert all(len(seen[f]) >= least for f, least in LEAST_PAGES.items()), \
        {f: len(routes) for f, routes in seen.items()}
    assert all(opened[u] >= 1 for u in ROLES), opened


NAV = re.compile(r'<nav class="navbar.*?</nav>', re.S)
HREF = re.compile(r'href="([^"#][^"]*)"')


def test_every_menu_link_of_every_role_opens_for_that_role(app, demo):
    problems = []
    for username in ROLES:
        client = app.test_client()
        assert client.post("/dang-nhap", data={"username": username, "password": DEMO}) \
            .status_code == 302
        home = client.get("/", follow_redirects=True)
        menu = NAV.search(home.get_data(as_text=True))
        assert menu, f"{username}: trang chủ không có menu"
        links = {_same_site(h) for h in HREF.findall(menu.group(0))} - {None}
        assert len(links) >= 4, (username, links)
        for link in sorted(links):
            response = client.get(link, follow_redirects=True)
            if response.status_code != 200:
                problems.append(f"{username}: menu có link {link} → {response.status_code}")
    assert not problems, "\n".join(problems)


TITLE = re.compile(r"<title>(.*?)</title>", re.S)


def test_page_titles_name_the_product_in_vietnamese(app, demo):
    client = app.test_client()
    assert TITLE.search(client.get("/dang-nhap").get_data(as_text=True)).group(1) \
        == "Đăng nhập · Thiếu gì học nấy"
    client.post("/dang-nhap", data={"username": "hr.tinh", "password": DEMO})
    title = TITLE.search(client.get("/muc-tieu/").get_data(as_text=True)).group(1)
    assert title.endswith(" · Thiếu gì học nấy") and "trainer" not in title, title
