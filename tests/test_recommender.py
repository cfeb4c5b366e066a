"""Unit tests of the recommender engine: small hand-checked cases, one rule each."""

import itertools
from fractions import Fraction
from pathlib import Path as FsPath

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recommender import (
    Mentor,
    MentorFinder,
    Path,
    Suggestion,
    course_demand,
    current_levels,
    explain,
    gap_matrix,
    learning_paths,
    rank_courses,
    required_levels,
)

ROOT = FsPath(__file__).resolve().parents[1]


# ----------------------------------------------------------------------------- evidence


def levels_from(rows, n_officials=1, n_competencies=1):
    frame = pd.DataFrame(rows, columns=["official", "competency", "level", "date", "source"])
    return current_levels(frame, n_officials, n_competencies)


def test_no_evidence_means_level_zero():
    assert levels_from([], 2, 3).tolist() == [[0, 0, 0], [0, 0, 0]]
    assert levels_from([], 2, 3).dtype == np.int8


def test_supervisor_overrides_a_later_self_assessment():
    rows = [(0, 0, 1, "2024-01-01", "supervisor"), (0, 0, 4, "2024-06-01", "self")]
    assert levels_from(rows)[0, 0] == 1


def test_latest_authoritative_assessment_wins_supervisor_or_test():
    rows = [(0, 0, 3, "2024-01-01", "test"), (0, 0, 1, "2024-03-01", "supervisor")]
    assert levels_from(rows)[0, 0] == 1


def test_a_closed_mentorship_weighs_as_the_supervisor_who_confirmed_it():
    rows = [(0, 0, 1, "2024-01-01", "supervisor"), (0, 0, 3, "2024-05-01", "mentoring"),
            (0, 1, 3, "2024-01-01", "mentoring"), (0, 1, 2, "2024-02-01", "supervisor"),
            (0, 2, 2, "2024-01-01", "mentoring"), (0, 2, 4, "2024-06-01", "self")]
    assert levels_from(rows, 1, 3).tolist() == [[3, 2, 2]]


def test_course_after_supervisor_raises_the_level():
    rows = [(0, 0, 1, "2024-01-01", "supervisor"), (0, 0, 3, "2024-02-01", "course")]
    assert levels_from(rows)[0, 0] == 3


def test_course_on_the_same_date_as_the_assessment_counts():
    rows = [(0, 0, 1, "2024-01-01", "supervisor"), (0, 0, 2, "2024-01-01", "course")]
    assert levels_from(rows)[0, 0] == 2


def test_course_before_supervisor_is_superseded():
    rows = [(0, 0, 3, "2024-01-01", "course"), (0, 0, 1, "2024-02-01", "supervisor")]
    assert levels_from(rows)[0, 0] == 1


def test_course_never_lowers_the_level():
    rows = [(0, 0, 3, "2024-01-01", "test"), (0, 0, 1, "2024-02-01", "course")]
    assert levels_from(rows)[0, 0] == 3


def test_course_alone_counts_its_highest_level():
    rows = [(0, 0, 2, "2024-01-01", "course"), (0, 0, 1, "2024-02-01", "course")]
    assert levels_from(rows)[0, 0] == 2


def test_self_counts_only_where_nothing_else_exists():
    rows = [
        (0, 0, 3, "2024-01-01", "self"),                 # alone: counts
        (0, 1, 3, "2024-06-01", "self"),                 # course exists: ignored
        (0, 1, 1, "2024-01-01", "course"),
        (0, 2, 2, "2024-01-01", "self"),                 # latest self wins
        (0, 2, 4, "2024-03-01", "self"),
    ]
    assert levels_from(rows, 1, 3).tolist() == [[3, 1, 4]]


def test_same_date_tie_goes_to_the_later_row():
    rows = [(0, 0, 2, "2024-01-01", "supervisor"), (0, 0, 4, "2024-01-01", "test"),
            (0, 1, 4, "2024-01-01", "test"), (0, 1, 2, "2024-01-01", "supervisor")]
    assert levels_from(rows, 1, 2).tolist() == [[4, 2]]


def test_evidence_is_kept_apart_per_official_and_competency():
    rows = [(1, 0, 2, pd.Timestamp("2024-01-01"), "test"), (0, 1, 3, "2024-01-01", "supervisor")]
    assert levels_from(rows, 2, 2).tolist() == [[0, 3], [2, 0]]


def test_unknown_source_is_rejected():
    with pytest.raises(ValueError, match="source"):
        levels_from([(0, 0, 2, "2024-01-01", "rumour")])


# ----------------------------------------------------------------------- requirements, gaps


def test_required_levels_bump_only_existing_requirements_and_clip_to_4():
    position_required = np.array([[2, 0, 4], [1, 1, 0]])
    region_bump = np.array([[1, 1, 1], [0, 0, 0]])
    region_weight = np.array([[0.5, 0.0, 1.0], [0.0, 0.0, 0.0]])
    required, weight = required_levels(position_required, np.array([0, 1, -1, 0]),
                                       region_bump, region_weight, np.array([0, 1, 0, -1]))
    assert required.dtype == np.int8 and weight.dtype == np.float32
    assert required.tolist() == [[3, 0, 4], [1, 1, 0], [0, 0, 0], [2, 0, 4]]
    assert weight.tolist() == [[1.5, 1.0, 2.0], [1.0, 1.0, 1.0], [1.5, 1.0, 2.0], [1.0, 1.0, 1.0]]


def test_a_region_floor_adds_a_requirement_to_every_placed_official_of_the_region():
    """KH-9 (issue 13 §5): an island requires sea sovereignty of every position, at least level
    2; a position requiring more keeps its own; an official without a position gets none; the
    floor never lowers a requirement and other regions are untouched."""
    position_required = np.array([[0, 3], [0, 1]])
    bump = np.zeros((2, 2), dtype=np.int8)
    weight = np.zeros((2, 2), dtype=np.float32)
    floor = np.array([[2, 2], [0, 0]])  # region 0: the island
    required, _ = required_levels(position_required, np.array([0, 1, -1, 0]), bump, weight,
                                  np.array([0, 0, 0, 1]), floor)
    assert required.tolist() == [[2, 3], [2, 2], [0, 0], [0, 3]]
    assert required.dtype == np.int8
    with pytest.raises(ValueError, match="region_floor"):
        required_levels(position_required, np.array([0]), bump, weight, np.array([0]),
                        np.zeros((1, 2)))


def test_gap_matrix_is_never_negative():
    gaps = gap_matrix(np.array([[3, 0, 2]]), np.array([[1, 2, 2]]))
    assert gaps.tolist() == [[2, 0, 0]] and gaps.dtype == np.int8


# ----------------------------------------------------------------------------- paths


def paths_for(required, current, levels, hours, prerequisites=None, blocked=None,
              satisfied=None, weight=None):
    required, current = np.atleast_2d(required), np.atleast_2d(current)
    levels = np.asarray(levels)
    n, k = required.shape[0], levels.shape[0]
    return learning_paths(
        required, current,
        np.ones(required.shape) if weight is None else np.atleast_2d(weight),
        levels, np.asarray(hours, dtype=float),
        np.zeros((k, k), bool) if prerequisites is None else np.asarray(prerequisites),
        np.zeros((n, k), bool) if blocked is None else np.atleast_2d(blocked),
        np.zeros((n, k), bool) if satisfied is None else np.atleast_2d(satisfied),
    )


def test_path_prefers_a_cheaper_pair_over_a_costly_single_course():
    levels = [[2, 2], [2, 0], [0, 2]]          # course 0 covers both, 1 and 2 one each
    [path] = paths_for([2, 2], [0, 0], levels, [40, 8, 8])
    assert path == Path(courses=[1, 2], hours=16.0, uncovered=[])


def test_path_prefers_a_single_course_when_it_is_cheaper_than_two():
    levels = [[2, 2], [2, 0], [0, 2]]
    [path] = paths_for([2, 2], [0, 0], levels, [10, 8, 8])
    assert path == Path(courses=[0], hours=10.0, uncovered=[])


def test_prerequisite_is_pulled_in_and_studied_first():
    levels = [[0, 0], [3, 0]]                   # course 1 requires course 0
    prerequisites = [[False, False], [True, False]]
    [path] = paths_for([3, 0], [0, 0], levels, [5, 10], prerequisites)
    assert path == Path(courses=[0, 1], hours=15.0, uncovered=[])


def test_prerequisite_hours_count_in_the_choice():
    # Course 1 is cheaper alone (10 h) but needs course 0 (30 h); course 2 takes 25 h.
    levels = [[0], [2], [2]]
    prerequisites = [[False, False, False], [True, False, False], [False, False, False]]
    [path] = paths_for([2], [0], levels, [30, 10, 25], prerequisites)
    assert path.courses == [2]


def test_prerequisites_are_pulled_in_transitively_in_order():
    levels = [[0], [0], [2]]                    # 2 requires 1, 1 requires 0
    prerequisites = [[False, False, False], [True, False, False], [False, True, False]]
    [path] = paths_for([2], [0], levels, [1, 1, 1], prerequisites)
    assert path.courses == [0, 1, 2]


def test_prerequisite_course_raises_levels_too():
    # Course 0 (prerequisite of 1) already closes the gap on competency 1.
    levels = [[0, 2], [2, 0], [0, 2]]
    prerequisites = [[False] * 3, [True, False, False], [False] * 3]
    [path] = paths_for([2, 2], [0, 0], levels, [2, 3, 20], prerequisites)
    assert path.courses == [0, 1]


def test_blocked_courses_are_never_recommended():
    levels = [[2], [2]]
    [path] = paths_for([2], [0], levels, [5, 50], blocked=[[True, False]])
    assert path.courses == [1]


def test_course_with_a_blocked_missing_prerequisite_is_not_taken():
    levels = [[0], [2], [2]]
    prerequisites = [[False] * 3, [True, False, False], [False] * 3]
    [path] = paths_for([2], [0], levels, [1, 1, 50], prerequisites, blocked=[[True, False, False]])
    assert path.courses == [2]


def test_satisfied_prerequisites_are_not_re_added():
    levels = [[0], [0], [2]]                    # 2 requires 1, 1 requires 0
    prerequisites = [[False, False, False], [True, False, False], [False, True, False]]
    done = [[False, True, False]]               # course 1 completed (without 0 on record)
    [path] = paths_for([2], [0], levels, [1, 1, 1], prerequisites, blocked=done, satisfied=done)
    assert path == Path(courses=[2], hours=1.0, uncovered=[])


def test_uncovered_gaps_are_reported():
    levels = [[2, 0, 0]]
    [path] = paths_for([2, 3, 0], [0, 0, 0], levels, [8])
    assert path == Path(courses=[0], hours=8.0, uncovered=[1])


def test_level_2_course_only_partially_closes_a_level_3_requirement():
    [path] = paths_for([3], [0], [[2]], [8])
    assert path == Path(courses=[0], hours=8.0, uncovered=[0])
    [suggestion] = rank_courses(np.array([[3]]), np.array([[0]]), np.ones((1, 1)), np.array([[2]]),
                                np.array([8.0]), np.zeros((1, 1), bool), np.zeros((1, 1), bool),
                                np.zeros((1, 1), bool))[0]
    assert suggestion == Suggestion(course=0, score=2.0, closes=[(0, 0, 3)])


def test_nothing_to_learn_gives_an_empty_path():
    [path] = paths_for([2], [3], [[4]], [8])
    assert path == Path(courses=[], hours=0.0, uncovered=[])


def test_weights_steer_the_choice():
    levels = [[2, 0], [0, 2]]
    [path] = paths_for([2, 2], [0, 0], levels, [10, 12], weight=[1.0, 2.0])
    assert path.courses == [1, 0]


def test_prerequisite_cycle_is_rejected():
    with pytest.raises(ValueError, match="cycle"):
        paths_for([2], [0], [[2], [2]], [1, 1], [[False, True], [True, False]])


def reference_path(req, cur, levels, hours, prerequisites, blocked, satisfied):
    """Slow, obvious exact path: every set of courses, smallest first; the valid ones (nothing
    blocked, every missing prerequisite inside) that close every gap a course can close; the
    fewest hours, then the fewest courses, then the lowest indices. Returns (sorted courses,
    hours, uncovered)."""
    n_courses, n_comp = len(hours), len(req)

    def valid(chosen):
        return all(not blocked[k] and all(satisfied[j] or j in chosen
                                          for j in range(n_courses) if prerequisites[k, j])
                   for k in chosen)

    def closure(k):
        out, stack = set(), [k]
        while stack:
            j = stack.pop()
            if j not in out:
                out.add(j)
                stack += [i for i in range(n_courses) if prerequisites[j, i] and not satisfied[i]]
        return out

    takeable = [k for k in range(n_courses) if valid(closure(k))]
    reach = [max([int(levels[k, c]) for k in takeable], default=0) for c in range(n_comp)]
    target = [min(int(req[c]), reach[c]) for c in range(n_comp)]
    best = None
    for size in range(n_courses + 1):
        for chosen in itertools.combinations(range(n_courses), size):
            if not valid(set(chosen)):
                continue
            level = [max([int(cur[c])] + [int(levels[k, c]) for k in chosen]) for c in range(n_comp)]
            if any(level[c] < target[c] for c in range(n_comp)):
                continue
            key = (sum(Fraction(float(hours[k])) for k in chosen), size, chosen)
            if best is None or key < best:
                best = key
    chosen = best[2]
    level = [max([int(cur[c])] + [int(levels[k, c]) for k in chosen]) for c in range(n_comp)]
    return (list(chosen), float(best[0]),
            [c for c in range(n_comp) if int(req[c]) > level[c]])


def random_problem(rng, n, c, k, prerequisite_density=0.05):
    required = rng.integers(0, 5, (n, c)) * (rng.random((n, c)) < 0.4)
    current = rng.integers(0, 4, (n, c))
    weight = 1.0 + 0.5 * rng.integers(0, 3, (n, c)) * (rng.random((n, c)) < 0.3)
    levels = rng.integers(1, 5, (k, c)) * (rng.random((k, c)) < 0.1)
    hours = rng.choice([4.0, 8.0, 16.0, 24.0, 40.0], k)
    prerequisites = np.triu(rng.random((k, k)) < prerequisite_density, 1)  # k requires j > k
    satisfied = rng.random((n, k)) < 0.1
    blocked = satisfied | (rng.random((n, k)) < 0.05)
    return required, current, weight, levels, hours, prerequisites, blocked, satisfied


def test_paths_match_the_exhaustive_reference():
    rng = np.random.default_rng(7)
    problem = random_problem(rng, 150, 10, 12, prerequisite_density=0.2)
    required, current, weight, levels, hours, prerequisites, blocked, satisfied = problem
    got = learning_paths(*problem)
    for i, path in enumerate(got):
        expected = reference_path(required[i], current[i], levels, hours, prerequisites,
                                  blocked[i], satisfied[i])
        assert (sorted(path.courses), path.hours, path.uncovered) == expected, i
    assert sum(len(p.courses) for p in got) > 150   # the case is not trivial


@st.composite
def small_catalogs(draw):
    """A few officials and a small catalog: prerequisite chains and trees (a course requires
    only courses of lower index), hours with ties, blocked and satisfied courses."""
    n_comp = draw(st.integers(1, 4))
    n_courses = draw(st.integers(1, 7))
    n_off = draw(st.integers(1, 3))
    ints = lambda lo, hi, shape: np.array(draw(st.lists(  # noqa: E731
        st.integers(lo, hi), min_size=int(np.prod(shape)), max_size=int(np.prod(shape)))),
        dtype=np.int64).reshape(shape)
    levels = ints(0, 4, (n_courses, n_comp))
    hours = np.array(draw(st.lists(st.sampled_from([0.0, 1.0, 2.0, 4.0, 8.0, 16.0]),
                                   min_size=n_courses, max_size=n_courses)))
    prerequisites = np.tril(ints(0, 1, (n_courses, n_courses)).astype(bool), -1)
    required, current = ints(0, 4, (n_off, n_comp)), ints(0, 4, (n_off, n_comp))
    satisfied = ints(0, 1, (n_off, n_courses)).astype(bool) & (ints(0, 3, (n_off, n_courses)) == 0)
    blocked = satisfied | (ints(0, 4, (n_off, n_courses)) == 0)
    weight = ints(1, 3, (n_off, n_comp)).astype(float)
    return required, current, weight, levels, hours, prerequisites, blocked, satisfied


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_catalogs())
def test_every_path_is_the_shortest_valid_cover(problem):
    """Property: against exhaustive enumeration, the path has the fewest hours, then courses,
    then lowest indices; it respects prerequisites and blocked courses; nothing can be
    dropped."""
    required, current, weight, levels, hours, prerequisites, blocked, satisfied = problem
    for i, path in enumerate(learning_paths(*problem)):
        assert (sorted(path.courses), path.hours, path.uncovered) == reference_path(
            required[i], current[i], levels, hours, prerequisites, blocked[i], satisfied[i])
        placed = set()
        for k in path.courses:
            assert not blocked[i, k]
            assert all(satisfied[i, j] or j in placed for j in np.flatnonzero(prerequisites[k]))
            placed.add(k)


def test_a_course_that_can_be_dropped_is_never_kept():
    # The greedy took the 8-hour course first (best ratio), then the 16-hour one, which alone
    # closes everything: the exact path is the 16-hour course.
    levels = [[2, 0, 0], [2, 2, 2]]
    [path] = paths_for([2, 2, 2], [0, 0, 0], levels, [8, 16], weight=[6.0, 1.0, 1.0])
    assert path == Path(courses=[1], hours=16.0, uncovered=[])


def test_ties_go_to_fewer_courses_then_lower_indices():
    levels = [[2, 2], [2, 0], [0, 2], [2, 2]]
    [path] = paths_for([2, 2], [0, 0], levels, [8, 4, 4, 8])   # 8 h each way
    assert path.courses == [0]                                 # one course, the lower index


def test_paths_for_all_officials_equal_paths_one_at_a_time():
    rng = np.random.default_rng(2024)
    problem = random_problem(rng, 2000, 40, 60)
    required, current, weight, levels, hours, prerequisites, blocked, satisfied = problem
    weight = weight + rng.random(weight.shape) * 0.3      # arbitrary float weights
    together = learning_paths(required, current, weight, levels, hours, prerequisites,
                              blocked, satisfied)
    alone = [learning_paths(required[i:i + 1], current[i:i + 1], weight[i:i + 1], levels, hours,
                            prerequisites, blocked[i:i + 1], satisfied[i:i + 1])[0]
             for i in range(len(required))]
    assert together == alone
    assert np.mean([len(p.courses) for p in together]) > 3


def test_path_order_respects_prerequisites_and_skips_blocked():
    rng = np.random.default_rng(3)
    problem = random_problem(rng, 300, 20, 30, prerequisite_density=0.15)
    _, _, _, _, _, prerequisites, blocked, satisfied = problem
    for i, path in enumerate(learning_paths(*problem)):
        seen = set()
        for k in path.courses:
            assert not blocked[i, k]
            assert all(j in seen or satisfied[i, j] for j in np.flatnonzero(prerequisites[k]))
            seen.add(k)


# ----------------------------------------------------------------------------- ranking


def test_rank_order_blocked_ties_and_explanation():
    required = np.array([[3, 2, 0]])
    current = np.array([[1, 0, 0]])
    weight = np.array([[1.0, 1.5, 1.0]])
    levels = np.array([
        [3, 2, 0],   # 0: closes 2*1 + 2*1.5 = 5
        [0, 2, 0],   # 1: closes 3 (10 h)
        [0, 2, 0],   # 2: closes 3 (4 h) -> before 1 on the tie
        [3, 0, 0],   # 3: closes 2, but blocked
        [0, 0, 4],   # 4: closes nothing
        [2, 0, 0],   # 5: closes 1
    ])
    hours = np.array([40.0, 10.0, 4.0, 1.0, 1.0, 2.0])
    prerequisites = np.zeros((6, 6), bool)
    prerequisites[0, 5] = True                  # missing prerequisites do not hide a course
    blocked = np.array([[False, False, False, True, False, False]])
    [ranked] = rank_courses(required, current, weight, levels, hours, prerequisites, blocked,
                            np.zeros((1, 6), bool))
    assert [s.course for s in ranked] == [0, 2, 1, 5]
    assert [s.score for s in ranked] == [5.0, 3.0, 3.0, 1.0]
    assert ranked[0].closes == [(0, 1, 3), (1, 0, 2)]
    assert ranked[3].closes == [(0, 1, 3)]
    names = ["Quản lý đất đai", "Chữ ký số", "Tiếng dân tộc"]
    assert explain(ranked[0].closes, names) == "Quản lý đất đai: hiện 1, yêu cầu 3; Chữ ký số: hiện 0, yêu cầu 2"
    [top2] = rank_courses(required, current, weight, levels, hours, prerequisites, blocked,
                          np.zeros((1, 6), bool), top=2)
    assert [s.course for s in top2] == [0, 2]


def test_rank_gives_an_empty_list_to_officials_without_gaps():
    ranked = rank_courses(np.array([[2], [0]]), np.array([[0], [0]]), np.ones((2, 1)),
                          np.array([[2]]), np.array([8.0]), np.zeros((1, 1), bool),
                          np.zeros((2, 1), bool), np.zeros((2, 1), bool))
    assert ranked == [[Suggestion(course=0, score=2.0, closes=[(0, 0, 2)])], []]


# ----------------------------------------------------------------------------- mentors


def test_mentors_same_unit_first_and_never_the_official():
    levels = np.array([
        [0, 0, 4],   # 0: the official, gaps on 0 and 1
        [3, 3, 0],   # 1: other unit, same region, coaches both
        [3, 0, 0],   # 2: same unit, coaches 0
        [1, 1, 1],   # 3: same unit, coaches nothing
        [4, 4, 4],   # 4: other unit, other region
        [0, 2, 0],   # 5: same unit, coaches 1 (level 2 >= required 2)
    ])
    unit = np.array([10, 11, 10, 10, 12, 10])
    region = np.array([1, 1, 1, 1, 2, 1])
    finder = MentorFinder(n_neighbors=5).fit(levels, unit, region)
    mentors = finder.suggest(0, np.array([3, 2, 1]))
    assert mentors == [
        Mentor(official=2, competencies=[0], same_unit=True),
        Mentor(official=5, competencies=[1], same_unit=True),
        Mentor(official=1, competencies=[0, 1], same_unit=False),
    ]
    assert [m.official for m in MentorFinder(n_neighbors=1).fit(levels, unit, region)
            .suggest(0, np.array([3, 2, 1]))] == [2]
    assert finder.suggest(4, np.array([4, 4, 4])) == []     # no gap, no mentor


def test_mentor_finder_follows_estimator_conventions():
    from sklearn.exceptions import NotFittedError

    finder = MentorFinder(n_neighbors=3)
    assert finder.get_params() == {"n_neighbors": 3}
    with pytest.raises(NotFittedError):
        finder.suggest(0, np.array([1, 1]))
    finder.fit(np.array([[0, 1], [2, 2]]), np.array([0, 0]), np.array([0, 0]))
    assert finder.n_features_in_ == 2 and finder.levels_.shape == (2, 2)


# ----------------------------------------------------------------------------- demand, layering


def test_course_demand_counts_paths_per_course():
    paths = [Path([0, 2], 10.0, []), Path([2], 5.0, [1]), Path([], 0.0, [])]
    assert course_demand(paths, 4).tolist() == [1, 0, 2, 0]


def test_an_empty_catalogue_gives_empty_paths():
    import numpy as np

    from recommender import learning_paths, rank_courses
    args = dict(required=np.ones((2, 3), np.int8), current=np.zeros((2, 3), np.int8),
                weight=np.ones((2, 3), np.float32), course_levels=np.zeros((0, 3), np.int8),
                course_hours=np.zeros(0, np.float32), prerequisites=np.zeros((0, 0), bool),
                blocked=np.zeros((2, 0), bool), satisfied=np.zeros((2, 0), bool))
    paths = learning_paths(**args)
    assert [p.courses for p in paths] == [[], []] and paths[0].uncovered == [0, 1, 2]
    assert rank_courses(**args) == [[], []]
