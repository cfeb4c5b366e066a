"""The gap heat map in a blink (issue 11 §4): one level and one page of rows at a time, the rows
under a row loaded on demand (/bao-cao/thieu-hut/hang, static/heatmap.js) in the scope of the
one asking, the same numbers as the full computation, colours as classes, and the level's
matrices cached but never stale."""
from __future__ import annotations

import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from markupsafe import escape
from playwright.sync_api import expect

from tests.test_browser import login as browser_login
from tests.test_no_inline_script import Watch
from trainer.catalog.models import Competency, Position
from trainer.core.extensions import db
from trainer.core.store import redis_client
from trainer.core.timeutil import today
from trainer.people.operations import record_assessment
from trainer.reports import operations as ops
from trainer.reports import views


def _assess(official, levels: dict[str, int]):
    for req in official.position.requirements:
        record_assessment(official, req.competency, levels.get(req.competency.code, req.level),
                          source="supervisor", assessor="x", on=today() - timedelta(days=3))


@pytest.fixture
def province(app, catalog, make_unit, make_official, make_user):
    """Province P → communes Alpha (with its department D: three officials), Beta, Gamma. Office
    specialists (CV-VP) lacking: a1 CDS-02; d1 CDS-02 and HC-01; d2 HC-01; d3 nothing; b1 DD-01;
    g1 nothing."""
    vp = db.session.scalar(sa.select(Position).where(Position.code == "CV-VP"))
    p = make_unit(name="Tỉnh Thử", kind="province", region=None)
    a = make_unit(name="Xã Alpha", region="rural", parent_id=p.id)
    d = make_unit(name="Văn phòng xã Alpha", kind="department", region=None, parent_id=a.id)
    b = make_unit(name="Xã Beta", region="mountain", parent_id=p.id)
    g = make_unit(name="Xã Gamma", region="rural", parent_id=p.id)
    people = {}
    for key, unit, name, gaps in (
            ("a1", a, "Lò Thị Ánh", {"CDS-02": 0}),
            ("d1", d, "Vàng A Dũng", {"CDS-02": 1, "HC-01": 1}),
            ("d2", d, "Đinh Văn Đức", {"HC-01": 2}), ("d3", d, "Hà Thị Diệp", {}),
            ("b1", b, "Giàng A Bình", {"DD-01": 1}), ("g1", g, "Tòng Văn Giang", {})):
        people[key] = make_official(unit=unit, position=vp, full_name=name)
        _assess(people[key], gaps)
    db.session.commit()
    comp = {c.code: c for c in db.session.scalars(sa.select(Competency))}
    return SimpleNamespace(p=p, a=a, d=d, b=b, g=g, comp=comp, **people,
                           hr_a=make_user("hr", unit_id=a.id), admin=make_user("admin"))


def _rows(html: str) -> list[tuple[str, list[str]]]:
    """Each <tr> of a fragment or table body: its name (the first link of its <th>, else the
    <th>'s text) and the text of each <td>."""
    out = []
    for row in re.findall(r"<tr\b.*?</tr>", html, re.S):
        head = (re.search(r"<th>[^<]*(?:<button[^>]*>[^<]*</button>)?\s*<a [^>]*>(.*?)</a>", row,
                          re.S) or re.search(r"<th>(.*?)</th>", row, re.S))
        cells = [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<td\b[^>]*>(.*?)</td>", row, re.S)]
        out.append((re.sub(r"<[^>]+>|▸", "", head.group(1)).strip() if head else "", cells))
    return out


def _expected(hm: ops.Heatmap) -> list[list[str]]:
    """What the cells of `hm` read: lacking (units), current/required or lacking/required
    (officials); empty where nobody needs it."""
    text = []
    for r in hm.rows:
        if hm.level != "officials":
            text.append([str(c["lacking"]) if c["required"] else "" for c in r["cells"]])
        else:
            text.append([f"{c['current']}/{c['required']}" if c["required"] else ""
                         for c in r["cells"]])
    return text


def test_colour_steps_never_draw_a_gap_as_none():
    assert ops.heat_step([0, 0.1, 10, 10.01, 55, 99.9, 100, 120]).tolist() == [
        0, 1, 1, 2, 6, 10, 10, 10]


def test_pages_of_rows_together_are_the_full_computation(province):
    hm = ops.heatmap()
    rows, number, pages = hm.page(1, 2)
    assert (number, pages) == (1, 2) and [r["name"] for r in rows] == ["Xã Alpha", "Xã Beta"]
    rest, number, _ = hm.page(9, 2)  # past the end: the last page
    assert number == 2 and [r["name"] for r in rest] == ["Xã Gamma"]
    assert rows + rest == hm.rows
    cds02 = [c["key"] for c in hm.columns].index(province.comp["CDS-02"].id)
    assert rows[0]["cells"][cds02] == {"required": 4, "lacking": 2, "share": 50.0}
    assert rows[0]["heat"][cds02] == 5 and rest[0]["heat"][cds02] == 0


def test_rows_under_a_row_keep_the_page_columns(province):
    page = ops.heatmap()
    dept = ops.heatmap(unit_id=province.d.id)
    assert len(dept.columns) <= len(page.columns)
    aligned = dept.aligned(page.columns)
    assert [c["key"] for c in aligned.columns] == [c["key"] for c in page.columns]
    for j, col in enumerate(page.columns):
        mine = [c["key"] for c in dept.columns]
        for before, after in zip(dept.rows, aligned.rows):
            cell = after["cells"][j]
            if col["key"] in mine:
                assert cell == before["cells"][mine.index(col["key"])]
            else:
                assert cell["required"] == 0
    assert [r["name"] for r in aligned.rows] == ["Hà Thị Diệp", "Vàng A Dũng", "Đinh Văn Đức"]


def test_the_page_shows_one_page_of_communes_with_a_vietnamese_pager(province, login,
                                                                     monkeypatch):
    monkeypatch.setattr(views, "UNIT_ROWS_PER_PAGE", 2)
    client = login(province.admin)
    page = client.get("/bao-cao/thieu-hut").get_data(as_text=True)
    assert "Xã Alpha" in page and "Xã Beta" in page and "Xã Gamma" not in page
    assert "Đơn vị 1–2 trong 3 (2 dòng mỗi trang)" in page
    assert 'href="/bao-cao/thieu-hut?page=2"' in page
    second = client.get("/bao-cao/thieu-hut?page=2").get_data(as_text=True)
    assert "Xã Gamma" in second and "Xã Alpha" not in second
    assert "Tổng (6 người)" in second  # the total is over every row, on every page
    assert "Xã Gamma" in client.get("/bao-cao/thieu-hut?page=50").get_data(as_text=True)
    wrong = client.get("/bao-cao/thieu-hut?page=abc")
    assert wrong.status_code == 400 and "page" in wrong.get_data(as_text=True)
    # The page's own links keep the filters and drop the page.
    filtered = client.get("/bao-cao/thieu-hut?page=1&region=rural").get_data(as_text=True)
    assert f'href="/bao-cao/thieu-hut?unit={province.a.id}&amp;region=rural"' in filtered


def test_the_page_markup_is_classes_and_a_script_file(province, login):
    page = login(province.admin).get("/bao-cao/thieu-hut").get_data(as_text=True)
    table = page[page.index('<table class="table table-sm table-bordered align-middle heatmap'):]
    table = table[:table.index("</table>")]
    assert "style=" not in table and "data-heat" not in table
    beta = (f'<td class="hm10" title="1/1"><a href="/can-bo?unit={province.b.id}&amp;'
            f'gap={province.comp["DD-01"].id}">1</a></td>')
    assert beta in table
    assert '<td class="hm0" title="0/1">0</td>' in table
    # Each commune row has a ▸ (hidden until static/heatmap.js shows it) and its own page.
    toggle = (f'<button type="button" class="heat-toggle" hidden aria-expanded="false" '
              f'title="Mở các dòng bên dưới" '
              f'data-rows="/bao-cao/thieu-hut/hang?unit={province.a.id}">')
    assert toggle in table
    assert f'<a href="/bao-cao/thieu-hut?unit={province.a.id}">Xã Alpha</a>' in table
    assert re.search(r'<script src="/static/heatmap.js(\?v=\d+)?"></script>', page)


def test_a_communes_rows_load_on_demand_with_the_full_numbers(province, login):
    client = login(province.admin)
    response = client.get(f"/bao-cao/thieu-hut/hang?unit={province.a.id}&depth=1")
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "<html" not in html and html.count('<tr class="heat-depth-1" data-depth="1">') == 2
    expected = ops.heatmap(unit_id=province.a.id).aligned(ops.heatmap().columns)
    rows = _rows(html)
    assert [name.split(" (")[0] for name, _ in rows] == ["Xã Alpha", "Văn phòng xã Alpha"]
    assert rows[0][0] == "Xã Alpha (lãnh đạo, trực thuộc) (1)"  # its own officials: no ▸
    assert [cells for _, cells in rows] == _expected(expected)
    # The department's row expands in turn, under the same columns.
    assert (f'data-rows="/bao-cao/thieu-hut/hang?unit={province.d.id}"') in html

    people = client.get(f"/bao-cao/thieu-hut/hang?unit={province.d.id}&depth=2")
    rows = _rows(people.get_data(as_text=True))
    expected = ops.heatmap(unit_id=province.d.id).aligned(ops.heatmap().columns)
    assert [name for name, _ in rows] == ["Hà Thị Diệp", "Vàng A Dũng", "Đinh Văn Đức"]
    assert [cells for _, cells in rows] == _expected(expected)
    html = people.get_data(as_text=True)
    assert 'class="heat-depth-2" data-depth="2"' in html
    # Under their unit's row they show their position, not the unit again.
    assert "Văn phòng xã Alpha" not in html and province.d1.position.name in html


def test_officials_beyond_one_page_end_with_a_link_to_their_page(province, login, monkeypatch):
    monkeypatch.setattr(views, "OFFICIAL_ROWS_PER_PAGE", 2)
    client = login(province.admin)
    html = client.get(f"/bao-cao/thieu-hut/hang?unit={province.d.id}&region=rural"
                      ).get_data(as_text=True)
    assert "Còn 1 cán bộ nữa — xem tất cả" in html
    link = f'href="/bao-cao/thieu-hut?unit={province.d.id}&amp;by=official&amp;region=rural"'
    assert link in html
    page = client.get(f"/bao-cao/thieu-hut?unit={province.d.id}").get_data(as_text=True)
    assert "Cán bộ 1–2 trong 3" in page and "Đinh Văn Đức" not in page
    assert "Đinh Văn Đức" in client.get(f"/bao-cao/thieu-hut?unit={province.d.id}&page=2"
                                         ).get_data(as_text=True)


def test_a_commune_hr_loads_only_rows_of_its_own_commune(province, login):
    client = login(province.hr_a)
    page = client.get("/bao-cao/thieu-hut").get_data(as_text=True)
    # It starts at its commune: the ▸ of its department keeps the commune's columns.
    assert (f'data-rows="/bao-cao/thieu-hut/hang?within={province.a.id}&amp;unit={province.d.id}"'
            in page)
    mine = client.get(f"/bao-cao/thieu-hut/hang?within={province.a.id}&unit={province.d.id}")
    assert mine.status_code == 200 and "Vàng A Dũng" in mine.get_data(as_text=True)
    for other in (f"unit={province.b.id}", f"unit={province.p.id}",
                  f"unit={province.d.id}&within={province.b.id}", "unit=999999", ""):
        assert client.get(f"/bao-cao/thieu-hut/hang?{other}").status_code == 404, other
    assert client.get(f"/bao-cao/thieu-hut/hang?unit={province.d.id}&depth=9").status_code == 400


def test_officials_cannot_load_rows(province, login, make_user):
    user = make_user("official", official_id=province.a1.id)
    assert login(user).get(f"/bao-cao/thieu-hut/hang?unit={province.a.id}").status_code == 403


def test_the_cached_heatmap_follows_every_write(province, login, app):
    client = login(province.admin)
    link = f'/can-bo?unit={province.b.id}&amp;gap={province.comp["DD-01"].id}'
    assert link in client.get("/bao-cao/thieu-hut").get_data(as_text=True)
    with app.app_context():
        prefix = app.config["REDIS_PREFIX"]
        assert list(redis_client().scan_iter(f"{prefix}:cache:heatmap:*"))
    record_assessment(province.b1, province.comp["DD-01"], 2, source="supervisor",
                      assessor="x", on=today() - timedelta(days=1))
    db.session.commit()
    assert link not in client.get("/bao-cao/thieu-hut").get_data(as_text=True)


@pytest.mark.browser
def test_a_row_expands_in_place_and_folds_again(web, province):
    page, w = web, Watch(web)
    browser_login(page, province.admin, "/muc-tieu/")
    w.visit("/bao-cao/thieu-hut")
    alpha = page.locator("table.heatmap tbody tr", has_text="Xã Alpha").first
    toggle = alpha.locator(".heat-toggle")
    expect(toggle).to_be_visible()
    toggle.click()
    dept = page.locator("table.heatmap tr.heat-depth-1", has_text="Văn phòng xã Alpha")
    expect(dept).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    dept.locator(".heat-toggle").click()
    expect(page.locator("table.heatmap tr.heat-depth-2", has_text="Vàng A Dũng")).to_be_visible()
    expect(page.locator("table.heatmap tr.heat-depth-2")).to_have_count(3)
    # Every row has as many cells as the page has columns.
    widths = page.evaluate("""[...document.querySelectorAll('table.heatmap tbody tr')]
        .map(r => r.children.length)""")
    assert len(set(widths)) == 1, widths
    toggle.click()  # folding the commune folds its department's officials too
    expect(page.locator("table.heatmap tr[data-depth]")).to_have_count(0)
    expect(toggle).to_have_attribute("aria-expanded", "false")
    w.clean("expand and fold")


# ---------------------------------------------------------------- issue 12 §6: names, not hovers
def _header_labels(page_html: str) -> list[str]:
    """The text of each competency column header of the heat map."""
    head = page_html[page_html.index("<thead"):page_html.index("</thead>")]
    return [re.sub(r"<[^>]+>", "", h).strip()
            for h in re.findall(r'<th scope="col" class="heat-col">(.*?)</th>', head, re.S)]


def test_competency_headers_show_code_and_name_and_a_legend_repeats_them(province, login):
    page = login(province.admin).get("/bao-cao/thieu-hut").get_data(as_text=True)
    hm = ops.heatmap()
    assert hm.columns
    # Every column's header reads "<code> <name>" on the page itself, not in a tooltip.
    assert _header_labels(page) == [f"{c['code']} {c['name']}" for c in hm.columns]
    assert "<abbr" not in page
    legend = page[page.index('<section class="heat-legend'):]
    legend = legend[:legend.index("</section>")]
    assert "Chú giải mã năng lực" in legend
    pairs = re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", legend)
    assert pairs == [(c["code"], str(escape(c["name"]))) for c in hm.columns]
    assert re.search(r'<link rel="stylesheet" href="/static/heatmap.css(\?v=\d+)?">', page)


def test_the_group_view_names_its_groups_and_needs_no_legend(province, login):
    page = login(province.admin).get("/bao-cao/thieu-hut?view=group").get_data(as_text=True)
    hm = ops.heatmap(by_group=True)
    heads = re.findall(r'<th scope="col" class="heat-group-col">(.*?)</th>', page)
    assert heads == [str(escape(c["name"])) for c in hm.columns]
    assert "heat-legend" not in page


@pytest.fixture
def every_position(province, make_official):
    """One official of each position in Xã Gamma: the heat map gets a column for nearly every
    competency of the catalog, long names included."""
    for position in db.session.scalars(sa.select(Position).order_by(Position.code)):
        make_official(unit=province.g, position=position, full_name=f"Cán bộ {position.code}")
    db.session.commit()
    return province


def _header_layout(page) -> dict:
    return page.evaluate("""() => {
        const labels = [...document.querySelectorAll('table.heatmap th.heat-col')].map(th => {
            const label = th.querySelector('.heat-col-label');
            const a = th.getBoundingClientRect(), b = label.getBoundingClientRect();
            return {text: label.innerText.replace(/\\s+/g, ' ').trim(),
                    mode: getComputedStyle(label).writingMode,
                    inside: b.left >= a.left - 0.5 && b.right <= a.right + 0.5
                            && b.top >= a.top - 0.5 && b.bottom <= a.bottom + 0.5,
                    height: b.height, width: b.width};
        });
        const box = document.querySelector('table.heatmap').parentElement;
        const legend = document.querySelector('.heat-legend');
        return {labels, page: document.documentElement.scrollWidth,
                viewport: document.documentElement.clientWidth,
                boxScrolls: getComputedStyle(box).overflowX,
                legendRight: legend.getBoundingClientRect().right,
                legendItems: legend.querySelectorAll('dt').length};
    }""")


@pytest.mark.browser
def test_headers_are_readable_names_on_a_desktop_and_on_a_phone(web, every_position):
    page, w = web, Watch(web)
    browser_login(page, every_position.admin, "/muc-tieu/")
    names = {c["key"]: f"{c['code']} {c['name']}" for c in ops.heatmap().columns}
    assert len(names) > 20
    for width in (1280, 360):
        page.set_viewport_size({"width": width, "height": 800})
        w.visit("/bao-cao/thieu-hut")
        layout = _header_layout(page)
        assert [label["text"] for label in layout["labels"]] == list(names.values()), width
        for label in layout["labels"]:
            assert label["mode"] in ("sideways-lr", "vertical-rl"), label  # turned, not hidden
            assert label["inside"], (width, label)              # nothing spills out of its th
            assert label["height"] <= 13 * 16 + 1, label        # long names wrap, not tower
            assert label["width"] <= 4.2 * 16, label            # at most three lines wide
        # The page itself never scrolls sideways; the table scrolls inside its own box.
        assert layout["page"] <= layout["viewport"], width
        assert layout["boxScrolls"] == "auto"
        assert layout["legendItems"] == len(names)
        assert layout["legendRight"] <= layout["viewport"] + 0.5, width
    w.clean("headers")
