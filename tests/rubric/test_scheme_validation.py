"""Validation names the offending indicator and says in Chinese what is wrong."""

import copy

import pytest

from app.rubric import SchemeInvalid, load_scheme, validate_scheme
from tests.builders.seed import seed_dict


def mini(**over):
    d = {
        "format": "kpi-scheme/1", "key": "t", "version": 1, "name": "测试方案", "total_points": 100,
        "categories": [{"key": "college", "name": "院部", "subtypes": ["二级学院", "教学部"], "components": [
            {"key": "democratic", "name": "民主测评", "kind": "democratic", "points": 20},
            {"key": "target", "name": "目标考核", "kind": "target", "points": 50, "indicators": [
                {"code": "G", "name": "分组", "points": 50, "children": [
                    {"code": "A", "name": "甲", "points": 20, "rule": "judged", "params": {}},
                    {"code": "B", "name": "乙", "points": 30, "rule": "deduction_per_occurrence",
                     "params": {"per": 1, "what": "问题"}}]}]},
            {"key": "leader", "name": "领导班子评价", "kind": "leader", "points": 30,
             "parts": {"principal": 20, "deputy": 10}}]}],
        "ballot": {"levels": [{"name": "优秀", "value": 90}, {"name": "合格", "value": 70},
                              {"name": "不合格", "value": 50}]},
        "grading": {"quotas": {"college": 1}},
    }
    d.update(over)
    return d


def leaf(d, code):
    for n in d["categories"][0]["components"][1]["indicators"][0]["children"]:
        if n["code"] == code:
            return n
    raise KeyError(code)


def test_mini_is_valid():
    assert validate_scheme(mini()) == []
    assert load_scheme(mini()).indicator("A").points == 20


def test_unknown_rule_names_the_indicator():
    d = mini()
    leaf(d, "A")["rule"] = "magic"
    (e,) = validate_scheme(d)
    assert (e.code, e.name) == ("A", "甲") and "未知的计分规则「magic」" in e.message
    assert str(e).startswith("指标 A「甲」：")


def test_params_that_do_not_fit_the_rule():
    d = mini()
    leaf(d, "B")["params"] = {"per": "x", "colour": "red"}
    errs = validate_scheme(d)
    assert all(e.code == "B" for e in errs)
    msgs = " ".join(e.message for e in errs)
    assert "per" in msgs and "colour" in msgs and "what" in msgs


def test_children_not_adding_up():
    d = mini()
    leaf(d, "B")["points"] = 25
    errs = validate_scheme(d)
    assert any(e.code == "G" and "合计 45" in e.message and "50" in e.message for e in errs)
    assert any("一级指标" not in e.message for e in errs)


def test_declared_subtype_maximum_not_matching():
    d = mini()
    g = d["categories"][0]["components"][1]["indicators"][0]
    g["max_by_subtype"] = {"教学部": 25}
    leaf(d, "B")["applies_to"] = ["二级学院"]
    errs = validate_scheme(d)
    assert len(errs) == 1 and errs[0].code == "G" and "教学部" in errs[0].message and "20" in errs[0].message
    g["max_by_subtype"] = {"教学部": 20}
    assert validate_scheme(d) == []


def test_unknown_subtype_and_unit():
    d = mini()
    leaf(d, "A")["applies_to"] = ["研究院"]
    leaf(d, "B")["applies_to_units"] = ["财务处"]
    msgs = [str(e) for e in validate_scheme(d)]
    assert any("研究院" in m and m.startswith("指标 A") for m in msgs)
    assert any("units" in m and m.startswith("指标 B") for m in msgs)


def test_component_sums_and_leader_parts():
    d = mini()
    d["categories"][0]["components"][2]["parts"] = {"principal": 20, "deputy": 5}
    d["total_points"] = 120
    msgs = " ".join(str(e) for e in validate_scheme(d))
    assert "领导班子评价各部分分值合计 25" in msgs and "与总分 120 不符" in msgs


def test_duplicate_codes_and_group_with_rule():
    d = mini()
    leaf(d, "B")["code"] = "A"
    assert any("重复" in e.message for e in validate_scheme(d))
    d = mini()
    g = d["categories"][0]["components"][1]["indicators"][0]
    g["rule"] = "judged"
    assert any(e.code == "G" and "既有计分规则" in e.message for e in validate_scheme(d))


def test_grading_and_ballot_policy_errors():
    d = mini(grading={"quotas": {"college": -1, "nowhere": 2}, "fail_rule": {"type": "below_score"}},
             ballot={"levels": [{"name": "优秀", "value": 190}], "max_excellent_share": 2})
    msgs = " ".join(str(e) for e in validate_scheme(d))
    for frag in ("nowhere", "非负整数", "不合格分数线", "不能大于100", "0到1"):
        assert frag in msgs


@pytest.mark.parametrize("bad", [None, [], "x", {"format": "other"}])
def test_garbage_never_crashes(bad):
    assert validate_scheme(bad)


def test_load_raises_with_every_error():
    d = mini()
    leaf(d, "A")["rule"] = "magic"
    leaf(d, "B")["params"] = {}
    with pytest.raises(SchemeInvalid) as exc:
        load_scheme(d)
    assert len(exc.value.errors) >= 2 and "考核方案有误" in str(exc.value)


def test_seed_mutations_are_caught():
    d = seed_dict()
    key = d["categories"][0]["components"][1]["indicators"][1]
    key["max_by_subtype"]["继续教育学院"] = 58
    (e,) = validate_scheme(d)
    assert e.code == "K" and "61" in e.message and "58" in e.message
    d = seed_dict()
    d5 = d["categories"][1]["components"][1]["indicators"][4]
    d5["children"][0]["points"] = 50
    errs = validate_scheme(copy.deepcopy(d))
    assert any(e.code == "D5" and "党委办公室" in e.message for e in errs)


def test_unreadable_points_deep_below_a_reduced_group_is_reported_not_raised():
    from app.rubric.scheme import validate_scheme

    data = seed_dict()

    def groups(node):
        for child in node.get("children") or []:
            yield child
            yield from groups(child)

    def first_deep_leaf():
        for cat in data["categories"]:
            for comp in cat["components"]:
                for top in comp.get("indicators") or comp.get("children") or []:
                    for group in [top, *groups(top)]:
                        if group.get("max_by_subtype"):
                            for child in group.get("children") or []:
                                for leaf in child.get("children") or []:
                                    return leaf
        return None

    leaf = first_deep_leaf()
    if leaf is None:
        import pytest

        pytest.skip("the seed has no leaf two levels below a reduced group")
    leaf["points"] = "一分"
    errors = validate_scheme(data)
    assert any(e.code == leaf["code"] or leaf["code"] in str(e) for e in errors)
