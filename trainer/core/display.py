"""Vietnamese display helpers for templates and exports (dd/mm/yyyy, 1.234,5)."""
from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime

from courses import vocab
from trainer.core.timeutil import local, local_date

label = vocab.label
PROFICIENCY = dict(vocab.PROFICIENCY)
SCALES = vocab.QUALIFICATION_SCALES


def vndate(value: date | datetime | None) -> str:
    """dd/mm/yyyy. A datetime (stored in UTC) shows the day it was in Việt Nam: 18:30 UTC is
    already 01:30 of the next day there. A date is a day already and is shown as it is."""
    if value is None:
        return ""
    return local_date(value).strftime("%d/%m/%Y")




def vntime(value: datetime | None) -> str:
    """A moment as people in Việt Nam read it: dd/mm/yyyy HH:MM, local time (stored in UTC;
    SQLite gives it back without its zone)."""
    if value is None:
        return ""
    return local(value).strftime("%d/%m/%Y %H:%M")


def vnscore(value: float) -> str:
    """A score or mark as written in Vietnamese: 4.5 → "4,5", 11.0 → "11" (no needless zeros)."""
    return f"{value:g}".replace(".", ",")


def vnnum(value, digits: int = 0) -> str:
    """A number in Vietnamese form: 1.234,5 (thousands with a dot, decimals with a comma)."""
    if value is None or value == "":
        return ""
    text = f"{value:,.{digits}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


# The five provincial documents (/work/shared/REQUIREMENTS.md, seeds/), by the prefix of their
# requirement IDs. Pages never show an ID ("KH-5"): where the source matters they show a small
# "Căn cứ: <document>" note (docs/i18n.md).
SOURCE_DOCUMENTS = {
    "HT": "Văn bản của UBND tỉnh Hà Tĩnh triển khai Nghị quyết số 02-NQ/TU ngày 16/4/2026",
    "KH": "Nghị quyết của Ban Thường vụ Tỉnh ủy Khánh Hòa về nâng cao chất lượng cán bộ, "
          "công chức cơ sở giai đoạn 2026–2030",
    "DL": "Kế hoạch của UBND tỉnh Đắk Lắk triển khai Chỉ thị số 18/CT-TTg ngày 08/5/2026",
    "LC": "Nghị quyết của Ban Thường vụ Tỉnh ủy Lai Châu về nâng cao trình độ, năng lực cán bộ "
          "cấp xã",
    "TQ": "Kế hoạch của UBND tỉnh Tuyên Quang triển khai Nghị quyết số 87-NQ/TU ngày 05/5/2026",
}

_SOURCE_ID = re.compile(r"\s*(HT|KH|DL|LC|TQ)(?:$|[- ])")


def source_document(*codes: str) -> str:
    """The documents requirement IDs come from, by name: ("KH-11", "TQ II.2") → "Nghị quyết …
    Khánh Hòa …; Kế hoạch … Tuyên Quang …". Unknown prefixes are left out."""
    names = []
    for code in codes:
        m = _SOURCE_ID.match(code or "")
        name = SOURCE_DOCUMENTS.get(m.group(1)) if m else None
        if name and name not in names:
            names.append(name)
    return "; ".join(names)


def fold(text: str) -> str:
    """Lower-case text without diacritics, so that "dat dai" finds "đất đai"."""
    text = unicodedata.normalize("NFD", text or "").replace("đ", "d").replace("Đ", "D")
    return "".join(ch for ch in text if unicodedata.category(ch) != "Mn").casefold()


def name_key(full_name: str) -> tuple[str, str]:
    """Vietnamese alphabetical order: by given name (the last word), then the whole name,
    ignoring diacritics at this level (“Hạng A Lềnh” sorts under L, not after “Hoàng”)."""
    folded = fold(full_name)
    return folded.rsplit(" ", 1)[-1], folded
