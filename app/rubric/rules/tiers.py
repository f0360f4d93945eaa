"""Tiered scores: tiers over measures, joint tiers, growth-rate bands and the shortfall deduction."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

from ..numbers import HUNDRED, ZERO, D, NumberError, fmt, q2
from .base import (
    Errs,
    FactError,
    Field,
    Rule,
    ScoreResult,
    clamp,
    competition_ranks,
    error_result,
    fact_failure,
    fmt_pts,
    register,
    with_changes,
)
from .measures import (
    FACT,
    MEASURE_WITH_TIERS,
    TIER,
    best_tier,
    measure_specs,
    measure_unit,
    measure_value,
    spec_field,
    spec_show,
    spec_value,
    tier_matches,
    tier_text,
    tiers_describe,
    top_bonus_param,
    validate_factspec,
    validate_measure,
    validate_tier,
    validate_top_bonus,
)
from .params import Param, Params


@register
class Tiers(Rule):
    """分档计分: each measure (a value, or a ratio of values in %) falls into tiers; the points of
    the best tier it reaches are added over the measures, capped at ``cap`` (default the item's
    points) and floored at ``floor`` (default 0; negative when the document states deductions).
    With ``top_bonus`` {rank, points, min} a unit whose first measure reaches ``min`` and ranks in
    the top ``rank`` of its population gets ``points`` (if more): the rule is then cross-unit."""

    name = "tiers"
    label = "分档计分"
    parameters = Params(
        Param("measures", "计分项", "objects", required=True, children=MEASURE_WITH_TIERS,
              help="各计分项按达到的最高分档计分后相加"),
        Param("cap", "封顶分", "number", help="不填为本项分值"),
        Param("floor", "最低分", "number", default=0, help="文件规定扣分时可为负数"),
        top_bonus_param(with_min=True, help="第一个计分项在本类单位中排名前几的计此分（高于分档得分时）"),
    )

    def _validate(self, p, mp):
        P = self.parameters
        e = Errs()
        ms = e.lst(p, P["measures"])
        keys: set[str] = set()
        for i, m in enumerate(ms):
            validate_measure(m, f"measures[{i}] ", e, with_tiers=True)
            if isinstance(m, Mapping):
                for s in [*measure_specs(m)[0], m.get("per")]:
                    if isinstance(s, Mapping) and s.get("key"):
                        if s["key"] in keys and s is not m.get("per"):
                            e.append(f"measures[{i}] 事实项 key「{s['key']}」重复")
                        keys.add(s["key"])
        cap = e.num(p, P["cap"], min_=0)
        if cap is not None and cap > mp:
            e.append(f"{P['cap'].label} {fmt(cap)} 大于本项分值 {fmt(mp)}")
        fl = e.num(p, P["floor"])
        if fl is not None and fl > 0:
            e.append(f"{P['floor'].label} floor 不能大于0")
        validate_top_bonus(p.get("top_bonus"), mp, e, P["top_bonus"])
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
            values, per = measure_specs(m)
            for s in [*values, *([per] if per else [])]:
                seen.setdefault(s["key"], spec_field(s))
        return list(seen.values())

    def bounds(self, params, max_points):
        return D(params.get("floor", 0)), D(max_points)

    def describe(self, params, max_points):
        parts = []
        for m in params["measures"]:
            parts.append(f"{m['label']}：{tiers_describe(m['tiers'], measure_unit(m))}")
        s = "；".join(parts)
        tb = params.get("top_bonus")
        if tb:
            cond = f"{m0['label']}{'≥' if tb.get('min_inclusive', True) else '>'}{fmt(tb['min'])}{measure_unit(m0)}且" \
                if (m0 := params["measures"][0]) and tb.get("min") is not None else ""
            s += f"；{cond}排名前{tb['rank']}位的计{fmt_pts(D(tb['points']))}"
        cap = params.get("cap")
        s += f"；本项最高{fmt_pts(D(cap if cap is not None else max_points))}"
        if D(params.get("floor", 0)) < 0:
            s += f"（扣分可使本项最低为{fmt_pts(D(params['floor']))}）"
        return s + "。"

    def _values(self, p, facts):
        out = []
        for m in p["measures"]:
            v, parts, inputs = measure_value(facts, m)
            out.append((m, v, parts, inputs))
        return out

    def _finish(self, p, mp, measured, rank_info: str | None, bonus: Decimal | None) -> ScoreResult:
        total = ZERO
        texts = []
        inputs: dict[str, Any] = {}
        for m, v, parts, raw in measured:
            inputs.update(raw)
            u = measure_unit(m)
            t = best_tier(v, m["tiers"])
            shown = "，".join(parts)
            if m.get("per") is not None:
                shown += f"，{m['label']} {fmt(v)}{u}"
            if t is None:
                texts.append(f"{shown}，未达到任何档次，计0分")
            else:
                total += D(t["points"])
                texts.append(f"{shown}，达到「{tier_text(t, u)}」档，计{fmt_pts(D(t['points']))}")
        if bonus is not None and bonus > total:
            texts.append(f"{rank_info}，按排名计{fmt_pts(bonus)}")
            total = bonus
        elif rank_info:
            texts.append(rank_info)
        cap = D(p["cap"]) if p.get("cap") is not None else mp
        hi = min(cap, mp)
        floor = D(p.get("floor", 0))
        pts = q2(clamp(total, floor, hi))
        tail = f"合计{fmt_pts(total)}"
        if pts != total:
            tail += f"，按本项范围 {fmt(floor)}～{fmt(hi)} 分计"
        text = f"{self.label}：" + "；".join(texts) + f"；{tail}，得{fmt_pts(pts)}。"
        return ScoreResult(points=pts, max_points=mp, explanation=text, inputs=inputs)

    def score(self, params, max_points, facts, peers=None):
        if not self.is_cross(params):
            return self._score_one(params, D(max_points), facts)
        return Rule.score(self, params, max_points, facts, peers)

    def _score_one(self, p, mp, facts):
        try:
            measured = self._values(p, facts)
        except FactError as exc:
            return fact_failure(mp, self.label, exc)
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
                out[uid] = fact_failure(mp, self.label, exc)
        provisional = len(measured) < len(facts_by_unit)
        first = {uid: m[0][1] for uid, m in measured.items()}
        ranks = competition_ranks(first)
        n = len(first)
        rank_n = int(D(tb["rank"]))
        m0 = params["measures"][0]
        u = measure_unit(m0)
        for uid, meas in measured.items():
            v, r = first[uid], ranks[uid]
            reach = tb.get("min") is None or tier_matches(v, {"min": tb["min"],
                                                             "min_inclusive": tb.get("min_inclusive", True)})
            info = f"{m0['label']} {fmt(v)}{u} 在{n}个单位中排第{r}名"
            bonus = None
            if reach and r <= rank_n:
                bonus = D(tb["points"])
                info += f"（前{rank_n}名）"
            res = self._finish(params, mp, meas, info, bonus)
            out[uid] = with_changes(res, provisional=provisional,
                             inputs={**res.inputs, "rank": r, "population": n})
        return out


# ----------------------------------------------------------------------------- joint tiers


@register
class JointTiers(Rule):
    """多条件分档: a tier is reached when every listed value reaches its minimum
    (e.g. 合作2个企业且4个以上项目 → 1分); the best tier reached counts."""

    name = "joint_tiers"
    label = "多条件分档计分"
    parameters = Params(
        Param("values", "事实项", "objects", required=True, children=FACT),
        Param("tiers", "分档", "objects", required=True, closed=False, help="取达到的最高档", children=Params(
            Param("min", "各事实项的最低值", "map", required=True, help="事实项标识: 最低值，各项都达到才算达到本档"),
            Param("points", "分值", "number", required=True),
        )),
    )

    def _validate(self, p, mp):
        P = self.parameters
        T = P["tiers"].children
        e = Errs()
        vals = e.lst(p, P["values"])
        keys = set()
        for i, s in enumerate(vals):
            validate_factspec(s, f"values[{i}] ", e)
            if isinstance(s, Mapping):
                keys.add(s.get("key"))
        for i, t in enumerate(e.lst(p, P["tiers"])):
            if not isinstance(t, Mapping) or not isinstance(t.get("min"), Mapping):
                e.append(f"tiers[{i}] 需要 {T['min'].ref()}和 points")
                continue
            pt = e.num(t, T["points"], where=f"tiers[{i}] ", min_=0)
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
        return [spec_field(s) for s in params["values"]]

    def _cond(self, p, t):
        labels = {s["key"]: s for s in p["values"]}
        return "且".join(f"{labels[k]['label']}≥{fmt(x)}{labels[k].get('unit') or ''}" for k, x in t["min"].items())

    def describe(self, params, max_points):
        return "；".join(f"{self._cond(params, t)}计{fmt_pts(D(t['points']))}" for t in params["tiers"]) + \
            f"；取达到的最高档，本项最高{fmt_pts(D(max_points))}。"

    def _score_one(self, p, mp, facts):
        try:
            vals = {s["key"]: spec_value(facts, s) for s in p["values"]}
        except FactError as exc:
            return fact_failure(mp, self.label, exc)
        shown = "，".join(spec_show(s, vals[s["key"]]) for s in p["values"])
        best, hit = ZERO, None
        for t in p["tiers"]:
            if all(vals[k] >= D(x) for k, x in t["min"].items()) and D(t["points"]) > best:
                best, hit = D(t["points"]), t
        pts = q2(min(best, mp))
        tier = f"达到「{self._cond(p, hit)}」档" if hit else "未达到任何档次"
        return ScoreResult(points=pts, max_points=mp, explanation=f"{self.label}：{shown}，{tier}，得{fmt_pts(pts)}。",
                           inputs=dict(vals))


# ----------------------------------------------------------------------------- growth bands


@register
class GrowthBands(Rule):
    """增长率分档: growth = (current − previous) ÷ previous in %, scored by bands. A previous value
    of 0 with a current value above 0 counts as reaching the highest band (stated in the result)."""

    name = "growth_bands"
    label = "增长率分档计分"
    parameters = Params(
        Param("current", "本期值", "fact", required=True, children=FACT),
        Param("previous", "上期值", "fact", required=True, children=FACT),
        Param("tiers", "增长率分档", "objects", required=True, children=TIER,
              help="增长率 =（本期值 − 上期值）÷ 上期值，单位为 %；上期为0、本期大于0时按最高档计"),
    )

    def _validate(self, p, mp):
        e = Errs()
        validate_factspec(p.get("current"), "current ", e)
        validate_factspec(p.get("previous"), "previous ", e)
        for i, t in enumerate(e.lst(p, self.parameters["tiers"])):
            validate_tier(t, f"tiers[{i}] ", e)
            if isinstance(t, Mapping) and t.get("points") is not None:
                try:
                    if D(t["points"]) > mp or D(t["points"]) < 0:
                        e.append(f"tiers[{i}] 分值应在 0～{fmt(mp)} 之间")
                except NumberError:
                    pass
        return e

    def fields(self, params):
        return [spec_field(params["current"]), spec_field(params["previous"])]

    def describe(self, params, max_points):
        return f"按{params['current']['label']}较{params['previous']['label']}的增长率计分：" + \
            tiers_describe(params["tiers"], "%") + "；增长率不大于0不得分。"

    def _score_one(self, p, mp, facts):
        try:
            cur = spec_value(facts, p["current"])
            prev = spec_value(facts, p["previous"])
        except FactError as exc:
            return fact_failure(mp, self.label, exc)
        shown = f"{spec_show(p['current'], cur)}，{spec_show(p['previous'], prev)}"
        inputs = {p["current"]["key"]: cur, p["previous"]["key"]: prev}
        if prev == 0:
            if cur > 0:
                best = max(D(t["points"]) for t in p["tiers"])
                pts = q2(min(best, mp))
                return ScoreResult(points=pts, max_points=mp, inputs={**inputs, "growth": None},
                                   explanation=f"{self.label}：{shown}，上年为0、本年大于0，增长率无法按比例计算，"
                                               f"按最高档计，得{fmt_pts(pts)}。", flags=("growth_from_zero",))
            g = ZERO
        else:
            g = (cur - prev) / prev * HUNDRED
        t = best_tier(g, p["tiers"])
        pts = q2(min(D(t["points"]), mp)) if t else ZERO
        tier = f"达到「{tier_text(t, '%')}」档" if t else "未达到任何档次"
        return ScoreResult(points=pts, max_points=mp, inputs={**inputs, "growth": g},
                           explanation=f"{self.label}：{shown}，增长率 {fmt(g)}%，{tier}，得{fmt_pts(pts)}。")


# ----------------------------------------------------------------------------- shortfall deduction


@register
class ShortfallDeduction(Rule):
    """缺额扣分: full points when the quota is met; otherwise minus ``per_step`` for every
    ``step_percent`` % short of the quota, not below 0. ``mode`` "floor" (default) counts only
    complete steps (缺额15% → 1个10%), "ceil" counts a started step, "proportional" scales."""

    name = "shortfall_deduction"
    label = "缺额扣分"
    parameters = Params(
        Param("actual", "实际数", "fact", required=True, children=FACT),
        Param("quota", "计划数", "fact", required=True, children=FACT),
        Param("step_percent", "每缺额百分之几", "number", required=True, help="大于0，如 10 表示每缺额10%"),
        Param("per_step", "每档扣分", "number", required=True, help="大于0"),
        Param("mode", "扣分方式", "choice", default="floor",
              choices=(("floor", "不足一档不扣"), ("ceil", "不足一档按一档扣"), ("proportional", "按比例折算"))),
    )

    def _validate(self, p, mp):
        P = self.parameters
        e = Errs()
        validate_factspec(p.get("actual"), "actual ", e)
        validate_factspec(p.get("quota"), "quota ", e)
        e.num(p, P["step_percent"], positive=True)
        e.num(p, P["per_step"], positive=True)
        if p.get("mode", "floor") not in P["mode"].values:
            e.append("参数 mode 应为 " + "、".join(P["mode"].values[:-1]) + f" 或 {P['mode'].values[-1]}")
        return e

    def fields(self, params):
        return [spec_field(params["actual"]), spec_field(params["quota"])]

    def describe(self, params, max_points):
        mode = f"（{self.parameters['mode'].meaning(params.get('mode', 'floor'))}）"
        return (f"完成{params['quota']['label']}的得{fmt_pts(D(max_points))}，每缺额{fmt(params['step_percent'])}%扣"
                f"{fmt_pts(D(params['per_step']))}{mode}，扣完为止。")

    def _score_one(self, p, mp, facts):
        try:
            act = spec_value(facts, p["actual"])
            quota = spec_value(facts, p["quota"])
        except FactError as exc:
            return fact_failure(mp, self.label, exc)
        inputs = {p["actual"]["key"]: act, p["quota"]["key"]: quota}
        shown = f"{spec_show(p['actual'], act)}，{spec_show(p['quota'], quota)}"
        if quota <= 0:
            return error_result(mp, self.label, f"「{p['quota']['label']}」应大于0", inputs)
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
            text = f"{self.label}：{shown}，完成任务，得{fmt_pts(pts)}。"
        else:
            text = (f"{self.label}：{shown}，缺额 {fmt(short)}%，按每缺额{fmt(step)}%扣{fmt(p['per_step'])}分"
                    f"计 {fmt(steps)} 档，扣{fmt_pts(ded)}，得{fmt_pts(pts)}。")
        return ScoreResult(points=pts, max_points=mp, explanation=text, inputs={**inputs, "shortfall": short})
