"""The rule catalog: every scoring rule of the source documents as configuration.

A rule type is a subclass of :class:`Rule` registered with ``@register``; this is the ONE place
where new rule types are added. Each rule type provides

* ``validate(params, max_points) -> list[str]``: Chinese messages for params that do not fit;
* ``fields(params) -> list[Field]``: the facts a unit or scorer must enter (the web UI renders
  a form from them generically);
* ``describe(params, max_points) -> str``: the rule in plain Chinese;
* ``score(params, max_points, facts, peers=None) -> ScoreResult``: one unit's points with a
  Chinese explanation naming the rule, the inputs and the thresholds hit;
* ``score_all(params, max_points, facts_by_unit) -> dict[unit_id, ScoreResult]``: all units of a
  population at once (cross-unit rules compute their averages and ranks once here);
* ``bounds(params, max_points) -> (low, high)``: the documented range of the score. Normally
  ``(0, max)``; a negative ``floor`` (document deductions such as 「低于80%扣2分」) lowers it, items
  marked ``exceeds_cap`` (「省级比赛获奖得分可突破本项得分上限」) lift the top (``None`` = open).

Facts are plain dicts {field name: value}; values may be numbers or strings (the web form posts
strings). A missing required fact gives ``status="missing"`` (0 points, not final); an invalid
fact or a judged score below the maximum without a reason gives ``status="error"``.

Cross-unit rules (``cross_unit = True``) are computed over the units of the same category to
which the indicator applies. Their results are ``provisional`` until every unit of that
population has its facts.

Rounding: every rule rounds its final points once with :func:`app.rubric.numbers.q2`.

Component rules (not indicator rules) are the functions :func:`democratic_score` and
:func:`leader_score`; normalisation of reduced maxima is :func:`normalise`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any, ClassVar

from .numbers import HUNDRED, ONE, ZERO, D, NumberError, fmt, q2

__all__ = [
    "FIELD_KINDS",
    "Field",
    "ScoreResult",
    "Rule",
    "RULES",
    "register",
    "get_rule",
    "rule_names",
    "democratic_score",
    "leader_score",
    "normalise",
    "check_ballot",
]

FIELD_KINDS = ("int", "decimal", "level", "date", "text", "bool")
_SELF = "__self__"


# ----------------------------------------------------------------------------- data types


ENTERED_BY = ("unit", "scorer")


@dataclass(frozen=True)
class Field:
    """One fact a unit or scorer enters. ``kind`` is one of FIELD_KINDS; ``by`` (ENTERED_BY) says
    who enters it: the unit in its self-report (facts), or the scorer (judged points, judged
    deductions and the reasons that go with them)."""

    name: str
    label: str
    kind: str
    unit: str | None = None
    choices: tuple[str, ...] | None = None
    required: bool = True
    min: Decimal | None = None
    max: Decimal | None = None
    help: str | None = None
    by: str = "unit"


@dataclass(frozen=True)
class ScoreResult:
    """The points of one indicator for one unit, with the reason in Chinese.

    ``status``: "ok" (final unless ``provisional``), "missing" (facts not entered yet, 0 points),
    "error" (facts invalid; ``error`` says why in Chinese, 0 points).
    """

    points: Decimal
    max_points: Decimal
    explanation: str
    inputs: dict[str, Any] = field(default_factory=dict)
    status: str = "ok"
    provisional: bool = False
    error: str | None = None
    flags: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.status == "ok"


class FactError(ValueError):
    """A fact that is missing or invalid (Chinese message)."""

    def __init__(self, message: str, *, missing: bool = False):
        super().__init__(message)
        self.missing = missing


# ----------------------------------------------------------------------------- registry

RULES: dict[str, Rule] = {}


def register(cls: type[Rule]) -> type[Rule]:
    """Class decorator: add a rule type to the catalog under ``cls.name``."""
    if not getattr(cls, "name", None):
        raise TypeError("rule class needs a name")
    if cls.name in RULES:
        raise TypeError(f"duplicate rule name {cls.name}")
    RULES[cls.name] = cls()
    return cls


def get_rule(name: str) -> Rule:
    """The rule registered as ``name``; KeyError with a Chinese message otherwise."""
    try:
        return RULES[name]
    except KeyError:
        raise KeyError(f"未知的计分规则「{name}」") from None


def rule_names() -> list[str]:
    return sorted(RULES)


# ----------------------------------------------------------------------------- helpers


class _Errs(list):
    """Collects Chinese validation messages for params."""

    def num(self, p: Mapping, key: str, label: str, *, required: bool = True, min_: Decimal | int | None = None,
            positive: bool = False) -> Decimal | None:
        if key not in p or p[key] is None:
            if required:
                self.append(f"缺少参数 {key}（{label}）")
            return None
        try:
            v = D(p[key])
        except NumberError:
            self.append(f"参数 {key}（{label}）应为数字，现为「{p[key]}」")
            return None
        if positive and v <= 0:
            self.append(f"参数 {key}（{label}）应大于0")
        elif min_ is not None and v < D(min_):
            self.append(f"参数 {key}（{label}）不能小于 {fmt(min_)}")
        return v

    def lst(self, p: Mapping, key: str, label: str, *, required: bool = True) -> list:
        v = p.get(key)
        if v is None:
            if required:
                self.append(f"缺少参数 {key}（{label}）")
            return []
        if not isinstance(v, list) or (required and not v):
            self.append(f"参数 {key}（{label}）应为非空列表")
            return []
        return v

    def text(self, p: Mapping, key: str, label: str, *, required: bool = True) -> str | None:
        v = p.get(key)
        if v is None or v == "":
            if required:
                self.append(f"缺少参数 {key}（{label}）")
            return None
        if not isinstance(v, str):
            self.append(f"参数 {key}（{label}）应为文字")
            return None
        return v


def _check_unknown(p: Mapping, allowed: set[str], errs: list[str], where: str = "") -> None:
    for k in p:
        if k not in allowed:
            errs.append(f"{where}不认识的参数 {k}（可用：{'、'.join(sorted(allowed))}）")


def _get(facts: Mapping | None, name: str, label: str) -> Any:
    if not facts or name not in facts or facts[name] is None or facts[name] == "":
        raise FactError(f"尚未填写「{label}」", missing=True)
    return facts[name]


def _dec(facts: Mapping | None, name: str, label: str, *, integer: bool = False,
         nonneg: bool = True) -> Decimal:
    raw = _get(facts, name, label)
    try:
        v = D(raw)
    except NumberError:
        raise FactError(f"「{label}」应为数字，现为「{raw}」") from None
    if nonneg and v < 0:
        raise FactError(f"「{label}」不能为负数，现为 {fmt(v)}")
    if integer and v != v.to_integral_value():
        raise FactError(f"「{label}」应为整数，现为 {raw}")
    return v


def _opt_text(facts: Mapping | None, name: str) -> str:
    if not facts:
        return ""
    v = facts.get(name)
    return "" if v is None else str(v).strip()


def _pts(x: Decimal) -> str:
    return f"{fmt(x)}分"


def _clamp(x: Decimal, lo: Decimal | None, hi: Decimal | None) -> Decimal:
    if lo is not None and x < lo:
        return lo
    if hi is not None and x > hi:
        return hi
    return x


def _missing(max_points: Decimal, rule_label: str, message: str, inputs: dict | None = None) -> ScoreResult:
    return ScoreResult(points=ZERO, max_points=max_points, explanation=f"{rule_label}：{message}，暂不计分。",
                       inputs=inputs or {}, status="missing", error=message)


def _error(max_points: Decimal, rule_label: str, message: str, inputs: dict | None = None) -> ScoreResult:
    return ScoreResult(points=ZERO, max_points=max_points, explanation=f"{rule_label}：{message}，无法计分。",
                       inputs=inputs or {}, status="error", error=message)


def _fact_failure(max_points: Decimal, rule_label: str, exc: FactError, inputs: dict | None = None) -> ScoreResult:
    if exc.missing:
        return _missing(max_points, rule_label, str(exc), inputs)
    return _error(max_points, rule_label, str(exc), inputs)


def competition_ranks(values: Mapping[str, Decimal], *, descending: bool = True) -> dict[str, int]:
    """Standard competition ranking ("1224"): equal values share the better rank."""
    order = sorted(values.values(), reverse=descending)
    first: dict[Decimal, int] = {}
    for i, v in enumerate(order, start=1):
        first.setdefault(v, i)
    return {k: first[v] for k, v in values.items()}


# --- fact specs, measures and tiers (shared by several rules) -------------------------


def _validate_factspec(spec: Any, where: str, errs: list[str]) -> None:
    if not isinstance(spec, Mapping):
        errs.append(f"{where}应为对象，包含 key 和 label")
        return
    if not isinstance(spec.get("key"), str) or not spec.get("key"):
        errs.append(f"{where}缺少 key")
    if not isinstance(spec.get("label"), str) or not spec.get("label"):
        errs.append(f"{where}缺少 label（中文名称）")
    if spec.get("kind", "decimal") not in ("int", "decimal"):
        errs.append(f"{where}的 kind 只能是 int 或 decimal")
    _check_unknown(spec, {"key", "label", "kind", "unit", "help"}, errs, where)


def _spec_field(spec: Mapping) -> Field:
    return Field(name=spec["key"], label=spec["label"], kind=spec.get("kind", "decimal"), unit=spec.get("unit"),
                 min=ZERO, help=spec.get("help"))


def _spec_value(facts: Mapping | None, spec: Mapping) -> Decimal:
    return _dec(facts, spec["key"], spec["label"], integer=spec.get("kind") == "int")


def _spec_show(spec: Mapping, v: Decimal) -> str:
    return f"{spec['label']} {fmt(v)}{spec.get('unit') or ''}"


def _measure_specs(m: Mapping) -> tuple[list[Mapping], Mapping | None]:
    value = m.get("value")
    values = value if isinstance(value, list) else [value]
    return values, m.get("per")


def _validate_measure(m: Any, where: str, errs: list[str], *, with_tiers: bool) -> None:
    if not isinstance(m, Mapping):
        errs.append(f"{where}应为对象")
        return
    allowed = {"key", "label", "value", "per", "percent", "mean_of_terms", "unit"}
    if with_tiers:
        allowed.add("tiers")
    _check_unknown(m, allowed, errs, where)
    if not isinstance(m.get("label"), str) or not m.get("label"):
        errs.append(f"{where}缺少 label（中文名称）")
    values, per = _measure_specs(m)
    if m.get("value") is None or (isinstance(m.get("value"), list) and not m["value"]):
        errs.append(f"{where}缺少 value（取值的事实项）")
    else:
        for i, s in enumerate(values):
            _validate_factspec(s, f"{where}value[{i}] ", errs)
    if per is not None:
        _validate_factspec(per, f"{where}per ", errs)
    if m.get("mean_of_terms") and per is None:
        errs.append(f"{where}mean_of_terms 需要与 per（分母）一起使用")
    if with_tiers:
        tiers = m.get("tiers")
        if not isinstance(tiers, list) or not tiers:
            errs.append(f"{where}缺少 tiers（分档）")
        else:
            for i, t in enumerate(tiers):
                _validate_tier(t, f"{where}tiers[{i}] ", errs)


def _validate_tier(t: Any, where: str, errs: list[str]) -> None:
    if not isinstance(t, Mapping):
        errs.append(f"{where}应为对象")
        return
    _check_unknown(t, {"min", "max", "min_inclusive", "max_inclusive", "points"}, errs, where)
    e = _Errs()
    e.num(t, "points", "该档分值")
    lo = e.num(t, "min", "下限", required=False)
    hi = e.num(t, "max", "上限", required=False)
    if lo is not None and hi is not None and lo > hi:
        e.append("下限大于上限")
    if "min" not in t and "max" not in t:
        e.append("分档至少需要 min 或 max")
    errs.extend(where + x for x in e)


def _measure_value(facts: Mapping | None, m: Mapping) -> tuple[Decimal, list[str], dict[str, Decimal]]:
    """(value, explanation parts, raw inputs). Ratios are in % when ``percent`` is true."""
    values, per = _measure_specs(m)
    inputs: dict[str, Decimal] = {}
    parts: list[str] = []
    total = ZERO
    for s in values:
        v = _spec_value(facts, s)
        inputs[s["key"]] = v
        parts.append(_spec_show(s, v))
        total += v
    if per is None:
        if len(values) > 1:
            parts.append(f"合计 {fmt(total)}")
        return total, parts, inputs
    den = _spec_value(facts, per)
    inputs[per["key"]] = den
    parts.append(_spec_show(per, den))
    if den == 0:
        raise FactError(f"「{per['label']}」为0，无法计算{m.get('label', '比例')}")
    v = total / den
    if m.get("mean_of_terms") and len(values) > 1:
        v = v / len(values)
    if m.get("percent"):
        v = v * HUNDRED
    return v, parts, inputs


def _measure_unit(m: Mapping) -> str:
    if m.get("percent"):
        return "%"
    if m.get("unit"):
        return m["unit"]
    values, per = _measure_specs(m)
    if per is None and len(values) == 1 and isinstance(values[0], Mapping):
        return values[0].get("unit") or ""
    return ""


def _tier_matches(v: Decimal, t: Mapping) -> bool:
    if t.get("min") is not None:
        lo = D(t["min"])
        if (v < lo) if t.get("min_inclusive", True) else (v <= lo):
            return False
    if t.get("max") is not None:
        hi = D(t["max"])
        if (v > hi) if t.get("max_inclusive", False) else (v >= hi):
            return False
    return True


def _tier_text(t: Mapping, unit: str) -> str:
    lo, hi = t.get("min"), t.get("max")
    parts = []
    if lo is not None:
        parts.append(("≥" if t.get("min_inclusive", True) else ">") + fmt(lo) + unit)
    if hi is not None:
        parts.append(("≤" if t.get("max_inclusive", False) else "<") + fmt(hi) + unit)
    return "且".join(parts)


def _best_tier(v: Decimal, tiers: Sequence[Mapping]) -> Mapping | None:
    """Among the tiers the value falls in, the one with the most points (order-independent)."""
    best = None
    for t in tiers:
        if _tier_matches(v, t) and (best is None or D(t["points"]) > D(best["points"])):
            best = t
    return best


def _tiers_describe(tiers: Sequence[Mapping], unit: str) -> str:
    return "；".join(f"{_tier_text(t, unit)}计{_pts(D(t['points']))}" for t in tiers)


# ----------------------------------------------------------------------------- base class


class Rule:
    """Base class of a rule type. Subclasses set ``name``, ``label`` and override the hooks."""

    name: ClassVar[str] = ""
    label: ClassVar[str] = ""
    cross_unit: ClassVar[bool] = False
    params_allowed: ClassVar[set[str]] = set()

    def validate(self, params: Mapping, max_points: Decimal) -> list[str]:
        errs: list[str] = []
        if not isinstance(params, Mapping):
            return ["参数应为对象"]
        _check_unknown(params, self.params_allowed, errs)
        errs.extend(self._validate(params, D(max_points)))
        return errs

    def _validate(self, params: Mapping, max_points: Decimal) -> list[str]:
        return []

    def fields(self, params: Mapping) -> list[Field]:
        raise NotImplementedError

    def describe(self, params: Mapping, max_points: Decimal) -> str:
        raise NotImplementedError

    def bounds(self, params: Mapping, max_points: Decimal) -> tuple[Decimal, Decimal | None]:
        return ZERO, D(max_points)

    def is_cross(self, params: Mapping) -> bool:
        """True when scoring needs the other units of the population (averages, ranks)."""
        return self.cross_unit

    def score(self, params: Mapping, max_points: Decimal, facts: Mapping | None,
              peers: Mapping[str, Mapping | None] | None = None) -> ScoreResult:
        """Score one unit. For cross-unit rules ``peers`` are the other units' facts (by unit
        id); without them the result is computed against this unit alone and is provisional."""
        if not self.is_cross(params):
            return self._score_one(params, D(max_points), facts)
        population = dict(peers or {})
        population[_SELF] = facts
        res = self.score_all(params, max_points, population)[_SELF]
        if peers is None and not res.provisional:
            res = _with(res, provisional=True)
        return res

    def score_all(self, params: Mapping, max_points: Decimal,
                  facts_by_unit: Mapping[str, Mapping | None]) -> dict[str, ScoreResult]:
        """Score every unit of a population (the units of one category the indicator applies to)."""
        mp = D(max_points)
        return {uid: self._score_one(params, mp, f) for uid, f in facts_by_unit.items()}

    def _score_one(self, params: Mapping, max_points: Decimal, facts: Mapping | None) -> ScoreResult:
        raise NotImplementedError


def _with(res: ScoreResult, **changes: Any) -> ScoreResult:
    d = {f: getattr(res, f) for f in ("points", "max_points", "explanation", "inputs", "status", "provisional",
                                      "error", "flags")}
    d.update(changes)
    return ScoreResult(**d)


# ----------------------------------------------------------------------------- 1 judged


@register
class Judged(Rule):
    """评分人评分: the scorer gives 0…max; a reason is required below max."""

    name = "judged"
    label = "评分人评分"
    params_allowed = {"step", "items", "guidance", "min_nonzero"}

    def _validate(self, p, mp):
        e = _Errs()
        step = e.num(p, "step", "分值步长", required=False, positive=True)
        mn = e.num(p, "min_nonzero", "给分时的最低分", required=False, positive=True)
        if mn is not None and mn > mp:
            e.append("参数 min_nonzero（给分时的最低分）不能大于本项分值")
        if step is not None and (mp / step) != (mp / step).to_integral_value():
            e.append(f"本项分值 {fmt(mp)} 不是步长 {fmt(step)} 的整数倍")
        items = p.get("items")
        if items is not None:
            if not isinstance(items, list):
                e.append("参数 items（工作事项清单）应为列表")
            else:
                for i, it in enumerate(items):
                    if not (isinstance(it, str) or (isinstance(it, Mapping) and isinstance(it.get("text"), str))):
                        e.append(f"items[{i}] 应为文字，或包含 text 的对象")
        if p.get("guidance") is not None and not isinstance(p.get("guidance"), str):
            e.append("参数 guidance（评分说明）应为文字")
        return e

    def fields(self, params):
        return [
            Field("points", "评定得分", "decimal", unit="分", min=ZERO, help=params.get("guidance"), by="scorer"),
            Field("reason", "扣分理由", "text", required=False, help="得分低于满分时必须填写理由", by="scorer"),
        ]

    def describe(self, params, max_points):
        s = f"由评分人根据工作实绩在0～{fmt(max_points)}分之间评定，低于满分须写明理由"
        if params.get("min_nonzero"):
            s += f"；给分时不低于{_pts(D(params['min_nonzero']))}"
        if params.get("step"):
            s += f"；分值以{fmt(params['step'])}分为单位"
        if params.get("items"):
            s += f"；对照所列 {len(params['items'])} 项工作逐项考核"
        return s + "。"

    def _score_one(self, p, mp, facts):
        inputs: dict[str, Any] = {}
        try:
            v = _dec(facts, "points", "评定得分", nonneg=False)
        except FactError as exc:
            return _fact_failure(mp, self.label, exc)
        reason = _opt_text(facts, "reason")
        inputs = {"points": v, "reason": reason}
        if v < 0 or v > mp:
            return _error(mp, self.label, f"评定得分 {fmt(v)} 超出 0～{fmt(mp)} 分的范围", inputs)
        if p.get("step") and (v / D(p["step"])) != (v / D(p["step"])).to_integral_value():
            return _error(mp, self.label, f"评定得分 {fmt(v)} 不是 {fmt(p['step'])} 分的整数倍", inputs)
        if p.get("min_nonzero") and ZERO < v < D(p["min_nonzero"]):
            return _error(mp, self.label, f"评定得分 {fmt(v)} 低于给分时的最低分 {fmt(p['min_nonzero'])}", inputs)
        if v < mp and not reason:
            return _error(mp, self.label, f"评定得分 {fmt(v)} 低于满分 {fmt(mp)}，但未填写扣分理由", inputs)
        pts = q2(v)
        if v == mp:
            text = f"{self.label}：评定得分 {fmt(v)}，满分{_pts(mp)}，得{_pts(pts)}。"
        else:
            text = f"{self.label}：评定得分 {fmt(v)}，满分{_pts(mp)}，扣分理由：{reason}；得{_pts(pts)}。"
        return ScoreResult(points=pts, max_points=mp, explanation=text, inputs=inputs)


# ----------------------------------------------------------------------------- 2 deduction per occurrence


@register
class DeductionPerOccurrence(Rule):
    """每发现一起扣k分: max − k × count, not below 0."""

    name = "deduction_per_occurrence"
    label = "按次扣分"
    params_allowed = {"per", "what", "unit"}

    def _validate(self, p, mp):
        e = _Errs()
        e.num(p, "per", "每次扣分", positive=True)
        e.text(p, "what", "扣分事项")
        return e

    def _label(self, p) -> str:
        return f"{p['what']}（{p.get('unit') or '起'}）"

    def fields(self, params):
        return [Field("count", self._label(params), "int", unit=params.get("unit") or "起", min=ZERO),
                Field("note", "情况说明", "text", required=False)]

    def describe(self, params, max_points):
        return (f"满分{_pts(D(max_points))}，每发现一{params.get('unit') or '起'}{params['what']}扣"
                f"{_pts(D(params['per']))}，扣完为止。")

    def _score_one(self, p, mp, facts):
        lab = self._label(p)
        try:
            n = _dec(facts, "count", lab, integer=True)
        except FactError as exc:
            return _fact_failure(mp, self.label, exc)
        per = D(p["per"])
        pts = q2(max(ZERO, mp - per * n))
        note = _opt_text(facts, "note")
        text = (f"{self.label}：{lab} {fmt(n)}，每{p.get('unit') or '起'}扣{_pts(per)}，"
                f"{fmt(mp)} − {fmt(per)}×{fmt(n)}，不低于0，得{_pts(pts)}。")
        if note:
            text += f"说明：{note}。"
        return ScoreResult(points=pts, max_points=mp, explanation=text, inputs={"count": n, "note": note})


# ----------------------------------------------------------------------------- 3 deduction items


_DEDUCTION_TYPES = ("per_count", "below", "above", "judged")


@register
class DeductionItems(Rule):
    """Several stated deductions from the full points (each by count, by a threshold on a value,
    or judged within a range with a reason); the result is not below 0."""

    name = "deduction_items"
    label = "多项扣分"
    params_allowed = {"items"}

    def _validate(self, p, mp):
        e = _Errs()
        items = e.lst(p, "items", "扣分事项")
        keys = set()
        for i, it in enumerate(items):
            w = f"items[{i}] "
            if not isinstance(it, Mapping):
                e.append(w + "应为对象")
                continue
            _check_unknown(it, {"key", "label", "type", "per", "threshold", "deduct", "max_deduct", "unit"}, e, w)
            if not it.get("key") or not it.get("label"):
                e.append(w + "缺少 key 或 label")
            if it.get("key") in keys:
                e.append(w + f"key「{it.get('key')}」重复")
            keys.add(it.get("key"))
            t = it.get("type")
            if t not in _DEDUCTION_TYPES:
                e.append(w + f"type 应为 {'/'.join(_DEDUCTION_TYPES)} 之一，现为「{t}」")
            sub = _Errs()
            if t == "per_count":
                sub.num(it, "per", "每次扣分", positive=True)
            elif t in ("below", "above"):
                sub.num(it, "threshold", "阈值")
                sub.num(it, "deduct", "扣分", positive=True)
            elif t == "judged":
                md = sub.num(it, "max_deduct", "最多扣分", positive=True)
                if md is not None and md > mp:
                    sub.append("最多扣分大于本项分值")
            e.extend(w + x for x in sub)
        return e

    def fields(self, params):
        out = []
        for it in params["items"]:
            t = it["type"]
            if t == "per_count":
                out.append(Field(it["key"], it["label"], "int", unit=it.get("unit") or "起", min=ZERO))
            elif t in ("below", "above"):
                out.append(Field(it["key"], it["label"], "decimal", unit=it.get("unit"), min=ZERO))
            else:
                out.append(Field(it["key"], it["label"], "decimal", unit="分", min=ZERO, max=D(it["max_deduct"]),
                                 help=f"酌情扣0～{fmt(it['max_deduct'])}分，扣分须写明理由", by="scorer"))
                out.append(Field(it["key"] + "_reason", it["label"] + "理由", "text", required=False, by="scorer"))
        return out

    def _item_text(self, it: Mapping) -> str:
        t, u = it["type"], it.get("unit") or ""
        if t == "per_count":
            return f"{it['label']}每{u or '起'}扣{_pts(D(it['per']))}"
        if t == "below":
            return f"{it['label']}低于{fmt(it['threshold'])}{u}扣{_pts(D(it['deduct']))}"
        if t == "above":
            return f"{it['label']}超过{fmt(it['threshold'])}{u}扣{_pts(D(it['deduct']))}"
        return f"{it['label']}酌情扣0～{_pts(D(it['max_deduct']))}"

    def describe(self, params, max_points):
        return f"满分{_pts(D(max_points))}，" + "；".join(self._item_text(i) for i in params["items"]) + "；扣完为止。"

    def _score_one(self, p, mp, facts):
        total = ZERO
        parts = []
        inputs: dict[str, Any] = {}
        try:
            for it in p["items"]:
                t, u = it["type"], it.get("unit") or ""
                if t == "per_count":
                    n = _dec(facts, it["key"], it["label"], integer=True)
                    d = D(it["per"]) * n
                    parts.append(f"{it['label']} {fmt(n)}{u or '起'}，扣{_pts(d)}")
                    inputs[it["key"]] = n
                elif t in ("below", "above"):
                    v = _dec(facts, it["key"], it["label"])
                    thr = D(it["threshold"])
                    hit = v < thr if t == "below" else v > thr
                    d = D(it["deduct"]) if hit else ZERO
                    cmp = ("低于" if hit else "不低于") if t == "below" else ("超过" if hit else "未超过")
                    parts.append(f"{it['label']} {fmt(v)}{u}，{cmp}{fmt(thr)}{u}，扣{_pts(d)}")
                    inputs[it["key"]] = v
                else:
                    d = _dec(facts, it["key"], it["label"]) if facts and facts.get(it["key"]) not in (None, "") \
                        else ZERO
                    reason = _opt_text(facts, it["key"] + "_reason")
                    if d > D(it["max_deduct"]):
                        raise FactError(f"「{it['label']}」扣分 {fmt(d)} 超过最多 {fmt(it['max_deduct'])} 分")
                    if d > 0 and not reason:
                        raise FactError(f"「{it['label']}」扣{_pts(d)}，但未填写理由")
                    parts.append(f"{it['label']}扣{_pts(d)}" + (f"（{reason}）" if reason else ""))
                    inputs[it["key"]] = d
                    inputs[it["key"] + "_reason"] = reason
                total += d
        except FactError as exc:
            return _fact_failure(mp, self.label, exc, inputs)
        pts = q2(max(ZERO, mp - total))
        text = f"{self.label}：满分{_pts(mp)}；" + "；".join(parts) + f"；共扣{_pts(total)}，不低于0，得{_pts(pts)}。"
        return ScoreResult(points=pts, max_points=mp, explanation=text, inputs=inputs)


# ----------------------------------------------------------------------------- 4 tiers


def _validate_top_bonus(tb: Any, mp: Decimal, e: _Errs, *, with_min: bool) -> None:
    if tb is None:
        return
    if not isinstance(tb, Mapping):
        e.append("参数 top_bonus（排名前几加分）应为对象")
        return
    allowed = {"rank", "points"} | ({"min", "min_inclusive"} if with_min else set())
    _check_unknown(tb, allowed, e, "top_bonus ")
    r = e.num(tb, "rank", "前几名", positive=True)
    if r is not None and r != r.to_integral_value():
        e.append("top_bonus 的 rank 应为整数")
    pts = e.num(tb, "points", "排名加分后的得分", positive=True)
    if pts is not None and pts > mp:
        e.append(f"top_bonus 的得分 {fmt(pts)} 大于本项分值 {fmt(mp)}")


@register
class Tiers(Rule):
    """分档计分: each measure (a value, or a ratio of values in %) falls into tiers; the points of
    the best tier it reaches are added over the measures, capped at ``cap`` (default the item's
    points) and floored at ``floor`` (default 0; negative when the document states deductions).
    With ``top_bonus`` {rank, points, min} a unit whose first measure reaches ``min`` and ranks in
    the top ``rank`` of its population gets ``points`` (if more): the rule is then cross-unit."""

    name = "tiers"
    label = "分档计分"
    params_allowed = {"measures", "cap", "floor", "top_bonus"}

    def _validate(self, p, mp):
        e = _Errs()
        ms = e.lst(p, "measures", "计分项")
        keys: set[str] = set()
        for i, m in enumerate(ms):
            _validate_measure(m, f"measures[{i}] ", e, with_tiers=True)
            if isinstance(m, Mapping):
                for s in [*_measure_specs(m)[0], m.get("per")]:
                    if isinstance(s, Mapping) and s.get("key"):
                        if s["key"] in keys and s is not m.get("per"):
                            e.append(f"measures[{i}] 事实项 key「{s['key']}」重复")
                        keys.add(s["key"])
        cap = e.num(p, "cap", "封顶分", required=False, min_=0)
        if cap is not None and cap > mp:
            e.append(f"封顶分 {fmt(cap)} 大于本项分值 {fmt(mp)}")
        fl = e.num(p, "floor", "最低分", required=False)
        if fl is not None and fl > 0:
            e.append("最低分 floor 不能大于0")
        _validate_top_bonus(p.get("top_bonus"), mp, e, with_min=True)
        if not e and ms:
            best = sum((max(ZERO, *(D(t["points"]) for t in m["tiers"])) for m in ms), ZERO)
            if best < min(mp, cap if cap is not None else mp) and not p.get("top_bonus"):
                e.append(f"各档最高分合计 {fmt(best)} 达不到本项分值 {fmt(mp)}")
        return e

    def is_cross(self, params: Mapping) -> bool:
        return bool(params.get("top_bonus"))

    def fields(self, params):
        seen: dict[str, Field] = {}
        for m in params["measures"]:
            values, per = _measure_specs(m)
            for s in [*values, *([per] if per else [])]:
                seen.setdefault(s["key"], _spec_field(s))
        return list(seen.values())

    def bounds(self, params, max_points):
        return D(params.get("floor", 0)), D(max_points)

    def describe(self, params, max_points):
        parts = []
        for m in params["measures"]:
            parts.append(f"{m['label']}：{_tiers_describe(m['tiers'], _measure_unit(m))}")
        s = "；".join(parts)
        tb = params.get("top_bonus")
        if tb:
            cond = f"{m0['label']}{'≥' if tb.get('min_inclusive', True) else '>'}{fmt(tb['min'])}{_measure_unit(m0)}且" \
                if (m0 := params["measures"][0]) and tb.get("min") is not None else ""
            s += f"；{cond}排名前{tb['rank']}位的计{_pts(D(tb['points']))}"
        cap = params.get("cap")
        s += f"；本项最高{_pts(D(cap if cap is not None else max_points))}"
        if D(params.get("floor", 0)) < 0:
            s += f"（扣分可使本项最低为{_pts(D(params['floor']))}）"
        return s + "。"

    def _values(self, p, facts):
        out = []
        for m in p["measures"]:
            v, parts, inputs = _measure_value(facts, m)
            out.append((m, v, parts, inputs))
        return out

    def _finish(self, p, mp, measured, rank_info: str | None, bonus: Decimal | None) -> ScoreResult:
        total = ZERO
        texts = []
        inputs: dict[str, Any] = {}
        for m, v, parts, raw in measured:
            inputs.update(raw)
            u = _measure_unit(m)
            t = _best_tier(v, m["tiers"])
            shown = "，".join(parts)
            if m.get("per") is not None:
                shown += f"，{m['label']} {fmt(v)}{u}"
            if t is None:
                texts.append(f"{shown}，未达到任何档次，计0分")
            else:
                total += D(t["points"])
                texts.append(f"{shown}，达到「{_tier_text(t, u)}」档，计{_pts(D(t['points']))}")
        if bonus is not None and bonus > total:
            texts.append(f"{rank_info}，按排名计{_pts(bonus)}")
            total = bonus
        elif rank_info:
            texts.append(rank_info)
        cap = D(p["cap"]) if p.get("cap") is not None else mp
        hi = min(cap, mp)
        floor = D(p.get("floor", 0))
        pts = q2(_clamp(total, floor, hi))
        tail = f"合计{_pts(total)}"
        if pts != total:
            tail += f"，按本项范围 {fmt(floor)}～{fmt(hi)} 分计"
        text = f"{self.label}：" + "；".join(texts) + f"；{tail}，得{_pts(pts)}。"
        return ScoreResult(points=pts, max_points=mp, explanation=text, inputs=inputs)

    def score(self, params, max_points, facts, peers=None):
        if not self.is_cross(params):
            return self._score_one(params, D(max_points), facts)
        return Rule.score(self, params, max_points, facts, peers)

    def _score_one(self, p, mp, facts):
        try:
            measured = self._values(p, facts)
        except FactError as exc:
            return _fact_failure(mp, self.label, exc)
        return self._finish(p, mp, measured, None, None)

    def score_all(self, params, max_points, facts_by_unit):
        mp = D(max_points)
        if not self.is_cross(params):
            return {u: self._score_one(params, mp, f) for u, f in facts_by_unit.items()}
        tb = params["top_bonus"]
        measured: dict[str, Any] = {}
        out: dict[str, ScoreResult] = {}
        for uid, f in facts_by_unit.items():
            try:
                measured[uid] = self._values(params, f)
            except FactError as exc:
                out[uid] = _fact_failure(mp, self.label, exc)
        provisional = len(measured) < len(facts_by_unit)
        first = {uid: m[0][1] for uid, m in measured.items()}
        ranks = competition_ranks(first)
        n = len(first)
        rank_n = int(D(tb["rank"]))
        m0 = params["measures"][0]
        u = _measure_unit(m0)
        for uid, meas in measured.items():
            v, r = first[uid], ranks[uid]
            reach = tb.get("min") is None or _tier_matches(v, {"min": tb["min"],
                                                             "min_inclusive": tb.get("min_inclusive", True)})
            info = f"{m0['label']} {fmt(v)}{u} 在{n}个单位中排第{r}名"
            bonus = None
            if reach and r <= rank_n:
                bonus = D(tb["points"])
                info += f"（前{rank_n}名）"
            res = self._finish(params, mp, meas, info, bonus)
            out[uid] = _with(res, provisional=provisional,
                             inputs={**res.inputs, "rank": r, "population": n})
        return out


# ----------------------------------------------------------------------------- 5 relative to average


@register
class RelativeAverage(Rule):
    """相对全校平均: a unit's value against the reference of its population (the mean of the
    units' values, or the pooled ratio Σnumerators ÷ Σdenominators); reaching share × reference
    gives the tier's points; beyond the reference and in the top ``rank`` gives the bonus
    points. ``direction`` "lower" means lower is better (e.g. 生师比 低于全校): then a tier is
    reached when value < share × reference (strict by default) and ranks count from the lowest.
    A unit gets the most points among the tiers it reaches and the bonus."""

    name = "relative_average"
    label = "与全校平均值比较"
    cross_unit = True
    params_allowed = {"measure", "reference", "direction", "tiers", "top_bonus", "strict"}

    def _validate(self, p, mp):
        e = _Errs()
        _validate_measure(p.get("measure"), "measure ", e, with_tiers=False)
        if p.get("reference", "mean") not in ("mean", "pooled"):
            e.append("参数 reference 应为 mean（各单位平均）或 pooled（合计比值）")
        if p.get("reference") == "pooled" and isinstance(p.get("measure"), Mapping) and not p["measure"].get("per"):
            e.append("reference 为 pooled 时 measure 需要 per（分母）")
        if p.get("direction", "higher") not in ("higher", "lower"):
            e.append("参数 direction 应为 higher（越高越好）或 lower（越低越好）")
        tiers = e.lst(p, "tiers", "分档")
        for i, t in enumerate(tiers):
            if not isinstance(t, Mapping):
                e.append(f"tiers[{i}] 应为对象")
                continue
            _check_unknown(t, {"share", "points"}, e, f"tiers[{i}] ")
            e.num(t, "share", f"tiers[{i}] 占平均值的比例", positive=True)
            pt = e.num(t, "points", f"tiers[{i}] 分值", min_=0)
            if pt is not None and pt > mp:
                e.append(f"tiers[{i}] 分值 {fmt(pt)} 大于本项分值 {fmt(mp)}")
        _validate_top_bonus(p.get("top_bonus"), mp, e, with_min=False)
        return e

    def fields(self, params):
        values, per = _measure_specs(params["measure"])
        return [_spec_field(s) for s in [*values, *([per] if per else [])]]

    def describe(self, params, max_points):
        m = params["measure"]
        lower = params.get("direction") == "lower"
        ref = "全校合计比值" if params.get("reference") == "pooled" else "全校平均值"
        word = "低于" if lower else "达到"
        parts = [f"{m['label']}{word}{ref}的{fmt(D(t['share']) * HUNDRED)}%计{_pts(D(t['points']))}"
                 for t in params["tiers"]]
        s = f"{m['label']}与{ref}（在本类单位范围内计算）比较：" + "，".join(parts)
        tb = params.get("top_bonus")
        if tb:
            s += f"；{'低于' if lower else '超过'}{ref}且排名前{tb['rank']}位的计{_pts(D(tb['points']))}"
        return s + f"；本项最高{_pts(D(max_points))}。"

    def score_all(self, params, max_points, facts_by_unit):
        mp = D(max_points)
        m = params["measure"]
        lower = params.get("direction") == "lower"
        strict = params.get("strict", lower)
        pooled = params.get("reference") == "pooled"
        u = _measure_unit(m)
        out: dict[str, ScoreResult] = {}
        vals: dict[str, tuple[Decimal, list[str], dict]] = {}
        for uid, f in facts_by_unit.items():
            try:
                vals[uid] = _measure_value(f, m)
            except FactError as exc:
                out[uid] = _fact_failure(mp, self.label, exc)
        provisional = len(vals) < len(facts_by_unit)
        n = len(vals)
        if n == 0:
            return out
        if pooled:
            values, per = _measure_specs(m)
            num = sum((raw[s["key"]] for _, _, raw in vals.values() for s in values), ZERO)
            den = sum((raw[per["key"]] for _, _, raw in vals.values()), ZERO)
            ref = num / den if den else ZERO
            if m.get("mean_of_terms") and len(values) > 1:
                ref = ref / len(values)
            if m.get("percent"):
                ref *= HUNDRED
            ref_name = "全校合计比值"
        else:
            ref = sum((v for v, _, _ in vals.values()), ZERO) / n
            ref_name = "全校平均值"
        ranks = competition_ranks({k: v for k, (v, _, _) in vals.items()}, descending=not lower)
        tb = params.get("top_bonus")
        for uid, (v, parts, raw) in vals.items():
            best = ZERO
            hit = None
            for t in params["tiers"]:
                thr = D(t["share"]) * ref
                if lower:
                    ok = ref > 0 and (v < thr if strict else v <= thr)
                else:
                    ok = (v >= thr if not strict else v > thr) if ref > 0 else v > 0
                if ok and D(t["points"]) > best:
                    best, hit = D(t["points"]), t
            texts = ["，".join(parts) + (f"，{m['label']} {fmt(v)}{u}" if m.get("per") else "")]
            texts.append(f"{ref_name} {fmt(ref)}{u}（{n}个单位）")
            if hit is not None:
                texts.append(f"{'低于' if lower else '达到'}{ref_name}的{fmt(D(hit['share']) * HUNDRED)}%，"
                             f"计{_pts(best)}")
            else:
                texts.append(f"未{'低于' if lower else '达到'}任何档次，计0分")
            if tb:
                beyond = (v < ref) if lower else (v > ref)
                r = ranks[uid]
                rinfo = f"排第{r}名"
                if beyond and r <= int(D(tb["rank"])):
                    texts.append(f"{'低于' if lower else '超过'}{ref_name}且{rinfo}（前{tb['rank']}名）")
                    if D(tb["points"]) > best:
                        best = D(tb["points"])
                        texts.append(f"按排名计{_pts(best)}")
                else:
                    texts.append(rinfo)
            pts = q2(min(best, mp))
            out[uid] = ScoreResult(points=pts, max_points=mp,
                                   explanation=f"{self.label}：" + "；".join(texts) + f"；得{_pts(pts)}。",
                                   inputs={**raw, "value": v, "reference": ref, "rank": ranks[uid], "population": n},
                                   provisional=provisional)
        return out


# ----------------------------------------------------------------------------- 6 rank-based base points


@register
class RankBase(Rule):
    """按排名计基础分: a weighted value (Σ count × weight) ranks the units of the population;
    ranks get base points from ``rank_points`` (position i = rank i+1); the last unit, units tied
    at the bottom and units with value 0 get no base points. Reaching share × the population's
    mean value adds the ``average_bonus`` points (the highest reached). Capped at the item's points.
    Ties share the better rank (competition ranking)."""

    name = "rank_base"
    label = "按排名计基础分"
    cross_unit = True
    params_allowed = {"items", "rank_points", "average_bonus"}

    def _validate(self, p, mp):
        e = _Errs()
        items = e.lst(p, "items", "计分项目")
        keys = set()
        for i, it in enumerate(items):
            if not isinstance(it, Mapping) or not it.get("key") or not it.get("label"):
                e.append(f"items[{i}] 需要 key、label 和 weight")
                continue
            _check_unknown(it, {"key", "label", "weight", "unit"}, e, f"items[{i}] ")
            e.num(it, "weight", f"items[{i}] 权重", positive=True)
            if it["key"] in keys:
                e.append(f"items[{i}] key「{it['key']}」重复")
            keys.add(it["key"])
        rp = e.lst(p, "rank_points", "各名次基础分")
        for i, x in enumerate(rp):
            try:
                if D(x) < 0 or D(x) > mp:
                    e.append(f"rank_points[{i}] 应在 0～{fmt(mp)} 之间")
            except NumberError:
                e.append(f"rank_points[{i}] 应为数字")
        for i, t in enumerate(e.lst(p, "average_bonus", "达到平均值的追加分", required=False)):
            if not isinstance(t, Mapping):
                e.append(f"average_bonus[{i}] 应为对象")
                continue
            e.num(t, "share", f"average_bonus[{i}] 占平均值的比例", positive=True)
            e.num(t, "points", f"average_bonus[{i}] 分值", min_=0)
        return e

    def fields(self, params):
        return [Field(it["key"], it["label"], "int", unit=it.get("unit") or "项", min=ZERO) for it in params["items"]]

    def describe(self, params, max_points):
        items = "，".join(f"{it['label']}{fmt(it['weight'])}" for it in params["items"])
        rp = [D(x) for x in params["rank_points"]]
        ranks = "，".join(f"第{i + 1}名{_pts(x)}" for i, x in enumerate(rp))
        s = (f"按权重分值（{items}）排名计基础分：{ranks}；最后1名、并列垫底或分值为零的单位无基础分")
        ab = params.get("average_bonus") or []
        if ab:
            s += "；达到全校平均权重分值的" + "、".join(f"{fmt(D(t['share']) * HUNDRED)}%" for t in ab) + \
                 "分别追加" + "、".join(_pts(D(t["points"])) for t in ab)
        return s + f"；本项最高{_pts(D(max_points))}。"

    def score_all(self, params, max_points, facts_by_unit):
        mp = D(max_points)
        out: dict[str, ScoreResult] = {}
        vals: dict[str, tuple[Decimal, list[str], dict]] = {}
        for uid, f in facts_by_unit.items():
            try:
                total, parts, raw = ZERO, [], {}
                for it in params["items"]:
                    n = _dec(f, it["key"], it["label"], integer=True)
                    raw[it["key"]] = n
                    if n:
                        parts.append(f"{it['label']}{fmt(n)}项×{fmt(it['weight'])}")
                    total += n * D(it["weight"])
                vals[uid] = (total, parts, raw)
            except FactError as exc:
                out[uid] = _fact_failure(mp, self.label, exc)
        provisional = len(vals) < len(facts_by_unit)
        if not vals:
            return out
        values = {k: v for k, (v, _, _) in vals.items()}
        ranks = competition_ranks(values)
        bottom = min(values.values())
        n = len(values)
        mean = sum(values.values(), ZERO) / n
        rp = [D(x) for x in params["rank_points"]]
        for uid, (v, parts, raw) in vals.items():
            r = ranks[uid]
            texts = [("，".join(parts) or "无计分项目") + f"，权重分值 {fmt(v)}，在{n}个单位中排第{r}名"]
            if v == 0:
                base, why = ZERO, "分值为零，无基础分"
            elif v == bottom:
                base, why = ZERO, ("排在最后（含并列垫底），无基础分")
            elif r <= len(rp):
                base, why = rp[r - 1], f"基础分{_pts(rp[r - 1])}"
            else:
                base, why = ZERO, f"名次在前{len(rp)}名之外，无基础分"
            texts.append(why)
            bonus = ZERO
            hit = None
            for t in params.get("average_bonus") or []:
                if v > 0 and mean > 0 and v >= D(t["share"]) * mean and D(t["points"]) > bonus:
                    bonus, hit = D(t["points"]), t
            texts.append(f"全校平均权重分值 {fmt(mean)}")
            if hit is not None:
                texts.append(f"达到平均值的{fmt(D(hit['share']) * HUNDRED)}%，追加{_pts(bonus)}")
            elif params.get("average_bonus"):
                texts.append("未达到追加分档次")
            total = base + bonus
            pts = q2(min(total, mp))
            tail = f"合计{_pts(total)}" + (f"，本项最高{_pts(mp)}" if total > mp else "")
            out[uid] = ScoreResult(points=pts, max_points=mp,
                                   explanation=f"{self.label}：" + "；".join(texts) + f"；{tail}，得{_pts(pts)}。",
                                   inputs={**raw, "value": v, "rank": r, "population": n, "mean": mean},
                                   provisional=provisional)
        return out


# ----------------------------------------------------------------------------- 7 weighted items


@register
class WeightedItems(Rule):
    """按权重累计: groups of items, each item scores count × weight (or, with ``per``,
    ⌊value ÷ per⌋ × weight, e.g. 每10万元计1分); each group is capped at its ``cap``; the sum is
    capped at ``cap`` (default the item's points). Items marked ``exceeds_cap`` are added after
    both caps ("可突破本项得分上限"), so the score may exceed the item's points."""

    name = "weighted_items"
    label = "按权重累计计分"
    params_allowed = {"groups", "cap"}

    def _validate(self, p, mp):
        e = _Errs()
        groups = e.lst(p, "groups", "计分组")
        keys = set()
        for gi, g in enumerate(groups):
            w = f"groups[{gi}] "
            if not isinstance(g, Mapping):
                e.append(w + "应为对象")
                continue
            _check_unknown(g, {"key", "label", "cap", "items"}, e, w)
            if not g.get("label"):
                e.append(w + "缺少 label")
            e.num(g, "cap", w + "封顶分", required=False, positive=True)
            for ii, it in enumerate(e.lst(g, "items", w + "项目")):
                wi = f"{w}items[{ii}] "
                if not isinstance(it, Mapping) or not it.get("key") or not it.get("label"):
                    e.append(wi + "需要 key、label 和 weight")
                    continue
                _check_unknown(it, {"key", "label", "weight", "per", "kind", "unit", "exceeds_cap"}, e, wi)
                e.num(it, "weight", wi + "权重", positive=True)
                e.num(it, "per", wi + "每多少计一次", required=False, positive=True)
                if it["key"] in keys:
                    e.append(wi + f"key「{it['key']}」重复")
                keys.add(it["key"])
        cap = e.num(p, "cap", "本项封顶分", required=False, positive=True)
        if cap is not None and cap > mp:
            e.append(f"本项封顶分 {fmt(cap)} 大于本项分值 {fmt(mp)}")
        return e

    def _items(self, p):
        for g in p["groups"]:
            yield from g["items"]

    def fields(self, params):
        out = []
        for it in self._items(params):
            if it.get("per"):
                out.append(Field(it["key"], it["label"], it.get("kind", "decimal"), unit=it.get("unit"), min=ZERO))
            else:
                out.append(Field(it["key"], it["label"], it.get("kind", "int"), unit=it.get("unit") or "项", min=ZERO))
        return out

    def bounds(self, params, max_points):
        if any(it.get("exceeds_cap") for it in self._items(params)):
            return ZERO, None
        return ZERO, D(max_points)

    def _item_text(self, it):
        if it.get("per"):
            return f"{it['label']}每{fmt(it['per'])}{it.get('unit') or ''}计{_pts(D(it['weight']))}"
        s = f"{it['label']}每{it.get('unit') or '项'}计{_pts(D(it['weight']))}"
        return s + ("（可突破上限）" if it.get("exceeds_cap") else "")

    def describe(self, params, max_points):
        parts = []
        for g in params["groups"]:
            s = f"{g['label']}：" + "，".join(self._item_text(it) for it in g["items"])
            if g.get("cap") is not None:
                s += f"，最高计{_pts(D(g['cap']))}"
            parts.append(s)
        cap = D(params.get("cap", max_points))
        return "；".join(parts) + f"；本项最高{_pts(cap)}。"

    def _score_one(self, p, mp, facts):
        inputs: dict[str, Any] = {}
        texts = []
        capped_sum = ZERO
        extra = ZERO
        try:
            for g in p["groups"]:
                gsum, gextra, parts = ZERO, ZERO, []
                for it in g["items"]:
                    integer = it.get("kind", "decimal" if it.get("per") else "int") == "int"
                    v = _dec(facts, it["key"], it["label"], integer=integer)
                    inputs[it["key"]] = v
                    if it.get("per"):
                        times = (v / D(it["per"])).to_integral_value(rounding=ROUND_FLOOR)
                        pts = times * D(it["weight"])
                        if v:
                            parts.append(f"{it['label']} {fmt(v)}{it.get('unit') or ''}，"
                                         f"按每{fmt(it['per'])}{it.get('unit') or ''}计{fmt(it['weight'])}分得{_pts(pts)}")
                    else:
                        pts = v * D(it["weight"])
                        if v:
                            parts.append(f"{it['label']}{fmt(v)}{it.get('unit') or '项'}×{fmt(it['weight'])}"
                                         f"={_pts(pts)}")
                    if it.get("exceeds_cap"):
                        gextra += pts
                    else:
                        gsum += pts
                gtext = f"{g['label']}：" + ("；".join(parts) if parts else "无")
                if g.get("cap") is not None and gsum > D(g["cap"]):
                    gtext += f"，小计{_pts(gsum)}，按最高{_pts(D(g['cap']))}计"
                    gsum = D(g["cap"])
                else:
                    gtext += f"，小计{_pts(gsum)}"
                if gextra:
                    gtext += f"，另加可突破上限的{_pts(gextra)}"
                texts.append(gtext)
                capped_sum += gsum
                extra += gextra
        except FactError as exc:
            return _fact_failure(mp, self.label, exc, inputs)
        cap = D(p["cap"]) if p.get("cap") is not None else mp
        base = min(capped_sum, cap)
        total = base + extra
        tail = f"合计{_pts(capped_sum)}"
        if capped_sum > cap:
            tail += f"，按本项最高{_pts(cap)}计"
        if extra:
            tail += f"，加可突破上限的{_pts(extra)}"
        pts = q2(total)
        return ScoreResult(points=pts, max_points=mp, explanation=f"{self.label}：" + "；".join(texts) +
                           f"；{tail}，得{_pts(pts)}。", inputs=inputs,
                           flags=("exceeds_max",) if pts > mp else ())


# ----------------------------------------------------------------------------- 8 joint tiers


@register
class JointTiers(Rule):
    """多条件分档: a tier is reached when every listed value reaches its minimum
    (e.g. 合作2个企业且4个以上项目 → 1分); the best tier reached counts."""

    name = "joint_tiers"
    label = "多条件分档计分"
    params_allowed = {"values", "tiers"}

    def _validate(self, p, mp):
        e = _Errs()
        vals = e.lst(p, "values", "事实项")
        keys = set()
        for i, s in enumerate(vals):
            _validate_factspec(s, f"values[{i}] ", e)
            if isinstance(s, Mapping):
                keys.add(s.get("key"))
        for i, t in enumerate(e.lst(p, "tiers", "分档")):
            if not isinstance(t, Mapping) or not isinstance(t.get("min"), Mapping):
                e.append(f"tiers[{i}] 需要 min（各事实项的最低值）和 points")
                continue
            pt = e.num(t, "points", f"tiers[{i}] 分值", min_=0)
            if pt is not None and pt > mp:
                e.append(f"tiers[{i}] 分值 {fmt(pt)} 大于本项分值 {fmt(mp)}")
            for k, x in t["min"].items():
                if k not in keys:
                    e.append(f"tiers[{i}] 引用了未定义的事实项「{k}」")
                try:
                    D(x)
                except NumberError:
                    e.append(f"tiers[{i}] 的「{k}」最低值应为数字")
        return e

    def fields(self, params):
        return [_spec_field(s) for s in params["values"]]

    def _cond(self, p, t):
        labels = {s["key"]: s for s in p["values"]}
        return "且".join(f"{labels[k]['label']}≥{fmt(x)}{labels[k].get('unit') or ''}" for k, x in t["min"].items())

    def describe(self, params, max_points):
        return "；".join(f"{self._cond(params, t)}计{_pts(D(t['points']))}" for t in params["tiers"]) + \
            f"；取达到的最高档，本项最高{_pts(D(max_points))}。"

    def _score_one(self, p, mp, facts):
        try:
            vals = {s["key"]: _spec_value(facts, s) for s in p["values"]}
        except FactError as exc:
            return _fact_failure(mp, self.label, exc)
        shown = "，".join(_spec_show(s, vals[s["key"]]) for s in p["values"])
        best, hit = ZERO, None
        for t in p["tiers"]:
            if all(vals[k] >= D(x) for k, x in t["min"].items()) and D(t["points"]) > best:
                best, hit = D(t["points"]), t
        pts = q2(min(best, mp))
        tier = f"达到「{self._cond(p, hit)}」档" if hit else "未达到任何档次"
        return ScoreResult(points=pts, max_points=mp, explanation=f"{self.label}：{shown}，{tier}，得{_pts(pts)}。",
                           inputs=dict(vals))


# ----------------------------------------------------------------------------- 9 growth bands


@register
class GrowthBands(Rule):
    """增长率分档: growth = (current − previous) ÷ previous in %, scored by bands. A previous value
    of 0 with a current value above 0 counts as reaching the highest band (stated in the result)."""

    name = "growth_bands"
    label = "增长率分档计分"
    params_allowed = {"current", "previous", "tiers"}

    def _validate(self, p, mp):
        e = _Errs()
        _validate_factspec(p.get("current"), "current ", e)
        _validate_factspec(p.get("previous"), "previous ", e)
        for i, t in enumerate(e.lst(p, "tiers", "增长率分档")):
            _validate_tier(t, f"tiers[{i}] ", e)
            if isinstance(t, Mapping) and t.get("points") is not None:
                try:
                    if D(t["points"]) > mp or D(t["points"]) < 0:
                        e.append(f"tiers[{i}] 分值应在 0～{fmt(mp)} 之间")
                except NumberError:
                    pass
        return e

    def fields(self, params):
        return [_spec_field(params["current"]), _spec_field(params["previous"])]

    def describe(self, params, max_points):
        return f"按{params['current']['label']}较{params['previous']['label']}的增长率计分：" + \
            _tiers_describe(params["tiers"], "%") + "；增长率不大于0不得分。"

    def _score_one(self, p, mp, facts):
        try:
            cur = _spec_value(facts, p["current"])
            prev = _spec_value(facts, p["previous"])
        except FactError as exc:
            return _fact_failure(mp, self.label, exc)
        shown = f"{_spec_show(p['current'], cur)}，{_spec_show(p['previous'], prev)}"
        inputs = {p["current"]["key"]: cur, p["previous"]["key"]: prev}
        if prev == 0:
            if cur > 0:
                best = max(D(t["points"]) for t in p["tiers"])
                pts = q2(min(best, mp))
                return ScoreResult(points=pts, max_points=mp, inputs={**inputs, "growth": None},
                                   explanation=f"{self.label}：{shown}，上年为0、本年大于0，增长率无法按比例计算，"
                                               f"按最高档计，得{_pts(pts)}。", flags=("growth_from_zero",))
            g = ZERO
        else:
            g = (cur - prev) / prev * HUNDRED
        t = _best_tier(g, p["tiers"])
        pts = q2(min(D(t["points"]), mp)) if t else ZERO
        tier = f"达到「{_tier_text(t, '%')}」档" if t else "未达到任何档次"
        return ScoreResult(points=pts, max_points=mp, inputs={**inputs, "growth": g},
                           explanation=f"{self.label}：{shown}，增长率 {fmt(g)}%，{tier}，得{_pts(pts)}。")


# ----------------------------------------------------------------------------- 10 shortfall deduction


@register
class ShortfallDeduction(Rule):
    """缺额扣分: full points when the quota is met; otherwise minus ``per_step`` for every
    ``step_percent`` % short of the quota, not below 0. ``mode`` "floor" (default) counts only
    complete steps (缺额15% → 1个10%), "ceil" counts a started step, "proportional" scales."""

    name = "shortfall_deduction"
    label = "缺额扣分"
    params_allowed = {"actual", "quota", "step_percent", "per_step", "mode"}

    def _validate(self, p, mp):
        e = _Errs()
        _validate_factspec(p.get("actual"), "actual ", e)
        _validate_factspec(p.get("quota"), "quota ", e)
        e.num(p, "step_percent", "每缺额百分之几", positive=True)
        e.num(p, "per_step", "每档扣分", positive=True)
        if p.get("mode", "floor") not in ("floor", "ceil", "proportional"):
            e.append("参数 mode 应为 floor、ceil 或 proportional")
        return e

    def fields(self, params):
        return [_spec_field(params["actual"]), _spec_field(params["quota"])]

    def describe(self, params, max_points):
        mode = {"floor": "（不足一档不扣）", "ceil": "（不足一档按一档扣）", "proportional": "（按比例折算）"}[
            params.get("mode", "floor")]
        return (f"完成{params['quota']['label']}的得{_pts(D(max_points))}，每缺额{fmt(params['step_percent'])}%扣"
                f"{_pts(D(params['per_step']))}{mode}，扣完为止。")

    def _score_one(self, p, mp, facts):
        try:
            act = _spec_value(facts, p["actual"])
            quota = _spec_value(facts, p["quota"])
        except FactError as exc:
            return _fact_failure(mp, self.label, exc)
        inputs = {p["actual"]["key"]: act, p["quota"]["key"]: quota}
        shown = f"{_spec_show(p['actual'], act)}，{_spec_show(p['quota'], quota)}"
        if quota <= 0:
            return _error(mp, self.label, f"「{p['quota']['label']}」应大于0", inputs)
        short = max(ZERO, (quota - act) / quota * HUNDRED)
        step = D(p["step_percent"])
        mode = p.get("mode", "floor")
        steps = short / step
        if mode == "floor":
            steps = steps.to_integral_value(rounding=ROUND_FLOOR)
        elif mode == "ceil":
            steps = steps.to_integral_value(rounding=ROUND_CEILING)
        ded = steps * D(p["per_step"])
        pts = q2(max(ZERO, mp - ded))
        if short == 0:
            text = f"{self.label}：{shown}，完成任务，得{_pts(pts)}。"
        else:
            text = (f"{self.label}：{shown}，缺额 {fmt(short)}%，按每缺额{fmt(step)}%扣{fmt(p['per_step'])}分"
                    f"计 {fmt(steps)} 档，扣{_pts(ded)}，得{_pts(pts)}。")
        return ScoreResult(points=pts, max_points=mp, explanation=text, inputs={**inputs, "shortfall": short})


# ----------------------------------------------------------------------------- 11 self-evaluation rules
#
# The four self-evaluation rules and the budget-execution line are implemented in the sibling
# module ``selfeval`` (owned by the self-evaluation work); these rule types only wrap them so
# that they can be used in a scheme: completion rate from target/actual via ``values``, then the
# selfeval scoring function. NOTE: selfeval rounds the points LOST (not the score) half-up to
# 0.01, which is what reproduces the published tables; that is the rounding point for these
# five rule types.


def _selfeval_config(p: Mapping) -> Any:
    from . import selfeval

    kw: dict[str, Any] = {}
    if p.get("levels") is not None:
        kw["level_shares"] = {k: D(v) for k, v in p["levels"].items()}
    if p.get("below") is not None:
        kw["satisfaction_below"] = p["below"]
    return selfeval.SelfEvalConfig(**kw)


class _SelfEvalRule(Rule):
    """Common part of the self-evaluation rules: facts ``target`` and ``actual`` (text as typed,
    e.g. "≥90%", "=95%", "2024年12月10日前", "明显提升") and an optional ``rate`` (%) the reporter
    typed (kept, and flagged when it differs from actual ÷ target by more than 0.5 point)."""

    params_allowed = {"year"}
    scorer: ClassVar[str] = ""

    def fields(self, params):
        return [Field("target", "年度指标值", "text"), Field("actual", "实际完成值", "text"),
                Field("rate", "完成率（已填写的）", "decimal", unit="%", required=False,
                      help="留空则按实际完成值÷年度指标值计算")]

    def _rate(self, p, facts) -> tuple[Decimal | None, dict, list[str], tuple[str, ...]]:
        from . import values

        target_raw = _get(facts, "target", "年度指标值")
        actual_raw = _get(facts, "actual", "实际完成值")
        inputs: dict[str, Any] = {"target": target_raw, "actual": actual_raw}
        try:
            t = values.parse_value(target_raw, year=p.get("year"))
            a = values.parse_value(actual_raw, year=p.get("year"))
        except values.ValueParseError as exc:
            raise FactError(str(exc)) from None
        computed = values.completion_rate(t, a)
        typed = facts.get("rate") if facts else None
        texts = [f"年度指标值「{target_raw}」，实际完成值「{actual_raw}」"]
        flags: tuple[str, ...] = ()
        rate = computed
        if typed not in (None, ""):
            try:
                tr = D(typed) / HUNDRED
            except NumberError:
                raise FactError(f"「完成率」应为数字，现为「{typed}」") from None
            inputs["rate"] = typed
            texts.append(f"已填完成率 {fmt(tr * HUNDRED)}%")
            if computed is not None and abs(computed - tr) > Decimal("0.005"):
                texts.append(f"与按实际÷目标计算的 {fmt(computed * HUNDRED)}% 不一致（已标记，按已填值计分）")
                flags = ("rate_differs",)
            rate = tr
        inputs["computed_rate"] = computed
        return rate, inputs, texts, flags

    def _call(self, p, mp, rate, facts):  # pragma: no cover - overridden
        raise NotImplementedError

    def _score_one(self, p, mp, facts):
        from . import selfeval

        try:
            c, inputs, texts, flags = self._rate(p, facts)
        except FactError as exc:
            return _fact_failure(mp, self.label, exc)
        try:
            sc = self._call(p, mp, c, facts)
        except selfeval.RuleError as exc:
            return _error(mp, self.label, str(exc), inputs)
        return ScoreResult(points=sc.points, max_points=mp, inputs={**inputs, "rate_used": sc.rate},
                           flags=flags + tuple(sc.flags),
                           explanation="，".join(texts) + f"；{sc.explanation}。")


@register
class Proportional(_SelfEvalRule):
    name = "proportional"
    label = "按照完成比例赋分"

    def describe(self, params, max_points):
        return (f"完成率c≤100%时得{fmt(max_points)}×max(0, 1−2.5×(1−c))，c>100%时得{fmt(max_points)}×max(0, 1−(c−1))："
                "未完成每差1个百分点扣2.5%分值，超额每超1个百分点扣1%分值（目标设定不合理）。")

    def _call(self, p, mp, rate, facts):
        from . import selfeval

        return selfeval.score_proportional(mp, rate)


@register
class Direct(_SelfEvalRule):
    name = "direct"
    label = "直接赋分"

    def describe(self, params, max_points):
        return f"达到年度指标值得{_pts(D(max_points))}，未达到得0分。"

    def _call(self, p, mp, rate, facts):
        from . import selfeval

        return selfeval.score_direct(mp, rate)


@register
class JudgedLevel(_SelfEvalRule):
    name = "judged_level"
    label = "按评判等级赋分"
    params_allowed = {"year", "levels"}

    def _validate(self, p, mp):
        e = _Errs()
        lv = p.get("levels")
        if lv is not None:
            if not isinstance(lv, Mapping) or not lv:
                e.append("参数 levels（等级及得分比例）应为非空对象")
            else:
                for k, x in lv.items():
                    try:
                        if not ZERO <= D(x) <= ONE:
                            e.append(f"等级「{k}」的得分比例应在0～1之间")
                    except NumberError:
                        e.append(f"等级「{k}」的得分比例应为数字")
        return e

    def _levels(self, p) -> dict[str, Decimal]:
        return dict(_selfeval_config(p).level_shares)

    def fields(self, params):
        return [Field("target", "年度指标值", "text", required=False),
                Field("level", "评判等级", "level", choices=tuple(self._levels(params)))]

    def describe(self, params, max_points):
        return "按评判等级赋分：" + "，".join(f"{k}得{fmt(v * 100)}%分值" for k, v in self._levels(params).items()) + "。"

    def _score_one(self, p, mp, facts):
        from . import selfeval

        try:
            level = str(_get(facts, "level", "评判等级")).strip()
        except FactError as exc:
            return _fact_failure(mp, self.label, exc)
        inputs = {"level": level, "target": _opt_text(facts, "target")}
        try:
            sc = selfeval.score_level(mp, level, config=_selfeval_config(p))
        except selfeval.RuleError as exc:
            return _error(mp, self.label, str(exc), inputs)
        return ScoreResult(points=sc.points, max_points=mp, inputs=inputs, flags=tuple(sc.flags),
                           explanation=f"评判等级「{level}」；{sc.explanation}。")


@register
class Satisfaction(_SelfEvalRule):
    name = "satisfaction"
    label = "满意度赋分"
    params_allowed = {"year", "below"}

    def _validate(self, p, mp):
        from . import selfeval

        if p.get("below", "proportional") not in selfeval.SATISFACTION_BELOW:
            return [f"参数 below（未达目标时的赋分方式）应为 {'、'.join(selfeval.SATISFACTION_BELOW)} 之一"]
        return []

    def describe(self, params, max_points):
        below = {"proportional": "按照完成比例赋分", "linear": "按权重×完成率计分", "zero": "得0分",
                 "full": "得满分"}[params.get("below", "proportional")]
        return f"满意度达到年度指标值（完成率≥100%）得{_pts(D(max_points))}；未达到时{below}。"

    def _call(self, p, mp, rate, facts):
        from . import selfeval

        return selfeval.score_satisfaction(mp, rate, config=_selfeval_config(p))


@register
class BudgetExecution(Rule):
    """预算执行率 line (分值10): rate ≥ 100 % → full; below → proportional rule (selfeval)."""

    name = "budget_execution"
    label = "预算执行率"
    params_allowed: ClassVar[set[str]] = set()

    def fields(self, params):
        return [Field("budget", "全年预算数", "decimal", unit="万元", required=False),
                Field("spent", "全年执行数", "decimal", unit="万元", required=False),
                Field("rate", "执行率", "decimal", unit="%", required=False, help="留空则按执行数÷预算数计算")]

    def describe(self, params, max_points):
        return (f"执行率达到100%得{_pts(D(max_points))}；低于100%时按{fmt(max_points)}×max(0, 1−2.5×(1−执行率))计分。")

    def _score_one(self, p, mp, facts):
        from . import selfeval

        inputs: dict[str, Any] = {}
        try:
            if facts and facts.get("rate") not in (None, ""):
                r = _dec(facts, "rate", "执行率") / HUNDRED
                inputs["rate"] = facts["rate"]
                shown = f"执行率 {fmt(r * HUNDRED)}%"
            else:
                b = _dec(facts, "budget", "全年预算数")
                s = _dec(facts, "spent", "全年执行数")
                inputs.update(budget=b, spent=s)
                if b == 0:
                    raise FactError("「全年预算数」为0，无法计算执行率")
                r = s / b
                shown = f"全年预算数 {fmt(b)}，全年执行数 {fmt(s)}"
        except FactError as exc:
            return _fact_failure(mp, self.label, exc, inputs)
        sc = selfeval.score_budget_execution(r, weight=mp)
        return ScoreResult(points=sc.points, max_points=mp, inputs={**inputs, "execution_rate": r},
                           flags=tuple(sc.flags), explanation=f"{shown}；{sc.explanation}。")


# ----------------------------------------------------------------------------- component rules


def democratic_score(counts_by_group: Mapping[str, Mapping[str, int]], level_values: Mapping[str, Decimal | int],
                     points: Decimal | int, group_weights: Mapping[str, Decimal | int] | None = None,
                     group_names: Mapping[str, str] | None = None, *, min_group: int = 0) -> ScoreResult:
    """民主测评: each ballot rates 优秀/合格/不合格 = 90/70/50.

    Without ``group_weights`` the rating is the mean value over all ballots of all rater groups
    (domain.md: "the mean of those values"). With weights, each rater group's mean is taken and
    the means are combined with the weights (groups without ballots are left out, the remaining
    weights renormalised; a group without a weight counts 0). The mean (0–100) is scaled to the
    component's points and rounded once: ``q2(mean ÷ 100 × points)``. A group with fewer than
    ``min_group`` ballots is listed without its counts and mean (its ballots still count).
    """
    mp = D(points)
    weights = {g: D(w) for g, w in (group_weights or {}).items()}
    names = group_names or {}
    lines, inputs = [], {}
    wsum, acc = ZERO, ZERO
    n_all, s_all = 0, ZERO
    for g, counts in counts_by_group.items():
        n, s = 0, ZERO
        for level, c in counts.items():
            if level not in level_values:
                return _error(mp, "民主测评", f"未知的测评等次「{level}」")
            if not isinstance(c, int) or isinstance(c, bool) or c < 0:
                return _error(mp, "民主测评", f"「{level}」票数应为非负整数，现为「{c}」")
            n += c
            s += D(level_values[level]) * c
        inputs[g] = dict(counts)
        if n == 0:
            continue
        mean = s / n
        n_all += n
        s_all += s
        w = weights.get(g, ZERO)
        detail = f"人数不足{min_group}人，明细不显示" if n < min_group else \
            "，".join(f"{lv}{counts.get(lv, 0)}票" for lv in level_values) + f"，平均 {fmt(mean)}"
        lines.append(f"{names.get(g, g)}：{detail}" + (f"，权重 {fmt(w)}" if weights else ""))
        wsum += w
        acc += w * mean
    if n_all == 0:
        return _missing(mp, "民主测评", "尚无有效测评票")
    if weights:
        if wsum == 0:
            return _error(mp, "民主测评", "有票的测评人员类别权重均为0")
        mean = acc / wsum
        how = "按各类测评人员权重加权平均"
    else:
        mean = s_all / n_all
        how = f"全部{n_all}票平均"
    pts = q2(mean / HUNDRED * mp)
    levels = "、".join(f"{k}={fmt(v)}" for k, v in level_values.items())
    text = (f"民主测评（{levels}）：" + "；".join(lines) + f"；{how} {fmt(mean)}，"
            f"折算为 {fmt(mean)}÷100×{fmt(mp)}，得{_pts(pts)}。")
    return ScoreResult(points=pts, max_points=mp, explanation=text,
                       inputs={"ballots": inputs, "mean": mean, "count": n_all})


def leader_score(ratings: Mapping[str, Sequence[Decimal | int | float | str]],
                 parts: Mapping[str, Decimal | int], rating_max: Decimal | int = 100,
                 part_names: Mapping[str, str] | None = None) -> ScoreResult:
    """领导班子评价: for each part (principal 20, deputy 10) the mean of the leaders' ratings
    (0…rating_max) scaled to the part's points, rounded per part; the component is the sum."""
    names = {"principal": "正职领导", "deputy": "副职领导", **(part_names or {})}
    rmax = D(rating_max)
    mp = sum((D(x) for x in parts.values()), ZERO)
    total, lines, inputs, missing = ZERO, [], {}, []
    for key, pp in parts.items():
        pp = D(pp)
        rs = ratings.get(key) or []
        vals = []
        for x in rs:
            try:
                v = D(x)
            except NumberError:
                return _error(mp, "领导班子评价", f"{names.get(key, key)}评分「{x}」不是数字")
            if v < 0 or v > rmax:
                return _error(mp, "领导班子评价", f"{names.get(key, key)}评分 {fmt(v)} 超出 0～{fmt(rmax)}")
            vals.append(v)
        inputs[key] = vals
        if not vals:
            missing.append(names.get(key, key))
            continue
        mean = sum(vals, ZERO) / len(vals)
        part = q2(mean / rmax * pp)
        total += part
        lines.append(f"{names.get(key, key)}{len(vals)}人评分平均 {fmt(mean)}，折算 {fmt(mean)}÷{fmt(rmax)}×{fmt(pp)}"
                     f"={_pts(part)}")
    if missing and not lines:
        return _missing(mp, "领导班子评价", "尚无领导评分", inputs)
    text = "领导班子评价：" + "；".join(lines)
    if missing:
        text += f"；{'、'.join(missing)}尚未评分，该部分暂计0分"
    text += f"；合计{_pts(total)}。"
    return ScoreResult(points=total, max_points=mp, explanation=text, inputs=inputs, provisional=bool(missing),
                       status="ok")


def normalise(raw: Decimal, raw_max: Decimal, full_max: Decimal, policy: str) -> tuple[Decimal, str]:
    """Normalisation of a reduced sub-type maximum. "scale": ``q2(raw × full ÷ reduced)``;
    "raw": kept as is. Returns (points, Chinese explanation)."""
    raw, raw_max, full_max = D(raw), D(raw_max), D(full_max)
    if raw_max == full_max:
        return raw, ""
    if policy == "scale" and raw_max > 0:
        scaled = q2(raw * full_max / raw_max)
        return scaled, (f"本类单位该部分满分为{_pts(raw_max)}，按比例折算到{_pts(full_max)}："
                        f"{fmt(raw)}×{fmt(full_max)}÷{fmt(raw_max)}={_pts(scaled)}")
    return raw, f"本类单位该部分满分为{_pts(raw_max)}，按方案规定不折算，计原始得分{_pts(raw)}"


def check_ballot(ratings: Mapping[str, str], unit_ids: Sequence[str], *, level_values: Mapping[str, Any],
                 own_unit: str | None = None, max_excellent_share: Decimal | float | None = None,
                 all_units_required: bool = True, excellent_level: str = "优秀",
                 unit_names: Mapping[str, str] | None = None) -> list[str]:
    """Check one voter's ballot for one category. Returns Chinese messages (empty = valid)."""
    names = unit_names or {}
    errs = []
    expected = [u for u in unit_ids if u != own_unit]
    if own_unit is not None and own_unit in ratings:
        errs.append("不能对本单位进行测评")
    for u, lv in ratings.items():
        if u not in unit_ids:
            errs.append(f"单位「{names.get(u, u)}」不在本次测评范围内")
        elif lv not in level_values:
            errs.append(f"单位「{names.get(u, u)}」的等次「{lv}」无效，应为{'、'.join(level_values)}之一")
    if all_units_required:
        miss = [names.get(u, u) for u in expected if not ratings.get(u)]
        if miss:
            errs.append("以下单位尚未测评：" + "、".join(miss))
    if max_excellent_share is not None and expected:
        limit = math.floor(D(max_excellent_share) * len(expected))
        n = sum(1 for u, lv in ratings.items() if lv == excellent_level and u != own_unit)
        if n > limit:
            errs.append(f"「{excellent_level}」最多可评{limit}个单位（{fmt(D(max_excellent_share) * 100)}%），现评了{n}个")
    return errs

