"""The results workbook read back: every figure equals the stored results to the cent, the
indicator sheet carries every explanation, the rating counts add up, the charts are there; and
the SVG helper escapes what it is given."""

import io
from decimal import Decimal

from openpyxl import load_workbook
from openpyxl.chart import BarChart

from app import charts
from app.services import results, results_read
from app.sheets.results import build_workbook
from tests.builders.results_case import case  # noqa: F401  (fixture)


def _cents(v) -> Decimal:
    return Decimal(str(v)).quantize(Decimal("0.01"))


def test_workbook_matches_results_to_the_cent(case, session):  # noqa: F811
    results.refresh(session, cycle=case.cycle)
    rs = results.fix(session, actor_id=case.office.id, cycle=case.cycle)
    payload = results_read.export_payload(session, rs, case.cycle)
    wb = load_workbook(io.BytesIO(build_workbook(payload)))
    rows = {r.unit_name: r for r in results.rows_of(session, rs)}
    for cat in payload["categories"]:
        ws = wb[f"{cat['name']}汇总"]
        header = [c.value for c in ws[3]]
        seen = 0
        for values in ws.iter_rows(min_row=4, values_only=True):
            if values[1] is None:
                break
            rec = dict(zip(header, values, strict=False))
            r = rows[rec["单位"]]
            assert rec["名次"] == r.rank and rec["等次"] == r.grade
            assert _cents(rec["总分"]) == r.total and _cents(rec["计算总分"]) == r.computed_total
            assert _cents(rec["目标考核原始分"]) == r.target_raw
            assert rec["等次说明"] == r.detail["grading"]["explanation"]
            seen += 1
        assert seen == len(cat["units"])
        assert any(isinstance(c, BarChart) for c in ws._charts)
    details = list(wb["指标明细"].iter_rows(min_row=2, values_only=True))
    # one line per component and per indicator node of every unit, each with its explanation
    n_nodes = 0
    for r in rows.values():
        stack = list(r.detail["indicators"])
        while stack:
            n = stack.pop()
            n_nodes += 1
            stack.extend(n.get("children", []))
        n_nodes += len(r.detail["components"]) + len(r.detail["normalisations"])
    assert len(details) == n_nodes
    assert all(d[10] for d in details)
    jcb = [d for d in details if d[1] == "基础课教学部" and d[3] == "B" and d[2] == 1][0]
    assert (_cents(jcb[5]), _cents(jcb[7]), _cents(jcb[8])) == (Decimal("51.33"), Decimal("42.00"), Decimal("45.00"))
    ballots = [r for r in wb["测评票数"].iter_rows(min_row=2, values_only=True) if r[2] == "合计"]
    assert len(ballots) == len(rows)
    for b in ballots:
        assert sum(b[3:6]) == b[6] == 10
        assert _cents(b[7]) == rows[b[1]].democratic
    assert wb["测评票数"]._charts
    awards = list(wb["突出贡献奖"].iter_rows(min_row=2, values_only=True))
    assert awards[0][:4] == ("教务处", "省级教学成果奖一等奖", "省级", "授予")


def test_svg_helper_escapes_and_scales():
    svg = str(charts.bar_chart([("<b>甲&乙</b>", Decimal("12.5"))], max_value=20, title="t<script>"))
    assert "<b>" not in svg and "&lt;b&gt;甲&amp;乙&lt;/b&gt;" in svg and "<script>" not in svg
    assert 'viewBox="0 0 640' in svg and "12.5" in svg
    line = str(charts.line_chart([("2018", 150), ("2019", 170)], max_value=200, notes=["第3名", "第1名"]))
    assert "<polyline" in line and "第1名" in line
    stacked = str(charts.stacked_bars([("单位", [10, 100, 20])], [("民主", None), ("目标", None), ("领导", None)]))
    assert stacked.count("<rect") == 3 + 3  # legend swatches + segments


def test_charts_round_as_the_scores_do():
    """Half-up to two decimals, as app.rubric.numbers.q2 (0.125 is 0.13 in the tables too)."""
    from app.rubric.numbers import fmt

    assert fmt(Decimal("0.125")) == "0.13"
    bar = str(charts.bar_chart([("甲", Decimal("0.125"))], max_value=1))
    assert ">0.13<" in bar and "0.12" not in bar
    line = str(charts.line_chart([("2018", Decimal("0.125")), ("2019", Decimal("2.675"))], max_value=4))
    assert ">0.13<" in line and ">2.68<" in line
    stacked = str(charts.stacked_bars([("单位", [Decimal("0.1"), Decimal("0.025")])], [("民主", None), ("目标", None)]))
    assert ">0.13</text>" in stacked and "目标 0.03" in stacked


def test_indicator_sheet_neutralises_formula_like_text(case, session):  # noqa: F811
    """The indicator sheet is written without openpyxl cells (app.sheets.cells.FastRows): its text
    is still neutralised and escaped like every other cell."""
    results.refresh(session, cycle=case.cycle)
    rs = results.get_set(session, case.cycle.id)
    payload = results_read.export_payload(session, rs, case.cycle)
    unit = payload["categories"][0]["units"][0]
    node = unit["indicators"][0]
    node["name"], node["explanation"] = "=HYPERLINK(\"http://x\",\"y\")", "@SUM(A1) <b>&</b>"
    unit["components"][0]["explanation"] = "+1+1"
    ws = load_workbook(io.BytesIO(build_workbook(payload)))["指标明细"]
    cells = [c for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [c for c in cells if c.data_type == "f"]
    values = {c.value for c in cells}
    assert {"'=HYPERLINK(\"http://x\",\"y\")", "'@SUM(A1) <b>&</b>", "'+1+1"} <= values
