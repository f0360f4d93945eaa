"""A small target table (five indicators of the kinds the source tables use) and its workbook."""

from app.rubric.targets import TargetRow, TargetTable
from app.rubric.values import parse_value
from app.sheets.targets import write_target_workbook


def small_table(unit="机电工程学院", year=2026, rows=None) -> TargetTable:
    """Five indicators of the kinds the sources use (quantity, =%, ceiling, level, satisfaction)."""
    spec = rows or [
        ("产出", "数量指标", "社会培训", "≥5000人次", "≥10000人次"),
        ("过程", "预算执行", "预算执行率", "=45%", "=100%"),
        ("过程", "预算执行", "“三公经费”变动率", "≤0%", "≤0%"),
        ("决策", "制度", "预算管理制度健全性", "健全", "健全"),
        ("满意度", "服务对象满意度", "学生满意度", "≥90%", "≥90%"),
    ]
    out = []
    for i, (l1, l2, name, half, full) in enumerate(spec, start=1):
        out.append(TargetRow(level1=l1, level2=l2, level3=name, function=None, key_work=None, name=name,
                             half_year=parse_value(half, year=year), full_year=parse_value(full, year=year),
                             position=i))
    return TargetTable(unit=unit, project=None, year=year, layout="levels", rows=tuple(out))


def small_workbook(**kw) -> bytes:
    return write_target_workbook(small_table(**kw))
