"""Exports write dates as date cells (issue 12 §5): the frames handed to core.exports carry
dates, never dd/mm/yyyy text — the officials list, the warnings and the target report."""
from __future__ import annotations

import io
from datetime import date

import pandas as pd
from openpyxl import load_workbook

from trainer.core.exports import xlsx_bytes
from trainer.core.extensions import db


def _first_data_cell(frame: pd.DataFrame, column: str):
    data = xlsx_bytes({"Trang": frame}, title="Thử", unit="Tỉnh")
    ws = load_workbook(io.BytesIO(data)).active
    col = list(frame.columns).index(column) + 1
    return ws.cell(row=4, column=col)


def test_the_officials_list_writes_birth_dates_as_dates(app, catalog, province, make_official):
    import sqlalchemy as sa

    from trainer.records.queries import export_frame, officials_found
    _, a, _ = province
    make_official(unit=a, birth_date=date(1988, 3, 9))
    db.session.commit()
    cell = _first_data_cell(export_frame(officials_found(sa.true())), "Ngày sinh")
    assert cell.is_date and cell.number_format == "dd/mm/yyyy"
    assert cell.value.date() == date(1988, 3, 9)


def test_warnings_write_their_day_as_a_date():
    from trainer.reports.operations import WARNING_KINDS, warning_frames
    row = pd.DataFrame({"full_name": ["Lò Văn A"], "code": ["CB1"], "unit_name": ["Xã A"],
                        "position_name": ["Văn thư"], "reason": ["Chưa đạt chuẩn"],
                        "on": pd.to_datetime([date(2026, 5, 4)])})
    frames = warning_frames({kind: row for kind, _ in WARNING_KINDS})
    frame = next(iter(frames.values()))
    cell = _first_data_cell(frame, "Ngày")
    assert cell.is_date and cell.number_format == "dd/mm/yyyy"


def test_the_target_report_writes_deadlines_and_forecasts_as_dates(app, catalog):
    from trainer.demo.generate import generate_demo
    from trainer.targets import operations as ops
    generate_demo(120, 2026)
    db.session.commit()
    facts = ops.facts_for()
    summary = ops.report_sheets(ops.all_outlooks(facts=facts), facts)["Mục tiêu"]
    cell = _first_data_cell(summary, "Hạn")
    assert cell.is_date and cell.number_format == "dd/mm/yyyy"
    assert all(v is None or pd.isna(v) or isinstance(v, date) for v in summary["Dự báo đạt"])
