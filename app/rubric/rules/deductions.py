"""Deductions from the full points: per occurrence, and several stated deduction items."""

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
    check_unknown,
    dec_fact,
    fact_failure,
    fmt_pts,
    opt_text,
    register,
)
from .params import Param, Params


@register
class DeductionPerOccurrence(Rule):
    """每发现一起扣k分: max − k × count, not below 0."""

    name = "deduction_per_occurrence"
    label = "按次扣分"
    parameters = Params(
        Param("per", "每次扣分", "number", required=True, help="大于0"),
        Param("what", "扣分事项", "text", required=True, help="如「违背师德规范行为」"),
        Param("unit", "计量单位", "text", default="起", help="如 起、次"),
    )

    def _validate(self, p, mp):
        P = self.parameters
        e = Errs()
        e.num(p, P["per"], positive=True)
        e.text(p, P["what"])
        return e

    def _label(self, p) -> str:
        return f"{p['what']}（{p.get('unit') or '起'}）"

    def fields(self, params):
        return [Field("count", self._label(params), "int", unit=params.get("unit") or "起", min=ZERO),
                Field("note", "情况说明", "text", required=False)]

    def describe(self, params, max_points):
        return (f"满分{fmt_pts(D(max_points))}，每发现一{params.get('unit') or '起'}{params['what']}扣"
                f"{fmt_pts(D(params['per']))}，扣完为止。")

    def _score_one(self, p, mp, facts):
        lab = self._label(p)
        try:
            n = dec_fact(facts, "count", lab, integer=True)
        except FactError as exc:
            return fact_failure(mp, self.label, exc)
        per = D(p["per"])
        pts = q2(max(ZERO, mp - per * n))
        note = opt_text(facts, "note")
        text = (f"{self.label}：{lab} {fmt(n)}，每{p.get('unit') or '起'}扣{fmt_pts(per)}，"
                f"{fmt(mp)} − {fmt(per)}×{fmt(n)}，不低于0，得{fmt_pts(pts)}。")
        if note:
            text += f"说明：{note}。"
        return ScoreResult(points=pts, max_points=mp, explanation=text, inputs={"count": n, "note": note})


# ----------------------------------------------------------------------------- deduction items


DEDUCTION_ITEM = Params(
    Param("key", "事项标识", "text", required=True, help="英文字母、数字或下划线，同一指标内不重复"),
    Param("label", "事项名称", "text", required=True),
    Param("type", "扣分方式", "choice", required=True,
          choices=(("per_count", "按次数扣分"), ("below", "低于阈值扣分"), ("above", "超过阈值扣分"),
                   ("judged", "评分人酌情扣分并写明理由"))),
    Param("per", "每次扣分", "number", help="type 为 per_count 时必填，大于0"),
    Param("threshold", "阈值", "number", help="type 为 below 或 above 时必填"),
    Param("inclusive", "含阈值", "bool", default=False,
          help="type 为 below 或 above 时可填：true 表示等于阈值也扣分。文件写「X以下」「X以上」时均含X本数，填 true；"
               "写「低于X」「超过X」时不含，填 false"),
    Param("deduct", "扣分", "number", help="type 为 below 或 above 时必填，大于0"),
    Param("max_deduct", "最多扣分", "number", help="type 为 judged 时必填，大于0且不大于本项分值"),
    Param("min_deduct", "最少扣分", "number", default=0,
          help="type 为 judged 时可填：扣分时不少于此值（如「酌情扣0.5-1分」填0.5），不扣分仍填0；不大于最多扣分"),
    Param("unit", "计量单位", "text", help="按次数扣分时默认「起」"),
)
_DEDUCTION_TYPES = DEDUCTION_ITEM["type"].values


def _cmp_word(t: str, inclusive: bool, hit: bool) -> str:
    """How a value stands to a deduction threshold, in words: 「…以下」 and 「…以上」 include the
    number (inclusive), 「低于」 and 「超过」 do not."""
    if t == "below":
        if inclusive:
            return "不高于" if hit else "高于"
        return "低于" if hit else "不低于"
    if inclusive:
        return "不低于" if hit else "低于"
    return "超过" if hit else "未超过"


def _judged_range(it: Mapping) -> str:
    """The range of a judged deduction: 「酌情扣0～1分」, or with a minimum 「不扣分或酌情扣0.5～1分」."""
    lo = D(it.get("min_deduct") or 0)
    if lo > 0:
        return f"不扣分或酌情扣{fmt(lo)}～{fmt_pts(D(it['max_deduct']))}"
    return f"酌情扣0～{fmt_pts(D(it['max_deduct']))}"


@register
class DeductionItems(Rule):
    """Several stated deductions from the full points (each by count, by a threshold on a value,
    or judged within a range with a reason); the result is not below 0."""

    name = "deduction_items"
    label = "多项扣分"
    parameters = Params(
        Param("items", "扣分事项", "objects", required=True, children=DEDUCTION_ITEM, help="各项扣分相加，扣完为止"),
    )

    def _validate(self, p, mp):
        K = DEDUCTION_ITEM
        e = Errs()
        items = e.lst(p, self.parameters["items"])
        keys = set()
        for i, it in enumerate(items):
            w = f"items[{i}] "
            if not isinstance(it, Mapping):
                e.append(w + "应为对象")
                continue
            check_unknown(it, K, e, w)
            if not it.get("key") or not it.get("label"):
                e.append(w + "缺少 key 或 label")
            if it.get("key") in keys:
                e.append(w + f"key「{it.get('key')}」重复")
            keys.add(it.get("key"))
            t = it.get("type")
            if t not in _DEDUCTION_TYPES:
                e.append(w + f"type 应为 {'/'.join(_DEDUCTION_TYPES)} 之一，现为「{t}」")
            sub = Errs()
            if t == "per_count":
                sub.num(it, K["per"], required=True, positive=True)
            elif t in ("below", "above"):
                sub.num(it, K["threshold"], required=True)
                sub.num(it, K["deduct"], required=True, positive=True)
                if not isinstance(it.get("inclusive", False), bool):
                    sub.append(f"参数 {K['inclusive'].ref()}应为 true 或 false")
            elif t == "judged":
                md = sub.num(it, K["max_deduct"], required=True, positive=True)
                if md is not None and md > mp:
                    sub.append(f"{K['max_deduct'].label}大于本项分值")
                lo = sub.num(it, K["min_deduct"], min_=0)
                if lo is not None and md is not None and lo > md:
                    sub.append(f"{K['min_deduct'].label} {fmt(lo)} 大于{K['max_deduct'].label} {fmt(md)}")
            if t != "judged" and it.get("min_deduct") is not None:
                sub.append(f"参数 {K['min_deduct'].ref()}只用于 type 为 judged 的事项")
            if t not in ("below", "above") and it.get("inclusive") is not None:
                sub.append(f"参数 {K['inclusive'].ref()}只用于 type 为 below 或 above 的事项")
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
                                 help=f"{_judged_range(it)}，扣分须写明理由", by="scorer"))
                out.append(Field(it["key"] + "_reason", it["label"] + "理由", "text", required=False, by="scorer"))
        return out

    def _item_text(self, it: Mapping) -> str:
        t, u = it["type"], it.get("unit") or ""
        if t == "per_count":
            return f"{it['label']}每{u or '起'}扣{fmt_pts(D(it['per']))}"
        if t in ("below", "above"):
            thr = f"{fmt(it['threshold'])}{u}"
            if it.get("inclusive", False):
                where = f"在{thr}及{'以下' if t == 'below' else '以上'}"
            else:
                where = f"{'低于' if t == 'below' else '超过'}{thr}"
            return f"{it['label']}{where}扣{fmt_pts(D(it['deduct']))}"
        return f"{it['label']}{_judged_range(it)}"

    def describe(self, params, max_points):
        items = "；".join(self._item_text(i) for i in params["items"])
        return f"满分{fmt_pts(D(max_points))}，" + items + "；扣完为止。"

    def _score_one(self, p, mp, facts):
        total = ZERO
        parts = []
        inputs: dict[str, Any] = {}
        try:
            for it in p["items"]:
                t, u = it["type"], it.get("unit") or ""
                if t == "per_count":
                    n = dec_fact(facts, it["key"], it["label"], integer=True)
                    d = D(it["per"]) * n
                    parts.append(f"{it['label']} {fmt(n)}{u or '起'}，扣{fmt_pts(d)}")
                    inputs[it["key"]] = n
                elif t in ("below", "above"):
                    v = dec_fact(facts, it["key"], it["label"])
                    thr = D(it["threshold"])
                    inc = it.get("inclusive", False)
                    if t == "below":
                        hit = v <= thr if inc else v < thr
                    else:
                        hit = v >= thr if inc else v > thr
                    d = D(it["deduct"]) if hit else ZERO
                    cmp = _cmp_word(t, inc, hit)
                    parts.append(f"{it['label']} {fmt(v)}{u}，{cmp}{fmt(thr)}{u}，扣{fmt_pts(d)}")
                    inputs[it["key"]] = v
                else:
                    d = dec_fact(facts, it["key"], it["label"]) if facts and facts.get(it["key"]) not in (None, "") \
                        else ZERO
                    reason = opt_text(facts, it["key"] + "_reason")
                    if d > D(it["max_deduct"]):
                        raise FactError(f"「{it['label']}」扣分 {fmt(d)} 超过最多 {fmt(it['max_deduct'])} 分")
                    if 0 < d < D(it.get("min_deduct") or 0):
                        raise FactError(f"「{it['label']}」扣分 {fmt(d)} 少于最少 {fmt(it['min_deduct'])} 分"
                                        f"（{_judged_range(it)}）")
                    if d > 0 and not reason:
                        raise FactError(f"「{it['label']}」扣{fmt_pts(d)}，但未填写理由")
                    parts.append(f"{it['label']}扣{fmt_pts(d)}" + (f"（{reason}）" if reason else ""))
                    inputs[it["key"]] = d
                    inputs[it["key"] + "_reason"] = reason
                total += d
        except FactError as exc:
            return fact_failure(mp, self.label, exc, inputs)
        pts = q2(max(ZERO, mp - total))
        text = (
            f"{self.label}：满分{fmt_pts(mp)}；" + "；".join(parts)
            + f"；共扣{fmt_pts(total)}，不低于0，得{fmt_pts(pts)}。"
        )
        return ScoreResult(points=pts, max_points=mp, explanation=text, inputs=inputs)
