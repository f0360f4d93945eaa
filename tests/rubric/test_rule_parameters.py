"""Every rule type declares its parameters: the validator accepts exactly the declared keys,
the rule reads no key it has not declared, and every declared key has a Chinese label.

A new rule type needs an entry in EXAMPLES that uses every one of its parameters; without it
(or with a parameter read but not declared) these tests fail, so no rule ships without labels.
"""

import re
from collections.abc import Mapping
from decimal import Decimal

import pytest

from app.rubric.rules import PARAM_KINDS, RULES, Param, Params, param_lines

FACT_A = {"key": "a", "label": "甲数", "kind": "int", "unit": "人", "help": "填写人数"}
FACT_B = {"key": "b", "label": "乙数", "kind": "decimal", "unit": "人", "help": "填写人数"}
EXAMPLES = {
    "judged": (2, {"step": 0.5, "items": ["事项一", {"text": "事项二"}], "guidance": "按实绩评分", "min_nonzero": 0.5}),
    "deduction_per_occurrence": (2, {"per": 0.5, "what": "安全事故", "unit": "次"}),
    "deduction_items": (3, {"items": [
        {"key": "n", "label": "违规次数", "type": "per_count", "per": 0.5, "unit": "次"},
        {"key": "rate", "label": "参与率", "type": "below", "threshold": 70, "deduct": 0.5, "unit": "%"},
        {"key": "late", "label": "迟报天数", "type": "above", "threshold": 3, "deduct": 0.5, "unit": "天"},
        {"key": "j", "label": "酌情", "type": "judged", "max_deduct": 1}]}),
    "tiers": (3, {"measures": [
        {"key": "m1", "label": "比例", "value": [FACT_A, {"key": "c", "label": "丙数"}], "per": FACT_B, "percent": True,
         "mean_of_terms": True, "unit": "%",
         "tiers": [{"min": 50, "max": 100, "min_inclusive": True, "max_inclusive": False, "points": 1},
                   {"min": 100, "points": 2}]},
        {"label": "收入", "value": {"key": "income", "label": "收入"}, "tiers": [{"min": 10, "points": 1}]}],
        "cap": 3, "floor": -1, "top_bonus": {"rank": 2, "points": 3, "min": 50, "min_inclusive": True}}),
    "relative_average": (2, {"measure": {"key": "ratio", "label": "生师比", "value": FACT_A, "per": FACT_B,
                                         "percent": False, "mean_of_terms": False, "unit": ":1"},
                             "reference": "pooled", "direction": "lower", "strict": True,
                             "tiers": [{"share": 0.7, "points": 1.5}, {"share": 1, "points": 1}],
                             "top_bonus": {"rank": 3, "points": 2}}),
    "rank_base": (4, {"items": [{"key": "x", "label": "国家级", "weight": 4, "unit": "项"},
                                {"key": "y", "label": "省级", "weight": 2}],
                      "rank_points": [2, 2, 1.5, 1.5, 1],
                      "average_bonus": [{"share": 0.7, "points": 1}, {"share": 1, "points": 2}]}),
    "weighted_items": (10, {"groups": [
        {"key": "g1", "label": "项目", "cap": 8, "items": [
            {"key": "nat", "label": "国家级", "weight": 5, "kind": "int", "unit": "项"},
            {"key": "prov", "label": "省级", "weight": 3, "exceeds_cap": True}]},
        {"label": "经费", "items": [{"key": "money", "label": "到账经费", "weight": 1, "per": 10, "kind": "decimal",
                                     "unit": "万元"}]}], "cap": 10}),
    "joint_tiers": (2, {"values": [FACT_A, {"key": "p", "label": "项目数", "kind": "int"}],
                        "tiers": [{"min": {"a": 1, "p": 2}, "points": 0.5}, {"min": {"a": 2, "p": 4}, "points": 2}]}),
    "growth_bands": (4, {"current": FACT_A, "previous": {**FACT_A, "key": "a0", "label": "上年甲数"},
                         "tiers": [{"min": 0, "min_inclusive": False, "max": 10, "points": 2},
                                   {"min": 10, "max": 20, "max_inclusive": True, "points": 3},
                                   {"min": 20, "points": 4}]}),
    "shortfall_deduction": (6, {"actual": FACT_A, "quota": {**FACT_B, "key": "q", "label": "任务数"},
                                "step_percent": 10, "per_step": 2, "mode": "ceil"}),
    "proportional": (10, {"year": 2024}),
    "direct": (10, {"year": 2024}),
    "judged_level": (10, {"year": 2024, "levels": {"达到预期指标": 1, "基本达到": 0.8, "未达到": 0}}),
    "satisfaction": (10, {"year": 2024, "below": "linear"}),
    "budget_execution": (10, {}),
}

CJK = re.compile(r"[\u4e00-\u9fff]")


def _declared(params: Params, prefix: tuple = ()) -> dict[tuple, Param]:
    """Every declared key path (lists are transparent: items share their list's path)."""
    out: dict[tuple, Param] = {}
    for p in params:
        path = (*prefix, p.name)
        out[path] = p
        if p.children:
            out.update(_declared(p.children, path))
    return out


def _objects(value, params: Params, prefix: tuple = ()):
    """(path, object, declared keys) for every object of ``value`` laid out by ``params``."""
    yield prefix, value, params
    for p in params:
        if p.name not in value or not p.children:
            continue
        v = value[p.name]
        for item in v if isinstance(v, list) else [v]:
            if isinstance(item, Mapping):
                yield from _objects(item, p.children, (*prefix, p.name))


def _used_paths(value: Mapping, params: Params) -> set[tuple]:
    return {(*path, k) for path, obj, _ in _objects(value, params) for k in obj}


class _Recorder(Mapping):
    """A read-only view of params that records the key path of every key looked up."""

    def __init__(self, data: Mapping, path: tuple, log: set):
        self._data, self._path, self._log, self._cache = data, path, log, {}

    def _wrap(self, key):
        if key not in self._cache:
            self._cache[key] = _record(self._data[key], (*self._path, key), self._log)
        return self._cache[key]

    def __getitem__(self, key):
        self._log.add((*self._path, key))
        return self._wrap(key)

    def get(self, key, default=None):
        self._log.add((*self._path, key))
        return self._wrap(key) if key in self._data else default

    def __contains__(self, key):
        self._log.add((*self._path, key))
        return key in self._data

    def __iter__(self):  # iterating lists keys without reading them (unknown-key checks, maps)
        return iter(self._data)

    def __len__(self):
        return len(self._data)


def _record(value, path: tuple, log: set):
    if isinstance(value, Mapping):
        return _Recorder(value, path, log)
    if isinstance(value, list):
        return [_record(x, path, log) for x in value]
    return value


def _facts(rule, params, variant: int) -> dict:
    out = {}
    for i, f in enumerate(rule.fields(params)):
        k = (variant + i) % 3
        if f.kind == "int":
            out[f.name] = (1, 3, 12)[k]
        elif f.kind == "decimal":
            out[f.name] = ("1", "0.5", "120")[k]
        elif f.kind == "level":
            out[f.name] = f.choices[k % len(f.choices)]
        else:
            out[f.name] = ("≥90%", "95%", "理由")[k]
    return out


def test_every_rule_type_has_an_example():
    missing = sorted(set(RULES) - set(EXAMPLES))
    assert not missing, f"add an example using every parameter of {missing} to EXAMPLES"


def test_every_parameter_has_a_chinese_label_and_a_known_kind():
    for name, rule in RULES.items():
        assert CJK.search(rule.label), name
        for path, p in _declared(rule.parameters).items():
            assert CJK.search(p.label), f"{name} {'.'.join(path)}: label {p.label!r}"
            assert p.kind in PARAM_KINDS
            assert not p.help or CJK.search(p.help), f"{name} {'.'.join(path)}: help in Chinese"
        assert rule.params_allowed == rule.parameters.names()


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_the_example_is_valid_and_uses_every_declared_parameter(name):
    rule = RULES[name]
    mp, params = EXAMPLES[name]
    assert rule.validate(params, Decimal(mp)) == []
    declared = _declared(rule.parameters)
    used = _used_paths(params, rule.parameters)
    maps = {path for path, p in declared.items() if p.kind == "map"}
    used = {u for u in used if not any(u[:len(m)] == m and len(u) > len(m) for m in maps)}
    assert set(declared) - used == set(), "the example should use every declared parameter"
    assert used - set(declared) == set()


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_the_rule_reads_only_declared_parameters(name):
    rule = RULES[name]
    mp, params = EXAMPLES[name]
    mp = Decimal(mp)
    log: set[tuple] = set()
    rec = _record(params, (), log)
    assert rule.validate(rec, mp) == []
    rule.describe(rec, mp)
    rule.bounds(rec, mp)
    rule.is_cross(rec)
    population = {f"u{i}": _facts(rule, params, i) for i in range(3)}
    results = rule.score_all(rec, mp, population)
    assert any(r.ok for r in results.values()), [r.explanation for r in results.values()]
    rule.score(rec, mp, population["u0"])
    declared = _declared(rule.parameters)
    maps = [path for path, p in declared.items() if p.kind == "map"]
    read = {r for r in log if not any(r[:len(m)] == m and len(r) > len(m) for m in maps)}
    assert read - set(declared) == set(), f"{name} reads parameters it does not declare"


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_the_validator_refuses_keys_it_does_not_declare(name):
    rule = RULES[name]
    mp, params = EXAMPLES[name]
    for path, obj, keys in list(_objects(params, rule.parameters)):
        closed = not path or _declared(rule.parameters)[path].closed
        if not closed:
            continue
        obj["zz_undeclared"] = 1
        try:
            msgs = rule.validate(params, Decimal(mp))
        finally:
            del obj["zz_undeclared"]
        assert any("不认识的参数 zz_undeclared" in m and "、".join(sorted(keys.names())) in m for m in msgs), \
            (path, msgs)


def test_param_lines_show_labels_required_defaults_and_nesting():
    lines = param_lines(RULES["tiers"].parameters)
    top = [(name, text) for depth, name, text in lines if depth == 0]
    assert [name for name, _ in top] == ["measures", "cap", "floor", "top_bonus"]
    assert top[0][1].startswith("计分项（必填）。对象列表") and top[2][1].startswith("最低分（默认 0）。数字")
    i = [name for _, name, _ in lines].index("measures")
    assert lines[i + 1][:2] == (1, "key") and lines[i + 2][:2] == (1, "label")
    assert (2, "key") in [line[:2] for line in lines]  # measures → value → key
    deduction = param_lines(RULES["deduction_per_occurrence"].parameters)
    assert deduction[0] == (0, "per", "每次扣分（必填）。数字；大于0。")
    assert deduction[2][2].startswith("计量单位（默认 起）")
    below = dict((name, text) for _, name, text in param_lines(RULES["satisfaction"].parameters))["below"]
    assert "proportional 按照完成比例赋分" in below and "zero 得0分" in below
