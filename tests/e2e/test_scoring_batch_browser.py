"""A scorer enters a whole column of the grid on one page in a real browser: from the grid's indicator
header to the column page, a correction without a reason refused with the reason beside that unit (nothing
saved), then saved with the reason; the grid shows the scored cells."""

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
            kw = dict(actor_id=w.tb1.id, allowed_units={w.c1.id}, cycle=w.cycle, unit=w.c1)
            v = reports.save_draft(s, **kw, texts={"summary": "总结"}, report_version=0,
                                   entries={"B1": {"facts": {"trainees": "800", "students": "1000"}, "version": 0}})
            reports.submit(s, **kw, expected_version=v["report"])
            s.commit()
            ids = {"cycle": w.cycle.id, "jwc": w.jwc.id, "c1": w.c1.id, "c2": w.c2.id, "c3": w.c3.id}
    with serving(e2e_app) as base:
        yield {"base": base, **ids, "shots": os.environ.get("KPI_SCREENSHOTS") or str(tmp_path)}


def test_scorer_scores_a_column_on_one_page(served, browser):
    from playwright.sync_api import expect

    base, shots, c1, c2, c3 = served["base"], served["shots"], served["c1"], served["c2"], served["c3"]
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = ctx.new_page()
    csp = watch_csp(page)
    sign_in(page, base, "pf_jwc")
    page.goto(f"{base}/scoring/cycles/{served['cycle']}/owners/{served['jwc']}")
    page.locator("table.grid thead th.ind a", has_text="B1 社会培训").click()
    expect(page.locator("h1")).to_have_text("B1 社会培训 · 全部单位")
    expect(page.locator(".batch-cell")).to_have_count(3)

    def field(unit, name):
        return page.locator(f'[name="f|{unit}|B1|{name}"]')

    field(c1, "trainees").fill("1200")  # corrects the reported 800: needs a reason
    field(c2, "trainees").fill("700")
    field(c2, "students").fill("1000")
    field(c3, "trainees").fill("1000")
    field(c3, "students").fill("1000")
    page.locator("#batch-form button[type=submit]").click()
    expect(page.locator("#batch-errors")).to_contain_text("有 1 项需要修改")
    bad = page.locator(f"#cell-{c1}-B1")
    expect(bad.locator(".batch-error")).to_contain_text("须填写更正理由")
    expect(page.locator(f"#cell-{c2}-B1 .batch-error")).to_have_count(0)
    expect(field(c2, "trainees")).to_have_value("700")  # what was typed is kept
    page.screenshot(path=os.path.join(shots, "scoring-column-error.png"), full_page=True)

    page.locator(f'[name="r|{c1}|B1|trainees"]').fill("补录继续教育培训名单")
    page.locator("#batch-form button[type=submit]").click()
    expect(page.locator(".flash-success")).to_contain_text("已保存 3 项评分")
    expect(page.locator(f"#cell-{c1}-B1 .batch-now")).to_contain_text("2.00")  # 1200 of 1000: top tier
    expect(page.locator(f"#cell-{c2}-B1 .batch-now")).to_contain_text("1.00")
    page.goto(f"{base}/scoring/cycles/{served['cycle']}/owners/{served['jwc']}")
    expect(page.locator("table.grid td.cell-done")).to_have_count(3)
    page.locator("table.grid tbody td:first-child a", has_text="机电工程学院").click()
    expect(page.locator("h1")).to_have_text("机电工程学院 · 教务处负责的指标")
    expect(page.locator(".batch-cell")).to_have_count(2)
    page.screenshot(path=os.path.join(shots, "scoring-row.png"), full_page=True)
    assert csp == []  # no Content-Security-Policy violation, no script error
    ctx.close()
