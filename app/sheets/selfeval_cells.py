"""The cells of a 项目支出绩效自评表: the header labels, the result types and the reading helpers
(numbers, rates, labels, header rows) that :mod:`app.sheets.selfeval` scores sheets with.

Split from :mod:`app.sheets.selfeval` (reading cells is one seam, scoring and annotating another)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from openpyxl.utils import get_column_letter

from app.rubric import selfeval as rules
from app.rubric.values import (
    TargetValue,
    ValueParseError,
    parse_value,
    strip_markup,
)
from app.sheets.cells import restore_text
from app.sheets.grid import Grid

RATE_TOLERANCE = Decimal("0.0001")  # 0.01 percentage point: truncated vs rounded display is no difference
SCAN_ROWS = 60
COMMENT_AUTHOR = "自评表核算"
CONVENTIONS_SHEET = "核算口径"  # written on the output: the conventions used

# Header labels (after removing whitespace). The first of each tuple is the canonical label.
INDICATOR_LABELS: dict[str, tuple[str, ...]] = {
    "level1": ("一级指标",),
    "level2": ("二级指标",),
    "name": ("三级指标", "指标名称"),
    "weight": ("权重", "分值权重", "分值（权重）", "分值(权重)", "指标分值", "参考分值", "标准分值", "分值"),
    "target": ("目标值", "年度指标值", "预算设定指标值", "计划指标值", "预期指标值", "全年指标值", "年初目标值",
               "指标值"),
    "actual": ("业绩值", "实际完成值", "实际完成指标值", "项目完成指标值", "全年实际值", "全年实际完成值", "实际值",
               "完成值"),
    "rate": ("完成率", "完成比例"),
    "score": ("指标得分", "得分"),
    "rule": ("赋分规则", "评分规则", "评分标准"),
    "nature": ("指标性质", "指标方向", "指标值性质"),
    "unit": ("度量单位", "计量单位", "指标单位"),
    "deviation": ("偏差原因分析及改进措施", "偏差原因分析", "偏差原因", "未完成原因分析"),
}
FIELD_NAMES = {"level1": "一级指标", "level2": "二级指标", "name": "三级指标", "weight": "权重", "target": "目标值",
               "actual": "业绩值", "rate": "完成率", "score": "得分", "rule": "赋分规则"}
REQUIRED_INDICATOR = ("name", "weight", "target", "actual", "score")
FUNDS_LABELS: dict[str, tuple[str, ...]] = {
    "budget": ("全年预算数",),
    "spent": ("全年执行数",),
    "weight": ("分值", "分值权重", "权重"),
    "rate": ("执行率",),
    "score": ("得分",),
}


@dataclass(frozen=True)
class SheetError:
    sheet: str
    cell: str | None
    message: str

    def __str__(self) -> str:
        where = f"工作表「{self.sheet}」" + (f"单元格 {self.cell}" if self.cell else "")
        return f"{where}：{self.message}"


@dataclass
class IndicatorResult:
    sheet: str
    project: str
    row: int
    level1: str | None
    level2: str | None
    name: str
    weight: Decimal | None  # None: unreadable (the row is then unscored)
    target: TargetValue | None  # None: unreadable (flagged)
    actual: TargetValue | None
    rule: str
    rule_defaulted: bool
    rate_in_sheet: Decimal | None
    rate_computed: Decimal | None
    rate: Decimal | None
    score: rules.Score | None  # None: unscored, ``unscored`` says why
    flags: list[str] = field(default_factory=list)
    rate_cell: str | None = None
    score_cell: str = ""
    rate_flags: list[str] = field(default_factory=list)
    cell_notes: dict[str, list[str]] = field(default_factory=dict)  # coordinate -> what was wrong there
    unscored: str | None = None
    judged: bool = False  # a 项目决策 / 项目管理 row scored by a person


@dataclass
class ProjectResult:
    sheet: str
    project: str
    indicators: list[IndicatorResult]
    execution_rate: Decimal | None
    execution_rule: rules.Score | None
    execution_score: Decimal | None  # None: no budget block / no rate (flagged, total provisional)
    execution_kept: bool
    execution_flags: list[str]
    execution_cell: str | None
    total: Decimal
    total_cell: str | None
    total_flags: list[str] = field(default_factory=list)
    provisional: list[str] = field(default_factory=list)  # why the total is provisional (empty: final)

    @property
    def grade(self) -> str:
        return rules.grade(self.total)


@dataclass
class WorkbookResult:
    projects: list[ProjectResult]
    errors: list[SheetError]  # sheets refused (nothing in them could be used)
    notices: list[SheetError] = field(default_factory=list)  # cells that could not be read; the sheet is scored
    conventions: list[str] = field(default_factory=list)  # the readings used (SelfEvalConfig.describe)


class _SheetFailed(Exception):
    pass


# --------------------------------------------------------------------------- reading helpers

def _clean(value: Any) -> str:
    return "" if value is None else re.sub(r"\s+", "", strip_markup(str(value))[0])


_REAL_FORMULA = re.compile(r"[A-Za-z]\$?\d|\(|!")


def _is_typed_text(text: str) -> bool:
    """Whether a "formula" is really a typed value ("=100%", "=13套"), not Excel arithmetic."""
    if _REAL_FORMULA.search(text[1:]):
        return False
    try:
        parse_value(text)
    except ValueParseError:
        return False
    return True


def _raw(grid: Grid, row: int, col: int) -> Any:
    """A cell's value for reading. Reporters type values like "=100%" or "=13套" which openpyxl
    (and some exports) store as formulas: a "formula" without cell references or brackets that
    reads as an indicator value is taken as the typed text; a real formula (=E12/F12, =SUM(…),
    =4+5) gives its cached value (``grid.values``)."""
    cell = grid.ws.cell(row=row, column=col)
    v = restore_text(cell.value)
    if cell.data_type != "f" and not (isinstance(v, str) and v.startswith("=")):
        return v
    text = v if isinstance(v, str) else str(getattr(v, "text", v) or "")
    if not text.startswith("="):
        text = "=" + text
    if _is_typed_text(text):
        return text
    cached = grid.cached(row, col)
    if cached is None:
        raise ValueParseError(text, "是公式但没有缓存的计算结果，请在 Excel 中打开、重新计算并保存后重试")
    return cached


def _text(grid: Grid, row: int, col: int) -> str:
    """Whitespace-free text of a cell for label matching; never raises."""
    try:
        return _clean(_raw(grid, row, col))
    except ValueParseError:
        return _clean(grid.ws.cell(row=row, column=col).value)


def _filled_text(grid: Grid, row: int, col: int) -> str:
    """Like ``_text``, with merged ranges read as their top-left cell."""
    return _text(grid, *grid.origin(row, col))


def _coord(row: int, col: int) -> str:
    return f"{get_column_letter(col)}{row}"


def _match_label(text: str, labels: tuple[str, ...]) -> bool:
    return any(text == lab or (text.startswith(lab) and len(text) <= len(lab) + 6) for lab in labels)


def _find_header(grid: Grid, labels: dict[str, tuple[str, ...]], must: tuple[str, ...],
                 start: int = 1) -> tuple[int, dict[str, int]] | None:
    def field_of(r: int, c: int, found: dict[str, int]) -> str | None:
        text = _text(grid, r, c)
        if text:
            for key, labs in labels.items():
                if key not in found and _match_label(text, labs):
                    return key
        return None

    for r in range(start, min(grid.max_row, start + SCAN_ROWS) + 1):
        cols = grid.label_columns(r, field_of)
        if all(k in cols for k in must):
            return r, cols
    return None


def _read_number(value: Any) -> Decimal | None:
    """A plain number from a cell ('1,023.86', 10, '89.62分'); None when empty."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueParseError(value, "不是数字")
    if isinstance(value, int | float | Decimal):
        return parse_value(value).quantity
    text = _clean(value)
    if text in ("", "/", "-", "—"):
        return None
    text = text.removesuffix("分")
    try:
        return Decimal(text.replace(",", ""))
    except InvalidOperation as exc:
        raise ValueParseError(value, "不是数字") from exc


def _read_rate(grid: Grid, row: int, col: int) -> Decimal | None:
    """A typed completion/execution rate as a fraction (see the module docstring)."""
    value = _raw(grid, row, col)
    if value is None:
        return None
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        number = parse_value(value).quantity
        assert number is not None
        if "%" in grid.number_format(row, col):
            return number
        return number / 100 if number > 10 else number
    text = _clean(value)
    if text in ("", "/", "-", "—"):
        return None
    v = parse_value(text)
    if v.kind != "quantity" or v.quantity is None or (v.unit not in (None, "%")) or v.quantity < 0:
        raise ValueParseError(value, "完成率应为百分数，如 97.86%")
    if v.unit == "%":
        return v.quantity / 100
    return v.quantity / 100 if v.quantity > 10 else v.quantity


def _sheet_year(grid: Grid) -> int | None:
    for r in range(1, min(grid.max_row, 6) + 1):
        for c in range(1, grid.max_col + 1):
            m = re.search(r"(\d{4})年度", _text(grid, r, c))
            if m:
                return int(m.group(1))
    return None


def _find_label_row(grid: Grid, label: str, start: int, stop: int, max_col: int) -> tuple[int, int] | None:
    for r in range(start, stop + 1):
        for c in range(1, max_col + 1):
            if _text(grid, r, c).startswith(label):
                return r, c
    return None


def _right_value(grid: Grid, row: int, col: int) -> str:
    for c in range(col + 1, grid.max_col + 1):
        text = _text(grid, row, c)
        if text:
            return text
    return ""


def _pct(rate: Decimal | None) -> str:
    return rules.format_percent(rate)
