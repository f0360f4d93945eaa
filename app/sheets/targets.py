"""Excel in and out for budget-performance target tables (绩效目标表).

``read_target_workbook(source)`` reads workbooks laid out like the source tables:

* title rows above the header (单位名称 … and "2026年度" give ``unit`` and ``year`` when present);
* the header row is found by its labels, not by its position; label variants are accepted
  (一级指标 / 二级指标 / 三级指标, 指标名称, 职能, 重点工作, 对应项目, 半年指标值 / 半年目标 /
  半年度指标值, 全年指标值 / 全年目标 / 年度指标值, a lone 指标值 / 目标值 as the full-year value,
  权重 / 分值, 评分规则 / 赋分规则 …); a header may span two rows (指标值 above 半年 / 全年);
  a sheet may hold several sections, each under its own header row (the Changzhou table);
* merged cells read as their top-left cell (level cells merged downward, a value merged across
  the half-year and full-year columns, a 三级 cell spanning two columns);
* a blank, unmerged level cell inherits the value of the row above while every higher level is
  unchanged (hand-made tables that leave blanks instead of merging);
* both layouts: 一级/二级/三级 (+ 重点工作), and 职能 → 重点工作 → indicator where the 二级指标
  cells read "职能 1：……" (or a 职能 column exists).

Anything that cannot be read refuses the whole workbook: the result has errors (each naming the
sheet, the row and the cell, in Chinese) and no rows. Warnings (skipped sheets, unknown scoring
rules …) do not refuse.

``write_target_workbook(table)`` writes a table in the same layout (title rows, header, merged
level cells, borders, widths); reading it back gives the same table.

``write_selfeval_sheet(table, actuals)`` writes the year-end 项目支出绩效自评表 (the layout of
../shared/fixtures/selfeval_2024_blank.xlsx: title, 项目名称 / 主管部门 / 实施单位, the 项目资金
block with the 年度资金总额 line, 年度总体目标, the indicator header 一级指标 … 偏差原因分析及改进措施
with level columns merged downward, and the 总分 line).
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from app.rubric import selfeval
from app.rubric.tablesettings import OVER_MET, TableSettings
from app.rubric.targets import (
    LAYOUT_FUNCTIONS,
    LAYOUT_LEVELS,
    TableScore,
    TargetRow,
    TargetTable,
    overachievement_of,
)
from app.rubric.values import TargetValue, ValueParseError, parse_value
from app.rubric.yearend import score_year_end
from app.sheets.safety import UnsafeWorkbook, check_worksheet_size, load_workbook_safely

__all__ = [
    "ReadError",
    "ReadResult",
    "read_target_workbook",
    "write_selfeval_sheet",
    "write_target_workbook",
]

Source = str | os.PathLike[str] | bytes | IO[bytes]

# Fields of a header, in the order levels are filled (higher levels first).
LEVEL_FIELDS = ("level1", "level2", "function", "key_work")
VALUE_FIELDS = ("half_year", "full_year")

_FUNCTION_PREFIX = re.compile(r"^职能\s*[0-9０-９一二三四五六七八九十]+")
_YEAR = re.compile(r"((?:19|20)\d{2})\s*年")
_PAREN = re.compile(r"[（(][^）)]*[）)]")


# --------------------------------------------------------------------------- results

@dataclass(frozen=True)
class ReadError:
    """A cell or row that cannot be read. ``str()`` is the full Chinese message."""

    sheet: str | None
    row: int | None
    cell: str | None
    message: str

    def __str__(self) -> str:
        return f"工作表「{self.sheet}」{self.message}" if self.sheet else self.message

    def to_json(self) -> dict[str, Any]:
        return {"sheet": self.sheet, "row": self.row, "cell": self.cell, "message": str(self)}


@dataclass(frozen=True)
class RowLocation:
    sheet: str
    row: int


@dataclass
class ReadResult:
    """What ``read_target_workbook`` understood. ``rows`` is empty whenever ``errors`` is not."""

    rows: list[TargetRow] = field(default_factory=list)
    errors: list[ReadError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    locations: list[RowLocation] = field(default_factory=list)
    unit: str | None = None
    project: str | None = None
    year: int | None = None
    title: str | None = None
    layout: str | None = None

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.rows)

    def to_json(self) -> list[dict[str, Any]]:
        """One JSON object per indicator: ``TargetRow.to_json()`` plus its sheet and row."""
        return [dict(r.to_json(), sheet=loc.sheet, row=loc.row) for r, loc in zip(self.rows, self.locations, strict=True)]

    def summary_json(self) -> dict[str, Any]:
        """Everything but the rows: detected unit/year/layout, counts, errors and warnings."""
        return {
            "ok": self.ok,
            "title": self.title,
            "unit": self.unit,
            "project": self.project,
            "year": self.year,
            "layout": self.layout,
            "rows": len(self.rows),
            "errors": [e.to_json() for e in self.errors],
            "warnings": list(self.warnings),
        }

    def to_table(self, *, unit: str | None = None, year: int | None = None,
                 project: str | None = None) -> TargetTable:
        """The table, with ``unit`` / ``year`` / ``project`` given or detected from the title rows.

        Raises ``ValueError`` (Chinese message) for a refused import or a missing unit or year.
        """
        if self.errors:
            raise ValueError("工作簿有无法识别的内容，不能保存：" + "；".join(str(e) for e in self.errors[:5]))
        if not self.rows:
            raise ValueError("工作簿中没有指标")
        unit = unit or self.unit
        year = year or self.year
        if not unit:
            raise ValueError("未指定单位，且表头上方没有“单位名称”")
        if not year:
            raise ValueError("未指定年度，且标题中没有“××××年度”")
        return TargetTable(unit=unit, project=project or self.project, year=int(year),
                           layout=self.layout or LAYOUT_LEVELS, rows=tuple(self.rows))


# --------------------------------------------------------------------------- header labels

def _norm_label(value: object) -> str:
    if not isinstance(value, str):
        return ""
    s = re.sub(r"\s+", "", value)
    return _PAREN.sub("", s).rstrip(":：*")


_NAME_LABELS = {"指标名称", "指标内容", "绩效指标名称", "具体指标", "指标", "指标项", "考核指标", "考核内容"}
_FUNCTION_LABELS = {"职能", "部门职能", "主要职能", "职能职责", "履职内容", "部门职责", "职责"}
_KEY_WORK_LABELS = {"重点工作", "重点任务", "工作任务", "年度重点工作", "年度重点工作任务", "重点工作任务"}
_PROJECT_LABELS = {"对应项目", "对应项目名称", "关联项目", "项目名称", "对应预算项目"}
_WEIGHT_LABELS = {"权重", "分值", "权重分值", "指标权重", "指标分值", "权重分", "分值权重", "标准分值", "标准分"}
_RULE_LABELS = {"评分规则", "赋分规则", "评分标准", "计分方法", "评分方法", "评分办法", "考核标准", "赋分标准",
                "计分规则", "评分细则", "赋分方法"}
_SINGLE_VALUE_LABELS = {"指标值", "目标值", "绩效目标值", "指标目标值", "预期目标值", "预期指标值", "年度目标值"}
_VALUE_WORDS = ("指标", "目标", "值")


def _label_field(label: str, *, sub_header: bool = False) -> str | None:
    """The field a header label names, or None."""
    s = label
    if not s:
        return None
    if s in ("一级指标", "一级", "一级指标名称"):
        return "level1"
    if s in ("二级指标", "二级", "二级指标名称"):
        return "level2"
    if s in ("三级指标", "三级", "三级指标名称"):
        return "level3"
    if s in _NAME_LABELS:
        return "name"
    if s in _FUNCTION_LABELS:
        return "function"
    if s in _KEY_WORK_LABELS:
        return "key_work"
    if s in _PROJECT_LABELS:
        return "related_project"
    if s in _WEIGHT_LABELS:
        return "weight"
    if s in _RULE_LABELS:
        return "rule"
    is_value = any(w in s for w in _VALUE_WORDS) and not any(w in s for w in ("预算", "资金", "执行", "实际", "完成值"))
    if ("半年" in s or "年中" in s) and (is_value or sub_header):
        return "half_year"
    if ("全年" in s or s.startswith("年度")) and (is_value or sub_header):
        return "full_year"
    if s in _SINGLE_VALUE_LABELS:
        return "value"
    if sub_header and s in ("半年度", "上半年"):
        return "half_year"
    return None


@dataclass
class _Header:
    row: int  # last header row (data starts below it)
    columns: dict[str, int]  # field -> column (1-based)

    @property
    def name_field(self) -> str:
        return "name" if "name" in self.columns else "level3"


def _header_at(grid: _Grid, r: int) -> _Header | None:
    """A header whose first row is ``r``, or None."""
    cols: dict[str, int] = {}
    for c in range(1, grid.max_col + 1):
        if not grid.is_origin(r, c):
            continue
        f = _label_field(_norm_label(grid.value(r, c)))
        if f and f not in cols:
            cols[f] = c
    if "level3" not in cols and "name" not in cols:
        return None
    last = r
    if not ({"half_year", "full_year"} & cols.keys()) and r < grid.max_row:
        # two-row header: 指标值 (or nothing) above 半年 / 全年
        below: dict[str, int] = {}
        for c in range(1, grid.max_col + 1):
            if grid.is_origin(r + 1, c):
                f = _label_field(_norm_label(grid.value(r + 1, c)), sub_header=True)
                if f in VALUE_FIELDS and f not in below:
                    below[f] = c
        if below:
            cols.pop("value", None)
            cols.update(below)
            last = r + 1
    if "value" in cols:
        col = cols.pop("value")
        if "full_year" not in cols:
            cols["full_year"] = col
    if not ({"half_year", "full_year"} & cols.keys()):
        return None
    if len(cols) < 3:
        return None
    return _Header(last, cols)


# --------------------------------------------------------------------------- the grid

class _Grid:
    """Cell access with merged ranges read as their top-left cell."""

    def __init__(self, ws: Worksheet):
        self.ws = ws
        self.max_row = ws.max_row or 0
        self.max_col = ws.max_column or 0
        self._origin: dict[tuple[int, int], tuple[int, int]] = {}
        self._span: dict[tuple[int, int], tuple[int, int, int, int]] = {}
        for rng in ws.merged_cells.ranges:
            box = (rng.min_row, rng.min_col, rng.max_row, rng.max_col)
            for row in range(rng.min_row, rng.max_row + 1):
                for col in range(rng.min_col, rng.max_col + 1):
                    self._origin[(row, col)] = (rng.min_row, rng.min_col)
                    self._span[(row, col)] = box

    def origin(self, r: int, c: int) -> tuple[int, int]:
        return self._origin.get((r, c), (r, c))

    def is_origin(self, r: int, c: int) -> bool:
        return self.origin(r, c) == (r, c)

    def is_merged(self, r: int, c: int) -> bool:
        return (r, c) in self._origin

    def span(self, r: int, c: int) -> tuple[int, int, int, int]:
        return self._span.get((r, c), (r, c, r, c))

    def cell(self, r: int, c: int) -> Cell:
        orow, ocol = self.origin(r, c)
        return self.ws.cell(row=orow, column=ocol)

    def value(self, r: int, c: int) -> Any:
        return self.cell(r, c).value

    def row_texts(self, r: int) -> list[str]:
        out = []
        for c in range(1, self.max_col + 1):
            if self.is_origin(r, c):
                t = _clean_text(self.ws.cell(row=r, column=c).value)
                if t:
                    out.append(t)
        return out


def _clean_text(value: object) -> str | None:
    """A level or name cell as one line of text (line breaks of wrapped cells removed)."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    s = str(value).replace("\u3000", " ").replace("\xa0", " ")
    s = re.sub(r"\s*[\r\n]+\s*", "", s).strip()
    return s or None


def _format_number(value: int | float, number_format: str) -> str:
    d = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if "%" in (number_format or ""):
        d = d * 100
    d = d.quantize(Decimal("1e-10")).normalize() if d != d.to_integral_value() else d.to_integral_value()
    text = format(d, "f")
    return text + "%" if "%" in (number_format or "") else text


def _cell_value(cell: Cell) -> tuple[object, str | None]:
    """(value for parse_value, problem) of a value cell. Numbers become their displayed text.

    A problem is a Chinese phrase completing "单元格「…」".
    """
    v = cell.value
    if v is None:
        return None, None
    if cell.data_type == "f":
        text = str(v)
        # A constant typed with a leading "=" (=100%, =0次) is what the table means; real formulas are refused.
        if re.fullmatch(r"=\s*[-+]?\d[\d.,]*\s*[^\d=+\-*/()A-Za-z!$:]*", text):
            return text, None
        return v, "是公式，无法识别：请改为直接填写指标值"
    if isinstance(v, bool):
        return v, "不是指标值"
    if isinstance(v, int | float):
        return _format_number(v, cell.number_format), None
    if isinstance(v, str):
        s = v.replace("\u3000", " ").replace("\xa0", " ").strip()
        return (s or None), None
    return v, None  # dates and times: parse_value reads them


# --------------------------------------------------------------------------- reading

_META_LABELS = {
    "unit": ("单位名称", "部门名称", "预算单位名称", "预算单位", "实施单位"),
    "project": ("项目名称",),
}
_YEAR_LINE = re.compile(r"[（(]?\s*(?:19|20)\d{2}\s*年度?\s*[）)]?")


def _find_meta(grid: _Grid, last_row: int, result: ReadResult) -> None:
    """Unit, project, year and title from the rows above the first header.

    Unit and project: a 单位名称 / 项目名称 label followed by the next cell, or "单位名称：X" in one
    cell. Year: "2026年度" anywhere above the header, else the first "2026年" there. Title: the first
    row with a single text that is not only a year.
    """
    fallback_year = None
    for r in range(1, last_row + 1):
        texts = grid.row_texts(r)
        if not texts:
            continue
        if result.title is None and len(texts) == 1 and not _YEAR_LINE.fullmatch(texts[0]):
            result.title = texts[0]
        for i, t in enumerate(texts):
            label = _norm_label(t)
            nxt = texts[i + 1] if i + 1 < len(texts) else None
            for key, labels in _META_LABELS.items():
                if getattr(result, key) is not None:
                    continue
                if label in labels and nxt:
                    setattr(result, key, nxt)
                    break
                m = re.match(r"^(" + "|".join(labels) + r")\s*[:：]\s*(.+)$", t)
                if m:
                    setattr(result, key, m.group(2).strip())
                    break
            compact = t.replace(" ", "")
            m = re.search(r"((?:19|20)\d{2})年度", compact)
            if m and result.year is None:
                result.year = int(m.group(1))
            m = _YEAR.search(compact)
            if m and fallback_year is None and len(compact) <= 40:
                fallback_year = int(m.group(1))
    if result.year is None:
        result.year = fallback_year


def _parse_weight(cell: Cell) -> tuple[Decimal | None, str | None]:
    v = cell.value
    if v is None or (isinstance(v, str) and not v.strip()):
        return None, None
    if isinstance(v, bool):
        return None, f"权重「{v}」不是数字"
    if isinstance(v, int | float):
        return Decimal(_format_number(v, "")), None
    s = re.sub(r"\s+", "", str(v)).rstrip("分").rstrip("%％")
    try:
        d = Decimal(s)
    except InvalidOperation:
        return None, f"权重「{v}」不是数字"
    if not d.is_finite() or d < 0:
        return None, f"权重「{v}」不是非负数"
    return d, None


@dataclass
class _SheetReader:
    grid: _Grid
    sheet: str
    result: ReadResult
    year_hint: int | None
    errors: list[ReadError] = field(default_factory=list)
    rows: list[tuple[dict[str, Any], int]] = field(default_factory=list)

    def error(self, r: int, c: int | None, message: str) -> None:
        coord = f"{get_column_letter(c)}{r}" if c else None
        self.errors.append(ReadError(self.sheet, r, coord, message))

    def read_value(self, r: int, c: int) -> TargetValue | None:
        cell = self.grid.cell(r, c)
        coord = f"{get_column_letter(c)}{r}"
        raw, problem = _cell_value(cell)
        if problem:
            self.error(r, c, f"第 {r} 行 {coord} 单元格「{raw}」{problem}")
            return None
        if raw is None:
            return None
        try:
            return parse_value(raw, year=self.year_hint)
        except ValueParseError as exc:
            self.error(r, c, f"第 {r} 行 {coord} 单元格「{raw}」无法识别：{exc.reason}")
            return None

    def read(self) -> bool:
        grid = self.grid
        header: _Header | None = None
        prev: dict[str, str | None] | None = None
        found = False
        r = 1
        while r <= grid.max_row:
            h = _header_at(grid, r)
            if h is not None:
                if not found:
                    _find_meta(grid, r - 1, self.result)
                header, prev, found = h, None, True
                r = h.row + 1
                continue
            if header is not None:
                prev = self.read_row(header, r, prev)
            r += 1
        return found

    def read_row(self, h: _Header, r: int, prev: dict[str, str | None] | None) -> dict[str, str | None] | None:
        grid, cols = self.grid, h.columns
        name_col = cols[h.name_field]
        name = _clean_text(grid.value(r, name_col))
        value_cols = [cols[f] for f in VALUE_FIELDS if f in cols]
        # A note or section line merged across the name and value columns is not an indicator.
        _, left, _, right = grid.span(r, name_col)
        if left != right and any(left <= c <= right for c in value_cols):
            if name:
                self.result.warnings.append(f"工作表「{self.sheet}」第 {r} 行「{name[:30]}」是说明行，已跳过")
            return prev
        # The second physical row of an indicator whose name (and values) are merged downward.
        if grid.span(r, name_col)[0] < r and all(
                grid.span(r, c)[0] < r or (not grid.is_merged(r, c) and grid.ws.cell(row=r, column=c).value in (None, ""))
                for c in value_cols):
            return prev
        has_value = any(grid.value(r, c) not in (None, "") for c in value_cols)
        has_weight = "weight" in cols and grid.value(r, cols["weight"]) not in (None, "")
        if not name and has_value:
            name = self._name_from_lower_level(h, r)
        if not name:
            if has_value or has_weight:
                self.error(r, name_col, f"第 {r} 行有指标值但缺少指标名称（{get_column_letter(name_col)}{r} 单元格为空）")
            return prev

        # Levels: merged cells give their top-left value; a blank unmerged cell inherits from the row
        # above while every higher level is unchanged.
        levels: dict[str, str | None] = {}
        level_fields = [f for f in LEVEL_FIELDS if f in cols]
        if h.name_field == "name" and "level3" in cols:
            level_fields.append("level3")
        same_parent = prev is not None
        for f in level_fields:
            text = _clean_text(grid.value(r, cols[f]))
            if text is None and same_parent and prev is not None:
                text = prev.get(f)
            levels[f] = text
            same_parent = same_parent and prev is not None and text == prev.get(f)

        half = self.read_value(r, cols["half_year"]) if "half_year" in cols else None
        full = self.read_value(r, cols["full_year"]) if "full_year" in cols else None
        if not any(v is not None and v.kind != "empty" for v in (half, full)) and not self._row_has_error(r):
            where = "、".join(f"{get_column_letter(c)}{r}" for c in value_cols)
            self.error(r, value_cols[0], f"第 {r} 行「{name}」没有半年或全年指标值（{where} 为空）")

        weight = None
        if "weight" in cols:
            weight, problem = _parse_weight(grid.cell(r, cols["weight"]))
            if problem:
                c = cols["weight"]
                self.error(r, c, f"第 {r} 行 {get_column_letter(c)}{r} 单元格{problem}")
        rule = _clean_text(grid.value(r, cols["rule"])) if "rule" in cols else None
        if rule:
            try:
                selfeval.normalise_rule(rule)
            except selfeval.RuleError:
                self.result.warnings.append(
                    f"工作表「{self.sheet}」第 {r} 行评分规则「{rule}」不是已知规则，年终评分时按默认规则")
        related = _clean_text(grid.value(r, cols["related_project"])) if "related_project" in cols else None

        level3 = _clean_text(grid.value(r, cols["level3"])) if "level3" in cols else None
        if h.name_field == "name" and "level3" in cols:
            level3 = levels.get("level3")
        elif h.name_field == "level3":
            level3 = name
        level2 = levels.get("level2")
        function = levels.get("function")
        if function is None and level2 and _FUNCTION_PREFIX.match(level2):
            function = level2
        self.rows.append(({
            "level1": levels.get("level1"),
            "level2": level2,
            "level3": level3,
            "function": function,
            "key_work": levels.get("key_work"),
            "name": name,
            "half_year": half,
            "full_year": full,
            "weight": weight,
            "rule": rule,
            "related_project": related,
        }, r))
        return levels

    def _name_from_lower_level(self, h: _Header, r: int) -> str | None:
        """An empty 三级 cell: the row's own (not merged) 重点工作 or 职能 text, with a warning.

        (In the Changzhou table a 重点工作 may be its own single indicator.) 二级 is never used: a
        missing name under a plain 二级 is refused.
        """
        for f in ("key_work", "function"):
            c = h.columns.get(f)
            if c is None or self.grid.is_merged(r, c):
                continue
            text = _clean_text(self.grid.ws.cell(row=r, column=c).value)
            if text:
                label = {"key_work": "重点工作", "function": "职能"}[f]
                self.result.warnings.append(
                    f"工作表「{self.sheet}」第 {r} 行三级指标为空，以{label}「{text}」作为指标名称")
                return text
        return None

    def _row_has_error(self, r: int) -> bool:
        return any(e.row == r for e in self.errors)


def read_target_workbook(source: Source, *, year: int | None = None) -> ReadResult:
    """Read a target-table workbook (path, bytes or binary file). Never raises for bad input.

    ``year`` is the default year for dates written without one. The result holds every indicator
    understood, or, when anything cannot be read, the errors and no rows.
    """
    result = ReadResult()
    try:
        wb = load_workbook_safely(source, data_only=False)
    except UnsafeWorkbook as exc:
        result.errors.append(ReadError(None, None, None, str(exc)))
        return result
    rows: list[tuple[dict[str, Any], RowLocation]] = []
    errors: list[ReadError] = []
    any_header = False
    try:
        for ws in wb.worksheets:
            if ws.sheet_state != "visible":
                result.warnings.append(f"工作表「{ws.title}」是隐藏的，已跳过")
                continue
            too_big = check_worksheet_size(ws)
            if too_big:
                errors.append(ReadError(ws.title, None, None, too_big.replace(f"工作表「{ws.title}」", "")))
                continue
            reader = _SheetReader(_Grid(ws), ws.title, result, year)
            try:
                found = reader.read()
            except Exception as exc:  # an unforeseen cell must refuse the import, not crash the caller
                errors.append(ReadError(ws.title, None, None, f"读取时出错：{type(exc).__name__}: {exc}"))
                any_header = True
                continue
            if found:
                any_header = True
                rows.extend((data, RowLocation(ws.title, r)) for data, r in reader.rows)
                errors.extend(reader.errors)
            elif ws.max_row and any(c.value is not None for row in ws.iter_rows() for c in row):
                result.warnings.append(f"工作表「{ws.title}」没有找到表头行，已跳过")
    finally:
        wb.close()
    if not any_header:
        errors.append(ReadError(None, None, None,
                                "没有找到表头行：需要一行写有“三级指标”（或“指标名称”）和“半年指标值”/“全年指标值”"
                                "（或“指标值”）等列名"))
    elif not rows and not errors:
        errors.append(ReadError(None, None, None, "表头下方没有指标行"))
    result.errors = errors
    if errors:
        return result
    result.rows = [TargetRow(position=i, **data) for i, (data, _) in enumerate(rows, start=1)]
    result.locations = [loc for _, loc in rows]
    if result.year is None and year is not None:
        result.year = year
    result.layout = LAYOUT_FUNCTIONS if any(r.function for r in result.rows) else LAYOUT_LEVELS
    return result


# --------------------------------------------------------------------------- writing

_THIN = Side(style="thin")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
_LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)
_BOLD = Font(bold=True)


def _put(ws: Worksheet, r: int, c: int, value: object, *, align: Alignment = _CENTER, bold: bool = False,
         border: bool = True) -> Cell:
    cell = ws.cell(row=r, column=c)
    cell.value = value
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"  # "=100%" is a value, not a formula
    cell.alignment = align
    if border:
        cell.border = _BORDER
    if bold:
        cell.font = _BOLD
    return cell


def _merge_down(ws: Worksheet, first_row: int, col: int, keys: list[tuple]) -> None:
    """Merge runs of consecutive rows with the same key (the level path up to this column)."""
    start = 0
    for i in range(1, len(keys) + 1):
        if i == len(keys) or keys[i] != keys[start]:
            if i - start > 1 and keys[start][-1] is not None:
                ws.merge_cells(start_row=first_row + start, start_column=col,
                               end_row=first_row + i - 1, end_column=col)
            start = i


def _number_cell(d: Decimal | None) -> int | float | None:
    if d is None:
        return None
    return int(d) if d == d.to_integral_value() else float(d)


def _to_bytes(wb: Workbook) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def write_target_workbook(table: TargetTable) -> bytes:
    """The table as an .xlsx in the source layout; ``read_target_workbook`` reads it back unchanged."""
    rows = list(table.rows)
    separate_function = any(
        r.function and not (r.function == r.level2 and _FUNCTION_PREFIX.match(r.function)) for r in rows)
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
    ncols = len(columns)

    wb = Workbook()
    ws = wb.active
    ws.title = "绩效目标表"
    title = "项目预算绩效目标表" if table.project else "部门整体预算绩效目标表"
    _put(ws, 1, 1, title, bold=True, border=False).font = Font(bold=True, size=16)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncols)
    _put(ws, 2, 1, f"{table.year}年度", border=False)
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=ncols)
    r = 3
    meta = [("单位名称", table.unit)] + ([("项目名称", table.project)] if table.project else [])
    for label, value in meta:
        _put(ws, r, 1, label)
        _put(ws, r, 2, value, align=_LEFT)
        for c in range(3, ncols + 1):
            _put(ws, r, c, None)
        if ncols > 2:
            ws.merge_cells(start_row=r, start_column=2, end_row=r, end_column=ncols)
        r += 1
    header_row = r
    for c, (_, label, width) in enumerate(columns, start=1):
        _put(ws, header_row, c, label, bold=True)
        ws.column_dimensions[get_column_letter(c)].width = width
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
    ws.freeze_panes = ws.cell(row=first, column=1)
    ws.print_title_rows = f"{header_row}:{header_row}"
    return _to_bytes(wb)


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
                         with_scores: bool = True, settings: TableSettings | None = None) -> bytes:
    """The year-end 项目支出绩效自评表 of a table, with the full-year actuals filled in.

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
    wb = Workbook()
    ws = wb.active
    ws.title = (table.project or table.unit)[:31].translate(str.maketrans("[]:*?/\\", "（）：＊？／＼"))
    ncols = 14
    widths = {"A": 8, "B": 10, "C": 12, "D": 28, "E": 8, "F": 14, "G": 14, "H": 10, "I": 10, "J": 10,
              "K": 10, "L": 16, "M": 10, "N": 30}
    for col, w in widths.items():
        ws.column_dimensions[col].width = w

    _put(ws, 1, 1, "项目支出绩效自评表", border=False).font = Font(bold=True, size=16)
    ws.merge_cells("A1:N1")
    _put(ws, 2, 1, f"({table.year}年度)", border=False)
    ws.merge_cells("A2:N2")
    _put(ws, 3, 1, "项目名称")
    _put(ws, 3, 2, table.project or table.unit, align=_LEFT)
    for c in range(3, ncols + 1):
        _put(ws, 3, c, None)
    ws.merge_cells("B3:N3")
    _put(ws, 4, 1, "主管部门")
    _put(ws, 4, 2, department, align=_LEFT)
    _put(ws, 4, 7, "实施单位")
    _put(ws, 4, 8, table.unit, align=_LEFT)
    for c in (3, 4, 5, 6, *range(9, ncols + 1)):
        _put(ws, 4, c, None)
    ws.merge_cells("B4:F4")
    ws.merge_cells("H4:N4")

    _put(ws, 5, 1, "项目资金（万元）")
    for c in range(2, ncols + 1):
        _put(ws, 5, c, None)
    for c, label in zip(range(3, 9), ("年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"), strict=True):
        _put(ws, 5, c, label)
    for rr in range(6, 9):
        for c in range(1, ncols + 1):
            _put(ws, rr, c, None)
    ws.merge_cells("A5:A8")
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
        ws.merge_cells(rng)

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
            None, None, _rule_text(row, s.rule, cfg), evidence.get(row.position), reasons.get(row.position),
        ]
        _put(ws, r, 1, "年度绩效指标完成情况")
        for c, v in enumerate(values, start=2):
            _put(ws, r, c, v, align=_LEFT if c in (4, 14) else _CENTER)
        if with_scores and s.rate is not None:
            cell = ws.cell(row=r, column=8)
            cell.value = float(s.rate)
            cell.number_format = "0.00%"
    if rows:
        ws.merge_cells(start_row=first, start_column=1, end_row=first + len(rows) - 1, end_column=1)
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
