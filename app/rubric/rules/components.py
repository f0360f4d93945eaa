"""Component scores and the ballot check: the democratic rating, the leader evaluation, the
normalisation of reduced maxima, and the check of one voter's ballot."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from ..numbers import HUNDRED, ZERO, D, NumberError, fmt, q2
from .base import ScoreResult, error_result, fmt_pts, missing_result

__all__ = ["check_ballot", "democratic_score", "leader_score", "normalise"]


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
                return error_result(mp, "民主测评", f"未知的测评等次「{level}」")
            if not isinstance(c, int) or isinstance(c, bool) or c < 0:
                return error_result(mp, "民主测评", f"「{level}」票数应为非负整数，现为「{c}」")
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
        return missing_result(mp, "民主测评", "尚无有效测评票")
    if weights:
        if wsum == 0:
            return error_result(mp, "民主测评", "有票的测评人员类别权重均为0")
        mean = acc / wsum
        how = "按各类测评人员权重加权平均"
    else:
        mean = s_all / n_all
        how = f"全部{n_all}票平均"
    pts = q2(mean / HUNDRED * mp)
    levels = "、".join(f"{k}={fmt(v)}" for k, v in level_values.items())
    text = (f"民主测评（{levels}）：" + "；".join(lines) + f"；{how} {fmt(mean)}，"
            f"折算为 {fmt(mean)}÷100×{fmt(mp)}，得{fmt_pts(pts)}。")
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
                return error_result(mp, "领导班子评价", f"{names.get(key, key)}评分「{x}」不是数字")
            if v < 0 or v > rmax:
                return error_result(mp, "领导班子评价", f"{names.get(key, key)}评分 {fmt(v)} 超出 0～{fmt(rmax)}")
            vals.append(v)
        inputs[key] = vals
        if not vals:
            missing.append(names.get(key, key))
            continue
        mean = sum(vals, ZERO) / len(vals)
        part = q2(mean / rmax * pp)
        total += part
        lines.append(f"{names.get(key, key)}{len(vals)}人评分平均 {fmt(mean)}，折算 {fmt(mean)}÷{fmt(rmax)}×{fmt(pp)}"
                     f"={fmt_pts(part)}")
    if missing and not lines:
        return missing_result(mp, "领导班子评价", "尚无领导评分", inputs)
    text = "领导班子评价：" + "；".join(lines)
    if missing:
        text += f"；{'、'.join(missing)}尚未评分，该部分暂计0分"
    text += f"；合计{fmt_pts(total)}。"
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
        return scaled, (f"本类单位该部分满分为{fmt_pts(raw_max)}，按比例折算到{fmt_pts(full_max)}："
                        f"{fmt(raw)}×{fmt(full_max)}÷{fmt(raw_max)}={fmt_pts(scaled)}")
    return raw, f"本类单位该部分满分为{fmt_pts(raw_max)}，按方案规定不折算，计原始得分{fmt_pts(raw)}"


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
            errs.append(
                f"「{excellent_level}」最多可评{limit}个单位（{fmt(D(max_excellent_share) * 100)}%），现评了{n}个"
            )
    return errs
