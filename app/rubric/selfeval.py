"""Scoring rules of the project self-evaluation tables (项目支出绩效自评表).

Pure module: no Flask, no database, no openpyxl.

Rules (domain.md, "From the project self-evaluations"), with w the indicator weight and c the
completion rate as a fraction (1 = 100 %):

* 按照完成比例赋分 (proportional): c ≤ 1 → w × max(0, 1 − 2.5 × (1 − c));
  c > 1 → w × max(0, 1 − (c − 1)).
* 直接赋分 (direct): met (c ≥ 1) → w, otherwise 0.
* 按评判等级赋分 (judged level): 达到预期指标 → w; lower levels a configured share of w
  (defaults in ``DEFAULT_LEVEL_SHARES``).
* 满意度赋分 (satisfaction): c ≥ 1 → w; below the target the configured policy
  (``SATISFACTION_BELOW``), default "proportional" (the proportional rule).
* Budget execution (年度资金总额, 分值 10, 执行率 e): e ≥ 1 → 10 (an execution above 100 % is
  flagged); e < 1 → the proportional rule.
* A project's total is the sum of its indicator scores plus the execution score.
* Grades of a 100-point self-evaluation: 优 ≥ 90, 良 80 – < 90, 中 60 – < 80, 差 < 60.

Rounding — the one documented point: every rule first computes the exact points lost
(w − w × share) in Decimal, then rounds the points lost half-up to 2 places; the score is the
weight (itself taken to 2 places) minus the rounded points lost. Rates are never rounded before
scoring, and totals are plain sums of the rounded scores. Rounding the points lost rather than
the score is what reproduces the published tables: 48.93 of ≤50万元 is c = 97.86 %, the points
lost are 10 × 2.5 × 2.14 % = 0.535 → 0.54, the score 9.46 (as published; rounding the score 9.465
itself half-up would give 9.47).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

__all__ = [
    "DEFAULT_LEVEL_SHARES",
    "EXECUTION_WEIGHT",
    "OVER_FULL_MARK",
    "RULES",
    "RULE_DIRECT",
    "RULE_LEVEL",
    "RULE_PROPORTIONAL",
    "RULE_SATISFACTION",
    "SATISFACTION_BELOW",
    "RuleError",
    "Score",
    "SelfEvalConfig",
    "default_rule",
    "format_percent",
    "format_points",
    "grade",
    "normalise_rule",
    "project_total",
    "proportional_share",
    "round_points",
    "score_budget_execution",
    "score_direct",
    "score_indicator",
    "score_level",
    "score_proportional",
    "score_satisfaction",
    "states_over_full",
]

RULE_PROPORTIONAL = "按照完成比例赋分"
RULE_DIRECT = "直接赋分"
RULE_LEVEL = "按评判等级赋分"
RULE_SATISFACTION = "满意度赋分"
RULES = (RULE_PROPORTIONAL, RULE_DIRECT, RULE_LEVEL, RULE_SATISFACTION)
# Appended to 按照完成比例赋分 in a 赋分规则 cell when a rate above 100 % is not penalised.
OVER_FULL_MARK = "（超额不扣分）"
_OVER_FULL_WORDS = ("超额不扣分", "超额完成不扣分", "超额完成得满分", "超额完成视同达到", "超过目标不扣分")

EXECUTION_WEIGHT = Decimal(10)
CENT = Decimal("0.01")
ONE = Decimal(1)
ZERO = Decimal(0)

# Share of the weight per judged level; the first entry whose key the level starts with wins,
# so the longer (more specific) words come first.
DEFAULT_LEVEL_SHARES: Mapping[str, Decimal] = {
    "未达到预期指标": ZERO,
    "未达到": ZERO,
    "未达成": ZERO,
    "未完成": ZERO,
    "基本达到预期指标": Decimal("0.8"),
    "基本达到": Decimal("0.8"),
    "基本达成": Decimal("0.8"),
    "基本完成": Decimal("0.8"),
    "部分达到预期指标": Decimal("0.6"),
    "部分达到": Decimal("0.6"),
    "部分达成": Decimal("0.6"),
    "部分完成": Decimal("0.6"),
    "达到预期指标": ONE,
    "达到": ONE,
    "达成": ONE,
    "完成": ONE,
    "已完成": ONE,
    "全部完成": ONE,
}

SATISFACTION_BELOW = ("proportional", "linear", "full", "zero")
_SATISFACTION_BELOW_TEXT = {
    "proportional": "按完成比例规则计算",
    "linear": "按权重 × 完成率计算",
    "full": "视同达到，给满分",
    "zero": "未达到不得分",
}


class RuleError(ValueError):
    """A score that cannot be computed (unknown rule, missing rate or level). Chinese message."""


@dataclass(frozen=True)
class SelfEvalConfig:
    """The scheme's choices where the sources leave room."""

    level_shares: Mapping[str, Decimal] = field(default_factory=lambda: dict(DEFAULT_LEVEL_SHARES))
    satisfaction_below: str = "proportional"
    execution_weight: Decimal = EXECUTION_WEIGHT

    def __post_init__(self) -> None:
        if self.satisfaction_below not in SATISFACTION_BELOW:
            raise RuleError(
                f"满意度未达标的赋分方式「{self.satisfaction_below}」不存在，可选：{'、'.join(SATISFACTION_BELOW)}"
            )
        for level, share in self.level_shares.items():
            if not ZERO <= Decimal(share) <= ONE:
                raise RuleError(f"评判等级「{level}」的得分比例 {share} 不在 0 到 1 之间")


@dataclass(frozen=True)
class Score:
    """A rounded score with its inputs and a Chinese explanation naming them."""

    points: Decimal
    weight: Decimal
    rule: str
    rate: Decimal | None
    explanation: str
    flags: tuple[str, ...] = ()


# --------------------------------------------------------------------------- helpers

def round_points(value: Decimal) -> Decimal:
    """Half-up to 2 places. Used on the points lost (see the module docstring) and on weights."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def format_percent(rate: Decimal | None) -> str:
    """0.97857 → '97.86%' (half-up, display only)."""
    if rate is None:
        return "—"
    return f"{(rate * 100).quantize(CENT, rounding=ROUND_HALF_UP)}%"


def format_points(points: Decimal) -> str:
    return str(round_points(points))


def _finish(weight: Decimal, share: Decimal, rule: str, rate: Decimal | None, how: str,
            flags: Iterable[str] = ()) -> Score:
    """Apply the rounding point: points lost = w × (1 − share), half-up to 2 places."""
    w = round_points(Decimal(weight))
    share = min(ONE, max(ZERO, share))
    lost_exact = w * (ONE - share)
    lost = round_points(lost_exact)
    points = min(w, max(ZERO, w - lost))
    if lost_exact != lost:
        rounding = f"，扣分 {_num(lost_exact)} 四舍五入为 {lost}"
    else:
        rounding = f"，扣分 {lost}" if lost else ""
    explanation = f"{rule}：{how}{rounding}，得分 {points}（权重 {w}）"
    return Score(points=points, weight=w, rule=rule, rate=rate, explanation=explanation, flags=tuple(flags))


def _num(d: Decimal) -> str:
    """Compact exact-ish display of an intermediate number."""
    q = d.quantize(Decimal("1e-6"), rounding=ROUND_HALF_UP).normalize()
    return format(q, "f")


def _check_weight(weight: Decimal) -> Decimal:
    w = Decimal(weight)
    if not w.is_finite() or w < 0:
        raise RuleError(f"权重 {weight} 不是非负数")
    return w


def _check_rate(rate: Decimal | None, rule: str) -> Decimal:
    if rate is None:
        raise RuleError(f"{rule}需要完成率，但完成率无法确定")
    r = Decimal(rate)
    if not r.is_finite() or r < 0:
        raise RuleError(f"完成率 {rate} 不是非负数")
    return r


# --------------------------------------------------------------------------- the rules

def proportional_share(rate: Decimal) -> Decimal:
    """Exact share of the weight under 按照完成比例赋分 for completion rate c (a fraction)."""
    c = Decimal(rate)
    if c <= ONE:
        return max(ZERO, ONE - Decimal("2.5") * (ONE - c))
    return max(ZERO, ONE - (c - ONE))


def score_proportional(weight: Decimal, rate: Decimal | None, *, over_full: bool = False) -> Score:
    """按照完成比例赋分. ``over_full``: a rate above 100 % counts as met (full marks) instead of
    costing points (the overall-table policy, ``app.rubric.tablesettings``)."""
    w, c = _check_weight(weight), _check_rate(rate, RULE_PROPORTIONAL)
    pct = format_percent(c)
    if c > ONE and over_full:
        return _finish(w, ONE, RULE_PROPORTIONAL, c, f"完成率 {pct} > 100%，超额完成视同达到目标，给满分")
    share = proportional_share(c)
    if c <= ONE:
        how = f"完成率 {pct} ≤ 100%，得分 = 权重 {w} × max(0, 1 − 2.5 × (1 − {pct})) = {_num(w * share)}"
    else:
        how = (
            f"完成率 {pct} > 100%（超额完成视为目标设定不合理），"
            f"得分 = 权重 {w} × max(0, 1 − ({pct} − 1)) = {_num(w * share)}"
        )
    return _finish(w, share, RULE_PROPORTIONAL, c, how)


def score_direct(weight: Decimal, rate: Decimal | None = None, *, met: bool | None = None) -> Score:
    """直接赋分: met → w, otherwise 0. ``met`` defaults to rate ≥ 100 %."""
    w = _check_weight(weight)
    if met is None:
        c = _check_rate(rate, RULE_DIRECT)
        met = c >= ONE
        basis = f"完成率 {format_percent(c)}{'≥' if met else '<'} 100%"
    else:
        c = None if rate is None else Decimal(rate)
        basis = "指标已达成" if met else "指标未达成"
    how = f"{basis}，{'达成给满分' if met else '未达成不得分'}"
    return _finish(w, ONE if met else ZERO, RULE_DIRECT, c, how)


def _level_share(level: str, shares: Mapping[str, Decimal]) -> Decimal | None:
    text = "".join(level.split()).lstrip("=")
    if text in shares:
        return Decimal(shares[text])
    for key in sorted(shares, key=len, reverse=True):
        if text.startswith(key):
            return Decimal(shares[key])
    return None


def score_level(weight: Decimal, level: str | None, *, rate: Decimal | None = None,
                config: SelfEvalConfig | None = None) -> Score:
    """按评判等级赋分: the share of the weight configured for the judged level.

    A level that is not configured falls back to the completion rate (met → w, share = rate
    otherwise, flagged); with neither a ``RuleError`` is raised.
    """
    cfg = config or SelfEvalConfig()
    w = _check_weight(weight)
    share = _level_share(level, cfg.level_shares) if level else None
    if share is not None:
        how = f"评判等级「{level}」，得分比例 {_num(share * 100)}%"
        return _finish(w, share, RULE_LEVEL, rate, how)
    if rate is None:
        raise RuleError(f"{RULE_LEVEL}：评判等级「{level or ''}」不在等级表中，且没有完成率")
    c = _check_rate(rate, RULE_LEVEL)
    share = min(ONE, c)
    flag = f"评判等级「{level or ''}」不在等级表中，按完成率 {format_percent(c)} 赋分"
    how = f"等级「{level or ''}」未配置，按完成率 {format_percent(c)} 计得分比例 {_num(share * 100)}%"
    return _finish(w, share, RULE_LEVEL, c, how, flags=(flag,))


def score_satisfaction(weight: Decimal, rate: Decimal | None, *, config: SelfEvalConfig | None = None) -> Score:
    """满意度赋分: c ≥ 1 → w; below, the configured policy (default proportional)."""
    cfg = config or SelfEvalConfig()
    w, c = _check_weight(weight), _check_rate(rate, RULE_SATISFACTION)
    pct = format_percent(c)
    if c >= ONE:
        return _finish(w, ONE, RULE_SATISFACTION, c, f"完成率 {pct} ≥ 100%，满意度达到目标给满分")
    policy = cfg.satisfaction_below
    share = {
        "proportional": proportional_share(c) if c <= ONE else ONE,
        "linear": c,
        "full": ONE,
        "zero": ZERO,
    }[policy]
    how = f"完成率 {pct} < 100%，满意度未达到目标，{_SATISFACTION_BELOW_TEXT[policy]}：{_num(w * share)}"
    flag = f"满意度 {pct} 未达到目标值，{_SATISFACTION_BELOW_TEXT[policy]}"
    return _finish(w, share, RULE_SATISFACTION, c, how, flags=(flag,))


def score_budget_execution(rate: Decimal | None, *, weight: Decimal = EXECUTION_WEIGHT,
                           target: Decimal = ONE) -> Score:
    """The 年度资金总额 line: execution rate e ≥ target (default 100 %) → weight; below, the
    proportional rule on e ÷ target."""
    w, e = _check_weight(weight), _check_rate(rate, "预算执行率赋分")
    t = Decimal(target)
    if not t.is_finite() or t <= 0:
        raise RuleError(f"预算执行率目标 {target} 不是正数")
    pct, tpct = format_percent(e), format_percent(t)
    rule = "预算执行率赋分"
    if e >= t:
        flags = (f"执行率 {pct} 超过100%，执行数大于全年预算数",) if e > ONE else ()
        return _finish(w, ONE, rule, e, f"执行率 {pct} ≥ 目标 {tpct}，给满分", flags=flags)
    c = e / t
    share = proportional_share(c)
    if t == ONE:
        how = f"执行率 {pct} < 100%，得分 = 分值 {w} × max(0, 1 − 2.5 × (1 − {pct})) = {_num(w * share)}"
    else:
        how = (f"执行率 {pct} < 目标 {tpct}，完成率 {format_percent(c)}，"
               f"得分 = 分值 {w} × max(0, 1 − 2.5 × (1 − {format_percent(c)})) = {_num(w * share)}")
    return _finish(w, share, rule, e, how)


# --------------------------------------------------------------------------- dispatch

_RULE_ALIASES = {
    RULE_PROPORTIONAL: RULE_PROPORTIONAL,
    "按完成比例赋分": RULE_PROPORTIONAL,
    "按照完成比率赋分": RULE_PROPORTIONAL,
    "按完成比率赋分": RULE_PROPORTIONAL,
    "按比例赋分": RULE_PROPORTIONAL,
    "按照比例赋分": RULE_PROPORTIONAL,
    "完成比例赋分": RULE_PROPORTIONAL,
    RULE_DIRECT: RULE_DIRECT,
    RULE_LEVEL: RULE_LEVEL,
    "按照评判等级赋分": RULE_LEVEL,
    "按评价等级赋分": RULE_LEVEL,
    "评判等级赋分": RULE_LEVEL,
    RULE_SATISFACTION: RULE_SATISFACTION,
    "按满意度赋分": RULE_SATISFACTION,
    "按照满意度赋分": RULE_SATISFACTION,
}


def normalise_rule(text: str | None) -> str | None:
    """The canonical rule name for a 赋分规则 cell; None for an empty cell.

    Raises ``RuleError`` for text that names no known rule.
    """
    if text is None:
        return None
    s = "".join(str(text).split())
    if s in ("", "/", "-", "—"):
        return None
    if s in _RULE_ALIASES:
        return _RULE_ALIASES[s]
    for alias, rule in _RULE_ALIASES.items():
        if alias in s:
            return rule
    raise RuleError(f"赋分规则「{text}」无法识别，可选：{'、'.join(RULES)}")


def states_over_full(text: str | None) -> bool:
    """Whether a 赋分规则 cell says that over-achievement is not penalised (e.g. 「按照完成比例赋分
    （超额不扣分）」); without such words a proportional rule keeps the deviation rule."""
    s = "".join(str(text or "").split())
    return any(w in s for w in _OVER_FULL_WORDS)


def default_rule(*, level1: str | None = None, level2: str | None = None, target_kind: str | None = None) -> str:
    """The rule an indicator takes when its 赋分规则 cell is empty.

    满意度 indicators → 满意度赋分; dates and 时效指标 → 直接赋分; qualitative targets →
    按评判等级赋分; everything else → 按照完成比例赋分.
    """
    names = f"{level1 or ''}{level2 or ''}"
    if "满意度" in names:
        return RULE_SATISFACTION
    if target_kind == "date" or "时效" in names:
        return RULE_DIRECT
    if target_kind == "level":
        return RULE_LEVEL
    return RULE_PROPORTIONAL


def score_indicator(rule: str, weight: Decimal, rate: Decimal | None, *, level: str | None = None,
                    config: SelfEvalConfig | None = None, over_full: bool = False) -> Score:
    """Score one indicator by its (canonical) rule (``over_full``: see ``score_proportional``)."""
    if rule == RULE_PROPORTIONAL:
        return score_proportional(weight, rate, over_full=over_full)
    if rule == RULE_DIRECT:
        return score_direct(weight, rate)
    if rule == RULE_LEVEL:
        return score_level(weight, level, rate=rate, config=config)
    if rule == RULE_SATISFACTION:
        return score_satisfaction(weight, rate, config=config)
    raise RuleError(f"赋分规则「{rule}」无法识别，可选：{'、'.join(RULES)}")


def project_total(indicator_points: Iterable[Decimal], execution_points: Decimal) -> Decimal:
    """Sum of the indicator scores plus the budget-execution score (all already rounded)."""
    return sum((Decimal(p) for p in indicator_points), Decimal(execution_points)).quantize(CENT)


def grade(total: Decimal, bands: Iterable[Decimal] = (Decimal(90), Decimal(80), Decimal(60))) -> str:
    """优 ≥ 90, 良 80 – < 90, 中 60 – < 80, 差 < 60 by default; ``bands`` are the lowest totals of
    优 / 良 / 中 (a table's setting, see ``app.rubric.tablesettings``)."""
    t = Decimal(total)
    for name, low in zip(("优", "良", "中"), bands, strict=False):
        if t >= Decimal(low):
            return name
    return "差"
