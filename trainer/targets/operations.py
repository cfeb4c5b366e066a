"""Targets as data: presets seeded once, HR's own targets created and edited; progress now, per
unit, the trend from the records' dates, a forecast, a status, and who does not count yet — all
computed from the records each time (never stored). Rules in docs/targets.md."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd
import sqlalchemy as sa

from courses import vocab
from trainer.catalog.models import Course, CourseCompetency
from trainer.core import cache
from trainer.core.errors import DomainError
from trainer.core.extensions import db
from trainer.core.timeutil import today, utcnow
from trainer.org.models import Unit
from trainer.org.queries import is_province_hr
from trainer.people.models import Official
from trainer.plans.models import PLAN_STATUSES, TrainingPlan
from trainer.targets import criteria
from trainer.targets.facts import Facts, scheduled_end_dates
from trainer.targets.models import Target
from trainer.targets.presets import ORDER, PRESETS, TargetSpec
from trainer.core.settings import young_age_limit

TREND_MONTHS = 24  # the chart's history
PACE_MONTHS = 12  # the linear fit's window
MONTH_DAYS = 365.25 / 12
AT_RISK_GRACE_MONTHS = 6
HORIZON_DAYS = 50 * 365  # a forecast further than 50 years is "never"
NEAR_POINTS = 20  # a unit within 20 points below the threshold is amber, further is red


# ---------------------------------------------------------------------------- presets and CRUD
DEFINITION = ("title", "source", "note", "population", "criterion", "threshold", "deadline")


def _definition(row) -> dict:
    return {k: getattr(row, k) for k in DEFINITION}


def seed_presets() -> int:
    """Insert every preset whose code is not in the table yet. An existing row is left as it is
    (an edited preset keeps its edits), except a preset row still holding one of the preset's
    former definitions word for word (`TargetSpec.former`: never edited, the code's definition
    changed since it was seeded): it takes the new one. Idempotent. Returns how many rows were
    inserted or updated. Called by `trainer setup` and the tests' `catalog` fixture;
    `ensure_presets` is the lazy fallback."""
    have = {t.code: t for t in db.session.scalars(sa.select(Target))}
    added = 0
    for spec in PRESETS:
        if spec.code in have:
            row = have[spec.code]
            now = _definition(spec)
            if row.preset and any(_definition(row) == {**now, **old} for old in spec.former):
                for k, v in now.items():
                    setattr(row, k, dict(v) if isinstance(v, dict) else v)
                added += 1
            continue
        db.session.add(Target(code=spec.code, title=spec.title, source=spec.source,
                              note=spec.note, population=dict(spec.population),
                              criterion=dict(spec.criterion), threshold=spec.threshold,
                              deadline=spec.deadline, preset=True, created_by="preset"))
        added += 1
    if added:
        db.session.flush()
    return added


def ensure_presets() -> int:
    """`seed_presets` on the way to the target pages: a database set up before targets were
    data, or upgraded to a version with new or changed presets (an upgrade runs only `trainer
    db upgrade`, docs/deploy.md §9), gets them on the first view. One read of the small targets
    table when nothing is missing. The caller owns the commit."""
    return seed_presets()


def list_targets() -> list[Target]:
    ensure_presets()
    rows = db.session.scalars(sa.select(Target)).all()
    return sorted(rows, key=lambda t: (ORDER.get(t.code, len(ORDER)), t.id))


def target_by_code(code: str) -> Target | None:
    ensure_presets()
    return db.session.scalar(sa.select(Target).where(Target.code == code))


can_manage_targets = is_province_hr  # commune HR reads targets; the province edits them


def _check(data: dict, *, current: Target | None) -> None:
    errors = []
    code = (data.get("code") or "").strip()
    if not code:
        errors.append("Nhập mã mục tiêu.")
    elif len(code) > 32:
        errors.append("Mã mục tiêu tối đa 32 ký tự.")
    elif current is not None and current.preset and code != current.code:
        errors.append("Không đổi mã của mục tiêu có sẵn (mã gắn với văn bản nguồn).")
    else:
        clash = db.session.scalar(sa.select(Target.id).where(Target.code == code))
        if clash is not None and (current is None or clash != current.id):
            errors.append(f"Mã mục tiêu “{code}” đã có.")
    if not (data.get("title") or "").strip():
        errors.append("Nhập tên mục tiêu.")
    threshold = data.get("threshold")
    if not isinstance(threshold, (int, float)) or not 0 < threshold <= 100:
        errors.append("Chỉ tiêu phải lớn hơn 0 và không quá 100 (%).")
    if not isinstance(data.get("deadline"), date):
        errors.append("Nhập hạn hoàn thành.")
    errors += criteria.validate_population(data.get("population"))
    errors += criteria.validate_criterion(data.get("criterion"))
    if errors:
        raise DomainError(" ".join(errors))


FIELDS = ("code", "title", "source", "note", "population", "criterion", "threshold", "deadline")


def create_target(data: dict, *, actor: str) -> Target:
    _check(data, current=None)
    target = Target(**{k: data[k] for k in FIELDS if k in data}, preset=False, created_by=actor)
    target.code, target.title = target.code.strip(), target.title.strip()
    db.session.add(target)
    db.session.flush()
    return target


def update_target(target: Target, data: dict, *, actor: str) -> Target:
    """Edit any target, presets included (they stay presets: `seed_presets` never overwrites)."""
    _check(data, current=target)
    for k in FIELDS:
        if k in data:
            setattr(target, k, data[k].strip() if isinstance(data[k], str) else data[k])
    target.updated_at = utcnow()
    db.session.flush()
    return target


# ---------------------------------------------------------------------------- progress now
@dataclass
class Progress:
    target: Target | TargetSpec
    total: int
    counted: int
    per_unit: pd.DataFrame  # unit_id, unit_name, counted, total, percent, colour, rank
    missing_ids: list[int]  # officials not counting (units not meeting, for unit_headcount)
    in_pop: np.ndarray = field(repr=False, default=None)
    counts: np.ndarray = field(repr=False, default=None)

    @property
    def percent(self) -> float:
        return 100.0 * self.counted / self.total if self.total else 0.0

    @property
    def met(self) -> bool:
        return self.total > 0 and self.percent >= self.target.threshold

    @property
    def by_unit(self) -> bool:
        return self.target.criterion["kind"] in criteria.UNIT_KINDS


def facts_for(where=None, *, unit_ids: list[int] | None = None,
              young_age: int | None = None, on: date | None = None) -> Facts:
    """Everything targets read, for the officials matching `where` (a scope clause) and the
    units `unit_ids` (None: all; per-unit targets count units without officials too)."""
    return Facts.load(where, unit_ids=unit_ids, on=on,
                      young_age=young_age if young_age is not None else young_age_limit())


def _colour(percent, threshold) -> np.ndarray:
    return np.where(percent >= threshold, "success",
                    np.where(percent >= threshold - NEAR_POINTS, "warning", "danger"))


def _unit_headcounts(crit: dict, facts: Facts, in_pop: np.ndarray, qualifies: np.ndarray,
                     ) -> pd.DataFrame:
    units = facts.headcount_units(crit)
    key = facts.unit_key(crit)
    have = pd.Series(in_pop & qualifies).groupby(key.to_numpy()).sum()
    units["counted"] = units["unit_id"].map(have).fillna(0).astype(int)
    units["total"] = int(crit["count"])
    return units


def progress_of(target, facts: Facts, *, per_unit: bool = True,
                trend_months: int | None = None) -> Progress:
    """Progress today; `per_unit=False` skips the per-unit table and the list of who is missing
    (the dashboard shows neither: `per_unit` is then None and `missing_ids` empty).
    `trend_months`: today's counts are read from the trend's one-pass evaluation over that many
    months (its last date is today; memoised, so the trend reuses it) instead of on their own."""
    crit, tables = target.criterion, per_unit
    in_pop = facts.population(target.population)
    if trend_months is None:
        counts = facts.counts(crit) & in_pop
    else:
        counts = facts.counts_on(crit, trend_dates(facts.on, trend_months))[0][:, -1] & in_pop
    if not tables and crit["kind"] not in criteria.UNIT_KINDS:
        return Progress(target, int(in_pop.sum()), int(counts.sum()), None, [], in_pop=in_pop,
                        counts=counts)
    if crit["kind"] in ("unit_plan", "unit_composition"):
        units = _unit_facts(crit, facts, in_pop)
        per_unit = units.assign(colour=np.where(units["met"], "success", np.where(
            units["percent"] >= 50, "warning", "danger")))
        missing = units.loc[~units["met"], "unit_id"].astype(int).tolist()
        total, counted = len(units), int(units["met"].sum())
    elif crit["kind"] == "unit_headcount":
        units = _unit_headcounts(crit, facts, in_pop, counts)
        units["percent"] = np.minimum(100.0, 100.0 * units["counted"] / units["total"])
        meeting = units["counted"] >= units["total"]
        per_unit = units.assign(colour=np.where(meeting, "success", np.where(
            units["percent"] >= 50, "warning", "danger")))
        missing = units.loc[~meeting, "unit_id"].astype(int).tolist()
        total, counted = len(units), int(meeting.sum())
    else:
        o = facts.officials
        sub = pd.DataFrame({"unit_id": o["commune_id"], "unit_name": o["commune_name"],
                            "ok": counts})[in_pop]
        per_unit = (sub.groupby(["unit_id", "unit_name"], dropna=False)["ok"]
                    .agg(total="size", counted="sum").reset_index())
        per_unit["percent"] = np.where(per_unit["total"] > 0,
                                       100.0 * per_unit["counted"] / per_unit["total"], 0.0)
        per_unit["colour"] = _colour(per_unit["percent"], target.threshold)
        missing = o.loc[in_pop & ~counts, "id"].astype(int).tolist()
        total, counted = int(in_pop.sum()), int(counts.sum())
    if not tables:
        return Progress(target, total, counted, None, [], in_pop=in_pop, counts=counts)
    per_unit = per_unit.sort_values(["percent", "unit_name"], ascending=[False, True])
    per_unit["rank"] = per_unit["percent"].rank(method="min", ascending=False).astype(int)
    return Progress(target, total, counted, per_unit.reset_index(drop=True), missing,
                    in_pop=in_pop, counts=counts)


def _unit_facts(crit: dict, facts: Facts, in_pop: np.ndarray) -> pd.DataFrame:
    """A commune's plan (`unit_plan`) or its leadership's composition (`unit_composition`)
    today, per unit of `headcount_units`: counted / total requirements met, met, percent, and
    for the composition the women and minority officials counted."""
    units = facts.headcount_units(crit)
    if crit["kind"] == "unit_plan":
        met = facts.unit_plans_at(crit, facts.on)
        units["counted"], units["total"] = met.astype(int), 1
    else:
        have = composition_counts(crit, facts, in_pop, units)
        units["counted"] = (have >= 1).sum(axis=1)
        units["total"] = have.shape[1]
        for j, key in enumerate(k for k in ("female", "minority") if crit.get(k)):
            units[key] = have[:, j]
    units["met"] = units["counted"] >= units["total"]
    units["percent"] = 100.0 * units["counted"] / units["total"].clip(lower=1)
    return units


def composition_counts(crit: dict, facts: Facts, in_pop: np.ndarray, units: pd.DataFrame,
                       ) -> np.ndarray:
    """Units × requirements: the officials of the population counted for each (a woman, an
    ethnic-minority official of the position groups) in each unit."""
    unit = pd.Index(units["unit_id"]).get_indexer(facts.unit_key(crit).to_numpy())
    flags = facts.composition_flags(crit) & in_pop[:, None]
    inside = unit >= 0
    return np.stack([np.bincount(unit[inside], weights=flags[inside, j], minlength=len(units))
                     for j in range(flags.shape[1])], axis=1).astype(np.int64) \
        if flags.shape[1] else np.zeros((len(units), 0), np.int64)


def all_progress(where=None, *, facts: Facts | None = None, per_unit: bool = True,
                 trend_months: int | None = None) -> list[Progress]:
    facts = facts or facts_for(where)
    return [progress_of(t, facts, per_unit=per_unit, trend_months=trend_months)
            for t in list_targets()]


# ---------------------------------------------------------------------------- trend, forecast
def trend_dates(on: date, months: int = TREND_MONTHS) -> list[date]:
    """Monthly points on the same day of the month as `on`, oldest first, `on` last."""
    at = pd.Timestamp(on)
    return [(at - pd.DateOffset(months=k)).date() for k in range(months, -1, -1)]


def _unit_shares(crit: dict, facts: Facts, in_pop: np.ndarray, counts: np.ndarray,
                 known: np.ndarray) -> list[float | None]:
    """Per-unit headcount on every date (columns of `counts`): the percentage of units that
    have `count` people of the population counting."""
    units = facts.headcount_units(crit)
    if not len(units):
        return [(0.0 if k else None) for k in known]
    unit = pd.Index(units["unit_id"]).get_indexer(facts.unit_key(crit).to_numpy())
    inside = unit >= 0
    have = counts[inside] & in_pop[inside, None]  # rows × D
    out = []
    for j, k in enumerate(known):  # a loop over the dates, vectorised over officials
        if not k:
            out.append(None)
            continue
        met = np.bincount(unit[inside], weights=have[:, j], minlength=len(units)) \
            >= int(crit["count"])
        out.append(100.0 * met.sum() / len(units))
    return out


def shares_on(p: Progress, facts: Facts, dates: list[date]) -> list[float | None]:
    """`share_at` on every date in one pass (Facts.counts_on): the trend."""
    crit = p.target.criterion
    if crit["kind"] == "unit_plan":
        met = facts.unit_plans_on(crit, dates)
        return [100.0 * int(m) / len(met) if len(met) else 0.0 for m in met.sum(axis=0)]
    counts, known = facts.counts_on(crit, dates)
    if crit["kind"] == "unit_composition":  # undated: today's point only
        share = _composition_share(crit, facts, p)
        return [share if k else None for k in known]
    if crit["kind"] == "unit_headcount":
        return _unit_shares(crit, facts, p.in_pop, counts, known)
    total = int(p.in_pop.sum())
    hits = (counts & p.in_pop[:, None]).sum(axis=0)
    return [None if not k else 100.0 * int(h) / total if total else 0.0
            for h, k in zip(hits, known)]


def share_at(p: Progress, facts: Facts, on: date) -> float | None:
    """The percentage counting on `on`, for today's population; None without history (the
    per-date evaluation: `shares_on` gives the same numbers for many dates at once)."""
    crit = p.target.criterion
    if crit["kind"] == "unit_plan":
        met = facts.unit_plans_at(crit, on)
        return 100.0 * int(met.sum()) / len(met) if len(met) else 0.0
    counts = facts.counts(crit, on)
    if counts is None:
        return None
    if crit["kind"] == "unit_composition":
        return _composition_share(crit, facts, p)
    if crit["kind"] == "unit_headcount":
        units = _unit_headcounts(crit, facts, p.in_pop, counts)
        return 100.0 * (units["counted"] >= units["total"]).sum() / len(units) if len(units) \
            else 0.0
    total = int(p.in_pop.sum())
    return 100.0 * int((counts & p.in_pop).sum()) / total if total else 0.0


def _composition_share(crit: dict, facts: Facts, p: Progress) -> float:
    units = facts.headcount_units(crit)
    if not len(units):
        return 0.0
    have = composition_counts(crit, facts, p.in_pop, units)
    return 100.0 * int((have >= 1).all(axis=1).sum()) / len(units)


def pace_of(points: list[tuple[date, float | None]], on: date,
            window: int = PACE_MONTHS) -> float | None:
    """Percentage points per month: the slope of a least-squares line through the points of the
    last `window` months (x in months before `on`). None with fewer than two points."""
    start = (pd.Timestamp(on) - pd.DateOffset(months=window)).date()
    pts = [(d, v) for d, v in points if v is not None and d >= start]
    if len(pts) < 2:
        return None
    # x in calendar months (the points are one calendar month apart), days as a fraction
    x = np.array([(d.year - on.year) * 12 + d.month - on.month
                  + (0 if d.day >= 28 and on.day >= 28 else (d.day - on.day) / MONTH_DAYS)
                  for d, _ in pts])
    y = np.array([v for _, v in pts])
    if np.ptp(x) == 0:
        return None
    return round(float(np.polyfit(x, y, 1)[0]), 6)  # float noise of a flat line is 0


def forecast_date(on: date, current: float, threshold: float, pace: float | None,
                  gains: list[tuple[date, float]] = ()) -> date | None:
    """The first date the share reaches `threshold`: from `current` on `on`, rising by `pace`
    points a month (when > 0), plus `gains` — cumulative points added on given dates (the
    scheduled cohorts' end dates). None if never."""
    if current >= threshold:
        return on
    p = pace if pace is not None and pace > 0 else 0.0

    def at_pace(need: float) -> date | None:
        days = need / p * MONTH_DAYS
        return on + timedelta(days=round(days)) if days <= HORIZON_DAYS else None

    added = 0.0
    for d, g in sorted(gains):
        if p > 0:
            t = at_pace(threshold - current - added)
            if t is not None and t < d:
                return t
        added = g
        if current + p * (d - on).days / MONTH_DAYS + added >= threshold - 1e-9:
            return d
    return at_pace(threshold - current - added) if p > 0 else None


def scheduled_gains(p: Progress, facts: Facts, *, vectorised: bool = True,
                    ) -> list[tuple[date, float]]:
    """Cumulative percentage points the open/running cohorts would add by each end date, if
    everyone enrolled completes: officials who do not count now and would count then.
    Evaluated on every end date in one pass on one copy of the facts with every scheduled
    enrollment completed (`vectorised=False`: a copy per target and a pass per date, the
    reference the tests compare with)."""
    crit = p.target.criterion
    if crit["kind"] in NO_GAINS or not p.total:
        return []
    sched = facts.scheduled_once()
    if sched.empty:
        return []
    ends = sorted(set(pd.to_datetime(sched["end_date"]).dt.date))
    levels = crit["kind"] in ("competency", "no_gap")
    if vectorised:
        sub = facts.with_all_scheduled(levels=levels)
        counts, known = sub.counts_on(crit, ends)
        if crit["kind"] == "unit_headcount":
            now = share_at(p, facts, facts.on)
            return _cumulative([(d, max(0.0, share - now)) for d, share in zip(
                ends, _unit_shares(crit, sub, p.in_pop, counts, known))])
        candidates = (p.in_pop & ~p.counts
                      & facts.officials["id"].isin(sched["official_id"]).to_numpy())
        if not candidates.any():
            return []
        hits = counts[candidates].sum(axis=0)
        return _cumulative([(d, 100.0 * int(h) / p.total) for d, h in zip(ends, hits)])
    if crit["kind"] == "unit_headcount":
        sub = facts.with_scheduled(sched)
        now = share_at(p, facts, facts.on)
        out = []
        for d in ends:
            units = _unit_headcounts(crit, sub, p.in_pop, sub.counts(crit, d))
            out.append((d, max(0.0, 100.0 * (units["counted"] >= units["total"]).sum()
                                / len(units) - now) if len(units) else 0.0))
        return _cumulative(out)
    candidates = p.in_pop & ~p.counts & facts.officials["id"].isin(sched["official_id"]).to_numpy()
    rows = np.flatnonzero(candidates)
    if not len(rows):
        return []
    sub = facts.with_scheduled(sched, rows, levels=levels)
    return _cumulative([(d, 100.0 * int(sub.counts(crit, d).sum()) / p.total) for d in ends])


def _cumulative(points):
    out, best = [], 0.0
    for d, g in points:
        if g > best + 1e-9:
            best = g
            out.append((d, g))
    return out


STATUS = {"met": ("success", "Đã đạt"), "on_track": ("success", "Đúng tiến độ"),
          "at_risk": ("warning", "Có nguy cơ chậm"), "off_track": ("danger", "Chậm tiến độ"),
          "overdue": ("danger", "Quá hạn"), "no_history": ("warning", "Chưa đủ dữ liệu dự báo"),
          "empty": ("secondary", "Chưa có đối tượng")}


def status_code(*, met: bool, total: int, on: date, deadline: date, pace: float | None,
                forecast: date | None, forecast_with_cohorts: date | None,
                no_history: bool) -> str:
    """docs/targets.md § Status: met or forecast at the current pace by the deadline → on track;
    forecast with the scheduled cohorts within six months after the deadline, or any positive
    pace → at risk; otherwise off track. Past the deadline and not met → overdue (off track).
    A criterion without history (record digitised, digital signature) cannot be forecast: at
    risk while the deadline is ahead."""
    if not total:
        return "empty"
    if met:
        return "met"
    if on > deadline:
        return "overdue"
    if forecast is not None and forecast <= deadline:
        return "on_track"
    grace = (pd.Timestamp(deadline) + pd.DateOffset(months=AT_RISK_GRACE_MONTHS)).date()
    if forecast_with_cohorts is not None and forecast_with_cohorts <= grace:
        return "at_risk"
    if pace is not None and pace > 0:
        return "at_risk"
    if no_history:
        return "no_history"
    return "off_track"


@dataclass
class Outlook:
    progress: Progress
    trend: list[tuple[date, float | None]]
    pace: float | None  # percentage points a month
    forecast: date | None  # at the current pace
    gains: list[tuple[date, float]]  # scheduled cohorts: cumulative points by end date
    forecast_with_cohorts: date | None
    status: str

    @property
    def status_css(self) -> str:
        return STATUS[self.status][0]

    @property
    def status_label(self) -> str:
        return STATUS[self.status][1]

    @property
    def no_history(self) -> bool:
        return self.progress.target.criterion["kind"] in criteria.UNDATED_KINDS


def trend_of(p: Progress, facts: Facts, months: int = TREND_MONTHS, *,
             vectorised: bool = True) -> list[tuple[date, float | None]]:
    """The share on each monthly date (`trend_dates`): all dates in one pass (`shares_on`), or
    date by date (`vectorised=False`, the reference)."""
    if not p.total:
        return []
    dates = trend_dates(facts.on, months)
    if vectorised:
        return list(zip(dates, shares_on(p, facts, dates)))
    return [(d, share_at(p, facts, d)) for d in dates]


def outlook_of(p: Progress, facts: Facts, *, months: int = TREND_MONTHS,
               vectorised: bool = True) -> Outlook:
    return _judged(p, trend_of(p, facts, months, vectorised=vectorised),
                   lambda: scheduled_gains(p, facts, vectorised=vectorised), facts.on)


def _judged(p: Progress, trend: list[tuple[date, float | None]], gains_of, on: date) -> Outlook:
    """Pace, forecasts and status from progress today, the trend and (`gains_of()`, asked only
    when the target is not met) the scheduled cohorts' gains."""
    no_history = p.target.criterion["kind"] in criteria.UNDATED_KINDS
    pace = None if no_history else pace_of(trend, on)
    forecast = None if p.met else forecast_date(on, p.percent, p.target.threshold, pace) \
        if pace is not None and pace > 0 else None
    gains = [] if p.met else gains_of()
    with_cohorts = None if p.met else forecast_date(on, p.percent, p.target.threshold, pace, gains)
    status = status_code(met=p.met, total=p.total, on=on, deadline=p.target.deadline, pace=pace,
                         forecast=forecast, forecast_with_cohorts=with_cohorts,
                         no_history=no_history)
    return Outlook(p, trend, pace, forecast, gains, with_cohorts, status)


def all_outlooks(where=None, *, facts: Facts | None = None, months: int = PACE_MONTHS,
                 per_unit: bool = True, vectorised: bool = True) -> list[Outlook]:
    """Every target's progress and status (the dashboard): a 12-month trend is enough for the
    pace; the detail page computes 24 months for the chart."""
    facts = facts or facts_for(where)
    return [outlook_of(p, facts, months=months, vectorised=vectorised)
            for p in all_progress(facts=facts, per_unit=per_unit,
                                  trend_months=months if vectorised else None)]


# ---------------------------------------------------------------------------- the dashboard
# what completing a course does not change
NO_GAINS = ("rating", "reviewed", "unit_plan", *criteria.UNDATED_KINDS)
LOAD_PARTS = 16  # parts whose facts are loaded at once (32,768 officials): bounded memory


@dataclass
class Tally:
    """One target's counts over some of the scope's officials: every field is a sum over
    officials, so the tallies of disjoint parts add up to the tally of the whole (the dashboard
    keeps each part's between writes: core.cache § Parts). On each trend date (D of them,
    today last) and each scheduled cohort's end date (E)."""
    total: int  # officials of the population
    hits: np.ndarray  # D: of them, counting on each date
    candidates: int  # of them, not counting today and enrolled in a scheduled cohort
    gains: np.ndarray  # E: of the candidates, counting on each end date if they complete
    units: np.ndarray | None = None  # per-unit headcount: rows of the scope's units
    #   (`headcount_units`) that have officials here
    unit_hits: np.ndarray | None = None  # len(units)×D: people of the population counting
    unit_gains: np.ndarray | None = None  # len(units)×E: the same, every scheduled completed


def tallies_of(target, facts: Facts, dates: list[date], ends: list[date]) -> dict[int, Tally]:
    """The target's tally on each part (core.cache) of the facts' officials, in one pass."""
    crit = target.criterion
    if crit["kind"] == "unit_plan":  # a fact of units, not of officials: `unit_plan_hits`
        return {}
    in_pop = facts.population(target.population)
    counts = facts.counts_on(crit, dates)[0] & in_pop[:, None]
    later = None
    if crit["kind"] not in NO_GAINS and ends:
        sub = facts.with_all_scheduled(levels=crit["kind"] in ("competency", "no_gap"))
        later = sub.counts_on(crit, ends)[0] & in_pop[:, None]
    part = facts.officials["id"].to_numpy(dtype=np.int64) // cache.PART_SIZE
    order = np.argsort(part, kind="stable")
    parts, starts = np.unique(part[order], return_index=True)

    def per_part(m):  # m's rows (officials) summed over each part: parts × columns
        m = np.asarray(m, dtype=np.int64)
        m = m[:, None] if m.ndim == 1 else m
        return np.add.reduceat(m[order], starts, axis=0) if len(part) else \
            np.zeros((0, m.shape[1]), np.int64)
    totals = per_part(in_pop)[:, 0]
    hits = per_part(counts)
    if crit["kind"] == "unit_composition":  # per (part, unit): the officials of each flag
        units = facts.headcount_units(crit)
        unit = pd.Index(units["unit_id"]).get_indexer(facts.unit_key(crit).to_numpy())
        flags = facts.composition_flags(crit) & in_pop[:, None]
        inside = unit >= 0
        at = np.searchsorted(parts, part[inside])
        width = max(len(units), 1)
        keys, row = np.unique(at * width + unit[inside], return_inverse=True)
        have = np.stack([np.bincount(row, weights=flags[inside, j], minlength=len(keys))
                         for j in range(flags.shape[1])], axis=1).astype(np.int64) \
            if flags.shape[1] else np.zeros((len(keys), 0), np.int64)
        bounds = np.searchsorted(keys // width, np.arange(len(parts) + 1))
        return {int(k): Tally(int(totals[i]), hits[i], 0, np.zeros(0, np.int64),
                              keys[bounds[i]:bounds[i + 1]] % width,
                              have[bounds[i]:bounds[i + 1]])
                for i, k in enumerate(parts)}
    if crit["kind"] == "unit_headcount":
        units = facts.headcount_units(crit)
        unit = pd.Index(units["unit_id"]).get_indexer(facts.unit_key(crit).to_numpy())
        inside = unit >= 0
        at = np.searchsorted(parts, part[inside])  # the part's position
        keys, row = np.unique(at * max(len(units), 1) + unit[inside], return_inverse=True)

        def per_unit(m):  # people counting per (part, unit) key and date
            return np.stack([np.bincount(row, weights=m[inside, j], minlength=len(keys))
                             for j in range(m.shape[1])], axis=1).astype(np.int64) \
                if m.shape[1] else np.zeros((len(keys), 0), np.int64)
        have, will = per_unit(counts), per_unit(later if later is not None else counts[:, :0])
        bounds = np.searchsorted(keys // max(len(units), 1), np.arange(len(parts) + 1))
        return {int(k): Tally(int(totals[i]), hits[i], 0, np.zeros(len(ends), np.int64),
                              keys[bounds[i]:bounds[i + 1]] % max(len(units), 1),
                              have[bounds[i]:bounds[i + 1]], will[bounds[i]:bounds[i + 1]])
                for i, k in enumerate(parts)}
    if later is None:
        return {int(k): Tally(int(totals[i]), hits[i], 0, np.zeros(0, np.int64))
                for i, k in enumerate(parts)}
    scheduled = facts.officials["id"].isin(facts.scheduled_once()["official_id"]).to_numpy()
    candidates = in_pop & ~counts[:, -1] & scheduled
    won = per_part(later & candidates[:, None])
    n_candidates = per_part(candidates)[:, 0]
    return {int(k): Tally(int(totals[i]), hits[i], int(n_candidates[i]), won[i])
            for i, k in enumerate(parts)}


def outlook_from(target, tallies: list[Tally], on: date, dates: list[date], ends: list[date],
                 n_units: int = 0, plan_hits: np.ndarray | None = None) -> Outlook:
    """The target's outlook from the tallies of the parts of its scope (`n_units`: the scope's
    `headcount_units` for a per-unit target; `plan_hits`: for `unit_plan`, the units meeting
    it on each date, `unit_plan_hits`): the same figures as `outlook_of` on the whole scope's
    facts (tests/test_targets_trend.py, tests/test_targets_parts.py)."""
    crit = target.criterion
    total = sum(t.total for t in tallies)
    known = [d >= on for d in dates] if crit["kind"] in criteria.UNDATED_KINDS else \
        [True] * len(dates)
    if crit["kind"] in ("unit_plan", "unit_composition"):
        def gains():  # plans and composition: completing a course changes neither
            return []

        if crit["kind"] == "unit_plan":
            hits = np.asarray(plan_hits if plan_hits is not None else np.zeros(len(dates)))
        else:  # today's counts per unit (undated): met when every requirement has one
            width = len([k for k in ("female", "minority") if crit.get(k)])
            have = np.zeros((n_units, width), np.int64)
            for t in tallies:
                have[t.units] += t.unit_hits
            hits = np.full(len(dates), int((have >= 1).all(axis=1).sum()) if n_units else 0)
        p = Progress(target, n_units, int(hits[-1]) if len(hits) else 0, None, [])
        shares = [None if not k else 100.0 * int(h) / n_units
                  for h, k in zip(hits, known)] if n_units else []
    elif crit["kind"] == "unit_headcount":
        def met(field, width):  # units × dates: the unit has `count` people counting
            have = np.zeros((n_units, width), np.int64)
            for t in tallies:
                have[t.units] += getattr(t, field)
            return have >= int(crit["count"])
        now = met("unit_hits", len(dates))
        p = Progress(target, n_units, int(now[:, -1].sum()), None, [])
        shares = [None if not k else 100.0 * int(now[:, j].sum()) / n_units
                  for j, k in enumerate(known)] if n_units else []

        def gains():
            if crit["kind"] in NO_GAINS or not ends or not p.total:
                return []
            return _cumulative([(d, max(0.0, 100.0 * int(m.sum()) / n_units - p.percent))
                                for d, m in zip(ends, met("unit_gains", len(ends)).T)])
    else:
        hits = np.sum([t.hits for t in tallies], axis=0) if tallies else np.zeros(len(dates))
        p = Progress(target, total, int(hits[-1]), None, [])
        shares = [None if not k else 100.0 * int(h) / total if total else 0.0
                  for h, k in zip(hits, known)]

        def gains():
            if crit["kind"] in NO_GAINS or not ends or not p.total \
                    or not sum(t.candidates for t in tallies):
                return []
            won = np.sum([t.gains for t in tallies], axis=0)
            return _cumulative([(d, 100.0 * int(h) / p.total) for d, h in zip(ends, won)])
    trend = list(zip(dates, shares)) if p.total else []
    return _judged(p, trend, gains, on)


def dashboard_rows(where=None, *, unit_ids: list[int] | None = None, vectorised: bool = True,
                   cache_key=None) -> tuple[date, list[dict]]:
    """The dashboard's table as plain rows (cached by the view on the data version: never
    stale): each target's figures, forecast and status, as of today.

    Every target's tally is made on each part of the scope's officials (core.cache § Parts),
    LOAD_PARTS parts at a time, and the parts' tallies are added up (`outlook_from`): memory
    is bounded whatever the province's size. With `cache_key` (the view's scope),
    each part's tallies are kept under it and the part's version: the first view after a write
    recomputes only the parts the write touched. `vectorised=False` is the per-date evaluation
    of the whole scope with the per-unit tables (the reference; benchmarks/bench_targets.py)."""
    young_age = young_age_limit()
    targets = list_targets()
    if not vectorised:
        facts = facts_for(where, unit_ids=unit_ids)
        outlooks = all_outlooks(facts=facts, per_unit=True, vectorised=False)
        return facts.on, [_dashboard_row(o, young_age) for o in outlooks]
    on = today()
    dates, ends = trend_dates(on, PACE_MONTHS), scheduled_end_dates(where, on)

    def tallies(parts: list[int]) -> dict[int, dict[str, Tally]]:
        """Each part's tallies, LOAD_PARTS parts' facts at a time (a part without officials
        has none)."""
        out = {}
        for i in range(0, len(parts), LOAD_PARTS):
            some = parts[i:i + LOAD_PARTS]
            facts = facts_for(parts_where(where, some), unit_ids=unit_ids, on=on)
            per_target = {t.code: tallies_of(t, facts, dates, ends) for t in targets}
            out.update({k: {code: by_part[k] for code, by_part in per_target.items()
                            if k in by_part} for k in some})
        return out
    if cache_key is None:
        parts = list(tallies(parts_of(where)).values())
    else:
        versions = cache.part_versions(parts_of(where))
        parts = list(cache.cached_many(
            "targets-part", {k: ((cache_key, k, on, tuple(ends)), v)
                             for k, v in versions.items()}, tallies).values())
    def unit_figures():  # the scope's units alone: no official's facts
        facts = facts_for(sa.false(), unit_ids=unit_ids, on=on)
        return (headcount_unit_counts(targets, unit_ids, on, facts=facts),
                unit_plan_hits(targets, unit_ids, on, dates, facts=facts))
    units, plans = cache.cached("targets-units", (cache_key, on), unit_figures,
                                version=cache.plans_version()) \
        if cache_key is not None else unit_figures()
    return on, [_dashboard_row(outlook_from(
        t, [part[t.code] for part in parts if t.code in part], on, dates, ends,
        units.get(t.code, 0), plans.get(t.code)), young_age) for t in targets]


def headcount_unit_counts(targets, unit_ids: list[int] | None, on: date, *,
                          facts: Facts | None = None) -> dict[str, int]:
    """How many units each per-unit target is evaluated on (they hold officials or not: the
    facts of no official tell)."""
    facts = facts or facts_for(sa.false(), unit_ids=unit_ids, on=on)
    return {t.code: len(facts.headcount_units(t.criterion)) for t in targets
            if t.criterion["kind"] in criteria.UNIT_KINDS}


def unit_plan_hits(targets, unit_ids: list[int] | None, on: date, dates: list[date], *,
                   facts: Facts | None = None) -> dict[str, np.ndarray]:
    """For each `unit_plan` target, how many of its units have their approved plan on each
    date: a fact of units and plans, not of any official (kept on the structure version, which
    a plan's approval moves: core.cache)."""
    facts = facts or facts_for(sa.false(), unit_ids=unit_ids, on=on)
    return {t.code: facts.unit_plans_on(t.criterion, dates).sum(axis=0).astype(np.int64)
            for t in targets if t.criterion["kind"] == "unit_plan"}


def parts_of(where=None) -> list[int]:
    """The parts (core.cache) holding officials of the scope."""
    cond = where if where is not None else sa.true()
    part = Official.id // cache.PART_SIZE
    return list(db.session.scalars(sa.select(part).where(cond).distinct().order_by(part)))


def parts_where(where, parts: list[int]):
    """The scope's officials in these parts: a range of ids per run of consecutive parts (index
    searches)."""
    runs: list[list[int]] = []
    for k in sorted(parts):
        if runs and k == runs[-1][1] + 1:
            runs[-1][1] = k
        else:
            runs.append([k, k])
    cond = where if where is not None else sa.true()
    return sa.and_(cond, sa.or_(sa.false(), *[
        sa.and_(Official.id >= first * cache.PART_SIZE, Official.id < (last + 1) * cache.PART_SIZE)
        for first, last in runs]))


def _dashboard_row(o: Outlook, young_age: int) -> dict:
    p, t = o.progress, o.progress.target
    return {"code": t.code, "source": t.source, "title": t.title,
            "text": describe(t, young_age=young_age)[0], "percent": p.percent,
            "threshold": t.threshold, "counted": p.counted, "total": p.total,
            "by_unit": p.by_unit, "deadline": t.deadline, "met": p.met,
            "forecast": o.forecast, "forecast_with_cohorts": o.forecast_with_cohorts,
            "status_css": o.status_css, "status_label": o.status_label}


# ---------------------------------------------------------------------------- who is missing
def _courses() -> pd.DataFrame:
    """Courses cheapest first: cost per learner, then hours, then code."""
    return pd.DataFrame(db.session.execute(sa.select(
        Course.id, Course.code, Course.name, Course.category, Course.hours, Course.cost,
        Course.qualification_kind, Course.qualification_level)).all(),
        columns=["course_id", "code", "name", "category", "hours", "cost", "qual_kind",
                 "qual_level"]).sort_values(["cost", "hours", "code"], kind="stable")


def _course_label(row) -> str:
    return f"{row['code']} – {row['name']}"


def _join(parts: list[pd.Series]) -> pd.Series:
    """Join per-row strings with "; ", skipping empty parts and repeats."""
    if not parts:
        return pd.Series(dtype=str)
    rows = zip(*[s.tolist() for s in parts])
    return pd.Series(["; ".join(dict.fromkeys(x for x in r if x)) for r in rows],
                     index=parts[0].index)


def missing_of(p: Progress, facts: Facts) -> pd.DataFrame:
    """Who does not count yet, why (Vietnamese, from the criterion), and the cheapest course
    that would make them count (course, competency, qualification and gap criteria).
    For a per-unit headcount target: the units that do not meet it."""
    crit = p.target.criterion
    kind = crit["kind"]
    if kind == "unit_headcount":
        return _units_missing(p)
    if kind == "unit_plan":
        return _plans_missing(p, facts)
    if kind == "unit_composition":
        return _composition_missing(p)
    rows = np.flatnonzero(p.in_pop & ~p.counts)  # positions in facts.officials
    m = facts.officials.iloc[rows]
    out = _missing_officials(m)
    courses = _courses() if kind in ("course", "competency", "qualification", "no_gap") else None
    if kind == "course" and crit.get("course_codes"):
        _explain_course_codes(out, crit, courses)
    elif kind == "course":
        _explain_categories(out, crit, facts, m, courses)
    elif kind in ("competency", "no_gap"):
        _explain_levels(out, crit, facts, rows, courses)
    elif kind == "qualification":
        _explain_qualification(out, crit, facts, rows, courses)
    elif kind == "rating":
        _explain_rating(out, facts, rows, crit.get("period", "year"))
    elif kind == "reviewed":
        _explain_reviewed(out, crit, facts, rows)
    elif kind == "record_digitised":
        out["reason"], out["course"] = "Hồ sơ chưa số hóa", ""
    elif kind == "digital_signature":
        out["reason"], out["course"] = "Chưa được cấp chữ ký số", ""
    return out.sort_values(["commune_name", "full_name"]).reset_index(drop=True)


def _units_missing(p: Progress) -> pd.DataFrame:
    """A per-unit headcount target: the units below the count, with how many they have."""
    units = p.per_unit[p.per_unit["counted"] < p.per_unit["total"]]
    return pd.DataFrame({
        "unit_id": units["unit_id"], "unit_name": units["unit_name"],
        "reason": [f"Có {c}/{t} người đạt" for c, t in zip(units["counted"], units["total"])],
        "course": ""}).reset_index(drop=True)


def _plans_missing(p: Progress, facts: Facts) -> pd.DataFrame:
    """DL-b: the communes without an approved plan for the year, with their plan's state (a
    link to the plans page of that year: `plan_year`)."""
    crit = p.target.criterion
    year = int(crit.get("year") or facts.on.year)
    units = p.per_unit[~p.per_unit["met"]]
    status = dict(db.session.execute(sa.select(TrainingPlan.unit_id, TrainingPlan.status).where(
        TrainingPlan.year == year, TrainingPlan.unit_id.in_(units["unit_id"].tolist()))).all())
    reasons = [f"Kế hoạch năm {year}: " + vocab.label(PLAN_STATUSES, status[u], status[u]).lower()
               + ", chưa được phê duyệt" if u in status and status[u] != "approved"
               else f"Kế hoạch năm {year} được phê duyệt sau ngày này"
               if u in status else f"Chưa có kế hoạch năm {year}"
               for u in units["unit_id"]]  # the communes short: a few hundred at most
    return pd.DataFrame({"unit_id": units["unit_id"], "unit_name": units["unit_name"],
                         "reason": reasons, "course": "", "plan_year": year}
                        ).reset_index(drop=True)


def _composition_missing(p: Progress) -> pd.DataFrame:
    """LC-5: the communes whose leadership lacks a woman or an ethnic-minority official."""
    crit = p.target.criterion
    units = p.per_unit[~p.per_unit["met"]]
    lacks = [pd.Series(np.where(units[k] < 1, text, ""), index=units.index)
             for k, text in (("female", "chưa có nữ"), ("minority",
                                                          "chưa có người dân tộc thiểu số"))
             if crit.get(k)]
    groups = ", ".join(vocab.label(vocab.POSITION_GROUPS, g, g).lower()
                       for g in crit["position_groups"])
    return pd.DataFrame({"unit_id": units["unit_id"], "unit_name": units["unit_name"],
                         "reason": (f"Nhóm {groups}: " + _join(lacks)).values,
                         "course": ""}).reset_index(drop=True)


def _explain_reviewed(out: pd.DataFrame, crit: dict, facts: Facts, rows: np.ndarray) -> None:
    """DL-a: never reviewed, or last reviewed before the period (no course makes a review)."""
    since = criteria.since_of(crit)
    last = pd.Series(pd.DatetimeIndex(facts.last_reviewed()[rows]), index=out.index)
    out["reason"] = (f"Chưa được đánh giá từ {since:%d/%m/%Y}"
                     + (" (lần gần nhất " + last.dt.strftime("%d/%m/%Y") + ")").fillna(""))
    out["course"] = ""


def _missing_officials(m: pd.DataFrame) -> pd.DataFrame:
    """The officials not counting (rows of facts.officials), indexed like `m`; an _explain_
    step below adds their "reason" and "course" columns."""
    return pd.DataFrame({"official_id": m["id"].astype(int), "code": m["code"],
                         "full_name": m["full_name"], "unit_name": m["unit_name"],
                         "commune_name": m["commune_name"],
                         "position_name": m["position_name"].fillna("")})


def _explain_course_codes(out: pd.DataFrame, crit: dict, courses: pd.DataFrame) -> None:
    """One of the given courses: the cheapest of them."""
    choice = courses[courses["code"].isin(crit["course_codes"])]
    out["reason"] = "Chưa hoàn thành khóa nào trong: " + ", ".join(crit["course_codes"])
    out["course"] = _course_label(choice.iloc[0]) if len(choice) else ""


def _explain_categories(out: pd.DataFrame, crit: dict, facts: Facts, m: pd.DataFrame,
                        courses: pd.DataFrame) -> None:
    """A valid course of each category ("all"): the categories each official lacks (or whose
    course expired) and the cheapest course of each; of any category: the cheapest of all."""
    cats = list(dict.fromkeys(crit["categories"]))
    if not (crit.get("match", "all") == "all" and len(cats) > 1):
        out["reason"] = "Chưa có khóa còn hiệu lực thuộc nhóm: " + ", ".join(
            vocab.label(vocab.COURSE_CATEGORIES, c, c).lower() for c in cats)
        choice = courses[courses["category"].isin(cats)]
        out["course"] = _course_label(choice.iloc[0]) if len(choice) else ""
        return
    valid, all_done = facts.valid_completions(facts.on), facts.completions
    empty = pd.Series("", index=m.index)
    reasons, advice = [], []
    for cat in cats:  # a loop over the few categories, vectorised over officials
        has_valid = m["id"].isin(valid.loc[valid["category"] == cat, "official_id"])
        has_any = m["id"].isin(all_done.loc[all_done["category"] == cat, "official_id"])
        label = vocab.label(vocab.COURSE_CATEGORIES, cat, cat).lower()
        lacking = ~has_valid
        reasons.append(empty.mask(lacking & has_any, label + " (khóa đã hết hiệu lực)")
                       .mask(lacking & ~has_any, label))
        choice = courses[courses["category"] == cat]
        advice.append(empty.mask(lacking, _course_label(choice.iloc[0]))
                      if len(choice) else empty)
    out["reason"] = ("Chưa có khóa còn hiệu lực thuộc nhóm: " + _join(reasons)).values
    out["course"] = _join(advice).values


def _explain_levels(out: pd.DataFrame, crit: dict, facts: Facts, rows: np.ndarray,
                    courses: pd.DataFrame) -> None:
    """Competency levels below the criterion's level ("competency") or the position's
    requirement ("no_gap"): each short competency, and the cheapest course teaching it."""
    comps = facts.competencies()
    current = facts.levels_at(facts.on)[rows]
    if crit["kind"] == "competency":
        cols = np.array([comps.codes.index(c) for c in crit["codes"] if c in comps.codes],
                        dtype=int)
        need = np.full((len(rows), len(cols)), int(crit["level"]))
    else:
        cols = np.flatnonzero(facts.competency_columns(crit))
        need = facts.required()[rows][:, cols]
    have = current[:, cols]
    best = _cheapest_teaching(courses, comps)
    reasons, advice = [], []
    for j, c in enumerate(cols):  # a loop over competencies, vectorised over officials
        short = np.flatnonzero(have[:, j] < need[:, j])
        if not len(short):
            continue
        pairs = have[short, j].astype(np.int64) * 16 + need[short, j]  # a few (have, need)
        kinds, which = np.unique(pairs, return_inverse=True)
        text = np.full(len(rows), "", dtype=object)
        text[short] = np.array([f"{comps.codes[c]} {comps.names[c]}: hiện {k // 16}, cần {k % 16}"
                                for k in kinds], dtype=object)[which]
        reasons.append(pd.Series(text, index=out.index))
        course = np.full(len(rows), "", dtype=object)
        course[short] = np.array([best.get((c, int(k % 16)), "") for k in kinds],
                                 dtype=object)[which]
        advice.append(pd.Series(course, index=out.index))
    out["reason"] = _join(reasons).values if reasons else ""
    out["course"] = _join(advice).values if advice else ""
    out["reason"] = out["reason"].where(out["reason"] != "", "Chưa có vị trí việc làm")


def _explain_qualification(out: pd.DataFrame, crit: dict, facts: Facts, rows: np.ndarray,
                           courses: pd.DataFrame) -> None:
    """The level held against the one needed; the cheapest course granting enough."""
    qk, level = crit["qualification"], crit["level"]
    scale = vocab.QUALIFICATION_SCALES[qk]
    have = facts.qualification_rank_at(qk, facts.on)[rows]
    out["reason"] = [f"{vocab.QUALIFICATION_LABELS[qk]}: {scale[h][1]}, cần "
                     f"{vocab.label(scale, level)} trở lên" for h in have]
    qual = courses[courses["qual_kind"] == qk]
    qual = qual[qual["qual_level"].map(lambda x: vocab.rank(scale, x)) >= vocab.rank(scale,
                                                                                      level)]
    out["course"] = _course_label(qual.iloc[0]) if len(qual) else ""


def _explain_rating(out: pd.DataFrame, facts: Facts, rows: np.ndarray,
                    period: str = "year") -> None:
    """The latest rating of the target's period kind (no course makes a rating)."""
    ranks = facts.rating_rank_at(facts.on, period)[rows]
    kind = vocab.label(vocab.RATING_PERIODS, period).lower()
    out["reason"] = [(f"Xếp loại {kind} gần nhất: " + vocab.RATINGS[r][1]) if r >= 0
                     else f"Chưa có xếp loại {kind}" for r in ranks]
    out["course"] = ""


def _cheapest_teaching(courses: pd.DataFrame, comps) -> dict[tuple[int, int], str]:
    """(competency column, level) → the cheapest course teaching it at that level or higher."""
    cc = pd.DataFrame(db.session.execute(sa.select(
        CourseCompetency.course_id, CourseCompetency.competency_id, CourseCompetency.level)).all(),
        columns=["course_id", "competency_id", "level"])
    if cc.empty:
        return {}
    cc["col"] = cc["competency_id"].map(comps.index)
    ranked = courses.reset_index(drop=True).reset_index(names="order")
    cc = cc.merge(ranked, on="course_id").sort_values("order")
    out = {}
    for need in range(1, vocab.MAX_LEVEL + 1):  # four levels × one grouped pass
        first = cc[cc["level"] >= need].groupby("col").first()
        for col, row in first.iterrows():
            out[(int(col), need)] = _course_label(row)
    return out


def officials_by_ids(ids: list[int], limit: int = 200) -> list[Official]:
    if not ids:
        return []
    return list(db.session.scalars(sa.select(Official).where(Official.id.in_(ids[:limit]))
                                   .order_by(Official.full_name)))


# ---------------------------------------------------------------------------- descriptions
def describe(target, *, young_age: int | None = None) -> tuple[str, str]:
    """The population and the criterion in Vietnamese."""
    pop, crit = target.population, target.criterion
    unit_name = None
    if pop.get("unit_id"):
        unit = db.session.get(Unit, pop["unit_id"])
        unit_name = unit.name if unit else None
    names = {}
    if crit.get("kind") == "competency":
        from trainer.catalog.models import Competency
        names = dict(db.session.execute(sa.select(Competency.code, Competency.name).where(
            Competency.code.in_(crit.get("codes") or []))).all())
    return (criteria.describe_population(pop, unit_name=unit_name,
                                         young_age=young_age or young_age_limit()),
            criteria.describe_criterion(crit, competency_names=names))


# ---------------------------------------------------------------------------- Excel report
def report_sheets(outlooks: list[Outlook], facts: Facts) -> dict[str, pd.DataFrame]:
    """The target report: every target with progress and status, the per-unit table and who
    does not count yet (Vietnamese headers; docs/targets.md)."""
    summary, units, missing = [], [], []
    for o in outlooks:
        p, t = o.progress, o.progress.target
        pop_text, crit_text = describe(t, young_age=facts.young_age)
        summary.append({
            "Mã": t.code, "Nguồn": t.source, "Mục tiêu": t.title, "Đối tượng": pop_text,
            "Tiêu chí": crit_text, "Đạt": p.counted, "Tổng": p.total,
            "Tỷ lệ (%)": round(p.percent, 1), "Chỉ tiêu (%)": t.threshold,
            "Hạn": t.deadline,
            "Tốc độ (điểm %/tháng)": None if o.pace is None else round(o.pace, 2),
            "Dự báo đạt": o.forecast, "Dự báo kể cả lớp đã xếp": o.forecast_with_cohorts,
            "Tình trạng": o.status_label})
        for r in p.per_unit.itertuples():
            units.append({"Mã mục tiêu": t.code, "Hạng": r.rank, "Đơn vị": r.unit_name,
                          "Đạt": int(r.counted), "Tổng": int(r.total),
                          "Tỷ lệ (%)": round(float(r.percent), 1)})
        miss = missing_of(p, facts)
        if p.by_unit:
            missing.append(pd.DataFrame({"Mã mục tiêu": t.code, "Mã cán bộ": "", "Họ và tên": "",
                                         "Đơn vị": miss["unit_name"], "Vị trí": "",
                                         "Lý do": miss["reason"], "Khóa học đề xuất": ""}))
        else:
            missing.append(pd.DataFrame({"Mã mục tiêu": t.code, "Mã cán bộ": miss["code"],
                                         "Họ và tên": miss["full_name"],
                                         "Đơn vị": miss["unit_name"],
                                         "Vị trí": miss["position_name"], "Lý do": miss["reason"],
                                         "Khóa học đề xuất": miss["course"]}))
    unit_cols = ["Mã mục tiêu", "Hạng", "Đơn vị", "Đạt", "Tổng", "Tỷ lệ (%)"]
    miss_cols = ["Mã mục tiêu", "Mã cán bộ", "Họ và tên", "Đơn vị", "Vị trí", "Lý do",
                 "Khóa học đề xuất"]
    return {"Mục tiêu": pd.DataFrame(summary),
            "Theo đơn vị": pd.DataFrame(units, columns=unit_cols),
            "Chưa đạt": (pd.concat(missing, ignore_index=True) if missing
                         else pd.DataFrame(columns=miss_cols))}
