"""The self-evaluation rule types: proportional, direct, judged_level, satisfaction and the
budget-execution line.

They are implemented in :mod:`app.rubric.selfeval`; these rule types wrap them for a scheme:
the completion rate from target and actual via :mod:`app.rubric.values`, then the selfeval
scoring function. selfeval rounds the points LOST (not the score) half-up to 0.01, which is what
reproduces the published tables; that is the rounding point of these five rule types.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from .. import selfeval, values
from ..numbers import HUNDRED, ONE, ZERO, D, NumberError, fmt
from .base import (
    Errs,
    FactError,
    Field,
    Rule,
    ScoreResult,
    dec_fact,
    error_result,
    fact_failure,
    fmt_pts,
    get_fact,
    opt_text,
    register,
)
from .params import Param, Params

YEAR = Param("year", "适用年度", "integer", help="指标值中的日期未写年份时按此年度理解")
_BELOW_TEXT = {"proportional": "按照完成比例赋分", "linear": "按权重×完成率计分", "zero": "得0分", "full": "得满分"}
_DEFAULT_LEVELS = "，".join(f"{k} {fmt(v)}" for k, v in selfeval.DEFAULT_LEVEL_SHARES.items() if k.endswith("预期指标"))


def _selfeval_config(p: Mapping, declared: Params) -> Any:
    """The selfeval settings of a rule's params: ``levels`` and ``below`` where the rule declares them."""
    kw: dict[str, Any] = {}
    if "levels" in declared.names() and p.get("levels") is not None:
        kw["level_shares"] = {k: D(v) for k, v in p["levels"].items()}
    if "below" in declared.names() and p.get("below") is not None:
        kw["satisfaction_below"] = p["below"]
    return selfeval.SelfEvalConfig(**kw)


class _SelfEvalRule(Rule):
    """Common part of the self-evaluation rules: facts ``target`` and ``actual`` (text as typed,
    e.g. "≥90%", "=95%", "2024年12月10日前", "明显提升") and an optional ``rate`` (%) the reporter
    typed (kept, and flagged when it differs from actual ÷ target by more than 0.5 point)."""

    parameters = Params(YEAR)

    def fields(self, params):
        return [Field("target", "年度指标值", "text"), Field("actual", "实际完成值", "text"),
                Field("rate", "完成率（已填写的）", "decimal", unit="%", required=False,
                      help="留空则按实际完成值÷年度指标值计算")]

    def _rate(self, p, facts) -> tuple[Decimal | None, dict, list[str], tuple[str, ...]]:
        target_raw = get_fact(facts, "target", "年度指标值")
        actual_raw = get_fact(facts, "actual", "实际完成值")
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
        try:
            c, inputs, texts, flags = self._rate(p, facts)
        except FactError as exc:
            return fact_failure(mp, self.label, exc)
        try:
            sc = self._call(p, mp, c, facts)
        except selfeval.RuleError as exc:
            return error_result(mp, self.label, str(exc), inputs)
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
        return selfeval.score_proportional(mp, rate)


@register
class Direct(_SelfEvalRule):
    name = "direct"
    label = "直接赋分"

    def describe(self, params, max_points):
        return f"达到年度指标值得{fmt_pts(D(max_points))}，未达到得0分。"

    def _call(self, p, mp, rate, facts):
        return selfeval.score_direct(mp, rate)


@register
class JudgedLevel(_SelfEvalRule):
    name = "judged_level"
    label = "按评判等级赋分"
    parameters = Params(
        YEAR,
        Param("levels", "等级及得分比例", "map",
              help=f"评判等级: 得分比例（0～1），等级按开头文字匹配；不填时为：{_DEFAULT_LEVELS} 等"),
    )

    def _validate(self, p, mp):
        e = Errs()
        lv = p.get("levels")
        if lv is not None:
            if not isinstance(lv, Mapping) or not lv:
                e.append(f"参数 {self.parameters['levels'].ref()}应为非空对象")
            else:
                for k, x in lv.items():
                    try:
                        if not ZERO <= D(x) <= ONE:
                            e.append(f"等级「{k}」的得分比例应在0～1之间")
                    except NumberError:
                        e.append(f"等级「{k}」的得分比例应为数字")
        return e

    def _levels(self, p) -> dict[str, Decimal]:
        return dict(_selfeval_config(p, self.parameters).level_shares)

    def fields(self, params):
        return [Field("target", "年度指标值", "text", required=False),
                Field("level", "评判等级", "level", choices=tuple(self._levels(params)))]

    def describe(self, params, max_points):
        levels = "，".join(f"{k}得{fmt(v * 100)}%分值" for k, v in self._levels(params).items())
        return "按评判等级赋分：" + levels + "。"

    def _score_one(self, p, mp, facts):
        try:
            level = str(get_fact(facts, "level", "评判等级")).strip()
        except FactError as exc:
            return fact_failure(mp, self.label, exc)
        inputs = {"level": level, "target": opt_text(facts, "target")}
        try:
            sc = selfeval.score_level(mp, level, config=_selfeval_config(p, self.parameters))
        except selfeval.RuleError as exc:
            return error_result(mp, self.label, str(exc), inputs)
        return ScoreResult(points=sc.points, max_points=mp, inputs=inputs, flags=tuple(sc.flags),
                           explanation=f"评判等级「{level}」；{sc.explanation}。")


@register
class Satisfaction(_SelfEvalRule):
    name = "satisfaction"
    label = "满意度赋分"
    parameters = Params(
        YEAR,
        Param("below", "未达目标时的赋分方式", "choice", default="proportional",
              choices=tuple((v, _BELOW_TEXT[v]) for v in selfeval.SATISFACTION_BELOW)),
    )

    def _validate(self, p, mp):
        below = self.parameters["below"]
        if p.get("below", "proportional") not in below.values:
            return [f"参数 {below.ref()}应为 {'、'.join(below.values)} 之一"]
        return []

    def describe(self, params, max_points):
        below = self.parameters["below"].meaning(params.get("below", "proportional"))
        return f"满意度达到年度指标值（完成率≥100%）得{fmt_pts(D(max_points))}；未达到时{below}。"

    def _call(self, p, mp, rate, facts):
        return selfeval.score_satisfaction(mp, rate, config=_selfeval_config(p, self.parameters))


@register
class BudgetExecution(Rule):
    """预算执行率 line (分值10): rate ≥ 100 % → full; below → proportional rule (selfeval)."""

    name = "budget_execution"
    label = "预算执行率"

    def fields(self, params):
        return [Field("budget", "全年预算数", "decimal", unit="万元", required=False),
                Field("spent", "全年执行数", "decimal", unit="万元", required=False),
                Field("rate", "执行率", "decimal", unit="%", required=False, help="留空则按执行数÷预算数计算")]

    def describe(self, params, max_points):
        return (
            f"执行率达到100%得{fmt_pts(D(max_points))}；"
            f"低于100%时按{fmt(max_points)}×max(0, 1−2.5×(1−执行率))计分。"
        )

    def _score_one(self, p, mp, facts):
        inputs: dict[str, Any] = {}
        try:
            if facts and facts.get("rate") not in (None, ""):
                r = dec_fact(facts, "rate", "执行率") / HUNDRED
                inputs["rate"] = facts["rate"]
                shown = f"执行率 {fmt(r * HUNDRED)}%"
            else:
                b = dec_fact(facts, "budget", "全年预算数")
                s = dec_fact(facts, "spent", "全年执行数")
                inputs.update(budget=b, spent=s)
                if b == 0:
                    raise FactError("「全年预算数」为0，无法计算执行率")
                r = s / b
                shown = f"全年预算数 {fmt(b)}，全年执行数 {fmt(s)}"
        except FactError as exc:
            return fact_failure(mp, self.label, exc, inputs)
        sc = selfeval.score_budget_execution(r, weight=mp)
        return ScoreResult(points=sc.points, max_points=mp, inputs={**inputs, "execution_rate": r},
                           flags=tuple(sc.flags), explanation=f"{shown}；{sc.explanation}。")
