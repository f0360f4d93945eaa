"""A cycle under the six-part seed scheme on the web: the result sheet, the public page, the JSON
and the results workbook show every component with its rank in the category, and say how the
total is made (counted components, tie-break)."""

import io
import re

from openpyxl import load_workbook
from sqlmodel import select

from app.models import Cycle
from tests.builders import factories as f


def test_ranks_per_component_on_every_result_surface(app, client, session):
    out = app.test_cli_runner().invoke(args=["kpi", "simulate", "--voters", "12", "--seed", "8",
                                             "--scheme", "university-6", "--cycle-name", "六部分网页"])
    assert out.exit_code == 0, out.output
    cycle = session.exec(select(Cycle).where(Cycle.name == "六部分网页")).one()
    cid = cycle.id

    data = client.get(f"/api/cycles/{cid}/results.json").get_json()
    college = next(c for c in data["categories"] if c["key"] == "college")
    keys = [c["key"] for c in college["components"]]
    assert keys == ["teaching", "research", "party", "democratic", "safety", "finance", "bonus", "deduction"]
    first = college["units"][0]
    cells = {c["key"]: c for c in first["component_scores"]}
    assert set(cells) == set(keys) and all(isinstance(c["rank"], int) for c in cells.values())
    teaching_ranks = sorted(next(c["rank"] for c in u["component_scores"] if c["key"] == "teaching")
                            for u in college["units"])
    assert teaching_ranks[0] == 1 and len(teaching_ranks) == 11

    html = client.get(f"/cycles/{cid}/results/public").get_data(as_text=True)
    assert "总分 = 教学工作（35）＋科研与社会服务（25）＋党建与思想政治（15）＋民主测评（17）" in html
    assert "同分时依次比较教学工作、年度重点工作、科研与社会服务、民主测评" in html
    assert len(re.findall(r'data-component="teaching"', html)) == 11
    assert len(re.findall(r'class="muted component-rank"', html)) == 25 * 8

    wb = load_workbook(io.BytesIO(client.get(f"/cycles/{cid}/results.xlsx").data))
    ws = wb["院部汇总"]
    headers = [c.value for c in ws[3]]
    assert "教学工作名次" in headers and "负面清单扣分名次" in headers
    col = headers.index("教学工作名次")
    assert sorted(ws.cell(r, col + 1).value for r in range(4, 15)) == teaching_ranks

    assert f.login(client, "office", "demo1234").status_code == 302
    sheet = client.get(f"/cycles/{cid}/results")
    assert sheet.status_code == 200
    assert len(re.findall(r'data-component="research"', sheet.get_data(as_text=True))) == 25  # both categories
