"""A complete cycle with known inputs, and its results computed independently here (plain
arithmetic, not the engine) and compared unit by unit: totals, normalisation, ranks with the
tie-break, quotas, eligibility, vetoes, the 不合格 rule and the last-two-years flag.

The case (``build_case``) is reused by the web, sheet and JSON tests.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from types import SimpleNamespace

import pytest
from sqlmodel import select

from app.models import Cycle
from app.models.result import ResultRow, ResultSet
from app.services import ServiceError, StaleData, results
from tests import factories as f


def judged(code, name, pts, **kw):
    return {"code": code, "name": name, "points": pts, "rule": "judged", "params": {}, **kw}


def scheme_dict(fail_rule=None):
    return {
        "format": "kpi-scheme/1", "key": "test-results", "version": 1, "name": "测试方案", "total_points": 200,
        "normalisation": "scale",
        "categories": [
            {"key": "college", "name": "院部", "subtypes": ["二级学院", "基础课教学部"], "components": [
                {"key": "democratic", "name": "民主测评", "kind": "democratic", "points": 20},
                {"key": "target", "name": "目标考核", "kind": "target", "points": 150, "indicators": [
                    {"code": "B", "name": "基础指标", "points": 55, "max_by_subtype": {"基础课教学部": 45}, "children": [
                        judged("B1", "党建与管理", 45), judged("B2", "招生工作", 10, applies_to=["二级学院"])]},
                    {"code": "K", "name": "重点指标", "points": 95, "children": [judged("K1", "教学与科研", 95)]}]},
                {"key": "leader", "name": "领导班子评价", "kind": "leader", "points": 30,
                 "parts": {"principal": 20, "deputy": 10}, "rating_max": 100}]},
            {"key": "department", "name": "部门", "subtypes": ["职能部门"], "components": [
                {"key": "democratic", "name": "民主测评", "kind": "democratic", "points": 70},
                {"key": "target", "name": "目标考核", "kind": "target", "points": 100, "indicators": [
                    {"code": "W", "name": "工作目标", "points": 100, "children": [
                        judged("W1", "工作作风", 40), judged("W2", "年度主要工作", 60)]}]},
                {"key": "leader", "name": "领导班子评价", "kind": "leader", "points": 30,
                 "parts": {"principal": 20, "deputy": 10}, "rating_max": 100}]}],
        "ballot": {"levels": [{"name": "优秀", "value": 90}, {"name": "合格", "value": 70},
                              {"name": "不合格", "value": 50}]},
        "grading": {"quotas": {"college": 2, "department": 3},
                    "vetoes": [{"key": "safety", "text": "发生重大安全责任事故"}],
                    "fail_rule": fail_rule or {"type": "below_score", "threshold": 150},
                    "last_place": {"years": 2, "text": "予以通报"},
                    "tie_break": ["target", "leader", "democratic"]},
    }


# name, category, subtype, facts {code: points}, ballots (优秀, 合格, 不合格), principal ratings, deputy ratings
UNITS = [
    ("甲学院", "college", "二级学院", {"B1": 45, "B2": 10, "K1": 92}, (8, 2, 0), [95, 93], [90, 88, 91]),
    ("乙学院", "college", "二级学院", {"B1": 44, "B2": 9, "K1": 90}, (7, 3, 0), [92, 90], [90, 86, 85]),
    ("丙学院", "college", "二级学院", {"B1": 40, "B2": 8, "K1": 85}, (5, 5, 0), [88, 86], [85, 84, 83]),
    ("基础课教学部", "college", "基础课教学部", {"B1": 42, "K1": 88}, (6, 4, 0), [90, 88], [87, 86, 86]),
    ("丁学院", "college", "二级学院", {"B1": 38, "K1": 80, "B2": 6}, (2, 6, 2), [80, 78], [80, 79, 78]),
    ("党委办公室", "department", "职能部门", {"W1": 39, "W2": 58}, (9, 1, 0), [95, 94], [92, 91, 90]),
    ("教务处", "department", "职能部门", {"W1": 38, "W2": 57}, (8, 2, 0), [93, 92], [90, 90, 89]),
    ("财务处", "department", "职能部门", {"W1": 36, "W2": 55}, (8, 2, 0), [93, 92], [90, 90, 89]),
    ("图书馆", "department", "职能部门", {"W1": 37, "W2": 54}, (8, 2, 0), [93, 92], [90, 90, 89]),
    ("保卫处", "department", "职能部门", {"W1": 35, "W2": 50}, (6, 4, 0), [88, 86], [85, 85, 84]),
    ("后勤管理处", "department", "职能部门", {"W1": 20, "W2": 30}, (1, 5, 4), [70, 72], [70, 71, 69]),
]
MAX = {"B1": 45, "B2": 10, "K1": 95, "W1": 40, "W2": 60}
# Not eligible: 甲学院 (no accepted application); veto: 乙学院. Eligible: everyone else.
NOT_ELIGIBLE = {"甲学院"}
VETOED = {"乙学院": ["safety"]}
PREVIOUS_LAST = {"后勤管理处"}


@dataclass
class Case:
    cycle: Cycle
    units: dict  # name -> Unit
    inputs: results.Inputs
    office: object
    group: object
    reporter: object


def make_inputs(units: dict) -> results.Inputs:
    facts, ballots, ratings = {}, {}, {}
    for name, _cat, _sub, fx, (a, b, c), pr, dp in UNITS:
        uid = units[name].id
        for code, pts in fx.items():
            facts[(uid, code)] = {"points": pts, **({} if pts == MAX[code] else {"reason": "未达满分"})}
        ballots[uid] = {"cadre": {"优秀": a, "合格": b, "不合格": c}}
        ratings[uid] = {"principal": [Decimal(x) for x in pr], "deputy": [Decimal(x) for x in dp]}
    eligible = {u.id for n, u in units.items() if n not in NOT_ELIGIBLE}
    vetoes = {units[n].id: v for n, v in VETOED.items()}
    awards = [{"unit_id": units["教务处"].id, "title": "省级教学成果奖一等奖", "level": "省级", "decided": "awarded",
               "explanation": "领导小组7人，赞成6人，授予突出贡献奖。"}]
    return results.Inputs(facts=facts, ballots=ballots, leader_ratings=ratings, eligible=eligible, vetoes=vetoes,
                          awards=awards,
                          turnout=[{"key": "cadre", "name": "中层干部", "weight": None, "roll": 12, "voted": 10}])


def build_case(session, *, fail_rule=None, previous=True) -> Case:
    from app.models import Scheme

    scheme = Scheme(code="test-results", version=1, name="测试方案", data=scheme_dict(fail_rule))
    session.add(scheme)
    session.flush()
    units = {}
    for pos, (name, cat, sub, *_rest) in enumerate(UNITS, start=1):
        u = f.unit(session, name, cat, sub)
        u.position = pos
        session.add(u)
        units[name] = u
    office = f.user(session, "office1", roles=["office"])
    group = f.user(session, "group1", roles=["group"])
    reporter = f.user(session, "tb1", roles=[{"role": "reporter", "unit_id": units["丙学院"].id}])
    if previous:
        prev = f.cycle(session, name="2017-2018学年", open_all=False, scheme=scheme)
        prev.period_start = prev.period_start.replace(year=2017)
        prev.period_end = prev.period_end.replace(year=2018)
        session.add(prev)
        rs = ResultSet(cycle_id=prev.id, status="final", data={"categories": []})
        session.add(rs)
        session.flush()
        for name, u in units.items():
            last = name in PREVIOUS_LAST
            session.add(ResultRow(result_set_id=rs.id, unit_id=u.id, unit_name=name, category=u.category,
                                  subtype=u.subtype, flags=["last_place"] if last else [], total=Decimal(150),
                                  computed_total=Decimal(150), rank=1, grade="合格"))
    cycle = f.cycle(session, scheme=scheme)
    session.flush()
    return Case(cycle=cycle, units=units, inputs=make_inputs(units), office=office, group=group, reporter=reporter)


@pytest.fixture
def case(session, monkeypatch):
    c = build_case(session)
    session.commit()
    monkeypatch.setattr(results, "gather_inputs", lambda db, cycle: c.inputs)
    return c


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


def test_known_cycle_matches_independent_computation(case, session):
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
    # tie: 教务处 / 财务处 / 图书馆 share democratic and leader; 教务处 higher total; 财务处 vs 图书馆 equal total 91 vs 91
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


def test_recompute_marks_changes_and_leaves_same_inputs_alone(case, session):
    first = results.refresh(session, cycle=case.cycle)
    fp = first.result_set.fingerprint
    again = results.refresh(session, cycle=case.cycle)
    assert not again.changed and again.result_set.fingerprint == fp
    case.inputs.facts[(case.units["丁学院"].id, "K1")] = {"points": 95}
    third = results.refresh(session, cycle=case.cycle, actor_id=case.office.id)
    assert third.changed and any("丁学院" in c for c in third.changes)
    assert third.result_set.changed_at is not None


def test_fixed_results_never_change_silently(case, session):
    results.refresh(session, cycle=case.cycle)
    rs = results.fix(session, actor_id=case.office.id, cycle=case.cycle)
    before = {r.unit_name: (r.total, r.rank, r.grade) for r in results.rows_of(session, rs)}
    case.inputs.facts[(case.units["丁学院"].id, "K1")] = {"points": 95}
    out = results.refresh(session, cycle=case.cycle)
    assert out.drift and "丁学院" in out.drift[0]
    after = {r.unit_name: (r.total, r.rank, r.grade) for r in results.rows_of(session, rs)}
    assert before == after


def test_unfixing_lets_later_data_in_and_is_refused_after_publication(case, session):
    """撤销定稿 before publication (a reason required): the set is proposed again and the next
    recomputation takes the data decided after fixing; it is audited; published results stay."""
    from app.models import AuditEntry

    results.refresh(session, cycle=case.cycle)
    rs = results.fix(session, actor_id=case.office.id, cycle=case.cycle)
    case.inputs.facts[(case.units["丁学院"].id, "K1")] = {"points": 95}
    with pytest.raises(ServiceError, match="理由"):
        results.unfix(session, actor_id=case.office.id, cycle=case.cycle, reason=" ")
    with pytest.raises(StaleData):
        results.unfix(session, actor_id=case.office.id, cycle=case.cycle, reason="补评", expected_version=rs.version - 1)
    results.unfix(session, actor_id=case.office.id, cycle=case.cycle, reason="补评贡献奖后重新计算",
                  expected_version=rs.version)
    assert rs.status == "proposed" and rs.fixed_at is None
    out = results.refresh(session, cycle=case.cycle, actor_id=case.office.id)
    assert out.changed and any("丁学院" in c for c in out.changes)
    audit = session.exec(select(AuditEntry).where(AuditEntry.action == "unfix")).one()
    assert audit.reason == "补评贡献奖后重新计算"
    with pytest.raises(ServiceError, match="尚未定稿"):
        results.unfix(session, actor_id=case.office.id, cycle=case.cycle, reason="再次")


def test_missing_providers_are_named(session):
    c = build_case(session, previous=False)
    payload = results.compute(session, c.cycle, results.Inputs(missing=["民主测评票数"]))
    assert payload["data"]["missing_inputs"] == ["民主测评票数"]
    assert all(r["provisional"] for r in payload["rows"].values())
