"""What targets read, and how a population and a criterion are evaluated on a date.

One query per table for the whole scope (STYLE.md §6), then every evaluation is a vectorised
pandas/numpy pass over all officials: no loop per official. The same code evaluates "now" and
any past date (the trend), and, with scheduled cohorts added as if completed (`with_scheduled`),
a future date (the forecast). docs/targets.md describes the rules."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import numpy as np
import pandas as pd
import sqlalchemy as sa

import recommender
from courses import vocab
from trainer.catalog.models import (Competency, Course, CourseCompetency, Position,
                                    PositionRequirement, RegionPriority)
from trainer.core.display import fold
from trainer.core.extensions import db
from trainer.core.frames import select_frame
from trainer.core.timeutil import today
from trainer.learning.models import Cohort, Enrollment
from trainer.learning.queries import completions_frame, officials_frame
from trainer.org.queries import unit_table
from trainer.people.models import Assessment, Official, Rating
from trainer.core.settings import young_age_limit

SCHEDULED_ENROLLMENT_STATUSES = ("approved", "enrolled", "in_progress")
SCHEDULED_COHORT_STATUSES = ("open", "running")


def _ranks(series: pd.Series, kind: str) -> pd.Series:
    order = {code: i for i, code in enumerate(vocab.codes(vocab.QUALIFICATION_SCALES[kind]))}
    return series.map(order).fillna(0).astype(int)


@dataclass
class Competencies:
    """The framework as arrays: codes, names, groups, domains; position requirements."""
    codes: list[str]
    names: list[str]
    groups: np.ndarray
    domains: np.ndarray
    index: dict[int, int]  # competency id -> column


@dataclass
class Facts:
    """Frames for the officials of one scope. `officials` has a 0..N-1 index; every evaluation
    returns a boolean numpy array aligned with it."""
    on: date
    officials: pd.DataFrame
    completions: pd.DataFrame  # official_id, course_id, completed_on, course_code, category, …
    ratings: pd.DataFrame  # official_id, year, rating
    unit_ids: list[int] | None  # units in scope (None: all); units without officials count
    young_age: int
    _evidence: pd.DataFrame | None = None  # official (row), competency (col), level, date, source
    _required: np.ndarray | None = None  # N×C
    _competencies: Competencies | None = None
    _levels_cache: dict | None = None

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(cls, where=None, *, unit_ids=None, young_age: int | None = None,
             on: date | None = None) -> Facts:
        on = on or today()
        young_age = young_age_limit() if young_age is None else young_age
        cond = where if where is not None else sa.true()
        officials = officials_frame(where, on).reset_index(drop=True)
        fields = select_frame(sa.select(Official.id, Official.education_field).where(cond),
                              ["id", "education_field"])
        officials["education_field"] = officials["id"].map(
            dict(zip(fields["id"], fields["education_field"]))).fillna("")
        completions = completions_frame(where)
        completions["completed_on"] = pd.to_datetime(completions["completed_on"])
        ratings = select_frame(sa.select(Rating.official_id, Rating.year, Rating.rating)
                               .join(Official, Official.id == Rating.official_id).where(cond),
                               ["official_id", "year", "rating"])
        facts = cls(on, officials, completions, ratings, unit_ids, young_age)
        facts._where = cond
        return facts

    @property
    def n(self) -> int:
        return len(self.officials)

    def competencies(self) -> Competencies:
        if self._competencies is None:
            rows = db.session.execute(sa.select(Competency.id, Competency.code, Competency.name,
                                                Competency.group, Competency.domain)
                                      .order_by(Competency.code)).all()
            self._competencies = Competencies(
                [r.code for r in rows], [r.name for r in rows],
                np.array([r.group for r in rows], dtype=object),
                np.array([r.domain for r in rows], dtype=object),
                {r.id: i for i, r in enumerate(rows)})
        return self._competencies

    def evidence(self) -> pd.DataFrame:
        if self._evidence is None:
            comps = self.competencies()
            ev = select_frame(sa.select(
                Assessment.official_id, Assessment.competency_id, Assessment.level,
                Assessment.assessed_on, Assessment.source)
                .where(Assessment.official_id.in_(sa.select(Official.id).where(self._where)))
                .order_by(Assessment.assessed_on, Assessment.id),
                ["official_id", "competency_id", "level", "date", "source"])
            row = pd.Series(self.officials.index, index=self.officials["id"])
            self._evidence = pd.DataFrame({
                "official": ev["official_id"].map(row).to_numpy(dtype=np.int64),
                "competency": ev["competency_id"].map(comps.index).to_numpy(dtype=np.int64),
                "level": ev["level"].to_numpy(dtype=np.int64),
                "date": pd.to_datetime(ev["date"]),
                "source": ev["source"].astype(object)})
        return self._evidence

    def required(self) -> np.ndarray:
        """Required level per official and competency: the position's, raised by the region's
        priorities (KH-9) — the same rule as the learning paths."""
        if self._required is None:
            comps = self.competencies()
            C = len(comps.codes)
            position_ids = list(db.session.scalars(sa.select(Position.id).order_by(Position.id)))
            pos_index = {pid: i for i, pid in enumerate(position_ids)}
            pos_req = np.zeros((len(position_ids), C), dtype=np.int8)
            for pid, cid, level in db.session.execute(sa.select(
                    PositionRequirement.position_id, PositionRequirement.competency_id,
                    PositionRequirement.level)):
                pos_req[pos_index[pid], comps.index[cid]] = level
            regions = vocab.codes(vocab.REGIONS)
            bump = np.zeros((len(regions), C), dtype=np.int8)
            weight = np.zeros((len(regions), C), dtype=np.float32)
            for region, cid, level_bump, w in db.session.execute(sa.select(
                    RegionPriority.region, RegionPriority.competency_id,
                    RegionPriority.level_bump, RegionPriority.weight)):
                bump[regions.index(region), comps.index[cid]] = level_bump
                weight[regions.index(region), comps.index[cid]] = w
            o = self.officials
            position_idx = o["position_id"].map(pos_index).fillna(-1).to_numpy(dtype=np.int64)
            region_idx = o["region"].map({r: i for i, r in enumerate(regions)}).fillna(-1) \
                .to_numpy(dtype=np.int64)
            self._required, _ = recommender.required_levels(pos_req, position_idx, bump, weight,
                                                             region_idx)
        return self._required

    def levels_at(self, on: date) -> np.ndarray:
        """Current competency levels as the evidence dated on or before `on` makes them
        (docs/decisions.md: the latest supervisor/test assessment, raised by later courses)."""
        if self._levels_cache is None:
            self._levels_cache = {}
        if on not in self._levels_cache:
            ev = self.evidence()
            ev = ev[ev["date"] <= pd.Timestamp(on)]
            self._levels_cache[on] = recommender.current_levels(
                ev, self.n, len(self.competencies().codes))
        return self._levels_cache[on]

    # ------------------------------------------------------------------ population
    def population(self, pop: dict) -> np.ndarray:
        o = self.officials
        mask = pd.Series(True, index=o.index)
        if pop.get("unit_id"):
            from trainer.org.queries import unit_subtree_ids
            mask &= o["unit_id"].isin(unit_subtree_ids(int(pop["unit_id"])))
        if pop.get("position_groups"):
            mask &= o["position_group"].isin(pop["position_groups"]).fillna(False)
        if pop.get("position_codes"):
            mask &= o["position_code"].isin(pop["position_codes"]).fillna(False)
        if "has_position" in pop:
            mask &= o["position_id"].notna() == bool(pop["has_position"])
        if pop.get("regions"):
            mask &= o["region"].isin(pop["regions"]).fillna(False)
        if pop.get("gender"):
            mask &= o["gender"] == pop["gender"]
        if "minority" in pop:
            mask &= o["minority"].astype(bool) == bool(pop["minority"])
        if "young" in pop:
            mask &= (o["age"] < self.young_age) == bool(pop["young"])
        q = pop.get("qualification")
        if q:
            rank = o[q["kind"] + "_rank"]
            scale = vocab.QUALIFICATION_SCALES[q["kind"]]
            if "at_least" in q:
                mask &= rank >= vocab.rank(scale, q["at_least"])
            else:
                mask &= rank < vocab.rank(scale, q["below"])
        return mask.fillna(False).to_numpy(dtype=bool)

    # ------------------------------------------------------------------ criterion on a date
    def _memo(self, key, compute):
        """Per-instance cache: several targets read the same dates (a copy starts empty)."""
        memo = self.__dict__.setdefault("_memo_values", {})
        if key not in memo:
            memo[key] = compute()
        return memo[key]

    def valid_completions(self, on: date) -> pd.DataFrame:
        """Completions dated on or before `on` and still within their validity on that date."""
        return self._memo(("valid", on), lambda: self._valid_completions(on))

    def _valid_completions(self, on: date) -> pd.DataFrame:
        c = self.completions
        at = pd.Timestamp(on)
        done = c["completed_on"]
        keep = (done <= at).to_numpy().copy()
        months = pd.to_numeric(c["validity_months"]).astype("float64")
        for m in months.dropna().unique():  # a few distinct validity periods: one pass each
            sel = (months == m).to_numpy()
            keep[sel] &= (done[sel] > at - pd.DateOffset(months=int(m))).to_numpy()
        return c[keep]

    def _per_official(self, series: pd.Series, fill=0) -> pd.Series:
        return self.officials["id"].map(series).fillna(fill)

    def qualification_rank_at(self, kind: str, on: date) -> np.ndarray:
        """The higher of the recorded level (undated: counted as held throughout) and what
        courses completed by `on` granted (dated by the completion)."""
        return self._memo(("qualification", kind, on), lambda: self._qualification_rank_at(kind,
                                                                                           on))

    def _qualification_rank_at(self, kind: str, on: date) -> np.ndarray:
        recorded = _ranks(self.officials[kind], kind).to_numpy()
        c = self.completions
        g = c[(c["qual_kind"] == kind) & (c["completed_on"] <= pd.Timestamp(on))]
        if g.empty:
            return recorded
        best = g.assign(r=_ranks(g["qual_level"], kind)).groupby("official_id")["r"].max()
        return np.maximum(recorded, self._per_official(best).to_numpy(dtype=int))

    def rating_rank_at(self, on: date) -> np.ndarray:
        """Latest rating known on `on`: a year's rating is known from 1 December of that year
        (ratings are made at the year's end), or from today when it is already recorded."""
        r = self.ratings
        if r.empty:
            return np.full(self.n, -1)
        years = r["year"].astype(int)
        known_from = pd.to_datetime(years.astype(str) + "-12-01")
        known_from = known_from.where(known_from <= pd.Timestamp(self.on), pd.Timestamp(self.on))
        r = r[(known_from <= pd.Timestamp(on)).to_numpy()]
        if r.empty:
            return np.full(self.n, -1)
        latest = r.sort_values("year").groupby("official_id")["rating"].last()
        order = {code: i for i, code in enumerate(vocab.codes(vocab.RATINGS))}
        return self._per_official(latest.map(order), -1).to_numpy(dtype=int)

    def competency_columns(self, crit: dict) -> np.ndarray:
        comps = self.competencies()
        cols = np.ones(len(comps.codes), dtype=bool)
        if crit.get("groups"):
            cols &= np.isin(comps.groups, crit["groups"])
        if crit.get("domains"):
            cols &= np.isin(comps.domains, crit["domains"])
        return cols

    def headcount_qualifies(self, crit: dict, on: date) -> np.ndarray:
        ok = np.ones(self.n, dtype=bool)
        if crit.get("qualification"):
            scale = vocab.QUALIFICATION_SCALES[crit["qualification"]]
            ok &= self.qualification_rank_at(crit["qualification"], on) >= vocab.rank(
                scale, crit["level"])
        if crit.get("field_contains"):
            field = self.officials["education_field"].fillna("").astype(str).map(fold) \
                .astype(str)
            hit = pd.Series(False, index=self.officials.index)
            for word in crit["field_contains"]:
                hit |= field.str.contains(fold(word), regex=False).astype(bool)
            ok &= hit.to_numpy(dtype=bool)
        return ok

    def counts(self, crit: dict, on: date | None = None) -> np.ndarray | None:
        """Whether each official counts on `on` (default: today). None when the criterion's
        facts carry no date and `on` is in the past (no history)."""
        on = on or self.on
        kind = crit["kind"]
        o = self.officials
        if kind in ("record_digitised", "digital_signature"):
            if on < self.on:
                return None
            return o[kind].fillna(False).astype(bool).to_numpy()
        if kind == "course":
            valid = self.valid_completions(on)
            if crit.get("course_codes"):
                done = valid.loc[valid["course_code"].isin(crit["course_codes"]), "official_id"]
                return o["id"].isin(done).to_numpy()
            valid = valid[valid["category"].isin(crit["categories"])]
            per = valid.groupby("official_id")["category"].nunique()
            need = len(set(crit["categories"])) if crit.get("match", "all") == "all" else 1
            return self._per_official(per).to_numpy() >= need
        if kind == "competency":
            comps = self.competencies()
            cols = [comps.codes.index(c) for c in crit["codes"] if c in comps.codes]
            if len(cols) < len(crit["codes"]):
                return np.zeros(self.n, dtype=bool)
            return (self.levels_at(on)[:, cols] >= int(crit["level"])).all(axis=1)
        if kind == "qualification":
            scale = vocab.QUALIFICATION_SCALES[crit["qualification"]]
            return self.qualification_rank_at(crit["qualification"], on) >= vocab.rank(
                scale, crit["level"])
        if kind == "rating":
            return self.rating_rank_at(on) >= vocab.rank(vocab.RATINGS, crit["level"])
        if kind == "no_gap":
            cols = self.competency_columns(crit)
            gaps = (self.required()[:, cols] > self.levels_at(on)[:, cols])
            return ~gaps.any(axis=1)
        if kind == "unit_headcount":
            return self.headcount_qualifies(crit, on)
        raise ValueError(kind)

    # ------------------------------------------------------------------ units (HT-7)
    def headcount_units(self, crit: dict) -> pd.DataFrame:
        """The units a per-unit headcount target is evaluated on: units in scope whose name
        contains `unit_name_contains` (diacritics ignored), else every commune in scope — open
        on the facts' date (a unit merged into another is no longer one that fails the target;
        before its merge date it still counts, docs/units.md)."""
        table = unit_table(self.on)
        table = table[table["is_open"]]
        if self.unit_ids is not None:
            table = table[table["unit_id"].isin(self.unit_ids)]
        if crit.get("unit_name_contains"):
            wanted = fold(crit["unit_name_contains"])
            table = table[np.array([wanted in fold(str(n)) for n in table["unit_name"]],
                                   dtype=bool)]  # a few hundred units
            return table[["unit_id", "unit_name"]].reset_index(drop=True)
        table = table[table["unit_id"] == table["commune_id"]]
        table = table[table["kind"].isin(("commune", "ward", "special_zone"))]
        return table[["unit_id", "unit_name"]].reset_index(drop=True)

    def unit_key(self, crit: dict) -> pd.Series:
        return self.officials["unit_id" if crit.get("unit_name_contains") else "commune_id"]

    # ------------------------------------------------------------------ scheduled cohorts
    def scheduled(self) -> pd.DataFrame:
        """Enrollments in open or running cohorts that end today or later: official, course,
        cohort end date (the forecast adds them as completions on that date)."""
        cols = ["official_id", "course_id", "end_date", "course_code", "category",
                "validity_months", "qual_kind", "qual_level"]
        return select_frame(
            sa.select(Enrollment.official_id, Enrollment.course_id, Cohort.end_date, Course.code,
                      Course.category, Course.validity_months, Course.qualification_kind,
                      Course.qualification_level)
            .join(Cohort, Cohort.id == Enrollment.cohort_id)
            .join(Course, Course.id == Enrollment.course_id)
            .where(Enrollment.status.in_(SCHEDULED_ENROLLMENT_STATUSES),
                   Cohort.status.in_(SCHEDULED_COHORT_STATUSES), Cohort.end_date >= self.on,
                   Enrollment.official_id.in_(sa.select(Official.id).where(self._where))), cols)

    def with_scheduled(self, scheduled: pd.DataFrame, rows: np.ndarray | None = None, *,
                       levels: bool = False) -> Facts:
        """A copy restricted to the official rows `rows` (all by default), in which every
        scheduled enrollment is a completion dated its cohort's end, with the evidence a
        completion writes (the course's levels, source "course")."""
        if rows is None:
            rows = np.arange(self.n)
        officials = self.officials.iloc[rows].reset_index(drop=True)
        ids = set(officials["id"])
        done = scheduled.rename(columns={"end_date": "completed_on", "course_code": "course_code"})
        done = done.assign(completed_on=pd.to_datetime(done["completed_on"]))
        completions = pd.concat(
            [self.completions[self.completions["official_id"].isin(ids)],
             done[done["official_id"].isin(ids)]], ignore_index=True)
        sub = replace(self, officials=officials, completions=completions,
                      ratings=self.ratings[self.ratings["official_id"].isin(ids)],
                      _levels_cache=None, _required=None, _evidence=None)
        sub._where = self._where
        if not levels:  # the criterion reads no competency level: nothing to copy
            sub._required = np.zeros((len(rows), 0), dtype=np.int8)
            sub._evidence = self.evidence().iloc[0:0] if self._evidence is not None else \
                pd.DataFrame({"official": [], "competency": [], "level": [], "date": [],
                              "source": []})
        else:
            sub._required = self.required()[rows]
            ev = self.evidence()
            old_to_new = pd.Series(np.arange(len(rows)), index=rows)
            ev = ev[ev["official"].isin(rows)]
            ev = ev.assign(official=ev["official"].map(old_to_new).to_numpy(dtype=np.int64))
            teach = self._course_levels()
            new_row = pd.Series(officials.index, index=officials["id"])
            extra = done[done["official_id"].isin(ids)].merge(teach, on="course_id")
            extra_ev = pd.DataFrame({
                "official": extra["official_id"].map(new_row).to_numpy(dtype=np.int64),
                "competency": extra["competency"].to_numpy(dtype=np.int64),
                "level": extra["level"].to_numpy(dtype=np.int64),
                "date": pd.to_datetime(extra["completed_on"]),
                "source": "course"})
            sub._evidence = pd.concat([ev, extra_ev], ignore_index=True).sort_values(
                "date", kind="stable")
        return sub

    def _course_levels(self) -> pd.DataFrame:
        comps = self.competencies()
        cc = select_frame(sa.select(CourseCompetency.course_id, CourseCompetency.competency_id,
                                    CourseCompetency.level),
                          ["course_id", "competency_id", "level"])
        cc["competency"] = cc["competency_id"].map(comps.index)
        return cc[["course_id", "competency", "level"]]
