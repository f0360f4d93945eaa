"""The results workbook, in the shape an office hands to the leadership:

* one summary sheet per category (``院部汇总``, ``部门汇总``): rank, unit, components, total, grade,
  notes, with a bar chart of the totals;
* ``指标明细``: every indicator of every unit with its points, maximum, raw values and explanation;
* ``测评票数``: the democratic rating's level counts per unit and rater group, with a chart;
* ``突出贡献奖`` and ``调整记录`` (deliberation and objection changes with their reasons).

It is built from :func:`app.services.results_read.export_payload`, the same data as the web pages
and the JSON, so the figures match to the cent. Scores are written as numbers with two decimals.
"""

from __future__ import annotations

from decimal import Decimal

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from app.labels import label, when
from app.sheets.cells import FastRows, append_row, save, text_cell

HEADER_FILL = PatternFill("solid", fgColor="F0F4F8")
BOLD = Font(bold=True)
WRAP = Alignment(wrap_text=True, vertical="top")
FLAG_TEXT = {
    "last_place": "本类末位",
    "last_place_consecutive": "连续两年末位",
    "tie_at_quota": "并列占优秀名额，待审议",
    "score_overridden": "总分经调整",
    "grade_overridden": "等次经调整",
}
SUMMARY_HEADERS = ["名次", "单位", "单位类型"]


def _num(s):
    return None if s in (None, "") else Decimal(str(s))


def _header(ws, row: int, values: list[str]) -> None:
    for i, v in enumerate(values, start=1):
        c = text_cell(ws, row, i, v)
        c.font, c.fill = BOLD, HEADER_FILL
        c.alignment = Alignment(wrap_text=True, vertical="center")


def _widths(ws, widths: list[int]) -> None:
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w


def summary_columns(category: dict) -> list[str]:
    cols = list(SUMMARY_HEADERS)
    for c in category["components"]:
        off = "" if c.get("counts", True) else "（不计入总分）"
        if c["kind"] in ("bonus", "deduction"):
            cols.append(c["name"] + off)
        else:
            cols.append(f"{c['name']}（{Decimal(c['points']):g}）" + off)
        cols.append(f"{c['name']}名次")
        if c["kind"] == "target":
            cols.append("目标考核原始分")
    return cols + ["计算总分", "总分", "等次", "标记", "等次说明"]


def _number_styles(rows: FastRows) -> tuple[str, str, str, str]:
    """Plain, ``0.00``, wrapped, and ``0.00`` wrapped cells."""
    return (rows.style(), rows.style(number_format="0.00"), rows.style(alignment=WRAP),
            rows.style(number_format="0.00", alignment=WRAP))


def _summary(wb: Workbook, payload: dict, cat: dict) -> FastRows:
    ws = wb.create_sheet(f"{cat['name']}汇总")
    title = f"{payload['cycle']['name']}综合目标考核结果 · {cat['name']}（{payload['status_label']}）"
    text_cell(ws, 1, 1, title).font = Font(bold=True, size=14)
    counted = [c["name"] for c in cat["components"] if c.get("counts", True)]
    text_cell(ws, 2, 1, f"优秀名额 {cat['quota']} 名；总分 = " + " + ".join(counted))
    cols = summary_columns(cat)
    _header(ws, 3, cols)
    rows = FastRows(ws)
    plain, num, wrap, num_wrap = _number_styles(rows)
    r = 4
    for u in cat["units"]:
        values = [u["rank"], u["unit"], u["subtype"]]
        scores = {x["key"]: x for x in u.get("component_scores") or []}
        for c in cat["components"]:
            x = scores.get(c["key"]) or {}
            values.append(_num(x.get("points")))
            values.append(x.get("rank"))
            if c["kind"] == "target":
                values.append(_num(u["target_raw"]))
        values += [_num(u["computed_total"]), _num(u["total"]), u["grade"],
                   "、".join(FLAG_TEXT.get(f, f) for f in u["flags"]) + ("、成绩暂定" if u["provisional"] else ""),
                   u["grading_explanation"]]
        n = len(values)  # scores as 0.00, the last column (等次说明) wrapped
        rows.append(values, [plain] * (n - 1) + [wrap], [num] * (n - 1) + [num_wrap])
        r += 1
    _widths(ws, [6, 22, 12] + [12] * (len(cols) - 8) + [10, 10, 8, 20, 70])
    ws.freeze_panes = "C4"
    if cat["units"]:
        chart = BarChart()
        chart.type = "bar"
        chart.title = f"{cat['name']}总分排名"
        chart.y_axis.title = "总分"
        total_col = cols.index("总分") + 1
        chart.add_data(Reference(ws, min_col=total_col, min_row=3, max_row=r - 1), titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=2, min_row=4, max_row=r - 1))
        chart.x_axis.scaling.orientation = "maxMin"
        chart.height, chart.width = max(7.5, 0.6 * len(cat["units"])), 18
        chart.legend = None
        ws.add_chart(chart, f"A{r + 2}")
    return rows


def _walk(nodes, depth=0):
    for n in nodes:
        yield depth, n
        yield from _walk(n.get("children") or [], depth + 1)


def _details(wb: Workbook, payload: dict) -> FastRows:
    """One line per component, indicator node and normalisation of every unit (250 units: 50,000
    lines), written through :class:`FastRows`: per cell the value and style :func:`text_cell` would give."""
    ws = wb.create_sheet("指标明细")
    _header(
        ws, 1, ["类别", "单位", "层级", "指标编号", "指标名称", "得分", "满分", "原始得分", "原始满分", "状态", "说明"]
    )
    rows = FastRows(ws)
    width = 11
    plain, num, wrap, num_wrap = _number_styles(rows)
    normal = ([plain] * (width - 1) + [wrap], [num] * (width - 1) + [num_wrap])
    bold = ([rows.style(font=BOLD)] * (width - 1) + [rows.style(font=BOLD, alignment=WRAP)],
            [rows.style(font=BOLD, number_format="0.00")] * (width - 1)
            + [rows.style(font=BOLD, number_format="0.00", alignment=WRAP)])
    statuses = {"ok": "", "missing": "未评分", "error": "数据有误"}
    indents: dict[int, str] = {}
    num_of: dict = {}

    def number(s):
        if s in (None, ""):
            return None
        d = num_of.get(s)
        if d is None:
            d = num_of[s] = Decimal(str(s))
        return d

    for cat in payload["categories"]:
        cat_name = cat["name"]
        for u in cat["units"]:
            unit = u["unit"]
            for c in u.get("components", []):
                rows.append([cat_name, unit, "组成部分", label(c["key"]), c["name"], number(c["points"]),
                             number(c["max_points"]), None, None, label(c["status"]), c["explanation"]], *bold)
            for depth, n in _walk(u.get("indicators", [])):
                indent = indents.get(depth)
                if indent is None:
                    indent = indents[depth] = "　" * depth
                if n["applicable"]:
                    figures = [number(n["points"]), number(n["max_points"]), number(n["raw_points"]),
                               number(n["raw_max"]), statuses.get(n["status"], n["status"])]
                else:
                    figures = [None, None, None, None, "不参加"]
                rows.append([cat_name, unit, depth + 1, n["code"], indent + n["name"], *figures, n["explanation"]],
                            *normal)
            for nm in u.get("normalisations", []):
                rows.append([cat_name, unit, "折算", nm["code"], nm["name"], number(nm["points"]),
                             number(nm["full_max"]), number(nm["raw_points"]), number(nm["raw_max"]), nm["policy"],
                             nm["explanation"]], *normal)
    _widths(ws, [8, 20, 8, 10, 30, 9, 9, 9, 9, 8, 90])
    ws.freeze_panes = "C2"
    return rows


def _ballots(wb: Workbook, payload: dict, levels: list[str]) -> FastRows:
    ws = wb.create_sheet("测评票数")
    _header(ws, 1, ["类别", "单位", "测评人员类别"] + levels + ["合计", "民主测评得分", "说明"])
    rows = FastRows(ws)
    plain = rows.style()
    line_styles = [plain] * (len(levels) + 6)
    # a unit's 合计 line: the label bold, the democratic score as 0.00 (whatever the value)
    total_styles = [plain, plain, rows.style(font=BOLD)] + [plain] * (len(levels) + 1) + [
        rows.style(number_format="0.00"), plain]
    r = 2
    first = r
    for cat in payload["categories"]:
        for u in cat["units"]:
            shown = u.get("ballots") or {}
            for line in shown.get("lines", []):
                counts = line["counts"]
                rows.append([cat["name"], u["unit"], line["group"]] + [counts.get(lv, 0) for lv in levels]
                            + [line["ballots"], None], line_styles, line_styles)
                r += 1
            total = shown.get("total")
            cells = [total.get(lv, 0) for lv in levels] if total is not None else ["—"] * len(levels)
            rows.append([cat["name"], u["unit"], "合计"] + cells
                        + [shown.get("ballots", 0), _num(u["democratic"]), shown.get("note") or None],
                        total_styles, total_styles)
            r += 1
    _widths(ws, [8, 22, 14] + [8] * len(levels) + [8, 12, 40])
    if r > first and levels:
        chart = BarChart()
        chart.type = "col"
        chart.grouping = "stacked"
        chart.overlap = 100
        chart.title = "民主测评等次票数"
        chart.add_data(Reference(ws, min_col=4, max_col=3 + len(levels), min_row=1, max_row=r - 1),
                       titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=2, min_row=2, max_row=r - 1))
        chart.width, chart.height = 28, 10
        ws.add_chart(chart, f"{get_column_letter(len(levels) + 8)}2")
    return rows


def _awards(wb: Workbook, payload: dict) -> None:
    ws = wb.create_sheet("突出贡献奖")
    _header(ws, 1, ["单位", "成果", "级别", "评审结果", "说明"])
    labels = {"awarded": "授予", "rejected": "不授予"}
    for a in payload.get("awards", []):
        append_row(
            ws, [a["unit_name"], a["title"], a["level"], labels.get(a["decided"], a["decided"]), a["explanation"]]
        )
    _widths(ws, [22, 40, 10, 10, 60])


def _changes(wb: Workbook, payload: dict) -> None:
    ws = wb.create_sheet("调整记录")
    _header(ws, 1, ["类别", "单位", "来源", "内容", "原值", "新值", "理由", "时间（北京时间）"])
    kinds = {"total": "调整总分", "grade": "调整等次", "fail": "认定不合格"}
    sources = {"deliberation": "领导小组审议", "objection": "异议更正"}
    for cat in payload["categories"]:
        for u in cat["units"]:
            for o in u["overrides"]:
                append_row(
                    ws,
                    [
                        cat["name"],
                        u["unit"],
                        sources.get(o["source"], o["source"]),
                        kinds.get(o["kind"], o["kind"]),
                        o["old"],
                        o["new"],
                        o["reason"],
                        when(o["at"]),
                    ],
                )
    _widths(ws, [8, 22, 14, 12, 10, 10, 60, 26])


def build_workbook(payload: dict) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    fast = [_summary(wb, payload, cat) for cat in payload["categories"]]
    fast.append(_details(wb, payload))
    levels = payload.get("ballot_levels") or []
    if not levels:
        seen = []
        for cat in payload["categories"]:
            for u in cat["units"]:
                for line in (u.get("ballots") or {}).get("lines", []):
                    seen += [lv for lv in line["counts"] if lv not in seen]
        levels = seen
    fast.append(_ballots(wb, payload, levels))
    _awards(wb, payload)
    _changes(wb, payload)
    wb.properties.title = f"{payload['cycle']['name']}综合目标考核结果"
    return save(wb, fast)
