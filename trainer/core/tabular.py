"""The machinery every import shares: read an .xlsx/.csv upload as text cells, parse what
people type (dates, choices, scores, yes/no), check the headers, number the rows as the
spreadsheet does, and the ImportPlan that a preview shows and a confirmation runs.

Errors name the row and the column: `cell_error(i, header, message)` formats them."""
from __future__ import annotations

import io
import math
import re
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
from flask import current_app, has_app_context
from python_calamine import CalamineError

from trainer.core.display import vnnum
from trainer.core.errors import DomainError, ImportRejected
from trainer.core.exports import plain_text
from trainer.core.extensions import db
from trainer.core.forms_util import parse_vn_date

YES, NO = {"có", "co", "x", "1", "true", "yes"}, {"không", "khong", "", "0", "false", "no"}


def cell_error(row: int, header: str, message: str) -> str:
    """“dòng 5, cột “Mã đơn vị”: …” — the one shape of every import error."""
    return f"dòng {row}, cột “{header}”: {message}"


# Excel keeps the workbook in a handful of entries; a zip of thousands is not a workbook.
MAX_ZIP_ENTRIES = 1000
# Sheet XML compresses 10–50×, rarely 100×; deflate cannot exceed ~1,030×. A large entry
# beyond this ratio is a zip bomb, however small the upload.
MAX_RATIO, RATIO_FROM_BYTES = 200, 1024 * 1024
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"[A-Z]*(\d*)(?::[A-Z]*(\d+))?\"")
_FIRST_SHEET = re.compile(rb"<(?:\w+:)?sheet\b[^>]*?\br:id=\"([^\"]+)\"")


def _limits() -> tuple[int, int]:
    """(rows, uncompressed bytes) an import file may hold: IMPORT_MAX_ROWS and
    IMPORT_MAX_UNCOMPRESSED_MB of the app (settings.py's defaults outside one)."""
    from trainer.core.settings import DEFAULTS
    config = current_app.config if has_app_context() else DEFAULTS
    return (int(config["IMPORT_MAX_ROWS"]),
            int(config["IMPORT_MAX_UNCOMPRESSED_MB"]) * 1024 * 1024)


def _too_many_rows(filename: str, lines: int, max_rows: int) -> DomainError:
    return DomainError(f"Tệp “{filename}” có {vnnum(lines)} dòng (kể cả dòng tiêu đề), quá giới "
                       f"hạn {vnnum(max_rows)} dòng mỗi tệp — hãy chia tệp.")


def _entry_bytes(data: bytes, info: zipfile.ZipInfo, budget: int, keep: int) -> tuple[int, bytes]:
    """Decompress one entry as far as `budget` bytes allow, without ever holding more than a
    chunk: (its real uncompressed size, or budget + 1 when over; its first `keep` bytes). The
    real size, not the header's: a zip can declare 1 KB and inflate to gigabytes."""
    start = info.header_offset
    header = data[start:start + zipfile.sizeFileHeader]
    if len(header) < zipfile.sizeFileHeader:
        raise zipfile.BadZipFile("truncated local header")
    fields = struct.unpack(zipfile.structFileHeader, header)
    offset = (start + zipfile.sizeFileHeader + fields[zipfile._FH_FILENAME_LENGTH]
              + fields[zipfile._FH_EXTRA_FIELD_LENGTH])
    raw = memoryview(data)[offset:offset + info.compress_size]
    if info.compress_type == zipfile.ZIP_STORED:
        return len(raw), bytes(raw[:keep])
    if info.compress_type != zipfile.ZIP_DEFLATED:  # what Excel and LibreOffice write
        raise zipfile.BadZipFile(f"compression {info.compress_type}")
    inflater, size, head = zlib.decompressobj(-15), 0, b""
    pending = bytes(raw)
    while not inflater.eof:
        chunk = inflater.decompress(pending, 1024 * 1024)  # at most 1 MB at a time
        pending = inflater.unconsumed_tail
        size += len(chunk)
        if len(head) < keep:
            head += chunk[:keep - len(head)]
        if size > budget:
            return budget + 1, head
        if not chunk and not pending:
            break
    return size, head


def _first_sheet(zf: zipfile.ZipFile) -> str:
    """The path of the workbook's first sheet (what pandas reads): workbook.xml names it,
    its relationships give the file."""
    try:
        workbook = zf.read("xl/workbook.xml")[:1024 * 1024]
        rels = zf.read("xl/_rels/workbook.xml.rels")[:1024 * 1024]
    except KeyError:
        return "xl/worksheets/sheet1.xml"
    match = _FIRST_SHEET.search(workbook)
    if match:
        for rel in re.finditer(rb"<Relationship\b[^>]*>", rels):
            tag = rel.group()
            if re.search(rb'\bId="' + re.escape(match.group(1)) + rb'"', tag):
                target = re.search(rb'\bTarget="([^"]+)"', tag)
                if target:
                    path = target.group(1).decode("utf-8", "replace").lstrip("/")
                    return path if path.startswith("xl/") else "xl/" + path
    return "xl/worksheets/sheet1.xml"


def check_xlsx(data: bytes, filename: str) -> None:
    """Refuse, before any parser sees it, an .xlsx that would take the server's memory: a first
    sheet whose <dimension> says more than IMPORT_MAX_ROWS rows, more than
    IMPORT_MAX_UNCOMPRESSED_MB once unzipped (declared, then counted by inflating — a zip may
    lie in its headers), or an entry compressed beyond any real sheet's ratio."""
    max_rows, max_bytes = _limits()
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        entries = zf.infolist()
        if len(entries) > MAX_ZIP_ENTRIES:
            raise DomainError(f"Tệp “{filename}” không phải bảng tính Excel hợp lệ (có "
                              f"{vnnum(len(entries))} tệp nén bên trong).")
        sheet = _first_sheet(zf)
        for info in entries:  # the rows first: the message a person can act on
            if info.filename == sheet:
                _, head = _entry_bytes(data, info, 64 * 1024, 64 * 1024)
                match = _DIMENSION.search(head)
                last = int(match.group(2) or match.group(1) or 0) if match else 0
                if last - 1 > max_rows:
                    raise _too_many_rows(filename, last, max_rows)
        declared = sum(info.file_size for info in entries)
        if declared > max_bytes:
            raise DomainError(f"Tệp “{filename}” khi giải nén có {vnnum(declared // 2**20)} MB, "
                              f"quá giới hạn {vnnum(max_bytes // 2**20)} MB — hãy chia tệp.")
        total = 0
        for info in entries:
            if info.file_size > RATIO_FROM_BYTES and \
                    info.file_size > MAX_RATIO * max(info.compress_size, 1):
                raise DomainError(
                    f"Tệp “{filename}” bị nén bất thường (tỉ lệ "
                    f"{vnnum(info.file_size // max(info.compress_size, 1))}:1): không phải bảng "
                    "tính Excel thông thường, hệ thống không mở.")
            size, _ = _entry_bytes(data, info, max_bytes - total, 0)
            total += size
            if total > max_bytes:
                raise DomainError(f"Tệp “{filename}” khi giải nén vượt quá giới hạn "
                                  f"{vnnum(max_bytes // 2**20)} MB — hãy chia tệp.")
    except (zipfile.BadZipFile, zlib.error, struct.error, OSError, EOFError) as e:
        raise DomainError(f"Không đọc được tệp “{filename}”: không phải tệp .xlsx hợp lệ "
                          "(tệp hỏng hoặc chỉ đổi tên đuôi).") from e


def read_table(source, filename: str) -> pd.DataFrame:
    """Read an .xlsx or .csv upload (path or file object) as text cells, headers stripped.
    The limits come first (IMPORT_MAX_ROWS, IMPORT_MAX_UNCOMPRESSED_MB): a file over them is
    refused before pandas reads it, so it costs the server no more than its own bytes."""
    suffix = Path(filename).suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise DomainError(f"Tệp “{filename}”: chỉ nhận .xlsx hoặc .csv.")
    max_rows, _ = _limits()
    data = source.read() if hasattr(source, "read") else Path(source).read_bytes()
    try:
        if suffix == ".xlsx":
            check_xlsx(data, filename)
            df = pd.read_excel(io.BytesIO(data), dtype=str, engine="calamine")
        else:
            # Counted before parsing: a quoted cell with line breaks only counts high.
            lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
            if lines - 1 > max_rows:
                raise _too_many_rows(filename, lines, max_rows)
            text = _csv_text(data, filename)
            # "," or ";" (Excel with Vietnamese settings saves ";"), whichever the header line
            # has more of; blank lines are kept so that row numbers match the spreadsheet, then
            # skipped by the importers.
            header = text.split("\n", 1)[0]
            sep = ";" if header.count(";") > header.count(",") else ","
            df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, sep=sep,
                             skip_blank_lines=False)
    except pd.errors.EmptyDataError as e:
        raise DomainError(f"Không đọc được tệp “{filename}”: tệp trống, không có dòng tiêu "
                          "đề.") from e
    except pd.errors.ParserError as e:
        where = re.search(r"line (\d+), saw (\d+)", str(e))
        detail = (f"dòng {where[1]} có {where[2]} cột, nhiều hơn dòng tiêu đề" if where
                  else "các dòng không cùng số cột")
        raise DomainError(f"Không đọc được tệp “{filename}”: {detail}.") from e
    except (ValueError, OSError, zipfile.BadZipFile, CalamineError) as e:
        raise DomainError(f"Không đọc được tệp “{filename}”: tệp hỏng hoặc không đúng định "
                          "dạng .xlsx/.csv.") from e
    if len(df) > max_rows:  # a sheet without <dimension>, or one that understated it
        raise _too_many_rows(filename, len(df) + 1, max_rows)
    df.columns = [str(c).strip() for c in df.columns]
    return df.fillna("").map(lambda v: str(v).strip())


def _csv_text(data: bytes, filename: str) -> str:
    """UTF-8 (with or without the BOM Excel writes); anything else says how to save it.
    Windows-1258 / cp1252 are not guessed: almost any bytes decode in them, so a wrong guess would
    store garbled names without a word (docs/i18n.md)."""
    how = ("Mở tệp trong Excel, chọn Tệp → Lưu như, ở ô kiểu tệp chọn “CSV UTF-8” (phân tách "
           "bằng dấu phẩy) rồi tải tệp lên lại; hoặc tải lên tệp Excel .xlsx.")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:4096]:
        raise DomainError(f"Không đọc được tệp “{filename}”: tệp được lưu dạng Unicode "
                          f"(UTF-16), không phải CSV UTF-8. {how}")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DomainError(f"Không đọc được tệp “{filename}”: tệp không phải CSV UTF-8 (có thể "
                          f"đang ở bảng mã Windows-1258 hoặc TCVN3, chữ tiếng Việt sẽ bị lỗi). "
                          f"{how}") from None


def parse_date(text: str) -> date:
    """A date as the forms read it (`forms_util.parse_vn_date`: dd/mm/yyyy, d/m/yyyy, dd-mm-yyyy,
    dd.mm.yyyy, yyyy-mm-dd), also with the time of day Excel adds to ISO dates; the import's
    own messages."""
    iso_moment = re.fullmatch(r"(\d{4}-\d{1,2}-\d{1,2})[ T]\d{1,2}:\d{2}(:\d{2})?", text.strip())
    try:
        return parse_vn_date(iso_moment[1] if iso_moment else text)
    except ValueError:
        pass
    day_first = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text.strip())
    if day_first and 1 <= int(day_first[2]) <= 12:  # 31/02/2026: the calendar has no such day
        raise ValueError(f"“{text}” không phải ngày hợp lệ: tháng {int(day_first[2]):02d}/"
                         f"{day_first[3]} không có ngày {int(day_first[1])}")
    raise ValueError(f"“{text}” không phải ngày hợp lệ (dd/mm/yyyy)")


def parse_choice(text: str, scale, what: str) -> str:
    """A scale code from its code or its Vietnamese label, ignoring case."""
    folded = text.casefold()
    for code, label in scale:
        if folded in (code.casefold(), label.casefold()):
            return code
    allowed = ", ".join(label for _, label in scale)
    raise ValueError(f"“{text}” không phải {what} hợp lệ ({allowed})")


def read_number(text: str) -> float | None:
    """A number as people type it: a decimal comma or point (“7,5”, “7.5”); blank → None;
    anything else, or infinity and NaN, raises ValueError with a Vietnamese message."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        raise ValueError(f"“{text}” không phải là số") from None
    if not math.isfinite(value):
        raise ValueError(f"“{text}” không phải là số")
    return value


def parse_score(text: str) -> float:
    """A score on the 0–10 scale (required); a decimal comma is accepted (“7,5”)."""
    score = read_number(text)
    if score is None:
        raise ValueError("chưa nhập điểm")
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


# --- One declarative specification per import kind ------------------------------------------

@dataclass(frozen=True)
class Column:
    """One column of an import file: its Vietnamese header, the field it fills (`key`), how its
    text is read (`parse`: text → value, raising ValueError with the reason in Vietnamese),
    whether the file must have it (`required`: the header, and a value in every row;
    `in_file`: the header, its cells may be blank) and an example cell for the template."""

    header: str
    key: str
    parse: Callable[[str], Any] | None = None
    required: bool = False
    in_file: bool = False
    example: str = ""


@dataclass
class Row:
    """One data row of a file, read against its table: the spreadsheet row `number` (the header
    is row 1), the raw `cells` by header, the parsed `values` by key (None: blank or unreadable).
    Its `errors`, each in the one shape of `cell_error`, are listed column by column in the
    table's order, then those about the whole row — whichever rule found them first."""

    number: int
    cells: dict[str, str]
    values: dict[str, Any]
    table: "Table" = field(repr=False)
    _found: list[tuple[int, int, str]] = field(default_factory=list, repr=False)

    def error(self, column: str, message: str) -> None:
        """An error on a column, named by its key or its header."""
        self._found.append((self.table.position(column), len(self._found),
                            cell_error(self.number, self.table.header_of(column), message)))

    def row_error(self, message: str) -> None:
        """An error about the whole row (a duplicate of another row)."""
        self._found.append((len(self.table.columns), len(self._found),
                            f"dòng {self.number}: {message}"))

    @property
    def errors(self) -> list[str]:
        return [message for *_, message in sorted(self._found)]

    @property
    def ok(self) -> bool:
        return not self._found


@dataclass(frozen=True)
class Table:
    """An import kind's columns, in the order of its template. It checks the headers, reads
    every row (blank cells of required columns and unreadable cells become errors by row and
    column), writes the template and the download of the stored table in the same layout."""

    columns: tuple[Column, ...]

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]

    @property
    def required_headers(self) -> list[str]:
        return [c.header for c in self.columns if c.required or c.in_file]

    def column(self, name: str) -> Column | None:
        """The column named by its key or its header."""
        return next((c for c in self.columns if name in (c.key, c.header)), None)

    def position(self, name: str) -> int:
        """The column's place in the file (errors are listed in it); after the last if unknown."""
        return next((i for i, c in enumerate(self.columns) if name in (c.key, c.header)),
                    len(self.columns))

    def header_of(self, name: str) -> str:
        column = self.column(name)
        return column.header if column else name

    def check_headers(self, df: pd.DataFrame, filename: str) -> None:
        check_headers(df, self.required_headers, filename)

    def read(self, df: pd.DataFrame, filename: str = "tệp"):
        """Check the headers now (an ImportRejected before the caller loads anything), then
        give a `Row` for each non-blank data row. A row's errors come in this order: its blank
        required cells and unreadable cells, column by column; then whatever the importer's
        rules add."""
        self.check_headers(df, filename)
        return self._rows(df)

    def _rows(self, df: pd.DataFrame):
        for number, cells in data_rows(df):
            row = Row(number, cells, {}, self)
            for c in self.columns:
                row.values[c.key] = self._cell(row, c, cells.get(c.header, ""))
            yield row

    @staticmethod
    def _cell(row: Row, column: Column, text: str):
        if text == "":
            if column.required:
                row.error(column.header, "không được để trống")
            return None
        if column.parse is None:
            return text
        try:
            return column.parse(text)
        except ValueError as e:
            row.error(column.header, str(e))
            return None

    def template(self, **examples: str) -> bytes:
        """The .xlsx template: the headers and one example row (`examples` by key override the
        columns' own)."""
        return template_bytes(self.headers, {c.header: examples.get(c.key, c.example)
                                             for c in self.columns})

    def download(self, records) -> bytes:
        """Stored rows (dicts by key) in the template's layout, to edit in Excel and import
        again."""
        return template_bytes(self.headers, *({c.header: r.get(c.key, "") for c in self.columns}
                                              for r in records))


def data_rows(df: pd.DataFrame):
    """(spreadsheet row number, cells) for each non-blank row; the header is row 1."""
    for i, row in enumerate(df.to_dict("records"), start=2):
        if any(row.values()):
            yield i, row


def template_bytes(columns, *rows: dict[str, str]) -> bytes:
    """An .xlsx import file: the Vietnamese headers in row 1 and the rows (a template has one
    example row)."""
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        pd.DataFrame(list(rows), columns=list(columns)).to_excel(writer, index=False)
        for ws in writer.sheets.values():
            plain_text(ws)  # a stored name starting with "=" is text, not a formula
    return buf.getvalue()
