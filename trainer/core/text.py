"""Text as it enters (issue 12): every string typed, imported or received is kept in Unicode
NFC, the composed form keyboards type — a name pasted or imported in decomposed form (NFD:
"a" + U+0301) would otherwise look the same on screen and not be found by what people type.

One place: before each flush, every text column of every new or changed row is normalised
(forms, imports, the JSON API and xAPI all write through the session); searches normalise what
they are given (`clean`). Bulk Core writes (the demo generator) write text from the code."""
from __future__ import annotations

import unicodedata
from functools import lru_cache

import sqlalchemy as sa


def clean(text: str | None) -> str:
    """A search or a short value as typed: NFC, without surrounding spaces ("   " is "")."""
    return unicodedata.normalize("NFC", text or "").strip()


def nfc(value):
    return unicodedata.normalize("NFC", value) if isinstance(value, str) and \
        not unicodedata.is_normalized("NFC", value) else value


@lru_cache(maxsize=None)
def _text_columns(mapper) -> tuple[str, ...]:
    return tuple(attr.key for attr in mapper.column_attrs
                 if isinstance(attr.columns[0].type, (sa.String, sa.Text)))


def init_app(session) -> None:
    if sa.event.contains(session, "before_flush", _normalised):
        return  # one session for every app of the process: watched once
    sa.event.listen(session, "before_flush", _normalised)


def _normalised(s, _context, _instances) -> None:
    for obj in [*s.new, *s.dirty]:
        state = sa.inspect(obj)
        for key in _text_columns(state.mapper):
            value = state.dict.get(key)  # what is set or loaded: never a load of its own
            fixed = nfc(value)
            if fixed is not value:
                setattr(obj, key, fixed)
