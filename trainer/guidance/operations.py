"""Bridge from the database to the pure engine: rows → matrices → gaps, learning paths, mentors.

One query per table, whatever the number of officials (STYLE.md §6); the engine works on the whole
matrices at once.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import sqlalchemy as sa

import recommender
from courses import vocab
from trainer.catalog.models import (Competency, Course, CourseCompetency, Position,
                                    PositionRequirement, RegionPriority, course_prerequisites)
from trainer.core.cache import cached, structure_version
from trainer.core.extensions import db
from trainer.core.frames import id_ranges, raw_frame, select_frame
from trainer.learning.models import ACTIVE_STATUSES, Enrollment
from trainer.org.queries import regions_of, unit_table
from trainer.people.models import Assessment, Official

REGION_CODES = vocab.codes(vocab.REGIONS)
FEW_UNITS = 50  # up to this many units, their regions are read by climbing from them


@dataclass
class Catalogue:
    """Competencies and courses as arrays (index = position in the arrays)."""
    competency_ids: list[int]
    competency_names: list[str]
    competency_groups: list[str]
    course_ids: list[int]
    course_names: list[str]
    course_hours: np.ndarray
    course_levels: np.ndarray  # K×C
    prerequisites: np.ndarray  # K×K bool
    position_ids: list[int]
    position_required: np.ndarray  # P×C
    region_bump: np.ndarray  # R×C
    region_floor: np.ndarray  # R×C: the level every position in the region requires at least
    region_weight: np.ndarray  # R×C
    comp_index: dict[int, int] = field(default_factory=dict)
    course_index: dict[int, int] = field(default_factory=dict)
    online_course_ids: frozenset[int] = frozenset()


@dataclass
class Population:
    """The officials under study, aligned row by row with the matrices."""
    official_ids: np.ndarray
    unit_ids: np.ndarray
    region: np.ndarray  # index into REGION_CODES, -1 none
    required: np.ndarray
    weight: np.ndarray
    current: np.ndarray
    blocked: np.ndarray
    satisfied: np.ndarray
    planned: np.ndarray  # N×C: levels the courses in progress will bring (not yet evidence)

    @property
    def gaps(self) -> np.ndarray:
        return recommender.gap_matrix(self.required, self.current)

    def row(self, official_id: int) -> int:
        return int(np.flatnonzero(self.official_ids == official_id)[0])


def load_catalogue() -> Catalogue:
    s = db.session
    comps = s.execute(sa.select(Competency.id, Competency.name, Competency.group)
                      .order_by(Competency.code)).all()
    comp_index = {cid: i for i, (cid, _, _) in enumerate(comps)}
    courses = s.execute(sa.select(Course.id, Course.name, Course.hours, Course.mode)
                        .order_by(Course.code)).all()
    course_index = {c[0]: i for i, c in enumerate(courses)}
    K, C = len(courses), len(comps)
    levels = np.zeros((K, C), dtype=np.int8)
    for course_id, comp_id, level in s.execute(sa.select(
            CourseCompetency.course_id, CourseCompetency.competency_id, CourseCompetency.level)):
        levels[course_index[course_id], comp_index[comp_id]] = level
    prereq = np.zeros((K, K), dtype=bool)
    for course_id, requires_id in s.execute(sa.select(course_prerequisites.c.course_id,
                                                      course_prerequisites.c.requires_id)):
        prereq[course_index[course_id], course_index[requires_id]] = True
    position_ids = list(s.scalars(sa.select(Position.id).order_by(Position.id)))
    pos_index = {pid: i for i, pid in enumerate(position_ids)}
    pos_req = np.zeros((len(position_ids), C), dtype=np.int8)
    for pid, comp_id, level in s.execute(sa.select(
            PositionRequirement.position_id, PositionRequirement.competency_id,
            PositionRequirement.level)):
        pos_req[pos_index[pid], comp_index[comp_id]] = level
    bump = np.zeros((len(REGION_CODES), C), dtype=np.int8)
    rweight = np.zeros((len(REGION_CODES), C), dtype=np.float32)
    floor = np.zeros((len(REGION_CODES), C), dtype=np.int8)
    for region, comp_id, level_bump, weight, min_level in s.execute(sa.select(
            RegionPriority.region, RegionPriority.competency_id, RegionPriority.level_bump,
            RegionPriority.weight, RegionPriority.min_level)):
        r = REGION_CODES.index(region)
        bump[r, comp_index[comp_id]] = level_bump
        floor[r, comp_index[comp_id]] = min_level or 0
        rweight[r, comp_index[comp_id]] = weight
    return Catalogue(
        competency_ids=[c[0] for c in comps], competency_names=[c[1] for c in comps],
        competency_groups=[c[2] for c in comps],
        course_ids=[c[0] for c in courses], course_names=[c[1] for c in courses],
        course_hours=np.array([c[2] for c in courses], dtype=np.float32),
        course_levels=levels, prerequisites=prereq, position_ids=position_ids,
        position_required=pos_req, region_bump=bump, region_floor=floor, region_weight=rweight,
        comp_index=comp_index, course_index=course_index,
        online_course_ids=frozenset(c[0] for c in courses if c[3] == "online"))


def catalogue() -> Catalogue:
    """The catalogue's arrays, kept on the structure version (core.cache: no official's write
    changes them): a few kilobytes whatever the province's size, read on every official's page
    instead of eight queries."""
    return cached("catalogue-3", "all", load_catalogue, version=structure_version())


def unit_regions(unit_ids=None) -> dict[int, str | None]:
    """Each unit's region: its own, or its nearest ancestor's (a department inherits its commune's).
    With `unit_ids`, those units' alone, climbing the tree from them (org.queries.regions_of): a
    few officials' page does not read the province's whole unit table."""
    if unit_ids is not None and len(unit_ids) <= FEW_UNITS:
        return regions_of(unit_ids)
    table = unit_table()
    return {u: r if isinstance(r, str) else None for u, r in zip(table["unit_id"], table["region"])}


EVIDENCE = ["official_id", "competency_id", "level", "date", "source"]


def _evidence(*extra):
    """The assessments' columns (EVIDENCE, then `extra`) in the order current_levels reads
    ties in: by date, then as recorded."""
    return sa.select(Assessment.official_id, Assessment.competency_id, Assessment.level,
                     Assessment.assessed_on, Assessment.source, *extra).order_by(
        Assessment.assessed_on, Assessment.id)


def _current_levels(cat: Catalogue, ev: pd.DataFrame, index: pd.Series) -> np.ndarray:
    """Current levels (N×C) of the officials of `index` (official id → row) from their rows
    of evidence `ev` (EVIDENCE columns)."""
    evidence = pd.DataFrame({
        "official": ev["official_id"].map(index).to_numpy(dtype=np.int64),
        "competency": ev["competency_id"].map(cat.comp_index).to_numpy(dtype=np.int64),
        "level": ev["level"].to_numpy(dtype=np.int64),
        "date": pd.to_datetime(ev["date"]),
        "source": ev["source"].astype(object),
    })
    return recommender.current_levels(evidence, len(index), len(cat.competency_ids))


def load_population(cat: Catalogue, where=None) -> Population:
    """Matrices for the officials matching `where` (an SQL clause on Official), all by default."""
    s = db.session
    cond = where if where is not None else sa.true()
    officials = select_frame(
        sa.select(Official.id, Official.unit_id, Official.position_id).where(cond)
        .order_by(Official.id), ["id", "unit_id", "position_id"])
    N, K = len(officials), len(cat.course_ids)
    ids = officials["id"].to_numpy(dtype=np.int64)
    index = pd.Series(np.arange(N), index=ids)
    regions = unit_regions(officials["unit_id"].unique().tolist())
    region_idx = np.array([REGION_CODES.index(regions[u]) if regions.get(u) else -1
                           for u in officials["unit_id"]], dtype=np.int64)
    pos_index = {pid: i for i, pid in enumerate(cat.position_ids)}
    position_idx = officials["position_id"].map(pos_index).fillna(-1).to_numpy(dtype=np.int64)
    required, weight = recommender.required_levels(
        cat.position_required, position_idx, cat.region_bump, cat.region_weight, region_idx,
        cat.region_floor)

    subset = Assessment.official_id.in_(sa.select(Official.id).where(cond))
    # a range of officials at a time (an official's levels are their evidence's alone): the
    # driver's values, dates parsed at once (no date object per row: 2.3 million at 250,000)
    current = np.zeros((N, len(cat.competency_ids)), dtype=np.int8)
    for first, last in id_ranges(ids):
        rows = slice(*np.searchsorted(ids, [first, last + 1]))  # ids are sorted
        ev = raw_frame(_evidence().where(subset, Assessment.official_id.between(first, last)),
                       EVIDENCE, dates=("date",))
        current[rows] = _current_levels(cat, ev, pd.Series(np.arange(rows.stop - rows.start),
                                                           index=ids[rows]))

    blocked = np.zeros((N, K), dtype=bool)
    active = np.zeros((N, K), dtype=bool)
    en = s.execute(sa.select(Enrollment.official_id, Enrollment.course_id, Enrollment.status).where(
        Enrollment.official_id.in_(sa.select(Official.id).where(cond)),
        Enrollment.status.in_(("completed",) + ACTIVE_STATUSES))).all()
    if en:
        rows = index.loc[[r[0] for r in en]].to_numpy()
        cols = np.array([cat.course_index[r[1]] for r in en])
        blocked[rows, cols] = True
        is_active = np.array([r[2] != "completed" for r in en])
        active[rows[is_active], cols[is_active]] = True
    planned = current.copy()
    for k in np.flatnonzero(active.any(axis=0)):  # a loop over courses, vectorised over officials
        planned[active[:, k]] = np.maximum(planned[active[:, k]], cat.course_levels[k])
    return Population(official_ids=ids, unit_ids=officials["unit_id"].to_numpy(dtype=np.int64),
                      region=region_idx, required=required, weight=weight, current=current,
                      blocked=blocked, satisfied=blocked.copy(), planned=planned)


def _engine_args(cat: Catalogue, pop: Population) -> dict:
    """Paths start from the planned levels: a gap a course in progress will close needs no
    second course (LC-P1: nothing redundant)."""
    return dict(required=pop.required, current=pop.planned, weight=pop.weight,
                course_levels=cat.course_levels, course_hours=cat.course_hours,
                prerequisites=cat.prerequisites, blocked=pop.blocked, satisfied=pop.satisfied)


def all_learning_paths(cat: Catalogue, pop: Population) -> list[recommender.Path]:
    return recommender.learning_paths(**_engine_args(cat, pop))


@dataclass
class GapRow:
    competency_id: int
    name: str
    group: str
    required: int
    current: int

    @property
    def gap(self) -> int:
        return max(0, self.required - self.current)


@dataclass
class PathStep:
    course_id: int
    name: str
    hours: float
    explanation: str


@dataclass
class Guidance:
    """What one official sees: gaps, learning path, ranked courses, mentors (LC-P1, KH-5)."""
    gaps: list[GapRow]
    path: list[PathStep]
    path_hours: float
    uncovered: list[str]
    suggestions: list[PathStep]
    mentors: list[tuple[int, list[str], bool]]  # (official id, competency names, same unit)


def guidance_for(official: Official, *, with_mentors: bool = True) -> Guidance:
    """The official's guidance, kept per official and data version (core.cache: never stale — a
    committed write anywhere computes it afresh on the next view): a view reads a few kilobytes.
    Computing it reads this official's rows, the catalogue (kept) and, for the mentors, the
    region's evidence on the official's gap competencies (mentors_for)."""
    return cached("guidance", f"{official.id}:{int(with_mentors)}",
                  lambda: _guidance(official, with_mentors))


def _guidance(official: Official, with_mentors: bool) -> Guidance:
    cat = catalogue()
    pop = load_population(cat, Official.id == official.id)
    names = cat.competency_names
    req, cur = pop.required[0], pop.current[0]
    gaps = [GapRow(cat.competency_ids[c], names[c], cat.competency_groups[c], int(req[c]),
                   int(cur[c])) for c in np.flatnonzero(req > 0)]
    gaps.sort(key=lambda g: (-g.gap, g.name))
    path = all_learning_paths(cat, pop)[0]
    steps, running = [], pop.planned[0].astype(np.int64).copy()
    for k in path.courses:
        taught = cat.course_levels[k]
        closes = [(int(c), int(running[c]), int(req[c])) for c in np.flatnonzero(
            np.minimum(req, taught) > running)]
        running = np.maximum(running, np.where(taught > 0, np.minimum(taught, 4), 0))
        steps.append(PathStep(cat.course_ids[k], cat.course_names[k], float(cat.course_hours[k]),
                              recommender.explain(closes, names) if closes
                              else "Học phần tiên quyết của khóa sau"))
    ranked = recommender.rank_courses(**_engine_args(cat, pop), top=8)[0]
    suggestions = [PathStep(cat.course_ids[s.course], cat.course_names[s.course],
                            float(cat.course_hours[s.course]), recommender.explain(s.closes, names))
                   for s in ranked]
    mentors = mentors_for(official, cat, pop) if with_mentors else []
    return Guidance(gaps=gaps, path=steps, path_hours=float(path.hours),
                    uncovered=[names[c] for c in path.uncovered], suggestions=suggestions,
                    mentors=mentors)


def mentors_for(official: Official, cat: Catalogue, own: Population, n: int = 5):
    """KH-5: colleagues of the same unit or region who hold the levels this official lacks.

    Only a colleague with evidence on one of the official's gap competencies can coach it (no
    evidence: level 0), so the engine gets the official and those colleagues alone, their
    levels from their evidence on those competencies (a level depends on that competency's
    evidence only): an indexed read of a few competencies, not the region's whole record.
    The engine ranks them as it would the whole region (a colleague who cannot coach is never
    a candidate; the others keep their order)."""
    gaps = np.flatnonzero(own.required[0] > own.current[0])
    if not gaps.size:
        return []
    region = REGION_CODES[own.region[0]] if own.region[0] >= 0 else None
    units = cached("region-units", region, lambda: sorted(
        u for u, r in unit_regions().items() if r == region)) if region else [official.unit_id]
    ev = select_frame(
        _evidence(Official.unit_id).join(Official, Official.id == Assessment.official_id).where(
            Official.unit_id.in_(units),
            Assessment.competency_id.in_([cat.competency_ids[c] for c in gaps])),
        EVIDENCE + ["unit_id"])
    unit_of = dict(zip(ev["official_id"], ev["unit_id"]))
    unit_of[official.id] = official.unit_id
    ids = np.array(sorted(unit_of), dtype=np.int64)  # by id, as the region's population was
    if len(ids) < 2:
        return []
    index = pd.Series(np.arange(len(ids)), index=ids)
    levels = _current_levels(cat, ev, index)
    me = int(index[official.id])
    levels[me] = own.current[0]  # every competency of the official's own (their gaps)
    finder = recommender.MentorFinder(n_neighbors=n).fit(
        levels, np.array([unit_of[i] for i in ids], dtype=np.int64),
        np.full(len(ids), own.region[0], dtype=np.int64))
    found = finder.suggest(me, own.required[0])
    return [(int(ids[m.official]), [cat.competency_names[c] for c in m.competencies],
             m.same_unit) for m in found]


def unit_gap_report(cat: Catalogue, pop: Population, commune_of: dict[int, int]) -> pd.DataFrame:
    """Per commune × competency: officials whose position requires it, how many lack it, and the
    mean gap among them — one vectorised pass over the whole matrices."""
    communes = pd.Series(pop.unit_ids).map(lambda u: commune_of.get(u, u)).to_numpy()
    gaps = pop.gaps

    def per_commune(matrix) -> pd.DataFrame:
        frame = pd.DataFrame(matrix, columns=cat.competency_ids).groupby(communes).sum()
        return frame.stack().rename_axis(["unit_id", "competency_id"])

    report = pd.concat({"required": per_commune(pop.required > 0),
                        "lacking": per_commune(gaps > 0),
                        "gap_sum": per_commune(gaps.astype(np.int32))}, axis=1).reset_index()
    report = report[report["required"] > 0].copy()
    report["mean_gap"] = report["gap_sum"] / report["required"]
    return report.drop(columns="gap_sum").reset_index(drop=True)
