"""Engine: totals, ranks and ties, normalisation, provisional flags, grading."""

from decimal import Decimal

import pytest

from app.rubric import Override, Unit, award_decision, compute, grade, load_scheme
from app.rubric.synthetic import synthetic_cycle
from tests.builders.seed import seed


def scheme(quota=1, fail_rule=None, normalisation="scale"):
    return load_scheme({
        "format": "kpi-scheme/1", "key": "t", "version": 1, "name": "测试", "total_points": 100,
        "normalisation": normalisation,
        "categories": [{"key": "college", "name": "院部", "subtypes": ["学院", "教学部"], "components": [
            {"key": "democratic", "name": "民主测评", "kind": "democratic", "points": 20},
            {"key": "target", "name": "目标考核", "kind": "target", "points": 50, "indicators": [
                {"code": "G", "name": "基础", "points": 50, "max_by_subtype": {"教学部": 40}, "children": [
                    {"code": "A", "name": "甲", "points": 40, "rule": "judged"},
                    {"code": "B", "name": "乙", "points": 10, "rule": "deduction_per_occurrence",
                     "params": {"per": 1, "what": "问题"}, "applies_to": ["学院"]}]}]},
            {"key": "leader", "name": "领导班子评价", "kind": "leader", "points": 30,
             "parts": {"principal": 20, "deputy": 10}}]}],
        "ballot": {"levels": [{"name": "优秀", "value": 90}, {"name": "合格", "value": 70},
                              {"name": "不合格", "value": 50}]},
        "grading": {"quotas": {"college": quota}, "fail_rule": fail_rule or {"type": "leadership_decision"},
                    "vetoes": [{"key": "safety", "text": "出现较严重的安全责任事故的"}]},
        "award": {"type": "majority", "share": 0.5},
    })


def run(s, spec, **kw):
    """spec: {uid: (subtype, A points, B count, ballots, principal, deputy)}"""
    units, facts, ballots, leaders = [], {}, {}, {}
    for uid, (st, a, b, bal, p, dp) in spec.items():
        units.append(Unit(uid, f"单位{uid}", "college", st))
        if a is not None:
            facts[(uid, "A")] = {"points": a, "reason": "扣分"}
        if b is not None:
            facts[(uid, "B")] = {"count": b}
        if bal is not None:
            ballots[uid] = {"优秀": bal[0], "合格": bal[1], "不合格": bal[2]}
        if p is not None:
            leaders[uid] = {"principal": p, "deputy": dp}
    return compute(s, units, facts, ballots, leaders, **kw)


def test_totals_are_sums_of_rounded_components():
    r = run(scheme(), {"x": ("学院", 30, 2, (1, 1, 1), [90, 85], [80, 75, 70])})
    u = r.units["x"]
    assert u.component("democratic").points == Decimal("14.00")      # 70 → 14
    assert u.component("target").points == 38                       # 30 + (10 − 2)
    assert u.component("leader").points == Decimal("17.50") + Decimal("7.50")
    assert u.total == Decimal("14") + 38 + 25
    assert not u.provisional
    assert "总分" in u.explanation and u.indicator("B").points == 8


def test_normalisation_scale_and_raw_visible():
    spec = {"t": ("教学部", 30, None, (1, 0, 0), [100], [100])}
    scaled = run(scheme(), spec).units["t"]
    assert scaled.indicator("B").applicable is False and "不适用于教学部" in scaled.indicator("B").explanation
    (n,) = scaled.normalisations
    assert (n.raw_points, n.raw_max, n.points, n.full_max, n.policy) == (30, 40, Decimal("37.50"), 50, "scale")
    assert scaled.component("target").points == Decimal("37.50") and "折算" in scaled.component("target").explanation
    raw = run(scheme(normalisation="raw"), spec).units["t"]
    assert raw.component("target").points == 30 and raw.component("target").max_points == 40
    assert raw.normalisations[0].policy == "raw" and "不折算" in raw.normalisations[0].explanation
    # the call may override the scheme's policy
    assert run(scheme(), spec, normalisation="raw").units["t"].component("target").points == 30


def test_missing_facts_make_results_provisional():
    u = run(scheme(), {"x": ("学院", None, 0, None, [90], [])}).units["x"]
    assert u.provisional
    assert u.indicator("A").status == "missing"
    assert u.component("democratic").status == "missing"
    assert "暂定" in u.explanation


def test_ranks_and_documented_tie_break():
    # equal totals are ordered by the target score (tie_break: target, leader, democratic);
    # units equal on all of them share the rank and are listed by name
    spec = {
        "y": ("学院", 36, 0, (10, 0, 0), [100], [100]),   # 18 + 46 + 30 = 94
        "z": ("学院", 40, 0, (0, 10, 0), [100], [100]),   # 14 + 50 + 30 = 94
        "q": ("学院", 40, 0, (0, 10, 0), [100], [100]),   # identical to z → shares the rank
    }
    r = run(scheme(), spec)
    assert {u: r.units[u].total for u in spec} == {"y": 94, "z": 94, "q": 94}
    assert r.rankings["college"] == ["q", "z", "y"]          # equal keys listed by name
    assert [r.units[u].rank for u in ("q", "z", "y")] == [1, 1, 3]


def base_spec():
    return {
        "a": ("学院", 40, 0, (10, 0, 0), [100], [100]),   # 18 + 50 + 30 = 98
        "b": ("学院", 38, 0, (10, 0, 0), [100], [100]),   # 96
        "c": ("学院", 36, 0, (10, 0, 0), [100], [100]),   # 94
        "d": ("学院", 10, 0, (0, 0, 10), [60], [60]),     # 10 + 20 + 18 = 48
    }


def test_grading_quota_eligibility_and_veto():
    s = scheme(quota=2)
    r = run(s, base_spec())
    g = grade(s, r, applications={"a": True, "b": True, "c": True}, vetoes={"a": ["safety"]})
    grades = {u: x.grade for u, x in g.units.items()}
    assert grades == {"a": "合格", "b": "优秀", "c": "优秀", "d": "合格"}
    assert "出现较严重的安全责任事故的" in g.units["a"].explanation
    g = grade(s, r, applications={"b": True})
    assert [g.units[u].grade for u in "abcd"] == ["合格", "优秀", "合格", "合格"]
    assert "未申报优秀" in g.units["a"].explanation


def test_fail_rules():
    s = scheme(fail_rule={"type": "below_score", "threshold": 60})
    g = grade(s, run(s, base_spec()), applications={})
    assert g.units["d"].grade == "不合格" and "低于60分" in g.units["d"].explanation
    s = scheme()
    g = grade(s, run(s, base_spec()), fail_decisions={"c"})
    assert g.units["c"].grade == "不合格" and g.units["d"].grade == "合格"


def test_last_place_two_years_running():
    s = scheme()
    r = run(s, base_spec())
    g = grade(s, r, previous_last={"单位d"})
    assert "last_place_consecutive" in g.units["d"].flags and "连续2年排在末位" in g.units["d"].explanation
    g = grade(s, r, previous_last={"a"})
    assert "last_place_consecutive" not in g.units["d"].flags and "last_place" in g.units["d"].flags


def test_tie_at_the_quota_boundary_goes_to_the_leadership_group():
    s = scheme(quota=1)
    spec = {"y": ("学院", 40, 0, (0, 10, 0), [100], [100]), "z": ("学院", 40, 0, (0, 10, 0), [100], [100])}
    r = run(s, spec)
    g = grade(s, r, applications={"y": True, "z": True})
    assert {x.grade for x in g.units.values()} == {"合格"}
    assert all("tie_at_quota" in x.flags for x in g.units.values()) and g.warnings


def test_overrides_need_reasons_and_rerank():
    s = scheme(quota=1)
    r = run(s, base_spec())
    with pytest.raises(ValueError, match="理由"):
        grade(s, r, overrides=[Override("a", reason=" ", grade="不合格")])
    g = grade(s, r, applications={"a": True, "b": True},
              overrides=[Override("b", reason="核减重复计算的项目", total=Decimal("99")),
                         Override("d", reason="领导小组审议", grade="不合格")])
    assert g.units["b"].rank == 1 and g.units["b"].grade == "优秀" and g.units["a"].grade == "合格"
    assert "核减重复计算的项目" in g.units["b"].explanation and "score_overridden" in g.units["b"].flags
    assert g.units["d"].grade == "不合格" and "grade_overridden" in g.units["d"].flags
    assert r.units["a"].rank == 1  # the computed result keeps its own ranks
    g = grade(s, r, applications={"a": True}, overrides=[Override("c", reason="特殊贡献", grade="优秀")])
    assert any("超过名额" in w for w in g.warnings)


def test_award_decision_majority():
    s = scheme()
    assert award_decision(s, 6, 11)[0] is True
    ok, text = award_decision(s, 5, 10)
    assert ok is False and "未超过" in text


def test_unknown_category_or_subtype_is_rejected():
    s = scheme()
    with pytest.raises(ValueError, match="研究院"):
        compute(s, [Unit("x", "某", "college", "研究院")], {})
    with pytest.raises(ValueError, match="重复"):
        compute(s, [Unit("x", "某", "college", "学院"), Unit("x", "某", "college", "学院")], {})


def test_seed_full_cycle_is_consistent():
    # speed is measured by bench/bench_rubric.py, not asserted here
    s = seed()
    cyc = synthetic_cycle(s, 30, 30, seed=3)
    r = compute(s, cyc.units, cyc.facts, cyc.ballots, cyc.leader_ratings)
    g = grade(s, r, applications={u.id: True for u in cyc.units})
    for u in r.units.values():
        assert u.total == sum(c.points for c in u.components.values())
        assert u.total <= 200 + 10  # only items allowed past their cap may exceed
        for c in u.components.values():
            assert c.explanation
    assert sum(1 for x in g.units.values() if x.grade == "优秀" and x.unit.category == "college") <= 2
    assert sum(1 for x in g.units.values() if x.grade == "优秀" and x.unit.category == "department") <= 3
    # normalised colleges show both raw and scaled values
    tdep = next(u for u in r.units.values() if u.unit.subtype == "基础课教学部")
    assert {n.code for n in tdep.normalisations} == {"B", "K"}


def test_democratic_component_one_line_without_weights_and_small_groups_hidden_with_weights():
    """The democratic rating of one unit under a ballot policy: without weights the mean of all
    ballots in one line (全部选票); with weights each group's mean by weight, and a group with
    fewer ballots than ``min_group`` listed without its counts (they still count)."""
    from dataclasses import replace

    from app.rubric import democratic_component

    ballot = scheme().ballot
    counts = {"cadre": {"优秀": 5, "合格": 0, "不合格": 0}, "staff": {"优秀": 0, "合格": 0, "不合格": 2}}
    plain = democratic_component(ballot, counts, 20)
    assert plain.points == Decimal("15.71")  # (5 × 90 + 2 × 50) / 7 = 78.571… → 20 × 0.78571 = 15.71
    assert "全部选票：优秀5票，合格0票，不合格2票" in plain.explanation
    assert "cadre" not in plain.explanation
    groups = (("cadre", "中层干部", Decimal("0.6")), ("staff", "教职工代表", Decimal("0.4")))
    weighted = democratic_component(replace(ballot, rater_groups=groups, min_group=5), counts, 20)
    assert weighted.points == Decimal("14.80")  # 0.6 × 90 + 0.4 × 50 = 74 → 20 × 0.74
    # cadres' mean 90 and the points (mean 74) would give the staff's mean 50 = 不合格 ×2 back
    assert "中层干部：与人数不足5人的类别一并不显示明细，权重 0.6" in weighted.explanation
    assert "平均 90" not in weighted.explanation
    assert "教职工代表：人数不足5人，明细不显示，权重 0.4" in weighted.explanation
    assert "不合格2票" not in weighted.explanation
    shown = democratic_component(replace(ballot, rater_groups=groups), counts, 20)  # min_group 0: all listed
    assert shown.points == weighted.points and "不合格2票，平均 50，权重 0.4" in shown.explanation
    assert democratic_component(ballot, {"cadre": {"优秀": -1}, "staff": {"优秀": 3}}, 20).status == "error"
    assert democratic_component(ballot, {"cadre": {"优秀": 0}}, 20).status == "missing"


def test_every_indicator_node_is_a_complete_dataclass_instance():
    """The engine makes scored nodes without the dataclass __init__ (engine._node): each must have
    every field, and be equal to and printed as the one the dataclass makes, and stay frozen."""
    import dataclasses

    from app.rubric import engine

    s = seed()
    cyc = synthetic_cycle(s, 6, 6, seed=5)
    r = compute(s, cyc.units, cyc.facts, cyc.ballots, cyc.leader_ratings)
    names = {f.name for f in dataclasses.fields(engine.IndicatorScore)}
    assert engine._NODE_FIELDS == names
    n = 0
    for u in r.units.values():
        for root in u.component("target").indicators:
            for node in root.walk():
                n += 1
                assert set(vars(node)) == names
                same = engine.IndicatorScore(**{k: getattr(node, k) for k in names})
                assert same == node and repr(same) == repr(node)
                with pytest.raises(dataclasses.FrozenInstanceError):
                    node.points = 0
    assert n > 100
