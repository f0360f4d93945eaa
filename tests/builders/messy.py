"""A corpus of messy 项目支出绩效自评表 workbooks (issue 14): the official layout, built with openpyxl,
with one class of real-world mess per variant. ``build_corpus(dir)`` writes one workbook per class;
``selfeval_sheet`` builds one sheet from indicator rows for the tests of a single case.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl

HEADER = ("一级指标", "二级指标", "三级指标", "权重", "目标值", "业绩值", "完成率", "指标得分", "赋分规则",
          "偏差原因分析及改进措施")

# (一级, 二级, 三级, 权重, 目标值, 业绩值, 完成率, 赋分规则, 偏差原因) — a clean project scoring 100
CLEAN_ROWS = [
    ("产出指标", "数量指标", "设备购置数量", 20, "≥15台", "=15台", None, "按照完成比例赋分", None),
    ("产出指标", "质量指标", "验收合格率", 20, "=100%", "=100%", None, "按照完成比例赋分", None),
    ("产出指标", "时效指标", "完成时间", 10, "2024年12月10日前", "2024年12月1日", None, "直接赋分", None),
    ("成本指标", "经济成本指标", "设备投入", 20, "≤50万元", "=50万元", None, "按照完成比例赋分", None),
    ("效益指标", "社会效益指标", "改善实训环境", 10, "进一步改善", "达到预期指标", None, "按评判等级赋分", None),
    ("满意度指标", "满意度指标", "学生满意度", 10, "≥95%", "=98%", None, "满意度赋分", None),
]


def selfeval_sheet(ws, rows=CLEAN_ROWS, *, header=HEADER, budget=(100, 100, 100), project="测试项目",
                   score_col_values=None) -> int:
    """Write a sheet in the official layout; returns the header row. ``budget`` None: no funds block.
    Rows are tuples in the order of ``header`` except 指标得分 (the score is left empty unless
    ``score_col_values`` gives one per row)."""
    ws["A1"] = "项目支出绩效自评表"
    ws["A2"] = "(2024年度)"
    ws["A3"], ws["B3"] = "项目名称", project
    if budget is not None:
        labels = ("年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分")
        for c, label in zip(range(3, 9), labels, strict=True):
            ws.cell(5, c, label)
        ws["A5"], ws["B6"] = "项目资金（万元）", "年度资金总额"
        ws["C6"], ws["D6"], ws["E6"], ws["F6"] = budget[0], budget[1], budget[2], 10
    hrow = 11
    for c, label in enumerate(header, start=2):
        ws.cell(hrow, c, label)
    score_at = header.index("指标得分") if "指标得分" in header else None
    for i, row in enumerate(rows):
        values = list(row)
        if score_at is not None:
            values.insert(score_at, score_col_values[i] if score_col_values else None)
        for c, v in enumerate(values, start=2):
            if v is not None:
                ws.cell(hrow + 1 + i, c, v)
    ws.cell(hrow + 1 + len(rows), 1, "总分")
    return hrow


def workbook(**kwargs) -> openpyxl.Workbook:
    wb = openpyxl.Workbook()
    selfeval_sheet(wb.active, **kwargs)
    return wb


def _replace(rows, index: int, **changes):
    fields = ("level1", "level2", "name", "weight", "target", "actual", "rate", "rule", "reason")
    out = [list(r) for r in rows]
    for key, value in changes.items():
        out[index][fields.index(key)] = value
    return [tuple(r) for r in out]


# One variant per class of the issue: name → (builder kwargs, what the test expects to be flagged)
def variants() -> dict[str, dict]:
    c = CLEAN_ROWS
    split_header = ("一级指标", "二级指标", "三级指标", "参考分值", "指标性质", "计划指标值", "度量单位", "全年实际值",
                    "完成率", "指标得分", "赋分规则", "偏差原因分析及改进措施")
    split_rows = [(r[0], r[1], r[2], r[3], *_split(r[4]), r[5].lstrip("="), r[6], r[7], r[8]) for r in c]
    return {
        "1_markup": dict(rows=_replace(_replace(c, 0, actual="[bookmark: _GoBack]=15台"), 1,
                                       target="<span>=100%</span>", actual="=100%\u200b")),
        "2_signs": dict(rows=_replace(_replace(_replace(c, 0, target="〉=１５台", actual="═15台"), 1,
                                               target="不低于90%", actual="９０％"), 5, target="95%以上",
                                      actual="98％")),
        "2_range": dict(rows=_replace(c, 1, target="90%～100%", actual="95%")),
        "3_labels": dict(header=("一级指标", "二级指标", "三级指标", "分值（权重）", "预算设定指标值", "项目完成指标值",
                                 "完成率",
                                 "指标得分", "赋分规则", "偏差原因分析及改进措施")),
        "3_split": dict(header=split_header, rows=split_rows),
        "4_no_budget": dict(budget=None),
        "5_judged": dict(rows=[("项目决策", "决策程序", "决策程序规范性", 10, "一", "制度健全", None, None, None),
                               ("项目管理", "过程管理", "按期完成", 10, "-", "按期完成", None, None, None), *c[1:]],
                         score_col_values=[9, None, None, None, None, None, None]),
        "6_unreadable": dict(rows=_replace(_replace(c, 0, actual="约十五台左右12", rate="100%"), 1,
                                           actual="约一百%左右3")),
        "7_rule_texts": dict(rows=_replace(_replace(c, 1, target="≥95%", actual="92%", rule="每降低1%扣1分"), 2,
                                           actual="2024年12月25日", rule="每超出10天扣1分")),
        "8_ceiling": dict(rows=_replace(_replace(c, 3, target="≤50万", actual="40万元"), 5,
                                        target="≥100%", actual="=97%")),
    }


def _split(target: str) -> tuple[str | None, object, str | None]:
    """"≥15台" → ("≥", 15, "台") for the split 指标性质 / 度量单位 layout (levels and dates unchanged)."""
    import re

    m = re.fullmatch(r"([≥≤=])?(\d+(?:\.\d+)?)(\D*)", target)
    if not m:
        return None, target, None
    number = float(m.group(2)) if "." in m.group(2) else int(m.group(2))
    return m.group(1), number, m.group(3) or None


def build_corpus(directory: Path) -> dict[str, Path]:
    """Write one workbook per variant (and one with every variant as a sheet: ``all.xlsx``)."""
    directory.mkdir(parents=True, exist_ok=True)
    out = {}
    combined = openpyxl.Workbook()
    combined.remove(combined.active)
    for name, kwargs in variants().items():
        wb = workbook(**kwargs)
        out[name] = directory / f"{name}.xlsx"
        wb.save(out[name])
        selfeval_sheet(combined.create_sheet(name), **kwargs)
    out["all"] = directory / "all.xlsx"
    combined.save(out["all"])
    return out


# --------------------------------------------------------------------------- target tables (class 7)

TARGET_ROWS = [
    ("一级指标", "二级指标", "三级指标", "半年指标值", "全年指标值", "评分规则"),
    ("产出指标", "质量指标", "实训室建设", None, "力争合格率达95%，环境整洁", None),
    ("产出指标", "数量指标", "培训人次", "<span>≥500人次</span>", "[bookmark: _GoBack]≥1000人次", None),
    ("产出指标", "数量指标", "设备台数", "５～１０台", "≧１２台", "看情况赋分"),
    ("满意度指标", "服务对象满意度", "学生满意度", None, "95%以上", "满意度赋分"),
]


def target_workbook(rows=TARGET_ROWS) -> bytes:
    import io

    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"] = "2026年度部门绩效目标表"
    ws["A2"], ws["B2"] = "单位名称", "机电工程学院"
    for i, values in enumerate(rows, start=4):
        for c, v in enumerate(values, start=1):
            if v is not None:
                ws.cell(i, c, v)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
