"""A score entry in a real browser, from the scorer's form to the result row.

The 科技与产业处 scorer opens a cross-unit cell (科研经费, relative to the average of the
二级学院), corrects the unit's figure with a reason and sees the live preview; saves; the
office then opens the result sheet and the unit's result page, whose indicator tree shows the
same points (the preview and the result row take the population from one rule). A cycle whose
scheme snapshot is invalid shows the reason instead of a page of indicators.
"""

import os
import shutil

import pytest

from tests.builders.browser import serving, sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def served(e2e_app):
    from sqlmodel import Session

    from app.extensions import db
    from app.services import reports
    from tests.builders import factories as f
    from tests.builders.report_world import World

    with e2e_app.app_context():
        with Session(db.engine, expire_on_commit=False) as s:
            w = World(s)
            for unit, user, funds in ((w.c1, w.tb1, "100"), (w.c2, w.tb2, "50")):
                kw = dict(actor_id=user.id, allowed_units={unit.id}, cycle=w.cycle, unit=unit)
                v = reports.save_draft(s, **kw, texts={"summary": "总结"}, report_version=0,
                                       entries={"B2": {"facts": {"funds": funds}, "version": 0}})
                reports.submit(s, **kw, expected_version=v["report"])
            broken = f.cycle(s, name="方案有误的周期")
            data = dict(w.cycle.scheme_data)
            data["normalisation"] = "sometimes"
            broken.scheme_data = data
            s.add(broken)
            s.commit()
            ids = {"cycle": w.cycle.id, "broken": broken.id, "c2": w.c2.id, "kjc": w.kjc.id}
    with serving(e2e_app) as base:
        yield {"base": base, **ids}


def _sign_in(page, base, username):
    sign_in(page, base, username)
    page.wait_for_load_state()


def test_cross_unit_score_from_the_form_to_the_result_row(served, browser, tmp_path):
    from playwright.sync_api import expect

    base = served["base"]
    ctx = browser.new_context(viewport={"width": 1200, "height": 900}, locale="zh-CN")
    page = ctx.new_page()
    _sign_in(page, base, "pf_kjc")
    page.goto(f"{base}/scoring/cycles/{served['cycle']}/owners/{served['kjc']}/units/{served['c2']}/B2")
    result = page.locator("#result")
    expect(result.locator("[data-points]")).to_have_text("0.00")  # 50 of an average of 75
    page.fill("#f_funds", "80")
    page.fill("input[name=r_funds]", "财务到账凭证核实为80万元")
    expect(result.locator("[data-points]")).to_have_text("1")  # the live preview: 80 of an average of 90
    shown = result.locator("[data-explanation]").inner_text()
    assert "90" in shown
    result.screenshot(path=str(tmp_path / "scoring-preview.png"))
    page.click("button[value=save]")
    expect(page.locator(".flash-success")).to_contain_text("得 1 分")
    expect(result.locator("[data-points]")).to_have_text("1.00")

    ctx.close()
    ctx = browser.new_context(viewport={"width": 1200, "height": 900}, locale="zh-CN")
    page = ctx.new_page()
    _sign_in(page, base, "office")
    page.goto(f"{base}/cycles/{served['cycle']}/results")
    page.goto(f"{base}/cycles/{served['cycle']}/results/units/{served['c2']}")
    row = page.locator("ul.tree li:has(> span:text-is('B2 科研经费'))")
    expect(row.locator("> .pts")).to_have_text("1.00")
    assert row.locator("> .why").inner_text() == shown
    page.screenshot(path=str(tmp_path / "result-row.png"), full_page=True)

    response = page.goto(f"{base}/scoring/cycles/{served['broken']}")
    assert response.status == 409
    expect(page.locator("h1")).to_have_text("无法显示：考核方案不可用")
    expect(page.locator("body")).to_contain_text("考核方案快照有误")
    page.screenshot(path=str(tmp_path / "scheme-invalid.png"), full_page=True)
    if os.environ.get("KPI_SCREENSHOTS"):
        for name in ("scoring-preview.png", "result-row.png", "scheme-invalid.png"):
            shutil.copy(tmp_path / name, os.path.join(os.environ["KPI_SCREENSHOTS"], name))
    ctx.close()


def test_scoring_grid_keeps_its_header_row_and_unit_column_in_view_at_1280(served, browser, tmp_path):
    """At 1280 px the grid scrolls inside its box: the header row and the unit column are sticky, and a
    unit name keeps its width instead of wrapping one character per line."""
    base = served["base"]
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = ctx.new_page()
    _sign_in(page, base, "pf_kjc")
    page.goto(f"{base}/scoring/cycles/{served['cycle']}/owners/{served['kjc']}")
    head = page.locator("table.grid thead th").first
    unit_cell = page.locator("table.grid tbody td:first-child").first
    assert head.evaluate("e => getComputedStyle(e).position") == "sticky"
    assert unit_cell.evaluate("e => getComputedStyle(e).position") == "sticky"
    assert page.locator(".grid-wrap").evaluate("e => getComputedStyle(e).overflowX") == "auto"
    box = unit_cell.locator("strong").bounding_box()
    assert box["width"] >= 60 and box["height"] < 40  # one or two lines, not a column of characters
    page.screenshot(path=str(tmp_path / "scoring-grid.png"), full_page=True)
    ctx.close()
