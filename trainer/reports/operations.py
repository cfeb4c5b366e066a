"""HR reports computed from the records (issue 4, "Gap reports"): the gap heatmap down the unit
tree, qualification standards by position, warnings (KH-8) and workforce composition (KH-11).

Every report takes `where`, an SQL clause on Official (the caller's scope, auth.scope), reads one
query per table and works on whole frames or matrices at once: no query per official and no
Python loop over officials (STYLE.md §6). Nothing here reads the request; the views do.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

import numpy as np
import pandas as pd
import sqlalchemy as sa

from courses import vocab
from trainer.catalog.models import Competency, Course, CourseCompetency, Position
from trainer.core.frames import select_frame
from trainer.core.settings import DEFAULTS
from trainer.core.timeutil import LOCAL_ZONE, today
from trainer.guidance.operations import load_catalogue, load_population, unit_gap_report
from trainer.learning.models import ACTIVE_STATUSES, Cohort, Enrollment
from trainer.learning.queries import MIN_COLUMNS, QUAL_COLUMNS, officials_frame
from trainer.org.queries import COMMUNE_KINDS, subtree_of, unit_table
from trainer.people.models import Assessment, Official
from trainer.plans.models import PostTrainingReview
from trainer.core.settings import young_age_limit

DEFAULT_REVIEW_PERIOD_MONTHS = DEFAULTS["REVIEW_PERIOD_MONTHS"]  # KH-2, DL-a: reviewed each year
MANAGER_GROUPS = ("leadership", "manager")  # KH-11 "managers": leaders and heads of departments
# Sources that count as a review against the framework (KH-2, DL-a): not self-assessment, not the
# level a course grants on completion.
REVIEW_SOURCES = ("supervisor", "test")
GROUP_LABELS = {"young": "Cán bộ trẻ", "female": "Nữ", "minority": "Người dân tộc thiểu số"}


# --------------------------------------------------------------------------------------------
# Filters shared by the reports: region, position, priority group (KH-11)

@dataclass(frozen=True)
class Filters:
    region: str | None = None  # vocab.REGIONS, a unit's own or inherited region
    position_id: int | None = None
    group: str | None = None  # young / female / minority
    young_age: int = field(default_factory=young_age_limit)


def young_cutoff(on: date, limit: int) -> date:
    """Officials born after this day are younger than `limit` on `on` (age < limit)."""
    try:
        return on.replace(year=on.year - limit)
    except ValueError:  # 29 February
        return on.replace(year=on.year - limit, day=28)


def filter_clause(filters: Filters, on: date | None = None, units: pd.DataFrame | None = None):
    """The filters as one SQL clause on Official."""
    on = on or today()
    clauses = []
    if filters.region:
        units = unit_table() if units is None else units
        ids = units.loc[units["region"] == filters.region, "unit_id"].tolist()
        clauses.append(Official.unit_id.in_(ids))
    if filters.position_id:
        clauses.append(Official.position_id == filters.position_id)
    if filters.group == "young":
        clauses.append(Official.birth_date > young_cutoff(on, filters.young_age))
    elif filters.group == "female":
        clauses.append(Official.gender == "female")
    elif filters.group == "minority":
        clauses.append(Official.ethnicity != "Kinh")
    return sa.and_(sa.true(), *clauses)


def _and(where, *clauses):
    return sa.and_(where if where is not None else sa.true(), *clauses)


# --------------------------------------------------------------------------------------------
# 1. Heatmap of gaps: unit × competency (or competency group, KH-1), drillable

@dataclass
class Heatmap:
    """A grid ready to draw, kept as matrices: row i is `heads[i]` (who or which unit) with the
    cells of `required[i]`, `lacking[i]` (and `current[i]`) under `columns`; `rows` and `page`
    give the rows as dicts, `rows[i]["cells"][j]` being the cell of row i and `columns[j]`.

    level "province": rows are communes; "commune": rows are the commune's own office and its
    departments; "officials": rows are officials. A unit-level cell counts the officials whose
    position requires the competency (`required`) and those below the level (`lacking`); an
    official-level cell holds the required and current level (or, by group, the number of the
    group's competencies required and lacking). Only the level shown is computed: the rows below
    a row are another Heatmap (drill-down, or the rows a click expands in place)."""
    level: str
    by_group: bool
    unit: dict | None
    columns: list[dict]
    heads: list[dict]
    required: np.ndarray  # rows × columns
    lacking: np.ndarray  # rows × columns (officials by competency: 1 where below the level)
    current: np.ndarray | None  # officials by competency: the current levels; else None
    total: list[dict]
    officials: int = 0
    breadcrumb: list[dict] = field(default_factory=list)

    @property
    def column_groups(self) -> list[tuple[str, int]]:
        """Runs of consecutive columns of one KH-1 group, for a spanning header."""
        runs: list[tuple[str, int]] = []
        for c in self.columns:
            if runs and runs[-1][0] == c["group"]:
                runs[-1] = (c["group"], runs[-1][1] + 1)
            else:
                runs.append((c["group"], 1))
        return runs

    @property
    def rows(self) -> list[dict]:
        """Every row (the Excel export; a page shows `page(n)`)."""
        return self.rows_between(0, len(self.heads))

    def rows_between(self, start: int, stop: int) -> list[dict]:
        """Rows start…stop-1 with their cells and `heat`, each cell's colour step (heat_step)."""
        req, lack = self.required[start:stop], self.lacking[start:stop]
        if self.level == "officials" and not self.by_group:
            cur = self.current[start:stop]
            share = 100.0 * lack
            cells = [_level_cells(r, c) for r, c in zip(req, cur)]
        else:
            share = _share(lack, req)
            cells = [_cells(r, l) for r, l in zip(req, lack)]
        heat = heat_step(share).tolist()
        return [{**head, "cells": cs, "heat": h}
                for head, cs, h in zip(self.heads[start:stop], cells, heat)]

    def page(self, number: int, size: int) -> tuple[list[dict], int, int]:
        """Page `number` (1-based, clamped to the last) of `size` rows: (rows, number, pages)."""
        pages = max(1, -(-len(self.heads) // size))
        number = min(max(1, number), pages)
        return self.rows_between((number - 1) * size, number * size), number, pages

    def aligned(self, columns: list[dict]) -> Heatmap:
        """The same rows under `columns` (the page's, when rows are expanded in place): a column
        nobody here needs is empty, one not in `columns` is left out."""
        where = {c["key"]: j for j, c in enumerate(self.columns)}
        take = [where.get(c["key"], -1) for c in columns]

        def pick(m):
            if m is None:
                return None
            out = np.zeros((m.shape[0], len(columns)), dtype=m.dtype)
            keep = [k for k, j in enumerate(take) if j >= 0]
            out[:, keep] = m[:, [take[k] for k in keep]]
            return out
        empty = {"required": 0, "lacking": 0, "share": 0.0}
        return replace(self, columns=columns, required=pick(self.required),
                       lacking=pick(self.lacking), current=pick(self.current),
                       total=[self.total[j] if j >= 0 else empty for j in take])


HEAT_STEPS = 10  # colour steps of the heat map: 0 (nobody lacks it), then 1…10 by tenths


def heat_step(share) -> np.ndarray:
    """The colour step of a share lacking (0–100): 0 when nobody lacks it, else 1…10, so the
    smallest gap is never drawn as none (static/app.css .hm0…hm10)."""
    share = np.clip(np.asarray(share, dtype=float), 0, 100)
    return np.ceil(share * HEAT_STEPS / 100).astype(np.int64)


def _share(lacking, required):
    lacking, required = np.asarray(lacking, dtype=float), np.asarray(required, dtype=float)
    return np.divide(100.0 * lacking, required, out=np.zeros_like(lacking), where=required > 0)


def heatmap(where=None, *, unit_id: int | None = None, by_official: bool = False,
            by_group: bool = False, filters: Filters = Filters(), on: date | None = None) -> Heatmap:
    """Gaps of the officials matching `where` and `filters`, below `unit_id` (the whole scope
    when None), at one level: one load of the matrices, one groupby."""
    units = unit_table()
    info = units.set_index("unit_id")
    cond = _and(where, filter_clause(filters, on, units))
    unit, level = None, "province"
    if unit_id is not None:
        unit, level, subtree = _drilled_unit(units, info, unit_id, by_official)
        cond = _and(cond, Official.unit_id.in_(subtree))

    cat = load_catalogue()
    pop = load_population(cat, cond)
    if by_group:
        req, lack, columns = _group_matrices(cat, pop, per_official=level == "officials")
    else:
        req, lack, columns = _competency_matrices(cat, pop)
    order = _needed_columns(columns, req)
    columns = [columns[j] for j in order]
    req, lack = req[:, order], lack[:, order]
    total = _cells(req.sum(axis=0), lack.sum(axis=0))

    current = None
    if level == "officials":
        heads, rank = _official_heads(pop, on)
        if by_group:
            req, lack = req[rank], lack[rank]
        else:  # levels: required and current
            req, current = pop.required[:, order][rank], pop.current[:, order][rank]
            lack = (req > current).astype(np.int64)
    else:
        heads, req, lack = _unit_rows(pop, info, req, lack, level, unit_id)
    return Heatmap(level=level, by_group=by_group, unit=unit, columns=columns, heads=heads,
                   required=req, lacking=lack, current=current, total=total,
                   officials=len(pop.official_ids), breadcrumb=_breadcrumb(info, unit_id))


def _drilled_unit(units: pd.DataFrame, info: pd.DataFrame, unit_id: int,
                  by_official: bool) -> tuple[dict, str, list[int]]:
    """The unit drilled into, the heatmap's level there (a commune's departments, or its
    officials with `by_official` and below a commune) and the unit ids of its subtree."""
    if unit_id not in info.index:
        raise LookupError(unit_id)
    kind = info.at[unit_id, "kind"]
    unit = {"id": unit_id, "name": info.at[unit_id, "unit_name"], "kind": kind}
    subtree = subtree_of(zip(units["unit_id"], units["parent_id"]), unit_id)
    level = "province"
    if kind in COMMUNE_KINDS and not by_official:
        level = "commune"
    elif kind != "province":
        level = "officials"
    return unit, level, subtree


def _group_matrices(cat, pop, *, per_official: bool) -> tuple[np.ndarray, np.ndarray, list[dict]]:
    """One column per KH-1 competency group. Per official: how many of the group's competencies
    are required / lacking; per unit: whether an official needs one / lacks at least one."""
    required, lacking = pop.required > 0, pop.gaps > 0
    groups = np.array(cat.competency_groups)
    keys = [code for code, _ in vocab.COMPETENCY_GROUPS]
    members = [groups == g for g in keys]
    if per_official:
        req = np.stack([required[:, m].sum(axis=1) for m in members], axis=1)
        lack = np.stack([lacking[:, m].sum(axis=1) for m in members], axis=1)
    else:
        req = np.stack([required[:, m].any(axis=1) for m in members], axis=1).astype(np.int64)
        lack = np.stack([lacking[:, m].any(axis=1) for m in members], axis=1).astype(np.int64)
    columns = [{"key": g, "code": g, "name": vocab.label(vocab.COMPETENCY_GROUPS, g),
                "group": g} for g in keys]
    return req, lack, columns


def _competency_matrices(cat, pop) -> tuple[np.ndarray, np.ndarray, list[dict]]:
    """One column per competency: whether each official needs it / lacks it."""
    req, lack = (pop.required > 0).astype(np.int64), (pop.gaps > 0).astype(np.int64)
    columns = [{"key": cid, "code": "", "name": name, "group": grp} for cid, name, grp in
               zip(cat.competency_ids, cat.competency_names, cat.competency_groups)]
    codes = dict(select_frame(sa.select(Competency.id, Competency.code),
                              ["id", "code"]).itertuples(index=False, name=None))
    for c in columns:
        c["code"] = codes.get(c["key"], "")
    return req, lack, columns


def _needed_columns(columns: list[dict], req: np.ndarray) -> list[int]:
    """The columns someone here needs, in KH-1 group order then by code."""
    needed = req.sum(axis=0)
    group_order = [g for g, _ in vocab.COMPETENCY_GROUPS]
    return [j for j in sorted(range(len(columns)), key=lambda j: (
        group_order.index(columns[j]["group"])
        if columns[j]["group"] in dict(vocab.COMPETENCY_GROUPS) else 9, columns[j]["code"]))
        if needed[j] > 0]


def _cells(req, lack) -> list[dict]:
    """A unit-level (or group) row of cells: required, lacking and the share lacking."""
    share = _share(lack, req)
    return [{"required": int(a), "lacking": int(b), "share": float(s)}
            for a, b, s in zip(np.asarray(req).tolist(), np.asarray(lack).tolist(),
                               share.tolist())]


def _level_cells(required, current) -> list[dict]:
    """An official's row of cells by competency: the required and the current level."""
    return [{"required": a, "current": b, "lacking": int(a > b),
             "gap": max(0, a - b), "share": 100.0 * (a > b)}
            for a, b in zip(np.asarray(required).tolist(), np.asarray(current).tolist())]


def _official_heads(pop, on: date | None) -> tuple[list[dict], np.ndarray]:
    """Who each official row is, by unit then name, and the population's rows in that order."""
    people = officials_frame(Official.id.in_(pop.official_ids.tolist()) if len(
        pop.official_ids) else sa.false(), on=on).set_index("id")
    people = people.reindex(pop.official_ids)
    frame = pd.DataFrame({
        "id": pop.official_ids, "name": people["full_name"].to_numpy(),
        "code": people["code"].to_numpy(), "unit_id": people["unit_id"].to_numpy(),
        "unit_name": people["unit_name"].to_numpy(),
        "position_name": people["position_name"].where(
            people["position_name"].map(lambda v: isinstance(v, str)), "").to_numpy()})
    frame["row"] = np.arange(len(frame))
    frame = frame.sort_values(["unit_name", "name"], kind="stable")
    frame["unit_id"] = frame["unit_id"].astype(np.int64)
    heads = frame.drop(columns="row").to_dict("records")
    return heads, frame["row"].to_numpy()


def _unit_rows(pop, info: pd.DataFrame, req: np.ndarray, lack: np.ndarray, level: str,
               unit_id: int | None) -> tuple[list[dict], np.ndarray, np.ndarray]:
    """One row per commune ("province") or per unit of the commune ("commune": its own office,
    leaders and units directly under it, first; then its departments): who, and the sums."""
    if level == "province":
        key = pd.Series(pop.unit_ids).map(info["commune_id"]).fillna(-1).astype(np.int64)
    else:
        key = pd.Series(pop.unit_ids)
    by_req = pd.DataFrame(req).groupby(key.to_numpy()).sum()
    by_lack = pd.DataFrame(lack).groupby(key.to_numpy()).sum()
    heads_n = pd.Series(1, index=range(len(key))).groupby(key.to_numpy()).sum()
    heads = []
    for uid in by_req.index.tolist():
        name = info.at[uid, "unit_name"] if uid in info.index else "—"
        own = level == "commune" and uid == unit_id
        if own:
            name = f"{name} (lãnh đạo, trực thuộc)"
        heads.append({"id": uid, "name": name, "officials": int(heads_n.loc[uid]),
                      "kind": info.at[uid, "kind"] if uid in info.index else "", "own": own})
    rank = sorted(range(len(heads)), key=lambda i: (not heads[i]["own"], heads[i]["name"]))
    return ([heads[i] for i in rank], by_req.to_numpy(dtype=np.int32)[rank],
            by_lack.to_numpy(dtype=np.int32)[rank])


def _breadcrumb(info: pd.DataFrame, unit_id: int | None) -> list[dict]:
    chain = []
    while unit_id is not None and unit_id in info.index:
        chain.append({"id": unit_id, "name": info.at[unit_id, "unit_name"],
                      "kind": info.at[unit_id, "kind"]})
        parent = info.at[unit_id, "parent_id"]
        unit_id = None if pd.isna(parent) else int(parent)
    return chain[::-1]


def heatmap_frames(hm: Heatmap) -> dict[str, pd.DataFrame]:
    """The heatmap as Excel sheets with Vietnamese headers: the grid, then one line per cell."""
    titles = [f"{c['code']} – {c['name']}" if not hm.by_group else c["name"] for c in hm.columns]
    if hm.level == "officials":
        head = pd.DataFrame({"Họ và tên": [r["name"] for r in hm.rows],
                             "Mã cán bộ": [r["code"] for r in hm.rows],
                             "Đơn vị": [r["unit_name"] for r in hm.rows],
                             "Vị trí việc làm": [r["position_name"] for r in hm.rows]})
        if hm.by_group:
            values = [[f"{c['lacking']}/{c['required']}" if c["required"] else "" for c in r["cells"]]
                      for r in hm.rows]
        else:
            values = [[f"{c['current']}/{c['required']}" if c["required"] else "" for c in r["cells"]]
                      for r in hm.rows]
        grid = pd.concat([head, pd.DataFrame(values, columns=titles, dtype=object)], axis=1)
        long = []
        for r in hm.rows:
            for col, c in zip(hm.columns, r["cells"]):
                if c["required"] and c["lacking"]:
                    long.append({"Họ và tên": r["name"], "Mã cán bộ": r["code"],
                                 "Đơn vị": r["unit_name"], "Mã năng lực": col["code"],
                                 "Năng lực / nhóm": col["name"],
                                 "Yêu cầu": c["required"],
                                 "Hiện có / thiếu": c.get("current", c["lacking"])})
        detail = pd.DataFrame(long, columns=["Họ và tên", "Mã cán bộ", "Đơn vị", "Mã năng lực",
                                             "Năng lực / nhóm", "Yêu cầu", "Hiện có / thiếu"])
        return {"Mức năng lực": grid, "Các ô còn thiếu": detail}
    names = ["Tổng"] + [r["name"] for r in hm.rows]
    all_cells = [hm.total] + [r["cells"] for r in hm.rows]
    grid = pd.DataFrame([[round(c["share"], 1) for c in cs] for cs in all_cells], columns=titles)
    grid.insert(0, "Đơn vị", names)
    long = pd.DataFrame([{"Đơn vị": n, "Mã": col["code"], "Năng lực / nhóm": col["name"],
                          "Nhóm năng lực": vocab.label(vocab.COMPETENCY_GROUPS, col["group"]),
                          "Số người cần": c["required"], "Số người thiếu": c["lacking"],
                          "Tỷ lệ thiếu (%)": round(c["share"], 1)}
                         for n, cs in zip(names, all_cells) for col, c in zip(hm.columns, cs)],
                        columns=["Đơn vị", "Mã", "Năng lực / nhóm", "Nhóm năng lực",
                                 "Số người cần", "Số người thiếu", "Tỷ lệ thiếu (%)"])
    return {"Tỷ lệ thiếu (%)": grid, "Chi tiết": long}


def gap_report(where=None) -> pd.DataFrame:
    """Per commune × competency, with names: required, lacking, share lacking, mean gap."""
    cat = load_catalogue()
    pop = load_population(cat, where)
    units = unit_table()
    report = unit_gap_report(cat, pop, dict(zip(units["unit_id"], units["commune_id"])))
    comps = select_frame(sa.select(Competency.id, Competency.code, Competency.name,
                                   Competency.group),
                         ["competency_id", "competency_code", "competency_name", "group"])
    report = report.merge(comps, on="competency_id").merge(
        units[["unit_id", "unit_name"]], on="unit_id")
    report["share"] = 100.0 * report["lacking"] / report["required"]
    return report


def competency_summary(report: pd.DataFrame) -> pd.DataFrame:
    """The report summed over units: which competencies are most lacking."""
    summary = (report.groupby(["competency_id", "competency_code", "competency_name", "group"])
               [["required", "lacking"]].sum().reset_index())
    summary["share"] = 100.0 * summary["lacking"] / summary["required"]
    return summary.sort_values(["lacking", "competency_name"], ascending=[False, True])


# --------------------------------------------------------------------------------------------
# 2. Qualification standards by position (LC-5, LC-5b, LC-6, LC-7; KH-8)

QUAL_KINDS = tuple(QUAL_COLUMNS)  # education, political_theory, state_management, it_level


def _scale_labels(kind: str) -> dict[int, str]:
    return {i: text for i, (_, text) in enumerate(vocab.QUALIFICATION_SCALES[kind])}


def cheapest_granting_courses() -> pd.DataFrame:
    """For each qualification kind and needed rank: the cheapest course granting that rank or
    higher (then the shortest, then by code) — what would bring an official to the standard."""
    courses = select_frame(sa.select(Course.id, Course.code, Course.name, Course.cost, Course.hours,
                                     Course.qualification_kind, Course.qualification_level)
                           .where(Course.qualification_kind.is_not(None)),
                           ["course_id", "course_code", "course_name", "cost", "hours", "kind",
                            "level"])
    out = []
    for kind in QUAL_KINDS:  # 4 kinds × a handful of levels: a tiny table
        scale = vocab.QUALIFICATION_SCALES[kind]
        c = courses[courses["kind"] == kind].copy()
        order = {code: i for i, code in enumerate(vocab.codes(scale))}
        c["rank"] = c["level"].map(order).fillna(-1).astype(int)
        c = c.sort_values(["cost", "hours", "course_code"])
        for need in range(1, len(scale)):
            fit = c[c["rank"] >= need]
            if not fit.empty:
                best = fit.iloc[0]
                out.append({"kind": kind, "need_rank": need, "course_id": int(best["course_id"]),
                            "course_code": best["course_code"], "course_name": best["course_name"],
                            "course_cost": int(best["cost"] or 0),
                            "course_hours": int(best["hours"] or 0)})
    return pd.DataFrame(out, columns=["kind", "need_rank", "course_id", "course_code",
                                      "course_name", "course_cost", "course_hours"])


@dataclass
class QualificationReport:
    officials: pd.DataFrame  # every placed official with have/need ranks per kind
    gaps: pd.DataFrame  # one row per official × kind below the standard, with the course
    by_group: pd.DataFrame  # position group × kind: officials, below, share meeting
    by_unit: pd.DataFrame  # commune × kind: officials below


def qualification_report(where=None, filters: Filters = Filters(),
                         on: date | None = None) -> QualificationReport:
    """Effective ranks (recorded, or granted by a completed course: learning.queries) against the
    standard of each official's position (Position.min_*)."""
    cond = _and(where, filter_clause(filters, on))
    df = officials_frame(cond, on=on)
    df = df[df["position_id"].notna()].copy()
    mins = select_frame(sa.select(Position.id, *[getattr(Position, c) for c in MIN_COLUMNS.values()]),
                        ["position_id", *MIN_COLUMNS.values()]).astype({"position_id": "Int64"})
    df = df.merge(mins, on="position_id", how="left")
    for kind, column in QUAL_COLUMNS.items():
        order = {code: i for i, code in enumerate(vocab.codes(vocab.QUALIFICATION_SCALES[kind]))}
        df[column + "_need"] = df[MIN_COLUMNS[kind]].map(order).fillna(0).astype(int)
    # A course under way that grants enough already: the official is on the way.
    active = select_frame(
        sa.select(Enrollment.official_id, Course.name, Course.qualification_kind,
                  Course.qualification_level).join(Course, Course.id == Enrollment.course_id)
        .join(Official, Official.id == Enrollment.official_id)
        .where(cond, Enrollment.status.in_(ACTIVE_STATUSES), Course.qualification_kind.is_not(None)),
        ["id", "active_course", "kind", "level"])
    active["active_rank"] = [vocab.rank(vocab.QUALIFICATION_SCALES.get(k, ()), lv)
                             for k, lv in zip(active["kind"], active["level"])]
    active = (active.sort_values("active_rank", ascending=False)
              .drop_duplicates(["id", "kind"])[["id", "kind", "active_course", "active_rank"]])
    parts = []
    keep = ["id", "code", "full_name", "unit_id", "unit_name", "commune_id", "commune_name",
            "position_name", "position_group"]
    for kind, column in QUAL_COLUMNS.items():  # four kinds, vectorised over officials
        below = df[df[column + "_rank"] < df[column + "_need"]]
        part = below[keep].copy()
        part["kind"] = kind
        part["have_rank"] = below[column + "_rank"].to_numpy()
        part["need_rank"] = below[column + "_need"].to_numpy()
        parts.append(part)
    gaps = pd.concat(parts, ignore_index=True)
    gaps = gaps.merge(cheapest_granting_courses(), on=["kind", "need_rank"], how="left")
    gaps = gaps.merge(active, on=["id", "kind"], how="left")
    gaps["active_course"] = gaps["active_course"].where(gaps["active_rank"] >= gaps["need_rank"])
    gaps = gaps.drop(columns="active_rank")
    gaps["kind_label"] = gaps["kind"].map(vocab.QUALIFICATION_LABELS)
    gaps["have_label"] = [_scale_labels(k)[r] for k, r in zip(gaps["kind"], gaps["have_rank"])]
    gaps["need_label"] = [_scale_labels(k)[r] for k, r in zip(gaps["kind"], gaps["need_rank"])]
    gaps = gaps.sort_values(["commune_name", "unit_name", "full_name", "kind"]).reset_index(drop=True)

    # Position group × kind: how many are placed, how many below, the share meeting the standard.
    groups = [g for g, _ in vocab.POSITION_GROUPS]
    placed = df.groupby("position_group")["id"].nunique().reindex(groups, fill_value=0)
    below = (gaps.groupby(["position_group", "kind"])["id"].nunique().unstack(fill_value=0)
             .reindex(index=groups, columns=list(QUAL_KINDS), fill_value=0))
    any_below = gaps.groupby("position_group")["id"].nunique().reindex(groups, fill_value=0)
    by_group = pd.DataFrame({"position_group": groups, "officials": placed.to_numpy()})
    for kind in QUAL_KINDS:
        by_group[kind] = below[kind].to_numpy()
    by_group["any"] = any_below.to_numpy()
    by_group["share_ok"] = _share(by_group["officials"] - by_group["any"], by_group["officials"])

    units = df.groupby(["commune_id", "commune_name"])["id"].nunique().rename("officials")
    below_u = (gaps.groupby(["commune_id", "kind"])["id"].nunique().unstack(fill_value=0)
               .reindex(columns=list(QUAL_KINDS), fill_value=0))
    any_u = gaps.groupby("commune_id")["id"].nunique().rename("any")
    by_unit = units.reset_index().merge(below_u, left_on="commune_id", right_index=True, how="left")
    by_unit = by_unit.merge(any_u, left_on="commune_id", right_index=True, how="left")
    by_unit[list(QUAL_KINDS) + ["any"]] = by_unit[list(QUAL_KINDS) + ["any"]].fillna(0).astype(int)
    by_unit = by_unit.sort_values(["any", "commune_name"], ascending=[False, True])
    return QualificationReport(officials=df, gaps=gaps, by_group=by_group,
                               by_unit=by_unit.reset_index(drop=True))


def qualification_frames(report: QualificationReport) -> dict[str, pd.DataFrame]:
    labels = vocab.QUALIFICATION_LABELS
    g = report.by_group
    by_group = pd.DataFrame({
        "Nhóm vị trí": g["position_group"].map(dict(vocab.POSITION_GROUPS)),
        "Số cán bộ": g["officials"],
        **{f"Chưa đạt: {labels[k]}": g[k] for k in QUAL_KINDS},
        "Chưa đạt ít nhất một tiêu chuẩn": g["any"],
        "Tỷ lệ đạt chuẩn (%)": g["share_ok"].round(1)})
    u = report.by_unit
    by_unit = pd.DataFrame({
        "Đơn vị": u["commune_name"], "Số cán bộ": u["officials"],
        **{f"Chưa đạt: {labels[k]}": u[k] for k in QUAL_KINDS},
        "Chưa đạt ít nhất một tiêu chuẩn": u["any"]})
    x = report.gaps
    people = pd.DataFrame({
        "Họ và tên": x["full_name"], "Mã cán bộ": x["code"], "Đơn vị": x["unit_name"],
        "Xã, phường": x["commune_name"], "Vị trí việc làm": x["position_name"],
        "Tiêu chuẩn": x["kind_label"], "Hiện có": x["have_label"], "Chuẩn của vị trí": x["need_label"],
        "Khóa học đề xuất": x["course_name"].fillna("Chưa có khóa học cấp trình độ này"),
        "Chi phí (đồng)": x["course_cost"].fillna(0).astype(int),
        "Đang học": x["active_course"].fillna("")})
    return {"Theo nhóm vị trí": by_group, "Theo đơn vị": by_unit, "Danh sách chưa đạt": people}


# --------------------------------------------------------------------------------------------
# 3. Warnings (KH-8)

WARNING_KINDS = (
    ("below_standard", "Chưa đạt tiêu chuẩn chức danh, vị trí"),
    ("skipped", "Được cử đi học nhưng không tham gia"),
    ("not_reviewed", "Chưa được đánh giá theo khung năng lực trong kỳ"),
    ("no_change", "Năng lực không thay đổi sau đào tạo"),
)
WARNING_COLUMNS = ["official_id", "code", "full_name", "unit_name", "position_name", "reason",
                   "on"]


def _with_people(frame: pd.DataFrame, people: pd.DataFrame) -> pd.DataFrame:
    out = frame.merge(people, left_on="official_id", right_on="id", how="inner")
    out["position_name"] = out["position_name"].fillna("")
    return out.reindex(columns=WARNING_COLUMNS)


def warnings_report(where=None, *, on: date | None = None,
                    review_months: int = DEFAULT_REVIEW_PERIOD_MONTHS) -> dict[str, pd.DataFrame]:
    """Each warning as a list of officials with the reason, newest first."""
    on = on or today()
    cond = _and(where)
    people = officials_frame(cond, on=on)[["id", "code", "full_name", "unit_name", "position_id",
                                           "position_name"]]
    found = {"below_standard": _below_standard(where, on),
             "skipped": _skipped_training(cond),
             "not_reviewed": _not_reviewed(cond, people, on, review_months),
             "no_change": _no_change_after_training(cond)}
    return {kind: _newest_first(frame, people) for kind, frame in found.items()}


def _below_standard(where, on: date) -> pd.DataFrame:
    """Below the standard of the title (from the qualification report): one line per official
    naming every standard missed and the course proposed."""
    q = qualification_report(where, on=on).gaps
    if q.empty:
        return pd.DataFrame(columns=["official_id", "reason", "on"])
    q = q.assign(text=q["kind_label"] + ": " + q["have_label"] + " (chuẩn: " + q["need_label"]
                 + ")" + np.where(q["course_name"].notna(),
                                  " — đề xuất: " + q["course_name"].fillna(""), ""))
    below = q.groupby("id")["text"].agg("; ".join).rename("reason").reset_index()
    return below.rename(columns={"id": "official_id"}).assign(on=pd.NaT)


def _skipped_training(cond) -> pd.DataFrame:
    """Skipped training they were assigned to (TQ III.4.4): no-show, or withdrew after the
    start. The day of a withdrawal is the enrollment's last update (nothing changes it
    afterwards)."""
    en = select_frame(
        sa.select(Enrollment.official_id, Enrollment.status, Enrollment.updated_at,
                  Cohort.code, Cohort.start_date, Course.name)
        .join(Course, Course.id == Enrollment.course_id)
        .outerjoin(Cohort, Cohort.id == Enrollment.cohort_id)
        .join(Official, Official.id == Enrollment.official_id)
        .where(cond, Enrollment.status.in_(("no_show", "withdrawn"))),
        ["official_id", "status", "updated_at", "cohort", "start", "course"])
    if en.empty:
        return pd.DataFrame(columns=["official_id", "reason", "on"])
    start = pd.to_datetime(en["start"])
    left = pd.to_datetime(en["updated_at"], utc=True).dt.tz_convert(LOCAL_ZONE.key) \
        .dt.tz_localize(None).dt.normalize()  # the day in Việt Nam
    late = (en["status"] == "withdrawn") & start.notna() & (left >= start)
    en = en[(en["status"] == "no_show") | late].copy()
    start, left = start[en.index], left[en.index]
    cohort = np.where(en["cohort"].notna(), " lớp " + en["cohort"].fillna(""), "")
    opened = np.where(start.notna(), " (khai giảng " + start.dt.strftime("%d/%m/%Y").fillna("")
                      + ")", "")
    en["reason"] = np.where(
        en["status"] == "no_show",
        "Không tham gia khóa “" + en["course"] + "”" + cohort + opened,
        "Rút khỏi khóa “" + en["course"] + "”" + cohort + " ngày "
        + left.dt.strftime("%d/%m/%Y").fillna("") + ", sau khi lớp đã khai giảng" + opened)
    en["on"] = start.fillna(left)
    return en[["official_id", "reason", "on"]]


def _not_reviewed(cond, people: pd.DataFrame, on: date, review_months: int) -> pd.DataFrame:
    """Not reviewed against the framework this period (KH-2, DL-a): no supervisor or test
    assessment within `review_months` of `on`, or none ever."""
    cutoff = (pd.Timestamp(on) - pd.DateOffset(months=review_months)).date()
    last = select_frame(
        sa.select(Assessment.official_id, sa.func.max(Assessment.assessed_on))
        .join(Official, Official.id == Assessment.official_id)
        .where(cond, Assessment.source.in_(REVIEW_SOURCES)).group_by(Assessment.official_id),
        ["official_id", "last"])
    last_by = pd.to_datetime(people["id"].map(dict(zip(last["official_id"], last["last"]))))
    stale = last_by.isna() | (last_by <= pd.Timestamp(cutoff))
    nr = people[stale].assign(last=last_by[stale])
    reason = np.where(nr["last"].isna(), "Chưa từng được cấp trên đánh giá hoặc sát hạch",
                      "Lần đánh giá gần nhất ngày " + nr["last"].dt.strftime("%d/%m/%Y").fillna("")
                      + f" (đã quá {review_months} tháng)")
    reason = np.where(nr["position_id"].isna(),
                      "Chưa được xếp vị trí việc làm nên chưa có khung năng lực để đánh giá",
                      reason)
    return pd.DataFrame({"official_id": nr["id"], "reason": reason, "on": nr["last"]})


def _newest_first(frame: pd.DataFrame, people: pd.DataFrame) -> pd.DataFrame:
    """A warning's lines with the officials' names, newest first (undated last)."""
    w = _with_people(frame, people)
    w["on"] = pd.to_datetime(w["on"])
    return w.sort_values(["on", "unit_name", "full_name"], ascending=[False, True, True],
                         na_position="last").reset_index(drop=True)


def _no_change_after_training(cond) -> pd.DataFrame:
    """KH-6: a post-training review "no change"; or, for a completion without a review, the first
    supervisor (or test) assessment after it on the competencies the course teaches is nowhere
    higher than the last one before it (only where both exist: no evidence, no warning)."""
    reviews = select_frame(
        sa.select(Enrollment.id, Enrollment.official_id, PostTrainingReview.outcome,
                  PostTrainingReview.reviewed_on, PostTrainingReview.note, Course.name)
        .join(Enrollment, Enrollment.id == PostTrainingReview.enrollment_id)
        .join(Course, Course.id == Enrollment.course_id)
        .join(Official, Official.id == Enrollment.official_id).where(cond),
        ["enrollment_id", "official_id", "outcome", "reviewed_on", "note", "course"])
    flagged = reviews[reviews["outcome"] == "no_change"]
    by_review = pd.DataFrame({
        "official_id": flagged["official_id"],
        "reason": "Đánh giá sau đào tạo ngày " + pd.to_datetime(flagged["reviewed_on"])
        .dt.strftime("%d/%m/%Y") + ": năng lực không thay đổi sau khóa “" + flagged["course"]
        + "”" + np.where(flagged["note"].fillna("") != "", " — " + flagged["note"].fillna(""), ""),
        "on": pd.to_datetime(flagged["reviewed_on"])})

    done = select_frame(
        sa.select(Enrollment.id, Enrollment.official_id, Enrollment.completed_on, Course.name,
                  CourseCompetency.competency_id)
        .join(Course, Course.id == Enrollment.course_id)
        .join(CourseCompetency, CourseCompetency.course_id == Course.id)
        .join(Official, Official.id == Enrollment.official_id)
        .where(cond, Enrollment.status == "completed", Enrollment.completed_on.is_not(None)),
        ["enrollment_id", "official_id", "completed_on", "course", "competency_id"])
    done = done[~done["enrollment_id"].isin(reviews["enrollment_id"])]
    ev = select_frame(
        sa.select(Assessment.official_id, Assessment.competency_id, Assessment.assessed_on,
                  Assessment.level, Assessment.id)
        .join(Official, Official.id == Assessment.official_id)
        .where(cond, Assessment.source.in_(REVIEW_SOURCES)),
        ["official_id", "competency_id", "assessed_on", "level", "assessment_id"])
    empty = pd.DataFrame(columns=["official_id", "reason", "on"])
    if done.empty or ev.empty:
        return pd.concat([by_review, empty], ignore_index=True) if not by_review.empty else empty
    done["t"] = pd.to_datetime(done["completed_on"])
    ev["t"] = pd.to_datetime(ev["assessed_on"])
    for frame in (done, ev):
        frame["official_id"] = frame["official_id"].astype(np.int64)
        frame["competency_id"] = frame["competency_id"].astype(np.int64)
    ev = ev.sort_values(["t", "assessment_id"])
    done = done.sort_values("t")
    keys = ["official_id", "competency_id"]
    before = pd.merge_asof(done, ev[keys + ["t", "level"]].rename(columns={"level": "before"}),
                           on="t", by=keys, direction="backward", allow_exact_matches=False)
    after = pd.merge_asof(done, ev[keys + ["t", "level", "assessed_on"]].rename(
        columns={"level": "after", "assessed_on": "after_on"}),
        on="t", by=keys, direction="forward", allow_exact_matches=False)
    pairs = before.assign(after=after["after"].to_numpy(), after_on=after["after_on"].to_numpy())
    pairs = pairs[pairs["before"].notna() & pairs["after"].notna()]
    if pairs.empty:
        return by_review if not by_review.empty else empty
    pairs = pairs.assign(improved=pairs["after"] > pairs["before"])
    per = pairs.groupby(["enrollment_id", "official_id", "course", "completed_on"]).agg(
        improved=("improved", "any"), checked=("improved", "size"),
        after_on=("after_on", "max")).reset_index()
    per = per[~per["improved"]]
    by_assessment = pd.DataFrame({
        "official_id": per["official_id"],
        "reason": "Hoàn thành khóa “" + per["course"] + "” ngày "
        + pd.to_datetime(per["completed_on"]).dt.strftime("%d/%m/%Y")
        + "; đánh giá sau đó không cao hơn trước trên " + per["checked"].astype(str)
        + " năng lực khóa học bồi dưỡng",
        "on": pd.to_datetime(per["after_on"])})
    return pd.concat([f for f in (by_review, by_assessment) if not f.empty] or [empty],
                     ignore_index=True)


def warning_frames(warnings: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    sheet = {"below_standard": "Chưa đạt chuẩn", "skipped": "Không tham gia đào tạo",
             "not_reviewed": "Chưa được đánh giá", "no_change": "Không thay đổi sau ĐT"}
    out = {}
    for kind, _ in WARNING_KINDS:
        w = warnings[kind]
        out[sheet[kind]] = pd.DataFrame({
            "Họ và tên": w["full_name"], "Mã cán bộ": w["code"], "Đơn vị": w["unit_name"],
            "Vị trí việc làm": w["position_name"], "Lý do": w["reason"],
            "Ngày": w["on"]})
    return out


# --------------------------------------------------------------------------------------------
# 4. Workforce composition (KH-11, TQ II.2)

@dataclass
class Composition:
    by_unit: pd.DataFrame  # commune: officials/managers and the young, female, minority counts
    total: dict
    trend: pd.DataFrame  # year: shares among the current managers and officials at 31/12
    young_age: int


def composition_report(where=None, *, young_age: int | None = None,
                       on: date | None = None, years: range | None = None) -> Composition:
    """Shares of young, female and ethnic-minority officials among managers (position groups
    leadership and manager) and among all officials, by commune.

    "Over time": the records keep no hire, appointment or leaving dates and no history of who
    held which post, so past compositions cannot be rebuilt. The trend is therefore the current
    officials at 31 December of each year, from their birth dates: the young share each year
    (past years: those present today who were young then; coming years up to 2030: what it
    becomes if nobody joins or leaves). Female and minority shares cannot change in that view;
    they are shown for the current year only. The page says so."""
    young_age = young_age_limit() if young_age is None else young_age
    on = on or today()
    df = officials_frame(where, on=on)
    df["young"] = df["age"] < young_age
    df["female"] = df["gender"] == "female"
    df["manager"] = df["position_group"].isin(MANAGER_GROUPS).fillna(False).astype(bool)
    flags = ["young", "female", "minority"]

    def counts(frame: pd.DataFrame, keys) -> pd.DataFrame:
        g = frame.groupby(keys)
        out = g.size().rename("officials").to_frame()
        for f in flags:
            out[f] = g[f].sum()
        m = frame[frame["manager"]].groupby(keys)
        out["managers"] = m.size().reindex(out.index, fill_value=0)
        for f in flags:
            out["managers_" + f] = m[f].sum().reindex(out.index, fill_value=0)
        out = out.fillna(0).astype(int)
        for f in flags:
            out["share_" + f] = _share(out[f], out["officials"])
            out["managers_share_" + f] = _share(out["managers_" + f], out["managers"])
        return out

    by_unit = counts(df, ["commune_id", "commune_name"]).reset_index().sort_values("commune_name")
    whole = counts(df.assign(k=0), ["k"])
    total = {c: (float(whole[c].iloc[0]) if "share" in c else int(whole[c].iloc[0])) if len(whole)
             else 0 for c in whole.columns}
    years = years or range(on.year - 5, max(on.year, 2030) + 1)
    born = pd.to_datetime(df["birth_date"])
    rows = []
    for y in years:  # a few years, each vectorised over officials
        end = pd.Timestamp(year=y, month=12, day=31)
        alive = born <= end
        age = y - born.dt.year  # age reached by 31/12 of the year
        young = (age < young_age) & alive
        mgr = df["manager"] & alive
        rows.append({"year": y, "officials": int(alive.sum()), "young": int(young.sum()),
                     "managers": int(mgr.sum()), "managers_young": int((young & mgr).sum())})
    trend = pd.DataFrame(rows, columns=["year", "officials", "young", "managers",
                                        "managers_young"])
    trend["share_young"] = _share(trend["young"], trend["officials"])
    trend["managers_share_young"] = _share(trend["managers_young"], trend["managers"])
    return Composition(by_unit=by_unit.reset_index(drop=True), total=total, trend=trend,
                       young_age=young_age)


def composition_frames(c: Composition) -> dict[str, pd.DataFrame]:
    def block(frame: pd.DataFrame, name) -> pd.DataFrame:
        return pd.DataFrame({
            "Đơn vị": name,
            "Số cán bộ": frame["officials"],
            f"Trẻ (dưới {c.young_age} tuổi) (%)": frame["share_young"].round(1),
            "Nữ (%)": frame["share_female"].round(1),
            "Dân tộc thiểu số (%)": frame["share_minority"].round(1),
            "Số lãnh đạo, quản lý": frame["managers"],
            "Lãnh đạo, quản lý trẻ (%)": frame["managers_share_young"].round(1),
            "Lãnh đạo, quản lý nữ (%)": frame["managers_share_female"].round(1),
            "Lãnh đạo, quản lý DTTS (%)": frame["managers_share_minority"].round(1)})

    total = block(pd.DataFrame([c.total]), ["Tổng"])
    units = block(c.by_unit, c.by_unit["commune_name"])
    trend = pd.DataFrame({
        "Năm (tại 31/12)": c.trend["year"], "Số cán bộ hiện nay": c.trend["officials"],
        f"Trẻ (dưới {c.young_age} tuổi) (%)": c.trend["share_young"].round(1),
        "Số lãnh đạo, quản lý hiện nay": c.trend["managers"],
        "Lãnh đạo, quản lý trẻ (%)": c.trend["managers_share_young"].round(1)})
    return {"Theo đơn vị": pd.concat([total, units], ignore_index=True), "Theo năm": trend}
