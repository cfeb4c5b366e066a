"""KH-9 (issue 13 §5): a region may require a competency of every position — an island commune's
officials all need sea sovereignty and defence — and the learning paths, the gaps and the targets
read the same requirement."""
from __future__ import annotations

import sqlalchemy as sa

from trainer.catalog.models import Competency, Position, PositionRequirement
from trainer.core.extensions import db


def test_an_island_official_lacks_sea_sovereignty_whatever_the_position(app, catalog, make_unit,
                                                                       make_official):
    from trainer.guidance.operations import guidance_for, load_catalogue, load_population
    from trainer.targets.operations import facts_for
    sea = db.session.scalar(sa.select(Competency).where(Competency.code == "BD-01"))
    position = db.session.scalar(sa.select(Position).where(~Position.id.in_(
        sa.select(PositionRequirement.position_id).where(
            PositionRequirement.competency_id == sea.id))).order_by(Position.code))
    top = make_unit(code="TINH", name="Tỉnh Thử", kind="province", region=None)
    island = make_unit(code="DAO", name="Đặc khu Đảo", kind="special_zone", region="island",
                       parent_id=top.id)
    inland = make_unit(code="XA", name="Xã Đồng Bằng", kind="commune", region="rural",
                       parent_id=top.id)
    on_island = make_official(unit=island, position_id=position.id)
    elsewhere = make_official(unit=inland, position_id=position.id)
    unplaced = make_official(unit=island, position_id=None)
    db.session.commit()

    gaps = {g.competency_id: g for g in guidance_for(on_island).gaps}
    assert sea.id in gaps and gaps[sea.id].required == 2  # the island's floor
    assert sea.id not in {g.competency_id for g in guidance_for(elsewhere).gaps}
    assert any(step for step in guidance_for(on_island).path)  # a course closes it
    cat = load_catalogue()
    pop = load_population(cat)
    facts = facts_for()
    rows = facts.row_of(pop.official_ids)
    assert (facts.required()[rows] == pop.required).all()  # targets read the same requirement
    column = cat.comp_index[sea.id]
    by_id = dict(zip(pop.official_ids.tolist(), pop.required[:, column].tolist()))
    assert (by_id[on_island.id], by_id[elsewhere.id], by_id[unplaced.id]) == (2, 0, 0)
