"""评分人评分: the scorer gives 0…max points, with a reason when below max."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..numbers import ZERO, D, fmt, q2
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
    opt_text,
    register,
)
from .params import Param, Params


@register
class Judged(Rule):
    """评分人评分: the scorer gives 0…max; a reason is required below max."""

    name = "judged"
    label = "评分人评分"
    parameters = Params(
        Param("step", "分值步长", "number", help="评定得分须是步长的整数倍，本项分值也须是步长的整数倍"),
        Param("items", "工作事项清单", "texts", help="对照逐项考核的工作",
              children=Params(Param("text", "事项内容", "text")), closed=False),
        Param("guidance", "评分说明", "text", help="显示在评分人填写得分处"),
        Param("min_nonzero", "给分时的最低分", "number", help="给分（大于0）时不得低于此分"),
    )

    def _validate(self, p, mp):
        P = self.parameters
        e = Errs()
        step = e.num(p, P["step"], positive=True)
        mn = e.num(p, P["min_nonzero"], positive=True)
        if mn is not None and mn > mp:
            e.append(f"参数 {P['min_nonzero'].ref()}不能大于本项分值")
        if step is not None and (mp / step) != (mp / step).to_integral_value():
            e.append(f"本项分值 {fmt(mp)} 不是步长 {fmt(step)} 的整数倍")
        items = p.get("items")
        if items is not None:
            if not isinstance(items, list):
                e.append(f"参数 {P['items'].ref()}应为列表")
            else:
                for i, it in enumerate(items):
                    if not (isinstance(it, str) or (isinstance(it, Mapping) and isinstance(it.get("text"), str))):
                        e.append(f"items[{i}] 应为文字，或包含 text 的对象")
        if p.get("guidance") is not None and not isinstance(p.get("guidance"), str):
            e.append(f"参数 {P['guidance'].ref()}应为文字")
        return e

    def fields(self, params):
        return [
            Field("points", "评定得分", "decimal", unit="分", min=ZERO, help=params.get("guidance"), by="scorer"),
            Field("reason", "扣分理由", "text", required=False, help="得分低于满分时必须填写理由", by="scorer"),
        ]

    def describe(self, params, max_points):
        s = f"由评分人根据工作实绩在0～{fmt(max_points)}分之间评定，低于满分须写明理由"
        if params.get("min_nonzero"):
            s += f"；给分时不低于{fmt_pts(D(params['min_nonzero']))}"
        if params.get("step"):
            s += f"；分值以{fmt(params['step'])}分为单位"
        if params.get("items"):
            s += f"；对照所列 {len(params['items'])} 项工作逐项考核"
        return s + "。"

    def _score_one(self, p, mp, facts):
        inputs: dict[str, Any] = {}
        try:
            v = dec_fact(facts, "points", "评定得分", nonneg=False)
        except FactError as exc:
            return fact_failure(mp, self.label, exc)
        reason = opt_text(facts, "reason")
        inputs = {"points": v, "reason": reason}
        if v < 0 or v > mp:
            return error_result(mp, self.label, f"评定得分 {fmt(v)} 超出 0～{fmt(mp)} 分的范围", inputs)
        if p.get("step") and (v / D(p["step"])) != (v / D(p["step"])).to_integral_value():
            return error_result(mp, self.label, f"评定得分 {fmt(v)} 不是 {fmt(p['step'])} 分的整数倍", inputs)
        if p.get("min_nonzero") and ZERO < v < D(p["min_nonzero"]):
            return error_result(mp, self.label, f"评定得分 {fmt(v)} 低于给分时的最低分 {fmt(p['min_nonzero'])}", inputs)
        if v < mp and not reason:
            return error_result(mp, self.label, f"评定得分 {fmt(v)} 低于满分 {fmt(mp)}，但未填写扣分理由", inputs)
        points = q2(v)
        if v == mp:  # fmt_pts(x) is f"{fmt(x)}分", written out here (the most common rule)
            text = f"{self.label}：评定得分 {fmt(v)}，满分{fmt(mp)}分，得{fmt(points)}分。"
        else:
            text = f"{self.label}：评定得分 {fmt(v)}，满分{fmt(mp)}分，扣分理由：{reason}；得{fmt(points)}分。"
        return ScoreResult(points=points, max_points=mp, explanation=text, inputs=inputs)
