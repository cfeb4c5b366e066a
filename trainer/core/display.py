"""Vietnamese display helpers for templates and exports (dd/mm/yyyy, 1.234,5)."""
from __future__ import annotations

import unicodedata
from datetime import date, datetime, timedelta, timezone

from courses import vocab

label = vocab.label
PROFICIENCY = dict(vocab.PROFICIENCY)
SCALES = vocab.QUALIFICATION_SCALES


def vndate(value: date | datetime | None) -> str:
    if value is None:
        return ""
    return value.strftime("%d/%m/%Y")


VIETNAM = timezone(timedelta(hours=7))  # Asia/Ho_Chi_Minh (no daylight saving)


def vntime(value: datetime | None) -> str:
    """A moment as people in Việt Nam read it: dd/mm/yyyy HH:MM, local time (stored in UTC;
    SQLite gives it back without its zone)."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(VIETNAM).strftime("%d/%m/%Y %H:%M")


def vnnum(value, digits: int = 0) -> str:
    if value is None:
        return ""
    text = f"{value:,.{digits}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def fold(text: str) -> str:
    """Lower-case text without diacritics, so that "dat dai" finds "đất đai"."""
    text = unicodedata.normalize("NFD", text or "").replace("đ", "d").replace("Đ", "D")
    return "".join(ch for ch in text if unicodedata.category(ch) != "Mn").casefold()


def name_key(full_name: str) -> tuple[str, str]:
    """Vietnamese alphabetical order: by given name (the last word), then the whole name,
    ignoring diacritics at this level (“Hạng A Lềnh” sorts under L, not after “Hoàng”)."""
    folded = fold(full_name)
    return folded.rsplit(" ", 1)[-1], folded
