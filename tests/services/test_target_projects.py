"""Projects: a workbook of several project sheets imports as several project tables of the unit
(all or nothing); single-sheet workbooks stay one table; each project's money (budget, half-year
plan and execution, full-year execution) with its rates; the export of the unit's projects reads
back as the same projects."""

from decimal import Decimal as D

import openpyxl
import pytest
from sqlmodel import select

from app.models import AuditEntry
from app.models.targets import TargetTableRecord
from app.services import PermissionDenied, ServiceError, StaleData
from app.services import target_projects as psvc
from app.services import target_reports as ysvc
from app.services import targets as svc
from app.services.targets import ImportRefused
from tests.builders import factories as f
from tests.builders.projects import PROJECTS, projects_workbook
from tests.builders.targets import small_workbook


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


@pytest.fixture
def org(session):
    u = f.unit(session, "机电工程学院")
    office = f.user(session, "office1", roles=["office"])
    rep = f.user(session, "rep", roles=[{"role": "reporter", "unit_id": u.id}])
    session.commit()
    return {"unit": u, "office": office, "rep": rep}


def _tables(session):
    return list(session.exec(select(TargetTableRecord).order_by(TargetTableRecord.id)))


def test_a_workbook_of_projects_imports_as_one_table_per_project(session, org):
    data = projects_workbook()
    preview = psvc.preview_projects(session, data=data, unit=org["unit"], year=2026)
    assert preview.ok and [(p.sheet, p.project) for p in preview.parts] == [
        ("实训基地", "智能制造实训基地建设"), ("专业群", "高水平专业群建设")]
    assert [len(p.preview.table.rows) for p in preview.parts] == [4, 3]
    recs = psvc.import_projects(session, actor_id=org["office"].id, unit=org["unit"], year=2026, data=data,
                                filename="项目目标表.xlsx")
    session.commit()
    assert [(r.project, len(r.data["rows"])) for r in _tables(session)] == [
        ("智能制造实训基地建设", 4), ("高水平专业群建设", 3)]
    first = svc.table_of(recs[0])
    assert [r.name for r in first.rows] == [r[2] for r in PROJECTS["实训基地"][1]]
    assert first.rows[3].full_year.text == "≥90%" and first.project == "智能制造实训基地建设"
    assert "年度资金总额" in str(first.preamble) and "高水平专业群" not in str(first.preamble)
    assert first.info["项目资金（万元）·年度资金总额"] == "500" and first.info["其中：财政拨款"] == "400"
    # a project table takes the project defaults (deviation rule)
    assert svc.settings_of(recs[0]).overachievement == "deviation"
    # importing the same workbook again makes second revisions of both, nothing else
    psvc.import_projects(session, actor_id=org["office"].id, unit=org["unit"], year=2026, data=data,
                         expected_versions={r.project: r.version for r in recs})
    session.commit()
    assert [(r.project, r.revision) for r in _tables(session)] == [("智能制造实训基地建设", 2), ("高水平专业群建设", 2)]


def test_single_sheet_and_unnamed_sheets_stay_one_table_unless_forced(session, org):
    assert psvc.preview_projects(session, data=small_workbook(), unit=org["unit"], year=2026) is None
    unnamed = projects_workbook(with_names=False)
    assert psvc.preview_projects(session, data=unnamed, unit=org["unit"], year=2026) is None
    merged = svc.preview_import(session, data=unnamed, unit=org["unit"], year=2026)
    assert merged.ok and len(merged.table.rows) == 7  # as before: the sheets merge into one table
    forced = psvc.preview_projects(session, data=unnamed, unit=org["unit"], year=2026, force=True)
    assert [p.project for p in forced.parts] == ["实训基地", "专业群"]


def test_one_bad_sheet_refuses_every_project_and_names_it(session, org):
    bad = dict(PROJECTS)
    bad["专业群"] = ("高水平专业群建设", [("产出指标", "数量指标", "新开发课程", "=SUM(D1:D2)")])
    with pytest.raises(ImportRefused) as exc:
        psvc.import_projects(session, actor_id=org["office"].id, unit=org["unit"], year=2026,
                             data=projects_workbook(bad))
    assert any("项目「高水平专业群建设」（工作表「专业群」）" in e for e in exc.value.errors)
    session.rollback()
    assert _tables(session) == []
    same = {"甲": ("同名项目", PROJECTS["实训基地"][1]), "乙": ("同名项目", PROJECTS["专业群"][1])}
    preview = psvc.preview_projects(session, data=projects_workbook(same), unit=org["unit"], year=2026)
    assert not preview.ok and "项目名称都是「同名项目」" in preview.errors[0]


def test_a_stale_preview_refuses_the_whole_import(session, org):
    data = projects_workbook()
    recs = psvc.import_projects(session, actor_id=org["office"].id, unit=org["unit"], year=2026, data=data)
    session.commit()
    with pytest.raises(StaleData):
        psvc.import_projects(session, actor_id=org["office"].id, unit=org["unit"], year=2026, data=data,
                             expected_versions={recs[0].project: recs[0].version, recs[1].project: 0})


def test_project_money_rates_permissions_stale_and_audit(session, org):
    rec = psvc.import_projects(session, actor_id=org["office"].id, unit=org["unit"], year=2026,
                               data=projects_workbook())[0]
    session.commit()
    rep = _Reporter(org["unit"].id)
    with pytest.raises(ServiceError, match="实际值填报未开放"):
        psvc.save_budget(session, actor_id=org["rep"].id, identity=rep, rec=rec, budget={"full": "500"},
                         expected_version=rec.version)
    svc.set_checkpoint(session, actor_id=org["office"].id, year=2026, kind="half_year", status="open")
    psvc.save_budget(session, actor_id=org["rep"].id, identity=rep, rec=rec, expected_version=rec.version,
                     budget={"start": "480", "full": "500", "half_plan": "632", "half_spent": "316"})
    session.commit()
    m = psvc.money_of(rec)
    assert m.half_rate == D("0.5") and m.full_rate is None and m.full == D("500.00")
    psvc.save_budget(session, actor_id=org["office"].id, identity=_Office(), rec=rec, budget={"spent": "450"},
                     expected_version=rec.version)
    session.commit()
    m = psvc.money_of(rec)
    assert m.full_rate == D("0.9") and m.half_spent == D("316.00")  # keys not given are kept
    assert ysvc.year_end_score(session, rec).execution.rate == D("0.9")
    with pytest.raises(StaleData):
        psvc.save_budget(session, actor_id=org["office"].id, identity=_Office(), rec=rec, budget={"spent": "1"},
                         expected_version=rec.version - 1)
    with pytest.raises(ServiceError, match="半年计划执行数「abc」不是数字"):
        psvc.save_budget(session, actor_id=org["office"].id, identity=_Office(), rec=rec,
                         budget={"half_plan": "abc"}, expected_version=rec.version)
    with pytest.raises(PermissionDenied):
        psvc.save_budget(session, actor_id=org["rep"].id, identity=_Reporter(-1), rec=rec, budget={"full": "1"},
                         expected_version=rec.version)
    entries = session.exec(select(AuditEntry).where(AuditEntry.action == "target_budget")).all()
    assert [e.new_value["budget"]["spent"] for e in entries] == ["", "450.00"]


def test_export_of_the_units_projects_reads_back_as_the_same_projects(session, org, tmp_path):
    recs = psvc.import_projects(session, actor_id=org["office"].id, unit=org["unit"], year=2026,
                                data=projects_workbook())
    psvc.save_budget(session, actor_id=org["office"].id, identity=_Office(), rec=recs[1],
                     budget={"full": "200", "half_plan": "80", "half_spent": "60", "spent": "190"},
                     expected_version=recs[1].version)
    session.commit()
    data = psvc.projects_workbook(session, org["unit"], 2026)
    path = tmp_path / "p.xlsx"
    path.write_bytes(data)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["项目资金", "智能制造实训基地建设", "高水平专业群建设"]
    money = [[c.value for c in row] for row in wb["项目资金"].iter_rows(min_row=3)]
    assert money[1] == ["高水平专业群建设", None, 200, 80, 60, 0.75, 190, 0.95]
    assert money[0][0] == "智能制造实训基地建设" and money[0][1:] == [None] * 7
    back = psvc.preview_projects(session, data=data, unit=org["unit"], year=2026)
    assert [p.project for p in back.parts] == [r.project for r in recs]
    assert [p.preview.table.rows for p in back.parts] == [svc.table_of(r).rows for r in recs]
