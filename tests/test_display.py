"""Dates and numbers in Vietnamese form (issue 12, item 3): the day of Việt Nam
(Asia/Ho_Chi_Minh, UTC+7) for "today" and every displayed date, dd/mm/yyyy, a decimal comma; the
dates people type, and the messages when they are wrong; a CSV that is not UTF-8."""
from __future__ import annotations

import io
from datetime import date, datetime, timezone

import pytest
import time_machine
from werkzeug.datastructures import MultiDict

from trainer.core import display, timeutil
from trainer.core.errors import DomainError


def test_a_moment_after_17_00_utc_shows_the_next_day_in_viet_nam():
    evening = datetime(2026, 11, 23, 18, 30, tzinfo=timezone.utc)  # 01:30 on the 24th there
    assert display.vndate(evening) == "24/11/2026"
    assert display.vntime(evening) == "24/11/2026 01:30"
    # SQLite gives stored moments back without their zone: they were stored in UTC.
    assert display.vndate(evening.replace(tzinfo=None)) == "24/11/2026"
    assert display.vndate(datetime(2026, 11, 23, 16, 59, tzinfo=timezone.utc)) == "23/11/2026"
    assert display.vndate(date(2026, 11, 23)) == "23/11/2026"  # a day stays the same day
    assert display.vndate(None) == ""


def test_today_is_the_day_of_viet_nam_not_of_utc():
    with time_machine.travel(datetime(2026, 11, 23, 23, 30, tzinfo=timezone.utc), tick=False):
        assert timeutil.today() == date(2026, 11, 24)
        assert timeutil.utcnow().date() == date(2026, 11, 23)  # stored moments stay UTC
    with time_machine.travel(datetime(2026, 11, 23, 16, 59, tzinfo=timezone.utc), tick=False):
        assert timeutil.today() == date(2026, 11, 23)


def test_flask_babel_and_the_display_helpers_use_one_zone(app):
    from flask_babel import format_date, get_timezone
    assert app.config["BABEL_DEFAULT_TIMEZONE"] == "Asia/Ho_Chi_Minh"
    with app.test_request_context():
        assert str(get_timezone()) == timeutil.LOCAL_ZONE.key
        evening = datetime(2026, 11, 23, 18, 30, tzinfo=timezone.utc)
        assert format_date(evening, "dd/MM/yyyy") == display.vndate(evening) == "24/11/2026"
    template = app.jinja_env.from_string("{{ moment|vndate }} {{ 11.0|vnnum(1) }}")
    assert template.render(moment=datetime(2026, 11, 23, 18, 30)) == "24/11/2026 11,0"


def test_numbers_have_a_decimal_comma_and_a_thousands_dot():
    assert display.vnnum(11.0, 1) == "11,0"
    assert display.vnnum(1234.5, 1) == "1.234,5"
    assert display.vnnum(1500) == "1.500"
    assert display.vnnum(None) == ""


def test_a_requirement_id_is_shown_as_the_name_of_its_document():
    assert "Khánh Hòa" in display.source_document("KH-5")
    both = display.source_document("LC-5", "KH-8", "LC-7")
    assert both.count("Lai Châu") == 1 and "Khánh Hòa" in both
    assert display.source_document("Quyết định 12/QĐ-UBND") == ""  # a source HR typed


@pytest.mark.parametrize("typed, day", [
    ("31/12/2026", date(2026, 12, 31)), ("1/2/2026", date(2026, 2, 1)),
    ("2026-12-31", date(2026, 12, 31)), (" 05-03-2026 ", date(2026, 3, 5)),
    ("29/02/2028", date(2028, 2, 29))])
def test_dates_are_read_as_people_type_them(typed, day):
    from trainer.core.forms_util import parse_vn_date
    assert parse_vn_date(typed) == day


def test_a_date_that_does_not_exist_is_named_not_asked_for_again(app):
    from trainer.cohorts.forms import CohortForm as Form

    def CohortForm(formdata):  # noqa: N802  (the course list a view gives it)
        form = Form(formdata=formdata)
        form.course_id.choices = [(1, "Khóa thử")]
        return form
    with app.test_request_context():
        form = CohortForm(formdata=MultiDict({"start_date": "31/02/2026",
                                                 "end_date": "13/13/2026"}))
        form.validate()
        assert form.start_date.errors == ["Ngày 31/02/2026 không có thật."]
        assert form.end_date.errors == ["Ngày không hợp lệ (dd/mm/yyyy). Không có tháng 13."]
        assert form.code.errors == ["Nhập mã lớp."]
        form = CohortForm(formdata=MultiDict({"start_date": "mai", "end_date": ""}))
        form.validate()
        assert form.start_date.errors == ["Ngày không hợp lệ (dd/mm/yyyy). “mai” không phải "
                                          "là ngày; ví dụ 31/12/2026."]
        assert form.end_date.errors == ["Chọn ngày kết thúc."]
        form = CohortForm(formdata=MultiDict({"start_date": "1/12/2026"}))
        form.validate()
        assert form.start_date.data == date(2026, 12, 1) and not form.start_date.errors
        # Shown back as people write it, in a text box (no browser date picker in English).
        html = form.start_date()
        assert 'value="01/12/2026"' in html and 'type="text"' in html


def test_a_spreadsheet_date_that_does_not_exist_is_named():
    from trainer.core.tabular import parse_date
    with pytest.raises(ValueError, match="tháng 02/2026 không có ngày 31"):
        parse_date("31/02/2026")
    assert parse_date("28/02/2026") == date(2026, 2, 28)


@pytest.mark.parametrize("encoding", ["cp1258", "utf-16-le"])
def test_a_csv_that_is_not_utf8_is_answered_in_vietnamese(app, encoding):
    from trainer.core.tabular import read_table
    data = "Tên,Ghi chú\nÂn,Tè\n".encode(encoding)  # cp1258 has these letters
    with pytest.raises(DomainError) as e:
        read_table(io.BytesIO(data), "danh-sach.csv")
    message = str(e.value)
    assert "“danh-sach.csv”" in message and "không phải CSV UTF-8" in message
    assert "“CSV UTF-8”" in message and "Save As" not in message
