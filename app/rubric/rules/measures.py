"""Fact specs, measures and tiers: the value helpers several rule types share.

A *fact spec* ``{key, label, kind, unit, help}`` names one number a unit enters. A *measure*
is a value (one fact, or the sum of several) optionally divided by another fact (``per``),
in % when ``percent``. A *tier* ``{min, max, min_inclusive, max_inclusive, points}`` is a band of
a value with its points.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from ..numbers import HUNDRED, ZERO, D, fmt
from .base import Errs, FactError, Field, check_unknown, dec_fact, fmt_pts
from .params import Param, Params

# ----------------------------------------------------------------------------- declarations

FACT = Params(
    Param("key", "事实项标识", "text", required=True, help="英文字母、数字或下划线，同一指标内不重复"),
    Param("label", "中文名称", "text", required=True, help="填报页面上显示的名称"),
    Param("kind", "数值类型", "choice", default="decimal", choices=(("int", "整数"), ("decimal", "小数"))),
    Param("unit", "计量单位", "text", help="如 人、万元"),
    Param("help", "填写说明", "text"),
)

TIER = Params(
    Param("min", "下限", "number", help="min、max 至少填一个"),
    Param("max", "上限", "number"),
    Param("min_inclusive", "含下限", "bool", default=True),
    Param("max_inclusive", "含上限", "bool", default=False),
    Param("points", "该档分值", "number", required=True),
)

MEASURE = Params(
    Param("key", "计分项标识", "text", help="可不填"),
    Param("label", "中文名称", "text", required=True),
    Param("value", "取值的事实项", "facts", required=True, children=FACT,
          help="多个事实项时取合计（与 mean_of_terms 一起用时取各项比值的平均）"),
    Param("per", "分母（事实项）", "fact", children=FACT, help="填写时计分值为 value ÷ per"),
    Param("percent", "按百分比计", "bool", default=False, help="true 时比值乘以100，单位为 %"),
    Param("mean_of_terms", "各项比值取平均", "bool", default=False, help="需要与 per（分母）一起使用"),
    Param("unit", "计量单位", "text", help="不填时取事实项的单位"),
)

MEASURE_WITH_TIERS = MEASURE + (
    Param("tiers", "分档", "objects", required=True, children=TIER, help="取达到的最高分档"),
)


def top_bonus_param(*, with_min: bool, help: str) -> Param:
    """The ``top_bonus`` parameter: the points of a unit ranked in the top ``rank``."""
    keys = Params(
        Param("rank", "前几名", "integer", required=True),
        Param("points", "排名加分后的得分", "number", required=True, help="不大于本项分值"),
    )
    if with_min:
        keys = keys + (
            Param("min", "参加排名加分的最低值", "number", help="第一个计分项达到此值才参加排名加分"),
            Param("min_inclusive", "含最低值", "bool", default=True),
        )
    return Param("top_bonus", "排名前几加分", "object", children=keys, help=help)


# ----------------------------------------------------------------------------- fact specs


def validate_factspec(spec: Any, where: str, errs: list[str]) -> None:
    if not isinstance(spec, Mapping):
        errs.append(f"{where}应为对象，包含 key 和 label")
        return
    if not isinstance(spec.get("key"), str) or not spec.get("key"):
        errs.append(f"{where}缺少 key")
    if not isinstance(spec.get("label"), str) or not spec.get("label"):
        errs.append(f"{where}缺少 label（{FACT['label'].label}）")
    if spec.get("kind", "decimal") not in FACT["kind"].values:
        errs.append(f"{where}的 kind 只能是 int 或 decimal")
    check_unknown(spec, FACT, errs, where)


def spec_field(spec: Mapping) -> Field:
    return Field(name=spec["key"], label=spec["label"], kind=spec.get("kind", "decimal"), unit=spec.get("unit"),
                 min=ZERO, help=spec.get("help"))


def spec_value(facts: Mapping | None, spec: Mapping) -> Decimal:
    return dec_fact(facts, spec["key"], spec["label"], integer=spec.get("kind") == "int")


def spec_show(spec: Mapping, v: Decimal) -> str:
    return f"{spec['label']} {fmt(v)}{spec.get('unit') or ''}"


# ----------------------------------------------------------------------------- measures


def measure_specs(m: Mapping) -> tuple[list[Mapping], Mapping | None]:
    value = m.get("value")
    values = value if isinstance(value, list) else [value]
    return values, m.get("per")


def validate_measure(m: Any, where: str, errs: list[str], *, with_tiers: bool) -> None:
    if not isinstance(m, Mapping):
        errs.append(f"{where}应为对象")
        return
    check_unknown(m, MEASURE_WITH_TIERS if with_tiers else MEASURE, errs, where)
    if not isinstance(m.get("label"), str) or not m.get("label"):
        errs.append(f"{where}缺少 label（{MEASURE['label'].label}）")
    values, per = measure_specs(m)
    if m.get("value") is None or (isinstance(m.get("value"), list) and not m["value"]):
        errs.append(f"{where}缺少 value（{MEASURE['value'].label}）")
    else:
        for i, s in enumerate(values):
            validate_factspec(s, f"{where}value[{i}] ", errs)
    if per is not None:
        validate_factspec(per, f"{where}per ", errs)
    if m.get("mean_of_terms") and per is None:
        errs.append(f"{where}mean_of_terms 需要与 per（分母）一起使用")
    if with_tiers:
        tiers = m.get("tiers")
        if not isinstance(tiers, list) or not tiers:
            errs.append(f"{where}缺少 tiers（{MEASURE_WITH_TIERS['tiers'].label}）")
        else:
            for i, t in enumerate(tiers):
                validate_tier(t, f"{where}tiers[{i}] ", errs)


def measure_value(facts: Mapping | None, m: Mapping) -> tuple[Decimal, list[str], dict[str, Decimal]]:
    """(value, explanation parts, raw inputs). Ratios are in % when ``percent`` is true."""
    values, per = measure_specs(m)
    inputs: dict[str, Decimal] = {}
    parts: list[str] = []
    total = ZERO
    for s in values:
        v = spec_value(facts, s)
        inputs[s["key"]] = v
        parts.append(spec_show(s, v))
        total += v
    if per is None:
        if len(values) > 1:
            parts.append(f"合计 {fmt(total)}")
        return total, parts, inputs
    den = spec_value(facts, per)
    inputs[per["key"]] = den
    parts.append(spec_show(per, den))
    if den == 0:
        raise FactError(f"「{per['label']}」为0，无法计算{m.get('label', '比例')}")
    v = total / den
    if m.get("mean_of_terms") and len(values) > 1:
        v = v / len(values)
    if m.get("percent"):
        v = v * HUNDRED
    return v, parts, inputs


def measure_unit(m: Mapping) -> str:
    if m.get("percent"):
        return "%"
    if m.get("unit"):
        return m["unit"]
    values, per = measure_specs(m)
    if per is None and len(values) == 1 and isinstance(values[0], Mapping):
        return values[0].get("unit") or ""
    return ""


# ----------------------------------------------------------------------------- tiers


def validate_tier(t: Any, where: str, errs: list[str]) -> None:
    if not isinstance(t, Mapping):
        errs.append(f"{where}应为对象")
        return
    check_unknown(t, TIER, errs, where)
    e = Errs()
    e.num(t, TIER["points"])
    lo = e.num(t, TIER["min"])
    hi = e.num(t, TIER["max"])
    if lo is not None and hi is not None and lo > hi:
        e.append("下限大于上限")
    if "min" not in t and "max" not in t:
        e.append("分档至少需要 min 或 max")
    errs.extend(where + x for x in e)


def tier_matches(v: Decimal, t: Mapping) -> bool:
    if t.get("min") is not None:
        lo = D(t["min"])
        if (v < lo) if t.get("min_inclusive", True) else (v <= lo):
            return False
    if t.get("max") is not None:
        hi = D(t["max"])
        if (v > hi) if t.get("max_inclusive", False) else (v >= hi):
            return False
    return True


def tier_text(t: Mapping, unit: str) -> str:
    lo, hi = t.get("min"), t.get("max")
    parts = []
    if lo is not None:
        parts.append(("≥" if t.get("min_inclusive", True) else ">") + fmt(lo) + unit)
    if hi is not None:
        parts.append(("≤" if t.get("max_inclusive", False) else "<") + fmt(hi) + unit)
    return "且".join(parts)


def best_tier(v: Decimal, tiers: Sequence[Mapping]) -> Mapping | None:
    """Among the tiers the value falls in, the one with the most points (order-independent)."""
    best = None
    for t in tiers:
        if tier_matches(v, t) and (best is None or D(t["points"]) > D(best["points"])):
            best = t
    return best


def tiers_describe(tiers: Sequence[Mapping], unit: str) -> str:
    return "；".join(f"{tier_text(t, unit)}计{fmt_pts(D(t['points']))}" for t in tiers)


def validate_top_bonus(tb: Any, mp: Decimal, e: Errs, param: Param) -> None:
    """Check a ``top_bonus`` object against its declaration ``param``."""
    if tb is None:
        return
    if not isinstance(tb, Mapping):
        e.append(f"参数 {param.ref()}应为对象")
        return
    keys = param.children
    check_unknown(tb, keys, e, "top_bonus ")
    r = e.num(tb, keys["rank"], positive=True)
    if r is not None and r != r.to_integral_value():
        e.append("top_bonus 的 rank 应为整数")
    p = e.num(tb, keys["points"], positive=True)
    if p is not None and p > mp:
        e.append(f"top_bonus 的得分 {fmt(p)} 大于本项分值 {fmt(mp)}")
