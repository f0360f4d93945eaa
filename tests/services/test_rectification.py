"""Rectification (整改) of 不合格 units: tasks after publication, plan submitted / returned /
accepted (audited, stale forms refused), reminders before the deadline, last year's plan."""

from datetime import date, timedelta

import pytest
from sqlmodel import select

from app.models import AuditEntry, Notice
from app.models.base import utcnow
from app.models.result import ResultSet
from app.services import PermissionDenied, ServiceError, StaleData, results
from app.services import rectification as svc
from tests.builders import factories as f
from tests.builders.results_case import build_case


@pytest.fixture
def case(session):
    c = build_case(session)
    results.refresh(session, cycle=c.cycle, inputs=c.inputs)
    session.flush()
    return c


def _publish(session, case):
    rs = session.exec(select(ResultSet).where(ResultSet.cycle_id == case.cycle.id)).one()
    rs.status = "published"
    session.add(rs)
    session.flush()


def _failed(session, case):
    rs = results.get_set(session, case.cycle.id)
    return [r for r in results.rows_of(session, rs) if r.grade == "不合格"]


def test_tasks_only_after_publication_for_failed_units(session, case):
    office = case.office
    due = utcnow() + timedelta(days=10)
    with pytest.raises(ServiceError, match="公示后"):
        svc.open_tasks(session, actor_id=office.id, actor_roles={"office"}, cycle=case.cycle, plan_due=due)
    _publish(session, case)
    with pytest.raises(PermissionDenied):
        svc.open_tasks(session, actor_id=case.reporter.id, actor_roles={"reporter"}, cycle=case.cycle, plan_due=due)
    with pytest.raises(ServiceError, match="晚于现在"):
        svc.open_tasks(session, actor_id=office.id, actor_roles={"office"}, cycle=case.cycle,
                       plan_due=utcnow() - timedelta(hours=1))
    failed = _failed(session, case)
    assert failed
    new = svc.open_tasks(session, actor_id=office.id, actor_roles={"office"}, cycle=case.cycle, plan_due=due)
    assert sorted(r.unit_id for r in new) == sorted(r.unit_id for r in failed)
    assert svc.open_tasks(session, actor_id=office.id, actor_roles={"office"}, cycle=case.cycle, plan_due=due) == []
    assert session.exec(select(AuditEntry).where(AuditEntry.entity == "rectification")).all()


def test_submit_return_resubmit_accept(session, case):
    _publish(session, case)
    rect = svc.open_tasks(session, actor_id=case.office.id, actor_roles={"office"}, cycle=case.cycle,
                          plan_due=utcnow() + timedelta(days=10))[0]
    rep = f.user(session, "rep-fail", roles=[{"role": "reporter", "unit_id": rect.unit_id}])
    plan = dict(causes="教学管理松懈", measures="一、完善制度；二、加强督查", owner="院长 张某某",
                complete_by=date(2020, 6, 30))
    with pytest.raises(PermissionDenied):
        svc.submit_plan(session, actor_id=case.reporter.id, actor_units={case.reporter.id + 999}, rect=rect, **plan)
    with pytest.raises(ServiceError, match="整改措施"):
        svc.submit_plan(session, actor_id=rep.id, actor_units={rect.unit_id}, rect=rect, **{**plan, "measures": " "})
    with pytest.raises(ServiceError, match="完成时限"):
        svc.submit_plan(
            session, actor_id=rep.id, actor_units={rect.unit_id}, rect=rect, **{**plan, "complete_by": None}
        )
    assert rect.status == "open" and rect.causes == ""
    svc.submit_plan(session, actor_id=rep.id, actor_units={rect.unit_id}, rect=rect, expected_version=1, **plan)
    assert (rect.status, rect.version) == ("submitted", 2)
    with pytest.raises(ServiceError, match="不能再提交"):
        svc.submit_plan(session, actor_id=rep.id, actor_units={rect.unit_id}, rect=rect, **plan)
    with pytest.raises(PermissionDenied):
        svc.return_plan(session, actor_id=rep.id, actor_roles={"reporter"}, rect=rect, comment="x")
    with pytest.raises(ServiceError, match="退回意见"):
        svc.return_plan(session, actor_id=case.office.id, actor_roles={"office"}, rect=rect, comment="")
    with pytest.raises(StaleData):
        svc.return_plan(session, actor_id=case.office.id, actor_roles={"office"}, rect=rect, comment="措施不具体",
                        expected_version=1)
    svc.return_plan(session, actor_id=case.office.id, actor_roles={"office"}, rect=rect, comment="措施不具体",
                    expected_version=2)
    assert rect.status == "returned"
    assert session.exec(select(Notice).where(Notice.user_id == rep.id, Notice.title == "整改方案已被退回修改")).first()
    assert [r.id for r, _ in svc.pending_for_units(session, {rect.unit_id})] == [rect.id]
    svc.submit_plan(session, actor_id=rep.id, actor_units={rect.unit_id}, rect=rect,
                    **{**plan, "measures": "一、修订教学管理办法（2020年3月）；二、每月督查"})
    svc.accept_plan(session, actor_id=case.office.id, actor_roles={"office"}, rect=rect, expected_version=4)
    assert rect.status == "accepted" and svc.pending_for_units(session, {rect.unit_id}) == []
    actions = [a.action for a in session.exec(select(AuditEntry).where(AuditEntry.entity == "rectification",
                                                                        AuditEntry.entity_id == rect.id)
                                              .order_by(AuditEntry.id))]
    assert actions == ["open", "submit", "return", "submit", "accept"]
    # the next cycle's self-report shows this plan
    nxt = f.cycle(session, name="2019-2020学年")
    nxt.period_start, nxt.period_end = date(2019, 9, 1), date(2020, 8, 31)
    session.add(nxt)
    session.flush()
    prev = svc.previous_plan(session, nxt, rect.unit_id)
    assert prev is not None and prev[0].id == rect.id
    assert svc.previous_plan(session, case.cycle, rect.unit_id) is None


def test_reminders_before_the_deadline_once(session, case):
    _publish(session, case)
    due = utcnow() + timedelta(days=5)
    rect = svc.open_tasks(session, actor_id=case.office.id, actor_roles={"office"}, cycle=case.cycle, plan_due=due)[0]
    rep = f.user(session, "rep-fail", roles=[{"role": "reporter", "unit_id": rect.unit_id}])
    assert svc.due_reminders(session, utcnow()) == 0                  # 5 days ahead: none yet
    assert svc.due_reminders(session, due - timedelta(days=2)) == 1  # the 3-day reminder
    assert svc.due_reminders(session, due - timedelta(days=2)) == 0  # once
    assert svc.due_reminders(session, due - timedelta(hours=12)) == 1  # the 1-day reminder
    titles = [n.title for n in session.exec(select(Notice).where(Notice.user_id == rep.id))]
    assert sum("整改方案将于" in t for t in titles) == 2
