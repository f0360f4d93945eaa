"""Year-end pages: the office's settings page (policy, bands, weights), the behind page listing every
row that loses points, the report in the Jiangmen structure and its Word file, submission and review."""

import io
import re

import docx
from sqlmodel import select

from app.models import AuditEntry
from app.models.targets import TargetTableRecord
from app.rubric.targets import TargetRow, TargetTable
from app.rubric.values import parse_value
from app.sheets.targets import write_target_workbook
from tests.sheets.test_targets_sources import JIANGMEN
from tests.web.test_targets_web import _checkpoint, _fill, _import, _login, _text, org  # noqa: F401


def jiangmen_workbook() -> bytes:
    rows = [TargetRow(level1=l1, level2=l2, level3=name, function=None, key_work=None, name=name, half_year=None,
                      full_year=parse_value(target, year=2026), position=i)
            for i, (l1, l2, name, target, _a, _s) in enumerate(JIANGMEN, start=1)]
    return write_target_workbook(TargetTable(unit="机电工程学院", project=None, year=2026, layout="levels",
                                             rows=tuple(rows)))


def _pdf_fonts(data: bytes) -> set[bytes]:
    """The CJK font names embedded in a PDF (font descriptors may sit in compressed streams)."""
    import zlib

    names = set(re.findall(rb"/FontName\s*/([A-Za-z0-9+\-_]+)", data))
    for m in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            names |= set(re.findall(rb"/FontName\s*/([A-Za-z0-9+\-_]+)", zlib.decompress(m.group(1))))
        except zlib.error:
            pass
    return {n for n in names if b"WenQuanYi" in n or b"CJK" in n}


def _version(html: str) -> str:
    return re.search(r'name="version"[^>]*value="(\d+)"', html).group(1)


def _settings(c, tid, **data):
    html = _text(c.get(f"/targets/tables/{tid}/settings"))
    form = {"version": _version(html), "overachievement": "met", "scoring": "indicators", "amber_from": "85",
            "band_good": "90", "band_fair": "80", "band_pass": "60", "execution_target": "100",
            "execution_weight": "10", "attainment_points": "5", "dim_budgeting": "20", "dim_execution": "30",
            "dim_performance": "50"}
    form.update(data)
    return c.post(f"/targets/tables/{tid}/settings", data=form, follow_redirects=True)


def _jiangmen_year(app, org):  # noqa: F811
    office = _login(app, "office1")
    rep = _login(app, "rep")
    tid = _import(office, org["unit"].id, jiangmen_workbook())
    assert _checkpoint(office, "full_year", "open").status_code == 302
    _fill(rep, tid, "full_year", {i: (j[4], "职称评审推迟" if i == 8 else "") for i, j in enumerate(JIANGMEN, start=1)})
    return office, rep, tid


def test_jiangmen_through_the_pages_gives_99_75(app, session, org):  # noqa: F811
    office, rep, tid = _jiangmen_year(app, org)
    html = _text(office.get(f"/targets/tables/{tid}/year-end"))
    assert '<span class="bigscore">98.24</span>' in html  # indicators only, ≥ target met = full marks
    r = _settings(office, tid, scoring="overall")
    assert "已保存评分设置" in _text(r)
    html = _text(office.get(f"/targets/tables/{tid}/year-end"))
    assert '<span class="bigscore">99.75</span>' in html and "grade-优" in html
    assert "绩效目标完成率" in html and "19 / 20" in html
    # the behind page lists exactly the one row that loses points, with what it loses
    behind = _text(office.get("/targets/office/behind?year=2026&kind=full_year"))
    assert "指标 8：中、高级职称以上教师" in behind and "−1.76" in behind and "1 项扣分" in behind
    assert "指标 2：引进研究生以上层次人才数量" not in behind
    # the report: Jiangmen's sections, figures filled in
    report = _text(office.get(f"/targets/tables/{tid}/report"))
    for heading in ("一、部门基本情况", "（一）部门职能。", "二、绩效自评情况", "（一）自评结论。", "1.预算编制情况",
                    "2.预算执行情况", "3.资金使用绩效情况", "（三）部门整体支出绩效指标实现程度。", "1.存在问题。",
                    "2.原因。", "3.改进建议。", "三、其他自评情况"):
        assert heading in report, heading
    assert "部门整体绩效评价得分为 99.75 分，等级为“优”" in report
    # no stray line break inside a paragraph of the report
    assert all("\n" not in p for p in re.findall(r'<p class="prose[^"]*">(.*?)</p>', report, re.S))
    assert "偏差原因：职称评审推迟" in report
    # the Word file has the same sections and figures
    resp = office.get(f"/targets/tables/{tid}/report.docx")
    assert resp.status_code == 200 and "attachment" in resp.headers["Content-Disposition"]
    d = docx.Document(io.BytesIO(resp.data))
    text = "\n".join(p.text for p in d.paragraphs)
    assert "部门整体绩效评价得分为 99.75 分，等级为“优”" in text and "三、其他自评情况" in text
    pdf = office.get(f"/targets/tables/{tid}/report.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF") and pdf.mimetype == "application/pdf"
    assert "attachment" in pdf.headers["Content-Disposition"]
    assert _pdf_fonts(pdf.data)  # a CJK font is embedded, so the Chinese text shows
    cells = [c.text for c in d.tables[-1].rows[8].cells]
    assert cells[2] == "指标 8：中、高级职称以上教师" and cells[4] == "73%" and cells[5] == "职称评审推迟"


def test_settings_page_refuses_bad_values_and_changes_nothing(app, session, org):  # noqa: F811
    office, rep, tid = _jiangmen_year(app, org)
    before = session.get(TargetTableRecord, tid).version
    for data, message in (({"band_good": "70"}, "等级分数线"), ({"amber_from": "abc"}, "不是数字"),
                          ({"w1": "120"}, "应在 0 到 100 之间"),
                          ({"scoring": "overall", "dim_budgeting": "40"}, "合计 120")):
        r = _settings(office, tid, **data)
        assert message in _text(r), message
    session.expire_all()
    assert session.get(TargetTableRecord, tid).version == before
    assert rep.get(f"/targets/tables/{tid}/settings").status_code == 403


def test_row_weights_and_policy_on_the_page_and_audited(app, session, org):  # noqa: F811
    office, _rep, tid = _jiangmen_year(app, org)
    r = _settings(office, tid, overachievement="met", w2="24", o2="deviation", band_good="95")
    assert "已保存评分设置" in _text(r)
    html = _text(office.get(f"/targets/tables/{tid}/year-end"))
    # row 2 (11 against ≥5) weighs 24 under the deviation rule: 0 points; the other 19 share 76 (4 each)
    assert re.search(r"指标 2：引进研究生以上层次人才数量</td>.*?24\.00.*?<td data-label=\"得分\" class=\"num\">0\.00",
                     html, re.S)
    # 4 × 2.5 × (1 − 73/85) = 1.41 lost on row 8; total 100 − 24 − 1.41 = 74.59 → 中 with 优 ≥ 95
    assert '<span class="bigscore">74.59</span>' in html and "grade-中" in html
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "target_settings")).all()[-1]
    assert entry.new_value["rows"]["2"] == {"weight": "24.00", "overachievement": "deviation"}
    behind = _text(office.get("/targets/office/behind?year=2026&kind=full_year"))
    assert "超出目标（偏差扣分）" in behind and "指标 2：引进研究生以上层次人才数量" in behind


def test_submit_return_with_comments_resubmit_accept(app, session, org):  # noqa: F811
    office, rep, tid = _jiangmen_year(app, org)
    _settings(office, tid, scoring="overall")
    html = _text(rep.get(f"/targets/tables/{tid}/year-end"))
    r = rep.post(f"/targets/tables/{tid}/year-end/submit", data={"version": _version(html)}, follow_redirects=True)
    assert "请先填写总体完成情况" in _text(r)
    html = _text(rep.get(f"/targets/tables/{tid}/year-end"))
    r = rep.post(
        f"/targets/tables/{tid}/year-end",
        data={
            "version": _version(html),
            "summary": "全年目标基本实现。",
            "problems": "职称结构未达标。",
            "fixes": "加大职称评审力度。",
            "functions": "培养中高级技能人才。",
            "ded_budgeting_0_points": "0.5",
            "ded_budgeting_0_reason": "部分指标未细化",
        },
        follow_redirects=True,
    )
    assert "已保存年度报告" in _text(r) and '<span class="bigscore">99.25</span>' in _text(r)
    r = rep.post(f"/targets/tables/{tid}/year-end/submit", data={"version": _version(_text(r))}, follow_redirects=True)
    assert "已提交年度报告" in _text(r) and "已提交待审核" in _text(r)
    # submitted: the unit can no longer change it
    assert 'name="summary"' not in _text(r)
    r = rep.post(f"/targets/tables/{tid}/year-end", data={"version": session.get(TargetTableRecord, tid).version,
                                                          "summary": "改"}, follow_redirects=True)
    assert "不能修改" in _text(r)
    html = _text(office.get(f"/targets/tables/{tid}/year-end"))
    r = office.post(f"/targets/tables/{tid}/year-end/review", data={"version": _version(html), "decision": "return",
                                                                    "comment": ""}, follow_redirects=True)
    assert "请写明审核意见" in _text(r)
    r = office.post(f"/targets/tables/{tid}/year-end/review", data={
        "version": _version(html), "decision": "return", "comment": "请补充偏差原因分析。"}, follow_redirects=True)
    assert "已退回年度报告" in _text(r)
    html = _text(rep.get(f"/targets/tables/{tid}/year-end"))
    assert "请补充偏差原因分析。" in html and "重新提交" in html
    r = rep.post(f"/targets/tables/{tid}/year-end/submit", data={"version": _version(html)}, follow_redirects=True)
    html = _text(office.get(f"/targets/tables/{tid}/year-end"))
    r = office.post(f"/targets/tables/{tid}/year-end/review", data={"version": _version(html), "decision": "accept",
                                                                    "comment": ""}, follow_redirects=True)
    assert "已审核通过年度报告" in _text(r)
    session.expire_all()
    assert session.get(TargetTableRecord, tid).report_status == "accepted"
    actions = [e.action for e in session.exec(select(AuditEntry).where(AuditEntry.entity == "target_table")
                                               .order_by(AuditEntry.id))]
    assert actions[-4:] == ["submit_year_end_report", "return_year_end_report", "submit_year_end_report",
                            "accept_year_end_report"]
    assert rep.post(f"/targets/tables/{tid}/year-end/review", data={"decision": "accept"}).status_code == 403
    report = _text(office.get(f"/targets/tables/{tid}/report"))
    assert "部分指标未细化扣 0.50 分" in report and "培养中高级技能人才。" in report


def test_figures_above_the_header_shown_on_preview_table_and_export(app, session, org):  # noqa: F811
    from pathlib import Path

    import openpyxl

    from tests.web.test_targets_web import _upload

    office = _login(app, "office1")
    data = (Path(__file__).resolve().parents[1] / "fixtures" / "targets" / "changzhou_2026_targets.xlsx").read_bytes()
    preview = _text(_upload(office, org["unit"].id, data))
    assert "表头上方的基本信息" in preview and "资金总额" in preview and "38143.9" in preview
    assert "单位主要职能" in preview and "年度目标" in preview
    tid = _import(office, org["unit"].id, data)
    page = _text(office.get(f"/targets/tables/{tid}"))
    assert "基本信息（目标表表头上方）" in page and "38143.9" in page
    ws = openpyxl.load_workbook(io.BytesIO(office.get(f"/targets/tables/{tid}/export.xlsx").data)).active
    col_a = [ws.cell(row=r, column=1).value for r in range(1, ws.max_row + 1)]
    assert "资金总额" in col_a and col_a.count("一级指标") >= 2
    # the report's 部门职能 and 绩效目标 default to what the table says above its header
    report = _text(office.get(f"/targets/tables/{tid}/report"))
    assert "高等职业教育学历教育" in report and "坚持以习近平新时代中国特色社会主义思想为指导" in report
