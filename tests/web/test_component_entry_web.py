"""Entering a weighted component on the web: only its owner (教务处's scorer) may enter it, the
values are checked, a stale form is refused, the stage lock holds, every change is audited,
the Excel template round-trips and a bad upload names the row and column."""

import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from app.models import AuditEntry, Stage
from app.models.base import utcnow
from app.models.component import ComponentValue
from app.services import component_values, results
from tests.builders import factories as f
from tests.builders.components_case import build_components_case


@pytest.fixture
def case(session):
    return build_components_case(session)


def _values(session, case) -> dict:
    session.commit()
    session.expire_all()
    return {v.unit_id: v for v in session.exec(select(ComponentValue).where(ComponentValue.cycle_id == case.cycle.id))}


def _url(case, key="teaching", tail=""):
    return f"/scoring/cycles/{case.cycle.id}/components/{key}{tail}"


def test_owner_enters_values_checked_versioned_and_audited(client, session, case):
    a, b = case.colleges
    assert f.login(client, "pf_jwc").status_code == 302
    assert client.get(_url(case, "research")).status_code == 404  # 科技与产业处's, not 教务处's
    page = client.get(_url(case))
    assert page.status_code == 200 and "教学工作" in page.get_data(as_text=True)
    r = client.post(_url(case), data={f"v_{a.id}": "87.5", f"ver_{a.id}": "0", f"v_{b.id}": "101", f"ver_{b.id}": "0"})
    assert r.status_code == 422 and "101 超出取值范围 0～100" in r.get_data(as_text=True)
    assert _values(session, case) == {}  # nothing saved when one value is wrong
    r = client.post(_url(case), data={f"v_{a.id}": "87.5", f"ver_{a.id}": "0", f"v_{b.id}": "90", f"ver_{b.id}": "0"})
    assert r.status_code == 302
    vals = _values(session, case)
    assert vals[a.id].value == 87.5 and vals[b.id].version == 1
    # a form rendered before that save is stale
    r = client.post(_url(case), data={f"v_{a.id}": "60", f"ver_{a.id}": "0"})
    assert r.status_code == 422 and "已被他人修改" in r.get_data(as_text=True)
    assert _values(session, case)[a.id].value == 87.5
    audit = session.exec(select(AuditEntry).where(AuditEntry.action == "component_value")).all()
    assert len(audit) == 2 and {x.new_value["value"] for x in audit} == {"87.5", "90"}
    # the results take the entered values: 87.5 / 100 × 35
    payload = results.compute(session, case.cycle)
    comp = next(c for c in payload["rows"][str(a.id)]["components"] if c["key"] == "teaching")
    assert comp["points"] == "30.63" and comp["value"] == "87.5"


def test_stage_lock(client, session, case):
    st = session.exec(select(Stage).where(Stage.cycle_id == case.cycle.id, Stage.kind == "scoring")).one()
    st.closes_at = utcnow() - timedelta(minutes=1)
    session.add(st)
    session.commit()
    a = case.colleges[0]
    assert f.login(client, "pf_jwc").status_code == 302
    assert "评分阶段未开放" in client.get(_url(case)).get_data(as_text=True)
    r = client.post(_url(case), data={f"v_{a.id}": "80", f"ver_{a.id}": "0"})
    assert r.status_code == 422 and _values(session, case) == {}


def test_excel_template_round_trip_and_errors_name_row_and_column(client, session, case):
    a, b = case.colleges
    assert f.login(client, "office1").status_code == 302
    # the office enters the deduction (owner 监察室 is not a department here: the office enters it)
    wb = load_workbook(io.BytesIO(client.get(_url(case, "deduction", "/template.xlsx")).data))
    ws = wb["录入"]
    rows = {ws.cell(r, 1).value: r for r in range(3, ws.max_row + 1)}
    ws.cell(rows[a.id], 3, 2)
    ws.cell(rows[b.id], 3, "两分")
    buf = io.BytesIO()
    wb.save(buf)
    r = client.post(_url(case, "deduction", "/import"),
                    data={"file": (io.BytesIO(buf.getvalue()), "t.xlsx")}, content_type="multipart/form-data")
    text = r.get_data(as_text=True)
    assert r.status_code == 422 and f"「录入」表第 {rows[b.id]} 行 C 列" in text and "不是数字" in text
    assert _values(session, case) == {}
    ws.cell(rows[b.id], 3).value = None
    buf = io.BytesIO()
    wb.save(buf)
    r = client.post(_url(case, "deduction", "/import"),
                    data={"file": (io.BytesIO(buf.getvalue()), "t.xlsx")}, content_type="multipart/form-data")
    assert r.status_code == 302, r.get_data(as_text=True)[-1500:]
    assert _values(session, case)[a.id].value == -2  # stored negative
    assert component_values.cycle_values(session, case.cycle) == {(a.id, "deduction"): -2}
    # the template shows it back as the points deducted
    wb = load_workbook(io.BytesIO(client.get(_url(case, "deduction", "/template.xlsx")).data))
    assert wb["录入"].cell(rows[a.id], 3).value == "2"


def test_the_scheme_page_lists_every_component_with_its_options(client, session, case):
    from app.models import Scheme

    row = session.exec(select(Scheme).where(Scheme.code == "university-6")).one()
    assert f.login(client, "office1").status_code == 302
    html = client.get(f"/office/schemes/{row.id}").get_data(as_text=True)
    for text in ("教学工作", "加权计分", "负责：教务处", "取值 0～100", "突出业绩加分", "上限 3", "总分不低于 0",
                 "无此项工作按本类别平均"):
        assert text in html, text


def test_a_total_override_may_reach_the_bonus_cap_but_not_beyond(session, case):
    group = f.user(session, "group1", roles=["group"])
    results.refresh(session, cycle=case.cycle, actor_id=case.office.id)
    a = case.colleges[0]
    with pytest.raises(results.ServiceError, match="总分须在 0～103 之间"):
        results.add_override(session, actor_id=group.id, cycle=case.cycle, unit_id=a.id, kind="total",
                             value="103.5", reason="审议")
    with pytest.raises(results.ServiceError, match="总分须在 0～103 之间"):
        results.add_override(session, actor_id=group.id, cycle=case.cycle, unit_id=a.id, kind="total",
                             value="-1", reason="审议")
    o = results.add_override(session, actor_id=group.id, cycle=case.cycle, unit_id=a.id, kind="total",
                             value="102.5", reason="审议：突出业绩按上限加分后的总分")
    assert o.new_value == "102.50"
