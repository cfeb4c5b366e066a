"""The machinery every import shares: read an .xlsx/.csv upload as text cells, parse what
people type (dates, choices, scores, yes/no), check the headers, number the rows as the
spreadsheet does, and the ImportPlan that a preview shows and a confirmation runs.

Errors name the row and the column: `cell_error(i, header, message)` formats them."""
from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import pandas as pd
from python_calamine import CalamineError

from trainer.errors import DomainError, ImportRejected
from trainer.extensions import db

YES, NO = {"có", "co", "x", "1", "true", "yes"}, {"không", "khong", "", "0", "false", "no"}


def cell_error(row: int, header: str, message: str) -> str:
    """“dòng 5, cột “Mã đơn vị”: …” — the one shape of every import error."""
    return f"dòng {row}, cột “{header}”: {message}"


def read_table(source, filename: str) -> pd.DataFrame:
    """Read an .xlsx or .csv upload (path or file object) as text cells, headers stripped."""
    suffix = Path(filename).suffix.lower()
    try:
        if suffix == ".xlsx":
            df = pd.read_excel(source, dtype=str, engine="calamine")
        elif suffix == ".csv":
            # "," or ";" (Excel with Vietnamese settings saves ";"), whichever the header line
            # has more of; blank lines are kept so that row numbers match the spreadsheet, then
            # skipped by the importers.
            data = source.read() if hasattr(source, "read") else Path(source).read_bytes()
            header = data.split(b"\n", 1)[0]
            sep = ";" if header.count(b";") > header.count(b",") else ","
            df = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False,
                             encoding="utf-8-sig", sep=sep, skip_blank_lines=False)
        else:
            raise DomainError(f"Tệp “{filename}”: chỉ nhận .xlsx hoặc .csv.")
    except (ValueError, UnicodeDecodeError, OSError, zipfile.BadZipFile, CalamineError) as e:
        raise DomainError(f"Không đọc được tệp “{filename}”: {e}") from e
    df.columns = [str(c).strip() for c in df.columns]
    return df.fillna("").map(lambda v: str(v).strip())


def parse_date(text: str) -> date:
    """dd/mm/yyyy (what Vietnamese users type) or ISO yyyy-mm-dd (what Excel exports)."""
    for fmt in ("%d/%m/%Y", "%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%d-%m-%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"“{text}” không phải ngày hợp lệ (dd/mm/yyyy)")


def parse_choice(text: str, scale, what: str) -> str:
    """A scale code from its code or its Vietnamese label, ignoring case."""
    folded = text.casefold()
    for code, label in scale:
        if folded in (code.casefold(), label.casefold()):
            return code
    allowed = ", ".join(label for _, label in scale)
    raise ValueError(f"“{text}” không phải {what} hợp lệ ({allowed})")


def parse_score(text: str) -> float:
    """A score on the 0–10 scale; a decimal comma is accepted (“7,5”)."""
    try:
        score = float(text.replace(",", "."))
    except ValueError:
        raise ValueError(f"“{text}” không phải là số") from None
    if not 0 <= score <= 10:
        raise ValueError(f"{text} phải trong khoảng 0–10")
    return score


def parse_yes_no(text: str) -> bool:
    if text.casefold() in YES:
        return True
    if text.casefold() in NO:
        return False
    raise ValueError(f"“{text}” phải là “có” hoặc “không”")


def check_headers(df: pd.DataFrame, required, filename) -> None:
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise ImportRejected([f"{filename}: thiếu cột " + ", ".join(f"“{c}”" for c in missing)])


@dataclass
class ImportPlan:
    """What an import would do, worked out without writing anything (the preview of issue 5):
    counts per outcome, every error by row and column, and the writes to make on confirmation.
    `queued` counts rows sent to the identity review queue (external sources); `issued` holds
    the one-time passwords of accounts the writes created, to show once (never stored)."""

    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    queued: int = 0
    errors: list[str] = field(default_factory=list)
    actions: list[Callable[[], None]] = field(default_factory=list, repr=False)
    issued: list = field(default_factory=list, repr=False)

    def count_row(self, record, values: dict) -> dict | None:
        """Count a valid row against the stored `record` (None: none yet): created, updated
        when a field differs, else unchanged. Returns the fields to write (None: nothing)."""
        if record is None:
            self.created += 1
            return values
        diff = {k: v for k, v in values.items() if getattr(record, k) != v}
        if diff:
            self.updated += 1
            return diff
        self.unchanged += 1
        return None

    def counts(self) -> dict[str, int]:
        return {"rows": self.rows, "created": self.created, "updated": self.updated,
                "unchanged": self.unchanged, "queued": self.queued}

    def run(self, dry_run: bool = False) -> dict[str, int]:
        """Raise with every error, or (unless `dry_run`) make all the writes; flush once."""
        if self.errors:
            raise ImportRejected(self.errors)
        if not dry_run:
            for action in self.actions:
                action()
            db.session.flush()
        return self.counts()


def data_rows(df: pd.DataFrame):
    """(spreadsheet row number, cells) for each non-blank row; the header is row 1."""
    for i, row in enumerate(df.to_dict("records"), start=2):
        if any(row.values()):
            yield i, row


def template_bytes(columns, *rows: dict[str, str]) -> bytes:
    """An .xlsx import file: the Vietnamese headers in row 1 and the rows (a template has one
    example row)."""
    buf = io.BytesIO()
    pd.DataFrame(list(rows), columns=list(columns)).to_excel(buf, index=False)
    return buf.getvalue()
