"""Two years side by side: last year's rows matched to this year's by path, else by a unique name;
last year's actuals on this year's self-evaluation sheet (指标值设定依据, 上年完成情况)."""

import io

import openpyxl
import pytest
from sqlmodel import select

from app.models import User
from app.services import target_history as hist
from app.services import target_reports as ysvc
from app.services import targets as svc
from tests.builders import factories as f
from tests.builders.targets import small_workbook

LAST_YEAR = [
    ("产出", "数量指标", "社会培训", "≥4000人次", "≥8000人次"),
    ("过程", "预算执行", "预算执行率", "=45%", "=100%"),
    ("决策", "管理", "预算管理制度健全性", "健全", "健全"),  # moved under another 二级: matched by its name
    ("满意度", "服务对象满意度", "教师满意度", "≥90%", "≥90%"),  # not in this year's table
]


@pytest.fixture
def two_years(session):
    u = f.unit(session, "机电工程学院")
    office = f.user(session, "office1", roles=["office"])
    rep = f.user(session, "rep", roles=[{"role": "reporter", "unit_id": u.id}])
    session.commit()
    old = svc.import_table(session, actor_id=office.id, unit=u, year=2025,
                           data=small_workbook(year=2025, rows=LAST_YEAR))
    svc.set_checkpoint(session, actor_id=office.id, year=2025, kind="full_year", status="open")
    svc.save_actuals(session, actor_id=rep.id, allowed_units={u.id}, rec=old, kind="full_year", entries=[
        svc.ActualInput(position=1, text="9120人次"), svc.ActualInput(position=3, text="健全")])
    new = svc.import_table(session, actor_id=office.id, unit=u, year=2026, data=small_workbook(year=2026))
    other = svc.import_table(session, actor_id=office.id, unit=u, year=2026, data=small_workbook(year=2026),
                             project="实训基地建设")
    session.commit()
    return old, new, other


def test_rows_are_matched_by_path_then_by_a_unique_name(session, two_years):
    old, new, other = two_years
    prev = hist.previous_year(session, new)
    assert hist.previous_table(session, new).id == old.id
    assert sorted(prev) == [1, 2, 4]
    assert prev[1].row.position == 1 and prev[1].actual_text == "9120人次" and prev[1].target.text == "≥8000人次"
    assert prev[2].row.position == 2 and prev[2].actual_text is None
    assert prev[4].row.position == 3 and prev[4].actual_text == "健全"
    # a project's table is compared with the same project's table of the year before only
    assert hist.previous_table(session, other) is None and hist.previous_year(session, other) == {}
    assert hist.previous_year(session, old) == {}


def test_selfeval_sheet_has_last_years_basis_and_results(session, two_years):
    _old, new, _other = two_years
    ws = openpyxl.load_workbook(io.BytesIO(ysvc.selfeval_workbook(session, new))).active
    header = [c.value for c in ws[11]]
    basis, done = header.index("指标值设定依据") + 1, header.index("上年完成情况") + 1
    assert ws.cell(row=12, column=done).value == "2025年目标 ≥8000人次，实际完成 9120人次"
    assert ws.cell(row=12, column=basis).value == "参考2025年实际完成值 9120人次（2025年目标 ≥8000人次）"
    assert ws.cell(row=13, column=done).value == "2025年目标 =100%，未填报实际完成值"
    assert ws.cell(row=14, column=done).value is None  # “三公经费”变动率 was not in last year's table
    assert ws.cell(row=15, column=done).value == "2025年目标 健全，实际完成 健全"


def test_selfeval_sheet_with_last_year_is_still_read_by_the_score_sheet_reader(session, two_years):
    from app.sheets.selfeval import score_workbook

    _old, new, _other = two_years
    rep = session.exec(select(User).where(User.username == "rep")).one()
    svc.set_checkpoint(session, actor_id=None, year=2026, kind="full_year", status="open")
    svc.save_actuals(session, actor_id=rep.id, allowed_units={new.unit_id}, rec=new, kind="full_year", entries=[
        svc.ActualInput(position=i, text=t) for i, t in enumerate(("12000人次", "98%", "0%", "健全", "95%"), 1)])
    new.budget = {"start": "100", "full": "100", "spent": "98"}
    session.commit()
    result = score_workbook(openpyxl.load_workbook(io.BytesIO(ysvc.selfeval_workbook(session, new))))
    assert result.errors == []
    (project,) = result.projects
    assert project.total == ysvc.year_end_score(session, new).total
