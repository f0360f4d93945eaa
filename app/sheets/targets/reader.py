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

What stands above the first header (单位名称, 资金总额, the 收入 block, 项目支出 lines, 单位主要职能,
年度目标 …) is kept as the table's ``preamble``; each row remembers which header it stood under
(``section``).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from openpyxl.cell.cell import Cell
from openpyxl.utils import get_column_letter

from app.rubric import selfeval
from app.rubric.targets import (
    LAYOUT_FUNCTIONS,
    LAYOUT_LEVELS,
    TargetRow,
    TargetTable,
)
from app.rubric.values import TargetValue, ValueParseError, parse_value
from app.sheets.cells import restore_text
from app.sheets.grid import Grid
from app.sheets.safety import UnsafeWorkbook, check_worksheet_size, load_workbook_safely

__all__ = ["FUNCTION_PREFIX", "META_LABELS", "ReadError", "ReadResult", "RowLocation", "read_target_workbook"]

Source = str | os.PathLike[str] | bytes | IO[bytes]

# Fields of a header, in the order levels are filled (higher levels first).
LEVEL_FIELDS = ("level1", "level2", "function", "key_work")
VALUE_FIELDS = ("half_year", "full_year")

# 二级指标 cells of the 职能 → 重点工作 layout read "职能 1：……".
FUNCTION_PREFIX = re.compile(r"^职能\s*[0-9０-９一二三四五六七八九十]+")
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
    preamble: tuple = ()  # see ``TargetTable.preamble``
    headers: int = 0  # header rows met so far (numbers the sections)

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.rows)

    @property
    def info(self) -> dict[str, str]:
        """What stood above the header as label → value (``TargetTable.info``)."""
        return TargetTable(unit="", project=None, year=0, layout=LAYOUT_LEVELS, preamble=self.preamble).info

    def to_json(self) -> list[dict[str, Any]]:
        """One JSON object per indicator: ``TargetRow.to_json()`` plus its sheet and row."""
        return [
            dict(r.to_json(), sheet=loc.sheet, row=loc.row) for r, loc in zip(self.rows, self.locations, strict=True)
        ]

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
                           layout=self.layout or LAYOUT_LEVELS, rows=tuple(self.rows), preamble=self.preamble)


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


def _header_at(grid: Grid, r: int) -> _Header | None:
    """A header whose first row is ``r``, or None."""
    cols = grid.label_columns(r, lambda r, c, found: _label_field(_norm_label(grid.value(r, c))))
    if "level3" not in cols and "name" not in cols:
        return None
    last = r
    if not ({"half_year", "full_year"} & cols.keys()) and r < grid.max_row:
        # two-row header: 指标值 (or nothing) above 半年 / 全年
        def value_field(r: int, c: int, found: dict[str, int]) -> str | None:
            f = _label_field(_norm_label(grid.value(r, c)), sub_header=True)
            return f if f in VALUE_FIELDS else None

        below = grid.label_columns(r + 1, value_field)
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


def _clean_text(value: object) -> str | None:
    """A level or name cell as one line of text (line breaks of wrapped cells removed)."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    s = str(restore_text(value)).replace("\u3000", " ").replace("\xa0", " ")
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
        s = restore_text(v).replace("\u3000", " ").replace("\xa0", " ").strip()
        return (s or None), None
    return v, None  # dates and times: parse_value reads them


# --------------------------------------------------------------------------- reading

META_LABELS = {
    "unit": ("单位名称", "部门名称", "预算单位名称", "预算单位", "实施单位"),
    "project": ("项目名称",),
}
_YEAR_LINE = re.compile(r"[（(]?\s*(?:19|20)\d{2}\s*年度?\s*[）)]?")


def _find_meta(grid: Grid, last_row: int, result: ReadResult) -> None:
    """Unit, project, year and title from the rows above the first header.

    Unit and project: a 单位名称 / 项目名称 label followed by the next cell, or "单位名称：X" in one
    cell. Year: "2026年度" anywhere above the header, else the first "2026年" there. Title: the first
    row with a single text that is not only a year.
    """
    fallback_year = None
    for r in range(1, last_row + 1):
        texts = [t for t in map(_clean_text, grid.origin_values(r)) if t]
        if not texts:
            continue
        if result.title is None and len(texts) == 1 and not _YEAR_LINE.fullmatch(texts[0]):
            result.title = texts[0]
        for i, t in enumerate(texts):
            label = _norm_label(t)
            nxt = texts[i + 1] if i + 1 < len(texts) else None
            for key, labels in META_LABELS.items():
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


def _preamble(grid: Grid, last_row: int, result: ReadResult) -> tuple:
    """The rows above the first header as (column, columns spanned, rows spanned, text) cells, without the
    title and year lines and a line holding only 单位名称 / 项目名称 (the writer writes those
    itself). Texts keep their line breaks."""
    out = []
    for r in range(1, last_row + 1):
        texts = [t for t in map(_clean_text, grid.origin_values(r)) if t]
        if not texts or (len(texts) == 1 and (texts[0] == result.title or _YEAR_LINE.fullmatch(texts[0]))):
            continue
        cells = []
        for c in range(1, grid.max_col + 1):
            if not grid.is_origin(r, c):
                continue
            v = grid.ws.cell(row=r, column=c).value
            raw, _problem = _cell_value(grid.ws.cell(row=r, column=c)) if v is not None else (None, None)
            text = str(raw).strip() if raw is not None else ""
            if text:
                top, left, bottom, right = grid.span(r, c)
                cells.append((c, right - left + 1, bottom - top + 1, text))
        meta = {lab for key in ("unit", "project") for lab in META_LABELS[key]}
        only_meta = len(cells) == 2 and _norm_label(cells[0][3]) in meta
        if cells and not only_meta:  # a lone 单位名称 / 项目名称 line is the table's unit / project
            out.append(tuple(cells))
    return tuple(out)


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
    grid: Grid
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
                    if not self.result.headers:
                        self.result.preamble = _preamble(grid, r - 1, self.result)
                self.result.headers += 1
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
            for c in value_cols
        ):
            return prev
        has_value = any(grid.value(r, c) not in (None, "") for c in value_cols)
        has_weight = "weight" in cols and grid.value(r, cols["weight"]) not in (None, "")
        if not name and has_value:
            name = self._name_from_lower_level(h, r)
        if not name:
            if has_value or has_weight:
                self.error(
                    r, name_col, f"第 {r} 行有指标值但缺少指标名称（{get_column_letter(name_col)}{r} 单元格为空）"
                )
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
        if function is None and level2 and FUNCTION_PREFIX.match(level2):
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
            "section": self.result.headers - 1,
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
            reader = _SheetReader(Grid(ws), ws.title, result, year)
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
