"""The self-report editor in a real browser.

Typed text was lost when a reporter typed and then uploaded evidence within the autosave delay:
the upload form reloads the page before the autosave fired. The page now saves what was typed
before any other form of the page is submitted or a link is followed, and asks before a tab with
unsaved text is closed."""

import pytest

from tests.builders.browser import serving

pytestmark = pytest.mark.e2e


@pytest.fixture
def site(e2e_app):
    from sqlmodel import Session

    from app.extensions import db
    from tests.builders.report_world import World

    with e2e_app.app_context(), Session(db.engine, expire_on_commit=False) as s:
        w = World(s)
        ids = {"cycle": w.cycle.id, "c1": w.c1.id}
    with serving(e2e_app) as base:
        yield {"base": base, "app": e2e_app, **ids}


def sign_in(page, base, username):
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", "secret123")
    page.click("button[type=submit]")
    page.wait_for_load_state()


def draft(app, cycle_id, unit_id):
    """(texts, {code: narrative}) of the unit's draft as stored."""
    from sqlmodel import Session

    from app.extensions import db
    from app.services import reports

    with app.app_context(), Session(db.engine) as s:
        report = reports.find_report(s, cycle_id, unit_id)
        if report is None:
            return {}, {}
        return dict(report.texts or {}), {c: e.narrative for c, e in reports.entries_of(s, report).items()}


def test_text_typed_just_before_an_upload_is_saved(site, browser, tmp_path):
    base = site["base"]
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    sign_in(page, base, "tb1")
    page.goto(f"{base}/report/cycles/{site['cycle']}/units/{site['c1']}")
    page.fill("#t_summary", "本年度完成各项任务。")
    page.fill("#n_A1", "教学运行平稳，无教学事故。")
    pdf = tmp_path / "证明.pdf"
    pdf.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    card = page.locator("#ind-A1")
    card.locator("summary", has_text="添加佐证材料").click()
    card.locator("input[type=file]").set_input_files(str(pdf))
    card.get_by_role("button", name="上传 / 添加").click()  # at once: well within the autosave delay
    page.wait_for_selector(".flash-success")
    assert "已添加佐证材料" in page.locator(".flash-success").inner_text()
    assert page.input_value("#n_A1") == "教学运行平稳，无教学事故。"
    assert page.input_value("#t_summary") == "本年度完成各项任务。"
    texts, narratives = draft(site["app"], site["cycle"], site["c1"])
    assert texts["summary"] == "本年度完成各项任务。" and narratives["A1"] == "教学运行平稳，无教学事故。"


def test_text_typed_just_before_following_a_link_is_saved(site, browser):
    base = site["base"]
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    sign_in(page, base, "tb1")
    page.goto(f"{base}/report/cycles/{site['cycle']}/units/{site['c1']}")
    page.fill("#n_A3", "意识形态工作责任制落实。")
    page.get_by_role("link", name="查看已提交版本 / 打印").click()
    page.wait_for_url("**/view")
    assert draft(site["app"], site["cycle"], site["c1"])[1]["A3"] == "意识形态工作责任制落实。"


def test_closing_the_tab_with_unsaved_text_asks_first(site, browser):
    base = site["base"]
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    sign_in(page, base, "tb1")
    page.goto(f"{base}/report/cycles/{site['cycle']}/units/{site['c1']}")
    leave = "() => { const e = new Event('beforeunload', {cancelable: true}); window.dispatchEvent(e); return e.defaultPrevented; }"
    assert page.evaluate(leave) is False  # nothing typed: leaves without asking
    page.click("#n_A1")
    page.keyboard.type("尚未保存")
    assert page.evaluate(leave) is True  # the browser asks before closing or reloading
    page.locator("#ind-A1 .autosave.ok").wait_for()  # the autosave came
    assert page.evaluate(leave) is False
    assert draft(site["app"], site["cycle"], site["c1"])[1]["A1"] == "尚未保存"
