"""``flask kpi targets ...``: import with --dry-run / --json, refusal, export and self-evaluation sheet."""

import io
import json
from decimal import Decimal as D
from pathlib import Path

import openpyxl
from sqlmodel import func, select

from app.models.targets import TargetTableRecord
from app.services import targets as svc
from app.sheets.selfeval import score_workbook
from app.sheets.targets import read_target_workbook
from tests.builders import factories as f

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "targets"


def _run(app, *args):
    return app.test_cli_runner().invoke(args=["kpi", "targets", *args])


def _tables(session) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(TargetTableRecord)).one()


def _unit(session, name="徐州机电技师学院"):
    u = f.unit(session, name)
    session.commit()
    return u


def test_dry_run_json_prints_one_object_per_indicator_and_saves_nothing(app, session):
    _unit(session)
    path = FIXTURES / "xuzhou_2022_targets.xlsx"
    res = _run(app, "import", str(path), "--unit", "徐州机电技师学院", "--year", "2022", "--dry-run", "--json")
    assert res.exit_code == 0, res.output
    lines = [json.loads(x) for x in res.stdout.splitlines() if x.startswith("{")]
    source = read_target_workbook(path)
    assert len(lines) == len(source.rows) == 88
    first = lines[0]
    assert first["levels"][0] == "履职" and first["name"] == "会计实训基地"
    assert first["half_year"] == {"text": "＝0个", "kind": "quantity", "operator": "=", "quantity": "0", "unit": "个",
                                  "level": None}
    assert first["full_year"]["text"] == "＝1个" and first["full_year"]["quantity"] == "1"
    assert first["function"] and first["sheet"] and first["row"]
    assert lines == source.to_json()
    assert "未保存" in res.stderr
    assert _tables(session) == 0


def test_json_qualitative_levels(app, session):
    _unit(session, "常州工业职业技术学院")
    res = _run(app, "import", str(FIXTURES / "changzhou_2026_targets.xlsx"), "--unit", "常州工业职业技术学院",
               "--year", "2026", "--dry-run", "--json")
    lines = [json.loads(x) for x in res.stdout.splitlines() if x.startswith("{")]
    assert len(lines) == 204
    assert lines[0]["half_year"]["kind"] == "level" and lines[0]["half_year"]["level"] == "健全"
    social = next(x for x in lines if x["name"] == "社会培训")
    assert social["half_year"]["operator"] == "≥" and social["half_year"]["quantity"] == "10000"
    assert social["half_year"]["unit"] == "人次" and social["full_year"]["text"] == "≥39000人次"


def test_import_saves_and_reimport_makes_a_new_revision(app, session):
    _unit(session)
    path = str(FIXTURES / "xuzhou_2022_targets.xlsx")
    res = _run(app, "import", path, "--unit", "徐州机电技师学院", "--year", "2022")
    assert res.exit_code == 0, res.output
    assert "已保存" in res.output and "第 1 版" in res.output and "88 个指标" in res.output
    assert _tables(session) == 1
    res = _run(app, "import", path, "--unit", "徐州机电技师学院", "--year", "2022")
    assert res.exit_code == 0 and "第 2 版" in res.output
    assert _tables(session) == 1


def test_broken_workbook_exits_nonzero_naming_row_and_cell(app, session):
    _unit(session)
    for name, words in [("broken_value.xlsx", "第 6 行 D6 单元格"), ("broken_formula.xlsx", "D6"),
                        ("broken_no_header.xlsx", "没有找到表头行")]:
        res = _run(app, "import", str(FIXTURES / name), "--unit", "徐州机电技师学院", "--year", "2022", "--json")
        assert res.exit_code == 1
        assert words in res.stderr and "未保存任何内容" in res.stderr
        assert res.stdout == ""
    assert _tables(session) == 0
    res = _run(app, "import", str(FIXTURES / "nope.xlsx"), "--unit", "徐州机电技师学院", "--year", "2022")
    assert res.exit_code == 1 and "无法读取文件" in res.stderr
    res = _run(app, "import", str(FIXTURES / "xuzhou_2022_targets.xlsx"), "--unit", "不存在", "--year", "2022")
    assert res.exit_code == 1 and "单位「不存在」不存在" in res.stderr


def test_export_and_selfeval_read_back(app, session, tmp_path):
    u = _unit(session)
    path = FIXTURES / "xuzhou_2022_targets.xlsx"
    assert _run(app, "import", str(path), "--unit", "徐州机电技师学院", "--year", "2022").exit_code == 0
    out = tmp_path / "out.xlsx"
    res = _run(app, "export", "--unit", "徐州机电技师学院", "--year", "2022", str(out))
    assert res.exit_code == 0, res.output
    assert read_target_workbook(out).rows == read_target_workbook(path).rows

    # year end: every full-year target met, through the service as the unit would
    rec = svc.find_table(session, u.id, 2022)
    svc.set_checkpoint(session, actor_id=None, year=2022, kind="full_year", status="open")
    entries = []
    for row in svc.table_of(rec).rows:
        v = row.full_year
        text = f"{v.quantity}{v.unit or ''}" if v.kind == "quantity" else v.text
        entries.append(svc.ActualInput(row.position, text))
    svc.save_actuals(session, actor_id=None, allowed_units={u.id}, rec=rec, kind="full_year", entries=entries)
    svc.save_report(session, actor_id=None, identity=_Office(), rec=rec, summary="", problems="", fixes="",
                    budget={"start": "500", "full": "500", "spent": "500"}, expected_version=rec.version)
    session.commit()
    sheet = tmp_path / "self.xlsx"
    res = _run(app, "selfeval", "--unit", "徐州机电技师学院", "--year", "2022", str(sheet))
    assert res.exit_code == 0, res.output
    (project,) = score_workbook(openpyxl.load_workbook(io.BytesIO(sheet.read_bytes()))).projects
    assert project.total == D("100.00") and project.grade == "优"
    res = _run(app, "score", "--unit", "徐州机电技师学院", "--year", "2022", "--json")
    data = json.loads(res.stdout)
    assert data["total"] == "100.00" and data["grade"] == "优" and data["complete"]
    res = _run(app, "export", "--unit", "徐州机电技师学院", "--year", "2030", str(out))
    assert res.exit_code == 1 and "没有绩效目标表" in res.stderr


def test_checkpoint_command(app, session):
    res = _run(app, "checkpoint", "2026", "half_year", "open")
    assert res.exit_code == 0 and "已开放" in res.output
    session.expire_all()
    assert svc.checkpoint(session, 2026, "half_year").is_open


class _Office:
    def has(self, *roles):
        return "office" in roles

    def units_for(self, role):
        return set()
