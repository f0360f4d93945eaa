"""Vote codes for several rater groups at once: one batch per group, all or none, a renamed
group or a second submission of the same confirmation refused, audited."""

import pytest
from sqlalchemy import func, select

from app.models import AuditEntry
from app.models.voting import RollEntry
from app.services import ServiceError, StaleData, voting
from tests.builders import factories as f


@pytest.fixture
def hall(session):
    office = f.user(session, "office1", roles=["office"])
    unit = f.unit(session, "机电工程学院")
    cycle = f.cycle(session, scheme=f.voting_scheme(session))
    groups = voting.create_default_groups(session, actor_id=None, cycle=cycle)
    session.commit()
    return office, unit, cycle, groups


def _codes(s, cycle):
    return s.execute(select(func.count()).select_from(RollEntry).where(RollEntry.cycle_id == cycle.id)).scalar()


def test_codes_for_several_groups_one_batch_each(session, hall):
    office, unit, cycle, (cadre, staff) = hall
    names = {cadre.id: cadre.name, staff.id: staff.name}
    made = voting.issue_codes_for_groups(session, actor_id=office.id, cycle=cycle, counts={cadre.id: 3, staff.id: 5},
                                         names=names, unit_id=unit.id, batch="教代会")
    assert made == [("教代会·中层干部", 3), ("教代会·教职工代表", 5)]
    by_batch = {b["batch"]: b for b in voting.batches(session, cycle.id)}
    assert by_batch["教代会·中层干部"]["group"] == "中层干部" and by_batch["教代会·中层干部"]["count"] == 3
    assert by_batch["教代会·教职工代表"]["unit_id"] == unit.id and by_batch["教代会·教职工代表"]["count"] == 5
    entry = session.execute(select(AuditEntry).where(AuditEntry.action == "issue_codes_batch")).scalar_one()
    assert entry.user_id == office.id and len(entry.new_value["batches"]) == 2
    # the same confirmation again: refused, nothing more generated
    with pytest.raises(StaleData, match="已存在"):
        voting.issue_codes_for_groups(session, actor_id=office.id, cycle=cycle, counts={cadre.id: 3, staff.id: 5},
                                      names=names, unit_id=unit.id, batch="教代会")
    assert _codes(session, cycle) == 8


def test_all_or_nothing(session, hall):
    office, _unit, cycle, (cadre, staff) = hall
    names = {cadre.id: cadre.name, staff.id: staff.name}
    with pytest.raises(ServiceError, match="1 至 5000"):
        voting.issue_codes_for_groups(session, actor_id=office.id, cycle=cycle, counts={cadre.id: 3, staff.id: 6000},
                                      names=names, batch="大会")
    session.rollback()
    assert _codes(session, cycle) == 0
    voting.save_group(session, actor_id=None, cycle=cycle, key="", name="教工代表", weight=None, group_id=staff.id)
    with pytest.raises(StaleData, match="已被修改"):
        voting.issue_codes_for_groups(session, actor_id=office.id, cycle=cycle, counts={cadre.id: 3, staff.id: 5},
                                      names=names, batch="大会")
    with pytest.raises(ServiceError, match="至少"):
        voting.issue_codes_for_groups(session, actor_id=office.id, cycle=cycle, counts={cadre.id: 0}, names=names)
    assert _codes(session, cycle) == 0
