"""The office's overview pages and the year-end report files keep each table's part in the instance folder
(issue #17): what they show follows every change of a table's actuals, content and unit, and parts of other
code are dropped."""

import os

import pytest

from app.models import Unit
from app.models.targets import TargetTableRecord
from app.services.files import code_fingerprint
from tests.builders import factories as f
from tests.builders.targets import small_workbook
from tests.web.test_targets_web import _checkpoint, _fill, _import, _login, _text


@pytest.fixture
def org(session):
    u = f.unit(session, "机电工程学院")
    f.user(session, "rep", roles=[{"role": "reporter", "unit_id": u.id}])
    f.user(session, "office1", roles=["office"])
    f.cycle(session)
    session.commit()
    return {"unit": u}


def _parts(app) -> list[str]:
    folder = os.path.join(app.instance_path, "cache", "targets", code_fingerprint())
    return sorted(n for n in os.listdir(folder) if n.endswith(".html"))


def test_the_overview_follows_actuals_content_and_unit(app, session, org):
    office, rep = _login(app, "office1"), _login(app, "rep")
    tid = _import(office, org["unit"].id, small_workbook())
    html = _text(office.get("/targets/office?year=2026"))
    assert "5 未填" in html and '<b class="cr">0</b> 落后' in html
    behind = _text(office.get("/targets/office/behind?year=2026&kind=half_year"))
    assert "未填报实际值的指标（5）" in behind
    assert _parts(app) == [f"behind-half_year-{tid}.html", f"office-{tid}.html"]

    # the unit reports: both pages show it at once (the kept parts are for the old actuals)
    _checkpoint(office, "half_year", "open")
    _fill(rep, tid, "half_year", {1: ("4000人次", ""), 2: ("45%", "")})
    html = _text(office.get("/targets/office?year=2026"))
    assert '<b class="cr">1</b> 落后' in html and "3 未填" in html
    behind = _text(office.get("/targets/office/behind?year=2026&kind=half_year"))
    assert "未填报实际值的指标（3）" in behind and "社会培训" in behind and "st-red" in behind

    # a change of the record (its version) and of the unit's name show too
    rec = session.get(TargetTableRecord, tid)
    rec.revision, rec.version = 7, rec.version + 1
    unit = session.get(Unit, org["unit"].id)
    unit.name = "机电学院（新）"
    session.commit()
    html = _text(office.get("/targets/office?year=2026"))
    assert "第 7 版" in html and "机电学院（新）" in html
    assert "机电学院（新）" in _text(office.get("/targets/office/behind?year=2026&kind=half_year"))


def test_a_part_not_written_for_the_tables_key_is_not_shown(app, session, org):
    office = _login(app, "office1")
    tid = _import(office, org["unit"].id, small_workbook())
    office.get("/targets/office?year=2026")
    folder = os.path.join(app.instance_path, "cache", "targets", code_fingerprint())
    with open(os.path.join(folder, f"office-{tid}.html"), "w", encoding="utf-8") as fh:
        fh.write("0" * 32 + "\n<tr><td>旧内容</td></tr>")
    html = _text(office.get("/targets/office?year=2026"))
    assert "旧内容" not in html and "5 未填" in html
    with open(os.path.join(folder, f"office-{tid}.html"), encoding="utf-8") as fh:
        assert "旧内容" not in fh.read()


def test_parts_of_other_code_are_removed(app, session, org):
    office = _login(app, "office1")
    _import(office, org["unit"].id, small_workbook())
    old = os.path.join(app.instance_path, "cache", "targets", "0123456789abcdef")
    os.makedirs(old)
    with open(os.path.join(old, "office-1.html"), "w", encoding="utf-8") as fh:
        fh.write("x\n<tr><td>旧代码</td></tr>")
    html = _text(office.get("/targets/office?year=2026"))
    assert "旧代码" not in html and not os.path.exists(old)


def test_report_files_are_made_once_per_state_of_the_table(app, session, org, monkeypatch):
    from app.web.targets import year_end

    made = []

    def pdf(html, base_url):
        made.append("pdf")
        return b"%PDF-" + html[-40:].encode()

    def docx(ctx):
        made.append("docx")
        return b"PK" + ctx["rec"].summary.encode()

    monkeypatch.setattr(year_end, "report_pdf_bytes", pdf)
    monkeypatch.setattr(year_end, "report_docx_bytes", docx)
    office, rep = _login(app, "office1"), _login(app, "rep")
    tid = _import(office, org["unit"].id, small_workbook())
    first = [office.get(f"/targets/tables/{tid}/report.{ext}").data for ext in ("pdf", "docx")]
    again = [rep.get(f"/targets/tables/{tid}/report.{ext}").data for ext in ("pdf", "docx")]
    assert again == first and made == ["pdf", "docx"]

    # the unit's actuals change: both are made again
    _checkpoint(office, "full_year", "open")
    _fill(rep, tid, "full_year", {1: ("9000人次", "")})
    assert office.get(f"/targets/tables/{tid}/report.pdf").status_code == 200
    assert made == ["pdf", "docx", "pdf"]
    # so does the report's text (the record's version)
    rec = session.get(TargetTableRecord, tid)
    rec.summary, rec.version = "年度目标基本完成。", rec.version + 1
    session.commit()
    assert office.get(f"/targets/tables/{tid}/report.docx").data == "PK年度目标基本完成。".encode()
    assert made == ["pdf", "docx", "pdf", "docx"]


def test_exports_follow_evidence_and_last_years_table(app, session, org, monkeypatch):
    from app.services import target_reports as ysvc
    from app.services import targets as svc

    made = []
    real = ysvc.selfeval_workbook

    def counted(db, rec, **kw):
        made.append(rec.id)
        return real(db, rec, **kw)

    monkeypatch.setattr(ysvc, "selfeval_workbook", counted)
    office, rep = _login(app, "office1"), _login(app, "rep")
    tid = _import(office, org["unit"].id, small_workbook())
    url = f"/targets/tables/{tid}/selfeval.xlsx"
    first = office.get(url).data
    assert rep.get(url).data == first and made == [tid]
    assert office.get(f"/targets/tables/{tid}/export.xlsx").data == rep.get(f"/targets/tables/{tid}/export.xlsx").data

    # evidence added: the sheet lists its title, so it is made again
    _checkpoint(office, "full_year", "open")
    r = rep.post(f"/targets/tables/{tid}/evidence/full_year/1", data={"title": "培训签到表", "url": "https://example.org/a"},
                 follow_redirects=True)
    assert "已添加佐证材料" in _text(r)
    office.get(url)
    assert made == [tid, tid]
    # last year's table appears: its column changes
    prev = _import(office, org["unit"].id, small_workbook(), year=2025)
    office.get(url)
    assert made == [tid, tid, tid]
    rec = session.get(TargetTableRecord, prev)
    svc.set_checkpoint(session, actor_id=None, year=2025, kind="full_year", status="open")
    session.commit()
    _fill(rep, prev, "full_year", {1: ("8000人次", "")})
    office.get(url)
    assert made == [tid, tid, tid, tid] and rec.id == prev
