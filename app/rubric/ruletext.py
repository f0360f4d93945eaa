"""Scoring texts typed in a target table's 评分规则 column, read as rules of the existing types.

Pure module: no Flask, no database, no openpyxl.

``parse_rule_text`` understands three forms (numbers, units and words vary):

* 「每降低1%扣1分」「每减少5%扣2分」「每低1个百分点扣0.5分」 → ``shortfall_deduction`` (缺额扣分, as in
  ``rubric.rules.tiers.ShortfallDeduction``): full marks when the target is met, otherwise minus
  ``per_step`` for every complete ``step_percent`` % the actual falls short of the target, not below 0;
* 「每超出10天扣1分」「每超过1次扣2分」「每延迟5天扣1分」 → ``deduction_per_occurrence`` (按次扣分, as in
  ``rubric.rules.deductions.DeductionPerOccurrence``): each complete ``step`` beyond the target (days
  after a deadline, or the quantity above a ceiling) is one occurrence costing ``per``;
* 「较大得10分，一般得6分，较小得2分」 → ``judged`` (评判等级): the points of the level the actual names,
  capped at the row's weight.

``score_rule_text`` scores a row by such a rule; the rounding is ``selfeval``'s (to 0.01).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from app.rubric import selfeval
from app.rubric.values import TargetValue, normalized_quantity

__all__ = ["RuleText", "parse_rule_text", "score_rule_text"]

_NUM = r"(\d+(?:\.\d+)?)"
_SHORT = re.compile(rf"每(?:降低|减少|下降|低于目标|低|少|缺额|未完成){_NUM}\s*(%|％|个百分点)扣{_NUM}分")
_OVER = re.compile(rf"每(?:超出|超过|超|延迟|延期|逾期|推迟|多){_NUM}\s*([^\d扣，,。；;]{{0,4}})扣{_NUM}分")
_LEVEL = re.compile(rf"([^\d，,。；;：:、]{{1,8}}?)(?:的)?得{_NUM}分")
_LABELS = {"shortfall_deduction": "缺额扣分", "deduction_per_occurrence": "按次扣分", "judged": "评判等级"}


@dataclass(frozen=True)
class RuleText:
    """A scoring text understood as a rule of an existing type, with its parameters."""

    type: str
    text: str
    step: Decimal = Decimal(0)
    per: Decimal = Decimal(0)
    unit: str = ""
    levels: tuple[tuple[str, Decimal], ...] = ()

    @property
    def label(self) -> str:
        return _LABELS[self.type]

    def describe(self) -> str:
        if self.type == "shortfall_deduction":
            return f"缺额扣分：每低于目标 {self.step}% 扣 {self.per} 分，扣完为止"
        if self.type == "deduction_per_occurrence":
            return f"按次扣分：每超出目标 {self.step}{self.unit} 扣 {self.per} 分，扣完为止"
        return "评判等级：" + "，".join(f"{lv} {pts} 分" for lv, pts in self.levels)


def parse_rule_text(text: str | None) -> RuleText | None:
    """The rule a scoring text states, or None when it is not one of the forms above."""
    if not text:
        return None
    s = "".join(str(text).split())
    m = _SHORT.search(s)
    if m:
        return RuleText("shortfall_deduction", s, step=Decimal(m.group(1)), per=Decimal(m.group(3)))
    m = _OVER.search(s)
    if m:
        return RuleText("deduction_per_occurrence", s, step=Decimal(m.group(1)), per=Decimal(m.group(3)),
                        unit=m.group(2))
    parts = [p for p in re.split(r"[，,；;。、]", s) if p]
    levels = []
    for p in parts:
        lm = _LEVEL.fullmatch(p)
        if not lm:
            levels = []
            break
        levels.append((lm.group(1), Decimal(lm.group(2))))
    if len(levels) >= 2:
        return RuleText("judged", s, levels=tuple(levels))
    return None


def _excess(target: TargetValue, actual: TargetValue) -> Decimal | None:
    """How far an actual is beyond its target: days after a deadline, or the amount above a ceiling."""
    if target.kind == "date" and actual.kind == "date" and target.date and actual.date:
        end = target.date_end or target.date
        return Decimal(max(0, (actual.date - end).days))
    nt, na = normalized_quantity(target), normalized_quantity(actual)
    if nt is None or na is None:
        return None
    return max(Decimal(0), na[0] - nt[0])


def score_rule_text(rule: RuleText, weight: Decimal, target: TargetValue | None, actual: TargetValue,
                    rate: Decimal | None) -> selfeval.Score:
    """Score one row by a scoring text's rule. Raises ``selfeval.RuleError`` when it cannot decide."""
    w = selfeval.round_points(Decimal(weight))
    label = f"{rule.label}（{rule.text}）"
    if rule.type == "shortfall_deduction":
        if rate is None:
            raise selfeval.RuleError(f"{label}需要完成率，但完成率无法确定")
        short = max(Decimal(0), (1 - rate) * 100)
        steps = (short / rule.step).to_integral_value(rounding=ROUND_FLOOR)
        lost = min(w, steps * rule.per)
        how = (f"完成率 {selfeval.format_percent(rate)}，低于目标 {selfeval.format_percent(short / 100)}，"
               f"{steps} 档，扣 {lost}")
    elif rule.type == "deduction_per_occurrence":
        excess = _excess(target, actual) if target is not None else None
        if excess is None:
            raise selfeval.RuleError(f"{label}无法由目标值和实际值算出超出多少")
        steps = (excess / rule.step).to_integral_value(rounding=ROUND_FLOOR)
        lost = min(w, steps * rule.per)
        how = f"超出目标 {excess}{rule.unit}，{steps} 次，扣 {lost}"
    else:
        word = "".join((actual.level or actual.text or "").split()).lstrip("=")
        found = next(((lv, pts) for lv, pts in rule.levels if word.startswith(lv) or lv in word), None)
        if found is None:
            names = "、".join(lv for lv, _ in rule.levels)
            raise selfeval.RuleError(f"{label}：实际值「{actual.text}」不是其中的等级（{names}）")
        pts = min(w, found[1])
        lost = w - pts
        how = f"等级「{found[0]}」得 {found[1]} 分" + ("（以权重封顶）" if found[1] > w else "")
    points = selfeval.round_points(max(Decimal(0), w - lost))
    return selfeval.Score(points=points, weight=w, rule=label, rate=rate,
                          explanation=f"{label}：{how}，得分 {points}（权重 {w}）")
