"""An assessment scheme as a workbook the office edits in Excel, and back.

:func:`export_scheme` writes four sheets:

* ``说明`` — how to edit, the value formats, and every rule type of the registry with its
  parameters and, when the scheme uses it, an example with its meaning in plain words;
* ``方案`` — label/value rows (项目 | 值 | 值2 | 值3): key, name, version, period, total, normalisation,
  notes, the democratic-rating (ballot) settings, grading, the contribution-award rule. Repeated
  items (方案说明, 测评等次, 优秀名额, …) take one row each;
* ``组成`` — per category: its unit types, its components with their points (and the leader
  component's parts), and the units it names;
* ``指标`` — one row per node of each category's indicator tree, in tree order, linked by
  ``上级编码``; the rule is written by its Chinese name, its parameters as JSON text.

:func:`import_scheme` reads it back. Every problem names the sheet, row and column; the
assembled dict then goes through :func:`app.rubric.scheme.validate_scheme`, whose messages
(naming the indicator) are placed on the sheet row (and, where the message says which, the
column) they come from. Nothing is returned unless the whole workbook is right.

Round trip: for a scheme dict in canonical form (what ``dump_scheme`` gives — the seed is),
``import_scheme(export_scheme(d)) == (d, [])``.

Cell formats of the 指标 sheet: lists (适用类型, 适用单位) separated by 「、」; maps (各类型满分)
as 「名称：分值」 separated by 「；」; 分单位说明 one 「单位：文字」 per line. Any of them may also
be written as JSON (starting with ``[`` or ``{``), which the export does when a name contains a
separator.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from app.rubric.rules import RULES
from app.rubric.scheme import FORMAT, SchemeError, validate_scheme

from .safety import UnsafeWorkbook, check_worksheet_size, load_workbook_safely

__all__ = ["ImportProblem", "export_scheme", "import_scheme", "validate_safely", "SHEETS", "INDICATOR_COLUMNS"]

S_HELP, S_SCHEME, S_PARTS, S_IND = "说明", "方案", "组成", "指标"
SHEETS = (S_HELP, S_SCHEME, S_PARTS, S_IND)

HEADER_FILL = PatternFill("solid", fgColor="F0F4F8")
GROUP_FILL = PatternFill("solid", fgColor="FAFAF5")
BOLD = Font(bold=True)
WRAP = Alignment(wrap_text=True, vertical="top")

KIND_LABELS = {"democratic": "民主测评", "target": "目标考核", "leader": "领导班子评价"}
NORM_LABELS = {"scale": "按比例折算", "raw": "不折算"}
FAIL_LABELS = {"leadership_decision": "领导小组认定", "below_score": "低于分数线", "none": "不设"}
AWARD_LABELS = {"majority": "领导小组成员过半数"}
PART_LABELS = {"principal": "正职", "deputy": "副职"}
YES, NO = "是", "否"

# Columns of the 指标 sheet: (header, key). ``说明`` column O is generated and ignored on import.
INDICATOR_COLUMNS = [
    ("编码", "code"), ("上级编码", "parent"), ("名称", "name"), ("类别", "category"), ("分值", "points"),
    ("考核部门", "owner"), ("规则", "rule"), ("参数", "params"), ("适用类型", "applies_to"),
    ("适用单位", "applies_to_units"), ("各类型满分", "max_by_subtype"), ("指标内涵", "description"),
    ("分单位说明", "description_by_unit"), ("备注", "notes"), ("规则说明（自动生成，导入时忽略）", "explain"),
]
IND_REQUIRED = [h for h, k in INDICATOR_COLUMNS if k != "explain"]
PART_COLUMNS = [("类别标识", "cat"), ("类别名称", "cat_name"), ("行类型", "row_type"), ("标识", "key"),
                ("名称", "name"), ("类型", "kind"), ("分值", "points"), ("分项/全称", "extra"), ("评分满分", "rating_max")]
ROW_SUBTYPE, ROW_COMPONENT, ROW_UNIT = "单位类型", "组成部分", "单位"

# Chinese meaning of rule parameters, for the 说明 sheet. Required parameters also get their
# label from the registry's own validation messages; this covers the optional ones.
PARAM_GLOSSARY = {
    "guidance": "评分说明", "items": "事项清单", "min_nonzero": "给分时的最低分", "step": "分值步长",
    "per": "每次扣分", "unit": "计量单位（如 起、次）", "what": "扣分事项", "cap": "封顶分", "floor": "最低分（可为负数）",
    "measures": "计分项（含分档）", "top_bonus": "名列前茅的加分", "direction": "比较方向（higher 越高越好 / lower 越低越好）",
    "measure": "计分项", "reference": "参照值（mean 平均值 / pooled 合计比值）", "strict": "是否严格高于（true/false）",
    "tiers": "分档", "average_bonus": "达到平均值的追加分", "rank_points": "各名次基础分", "groups": "计分组",
    "values": "事实项", "current": "本期值", "previous": "上期值", "actual": "实际数", "mode": "扣分方式",
    "per_step": "每档扣分", "quota": "计划数", "step_percent": "每缺额百分之几", "year": "适用年度",
    "levels": "评判等级", "below": "低于某值时的处理",
}


@dataclass(frozen=True)
class ImportProblem:
    """One problem of an imported workbook. ``row``/``column`` are None when not known."""

    message: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    indicator: str | None = None  # 「指标 B07「名称」」 for problems found by scheme validation

    def __str__(self) -> str:
        if self.sheet is None:
            return f"{self.indicator}：{self.message}" if self.indicator else self.message
        where = f"「{self.sheet}」表"
        if self.row is not None:
            where += f"第 {self.row} 行"
        if self.column:
            where += f" {self.column} 列" if self.row is not None else f"「{self.column}」列"
        if self.indicator:
            where += f"（{self.indicator}）"
        return f"{where}：{self.message}"


# ============================================================================ helpers


def _jsonnum(x: Decimal) -> int | float:
    return int(x) if x == x.to_integral_value() else float(str(x))


def _fmtnum(x: Any) -> str:
    if isinstance(x, float) and x.is_integer():
        x = int(x)
    return str(x)


_LIST_SEP = re.compile(r"[、,，;；\n]")
_MAP_SEP = re.compile(r"[;；\n]")


def _needs_json(items: Iterable[str], seps: str) -> bool:
    return any(any(ch in s for ch in seps) or s != s.strip() or not s for s in items)


def _list_out(v: list | None) -> str | None:
    if v is None:
        return None
    items = [str(x) for x in v]
    if not items or _needs_json(items, "、,，;；\n[{") or not all(isinstance(x, str) for x in v):
        return json.dumps(v, ensure_ascii=False)
    return "、".join(items)


def _nummap_out(m: Mapping | None, labels: Mapping[str, str] | None = None) -> str | None:
    if not m:
        return None
    labels = labels or {}
    names = [labels.get(k, k) for k in m]
    if _needs_json(names, ":：;；\n{[") or not all(isinstance(x, int | float) and not isinstance(x, bool)
                                                   for x in m.values()):
        return json.dumps(dict(m), ensure_ascii=False)
    return "；".join(f"{labels.get(k, k)}：{_fmtnum(x)}" for k, x in m.items())


def _textmap_out(m: Mapping | None) -> str | None:
    if not m:
        return None
    if _needs_json(list(m), ":：\n{[") or any(not isinstance(x, str) or "\n" in x or x != x.strip()
                                               for x in m.values()):
        return json.dumps(dict(m), ensure_ascii=False)
    return "\n".join(f"{k}：{x}" for k, x in m.items())


def _set(ws, row: int, col: int, value: Any, *, wrap: bool = False, text: bool = False):
    c = ws.cell(row=row, column=col, value=value)
    if isinstance(value, str):
        c.data_type = "s"  # never a formula, even if it starts with "="
        if text:
            c.number_format = "@"
    if wrap:
        c.alignment = WRAP
    return c


def _header(ws, headers: list[str], widths: list[int]) -> None:
    for i, (h, w) in enumerate(zip(headers, widths, strict=True), start=1):
        c = ws.cell(row=1, column=i, value=h)
        c.font, c.fill = BOLD, HEADER_FILL
        c.alignment = Alignment(wrap_text=True, vertical="center")
        ws.column_dimensions[get_column_letter(i)].width = w
    ws.freeze_panes = "A2"


# ============================================================================ export


def _rule_label(name: str | None) -> str | None:
    if name is None:
        return None
    r = RULES.get(name)
    return r.label if r else name


def _describe(node: Mapping) -> str:
    r = RULES.get(node.get("rule") or "")
    if r is None:
        return ""
    try:
        return r.describe(node.get("params") or {}, Decimal(str(node.get("points"))))
    except Exception:  # describe of params that do not fit: the sheet is still written
        return ""


def _param_help(name: str) -> str:
    r = RULES[name]
    labels: dict[str, str] = {}
    try:
        for m in r.validate({}, Decimal(10)):
            hit = re.match(r"缺少参数 (\w+)（(.+?)）", m)
            if hit:
                labels[hit.group(1)] = hit.group(2) + "（必填）"
    except Exception:
        pass
    keys = sorted(r.params_allowed)
    if not keys:
        return "无参数（填 {}）"
    return "；".join(f"{k}：{labels.get(k) or PARAM_GLOSSARY.get(k, '')}".rstrip("：") for k in keys)


def _walk(nodes: Iterable[Mapping], parent: str | None = None, depth: int = 0):
    for n in nodes:
        yield n, parent, depth
        yield from _walk(n.get("children") or (), n.get("code"), depth + 1)


def _write_help(ws, d: Mapping) -> None:
    ws.column_dimensions["A"].width = 22
    ws.column_dimensions["B"].width = 18
    ws.column_dimensions["C"].width = 60
    ws.column_dimensions["D"].width = 50
    ws.column_dimensions["E"].width = 60
    ws.cell(row=1, column=1, value=f"考核方案：{d.get('name', '')}（第 {d.get('version', '')} 版）").font = Font(bold=True, size=14)
    lines = [
        "修改后在系统「考核方案」页面上传本工作簿（或运行 flask --app wsgi kpi scheme import 文件.xlsx），系统会另存为该方案的新版本；"
        "已经创建的考核周期保留创建时的方案，不受影响。",
        "请不要修改「方案」「组成」「指标」三张表第 1 行的列名，也不要改表名；可以增加、删除、调整行。",
        "「方案」表：每行一个项目，A 列是项目名称，值写在 B 列起；方案说明、测评等次、优秀名额、优秀条件、不能评优情形等可以有多行，每行一项。",
        "「组成」表：每个单位类别的单位类型、组成部分（民主测评、目标考核、领导班子评价）及分值、本类别列出的单位。"
        "各组成部分分值之和须等于「方案」表的总分。",
        "「指标」表：每行一个指标。上级编码为空的是一级指标；有下级指标的（分组）不填规则和参数；最底层指标必须填规则。"
        "下级指标分值之和须等于上级分值（声明了「各类型满分」的分组按各类型分别核对）。",
        "分值、满分写数字；参数写 JSON（英文引号、英文冒号），没有参数写 {}。规则可写中文名称或规则标识。",
        "适用类型、适用单位：多个用「、」分隔，留空表示全部适用。各类型满分：如「基础课教学部：48；思想政治教学部：48」。"
        "分单位说明：每行一个「单位：文字」。",
        "最后一列「规则说明」由系统按规则和参数自动生成，供核对，导入时忽略。",
        "上传时系统逐项检查；有错误时列出表名、行号、列号和指标编码，整个工作簿不会被保存，请改正后重新上传。",
    ]
    r = 3
    for i, text in enumerate(lines, start=1):
        _set(ws, r, 1, f"{i}.")
        c = _set(ws, r, 2, text, wrap=True)
        ws.merge_cells(start_row=r, start_column=2, end_row=r, end_column=5)
        c.alignment = WRAP
        ws.row_dimensions[r].height = 32
        r += 1
    r += 1
    ws.cell(row=r, column=1, value="计分规则").font = Font(bold=True, size=12)
    r += 1
    for i, h in enumerate(["规则标识", "规则名称", "参数", "本方案中的例子（参数）", "例子的含义"], start=1):
        c = ws.cell(row=r, column=i, value=h)
        c.font, c.fill = BOLD, HEADER_FILL
    examples: dict[str, Mapping] = {}
    for cat in d.get("categories") or []:
        for comp in cat.get("components") or []:
            for n, _, _ in _walk(comp.get("indicators") or []):
                if n.get("rule") and n["rule"] not in examples:
                    examples[n["rule"]] = n
    for name in sorted(RULES):
        r += 1
        ex = examples.get(name)
        _set(ws, r, 1, name)
        _set(ws, r, 2, RULES[name].label)
        _set(ws, r, 3, _param_help(name), wrap=True)
        if ex is not None:
            text = json.dumps(ex.get("params") or {}, ensure_ascii=False)
            _set(ws, r, 4, f"{ex['code']}：" + (text if len(text) <= 1500 else text[:1500] + "……（完整参数见「指标」表）"),
                 wrap=True)
            _set(ws, r, 5, _describe(ex), wrap=True)
        else:
            _set(ws, r, 4, "本方案未使用")
    ws.freeze_panes = None


def _write_scheme(ws, d: Mapping) -> None:
    _header(ws, ["项目", "值", "值2", "值3", "填写说明"], [18, 50, 30, 50, 44])
    rows: list[tuple[str, list[Any], str]] = []

    def add(label: str, values: list[Any], hint: str = "") -> None:
        rows.append((label, values, hint))

    add("方案标识", [d.get("key")], "英文、数字和短横线；同一标识的方案按版本递增")
    add("方案名称", [d.get("name")])
    add("版本", [d.get("version")], "导入时自动取该方案现有最大版本加 1")
    period = d.get("period") or {}
    add("来源", [d.get("source")], "依据的文件（可空）")
    add("考核期开始", [period.get("start")], "如 2018-09-01（可空）")
    add("考核期结束", [period.get("end")], "如 2019-08-31（可空）")
    add("考核期说明", [period.get("note")])
    add("总分", [d.get("total_points")], "各类别组成部分分值之和")
    add("折算方式", [NORM_LABELS.get(d.get("normalisation", "scale"), d.get("normalisation"))],
        "按比例折算 或 不折算（不同单位类型满分不同时）")
    for note in d.get("notes") or []:
        add("方案说明", [note], "每行一条")
    b = d.get("ballot") or {}
    for lv in b.get("levels") or []:
        add("测评等次", [lv.get("name"), lv.get("value")], "值：等次名称；值2：分值（0～100）")
    add("优秀等次", [b.get("excellent_level")], "测评等次中表示优秀的名称")
    add("优秀票最高比例", [b.get("max_excellent_share")], "0～1 之间的小数，留空表示不限")
    add("须评全部单位", [YES if b.get("all_units_required", True) else NO], "是 或 否")
    add("不评本单位", [YES if b.get("exclude_own_unit", True) else NO], "是 或 否")
    for g in b.get("rater_groups") or []:
        add("测评人员类别", [g.get("key"), g.get("name"), g.get("weight")], "值：标识；值2：名称；值3：权重（留空为按票平均）")
    g = d.get("grading") or {}
    add("考核等次", list(g.get("levels") or []), "依次为优秀、合格、不合格三个等次的名称")
    for k, q in (g.get("quotas") or {}).items():
        add("优秀名额", [k, q], "值：类别标识；值2：名额（整数）")
    elig = g.get("eligibility") or {}
    add("须申报并通过", [YES if elig.get("requires_accepted_application", True) else NO], "评优秀须申报并经审核通过：是 或 否")
    for c in elig.get("conditions") or []:
        add("优秀条件", [c], "每行一条")
    for v in g.get("vetoes") or []:
        add("不能评优情形", [v.get("key"), v.get("text")], "值：标识；值2：情形")
    fr = g.get("fail_rule") or {"type": "leadership_decision"}
    add("不合格规则", [FAIL_LABELS.get(fr.get("type"), fr.get("type")), fr.get("threshold")],
        "领导小组认定、低于分数线（值2 写分数线）或 不设")
    lp = g.get("last_place") or {}
    add("连续末位年数", [lp.get("years")])
    add("连续末位处理", [lp.get("text")])
    add("并列比较顺序", [KIND_LABELS.get(x, x) for x in g.get("tie_break") or []],
        "总分相同时依次比较的组成部分：目标考核、领导班子评价、民主测评")
    aw = d.get("award")
    if aw is not None:
        add("突出贡献奖规则", [AWARD_LABELS.get(aw.get("type"), aw.get("type"))], "目前只有「领导小组成员过半数」")
        add("突出贡献奖通过比例", [aw.get("share")], "0～1 之间，如 0.5")
        add("突出贡献奖说明", [aw.get("text")])
    for r, (label, values, hint) in enumerate(rows, start=2):
        _set(ws, r, 1, label).font = BOLD
        for i, v in enumerate(values, start=2):
            if v is not None and v != "":
                _set(ws, r, i, v, wrap=isinstance(v, str) and len(v) > 30, text=label.startswith("考核期"))
        if hint:
            _set(ws, r, 5, hint).font = Font(color="777777")


def _write_parts(ws, d: Mapping) -> None:
    _header(ws, [h for h, _ in PART_COLUMNS], [12, 12, 12, 14, 22, 16, 8, 40, 10])
    r = 1
    for cat in d.get("categories") or []:
        def row(values: list[Any], cat: Mapping = cat) -> None:
            nonlocal r
            r += 1
            for i, v in enumerate([cat.get("key"), cat.get("name"), *values], start=1):
                if v is not None and v != "":
                    _set(ws, r, i, v, wrap=i == 8)
        for s in cat.get("subtypes") or []:
            row([ROW_SUBTYPE, None, s])
        for comp in cat.get("components") or []:
            kind = comp.get("kind")
            extra = _nummap_out(comp.get("parts"), PART_LABELS) if kind == "leader" else None
            rating = comp.get("rating_max") if kind == "leader" else None
            row([ROW_COMPONENT, comp.get("key"), comp.get("name"), KIND_LABELS.get(kind, kind), comp.get("points"),
                 extra, rating])
        for u in cat.get("units") or []:
            row([ROW_UNIT, None, u.get("name"), u.get("subtype"), None, u.get("full_name")])
    dv = DataValidation(type="list", formula1=f'"{ROW_SUBTYPE},{ROW_COMPONENT},{ROW_UNIT}"', allow_blank=True)
    ws.add_data_validation(dv)
    dv.add(f"C2:C{max(r, 2) + 200}")


def _write_indicators(ws, d: Mapping) -> None:
    _header(ws, [h for h, _ in INDICATOR_COLUMNS], [10, 10, 36, 10, 7, 14, 16, 40, 22, 18, 28, 50, 36, 36, 44])
    r = 1
    for cat in d.get("categories") or []:
        for comp in cat.get("components") or []:
            if comp.get("kind") != "target":
                continue
            for n, parent, depth in _walk(comp.get("indicators") or []):
                r += 1
                leaf = n.get("rule") is not None
                vals = {
                    "code": n.get("code"), "parent": parent, "name": n.get("name"), "category": cat.get("key"),
                    "points": n.get("points"), "owner": n.get("owner"),
                    "rule": _rule_label(n.get("rule")),
                    "params": json.dumps(n.get("params"), ensure_ascii=False) if leaf and "params" in n else None,
                    "applies_to": _list_out(n.get("applies_to")),
                    "applies_to_units": _list_out(n.get("applies_to_units")),
                    "max_by_subtype": _nummap_out(n.get("max_by_subtype")),
                    "description": n.get("description"), "description_by_unit": _textmap_out(n.get("description_by_unit")),
                    "notes": n.get("notes"), "explain": _describe(n) if leaf else None,
                }
                for i, (_, key) in enumerate(INDICATOR_COLUMNS, start=1):
                    v = vals[key]
                    if v is None or v == "":
                        continue
                    c = _set(ws, r, i, v, wrap=key in ("name", "params", "description", "description_by_unit",
                                                       "notes", "explain", "max_by_subtype"))
                    if key == "name":
                        c.alignment = Alignment(wrap_text=True, vertical="top", indent=depth)
                if not leaf:
                    for i in (1, 3):
                        ws.cell(row=r, column=i).font = BOLD
                        ws.cell(row=r, column=i).fill = GROUP_FILL
    labels = ",".join(r.label for r in RULES.values())
    if len(labels) < 250:
        dv = DataValidation(type="list", formula1=f'"{labels}"', allow_blank=True, showErrorMessage=False)
        ws.add_data_validation(dv)
        dv.add(f"G2:G{max(r, 2) + 500}")


def export_scheme(data: Mapping) -> bytes:
    """The scheme ``data`` (a ``kpi-scheme/1`` dict) as an .xlsx workbook (bytes)."""
    wb = Workbook()
    _write_help(wb.active, data)
    wb.active.title = S_HELP
    _write_scheme(wb.create_sheet(S_SCHEME), data)
    _write_parts(wb.create_sheet(S_PARTS), data)
    _write_indicators(wb.create_sheet(S_IND), data)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# ============================================================================ import


class _Reader:
    def __init__(self) -> None:
        self.problems: list[ImportProblem] = []
        self.bad_rows: set[tuple[str, int]] = set()
        self.bad_sheets: set[str] = set()
        # validation path → (sheet, row)
        self.locs: dict[str, tuple[str, int]] = {}

    def err(self, sheet: str | None, row: int | None, column: str | None, message: str) -> None:
        self.problems.append(ImportProblem(message=message, sheet=sheet, row=row, column=column))
        if sheet is not None:
            self.bad_sheets.add(sheet)
            if row is not None:
                self.bad_rows.add((sheet, row))

    # --- cell values

    @staticmethod
    def text(v: Any) -> str | None:
        """A text cell: None when empty; numbers read as their text; not stripped."""
        if v is None:
            return None
        if isinstance(v, datetime):
            return v.date().isoformat() if v.time() == datetime.min.time() else v.isoformat(sep=" ")
        if isinstance(v, date):
            return v.isoformat()
        if isinstance(v, bool):
            return YES if v else NO
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        s = str(v)
        return s if s.strip() else None

    def key(self, v: Any) -> str | None:
        s = self.text(v)
        return s.strip() if s is not None else None

    def number(self, v: Any, where: tuple[str, int, str], label: str, *, integer: bool = False) -> Any:
        """int/float for a number cell; ``_BAD`` after reporting a problem; None when empty."""
        if v is None or (isinstance(v, str) and not v.strip()):
            return None
        if isinstance(v, bool):
            self.err(*where, f"{label}应为数字，现为「{self.text(v)}」")
            return _BAD
        if isinstance(v, int):
            x = Decimal(v)
        elif isinstance(v, float):
            x = Decimal(str(v))
        else:
            try:
                x = Decimal(str(v).strip())
            except InvalidOperation:
                x = None
            if x is None or not x.is_finite():
                self.err(*where, f"{label}应为数字，现为「{str(v).strip()}」")
                return _BAD
        if integer:
            if x != x.to_integral_value():
                self.err(*where, f"{label}应为整数，现为「{_fmtnum(float(x))}」")
                return _BAD
            return int(x)
        return _jsonnum(x)

    def choice(self, v: Any, where: tuple[str, int, str], label: str, labels: Mapping[str, str]) -> Any:
        s = self.key(v)
        if s is None:
            return None
        for code, lab in labels.items():
            if s in (code, lab):
                return code
        self.err(*where, f"{label}应为{'、'.join('「' + x + '」' for x in labels.values())}之一，现为「{s}」")
        return _BAD

    def yesno(self, v: Any, where: tuple[str, int, str], label: str) -> Any:
        s = self.key(v)
        if s is None:
            return None
        if s in (YES, "TRUE", "True", "true", "1"):
            return True
        if s in (NO, "FALSE", "False", "false", "0"):
            return False
        self.err(*where, f"{label}应填「是」或「否」，现为「{s}」")
        return _BAD

    def json_or(self, v: Any, where: tuple[str, int, str], label: str, want: type) -> Any:
        s = self.text(v)
        if s is None:
            return None
        try:
            x = json.loads(s)
        except ValueError as exc:
            self.err(*where, f"{label}不是有效的 JSON（{_json_hint(exc)}）")
            return _BAD
        if not isinstance(x, want):
            self.err(*where, f"{label}应为 JSON {'对象 {…}' if want is dict else '列表 […]'}")
            return _BAD
        return x

    def str_list(self, v: Any, where: tuple[str, int, str], label: str) -> Any:
        s = self.text(v)
        if s is None:
            return None
        if s.lstrip().startswith("["):
            x = self.json_or(s, where, label, list)
            if x is not _BAD and not all(isinstance(i, str) for i in x):
                self.err(*where, f"{label}的每一项应为文字")
                return _BAD
            return x
        return [p.strip() for p in _LIST_SEP.split(s) if p.strip()]

    def num_map(self, v: Any, where: tuple[str, int, str], label: str,
                labels: Mapping[str, str] | None = None) -> Any:
        s = self.text(v)
        if s is None:
            return None
        if s.lstrip().startswith("{"):
            return self.json_or(s, where, label, dict)
        back = {lab: code for code, lab in (labels or {}).items()}
        out: dict[str, Any] = {}
        for part in _MAP_SEP.split(s):
            if not part.strip():
                continue
            m = re.match(r"^\s*(.+?)\s*[:：]\s*(.*?)\s*$", part)
            if not m:
                self.err(*where, f"{label}应写成「名称：分值」，多项用「；」分隔，「{part.strip()}」不符合")
                return _BAD
            name, raw = back.get(m.group(1), m.group(1)), m.group(2)
            x = self.number(raw, where, f"{label}中「{m.group(1)}」的分值")
            if x is _BAD:
                return _BAD
            if x is None:
                self.err(*where, f"{label}中「{m.group(1)}」缺少分值")
                return _BAD
            if name in out:
                self.err(*where, f"{label}中「{m.group(1)}」重复")
                return _BAD
            out[name] = x
        return out or None

    def text_map(self, v: Any, where: tuple[str, int, str], label: str) -> Any:
        s = self.text(v)
        if s is None:
            return None
        if s.lstrip().startswith("{"):
            x = self.json_or(s, where, label, dict)
            if x is not _BAD and not all(isinstance(i, str) for i in x.values()):
                self.err(*where, f"{label}的每一项应为文字")
                return _BAD
            return x
        out: dict[str, str] = {}
        for line in s.split("\n"):
            if not line.strip():
                continue
            m = re.match(r"^\s*(.+?)\s*[:：](.*)$", line)
            if not m:
                self.err(*where, f"{label}应每行写成「单位：文字」，「{line.strip()[:20]}」不符合")
                return _BAD
            out[m.group(1)] = m.group(2).strip()
        return out or None


class _Bad:
    def __repr__(self) -> str:
        return "<bad>"


_BAD = _Bad()


def _json_hint(exc: ValueError) -> str:
    m = re.match(r"(.*): line (\d+) column (\d+)", str(exc))
    if m:
        return f"第 {m.group(2)} 行第 {m.group(3)} 个字符附近有误，请检查引号、逗号和括号"
    return "请检查引号、逗号和括号"


def _headers(rd: _Reader, ws, sheet: str, wanted: list[str]) -> dict[str, int] | None:
    """Column index (1-based) per header label, from row 1; reports missing headers."""
    found: dict[str, int] = {}
    for c in range(1, (ws.max_column or 0) + 1):
        v = ws.cell(row=1, column=c).value
        if isinstance(v, str) and v.strip():
            found.setdefault(v.strip(), c)
    missing = [h for h in wanted if h not in found]
    for h in missing:
        rd.err(sheet, 1, None, f"缺少「{h}」列（第 1 行应为列名：{'、'.join(wanted)}）")
    return None if missing else found


def _rows(ws, start: int = 2):
    yield from range(start, (ws.max_row or 0) + 1)


def _L(col: int) -> str:
    return get_column_letter(col)


# ---------------------------------------------------------------------------- 方案


_SINGLE = {"方案标识", "方案名称", "版本", "来源", "考核期开始", "考核期结束", "考核期说明", "总分", "折算方式",
           "优秀等次", "优秀票最高比例", "须评全部单位", "不评本单位", "考核等次", "须申报并通过", "不合格规则",
           "连续末位年数", "连续末位处理", "并列比较顺序", "突出贡献奖规则", "突出贡献奖通过比例", "突出贡献奖说明"}
_MULTI = {"方案说明", "测评等次", "测评人员类别", "优秀名额", "优秀条件", "不能评优情形"}
_REQUIRED = ["方案标识", "方案名称", "版本", "总分", "折算方式", "优秀等次", "须评全部单位", "不评本单位", "考核等次",
             "须申报并通过", "不合格规则", "连续末位年数", "并列比较顺序"]


def _read_scheme_sheet(rd: _Reader, ws) -> dict[str, Any]:
    S = S_SCHEME
    if _headers(rd, ws, S, ["项目", "值"]) is None:
        return {}
    single: dict[str, tuple[int, list[Any]]] = {}
    multi: dict[str, list[tuple[int, list[Any]]]] = {k: [] for k in _MULTI}
    for r in _rows(ws):
        label = rd.key(ws.cell(row=r, column=1).value)
        vals = [ws.cell(row=r, column=c).value for c in (2, 3, 4)]  # 值, 值2, 值3 (E is the hint)
        if label is None:
            if any(rd.text(v) for v in vals[:3]):
                rd.err(S, r, "A", "有值但缺少项目名称")
            continue
        if label in _SINGLE:
            if label in single:
                rd.err(S, r, "A", f"项目「{label}」重复（已在第 {single[label][0]} 行）")
                continue
            single[label] = (r, vals)
        elif label in _MULTI:
            multi[label].append((r, vals))
        else:
            rd.err(S, r, "A", f"不认识的项目「{label}」")
    for label in _REQUIRED:
        if label not in single:
            rd.err(S, None, None, f"缺少「{label}」一行")

    def row(label: str) -> tuple[int | None, list[Any]]:
        r, vals = single.get(label, (None, [None, None, None]))
        return r, vals

    def at(label: str, col: int = 0):
        r, _ = row(label)
        return (S, r, "BCDEFGHIJ"[col])

    def val(label: str, col: int = 0):
        return row(label)[1][col] if col < len(row(label)[1]) else None

    def txt(label: str):
        return rd.text(val(label))

    d: dict[str, Any] = {"format": FORMAT}

    def loc(path: str, label: str) -> None:
        if label in single:
            rd.locs[path] = (S, single[label][0])

    d["key"] = rd.key(val("方案标识"))
    loc("key", "方案标识")
    d["version"] = rd.number(val("版本"), at("版本"), "版本", integer=True)
    loc("version", "版本")
    d["name"] = txt("方案名称")
    loc("name", "方案名称")
    period = {k: txt(lab) for k, lab in (("start", "考核期开始"), ("end", "考核期结束"), ("note", "考核期说明"))}
    period = {k: (v.strip() if k != "note" else v) for k, v in period.items() if v is not None}
    if period:
        d["period"] = period
    if txt("来源") is not None:
        d["source"] = txt("来源")
    d["total_points"] = rd.number(val("总分"), at("总分"), "总分")
    loc("total_points", "总分")
    d["normalisation"] = rd.choice(val("折算方式"), at("折算方式"), "折算方式", NORM_LABELS)
    loc("normalisation", "折算方式")
    notes = [rd.text(v[0]) for _, v in multi["方案说明"] if rd.text(v[0]) is not None]
    if notes:
        d["notes"] = notes

    # ballot
    levels = []
    for i, (r, v) in enumerate(multi["测评等次"]):
        rd.locs[f"ballot.levels[{i}]"] = (S, r)
        levels.append({"name": rd.key(v[0]), "value": rd.number(v[1], (S, r, "C"), "测评等次分值")})
        if levels[-1]["name"] is None:
            rd.err(S, r, "B", "缺少测评等次名称")
    groups = []
    for i, (r, v) in enumerate(multi["测评人员类别"]):
        rd.locs[f"ballot.rater_groups[{i}]"] = (S, r)
        groups.append({"key": rd.key(v[0]), "name": rd.text(v[1]),
                       "weight": rd.number(v[2], (S, r, "D"), "测评人员类别权重")})
    d["ballot"] = {
        "levels": levels, "excellent_level": rd.key(val("优秀等次")),
        "max_excellent_share": rd.number(val("优秀票最高比例"), at("优秀票最高比例"), "优秀票最高比例"),
        "all_units_required": rd.yesno(val("须评全部单位"), at("须评全部单位"), "须评全部单位"),
        "exclude_own_unit": rd.yesno(val("不评本单位"), at("不评本单位"), "不评本单位"),
        "rater_groups": groups,
    }
    for k in ("优秀等次", "优秀票最高比例"):
        if k in single:
            rd.locs.setdefault("ballot", (S, single[k][0]))

    # grading
    g: dict[str, Any] = {}
    r_lv, lv_vals = row("考核等次")
    g["levels"] = [s for s in (rd.key(x) for x in lv_vals) if s is not None]
    if r_lv is not None:
        rd.locs["grading"] = (S, r_lv)
    quotas: dict[str, Any] = {}
    for r, v in multi["优秀名额"]:
        k = rd.key(v[0])
        rd.locs["grading.quotas"] = rd.locs.get("grading.quotas", (S, r))
        if k is None:
            rd.err(S, r, "B", "缺少类别标识")
            continue
        if k in quotas:
            rd.err(S, r, "B", f"类别「{k}」的优秀名额重复")
        q = rd.number(v[1], (S, r, "C"), "优秀名额", integer=True)
        if q is None:
            rd.err(S, r, "C", "缺少优秀名额")
        quotas[k] = q
    g["quotas"] = quotas
    g["eligibility"] = {
        "requires_accepted_application": rd.yesno(val("须申报并通过"), at("须申报并通过"), "须申报并通过"),
        "conditions": [rd.text(v[0]) for _, v in multi["优秀条件"] if rd.text(v[0]) is not None],
    }
    vetoes = []
    for i, (r, v) in enumerate(multi["不能评优情形"]):
        rd.locs[f"grading.vetoes[{i}]"] = (S, r)
        vetoes.append({"key": rd.key(v[0]), "text": rd.text(v[1])})
    g["vetoes"] = vetoes
    fr_type = rd.choice(val("不合格规则"), at("不合格规则"), "不合格规则", FAIL_LABELS)
    fr: dict[str, Any] = {"type": fr_type}
    thr = rd.number(val("不合格规则", 1), at("不合格规则", 1), "不合格分数线")
    if thr is not None:
        fr["threshold"] = thr
    g["fail_rule"] = fr
    loc("grading.fail_rule", "不合格规则")
    g["last_place"] = {"years": rd.number(val("连续末位年数"), at("连续末位年数"), "连续末位年数", integer=True),
                       "text": txt("连续末位处理") or ""}
    loc("grading.last_place", "连续末位年数")
    _, tb_vals = row("并列比较顺序")
    tb = []
    for i, x in enumerate(tb_vals):
        if rd.key(x) is None:
            continue
        tb.append(rd.choice(x, at("并列比较顺序", i), "并列比较顺序", KIND_LABELS))
    g["tie_break"] = tb
    loc("grading.tie_break", "并列比较顺序")
    d["grading"] = g
    if any(k in single for k in ("突出贡献奖规则", "突出贡献奖通过比例", "突出贡献奖说明")):
        d["award"] = {"type": rd.choice(val("突出贡献奖规则"), at("突出贡献奖规则"), "突出贡献奖规则", AWARD_LABELS),
                      "share": rd.number(val("突出贡献奖通过比例"), at("突出贡献奖通过比例"), "突出贡献奖通过比例"),
                      "text": txt("突出贡献奖说明") or ""}
        loc("award", "突出贡献奖规则")
    return d


# ---------------------------------------------------------------------------- 组成


def _read_parts_sheet(rd: _Reader, ws) -> list[dict[str, Any]]:
    S = S_PARTS
    cols = _headers(rd, ws, S, [h for h, _ in PART_COLUMNS])
    if cols is None:
        return []
    col = {key: cols[h] for h, key in PART_COLUMNS}
    cats: dict[str, dict[str, Any]] = {}
    for r in _rows(ws):
        def cell(key: str, r: int = r):
            return ws.cell(row=r, column=col[key]).value

        def where(key: str, r: int = r):
            return (S, r, _L(col[key]))

        values = {k: cell(k) for _, k in PART_COLUMNS}
        if all(rd.text(v) is None for v in values.values()):
            continue
        ck = rd.key(values["cat"])
        if ck is None:
            rd.err(*where("cat"), "缺少类别标识")
            continue
        cat = cats.get(ck)
        cname = rd.text(values["cat_name"])
        if cat is None:
            cat = cats[ck] = {"key": ck, "name": cname, "subtypes": [], "components": [], "units": [],
                              "_row": r}
            rd.locs[f"categories[{len(cats) - 1}]"] = (S, r)
        elif cname is not None and cat["name"] is not None and cname != cat["name"]:
            rd.err(*where("cat_name"), f"类别「{ck}」的名称与第 {cat['_row']} 行不一致")
        elif cat["name"] is None:
            cat["name"] = cname
        ci = list(cats).index(ck)
        rt = rd.key(values["row_type"])
        if rt == ROW_SUBTYPE:
            s = rd.key(values["name"])
            if s is None:
                rd.err(*where("name"), "缺少单位类型名称")
            else:
                cat["subtypes"].append(s)
        elif rt == ROW_COMPONENT:
            kind = rd.choice(values["kind"], where("kind"), "组成部分类型", KIND_LABELS)
            if kind is None:
                rd.err(*where("kind"), "缺少组成部分类型（民主测评、目标考核或领导班子评价）")
            comp: dict[str, Any] = {"key": rd.key(values["key"]), "name": rd.text(values["name"]), "kind": kind,
                                    "points": rd.number(values["points"], where("points"), "分值")}
            if kind == "leader":
                parts = rd.num_map(values["extra"], where("extra"), "分项", PART_LABELS)
                comp["parts"] = parts if parts is not None else {}
                rm = rd.number(values["rating_max"], where("rating_max"), "评分满分")
                comp["rating_max"] = 100 if rm is None else rm
            if kind == "target":
                comp["indicators"] = []
            rd.locs[f"categories[{ci}].components[{len(cat['components'])}]"] = (S, r)
            cat["components"].append(comp)
        elif rt == ROW_UNIT:
            u = {"name": rd.text(values["name"]), "subtype": rd.key(values["kind"])}
            full = rd.text(values["extra"])
            if full is not None:
                u["full_name"] = full
            if u["name"] is None:
                rd.err(*where("name"), "缺少单位名称")
            rd.locs[f"categories[{ci}].units[{len(cat['units'])}]"] = (S, r)
            cat["units"].append(u)
        else:
            rd.err(*where("row_type"), f"行类型应为「{ROW_SUBTYPE}」「{ROW_COMPONENT}」或「{ROW_UNIT}」，现为「{rt or ''}」")
    out = []
    for cat in cats.values():
        cat.pop("_row")
        if not cat["units"]:
            cat.pop("units")
        out.append(cat)
    return out


# ---------------------------------------------------------------------------- 指标


def _read_indicator_sheet(rd: _Reader, ws, cats: list[dict[str, Any]]) -> dict[str, tuple[str, int]]:
    """Fills each category's target component; returns {indicator path: (sheet, row)}."""
    S = S_IND
    cols = _headers(rd, ws, S, IND_REQUIRED)
    if cols is None:
        return {}
    col = {key: cols[h] for h, key in INDICATOR_COLUMNS if h in cols}
    by_label = {r.label: n for n, r in RULES.items()}
    cat_keys = {c["key"]: c for c in cats}
    cat_names = {c["name"]: c for c in cats if c.get("name")}
    nodes: list[tuple[int, dict[str, Any], str | None, dict]] = []  # (row, node, parent code, category)
    by_code: dict[str, tuple[int, dict[str, Any]]] = {}
    for r in _rows(ws):
        def cell(key: str, r: int = r):
            return ws.cell(row=r, column=col[key]).value

        def where(key: str, r: int = r):
            return (S, r, _L(col[key]))

        if all(rd.text(cell(k)) is None for _, k in INDICATOR_COLUMNS if k != "explain" and k in col):
            continue
        code = rd.key(cell("code"))
        if code is None:
            rd.err(*where("code"), "缺少指标编码")
            continue
        if code in by_code:
            rd.err(*where("code"), f"指标编码「{code}」重复（已在第 {by_code[code][0]} 行）")
            continue
        ck = rd.key(cell("category"))
        cat = cat_keys.get(ck) or cat_names.get(ck)
        if ck is None:
            rd.err(*where("category"), "缺少类别（填「组成」表中的类别标识）")
        elif cat is None:
            rd.err(*where("category"), f"类别「{ck}」不在「组成」表中")
        n: dict[str, Any] = {"code": code, "name": rd.text(cell("name"))}
        if n["name"] is None:
            rd.err(*where("name"), "缺少指标名称")
        pts = rd.number(cell("points"), where("points"), "分值")
        if pts is None:
            rd.err(*where("points"), "缺少分值")
        n["points"] = pts
        for key in ("owner", "description", "notes"):
            v = rd.text(cell(key))
            if v is not None:
                n[key] = v.strip() if key == "owner" else v
        rule_raw = rd.key(cell("rule"))
        if rule_raw is not None:
            rule = by_label.get(rule_raw, rule_raw)
            if rule not in RULES:
                rd.err(*where("rule"), f"未知的计分规则「{rule_raw}」（可用：{'、'.join(by_label)}）")
            n["rule"] = rule
            params = rd.json_or(cell("params"), where("params"), "参数", dict)
            n["params"] = {} if params is None else params
        elif rd.text(cell("params")) is not None and rd.text(cell("params")).strip() not in ("{}",):
            rd.err(*where("params"), "填了参数但没有填规则（有下级指标的分组不填规则和参数）")
        for key, label in (("applies_to", "适用类型"), ("applies_to_units", "适用单位")):
            v = rd.str_list(cell(key), where(key), label)
            if v is not None:
                n[key] = v
        v = rd.num_map(cell("max_by_subtype"), where("max_by_subtype"), "各类型满分")
        if v is not None:
            n["max_by_subtype"] = v
        v = rd.text_map(cell("description_by_unit"), where("description_by_unit"), "分单位说明")
        if v is not None:
            n["description_by_unit"] = v
        parent = rd.key(cell("parent"))
        by_code[code] = (r, n)
        nodes.append((r, n, parent, cat))
    # link the tree
    children: dict[str, list[dict[str, Any]]] = {}
    roots: dict[int, list[tuple[int, dict[str, Any]]]] = {}
    parent_of: dict[str, str] = {}
    for r, n, parent, cat in nodes:
        if parent is None:
            if cat is not None:
                roots.setdefault(id(cat), []).append((r, n))
            continue
        if parent not in by_code:
            rd.err(S, r, _L(col["parent"]), f"上级编码「{parent}」不存在")
            continue
        pr, pn = by_code[parent]
        if cat is not None:
            pcat = next((c for rr, nn, _, c in nodes if nn is pn), None)
            if pcat is not None and pcat is not cat:
                rd.err(S, r, _L(col["category"]), f"类别与上级指标「{parent}」（第 {pr} 行）不同")
        parent_of[n["code"]] = parent
        children.setdefault(parent, []).append(n)
    # cycles
    for code in list(parent_of):
        seen = {code}
        p = parent_of.get(code)
        while p is not None:
            if p in seen:
                rd.err(S, by_code[code][0], _L(col["parent"]), f"指标「{code}」的上级编码形成循环")
                break
            seen.add(p)
            p = parent_of.get(p)
    for _, n, _, _ in nodes:
        kids = children.get(n["code"])
        if kids:
            n["children"] = kids  # a node with a rule too is reported by validate_scheme
    paths: dict[str, tuple[str, int]] = {}

    def place(ns: list[dict[str, Any]], path: str) -> None:
        for i, n in enumerate(ns):
            p = f"{path}[{i}]"
            paths[p] = (S, by_code[n["code"]][0])
            if n.get("children"):
                place(n["children"], f"{p}.children")

    for ci, cat in enumerate(cats):
        rs = roots.get(id(cat), [])
        target = [(mi, m) for mi, m in enumerate(cat["components"]) if m.get("kind") == "target"]
        if not target:
            if rs:
                rd.err(S, rs[0][0], _L(col["category"]),
                       f"类别「{cat['key']}」在「组成」表中没有「目标考核」组成部分，不能有指标")
            continue
        mi, comp = target[0]
        comp["indicators"] = [n for _, n in rs]
        place(comp["indicators"], f"categories[{ci}].components[{mi}].indicators")
    return paths


# ---------------------------------------------------------------------------- validation mapping

_COLUMN_HINTS = [  # (words in the message, column key) — first match wins
    (("参数", "params"), "params"),
    (("计分规则", "rule"), "rule"),
    (("适用单位类型", "applies_to（"), "applies_to"),
    (("适用单位", "applies_to_units"), "applies_to_units"),
    (("max_by_subtype", "满分"), "max_by_subtype"),
    (("description_by_unit",), "description_by_unit"),
    (("编号",), "code"),
    (("名称",), "name"),
    (("分值",), "points"),
]


def _ind_column(message: str) -> str | None:
    for words, key in _COLUMN_HINTS:
        if any(w in message for w in words):
            for i, (_, k) in enumerate(INDICATOR_COLUMNS, start=1):
                if k == key:
                    return _L(i)
    return None


def _locate(rd: _Reader, e: SchemeError) -> ImportProblem:
    path = e.path
    while True:
        if path in rd.locs:
            sheet, row = rd.locs[path]
            if e.code or e.name:
                col = _ind_column(e.message) if sheet == S_IND else None
                return ImportProblem(e.message, sheet, row, col, indicator=f"指标 {e.code or '?'}「{e.name or ''}」")
            col = "B" if sheet == S_SCHEME else None
            return ImportProblem(e.message, sheet, row, col)
        cut = max(path.rfind("."), path.rfind("["))
        if cut <= 0:
            break
        path = path[:cut]
    return ImportProblem(str(e), _sheet_of(e.path))


def _sheet_of(path: str) -> str:
    if path.startswith("categories"):
        return S_IND if ".indicators" in path else S_PARTS
    return S_SCHEME


# ---------------------------------------------------------------------------- entry point


def import_scheme(content: bytes) -> tuple[dict[str, Any] | None, list[ImportProblem]]:
    """Read a workbook written by :func:`export_scheme` (and edited). Returns ``(data, [])`` or
    ``(None, problems)``; every problem names sheet, row and column, or the indicator."""
    rd = _Reader()
    try:
        wb = load_workbook_safely(content, data_only=True)
    except UnsafeWorkbook as exc:
        return None, [ImportProblem(str(exc))]
    sheets = {}
    for name in (S_SCHEME, S_PARTS, S_IND):
        if name not in wb.sheetnames:
            rd.err(None, None, None, f"工作簿缺少「{name}」表（需要「方案」「组成」「指标」三张表，表名不能改）")
            continue
        ws = wb[name]
        msg = check_worksheet_size(ws)
        if msg:
            rd.err(None, None, None, msg)
            continue
        sheets[name] = ws
    if len(sheets) < 3:
        return None, rd.problems
    d = _read_scheme_sheet(rd, sheets[S_SCHEME])
    cats = _read_parts_sheet(rd, sheets[S_PARTS])
    ind_paths = _read_indicator_sheet(rd, sheets[S_IND], cats)
    rd.locs.update(ind_paths)
    d["categories"] = cats
    # place keys in the canonical order (cosmetic: dict equality ignores order)
    order = ["format", "key", "version", "name", "period", "source", "total_points", "normalisation", "notes",
             "categories", "ballot", "grading", "award"]
    d = {k: d[k] for k in order if k in d}
    if rd.problems:
        # Still show what validation finds elsewhere, but not on rows (or sheets) already
        # reported: a value that could not be read there would only echo as a second message.
        bad_ind_rows = {row for sheet, row in rd.bad_rows if sheet == S_IND}
        clean = _strip_bad(d)
        for cat in clean.get("categories") or []:
            for comp in cat.get("components") or []:
                for n, _, _ in _walk(comp.get("indicators") or []):
                    if not isinstance(n.get("points"), int | float):
                        n["points"] = 0  # reported above; validation must not trip on it
        for e in validate_safely(clean):
            p = _locate(rd, e)
            if p.sheet is None or p.sheet in rd.bad_sheets and p.sheet != S_IND:
                continue
            if p.sheet == S_IND and (p.row in bad_ind_rows or _sheet_of(e.path) != S_IND
                                     or _has_bad_descendant(e.path, ind_paths, bad_ind_rows)):
                continue
            rd.problems.append(p)
        return None, rd.problems
    errors = validate_safely(d)
    if errors:
        return None, [_locate(rd, e) for e in errors]
    return d, []


def validate_safely(d: Mapping) -> list[SchemeError]:
    """:func:`validate_scheme`, turning a crash of the validator into one error message."""
    try:
        return validate_scheme(d)
    except Exception as exc:  # the validator must not turn a bad workbook into a server error
        return [SchemeError("方案", f"方案无法检查（{type(exc).__name__}: {exc}），请核对各表的数字")]


def _has_bad_descendant(path: str, paths: Mapping[str, tuple[str, int]], bad_rows: set[int]) -> bool:
    return any(p.startswith(path) and row in bad_rows for p, (_, row) in paths.items())


def _strip_bad(x: Any) -> Any:
    if isinstance(x, dict):
        return {k: _strip_bad(v) for k, v in x.items() if v is not _BAD}
    if isinstance(x, list):
        return [_strip_bad(v) for v in x if v is not _BAD]
    return x
