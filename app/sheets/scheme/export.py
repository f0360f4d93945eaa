"""Writing a scheme dict as the workbook (see the package docstring for the sheets)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Mapping
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from app.rubric.rules import RULES, describe_safely, rule_catalogue

from ..cells import text_cell
from .layout import (
    AWARD_LABELS,
    BOLD,
    FAIL_LABELS,
    GROUP_FILL,
    HEADER_FILL,
    INDICATOR_COLUMNS,
    KIND_LABELS,
    NO,
    NORM_LABELS,
    PART_COLUMNS,
    PART_LABELS,
    ROW_COMPONENT,
    ROW_SUBTYPE,
    ROW_UNIT,
    S_HELP,
    S_IND,
    S_PARTS,
    S_SCHEME,
    WRAP,
    YES,
    fmtnum,
    walk,
)

__all__ = ["export_scheme"]


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
    return "；".join(f"{labels.get(k, k)}：{fmtnum(x)}" for k, x in m.items())


def _textmap_out(m: Mapping | None) -> str | None:
    if not m:
        return None
    if _needs_json(list(m), ":：\n{[") or any(not isinstance(x, str) or "\n" in x or x != x.strip()
                                               for x in m.values()):
        return json.dumps(dict(m), ensure_ascii=False)
    return "\n".join(f"{k}：{x}" for k, x in m.items())


def _set(ws, row: int, col: int, value: Any, *, wrap: bool = False, text: bool = False):
    c = text_cell(ws, row, col, value)  # a string is text, never a formula; a leading = + - @ is neutralised
    if isinstance(value, str) and text:
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


def _rule_label(name: str | None) -> str | None:
    if name is None:
        return None
    r = RULES.get(name)
    return r.label if r else name


def _describe(node: Mapping) -> str:
    return describe_safely(node.get("rule"), node.get("params"), node.get("points"))


def _param_help(lines: list[tuple[int, str, str]]) -> str:
    """A rule's parameters, one per line, the keys of nested objects indented below them."""
    if not lines:
        return "无参数（填 {}）"
    return "\n".join("　　" * depth + ("· " if depth else "") + f"{name}：{text}" for depth, name, text in lines)


def _write_help(ws, d: Mapping) -> None:
    ws.column_dimensions["A"].width = 22
    ws.column_dimensions["B"].width = 18
    ws.column_dimensions["C"].width = 60
    ws.column_dimensions["D"].width = 50
    ws.column_dimensions["E"].width = 60
    title = f"考核方案：{d.get('name', '')}（第 {d.get('version', '')} 版）"
    ws.cell(row=1, column=1, value=title).font = Font(bold=True, size=14)
    lines = [
        "修改后在系统「考核方案」页面上传本工作簿（或运行 flask --app wsgi kpi scheme import 文件.xlsx），"
        "系统会另存为该方案的新版本；"
        "已经创建的考核周期保留创建时的方案，不受影响。",
        "请不要修改「方案」「组成」「指标」三张表第 1 行的列名，也不要改表名；可以增加、删除、调整行。",
        "「方案」表：每行一个项目，A 列是项目名称，值写在 B 列起；"
        "方案说明、测评等次、优秀名额、优秀条件、不能评优情形等可以有多行，每行一项。",
        "「组成」表：每个单位类别的单位类型、组成部分（民主测评、目标考核、领导班子评价）及分值、本类别列出的单位。"
        "各组成部分分值之和须等于「方案」表的总分。",
        "「指标」表：每行一个指标。上级编码为空的是一级指标；有下级指标的（分组）不填规则和参数；最底层指标必须填规则。"
        "下级指标分值之和须等于上级分值（声明了「各类型满分」的分组按各类型分别核对）。",
        "分值、满分写数字；参数写 JSON（英文引号、英文冒号），没有参数写 {}。规则可写中文名称或规则标识。",
        "适用类型、适用单位：多个用「、」分隔，留空表示全部适用。各类型满分：如「基础课教学部：48；思想政治教学部：48」。"
        "分单位说明：每行一个「单位：文字」。",
        "最后一列「规则说明」由系统按规则和参数自动生成，供核对，导入时忽略。",
        "下方「计分规则」列出每种规则的参数：参数名（JSON 中的键）、中文名称、是否必填或默认值、取值类型和说明；"
        "缩进的各项是上一项（对象或对象列表）里的键。",
        "阈值与分档的边界：按汉语习惯，文件中的「X以上」「X以下」都包含X本数（如「70%以下扣0.5分」，70%也扣），"
        "「低于X」「超过X」「不足X」不包含X。分档用 min_inclusive / max_inclusive（含下限、含上限），"
        "扣分阈值用 inclusive（含阈值）写明；「酌情扣0.5-1分」写 min_deduct 0.5、max_deduct 1（不扣分仍可填0）。"
        "文件规定「加分封顶后再扣分」的，用分档计分的 gain_cap（加分部分封顶分）。",
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
            for n, _, _ in walk(comp.get("indicators") or []):
                if n.get("rule") and n["rule"] not in examples:
                    examples[n["rule"]] = n
    for name, label, lines in rule_catalogue():
        r += 1
        ex = examples.get(name)
        _set(ws, r, 1, name)
        _set(ws, r, 2, label)
        _set(ws, r, 3, _param_help(lines), wrap=True)
        if ex is not None:
            text = json.dumps(ex.get("params") or {}, ensure_ascii=False)
            _set(
                ws,
                r,
                4,
                f"{ex['code']}：" + (text if len(text) <= 1500 else text[:1500] + "……（完整参数见「指标」表）"),
                wrap=True,
            )
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
        add(
            "测评人员类别",
            [g.get("key"), g.get("name"), g.get("weight")],
            "值：标识；值2：名称；值3：权重（留空为按票平均）",
        )
    g = d.get("grading") or {}
    add("考核等次", list(g.get("levels") or []), "依次为优秀、合格、不合格三个等次的名称")
    for k, q in (g.get("quotas") or {}).items():
        add("优秀名额", [k, q], "值：类别标识；值2：名额（整数）")
    elig = g.get("eligibility") or {}
    add(
        "须申报并通过",
        [YES if elig.get("requires_accepted_application", True) else NO],
        "评优秀须申报并经审核通过：是 或 否",
    )
    for c in elig.get("conditions") or []:
        add("优秀条件", [c], "每行一条")
    for v in g.get("vetoes") or []:
        add("不能评优情形", [v.get("key"), v.get("text")], "值：标识；值2：情形")
    for lv, x in (g.get("reward_coefficients") or {}).items():
        add("奖励性绩效工资系数", [lv, x], "值：考核等次；值2：系数（不填此项时默认优秀1.2、合格1.0、不合格0）")
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
            for n, parent, depth in walk(comp.get("indicators") or []):
                r += 1
                leaf = n.get("rule") is not None
                vals = {
                    "code": n.get("code"),
                    "parent": parent,
                    "name": n.get("name"),
                    "category": cat.get("key"),
                    "points": n.get("points"),
                    "owner": n.get("owner"),
                    "rule": _rule_label(n.get("rule")),
                    "params": json.dumps(n.get("params"), ensure_ascii=False) if leaf and "params" in n else None,
                    "applies_to": _list_out(n.get("applies_to")),
                    "applies_to_units": _list_out(n.get("applies_to_units")),
                    "max_by_subtype": _nummap_out(n.get("max_by_subtype")),
                    "description": n.get("description"),
                    "description_by_unit": _textmap_out(n.get("description_by_unit")),
                    "notes": n.get("notes"),
                    "explain": _describe(n) if leaf else None,
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
