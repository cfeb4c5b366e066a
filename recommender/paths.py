"""Course ranking and learning paths (lộ trình học) for all officials at once.

The learning path is exact: the set of courses with the fewest total hours that closes every
gap a course can close (hours of missing prerequisites included), ties to fewer courses, then
to the lower course indices (the caller orders courses by code). It is found per distinct
problem — officials with the same gaps, blocked and satisfied courses share one — by a
branch and bound over the gaps (`_Solver`), which proves its answer optimal. A path is then
never redundant: dropping a course would leave a gap open or a prerequisite missing, or the
same cover would cost fewer courses.

Exactness of comparisons. Hours are compared as integers (a power-of-two fraction of an hour,
1/64 h unless the catalog is huge), gap weights (for the ranking and the study order) as
multiples of 1/65536, so nothing depends on summation order or on how many officials are
computed together.
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
    hours_q_int: list         # the same as Python ints
    reach_by_level: np.ndarray  # (4C)×K float64: [v*C + c, k] = levels[k, c] >= v+1
    topo_pos: np.ndarray      # K int: position in a topological order (prerequisites first)


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

    return _Catalog(
        levels=levels, hours=hours, hours_q=hours_q, hours_q_int=[int(h) for h in hours_q],
        reach_by_level=level_flags.T.astype(np.float64), topo_pos=topo_pos,
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


def _chunk_size(n_competencies: int, n_courses: int, chunk_size: int | None) -> int:
    if chunk_size is not None:
        if chunk_size < 1:
            raise ValueError("chunk_size must be at least 1")
        return int(chunk_size)
    per_official = (3 * 4 * n_competencies * 8             # level indicators
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


class _Solver:
    """Exact minimum-hours learning paths over one catalog, one distinct problem at a time.

    A problem: the level each competency must reach (0: no gap), the blocked courses (never
    recommended) and the satisfied ones (count as met prerequisites). Course sets are Python
    ints used as bit sets. What depends only on the blocked and satisfied courses (the courses
    that may be taken, with their missing prerequisites) is kept per such pair, and each set of
    gaps to close is solved once."""

    def __init__(self, cat: _Catalog, prerequisites: np.ndarray):
        self.levels = cat.levels
        self.hours_q = cat.hours_q_int
        self.prereqs = [np.flatnonzero(row).tolist() for row in prerequisites]
        self.prereq_bits = [sum(1 << j for j in row) for row in self.prereqs]
        # meeting[c][t]: the courses reaching level t on competency c
        self.meeting = [[np.flatnonzero(cat.levels[:, c] >= t).tolist()
                         for t in range(MAX_LEVEL + 1)] for c in range(cat.levels.shape[1])]
        self.n_courses = len(self.hours_q)
        nothing = np.zeros(self.n_courses, dtype=bool)
        self._base = [self._closure(k, nothing, nothing) for k in range(self.n_courses)]
        self._takeable: dict[bytes, tuple[dict[int, int], np.ndarray]] = {}
        self._solved: dict[tuple, int] = {}

    def _closure(self, k: int, blocked, satisfied) -> int | None:
        """Course k with its missing prerequisites, transitively (a satisfied course needs
        nothing); None when k or one of them is blocked."""
        bits, stack = 0, [k]
        while stack:
            j = stack.pop()
            if bits >> j & 1:
                continue
            if blocked[j]:
                return None
            bits |= 1 << j
            stack.extend(i for i in self.prereqs[j] if not satisfied[i])
        return bits

    def _courses(self, blocked, satisfied, key: bytes) -> tuple[dict[int, int], np.ndarray]:
        """The courses that may be taken, each with its closure, and the highest level they
        reach on each competency. A closure differs from the catalog's own only where it meets
        a blocked or satisfied course."""
        if key not in self._takeable:
            touched = _bits_of(blocked | satisfied)
            closures = {}
            for k in np.flatnonzero(~blocked).tolist():
                base = self._base[k]
                bits = base if not base & touched & ~(1 << k) else self._closure(
                    k, blocked, satisfied)
                if bits is not None:
                    closures[k] = bits
            reach = (self.levels[list(closures)].max(axis=0) if closures
                     else np.zeros(self.levels.shape[1], dtype=self.levels.dtype))
            self._takeable[key] = (closures, reach)
        return self._takeable[key]

    def _cost(self, bits: int) -> int:
        total = 0
        while bits:
            low = bits & -bits
            total += self.hours_q[low.bit_length() - 1]
            bits ^= low
        return total

    def solve(self, need: np.ndarray, have: np.ndarray, blocked: np.ndarray,
              satisfied: np.ndarray) -> int:
        """The optimal course set (bits) closing every gap a course can close: competency c
        must go from `have[c]` up to `need[c]` (0: no gap), as far as a course reaches."""
        courses_key = np.packbits(blocked).tobytes() + np.packbits(satisfied).tobytes()
        closures, reach = self._courses(blocked, satisfied, courses_key)
        target = np.minimum(need, reach)
        comps = np.flatnonzero(target > have)
        if comps.size == 0:
            return 0
        key = (comps.tobytes(), target[comps].tobytes(), courses_key)
        if key not in self._solved:
            self._solved[key] = self._search(closures, comps, target[comps])
        return self._solved[key]

    def _search(self, closures: dict[int, int], comps: np.ndarray, target: np.ndarray) -> int:
        """Branch and bound: branch on the open gap with the fewest ways to close it, the
        cheapest way first; prune on the dearest open gap's cheapest way (a lower bound)."""
        options = [[k for k in self.meeting[c][t] if k in closures]
                   for c, t in zip(comps.tolist(), target.tolist())]
        covers: dict[int, int] = {}  # course -> the gaps it closes (prerequisites teach too)
        for g, ks in enumerate(options):
            for k in ks:
                covers[k] = covers.get(k, 0) | 1 << g
        by_ways = sorted(range(comps.size), key=lambda g: (len(options[g]), g))  # branch order
        everything = (1 << comps.size) - 1
        cost_of = self._cost
        alone = {k: cost_of(closures[k]) for ks in options for k in ks}
        # For the second bound: gaps no single course closes together each need a course of
        # their own, at least the cheapest of their ways' own hours.
        option_bits = [sum(1 << k for k in ks) for ks in options]
        own = [min(self.hours_q[k] for k in ks) for ks in options]

        def extra(k: int, bits: int) -> int:
            """Hours the course adds to `bits` (with its missing prerequisites not yet in)."""
            closure = closures[k]
            return alone[k] if not closure & bits else cost_of(closure & ~bits)

        def covered(bits: int) -> int:
            out = 0
            while bits:
                low = bits & -bits
                out |= covers.get(low.bit_length() - 1, 0)
                bits ^= low
            return out


        best: list = [None, 0]  # ((hours, count, courses), bits)
        seen: set[int] = set()

        def search(bits: int, done: int, cost: int) -> None:
            if done == everything:
                found = (cost, bin(bits).count("1"), tuple(_members(bits)))
                if best[0] is None or found < best[0]:
                    best[0], best[1] = found, bits
                return
            open_gaps = [g for g in by_ways if not done >> g & 1]
            if best[0] is not None:
                bound = max(min(extra(k, bits) for k in options[g]) for g in open_gaps)
                apart, alone_gaps, used = 0, 0, 0
                for g in open_gaps:
                    if not option_bits[g] & used:
                        apart, alone_gaps = apart + own[g], alone_gaps + 1
                        used |= option_bits[g]
                least = (cost + max(bound, apart), bin(bits).count("1") + alone_gaps)
                if least > best[0][:2]:
                    return
            for add, k in sorted((extra(k, bits), k) for k in options[open_gaps[0]]):
                grown = bits | closures[k]
                if grown not in seen:
                    seen.add(grown)
                    search(grown, done | covered(closures[k]), cost + add)

        search(0, 0, 0)
        return best[1]


def _bits_of(mask: np.ndarray) -> int:
    return sum(1 << k for k in np.flatnonzero(mask).tolist())


def _members(bits: int) -> list[int]:
    """The indices in a bit set, lowest first."""
    out = []
    while bits:
        low = bits & -bits
        out.append(low.bit_length() - 1)
        bits ^= low
    return out


def _study_order(bits: int, req, cur, wq, cat: _Catalog, prereq_bits: list[int],
                 satisfied: np.ndarray) -> list[int]:
    """The path's courses in study order: quick wins first — by the weighted gap each course
    closes from the current levels per hour (its waiting prerequisites' hours included, and
    those prerequisites studied just before it); ties: the larger gap, then the lower index."""
    chosen = _members(bits)
    if len(chosen) == 1:
        return chosen
    gaps = np.flatnonzero(req > cur)
    lift = np.minimum(cat.levels[np.ix_(chosen, gaps)], req[gaps]) - cur[gaps]
    own = dict(zip(chosen, (np.maximum(lift, 0) * wq[gaps]).sum(axis=1).tolist()))
    waiting = bits & ~_bits_of(satisfied) if any(prereq_bits[k] & bits for k in chosen) else 0

    def group(k: int) -> list[int]:
        """k and the courses of the path it waits for, transitively, prerequisites first."""
        members, stack = 0, [k]
        while stack:
            j = stack.pop()
            if not members >> j & 1:
                members |= 1 << j
                stack.extend(_members(prereq_bits[j] & waiting))
        return sorted(_members(members), key=lambda j: cat.topo_pos[j])

    def rank(k: int):
        members = group(k) if waiting else [k]
        gain = sum(own[j] for j in members)
        cost = sum(cat.hours_q_int[j] for j in members)
        ratio = gain / cost if cost else float("inf")
        return (-ratio, -gain, k), members

    order, placed = [], set()
    for _, members in sorted(rank(k) for k in chosen):
        for j in members:
            if j not in placed:
                order.append(j)
                placed.add(j)
    return order


def _ragged_rows(mask: np.ndarray, values: np.ndarray | None = None) -> list[list[int]]:
    """Per row, the column indices (or ``values``) where ``mask`` is True, as Python lists."""
    rows, cols = np.nonzero(mask)
    data = (cols if values is None else values[rows, cols]).tolist()
    bounds = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=mask.shape[0]))]).tolist()
    return [data[a:b] for a, b in zip(bounds[:-1], bounds[1:])]


def learning_paths(required, current, weight, course_levels, course_hours, prerequisites,
                   blocked, satisfied) -> list[Path]:
    """The shortest learning path of every official ("thiếu gì học nấy", LC-P1).

    Model: a course teaching competency c at level L moves the official's level on c to
    ``max(current, L)``. A course may be taken when neither it nor any of its missing
    prerequisites (transitively; a ``satisfied`` course counts as met and its own prerequisites
    are not needed) is ``blocked``. Each gap is closed up to the highest level such a course
    reaches; what is still lacking then is reported as ``uncovered``.

    The path is the set of courses, with their missing prerequisites, of the fewest total hours
    that closes all of that; ties go to fewer courses, then to the lower course indices. It is
    exact (module docstring): never longer than another cover, never holding a course that can
    be dropped. ``weight`` does not change which courses: it orders them (`_study_order`) —
    quick wins first: the most weighted gap per hour, prerequisites just before their course.

    Arguments: ``required``, ``current`` (N×C int), ``weight`` (N×C float), ``course_levels``
    (K×C int, level reached on completion, 0 = not taught), ``course_hours`` (K),
    ``prerequisites`` (K×K bool, ``[k, j]`` = course k requires course j), ``blocked`` (N×K bool:
    never recommended) and ``satisfied`` (N×K bool: counts as a met prerequisite).
    """
    req, cur, wq, blocked, satisfied = _validate_officials(
        required, current, weight, blocked, satisfied, np.asarray(course_levels).shape[0])
    cat = _prepare_catalog(course_levels, course_hours, prerequisites, req.shape[1])
    prerequisites = np.asarray(prerequisites, dtype=bool)
    n, n_courses = blocked.shape
    gap = req > cur
    need, have = np.where(gap, req, 0).astype(np.int8), np.where(gap, cur, 0).astype(np.int8)
    problems = np.concatenate([need.view(np.uint8), have.view(np.uint8),
                               np.packbits(blocked, axis=1), np.packbits(satisfied, axis=1)],
                              axis=1)
    solver = _Solver(cat, prerequisites)
    solved: dict[bytes, int] = {}  # officials with the same problem share one solve
    path_bits, keys = [], [problems[i].tobytes() for i in range(n)]
    for i, key in enumerate(keys):
        if key not in solved:
            solved[key] = solver.solve(need[i], have[i], blocked[i], satisfied[i])
        path_bits.append(solved[key])
    chosen = np.zeros((n, n_courses), dtype=bool)
    members = [_members(b) for b in path_bits]
    rows = np.repeat(np.arange(n), [len(m) for m in members])
    chosen[rows, np.fromiter(itertools.chain.from_iterable(members), dtype=np.int64,
                             count=rows.size)] = True
    reached = cur.copy()
    for k in np.flatnonzero(chosen.any(axis=0)).tolist():  # over courses, vectorised over people
        reached[chosen[:, k]] = np.maximum(reached[chosen[:, k]], cat.levels[k])
    uncovered = _ragged_rows(req > reached)
    hours = np.where(chosen, cat.hours, 0.0).sum(axis=1).tolist()
    orders: dict[tuple, list[int]] = {}  # the order depends on the problem and gap weights
    paths = []
    for i, b in enumerate(path_bits):
        key = (keys[i], (wq[i] * gap[i]).tobytes())
        if key not in orders:
            orders[key] = _study_order(b, req[i], cur[i], wq[i], cat, solver.prereq_bits,
                                       satisfied[i])
        paths.append(Path(courses=list(orders[key]), hours=hours[i], uncovered=uncovered[i]))
    return paths


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
    size = _chunk_size(req.shape[1], n_courses, chunk_size)
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
