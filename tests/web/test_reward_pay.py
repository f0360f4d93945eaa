"""The reward-pay list (奖励性绩效工资名单): refused before the results are final, then an Excel
list with each unit's grade, eligibility and the scheme's coefficient."""

import io
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from app.models.result import ResultRow, ResultSet
from app.services import results
from app.sheets.cells import restore_text
from tests.builders import factories as f
from tests.builders.results_case import build_case


@pytest.fixture
def case(session, monkeypatch):
    c = build_case(session)
    f.user(session, "someone")
    session.commit()
    monkeypatch.setattr(results, "gather_inputs", lambda db, cycle: c.inputs)
    return c


def _as(client, name):
    client.post("/logout")
    assert f.login(client, name).status_code == 302


def test_reward_pay_list_after_final(client, session, case):
    cid = case.cycle.id
    _as(client, "office1")
    page = client.get(f"/cycles/{cid}/results").get_data(as_text=True)
    assert "奖励性绩效工资名单" in page
    r = client.get(f"/cycles/{cid}/results/reward-pay.xlsx", follow_redirects=True)
    assert "考核结果尚未最终确定（当前：待定稿）" in r.get_data(as_text=True)
    assert r.mimetype == "text/html"
    # the results become final (arranged directly; the workflow to final is tested in test_results_web)
    session.expire_all()
    rs = session.exec(select(ResultSet).where(ResultSet.cycle_id == cid)).one()
    rs.status = "final"
    rows = {r.unit_name: r for r in session.exec(select(ResultRow).where(ResultRow.result_set_id == rs.id))}
    rows["丁学院"].unit_name = "=HYPERLINK(\"x\")丁学院"
    session.add(rs)
    session.add(rows["丁学院"])
    session.commit()
    grades = {r.unit_name: r.grade for r in rows.values()}
    assert "不合格" in grades.values() and "优秀" in grades.values()
    _as(client, "someone")
    assert client.get(f"/cycles/{cid}/results/reward-pay.xlsx").status_code == 403
    _as(client, "office1")
    r = client.get(f"/cycles/{cid}/results/reward-pay.xlsx")
    assert r.status_code == 200 and "奖励性绩效工资名单" in unquote(r.headers["Content-Disposition"])
    ws = load_workbook(io.BytesIO(r.data)).active
    assert [c.value for c in ws[4]] == [
        "单位类别", "单位", "单位类型", "名次", "等次", "是否发放奖励性绩效工资", "系数"
    ]
    cells = [c for row in ws.iter_rows(min_row=5) for c in row if isinstance(c.value, str)]
    assert all(c.data_type == "s" for c in cells)  # user text is never a formula
    got = {restore_text(row[1]): row for row in ws.iter_rows(min_row=5, values_only=True)}
    assert "'=HYPERLINK(\"x\")丁学院" in {row[1] for row in got.values()}  # neutralised as OWASP says
    assert set(got) == set(grades)
    coeff = {"优秀": 1.2, "合格": 1.0, "不合格": 0}
    for name, grade in grades.items():
        assert got[name][4] == grade
        assert got[name][5] == ("否" if grade == "不合格" else "是")
        assert got[name][6] == coeff[grade]
    cell = [c for c in ws["B"] if c.value == "'=HYPERLINK(\"x\")丁学院"][0]
    assert cell.data_type == "s"
