"""What the officials' list (/can-bo) reads: the choices of its filters, the officials matching
them with their number of gaps, one page of them, and the Excel export of the whole list.

Everything comes in as arguments: nothing here reads the request or the signed-in user (the
view parses the parameters, passes the user's scope and writes the audit row)."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa

from courses import vocab
from trainer.catalog.models import Competency, Position
from trainer.core.display import fold, name_key
from trainer.core.extensions import db
from trainer.guidance.operations import load_catalogue, load_population
from trainer.learning.queries import officials_frame
from trainer.org.models import Unit
from trainer.org.queries import unit_subtree_ids
from trainer.people.models import Official
from trainer.people.periods import KINDS, period_end, period_label
from trainer.people.ratings import ratings_of
from trainer.plans.operations import reviews_of
from trainer.reports.operations import Filters, filter_clause


@dataclass
class FilterChoices:
    units: list[Unit]  # open units in scope, by code (a merged unit holds nobody)
    positions: list[Position]  # by name
    competencies: list[Competency]  # by name


def filter_choices(unit_ids: list[int] | None) -> FilterChoices:
    """The filters' choices for a user who sees the units `unit_ids` (None: every unit)."""
    units = db.session.scalars(sa.select(Unit).where(
        Unit.id.in_(unit_ids) if unit_ids is not None else sa.true(),
        Unit.closed_on.is_(None)).order_by(Unit.code)).all()
    positions = db.session.scalars(sa.select(Position).order_by(Position.name)).all()
    competencies = db.session.scalars(sa.select(Competency).order_by(Competency.name)).all()
    return FilterChoices(units, positions, competencies)


def officials_where(scope, *, unit_id: int | None = None, exact: bool = False,
                    position_id: int | None = None, group: str | None = None,
                    region: str | None = None, young_age: int):
    """The user's `scope` (an SQL clause on Official) narrowed by the filters SQL can apply:
    the unit and everything under it (`exact`: the unit alone), the position, and the priority
    group (young / female / minority) and region of the gap reports."""
    where = scope
    if unit_id:
        sub = [unit_id] if exact else unit_subtree_ids(unit_id)
        where = sa.and_(where, Official.unit_id.in_(sub))
    if position_id:
        where = sa.and_(where, Official.position_id == position_id)
    if group or region:
        where = sa.and_(where, filter_clause(Filters(region=region, group=group or None,
                                                     young_age=young_age)))
    return where


def officials_found(where, *, gap_id: int | None = None, q: str | None = None) -> pd.DataFrame:
    """The officials matching `where`, each with their number of gaps ("gaps"); only those
    lacking the competency `gap_id`, and whose name or code holds `q` (accents and case aside)
    when given. By commune, then name."""
    df = officials_frame(where)
    cat = load_catalogue()
    pop = load_population(cat, where)
    gaps = pop.gaps
    n_gaps = dict(zip(pop.official_ids.tolist(), (gaps > 0).sum(axis=1).tolist()))
    df["gaps"] = df["id"].map(n_gaps).fillna(0).astype(int)
    if gap_id and gap_id in cat.comp_index:
        col = gaps[:, cat.comp_index[gap_id]] > 0
        df = df[df["id"].isin(pop.official_ids[col])]
    if q:
        needle = fold(q)
        df = df[(df["full_name"].map(fold).str.contains(needle, regex=False))
                | df["code"].str.casefold().str.contains(needle, regex=False)]
    return (df.assign(_key=df["full_name"].map(name_key))
            .sort_values(["commune_name", "_key"]).drop(columns="_key"))


def page_of(df: pd.DataFrame, page: int, size: int) -> tuple[list[dict], int, int]:
    """Page `page` (from 1) of `size` rows, as dicts; the number of rows and of pages."""
    total = len(df)
    rows = df.iloc[(page - 1) * size: page * size].to_dict("records")
    return rows, total, max(1, -(-total // size))


def export_frame(df: pd.DataFrame) -> pd.DataFrame:
    """The list as the Excel sheet, Vietnamese headers."""
    scales = vocab.QUALIFICATION_SCALES
    return pd.DataFrame({
        "Họ và tên": df["full_name"], "Mã cán bộ": df["code"],
        "Ngày sinh": pd.to_datetime(df["birth_date"]),
        "Giới tính": df["gender"].map(dict(vocab.GENDERS)), "Dân tộc": df["ethnicity"],
        "Đơn vị": df["unit_name"], "Xã, phường": df["commune_name"],
        "Vị trí việc làm": df["position_name"].fillna(""),
        **{vocab.QUALIFICATION_LABELS[k]: df[k + "_rank"].map(dict(enumerate(
            label for _, label in scales[k]))) for k in ("education", "political_theory",
                                                         "state_management", "it_level")},
        "Số năng lực thiếu": df["gaps"]})


def export_unit_name(unit_id: int | None, own_unit_id: int | None) -> str:
    """The unit an export is headed with: the unit filtered on, else the user's own unit, else
    the whole province."""
    unit = db.session.get(Unit, unit_id) if unit_id else None
    if unit is None and own_unit_id:
        unit = db.session.get(Unit, own_unit_id)
    return unit.name if unit else "Toàn tỉnh"


# --------------------------------------------------------------------------- ratings (KH-6, KH-7)

@dataclass
class RatingRow:
    rating: object  # people.models.Rating
    label: str  # "Quý 3/2026"
    reviews: list  # plans.models.PostTrainingReview shown beside it (KH-6)


def ratings_with_reviews(official_id: int) -> list[tuple[str, list[RatingRow]]]:
    """The official's ratings grouped by kind (year, quarter, month; latest first), each with
    the post-training reviews it is the next rating for (KH-6, docs/ratings.md): a review goes
    beside the earliest rating of each kind whose period ends on or after the review's date —
    the reviews recorded after the previous rating of that kind ended, up to this period's
    end. A review after every rating's period waits for the next one (the reviews' own list
    shows it)."""
    ratings = ratings_of(official_id)
    reviews = sorted(reviews_of(official_id), key=lambda r: (r.reviewed_on, r.id))
    groups = []
    for kind in KINDS:
        mine = [r for r in ratings if r.period == kind]  # latest first
        rows = []
        for i, r in enumerate(mine):
            end = period_end(r.period, r.period_no, r.year)
            before = None if i + 1 == len(mine) else period_end(
                mine[i + 1].period, mine[i + 1].period_no, mine[i + 1].year)
            rows.append(RatingRow(r, period_label(r.period, r.period_no, r.year), [
                v for v in reviews if v.reviewed_on <= end
                and (before is None or v.reviewed_on > before)]))
        if rows:
            groups.append((vocab.label(vocab.RATING_PERIODS, kind), rows))
    return groups

