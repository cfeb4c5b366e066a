"""Rating periods (KH-7, LC-b, TQ III.2): a year, a quarter or a month of a year — the one place
that names a period, gives its first and last day, reads it as people type it and says whether
it may be rated. docs/ratings.md describes the rules.

A period is (`kind`, `no`, `year`) as stored on a Rating (`period`, `period_no`, `year`):
("year", 0, 2025), ("quarter", 3, 2026), ("month", 11, 2026)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from courses import vocab
from trainer.core.display import fold
from trainer.core.errors import DomainError

KINDS = vocab.codes(vocab.RATING_PERIODS)  # year, quarter, month
LAST_NO = {"year": 0, "quarter": 4, "month": 12}
FIRST_YEAR = 2000  # nothing in the province's records is older
ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
FORMAT_HINT = "viết 2025, Quý 3/2026 hoặc Tháng 11/2026"


@dataclass(frozen=True, order=True)
class Period:
    year: int
    kind: str
    no: int

    @property
    def label(self) -> str:
        return period_label(self.kind, self.no, self.year)

    @property
    def start(self) -> date:
        return period_start(self.kind, self.no, self.year)

    @property
    def end(self) -> date:
        return period_end(self.kind, self.no, self.year)


def _months(kind: str, no: int) -> tuple[int, int]:
    """First and last month of a period."""
    if kind == "year":
        return 1, 12
    if kind == "quarter":
        return 3 * no - 2, 3 * no
    return no, no


def period_label(kind: str, no: int, year: int) -> str:
    """"Năm 2025", "Quý 3/2026", "Tháng 11/2026"."""
    if kind == "year":
        return f"Năm {year}"
    return f"{vocab.label(vocab.RATING_PERIODS, kind)} {no}/{year}"


def period_start(kind: str, no: int, year: int) -> date:
    return date(year, _months(kind, no)[0], 1)


def period_end(kind: str, no: int, year: int) -> date:
    """The period's last day."""
    last = _months(kind, no)[1]
    return (date(year + 1, 1, 1) if last == 12 else date(year, last + 1, 1)) - timedelta(days=1)


def known_from(kind: str, no: int, year: int) -> date:
    """The day a rating of the period counts from in targets and the trend: a year's from
    1 December (the annual rating is made in December, Decree 335/2025 — the rule targets have
    always read), a quarter's or a month's from its last day. A rating already recorded counts
    from today at the latest (Facts caps it)."""
    return date(year, 12, 1) if kind == "year" else period_end(kind, no, year)


def known_from_frame(ratings: pd.DataFrame) -> pd.Series:
    """`known_from` of every row of a frame with `year`, `period`, `period_no` (vectorised)."""
    year = ratings["year"].to_numpy(dtype=np.int64)
    kind = ratings["period"].to_numpy(dtype=object)
    no = ratings["period_no"].to_numpy(dtype=np.int64)
    is_year = kind == "year"
    last = np.where(is_year, 12, np.where(kind == "quarter", 3 * no, no))
    month = (year - 1970) * 12 + (last - 1)  # months since 1970-01
    first = month.astype("datetime64[M]").astype("datetime64[D]")
    end = (month + 1).astype("datetime64[M]").astype("datetime64[D]") - np.timedelta64(1, "D")
    return pd.Series(np.where(is_year, first, end).astype("datetime64[ns]"),
                     index=ratings.index)


def period_problem(kind: str, no: int, year: int, on: date) -> str | None:
    """Why (kind, no, year) may not be rated on `on`, in Vietnamese; None when it may: a known
    kind, a number in its range, a year from 2000, a period that has started."""
    if kind not in KINDS:
        return "kỳ xếp loại phải là năm, quý hoặc tháng"
    if not isinstance(no, int) or not isinstance(year, int):
        return "nhập số quý (1–4) hoặc số tháng (1–12) và năm"
    if kind == "year" and no != 0:
        return "xếp loại năm không có số kỳ"
    if kind == "quarter" and not 1 <= no <= 4:
        return "quý phải từ 1 đến 4"
    if kind == "month" and not 1 <= no <= 12:
        return "tháng phải từ 1 đến 12"
    if year < FIRST_YEAR:
        return f"năm phải từ {FIRST_YEAR}"
    if period_start(kind, no, year) > on:
        return (f"{period_label(kind, no, year)} chưa bắt đầu: chỉ xếp loại kỳ đã bắt đầu")
    return None


def check_period(kind: str, no: int, year: int, on: date) -> Period:
    problem = period_problem(kind, no, year, on)
    if problem:
        raise DomainError(problem[0].upper() + problem[1:] + ".")
    return Period(year, kind, no)


# --------------------------------------------------------------------------- reading
_Q = r"(?:quy|q) ?([1-4]|iv|i{1,3})"
_M = r"(?:thang|t) ?(\d{1,2})"
_Y = r"(\d{4})"
_PATTERNS = (  # (regex on the normalised text, kind, group of the number, group of the year)
    (rf"{_Y}", "year", None, 1),
    (rf"{_Q}(?: {_Y})?", "quarter", 1, 2),
    (rf"{_Y} {_Q}", "quarter", 2, 1),
    (rf"{_M}(?: {_Y})?", "month", 1, 2),
    (rf"(\d{{1,2}}) {_Y}", "month", 1, 2),
    (rf"{_Y} {_M}", "month", 2, 1),
    (rf"{_Y} (\d{{1,2}})", "month", 2, 1),
)


def _normal(text: str) -> str:
    t = fold(str(text)).strip()
    excel = re.fullmatch(r"(\d{4})-(\d{1,2})-01(?:[ t]00:00(?::00)?)?", t)
    if excel:  # "11/2026" typed into Excel becomes the date 1 November 2026
        return f"{excel[1]} {excel[2]}"
    t = re.sub(r"^(\d{4})\.0$", r"\1", t)  # a year the spreadsheet kept as a number
    t = re.sub(r"[/\-.,:]", " ", t)
    t = re.sub(r"\b(?:ca )?nam\b|\bky\b", " ", t)  # "năm", "cả năm", "kỳ"
    return re.sub(r"\s+", " ", t).strip()


def parse_period(text: str, year: int | None = None) -> Period:
    """A period as people type it — "2025", "Năm 2025", "Quý 3/2026", "Q3/2026", "quý III năm
    2026", "2026-Q3", "Tháng 11/2026", "T11/2026", "11/2026" — or without its year ("Năm",
    "Quý 3", "Tháng 11", blank: a year) when `year` gives it. ValueError with the reason in
    Vietnamese. Ranges are checked here; whether the period has started is `period_problem`'s."""
    t = _normal(text or "")
    if not t:
        if year is None:
            raise ValueError("thiếu kỳ xếp loại: " + FORMAT_HINT)
        return Period(year, "year", 0)
    for pattern, kind, no_group, year_group in _PATTERNS:
        m = re.fullmatch(pattern, t)
        if not m:
            continue
        found = int(m[year_group]) if m[year_group] else year
        if found is None:
            raise ValueError(f"“{text}” thiếu năm: " + FORMAT_HINT)
        if year is not None and found != year:
            raise ValueError(f"“{text}” thuộc năm {found}, khác năm {year} đã ghi")
        no = 0
        if no_group is not None:
            raw = m[no_group]
            no = ROMAN[raw] if raw in ROMAN else int(raw)
        if kind == "month" and not 1 <= no <= 12:
            raise ValueError(f"“{text}”: tháng phải từ 1 đến 12")
        return Period(found, kind, no)
    raise ValueError(f"“{text}” không phải kỳ xếp loại: " + FORMAT_HINT)


def sort_key(kind: str, no: int, year: int) -> tuple:
    """Latest first by the period's end, a year before its December and fourth quarter."""
    return (period_end(kind, no, year), {"year": 2, "quarter": 1, "month": 0}[kind])
