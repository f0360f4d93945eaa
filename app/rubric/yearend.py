"""The year-end score of a target table: indicators, the budget execution line, the overall score.

Pure module: no Flask, no database, no openpyxl. One function, ``score_year_end``, used by the
page, the CLI, the report and the exported self-evaluation sheet, so they agree.

Budget execution is scored once. The line's rate is the budget line's (全年执行数 ÷ 全年预算数)
when it is entered; otherwise, in the overall scoring, the actual of the table's own 预算执行率
indicator. When the line scores execution, that indicator is listed but not scored again
(weight 0, "计入预算执行率一栏"). The line's target is the indicator's own full-year target when
the table has one in per cent (e.g. ≥95%), otherwise the table's ``execution_target`` setting
(default 100 %).

Scoring ``"indicators"``: the indicators share 100 points; with the budget line they share
``100 − execution_weight`` and the line scores the rest. Scoring ``"overall"``: see
``app.rubric.tablesettings`` (the three dimensions; the indicators count through 绩效目标完成率).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from app.rubric import selfeval
from app.rubric.tablesettings import Deduction, OverallScore, TableSettings, score_overall
from app.rubric.targets import TOTAL_POINTS, TableScore, TargetTable, as_value, execution_row, score_table
from app.rubric.values import ValueParseError

__all__ = ["YearEndScore", "execution_target", "score_year_end"]

EXCLUDED_REASON = "计入预算执行率一栏，不重复计分"


@dataclass(frozen=True)
class YearEndScore:
    score: TableScore  # the indicators
    execution: selfeval.Score | None  # the budget execution line, when its rate is known
    execution_source: str | None  # "budget" (the budget line) | "indicator" (the table's 预算执行率 row)
    execution_target: Decimal
    overall: OverallScore | None  # the three dimensions (scoring "overall")
    total: Decimal
    grade: str
    settings: TableSettings

    @property
    def max_points(self) -> Decimal:
        if self.overall is not None:
            return sum((d.points for d in self.overall.dimensions), Decimal(0)).quantize(Decimal("0.01"))
        extra = self.execution.weight if self.execution else Decimal(0)
        return (self.score.max_points + extra).quantize(Decimal("0.01"))


def execution_target(table: TargetTable, settings: TableSettings) -> Decimal:
    """The execution line's target: the 预算执行率 indicator's full-year % target, else the setting."""
    row = execution_row(table)
    v = row.full_year if row is not None else None
    if v is not None and v.kind == "quantity" and v.unit == "%" and v.quantity and v.quantity > 0:
        return v.quantity / 100
    return Decimal(settings.execution_target)


def _indicator_rate(table: TargetTable, actuals: Mapping[int, object]) -> Decimal | None:
    row = execution_row(table)
    if row is None:
        return None
    try:
        v = as_value(actuals.get(row.position), year=table.year)
    except ValueParseError:
        return None
    if v is None or v.kind != "quantity" or v.unit != "%" or v.quantity is None or v.quantity < 0:
        return None
    return v.quantity / 100


def score_year_end(table: TargetTable, actuals: Mapping[int, object], *, settings: TableSettings,
                   budget_rate: Decimal | None = None, budget_line: bool = False,
                   deductions: Iterable[Deduction] = ()) -> YearEndScore:
    """The year-end score. ``budget_rate``: 全年执行数 ÷ 全年预算数 when entered; ``budget_line``:
    reserve the line's points even without a rate (the layout of the 项目支出绩效自评表)."""
    row = execution_row(table)
    target = execution_target(table, settings)
    rate, source = budget_rate, ("budget" if budget_rate is not None else None)
    if rate is None and settings.scoring == "overall":
        rate = _indicator_rate(table, actuals)
        source = "indicator" if rate is not None else None
    exclude = {row.position} if row is not None and source is not None else set()
    execution = None
    if rate is not None:
        execution = selfeval.score_budget_execution(rate, weight=settings.execution_weight, target=target)
    if settings.scoring == "overall":
        score = score_table(table, actuals, settings=settings, exclude=exclude, exclude_reason=EXCLUDED_REASON)
        overall = score_overall(settings, attainment=score.attainment,
                                execution=(execution.points, execution.explanation) if execution else None,
                                deductions=deductions)
        return YearEndScore(score, execution, source, target, overall, overall.total, overall.grade, settings)
    if source == "budget" or budget_line:
        pool = TOTAL_POINTS - Decimal(settings.execution_weight)
        score = score_table(table, actuals, settings=settings, pool=pool, exclude=exclude,
                            exclude_reason=EXCLUDED_REASON)
        total = selfeval.project_total((r.points for r in score.rows), execution.points if execution else 0)
    else:
        score = score_table(table, actuals, settings=settings)
        total = score.total
    return YearEndScore(score, execution, source, target, None, total, settings.grade(total), settings)
