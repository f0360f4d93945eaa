"""The office's top bar in a real browser: its 17 entries once wrapped to two lines at 1280 px; they
are grouped into drop-down menus (周期与方案, 各阶段工作, 系统管理) that fit one line and work from the
keyboard. Every other role keeps a flat bar."""

import pytest

from tests.builders.browser import serving, sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def site(e2e_app):
    from sqlmodel import Session

    from app.extensions import db
    from tests.builders import factories as f

    with e2e_app.app_context(), Session(db.engine, expire_on_commit=False) as s:
        unit = f.unit(s, "机电工程学院")
        f.user(s, "office1", roles=["office"], display_name="王老师")
        f.user(s, "tb1", roles=[{"role": "reporter", "unit_id": unit.id}], unit_id=unit.id)
        f.cycle(s, scheme=f.voting_scheme(s))
        s.commit()
    with serving(e2e_app) as base:
        yield base


def bar_lines(page) -> int:
    """How many lines the bar's top-level entries take (distinct vertical centres, in steps of 8 px)."""
    tops = page.eval_on_selector_all(
        "nav.mainnav > a, nav.mainnav > details > summary, nav.mainnav > .who, nav.mainnav > form",
        "els => els.map(e => { const r = e.getBoundingClientRect(); return Math.round((r.top + r.bottom) / 16); })")
    return len(set(tops))


def test_the_office_bar_fits_one_line_and_its_menus_work_from_the_keyboard(site, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    sign_in(page, site, "office1")
    assert bar_lines(page) == 1
    assert page.locator("header.topbar").bounding_box()["height"] < 70
    menus = page.locator("nav.mainnav details.navgroup > summary").all_inner_texts()
    assert menus == ["周期与方案", "各阶段工作", "系统管理"]
    assert not page.get_by_role("link", name="操作日志").is_visible()  # folded until opened
    # keyboard: focus the menu, Enter opens it, Tab reaches its links, Enter follows one
    page.locator("summary", has_text="系统管理").focus()
    page.keyboard.press("Enter")
    assert page.get_by_role("link", name="操作日志").is_visible()
    page.keyboard.press("Escape")
    assert not page.get_by_role("link", name="操作日志").is_visible()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "单位"
    page.keyboard.press("Enter")
    page.wait_for_url("**/office/units*")
    # the current page's group is marked, one menu open at a time, a click elsewhere closes it
    assert "active" in page.locator("details.navgroup", has_text="系统管理").get_attribute("class")
    page.locator("summary", has_text="各阶段工作").click()
    assert page.get_by_role("link", name="民主测评").is_visible()
    page.locator("summary", has_text="周期与方案").click()
    assert not page.get_by_role("link", name="民主测评").is_visible()
    assert page.get_by_role("link", name="考核方案").is_visible()
    page.locator("footer").click()
    assert not page.get_by_role("link", name="考核方案").is_visible()


def test_a_reporter_keeps_a_flat_bar(site, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    sign_in(page, site, "tb1")
    assert page.locator("nav.mainnav details.navgroup").count() == 0
    assert page.get_by_role("link", name="自查自评", exact=True).is_visible()
    assert bar_lines(page) == 1
