"""Excel out for budget-performance target tables (绩效目标表); the reader is ``.reader``.

``write_target_workbook(table)`` writes a table in the source layout: title and year lines, what
stood above the header (``table.preamble``: 单位名称, 资金总额, the 收入 block, 项目支出 lines,
单位主要职能, 年度目标 … at their columns, merged as they were), then each section under its own
header row with its own columns (the Changzhou table's 履职 section has 重点工作), merged level
cells, borders, widths. Reading it back gives the same table.

``write_selfeval_sheet(table, actuals)`` writes the year-end 项目支出绩效自评表 (the layout of
../shared/fixtures/selfeval_2024_blank.xlsx: title, 项目名称 / 主管部门 / 实施单位, the 项目资金
block with the 年度资金总额 line, 年度总体目标, the indicator header 一级指标 … 偏差原因分析及改进措施
with level columns merged downward, and the 总分 line).
"""

from __future__ import annotations

import copy
import io
import weakref
from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell.cell import Cell, MergedCell
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.worksheet.cell_range import CellRange
from openpyxl.worksheet.merge import MergedCellRange
from openpyxl.worksheet.worksheet import Worksheet

from app.rubric import selfeval
from app.rubric.tablesettings import OVER_MET, TableSettings
from app.rubric.targets import TableScore, TargetRow, TargetTable, overachievement_of
from app.rubric.values import TargetValue
from app.rubric.yearend import score_year_end
from app.sheets.cells import put

from .reader import FUNCTION_PREFIX, META_LABELS

__all__ = ["SELFEVAL_HEADER", "write_projects_workbook", "write_selfeval_sheet", "write_target_workbook"]


_THIN = Side(style="thin")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
_LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)
_BOLD = Font(bold=True)


# Styles by what they were made from, per workbook: openpyxl looks every style object up in the
# workbook's style lists by hashing it, which was most of the time of writing a 200-row table.
# A cell's styles are a few numbers (``cell._style``); the first cell of each kind is styled the
# ordinary way and the next ones get a copy of its numbers (the same file, in a fraction of the time).
_STYLES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _styles(ws: Worksheet) -> dict:
    return _STYLES.setdefault(ws.parent, {})


def _put(ws: Worksheet, r: int, c: int, value: object, *, align: Alignment = _CENTER, bold: bool = False,
         border: bool = True) -> Cell:
    cell = put(ws.cell(row=r, column=c), value)  # "=100%" is a value, not a formula
    styles, key = _styles(ws), ("put", id(align), bold, border)
    if key in styles and not (cell._style and any(cell._style)):
        cell._style = copy.copy(styles[key])
        return cell
    cell.alignment = align
    if border:
        cell.border = _BORDER
    if bold:
        cell.font = _BOLD
    styles[key] = copy.copy(cell._style)
    return cell


def _merge(ws: Worksheet, start_row: int, start_column: int, end_row: int, end_column: int) -> None:
    """``ws.merge_cells``, step by step as openpyxl does it (the same file), with each change of a
    cell's border or protection worked out once per workbook and then copied (see ``_STYLES``)."""
    coord = CellRange(min_col=start_column, min_row=start_row, max_col=end_column, max_row=end_row).coord
    mcr = MergedCellRange(ws, coord)  # gives the top-left cell the bottom-right one's borders
    ws.merged_cells.add(mcr)
    cells = list(mcr.cells)
    for row, col in cells[1:]:
        ws._cells[row, col] = MergedCell(ws, row, col)
    first = mcr.start_cell
    border, protection = first.border, first.protection  # (gives the cell its style numbers)
    memo = _styles(ws)

    def change(cell, key, field: str, apply) -> None:
        if key in memo:
            if not cell._style:
                cell._style = StyleArray()
            setattr(cell._style, field, memo[key])
        else:
            apply(cell)
            memo[key] = getattr(cell._style, field)

    for name in ("top", "left", "right", "bottom"):  # MergedCellRange.format
        side = getattr(border, name)
        if side and side.style is None:
            continue
        edge = Border(**{name: side})
        for xy in getattr(mcr, name):
            cell = ws._cells[xy]
            key = ("border", first._style.borderId, name, cell._style.borderId if cell._style else 0)
            change(cell, key, "borderId", lambda c, edge=edge: setattr(c, "border", c.border + edge))
    if protection is not None:
        for xy in cells:
            change(ws._cells[xy], ("protection", first._style.protectionId), "protectionId",
                   lambda c: setattr(c, "protection", copy.copy(protection)))


def _merge_range(ws: Worksheet, rng: str) -> None:
    min_col, min_row, max_col, max_row = range_boundaries(rng)
    _merge(ws, min_row, min_col, max_row, max_col)


def _merge_down(ws: Worksheet, first_row: int, col: int, keys: list[tuple]) -> None:
    """Merge runs of consecutive rows with the same key (the level path up to this column)."""
    start = 0
    for i in range(1, len(keys) + 1):
        if i == len(keys) or keys[i] != keys[start]:
            if i - start > 1 and keys[start][-1] is not None:
                _merge(ws, first_row + start, col, first_row + i - 1, col)
            start = i


def _number_cell(d: Decimal | None) -> int | float | None:
    if d is None:
        return None
    return int(d) if d == d.to_integral_value() else float(d)


def _to_bytes(wb: Workbook) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _columns(rows: list[TargetRow]) -> list[tuple[str, str, int]]:
    """The header of a section: the columns its rows use."""
    separate_function = any(
        r.function and not (r.function == r.level2 and FUNCTION_PREFIX.match(r.function)) for r in rows)
    columns: list[tuple[str, str, int]] = [("level1", "一级指标", 10), ("level2", "二级指标", 18)]
    if separate_function:
        columns.append(("function", "职能", 20))
    if any(r.key_work for r in rows):
        columns.append(("key_work", "重点工作", 22))
    if any(r.related_project for r in rows):
        columns.append(("related_project", "对应项目", 12))
    columns.append(("level3", "三级指标", 40))
    if any(r.name != r.level3 for r in rows):
        columns.append(("name", "指标名称", 36))
    columns += [("half_year", "半年指标值", 14), ("full_year", "全年指标值", 14)]
    if any(r.weight is not None for r in rows):
        columns.append(("weight", "权重", 8))
    if any(r.rule for r in rows):
        columns.append(("rule", "评分规则", 20))
    return columns


def _sections(rows: list[TargetRow]) -> list[list[TargetRow]]:
    out: list[list[TargetRow]] = []
    for row in rows:
        if out and out[-1][-1].section == row.section:
            out[-1].append(row)
        else:
            out.append([row])
    return out


def write_target_workbook(table: TargetTable) -> bytes:
    """The table as an .xlsx in the source layout; ``read_target_workbook`` reads it back unchanged."""
    wb = Workbook()
    ws = wb.active
    ws.title = "绩效目标表"
    _write_table(ws, table)
    return _to_bytes(wb)


def _sheet_title(text: str, taken: set[str]) -> str:
    r"""A worksheet name for ``text``: at most 31 characters, none of []:*?/\, unique in ``taken``."""
    base = text.translate(str.maketrans("[]:*?/\\", "（）：＊？／＼"))[:31] or "Sheet"
    name, n = base, 2
    while name in taken:
        suffix = f"（{n}）"
        name, n = base[:31 - len(suffix)] + suffix, n + 1
    taken.add(name)
    return name


PROJECT_MONEY_HEADER = ("项目名称", "年初预算数", "全年预算数", "半年计划执行数", "半年执行数", "半年执行率",
                        "全年执行数", "全年执行率")


def write_projects_workbook(items: list[tuple[TargetTable, tuple]]) -> bytes:
    """A unit's project tables, one sheet each in the source layout (read back as several
    projects), and a first sheet 项目资金 of every project's money (万元): ``items`` are (table,
    (年初预算数, 全年预算数, 半年计划执行数, 半年执行数, 全年执行数)) with None where not entered."""
    wb = Workbook()
    summary = wb.active
    summary.title = "项目资金"
    _put(summary, 1, 1, "项目资金（万元）", bold=True, border=False)
    for c, label in enumerate(PROJECT_MONEY_HEADER, start=1):
        _put(summary, 2, c, label, bold=True)
        summary.column_dimensions[get_column_letter(c)].width = 30 if c == 1 else 14
    taken = {summary.title}
    for r, (table, (start, full, half_plan, half_spent, spent)) in enumerate(items, start=3):
        half_rate = half_spent / half_plan if half_spent is not None and half_plan else None
        full_rate = spent / full if spent is not None and full else None
        values = (table.project, start, full, half_plan, half_spent, half_rate, spent, full_rate)
        for c, v in enumerate(values, start=1):
            if isinstance(v, Decimal):
                cell = _put(summary, r, c, float(v))
                cell.number_format = "0.00%" if c in (6, 8) else "0.00"
            else:
                _put(summary, r, c, v, align=_LEFT if c == 1 else _CENTER)
        _write_table(wb.create_sheet(_sheet_title(table.project or table.unit, taken)), table)
    return _to_bytes(wb)


def _write_table(ws: Worksheet, table: TargetTable) -> None:
    """One table on ``ws`` (see ``write_target_workbook``)."""
    sections = _sections(list(table.rows))
    headers = [_columns(rows) for rows in sections] or [_columns([])]
    ncols = max(len(c) for c in headers)
    preamble_cols = max((c + n - 1 for cells in table.preamble for c, n, _rows, _t in cells), default=0)
    width = max(ncols, preamble_cols)
    title = "项目预算绩效目标表" if table.project else "部门整体预算绩效目标表"
    _put(ws, 1, 1, title, bold=True, border=False).font = Font(bold=True, size=16)
    _merge(ws, 1, 1, 1, width)
    _put(ws, 2, 1, f"{table.year}年度", border=False)
    _merge(ws, 2, 1, 2, width)
    r = 3
    labels = set(table.info)
    meta = [] if labels & set(META_LABELS["unit"]) else [("单位名称", table.unit)]
    if table.project and not labels & set(META_LABELS["project"]):
        meta.append(("项目名称", table.project))
    for label, value in meta:
        _put(ws, r, 1, label)
        _put(ws, r, 2, value, align=_LEFT)
        for c in range(3, width + 1):
            _put(ws, r, c, None)
        if width > 2:
            _merge(ws, r, 2, r, width)
        r += 1
    covered: set[tuple[int, int]] = set()  # cells inside a merge started on an earlier row
    for cells in table.preamble:
        for c in range(1, width + 1):
            if (r, c) not in covered:
                _put(ws, r, c, None)
        for c, n, rows, text in cells:
            _put(ws, r, c, text, align=_LEFT if len(text) > 20 else _CENTER)
            if n > 1 or rows > 1:
                _merge(ws, r, c, r + rows - 1, c + n - 1)
                covered |= {(rr, cc) for rr in range(r + 1, r + rows) for cc in range(c, c + n)}
        r += 1
    first_header = r
    for rows, columns in zip(sections, headers, strict=False):
        header_row = r
        for c, (_, label, w) in enumerate(columns, start=1):
            _put(ws, header_row, c, label, bold=True)
            letter = get_column_letter(c)
            ws.column_dimensions[letter].width = max(ws.column_dimensions[letter].width or 0, w)
        first = header_row + 1
        for i, row in enumerate(rows):
            for c, (f, _, _) in enumerate(columns, start=1):
                v: object = getattr(row, f)
                if isinstance(v, TargetValue):
                    v = v.text if v.text != "" else None
                elif f == "weight":
                    v = _number_cell(v)
                _put(ws, first + i, c, v, align=_LEFT if f in ("level3", "name", "rule") else _CENTER)
        path_fields = ["level1", "level2", "function", "key_work"]
        for c, (f, _, _) in enumerate(columns, start=1):
            if f in path_fields:
                depth = path_fields.index(f) + 1
                keys = [tuple(getattr(row, p) for p in path_fields[:depth]) for row in rows]
                _merge_down(ws, first, c, keys)
        r = first + len(rows)
    if not sections:
        for c, (_, label, _w) in enumerate(headers[0], start=1):
            _put(ws, r, c, label, bold=True)
    ws.freeze_panes = ws.cell(row=first_header + 1, column=1)
    ws.print_title_rows = f"{first_header}:{first_header}"


def _rule_text(row: TargetRow, rule: str, settings: TableSettings) -> str:
    """The 赋分规则 cell: the row's own text, marked when over-achievement is not penalised."""
    text = row.rule or rule
    if rule == selfeval.RULE_PROPORTIONAL and overachievement_of(row, settings) == OVER_MET:
        return f"{text}{selfeval.OVER_FULL_MARK}"
    return text


SELFEVAL_HEADER = ("一级指标", "二级指标", "三级指标", "权重", "目标值", "业绩值", "完成率", "指标得分",
                   "指标值设定依据", "上年完成情况", "赋分规则", "佐证资料", "偏差原因分析及改进措施")


def _percent_text(rate: Decimal | None) -> str | None:
    return None if rate is None else selfeval.format_percent(rate)


def write_selfeval_sheet(table: TargetTable, actuals: Mapping[int, object], *,
                         budget: tuple[object, object, object] | None = None,
                         department: str | None = None,
                         goals: tuple[str | None, str | None] = (None, None),
                         evidence: Mapping[int, str] | None = None,
                         reasons: Mapping[int, str] | None = None,
                         with_scores: bool = True, settings: TableSettings | None = None,
                         previous: Mapping[int, tuple[str, str]] | None = None) -> bytes:
    """The year-end 项目支出绩效自评表 of a table, with the full-year actuals filled in.

    ``previous`` maps row position → (指标值设定依据, 上年完成情况), the texts from the year before.

    ``actuals`` maps row position → actual value (``TargetValue`` or raw text). ``budget`` is
    (年初预算数, 全年预算数, 全年执行数) in 万元 for the 年度资金总额 line (分值 10; its 执行率 and
    得分 are computed with ``selfeval.score_budget_execution``). As in the official layout the
    indicators share 90 points and the budget line 10: weights are ``targets.row_weights(table,
    total=90)`` (given weights kept, the rest shared). 完成率 (a number formatted as a
    percentage, so the score-sheet reader takes it exactly) and 指标得分 come from
    ``targets.score_table``; ``with_scores=False`` leaves 完成率, 指标得分, 得分 and 总分 empty.

    ``app.sheets.selfeval.score_workbook`` reads the result; it needs the budget line (without
    ``budget`` it reports the 执行率 as missing) and an actual for every row. 职能 / 重点工作 have no
    column in this layout and are left out; 三级指标 holds the indicator name.

    ``settings`` (the table's, default ``TableSettings()``) give the over-achievement policy, the
    line's target and points; the score is ``yearend.score_year_end`` in the indicators scoring
    with the line's points reserved, so it is the page's whenever the budget line is entered. A
    proportional row scored under the "met" policy gets 赋分规则 「按照完成比例赋分（超额不扣分）」,
    the wording the score-sheet reader honours; the table's own 预算执行率 row, counted in the
    line, has weight 0.
    """
    cfg = replace(settings or TableSettings(), scoring="indicators")
    start, full, spent = (None, None, None) if budget is None else (
        None if x is None else Decimal(str(x)) for x in budget)
    year_end = score_year_end(table, actuals, settings=cfg, budget_line=True,
                              budget_rate=spent / full if full and spent is not None else None)
    execution_weight = cfg.execution_weight
    score: TableScore = year_end.score
    evidence = evidence or {}
    reasons = reasons or {}
    previous = previous or {}
    wb = Workbook()
    ws = wb.active
    ws.title = (table.project or table.unit)[:31].translate(str.maketrans("[]:*?/\\", "（）：＊？／＼"))
    ncols = 14
    widths = {"A": 8, "B": 10, "C": 12, "D": 28, "E": 8, "F": 14, "G": 14, "H": 10, "I": 10, "J": 10,
              "K": 10, "L": 16, "M": 10, "N": 30}
    for col, w in widths.items():
        ws.column_dimensions[col].width = w

    _put(ws, 1, 1, "项目支出绩效自评表", border=False).font = Font(bold=True, size=16)
    _merge_range(ws, "A1:N1")
    _put(ws, 2, 1, f"({table.year}年度)", border=False)
    _merge_range(ws, "A2:N2")
    _put(ws, 3, 1, "项目名称")
    _put(ws, 3, 2, table.project or table.unit, align=_LEFT)
    for c in range(3, ncols + 1):
        _put(ws, 3, c, None)
    _merge_range(ws, "B3:N3")
    _put(ws, 4, 1, "主管部门")
    _put(ws, 4, 2, department, align=_LEFT)
    _put(ws, 4, 7, "实施单位")
    _put(ws, 4, 8, table.unit, align=_LEFT)
    for c in (3, 4, 5, 6, *range(9, ncols + 1)):
        _put(ws, 4, c, None)
    _merge_range(ws, "B4:F4")
    _merge_range(ws, "H4:N4")

    _put(ws, 5, 1, "项目资金（万元）")
    for c in range(2, ncols + 1):
        _put(ws, 5, c, None)
    for c, label in zip(range(3, 9), ("年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"), strict=True):
        _put(ws, 5, c, label)
    for rr in range(6, 9):
        for c in range(1, ncols + 1):
            _put(ws, rr, c, None)
    _merge_range(ws, "A5:A8")
    _put(ws, 6, 2, "年度资金总额")
    _put(ws, 7, 2, "其中：当年财政拨款")
    _put(ws, 8, 2, "其他资金")
    _put(ws, 6, 6, _number_cell(execution_weight))
    execution_points: Decimal | None = None
    if budget is not None:
        for c, x in zip((3, 4, 5), (start, full, spent), strict=True):
            _put(ws, 6, c, None if x is None else f"{x.quantize(Decimal('0.01'))}")
        if year_end.execution is not None:
            _put(ws, 6, 7, _percent_text(year_end.execution.rate))
            execution_points = year_end.execution.points
            if with_scores:
                _put(ws, 6, 8, str(execution_points))

    _put(ws, 9, 1, "年度总体目标")
    _put(ws, 9, 2, "预期目标")
    _put(ws, 9, 8, "实际完成情况")
    _put(ws, 10, 2, goals[0], align=_LEFT)
    _put(ws, 10, 8, goals[1], align=_LEFT)
    for rr in (9, 10):
        for c in range(1, ncols + 1):
            if ws.cell(row=rr, column=c).value is None:
                _put(ws, rr, c, None)
    for rng in ("A9:A10", "B9:G9", "H9:N9", "B10:G10", "H10:N10"):
        _merge_range(ws, rng)

    header_row = 11
    _put(ws, header_row, 1, None)
    for c, label in enumerate(SELFEVAL_HEADER, start=2):
        _put(ws, header_row, c, label, bold=True)
    first = header_row + 1
    by_pos = {s.position: s for s in score.rows}
    rows = list(table.rows)
    for i, row in enumerate(rows):
        r = first + i
        s = by_pos[row.position]
        values = [
            row.level1, row.level2, row.name, _number_cell(s.weight),
            s.target.text if s.target is not None else None,
            s.actual.text if s.actual is not None else None,
            None, str(s.points) if with_scores and s.scored else None,
            *previous.get(row.position, (None, None)), _rule_text(row, s.rule, cfg), evidence.get(row.position),
            reasons.get(row.position),
        ]
        _put(ws, r, 1, "年度绩效指标完成情况")
        for c, v in enumerate(values, start=2):
            _put(ws, r, c, v, align=_LEFT if c in (4, 14) else _CENTER)
        if with_scores and s.rate is not None:
            cell = ws.cell(row=r, column=8)
            cell.value = float(s.rate)
            cell.number_format = "0.00%"
    if rows:
        _merge(ws, first, 1, first + len(rows) - 1, 1)
        _merge_down(ws, first, 2, [(row.level1,) for row in rows])
        _merge_down(ws, first, 3, [(row.level1, row.level2) for row in rows])
    total_row = first + len(rows)
    _put(ws, total_row, 1, "总分")
    for c in range(2, ncols + 1):
        _put(ws, total_row, c, None)
    ws.cell(row=total_row, column=5).value = _number_cell(score.max_points + execution_weight)
    if with_scores and execution_points is not None:
        ws.cell(row=total_row, column=9).value = str((score.total + execution_points).quantize(Decimal("0.01")))
    ws.freeze_panes = ws.cell(row=first, column=1)
    return _to_bytes(wb)
