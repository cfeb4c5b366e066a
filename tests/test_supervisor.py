"""Who confirms an official's levels (issue 13): the leader of the official's unit, or of the
nearest unit above with another leader (people.operations.supervisor_of); and whether a field of
study fits a position (courses.fields.field_fits), typed as people type it."""
from __future__ import annotations

import pytest

from courses.fields import field_fits, normalise_field
from trainer.core.errors import DomainError
from trainer.core.extensions import db
from trainer.people.operations import set_unit_leader, supervisor_of


@pytest.fixture
def tree(province, make_unit, make_official):
    top, a, b = province
    dept = make_unit(code="LCU-X01-VP", name="Văn phòng HĐND và UBND xã A", kind="department",
                     parent_id=a.id)
    chairman = make_official(unit=a, full_name="Lò Văn Chủ")
    head = make_official(unit=dept, full_name="Tòng Thị Trưởng")
    clerk = make_official(unit=dept, full_name="Điêu Văn Chuyên")
    db.session.commit()
    return a, dept, chairman, head, clerk


def test_the_unit_leader_supervises_and_the_leader_is_supervised_from_above(tree):
    a, dept, chairman, head, clerk = tree
    assert supervisor_of(clerk) is None  # nobody named: HR confirms
    set_unit_leader(a, chairman)
    assert supervisor_of(clerk) == chairman  # the department has no leader: the commune's
    set_unit_leader(dept, head)
    db.session.commit()
    assert supervisor_of(clerk) == head
    assert supervisor_of(head) == chairman  # a leader is confirmed by the unit above
    assert supervisor_of(chairman) is None  # the province names nobody
    set_unit_leader(dept, None)
    assert supervisor_of(clerk) == chairman


def test_a_leader_works_in_the_unit_or_below(tree, province):
    a, dept, chairman, head, clerk = tree
    with pytest.raises(DomainError, match="không công tác tại"):
        set_unit_leader(dept, chairman)  # the chairman sits in the commune, above the department
    set_unit_leader(a, head)  # a department head may lead the commune (acting)
    assert supervisor_of(clerk) == head


@pytest.mark.parametrize("field, accepted, fits", [
    ("Luật", ["Luật"], True),
    ("luật  hành chính", ["Luật"], True),  # more specific, any case and spacing
    ("Ngành Quản lý đất đai", ["Quản lý đất đai"], True),
    ("Chuyên ngành Kế toán", ["Kế toán", "Tài chính"], True),
    ("Luật", ["Luật hành chính"], False),  # less specific does not fit
    ("Luậtsư", ["Luật"], False),  # a whole word only
    ("Kế toán", ["Luật"], False),
    ("", ["Luật"], None),  # not recorded
    ("Luật", [], None),  # the position accepts any field
])
def test_a_field_fits_as_people_mean_it(field, accepted, fits):
    assert field_fits(field, accepted) is fits


def test_fields_compare_in_one_unicode_form():
    decomposed = "Lua\u0323\u0302t"  # "Luật" typed with combining marks
    assert normalise_field(decomposed) == "luật"
    assert field_fits(decomposed, ["LUẬT"]) is True
