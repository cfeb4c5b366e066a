"""Personal identification number (số định danh cá nhân, 12 digits) — Circular 07/2016/TT-BCA:
digits 1–3 the province of birth registration, digit 4 gender and century of birth
(0/1 = male/female born 1900–1999, 2/3 = 2000–2099, 4/5 = 2100–2199), digits 5–6 the last two
digits of the birth year, digits 7–12 a random number."""
from __future__ import annotations

import re
from datetime import date

PROVINCE_CODES = frozenset(
    "001 002 004 006 008 010 011 012 014 015 017 019 020 022 024 025 026 027 030 031 033 034 035 "
    "036 037 038 040 042 044 045 046 048 049 051 052 054 056 058 060 062 064 066 067 068 070 072 "
    "074 075 077 079 080 082 083 084 086 087 089 091 092 093 094 095 096".split())


def pid_problem(pid: str, birth_date: date | None = None, gender: str | None = None) -> str | None:
    """Why `pid` is not a valid identification number (Vietnamese), or None when it is."""
    if not re.fullmatch(r"\d{12}", pid or ""):
        return f"“{pid}” phải gồm đúng 12 chữ số"
    if pid[:3] not in PROVINCE_CODES:
        return f"mã tỉnh “{pid[:3]}” trong số định danh không tồn tại"
    digit = int(pid[3])
    if digit > 5:
        return f"chữ số thứ 4 (“{digit}”) phải từ 0 đến 5 (giới tính và thế kỷ sinh)"
    if birth_date is not None:
        century = 1900 + 100 * (digit // 2)
        if birth_date.year // 100 * 100 != century or int(pid[4:6]) != birth_date.year % 100:
            return f"số định danh không khớp năm sinh {birth_date.year}"
    if gender is not None and ("female" if digit % 2 else "male") != gender:
        return "số định danh không khớp giới tính"
    return None


def make_pid(province: str, birth_date: date, gender: str, serial: int) -> str:
    digit = (birth_date.year // 100 - 19) * 2 + (1 if gender == "female" else 0)
    return f"{province}{digit}{birth_date.year % 100:02d}{serial % 1_000_000:06d}"
