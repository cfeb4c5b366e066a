"""The house rules of docs/architecture.md, read from the code's own syntax trees: the areas stand
in declared layers, an area imports only areas below it (function-level imports included), the
area graph has no cycle, the libraries import nothing of the web or the ORM, and each URL prefix
is served by one blueprint."""
from __future__ import annotations

import ast
import re
import sys
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("trainer", "recommender", "courses")

# Bottom to top. An area may import itself and any area of a lower layer, never a higher one
# nor another area of its own layer. docs/architecture.md draws the same list.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("courses", "recommender"),
    ("core",),
    ("org",),
    ("catalog",),
    ("people",),
    ("auth",),
    ("jobs",),
    ("learning",),
    ("notices", "audit"),
    ("guidance",),
    ("degrees",),
    ("demand",),
    ("plans",),
    ("reviews", "mentoring", "staffing", "feedback"),
    ("targets",),
    ("reports", "units"),
    ("interchange",),
    ("cohorts",),
    ("xapi",),
    ("api", "records"),
    ("demo",),
    ("app",),
)
LIBRARIES = ("courses", "recommender")
# What the libraries must never load: the web, the ORM, the app (STYLE.md §1).
FORBIDDEN_IN_LIBRARIES = ("flask", "flask_sqlalchemy", "flask_login", "flask_wtf", "sqlalchemy",
                          "werkzeug", "trainer")
APP_MODULES = {"trainer", "trainer.cli", "trainer.models", "trainer.serve", "trainer.wsgi"}


def area_of(module: str) -> str:
    parts = module.split(".")
    if parts[0] != "trainer":
        return parts[0]
    if module in APP_MODULES:
        return "app"
    return parts[1]


def _module_name(path: Path) -> tuple[str, str]:
    """(module, package) of a file."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
        return ".".join(parts), ".".join(parts)
    return ".".join(parts), ".".join(parts[:-1])


def _resolve(name: str) -> str:
    """The longest prefix of a dotted name that is a module or package of ours."""
    parts = name.split(".")
    while parts:
        base = ROOT.joinpath(*parts)
        if base.with_suffix(".py").exists() or (base / "__init__.py").exists():
            return ".".join(parts)
        parts = parts[:-1]
    return name


def imports_of(path: Path) -> list[tuple[int, str]]:
    """(line, imported module) for every import in the file, at any depth."""
    module, package = _module_name(path)
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                if node.level > 1:
                    base = base[:-(node.level - 1)]
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module
            # `from a import b` may import the module a.b: name it when it is one of ours.
            out += [(node.lineno, _resolve(f"{stem}.{alias.name}")) for alias in node.names]
    return out


def area_edges() -> dict[tuple[str, str], list[str]]:
    """(from area, to area) -> where, for every import between two areas of ours."""
    edges = defaultdict(list)
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            source = area_of(_module_name(path)[0])
            for line, target in imports_of(path):
                if target.split(".")[0] not in PACKAGES:
                    continue
                dest = area_of(_resolve(target))
                if dest != source:
                    edges[(source, dest)].append(f"{path.relative_to(ROOT)}:{line} {target}")
    return edges


def layer_index() -> dict[str, int]:
    return {area: i for i, layer in enumerate(LAYERS) for area in layer}


def test_every_area_is_declared():
    declared = layer_index()
    found = {area_of(_module_name(p)[0]) for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")}
    assert found - set(declared) == set(), "areas missing from LAYERS"
    assert set(declared) - found == set(), "LAYERS names an area that does not exist"


def test_areas_import_only_lower_layers():
    level = layer_index()
    wrong = [f"{a} -> {b}: {where[0]}" for (a, b), where in sorted(area_edges().items())
             if level[b] >= level[a]]
    assert wrong == []


def test_the_area_graph_has_no_cycle():
    graph = defaultdict(set)
    for a, b in area_edges():
        graph[a].add(b)
    state: dict[str, int] = {}

    def visit(node, trail):
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                raise AssertionError("cycle: " + " -> ".join(trail + [node, nxt]))
            if nxt not in state:
                visit(nxt, trail + [node])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [])


@pytest.mark.parametrize("library", LIBRARIES)
def test_libraries_import_nothing_of_the_web_the_orm_or_the_app(library):
    bad = [f"{p.relative_to(ROOT)}:{line} {name}"
           for p in sorted((ROOT / library).rglob("*.py")) for line, name in imports_of(p)
           if name.split(".")[0] in FORBIDDEN_IN_LIBRARIES]
    assert bad == []


def test_the_checker_sees_function_level_and_relative_imports(tmp_path, monkeypatch):
    """The rules above can fail: a function-level import upward is an edge."""
    source = ROOT / "trainer" / "org" / "queries.py"
    found = imports_of(source)
    assert any(name.startswith("trainer.core") for _, name in found)
    tree = ast.parse("def f():\n    from trainer.reports import operations\n")
    assert any(isinstance(n, ast.ImportFrom) for n in ast.walk(tree))
    fake = tmp_path / "x.py"
    fake.write_text("def f():\n    from trainer.reports import operations\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert imports_of(fake) == [(2, "trainer.reports.operations")]


def test_the_declared_layers_are_the_ones_documented():
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    block = text.split("<!-- layers -->")[1].split("<!-- /layers -->")[0]
    rows = [line.split("|") for line in block.splitlines() if line.startswith("| ")]
    documented = [tuple(re.findall(r"`([a-z]+)`", cells[2])) for cells in rows]
    documented = [row for row in documented if row]
    assert documented == list(reversed(LAYERS))


# ------------------------------------------------------------------------- one blueprint a prefix
def url_prefix(rule: str) -> str:
    """A page's prefix: its path up to the first variable, at most two segments (`/truong/lop`,
    `/tai-khoan`); a blueprint owns each prefix alone."""
    segments = []
    for seg in rule.strip("/").split("/"):
        if "<" in seg or len(segments) == 2:
            break
        segments.append(seg.split(".")[0])
    return "/" + "/".join(segments)


def test_each_url_prefix_is_served_by_one_blueprint(app):
    owners = defaultdict(set)
    for rule in app.url_map.iter_rules():
        blueprint = rule.endpoint.rsplit(".", 1)[0] if "." in rule.endpoint else ""
        if blueprint in ("", "static", "bootstrap"):
            continue
        first = "/" + rule.rule.strip("/").split("/")[0]
        owners[first].add(blueprint)
    shared = {p: sorted(b) for p, b in owners.items() if len(b) > 1}
    # A top-level segment shared by areas is split at its second segment, each owned alone.
    for first in list(shared):
        sub = defaultdict(set)
        for rule in app.url_map.iter_rules():
            if ("/" + rule.rule.strip("/").split("/")[0]) == first:
                sub[url_prefix(rule.rule)].add(rule.endpoint.rsplit(".", 1)[0])
        if all(len(b) == 1 for b in sub.values()):
            del shared[first]
        else:
            shared[first] = {p: sorted(b) for p, b in sub.items() if len(b) > 1}
    assert shared == {}

