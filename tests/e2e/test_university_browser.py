"""The heaviest pages at the size of a large university, in a real browser (issue #17): a generated
university (seeds/university.py, the same as ``kpi seed-university``, here at 80 units and three
past cycles to keep the test short) and the office opening the pages that list every unit: the
results sheet of a past cycle, the comparison across cycles, a unit's history, the targets
overview, the self-report list, the scoring grid and the voting dashboard. Each shows every unit,
with no script or Content-Security-Policy error; screenshots are kept (KPI_SCREENSHOTS)."""

import os

import pytest

from tests.builders.browser import serving, sign_in
from tests.e2e.test_ballot_browser import watch_csp

pytestmark = pytest.mark.e2e

UNITS, HISTORY = 80, 3


@pytest.fixture
def served(e2e_app, tmp_path):
    from sqlmodel import Session, select

    from app.extensions import db
    from app.models import Cycle, Unit
    from app.models.result import ResultSet
    from seeds.university import build

    with e2e_app.app_context():
        build(units=UNITS, staff=400, history=HISTORY, codes=200)
        with Session(db.engine) as s:
            units = s.exec(select(Unit).where(Unit.active == True)).all()  # noqa: E712
            current = s.exec(select(Cycle).where(Cycle.name == "2018-2019学年")).one()
            past = s.exec(select(Cycle).join(ResultSet, ResultSet.cycle_id == Cycle.id)
                          .where(ResultSet.status == "final").order_by(Cycle.period_start.desc())).first()
            ids = {"current": current.id, "past": past.id, "units": len(units),
                   "colleges": sum(1 for u in units if u.category == "college"),
                   "unit": next(u.id for u in units if u.name == "机电工程学院")}
    with serving(e2e_app) as base:
        yield {"base": base, **ids, "shots": os.environ.get("KPI_SCREENSHOTS") or str(tmp_path)}


def test_office_opens_the_heaviest_pages_at_university_size(served, browser):
    from playwright.sync_api import expect

    base, shots = served["base"], served["shots"]
    assert served["units"] == UNITS
    ctx = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = ctx.new_page()
    csp = watch_csp(page)
    sign_in(page, base, "office", "demo1234")
    expect(page.locator(".mainnav")).to_be_visible()

    def visit(path: str, shot: str) -> None:
        response = page.goto(base + path)
        assert response.status == 200, path
        page.screenshot(path=os.path.join(shots, f"university-{shot}.png"), full_page=False)

    visit(f"/cycles/{served['past']}/results", "results-sheet")
    expect(page.locator(".results-table[data-category=college] tbody > tr")).to_have_count(served["colleges"])
    expect(page.locator(".results-table[data-category=department] tbody > tr")).to_have_count(
        UNITS - served["colleges"])
    expect(page.locator("h1")).to_contain_text("考核结果")

    visit("/results", "results-compare")
    expect(page.locator(".compare-table")).to_have_count(2)  # colleges, departments
    expect(page.locator(".compare-table").first.locator("thead th")).to_have_count(1 + HISTORY)
    expect(page.locator(".compare-table tbody > tr")).to_have_count(UNITS)

    visit(f"/units/{served['unit']}/history", "history")
    expect(page.locator(".history-table tbody > tr")).to_have_count(HISTORY)

    visit("/targets/office", "targets-office")
    expect(page.locator("main table.table tbody > tr")).to_have_count(UNITS)

    visit(f"/report/office/cycles/{served['current']}", "reports")
    expect(page.locator("main table.table tbody > tr")).to_have_count(UNITS)

    visit(f"/scoring/cycles/{served['current']}/owners/office", "scoring-grid")
    expect(page.locator("table.grid tbody > tr").first).to_be_visible()
    assert page.locator("table.grid tbody > tr").count() >= UNITS // 2

    visit(f"/voting/cycles/{served['current']}", "voting")
    expect(page.locator("#turnout tbody > tr").first).to_be_visible()
    assert csp == []
