"""The cells of the gap heat map as HTML, for templates/reports/_heat_rows.html.

Built here rather than in the template for speed alone: a page holds up to fifty rows of sixty
cells, and Jinja spent 58 of the page's 70 ms on them (benchmarks/bench_heatmap.py, 10,000
officials); a string join takes a few. The markup is the template's otherwise: a class for the
colour step (.hm0…hm10, static/app.css), a tooltip lacking/required, and a link to the officials
list — or to the officials' page, in the competency-group view. Nothing a user typed reaches
a cell (counts, levels and ids), and every piece is escaped all the same."""
from __future__ import annotations

from markupsafe import Markup, escape

NOT_NEEDED = '<td class="hm-na"></td>'


def column_keys(hm) -> list[Markup]:
    """The columns' keys, escaped once for every row of a page."""
    return [escape(c["key"]) for c in hm.columns]


def unit_cells(hm, row: dict, *, keys: list[Markup], list_url: str, list_tail: str,
               group_url: str) -> Markup:
    """A unit row's cells. `keys` are column_keys(hm), `list_url` the officials list,
    `list_tail` the filters to add to its links (`&name=value…`); `group_url` the page a
    group-view cell opens."""
    if hm.by_group:
        href = escape(group_url)
        cells = [NOT_NEEDED if not c["required"] else
                 f'<td class="hm{step}" title="{c["lacking"]}/{c["required"]}">'
                 f'<a href="{href}">{c["lacking"]}</a></td>'
                 for c, step in zip(row["cells"], row["heat"])]
        return Markup("".join(cells))
    head = escape(f"{list_url}?unit={row['id']}&gap=")
    tail = escape(list_tail + ("&exact=1" if row.get("own") else ""))
    cells = []
    for key, c, step in zip(keys, row["cells"], row["heat"]):
        if not c["required"]:
            cells.append(NOT_NEEDED)
        elif c["lacking"]:
            cells.append(f'<td class="hm{step}" title="{c["lacking"]}/{c["required"]}">'
                         f'<a href="{head}{key}{tail}">{c["lacking"]}</a></td>')
        else:
            cells.append(f'<td class="hm0" title="0/{c["required"]}">0</td>')
    return Markup("".join(cells))


def official_cells(hm, row: dict) -> Markup:
    """An official row's cells: current/required level (by group: lacking/required
    competencies of the group)."""
    first, second = ("lacking", "required") if hm.by_group else ("current", "required")
    return Markup("".join(
        NOT_NEEDED if not c["required"] else
        f'<td class="hm{step}">{c[first]}/{c[second]}</td>'
        for c, step in zip(row["cells"], row["heat"])))
