"""The 90-indicator self-report in a real browser: the section list shows each section's progress, updates
it while the reporter types, 「只看未完成」 hides the complete indicators, and the autosaved progress is what
the page shows after a reload. Uses the seed scheme (92 indicators for a 二级学院)."""

import os

import pytest

from tests.builders.browser import serving, sign_in
from tests.e2e.test_ballot_browser import watch_csp

pytestmark = pytest.mark.e2e


@pytest.fixture
def served(e2e_app, tmp_path):
    from sqlmodel import Session

    from app.extensions import db
    from tests.builders import factories as f
    from tests.builders.seed import seed_dict

    with e2e_app.app_context():
        with Session(db.engine, expire_on_commit=False) as s:
            unit = f.unit(s, "机电工程学院")
            cycle = f.cycle(s, scheme=f.scheme(s, seed_dict()))
            f.user(s, "tb1", roles=[{"role": "reporter", "unit_id": unit.id}], unit_id=unit.id)
            s.commit()
            ids = {"cycle": cycle.id, "unit": unit.id}
    with serving(e2e_app) as base:
        yield {"base": base, **ids, "shots": os.environ.get("KPI_SCREENSHOTS") or str(tmp_path)}


def test_section_list_tracks_progress_and_filters(served, browser):
    from playwright.sync_api import expect

    base, shots = served["base"], served["shots"]
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = ctx.new_page()
    csp = watch_csp(page)
    sign_in(page, base, "tb1")
    page.goto(f"{base}/report/cycles/{served['cycle']}/units/{served['unit']}")
    nav = page.locator("#section-nav")
    links = nav.locator("a[data-section-link]")
    assert links.count() >= 15
    first = links.first
    expect(first).to_contain_text("领导班子建设")
    expect(first.locator("[data-progress]")).to_have_text("0/2")
    expect(nav.locator("[data-total-done]")).to_have_text("0")
    total = page.locator(".indicator[data-section]").count()
    assert total >= 90
    assert nav.evaluate("e => getComputedStyle(e).position") == "sticky"

    page.fill("#n_B01", "班子成员分工明确，全年召开民主生活会两次。")
    expect(first.locator("[data-progress]")).to_have_text("1/2")
    expect(page.locator(".section-head[data-section=sec-1] [data-progress]")).to_have_text("1/2")
    expect(nav.locator("[data-total-done]")).to_have_text("1")
    expect(page.locator("#ind-B01 .autosave")).to_contain_text("已自动保存")

    # a fact indicator is complete once its required fact is filled
    sec_b07 = page.locator("#ind-B07").get_attribute("data-section")
    link_b07 = nav.locator(f"a[data-section-link={sec_b07}] [data-progress]")
    before = link_b07.inner_text()
    page.fill("[name=f_B07_participation_rate]", "95")
    expect(link_b07).not_to_have_text(before)
    expect(page.locator("#ind-B07 .autosave")).to_contain_text("已自动保存")

    page.check("#only-incomplete")
    expect(page.locator("#ind-B01")).to_be_hidden()
    expect(page.locator("#ind-B07")).to_be_hidden()
    expect(page.locator("#ind-B02")).to_be_visible()
    assert page.locator(".indicator[data-section]:visible").count() == total - 2
    page.screenshot(path=os.path.join(shots, "report-sections.png"))
    nav.locator("a[data-section-link]").nth(3).click()
    page.uncheck("#only-incomplete")
    expect(page.locator("#ind-B01")).to_be_visible()

    page.reload()  # the progress the server computes from the saved draft
    expect(first.locator("[data-progress]")).to_have_text("1/2")
    expect(nav.locator("[data-total-done]")).to_have_text("2")
    assert csp == []  # no Content-Security-Policy violation, no script error
    ctx.close()
