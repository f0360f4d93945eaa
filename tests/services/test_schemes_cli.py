"""``kpi scheme export / import / validate / seed / list`` through Flask's CLI runner."""

import io
import json

import openpyxl
from sqlmodel import func, select

from app.models import Scheme
from app.services import schemes
from app.sheets.scheme import export_scheme
from tests.builders.seed import SEED


def _run(app, *args):
    """Run ``kpi scheme ...``; ``result.output`` holds stdout and stderr (click 8.2+)."""
    return app.test_cli_runner().invoke(args=["kpi", "scheme", *args])


def _count(session):
    session.expire_all()
    return session.exec(select(func.count()).select_from(Scheme)).one()


def test_export_edit_import_and_validate(app, session, tmp_path):
    r = _run(app, "export", str(tmp_path / "none.xlsx"))
    assert r.exit_code != 0 and "没有方案" in r.output
    assert _run(app, "seed").exit_code == 0
    assert "lianyungang-2018" in _run(app, "list").output
    out = tmp_path / "scheme.xlsx"
    r = _run(app, "export", "--code", "lianyungang-2018", "--version", "1", str(out))
    assert r.exit_code == 0, r.output
    assert "已导出" in r.output

    r = _run(app, "validate", str(out))
    assert r.exit_code == 0 and "方案有效" in r.output
    r = _run(app, "validate", str(SEED))
    assert r.exit_code == 0 and "方案有效" in r.output

    # unchanged: refused as identical
    r = _run(app, "import", str(out))
    assert r.exit_code != 0 and "完全相同" in r.output

    wb = openpyxl.load_workbook(out)
    wb["方案"]["B3"] = "改过名字的方案"
    edited = tmp_path / "edited.xlsx"
    wb.save(edited)
    r = _run(app, "import", "--dry-run", str(edited))
    assert r.exit_code == 0 and "未保存" in r.output
    assert "与数据库中第 1 版相比改动 1 处" in r.output and "→ 改过名字的方案" in r.output
    assert _count(session) == 1
    r = _run(app, "import", str(edited))
    assert r.exit_code == 0, r.output
    assert "第 2 版" in r.output
    assert _count(session) == 2
    # default export: the newest version of the newest scheme
    latest = tmp_path / "latest.xlsx"
    r = _run(app, "export", str(latest))
    assert r.exit_code == 0 and "第 2 版" in r.output


def test_import_of_a_broken_workbook_prints_cells_and_exits_non_zero(app, session, tmp_path):
    schemes.seed_scheme(session)
    session.commit()
    wb = openpyxl.load_workbook(io.BytesIO(export_scheme(json.loads(SEED.read_text(encoding="utf-8")))))
    wb["指标"]["E3"] = "x"
    bad = tmp_path / "bad.xlsx"
    wb.save(bad)
    for args in (["import", str(bad)], ["import", "--dry-run", str(bad)], ["validate", str(bad)]):
        r = _run(app, *args)
        assert r.exit_code == 1
        assert "「指标」表第 3 行 E 列：分值应为数字，现为「x」" in r.output
    assert _count(session) == 1
    notzip = tmp_path / "n.xlsx"
    notzip.write_bytes(b"hello")
    r = _run(app, "validate", str(notzip))
    assert r.exit_code == 1


def test_validate_a_broken_json(app, tmp_path):
    data = json.loads(SEED.read_text(encoding="utf-8"))
    data["categories"][0]["components"][1]["indicators"][0]["children"][0]["children"][0]["rule"] = "nope"
    p = tmp_path / "s.json"
    p.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    r = _run(app, "validate", str(p))
    assert r.exit_code == 1
    assert "指标 B01" in r.output and "未知的计分规则「nope」" in r.output
    p.write_text("{", encoding="utf-8")
    assert _run(app, "validate", str(p)).exit_code == 1


def test_validate_never_crashes_on_a_non_numeric_points_deep_in_the_tree(app, tmp_path):
    data = json.loads(SEED.read_text(encoding="utf-8"))
    data["categories"][0]["components"][1]["indicators"][0]["children"][1]["children"][0]["points"] = "abc"
    p = tmp_path / "s.json"
    p.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    r = _run(app, "validate", str(p))
    assert r.exit_code == 1 and "方案有误" in r.output
    assert r.exception is None or isinstance(r.exception, SystemExit)
