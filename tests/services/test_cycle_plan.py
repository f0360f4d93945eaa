"""Starting a cycle from an earlier one, and setting the whole stage plan with one save."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlmodel import select

from app.models import AuditEntry, Stage
from app.services import ServiceError, StaleData, cycle_plan, voting
from app.services.cycle_plan import StagePlan
from tests.builders import factories as f


def bj(y, m, d, h=9, mi=0):
    """A Beijing time as stored (UTC)."""
    return datetime(y, m, d, h - 8, mi, tzinfo=UTC) if h >= 8 else datetime(y, m, d - 1, h + 16, mi, tzinfo=UTC)


@pytest.mark.parametrize(("day", "mode", "expected"), [
    (date(2019, 3, 4), "exact", date(2020, 3, 4)),
    (date(2019, 3, 4), "weekday", date(2020, 3, 2)),   # a Monday stays a Monday, the nearest one
    (date(2020, 2, 29), "exact", date(2021, 2, 28)),
    (date(2020, 2, 29), "weekday", date(2021, 2, 27)),  # Saturday → the Saturday next to 28 Feb 2021
    (date(2019, 12, 31), "weekday", date(2020, 12, 29)),
])
def test_shift_by_a_year(day, mode, expected):
    got = cycle_plan.shift_date(day, mode)
    assert got == expected
    if mode == "weekday":
        assert got.weekday() == day.weekday() and abs((got - cycle_plan.plus_one_year(day)).days) <= 3


def test_shift_keeps_the_beijing_clock_time_across_midnight_utc(app):
    with app.app_context():
        # 07:30 Beijing on 4 March 2019 is 23:30 UTC on 3 March: the Beijing date is the one shifted
        stored = datetime(2019, 3, 3, 23, 30, tzinfo=UTC)
        assert cycle_plan.shift_time(stored, "exact") == datetime(2020, 3, 3, 23, 30, tzinfo=UTC)
        assert cycle_plan.shift_time(stored, "weekday") == datetime(2020, 3, 1, 23, 30, tzinfo=UTC)


def test_next_name():
    assert cycle_plan.next_name("2018-2019学年") == "2019-2020学年"
    assert cycle_plan.next_name("2026年度") == "2027年度"


def _plan_source(s, cycle):
    times = {"self_report": (bj(2019, 3, 4), bj(2019, 3, 15, 17)), "democratic": (bj(2019, 3, 11), bj(2019, 3, 22)),
             "scoring": (bj(2019, 3, 11), bj(2019, 3, 29)), "leader": (bj(2019, 3, 18), bj(2019, 3, 29)),
             "award": (bj(2019, 3, 18), bj(2019, 3, 29)), "deliberation": (bj(2019, 4, 1), bj(2019, 4, 5)),
             "publication": (bj(2019, 4, 8), bj(2019, 4, 15))}
    for st in s.exec(select(Stage).where(Stage.cycle_id == cycle.id)):
        st.opens_at, st.closes_at = times[st.kind]
        st.reminder_hours = [48, 12] if st.kind == "scoring" else [72, 24]
        s.add(st)
    s.flush()
    return times


def test_copy_cycle_copies_plan_groups_rule_and_scheme(session):
    s = session
    office = f.user(s, "office1", roles=["office"])
    scheme = f.voting_scheme(s)
    source = f.cycle(s, scheme=scheme, open_all=False)
    times = _plan_source(s, source)
    voting.roll.save_group(s, actor_id=None, cycle=source, key="lead", name="校领导", weight=Decimal("0.4"), position=1)
    voting.roll.save_group(s, actor_id=None, cycle=source, key="staff", name="教职工代表", weight=Decimal("0.6"),
                           position=2)
    voting.set_excellent_share(s, actor_id=None, cycle=source, share=Decimal("0.25"))

    new = cycle_plan.copy_cycle(s, actor_id=office.id, source=source, name="2019-2020学年",
                                period_start=date(2019, 9, 1), period_end=date(2020, 8, 31), scheme=None,
                                shift="weekday")
    plan = cycle_plan.current_plan(s, new)
    for kind, (opens, closes) in times.items():
        assert plan[kind].opens_at == cycle_plan.shift_time(opens, "weekday")
        assert plan[kind].closes_at == cycle_plan.shift_time(closes, "weekday")
    assert plan["self_report"].opens_at == bj(2020, 3, 2)  # Monday 4 March 2019 → Monday 2 March 2020
    assert plan["scoring"].reminder_hours == (48, 12)
    assert [(g.key, g.name, g.weight, g.position) for g in voting.groups_of(s, new.id)] == [
        ("lead", "校领导", Decimal("0.4000"), 1), ("staff", "教职工代表", Decimal("0.6000"), 2)]
    assert voting.state(s, new.id).max_excellent_share == Decimal("0.25")
    assert new.scheme_id == scheme.id and new.scheme_data == source.scheme_data
    assert voting.roll.account_entries(s, new.id) == []  # the roll is not copied
    entry = s.exec(select(AuditEntry).where(AuditEntry.action == "copy_from")).one()
    assert entry.cycle_id == new.id and entry.user_id == office.id and entry.new_value["source"] == source.name


def test_copy_cycle_refuses_a_name_in_use_and_changes_nothing(session):
    s = session
    office = f.user(s, "office1", roles=["office"])
    source = f.cycle(s, scheme=f.voting_scheme(s), open_all=False)
    with pytest.raises(ServiceError, match="已存在"):
        cycle_plan.copy_cycle(s, actor_id=office.id, source=source, name=source.name, period_start=date(2019, 9, 1),
                              period_end=date(2020, 8, 31), scheme=None, shift="exact")


def _versions(s, cycle):
    return {k: st.version for k, st in cycle_plan.stages_of(s, cycle).items()}


def test_set_plan_saves_all_stages_at_once_with_audit(session):
    s = session
    office = f.user(s, "office1", roles=["office"])
    cycle = f.cycle(s, open_all=False)
    plan = {"self_report": StagePlan(bj(2019, 3, 4), bj(2019, 3, 15), (72, 24)),
            "scoring": StagePlan(bj(2019, 3, 11), bj(2019, 3, 29), (24,)),
            "deliberation": StagePlan(bj(2019, 4, 1), bj(2019, 4, 5), (24,))}
    assert cycle_plan.set_plan(s, actor_id=office.id, cycle=cycle, plan=plan, versions=_versions(s, cycle)) == 3
    now = cycle_plan.current_plan(s, cycle)
    assert now["scoring"] == StagePlan(bj(2019, 3, 11), bj(2019, 3, 29), (24,))
    audits = s.exec(select(AuditEntry).where(AuditEntry.action == "set_times")).all()
    assert len(audits) == 3


@pytest.mark.parametrize(("plan", "message"), [
    ({"scoring": StagePlan(bj(2019, 3, 20), bj(2019, 3, 11))}, "「目标考核评分」的结束时间须晚于开始时间"),
    ({"scoring": StagePlan(bj(2019, 3, 20), None)}, "须同时填写开始时间和结束时间"),
    ({"self_report": StagePlan(bj(2019, 3, 4), bj(2019, 3, 15)), "leader": StagePlan(bj(2019, 3, 1), bj(2019, 3, 9))},
     "「领导班子评价」不能早于「自查自评」开始"),
    ({"scoring": StagePlan(bj(2019, 3, 4), bj(2019, 3, 29)),
      "deliberation": StagePlan(bj(2019, 3, 28), bj(2019, 4, 5))},
     "「审议确定结果」须在「目标考核评分」结束后才能开始"),
    ({"deliberation": StagePlan(bj(2019, 4, 1), bj(2019, 4, 5)),
      "publication": StagePlan(bj(2019, 4, 4), bj(2019, 4, 9))},
     "「公示及异议」须在「审议确定结果」结束后才能开始"),
])
def test_set_plan_refuses_a_plan_out_of_order_and_saves_nothing(session, plan, message):
    s = session
    office = f.user(s, "office1", roles=["office"])
    cycle = f.cycle(s, open_all=False)
    before = cycle_plan.current_plan(s, cycle)
    with pytest.raises(ServiceError, match=message):
        cycle_plan.set_plan(s, actor_id=office.id, cycle=cycle, plan=plan, versions=_versions(s, cycle))
    assert cycle_plan.current_plan(s, cycle) == before


def test_set_plan_with_a_stale_version_refuses_everything(session):
    s = session
    office = f.user(s, "office1", roles=["office"])
    cycle = f.cycle(s, open_all=False)
    versions = _versions(s, cycle)
    cycle_plan.set_plan(s, actor_id=office.id, cycle=cycle, versions=versions,
                        plan={"leader": StagePlan(bj(2019, 3, 4), bj(2019, 3, 15))})
    with pytest.raises(StaleData, match="领导班子评价"):
        cycle_plan.set_plan(s, actor_id=office.id, cycle=cycle, versions=versions,
                            plan={"scoring": StagePlan(bj(2019, 3, 4), bj(2019, 3, 15)),
                                  "leader": StagePlan(bj(2019, 3, 5), bj(2019, 3, 16))})
    assert cycle_plan.current_plan(s, cycle)["scoring"].opens_at is None


