"""What targets read, and how a population and a criterion are evaluated on a date.

One query per table for the whole scope (STYLE.md §6), then every evaluation is a vectorised
pandas/numpy pass over all officials: no loop per official. The same code evaluates "now" and
any past date (the trend), and, with scheduled cohorts added as if completed (`with_scheduled`),
a future date (the forecast). docs/targets.md describes the rules.

`counts_on` evaluates a criterion at many dates in one pass (the trend's 13 or 25 monthly
points, the scheduled cohorts' end dates): each dated fact is placed once on the grid of dates
(the first date it counts on, the last one it is still valid on), and the share on every date is
a cumulative count — the same numbers as `counts` evaluated date by date
(tests/test_targets_trend.py holds the two side by side)."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from datetime import date
from functools import lru_cache

import numpy as np
import pandas as pd
import sqlalchemy as sa

import recommender
from courses import vocab
from courses.fields import field_fits
from recommender.evidence import AUTHORITATIVE, MAX_LEVEL, SOURCES
from trainer.catalog.models import Competency, Course, CourseCompetency, PositionField
from trainer.core.cache import cached, plans_version, structure_version
from trainer.core.display import fold
from trainer.core.extensions import db
from trainer.core.frames import id_ranges, raw_frame, select_frame
from trainer.core.timeutil import local_date, today
from trainer.guidance.operations import REGION_CODES, catalogue
from trainer.learning.models import Cohort, Enrollment
from trainer.learning.queries import completions_frame, officials_frame
from trainer.org.queries import unit_table
from trainer.people.models import Assessment, Official, Rating
from trainer.people.periods import known_from_frame
from trainer.plans.models import TrainingPlan
from trainer.targets.criteria import since_of
from trainer.core.settings import young_age_limit

SCHEDULED_ENROLLMENT_STATUSES = ("approved", "enrolled", "in_progress")
SCHEDULED_COHORT_STATUSES = ("open", "running")
UNDATED = ("record_digitised", "digital_signature")  # criteria.UNDATED_KINDS
_fold = lru_cache(maxsize=1 << 16)(fold)  # unit names and fields recur on every view


def _ns(values) -> np.ndarray:
    """Dates (date, Timestamp, datetime64 column) as int64 nanoseconds; NaT is int64 min."""
    if isinstance(values, (pd.Series, pd.Index)):
        return values.to_numpy(dtype="datetime64[ns]").view(np.int64)
    return np.array([pd.Timestamp(v).value for v in values], dtype=np.int64)


def _first_on(grid: np.ndarray, when: np.ndarray) -> np.ndarray:
    """For each fact dated `when`, the first grid position whose date is on or after it (len(grid)
    when none): the fact counts from that date of the grid on (`when <= on`)."""
    return np.searchsorted(grid, when, side="left")


def _covered(rows: np.ndarray, lo: np.ndarray, hi: np.ndarray, n: int, d: int) -> np.ndarray:
    """N×D: whether some interval [lo, hi) of grid positions of each row covers each date."""
    keep = (rows >= 0) & (lo < hi)
    rows, lo, hi = rows[keep], lo[keep], hi[keep]
    w = d + 1
    diff = (np.bincount(rows * w + lo, minlength=n * w)
            - np.bincount(rows * w + hi, minlength=n * w))
    return diff.reshape(n, w).cumsum(axis=1)[:, :d] > 0


def level_steps(evidence: pd.DataFrame, n_competencies: int, grid: np.ndarray,
                ) -> tuple[np.ndarray, np.ndarray]:
    """The current-level rule (recommender.current_levels) on every date of `grid` (sorted int64
    nanoseconds) in one pass: returns the flat keys official × C + competency that have evidence
    dated on or before the last date, and a K×D int8 matrix of their level on each date (keys
    not listed are 0 on every date). Column j equals
    `current_levels(evidence[evidence.date <= grid[j]])` on those keys.

    Per key the rows dated on or before a date are a prefix of the key's rows sorted by (date,
    input order); the level is computed once at the end of each (key, first date) group — the
    latest authoritative row of the prefix, the highest course level dated on or after it
    (prefix counts per level), the latest self-assessment where nothing else exists — then
    carried forward over the dates."""
    d = len(grid)
    size = int(n_competencies)
    if len(evidence) == 0 or d == 0:
        return np.zeros(0, dtype=np.int64), np.zeros((0, d), dtype=np.int8)
    # positions and counts in int32 (fewer than 2**31 rows): a national table's temporaries
    key = (evidence["official"].to_numpy(dtype=np.int64) * size
           + evidence["competency"].to_numpy(dtype=np.int64))
    dates = _ns(pd.to_datetime(evidence["date"]))
    level = evidence["level"].to_numpy(dtype=np.int16)
    source = pd.Index(SOURCES).get_indexer(evidence["source"].astype(str)).astype(np.int8)
    order = np.lexsort((np.arange(len(key)), dates, key))
    key, dates, level, source = key[order], dates[order], level[order], source[order]
    del order
    step = _first_on(grid, dates).astype(np.int32)
    pos = np.arange(len(key), dtype=np.int32)
    new_key = np.r_[True, key[1:] != key[:-1]]
    key_start = np.maximum.accumulate(np.where(new_key, pos, np.int32(0)))
    day_start = np.maximum.accumulate(np.where(new_key | np.r_[True, dates[1:] != dates[:-1]],
                                               pos, np.int32(0)))
    del new_key

    def latest(mask):  # position of the latest row of `mask` up to here, in the same key; -1
        p = np.maximum.accumulate(np.where(mask, pos, np.int32(-1)))
        return np.where(p >= key_start, p, np.int32(-1))

    is_course = source == SOURCES.index("course")
    auth_at = latest(np.isin(source, [SOURCES.index(s) for s in AUTHORITATIVE]))
    self_at = latest(source == SOURCES.index("self"))
    # an event: the last row of each (key, first date) group that some date of the grid sees
    last = np.r_[(key[1:] != key[:-1]) | (step[1:] != step[:-1]), True] & (step < d)
    e = np.flatnonzero(last)
    a = auth_at[e]
    auth_level = np.where(a >= 0, level[np.maximum(a, 0)], -1)
    since = np.where(a >= 0, day_start[np.maximum(a, 0)], key_start[e])  # courses count from
    course_level = np.full(len(e), -1, dtype=np.int16)
    for v in range(MAX_LEVEL + 1):  # course rows of level ≥ v, counted: one count at a time
        at_least = np.concatenate(([0], np.cumsum(is_course & (level >= v), dtype=np.int32)))
        course_level = np.where(at_least[e + 1] - at_least[since] > 0, v, course_level)
        if v == 0:
            has_course = at_least[e + 1] - at_least[key_start[e]] > 0
    s = self_at[e]
    self_level = np.where(s >= 0, level[np.maximum(s, 0)], -1)
    combined = np.maximum(auth_level, course_level)
    combined = np.where((auth_level < 0) & ~has_course, self_level, combined)
    value = (np.maximum(combined, 0) + 1).astype(np.int8)  # 0: no event on that date
    keys, k = np.unique(key[e], return_inverse=True)
    events = np.zeros((len(keys), d), dtype=np.int8)
    events[k, step[e]] = value
    out = np.zeros((len(keys), d), dtype=np.int8)
    carried = np.zeros(len(keys), dtype=np.int8)
    for j in range(d):  # a loop over the few dates, vectorised over keys
        carried = np.where(events[:, j] > 0, events[:, j] - 1, carried).astype(np.int8)
        out[:, j] = carried
    return keys, out


def _ranks(series: pd.Series, kind: str) -> pd.Series:
    order = {code: i for i, code in enumerate(vocab.codes(vocab.QUALIFICATION_SCALES[kind]))}
    return series.map(order).fillna(0).astype(int)


def _scheduled(stmt, where, on: date):
    """`stmt` over enrollments, kept to those `Facts.scheduled` adds as completions."""
    return (stmt.join(Cohort, Cohort.id == Enrollment.cohort_id)
            .where(Enrollment.status.in_(SCHEDULED_ENROLLMENT_STATUSES),
                   Cohort.status.in_(SCHEDULED_COHORT_STATUSES), Cohort.end_date >= on,
                   Enrollment.official_id.in_(sa.select(Official.id).where(where))))


def scheduled_end_dates(where=None, on: date | None = None) -> list[date]:
    """The end dates of `Facts.scheduled`'s cohorts for the officials matching `where`, sorted."""
    where = where if where is not None else sa.true()
    return sorted({pd.Timestamp(d).date() for d in db.session.scalars(_scheduled(
        sa.select(Cohort.end_date).select_from(Enrollment).distinct(), where, on or today()))})


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
    ratings: pd.DataFrame  # official_id, year, period, period_no, rating
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
        fields = raw_frame(sa.select(Official.id, Official.education_field).where(cond),
                           ["id", "education_field"])
        officials["education_field"] = officials["id"].map(
            dict(zip(fields["id"], fields["education_field"]))).fillna("")
        completions = completions_frame(where)
        completions["completed_on"] = pd.to_datetime(completions["completed_on"])
        ratings = raw_frame(sa.select(Rating.official_id, Rating.year, Rating.period,
                                      Rating.period_no, Rating.rating)
                            .join(Official, Official.id == Rating.official_id).where(cond),
                            ["official_id", "year", "period", "period_no", "rating"])
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
            competency = pd.Index(list(comps.index))

            def compact(batch):  # each batch in compact types as it comes (2.3 million rows
                # at 250,000 officials): readers convert as they compute; a source is one of
                # four words
                return pd.DataFrame({
                    "id": batch["id"].to_numpy(dtype=np.int64),
                    "official": self.row_of(batch["official_id"]).astype(np.int32),
                    "competency": competency.get_indexer(batch["competency_id"])
                    .astype(np.int16),
                    "level": batch["level"].to_numpy(dtype=np.int8),
                    "date": batch["date"],
                    "source": pd.Categorical(batch["source"], categories=SOURCES)})
            stmt = sa.select(
                Assessment.id, Assessment.official_id, Assessment.competency_id,
                Assessment.level, Assessment.assessed_on, Assessment.source).where(
                Assessment.official_id.in_(sa.select(Official.id).where(self._where)))
            ev = pd.concat([raw_frame(
                stmt.where(Assessment.official_id.between(first, last)),
                ["id", "official_id", "competency_id", "level", "date", "source"],
                dates=("date",), convert=compact)
                for first, last in id_ranges(self.officials["id"]) or [(0, -1)]],
                ignore_index=True)
            # in date order, then recording order (the later of one day wins): sorted here,
            # cheaper than in the database
            order = np.lexsort((ev["id"].to_numpy(), _ns(ev["date"])))
            self._evidence = ev.drop(columns="id").iloc[order].reset_index(drop=True)
        return self._evidence

    def required(self) -> np.ndarray:
        """Required level per official and competency: the position's, raised by the region's
        priorities and with what the region requires of every position (KH-9) — the learning
        paths' rule on the learning paths' arrays (`guidance.catalogue()`)."""
        if self._required is None:
            cat = catalogue()
            assert list(self.competencies().index) == cat.competency_ids  # both by code
            pos_index = {pid: i for i, pid in enumerate(cat.position_ids)}
            o = self.officials
            position_idx = o["position_id"].map(pos_index).fillna(-1).to_numpy(dtype=np.int64)
            region_idx = o["region"].map({r: i for i, r in enumerate(REGION_CODES)}) \
                .fillna(-1).to_numpy(dtype=np.int64)
            self._required, _ = recommender.required_levels(
                cat.position_required, position_idx, cat.region_bump, cat.region_weight,
                region_idx, cat.region_floor)
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
        if "field_mismatch" in pop:  # cannot be told (-1): in neither population
            mask &= self.field_fit() == (0 if pop["field_mismatch"] else 1)
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

    def rating_rank_at(self, on: date, period: str = "year") -> np.ndarray:
        """Latest rating of the `period` kind (year, quarter, month: the target's, LC-4) known
        on `on`: a year's rating is known from 1 December of that year (ratings are made at the
        year's end), a quarter's or a month's from its last day (people.periods.known_from), or
        from today when it is already recorded (docs/ratings.md)."""
        return self._memo(("rating", on, period), lambda: self._rating_rank_at(on, period))

    def _ratings_known_from(self) -> pd.Series:
        def compute():
            known_from = known_from_frame(self.ratings)
            return known_from.where(known_from <= pd.Timestamp(self.on), pd.Timestamp(self.on))
        return self._memo(("ratings_known_from",), compute)

    def _rating_order(self) -> np.ndarray:
        """Each rating's place among its kind's periods (later period, larger number)."""
        r = self.ratings
        return r["year"].to_numpy(dtype=np.int64) * 16 + r["period_no"].to_numpy(dtype=np.int64)

    def _rating_rank_at(self, on: date, period: str) -> np.ndarray:
        r = self.ratings
        if r.empty:
            return np.full(self.n, -1)
        known_from = self._ratings_known_from()
        keep = ((known_from <= pd.Timestamp(on)) & (r["period"] == period)).to_numpy()
        r = r.assign(_order=self._rating_order())[keep]
        if r.empty:
            return np.full(self.n, -1)
        latest = r.sort_values("_order").groupby("official_id")["rating"].last()
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

    def headcount_qualifies(self, crit: dict, on: date, *, qualification: bool = True,
                            ) -> np.ndarray:
        ok = np.ones(self.n, dtype=bool)
        if qualification and crit.get("qualification"):
            scale = vocab.QUALIFICATION_SCALES[crit["qualification"]]
            ok &= self.qualification_rank_at(crit["qualification"], on) >= vocab.rank(
                scale, crit["level"])
        if crit.get("field_contains"):
            ok &= self._field_contains(tuple(crit["field_contains"]))
        return ok

    def _field_contains(self, words: tuple[str, ...]) -> np.ndarray:
        """Whose education field contains one of `words`, diacritics ignored (folded once per
        distinct field: a province has a few hundred)."""
        def compute():
            codes, fields = pd.factorize(self.officials["education_field"].fillna("").astype(str))
            folded = [_fold(f) for f in fields]
            hit = np.array([any(_fold(w) in f for w in words) for f in folded] + [False],
                           dtype=bool)
            return hit[codes]  # factorize's -1 (none here) reads the trailing False
        return self._memo(("field_contains", words), compute)

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
            return self.rating_rank_at(on, crit.get("period", "year")) >= vocab.rank(
                vocab.RATINGS, crit["level"])
        if kind == "no_gap":
            cols = self.competency_columns(crit)
            gaps = (self.required()[:, cols] > self.levels_at(on)[:, cols])
            return ~gaps.any(axis=1)
        if kind == "unit_headcount":
            return self.headcount_qualifies(crit, on)
        if kind == "reviewed":
            ev = self.evidence()
            when = pd.to_datetime(ev["date"])
            done = ev.loc[(ev["source"].isin(AUTHORITATIVE) & (when >= pd.Timestamp(since_of(
                crit))) & (when <= pd.Timestamp(on))).to_numpy(), "official"]
            return np.isin(np.arange(self.n), done.to_numpy())
        if kind == "unit_plan":
            met = self.unit_plans_at(crit, on)
            return self._of_unit(crit, met)
        if kind == "unit_composition":
            if on < self.on:
                return None
            return self.composition_flags(crit).any(axis=1)
        raise ValueError(kind)

    # ------------------------------------------------------------------ criterion on many dates
    def row_of(self, official_ids) -> np.ndarray:
        """Positions in `officials` of these official ids (-1: not in scope)."""
        index = self._memo(("row_index",), lambda: pd.Index(self.officials["id"]))
        return index.get_indexer(official_ids)

    def counts_on(self, crit: dict, dates) -> tuple[np.ndarray, np.ndarray]:
        """`counts(crit, d)` for every date of `dates` in one pass: an N×D boolean matrix, and
        which dates have a history (False where `counts` gives None: an undated criterion on a
        past date; that column is all False). Memoised (read-only arrays: progress today and
        the trend share them)."""
        dates = list(dates)
        key = ("counts_on", json.dumps(crit, sort_keys=True, default=str), tuple(dates))
        def compute():
            matrix, known = self._counts_on(crit, dates)
            matrix.flags.writeable = known.flags.writeable = False
            return matrix, known
        return self._memo(key, compute)

    def _counts_on(self, crit: dict, dates: list[date]) -> tuple[np.ndarray, np.ndarray]:
        grid = _ns(dates)
        if len(grid) > 1 and (np.diff(grid) < 0).any():  # the grid passes need sorted dates
            order = np.argsort(grid, kind="stable")
            m, known = self._counts_on(crit, [dates[i] for i in order])
            back = np.empty_like(order)
            back[order] = np.arange(len(order))
            return m[:, back], known[back]
        kind = crit["kind"]
        known = np.ones(len(dates), dtype=bool)
        if kind == "unit_composition":  # undated: today's point only
            known = np.array([d >= self.on for d in dates], dtype=bool)
            now = self.composition_flags(crit).any(axis=1)
            return now[:, None] & known[None, :], known
        if kind == "reviewed":
            return self._reviewed_on(crit, grid), known
        if kind == "unit_plan":
            return self._of_unit(crit, self.unit_plans_on(crit, dates)), known
        if kind in UNDATED:
            known = np.array([d >= self.on for d in dates], dtype=bool)
            now = self.officials[kind].fillna(False).astype(bool).to_numpy()
            return now[:, None] & known[None, :], known
        if kind == "course":
            return self._course_on(crit, dates, grid), known
        if kind == "competency":
            comps = self.competencies()
            cols = [comps.codes.index(c) for c in crit["codes"] if c in comps.codes]
            if len(cols) < len(crit["codes"]):
                return np.zeros((self.n, len(dates)), dtype=bool), known
            need = np.zeros((self.n, len(comps.codes)), dtype=np.int16)
            need[:, cols] = int(crit["level"])
            return self._levels_reach(need, dates), known
        if kind == "no_gap":
            cols = self.competency_columns(crit)
            need = np.where(cols[None, :], self.required(), 0).astype(np.int16)
            return self._levels_reach(need, dates), known
        if kind == "qualification":
            scale = vocab.QUALIFICATION_SCALES[crit["qualification"]]
            return self.qualification_ranks_on(crit["qualification"], dates) >= vocab.rank(
                scale, crit["level"]), known
        if kind == "rating":
            return self.rating_ranks_on(dates, crit.get("period", "year")) >= vocab.rank(
                vocab.RATINGS, crit["level"]), known
        if kind == "unit_headcount":
            ok = self.headcount_qualifies(crit, self.on, qualification=False)[:, None]
            if crit.get("qualification"):
                scale = vocab.QUALIFICATION_SCALES[crit["qualification"]]
                ok = ok & (self.qualification_ranks_on(crit["qualification"], dates)
                           >= vocab.rank(scale, crit["level"]))
            return np.broadcast_to(ok, (self.n, len(dates))).copy(), known
        raise ValueError(kind)

    def _completion_windows(self, dates: list[date]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each completion's official row and the grid positions [lo, hi) on which it is valid:
        dated on or before the date, and within its validity (`valid_completions`, same cut-offs
        per validity period)."""
        def compute():
            c = self.completions
            grid = _ns(dates)
            done = _ns(c["completed_on"])
            lo = _first_on(grid, done)
            lo[c["completed_on"].isna().to_numpy()] = len(dates)  # undated: never
            hi = np.full(len(c), len(dates), dtype=np.int64)
            months = pd.to_numeric(c["validity_months"]).astype("float64")
            for m in months.dropna().unique():  # valid on `on` iff done > on − m months
                sel = (months == m).to_numpy()
                cut = _ns([pd.Timestamp(d) - pd.DateOffset(months=int(m)) for d in dates])
                hi[sel] = np.searchsorted(cut, done[sel], side="left")  # cut-offs before done
            return self.row_of(c["official_id"]), lo, hi
        return self._memo(("windows", tuple(dates)), compute)

    def _course_on(self, crit: dict, dates: list[date], grid: np.ndarray) -> np.ndarray:
        c = self.completions
        rows, lo, hi = self._completion_windows(dates)
        d = len(dates)
        if crit.get("course_codes"):
            sel = c["course_code"].isin(crit["course_codes"]).to_numpy()
            return _covered(rows[sel], lo[sel], hi[sel], self.n, d)
        cats = set(crit["categories"])
        have = np.zeros((self.n, d), dtype=np.int16)
        for cat in cats:  # a few categories, vectorised over completions
            sel = (c["category"] == cat).to_numpy()
            have += _covered(rows[sel], lo[sel], hi[sel], self.n, d)
        need = len(cats) if crit.get("match", "all") == "all" else 1
        return have >= need

    def qualification_ranks_on(self, kind: str, dates) -> np.ndarray:
        """`qualification_rank_at(kind, d)` for every date (N×D)."""
        dates = list(dates)

        def compute():
            recorded = _ranks(self.officials[kind], kind).to_numpy()
            out = np.repeat(recorded[:, None], len(dates), axis=1)
            c = self.completions
            g = c[((c["qual_kind"] == kind) & c["completed_on"].notna()).to_numpy()]
            if g.empty:
                return out
            rows = self.row_of(g["official_id"])
            step = _first_on(_ns(dates), _ns(g["completed_on"]))
            rank = _ranks(g["qual_level"], kind).to_numpy()
            keep = (rows >= 0) & (step < len(dates))
            granted = np.full(self.n * len(dates), -1, dtype=np.int64)
            np.maximum.at(granted, rows[keep] * len(dates) + step[keep], rank[keep])
            granted = np.maximum.accumulate(granted.reshape(self.n, len(dates)), axis=1)
            return np.maximum(out, granted)
        return self._memo(("qualification_on", kind, tuple(dates)), compute)

    def rating_ranks_on(self, dates, period: str = "year") -> np.ndarray:
        """`rating_rank_at(d, period)` for every date (N×D): the latest period of that kind
        known on each date (a later period is known from a later or the same date, so the latest
        is the maximum)."""
        dates = list(dates)
        r = self.ratings
        if r.empty:
            return np.full((self.n, len(dates)), -1)

        def compute():
            d = len(dates)
            order = {code: i for i, code in enumerate(vocab.codes(vocab.RATINGS))}
            keep = (r["rating"].notna() & (r["period"] == period)).to_numpy().copy()
            rows = self.row_of(r["official_id"])
            step = _first_on(_ns(dates), _ns(self._ratings_known_from()))
            rank = r["rating"].map(order).fillna(-1).to_numpy(dtype=np.int64)
            code = self._rating_order() * 64 + rank + 1
            keep &= (rows >= 0) & (step < d)
            latest = np.full(self.n * d, -1, dtype=np.int64)
            np.maximum.at(latest, rows[keep] * d + step[keep], code[keep])
            latest = np.maximum.accumulate(latest.reshape(self.n, d), axis=1)
            return np.where(latest >= 0, latest % 64 - 1, -1)
        return self._memo(("rating_on", period, tuple(dates)), compute)

    def level_steps_on(self, dates) -> tuple[np.ndarray, np.ndarray]:
        """`level_steps` of this scope's evidence on these dates (memoised)."""
        dates = list(dates)
        return self._memo(("levels_on", tuple(dates)), lambda: level_steps(
            self.evidence(), len(self.competencies().codes), _ns(dates)))

    def _levels_reach(self, need: np.ndarray, dates: list[date]) -> np.ndarray:
        """N×D: no competency whose level on the date is below `need` (N×C)."""
        keys, levels = self.level_steps_on(dates)
        n, size = need.shape
        flat = need.reshape(-1)
        without = np.ones(n * size, dtype=bool)
        without[keys] = False  # keys with no evidence dated by the last date: level 0 throughout
        short = ((flat > 0) & without).reshape(n, size).any(axis=1)
        out = np.repeat(short[:, None], len(dates), axis=1)
        if len(keys):
            gap = flat[keys][:, None] > levels  # K×D
            official = keys // size
            starts = np.flatnonzero(np.r_[True, official[1:] != official[:-1]])
            out[official[starts]] |= np.logical_or.reduceat(gap, starts, axis=0)
        return ~out

    # ------------------------------------------------------------------ units (HT-7)
    def headcount_units(self, crit: dict) -> pd.DataFrame:
        """The units a per-unit headcount target is evaluated on: units in scope whose name
        contains `unit_name_contains` (diacritics ignored), else every commune in scope — open
        on the facts' date (a unit merged into another is no longer one that fails the target;
        before its merge date it still counts, docs/units.md). Kept on the structure version
        (core.cache): they are the unit tree's alone."""
        contains = crit.get("unit_name_contains") or ""
        scope = None if self.unit_ids is None else hashlib.sha1(
            np.asarray(sorted(self.unit_ids), dtype=np.int64).tobytes()).hexdigest()
        return self._memo(("headcount_units", contains), lambda: cached(
            "headcount-units", (self.on, scope, contains), lambda: self._headcount_units(crit),
            version=structure_version())).copy()

    def _headcount_units(self, crit: dict) -> pd.DataFrame:
        table = unit_table(self.on)
        table = table[table["is_open"]]
        if self.unit_ids is not None:
            table = table[table["unit_id"].isin(self.unit_ids)]
        if crit.get("unit_name_contains"):
            wanted = fold(crit["unit_name_contains"])
            table = table[np.array([wanted in _fold(str(n)) for n in table["unit_name"]],
                                   dtype=bool)]  # a few hundred units
            return table[["unit_id", "unit_name"]].reset_index(drop=True)
        table = table[table["unit_id"] == table["commune_id"]]
        table = table[table["kind"].isin(("commune", "ward", "special_zone"))]
        return table[["unit_id", "unit_name"]].reset_index(drop=True)

    def unit_key(self, crit: dict) -> pd.Series:
        return self.officials["unit_id" if crit.get("unit_name_contains") else "commune_id"]

    def _of_unit(self, crit: dict, met: np.ndarray) -> np.ndarray:
        """A per-unit fact (rows of `headcount_units`, a vector or units × dates) read for each
        official from their unit (False outside the target's units)."""
        unit = pd.Index(self.headcount_units(crit)["unit_id"]).get_indexer(
            self.unit_key(crit).to_numpy())
        padded = np.concatenate([met, np.zeros((1,) + met.shape[1:], dtype=bool)])
        return padded[unit]  # -1 reads the trailing False row

    # ------------------------------------------------------------------ DL-a: reviewed
    def _reviewed_on(self, crit: dict, grid: np.ndarray) -> np.ndarray:
        """N×D: an authoritative assessment (recommender.evidence.AUTHORITATIVE) dated from the
        period's first day up to each date — the first such assessment, placed on the grid."""
        ev = self.evidence()
        when = _ns(pd.to_datetime(ev["date"]))
        keep = (ev["source"].isin(AUTHORITATIVE).to_numpy()
                & (when >= pd.Timestamp(since_of(crit)).value))
        first = np.full(self.n, np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(first, ev["official"].to_numpy(dtype=np.int64)[keep], when[keep])
        step = _first_on(grid, first)  # len(grid): never
        return np.arange(len(grid))[None, :] >= step[:, None]

    def last_reviewed(self) -> np.ndarray:
        """Each official's latest authoritative assessment date (NaT: never), for the reasons."""
        ev = self.evidence()
        auth = ev[ev["source"].isin(AUTHORITATIVE).to_numpy()]
        last = pd.Series(pd.to_datetime(auth["date"]).to_numpy()).groupby(
            auth["official"].to_numpy()).max()
        return pd.Series(pd.NaT, index=range(self.n), dtype="datetime64[ns]").fillna(
            last).to_numpy()

    # ------------------------------------------------------------------ LC-1b: field of study
    def field_fit(self) -> np.ndarray:
        """Per official: 1 when their field of study fits their position's accepted fields, 0
        when it does not, -1 when it cannot be told (courses.fields.field_fits: no list, no
        field, no position) — the rule called once per distinct (position, field)."""
        def compute():
            accepted: dict[int, list[str]] = {}
            for pid, f in db.session.execute(sa.select(PositionField.position_id,
                                                       PositionField.field)):
                accepted.setdefault(pid, []).append(f)
            out = np.full(self.n, -1, dtype=np.int8)
            if not accepted or not self.n:
                return out
            o = self.officials
            pairs = pd.DataFrame({"p": o["position_id"].astype("float64").fillna(-1)
                                  .astype(np.int64).to_numpy(),
                                  "f": o["education_field"].fillna("").astype(str).to_numpy()})
            uniq = pairs.drop_duplicates().reset_index(drop=True)
            value = np.array([-1 if (fit := field_fits(f, accepted.get(int(p)))) is None
                              else int(fit) for p, f in zip(uniq["p"], uniq["f"])],
                             dtype=np.int8)
            at = pd.MultiIndex.from_frame(uniq).get_indexer(pd.MultiIndex.from_frame(pairs))
            return value[at]
        return self._memo(("field_fit",), compute)

    # ------------------------------------------------------------------ DL-b: annual plans
    def plan_approvals(self) -> pd.DataFrame:
        """Approved training plans (trainer.plans): unit, year and the day of Việt Nam it was
        approved. One grouped query, kept on the structure version (a plan is no official's
        row: writing one moves the structure version, core.cache)."""
        def compute():
            rows = db.session.execute(sa.select(TrainingPlan.unit_id, TrainingPlan.year,
                                                TrainingPlan.decided_at)
                                      .where(TrainingPlan.status == "approved")).all()
            return pd.DataFrame({
                "unit_id": np.array([r[0] for r in rows], dtype=np.int64),
                "year": np.array([r[1] for r in rows], dtype=np.int64),
                "approved": pd.to_datetime([local_date(r[2]) if r[2] is not None
                                            else self.on for r in rows])})
        return self._memo(("plan_approvals",), lambda: cached(
            "plan-approvals", "all", compute, version=plans_version()))

    def unit_plans_on(self, crit: dict, dates) -> np.ndarray:
        """Units (`headcount_units`) × dates: the unit's plan for the year (`year`, else the
        date's own year) was approved on or before the date."""
        dates = list(dates)

        def compute():
            units = self.headcount_units(crit)
            grid = _ns(dates)
            a = self.plan_approvals()
            row = pd.Index(units["unit_id"]).get_indexer(a["unit_id"].to_numpy())
            years = np.array([d.year for d in dates], dtype=np.int64)
            plan_year = a["year"].to_numpy(dtype=np.int64)
            if crit.get("year"):
                row = np.where(plan_year == int(crit["year"]), row, -1)
                first_day, past_year = np.zeros(len(a), np.int64), np.full(len(a), len(dates))
            else:  # the date's year: the dates of that year only (the grid is sorted)
                first_day = np.searchsorted(years, plan_year, side="left")
                past_year = np.searchsorted(years, plan_year, side="right")
            lo = np.maximum(_first_on(grid, _ns(a["approved"])), first_day)
            return _covered(row, lo, past_year, len(units), len(dates))
        return self._memo(("unit_plans_on", crit.get("year"), tuple(dates)), compute)

    def unit_plans_at(self, crit: dict, on: date) -> np.ndarray:
        """`unit_plans_on` on one date, evaluated on its own (the reference)."""
        units = self.headcount_units(crit)
        a = self.plan_approvals()
        year = int(crit.get("year") or on.year)
        a = a[(a["year"] == year).to_numpy() & (a["approved"] <= pd.Timestamp(on)).to_numpy()]
        return units["unit_id"].isin(a["unit_id"]).to_numpy()

    # ------------------------------------------------------------------ LC-5: composition
    def composition_flags(self, crit: dict) -> np.ndarray:
        """N×K: each official of the criterion's position groups who is a woman / of an ethnic
        minority (the `minority` population key's rule), one column per requirement."""
        o = self.officials
        leader = o["position_group"].isin(crit["position_groups"]).fillna(False).to_numpy(
            dtype=bool)
        cols = []
        if crit.get("female"):
            cols.append(leader & (o["gender"] == "female").to_numpy(dtype=bool))
        if crit.get("minority"):
            cols.append(leader & o["minority"].astype(bool).to_numpy())
        return np.stack(cols, axis=1) if cols else np.zeros((self.n, 0), dtype=bool)

    # ------------------------------------------------------------------ scheduled cohorts
    def scheduled(self) -> pd.DataFrame:
        """Enrollments in open or running cohorts that end today or later: official, course,
        cohort end date (the forecast adds them as completions on that date)."""
        cols = ["official_id", "course_id", "end_date", "course_code", "category",
                "validity_months", "qual_kind", "qual_level"]
        return select_frame(_scheduled(
            sa.select(Enrollment.official_id, Enrollment.course_id, Cohort.end_date, Course.code,
                      Course.category, Course.validity_months, Course.qualification_kind,
                      Course.qualification_level)
            .join(Course, Course.id == Enrollment.course_id), self._where, self.on), cols)

    def scheduled_once(self) -> pd.DataFrame:
        """`scheduled()`, read once per Facts."""
        return self._memo(("scheduled",), self.scheduled)

    def with_all_scheduled(self, *, levels: bool = True) -> Facts:
        """`with_scheduled` on every official, made once per Facts (with the competency levels
        or without: a course target needs no evidence): a criterion evaluated there for some
        rows equals it evaluated on a copy of just those rows (each official's facts are their
        own)."""
        return self._memo(("with_all_scheduled", levels),
                          lambda: self.with_scheduled(self.scheduled_once(), levels=levels))

    def with_scheduled(self, scheduled: pd.DataFrame, rows: np.ndarray | None = None, *,
                       levels: bool = False) -> Facts:
        """A copy restricted to the official rows `rows` (all by default), in which every
        scheduled enrollment is a completion dated its cohort's end, with the evidence a
        completion writes (the course's levels, source "course")."""
        everyone = rows is None
        if everyone:
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
            if not everyone:  # renumbered to the copy's rows (everyone keeps theirs: no copy)
                old_to_new = pd.Series(np.arange(len(rows)), index=rows)
                ev = ev[ev["official"].isin(rows)]
                ev = ev.assign(official=ev["official"].map(old_to_new).to_numpy(dtype=np.int64))
            teach = self._course_levels()
            new_row = pd.Series(officials.index, index=officials["id"])
            extra = done[done["official_id"].isin(ids)].merge(teach, on="course_id")
            extra_ev = pd.DataFrame({  # the evidence's own types: the copy stays compact
                "official": extra["official_id"].map(new_row).to_numpy(dtype=np.int32),
                "competency": extra["competency"].to_numpy(dtype=np.int16),
                "level": extra["level"].to_numpy(dtype=np.int8),
                "date": pd.to_datetime(extra["completed_on"]),
                "source": pd.Categorical(["course"] * len(extra), categories=SOURCES)})
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
