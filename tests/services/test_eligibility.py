import pytest
from sqlmodel import select

from app.models import AuditEntry
from app.models.award import Veto
from app.services import PermissionDenied, ServiceError, StageClosed, StaleData, stages
from app.services import eligibility as svc
from app.services.schemes import SchemeUnavailable
from tests.builders import factories as f
from tests.builders.report_world import small_scheme


def close(s, cycle, kind):
    stage = stages.get_stage(s, cycle.id, kind)
    stages.override_stage(s, actor_id=None, stage=stage, action="close", reason="测试结束")


@pytest.fixture
def world(session):
    u1, u2 = f.unit(session, "机电"), f.unit(session, "信息")
    rep = f.user(session, "rep", roles=[{"role": "reporter", "unit_id": u1.id}])
    office = f.user(session, "off", roles=["office"])
    member = f.user(session, "g1", roles=["group"])
    cycle = f.cycle(session, scheme=f.scheme(session, small_scheme()))
    session.commit()
    return session, cycle, (u1, u2), rep, office, member


def submit(s, cycle, rep, unit_id, **kw):
    values = dict(condition="innovation", title="现代学徒制试点", description="与三家企业共同培养……",
                  links=[])
    values.update(kw)
    return svc.submit_application(s, actor_id=rep.id, actor_units={unit_id}, cycle=cycle, unit_id=unit_id, **values)


def test_source_vetoes_are_the_fallback(world):
    s, cycle, *_ = world
    texts = [t for _, t in svc.veto_conditions(cycle)]  # the scheme lists no vetoes
    assert len(texts) == 4 and texts[1] == "出现较严重的安全责任事故的"
    data = small_scheme()
    cycle.scheme_data = {**data, "grading": {**data["grading"], "vetoes": [{"key": "x", "text": "自定义情形"}]}}
    assert svc.veto_conditions(cycle) == [("x", "自定义情形")]
    cycle.scheme_data = {}
    with pytest.raises(SchemeUnavailable, match="尚未指定考核方案"):
        svc.veto_conditions(cycle)


def test_apply_decide_and_contract(world):
    s, cycle, (u1, u2), rep, office, member = world
    with pytest.raises(PermissionDenied):
        svc.submit_application(s, actor_id=rep.id, actor_units={u1.id}, cycle=cycle, unit_id=u2.id,
                               condition="innovation", title="x", description="y", links=[])
    with pytest.raises(ServiceError):
        submit(s, cycle, rep, u1.id, condition="luck")
    a = submit(s, cycle, rep, u1.id)
    assert svc.eligible_units(s, cycle) == set()
    with pytest.raises(PermissionDenied):
        svc.decide_application(s, actor_id=rep.id, actor_roles={"reporter"}, application=a, accept=True, reason="x")
    with pytest.raises(ServiceError, match="理由"):
        svc.decide_application(s, actor_id=member.id, actor_roles={"group"}, application=a, accept=True, reason="")
    svc.decide_application(s, actor_id=member.id, actor_roles={"group"}, application=a, accept=False,
                           reason="成效材料不足", expected_version=1)
    assert a.status == "rejected" and not a.decided_on_behalf
    # the unit revises after the rejection; the office records the group's acceptance on its behalf
    a = submit(s, cycle, rep, u1.id, condition="breakthrough", expected_version=2)
    assert a.status == "submitted"
    with pytest.raises(StaleData):
        svc.decide_application(s, actor_id=office.id, actor_roles={"office"}, application=a, accept=True,
                               reason="同意", expected_version=2)
    svc.decide_application(s, actor_id=office.id, actor_roles={"office"}, application=a, accept=True,
                           reason="领导小组会议同意", expected_version=3)
    assert a.decided_on_behalf
    assert svc.eligible_units(s, cycle) == {u1.id}
    with pytest.raises(ServiceError, match="认定"):
        submit(s, cycle, rep, u1.id, expected_version=4)
    audit = s.exec(
        select(AuditEntry).where(AuditEntry.entity == "excellence_application").order_by(AuditEntry.id)
    ).all()
    assert [e.action for e in audit] == ["apply", "reject", "revise", "accept"]
    assert audit[-1].new_value["on_behalf_of_group"] is True and audit[-1].reason == "领导小组会议同意"


def test_decision_needs_an_open_window(world):
    s, cycle, (u1, _), rep, office, member = world
    a = submit(s, cycle, rep, u1.id)
    close(s, cycle, "award")
    close(s, cycle, "deliberation")
    with pytest.raises(StageClosed):
        svc.decide_application(s, actor_id=member.id, actor_roles={"group"}, application=a, accept=True, reason="同意")
    with pytest.raises(StageClosed):
        submit(s, cycle, rep, u1.id, expected_version=1)


def test_vetoes_record_withdraw_and_contract(world):
    s, cycle, (u1, u2), rep, office, member = world
    with pytest.raises(ServiceError):
        svc.record_veto(s, actor_id=office.id, cycle=cycle, unit_id=u1.id, condition="bogus", other_text="",
                        reason="x", links=[])
    with pytest.raises(ServiceError, match="说明"):
        svc.record_veto(s, actor_id=office.id, cycle=cycle, unit_id=u1.id, condition="other", other_text="",
                        reason="x", links=[])
    v1 = svc.record_veto(s, actor_id=office.id, cycle=cycle, unit_id=u1.id, condition="safety_accident", other_text="",
                         reason="2019年3月实验室火灾", links=["https://example.org/r"])
    svc.record_veto(s, actor_id=office.id, cycle=cycle, unit_id=u2.id, condition="other", other_text="学术不端",
                    reason="经学校认定", links=[])
    assert svc.active_vetoes(s, cycle) == {u1.id: ["出现较严重的安全责任事故的"], u2.id: ["其他：学术不端"]}
    with pytest.raises(ServiceError, match="理由"):
        svc.withdraw_veto(s, actor_id=office.id, veto=v1, reason="  ", expected_version=1)
    with pytest.raises(StaleData):
        svc.withdraw_veto(s, actor_id=office.id, veto=v1, reason="复核不属实", expected_version=7)
    svc.withdraw_veto(s, actor_id=office.id, veto=v1, reason="复核不属实", expected_version=1)
    assert set(svc.active_vetoes(s, cycle)) == {u2.id}
    with pytest.raises(ServiceError, match="已撤销"):
        svc.withdraw_veto(s, actor_id=office.id, veto=v1, reason="再撤销")
    audit = s.exec(select(AuditEntry).where(AuditEntry.entity == "veto").order_by(AuditEntry.id)).all()
    assert [(e.action, e.reason) for e in audit] == [("record", "2019年3月实验室火灾"), ("record", "经学校认定"),
                                                     ("withdraw", "复核不属实")]


def test_vetoes_locked_after_deliberation(world):
    s, cycle, (u1, _), rep, office, member = world
    close(s, cycle, "deliberation")
    with pytest.raises(StageClosed):
        svc.record_veto(s, actor_id=office.id, cycle=cycle, unit_id=u1.id, condition="violation", other_text="",
                        reason="x", links=[])


def test_old_snapshot_with_veto_key_other_still_loads_and_shows_condition_four(world):
    """A snapshot taken before "other" was reserved listed 「经学校认定的其它责任事项」 under "other";
    it still loads (the condition read under its own key) and its rows recorded as "other" show
    that condition, while a current snapshot's "other" rows stay the free 「其他」."""
    s, cycle, (u1, u2), rep, office, member = world
    data = small_scheme()
    four = "经学校认定的其它责任事项"
    old = {
        **data,
        "grading": {
            **data["grading"],
            "vetoes": [
                {"key": "violation", "text": "出现违纪违法行为造成较严重后果的"},
                {"key": "other", "text": four},
            ],
        },
    }
    cycle.scheme_data = old
    s.add(cycle)
    s.flush()
    assert svc.veto_conditions(cycle) == [
        ("violation", "出现违纪违法行为造成较严重后果的"),
        ("school_determined", four),
    ]
    s.add(Veto(cycle_id=cycle.id, unit_id=u1.id, condition="other", condition_text="校园贷事件处置不力",
               reason="经学校认定", links=[], recorded_by_id=office.id))
    s.flush()
    svc.record_veto(s, actor_id=office.id, cycle=cycle, unit_id=u2.id, condition="school_determined",
                    other_text="", reason="经学校认定", links=[])
    assert svc.active_vetoes(s, cycle) == {u1.id: [f"{four}（校园贷事件处置不力）"], u2.id: [four]}
    cycle.scheme_data = data
    assert svc.active_vetoes(s, cycle)[u1.id] == ["其他：校园贷事件处置不力"]
