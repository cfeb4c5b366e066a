"""The shared Excel export: read back and checked."""
import io
from datetime import date

import pandas as pd
from openpyxl import load_workbook

from trainer.core.exports import HEADER_ROW, xlsx_bytes


def test_export_has_title_unit_date_frozen_vietnamese_headers_and_round_trips():
    frame = pd.DataFrame({"Họ và tên": ["Lò Thị Mai", "Vàng A Dình"], "Số năng lực thiếu": [2, 0]})
    data = xlsx_bytes({"Danh sách cán bộ": frame}, title="Danh sách cán bộ thiếu năng lực",
                      unit="Xã Bình Lư", on=date(2026, 11, 23))
    ws = load_workbook(io.BytesIO(data))["Danh sách cán bộ"]
    assert ws["A1"].value == "Danh sách cán bộ thiếu năng lực"
    assert ws["A2"].value == "Đơn vị: Xã Bình Lư — ngày 23/11/2026"
    assert ws.freeze_panes == f"A{HEADER_ROW + 1}"
    assert ws.page_setup.orientation == "landscape"
    assert ws.column_dimensions["A"].width >= len("Vàng A Dình")
    back = pd.read_excel(io.BytesIO(data), sheet_name="Danh sách cán bộ", header=HEADER_ROW - 1)
    pd.testing.assert_frame_equal(back, frame)
