"""``flask kpi targets import`` of a workbook of several projects, and ``export --all-projects``."""

import openpyxl
from sqlmodel import select

from app.models.targets import TargetTableRecord
from tests.builders import factories as f
from tests.builders.projects import projects_workbook
from tests.test_cli_targets import _run


def test_projects_import_dry_run_save_and_export(app, session, tmp_path):
    f.unit(session, "机电工程学院")
    session.commit()
    src = tmp_path / "projects.xlsx"
    src.write_bytes(projects_workbook())
    r = _run(app, "import", str(src), "--unit", "机电工程学院", "--year", "2026", "--dry-run")
    assert r.exit_code == 0, r.output
    assert "项目「智能制造实训基地建设」（工作表「实训基地」）：4 个指标" in r.output
    assert "试运行：识别 2 个项目，未保存。" in r.output
    assert session.exec(select(TargetTableRecord)).all() == []
    r = _run(app, "import", str(src), "--unit", "机电工程学院", "--year", "2026")
    assert r.exit_code == 0, r.output
    assert "已保存 2 个项目：智能制造实训基地建设（第 1 版）、高水平专业群建设（第 1 版）。" in r.output
    session.expire_all()
    assert [t.project for t in session.exec(select(TargetTableRecord))] == ["智能制造实训基地建设", "高水平专业群建设"]
    out = tmp_path / "out.xlsx"
    r = _run(app, "export", str(out), "--unit", "机电工程学院", "--year", "2026", "--all-projects")
    assert r.exit_code == 0, r.output
    assert openpyxl.load_workbook(out).sheetnames == ["项目资金", "智能制造实训基地建设", "高水平专业群建设"]


def test_unnamed_sheets_merge_unless_projects_is_given(app, session, tmp_path):
    f.unit(session, "机电工程学院")
    session.commit()
    src = tmp_path / "unnamed.xlsx"
    src.write_bytes(projects_workbook(with_names=False))
    r = _run(app, "import", str(src), "--unit", "机电工程学院", "--year", "2026", "--dry-run")
    assert r.exit_code == 0 and "试运行：识别 7 个指标，未保存。" in r.output
    r = _run(app, "import", str(src), "--unit", "机电工程学院", "--year", "2026", "--projects", "--dry-run")
    assert r.exit_code == 0 and "项目「专业群」（工作表「专业群」）：3 个指标" in r.output
