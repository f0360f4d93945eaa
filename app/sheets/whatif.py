"""The what-if workbook (方案测算), in the style of the results workbook (:mod:`app.sheets.results`):

* ``测算对比``: per unit the published and the what-if total, rank and grade, units whose grade
  would change first, with the reason in words and the engine's grading explanation;
* ``组成部分``: every component of every unit, published and what-if points and maxima;
* ``说明``: the draft, the cycle, the draft's changes, inputs the cycle lacks, notes.

Text goes through :mod:`app.sheets.cells`; scores are numbers with two decimals.
"""

from __future__ import annotations

import io
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from app.sheets.cells import text_cell
from app.sheets.results import WRAP, _header, _widths

CHANGED_FILL = PatternFill("solid", fgColor="FFF3CD")
COMPARE_HEADERS = ["类别", "单位", "公示总分", "公示名次", "公示等次", "测算总分", "测算名次", "测算等次", "等次变化",
                   "原因", "测算评定说明"]


def _row(ws, r: int, values: list, fill=None) -> None:
    for i, v in enumerate(values, start=1):
        cell = text_cell(ws, r, i, v)
        if isinstance(v, Decimal):
            cell.number_format = "0.00"
        if fill is not None:
            cell.fill = fill


def build(wi) -> bytes:
    """The workbook of a :class:`app.services.whatif.WhatIf`."""
    wb = Workbook()
    ws = wb.active
    ws.title = "测算对比"
    draft = wi.draft
    text_cell(ws, 1, 1, f"{wi.cycle.name}方案测算：按「{draft.name}」第 {draft.version} 版重新计算"
              ).font = Font(bold=True, size=14)
    text_cell(ws, 2, 1, f"公示结果（{wi.status_label}）与测算结果对比；等次会变化的单位 {len(wi.changed_grades)} 个，"
              "列在前面。测算不改变任何已公示的结果。")
    _header(ws, 3, COMPARE_HEADERS)
    r = 4
    for row in wi.rows:
        _row(ws, r, [row.category_name, row.unit_name, row.published_total, row.published_rank, row.published_grade,
                     row.whatif_total, row.whatif_rank, row.whatif_grade,
                     f"{row.published_grade or '—'} → {row.whatif_grade or '—'}" if row.grade_changed else "",
                     row.reason, row.explanation], CHANGED_FILL if row.grade_changed else None)
        ws.cell(row=r, column=10).alignment = WRAP
        ws.cell(row=r, column=11).alignment = WRAP
        r += 1
    _widths(ws, [8, 22, 10, 8, 8, 10, 8, 8, 14, 60, 60])
    ws.freeze_panes = "C4"

    ws = wb.create_sheet("组成部分")
    _header(ws, 1, ["类别", "单位", "组成部分", "公示得分", "测算得分", "公示分值", "测算分值"])
    r = 2
    for row in wi.rows:
        for p in row.parts:
            _row(ws, r, [row.category_name, row.unit_name, p.name, p.published, p.whatif, p.published_max,
                         p.whatif_max])
            r += 1
    _widths(ws, [8, 22, 16, 10, 10, 10, 10])
    ws.freeze_panes = "C2"

    ws = wb.create_sheet("说明")
    _header(ws, 1, ["项目", "内容"])
    lines = [("考核周期", f"{wi.cycle.name}（{wi.status_label}）"),
             ("测算方案", f"{draft.name}（{draft.code} 第 {draft.version} 版）")]
    lines += [("缺少的数据", m) for m in wi.missing] or [("缺少的数据", "无")]
    lines += [("说明", n) for n in wi.notes]
    lines += [("草案与本周期方案的差别", c) for c in wi.changes] or [("草案与本周期方案的差别", "内容相同")]
    for i, (k, v) in enumerate(lines, start=2):
        _row(ws, i, [k, v])
        ws.cell(row=i, column=2).alignment = WRAP
    _widths(ws, [24, 100])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
