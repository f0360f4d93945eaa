"""方案测算 in a real browser: the office makes a draft from the scheme page (民主测评 and
领导班子评价 re-weighted, one more 院部 优秀 place), picks the simulated published cycle, sees
the units whose grade would change first with the reason, downloads the workbook and reads it
with openpyxl. A unit reporter may not open the page; the published results do not change."""

import io
import os
import shutil

import openpyxl
import pytest

from tests.builders.browser import serving, sign_in
from tests.e2e.test_ballot_browser import watch_csp

pytestmark = pytest.mark.e2e


@pytest.fixture
def served(e2e_app):
    from sqlmodel import Session, select

    from app.extensions import db
    from app.models import Cycle

    out = e2e_app.test_cli_runner().invoke(args=["kpi", "simulate", "--voters", "10", "--seed", "7",
                                                 "--cycle-name", "测算演示周期"])
    assert out.exit_code == 0, out.output
    with e2e_app.app_context(), Session(db.engine) as s:
        cycle = s.exec(select(Cycle).where(Cycle.name == "测算演示周期")).one()
        ids = {"cycle": cycle.id, "scheme": cycle.scheme_id}
    with serving(e2e_app) as base:
        yield {"base": base, "app": e2e_app, **ids}


def _published(app, cycle_id):
    from sqlalchemy import text
    from sqlmodel import Session

    from app.extensions import db

    with app.app_context(), Session(db.engine) as s:
        return [tuple(r) for r in s.execute(text("SELECT * FROM result_row ORDER BY id"))] + \
            [tuple(r) for r in s.execute(text("SELECT * FROM result_set ORDER BY id"))]


def shot(page, tmp_path, name):
    path = str(tmp_path / f"{name}.png")
    page.screenshot(path=path, full_page=True)
    if os.environ.get("KPI_E2E_SHOTS"):
        os.makedirs(os.environ["KPI_E2E_SHOTS"], exist_ok=True)
        shutil.copy(path, os.path.join(os.environ["KPI_E2E_SHOTS"], f"{name}.png"))


def _sign_in(page, base, username):
    sign_in(page, base, username, "demo1234")
    page.wait_for_load_state()


def test_office_runs_a_whatif_and_downloads_it(served, browser, tmp_path):
    from playwright.sync_api import expect

    base = served["base"]
    before = _published(served["app"], served["cycle"])
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN", accept_downloads=True)
    page = ctx.new_page()
    csp = watch_csp(page)

    _sign_in(page, base, "tb_jd")  # a unit reporter: no access
    resp = page.goto(f"{base}/office/schemes/whatif")
    assert resp.status == 403
    ctx.clear_cookies()

    _sign_in(page, base, "office")
    page.goto(f"{base}/office/schemes/{served['scheme']}")
    page.click('a:has-text("修改权重另存草案")')
    expect(page.locator("h1")).to_have_text("修改权重另存草案")
    page.fill("[name='points.college.democratic']", "30")
    page.fill("[name='quota.college']", "3")
    page.click("button:has-text('另存为新版本')")  # 院部 210 points, 部门 200: refused, nothing saved
    expect(page.locator(".scheme-errors")).to_contain_text("与总分")
    assert page.input_value("[name='points.college.democratic']") == "30"  # the entries are kept
    shot(page, tmp_path, "whatif-draft-refused")
    page.fill("[name='part.college.leader.principal']", "15")
    page.fill("[name='part.college.leader.deputy']", "5")
    page.fill("[name='points.department.democratic']", "80")
    page.fill("[name='part.department.leader.principal']", "15")
    page.fill("[name='part.department.leader.deputy']", "5")
    page.click("button:has-text('另存为新版本')")
    expect(page.locator(".flash-success")).to_contain_text("第 2 版")
    assert "/office/schemes/whatif" in page.url

    page.select_option("#cycle", label="测算演示周期（公示中）")
    page.click("#run-whatif")
    expect(page.locator("#whatif-summary")).to_contain_text("按「")
    rows = page.locator("#whatif-table tbody tr")
    assert rows.count() == 25
    n_changed = page.locator("#whatif-table tbody tr.grade-changed").count()
    assert n_changed >= 1
    for i in range(rows.count()):  # the changed-grade units come first
        assert ("grade-changed" in (rows.nth(i).get_attribute("class") or "")) == (i < n_changed)
    first = rows.nth(0)
    expect(first).to_contain_text("等次由")
    expect(page.locator("#whatif-table")).to_contain_text("民主测评权重由20改为30")
    first_unit = first.get_attribute("data-unit")
    shot(page, tmp_path, "whatif")

    with page.expect_download() as dl:
        page.click("#whatif-download")
    wb = openpyxl.load_workbook(io.BytesIO(open(dl.value.path(), "rb").read()))
    assert wb.sheetnames == ["测算对比", "组成部分", "说明"]
    ws = wb["测算对比"]
    assert [c.value for c in ws[3]][:3] == ["类别", "单位", "公示总分"]
    assert ws.cell(row=4, column=2).value == first_unit
    assert "→" in ws.cell(row=4, column=9).value
    assert ws.max_row == 3 + 25
    assert _published(served["app"], served["cycle"]) == before  # nothing published changed
    assert csp == []
    ctx.close()
