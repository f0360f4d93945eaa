"""Read, score and annotate workbooks of 项目支出绩效自评表 (project self-evaluation tables).

Layout (the official one, see the fixtures): one project per sheet; a 项目名称 row; a funds block
whose header row holds 全年预算数 / 全年执行数 / 分值 / 执行率 / 得分 and whose 年度资金总额 row
carries the budget-execution line; an indicator header row found by its labels (三级指标, 权重,
目标值, 业绩值, 完成率, 指标得分, 赋分规则 …); indicator rows with level cells merged downward;
a 总分 row.

Per indicator: the completion rate is computed from target and actual (``rubric.values``); a rate
typed in the sheet is kept and a difference of more than 0.01 percentage point from the computed
one is flagged; the score follows the sheet's rule (an empty rule cell takes the default rule for
the kind of indicator, flagged) and is written into the 指标得分 cell (a different score already
there is replaced and flagged). Per project: the budget-execution score by the rule (a score
already in the sheet is kept, a difference flagged) and the total. Flags and the explanation go
into cell comments of a copy of the workbook.

Typed rates: text "97.86%" is a percent; a number in a cell formatted as percent is a fraction;
any other number above 10 is read as a percent (97.86), 10 or below as a fraction (0.9786, 2).

A sheet that cannot be read gets ``SheetError`` messages naming sheet and cell and is left
unscored; the other sheets are still scored.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from openpyxl.comments import Comment
from openpyxl.utils import get_column_letter

from app.rubric import selfeval as rules
from app.rubric.values import (
    TargetValue,
    ValueParseError,
    completion_rate,
    parse_value,
    units_compatible,
)
from app.sheets.cells import restore_text
from app.sheets.grid import Grid
from app.sheets.safety import (
    DEFAULT_LIMITS,
    Limits,
    UnsafeWorkbook,
    check_worksheet_size,
    check_xlsx,
)

__all__ = [
    "IndicatorResult",
    "ProjectResult",
    "RATE_TOLERANCE",
    "SheetError",
    "WorkbookResult",
    "score_file",
    "score_workbook",
    "write_results",
]

RATE_TOLERANCE = Decimal("0.0001")  # 0.01 percentage point: truncated vs rounded display is no difference
SCAN_ROWS = 60
COMMENT_AUTHOR = "自评表核算"

# Header labels (after removing whitespace). The first of each tuple is the canonical label.
INDICATOR_LABELS: dict[str, tuple[str, ...]] = {
    "level1": ("一级指标",),
    "level2": ("二级指标",),
    "name": ("三级指标", "指标名称"),
    "weight": ("权重", "分值权重", "指标分值", "分值"),
    "target": ("目标值", "年度指标值", "预期指标值", "全年指标值", "指标值"),
    "actual": ("业绩值", "实际完成值", "实际完成指标值", "全年实际值", "实际值", "完成值"),
    "rate": ("完成率", "完成比例"),
    "score": ("指标得分", "得分"),
    "rule": ("赋分规则", "评分规则", "评分标准"),
}
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
    weight: Decimal
    target: TargetValue
    actual: TargetValue
    rule: str
    rule_defaulted: bool
    rate_in_sheet: Decimal | None
    rate_computed: Decimal | None
    rate: Decimal | None
    score: rules.Score
    flags: list[str] = field(default_factory=list)
    rate_cell: str | None = None
    score_cell: str = ""
    rate_flags: list[str] = field(default_factory=list)


@dataclass
class ProjectResult:
    sheet: str
    project: str
    indicators: list[IndicatorResult]
    execution_rate: Decimal | None
    execution_rule: rules.Score
    execution_score: Decimal
    execution_kept: bool
    execution_flags: list[str]
    execution_cell: str
    total: Decimal
    total_cell: str | None
    total_flags: list[str] = field(default_factory=list)

    @property
    def grade(self) -> str:
        return rules.grade(self.total)


@dataclass
class WorkbookResult:
    projects: list[ProjectResult]
    errors: list[SheetError]


class _SheetFailed(Exception):
    pass


# --------------------------------------------------------------------------- reading helpers

def _clean(value: Any) -> str:
    return "" if value is None else re.sub(r"\s+", "", str(value))


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


# --------------------------------------------------------------------------- scoring one sheet

def _score_sheet(ws, values, config: rules.SelfEvalConfig, errors: list[SheetError]) -> ProjectResult:
    title = ws.title
    problems: list[SheetError] = []

    def fail(cell: str | None, message: str) -> None:
        problems.append(SheetError(title, cell, message))

    too_big = check_worksheet_size(ws)
    if too_big:
        errors.append(SheetError(title, None, too_big))
        raise _SheetFailed
    grid = Grid(ws, values)

    header = _find_header(grid, INDICATOR_LABELS, REQUIRED_INDICATOR)
    if header is None:
        last = _coord(min(grid.max_row, SCAN_ROWS), max(grid.max_col, 1))
        errors.append(SheetError(title, f"A1:{last}",
                                 "未找到指标表头行（应有「三级指标」「权重」「目标值」「业绩值」「指标得分」等列），该表未评分"))
        raise _SheetFailed
    hrow, cols = header
    year = _sheet_year(grid)

    where = _find_label_row(grid, "项目名称", 1, hrow, grid.max_col)
    project = _right_value(grid, *where) if where else ""
    project = project or title

    # ---- funds block
    funds = _find_header(grid, FUNDS_LABELS, ("budget", "spent", "score"))
    funds_row = None
    if funds is not None and funds[0] < hrow:
        frow, fcols = funds
        found = _find_label_row(grid, "年度资金总额", frow + 1, hrow - 1, grid.max_col)
        if found:
            funds_row = found[0]
    if funds_row is None:
        fail(None, "未找到项目资金区的「年度资金总额」行（需有全年预算数、全年执行数、得分列），无法计算预算执行率得分")
    else:
        budget = spent = fweight = None
        try:
            budget = _read_number(_raw(grid, funds_row, fcols["budget"]))
        except ValueParseError as exc:
            fail(_coord(funds_row, fcols["budget"]), f"全年预算数不是数字：{exc}")
        try:
            spent = _read_number(_raw(grid, funds_row, fcols["spent"]))
        except ValueParseError as exc:
            fail(_coord(funds_row, fcols["spent"]), f"全年执行数不是数字：{exc}")
        if "weight" in fcols:
            try:
                fweight = _read_number(_raw(grid, funds_row, fcols["weight"]))
            except ValueParseError as exc:
                fail(_coord(funds_row, fcols["weight"]), f"分值不是数字：{exc}")
        fweight = fweight if fweight is not None else config.execution_weight
        rate_typed = None
        if "rate" in fcols:
            try:
                rate_typed = _read_rate(grid, funds_row, fcols["rate"])
            except ValueParseError as exc:
                fail(_coord(funds_row, fcols["rate"]), f"执行率无法识别：{exc}")
        score_cell = _coord(funds_row, fcols["score"])
        try:
            score_typed = _read_number(_raw(grid, funds_row, fcols["score"]))
        except ValueParseError as exc:
            score_typed = None
            fail(score_cell, f"预算执行得分不是数字：{exc}")

    # ---- indicators
    indicators: list[IndicatorResult] = []
    total_row = None
    r = hrow + 1
    label_cols = [c for c in (cols.get("level1"), cols.get("level2"), cols["name"]) if c]
    first_col = min([1, *label_cols])
    carry: tuple[str | None, str | None] = (None, None)
    while r <= grid.max_row:
        row_texts = [_text(grid, r, c) for c in range(first_col, cols["name"] + 1)]
        if any(t in ("总分", "合计", "总计") or t.startswith("总分") for t in row_texts):
            total_row = r
            break
        if _text(grid, r, cols["name"]) == "" and _text(grid, r, cols["weight"]) == "":
            r += 1
            continue
        ind = _read_indicator(ws, grid, r, cols, title, project, year, config, fail, carry)
        if ind is not None:
            indicators.append(ind)
            carry = (ind.level1, ind.level2)
        r += 1

    if not indicators and not problems:
        fail(_coord(hrow + 1, cols["name"]), "表头下没有指标行")
    if problems:
        errors.extend(problems)
        raise _SheetFailed

    # ---- budget execution (only reached when the funds block was read)
    exec_rate_computed = (spent / budget) if (budget and spent is not None) else None
    exec_flags: list[str] = []
    exec_rate = rate_typed if rate_typed is not None else exec_rate_computed
    both = rate_typed is not None and exec_rate_computed is not None
    if both and abs(rate_typed - exec_rate_computed) > RATE_TOLERANCE:
        exec_flags.append(
            f"表中执行率 {_pct(rate_typed)} 与 全年执行数÷全年预算数 = {_pct(exec_rate_computed)} 不一致，"
            "保留表中执行率"
        )
    if exec_rate is None:
        errors.append(SheetError(title, _coord(funds_row, fcols.get("rate", fcols["spent"])),
                                 "执行率为空，且无法由全年执行数÷全年预算数计算，该表未评分"))
        raise _SheetFailed
    exec_rule = rules.score_budget_execution(exec_rate, weight=fweight)
    exec_flags.extend(exec_rule.flags)
    if score_typed is not None:
        exec_score = score_typed
        kept = True
        if score_typed != exec_rule.points:
            exec_flags.append(
                f"表中预算执行得分 {rules.format_points(score_typed)} 与规则计算的 {exec_rule.points} 不一致"
                f"（执行率 {_pct(exec_rate)}），保留表中得分"
            )
    else:
        exec_score = exec_rule.points
        kept = False

    total = rules.project_total((i.score.points for i in indicators), exec_score)
    total_flags: list[str] = []
    total_cell = None
    if total_row is not None:
        total_cell = _coord(total_row, cols["score"])
        try:
            old_total = _read_number(_raw(grid, total_row, cols["score"]))
        except ValueParseError:
            old_total = None
            total_flags.append(f"表中原总分「{_text(grid, total_row, cols['score'])}」不是数字，已替换")
        if old_total is not None and old_total != total:
            total_flags.append(f"表中原总分 {rules.format_points(old_total)} 与计算的 {total} 不一致，已替换")
        weights_sum = sum((i.weight for i in indicators), Decimal(0)) + fweight
        declared = None
        try:
            declared = _read_number(_raw(grid, total_row, cols["weight"]))
        except ValueParseError:
            pass
        if declared is not None and declared != weights_sum:
            total_flags.append(f"各指标权重与预算执行分值之和为 {weights_sum}，与总分行的 {declared} 不一致")
    return ProjectResult(
        sheet=title, project=project, indicators=indicators, execution_rate=exec_rate, execution_rule=exec_rule,
        execution_score=exec_score, execution_kept=kept, execution_flags=exec_flags, execution_cell=score_cell,
        total=total, total_cell=total_cell, total_flags=total_flags,
    )


def _read_indicator(ws, grid: Grid, r: int, cols: dict[str, int], title: str, project: str, year: int | None,
                    config: rules.SelfEvalConfig, fail,
                    carry: tuple[str | None, str | None] = (None, None)) -> IndicatorResult | None:
    ok = True
    level1 = (_filled_text(grid, r, cols["level1"]) or None) if "level1" in cols else None
    level2 = (_filled_text(grid, r, cols["level2"]) or None) if "level2" in cols else None
    name = _filled_text(grid, r, cols["name"])
    # level cells left blank (not merged) below their first row belong to the row above
    level1 = level1 or carry[0]
    level2 = level2 or (carry[1] if level1 == carry[0] else None)
    wcoord = _coord(r, cols["weight"])
    try:
        weight = _read_number(_raw(grid, r, cols["weight"]))
    except ValueParseError as exc:
        fail(wcoord, f"权重不是数字：{exc}")
        return None
    if weight is None or weight < 0:
        fail(wcoord, "权重为空或为负数")
        ok = False
    try:
        target = parse_value(_raw(grid, r, cols["target"]), year=year)
    except ValueParseError as exc:
        fail(_coord(r, cols["target"]), f"目标值{exc}")
        return None
    try:
        actual = parse_value(_raw(grid, r, cols["actual"]), year=year)
    except ValueParseError as exc:
        fail(_coord(r, cols["actual"]), f"业绩值{exc}")
        return None
    if target.kind == "empty":
        fail(_coord(r, cols["target"]), "目标值为空")
        ok = False
    flags: list[str] = []
    rate_flags: list[str] = []

    rule_coord = _coord(r, cols["rule"]) if "rule" in cols else None
    try:
        rule = rules.normalise_rule(_text(grid, r, cols["rule"])) if "rule" in cols else None
    except rules.RuleError as exc:
        fail(rule_coord, str(exc))
        return None
    defaulted = rule is None
    if rule is None:
        rule = rules.default_rule(level1=level1, level2=level2, target_kind=target.kind)
        where = f"（{rule_coord}）" if rule_coord else ""
        flags.append(f"赋分规则为空{where}，按指标类型采用默认规则「{rule}」")

    rate_cell = ws.cell(row=r, column=cols["rate"]) if "rate" in cols else None
    rate_typed = None
    if rate_cell is not None:
        try:
            rate_typed = _read_rate(grid, r, cols["rate"])
        except ValueParseError as exc:
            fail(rate_cell.coordinate, f"完成率{exc}")
            return None
    rate_computed = completion_rate(target, actual) if ok else None
    if target.kind == "quantity" and actual.kind == "quantity" and not units_compatible(target, actual):
        flags.append(f"目标值「{target.text}」与业绩值「{actual.text}」单位不一致，仍按数值计算完成率")
    if target.year_assumed or actual.year_assumed:
        flags.append(f"日期未写年份，按 {year or '当年'} 年理解")
    if rate_typed is not None and rate_computed is not None and abs(rate_typed - rate_computed) > RATE_TOLERANCE:
        msg = f"表中完成率 {_pct(rate_typed)} 与 业绩值÷目标值 = {_pct(rate_computed)} 不一致，保留表中完成率"
        flags.append(msg)
        rate_flags.append(msg)
    rate = rate_typed if rate_typed is not None else rate_computed

    if (rule == rules.RULE_SATISFACTION and target.kind == "quantity" and target.unit == "%"
            and target.quantity is not None and target.quantity >= 100 and target.operator in ("≥", ">", None, "=")):
        flags.append(f"满意度目标值「{target.text}」为100%，实际满意度无法超过，目标设置不合理；"
                     f"业绩值「{actual.text}」低于100%时按方案规则（{config.satisfaction_below}）赋分")

    level = actual.level if actual.kind == "level" else None
    if not ok:
        return None
    if rate is None and not (rule == rules.RULE_LEVEL and level):
        coord = rate_cell.coordinate if rate_cell is not None else _coord(r, cols["actual"])
        fail(coord, f"完成率为空，且无法由目标值「{target.text}」和业绩值「{actual.text}」计算")
        return None
    assert weight is not None
    try:
        # the deviation rule unless the sheet's own rule cell says over-achievement is not penalised
        over_full = "rule" in cols and rules.states_over_full(_text(grid, r, cols["rule"]))
        score = rules.score_indicator(rule, weight, rate, level=level, config=config, over_full=over_full)
    except rules.RuleError as exc:
        fail(_coord(r, cols["score"]), str(exc))
        return None
    flags.extend(score.flags)
    score_coord = _coord(r, cols["score"])
    try:
        old = _read_number(_raw(grid, r, cols["score"]))
    except ValueParseError:
        old = None
    if old is not None and old != score.points:
        flags.append(f"表中原得分 {rules.format_points(old)} 与规则计算的 {score.points} 不一致，已替换")
    return IndicatorResult(
        sheet=title, project=project, row=r, level1=level1, level2=level2, name=name, weight=weight,
        target=target, actual=actual, rule=rule, rule_defaulted=defaulted, rate_in_sheet=rate_typed,
        rate_computed=rate_computed, rate=rate, score=score, flags=flags,
        rate_cell=rate_cell.coordinate if rate_cell is not None else None, score_cell=score_coord,
        rate_flags=rate_flags,
    )


# --------------------------------------------------------------------------- public API

def score_workbook(wb, values_wb=None, *, config: rules.SelfEvalConfig | None = None) -> WorkbookResult:
    """Score every sheet of ``wb`` (loaded with formulas, as written back).

    ``values_wb`` is the same file loaded with ``data_only=True``; it supplies the cached results
    of real formulas (without it such cells are reported as unreadable).
    """
    cfg = config or rules.SelfEvalConfig()
    projects: list[ProjectResult] = []
    errors: list[SheetError] = []
    for ws in wb.worksheets:
        values = values_wb[ws.title] if values_wb is not None and ws.title in values_wb.sheetnames else None
        try:
            projects.append(_score_sheet(ws, values, cfg, errors))
        except _SheetFailed:
            continue
        except Exception as exc:  # one broken sheet must not stop the others
            errors.append(SheetError(ws.title, None, f"读取时出错：{type(exc).__name__}: {exc}"))
    return WorkbookResult(projects=projects, errors=errors)


def _writable(ws, coord: str):
    cell = ws[coord]
    if type(cell).__name__ == "MergedCell":
        for rng in ws.merged_cells.ranges:
            if coord in rng:
                return ws.cell(row=rng.min_row, column=rng.min_col)
    return cell


def _comment(lines: Iterable[str], explanation: str | None = None) -> Comment | None:
    parts = [f"【提示】{line}" for line in lines]
    if not parts:
        return None
    if explanation:
        parts.append(f"【计算】{explanation}")
    text = "\n".join(parts)
    c = Comment(text, COMMENT_AUTHOR)
    c.width = 360
    c.height = 60 + 18 * (len(text) // 24 + len(parts))
    return c


def write_results(wb, result: WorkbookResult) -> None:
    """Write rates, scores, execution scores and totals into ``wb`` (a formula-keeping load)."""
    for p in result.projects:
        ws = wb[p.sheet]
        for ind in p.indicators:
            if ind.rate_cell is not None:
                cell = _writable(ws, ind.rate_cell)
                if ind.rate_in_sheet is None and ind.rate is not None:
                    cell.value = ind.rate
                    cell.number_format = "0.00%"
                if ind.rate_flags:
                    cell.comment = _comment(ind.rate_flags)
            cell = _writable(ws, ind.score_cell)
            cell.value = ind.score.points
            cell.number_format = "0.00"
            cell.comment = _comment(ind.flags, ind.score.explanation)
        cell = _writable(ws, p.execution_cell)
        if not p.execution_kept:
            cell.value = p.execution_score
            cell.number_format = "0.00"
        cell.comment = _comment(p.execution_flags, p.execution_rule.explanation)
        if p.total_cell:
            cell = _writable(ws, p.total_cell)
            cell.value = p.total
            cell.number_format = "0.00"
            cell.comment = _comment(p.total_flags)


def score_file(in_path: str | os.PathLike[str], out_path: str | os.PathLike[str] | None = None, *,
               config: rules.SelfEvalConfig | None = None, limits: Limits = DEFAULT_LIMITS) -> WorkbookResult:
    """Check, load, score and (when ``out_path`` is given) write an annotated copy.

    Raises ``UnsafeWorkbook`` when the file itself cannot be opened.
    """
    import openpyxl

    data = check_xlsx(in_path, limits=limits)
    try:
        formulas = openpyxl.load_workbook(io.BytesIO(data))
        values = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    except Exception as exc:
        raise UnsafeWorkbook(f"工作簿无法读取：{type(exc).__name__}: {exc}") from exc
    result = score_workbook(formulas, values, config=config)
    if out_path is not None:
        write_results(formulas, result)
        formulas.save(out_path)
    return result
