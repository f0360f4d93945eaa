"""The reward-pay workbook (奖励性绩效工资名单) for the personnel and finance offices: one row per
unit with category, unit, type, rank, grade, whether it receives reward pay, and the coefficient.
Text cells go through the shared safe-cell helper (never a formula, whatever the text begins with)."""

from __future__ import annotations

import io
from collections.abc import Iterable

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from app.sheets.cells import text_cell as _text

HEADERS = ["单位类别", "单位", "单位类型", "名次", "等次", "是否发放奖励性绩效工资", "系数"]
WIDTHS = [12, 28, 14, 8, 10, 22, 10]


def build_reward_workbook(cycle_name: str, rows: Iterable) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "奖励性绩效工资名单"
    title = _text(ws, 1, 1, f"{cycle_name}综合目标考核 奖励性绩效工资名单")
    title.font = Font(bold=True, size=14)
    _text(ws, 2, 1, "合格及以上等次的单位发放奖励性绩效工资，不合格单位不发放；系数由考核方案规定。")
    for i, h in enumerate(HEADERS, start=1):
        c = _text(ws, 4, i, h)
        c.font, c.fill = Font(bold=True), PatternFill("solid", fgColor="F0F4F8")
        c.alignment = Alignment(wrap_text=True, vertical="center")
        ws.column_dimensions[chr(64 + i)].width = WIDTHS[i - 1]
    r = 5
    for row in rows:
        _text(ws, r, 1, row.category)
        _text(ws, r, 2, row.unit)
        _text(ws, r, 3, row.subtype)
        ws.cell(row=r, column=4, value=row.rank or None)
        _text(ws, r, 5, row.grade)
        _text(ws, r, 6, "是" if row.eligible else "否")
        c = ws.cell(row=r, column=7, value=float(row.coefficient))
        c.number_format = "0.00"
        r += 1
    ws.freeze_panes = "A5"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
