"""Vietnamese everywhere (issue 12, item 3): the scan that every page each demo role reaches by
clicking goes through (run on the crawl of tests/test_crawl.py, on the 300-official demo, in the
same pass): no English interface word, no requirement code or file path, and no number with a
decimal point — in its visible text and in the attributes a person meets (title, aria-label,
placeholder, alt)."""
from __future__ import annotations

import re
from html.parser import HTMLParser


# Common English words of web interfaces (whole words, any case).
ENGLISH = ("Submit", "Save", "Cancel", "Delete", "Edit", "Search", "Next", "Previous", "Home",
           "Login", "Log in", "Logout", "Log out", "Sign in", "Sign out", "Error", "Please",
           "Required", "Loading", "Download", "Upload", "Close", "Toggle navigation",
           "breadcrumb", "Back", "Show", "Hide", "Filter", "Export", "Import", "Select",
           "Choose", "Confirm", "Reset", "Password", "Username", "Dashboard", "Settings",
           "Welcome", "Details", "Update", "Remove", "Not found", "Forbidden", "Page", "Total",
           "Yes", "Status", "Name", "Date", "Actions", "Skip to", "Main content", "Menu",
           "Notifications", "Profile", "Account", "Help", "Open", "more", "the", "and", "of",
           "Pagination", "First", "Last")
ENGLISH_WORD = re.compile(r"(?<![\w/.-])(" + "|".join(re.escape(w) for w in ENGLISH)
                          + r")(?![\w/-])", re.IGNORECASE)
# A requirement's ID from REQUIREMENTS.md ("KH-5", "LC-T2", "DL-c", "TQ III.2") or a file path
# of the repository: internal, never shown (a "Căn cứ" note names the document instead).
# So is a setting's name (YOUNG_AGE_LIMIT).
INTERNAL = re.compile(r"(?<![\w-])(?:HT|KH|DL|LC|TQ)(?:-\w+|\s[IVX]+\.[\d.]+)|\b[\w/-]+\.(?:md|py)\b"
                      r"|\b[A-Z]{2,}(?:_[A-Z]+)+\b")
# A target's code ("DL-c", "LC-5") is its name, given by HR and editable (the presets take the
# requirement's ID): allowed on the target pages only, where it names the target.
TARGET_PAGES = "/muc-tieu"
# A decimal point: 11.0, 8.5, 45.3 % (Vietnamese writes 11,0; a dot groups thousands: 1.500).
DECIMAL_POINT = re.compile(r"(?<![\w.,/-])\d+\.\d{1,2}(?![\d.\w])")
CHECKED_ATTRIBUTES = ("title", "aria-label", "placeholder", "alt")
PRODUCT = "thiếu gì học nấy"

# The audit log shows what was recorded (an export's query “page=2&unit=1”, a job's title of the
# day): a record, not interface text. Its detail cells are not scanned.
AUDIT_LOG, AUDIT_DETAIL_CLASS = "/nhat-ky", "small text-break"


class _Visible(HTMLParser):
    """The text a person sees (scripts and styles dropped), the <title>, and the checked
    attributes' values."""

    def __init__(self, skip_class: str | None = None):
        super().__init__(convert_charrefs=True)
        self.skip_class = skip_class
        self.text: list[str] = []
        self.attributes: list[str] = []
        self.title = ""
        self._skip = 0
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template") \
                or (tag == "td" and self.skip_class and dict(attrs).get("class") == self.skip_class):
            self._skip += 1
        if tag == "title":
            self._in_title = True
        for name, value in attrs:
            if name in CHECKED_ATTRIBUTES and value:
                self.attributes.append(value)
            # A submit button's text is its value.
            if name == "value" and tag == "input" and value \
                    and dict(attrs).get("type") in ("submit", "button", "reset"):
                self.attributes.append(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template", "td") and self._skip:
            self._skip -= 1
        if tag == "title":
            self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.title += data
        elif not self._skip:
            self.text.append(data)


def problems_of(page: str, target_codes: frozenset[str] = frozenset(),
                skip_class: str | None = None) -> list[str]:
    """What a page shows that is not Vietnamese, or is internal (`target_codes`: the codes
    allowed on this page; `skip_class`: the class of table cells holding recorded text)."""
    parser = _Visible(skip_class)
    parser.feed(page)
    title = " ".join(parser.title.split())
    found = []
    for where, text in [("tiêu đề", title)] + [("chữ", t) for t in parser.text] \
            + [("thuộc tính", a) for a in parser.attributes]:
        text = " ".join(text.split())
        for pattern, what in ((ENGLISH_WORD, "tiếng Anh"), (INTERNAL, "mã nội bộ"),
                              (DECIMAL_POINT, "dấu chấm thập phân")):
            for m in pattern.finditer(text):
                if pattern is INTERNAL and m.group(0) in target_codes:
                    continue
                found.append(f"{what} “{m.group(0)}” ({where}: “{text[:80]}”)")
    if re.search(r"\btrainer\b", title, re.IGNORECASE):
        found.append(f"tên sản phẩm tiếng Anh trong tiêu đề: “{title}”")
    return found


def test_the_scan_finds_english_words_internal_codes_and_decimal_points():
    page = ('<html><head><title>Lớp học · trainer</title><script>var Save = 1;</script></head>'
            '<body><nav aria-label="breadcrumb"></nav><h1>Người cố vấn (KH-5)</h1>'
            '<p>Điểm 11.0</p><input placeholder="Search"><button>Lưu</button>'
            '<p>Xem docs/decisions.md</p><p>1.500 cán bộ, 45,5%</p></body></html>')
    found = problems_of(page)
    assert any("“breadcrumb”" in f for f in found)
    assert any("“KH-5”" in f for f in found)
    assert any("“11.0”" in f for f in found)
    assert any("“Search”" in f for f in found)
    assert any("docs/decisions.md" in f for f in found)
    assert not any("Save" in f for f in found)  # inside a script: not shown
    assert not any("1.500" in f or "45,5" in f for f in found)  # Vietnamese numbers
    assert any("tên sản phẩm" in f for f in found)  # "trainer" in a title
    assert not problems_of("<title>Lớp học · Thiếu gì học nấy</title>")
    assert problems_of("<p>(TQ II.2), thiết lập YOUNG_AGE_LIMIT</p>") == [
        "mã nội bộ “TQ II.2” (chữ: “(TQ II.2), thiết lập YOUNG_AGE_LIMIT”)",
        "mã nội bộ “YOUNG_AGE_LIMIT” (chữ: “(TQ II.2), thiết lập YOUNG_AGE_LIMIT”)"]
    assert not problems_of("<h1>DL-c · Bồi dưỡng</h1>", frozenset({"DL-c"}))  # a target's name
