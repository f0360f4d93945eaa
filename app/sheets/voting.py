"""Excel export of the democratic-rating tally (民主测评计票表).

Sheet 「计票结果」: one block per category (院部, 部门): per unit the lines of the rater groups that
may be shown (≥ 5 voters; smaller groups only inside the total), the total line with the count of
each level, the number of ballots, the mean (0–100), the component points and the explanation.
Sheet 「投票率」: roll size and ballots per rater group, weights. Never a single ballot.
"""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

from app.sheets.cells import append_row

THIN = Side(style="thin", color="999999")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEAD = PatternFill("solid", fgColor="F0F4F8")
TOTAL = PatternFill("solid", fgColor="FFFDE7")


def tally_workbook(tally) -> io.BytesIO:
    wb = Workbook()
    ws = wb.active
    ws.title = "计票结果"
    levels = tally.policy.level_names
    append_row(ws, [f"{tally.cycle.name} 民主测评计票结果"])
    ws["A1"].font = Font(bold=True, size=14)
    append_row(ws, [f"有效选票 {tally.ballots} 张，名册已投票 {tally.voted} 人；规则：{tally.policy.rule_text()}"])
    append_row(ws, [])
    header = ["单位", "测评人员类别", *levels, "票数", "平均分", "得分", "满分", "说明"]
    for cat, rows in tally.by_category.items():
        append_row(ws, [tally.rules.categories.get(cat, cat)])
        ws.cell(ws.max_row, 1).font = Font(bold=True, size=12)
        append_row(ws, header)
        for c in ws[ws.max_row]:
            c.font, c.fill, c.border = Font(bold=True), HEAD, BOX
        for ut in rows:
            d = tally.disclosure(ut)
            for line in d.lines:
                append_row(ws, [ut.unit.name, line.label, *[line.counts.get(lv, 0) for lv in levels], line.ballots])
                for c in ws[ws.max_row]:
                    c.border = BOX
            totals = [ut.total[lv] if d.totals_shown else "—" for lv in levels]
            note = f"{ut.explanation}\n{d.note}" if d.note else ut.explanation
            append_row(ws, [ut.unit.name, "合计", *totals, ut.ballots,
                       float(ut.mean) if ut.mean is not None else None,
                       float(ut.points) if ut.points is not None else None, float(ut.points_max), note])
            for c in ws[ws.max_row]:
                c.border, c.fill = BOX, TOTAL
            ws.cell(ws.max_row, len(header)).alignment = Alignment(wrap_text=True, vertical="top")
            for col in (len(levels) + 4, len(levels) + 5, len(levels) + 6):
                ws.cell(ws.max_row, col).number_format = "0.00"
        append_row(ws, [])
    widths = [22, 18, *([8] * len(levels)), 8, 9, 9, 8, 80]
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[ws.cell(4, i).column_letter].width = w

    t = wb.create_sheet("投票率")
    append_row(t, ["测评人员类别", "名册人数", "已投票", "投票率(%)", "权重"])
    for c in t[1]:
        c.font, c.fill, c.border = Font(bold=True), HEAD, BOX
    for g in tally.groups:
        append_row(t, [g.name, g.roll, g.voted, float(g.share), None if g.weight is None else float(g.weight)])
    append_row(t, ["合计", sum(g.roll for g in tally.groups), sum(g.voted for g in tally.groups)])
    for col, w in zip("ABCDE", (16, 10, 10, 10, 8), strict=True):
        t.column_dimensions[col].width = w
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    return out
