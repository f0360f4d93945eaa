"""按权重累计: groups of weighted items with group caps, an item cap and items that may exceed it."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_FLOOR
from typing import Any

from ..numbers import ZERO, D, fmt, q2
from .base import Errs, FactError, Field, Rule, ScoreResult, check_unknown, dec_fact, fact_failure, fmt_pts, register
from .params import Param, Params

WEIGHTED_ITEM = Params(
    Param("key", "项目标识", "text", required=True, help="英文字母、数字或下划线，同一指标内不重复"),
    Param("label", "项目名称", "text", required=True),
    Param("weight", "权重", "number", required=True, help="每项（或每 per）计的分，大于0"),
    Param("per", "每多少计一次", "number", help="填写时按 ⌊填报值 ÷ per⌋ × 权重 计分，如每10万元计1分"),
    Param("kind", "数值类型", "choice", choices=(("int", "整数"), ("decimal", "小数")),
          help="不填时有 per 为小数，否则为整数"),
    Param("unit", "计量单位", "text", help="不填时按项计"),
    Param("exceeds_cap", "可突破上限", "bool", default=False, help="true 时该项得分在封顶之后另加，可超过本项分值"),
)
GROUP = Params(
    Param("key", "组标识", "text", help="可不填"),
    Param("label", "组名称", "text", required=True),
    Param("cap", "封顶分", "number", help="本组最高计分，大于0"),
    Param("items", "项目", "objects", required=True, children=WEIGHTED_ITEM),
)


@register
class WeightedItems(Rule):
    """按权重累计: groups of items, each item scores count × weight (or, with ``per``,
    ⌊value ÷ per⌋ × weight, e.g. 每10万元计1分); each group is capped at its ``cap``; the sum is
    capped at ``cap`` (default the item's points). Items marked ``exceeds_cap`` are added after
    both caps ("可突破本项得分上限"), so the score may exceed the item's points."""

    name = "weighted_items"
    label = "按权重累计计分"
    parameters = Params(
        Param("groups", "计分组", "objects", required=True, children=GROUP),
        Param("cap", "本项封顶分", "number", help="不填为本项分值"),
    )

    def _validate(self, p, mp):
        P = self.parameters
        e = Errs()
        groups = e.lst(p, P["groups"])
        keys = set()
        for gi, g in enumerate(groups):
            w = f"groups[{gi}] "
            if not isinstance(g, Mapping):
                e.append(w + "应为对象")
                continue
            check_unknown(g, GROUP, e, w)
            if not g.get("label"):
                e.append(w + "缺少 label")
            e.num(g, GROUP["cap"], where=w, positive=True)
            for ii, it in enumerate(e.lst(g, GROUP["items"], where=w)):
                wi = f"{w}items[{ii}] "
                if not isinstance(it, Mapping) or not it.get("key") or not it.get("label"):
                    e.append(wi + "需要 key、label 和 weight")
                    continue
                check_unknown(it, WEIGHTED_ITEM, e, wi)
                e.num(it, WEIGHTED_ITEM["weight"], where=wi, positive=True)
                e.num(it, WEIGHTED_ITEM["per"], where=wi, positive=True)
                if it["key"] in keys:
                    e.append(wi + f"key「{it['key']}」重复")
                keys.add(it["key"])
        cap = e.num(p, P["cap"], positive=True)
        if cap is not None and cap > mp:
            e.append(f"{P['cap'].label} {fmt(cap)} 大于本项分值 {fmt(mp)}")
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
            return f"{it['label']}每{fmt(it['per'])}{it.get('unit') or ''}计{fmt_pts(D(it['weight']))}"
        s = f"{it['label']}每{it.get('unit') or '项'}计{fmt_pts(D(it['weight']))}"
        return s + ("（可突破上限）" if it.get("exceeds_cap") else "")

    def describe(self, params, max_points):
        parts = []
        for g in params["groups"]:
            s = f"{g['label']}：" + "，".join(self._item_text(it) for it in g["items"])
            if g.get("cap") is not None:
                s += f"，最高计{fmt_pts(D(g['cap']))}"
            parts.append(s)
        cap = D(params.get("cap", max_points))
        return "；".join(parts) + f"；本项最高{fmt_pts(cap)}。"

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
                    v = dec_fact(facts, it["key"], it["label"], integer=integer)
                    inputs[it["key"]] = v
                    if it.get("per"):
                        times = (v / D(it["per"])).to_integral_value(rounding=ROUND_FLOOR)
                        pts = times * D(it["weight"])
                        if v:
                            parts.append(
                                f"{it['label']} {fmt(v)}{it.get('unit') or ''}，"
                                f"按每{fmt(it['per'])}{it.get('unit') or ''}计{fmt(it['weight'])}分得{fmt_pts(pts)}"
                            )
                    else:
                        pts = v * D(it["weight"])
                        if v:
                            parts.append(f"{it['label']}{fmt(v)}{it.get('unit') or '项'}×{fmt(it['weight'])}"
                                         f"={fmt_pts(pts)}")
                    if it.get("exceeds_cap"):
                        gextra += pts
                    else:
                        gsum += pts
                gtext = f"{g['label']}：" + ("；".join(parts) if parts else "无")
                if g.get("cap") is not None and gsum > D(g["cap"]):
                    gtext += f"，小计{fmt_pts(gsum)}，按最高{fmt_pts(D(g['cap']))}计"
                    gsum = D(g["cap"])
                else:
                    gtext += f"，小计{fmt_pts(gsum)}"
                if gextra:
                    gtext += f"，另加可突破上限的{fmt_pts(gextra)}"
                texts.append(gtext)
                capped_sum += gsum
                extra += gextra
        except FactError as exc:
            return fact_failure(mp, self.label, exc, inputs)
        cap = D(p["cap"]) if p.get("cap") is not None else mp
        base = min(capped_sum, cap)
        total = base + extra
        tail = f"合计{fmt_pts(capped_sum)}"
        if capped_sum > cap:
            tail += f"，按本项最高{fmt_pts(cap)}计"
        if extra:
            tail += f"，加可突破上限的{fmt_pts(extra)}"
        pts = q2(total)
        return ScoreResult(points=pts, max_points=mp, explanation=f"{self.label}：" + "；".join(texts) +
                           f"；{tail}，得{fmt_pts(pts)}。", inputs=inputs,
                           flags=("exceeds_max",) if pts > mp else ())
