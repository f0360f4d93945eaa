"""The office starts next year's cycle from last year's in a real browser, then sets all stage
times of it on one page with one save: a plan out of order is refused with the stage named and
nothing saved; a tab opened before someone else's save is refused as stale."""

import os
import shutil
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tests.builders import factories as f
from tests.builders.browser import serving

pytestmark = pytest.mark.e2e


def shot(page, tmp_path, name):
    path = str(tmp_path / f"{name}.png")
    page.screenshot(path=path, full_page=True)
    if os.environ.get("KPI_E2E_SHOTS"):
        os.makedirs(os.environ["KPI_E2E_SHOTS"], exist_ok=True)
        shutil.copy(path, os.path.join(os.environ["KPI_E2E_SHOTS"], f"{name}.png"))


@pytest.fixture
def site(e2e_app):
    from sqlmodel import Session, select

    from app.extensions import db
    from app.models import Stage
    from app.services import voting

    with e2e_app.app_context(), Session(db.engine, expire_on_commit=False) as s:
        f.user(s, "office1", roles=["office"])
        source = f.cycle(s, scheme=f.voting_scheme(s), open_all=False)
        for i, st in enumerate(s.exec(select(Stage).where(Stage.cycle_id == source.id)).all()):
            st.opens_at = datetime(2019, 3, 4 + 3 * i, 1, tzinfo=UTC)  # Monday 4 March 2019, 09:00 Beijing
            st.closes_at = datetime(2019, 3, 6 + 3 * i, 9, tzinfo=UTC)
            s.add(st)
        voting.roll.save_group(s, actor_id=None, cycle=source, key="lead", name="校领导", weight=Decimal("0.4"))
        voting.roll.save_group(s, actor_id=None, cycle=source, key="staff", name="教职工代表", weight=Decimal("0.6"))
        voting.set_excellent_share(s, actor_id=None, cycle=source, share=Decimal("0.25"))
        s.commit()
    with serving(e2e_app) as base:
        yield {"base": base, "source": source, "app": e2e_app}


def _login(page, base):
    page.goto(f"{base}/login")
    page.fill("#username", "office1")
    page.fill("#password", "secret123")
    page.locator("form button[type=submit]").click()
    page.wait_for_url(f"{base}/")


def _new_cycle(app, name):
    from sqlalchemy.orm import undefer
    from sqlmodel import Session, select

    from app.extensions import db
    from app.models import Cycle
    from app.services import cycle_plan, voting

    with app.app_context(), Session(db.engine) as s:  # the snapshot is deferred: read it before the session ends
        c = s.exec(select(Cycle).options(undefer(Cycle.scheme_data)).where(Cycle.name == name)).one()
        return (c, cycle_plan.current_plan(s, c), [(g.name, g.weight) for g in voting.groups_of(s, c.id)],
                voting.state(s, c.id).max_excellent_share)


def test_start_next_cycle_from_last_years_and_set_all_times(site, browser, tmp_path):
    base, source, app = site["base"], site["source"], site["app"]
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    _login(page, base)
    page.goto(f"{base}/office/cycles")
    page.get_by_role("link", name="沿用往年周期新建").click()
    assert page.locator("#name").input_value() == "2019-2020学年"  # the years of the old name, one higher
    assert "2020-03-02 09:00" in page.locator("#copy-preview").inner_text()  # Monday stays Monday
    page.select_option("#preview-shift", "exact")
    page.get_by_role("button", name="查看预览").click()
    assert "2020-03-04 09:00" in page.locator("#copy-preview").inner_text()  # the same date a year later
    assert page.locator("#shift").input_value() == "exact"
    page.select_option("#shift", "weekday")
    shot(page, tmp_path, "cycle-copy")
    page.get_by_role("button", name="创建新周期").click()
    page.wait_for_selector(".flash")
    assert "已按「2018-2019学年」创建周期「2019-2020学年」" in page.locator(".flash").first.inner_text()
    cycle, plan, groups, share = _new_cycle(app, "2019-2020学年")
    assert plan["self_report"].opens_at == datetime(2020, 3, 2, 1, tzinfo=UTC)
    assert groups == [("校领导", Decimal("0.4000")), ("教职工代表", Decimal("0.6000"))]
    assert share == Decimal("0.25")
    assert cycle.scheme_data == source.scheme_data

    # now on the one-page plan: a stage that ends before it starts is refused, nothing saved
    assert page.url.endswith(f"/office/cycles/{cycle.id}/plan")
    page.fill("input[name=scoring-closes_at]", "2020-03-01T09:00")
    page.get_by_role("button", name="保存全部阶段时间").click()
    page.wait_for_selector(".flash")
    assert "「目标考核评分」的结束时间须晚于开始时间" in page.locator(".flash").first.inner_text()
    assert page.locator("tr.has-error[data-kind=scoring]").count() == 1
    shot(page, tmp_path, "cycle-plan-error")
    assert _new_cycle(app, "2019-2020学年")[1] == plan

    # corrected, with another tab open on the old versions
    stale = context.new_page()
    stale.goto(f"{base}/office/cycles/{cycle.id}/plan")
    page.fill("input[name=scoring-closes_at]", "2020-03-14T17:30")
    page.fill("input[name=leader-reminder_hours]", "48,6")
    page.get_by_role("button", name="保存全部阶段时间").click()
    page.wait_for_selector(".flash")
    assert "已保存全部阶段时间（2 个阶段有改动）" in page.locator(".flash").first.inner_text()
    plan2 = _new_cycle(app, "2019-2020学年")[1]
    assert plan2["scoring"].closes_at == datetime(2020, 3, 14, 9, 30, tzinfo=UTC)
    assert plan2["leader"].reminder_hours == (48, 6)

    stale.fill("input[name=award-closes_at]", "2020-03-16T12:00")
    stale.get_by_role("button", name="保存全部阶段时间").click()
    stale.wait_for_selector(".flash")
    assert "已被他人修改" in stale.locator(".flash").first.inner_text()
    assert _new_cycle(app, "2019-2020学年")[1] == plan2
