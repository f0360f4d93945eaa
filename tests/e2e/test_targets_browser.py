"""A year end of a target table in a real browser (Playwright driving Debian's chromium).

The office sets the Jiangmen table to the overall (部门整体) scoring; the unit enters the year-end
actuals with a deliberate miss (73 % against ≥85 %) and over-achievements (11 against ≥5), sees
达标 only where the target is met and the miss in amber, the year-end score 99.75 (优), writes its
report, downloads the Word file and submits; the office sees the miss on the 「谁落后」 page, returns
the report with a comment, the unit sees it and resubmits, the office accepts. Screenshots go to
``KPI_SCREENSHOTS`` (default: the test's tmp dir).
"""

import io
import os

import pytest

from tests.builders.browser import browser_app, require_chromium, serving
from tests.builders.factories import PASSWORD
from tests.sheets.test_targets_sources import JIANGMEN

pytestmark = pytest.mark.e2e


@pytest.fixture
def served(tmp_path):
    require_chromium()
    from sqlmodel import Session

    from app.extensions import db
    from app.services import targets as svc
    from tests.builders import factories as f
    from tests.web.test_targets_year_end_web import jiangmen_workbook

    app = browser_app(tmp_path)
    with app.app_context(), Session(db.engine, expire_on_commit=False) as s:
        u = f.unit(s, "机电工程学院")
        f.user(s, "rep", roles=[{"role": "reporter", "unit_id": u.id}])
        office = f.user(s, "office1", roles=["office"])
        f.cycle(s)
        rec = svc.import_table(s, actor_id=office.id, unit=u, year=2026, data=jiangmen_workbook(),
                               filename="江门目标表.xlsx")
        svc.set_checkpoint(s, actor_id=office.id, year=2026, kind="full_year", status="open", due_at=None,
                           expected_version=0)
        s.commit()
        tid = rec.id
    with serving(app) as base:
        yield {"base": base, "tid": tid, "shots": os.environ.get("KPI_SCREENSHOTS") or str(tmp_path)}


def _login(browser, base, name, **kw):
    ctx = browser.new_context(locale="zh-CN", **kw)
    page = ctx.new_page()
    page.goto(f"{base}/login")
    page.fill("#username", name)
    page.fill("#password", PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_load_state()
    return ctx, page


def test_year_end_of_a_target_table_in_the_browser(served, browser):
    base, tid, shots = served["base"], served["tid"], served["shots"]
    desk = {"viewport": {"width": 1280, "height": 900}}

    office_ctx, office = _login(browser, base, "office1", **desk)
    office.goto(f"{base}/targets/tables/{tid}/settings")
    office.select_option("#scoring", "overall")
    office.locator(".stickybar button").click()
    office.wait_for_selector(".flash, .flashes, [role=alert]")
    assert "已保存评分设置" in office.content()

    rep_ctx, rep = _login(browser, base, "rep", viewport={"width": 390, "height": 844}, is_mobile=True,
                          has_touch=True, device_scale_factor=2)
    rep.goto(f"{base}/targets/tables/{tid}/fill/full_year")
    for i, (_l1, _l2, _name, _target, actual, _spec) in enumerate(JIANGMEN, start=1):
        rep.fill(f'input[name="a{i}_text"]', actual)
    rep.fill('input[name="a8_note"]', "职称评审推迟到次年")
    with rep.expect_navigation():  # the button first waits for the row saves under way
        rep.locator(".stickybar button").click()
    rep.wait_for_selector("#row-8 .st")
    # rows are autosaved while typing; the button saves what is left (waiting for saves under way)
    assert "项全年实际值" in rep.content() or "没有需要保存的修改" in rep.content()
    assert "已被他人修改" not in rep.content()
    miss = rep.locator("#row-8 .st")
    over = rep.locator("#row-2 .st")
    assert "st-amber" in miss.get_attribute("class") and "略低于目标" in miss.inner_text()
    assert "st-green" in over.get_attribute("class") and "达标" in over.inner_text()  # 11 against ≥5
    rep.locator("#row-8").scroll_into_view_if_needed()
    rep.screenshot(path=os.path.join(shots, "targets-fill-phone.png"))

    rep.goto(f"{base}/targets/tables/{tid}/year-end")
    assert rep.locator(".bigscore").inner_text() == "99.75"
    assert rep.locator(".grade").inner_text() == "优"
    rep.fill("#summary", "全年绩效目标基本实现，19 项指标达到目标。")
    rep.fill("#problems", "中、高级职称教师比例未达到目标。")
    rep.fill("#fixes", "加大职称评审和人才引进力度。")
    rep.locator("form button.primary", has_text="保存年度报告").click()
    rep.wait_for_load_state()
    assert "已保存年度报告" in rep.content()
    with rep.expect_download() as dl:
        rep.locator("a", has_text="下载自评报告（Word）").click()
    path = dl.value.path()
    import docx

    text = "\n".join(p.text for p in docx.Document(io.BytesIO(open(path, "rb").read())).paragraphs)
    assert "部门整体绩效评价得分为 99.75 分，等级为“优”" in text and "中、高级职称教师比例未达到目标。" in text
    with rep.expect_download() as dl:
        rep.locator("a", has_text="下载自评报告（PDF）").click()
    pdf = open(dl.value.path(), "rb").read()
    assert pdf.startswith(b"%PDF")
    with open(os.path.join(shots, "targets-report.pdf"), "wb") as fh:
        fh.write(pdf)
    rep.locator("button", has_text="提交年度报告").click()
    rep.wait_for_load_state()
    assert "已提交待审核" in rep.content()

    office.goto(f"{base}/targets/office/behind?year=2026&kind=full_year")
    row = office.locator("tr", has_text="指标 8：中、高级职称以上教师")
    assert row.count() == 1 and "−1.76" in row.inner_text()
    assert office.locator("tr", has_text="指标 2：引进研究生以上层次人才数量").count() == 0
    office.screenshot(path=os.path.join(shots, "targets-behind.png"), full_page=True)
    office.goto(f"{base}/targets/tables/{tid}/year-end")
    office.fill("#comment", "请补充职称结构的改进计划。")
    office.locator("button", has_text="退回修改").click()
    office.wait_for_load_state()
    assert "已退回年度报告" in office.content()
    office.screenshot(path=os.path.join(shots, "targets-year-end-office.png"), full_page=True)

    rep.goto(f"{base}/targets/tables/{tid}/year-end")
    assert "请补充职称结构的改进计划。" in rep.locator(".review-comment").inner_text()
    rep.locator("button", has_text="重新提交").click()
    rep.wait_for_load_state()
    office.goto(f"{base}/targets/tables/{tid}/year-end")
    office.locator("button", has_text="审核通过").click()
    office.wait_for_load_state()
    assert "已审核通过" in office.content()

    office.goto(f"{base}/targets/tables/{tid}/report")
    assert "部门整体绩效评价得分为 99.75 分" in office.content()
    office.emulate_media(media="print")
    office.screenshot(path=os.path.join(shots, "targets-report-print.png"), full_page=True)
    office_ctx.close()
    rep_ctx.close()
