"""Project pages without a browser: upload of a workbook of several projects with a stale preview,
the money form's permissions and checkpoint rule, the unit's projects page and export by role."""

import io
import re

import docx
import openpyxl
from sqlmodel import select

from app.models.targets import TargetTableRecord
from tests.builders.projects import projects_workbook
from tests.web.test_targets_web import _checkpoint, _login, _text, _upload, org  # noqa: F401


def _confirm_projects(c, html):
    token = re.search(r'name="token"[^>]*value="([0-9a-f]+)"', html).group(1)
    return c.post("/targets/office/import/confirm", data={"token": token})


def _tables(session):
    session.expire_all()
    return list(session.exec(select(TargetTableRecord).order_by(TargetTableRecord.id)))


def test_upload_of_projects_and_a_stale_preview(app, session, org):  # noqa: F811
    office = _login(app, "office1")
    other_office = _login(app, "office1")
    r = _upload(office, org["unit"].id, projects_workbook())
    assert "确认保存 2 个项目" in _text(r)
    # meanwhile the same workbook is imported from another window
    r2 = _upload(other_office, org["unit"].id, projects_workbook())
    assert _confirm_projects(other_office, _text(r2)).status_code == 302
    assert [t.revision for t in _tables(session)] == [1, 1]
    r = _confirm_projects(office, _text(r))
    assert r.status_code == 302 and "/targets/office/import" in r.headers["Location"]
    assert "已被他人修改或重新导入" in _text(office.get(r.headers["Location"]))
    assert [t.revision for t in _tables(session)] == [1, 1]  # nothing saved by the stale preview


def test_money_form_and_the_units_projects_by_role(app, session, org):  # noqa: F811
    office = _login(app, "office1")
    r = _upload(office, org["unit"].id, projects_workbook())
    r = _confirm_projects(office, _text(r))
    assert r.headers["Location"].endswith(f"/targets/units/{org['unit'].id}/2026")
    rec = _tables(session)[0]
    rep, rep2 = _login(app, "rep"), _login(app, "rep2")
    page = _text(rep.get(f"/targets/tables/{rec.id}"))
    assert "保存项目资金" not in page  # no checkpoint open: shown, not editable
    csrf = {"version": str(rec.version), "full": "100", "spent": "90"}
    r = rep.post(f"/targets/tables/{rec.id}/budget", data=csrf, follow_redirects=True)
    assert "实际值填报未开放，项目资金不能修改" in _text(r)
    assert _checkpoint(office, "half_year", "open").status_code == 302
    r = rep.post(f"/targets/tables/{rec.id}/budget", data={**csrf, "half_plan": "40", "half_spent": "30"},
                 follow_redirects=True)
    assert "已保存项目资金" in _text(r) and "75.0%" in _text(r) and "90.0%" in _text(r)
    assert rep2.post(f"/targets/tables/{rec.id}/budget", data=csrf).status_code == 404
    unit_page = f"/targets/units/{org['unit'].id}/2026"
    assert rep2.get(unit_page).status_code == 404
    assert rep2.get(f"{unit_page}/projects.xlsx").status_code == 404
    assert "高水平专业群建设" in _text(rep.get(unit_page))
    wb = openpyxl.load_workbook(io.BytesIO(office.get(f"{unit_page}/projects.xlsx").data))
    assert [c.value for c in wb["项目资金"][3]][1:] == [None, 100, 40, 30, 0.75, 90, 0.9]
    assert office.get(f"/targets/units/{org['other'].id}/2026/projects.xlsx").status_code == 404
    # the year-end report states the half-year execution beside the full-year one
    line = "半年计划执行数 40.00 万元，半年执行数 30.00 万元，半年执行率 75.00%"
    assert line in _text(rep.get(f"/targets/tables/{rec.id}/report"))
    doc = docx.Document(io.BytesIO(rep.get(f"/targets/tables/{rec.id}/report.docx").data))
    assert any(line in p.text for p in doc.paragraphs)
