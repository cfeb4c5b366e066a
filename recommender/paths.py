"""Course ranking and learning paths (lộ trình học) for all officials at once.

Everything works on whole matrices: officials are processed in chunks, and within a chunk
every step of the greedy path is a handful of matrix products over all still-active
officials. The only Python loops are over path steps, over chunks and over courses (for the
topological order), plus building the returned dataclasses.

Exactness. Gap weights are rounded to multiples of 1/65536 and hours to a power-of-two
fraction of an hour (1/64 h unless the catalog is huge) before the greedy compares ratios.
Every sum is then an integer-valued float small enough to be exact in any summation order, so
the result never depends on chunk size, BLAS blocking or on whether one official or 10,000
are computed together.
"""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass

import numpy as np

from .evidence import MAX_LEVEL

_CHUNK_BYTES = 50_000_000  # working memory per chunk of officials
_WEIGHT_SCALE = 2.0 ** 16
_LEVELS = np.arange(1, MAX_LEVEL + 1, dtype=np.int8)


@dataclass
class Path:
    """A learning path: courses in study order (prerequisites first)."""

    courses: list[int]
    hours: float
    uncovered: list[int]  # competencies whose gap no available course closes fully


@dataclass
class Suggestion:
    """One recommended course and the gaps it reduces."""

    course: int
    score: float  # weighted gap the course closes on its own, from the current levels
    closes: list[tuple[int, int, int]]  # (competency, current, required)


# --------------------------------------------------------------------------- catalog prep


@dataclass
class _Catalog:
    levels: np.ndarray        # K×C int8
    hours: np.ndarray         # K float64 (exact, for reporting)
    hours_q: np.ndarray       # K float64, quantised integers (for comparisons)
    reach_by_level: np.ndarray  # (4C)×K float64: [v*C + c, k] = levels[k, c] >= v+1
    level_flags: np.ndarray   # K×(4C) float32, the transpose, for level updates
    topo_pos: np.ndarray      # K int: position in a topological order (prerequisites first)
    linked: np.ndarray        # int indices of courses with a prerequisite edge (in or out)
    pos_in_linked: np.ndarray  # K int, -1 if not linked
    adjacency: np.ndarray     # s×s bool over linked courses: [k, j] k requires j
    closure: np.ndarray       # s×s bool, transitive closure of adjacency
    has_prereq: np.ndarray    # s bool


def _topological_positions(prerequisites: np.ndarray) -> np.ndarray:
    """Position of each course in a topological order; ties: lowest course index first."""
    n = prerequisites.shape[0]
    remaining = prerequisites.sum(axis=1).astype(np.int64)
    dependents = [np.flatnonzero(prerequisites[:, j]) for j in range(n)]
    ready = np.flatnonzero(remaining == 0).tolist()
    heapq.heapify(ready)
    position = np.full(n, -1, dtype=np.int64)
    for pos in range(n):
        if not ready:
            cyclic = np.flatnonzero(position < 0).tolist()
            raise ValueError(f"prerequisites contain a cycle among courses {cyclic}")
        k = heapq.heappop(ready)
        position[k] = pos
        for d in dependents[k]:
            remaining[d] -= 1
            if remaining[d] == 0:
                heapq.heappush(ready, int(d))
    return position


def _transitive_closure(adjacency: np.ndarray) -> np.ndarray:
    """Closure of a (batch of) boolean adjacency matrices by repeated squaring."""
    reach = adjacency.astype(np.float32)
    while True:
        # Counts stay below 2**24, so the float32 product is exact.
        grown = ((reach + reach @ reach) > 0).astype(np.float32)
        if np.array_equal(grown, reach):
            return reach > 0
        reach = grown


def _prepare_catalog(course_levels, course_hours, prerequisites, n_competencies) -> _Catalog:
    levels = np.asarray(course_levels)
    if levels.ndim != 2 or levels.shape[1] != n_competencies:
        raise ValueError(f"course_levels must be K×{n_competencies}, got {levels.shape}")
    if levels.size and (levels.min() < 0 or levels.max() > MAX_LEVEL):
        raise ValueError(f"course_levels must lie in 0..{MAX_LEVEL}")
    levels = levels.astype(np.int8)
    n_courses = levels.shape[0]
    hours = np.asarray(course_hours, dtype=np.float64)
    if hours.shape != (n_courses,):
        raise ValueError(f"course_hours must have length {n_courses}, got shape {hours.shape}")
    if not np.all(np.isfinite(hours)) or (hours < 0).any():
        raise ValueError("course_hours must be finite and non-negative")
    prerequisites = np.asarray(prerequisites, dtype=bool)
    if prerequisites.shape != (n_courses, n_courses):
        raise ValueError(f"prerequisites must be {n_courses}×{n_courses}")

    # Largest power-of-two scale keeping the sum of all quantised hours below 2**24.
    total = max(float(hours.sum()), 1.0)
    hour_scale = 2.0 ** min(6, int(np.floor(np.log2((2 ** 24 - 1) / total))))
    hours_q = np.rint(hours * hour_scale)

    flags = levels[None, :, :] >= _LEVELS[:, None, None]           # 4×K×C
    level_flags = flags.transpose(1, 0, 2).reshape(n_courses, 4 * n_competencies)  # K×4C
    topo_pos = _topological_positions(prerequisites)

    linked = np.flatnonzero(prerequisites.any(axis=0) | prerequisites.any(axis=1))
    pos_in_linked = np.full(n_courses, -1, dtype=np.int64)
    pos_in_linked[linked] = np.arange(linked.size)
    adjacency = prerequisites[np.ix_(linked, linked)]
    return _Catalog(
        levels=levels, hours=hours, hours_q=hours_q,
        reach_by_level=level_flags.T.astype(np.float64),
        level_flags=level_flags.astype(np.float32),
        topo_pos=topo_pos, linked=linked, pos_in_linked=pos_in_linked,
        adjacency=adjacency, closure=_transitive_closure(adjacency),
        has_prereq=adjacency.any(axis=1),
    )


def _validate_officials(required, current, weight, blocked, satisfied, n_courses):
    required = np.asarray(required)
    if required.ndim != 2:
        raise ValueError("required must be an N×C matrix")
    shape = required.shape
    current = np.asarray(current)
    weight = np.asarray(weight, dtype=np.float64)
    if current.shape != shape or weight.shape != shape:
        raise ValueError(f"required, current and weight must all be {shape}")
    if not np.all(np.isfinite(weight)) or (weight < 0).any() or (weight > 2.0 ** 30).any():
        raise ValueError("weight must be finite and within 0..2**30")
    blocked = np.asarray(blocked, dtype=bool)
    satisfied = np.asarray(satisfied, dtype=bool)
    if blocked.shape != (shape[0], n_courses) or satisfied.shape != (shape[0], n_courses):
        raise ValueError(f"blocked and satisfied must be {shape[0]}×{n_courses}")
    weight_q = np.rint(weight * _WEIGHT_SCALE)
    return (required.astype(np.int8), current.astype(np.int8), weight_q, blocked, satisfied)


def _chunk_size(n_competencies: int, n_courses: int, n_linked: int, chunk_size: int | None) -> int:
    if chunk_size is not None:
        if chunk_size < 1:
            raise ValueError("chunk_size must be at least 1")
        return int(chunk_size)
    per_official = (3 * n_linked * n_linked * 4            # prerequisite reach + temporaries
                    + 3 * 4 * n_competencies * 8           # level indicators
                    + 10 * n_courses * 8)                  # gain, cost, ratio, masks
    return max(1, _CHUNK_BYTES // max(1, per_official))


def _chunks(n: int, size: int):
    for start in range(0, n, size):
        yield slice(start, min(n, start + size))


def _gain_q(levels: np.ndarray, required: np.ndarray, weight_q: np.ndarray, cat: _Catalog):
    """Quantised weighted gap each course closes alone: (n×K) float64 of exact integers.

    gap closed on c = max(0, min(required, L) - level) = #{v : level < v <= required, v <= L},
    so the gain is a sum over v of (weights of gaps open at step v) @ (course reaches v).
    """
    open_v = (levels[:, None, :] < _LEVELS[None, :, None]) & (_LEVELS[None, :, None] <= required[:, None, :])
    weighted = (open_v * weight_q[:, None, :]).reshape(levels.shape[0], -1)
    return weighted @ cat.reach_by_level


def _missing_reach(cat: _Catalog, satisfied: np.ndarray) -> np.ndarray:
    """Per official, which linked courses each linked course still needs, transitively.

    A satisfied course needs nothing more, so its outgoing edges are removed before the
    closure: the prerequisites of a completed course are never re-added. Returns n×s×s
    float32 (0/1).
    """
    n, s = satisfied.shape[0], cat.linked.size
    sat = satisfied[:, cat.linked]
    reach = np.empty((n, s, s), dtype=np.float32)
    reach[:] = cat.closure
    special = (sat & cat.has_prereq[None, :]).any(axis=1)
    if special.any():
        adjacency = cat.adjacency[None, :, :] & ~sat[special][:, :, None]
        reach[special] = _transitive_closure(adjacency)
    return reach


def _paths_chunk(required, current, weight_q, blocked, satisfied, cat: _Catalog):
    """Greedy paths for one chunk; returns (chosen n×K bool, step n×K int32, final levels)."""
    n, n_courses = blocked.shape
    linked = cat.linked
    s = linked.size
    chosen_out = np.zeros((n, n_courses), dtype=bool)
    step_out = np.zeros((n, n_courses), dtype=np.int32)
    level_out = current.copy()

    # Working copies, compacted to the officials still picking courses.
    ids = np.arange(n)
    level = current.copy()
    req, wq, blk = required, weight_q, blocked
    have = satisfied.copy()   # counts as a met prerequisite: satisfied or already chosen
    chosen = np.zeros((n, n_courses), dtype=bool)
    step_of = np.zeros((n, n_courses), dtype=np.int32)
    reach = _missing_reach(cat, satisfied) if s else None

    for step in range(n_courses + 1):
        gain = _gain_q(level, req, wq, cat)
        available = ~blk & ~chosen & (gain > 0)
        cost = np.repeat(cat.hours_q[None, :], len(ids), axis=0)
        if s:
            missing = ~have[:, linked]
            per_course = np.stack([missing * cat.hours_q[linked],
                                   missing & blk[:, linked]], axis=2).astype(np.float32)
            extra = reach @ per_course                      # a×s×2, exact integer sums
            cost[:, linked] += extra[:, :, 0]
            # A course whose missing prerequisite is blocked cannot be taken.
            available[:, linked] &= extra[:, :, 1] == 0

        going = available.any(axis=1)
        if not going.all():
            done = ~going
            chosen_out[ids[done]] = chosen[done]
            step_out[ids[done]] = step_of[done]
            level_out[ids[done]] = level[done]
            ids, level, req, wq, blk = ids[going], level[going], req[going], wq[going], blk[going]
            have, chosen, step_of = have[going], chosen[going], step_of[going]
            gain, available, cost = gain[going], available[going], cost[going]
            if s:
                reach = reach[going]
        if ids.size == 0:
            break

        # Best weighted gap per hour; ties: larger gap, then lowest course index.
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(available, gain / cost, -np.inf)
        best = ratio == ratio.max(axis=1, keepdims=True)
        best_gain = np.where(best, gain, -1.0)
        best &= best_gain == best_gain.max(axis=1, keepdims=True)
        pick = best.argmax(axis=1)

        rows = np.arange(ids.size)
        added = np.zeros_like(chosen)
        added[rows, pick] = True
        if s:
            pos = cat.pos_in_linked[pick]
            has_pos = pos >= 0
            pulled = (reach[rows[has_pos], pos[has_pos]] > 0) & ~have[has_pos][:, linked]
            added[np.ix_(has_pos, linked)] |= pulled

        reached = (added.astype(np.float32) @ cat.level_flags) > 0   # a×4C
        new_level = reached.reshape(ids.size, MAX_LEVEL, -1).sum(axis=1, dtype=np.int8)
        np.maximum(level, new_level, out=level)
        have |= added
        chosen |= added
        step_of[added] = step
    # Every step adds a course, so the loop always ends through `done`; this is a safeguard.
    chosen_out[ids], step_out[ids], level_out[ids] = chosen, step_of, level
    return chosen_out, step_out, level_out


def _ragged_rows(mask: np.ndarray, values: np.ndarray | None = None) -> list[list[int]]:
    """Per row, the column indices (or ``values``) where ``mask`` is True, as Python lists."""
    rows, cols = np.nonzero(mask)
    data = (cols if values is None else values[rows, cols]).tolist()
    bounds = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=mask.shape[0]))]).tolist()
    return [data[a:b] for a, b in zip(bounds[:-1], bounds[1:])]


def learning_paths(required, current, weight, course_levels, course_hours, prerequisites,
                   blocked, satisfied, *, chunk_size: int | None = None) -> list[Path]:
    """A short learning path for every official ("thiếu gì học nấy").

    Model: a course teaching competency c at level L moves the official's level on c to
    ``max(current, L)``; the gap it closes on c is ``max(0, min(required, L) - current)``,
    weighted by ``weight``.

    The path is a greedy weighted set cover: repeatedly pick the available course — not
    ``blocked``, not yet chosen, and with no blocked course among its missing prerequisites —
    with the best ratio (weighted gap it closes on its own) / (its hours + hours of its
    prerequisites not yet satisfied or chosen, transitively); ties go to the larger gap, then
    the lower course index. The course joins the path with its missing prerequisites
    (transitively; a ``satisfied`` course counts as met and its own prerequisites are not
    needed), all of them raise the levels, and the loop goes on until no course closes
    anything. What is still lacking then is reported as ``uncovered``.

    This is the standard greedy approximation of the minimum-hours cover (within a factor
    H(n) ≈ ln n of the optimum for set cover), not an exact optimum.

    ``courses`` is in study order: a topological order of the prerequisites; otherwise the
    order of selection (prerequisites pulled in by a pick come just before it).

    Arguments: ``required``, ``current`` (N×C int), ``weight`` (N×C float), ``course_levels``
    (K×C int, level reached on completion, 0 = not taught), ``course_hours`` (K),
    ``prerequisites`` (K×K bool, ``[k, j]`` = course k requires course j), ``blocked`` (N×K bool:
    never recommended) and ``satisfied`` (N×K bool: counts as a met prerequisite).
    ``chunk_size`` (officials per chunk) defaults to what fits in about 50 MB.
    """
    req, cur, wq, blocked, satisfied = _validate_officials(
        required, current, weight, blocked, satisfied, np.asarray(course_levels).shape[0])
    cat = _prepare_catalog(course_levels, course_hours, prerequisites, req.shape[1])
    n, n_courses = blocked.shape
    chosen = np.zeros((n, n_courses), dtype=bool)
    step_of = np.zeros((n, n_courses), dtype=np.int32)
    final = np.empty_like(cur)
    size = _chunk_size(req.shape[1], n_courses, cat.linked.size, chunk_size)
    for part in _chunks(n, size):
        chosen[part], step_of[part], final[part] = _paths_chunk(
            req[part], cur[part], wq[part], blocked[part], satisfied[part], cat)

    # Study order: by pick step, then topological position (prerequisites first).
    key = np.where(chosen, step_of.astype(np.int64) * n_courses + cat.topo_pos, np.iinfo(np.int64).max)
    order = np.argsort(key, axis=1, kind="stable")
    counts = chosen.sum(axis=1)
    in_path = np.arange(n_courses)[None, :] < counts[:, None]
    courses = _ragged_rows(in_path, order)
    hours = np.where(chosen, cat.hours, 0.0).sum(axis=1).tolist()
    uncovered = _ragged_rows(req > final)
    return [Path(courses=c, hours=h, uncovered=u) for c, h, u in zip(courses, hours, uncovered)]


def rank_courses(required, current, weight, course_levels, course_hours, prerequisites,
                 blocked, satisfied, top: int = 10, *,
                 chunk_size: int | None = None) -> list[list[Suggestion]]:
    """Per official, up to ``top`` courses that close something, best first.

    ``score`` is the weighted gap the course closes on its own from the current levels; ties go
    to fewer hours, then the lower course index. Blocked courses are left out. Courses with
    missing prerequisites are still ranked (the learning path adds the prerequisites), so
    ``prerequisites`` and ``satisfied`` are only validated here; they are taken so that both
    functions share one signature.
    """
    req, cur, wq, blocked, satisfied = _validate_officials(
        required, current, weight, blocked, satisfied, np.asarray(course_levels).shape[0])
    cat = _prepare_catalog(course_levels, course_hours, prerequisites, req.shape[1])
    n, n_courses = blocked.shape
    top = max(0, min(int(top), n_courses))
    result: list[list[Suggestion]] = []
    size = _chunk_size(req.shape[1], n_courses, 0, chunk_size)
    course_index = np.arange(n_courses)
    for part in _chunks(n, size):
        gain = _gain_q(cur[part], req[part], wq[part], cat)
        valid = ~blocked[part] & (gain > 0)
        m = gain.shape[0]
        keys = (np.broadcast_to(course_index, gain.shape), np.broadcast_to(cat.hours, gain.shape),
                -gain, ~valid)                                  # last key is the primary one
        order = np.lexsort(keys, axis=-1)[:, :top]
        keep = np.take_along_axis(valid, order, axis=1)
        who, rank = np.nonzero(keep)                            # row-major: best first per official
        course = order[who, rank]
        r, c = req[part][who], cur[part][who]
        reduces = np.minimum(r, cat.levels[course]) > c         # pairs × C
        pair, comp = np.nonzero(reduces)
        triples = list(zip(comp.tolist(), c[pair, comp].tolist(), r[pair, comp].tolist()))
        bounds = np.concatenate([[0], np.cumsum(np.bincount(pair, minlength=who.size))]).tolist()
        scores = (gain[who, course] / _WEIGHT_SCALE).tolist()
        suggestions = [Suggestion(course=k, score=sc, closes=triples[a:b])
                       for k, sc, a, b in zip(course.tolist(), scores, bounds[:-1], bounds[1:])]
        per_official = np.concatenate([[0], np.cumsum(np.bincount(who, minlength=m))]).tolist()
        result.extend(suggestions[a:b] for a, b in zip(per_official[:-1], per_official[1:]))
    return result


def explain(closes, competency_names: list[str]) -> str:
    """Vietnamese explanation of the gaps a course closes.

    >>> explain([(0, 1, 3), (1, 0, 2)], ["Quản lý đất đai", "Chữ ký số"])
    'Quản lý đất đai: hiện 1, yêu cầu 3; Chữ ký số: hiện 0, yêu cầu 2'
    """
    return "; ".join(f"{competency_names[c]}: hiện {cur}, yêu cầu {req}" for c, cur, req in closes)


def course_demand(paths: list[Path], n_courses: int) -> np.ndarray:
    """How many learning paths include each course (K int64): demand for opening cohorts."""
    flat = np.fromiter(itertools.chain.from_iterable(p.courses for p in paths), dtype=np.int64)
    if flat.size and (flat.min() < 0 or flat.max() >= n_courses):
        raise ValueError(f"a path holds a course index outside 0..{n_courses - 1}")
    return np.bincount(flat, minlength=n_courses).astype(np.int64)
