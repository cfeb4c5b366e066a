"""Excel exports with Vietnamese headers, formatted for printing: a title row with the report's
name, the unit and the date, a frozen header with an autofilter, column widths that fit, A4
landscape, fit to page width. Dates are date cells shown dd/mm/yyyy, numbers stay numbers, and
no text becomes a formula. Every report and list uses this one function."""
from __future__ import annotations

import io
from datetime import date, datetime

import pandas as pd
from flask import send_file
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from trainer.core import events
from trainer.core.timeutil import LOCAL_ZONE, today

HEADER_ROW = 3  # row 1: title, row 2: unit and date, row 3: column headers
DATE_FORMAT = "dd/mm/yyyy"  # Excel number formats: the Vietnamese day first (issue 12)
DATETIME_FORMAT = "dd/mm/yyyy hh:mm"


def xlsx_bytes(sheets: dict[str, pd.DataFrame], *, title: str, unit: str,
               on: date | None = None) -> bytes:
    """One sheet per frame (sheet names ≤ 31 characters); the frame's column names are the
    Vietnamese headers. Give dates as dates (datetime.date, pandas Timestamps, datetime64
    columns), not as preformatted text: they become date cells shown dd/mm/yyyy (with hh:mm
    when a column holds times of day), which Excel sorts and filters as dates. Moments with a
    zone are written in Việt Nam's time (Excel cells hold none); naive ones are written as given.
    Numbers stay numeric cells."""
    on = on or today()
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            sheet_name = name[:31]
            frame, formats = excel_ready(frame)
            frame.to_excel(writer, sheet_name=sheet_name, index=False, startrow=HEADER_ROW - 1)
            ws = writer.sheets[sheet_name]
            ws["A1"] = title
            ws["A1"].font = Font(bold=True, size=14)
            ws["A2"] = f"Đơn vị: {unit} — ngày {on:%d/%m/%Y}" if unit else f"Ngày {on:%d/%m/%Y}"
            for cell in ws[HEADER_ROW]:
                cell.font = Font(bold=True)
                cell.alignment = Alignment(wrap_text=True, vertical="top")
            ws.freeze_panes = ws.cell(row=HEADER_ROW + 1, column=1)
            if len(frame.columns):
                last = get_column_letter(len(frame.columns))
                ws.auto_filter.ref = f"A{HEADER_ROW}:{last}{HEADER_ROW + len(frame)}"
            for i, column in enumerate(frame.columns, start=1):
                number_format = formats.get(i - 1)
                if number_format:
                    for (cell,) in ws.iter_rows(min_row=HEADER_ROW + 1, min_col=i, max_col=i):
                        if isinstance(cell.value, (date, datetime)):
                            cell.number_format = number_format
                values = [str(column)] + [_shown(v, number_format)
                                          for v in frame.iloc[:500, i - 1].tolist()]
                width = min(60, max(8, max(len(v) for v in values) + 2))
                ws.column_dimensions[get_column_letter(i)].width = width
            ws.page_setup.orientation = "landscape"
            ws.page_setup.paperSize = ws.PAPERSIZE_A4
            ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
            ws.sheet_properties.pageSetUpPr.fitToPage = True
            ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
            plain_text(ws)
    return buf.getvalue()


def excel_ready(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[int, str]]:
    """The frame as Excel can hold it, and the number format of each column (by position) that
    holds dates: DATE_FORMAT when every value is a day (a datetime.date, or a moment at 00:00),
    else DATETIME_FORMAT. Moments with a zone become Việt Nam's wall-clock time without a zone
    (pandas refuses zoned datetimes, and an Excel cell has none)."""
    formats, ready = {}, frame
    for i in range(frame.shape[1]):
        series = original = frame.iloc[:, i]
        if isinstance(series.dtype, pd.DatetimeTZDtype):
            series = series.dt.tz_convert(LOCAL_ZONE).dt.tz_localize(None)
        if pd.api.types.is_datetime64_dtype(series.dtype):
            moments = series.dropna()
            if not moments.empty:
                formats[i] = (DATE_FORMAT if (moments == moments.dt.normalize()).all()
                              else DATETIME_FORMAT)
        elif series.dtype == object:
            dated = series.map(lambda v: isinstance(v, date) and not pd.isna(v)).astype(bool)
            if dated.any():
                series = series.map(_naive_local)
                days = series[dated].map(lambda v: not isinstance(v, datetime) or (
                    v.hour, v.minute, v.second, v.microsecond) == (0, 0, 0, 0))
                formats[i] = DATE_FORMAT if days.all() else DATETIME_FORMAT
        if series is not original:
            ready = frame.copy() if ready is frame else ready
            ready.isetitem(i, series)
    return ready, formats


def _naive_local(value):
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(LOCAL_ZONE).replace(tzinfo=None)
    return value


def _shown(value, number_format: str | None) -> str:
    """The text a cell shows, for the column's width."""
    if number_format and isinstance(value, date):
        return number_format
    return str(value)


def plain_text(ws) -> int:
    """No cell of a file the product writes is a formula (issue 9). openpyxl makes every text
    that starts with "=" a formula, so an official named `=HYPERLINK("http://…"&A4,"bấm")`
    would be a live link in Excel. Such cells are written as text instead: Excel shows them as
    typed, and an import of the file reads back exactly the same text. (Text starting with +,
    - or @ stays text in an .xlsx; only a CSV would need the leading apostrophe.) Returns how
    many cells it changed."""
    changed = 0
    for row in ws.iter_rows():
        for cell in row:
            if cell.data_type == "f":
                cell.data_type = "s"
                changed += 1
    return changed


def xlsx_response(sheets: dict[str, pd.DataFrame], *, title: str, unit: str, filename: str):
    """The .xlsx as a download; every download is an audit row (what, for which unit, rows)."""
    rows = sum(len(frame) for frame in sheets.values())
    return send_xlsx(xlsx_bytes(sheets, title=title, unit=unit), title=title, unit=unit,
                     filename=filename, rows=rows)


def send_xlsx(data: bytes, *, title: str, unit: str, filename: str, rows: int):
    """An .xlsx made earlier (a background job's file, trainer/jobs) or now, as a download, with
    its audit row: every download of an export is one."""
    events.audit_access("export", subject_type="report",
                        detail=f"{filename}: {title} — {unit}, {rows} dòng")
    return send_file(io.BytesIO(data), download_name=filename, as_attachment=True,
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
