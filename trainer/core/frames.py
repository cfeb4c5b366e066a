"""Query results as pandas frames, fast and lean: pandas builds a frame from SQLAlchemy Row
objects one attribute probe at a time, which costs seconds at province scale; transposing first
does not. Rows are read in batches (a server-side cursor on PostgreSQL), so a national query
(2.3 million assessments at 250,000 officials) never holds every Row object at once: only the
column lists that become the frame."""
from __future__ import annotations

import pandas as pd

from trainer.core.extensions import db

BATCH = 100_000


def select_frame(stmt, columns: list[str]) -> pd.DataFrame:
    # Core execution on the session's connection: same transaction, no ORM row processing.
    result = db.session.connection().execute(stmt, execution_options={"yield_per": BATCH})
    values: list[list] = [[] for _ in columns]
    for rows in result.partitions():
        for column, part in zip(values, zip(*rows)):
            column.extend(part)
    if not values or not values[0]:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    return pd.DataFrame(dict(zip(columns, values)))
