"""Excel exports with Vietnamese headers, formatted for printing: a title row with the report's
name, the unit and the date, a frozen header, column widths that fit, A4 landscape, fit to page
width. Every report and list uses this one function."""
from __future__ import annotations

import io
from datetime import date

import pandas as pd
from flask import send_file
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from trainer.core import events
from trainer.core.timeutil import today

HEADER_ROW = 3  # row 1: title, row 2: unit and date, row 3: column headers


def xlsx_bytes(sheets: dict[str, pd.DataFrame], *, title: str, unit: str,
               on: date | None = None) -> bytes:
    """One sheet per frame (sheet names ≤ 31 characters); the frame's column names are the
    Vietnamese headers."""
    on = on or today()
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            sheet_name = name[:31]
            frame.to_excel(writer, sheet_name=sheet_name, index=False, startrow=HEADER_ROW - 1)
            ws = writer.sheets[sheet_name]
            ws["A1"] = title
            ws["A1"].font = Font(bold=True, size=14)
            ws["A2"] = f"Đơn vị: {unit} — ngày {on:%d/%m/%Y}" if unit else f"Ngày {on:%d/%m/%Y}"
            for cell in ws[HEADER_ROW]:
                cell.font = Font(bold=True)
                cell.alignment = Alignment(wrap_text=True, vertical="top")
            ws.freeze_panes = ws.cell(row=HEADER_ROW + 1, column=1)
            for i, column in enumerate(frame.columns, start=1):
                values = [str(column)] + [str(v) for v in frame[column].head(500).tolist()]
                width = min(60, max(8, max(len(v) for v in values) + 2))
                ws.column_dimensions[get_column_letter(i)].width = width
            ws.page_setup.orientation = "landscape"
            ws.page_setup.paperSize = ws.PAPERSIZE_A4
            ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
            ws.sheet_properties.pageSetUpPr.fitToPage = True
            ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
            plain_text(ws)
    return buf.getvalue()


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
