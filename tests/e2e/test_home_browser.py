"""The home page in a real browser: the office signs in, sees one task per open stage and the
stage table with every stage's name, follows the democratic stage's task to the cycle page; a
voter sees the ballot task and it opens the ballot."""

import pytest

from tests.builders.browser import browser_app, chromium, require_chromium, serving

pytestmark = pytest.mark.e2e

STAGES = ["自查自评", "民主测评", "目标考核评分", "领导班子评价", "突出贡献奖评审", "审议确定结果", "公示及异议"]


@pytest.fixture
def site(tmp_path):
    require_chromium()
    from sqlmodel import Session

    from app.extensions import db
    from app.services import voting
    from tests.builders import factories as f

    app = browser_app(tmp_path)
    voting.forget_context()
    with app.app_context(), Session(db.engine, expire_on_commit=False) as s:
        f.unit(s, "机电工程学院")
        f.unit(s, "教务处", "department")
        f.user(s, "office1", roles=["office"])
        f.user(s, "voter1", roles=["voter"])
        cycle = f.cycle(s)
        groups = voting.create_default_groups(s, actor_id=None, cycle=cycle)
        voting.add_accounts(s, actor_id=None, cycle=cycle, group_id=groups[0].id)
        s.commit()
    with serving(app) as base:
        yield {"base": base, "cycle": cycle}


def _sign_in(page, base, username):
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", "secret123")
    page.locator("form button[type=submit]").click()
    page.wait_for_selector("ul.tasks")


def test_office_home_lists_every_open_stage_and_leads_to_its_page(site):
    with chromium() as browser:
        ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        page = ctx.new_page()
        _sign_in(page, site["base"], "office1")
        tasks = page.locator("ul.tasks > li")
        assert tasks.count() == 7
        details = [tasks.nth(i).locator(".muted").inner_text() for i in range(7)]
        assert sorted(d.split(" · ")[1].split("（")[0] for d in details) == sorted(STAGES)
        assert [c.inner_text() for c in page.locator("table.timeline td[data-label=阶段]").all()] == STAGES
        page.get_by_role("link", name="跟进「民主测评」阶段").click()
        page.wait_for_url(f"**/office/cycles/{site['cycle'].id}")
        assert [c.inner_text() for c in page.locator(".gantt-label").all()] == STAGES
        assert [o.inner_text().split("（")[0] for o in page.locator("#ov-stage option").all()] == STAGES
        ctx.close()


def test_voter_home_task_opens_the_ballot(site):
    with chromium() as browser:
        ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, locale="zh-CN")
        page = ctx.new_page()
        _sign_in(page, site["base"], "voter1")
        page.get_by_role("link", name="参加民主测评（投票）").click()
        page.wait_for_selector("form#ballot")
        assert page.locator("fieldset.cat").count() == 2
        ctx.close()
