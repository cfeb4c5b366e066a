"""Current competency level of every official, derived from recorded evidence.

The level is never stored: it is recomputed from assessments (đánh giá) and course
completions each time, so a new record changes it without any bookkeeping.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SOURCES = ("self", "supervisor", "test", "course", "mentoring")
# A mentorship closes only with the supervisor's confirmation (KH-5): it weighs as theirs.
AUTHORITATIVE = ("supervisor", "test", "mentoring")
MAX_LEVEL = 4
_REQUIRED_COLUMNS = ("official", "competency", "level", "date", "source")


def _last_per_key(keys: np.ndarray, dates: np.ndarray, values: np.ndarray, size: int):
    """Dense arrays (value, date) of the latest row per key; ties on date: later row wins.

    Rows are assumed to be in input order; missing keys get value -1.
    """
    value_out = np.full(size, -1, dtype=np.int16)
    date_out = np.full(size, np.iinfo(np.int64).min, dtype=np.int64)
    if keys.size == 0:
        return value_out, date_out
    order = np.arange(keys.size)
    # lexsort: last key is primary -> by key, then date, then input order.
    idx = np.lexsort((order, dates, keys))
    k = keys[idx]
    last = np.ones(k.size, dtype=bool)
    last[:-1] = k[1:] != k[:-1]
    value_out[k[last]] = values[idx][last]
    date_out[k[last]] = dates[idx][last]
    return value_out, date_out


def _as_int64_dates(column: pd.Series) -> np.ndarray:
    dates = pd.to_datetime(column)
    if getattr(dates.dt, "tz", None) is not None:
        dates = dates.dt.tz_convert("UTC").dt.tz_localize(None)
    if dates.isna().any():
        raise ValueError(f"evidence has rows without a date: {np.flatnonzero(dates.isna().to_numpy())[:10].tolist()}")
    return dates.to_numpy(dtype="datetime64[ns]").view(np.int64)


def current_levels(evidence: pd.DataFrame, n_officials: int, n_competencies: int) -> np.ndarray:
    """Current level (0..4) of every official on every competency, as an ``int8`` N×C matrix.

    ``evidence`` has one row per recorded fact with the columns ``official`` and
    ``competency`` (integer indices), ``level`` (0..4), ``date`` (anything
    :func:`pandas.to_datetime` accepts; compared as datetime64, tz-aware dates in UTC) and
    ``source`` (``'self'``, ``'supervisor'``, ``'test'``, ``'course'`` or ``'mentoring'``).

    Rule, per (official, competency):

    1. The latest *authoritative* assessment — source ``'supervisor'``, ``'test'`` or
       ``'mentoring'`` (closed with the supervisor's confirmation) — sets the
       level. Several on the same date: the later row (input order) wins.
    2. ``'course'`` evidence dated on or after that assessment raises the level to at least the
       course's level; it never lowers it. Course evidence dated before the latest
       authoritative assessment is superseded by that assessment. Without any authoritative
       assessment, the highest course level counts.
    3. ``'self'`` assessments count only where there is no supervisor, test or course evidence
       at all; then the latest one (same date: later row) wins.
    4. No evidence: level 0.

    Fully vectorised (sorts and scatter-max over the whole table), no loop per row.
    """
    missing = [c for c in _REQUIRED_COLUMNS if c not in evidence.columns]
    if missing:
        raise ValueError(f"evidence is missing columns {missing}")
    n_officials, n_competencies = int(n_officials), int(n_competencies)
    size = n_officials * n_competencies
    result = np.zeros(size, dtype=np.int8)
    if len(evidence) == 0:
        return result.reshape(n_officials, n_competencies)

    official = evidence["official"].to_numpy(dtype=np.int64)
    competency = evidence["competency"].to_numpy(dtype=np.int64)
    level = evidence["level"].to_numpy(dtype=np.int16)
    # Hash-based coding: far faster than comparing a million Python strings.
    source = pd.Index(SOURCES).get_indexer(evidence["source"].astype(str))  # -1 = unknown
    dates = _as_int64_dates(evidence["date"])

    if official.min() < 0 or official.max() >= n_officials:
        raise ValueError(f"evidence official index outside 0..{n_officials - 1}")
    if competency.min() < 0 or competency.max() >= n_competencies:
        raise ValueError(f"evidence competency index outside 0..{n_competencies - 1}")
    if level.min() < 0 or level.max() > MAX_LEVEL:
        raise ValueError(f"evidence level outside 0..{MAX_LEVEL}")
    if (source < 0).any():
        unknown = sorted(set(evidence["source"][source < 0].astype(str)))
        raise ValueError(f"unknown evidence source(s) {unknown}; expected one of {SOURCES}")

    key = official * n_competencies + competency
    is_auth = np.isin(source, [SOURCES.index(s) for s in AUTHORITATIVE])
    is_course = source == SOURCES.index("course")
    is_self = source == SOURCES.index("self")

    auth_level, auth_date = _last_per_key(key[is_auth], dates[is_auth], level[is_auth], size)

    # Course completions count only on/after the latest authoritative assessment (if any).
    c_key, c_date, c_level = key[is_course], dates[is_course], level[is_course]
    counts = c_date >= auth_date[c_key]  # auth_date is int64 min where there is none
    course_level = np.full(size, -1, dtype=np.int16)
    np.maximum.at(course_level, c_key[counts], c_level[counts])
    has_course = np.zeros(size, dtype=bool)
    has_course[c_key] = True  # any course evidence, even superseded, silences 'self'

    self_level, _ = _last_per_key(key[is_self], dates[is_self], level[is_self], size)

    combined = np.maximum(auth_level, course_level)
    use_self = (auth_level < 0) & ~has_course
    combined = np.where(use_self, self_level, combined)
    result[:] = np.maximum(combined, 0)
    return result.reshape(n_officials, n_competencies)
