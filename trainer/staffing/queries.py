"""Reads of staffing (LC (1), DL-l; LC-1b): approved vs filled headcount per unit and position,
and whose field of study does not fit their position. Nothing here is stored: filled posts,
vacancies and mismatches are computed on each read (docs/staffing.md).

Who fills a post: an official placed in an open unit with that position. Officials carry no
status of their own (no "left"/"retired"); a unit merged or dissolved is closed, its officials
moved (docs/units.md), so a closed unit counts neither quotas nor officials."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import sqlalchemy as sa

from courses.fields import field_fits
from trainer.catalog.models import Position, PositionField
from trainer.core.extensions import db
from trainer.core.frames import select_frame
from trainer.guidance.operations import catalogue, load_population
from trainer.org.models import Unit
from trainer.people.models import Official
from trainer.staffing.models import PositionQuota

# The group of competencies LC-1b's retraining is about (the LC-1b target's no_gap criterion).
RETRAINING_GROUP = "thuc_thi"
LC1B_TARGET = "LC-1b"

STAFFING_COLUMNS = ["unit_id", "unit_code", "unit_name", "position_id", "position_code",
                    "position_name", "approved", "filled", "vacancies", "over", "no_quota"]


def _in(column, unit_ids):
    return sa.true() if unit_ids is None else column.in_(list(unit_ids))


def accepted_fields() -> dict[int, list[str]]:
    """Each position's accepted fields of study (LC-1b), by position id; a position missing
    accepts any."""
    out: dict[int, list[str]] = {}
    for pid, field in db.session.execute(sa.select(PositionField.position_id, PositionField.field)
                                         .order_by(PositionField.position_id,
                                                   PositionField.field)):
        out.setdefault(pid, []).append(field)
    return out


def staffing_frame(unit_ids=None) -> pd.DataFrame:
    """One row per (open unit, position) with a quota or an official: approved (NaN: no quota),
    filled, vacancies (approved − filled when positive), over (filled − approved when positive)
    and `no_quota` (filled without a quota: "chưa giao biên chế"). `unit_ids`: the units to
    read (None: every unit). Filled posts are counted in one grouped query."""
    open_unit = sa.and_(Unit.closed_on.is_(None), _in(Unit.id, unit_ids))
    filled = select_frame(
        sa.select(Official.unit_id, Official.position_id, sa.func.count(Official.id))
        .join(Unit, Unit.id == Official.unit_id)
        .where(open_unit, Official.position_id.is_not(None))
        .group_by(Official.unit_id, Official.position_id),
        ["unit_id", "position_id", "filled"])
    quotas = select_frame(
        sa.select(PositionQuota.unit_id, PositionQuota.position_id, PositionQuota.approved)
        .join(Unit, Unit.id == PositionQuota.unit_id).where(open_unit),
        ["unit_id", "position_id", "approved"])
    df = quotas.merge(filled, on=["unit_id", "position_id"], how="outer")
    if df.empty:
        return pd.DataFrame(columns=STAFFING_COLUMNS)
    df["filled"] = df["filled"].fillna(0).astype(int)
    df["approved"] = df["approved"].astype(float)
    df["no_quota"] = df["approved"].isna()
    gap = df["approved"].fillna(0) - df["filled"]
    df["vacancies"] = gap.clip(lower=0).astype(int)
    df["over"] = (-gap).clip(lower=0).where(~df["no_quota"], 0).astype(int)
    units = select_frame(sa.select(Unit.id, Unit.code, Unit.name).where(
        Unit.id.in_(df["unit_id"].unique().tolist())), ["unit_id", "unit_code", "unit_name"])
    positions = select_frame(sa.select(Position.id, Position.code, Position.name),
                             ["position_id", "position_code", "position_name"])
    df = df.merge(units, on="unit_id").merge(positions, on="position_id")
    return df.sort_values(["unit_code", "position_code"])[STAFFING_COLUMNS].reset_index(drop=True)


def unit_totals(df: pd.DataFrame) -> pd.DataFrame:
    """Per unit of a staffing frame: approved (quotas only), filled, vacancies, over, and
    officials in posts without a quota (`no_quota_filled`)."""
    if df.empty:
        return pd.DataFrame(columns=["unit_id", "unit_code", "unit_name", "approved", "filled",
                                     "vacancies", "over", "no_quota_filled"])
    df = df.assign(no_quota_filled=np.where(df["no_quota"], df["filled"], 0))
    out = df.groupby(["unit_id", "unit_code", "unit_name"], as_index=False).agg(
        approved=("approved", "sum"), filled=("filled", "sum"), vacancies=("vacancies", "sum"),
        over=("over", "sum"), no_quota_filled=("no_quota_filled", "sum"))
    out["approved"] = out["approved"].astype(int)
    return out.sort_values("unit_code").reset_index(drop=True)


def totals(df: pd.DataFrame) -> dict[str, int]:
    """The sums of a staffing frame (or of its unit totals)."""
    keys = ("approved", "filled", "vacancies", "over")
    if df.empty:
        return {k: 0 for k in keys} | {"no_quota_filled": 0}
    out = {k: int(df[k].fillna(0).sum()) for k in keys}
    out["no_quota_filled"] = int(df.loc[df["no_quota"], "filled"].sum()) \
        if "no_quota" in df else int(df["no_quota_filled"].sum())
    return out


# --- LC-1b: fields of study that do not fit the position --------------------------------------

FIT = {True: "fit", False: "mismatch", None: "unknown"}  # field_fits' answer as a code
FIT_COLUMNS = ["id", "code", "full_name", "unit_id", "unit_name", "position_id",
               "position_name", "education_field", "accepted", "fits"]


def field_fit_frame(where) -> pd.DataFrame:
    """Officials matching `where` (an SQL clause on Official) with a position, in an open unit:
    their field of study, their position's accepted fields and `fits` (courses.fields.field_fits
    as a code, FIT: "fit", "mismatch", or "unknown" — no field recorded or the position accepts
    any). One query for the officials; the rule runs once per distinct (field, position), not
    per official."""
    df = select_frame(
        sa.select(Official.id, Official.code, Official.full_name, Official.unit_id, Unit.name,
                  Official.position_id, Position.name, Official.education_field)
        .join(Unit, Unit.id == Official.unit_id)
        .join(Position, Position.id == Official.position_id)
        .where(where, Unit.closed_on.is_(None))
        .order_by(Unit.name, Official.full_name, Official.id),
        FIT_COLUMNS[:-2])
    if df.empty:
        return pd.DataFrame(columns=FIT_COLUMNS)
    accepted = accepted_fields()
    df["education_field"] = df["education_field"].fillna("")
    pairs = df[["education_field", "position_id"]].drop_duplicates()
    pairs["accepted"] = pairs["position_id"].map(lambda p: accepted.get(p, []))
    pairs["fits"] = pd.Series([FIT[field_fits(f, a)] for f, a in
                               zip(pairs["education_field"], pairs["accepted"])],
                              index=pairs.index)
    out = df.merge(pairs, on=["education_field", "position_id"], how="left")
    return out[FIT_COLUMNS]


@dataclass
class Mismatches:
    """LC-1b's list: officials whose field does not fit their position, with whether they still
    lack a competency of the retraining group; and the counts of the whole population."""
    rows: pd.DataFrame  # FIT_COLUMNS + still_gap, gap_count
    counted: int  # officials with a position in open units of the scope
    fitting: int
    mismatched: int
    unknown: int  # field_fits None: no field recorded, or the position accepts any ("chưa rõ")

    @property
    def retrained(self) -> int:
        return int((~self.rows["still_gap"]).sum()) if not self.rows.empty else 0


def mismatches(where) -> Mismatches:
    """LC-1b for the officials matching `where`. Whether each one still has a gap in the
    retraining group is the guidance area's gap rule (load_population → gaps) read in one call
    for all of them — the same rule the LC-1b target's no_gap criterion counts."""
    df = field_fit_frame(where)
    bad = df[df["fits"] == "mismatch"].copy()
    if bad.empty:
        bad["still_gap"], bad["gap_count"] = pd.Series(dtype=bool), pd.Series(dtype=int)
    else:
        cat = catalogue()
        pop = load_population(cat, sa.and_(where, Official.id.in_(bad["id"].tolist())))
        cols = np.array([g == RETRAINING_GROUP for g in cat.competency_groups], dtype=bool)
        counts = (pop.gaps[:, cols] > 0).sum(axis=1)
        bad["gap_count"] = bad["id"].map(pd.Series(counts, index=pop.official_ids)) \
            .fillna(0).astype(int)
        bad["still_gap"] = bad["gap_count"] > 0
    n = df["fits"].value_counts()
    return Mismatches(rows=bad.reset_index(drop=True), counted=len(df),
                      fitting=int(n.get("fit", 0)), mismatched=len(bad),
                      unknown=int(n.get("unknown", 0)))


def staffing_summary(unit_ids=None) -> dict:
    """The staffing figures as plain data (the JSON API): totals and one item per (unit,
    position); `approved` None where no quota was given."""
    df = staffing_frame(unit_ids)
    items = [{"unit": {"id": int(r.unit_id), "code": r.unit_code, "name": r.unit_name},
              "position": {"id": int(r.position_id), "code": r.position_code,
                           "name": r.position_name},
              "approved": None if r.no_quota else int(r.approved), "filled": int(r.filled),
              "vacancies": int(r.vacancies), "over": int(r.over)} for r in df.itertuples()]
    return {"totals": totals(df), "items": items}


def field_fit_of(official: Official) -> str:
    """One official's FIT code (the record's page): their field against their position's."""
    if official.position is None:
        return "unknown"
    return FIT[field_fits(official.education_field, [f.field for f in official.position.fields])]
