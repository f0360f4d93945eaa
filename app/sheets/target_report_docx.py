"""The year-end report (绩效自评报告) of a target table as a Word file, in the section order of
the Jiangmen 2022 部门整体支出绩效自评报告 — the same sections and figures as the printable page
(``templates/targets/report.html``): 一、基本情况; 二、绩效自评情况 (自评结论, the three
dimensions with their figures, the indicator table, problems / causes / suggestions); 三、其他
自评情况; unit and date. A4, 仿宋 body text and 黑体 headings as finance bureaus receive them.

``report_docx(ctx)`` takes the page's context (``ye``, ``table``, ``rec``, ``unit``, ``texts``,
``actuals``, ``budget``, ``report_date``) and returns the .docx bytes.
"""

from __future__ import annotations

import copy
import functools
import io
from decimal import Decimal
from typing import Any

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

__all__ = ["report_docx"]

BODY_FONT = "仿宋"
HEAD_FONT = "黑体"
TITLE_FONT = "宋体"


def _set_font(run, name: str, size: float, bold: bool) -> None:
    run.font.name = name
    run.font.size = Pt(size)
    run.font.bold = bold
    rpr = run._element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(rfonts)
    rfonts.set(qn("w:eastAsia"), name)


@functools.cache
def _run_properties(name: str, size: float, bold: bool):
    """The ``w:rPr`` element ``_set_font`` gives a run, made once (python-docx builds it child by
    child, ~0.2 ms a run; the indicator table of 200 rows has some 1,600 runs)."""
    run = Document().add_paragraph().add_run("")
    _set_font(run, name, size, bold)
    return run._element.rPr


def _font(run, name: str, size: float, bold: bool = False) -> None:
    if run._element.rPr is not None:  # a run with properties of its own
        _set_font(run, name, size, bold)
        return
    run._element.insert(0, copy.deepcopy(_run_properties(name, size, bold)))


def _para(doc, text: str, *, font: str = BODY_FONT, size: float = 14, bold: bool = False, indent: bool = True,
          align=None):
    p = doc.add_paragraph()
    if indent:
        p.paragraph_format.first_line_indent = Pt(size * 2)
    p.paragraph_format.line_spacing = Pt(size * 1.75)
    if align is not None:
        p.alignment = align
    _font(p.add_run(text), font, size, bold)
    return p


def _prose(doc, text: str | None, empty: str = "（未填写）") -> None:
    paras = [t.strip() for t in (text or "").split("\n") if t.strip()]
    for t in paras or ([empty] if empty else []):
        _para(doc, t)


def _s(d: Decimal | None) -> str:
    return "—" if d is None else str(Decimal(d).quantize(Decimal("0.01")))


def _pct(d: Decimal | None) -> str:
    return "—" if d is None else f"{(Decimal(d) * 100).quantize(Decimal('0.01'))}%"


def _g(d: Decimal) -> str:
    return f"{(Decimal(d) * 100).normalize():f}%"


def _cell(cell, text: str, *, bold: bool = False, size: float = 10.5) -> None:
    cell.text = ""
    p = cell.paragraphs[0]
    _font(p.add_run(text), BODY_FONT, size, bold)


def report_docx(ctx: dict[str, Any]) -> bytes:
    ye, table, rec, unit = ctx["ye"], ctx["table"], ctx["rec"], ctx["unit"]
    texts, actuals, budget = ctx["texts"], ctx["actuals"], ctx["budget"]
    whose = "项目" if rec.project else "部门"
    whole = "项目" if rec.project else "部门整体"
    dims = {d.key: d for d in ye.overall.dimensions} if ye.overall else {}
    met_w, all_w, met_n, _all_n = ye.score.attainment

    doc = Document()
    sec = doc.sections[0]
    sec.page_width, sec.page_height = Cm(21), Cm(29.7)
    sec.left_margin = sec.right_margin = Cm(2.8)
    sec.top_margin, sec.bottom_margin = Cm(3.7), Cm(3.5)

    _para(doc, f"{unit.name}{rec.project or ''}{rec.year}年度绩效自评报告", font=TITLE_FONT, size=22, bold=True,
          indent=False, align=WD_ALIGN_PARAGRAPH.CENTER)
    _para(doc, f"（{whole}支出绩效自评）", size=14, indent=False, align=WD_ALIGN_PARAGRAPH.CENTER)

    _para(doc, f"一、{whose}基本情况", font=HEAD_FONT, size=16)
    _para(doc, f"（一）{whose}职能。", bold=True)
    _prose(doc, texts.get("functions"))
    _para(doc, "（二）年度总体工作和重点工作任务。", bold=True)
    _prose(doc, texts.get("work"))
    _para(doc, f"（三）预期{whole}支出绩效目标情况。", bold=True)
    _prose(doc, texts.get("goals"))
    info = [(k, v) for k, v in table.info.items() if k not in ("单位主要职能", "年度目标")]
    if info:
        t = doc.add_table(rows=len(info), cols=2)
        t.style = "Table Grid"
        for i, (k, v) in enumerate(info):
            _cell(t.cell(i, 0), k, bold=True)
            _cell(t.cell(i, 1), v)

    _para(doc, "二、绩效自评情况", font=HEAD_FONT, size=16)
    _para(doc, "（一）自评结论。", bold=True)
    _para(doc, f"经对{unit.name}{rec.year}年的预算编制情况、预算执行情况、资金使用绩效三个方面进行了评价打分和分析，"
               f"{whole}绩效评价得分为 {_s(ye.total)} 分，等级为“{ye.grade}”。")
    _prose(doc, rec.summary, "")
    _para(
        doc,
        f"（二）从预算编制情况、预算执行情况和资金使用效益三个维度综合反映{whose}支出的配置效用、管理效能和资金效益。",
        bold=True,
    )

    def dim_line(key: str) -> str:
        d = dims.get(key)
        if d is None:
            return ""
        extra = "".join(f"，{x.reason}扣 {_s(x.points)} 分" for x in d.deductions)
        return f"本维度得分 {_s(d.score)} / {_s(d.points)} 分{extra}。"

    _para(doc, "1.预算编制情况", bold=True)
    if dims:
        _para(doc, dim_line("budgeting"))
    _prose(doc, texts.get("budgeting"))
    _para(doc, "2.预算执行情况", bold=True)
    parts = []
    if budget:
        start = "—" if budget[0] is None else _s(budget[0])
        parts.append(f"年初预算数 {start} 万元，全年预算数 {_s(budget[1])} 万元，全年执行数 {_s(budget[2])} 万元")
    money = ctx.get("money")
    if money is not None and money.half_rate is not None:
        parts.append(f"半年计划执行数 {_s(money.half_plan)} 万元，半年执行数 {_s(money.half_spent)} 万元，"
                     f"半年执行率 {_pct(money.half_rate)}")
    if ye.execution:
        parts.append(f"预算执行率 {_pct(ye.execution.rate)}（目标 {_g(ye.execution_target)}），"
                     f"得 {_s(ye.execution.points)} / {_s(ye.execution.weight)} 分")
    else:
        parts.append("预算执行率未填报")
    _para(doc, "，".join(parts) + "。" + dim_line("execution"))
    _prose(doc, texts.get("execution"))
    _para(doc, "3.资金使用绩效情况", bold=True)
    rate = met_w / all_w if all_w else Decimal(1)
    _para(doc, f"{len(table.rows)} 项绩效指标中达到目标的 {met_n} 项，绩效目标完成率 {_pct(rate)}（按权重）；"
               f"各指标按评分规则共得 {_s(ye.score.total)} / {_s(ye.score.max_points)} 分。" + dim_line("performance"))
    _prose(doc, texts.get("performance"))

    _para(doc, f"（三）{whole}支出绩效指标实现程度。", bold=True)
    header = ("一级指标", "二级指标", "三级指标", "指标值", "实际完成值", "偏差原因", "分值", "得分")
    t = doc.add_table(rows=1, cols=len(header))
    t.style = "Table Grid"
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    for c, h in enumerate(header):
        _cell(t.rows[0].cells[c], h, bold=True, size=9)
    for r in ye.score.rows:
        row = table.row(r.position)
        a = actuals.get((r.position, "full_year"))
        cells = t.add_row().cells
        values = (row.level1 or "", row.level2 or "", row.name, r.target.text if r.target else "",
                  a.text if a else "未填报", a.note if a and a.note and r.points < r.weight else "",
                  _s(r.weight), _s(r.points) if r.counted else "—")
        for c, v in enumerate(values):
            _cell(cells[c], v, size=9)
    if ye.execution and not ye.overall:
        cells = t.add_row().cells
        for c, v in enumerate(("预算执行率", "", "", _g(ye.execution_target), _pct(ye.execution.rate), "",
                               _s(ye.execution.weight), _s(ye.execution.points))):
            _cell(cells[c], v, size=9)
    cells = t.add_row().cells
    line = ye.execution if ye.execution and not ye.overall else None
    _cell(cells[0], "合计", bold=True, size=9)
    _cell(cells[6], _s(ye.score.max_points + (line.weight if line else 0)), bold=True, size=9)
    _cell(cells[7], _s(ye.score.total + (line.points if line else 0)), bold=True, size=9)

    _para(doc, f"（四）{whole}支出使用存在问题及改进意见。", bold=True)
    _para(doc, "1.存在问题。", bold=True)
    if ye.score.shortfalls:
        _para(doc, "未完全达到目标的指标：")
        for i, r in enumerate(ye.score.shortfalls, start=1):
            a = actuals.get((r.position, "full_year"))
            reason = f"偏差原因：{a.note}" if a and a.note else ""
            _para(doc, f"（{i}）{r.name}：目标 {r.target.text if r.target else '—'}，实际 "
                       f"{r.actual.text if r.actual else '未填报'}，得 {_s(r.points)} / {_s(r.weight)} 分。{reason}")
    _prose(doc, rec.problems, "" if ye.score.shortfalls else "（未填写）")
    _para(doc, "2.原因。", bold=True)
    _prose(doc, texts.get("causes"))
    _para(doc, "3.改进建议。", bold=True)
    _prose(doc, rec.fixes)

    _para(doc, "三、其他自评情况", font=HEAD_FONT, size=16)
    _prose(doc, texts.get("other"), "无。")
    doc.add_paragraph()
    _para(doc, unit.name, indent=False, align=WD_ALIGN_PARAGRAPH.RIGHT)
    _para(doc, ctx.get("report_date", ""), indent=False, align=WD_ALIGN_PARAGRAPH.RIGHT)

    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
