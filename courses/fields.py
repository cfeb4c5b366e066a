"""Whether an official's field of study (chuyên ngành) fits a position (LC-1b): the one rule,
read by staffing and by the targets.

Fields are typed by people, so they are compared as people mean them: case, accents written
differently (NFC), spaces and a leading "ngành"/"chuyên ngành" do not matter, and an accepted
field matches a more specific one ("Luật" accepts "Luật hành chính"), never the reverse."""
from __future__ import annotations

import re
import unicodedata

_PREFIX = re.compile(r"^(chuyên\s+ngành|ngành)\s+")


def normalise_field(text: str | None) -> str:
    """The comparable form of a field: NFC, lower case, single spaces, no leading "ngành"."""
    words = " ".join(unicodedata.normalize("NFC", text or "").casefold().split())
    return _PREFIX.sub("", words)


def field_fits(field: str | None, accepted) -> bool | None:
    """True when `field` is one of the `accepted` fields (or more specific: starts with one as a
    whole word); False when it is none of them; None when it cannot be told — the position
    accepts any field (no list) or the official's field is not recorded."""
    accepted = [a for a in (normalise_field(a) for a in accepted or ()) if a]
    mine = normalise_field(field)
    if not accepted or not mine:
        return None
    return any(mine == a or mine.startswith(a + " ") for a in accepted)
