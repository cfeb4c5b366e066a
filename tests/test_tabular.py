"""The import foundation (trainer.core.tabular): one declarative table per import kind."""
from __future__ import annotations

import io
from datetime import date

import pandas as pd
import pytest

from trainer.core.errors import ImportRejected
from trainer.core.tabular import Column, Table, parse_date, parse_score, read_number

TABLE = Table((
    Column("Mã", "code", required=True, example="A1"),
    Column("Ngày", "day", parse_date, example="01/03/2026"),
    Column("Điểm", "score", parse_score, in_file=True),
    Column("Ghi chú", "note"),
))


def frame(rows, columns=None):
    return pd.DataFrame(rows, columns=columns or TABLE.headers).fillna("").astype(str)


def test_headers_required_and_in_file():
    assert TABLE.required_headers == ["Mã", "Điểm"]
    with pytest.raises(ImportRejected) as e:
        TABLE.read(frame([], ["Mã", "Ngày"]), "x.xlsx")  # checked before any row is read
    assert e.value.errors == ["x.xlsx: thiếu cột “Điểm”"]


def test_rows_are_read_with_errors_column_by_column():
    rows = list(TABLE.read(frame([["", "31/02/2026", "11", ""], ["B", "", "7,5", "x"],
                                  ["", "", "", ""]])))
    assert len(rows) == 2  # a blank row is skipped
    first, second = rows
    first.row_error("trùng với dòng 9")
    first.error("code", "một lỗi nữa")  # found later, listed with its column
    assert first.errors[0].startswith("dòng 2, cột “Mã”: không được để trống")
    assert first.errors[1] == "dòng 2, cột “Mã”: một lỗi nữa"
    assert first.errors[2].startswith("dòng 2, cột “Ngày”:")
    assert first.errors[3] == "dòng 2, cột “Điểm”: 11 phải trong khoảng 0–10"
    assert first.errors[4] == "dòng 2: trùng với dòng 9"
    assert second.ok and second.values == {"code": "B", "day": None, "score": 7.5, "note": "x"}


def test_template_and_download_keep_the_layout():
    template = pd.read_excel(io.BytesIO(TABLE.template(day="02/03/2026")), dtype=str).fillna("")
    assert list(template.columns) == TABLE.headers
    assert template.iloc[0].tolist() == ["A1", "02/03/2026", "", ""]
    stored = pd.read_excel(io.BytesIO(TABLE.download([{"code": "=1+1", "note": "n"}])),
                           dtype=str).fillna("")
    assert stored.iloc[0].tolist() == ["=1+1", "", "", "n"]  # text, never a formula


@pytest.mark.parametrize("text, value", [("7,5", 7.5), (" 8.25 ", 8.25), ("", None)])
def test_numbers_as_people_type_them(text, value):
    assert read_number(text) == value


@pytest.mark.parametrize("text", ["abc", "inf", "nan"])
def test_what_is_not_a_number(text):
    with pytest.raises(ValueError, match="không phải là số"):
        read_number(text)


def test_an_imported_date_is_read_as_the_forms_read_it():
    """One grammar for dates typed in a form and written in a file (forms_util.parse_vn_date),
    plus the time of day Excel adds to an ISO date."""
    for text in ("01/02/2026", "1/2/2026", "01-02-2026", "01.02.2026", "2026-02-01",
                 "2026-02-01 00:00:00", "2026-2-1"):
        assert parse_date(text) == date(2026, 2, 1), text
