"""The office follows a stage in a real browser: filters and search on the shared progress page,
selects rows, 催办 them through the confirmation page (the people named are notified, once), and
publishes and returns selected self-reports in one batch; a stale confirmation changes nothing."""

import os
import shutil
from datetime import date

import pytest

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
    from sqlmodel import Session

    from app.extensions import db
    from app.models.base import utcnow
    from app.models.report import SelfReport
    from tests.builders.report_world import World

    with e2e_app.app_context(), Session(db.engine, expire_on_commit=False) as s:
        w = World(s)
        now = utcnow()
        for unit in (w.c1, w.c2):
            s.add(SelfReport(cycle_id=w.cycle.id, unit_id=unit.id, status="submitted", submitted_at=now,
                             texts={"summary": "总体情况"}, submitted_texts={"summary": "总体情况"}))
        s.add(SelfReport(cycle_id=w.cycle.id, unit_id=w.c3.id, status="returned", submitted_at=now,
                         return_comment="补充佐证材料"))
        s.commit()
    with serving(e2e_app) as base:
        yield {"base": base, "w": w, "app": e2e_app}


def _query(app, fn):
    from sqlmodel import Session

    from app.extensions import db

    with app.app_context(), Session(db.engine) as s:
        return fn(s)


def _notices(app):
    from sqlmodel import select

    from app.models import Notice

    return _query(app, lambda s: sorted((n.user_id, n.title) for n in s.exec(select(Notice))))


def _login(page, base, user="office"):
    page.goto(f"{base}/login")
    page.fill("#username", user)
    page.fill("#password", "secret123")
    page.locator("form button[type=submit]").click()
    page.wait_for_url(f"{base}/")


def _tick(page, *names):
    for name in names:
        page.get_by_label(f"选择{name}").check()


def _flash(page):
    page.wait_for_selector(".flash")
    return page.locator(".flash").first.inner_text()


def test_filter_search_and_remind_selected_units(site, browser, tmp_path):
    base, w, app = site["base"], site["w"], site["app"]
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    _login(page, base)
    page.goto(f"{base}/report/office/cycles/{w.cycle.id}")
    page.get_by_role("link", name="进度跟踪：筛选、搜索与催办").click()
    table = page.locator("#progress-table")
    assert table.locator("tbody tr").count() == 6
    page.locator(".chip", has_text="已退回").click()
    assert "继续教育学院" in table.locator("tbody tr").first.inner_text()
    assert table.locator("tbody tr").count() == 1
    page.locator(".chip", has_text="未完成").click()
    names = table.locator("tbody tr td:nth-child(2)").all_inner_texts()
    assert set(names) == {"继续教育学院", "教务处", "党委组织部", "科技与产业处"}
    page.fill("input[type=search]", "教务")
    page.get_by_role("button", name="搜索").click()
    assert table.locator("tbody tr").count() == 1
    page.locator(".chip", has_text="未完成").click()  # the search stays with the filter
    assert page.locator("input[type=search]").input_value() == "教务"
    page.fill("input[type=search]", "")
    page.get_by_role("button", name="搜索").click()
    shot(page, tmp_path, "progress-self-report")
    page.get_by_label("全选").check()  # the rows shown: the four not done
    assert page.locator("input[name=row]:checked").count() == 4
    page.get_by_label("全选").uncheck()
    assert page.locator("input[name=row]:checked").count() == 0

    _tick(page, "继续教育学院", "教务处")
    page.get_by_role("button", name="催办所选").click()
    confirm = page.locator("#confirm-table")
    assert confirm.locator("tbody tr").count() == 2
    assert "tb3" in confirm.inner_text() and "tb_jwc" in confirm.inner_text()
    page.fill("#message", "请于本周五前完成")
    shot(page, tmp_path, "progress-confirm-remind")
    form_html = page.locator("form[action$='/run']").evaluate("f => f.outerHTML")
    page.get_by_role("button", name="确认催办").click()
    assert "已催办 2 项、通知 2 人" in _flash(page)
    got = _notices(app)
    assert [uid for uid, _ in got] == sorted([w.tb3.id, w.tb_jwc.id])
    # the same confirmation submitted again (a second tab, a double click) sends nothing more
    page.evaluate("html => { const d = document.createElement('div'); d.id = 'again'; d.innerHTML = html;"
                  " document.body.appendChild(d); }", form_html)
    page.locator("#again button[type=submit]").click()
    assert "已经发送过" in _flash(page)
    assert _notices(app) == got

    # the reporter sees the notice
    other = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    _login(other, base, "tb_jwc")
    other.goto(f"{base}/notices")
    assert "请于本周五前完成" in other.content()


def test_publish_and_return_selected_reports_in_one_batch(site, browser, tmp_path):
    from sqlmodel import select

    from app.models.report import SelfReport

    base, w, app = site["base"], site["w"], site["app"]
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    _login(page, base)
    page.goto(f"{base}/progress/cycles/{w.cycle.id}/self_report")
    # a batch with a report that cannot be published is refused as a whole, before the confirmation
    _tick(page, "机电工程学院", "继续教育学院")
    page.get_by_role("button", name="公示所选报告").click()
    assert "「继续教育学院」不是待公示的已提交报告，本批未公示任何报告" in _flash(page)
    assert page.url.endswith(f"/progress/cycles/{w.cycle.id}/self_report")

    def published(s):
        return sorted(r.unit_id for r in s.exec(select(SelfReport).where(SelfReport.published_at.is_not(None))))

    assert _query(app, published) == []
    _tick(page, "机电工程学院", "信息工程学院")
    page.get_by_role("button", name="公示所选报告").click()
    assert page.locator("#confirm-table tbody tr").count() == 2
    stale_url = page.url
    page.get_by_role("button", name="确认公示自查报告").click()
    assert "已公示 2 份自查报告" in _flash(page)
    assert _query(app, published) == sorted([w.c1.id, w.c2.id])

    _tick(page, "机电工程学院", "信息工程学院")
    page.get_by_role("button", name="退回所选报告").click()
    shot(page, tmp_path, "progress-confirm-return")
    page.fill("#comment", "请补充佐证材料")
    page.get_by_role("button", name="确认退回自查报告").click()
    assert "已退回 2 份自查报告" in _flash(page)

    def statuses(s):
        return {r.unit_id: r.status for r in s.exec(select(SelfReport))}

    st = _query(app, statuses)
    assert st[w.c1.id] == st[w.c2.id] == "returned"
    assert stale_url.endswith("/confirm")
    page.locator(".chip", has_text="已退回").click()
    assert page.locator("#progress-table tbody tr").count() == 3


def test_remind_selected_scorers(site, browser):
    base, w, app = site["base"], site["w"], site["app"]
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    _login(page, base)
    page.goto(f"{base}/scoring/cycles/{w.cycle.id}")
    page.get_by_role("link", name="进度跟踪：筛选、搜索与催办").click()
    _tick(page, "教务处", "党委组织部")
    page.get_by_role("button", name="催办所选").click()
    page.get_by_role("button", name="确认催办").click()
    assert "已催办 2 项、通知 2 人" in _flash(page)
    assert [uid for uid, _ in _notices(app)] == sorted([w.pf_jwc.id, w.pf_zzb.id])


def test_every_stage_office_page_links_to_its_progress_page_with_filters(site, browser, tmp_path):
    """Self-reports, scoring per owner, leader evaluation, voting turnout and award votes: each
    office page leads to the shared progress page, with the filters, the search and 催办."""
    from sqlmodel import Session

    from app.extensions import db
    from app.models.award import AwardApplication
    from app.models.voting import RaterGroup, RollEntry
    from tests.builders import factories as f

    base, w, app = site["base"], site["w"], site["app"]
    with app.app_context(), Session(db.engine) as s:
        v1 = f.user(s, "v1", roles=["voter"])
        f.user(s, "l1", roles=[{"role": "leader", "leader_rank": "principal"}])
        f.user(s, "g1", roles=["group"])
        group = RaterGroup(cycle_id=w.cycle.id, key="staff", name="教职工代表")
        s.add(group)
        s.flush()
        s.add(RollEntry(cycle_id=w.cycle.id, group_id=group.id, user_id=v1.id))
        s.add(AwardApplication(cycle_id=w.cycle.id, unit_id=w.c2.id, title="教学成果奖", level="省级",
                               achieved_on=date(2019, 5, 1), issuer="省教育厅", status="accepted"))
        s.commit()
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    _login(page, base)
    cid = w.cycle.id
    pages = {"self_report": (f"/report/office/cycles/{cid}", "继续教育学院"),
             "scoring": (f"/scoring/cycles/{cid}", "教务处"),
             "leader": (f"/leader/office/cycles/{cid}", "l1"),
             "democratic": (f"/voting/cycles/{cid}", "v1"),
             "award": (f"/award/office/cycles/{cid}", "g1")}
    for kind, (path, name) in pages.items():
        page.goto(base + path)
        page.get_by_role("link", name="进度跟踪：筛选、搜索与催办").click()
        assert page.url.endswith(f"/progress/cycles/{cid}/{kind}"), kind
        assert page.locator(".chip").count() == 5 and page.locator("input[type=search]").count() == 1
        assert name in page.locator("#progress-table").inner_text(), kind
        page.locator(".chip", has_text="未完成").click()
        assert name in page.locator("#progress-table").inner_text(), kind
        page.screenshot(path=str(tmp_path / f"progress-{kind}.png"), full_page=True)
        if os.environ.get("KPI_E2E_SHOTS"):
            shutil.copy(str(tmp_path / f"progress-{kind}.png"), os.environ["KPI_E2E_SHOTS"])
    # 催办 of a voter from the turnout page
    page.get_by_label("选择g1").check()
    page.get_by_role("button", name="催办所选").click()
    page.get_by_role("button", name="确认催办").click()
    assert "已催办 1 项、通知 1 人" in _flash(page)
