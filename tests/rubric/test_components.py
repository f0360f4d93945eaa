"""Components as configuration: weighted, bonus and deduction components, counting flags, the
rounding policy, tie-break by component key or shared rank, ranks per component."""

import copy
from decimal import Decimal

import pytest

from app.rubric import Unit, compute, dump_scheme, load_scheme, validate_scheme


def scheme_dict(rounding="total", tie_break=("a", "b")):
    return {
        "format": "kpi-scheme/1", "key": "u", "version": 1, "name": "六部分", "total_points": 100,
        "categories": [{"key": "c", "name": "院部", "subtypes": ["学院"], "components": [
            {"key": "a", "name": "教学", "kind": "weighted", "points": 35, "owner": "教务处"},
            {"key": "b", "name": "科研", "kind": "weighted", "points": 25, "missing": "category_average"},
            {"key": "d", "name": "测评", "kind": "democratic", "points": 40},
            {"key": "x", "name": "附加", "kind": "weighted", "points": 10, "counts_toward_total": False,
             "scale": {"min": 60, "max": 100}},
            {"key": "plus", "name": "加分", "kind": "bonus", "cap": 3},
            {"key": "minus", "name": "扣分", "kind": "deduction", "cap": 10, "floor": 0}]}],
        "ballot": {"levels": [{"name": "优秀", "value": 90}, {"name": "合格", "value": 70}]},
        "grading": {"quotas": {"c": 1}, "tie_break": list(tie_break)},
        "policies": {"rounding": {"at": rounding, "decimals": 2}},
    }


UNITS = [Unit("1", "甲", "c", "学院"), Unit("2", "乙", "c", "学院"), Unit("3", "丙", "c", "学院")]
BALLOTS = {"1": {"优秀": 1}, "2": {"优秀": 1}, "3": {"合格": 1}}


def test_weighted_bonus_deduction_and_one_rounding_of_the_total():
    s = load_scheme(scheme_dict())
    vals = {("1", "a"): Decimal("87.41"), ("1", "b"): Decimal("90.01"), ("1", "plus"): Decimal("5"),
            ("1", "x"): Decimal("80"),
            ("2", "a"): Decimal("87.37"), ("2", "b"): None, ("2", "minus"): Decimal("-2"),
            ("3", "a"): Decimal("10"), ("3", "b"): Decimal("70"), ("3", "minus"): Decimal("-99")}
    r = compute(s, UNITS, {}, BALLOTS, component_values=vals)
    u1, u2, u3 = (r.units[k] for k in "123")
    # 87.41/100×35 = 30.5935; 90.01/100×25 = 22.5025; democratic 90/100×40 = 36; bonus capped at 3
    assert u1.components["a"].points == Decimal("30.5935")
    assert u1.components["plus"].points == 3
    assert u1.total == Decimal("92.10")  # 30.5935 + 22.5025 + 36 + 3 = 92.096 → once: 92.10
    # each part rounded first would give 30.59 + 22.50 + 36 + 3 = 92.09, a cent off
    assert sum(Decimal(str(round(c.points, 2))) for c in u1.components.values() if c.counts) == Decimal("92.09")
    # not counted: (80 − 60) ÷ 40 × 10 = 5, shown, not in the total
    assert u1.components["x"].points == 5 and not u1.components["x"].counts
    assert u1.max_total == 103  # 35 + 25 + 40 + bonus cap 3
    # no research work: the category average of the others (90.01 + 70) / 2 = 80.005 → 20.00125
    assert u2.components["b"].points == Decimal("80.005") / 100 * 25
    assert "平均值" in u2.components["b"].explanation
    assert u2.components["minus"].points == -2
    # deduction at most 10, and the total not below 0: 3.5 + 17.5 + 28 = 49 − 10
    assert u3.components["minus"].points == -10 and u3.total == Decimal("39.00")
    assert [r.units[k].component_ranks["a"] for k in "123"] == [1, 2, 3]
    assert [r.units[k].component_ranks["d"] for k in "123"] == [1, 1, 3]
    assert r.rankings["c"][0] == "1"
    assert not u1.provisional and u3.components["x"].status == "missing"


def test_floor_limits_a_deduction_so_the_total_stays_at_it():
    d = scheme_dict()
    d["categories"][0]["components"][5]["cap"] = None
    s = load_scheme(d)
    r = compute(s, UNITS[:1], {}, {"1": {"合格": 1}}, component_values={("1", "a"): Decimal(0), ("1", "b"): Decimal(0),
                                                                          ("1", "minus"): Decimal("-50")})
    u = r.units["1"]
    assert u.total == 0 and u.components["minus"].points == -28
    assert "不低于0分" in u.components["minus"].explanation


def test_rounding_per_component_rounds_each_part_once():
    s = load_scheme(scheme_dict(rounding="component"))
    r = compute(s, UNITS[:1], {}, BALLOTS, component_values={("1", "a"): Decimal("87.37"),
                                                              ("1", "b"): Decimal("90.03")})
    u = r.units["1"]
    assert u.components["a"].points == Decimal("30.58") and u.components["b"].points == Decimal("22.51")
    assert u.total == Decimal("89.09")  # 30.58 + 22.51 + 36


def test_tie_break_by_component_key_and_shared_rank():
    vals = {("1", "a"): Decimal(80), ("1", "b"): Decimal(60), ("2", "a"): Decimal(60), ("2", "b"): Decimal(88)}
    # totals: 甲 28 + 15 + 36 = 79; 乙 21 + 22 + 36 = 79
    r = compute(load_scheme(scheme_dict(tie_break=["b"])), UNITS[:2], {}, BALLOTS, component_values=vals)
    assert r.units["1"].total == r.units["2"].total
    assert r.rankings["c"] == ["2", "1"] and r.units["1"].rank == 2
    r = compute(load_scheme(scheme_dict(tie_break=["a"])), UNITS[:2], {}, BALLOTS, component_values=vals)
    assert r.rankings["c"] == ["1", "2"]
    r = compute(load_scheme(scheme_dict(tie_break=[])), UNITS[:2], {}, BALLOTS, component_values=vals)
    assert r.units["1"].rank == r.units["2"].rank == 1


def test_entered_values_are_checked():
    s = load_scheme(scheme_dict())
    r = compute(s, UNITS[:1], {}, BALLOTS, component_values={("1", "a"): Decimal(101), ("1", "plus"): Decimal(-1),
                                                              ("1", "minus"): Decimal(2)})
    c = r.units["1"].components
    assert c["a"].status == c["plus"].status == c["minus"].status == "error"
    assert "超出" in c["a"].explanation and r.units["1"].provisional


def test_the_new_form_round_trips_and_is_validated():
    d = scheme_dict()
    s = load_scheme(d)
    again = dump_scheme(load_scheme(dump_scheme(s)))
    assert again == dump_scheme(s)
    assert [c.key for c in s.categories[0].components] == ["a", "b", "d", "x", "plus", "minus"]
    assert s.categories[0].total_range() == (Decimal(0), Decimal(103))


@pytest.mark.parametrize("change, message", [
    (lambda d: d["categories"][0]["components"][0].update(points=30), "各组成部分分值合计 95"),
    (lambda d: d["categories"][0]["components"][4].update(points=2), "加分、扣分项没有分值"),
    (lambda d: d["categories"][0]["components"][0].update(scale={"min": 100, "max": 0}), "取值上限应大于取值下限"),
    (lambda d: d["categories"][0]["components"][0].update(cap=3), "只用于加分项"),
    (lambda d: d["categories"][0]["components"][0].update(missing="zero"), "missing"),
    (lambda d: d["categories"][0]["components"][1].update(key="a"), "组成部分标识「a」重复"),
    (lambda d: d["categories"][0]["components"][2].update(kind="weighted", points=40) or
     d["categories"][0]["components"].append({"key": "d2", "name": "测评2", "kind": "democratic", "points": 0}),
     None),
    (lambda d: d["grading"].update(tie_break=["nope"]), "tie_break"),
    (lambda d: d["policies"]["rounding"].update(at="leaf"), "舍入位置"),
    (lambda d: d["categories"][0]["components"].append({"key": "d3", "name": "测评3", "kind": "democratic",
                                                        "points": 0}), "组成部分「democratic」出现了多次"),
])
def test_component_validation_names_the_problem(change, message):
    d = copy.deepcopy(scheme_dict())
    change(d)
    errors = " ".join(str(e) for e in validate_scheme(d))
    if message is None:
        assert errors == ""
    else:
        assert message in errors


def test_an_indicator_can_give_a_unit_without_that_work_its_categorys_average():
    d = {
        "format": "kpi-scheme/1", "key": "t", "version": 1, "name": "测试", "total_points": 50,
        "categories": [{"key": "college", "name": "院部", "subtypes": ["学院", "教学部"], "components": [
            {"key": "target", "name": "目标考核", "kind": "target", "points": 50, "indicators": [
                {"code": "G", "name": "基础", "points": 50, "children": [
                    {"code": "A", "name": "甲", "points": 40, "rule": "judged"},
                    {"code": "B", "name": "乙", "points": 10, "rule": "deduction_per_occurrence",
                     "params": {"per": 1, "what": "问题"}, "applies_to": ["学院"],
                     "missing": "category_average"}]}]}]}],
        "ballot": {"levels": [{"name": "优秀", "value": 90}]},
        "grading": {"quotas": {"college": 1}, "tie_break": ["target"]},
    }
    s = load_scheme(d)
    assert dump_scheme(load_scheme(dump_scheme(s))) == dump_scheme(s) and s.indicator("B").missing
    units = [Unit("x", "甲院", "college", "学院"), Unit("y", "乙院", "college", "学院"),
             Unit("z", "教学部", "college", "教学部")]
    facts = {(u, "A"): {"points": 40, "reason": ""} for u in "xyz"}
    facts[("x", "B")] = {"count": 3}
    facts[("y", "B")] = {"count": 0}
    r = compute(s, units, facts)
    z = r.units["z"]
    assert z.indicator("B").points == Decimal("8.50") and "平均" in z.indicator("B").explanation
    assert z.total == Decimal("48.50") and z.max_total == 50
    assert r.units["x"].total == 47 and r.units["y"].total == 50
    bad = copy.deepcopy(d)
    bad["categories"][0]["components"][0]["indicators"][0]["missing"] = "category_average"
    assert "只用于最底层的计分指标" in " ".join(str(e) for e in validate_scheme(bad))
