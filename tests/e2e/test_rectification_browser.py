"""A simulated cycle in a real browser: the results are published with a 不合格 unit; the office
opens the rectification tasks; the unit submits its plan from its home-page task, the office returns
it, the unit resubmits, the office accepts; the results become final and the office downloads the
reward-pay list (奖励性绩效工资名单)."""

import io
from datetime import timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.builders.browser import browser_app, chromium, require_chromium, serving

pytestmark = pytest.mark.e2e


@pytest.fixture
def site(tmp_path):
    require_chromium()
    from sqlmodel import Session, select

    from app.extensions import db
    from app.models.result import ResultSet
    from app.services import results
    from tests.builders import factories as f
    from tests.builders.results_case import build_case

    app = browser_app(tmp_path)
    with app.app_context(), Session(db.engine, expire_on_commit=False) as s:
        case = build_case(s)
        results.refresh(s, cycle=case.cycle, inputs=case.inputs)
        rs = s.exec(select(ResultSet).where(ResultSet.cycle_id == case.cycle.id)).one()
        rs.status = "published"
        s.add(rs)
        failed = [r for r in results.rows_of(s, rs) if r.grade == "不合格"]
        f.user(s, "repfail", roles=[{"role": "reporter", "unit_id": failed[0].unit_id}])
        s.commit()
        info = {"cycle": case.cycle.id, "rs": rs.id, "failed": [r.unit_name for r in failed],
                "unit": failed[0].unit_name}
    with serving(app) as base:
        yield {"base": base, "app": app, **info}


def _sign_in(page, base, username):
    page.context.clear_cookies()
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", "secret123")
    page.locator("form button[type=submit]").click()
    page.wait_for_selector("ul.tasks")


def _shot(page, tmp_path, name):
    import os

    path = Path(os.environ.get("KPI_SHOTS") or tmp_path) / f"rectification-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def test_failed_unit_through_rectification_and_reward_pay(site, tmp_path):
    base, cid = site["base"], site["cycle"]
    with chromium() as browser:
        ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN", accept_downloads=True)
        page = ctx.new_page()
        # the office opens the tasks from the results page
        _sign_in(page, base, "office1")
        page.goto(f"{base}/cycles/{cid}/results")
        page.get_by_role("link", name="整改任务").click()
        page.wait_for_url(f"**/cycles/{cid}/rectification")
        from app.models.base import utcnow
        from app.timefmt import to_local

        due = (to_local(utcnow()) + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M")
        page.fill("#plan_due", due)
        page.get_by_role("button", name="向不合格单位下达整改任务").click()
        page.wait_for_selector("text=已下达整改任务。")
        rows = page.locator("table tbody tr")
        assert rows.count() == len(site["failed"])
        assert "待提交" in page.inner_text("table")
        _shot(page, tmp_path, "1-office-list")
        # the unit follows its home-page task and submits the plan
        _sign_in(page, base, "repfail")
        page.get_by_role("link", name="提交整改方案").click()
        page.wait_for_selector("#causes")
        page.fill("#causes", "教学管理制度执行不严，督查不到位。")
        page.fill("#measures", "一、修订教学管理办法；二、每月开展教学督查。")
        page.fill("#owner", "院长 张某某")
        page.fill("#complete_by", "2020-06-30")
        _shot(page, tmp_path, "2-unit-form")
        page.get_by_role("button", name="提交整改方案").click()
        page.wait_for_selector("text=整改方案已提交，等待目标办审核。")
        assert page.inner_text("#rect-status") == "待审核"
        url = page.url
        # the office returns it with a comment
        _sign_in(page, base, "office1")
        page.goto(url)
        page.fill("#r-comment", "整改措施不够具体，请写明时间节点。")
        page.get_by_role("button", name="退回修改").click()
        page.wait_for_selector("text=已退回，单位将收到修改意见。")
        assert page.inner_text("#rect-status") == "已退回修改"
        # the unit resubmits
        _sign_in(page, base, "repfail")
        assert "整改措施不够具体" in page.inner_text("ul.tasks")
        page.goto(url)
        assert page.input_value("#causes") == "教学管理制度执行不严，督查不到位。"
        page.fill("#measures", "一、2020年3月前修订教学管理办法；二、每月开展教学督查并通报。")
        _shot(page, tmp_path, "3-unit-resubmit")
        page.get_by_role("button", name="提交整改方案").click()
        page.wait_for_selector("text=整改方案已提交，等待目标办审核。")
        # the office accepts it
        _sign_in(page, base, "office1")
        page.goto(url)
        page.get_by_role("button", name="通过").click()
        page.wait_for_selector("text=整改方案已通过。")
        assert page.inner_text("#rect-status") == "已通过"
        assert "2020年3月前修订教学管理办法" in page.inner_text("main")
        _shot(page, tmp_path, "4-accepted")
        # before final the reward-pay list is refused with a message
        page.goto(f"{base}/cycles/{cid}/results")
        page.get_by_role("link", name="奖励性绩效工资名单").click()
        page.wait_for_selector("text=奖励性绩效工资名单须在结果最终确定后下载")
        # the office ends the publication period (no objections): the results are final
        page.goto(f"{base}/cycles/{cid}/objections")
        page.get_by_role("button", name="结束公示，确定最终结果").click()
        page.wait_for_selector("text=公示结束，考核结果已最终确定。")
        page.goto(f"{base}/cycles/{cid}/results")
        with page.expect_download() as dl:
            page.get_by_role("link", name="奖励性绩效工资名单").click()
        ws = load_workbook(io.BytesIO(open(dl.value.path(), "rb").read())).active
        got = {r[1]: r for r in ws.iter_rows(min_row=5, values_only=True)}
        assert got[site["unit"]][4:] == ("不合格", "否", 0)
        assert all(r[5] == "是" and r[6] > 0 for name, r in got.items() if r[4] != "不合格")
        _shot(page, tmp_path, "5-results")
        ctx.close()

