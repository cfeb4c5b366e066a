"""Every page a user can reach by clicking (issue 9): on the demo province, each demo role
follows, breadth-first from “/”, every same-site link of the pages it is shown (GET only; the
sign-out button is a form), and no answer is a server error, no page links to a page that
refuses that role (403), and every page is in Vietnamese (tests/test_vietnamese.py's scan, on
the same crawl: one pass of the demo for both)."""
from __future__ import annotations

import html
import re
from collections import deque
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
import sqlalchemy as sa
from flask import request, request_finished
from werkzeug.exceptions import HTTPException

from tests.test_vietnamese import AUDIT_DETAIL_CLASS, AUDIT_LOG, TARGET_PAGES, problems_of
from trainer.core.extensions import db
from trainer.targets.models import Target

DEMO = "demo1234"
# The demo's accounts, and about how many pages each reaches (the crawl must not stop early:
# admin and HR ~90–125, a school ~38, an official the 6 pages of its menu).
ROLES = {"admin": 80, "hr.tinh": 80, "hr.xa": 60, "truong.chinhtri": 25, "truong.ptit": 25,
         "canbo": 6, "lanhdao": 6}
MAX_PAGES = 300          # per role
PER_PATTERN = 3          # distinct URLs per route and set of query parameters
SKIP = ("/dang-xuat", "/static/")
HREF = re.compile(r'href="([^"]*)"')


@pytest.fixture
def demo(app, catalog):
    from trainer.demo.cycle import build_demo
    summary = build_demo(300, 2026)
    db.session.commit()
    return summary


def _same_site(href: str) -> str | None:
    """The path and query of a link to this site (fragment dropped), or None."""
    href = html.unescape(href).strip()
    parts = urlsplit(href)
    if parts.scheme not in ("", "http", "https") or (parts.netloc not in ("", "localhost")):
        return None
    if not parts.path.startswith("/") or parts.path.startswith(SKIP):
        return None
    query = urlencode(parse_qsl(parts.query, keep_blank_values=True))
    return parts.path + ("?" + query if query else "")


def _pattern(app, url: str) -> tuple:
    """What two links share when they open the same page with other ids: the route and the
    names of the query parameters."""
    parts = urlsplit(url)
    try:
        endpoint, _ = app.url_map.bind("localhost").match(parts.path, method="GET")
    except HTTPException:
        endpoint = parts.path
    return endpoint, tuple(sorted({k for k, _ in parse_qsl(parts.query, keep_blank_values=True)}))


def crawl(app, username: str) -> dict:
    client = app.test_client()
    assert client.post("/dang-nhap", data={"username": username, "password": DEMO}) \
        .status_code == 302
    status: dict[str, int] = {}
    linked_from: dict[str, str] = {}
    seen_patterns: dict[tuple, int] = {}
    queue = deque(["/"])
    while queue and len(status) < MAX_PAGES:
        url = queue.popleft()
        if url in status:
            continue
        response = client.get(url)
        status[url] = response.status_code
        targets = []
        if response.status_code in (301, 302, 303, 307, 308):
            targets = [response.headers["Location"]]
        elif response.mimetype == "text/html" and response.status_code == 200:
            targets = HREF.findall(response.get_data(as_text=True))
        for href in targets:
            link = _same_site(href)
            if link is None or link in status or link in linked_from:
                continue
            key = _pattern(app, link)
            if seen_patterns.get(key, 0) >= PER_PATTERN:
                continue
            seen_patterns[key] = seen_patterns.get(key, 0) + 1
            linked_from[link] = url
            queue.append(link)
    return {"status": status, "linked_from": linked_from}


def test_every_reachable_page_answers_without_a_server_error_or_a_forbidden_link(app, demo):
    problems, wording = [], []
    visited = {}
    pages: dict[str, str] = {}

    def keep(sender, response, **extra):
        if response.status_code == 200 and response.mimetype == "text/html":
            pages[request.full_path.rstrip("?")] = response.get_data(as_text=True)

    codes = frozenset(db.session.scalars(sa.select(Target.code)))
    with request_finished.connected_to(keep, app):
        for username in ROLES:
            pages.clear()
            found = crawl(app, username)
            visited[username] = len(found["status"])
            for url, code in found["status"].items():
                source = found["linked_from"].get(url, "(bắt đầu)")
                if code >= 500:
                    problems.append(f"{username}: {url} → {code} (link trên {source})")
                elif code == 403:
                    problems.append(f"{username}: {source} có link tới {url}, trang trả 403")
            for url, page in pages.items():
                allowed = codes if url.startswith(TARGET_PAGES) else frozenset()
                recorded = AUDIT_DETAIL_CLASS if url.startswith(AUDIT_LOG) else None
                wording += [f"{username} {url}: {p}" for p in problems_of(page, allowed, recorded)]
    assert not problems, "\n".join(problems)
    # The crawl reached the pages of each role, not only its home page.
    assert all(visited[username] >= least for username, least in ROLES.items()), visited
    assert not wording, f"{len(wording)} chỗ không phải tiếng Việt:\n" \
        + "\n".join(sorted(set(wording)))
