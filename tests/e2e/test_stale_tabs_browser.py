"""Stale office tabs in a real browser: a form rendered before someone else changed the thing it
acts on is refused with a message, and nothing changes.

- 公示 of a self-report from a tab opened before the report was returned published the returned
  version; it is refused now.
- 审议完成，定稿 from a tab opened before a leader's deliberation change fixed results the office
  never saw; it is refused now, and once the page is reloaded it works."""

import pytest

from tests.builders.browser import serving, sign_in

pytestmark = pytest.mark.e2e


def in_session(app, fn):
    from sqlmodel import Session

    from app.extensions import db

    with app.app_context(), Session(db.engine, expire_on_commit=False) as s:
        out = fn(s)
        s.commit()
        return out


@pytest.fixture
def reports_site(e2e_app):
    from app.services import reports
    from tests.builders.report_world import World

    def build(s):
        w = World(s)
        kw = dict(actor_id=w.tb1.id, allowed_units={w.c1.id}, cycle=w.cycle, unit=w.c1)
        v = reports.save_draft(s, **kw, texts={"summary": "总结"}, report_version=0)
        reports.submit(s, **kw, expected_version=v["report"])
        return {"cycle": w.cycle.id, "c1": w.c1.id, "office": w.office.id}

    ids = in_session(e2e_app, build)
    with serving(e2e_app) as base:
        yield {"base": base, "app": e2e_app, **ids}


def test_publishing_a_report_returned_since_the_page_was_opened_is_refused(reports_site, browser):
    from app.services import reports

    site, app = reports_site, reports_site["app"]
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    sign_in(page, site["base"], "office")
    page.goto(f"{site['base']}/report/office/cycles/{site['cycle']}")

    def send_back(s):  # another officer, in another tab
        r = reports.find_report(s, site["cycle"], site["c1"])
        reports.return_report(s, actor_id=site["office"], report=r, comment="请补充数据", expected_version=r.version)

    in_session(app, send_back)
    row = page.locator("tr", has_text="机电工程学院")
    row.get_by_role("button", name="公示").click()
    page.wait_for_selector(".flash-error")
    assert "已有变化" in page.locator(".flash-error").inner_text()
    r = in_session(app, lambda s: reports.find_report(s, site["cycle"], site["c1"]))
    assert r.published_at is None and r.status == "returned"


@pytest.fixture
def results_site(e2e_app, monkeypatch):
    from app.services import results, stages
    from tests.builders.results_case import build_case

    case = in_session(e2e_app, build_case)
    monkeypatch.setattr(results, "gather_inputs", lambda db, cycle: case.inputs)
    with serving(e2e_app) as base:
        yield {"base": base, "app": e2e_app, "case": case, "stages": stages}


def test_fixing_results_changed_by_a_leader_since_the_page_was_opened_is_refused(results_site, browser):
    from app.models.result import ResultRow
    from app.services import results

    site, app, case = results_site, results_site["app"], results_site["case"]
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    sign_in(page, site["base"], "office1")
    page.goto(f"{site['base']}/cycles/{case.cycle.id}/results")
    page.get_by_role("button", name="审议完成，定稿").wait_for()

    def leader_changes(s):
        from sqlmodel import select

        rs = results.get_set(s, case.cycle.id)
        row = s.exec(select(ResultRow).where(ResultRow.result_set_id == rs.id)).first()
        new = "合格" if row.grade == "优秀" else "优秀"
        results.add_override(s, actor_id=case.group.id, cycle=case.cycle, unit_id=row.unit_id, kind="grade",
                             value=new, reason="领导小组审议")

    in_session(app, leader_changes)
    if page.locator("textarea[name=reason]").count():
        page.fill("form[action$='/results/fix'] textarea[name=reason]", "数据已核对")
    page.get_by_role("button", name="审议完成，定稿").click()
    page.wait_for_selector(".flash-error")
    assert "审议调整" in page.locator(".flash-error").inner_text()
    assert in_session(app, lambda s: results.get_set(s, case.cycle.id).status) == "proposed"
    # the reloaded page shows the change and carries the new version: now it fixes
    if page.locator("form[action$='/results/fix'] textarea[name=reason]").count():
        page.fill("form[action$='/results/fix'] textarea[name=reason]", "数据已核对")
    page.get_by_role("button", name="审议完成，定稿").click()
    page.wait_for_selector(".flash-success")
    assert in_session(app, lambda s: results.get_set(s, case.cycle.id).status) == "fixed"


@pytest.fixture
def award_site(e2e_app):
    from datetime import date

    from app.services import awards
    from tests.builders import factories as f
    from tests.builders.report_world import small_scheme

    def build(s):
        unit = f.unit(s, "机电工程学院")
        rep = f.user(s, "rep1", roles=[{"role": "reporter", "unit_id": unit.id}])
        office = f.user(s, "boss", roles=["office"])
        for i in range(3):
            f.user(s, f"g{i}", roles=["group"])
        cycle = f.cycle(s, scheme=f.scheme(s, small_scheme()))
        a = awards.apply(s, actor_id=rep.id, actor_units={unit.id}, cycle=cycle, unit_id=unit.id,
                         title="省级教学成果奖一等奖", level="省级", achieved_on=date(2019, 5, 1),
                         issuer="江苏省教育厅")
        awards.precheck(s, actor_id=office.id, application=a, accept=True, reason="", expected_version=a.version)
        return {"cycle": cycle.id, "application": a.id}

    ids = in_session(e2e_app, build)
    with serving(e2e_app) as base:
        yield {"base": base, "app": e2e_app, **ids}


def test_an_award_vote_from_a_tab_opened_before_voting_in_another_tab_is_refused(award_site, browser):
    """A group member opens the awards page in two tabs, votes 不同意 in the second, then 同意 in the
    first (rendered before): refused, the vote stays 不同意; reloaded, the first tab's vote counts."""
    from sqlmodel import select

    from app.models.award import AwardVote

    site, app = award_site, award_site["app"]
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    first = ctx.new_page()
    sign_in(first, site["base"], "g0")
    url = f"{site['base']}/group/cycles/{site['cycle']}/awards"
    first.goto(url)
    second = ctx.new_page()
    second.goto(url)
    prefix = f"a{site['application']}-"
    second.select_option(f"select[name='{prefix}approve']", "0")
    second.fill(f"[name='{prefix}comment']", "另一个窗口")
    second.get_by_role("button", name="提交表决").click()
    second.wait_for_selector(".flash-success")

    def my_vote(s):
        v = s.exec(select(AwardVote)).one()
        return v.approve, v.comment

    assert in_session(app, my_vote) == (False, "另一个窗口")
    first.select_option(f"select[name='{prefix}approve']", "1")
    first.get_by_role("button", name="提交表决").click()
    first.wait_for_selector(".flash-error")
    assert "您的表决已有变化" in first.locator(".flash-error").inner_text()
    assert in_session(app, my_vote) == (False, "另一个窗口")
    # the page reloaded after the refusal shows the vote as it is and carries its stamp: now it counts
    first.select_option(f"select[name='{prefix}approve']", "1")
    first.get_by_role("button", name="更改表决").click()
    first.wait_for_selector(".flash-success")
    assert in_session(app, my_vote)[0] is True
    ctx.close()
