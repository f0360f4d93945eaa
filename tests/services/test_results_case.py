"""A complete cycle with known inputs, and its results computed independently here (plain
arithmetic, not the engine) and compared unit by unit: totals, normalisation, ranks with the
tie-break, quotas, eligibility, vetoes, the 不合格 rule and the last-two-years flag.

The case itself is in tests/builders/results_case.py.
"""

from decimal import ROUND_HALF_UP, Decimal
from types import SimpleNamespace

import pytest
from sqlmodel import select

from app.models.result import ResultRow
from app.services import ServiceError, StaleData, results
from tests.builders.results_case import NOT_ELIGIBLE, PREVIOUS_LAST, UNITS, VETOED, build_case, case  # noqa: F401  (fixture)

# ----------------------------------------------------------------------------- the independent computation


def q2(x) -> Decimal:
    return Decimal(x).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def expected_results():
    """Totals, ranks and grades worked out here, step by step, without the engine."""
    rows = {}
    for name, cat, sub, fx, (a, b, c), pr, dp in UNITS:
        n = a + b + c
        mean = Decimal(90 * a + 70 * b + 50 * c) / n
        demo_pts = 20 if cat == "college" else 70
        democratic = q2(mean / 100 * demo_pts)
        if cat == "college":
            basic_raw = sum(Decimal(fx[k]) for k in ("B1", "B2") if k in fx)
            basic = q2(basic_raw * 55 / 45) if sub == "基础课教学部" else basic_raw
            target = basic + Decimal(fx["K1"])
            target_raw = basic_raw + Decimal(fx["K1"])
        else:
            target = target_raw = Decimal(fx["W1"] + fx["W2"])
        leader = q2(Decimal(sum(pr)) / len(pr) / 100 * 20) + q2(Decimal(sum(dp)) / len(dp) / 100 * 10)
        rows[name] = SimpleNamespace(category=cat, democratic=democratic, target=target, target_raw=target_raw,
                                     leader=leader, total=democratic + target + leader)
    # ranks: total desc, then target, leader, democratic desc; equal keys share the rank
    for cat in ("college", "department"):
        names = [n for n, r in rows.items() if r.category == cat]
        key = {n: (rows[n].total, rows[n].target, rows[n].leader, rows[n].democratic) for n in names}
        for n in names:
            rows[n].rank = 1 + sum(1 for m in names if key[m] > key[n])
        quota = 2 if cat == "college" else 3
        for n in names:
            rows[n].grade = "不合格" if rows[n].total < 150 else None
            rows[n].tie_at_quota = False
        # down the ranking, a rank at a time: units tied at a rank are 优秀 together only if they
        # all fit in the quota left; otherwise none is, and the tie goes to the leadership group
        for rank in sorted({rows[n].rank for n in names}):
            cands = [n for n in names if rows[n].rank == rank and rows[n].grade is None
                     and n not in NOT_ELIGIBLE and n not in VETOED]
            if cands and quota > 0:
                if len(cands) <= quota:
                    for n in cands:
                        rows[n].grade = "优秀"
                    quota -= len(cands)
                else:
                    for n in cands:
                        rows[n].tie_at_quota = True
                    quota = 0
        for n in names:
            rows[n].grade = rows[n].grade or "合格"
        last = max(rows[n].rank for n in names)
        for n in names:
            rows[n].last_place = rows[n].rank == last
            rows[n].consecutive = rows[n].last_place and n in PREVIOUS_LAST
    return rows


def test_known_cycle_matches_independent_computation(case, session):  # noqa: F811  (the fixture)
    out = results.refresh(session, cycle=case.cycle, actor_id=case.office.id)
    session.commit()
    assert out.created
    rows = {r.unit_name: r for r in session.exec(select(ResultRow).where(ResultRow.result_set_id == out.result_set.id))}
    want = expected_results()
    assert set(rows) == set(want)
    for name, w in want.items():
        r = rows[name]
        assert (r.democratic, r.target, r.target_raw, r.leader, r.total) == (
            w.democratic, w.target, w.target_raw, w.leader, w.total), name
        assert r.rank == w.rank, name
        assert r.grade == w.grade, (name, r.detail["grading"]["explanation"])
        assert ("last_place" in r.flags) == w.last_place, name
        assert ("last_place_consecutive" in r.flags) == w.consecutive, name
        assert ("tie_at_quota" in r.flags) == w.tie_at_quota, name
    # the case exercises what it claims to
    assert rows["甲学院"].rank == 1 and rows["甲学院"].grade == "合格"
    assert "未申报优秀" in rows["甲学院"].detail["grading"]["explanation"]
    assert rows["乙学院"].grade == "合格" and "发生重大安全责任事故" in rows["乙学院"].detail["grading"]["explanation"]
    assert [n for n, r in rows.items() if r.category == "college" and r.grade == "优秀"] == ["丙学院", "基础课教学部"]
    assert rows["后勤管理处"].grade == "不合格"
    assert "last_place_consecutive" in rows["后勤管理处"].flags
    # tie: 教务处 / 财务处 / 图书馆 share democratic and leader; 教务处 higher total;
    # 财务处 vs 图书馆 equal total 91 vs 91
    assert rows["财务处"].total == rows["图书馆"].total
    assert rows["财务处"].rank == rows["图书馆"].rank == 3  # equal on every tie-break key → shared rank
    # two units tied at the last 优秀 place with one place left: neither is 优秀, both flagged
    assert rows["财务处"].grade == rows["图书馆"].grade == "合格"
    assert "tie_at_quota" in rows["财务处"].flags
    # normalisation visible: raw and scaled both stored
    jcb = rows["基础课教学部"]
    assert jcb.target_raw == Decimal("130.00") and jcb.target == Decimal("139.33")
    assert jcb.detail["normalisations"][0]["raw_max"] == "45.00"
    assert "按比例折算到55分" in jcb.detail["normalisations"][0]["explanation"]


def test_tie_break_orders_equal_totals_by_target(session, monkeypatch):
    c = build_case(session, previous=False)
    # make 保卫处 equal in total to 图书馆 but with a higher target score
    c.inputs.facts[(c.units["保卫处"].id, "W1")] = {"points": 40}
    c.inputs.facts[(c.units["保卫处"].id, "W2")] = {"points": 60}
    session.commit()
    out = results.refresh(session, cycle=c.cycle, inputs=c.inputs)
    rows = {r.unit_name: r for r in session.exec(select(ResultRow).where(ResultRow.result_set_id == out.result_set.id))}
    a, b = rows["保卫处"], rows["党委办公室"]
    assert a.total != b.total or a.target > b.target
    ordered = sorted([r for r in rows.values() if r.category == "department"], key=lambda r: r.rank)
    for x, y in zip(ordered, ordered[1:], strict=False):
        assert (x.total, x.target, x.leader, x.democratic) >= (y.total, y.target, y.leader, y.democratic)


def test_recompute_marks_changes_and_leaves_same_inputs_alone(case, session):  # noqa: F811  (the fixture)
    first = results.refresh(session, cycle=case.cycle)
    fp = first.result_set.fingerprint
    again = results.refresh(session, cycle=case.cycle)
    assert not again.changed and again.result_set.fingerprint == fp
    case.inputs.facts[(case.units["丁学院"].id, "K1")] = {"points": 95}
    third = results.refresh(session, cycle=case.cycle, actor_id=case.office.id)
    assert third.changed and any("丁学院" in c for c in third.changes)
    assert third.result_set.changed_at is not None


def test_fixed_results_never_change_silently(case, session):  # noqa: F811  (the fixture)
    results.refresh(session, cycle=case.cycle)
    rs = results.fix(session, actor_id=case.office.id, cycle=case.cycle)
    before = {r.unit_name: (r.total, r.rank, r.grade) for r in results.rows_of(session, rs)}
    case.inputs.facts[(case.units["丁学院"].id, "K1")] = {"points": 95}
    out = results.refresh(session, cycle=case.cycle)
    assert out.drift and "丁学院" in out.drift[0]
    after = {r.unit_name: (r.total, r.rank, r.grade) for r in results.rows_of(session, rs)}
    assert before == after


def test_unfixing_lets_later_data_in_and_is_refused_after_publication(case, session):  # noqa: F811  (the fixture)
    """撤销定稿 before publication (a reason required): the set is proposed again and the next
    recomputation takes the data decided after fixing; it is audited; published results stay."""
    from app.models import AuditEntry

    results.refresh(session, cycle=case.cycle)
    rs = results.fix(session, actor_id=case.office.id, cycle=case.cycle)
    case.inputs.facts[(case.units["丁学院"].id, "K1")] = {"points": 95}
    with pytest.raises(ServiceError, match="理由"):
        results.unfix(session, actor_id=case.office.id, cycle=case.cycle, reason=" ")
    with pytest.raises(StaleData):
        results.unfix(
            session, actor_id=case.office.id, cycle=case.cycle, reason="补评", expected_version=rs.version - 1
        )
    results.unfix(session, actor_id=case.office.id, cycle=case.cycle, reason="补评贡献奖后重新计算",
                  expected_version=rs.version)
    assert rs.status == "proposed" and rs.fixed_at is None
    out = results.refresh(session, cycle=case.cycle, actor_id=case.office.id)
    assert out.changed and any("丁学院" in c for c in out.changes)
    audit = session.exec(select(AuditEntry).where(AuditEntry.action == "unfix")).one()
    assert audit.reason == "补评贡献奖后重新计算"
    with pytest.raises(ServiceError, match="尚未定稿"):
        results.unfix(session, actor_id=case.office.id, cycle=case.cycle, reason="再次")


def test_inputs_come_from_the_services_and_nothing_entered_is_provisional(session):
    c = build_case(session, previous=False)
    inputs = results.gather_inputs(session, c.cycle)  # the real services: nothing entered yet
    ids = {u.id for u in c.units.values()}
    assert inputs.ballots == {uid: {} for uid in ids}
    assert inputs.leader_ratings == {uid: {"principal": [], "deputy": []} for uid in ids}
    assert (inputs.facts, inputs.group_weights, inputs.turnout, inputs.awards, inputs.eligible, inputs.vetoes) == (
        {}, {}, [], [], set(), {})
    payload = results.compute(session, c.cycle, inputs)
    assert set(payload["rows"]) == {str(u.id) for u in c.units.values()}
    assert all(r["provisional"] for r in payload["rows"].values())
