"""Whether a stage is open is derived from its times and the recorded overrides."""

from datetime import timedelta

import pytest
from sqlmodel import select

from app.models import AuditEntry, Stage, StageOverride
from app.models.base import utcnow
from app.services import ServiceError, StageClosed, StaleData, stages
from tests.builders import factories as f

NOW = utcnow()
H = timedelta(hours=1)


def _stage(opens=-1, closes=1):
    return Stage(id=1, cycle_id=1, kind="self_report", opens_at=NOW + opens * H, closes_at=NOW + closes * H)


def _ov(action, at_h, until_h=None, ident=1):
    return StageOverride(id=ident, stage_id=1, action=action, reason="r", created_at=NOW + at_h * H,
                         until=None if until_h is None else NOW + until_h * H)


@pytest.mark.parametrize(
    ("opens", "closes", "status", "is_open"),
    [
        (1, 2, "planned", False),
        (-1, 1, "open", True),
        (-2, -1, "closed", False),
        (0, 1, "open", True),
        (-1, 0, "closed", False),
    ],
)
def test_planned_times(opens, closes, status, is_open):
    state = stages.stage_state(_stage(opens, closes), [], NOW)
    assert (state.status, state.is_open) == (status, is_open)


def test_unscheduled_stage_is_not_open():
    st = Stage(id=1, cycle_id=1, kind="leader")
    assert stages.stage_state(st, [], NOW).status == "unscheduled"


def test_reopen_after_close_until_a_time():
    st = _stage(-3, -2)
    ov = _ov("reopen", -1, until_h=2)
    state = stages.stage_state(st, [ov], NOW)
    assert state.is_open and state.until == NOW + 2 * H
    assert not stages.stage_state(st, [ov], NOW + 3 * H).is_open


def test_close_early_wins_over_plan_and_latest_override_wins():
    st = _stage(-1, 5)
    assert not stages.stage_state(st, [_ov("close", -0.5)], NOW).is_open
    both = [_ov("close", -0.5, ident=1), _ov("reopen", -0.2, until_h=1, ident=2)]
    assert stages.stage_state(st, both, NOW).is_open


def test_require_open_refuses_closed_and_planned(session):
    c = f.cycle(session, open_all=False)
    st = session.exec(select(Stage).where(Stage.cycle_id == c.id, Stage.kind == "leader")).one()
    st.opens_at, st.closes_at = NOW + H, NOW + 2 * H
    session.add(st)
    session.flush()
    with pytest.raises(StageClosed, match="尚未开始"):
        stages.require_open(session, c.id, "leader")
    st.opens_at, st.closes_at = NOW - 2 * H, NOW - H
    session.flush()
    with pytest.raises(StageClosed, match="已结束"):
        stages.require_open(session, c.id, "leader")


def test_override_needs_reason_and_is_audited(session):
    office = f.user(session, "office1", roles=["office"])
    c = f.cycle(session)
    st = session.exec(select(Stage).where(Stage.cycle_id == c.id, Stage.kind == "scoring")).one()
    with pytest.raises(ServiceError, match="原因"):
        stages.override_stage(session, actor_id=office.id, stage=st, action="close", reason="  ")
    stages.override_stage(session, actor_id=office.id, stage=st, action="close", reason="评分提前完成")
    assert not stages.state_of(session, c.id, "scoring").is_open
    entry = session.exec(select(AuditEntry).where(AuditEntry.entity == "stage", AuditEntry.action == "close")).one()
    assert entry.reason == "评分提前完成" and entry.old_value == {"status": "open"}


def test_stage_times_stale_version_is_refused(session):
    c = f.cycle(session)
    st = session.exec(select(Stage).where(Stage.cycle_id == c.id, Stage.kind == "award")).one()
    v = st.version
    stages.set_stage_times(session, actor_id=None, stage=st, opens_at=NOW, closes_at=NOW + H, reminder_hours=[24],
                           expected_version=v)
    with pytest.raises(StaleData):
        stages.set_stage_times(session, actor_id=None, stage=st, opens_at=NOW, closes_at=NOW + 2 * H,
                               reminder_hours=[24], expected_version=v)
    with pytest.raises(ServiceError, match="晚于"):
        stages.set_stage_times(session, actor_id=None, stage=st, opens_at=NOW, closes_at=NOW - H,
                               reminder_hours=[24], expected_version=st.version)
