"""The office's stage override in a real browser: 立即结束 and 重新开放 on /office/cycles/<id>.

The form once posted ``stage_id`` twice (an empty hidden field from ``hidden_tag()``, then the select)
and the view read the empty one, so every override answered 404 in a browser while the test client,
which posts the field once, passed. This test drives the real form."""

from datetime import datetime, timedelta

import pytest

from tests.builders.browser import chromium, serving

pytestmark = pytest.mark.e2e


@pytest.fixture
def site(e2e_app):
    from sqlmodel import Session

    from app.extensions import db
    from tests.builders import factories as f

    with e2e_app.app_context(), Session(db.engine, expire_on_commit=False) as s:
        f.unit(s, "机电工程学院")
        f.user(s, "office1", roles=["office"])
        cycle = f.cycle(s, scheme=f.voting_scheme(s))
        s.commit()
    with serving(e2e_app) as base:
        yield {"base": base, "cycle": cycle, "app": e2e_app}


def _stage_state(app, cycle_id, kind):
    from sqlmodel import Session

    from app.extensions import db
    from app.services import stages

    with app.app_context(), Session(db.engine) as s:
        return stages.state_of(s, cycle_id, kind).is_open


def _override(page, action, reason, until=None):
    """Fill the cycle page's override form for 民主测评 as a user would and return the flash message."""
    page.select_option("#ov-stage", label=page.locator("#ov-stage option", has_text="民主测评").inner_text())
    page.select_option("select[name=action]", action)
    if until:
        page.fill("input[name=until]", until)
    page.fill("textarea[name=reason]", reason)
    page.get_by_role("button", name="确认").click()
    page.wait_for_selector(".flash")
    return page.locator(".flash").first.inner_text()


def test_office_closes_and_reopens_a_stage_from_the_cycle_page(site):
    base, cycle, app = site["base"], site["cycle"], site["app"]
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        page.goto(f"{base}/login")
        page.fill("#username", "office1")
        page.fill("#password", "secret123")
        page.locator("form button[type=submit]").click()
        page.wait_for_selector("ul.tasks")
        page.goto(f"{base}/office/cycles/{cycle.id}")
        assert _stage_state(app, cycle.id, "democratic") is True

        assert "「民主测评」已结束" in _override(page, "close", "会议提前结束")
        assert _stage_state(app, cycle.id, "democratic") is False
        # a reopen without a closing time is refused with the message, nothing changes
        assert "截止时间" in _override(page, "reopen", "补投")
        assert _stage_state(app, cycle.id, "democratic") is False
        until = (datetime.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
        assert "「民主测评」已重新开放" in _override(page, "reopen", "补投", until)
        assert _stage_state(app, cycle.id, "democratic") is True
