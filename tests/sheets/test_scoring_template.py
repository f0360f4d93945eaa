"""The Excel scoring template round trip: export, fill, import; broken files name sheet, row and
column and change nothing."""

import io

import openpyxl
import pytest
from sqlmodel import select

from app.models import AuditEntry
from app.models.score import ScoreEntry
from app.services import ServiceError, reports, scoring
from app.services.scoring import CycleScoring, ImportRefused
from app.sheets.safety import UnsafeWorkbook
from app.sheets.scoring import TemplateError, build_template, read_template
from tests.builders import factories as f
from tests.builders.report_world import World


@pytest.fixture
def w(session):
    w = World(session)
    kw = dict(actor_id=w.tb1.id, allowed_units={w.c1.id}, cycle=w.cycle, unit=w.c1)
    v = reports.save_draft(session, **kw, texts={"summary": "总结"}, report_version=0,
                           entries={"B1": {"facts": {"trainees": "800", "students": "1000"}, "version": 0}})
    reports.submit(session, **kw, expected_version=v["report"])
    session.commit()
    return w


def export(session, w, key):
    owner = scoring.owners(session, w.cycle)[key]
    return openpyxl.load_workbook(io.BytesIO(build_template(CycleScoring(session, w.cycle), owner)))


def save(wb) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def headers(ws) -> dict[str, int]:
    return {ws.cell(3, c).value: c for c in range(2, ws.max_column + 1)}


def do_import(session, w, key, data, owner_keys=None):
    cells = read_template(data, cycle_id=w.cycle.id, owner_key=key)
    return scoring.import_cells(session, actor_id=w.pf_jwc.id, owner_keys=owner_keys or {key}, cycle=w.cycle,
                                owner_key=key, cells=cells)


def test_template_layout(session, w):
    wb = export(session, w, str(w.jwc.id))
    ws = wb["评分"]
    assert wb["_meta"].sheet_state == "veryHidden"
    assert [ws.cell(r, 1).value for r in range(4, ws.max_row + 1)] == ["机电工程学院", "信息工程学院", "继续教育学院"]
    h = headers(ws)
    assert ws.cell(4, h["社会培训人数（人）"]).value == 800  # the unit's submitted value
    assert ws.cell(2, 2).value.startswith("A1 教学运行")


def test_round_trip(session, w):
    key = str(w.jwc.id)
    wb = export(session, w, key)
    ws = wb["评分"]
    cols = [c for c in range(2, ws.max_column + 1)]
    h = {(ws.cell(3, c).value, i): c for i, c in enumerate(cols)}
    # A1 judged points are the first block: 评定得分, 扣分理由, 已核实
    a1_points, a1_reason = cols[0], cols[1]
    ws.cell(4, a1_points).value = 0.5
    ws.cell(4, a1_reason).value = "调停课偏多"
    ws.cell(5, a1_points).value = 1
    b1 = [c for (label, _i), c in h.items() if label == "社会培训人数（人）"][0]
    ws.cell(5, b1).value = 300  # 信息工程学院 did not report: the department enters it
    ws.cell(5, b1 + 1).value = 1000
    n = do_import(session, w, key, save(wb))
    session.commit()
    assert n == 3
    scores = scoring.indicator_scores(session, w.cycle)
    assert str(scores[(w.c1.id, "A1")].points) == "0.50"
    assert str(scores[(w.c2.id, "A1")].points) == "1.00"
    assert scores[(w.c2.id, "B1")].status == "ok" and str(scores[(w.c2.id, "B1")].points) == "0.00"
    assert session.exec(select(AuditEntry).where(AuditEntry.entity == "score_entry")).all()
    # importing the same file again: stale (versions moved on since that export)
    with pytest.raises(ImportRefused) as e:
        do_import(session, w, key, save(wb))
    assert "重新导出" in e.value.errors[0]
    # a fresh export imported unchanged changes nothing
    assert do_import(session, w, key, save(export(session, w, key))) == 0


def test_errors_name_sheet_row_column_and_change_nothing(session, w):
    key = str(w.jwc.id)
    wb = export(session, w, key)
    ws = wb["评分"]
    cols = list(range(2, ws.max_column + 1))
    ws.cell(4, cols[0]).value = 1  # fine alone
    ws.cell(5, cols[0]).value = "很好"  # not a number
    b1 = headers(ws)["社会培训人数（人）"]
    ws.cell(4, b1).value = 900  # a correction of 800 without a reason
    ws.cell(6, cols[0]).value = 0.5  # below max without a reason
    with pytest.raises(ImportRefused) as e:
        do_import(session, w, key, save(wb))
    errs = e.value.errors
    assert any("工作表「评分」第5行 B列" in x and "应为数字" in x for x in errs)
    assert any("第4行" in x and "更正理由" in x for x in errs)
    assert any("第6行" in x and "理由" in x for x in errs)
    session.rollback()
    assert session.exec(select(ScoreEntry)).all() == []


def test_moved_column_and_foreign_template(session, w):
    key = str(w.jwc.id)
    wb = export(session, w, key)
    wb["评分"].insert_cols(3)
    with pytest.raises(TemplateError) as e:
        read_template(save(wb), cycle_id=w.cycle.id, owner_key=key)
    assert "工作表「评分」第3行 C列" in e.value.errors[0] and "表头" in e.value.errors[0]
    with pytest.raises(TemplateError) as e:
        read_template(save(export(session, w, key)), cycle_id=w.cycle.id, owner_key=str(w.zzb.id))
    assert "另一个评分部门" in e.value.errors[0]
    wb = export(session, w, key)
    wb["评分"].cell(20, 1).value = "新单位"
    with pytest.raises(TemplateError) as e:
        read_template(save(wb), cycle_id=w.cycle.id, owner_key=key)
    assert "第20行" in e.value.errors[0]


def test_not_a_workbook_and_no_permission(session, w):
    with pytest.raises(UnsafeWorkbook):
        read_template(b"not a zip", cycle_id=w.cycle.id, owner_key="office")
    plain = openpyxl.Workbook()
    with pytest.raises(TemplateError):
        read_template(save(plain), cycle_id=w.cycle.id, owner_key="office")
    data = save(export(session, w, str(w.jwc.id)))
    with pytest.raises(ServiceError):
        do_import(session, w, str(w.jwc.id), data, owner_keys={str(w.zzb.id)})


def test_upload_through_the_page(client, session, w):
    key = str(w.jwc.id)
    f.login(client, "pf_jwc")
    r = client.get(f"/scoring/cycles/{w.cycle.id}/owners/{key}/template.xlsx")
    assert r.status_code == 200 and r.data[:2] == b"PK"
    wb = openpyxl.load_workbook(io.BytesIO(r.data))
    wb["评分"].cell(5, 2).value = "abc"
    r = client.post(f"/scoring/cycles/{w.cycle.id}/owners/{key}/import",
                    data={"file": (io.BytesIO(save(wb)), "t.xlsx")}, content_type="multipart/form-data")
    assert r.status_code == 422 and "第5行 B列" in r.get_data(as_text=True)
    wb["评分"].cell(5, 2).value = 1
    r = client.post(f"/scoring/cycles/{w.cycle.id}/owners/{key}/import",
                    data={"file": (io.BytesIO(save(wb)), "t.xlsx")}, content_type="multipart/form-data",
                    follow_redirects=True)
    assert "更新了 1 项评分" in r.get_data(as_text=True)
    r = client.post(f"/scoring/cycles/{w.cycle.id}/owners/{key}/import",
                    data={"file": (io.BytesIO(b"PK\x03\x04garbage"), "t.xlsx")}, content_type="multipart/form-data")
    assert r.status_code == 422 and "文件无法导入" in r.get_data(as_text=True)
