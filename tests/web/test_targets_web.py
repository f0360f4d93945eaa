"""Target-table pages: upload with preview, a year through both checkpoints to a grade as the unit
and the office would, role checks, stale forms, exports read back."""

import io
import re
from pathlib import Path

import openpyxl
import pytest
from sqlmodel import func, select

from app.models import AuditEntry
from app.models.targets import TargetActual, TargetEvidence, TargetTableRecord
from app.sheets.selfeval import score_workbook
from app.sheets.targets import read_target_workbook
from tests.builders import factories as f
from tests.builders.files import PDF
from tests.builders.targets import small_workbook

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "targets"


@pytest.fixture
def org(session):
    u = f.unit(session, "机电工程学院")
    other = f.unit(session, "信息工程学院")
    f.user(session, "rep", roles=[{"role": "reporter", "unit_id": u.id}])
    f.user(session, "rep_b", roles=[{"role": "reporter", "unit_id": u.id}])
    f.user(session, "rep2", roles=[{"role": "reporter", "unit_id": other.id}])
    f.user(session, "office1", roles=["office"])
    f.cycle(session)  # the home page lists tasks of the current cycle's people
    session.commit()
    return {"unit": u, "other": other}


def _login(app, name):
    c = app.test_client()
    assert f.login(c, name).status_code == 302
    return c


def _text(resp) -> str:
    return resp.get_data(as_text=True)


def _upload(c, unit_id, data, *, year=2026, project="", name="目标表.xlsx"):
    return c.post("/targets/office/import", data={"unit_id": unit_id, "year": year, "project": project,
                                                  "file": (io.BytesIO(data), name)},
                  content_type="multipart/form-data")


def _confirm(c, preview_html):
    token = re.search(r'name="token"[^>]*value="([0-9a-f]+)"', preview_html).group(1)
    version = re.search(r'name="version"[^>]*value="(\d+)"', preview_html).group(1)
    return c.post("/targets/office/import/confirm", data={"token": token, "version": version})


def _import(c, unit_id, data, **kw) -> int:
    r = _upload(c, unit_id, data, **kw)
    assert r.status_code == 200 and "确认保存" in _text(r), _text(r)
    r = _confirm(c, _text(r))
    assert r.status_code == 302
    return int(r.headers["Location"].rsplit("/", 1)[1])


def _checkpoint(c, kind, action, year=2026, version=None):
    if version is None:
        html = _text(c.get(f"/targets/office?year={year}"))
        version = re.search(rf'name="{kind}-version"[^>]*value="(\d+)"', html).group(1)
    return c.post(f"/targets/office/checkpoints/{kind}", data={f"{kind}-year": year, f"{kind}-kind": kind,
                                                              f"{kind}-version": version, f"{kind}-action": action})


def _fill(c, table_id, kind, values):
    html = _text(c.get(f"/targets/tables/{table_id}/fill/{kind}"))
    data = {}
    for p, (text, note) in values.items():
        data[f"a{p}_v"] = re.search(rf'name="a{p}_v" value="(\d+)"', html).group(1)
        data[f"a{p}_text"], data[f"a{p}_note"] = text, note
    return c.post(f"/targets/tables/{table_id}/fill/{kind}", data=data, follow_redirects=True)


def _count(session, model) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(model)).one()


# --------------------------------------------------------------------------- upload

def test_upload_preview_shows_rows_and_saves_only_on_confirm(app, session, org):
    c = _login(app, "office1")
    r = _upload(c, org["unit"].id, (FIXTURES / "changzhou_2026_targets.xlsx").read_bytes())
    html = _text(r)
    assert "识别出 <strong>204</strong> 个指标" in html
    assert "中长期规划制定健全性" in html and "≥39000人次" in html and "定性：健全" in html
    assert "部门整体绩效目标 第 8 行" in html
    assert _count(session, TargetTableRecord) == 0  # the preview is a dry run
    r = _confirm(c, html)
    assert r.status_code == 302
    session.expire_all()
    rec = session.exec(select(TargetTableRecord)).one()
    assert len(rec.data["rows"]) == 204 and rec.source_name == "目标表.xlsx"
    # the same token cannot save twice
    r = _confirm(c, html)
    assert r.headers["Location"].endswith("/targets/office/import")
    assert _count(session, TargetTableRecord) == 1
    r = c.post("/targets/office/import/confirm", data={"token": "0" * 32, "version": "0"}, follow_redirects=True)
    assert "预览已失效" in _text(r)


@pytest.mark.parametrize("name,words", [
    ("broken_value.xlsx", "第 6 行 D6 单元格「≥约100」无法识别"),
    ("broken_formula.xlsx", "第 6 行 D6 单元格「=1+1」是公式"),
    ("broken_not_xlsx.xlsx", "不是有效的 .xlsx"),
])
def test_broken_upload_names_the_cell_and_offers_no_save(app, session, org, name, words):
    c = _login(app, "office1")
    html = _text(_upload(c, org["unit"].id, (FIXTURES / name).read_bytes()))
    assert words in html and "未保存任何内容" in html
    assert "确认保存" not in html
    r = c.post("/targets/office/import/confirm", data={"token": "", "version": "0"}, follow_redirects=True)
    assert "预览已失效" in _text(r)
    assert _count(session, TargetTableRecord) == 0
    session.expire_all()
    assert session.exec(select(AuditEntry).where(AuditEntry.entity == "target_table")).first() is None


def test_upload_needs_a_unit_and_a_file(app, session, org):
    c = _login(app, "office1")
    r = c.post("/targets/office/import", data={"unit_id": 0, "year": 2026}, content_type="multipart/form-data")
    assert "请选择单位" in _text(r)
    r = c.post("/targets/office/import", data={"unit_id": org["unit"].id, "year": 2026},
               content_type="multipart/form-data")
    assert "请选择要上传的" in _text(r)


# --------------------------------------------------------------------------- a whole year

def test_a_year_through_both_checkpoints_to_a_grade(app, session, org):
    office = _login(app, "office1")
    rep = _login(app, "rep")
    tid = _import(office, org["unit"].id, small_workbook())

    # nothing open yet: the unit sees the table read-only and no task
    html = _text(rep.get(f"/targets/tables/{tid}/fill/half_year"))
    assert "尚未开始" in html and 'name="a1_text"' not in html
    assert "绩效目标半年实际值" not in _text(rep.get("/"))

    # the office opens the half-year checkpoint; the unit gets a home task
    assert _checkpoint(office, "half_year", "open").status_code == 302
    home = _text(rep.get("/"))
    assert "填报机电工程学院 2026年度绩效目标半年实际值" in home and "还有 5 项未填" in home

    r = _fill(rep, tid, "half_year", {1: ("4000人次", "场地改造，培训推迟"), 2: ("45%", ""), 3: ("0%", ""),
                                      4: ("健全", "")})
    assert "已保存 4 项半年实际值" in _text(r)
    r = rep.post(f"/targets/tables/{tid}/evidence/half_year/1",
                 data={"title": "培训签到表", "file": (io.BytesIO(PDF), "签到.pdf")},
                 content_type="multipart/form-data", follow_redirects=True)
    assert "已添加佐证材料" in _text(r)
    session.expire_all()
    ev = session.exec(select(TargetEvidence)).one()
    dl = office.get(f"/targets/evidence/{ev.id}")
    assert dl.status_code == 200 and dl.data == PDF
    assert "attachment" in dl.headers["Content-Disposition"]

    # the office sees who is behind: 社会培训 red (80 %), 学生满意度 missing
    html = _text(office.get("/targets/office/behind?year=2026&kind=half_year"))
    assert "机电工程学院" in html and "社会培训" in html and "st-red" in html and "80.0%" in html
    assert "学生满意度" in html and "未填报" in html and "预算执行率" not in html
    html = _text(office.get("/targets/office?year=2026"))
    assert "<b class=\"cr\">1</b> 落后" in html and "1 未填" in html

    # half year closed, full year opened
    _checkpoint(office, "half_year", "close")
    html = _text(rep.get(f"/targets/tables/{tid}/fill/half_year"))
    assert "已截止" in html and 'name="a1_text"' not in html
    _checkpoint(office, "full_year", "open")
    r = _fill(rep, tid, "full_year", {1: ("9000人次", "两期培训因场地推迟"), 2: ("100%", ""), 3: ("0%", ""),
                                      4: ("健全", ""), 5: ("95%", "")})
    assert "已保存 5 项全年实际值" in _text(r)
    assert "实际值已填齐" in _text(rep.get("/"))

    # the unit writes problems and fixes
    html = _text(rep.get(f"/targets/tables/{tid}/year-end"))
    version = re.search(r'name="version"[^>]*value="(\d+)"', html).group(1)
    r = rep.post(f"/targets/tables/{tid}/year-end", data={
        "version": version, "summary": "年度目标基本完成。", "problems": "社会培训未达到全年目标。",
        "fixes": "提前落实培训场地，增开周末班。", "budget_start": "", "budget_full": "", "budget_spent": ""},
        follow_redirects=True)
    assert "已保存年度报告" in _text(r)
    _checkpoint(office, "full_year", "close")

    # year-end: 社会培训 at 90 % → 20 × 0.75 = 15; total 95 → 优
    html = _text(office.get(f"/targets/tables/{tid}/year-end"))
    assert '<span class="bigscore">95.00</span>' in html and "grade-优" in html
    assert "扣分的指标" in html and "15.00 / 20.00" in html and "两期培训因场地推迟" in html
    html = _text(office.get("/targets/office?year=2026"))
    assert "95.00" in html and "<strong>优</strong>" in html
    report = _text(office.get(f"/targets/tables/{tid}/report"))
    assert "机电工程学院2026年度绩效自评报告" in report
    assert "自评得分 <strong>95.00</strong> 分" in report and "自评等级 <strong>优</strong>" in report
    assert "社会培训未达到全年目标。" in report and "提前落实培训场地" in report
    assert "≥10000人次" in report and "9000人次" in report and "4000人次" in report

    # exports read back
    sheet = office.get(f"/targets/tables/{tid}/selfeval.xlsx")
    assert sheet.status_code == 200 and "attachment" in sheet.headers["Content-Disposition"]
    ws = openpyxl.load_workbook(io.BytesIO(sheet.data)).active
    assert [ws.cell(row=11, column=c).value for c in (4, 7)] == ["三级指标", "业绩值"]
    assert [ws.cell(row=12, column=c).value for c in (4, 6, 7, 9)] == ["社会培训", "≥10000人次", "9000人次", "13.50"]
    # without the budget line the score-sheet reader says so (see the budget test for a full read)
    assert "执行率为空" in str(score_workbook(openpyxl.load_workbook(io.BytesIO(sheet.data))).notices[0])
    table = office.get(f"/targets/tables/{tid}/export.xlsx")
    back = read_target_workbook(table.data)
    assert back.ok and [r.name for r in back.rows][0] == "社会培训"

    # closed: the unit can no longer change the report
    r = rep.post(f"/targets/tables/{tid}/year-end", data={"version": version, "problems": "x"},
                 follow_redirects=True)
    assert "不能修改" in _text(r)


def test_budget_line_changes_the_pool_and_the_self_evaluation_sheet_agrees(app, session, org):
    office = _login(app, "office1")
    rep = _login(app, "rep")
    tid = _import(office, org["unit"].id, small_workbook())
    _checkpoint(office, "full_year", "open")
    _fill(rep, tid, "full_year", {1: ("9000人次", ""), 2: ("100%", ""), 3: ("0%", ""), 4: ("健全", ""),
                                  5: ("95%", "")})
    html = _text(office.get(f"/targets/tables/{tid}/year-end"))
    version = re.search(r'name="version"[^>]*value="(\d+)"', html).group(1)
    r = office.post(f"/targets/tables/{tid}/year-end", data={
        "version": version, "summary": "", "problems": "", "fixes": "",
        "budget_start": "100", "budget_full": "100", "budget_spent": "96"}, follow_redirects=True)
    html = _text(r)
    # the 预算执行率 row counts once, in the budget line: the other four share 90 (22.5 each;
    # 社会培训 16.87), execution 96 % → 9: total 93.37
    assert '<span class="bigscore">93.37</span>' in html and "预算执行" in html
    (project,) = score_workbook(openpyxl.load_workbook(io.BytesIO(
        office.get(f"/targets/tables/{tid}/selfeval.xlsx").data))).projects
    assert str(project.total) == "93.37" and project.grade == "优"
    r = office.post(f"/targets/tables/{tid}/year-end", data={"version": str(int(version) + 1),
                                                             "budget_full": "很多"}, follow_redirects=True)
    assert "不是数字" in _text(r)


# --------------------------------------------------------------------------- roles

def test_a_reporter_reaches_only_its_units_tables(app, session, org):
    office = _login(app, "office1")
    tid = _import(office, org["unit"].id, small_workbook())
    _checkpoint(office, "half_year", "open")
    rep = _login(app, "rep")
    _fill(rep, tid, "half_year", {1: ("6000人次", "")})
    rep.post(f"/targets/tables/{tid}/evidence/half_year/1", data={"url": "https://example.edu.cn/a"})
    session.expire_all()
    ev = session.exec(select(TargetEvidence)).one()

    other = _login(app, "rep2")
    for url in (f"/targets/tables/{tid}", f"/targets/tables/{tid}/fill/half_year", f"/targets/tables/{tid}/year-end",
                f"/targets/tables/{tid}/report", f"/targets/tables/{tid}/export.xlsx",
                f"/targets/tables/{tid}/selfeval.xlsx", f"/targets/evidence/{ev.id}"):
        assert other.get(url).status_code == 404, url
    r = other.post(f"/targets/tables/{tid}/fill/half_year", data={"a1_v": "1", "a1_text": "1人次"})
    assert r.status_code == 404
    assert other.post(f"/targets/evidence/{ev.id}/delete").status_code == 404
    assert other.post(f"/targets/tables/{tid}/evidence/half_year/1", data={"url": "https://x.org"}).status_code == 404
    for url in ("/targets/office", "/targets/office/import", "/targets/office/behind"):
        assert other.get(url).status_code == 403, url
    assert other.post("/targets/office/checkpoints/full_year").status_code == 403
    assert "机电工程学院" not in _text(other.get("/targets/"))
    session.expire_all()
    assert session.exec(select(TargetActual)).one().text == "6000人次"
    # the office reads but does not fill in for the unit
    assert office.get(f"/targets/tables/{tid}/fill/half_year").status_code == 403
    assert office.get(f"/targets/tables/{tid}").status_code == 200
    assert "机电工程学院" in _text(rep.get("/targets/"))


def test_anonymous_is_sent_to_sign_in(client, org):
    assert client.get("/targets/office").status_code == 302
    assert client.get("/targets/").status_code == 302


# --------------------------------------------------------------------------- stale forms

def test_stale_actuals_form_is_refused_and_saves_nothing(app, session, org):
    office = _login(app, "office1")
    tid = _import(office, org["unit"].id, small_workbook())
    _checkpoint(office, "half_year", "open")
    a, b = _login(app, "rep"), _login(app, "rep_b")
    html_a = _text(a.get(f"/targets/tables/{tid}/fill/half_year"))  # A opens the form
    _fill(b, tid, "half_year", {1: ("6000人次", "B")})  # B saves meanwhile
    data = {"a1_v": re.search(r'name="a1_v" value="(\d+)"', html_a).group(1), "a1_text": "5000人次", "a1_note": "A",
            "a2_v": "0", "a2_text": "45%", "a2_note": ""}
    r = a.post(f"/targets/tables/{tid}/fill/half_year", data=data, follow_redirects=True)
    assert "已被他人修改" in _text(r) and "社会培训" in _text(r)
    session.expire_all()
    rows = list(session.exec(select(TargetActual)))
    assert [(x.position, x.text, x.note) for x in rows] == [(1, "6000人次", "B")]


def test_unreadable_value_keeps_what_was_typed(app, session, org):
    office = _login(app, "office1")
    tid = _import(office, org["unit"].id, small_workbook())
    _checkpoint(office, "half_year", "open")
    rep = _login(app, "rep")
    r = rep.post(f"/targets/tables/{tid}/fill/half_year",
                 data={"a1_v": "0", "a1_text": "6000人次", "a2_v": "0", "a2_text": "≥约45%"})
    html = _text(r)
    assert r.status_code == 200 and "第 2 项「预算执行率」" in html and 'value="≥约45%"' in html
    assert _count(session, TargetActual) == 0


def test_stale_checkpoint_and_reimport_forms(app, session, org):
    office = _login(app, "office1")
    _checkpoint(office, "half_year", "open")
    r = _checkpoint(office, "half_year", "close", version="0")  # the form shown before it was opened
    assert r.status_code == 302
    assert "已被他人修改" in _text(office.get("/targets/office?year=2026"))
    # re-import: previewed at version 1, someone re-imports meanwhile
    tid = _import(office, org["unit"].id, small_workbook())
    html = _text(_upload(office, org["unit"].id, small_workbook()))
    assert "导入后成为第 2 版" in html
    other = _login(app, "office1")
    _import(other, org["unit"].id, small_workbook())
    r = _confirm(office, html)
    assert "在您预览后已被他人修改" in _text(office.get(r.headers["Location"]))
    session.expire_all()
    assert session.get(TargetTableRecord, tid).revision == 2
