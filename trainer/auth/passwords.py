"""Passwords: argon2id hashes, the policy a chosen password must meet, and one-time passwords
that the system makes (docs/accounts.md).

A password a person chooses is hashed with argon2's defaults (≈0.1 s, 64 MiB: costly to guess
from a stolen database). A one-time password the system makes has ~70 random bits and lives only
until its first use, so a cheap hash is enough: issuing the accounts of a whole commune in one
request then takes a second, not a minute."""
from __future__ import annotations

import re
import secrets
from datetime import date
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

_default = PasswordHasher()
# Tests and the demo generator hash thousands of passwords: cheap parameters there only.
_fast = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
_generated = PasswordHasher(time_cost=1, memory_cost=4096, parallelism=1)

# One-time passwords: no 0/O, 1/l/I to misread when HR hands them out on paper.
ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
GENERATED_LENGTH = 12  # log2(56**12) ≈ 70 bits

# Common passwords people in Việt Nam choose, beyond zxcvbn's English list.
VIETNAMESE_COMMON = (
    "matkhau", "matkhau123", "matkhau1234", "matkhaumoi", "anhyeuem", "anhyeuem123", "emyeuanh",
    "yeuemnhieu", "iloveyou123", "vietnam", "vietnam123", "vietnam2025", "hanoi123", "saigon123",
    "hochiminh", "123456789a", "a123456789", "1234567890", "0123456789", "qwertyuiop", "abc123456",
    "admin12345", "administrator", "password123", "passw0rd123", "12345678910", "1111111111",
    "0000000000", "1234512345", "caibap123", "thienthan", "conyeume", "doanhnghiep", "ubndxa123",
    "ubndxa2025", "canbo12345", "congchuc123", "daotao123", "demo1234", "trainer123",
)


def _hasher() -> PasswordHasher:
    return _fast if current_app.config.get("PASSWORD_HASH_FAST") else _default


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def hash_generated(password: str) -> str:
    """The hash of a one-time password made by `generate_password` (see the module's note)."""
    return (_fast if current_app.config.get("PASSWORD_HASH_FAST") else _generated).hash(password)


def check_password(hashed: str, password: str) -> bool:
    try:
        return _default.verify(hashed, password)  # the parameters are read from the hash
    except (VerificationError, InvalidHashError):
        return False


def generate_password() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(GENERATED_LENGTH))


@cache
def common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS
    return frozenset(FREQUENCY_LISTS["passwords"]) | frozenset(VIETNAMESE_COMMON)


def _date_forms(day: date) -> set[str]:
    return {day.strftime(f) for f in ("%d%m%Y", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y%m%d",
                                      "%Y-%m-%d", "%d%m%y", "%d/%m/%y")}


def password_problem(password: str, *, username: str = "", pid: str | None = None,
                     birth_date: date | None = None) -> str | None:
    """Why a chosen password is refused (Vietnamese), or None. Refused: shorter than
    PASSWORD_MIN_LENGTH; the username; a common password; the official's identity number or
    birth date (in any of the ways people write a date)."""
    minimum = int(current_app.config.get("PASSWORD_MIN_LENGTH", 10))
    if len(password) < minimum:
        return f"Mật khẩu phải có ít nhất {minimum} ký tự."
    if len(password) > 128:
        return "Mật khẩu không được dài quá 128 ký tự."
    folded = password.strip().casefold()
    bare = re.sub(r"[\W_]", "", folded)
    if username and folded in (username.casefold(), username.casefold()[::-1]):
        return "Mật khẩu không được trùng với tên đăng nhập."
    if folded in common_passwords() or bare in common_passwords():
        return "Mật khẩu này quá phổ biến, dễ bị đoán: hãy chọn mật khẩu khác."
    if len(set(folded)) < 4:
        return "Mật khẩu lặp lại quá ít ký tự khác nhau: hãy chọn mật khẩu khác."
    if pid and pid in bare:
        return "Mật khẩu không được chứa số định danh cá nhân."
    if birth_date and (folded in _date_forms(birth_date) or bare in _date_forms(birth_date)):
        return "Mật khẩu không được là ngày sinh."
    return None
