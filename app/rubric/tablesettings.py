"""Settings of one target table's judging and year-end scoring, and the overall (部门整体) score.

Pure module: no Flask, no database, no openpyxl.

``TableSettings`` holds the choices the sources leave to the office, each with its default:

* ``overachievement`` — what an actual beyond its target does to the score:
  ``"met"`` (达到目标即得满分): reaching a ``≥`` / bare target, or staying within a ``≤`` ceiling,
  is met and gets full marks however far it goes. This is the rule of overall department tables
  (部门整体): the Jiangmen 2022 self-evaluation publishes 99.75 with many indicators exceeded.
  ``"deviation"`` (偏差扣分): the project self-evaluation rule of 按照完成比例赋分 — a rate above
  100 % costs points one for one (a badly set target), as the changji 2024 project sheets state.
  Default: ``"met"`` for a unit's own table, ``"deviation"`` for a project's table. A row may
  override it (``TargetRow.overachievement``).
* ``amber_from`` — below the target a row is amber (略低于目标) from this completion rate, red
  (明显落后) below it; 达标 (green) only when the target is met. Default 85 %.
* ``grade_bands`` — the lowest totals of 优 / 良 / 中 (below the last: 差). Default 90 / 80 / 60:
  the seeds give a result (Jiangmen: 99.75 → 优), not the bands; these are the common national
  budget-performance practice (财预〔2020〕10号 项目支出绩效评价管理办法: 优 90–100, 良 80–90,
  中 60–80, 差 < 60).
* ``execution_target`` / ``execution_weight`` — the budget execution line (预算执行率): its target
  (default 100 %) and its points (default 10, as in the 项目支出绩效自评表).
* ``scoring`` — ``"indicators"``: the year-end total is the indicators' score (100 points, or 90
  plus the 10-point budget line once the budget is entered). ``"overall"``: the 部门整体支出
  self-evaluation of the Jiangmen document, three dimensions 预算编制 / 预算执行 / 资金使用绩效
  (``dimensions``, their points a setting). Each dimension starts at its points and loses what the
  unit's self-evaluation deducts (with a reason); two lines are computed rather than judged:
  预算执行率 inside 预算执行 (``execution_weight`` points, from the budget line or the table's own
  预算执行率 indicator) and 绩效目标完成率 inside 资金使用绩效 (``attainment_points``, scored as the
  share of the indicators' weight whose target was met). With the Jiangmen indicators and actuals
  (19 of 20 met, nothing deducted) this gives 100 − 5 × 1/20 = 99.75, 优, as published.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from app.rubric import selfeval

__all__ = [
    "DEFAULT_DIMENSIONS",
    "DEFAULT_GRADE_BANDS",
    "GRADES",
    "OVERACHIEVEMENT",
    "OVER_DEVIATION",
    "OVER_MET",
    "SCORING",
    "Deduction",
    "Dimension",
    "DimensionScore",
    "OverallScore",
    "SettingsError",
    "TableSettings",
    "score_overall",
]

OVER_MET = "met"
OVER_DEVIATION = "deviation"
OVERACHIEVEMENT = {
    OVER_MET: "达到目标即得满分（超额完成不扣分）",
    OVER_DEVIATION: "偏差扣分（完成率超过100%的部分按偏差扣分）",
}
SCORING = {
    "indicators": "按绩效指标计分（指标 100 分；录入预算后指标 90 分 + 预算执行 10 分）",
    "overall": "部门整体支出自评（预算编制、预算执行、资金使用绩效三个维度）",
}
GRADES = ("优", "良", "中", "差")
DEFAULT_GRADE_BANDS = (Decimal(90), Decimal(80), Decimal(60))
CENT = Decimal("0.01")


class SettingsError(ValueError):
    """A setting that cannot be used (Chinese message)."""


@dataclass(frozen=True)
class Dimension:
    key: str
    name: str
    points: Decimal


# The three dimensions the Jiangmen document scores (预算编制、预算执行、资金使用绩效).
DEFAULT_DIMENSIONS = (
    Dimension("budgeting", "预算编制", Decimal(20)),
    Dimension("execution", "预算执行", Decimal(30)),
    Dimension("performance", "资金使用绩效", Decimal(50)),
)


def _dec(value: object, label: str, *, low: Decimal = Decimal(0), high: Decimal = Decimal(1000)) -> Decimal:
    try:
        d = Decimal(str(value).strip().rstrip("%").strip())
    except (InvalidOperation, AttributeError):
        raise SettingsError(f"{label}「{value}」不是数字") from None
    if not d.is_finite() or not low <= d <= high:
        raise SettingsError(f"{label}「{value}」应在 {low} 到 {high} 之间")
    return d


@dataclass(frozen=True)
class TableSettings:
    overachievement: str = OVER_MET
    amber_from: Decimal = Decimal("0.85")
    grade_bands: tuple[Decimal, Decimal, Decimal] = DEFAULT_GRADE_BANDS
    execution_target: Decimal = Decimal(1)
    execution_weight: Decimal = Decimal(10)
    scoring: str = "indicators"
    dimensions: tuple[Dimension, ...] = DEFAULT_DIMENSIONS
    attainment_points: Decimal = Decimal(5)

    def __post_init__(self) -> None:
        if self.overachievement not in OVERACHIEVEMENT:
            raise SettingsError(
                f"超额完成的处理方式「{self.overachievement}」不存在，可选：{'、'.join(OVERACHIEVEMENT)}"
            )
        if self.scoring not in SCORING:
            raise SettingsError(f"计分方式「{self.scoring}」不存在，可选：{'、'.join(SCORING)}")
        if not Decimal(0) < Decimal(self.amber_from) < Decimal(1):
            raise SettingsError("「略低于目标」的下限应在 0% 到 100% 之间（不含）")
        bands = tuple(Decimal(b) for b in self.grade_bands)
        if len(bands) != 3 or not (100 >= bands[0] > bands[1] > bands[2] >= 0):
            raise SettingsError("等级分数线应为 优 > 良 > 中，且在 0 到 100 之间")
        if Decimal(self.execution_target) <= 0:
            raise SettingsError("预算执行率目标应大于 0")
        if self.scoring == "overall":
            total = sum((d.points for d in self.dimensions), Decimal(0))
            if total != 100:
                raise SettingsError(f"三个维度的分值合计 {total}，应为 100")
            by_key = {d.key: d for d in self.dimensions}
            if by_key.get("execution") and by_key["execution"].points < self.execution_weight:
                raise SettingsError("预算执行维度的分值小于预算执行率一栏的分值")
            if by_key.get("performance") and by_key["performance"].points < self.attainment_points:
                raise SettingsError("资金使用绩效维度的分值小于绩效目标完成率一栏的分值")

    @classmethod
    def defaults(cls, *, project: bool = False) -> TableSettings:
        """The defaults of a unit's own table (``project=False``) or a project's table."""
        return cls(overachievement=OVER_DEVIATION if project else OVER_MET)

    def grade(self, total: Decimal) -> str:
        """优 / 良 / 中 / 差 by ``grade_bands`` (``selfeval.grade``)."""
        return selfeval.grade(total, self.grade_bands)

    def to_dict(self) -> dict[str, Any]:
        return {
            "overachievement": self.overachievement,
            "amber_from": str(self.amber_from),
            "grade_bands": [str(b) for b in self.grade_bands],
            "execution_target": str(self.execution_target),
            "execution_weight": str(self.execution_weight),
            "scoring": self.scoring,
            "dimensions": [{"key": d.key, "name": d.name, "points": str(d.points)} for d in self.dimensions],
            "attainment_points": str(self.attainment_points),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None, *, project: bool = False) -> TableSettings:
        """Settings from stored or submitted data; missing keys take the defaults. Raises
        ``SettingsError`` with a Chinese message for a value that cannot be used."""
        base = cls.defaults(project=project)
        data = data or {}
        kw: dict[str, Any] = {}
        if data.get("overachievement"):
            kw["overachievement"] = data["overachievement"]
        if data.get("scoring"):
            kw["scoring"] = data["scoring"]
        if data.get("amber_from") not in (None, ""):
            kw["amber_from"] = _dec(data["amber_from"], "「略低于目标」的下限", high=Decimal(1))
        if data.get("grade_bands"):
            kw["grade_bands"] = tuple(_dec(b, "等级分数线", high=Decimal(100)) for b in data["grade_bands"])
        if data.get("execution_target") not in (None, ""):
            kw["execution_target"] = _dec(data["execution_target"], "预算执行率目标", high=Decimal(2))
        if data.get("execution_weight") not in (None, ""):
            kw["execution_weight"] = _dec(data["execution_weight"], "预算执行率分值", high=Decimal(100))
        if data.get("attainment_points") not in (None, ""):
            kw["attainment_points"] = _dec(data["attainment_points"], "绩效目标完成率分值", high=Decimal(100))
        if data.get("dimensions"):
            names = {d.key: d.name for d in base.dimensions}
            dims = []
            for d in data["dimensions"]:
                if d.get("key") not in names:
                    raise SettingsError(f"维度「{d.get('key')}」不存在")
                dims.append(Dimension(d["key"], d.get("name") or names[d["key"]],
                                      _dec(d.get("points"), f"{names[d['key']]}分值", high=Decimal(100))))
            kw["dimensions"] = tuple(dims)
        return cls(**{**base.__dict__, **kw})


# --------------------------------------------------------------------------- the overall score

@dataclass(frozen=True)
class Deduction:
    """Points the unit's self-evaluation takes off a dimension, with the reason."""

    dimension: str
    points: Decimal
    reason: str


@dataclass(frozen=True)
class DimensionScore:
    key: str
    name: str
    points: Decimal  # the dimension's full points
    score: Decimal
    lines: tuple[tuple[str, Decimal, Decimal, str], ...]  # (label, points, score, explanation)
    deductions: tuple[Deduction, ...] = ()


@dataclass(frozen=True)
class OverallScore:
    dimensions: tuple[DimensionScore, ...]
    total: Decimal
    grade: str
    flags: tuple[str, ...] = field(default=())


def _q(d: Decimal) -> Decimal:
    return Decimal(d).quantize(CENT, rounding=ROUND_HALF_UP)


def score_overall(settings: TableSettings, *, attainment: tuple[Decimal, Decimal, int, int],
                  execution: tuple[Decimal, str] | None,
                  deductions: Iterable[Deduction] = ()) -> OverallScore:
    """The 部门整体支出 self-evaluation total of ``settings.dimensions``.

    ``attainment`` is (weight of the indicators met, weight of all indicators, rows met, rows):
    绩效目标完成率 scores ``attainment_points`` × the first ÷ the second. ``execution`` is (the
    execution line's score, its explanation) when the execution rate is known; without it the
    预算执行率 line is judged with the rest of its dimension. ``deductions`` come off their
    dimension (never below what the computed lines leave).
    """
    met_w, all_w, met_n, all_n = attainment
    ded = list(deductions)
    out = []
    flags = []
    for d in settings.dimensions:
        lines: list[tuple[str, Decimal, Decimal, str]] = []
        computed_points = Decimal(0)
        computed_score = Decimal(0)
        if d.key == "execution" and execution is not None:
            pts, how = execution
            w = Decimal(settings.execution_weight)
            lines.append(("预算执行率", w, _q(pts), how))
            computed_points, computed_score = w, _q(pts)
        if d.key == "performance":
            w = Decimal(settings.attainment_points)
            share = Decimal(1) if all_w == 0 else Decimal(met_w) / Decimal(all_w)
            s = _q(w * share)
            how = (f"绩效目标完成率：达成 {met_n} / {all_n} 项指标（按权重 {_q(met_w)} / {_q(all_w)}），"
                   f"得分 = {w} × {_q(share * 100)}% = {s}")
            lines.append(("绩效目标完成率", w, s, how))
            computed_points, computed_score = w, s
        judged = Decimal(d.points) - computed_points
        mine = [x for x in ded if x.dimension == d.key]
        taken = sum((Decimal(x.points) for x in mine), Decimal(0))
        if taken > judged:
            flags.append(f"{d.name}的扣分 {_q(taken)} 超过可扣分值 {_q(judged)}，按 {_q(judged)} 计")
            taken = judged
        lines.insert(0, (f"{d.name}（其他评价要点）", _q(judged), _q(judged - taken),
                         "无扣分" if not taken else "；".join(f"{x.reason}扣 {_q(x.points)} 分" for x in mine)))
        out.append(DimensionScore(d.key, d.name, _q(d.points), _q(judged - taken + computed_score), tuple(lines),
                                  tuple(mine)))
    total = _q(sum((x.score for x in out), Decimal(0)))
    return OverallScore(tuple(out), total, settings.grade(total), tuple(flags))
