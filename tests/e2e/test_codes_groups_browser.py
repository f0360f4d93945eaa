"""The office issues vote codes for several rater groups at once in a real browser: counts per
group, a confirmation page naming each batch, then the batches exist; the same confirmation
submitted again generates nothing more."""

import os

import pytest

from tests.builders import factories as f
from tests.builders.browser import serving

pytestmark = pytest.mark.e2e


@pytest.fixture
def site(e2e_app):
    from sqlmodel import Session

    from app.extensions import db
    from app.services import voting

    with e2e_app.app_context(), Session(db.engine, expire_on_commit=False) as s:
        f.user(s, "office1", roles=["office"])
        f.unit(s, "机电工程学院")
        cycle = f.cycle(s, scheme=f.voting_scheme(s))
        voting.create_default_groups(s, actor_id=None, cycle=cycle)
        s.commit()
    with serving(e2e_app) as base:
        yield {"base": base, "cycle": cycle, "app": e2e_app}


def _batches(app, cycle_id):
    from sqlmodel import Session

    from app.extensions import db
    from app.services import voting

    with app.app_context(), Session(db.engine) as s:
        return {b["batch"]: (b["group"], b["count"]) for b in voting.batches(s, cycle_id)}


def test_issue_codes_for_several_groups_with_a_confirmation(site, browser, tmp_path):
    base, cycle, app = site["base"], site["cycle"], site["app"]
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page.goto(f"{base}/login")
    page.fill("#username", "office1")
    page.fill("#password", "secret123")
    page.locator("form button[type=submit]").click()
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/voting/cycles/{cycle.id}")
    page.get_by_role("link", name="为多个类别一次生成").click()
    page.get_by_label("中层干部").fill("12")
    page.get_by_label("教职工代表").fill("30")
    page.select_option("#unit_id", label="机电工程学院")
    page.fill("#batch", "教代会")
    page.get_by_role("button", name="下一步：确认").click()
    rows = page.locator("#confirm-table tbody tr").all_inner_texts()
    assert [r.split("\t") for r in rows] == [["中层干部", "教代会·中层干部", "12"],
                                             ["教职工代表", "教代会·教职工代表", "30"]]
    intro = page.locator("section.card p").first.inner_text()
    assert "共 42 个测评码" in intro and "「机电工程学院」" in intro
    assert _batches(app, cycle.id) == {}  # nothing generated before the confirmation
    if os.environ.get("KPI_E2E_SHOTS"):
        os.makedirs(os.environ["KPI_E2E_SHOTS"], exist_ok=True)
        page.screenshot(path=os.path.join(os.environ["KPI_E2E_SHOTS"], "codes-groups-confirm.png"), full_page=True)
    form_html = page.locator("form[action$='/run']").evaluate("f => f.outerHTML")
    page.get_by_role("button", name="确认生成").click()
    page.wait_for_selector(".flash")
    assert "批次「教代会·中层干部」12 个；批次「教代会·教职工代表」30 个" in page.locator(".flash").first.inner_text()
    want = {"教代会·中层干部": ("中层干部", 12), "教代会·教职工代表": ("教职工代表", 30)}
    assert _batches(app, cycle.id) == want

    page.evaluate("html => { const d = document.createElement('div'); d.id = 'again'; d.innerHTML = html;"
                  " document.body.appendChild(d); }", form_html)
    page.locator("#again button[type=submit]").click()
    page.wait_for_selector(".flash")
    assert "已存在" in page.locator(".flash").first.inner_text()
    assert _batches(app, cycle.id) == want
