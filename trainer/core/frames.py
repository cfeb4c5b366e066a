"""Query results as pandas frames, fast and lean.

- pandas builds a frame from SQLAlchemy Row objects one attribute probe at a time, which costs
  seconds at province scale; transposing the rows into column lists first does not.
- Rows become Python objects in batches (the driver's fetchmany), so a national query (2.3
  million assessments at 250,000 officials) never holds every row at once: only the column
  lists that become the frame.
- The garbage collector is paused meanwhile: millions of new, living objects (values, never
  cycles) made it sweep the growing lists again and again — 11 s of a 15 s read at 250,000 on
  PostgreSQL, 1.6 s without. (A server-side cursor, `yield_per`, was slower still.)

`select_frame` gives values as SQLAlchemy types them (dates as `date` on every database);
`raw_frame` reads the DBAPI cursor itself, skipping SQLAlchemy's per-value processing, and
parses the named date columns with pandas in one pass."""
from __future__ import annotations

import gc
from collections.abc import Iterable

import pandas as pd

from trainer.core.extensions import db

BATCH = 100_000


def _column_lists(batches: Iterable, width: int) -> list[list]:
    values: list[list] = [[] for _ in range(width)]
    collecting = gc.isenabled()
    gc.disable()
    try:
        for rows in batches:
            for column, part in zip(values, zip(*rows)):
                column.extend(part)
    finally:
        if collecting:
            gc.enable()
    return values


def _frame(columns: list[str], values: list[list]) -> pd.DataFrame:
    if not values[0]:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    return pd.DataFrame(dict(zip(columns, values)))


def select_frame(stmt, columns: list[str]) -> pd.DataFrame:
    # Core execution on the session's connection: same transaction, no ORM row processing.
    result = db.session.connection().execute(stmt)
    return _frame(columns, _column_lists(result.partitions(BATCH), len(columns)))


def raw_frame(stmt, columns: list[str], dates: tuple[str, ...] = ()) -> pd.DataFrame:
    """Columns as the driver gives them; `dates` parsed by pandas (ISO text on SQLite, date
    objects on PostgreSQL)."""
    result = db.session.connection().execute(stmt)
    try:
        cursor = result.cursor
        frame = _frame(columns, _column_lists(iter(lambda: cursor.fetchmany(BATCH), []),
                                              len(columns)))
    finally:
        result.close()
    for c in dates:
        frame[c] = pd.to_datetime(frame[c], format="ISO8601") if len(frame) and isinstance(
            frame[c].iloc[0], str) else pd.to_datetime(frame[c])
    return frame
