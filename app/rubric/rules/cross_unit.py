"""Cross-unit rules: against the population's average, and base points by rank."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from ..numbers import HUNDRED, ZERO, D, NumberError, fmt, q2
from .base import (
    Errs,
    FactError,
    Field,
    Rule,
    ScoreResult,
    check_unknown,
    competition_ranks,
    dec_fact,
    fact_failure,
    fmt_pts,
    register,
)
from .measures import (
    MEASURE,
    measure_specs,
    measure_unit,
    measure_value,
    spec_field,
    top_bonus_param,
    validate_measure,
    validate_top_bonus,
)
from .params import Param, Params

SHARE_TIER = Params(
    Param("share", "占平均值的比例", "number", required=True, help="大于0，如 0.7 表示70%"),
    Param("points", "分值", "number", required=True, help="不小于0"),
)


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
    parameters = Params(
        Param("measure", "计分项", "object", required=True, children=MEASURE),
        Param("reference", "参照值", "choice", default="mean",
              choices=(("mean", "各单位平均"), ("pooled", "合计比值")),
              help="在本类单位范围内计算；pooled 为各单位分子之和 ÷ 分母之和，需要 measure 有 per"),
        Param("direction", "比较方向", "choice", default="higher",
              choices=(("higher", "越高越好"), ("lower", "越低越好"))),
        Param("tiers", "分档", "objects", required=True, children=SHARE_TIER,
              help="达到参照值的 share 倍计 points，取达到的最高档"),
        top_bonus_param(with_min=False, help="超过（lower 时低于）参照值且排名前几的计此分（高于分档得分时）"),
        Param("strict", "严格高于（低于）才算达到", "bool", help="不填时 direction 为 lower 则为 true，否则为 false"),
    )

    def _validate(self, p, mp):
        P = self.parameters
        e = Errs()
        validate_measure(p.get("measure"), "measure ", e, with_tiers=False)
        if p.get("reference", "mean") not in P["reference"].values:
            e.append(f"参数 reference 应为 {P['reference'].alternatives()}")
        if p.get("reference") == "pooled" and isinstance(p.get("measure"), Mapping) and not p["measure"].get("per"):
            e.append("reference 为 pooled 时 measure 需要 per（分母）")
        if p.get("direction", "higher") not in P["direction"].values:
            e.append(f"参数 direction 应为 {P['direction'].alternatives()}")
        tiers = e.lst(p, P["tiers"])
        for i, t in enumerate(tiers):
            if not isinstance(t, Mapping):
                e.append(f"tiers[{i}] 应为对象")
                continue
            check_unknown(t, SHARE_TIER, e, f"tiers[{i}] ")
            e.num(t, SHARE_TIER["share"], where=f"tiers[{i}] ", positive=True)
            pt = e.num(t, SHARE_TIER["points"], where=f"tiers[{i}] ", min_=0)
            if pt is not None and pt > mp:
                e.append(f"tiers[{i}] {SHARE_TIER['points'].label} {fmt(pt)} 大于本项分值 {fmt(mp)}")
        validate_top_bonus(p.get("top_bonus"), mp, e, P["top_bonus"])
        return e

    def fields(self, params):
        values, per = measure_specs(params["measure"])
        return [spec_field(s) for s in [*values, *([per] if per else [])]]

    def describe(self, params, max_points):
        m = params["measure"]
        lower = params.get("direction") == "lower"
        ref = "全校合计比值" if params.get("reference") == "pooled" else "全校平均值"
        word = "低于" if lower else "达到"
        parts = [f"{m['label']}{word}{ref}的{fmt(D(t['share']) * HUNDRED)}%计{fmt_pts(D(t['points']))}"
                 for t in params["tiers"]]
        s = f"{m['label']}与{ref}（在本类单位范围内计算）比较：" + "，".join(parts)
        tb = params.get("top_bonus")
        if tb:
            s += f"；{'低于' if lower else '超过'}{ref}且排名前{tb['rank']}位的计{fmt_pts(D(tb['points']))}"
        return s + f"；本项最高{fmt_pts(D(max_points))}。"

    def score_all(self, params, max_points, facts_by_unit):
        mp = D(max_points)
        m = params["measure"]
        lower = params.get("direction") == "lower"
        strict = params.get("strict", lower)
        pooled = params.get("reference") == "pooled"
        u = measure_unit(m)
        out: dict[str, ScoreResult] = {}
        vals: dict[str, tuple[Decimal, list[str], dict]] = {}
        for uid, f in facts_by_unit.items():
            try:
                vals[uid] = measure_value(f, m)
            except FactError as exc:
                out[uid] = fact_failure(mp, self.label, exc)
        provisional = len(vals) < len(facts_by_unit)
        n = len(vals)
        if n == 0:
            return out
        if pooled:
            values, per = measure_specs(m)
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
                             f"计{fmt_pts(best)}")
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
                        texts.append(f"按排名计{fmt_pts(best)}")
                else:
                    texts.append(rinfo)
            pts = q2(min(best, mp))
            out[uid] = ScoreResult(points=pts, max_points=mp,
                                   explanation=f"{self.label}：" + "；".join(texts) + f"；得{fmt_pts(pts)}。",
                                   inputs={**raw, "value": v, "reference": ref, "rank": ranks[uid], "population": n},
                                   provisional=provisional)
        return out


# ----------------------------------------------------------------------------- rank-based base points


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
    parameters = Params(
        Param("items", "计分项目", "objects", required=True, help="权重分值 = Σ 项数 × 权重", children=Params(
            Param("key", "项目标识", "text", required=True, help="英文字母、数字或下划线，同一指标内不重复"),
            Param("label", "项目名称", "text", required=True),
            Param("weight", "权重", "number", required=True, help="大于0"),
            Param("unit", "计量单位", "text", default="项"),
        )),
        Param("rank_points", "各名次基础分", "numbers", required=True,
              help="第1个数为第1名的基础分，依次类推；最后1名、并列垫底或分值为零的单位无基础分"),
        Param("average_bonus", "达到平均值的追加分", "objects", children=SHARE_TIER, closed=False,
              help="权重分值达到全校平均值的 share 倍追加 points，取达到的最高档"),
    )

    def _validate(self, p, mp):
        P = self.parameters
        K = P["items"].children
        e = Errs()
        items = e.lst(p, P["items"])
        keys = set()
        for i, it in enumerate(items):
            if not isinstance(it, Mapping) or not it.get("key") or not it.get("label"):
                e.append(f"items[{i}] 需要 key、label 和 weight")
                continue
            check_unknown(it, K, e, f"items[{i}] ")
            e.num(it, K["weight"], where=f"items[{i}] ", positive=True)
            if it["key"] in keys:
                e.append(f"items[{i}] key「{it['key']}」重复")
            keys.add(it["key"])
        rp = e.lst(p, P["rank_points"])
        for i, x in enumerate(rp):
            try:
                if D(x) < 0 or D(x) > mp:
                    e.append(f"rank_points[{i}] 应在 0～{fmt(mp)} 之间")
            except NumberError:
                e.append(f"rank_points[{i}] 应为数字")
        for i, t in enumerate(e.lst(p, P["average_bonus"])):
            if not isinstance(t, Mapping):
                e.append(f"average_bonus[{i}] 应为对象")
                continue
            e.num(t, SHARE_TIER["share"], where=f"average_bonus[{i}] ", positive=True)
            e.num(t, SHARE_TIER["points"], where=f"average_bonus[{i}] ", min_=0)
        return e

    def fields(self, params):
        return [Field(it["key"], it["label"], "int", unit=it.get("unit") or "项", min=ZERO) for it in params["items"]]

    def describe(self, params, max_points):
        items = "，".join(f"{it['label']}{fmt(it['weight'])}" for it in params["items"])
        rp = [D(x) for x in params["rank_points"]]
        ranks = "，".join(f"第{i + 1}名{fmt_pts(x)}" for i, x in enumerate(rp))
        s = (f"按权重分值（{items}）排名计基础分：{ranks}；最后1名、并列垫底或分值为零的单位无基础分")
        ab = params.get("average_bonus") or []
        if ab:
            s += "；达到全校平均权重分值的" + "、".join(f"{fmt(D(t['share']) * HUNDRED)}%" for t in ab) + \
                 "分别追加" + "、".join(fmt_pts(D(t["points"])) for t in ab)
        return s + f"；本项最高{fmt_pts(D(max_points))}。"

    def score_all(self, params, max_points, facts_by_unit):
        mp = D(max_points)
        out: dict[str, ScoreResult] = {}
        vals: dict[str, tuple[Decimal, list[str], dict]] = {}
        for uid, f in facts_by_unit.items():
            try:
                total, parts, raw = ZERO, [], {}
                for it in params["items"]:
                    n = dec_fact(f, it["key"], it["label"], integer=True)
                    raw[it["key"]] = n
                    if n:
                        parts.append(f"{it['label']}{fmt(n)}项×{fmt(it['weight'])}")
                    total += n * D(it["weight"])
                vals[uid] = (total, parts, raw)
            except FactError as exc:
                out[uid] = fact_failure(mp, self.label, exc)
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
                base, why = rp[r - 1], f"基础分{fmt_pts(rp[r - 1])}"
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
                texts.append(f"达到平均值的{fmt(D(hit['share']) * HUNDRED)}%，追加{fmt_pts(bonus)}")
            elif params.get("average_bonus"):
                texts.append("未达到追加分档次")
            total = base + bonus
            pts = q2(min(total, mp))
            tail = f"合计{fmt_pts(total)}" + (f"，本项最高{fmt_pts(mp)}" if total > mp else "")
            out[uid] = ScoreResult(points=pts, max_points=mp,
                                   explanation=f"{self.label}：" + "；".join(texts) + f"；{tail}，得{fmt_pts(pts)}。",
                                   inputs={**raw, "value": v, "rank": r, "population": n, "mean": mean},
                                   provisional=provisional)
        return out
