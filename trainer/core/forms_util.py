"""Form helpers: Vietnamese messages for WTForms, choices, and the date field people type into."""
import re
from datetime import date

from wtforms import DateField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import StopValidation
from wtforms.widgets import TextInput


def options(pairs) -> list[SelectChoice]:
    """WTForms 3.3 wants SelectChoice objects, not (value, label) tuples."""
    return [SelectChoice(value, label) for value, label in pairs]


# A date as people type it: 31/12/2026, 1/2/2026, 01-02-2026, 01.02.2026, or 2026-12-31 (what a
# browser's date picker and the API send).
_DAY_FIRST = re.compile(r"(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})")
_YEAR_FIRST = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")


def parse_vn_date(text: str) -> date:
    """The date in `text`, or ValueError with a Vietnamese message that says what is wrong:
    "Ngày 31/02/2026 không có thật." for a day the calendar does not have."""
    text = (text or "").strip()
    if m := _DAY_FIRST.fullmatch(text):
        day, month, year = (int(g) for g in m.groups())
    elif m := _YEAR_FIRST.fullmatch(text):
        year, month, day = (int(g) for g in m.groups())
    else:
        raise ValueError(f"Ngày không hợp lệ (dd/mm/yyyy). “{text}” không phải là ngày; "
                         "ví dụ 31/12/2026.")
    try:
        return date(year, month, day)
    except ValueError:
        pass
    if not 1 <= month <= 12:
        raise ValueError(f"Ngày không hợp lệ (dd/mm/yyyy). Không có tháng {month}.")
    raise ValueError(f"Ngày {day:02d}/{month:02d}/{year} không có thật.")


class VnDateField(DateField):
    """A date typed as people in Việt Nam write it (dd/mm/yyyy, d/m/yyyy; yyyy-mm-dd accepted)
    in a text box, shown back as dd/mm/yyyy. A wrong date is answered by what is wrong with it
    ("Ngày 31/02/2026 không có thật."), not by the field's "required" message. docs/i18n.md."""

    widget = TextInput()

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.pop("format", None)
        render_kw = {"placeholder": "dd/mm/yyyy", "inputmode": "numeric",
                     "autocomplete": "off"} | (kwargs.pop("render_kw", None) or {})
        super().__init__(label, validators, format="%d/%m/%Y", render_kw=render_kw, **kwargs)

    def process_formdata(self, valuelist):
        if not valuelist or not (valuelist[0] or "").strip():
            self.data = None
            return
        try:
            self.data = parse_vn_date(valuelist[0])
        except ValueError as e:
            self.data = None
            raise ValueError(str(e)) from None

    def _value(self):
        # A date read is shown back as dd/mm/yyyy; one that could not be read, as typed.
        if self.data is not None and not self.process_errors:
            return self.data.strftime("%d/%m/%Y")
        return " ".join(self.raw_data or [])

    def pre_validate(self, form):
        # The date could not be read: say why, and not also "Chọn ngày …" (required).
        if self.process_errors:
            raise StopValidation()


# WTForms ships no Vietnamese messages. Flask-WTF looks the translations up once per request and
# keeps them on `request.wtforms_translations`; the app sets this there before each request
# (trainer/__init__.py) so that a field's built-in error ("Not a valid choice.") is Vietnamese.
WTFORMS_VI = {
    "This field is required.": "Trường này không được để trống.",
    "Not a valid choice.": "Lựa chọn không hợp lệ.",
    "Invalid Choice: could not coerce.": "Lựa chọn không hợp lệ.",
    "Invalid choice(s): one or more data inputs could not be coerced.": "Lựa chọn không hợp lệ.",
    "'%(value)s' is not a valid choice for this field.": "“%(value)s” không phải lựa chọn hợp lệ.",
    "'%(value)s' are not valid choices for this field.":
        "“%(value)s” không phải lựa chọn hợp lệ.",
    "Not a valid integer value.": "Phải là số nguyên.",
    "Not a valid decimal value.": "Phải là số.",
    "Not a valid float value.": "Phải là số.",
    "Not a valid date value.": "Ngày không hợp lệ (dd/mm/yyyy).",
    "Not a valid datetime value.": "Thời điểm không hợp lệ.",
    "Not a valid time value.": "Giờ không hợp lệ (hh:mm).",
    "Not a valid week value.": "Tuần không hợp lệ.",
    "Invalid input.": "Giá trị không hợp lệ.",
    "Invalid email address.": "Địa chỉ e-mail không hợp lệ.",
    "Invalid URL.": "Địa chỉ (URL) không hợp lệ.",
    "Number must be at least %(min)s.": "Số phải từ %(min)s trở lên.",
    "Number must be at most %(max)s.": "Số không được lớn hơn %(max)s.",
    "Number must be between %(min)s and %(max)s.": "Số phải từ %(min)s đến %(max)s.",
    "Date must be at least %(min)s.": "Ngày phải từ %(min)s trở đi.",
    "Date must be at most %(max)s.": "Ngày không được sau %(max)s.",
    "Date must be between %(min)s and %(max)s.": "Ngày phải từ %(min)s đến %(max)s.",
    "Field must be equal to %(other_name)s.": "Phải trùng với %(other_name)s.",
    "Field must be at least %(min)d character long.": "Phải có ít nhất %(min)d ký tự.",
    "Field must be at least %(min)d characters long.": "Phải có ít nhất %(min)d ký tự.",
    "Field cannot be longer than %(max)d character.": "Không được dài quá %(max)d ký tự.",
    "Field cannot be longer than %(max)d characters.": "Không được dài quá %(max)d ký tự.",
    "Field must be exactly %(max)d character long.": "Phải có đúng %(max)d ký tự.",
    "Field must be exactly %(max)d characters long.": "Phải có đúng %(max)d ký tự.",
    "Field must be between %(min)d and %(max)d characters long.":
        "Phải có từ %(min)d đến %(max)d ký tự.",
    "Invalid value, must be one of: %(values)s.": "Giá trị phải là một trong: %(values)s.",
    "Invalid value, can't be any of: %(values)s.": "Giá trị không được là: %(values)s.",
    "This field cannot be edited.": "Trường này không sửa được.",
    "This field is disabled and cannot have a value.": "Trường này bị khóa, không nhận giá trị.",
}


class WTFormsVietnamese:
    """The two methods Flask-WTF calls on a translations object."""

    def ugettext(self, text: str) -> str:
        return WTFORMS_VI.get(text, text)

    def ungettext(self, singular: str, plural: str, n: int) -> str:
        return self.ugettext(singular if n == 1 else plural)
