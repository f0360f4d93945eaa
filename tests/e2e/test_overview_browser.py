"""The office's overview in a real browser: the menu leads to the current cycle's overview with its cards and
bars, who is behind and the deadlines; the home page shows the same figures and links to the overview."""

import os

import pytest

from tests.builders.browser import serving, sign_in
from tests.e2e.test_ballot_browser import watch_csp

pytestmark = pytest.mark.e2e


@pytest.fixture
def served(e2e_app, tmp_path):
    from sqlmodel import Session

    from app.extensions import db
    from app.services import reports
    from tests.builders.report_world import World

    with e2e_app.app_context():
        with Session(db.engine, expire_on_commit=False) as s:
            w = World(s)
            for unit, user in ((w.c1, w.tb1), (w.c2, w.tb2)):
                kw = dict(actor_id=user.id, allowed_units={unit.id}, cycle=w.cycle, unit=unit)
                v = reports.save_draft(s, **kw, texts={"summary": "总结"}, report_version=0)
                reports.submit(s, **kw, expected_version=v["report"])
            reports.publish(s, actor_id=w.office.id, report=reports.find_report(s, w.cycle.id, w.c1.id))
            s.commit()
            ids = {"cycle": w.cycle.id}
    with serving(e2e_app) as base:
        yield {"base": base, **ids, "shots": os.environ.get("KPI_SCREENSHOTS") or str(tmp_path)}


def test_office_follows_the_cycle_on_the_overview(served, browser):
    from playwright.sync_api import expect

    base, shots = served["base"], served["shots"]
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = ctx.new_page()
    csp = watch_csp(page)
    sign_in(page, base, "office")
    home = page.locator("#home-overview")
    expect(home.locator("[data-count=submitted]")).to_have_text("2")
    expect(home.locator("#overview-behind")).to_contain_text("自查报告未提交（4）")
    page.screenshot(path=os.path.join(shots, "overview-home.png"), full_page=True)
    page.locator(".mainnav a", has_text="工作总览").click()
    expect(page.locator("h1")).to_have_text("2018-2019学年 · 工作总览")
    reports = page.locator("#ov-reports")
    expect(reports.locator("[data-count=published]")).to_have_text("1")
    segment = reports.locator(".ov-stack span.seg-ok")
    width = segment.evaluate("e => e.getBoundingClientRect().width / e.parentElement.getBoundingClientRect().width")
    assert abs(width - 1 / 6) < 0.02  # 1 of 6 units published
    expect(page.locator("#ov-scoring [data-figure=教务处]")).to_be_visible()
    expect(page.locator("#overview-deadlines tbody tr")).to_have_count(7)
    expect(page.locator("#overview-deadlines")).to_contain_text("剩 4 天")
    page.screenshot(path=os.path.join(shots, "overview.png"), full_page=True)
    page.locator("#ov-reports h3 a").click()
    expect(page.locator("h1")).to_contain_text("各单位自查报告")
    assert csp == []  # no Content-Security-Policy violation, no script error
    ctx.close()
