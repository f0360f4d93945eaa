"""Weights set by the office on the settings page: per row or one weight per first-level group
spread over its rows; the sums are checked, a stale page is refused, every change is audited."""

from decimal import Decimal as D

import pytest
from sqlmodel import select

from app.models import AuditEntry
from app.rubric.targets import spread_points
from app.services import ServiceError, StaleData
from app.services import target_reports as ysvc
from app.services import targets as svc
from tests.builders import factories as f
from tests.builders.targets import small_workbook


class _Office:
    def has(self, *roles):
        return "office" in roles


@pytest.fixture
def world(session):
    u = f.unit(session, "机电工程学院")
    office = f.user(session, "office1", roles=["office"])
    session.commit()
    rec = svc.import_table(session, actor_id=office.id, unit=u, year=2026, data=small_workbook())
    session.commit()
    return office, rec


def _weights(rec) -> list:
    return [r.weight for r in svc.table_of(rec).rows]


def _save(session, office, rec, **kw):
    ysvc.save_settings(session, actor_id=office.id, identity=_Office(), rec=rec, data={},
                       expected_version=rec.version, **kw)
    session.commit()


def test_spread_points_sums_exactly():
    assert spread_points(D(10), 3) == [D("3.34"), D("3.33"), D("3.33")]
    assert sum(spread_points(D("30"), 7)) == D("30.00")
    assert spread_points(D(5), 0) == []


def test_group_weights_spread_over_their_rows_and_are_audited(session, world):
    office, rec = world
    _save(session, office, rec, groups={"产出": "40", "过程": "30", "决策": "10", "满意度": "20"})
    assert _weights(rec) == [D("40.00"), D("15.00"), D("15.00"), D("10.00"), D("20.00")]
    score = ysvc.year_end_score(session, rec).score
    assert [r.weight for r in score.rows] == [D("40.00"), D("15.00"), D("15.00"), D("10.00"), D("20.00")]
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "target_settings")).all()[-1]
    assert entry.new_value["groups"] == {"产出": "40.00", "过程": "30.00", "决策": "10.00", "满意度": "20.00"}
    assert entry.new_value["rows"]["2"]["weight"] == "15.00"


def test_a_group_replaces_its_rows_weights_and_other_rows_keep_theirs(session, world):
    office, rec = world
    _save(session, office, rec, rows={1: {"weight": "50"}, 2: {"weight": "1"}}, groups={"过程": "30"})
    # 过程 (rows 2, 3) gets 30 spread, row 1 keeps 50; rows 4 and 5 share what is left (20)
    assert _weights(rec)[:3] == [D("50.00"), D("15.00"), D("15.00")]
    assert _weights(rec)[3:] == [None, None]
    assert [r.weight for r in ysvc.year_end_score(session, rec).score.rows][3:] == [D("10.00"), D("10.00")]


def test_group_weights_of_ninety_leave_the_budget_line_its_ten(session, world):
    office, rec = world
    _save(session, office, rec, groups={"产出": "40", "过程": "20", "决策": "10", "满意度": "20"})
    assert sum(_weights(rec)) == D("90.00")


@pytest.mark.parametrize("groups,rows,message", [
    ({"产出": "40", "过程": "30", "决策": "10", "满意度": "15"}, None, "每项指标都已填写权重，合计 95.00，应为 100"),
    ({"产出": "80", "过程": "30"}, None, "合计 110.00，超过 100"),
    ({"产出": "abc"}, None, "一级指标「产出」的权重「abc」不是数字"),
    ({"满意度": "101"}, None, "一级指标「满意度」的权重「101」应在 0 到 100 之间"),
    (None, {i: {"weight": "10"} for i in range(1, 6)}, "合计 50.00，应为 100"),
])
def test_weights_that_do_not_add_up_are_refused_and_change_nothing(session, world, groups, rows, message):
    office, rec = world
    before = rec.version
    with pytest.raises(ServiceError) as exc:
        _save(session, office, rec, groups=groups, rows=rows)
    assert message in str(exc.value)
    session.rollback()
    session.refresh(rec)
    assert rec.version == before and _weights(rec) == [None] * 5


def test_stale_settings_page_is_refused(session, world):
    office, rec = world
    with pytest.raises(StaleData):
        ysvc.save_settings(session, actor_id=office.id, identity=_Office(), rec=rec, data={},
                           groups={"产出": "40"}, expected_version=rec.version - 1)
