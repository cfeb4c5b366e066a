"""Recording a rating by period (KH-7, LC-b, TQ III.2): one per official and period; recording
the same period again updates it. The same operation serves HR's form on the official's record;
the import (interchange) applies the same period rules (periods.period_problem)."""
from __future__ import annotations

import sqlalchemy as sa

from courses import vocab
from trainer.core import events
from trainer.core.errors import DomainError
from trainer.core.extensions import db
from trainer.core.timeutil import today
from trainer.people.models import Official, Rating
from trainer.people.periods import check_period, sort_key

NOTE_MAX = 2000  # the work results a rating rests on (KH-7), a paragraph


def record_rating(official: Official, *, kind: str, no: int, year: int, rating: str,
                  note: str = "") -> tuple[Rating, bool]:
    """The official's rating for the period (created, or updated when that period already has
    one); (the rating, whether it was new)."""
    if rating not in vocab.codes(vocab.RATINGS):
        raise DomainError("Chọn mức xếp loại.")
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise DomainError(f"Kết quả công việc tối đa {NOTE_MAX} ký tự.")
    period = check_period(kind, no, year, today())
    found = db.session.scalar(sa.select(Rating).where(
        Rating.official_id == official.id, Rating.year == year, Rating.period == kind,
        Rating.period_no == no))
    new = found is None
    if new:
        found = Rating(official_id=official.id, year=year, period=kind, period_no=no)
        db.session.add(found)
    found.rating, found.note = rating, note
    events.audit("rating", subject_type="official", subject_id=official.id,
                 detail=f"{period.label}: {vocab.label(vocab.RATINGS, rating)}"
                        + ("" if new else " (cập nhật)"))
    db.session.flush()
    return found, new


def ratings_of(official_id: int) -> list[Rating]:
    """An official's ratings, latest period first (by the period's end; a year before the
    December and the fourth quarter that end with it)."""
    rows = db.session.scalars(sa.select(Rating).where(Rating.official_id == official_id)).all()
    return sorted(rows, key=lambda r: sort_key(r.period, r.period_no, r.year), reverse=True)
