"""Query results as pandas frames, fast: pandas builds a frame from SQLAlchemy Row objects one
attribute probe at a time, which costs seconds at province scale; transposing first does not."""
from __future__ import annotations

import pandas as pd

from trainer.core.extensions import db


def select_frame(stmt, columns: list[str]) -> pd.DataFrame:
    # Core execution on the session's connection: same transaction, no ORM row processing.
    rows = db.session.connection().execute(stmt).all()
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    return pd.DataFrame(dict(zip(columns, (list(col) for col in zip(*rows)))))
