"""The self-report editor in a real browser.

Typed text was lost when a reporter typed and then uploaded evidence within the autosave delay:
the upload form reloads the page before the autosave fired. The page now saves what was typed
before any other form of the page is submitted or a link is followed, and asks before a tab with
unsaved text is closed."""

import pytest

from tests.builders.browser import serving, sign_in

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
    assert "PDF · 1 KB" in card.locator("ul.evidence").inner_text()  # sizes through the one filesize filter
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
    leave = ("() => { const e = new Event('beforeunload', {cancelable: true}); window.dispatchEvent(e);"
             " return e.defaultPrevented; }")
    assert page.evaluate(leave) is False  # nothing typed: leaves without asking
    page.click("#n_A1")
    page.keyboard.type("尚未保存")
    assert page.evaluate(leave) is True  # the browser asks before closing or reloading
    page.locator("#ind-A1 .autosave.ok").wait_for()  # the autosave came
    assert page.evaluate(leave) is False
    assert draft(site["app"], site["cycle"], site["c1"])[1]["A1"] == "尚未保存"


def test_what_is_missing_is_shown_while_typing_and_before_submitting(site, browser):
    base = site["base"]
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    sign_in(page, base, "tb1")
    page.goto(f"{base}/report/cycles/{site['cycle']}/units/{site['c1']}")
    basic = page.locator("[data-section-index='基础指标'] [data-section-open]")
    key = page.locator("[data-section-index='重点指标'] [data-section-open]")
    before = int(basic.inner_text())
    page.fill("#n_A1", "教学运行平稳。")
    assert int(basic.inner_text()) == before - 1  # counted while typing
    page.fill("#f_B1_trainees", "900")
    key_open = int(key.inner_text())
    page.fill("#f_B1_students", "1000")
    assert int(key.inner_text()) == key_open - 1
    page.fill("#t_summary", "总体完成。")
    messages = []

    def answer(dialog):
        messages.append(dialog.message)
        dialog.dismiss()  # not now

    page.on("dialog", answer)
    page.get_by_role("button", name="提交报告").click()
    assert len(messages) == 1
    msg = messages[0]
    assert "【基础指标】" in msg and "A3 意识形态" in msg and "A1 教学运行" not in msg
    assert "【重点指标】" in msg and "B2 科研经费" in msg and "B1 社会培训" not in msg
    page.locator("#ind-A1 .autosave.ok").wait_for()
    from sqlmodel import Session

    from app.extensions import db
    from app.services import reports

    with site["app"].app_context(), Session(db.engine) as s:
        assert reports.find_report(s, site["cycle"], site["c1"]).status == "draft"  # dismissed: not submitted


def test_the_office_list_shows_each_units_completeness(site, browser):
    base = site["base"]
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    sign_in(page, base, "tb1")
    page.goto(f"{base}/report/cycles/{site['cycle']}/units/{site['c1']}")
    total = page.locator(".indicator[data-code]").count()
    page.fill("#n_A1", "教学运行平稳。")
    page.locator("#ind-A1 .autosave.ok").wait_for()
    page.context.clear_cookies()
    sign_in(page, base, "office")
    page.goto(f"{base}/report/office/cycles/{site['cycle']}")
    row = page.locator("tr", has_text="机电工程学院")
    done = int(row.locator("td.completeness").inner_text().split("/")[0])
    assert row.locator("td.completeness").inner_text() == f"{done}/{total}" and done >= 1
    assert page.locator("tr", has_text="信息工程学院").locator("td.completeness").inner_text().startswith("0/")
