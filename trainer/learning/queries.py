"""Read models over officials with what they completed, for reports and targets: one query per
table, joined in pandas. An official's effective qualifications are their own and those granted
by a completed course still valid (LC-5…LC-7, KH-8)."""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import sqlalchemy as sa

from courses import vocab
from trainer.catalog.models import Course, Position
from trainer.core.cache import cached
from trainer.core.extensions import db
from trainer.core.frames import select_frame
from trainer.core.timeutil import today
from trainer.learning.models import Enrollment
from trainer.org.queries import unit_table
from trainer.people.models import Official, Rating
from trainer.people.queries import official_units_on

QUAL_COLUMNS = {"education": "education", "political_theory": "political_theory",
                "state_management": "state_management", "it_level": "it_level"}


def completions_frame(where=None) -> pd.DataFrame:
    """Completed enrollments with course facts and whether each is still valid today."""
    cond = where if where is not None else sa.true()
    df = select_frame(
        sa.select(Enrollment.official_id, Enrollment.course_id, Enrollment.completed_on,
                  Course.code, Course.category, Course.validity_months, Course.qualification_kind,
                  Course.qualification_level)
        .join(Course, Course.id == Enrollment.course_id)
        .join(Official, Official.id == Enrollment.official_id)
        .where(Enrollment.status == "completed", cond),
        ["official_id", "course_id", "completed_on", "course_code", "category", "validity_months",
         "qual_kind", "qual_level"])
    done = pd.to_datetime(df["completed_on"])
    months = pd.to_numeric(df["validity_months"]).astype("float64")
    valid = pd.Series(True, index=df.index)
    for m in months.dropna().unique():  # a few distinct validity periods: one pass each
        cutoff = pd.Timestamp(today()) - pd.DateOffset(months=int(m))
        valid[months == m] = done[months == m] > cutoff
    df["valid"] = valid.astype(bool)
    return df


def _order(kind: str) -> dict[str, int]:
    """A qualification's codes → their rank on its scale."""
    return {code: i for i, code in enumerate(vocab.codes(vocab.QUALIFICATION_SCALES[kind]))}


def granted_ranks(completions: pd.DataFrame) -> dict[str, pd.Series]:
    """Per qualification kind, each official's best rank granted by a completed course
    (official_id → rank), from `completions_frame` rows; kinds nobody was granted are absent."""
    granted = completions[completions["qual_kind"].notna()]
    out = {}
    for kind in QUAL_COLUMNS:
        g = granted[granted["qual_kind"] == kind]
        if not g.empty:
            out[kind] = g.assign(r=g["qual_level"].map(_order(kind))).groupby("official_id")[
                "r"].max()
    return out


def officials_frame(where=None, on: date | None = None) -> pd.DataFrame:
    """One row per official: identity, unit (and its commune), region, position group, and each
    qualification as a rank — the higher of the recorded one and what completed courses granted.
    With `on` in the past, units as they stood that day: an official a later merge moved is back
    in the merged unit (org.queries; docs/units.md)."""
    cond = where if where is not None else sa.true()
    df = select_frame(sa.select(
        Official.id, Official.code, Official.full_name, Official.birth_date, Official.gender,
        Official.ethnicity, Official.unit_id, Official.position_id, Official.education,
        Official.political_theory, Official.state_management, Official.it_level,
        Official.digital_signature, Official.record_digitised).where(cond),
        ["id", "code", "full_name", "birth_date", "gender", "ethnicity", "unit_id", "position_id",
         "education", "political_theory", "state_management", "it_level", "digital_signature",
         "record_digitised"])
    df["position_id"] = df["position_id"].astype("Int64")  # None when not yet placed
    if on is not None and (back := official_units_on(on)):
        df["unit_id"] = df["id"].map(back).fillna(df["unit_id"]).astype("int64")
    units = unit_table(on)
    df = df.merge(units[["unit_id", "unit_name", "commune_id", "commune_name", "region"]],
                  on="unit_id", how="left")
    positions = select_frame(sa.select(
        Position.id, Position.code, Position.name, Position.group),
        ["position_id", "position_code", "position_name", "position_group"]).astype(
        {"position_id": "Int64"})
    df = df.merge(positions, on="position_id", how="left")
    for kind, column in QUAL_COLUMNS.items():
        df[column + "_rank"] = df[column].map(_order(kind)).fillna(0).astype(int)
    for kind, best in granted_ranks(completions_frame(cond)).items():
        column = QUAL_COLUMNS[kind]
        df[column + "_rank"] = np.maximum(df[column + "_rank"],
                                          df["id"].map(best).fillna(0).astype(int))
    on = on or today()
    born = pd.to_datetime(df["birth_date"])
    df["age"] = on.year - born.dt.year - ((born.dt.month * 100 + born.dt.day)
                                          > on.month * 100 + on.day).astype(int)
    df["minority"] = df["ethnicity"] != "Kinh"
    # The latest annual rating (quarterly and monthly ones are read by targets set on them:
    # docs/ratings.md).
    ratings = select_frame(sa.select(Rating.official_id, Rating.year, Rating.rating)
                           .join(Official, Official.id == Rating.official_id)
                           .where(cond, Rating.period == "year"),
                           ["official_id", "year", "rating"])
    if not ratings.empty:
        latest = ratings.sort_values("year").groupby("official_id").last()
        order = {code: i for i, code in enumerate(vocab.codes(vocab.RATINGS))}
        df["rating_rank"] = df["id"].map(latest["rating"].map(order)).fillna(-1).astype(int)
    else:
        df["rating_rank"] = -1
    return df


MIN_COLUMNS = {"education": "min_education", "political_theory": "min_political_theory",
               "state_management": "min_state_management", "it_level": "min_it"}


def effective_ranks(official: Official) -> dict[str, int]:
    """officials_frame's qualification ranks for one official, from their own row and their
    completions alone (not the province's unit and position tables)."""
    granted = granted_ranks(completions_frame(Official.id == official.id))
    out = {}
    for kind, column in QUAL_COLUMNS.items():
        best = granted[kind].get(official.id) if kind in granted else None
        out[kind] = max(_order(kind).get(getattr(official, column), 0),
                        int(best) if pd.notna(best) else 0)
    return out


def qualification_status(official: Official) -> list[dict]:
    """The official's effective qualifications against their position's standard, with the
    courses that would grant a missing level (LC-5…LC-7, KH-8)."""
    ranks = cached("qualification-ranks", official.id, lambda: effective_ranks(official))
    position = official.position
    out = []
    for kind in QUAL_COLUMNS:
        scale = vocab.QUALIFICATION_SCALES[kind]
        have = ranks[kind]
        need = vocab.rank(scale, getattr(position, MIN_COLUMNS[kind])) if position else 0
        need = max(need, 0)
        courses = []
        if have < need:
            granting = db.session.scalars(sa.select(Course).where(
                Course.qualification_kind == kind).order_by(Course.hours))
            courses = [c for c in granting if vocab.rank(scale, c.qualification_level) >= need]
        out.append({"label": vocab.QUALIFICATION_LABELS[kind], "have": scale[have][1],
                    "need": scale[need][1] if position else "", "ok": have >= need,
                    "courses": courses[:2]})
    return out


