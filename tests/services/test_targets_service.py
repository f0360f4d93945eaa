"""Target tables as stored data: import (dry run, refusal, re-import), checkpoints, actuals,
evidence, year-end score and the exports read back."""

import io
from decimal import Decimal as D
from pathlib import Path

import openpyxl
import pytest
from sqlmodel import func, select

from app.models import AuditEntry
from app.models.targets import TargetActual, TargetEvidence, TargetTableRecord, TargetTableVersion
from app.services import PermissionDenied, ServiceError, StaleData
from app.services import targets as svc
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
    rep = f.user(session, "rep", roles=[{"role": "reporter", "unit_id": u.id}])
    rep2 = f.user(session, "rep2", roles=[{"role": "reporter", "unit_id": other.id}])
    office = f.user(session, "office1", roles=["office"])
    session.commit()
    return {"unit": u, "other": other, "rep": rep, "rep2": rep2, "office": office}


def _count(session, model) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


# --------------------------------------------------------------------------- import

@pytest.mark.parametrize("name,rows,layout", [("changzhou_2026_targets.xlsx", 204, "levels"),
                                              ("xuzhou_2022_targets.xlsx", 88, "functions")])
def test_import_of_the_source_tables_keeps_every_original_text(session, org, name, rows, layout):
    data = (FIXTURES / name).read_bytes()
    preview = svc.preview_import(session, data=data, unit=org["unit"], year=2026)
    assert preview.ok and len(preview.result.rows) == rows
    assert _count(session, TargetTableRecord) == 0  # the dry run saves nothing
    rec = svc.import_table(session, actor_id=org["office"].id, unit=org["unit"], year=2026, data=data,
                           filename=name)
    session.commit()
    stored = svc.table_of(rec)
    source = read_target_workbook(data)
    assert stored.layout == layout and len(stored.rows) == rows
    for a, b in zip(stored.rows, source.rows, strict=True):
        assert a == b  # every value, with its original text next to what was parsed
    assert rec.revision == 1 and rec.source_name == name
    entry = session.exec(select(AuditEntry).where(AuditEntry.entity == "target_table")).one()
    assert entry.action == "import" and entry.new_value["rows"] == rows
    # the workbook's own unit differs from the chosen one: said, not refused
    assert any("将保存为「机电工程学院」" in w for w in preview.warnings)


@pytest.mark.parametrize("name,words", [
    ("broken_value.xlsx", "第 6 行 D6 单元格「≥约100」无法识别"),
    ("broken_formula.xlsx", "第 6 行 D6 单元格「=1+1」是公式"),
    ("broken_no_name.xlsx", "C6"),
    ("broken_no_header.xlsx", "没有找到表头行"),
    ("broken_not_xlsx.xlsx", "不是有效的 .xlsx"),
])
def test_refused_import_saves_nothing_and_names_the_cell(session, org, name, words):
    data = (FIXTURES / name).read_bytes()
    preview = svc.preview_import(session, data=data, unit=org["unit"], year=2026)
    assert not preview.ok and any(words in e for e in preview.errors)
    with pytest.raises(svc.ImportRefused) as exc:
        svc.import_table(session, actor_id=org["office"].id, unit=org["unit"], year=2026, data=data)
    assert any(words in e for e in exc.value.errors)
    session.rollback()
    assert _count(session, TargetTableRecord) == 0
    assert session.exec(select(AuditEntry).where(AuditEntry.entity == "target_table")).first() is None


def _open(session, year=2026, kind="half_year"):
    return svc.set_checkpoint(session, actor_id=None, year=year, kind=kind, status="open")


def _enter(session, org, rec, kind, values, *, rep="rep"):
    user = org[rep]
    units = {org["unit"].id} if rep == "rep" else {org["other"].id}
    current = svc.actuals_of(session, rec.id, kind)
    entries = [svc.ActualInput(position=p, text=t, note=n,
                               expected_version=current[(p, kind)].version if (p, kind) in current else 0)
               for p, (t, n) in values.items()]
    return svc.save_actuals(session, actor_id=user.id, allowed_units=units, rec=rec, kind=kind, entries=entries)


def test_reimport_makes_a_new_revision_and_actuals_follow_their_indicator(session, org):
    rec = svc.import_table(session, actor_id=None, unit=org["unit"], year=2026, data=small_workbook())
    _open(session)
    _enter(session, org, rec, "half_year", {4: ("健全", ""), 5: ("92%", "问卷")})
    svc.add_evidence_link(session, actor_id=org["rep"].id, allowed_units={org["unit"].id}, rec=rec, position=5,
                          kind="half_year", title="问卷结果", url="https://example.edu.cn/survey")
    session.commit()
    # new workbook: a row inserted at the top, the satisfaction row's target changed
    spec = [("产出", "数量指标", "技能证书获取率", "≥30%", "≥60%"),
            ("产出", "数量指标", "社会培训", "≥5000人次", "≥12000人次"),
            ("过程", "预算执行", "预算执行率", "=45%", "=100%"),
            ("过程", "预算执行", "“三公经费”变动率", "≤0%", "≤0%"),
            ("决策", "制度", "预算管理制度健全性", "健全", "健全"),
            ("满意度", "服务对象满意度", "学生满意度", "≥92%", "≥95%")]
    rec = svc.import_table(session, actor_id=org["office"].id, unit=org["unit"], year=2026,
                           data=small_workbook(rows=spec), expected_version=rec.version)
    session.commit()
    assert rec.revision == 2 and len(svc.table_of(rec).rows) == 6
    moved = {(a.position, a.text) for a in session.exec(select(TargetActual))}
    assert moved == {(5, "健全"), (6, "92%")}
    assert session.exec(select(TargetEvidence)).one().position == 6
    old = session.exec(select(TargetTableVersion)).one()
    assert old.revision == 1 and len(old.data["rows"]) == 5
    assert svc.progress(session, rec, "half_year").rows[5].target.text == "≥92%"


def test_reimport_that_drops_a_reported_indicator_is_refused(session, org):
    rec = svc.import_table(session, actor_id=None, unit=org["unit"], year=2026, data=small_workbook())
    _open(session)
    _enter(session, org, rec, "half_year", {1: ("6000人次", "")})
    session.commit()
    spec = [("过程", "预算执行", "预算执行率", "=45%", "=100%")]
    with pytest.raises(svc.ImportRefused) as exc:
        svc.import_table(session, actor_id=None, unit=org["unit"], year=2026, data=small_workbook(rows=spec))
    assert "第 1 项「社会培训」" in exc.value.message
    session.rollback()
    session.expire_all()
    rec = session.get(TargetTableRecord, rec.id)
    assert rec.revision == 1 and len(rec.data["rows"]) == 5
    assert _count(session, TargetTableVersion) == 0


def test_reimport_after_someone_else_changed_the_table_is_stale(session, org):
    rec = svc.import_table(session, actor_id=None, unit=org["unit"], year=2026, data=small_workbook())
    seen = rec.version
    svc.import_table(session, actor_id=None, unit=org["unit"], year=2026, data=small_workbook())
    with pytest.raises(StaleData):
        svc.import_table(session, actor_id=None, unit=org["unit"], year=2026, data=small_workbook(),
                         expected_version=seen)


def test_projects_are_separate_tables(session, org):
    a = svc.import_table(session, actor_id=None, unit=org["unit"], year=2026, data=small_workbook())
    b = svc.import_table(session, actor_id=None, unit=org["unit"], year=2026, data=small_workbook(),
                         project="实训基地建设")
    assert a.id != b.id and b.project == "实训基地建设"
    assert svc.find_table(session, org["unit"].id, 2026, "实训基地建设").id == b.id


# --------------------------------------------------------------------------- actuals

def test_actuals_need_an_open_checkpoint_and_the_units_reporter(session, org):
    rec = svc.import_table(session, actor_id=None, unit=org["unit"], year=2026, data=small_workbook())
    with pytest.raises(ServiceError, match="尚未开始"):
        _enter(session, org, rec, "half_year", {1: ("6000人次", "")})
    _open(session)
    with pytest.raises(PermissionDenied):
        _enter(session, org, rec, "half_year", {1: ("6000人次", "")}, rep="rep2")
    assert _enter(session, org, rec, "half_year", {1: ("6000人次", "")}) == 1
    svc.set_checkpoint(session, actor_id=None, year=2026, kind="half_year", status="closed")
    with pytest.raises(ServiceError, match="已截止"):
        _enter(session, org, rec, "half_year", {1: ("7000人次", "")})
    with pytest.raises(ServiceError, match="尚未开始"):
        _enter(session, org, rec, "full_year", {1: ("7000人次", "")})


def test_one_unreadable_actual_refuses_the_whole_form(session, org):
    rec = svc.import_table(session, actor_id=None, unit=org["unit"], year=2026, data=small_workbook())
    _open(session)
    session.commit()
    with pytest.raises(ServiceError) as exc:
        _enter(session, org, rec, "half_year", {1: ("6000人次", ""), 2: ("≥约45%", "")})
    assert "第 2 项「预算执行率」" in exc.value.message and "≥约45%" in exc.value.message
    session.rollback()
    assert _count(session, TargetActual) == 0


def test_stale_actual_is_refused_and_changes_are_audited(session, org):
    rec = svc.import_table(session, actor_id=None, unit=org["unit"], year=2026, data=small_workbook())
    _open(session)
    _enter(session, org, rec, "half_year", {1: ("6000人次", "")})
    session.commit()
    # a form shown before that save still says "no actual yet" (version 0)
    with pytest.raises(StaleData, match="社会培训"):
        svc.save_actuals(session, actor_id=org["rep"].id, allowed_units={org["unit"].id}, rec=rec,
                         kind="half_year", entries=[svc.ActualInput(1, "5000人次", "", 0)])
    session.rollback()
    a = session.exec(select(TargetActual)).one()
    assert a.text == "6000人次" and a.version == 1
    _enter(session, org, rec, "half_year", {1: ("6500人次", "补录")})
    _enter(session, org, rec, "half_year", {1: ("", "")})  # empty removes
    session.commit()
    assert _count(session, TargetActual) == 0
    actions = [e.action for e in session.exec(select(AuditEntry).where(AuditEntry.entity == "target_actual")
                                              .order_by(AuditEntry.id))]
    assert actions == ["enter_actual", "enter_actual", "remove_actual"]


def test_progress_colours_against_half_and_full_year_targets(session, org):
    rec = svc.import_table(session, actor_id=None, unit=org["unit"], year=2026, data=small_workbook())
    _open(session)
    _enter(session, org, rec, "half_year", {1: ("4000人次", ""), 2: ("40%", ""), 3: ("0%", ""), 4: ("健全", "")})
    rep = svc.progress(session, rec, "half_year")
    assert [r.status for r in rep.rows] == ["red", "amber", "green", "green", None]
    assert rep.counts == {"green": 2, "amber": 1, "red": 1, "unknown": 0, "missing": 1}
    (st,) = svc.standings(session, 2026)
    assert st.behind("half_year") and st.counts("full_year")["missing"] == 5
    assert svc.missing_count(session, rec, "half_year") == 1


# --------------------------------------------------------------------------- evidence

def test_evidence_files_are_checked_by_content(session, org, app):
    rec = svc.import_table(session, actor_id=None, unit=org["unit"], year=2026, data=small_workbook())
    _open(session)
    units = {org["unit"].id}
    ev = svc.add_evidence_file(session, actor_id=org["rep"].id, allowed_units=units, rec=rec, position=1,
                               kind="half_year", title="", filename="培训签到表.pdf", stream=io.BytesIO(PDF))
    assert ev.title == "培训签到表" and ev.file_type == "pdf" and ev.stored_name != "培训签到表.pdf"
    assert Path(svc.evidence_path(ev)).read_bytes() == PDF
    with pytest.raises(ServiceError, match="不支持的文件类型"):
        svc.add_evidence_file(session, actor_id=org["rep"].id, allowed_units=units, rec=rec, position=1,
                              kind="half_year", title="", filename="a.pdf", stream=io.BytesIO(b"<script>"))
    with pytest.raises(ServiceError, match="扩展名"):
        svc.add_evidence_file(session, actor_id=org["rep"].id, allowed_units=units, rec=rec, position=1,
                              kind="half_year", title="", filename="a.docx", stream=io.BytesIO(PDF))
    app.config["EVIDENCE_MAX_MB"] = 1
    with pytest.raises(ServiceError, match="文件过大"):
        svc.add_evidence_file(session, actor_id=org["rep"].id, allowed_units=units, rec=rec, position=1,
                              kind="half_year", title="", filename="a.pdf",
                              stream=io.BytesIO(PDF + b"0" * (1024 * 1024)))
    with pytest.raises(ServiceError, match="http"):
        svc.add_evidence_link(session, actor_id=org["rep"].id, allowed_units=units, rec=rec, position=1,
                              kind="half_year", title="", url="javascript:alert(1)")
    with pytest.raises(PermissionDenied):
        svc.add_evidence_link(session, actor_id=org["rep2"].id, allowed_units={org["other"].id}, rec=rec,
                              position=1, kind="half_year", title="", url="https://example.org/")
    svc.remove_evidence(session, actor_id=org["rep"].id, allowed_units=units, rec=rec, ev=ev)
    assert _count(session, TargetEvidence) == 0


# --------------------------------------------------------------------------- year end

FULL = {1: ("9000人次", "下半年两期培训因场地推迟"), 2: ("100%", ""), 3: ("0%", ""), 4: ("健全", ""),
        5: ("95%", "")}


def test_year_end_score_grade_and_budget_line(session, org):
    rec = svc.import_table(session, actor_id=None, unit=org["unit"], year=2026, data=small_workbook())
    _open(session, kind="full_year")
    _enter(session, org, rec, "full_year", FULL)
    ye = svc.year_end_score(session, rec)
    # 5 rows share 100 points (20 each); 社会培训 at 90 %: 20 × (1 − 2.5 × 0.1) = 15
    assert [r.points for r in ye.score.rows] == [D("15.00"), D("20.00"), D("20.00"), D("20.00"), D("20.00")]
    assert ye.total == D("95.00") and ye.grade == "优" and ye.execution is None
    assert [r.name for r in ye.score.shortfalls] == ["社会培训"]
    # with the budget line: indicators share 90 (18 each), execution 96 % → 10 × 0.9 = 9
    svc.save_report(session, actor_id=org["office"].id, identity=_Office(), rec=rec, summary="全年完成。",
                    problems="培训推迟。", fixes="提前安排场地。",
                    budget={"start": "100", "full": "100", "spent": "96"}, expected_version=rec.version)
    ye = svc.year_end_score(session, rec)
    assert ye.execution.points == D("9.00")
    assert ye.total == D("13.50") + 4 * D("18.00") + D("9.00") == D("94.50")
    with pytest.raises(StaleData):
        svc.save_report(session, actor_id=org["office"].id, identity=_Office(), rec=rec, summary="", problems="",
                        fixes="", budget=None, expected_version=rec.version - 1)
    with pytest.raises(ServiceError, match="不是数字"):
        svc.save_report(session, actor_id=org["office"].id, identity=_Office(), rec=rec, summary="", problems="",
                        fixes="", budget={"full": "一百"}, expected_version=rec.version)


def test_selfeval_sheet_and_table_export_read_back(session, org):
    rec = svc.import_table(session, actor_id=None, unit=org["unit"], year=2026, data=small_workbook())
    _open(session, kind="full_year")
    _enter(session, org, rec, "full_year", FULL)
    svc.save_report(session, actor_id=None, identity=_Office(), rec=rec, summary="s", problems="p", fixes="x",
                    budget={"start": "100", "full": "100", "spent": "96"}, expected_version=rec.version)
    ye = svc.year_end_score(session, rec)
    result = score_workbook(openpyxl.load_workbook(io.BytesIO(svc.selfeval_workbook(session, rec))))
    assert result.errors == []
    (project,) = result.projects
    assert [i.score.points for i in project.indicators] == [r.points for r in ye.score.rows]
    assert project.execution_score == ye.execution.points and project.total == ye.total
    assert project.grade == ye.grade
    back = read_target_workbook(svc.export_workbook(rec))
    assert back.ok and tuple(back.rows) == svc.table_of(rec).rows


def test_reporter_writes_the_report_only_while_full_year_is_open(session, org):
    rec = svc.import_table(session, actor_id=None, unit=org["unit"], year=2026, data=small_workbook())
    rep = _Reporter(org["unit"].id)
    with pytest.raises(ServiceError, match="尚未开始"):
        svc.save_report(session, actor_id=org["rep"].id, identity=rep, rec=rec, summary="", problems="p", fixes="",
                        budget=None, expected_version=rec.version)
    _open(session, kind="full_year")
    svc.save_report(session, actor_id=org["rep"].id, identity=rep, rec=rec, summary="", problems="p", fixes="",
                    budget=None, expected_version=rec.version)
    assert rec.problems == "p"
    with pytest.raises(PermissionDenied):
        svc.save_report(session, actor_id=org["rep2"].id, identity=_Reporter(org["other"].id), rec=rec, summary="",
                        problems="q", fixes="", budget=None, expected_version=rec.version)


class _Office:
    def has(self, *roles):
        return "office" in roles

    def units_for(self, role):
        return set()


class _Reporter:
    def __init__(self, unit_id):
        self.unit_id = unit_id

    def has(self, *roles):
        return "reporter" in roles

    def units_for(self, role):
        return {self.unit_id} if role == "reporter" else set()
