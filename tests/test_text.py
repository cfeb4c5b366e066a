"""Text as it enters (issue 12): stored in Unicode NFC whatever form it came in, and a search
of spaces is no search (core/text.py)."""
from __future__ import annotations

import unicodedata

import sqlalchemy as sa

from trainer.core.extensions import db
from trainer.people.models import Official

NAME = "Lò Thị Huyền Trang"
DECOMPOSED = unicodedata.normalize("NFD", NAME)


def test_a_decomposed_name_is_stored_composed_and_found_as_typed(app, province, make_official,
                                                                 make_user, login):
    assert DECOMPOSED != NAME
    _, a, _ = province
    official = make_official(unit=a, full_name=DECOMPOSED)
    db.session.commit()
    stored = db.session.scalar(sa.select(Official.full_name).where(Official.id == official.id))
    assert stored == NAME and unicodedata.is_normalized("NFC", stored)
    assert db.session.scalar(sa.select(Official.id).where(Official.full_name == NAME)) \
        == official.id  # an exact match on what people type
    official.full_name = DECOMPOSED  # a change, too
    db.session.commit()
    assert db.session.scalar(sa.select(Official.full_name).where(
        Official.id == official.id)) == NAME


def test_a_search_of_spaces_finds_everyone(app, province, make_official, make_user, login):
    _, a, _ = province
    make_official(unit=a, full_name="Lò Văn Một")
    make_official(unit=a, full_name="Hà Thị Hai")
    db.session.commit()
    client = login(make_user("hr", unit_id=a.id))
    everyone = client.get("/can-bo").get_data(as_text=True)
    spaces = client.get("/can-bo?q=%20%20%20").get_data(as_text=True)
    assert "Lò Văn Một" in spaces and "Hà Thị Hai" in spaces
    assert spaces.count("/can-bo/") == everyone.count("/can-bo/")
    decomposed = client.get("/can-bo", query_string={"q": unicodedata.normalize("NFD", "Hai")})
    assert "Hà Thị Hai" in decomposed.get_data(as_text=True)
