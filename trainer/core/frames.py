"""Query results as pandas frames, fast and lean.

- pandas builds a frame from SQLAlchemy Row objects one attribute probe at a time, which costs
  seconds at province scale; transposing the rows into column lists first does not.
- Rows are fetched and turned into a frame a batch at a time (the driver's fetchmany), so a
  national query (2.3 million assessments at 250,000 officials) never holds every row's Python
  objects at once: a batch's ids and levels become numpy columns and its objects are freed.
  The batches' frames are then put together; a column pandas typed differently in two batches
  (numbers in one, only empty values in another) is typed as the whole column would be.
- The garbage collector is paused meanwhile: millions of new, living objects (values, never
  cycles) made it sweep again and again — 11 s of a 15 s read at 250,000 on PostgreSQL, 1.6 s
  without. (A server-side cursor, `yield_per`, was slower still.)

`select_frame` gives values as SQLAlchemy types them (dates as `date` on every database);
`raw_frame` reads the DBAPI cursor itself, skipping SQLAlchemy's per-value processing, and
parses the named date columns with pandas (ISO text on SQLite, date objects on PostgreSQL)."""
from __future__ import annotations

import gc
from collections.abc import Iterable

import numpy as np
import pandas as pd

from trainer.core.extensions import db

BATCH = 100_000
ID_RANGE = 32_768  # ids of officials whose rows of a large table one query reads (`id_ranges`)


def id_ranges(ids) -> list[tuple[int, int]]:
    """[first, last] ranges of ID_RANGE ids covering `ids` (officials' ids): a national table
    read a range at a time, because the driver holds a whole result in memory (the 2.3 million
    assessments of 250,000 officials in one result cost 500 MB more at the peak)."""
    ids = np.asarray(ids, dtype=np.int64)
    if not len(ids):
        return []
    first, last = int(ids.min()), int(ids.max())
    return [(a, min(a + ID_RANGE - 1, last)) for a in range(first, last + 1, ID_RANGE)]


def _parse_dates(frame: pd.DataFrame, dates: tuple[str, ...]) -> pd.DataFrame:
    for c in dates:
        frame[c] = pd.to_datetime(frame[c], format="ISO8601") if len(frame) and isinstance(
            frame[c].iloc[0], str) else pd.to_datetime(frame[c])
    return frame


def _frames(batches: Iterable, columns: list[str], dates: tuple[str, ...] = (),
            convert=None) -> pd.DataFrame:
    parts = []
    collecting = gc.isenabled()
    gc.disable()
    try:
        for rows in batches:
            values = dict(zip(columns, (list(col) for col in zip(*rows))))
            frame = _parse_dates(pd.DataFrame(values), dates)
            parts.append(convert(frame) if convert else frame)
    finally:
        if collecting:
            gc.enable()
    if not parts:
        empty = _parse_dates(pd.DataFrame({c: pd.Series(dtype=object) for c in columns}), dates)
        return convert(empty) if convert else empty
    if len(parts) == 1:
        return parts[0]
    frame = pd.concat(parts, ignore_index=True)
    mixed = [c for c in frame.columns if frame[c].dtype == object
             and any(p[c].dtype != object for p in parts)]
    if mixed:
        frame[mixed] = frame[mixed].infer_objects()
    return frame


def select_frame(stmt, columns: list[str]) -> pd.DataFrame:
    # Core execution on the session's connection: same transaction, no ORM row processing.
    result = db.session.connection().execute(stmt)
    return _frames(result.partitions(BATCH), columns)


def raw_frame(stmt, columns: list[str], dates: tuple[str, ...] = (), *,
              convert=None) -> pd.DataFrame:
    """Columns as the driver gives them; `dates` parsed by pandas. `convert(frame)`: applied
    to each batch's frame as it comes (to compact types: a national table's Python objects
    are never all alive at once)."""
    result = db.session.connection().execute(stmt)
    try:
        cursor = result.cursor
        return _frames(iter(lambda: cursor.fetchmany(BATCH), []), columns, dates, convert)
    finally:
        result.close()
