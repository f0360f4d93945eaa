"""A long target table's actuals page in a real browser: rows grouped in sections with their progress,
each row saved shortly after typing (a reload without pressing 保存 keeps it), and the save button
pressed right after typing not refused as stale."""

import os

import pytest

from tests.e2e.test_ballot_browser import watch_csp  # noqa: E402
from tests.e2e.test_targets_browser import _login, served  # noqa: F401

pytestmark = pytest.mark.e2e


def test_rows_autosave_and_sections_count(served, browser):  # noqa: F811
    from playwright.sync_api import expect

    base, tid, shots = served["base"], served["tid"], served["shots"]
    ctx, rep = _login(browser, base, "rep", viewport={"width": 1280, "height": 900})
    csp = watch_csp(rep)
    rep.goto(f"{base}/targets/tables/{tid}/fill/full_year")
    nav = rep.locator("#tsec-nav")
    links = nav.locator("a[data-tsec-link]")
    assert links.count() >= 2
    sec = rep.locator("#row-1").get_attribute("data-tsec")
    count = nav.locator(f"a[data-tsec-link={sec}] [data-tsec-progress]")
    total = count.inner_text().split("/")[1]
    expect(count).to_have_text(f"0/{total}")

    rep.fill('input[name="a1_text"]', "12")
    expect(count).to_have_text(f"1/{total}")
    expect(rep.locator(f"#{sec} [data-tsec-progress]")).to_have_text(f"1/{total}")
    expect(rep.locator("#row-1 .autosave")).to_have_text("已自动保存")
    rep.fill('input[name="a2_text"]', "11")
    expect(rep.locator("#row-2 .autosave")).to_have_text("已自动保存")
    rep.screenshot(path=os.path.join(shots, "targets-fill-sections.png"))

    rep.reload()  # nothing pressed: the typed rows were saved
    expect(rep.locator('input[name="a1_text"]')).to_have_value("12")
    expect(rep.locator('input[name="a2_text"]')).to_have_value("11")
    expect(count).to_have_text(f"1/{total}" if rep.locator("#row-2").get_attribute("data-tsec") != sec
                               else f"2/{total}")
    # type, then press 保存 at once: the button waits for the row save, and nothing is refused as stale
    rep.fill('input[name="a3_text"]', "完成")
    with rep.expect_navigation():
        rep.locator(".stickybar button").click()
    expect(rep.locator(".flash-success")).to_be_visible()
    assert "已被他人修改" not in rep.content()
    expect(rep.locator('input[name="a3_text"]')).to_have_value("完成")
    assert csp == []  # no Content-Security-Policy violation, no script error
    ctx.close()
