"""Entering a weighted component in a real browser: the 教务处 scorer finds 教学工作 on the
scoring overview, enters a value out of range (refused, named), then valid values and a
unit without the work; the office's result sheet shows the points and the rank per component."""

import pytest

from tests.builders.browser import serving, sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def served(e2e_app):
    from sqlmodel import Session

    from app.extensions import db
    from tests.builders.components_case import build_components_case

    with e2e_app.app_context():
        with Session(db.engine, expire_on_commit=False) as s:
            c = build_components_case(s)
            ids = {"cycle": c.cycle.id, "a": c.colleges[0].id, "b": c.colleges[1].id}
    with serving(e2e_app) as base:
        yield {"base": base, **ids}


def _sign_in(page, base, username):
    sign_in(page, base, username)
    page.wait_for_load_state()


def test_the_owner_enters_a_weighted_component_and_the_results_rank_it(served, browser, tmp_path):
    from playwright.sync_api import expect

    base, cid, a, b = served["base"], served["cycle"], served["a"], served["b"]
    ctx = browser.new_context(viewport={"width": 1200, "height": 900}, locale="zh-CN")
    page = ctx.new_page()
    _sign_in(page, base, "pf_jwc")
    page.goto(f"{base}/scoring/cycles/{cid}")
    page.click("text=教学工作")
    expect(page.locator("h1")).to_contain_text("教学工作")
    page.fill(f"input[name=v_{a}]", "120")
    page.fill(f"input[name=v_{b}]", "80")
    page.click("#component-form button[type=submit]")
    expect(page.locator(".value-errors")).to_contain_text("机电工程学院：120 超出取值范围 0～100")
    expect(page.locator(f"input[name=v_{a}]")).to_have_value("120")  # what was typed is kept
    page.fill(f"input[name=v_{a}]", "91.2")
    page.click("#component-form button[type=submit]")
    expect(page.locator(".flash-success")).to_contain_text("2 个单位")
    expect(page.locator(f"input[name=v_{a}]")).to_have_value("91.2")
    page.screenshot(path=str(tmp_path / "component-entry.png"), full_page=True)
    ctx.close()

    ctx = browser.new_context(viewport={"width": 1200, "height": 900}, locale="zh-CN")
    page = ctx.new_page()
    _sign_in(page, base, "office1")
    page.goto(f"{base}/cycles/{cid}/results")
    cell = page.locator(f"tr[data-unit='{a}'] td[data-component='teaching']")
    expect(cell).to_contain_text("31.92")  # 91.2 / 100 × 35
    expect(cell.locator(".component-rank")).to_have_text("第1名")
    expect(page.locator(f"tr[data-unit='{b}'] td[data-component='teaching'] .component-rank")).to_have_text("第2名")
    page.screenshot(path=str(tmp_path / "component-results.png"), full_page=True)
    ctx.close()
