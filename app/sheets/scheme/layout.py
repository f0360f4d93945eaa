"""The layout of the scheme workbook: sheet names, columns, row labels, value labels and the
cell formats shared by the export and the import."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from openpyxl.styles import Alignment, Font, PatternFill

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
PART_COLUMNS = [
    ("类别标识", "cat"),
    ("类别名称", "cat_name"),
    ("行类型", "row_type"),
    ("标识", "key"),
    ("名称", "name"),
    ("类型", "kind"),
    ("分值", "points"),
    ("分项/全称", "extra"),
    ("评分满分", "rating_max"),
]
ROW_SUBTYPE, ROW_COMPONENT, ROW_UNIT = "单位类型", "组成部分", "单位"


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


# Row labels of the 方案 sheet: items of one row, items that may repeat, and the rows that must be there.
SCHEME_SINGLE_ROWS = {
    "方案标识",
    "方案名称",
    "版本",
    "来源",
    "考核期开始",
    "考核期结束",
    "考核期说明",
    "总分",
    "折算方式",
    "优秀等次",
    "优秀票最高比例",
    "须评全部单位",
    "不评本单位",
    "考核等次",
    "须申报并通过",
    "不合格规则",
    "连续末位年数",
    "连续末位处理",
    "并列比较顺序",
    "突出贡献奖规则",
    "突出贡献奖通过比例",
    "突出贡献奖说明",
}
SCHEME_MULTI_ROWS = {
    "方案说明", "测评等次", "测评人员类别", "优秀名额", "优秀条件", "不能评优情形", "奖励性绩效工资系数"
}
SCHEME_REQUIRED_ROWS = ["方案标识", "方案名称", "版本", "总分", "折算方式", "优秀等次", "须评全部单位", "不评本单位",
                        "考核等次", "须申报并通过", "不合格规则", "连续末位年数", "并列比较顺序"]

# Separators of list and map cells (适用类型、各类型满分 …) on import.
LIST_SEP = re.compile(r"[、,，;；\n]")
MAP_SEP = re.compile(r"[;；\n]")


def jsonnum(x: Decimal) -> int | float:
    return int(x) if x == x.to_integral_value() else float(str(x))


def fmtnum(x: Any) -> str:
    if isinstance(x, float) and x.is_integer():
        x = int(x)
    return str(x)


def walk(nodes: Iterable[Mapping], parent: str | None = None, depth: int = 0):
    """(node, parent code, depth) of every node of an indicator tree, in tree order."""
    for n in nodes:
        yield n, parent, depth
        yield from walk(n.get("children") or (), n.get("code"), depth + 1)
