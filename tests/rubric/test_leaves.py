"""Leaves of a scheme, the applicability rule, and the parsing of typed values (no database)."""

from decimal import Decimal

import pytest

from app.rubric import compute, load_scheme
from app.rubric.engine import Unit
from app.rubric.leaves import (
    OFFICE_OWNER,
    ValueRefused,
    applicable_units,
    clean_facts,
    clean_value,
    scheme_leaves,
    split_fields,
)
from app.rubric.numbers import fmt_plain
from app.rubric.rules import Field


def _scheme():
    return load_scheme({
        "format": "kpi-scheme/1", "key": "t", "version": 1, "name": "测试", "normalisation": "raw", "total_points": 12,
        "categories": [{"key": "college", "name": "院部", "subtypes": ["学院", "教学部"],
                        "units": [{"name": n, "subtype": "学院"} for n in ("一学院", "二学院", "三学院")]
                        + [{"name": "基础部", "subtype": "教学部"}], "components": [
            {"key": "target", "name": "目标考核", "kind": "target", "points": 12, "indicators": [
                {"code": "G", "name": "基础", "points": 10, "owner": "教务处", "children": [
                    {"code": "A", "name": "甲", "points": 5, "rule": "judged"},
                    {"code": "B", "name": "乙", "points": 5, "rule": "relative_average", "applies_to": ["学院"],
                     "params": {"measure": {"label": "经费", "value": {"key": "funds", "label": "经费"}},
                                "tiers": [{"share": 0.7, "points": 2}, {"share": 1, "points": 5}]}}]},
                {"code": "H", "name": "专项", "points": 2, "applies_to_units": ["一学院", "二学院"], "children": [
                    {"code": "C", "name": "丙", "points": 2, "rule": "judged", "owner": "科技处"}]}]}]}],
        "ballot": {"levels": [{"name": "优秀", "value": 90}, {"name": "合格", "value": 70}]},
        "grading": {"quotas": {"college": 1}},
    })


UNITS = [Unit("1", "一学院", "college", "学院"), Unit("2", "二学院", "college", "学院"),
         Unit("3", "三学院", "college", "学院"), Unit("4", "基础部", "college", "教学部")]


def test_leaves_carry_chain_owner_and_category_and_are_computed_once_per_scheme():
    scheme = _scheme()
    leaves = scheme_leaves(scheme)
    assert [(leaf.code, leaf.owner, leaf.path, leaf.category) for leaf in leaves] == [
        ("A", "教务处", ("基础",), "college"), ("B", "教务处", ("基础",), "college"),
        ("C", "科技处", ("专项",), "college")]
    assert scheme_leaves(scheme) is leaves
    assert scheme_leaves(_scheme()) is not leaves  # another Scheme object: its own leaves
    assert leaves[1].applies("学院", "三学院") and not leaves[1].applies("教学部", "基础部")
    assert leaves[2].applies("学院", "二学院") and not leaves[2].applies("学院", "三学院")  # the group's units


def _dict_without_owner():
    from app.rubric.scheme import dump_scheme

    d = dump_scheme(_scheme())
    d["categories"][0]["components"][0]["indicators"][0].pop("owner")
    return d


def test_a_leaf_without_owner_is_the_offices():
    scheme = load_scheme(_dict_without_owner())
    assert [leaf.owner for leaf in scheme_leaves(scheme)] == [OFFICE_OWNER, OFFICE_OWNER, "科技处"]


def test_applicable_units_is_the_population_the_engine_scores_over():
    scheme = _scheme()
    pops = applicable_units(scheme.category("college").indicators, UNITS)
    ids = {code: [u.id for u in us] for code, us in pops.items()}
    assert ids == {"G": ["1", "2", "3", "4"], "A": ["1", "2", "3", "4"], "B": ["1", "2", "3"],
                   "H": ["1", "2"], "C": ["1", "2"]}
    # B is relative to the average of its population only: 基础部's large figure is not in it
    facts = {("1", "B"): {"funds": 100}, ("2", "B"): {"funds": 100}, ("3", "B"): {"funds": 70},
             ("4", "B"): {"funds": 1000}}
    result = compute(scheme, UNITS, facts)
    assert result.units["3"].indicator("B").points == Decimal("2.00")  # 70 ≥ 70 % of 90
    assert not result.units["4"].indicator("B").applicable


def test_typed_values_are_parsed_or_refused_naming_the_field():
    n = Field("funds", "经费", kind="decimal", min=Decimal(0))
    assert clean_value(n, " 12.50 ") == "12.5" and clean_value(n, "") == "" and clean_value(n, None) == ""
    with pytest.raises(ValueRefused) as err:
        clean_value(n, "-1")
    assert err.value.field == "funds" and "不能小于 0" in err.value.message
    yes = Field("ok", "是否", kind="bool")
    assert clean_value(yes, "是") is True and clean_value(yes, "否") is False
    with pytest.raises(ValueRefused, match="应填“是”或“否”"):
        clean_value(yes, "也许")
    judged = Field("points", "得分", kind="decimal", by="scorer")
    assert split_fields([n, judged]) == ([n], [judged])
    assert clean_facts([n, judged], {"funds": "3", "other": "x", "points": ""}) == {"funds": "3"}
    assert fmt_plain(Decimal("1.2500")) == "1.25" and fmt_plain(Decimal("1E+3")) == "1000"
