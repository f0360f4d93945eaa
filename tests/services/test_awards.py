from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from app.models import AuditEntry
from app.models.award import AwardVote
from app.services import PermissionDenied, ServiceError, StageClosed, StaleData, stages
from app.services import awards as svc
from app.services.schemes import SchemeUnavailable
from tests.builders import factories as f
from tests.builders.report_world import small_scheme


def close(s, cycle, kind):
    stage = stages.get_stage(s, cycle.id, kind)
    stages.override_stage(s, actor_id=None, stage=stage, action="close", reason="测试结束")


@pytest.fixture
def world(session):
    u1, u2 = f.unit(session, "机电"), f.unit(session, "教务处", category="department")
    rep = f.user(session, "rep", roles=[{"role": "reporter", "unit_id": u1.id}])
    office = f.user(session, "off", roles=["office"])
    members = [f.user(session, f"g{i}", roles=["group"]) for i in range(5)]
    cycle = f.cycle(session, scheme=f.scheme(session, small_scheme()))
    session.commit()
    return session, cycle, (u1, u2), rep, office, members


def apply(s, cycle, rep, unit_id, **kw):
    values = dict(title="省级教学成果奖一等奖", level="省级", achieved_on=date(2019, 5, 1), issuer="江苏省教育厅",
                  links=["https://example.org/a"])
    values.update(kw)
    return svc.apply(s, actor_id=rep.id, actor_units={unit_id}, cycle=cycle, unit_id=unit_id, **values)


def test_apply_validation(world):
    s, cycle, (u1, u2), rep, *_ = world
    with pytest.raises(PermissionDenied):
        svc.apply(
            s, actor_id=rep.id, actor_units={u1.id}, cycle=cycle, unit_id=u2.id, title="x", level="省级",
            achieved_on=date(2019, 1, 1), issuer="y")
    with pytest.raises(ServiceError, match="考核期间"):
        apply(s, cycle, rep, u1.id, achieved_on=date(2020, 1, 1))
    with pytest.raises(ServiceError, match="级别"):
        apply(s, cycle, rep, u1.id, level="宇宙级")
    with pytest.raises(ServiceError, match="http"):
        apply(s, cycle, rep, u1.id, links=["javascript:alert(1)"])


def test_return_revise_accept_vote_decide(world):
    s, cycle, (u1, _), rep, office, members = world
    a = apply(s, cycle, rep, u1.id)
    with pytest.raises(ServiceError, match="原因"):
        svc.precheck(s, actor_id=office.id, application=a, accept=False, reason=" ", expected_version=a.version)
    svc.precheck(s, actor_id=office.id, application=a, accept=False, reason="缺少获奖证书", expected_version=1)
    assert a.status == "returned" and a.return_reason == "缺少获奖证书"
    with pytest.raises(StaleData):
        svc.revise(s, actor_id=rep.id, actor_units={u1.id}, application=a, expected_version=1, title="改", level="省级",
                   achieved_on=date(2019, 5, 1), issuer="江苏省教育厅")
    svc.revise(s, actor_id=rep.id, actor_units={u1.id}, application=a, expected_version=2, title="改后的成果",
               level="省级", achieved_on=date(2019, 5, 1), issuer="江苏省教育厅")
    assert a.status == "submitted"
    with pytest.raises(ServiceError, match="初审"):
        svc.vote(s, actor_id=members[0].id, application=a, approve=True)
    svc.precheck(s, actor_id=office.id, application=a, accept=True, reason="", expected_version=3)
    with pytest.raises(PermissionDenied):
        svc.vote(s, actor_id=office.id, application=a, approve=True)
    for m in members[:3]:
        svc.vote(s, actor_id=m.id, application=a, approve=True, comment="同意")
    svc.vote(s, actor_id=members[3].id, application=a, approve=False)
    d = svc.award_decisions(s, cycle)[0]
    assert (d["approvals"], d["rejections"], d["members"], d["decided"]) == (3, 1, 5, "pending")
    assert svc.pending_members(s, cycle) == {members[4].id}
    # a member changes their vote: 2 of 5 is not more than half
    svc.vote(s, actor_id=members[2].id, application=a, approve=False, comment="改变主意")
    assert len(s.exec(select(AwardVote)).all()) == 4
    close(s, cycle, "award")
    d = svc.award_decisions(s, cycle)[0]
    assert (d["approvals"], d["rejections"], d["decided"]) == (2, 2, "not_awarded")
    assert "过半数" in d["explanation"] and "2.5" in d["explanation"]
    with pytest.raises(StageClosed):
        svc.vote(s, actor_id=members[4].id, application=a, approve=True)
    actions = [
        e.action
        for e in s.exec(
            select(AuditEntry).where(AuditEntry.entity.in_(["award_application", "award_vote"])).order_by(AuditEntry.id)
        )
    ]
    assert actions == ["apply", "return", "revise", "accept", "vote", "vote", "vote", "vote", "change_vote"]


def test_majority_awarded_and_public_list(world):
    s, cycle, (u1, _), rep, office, members = world
    a = apply(s, cycle, rep, u1.id)
    b = apply(s, cycle, rep, u1.id, title="未受理的申报")
    svc.precheck(s, actor_id=office.id, application=a, accept=True, reason="", expected_version=1)
    for m in members[:3]:
        svc.vote(s, actor_id=m.id, application=a, approve=True)
    assert svc.awarded(s, cycle) == []  # nothing is decided before the stage closes
    close(s, cycle, "award")
    decisions = {d["application_id"]: d for d in svc.award_decisions(s, cycle)}
    assert decisions[a.id]["decided"] == "awarded"
    assert decisions[b.id]["decided"] == "not_awarded" and "初审" in decisions[b.id]["explanation"]
    assert [d["unit_id"] for d in svc.awarded(s, cycle)] == [u1.id]


def test_scheme_share_is_used(world):
    s, cycle, (u1, _), rep, office, members = world
    # a scheme without wording: the wording is made from its share
    assert svc.award_rule(cycle) == (Decimal("0.5"), "领导小组成员过半数同意")
    cycle.scheme_data = {**small_scheme(), "award": {"type": "majority", "share": 0.6, "text": "同意票超过成员总数60%"}}
    assert svc.award_rule(cycle) == (Decimal("0.6"), "同意票超过成员总数60%")
    # an invalid snapshot, or none, is refused with a clear message instead of a default rule
    cycle.scheme_data = {**small_scheme(), "award": {"type": "majority", "share": 1.5}}
    with pytest.raises(SchemeUnavailable, match="考核方案快照有误"):
        svc.award_rule(cycle)
    cycle.scheme_data = {}
    with pytest.raises(SchemeUnavailable, match="尚未指定考核方案"):
        svc.award_rule(cycle)


def test_one_vote_per_member_constraint(world):
    s, cycle, (u1, _), rep, office, members = world
    a = apply(s, cycle, rep, u1.id)
    s.commit()
    s.add(AwardVote(application_id=a.id, member_id=members[0].id, approve=True))
    s.add(AwardVote(application_id=a.id, member_id=members[0].id, approve=False))
    with pytest.raises(IntegrityError):
        s.flush()
    s.rollback()


def test_closed_stage_refuses_application(world):
    s, cycle, (u1, _), rep, *_ = world
    close(s, cycle, "award")
    with pytest.raises(StageClosed):
        apply(s, cycle, rep, u1.id)
