"""Target tables in a real browser: weights set by the office on the settings page (one weight per
first-level group), two years side by side on the table page, and a workbook of several projects
imported as several project tables of the unit. Screenshots go to ``KPI_SCREENSHOTS`` (default: the
test's tmp dir)."""

import os

import pytest

from tests.builders.browser import serving
from tests.builders.factories import PASSWORD

pytestmark = pytest.mark.e2e


def _login(browser, base, name):
    ctx = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    page.goto(f"{base}/login")
    page.fill("#username", name)
    page.fill("#password", PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_load_state()
    return ctx, page


def _shots(tmp_path) -> str:
    return os.environ.get("KPI_SCREENSHOTS") or str(tmp_path)


def _world(app, *years):
    """A unit, its reporter, the office and the small table imported for each of ``years``."""
    from sqlmodel import Session

    from app.extensions import db
    from app.services import targets as svc
    from tests.builders import factories as f
    from tests.builders.targets import small_workbook

    with app.app_context(), Session(db.engine, expire_on_commit=False) as s:
        u = f.unit(s, "机电工程学院")
        rep = f.user(s, "rep", roles=[{"role": "reporter", "unit_id": u.id}])
        office = f.user(s, "office1", roles=["office"])
        recs = [svc.import_table(s, actor_id=office.id, unit=u, year=y, data=small_workbook(year=y)) for y in years]
        s.commit()
        return {"unit": u.id, "rep": rep.id, "office": office.id, "tables": [r.id for r in recs]}


def test_office_weights_first_level_groups_on_the_settings_page(e2e_app, browser, tmp_path):
    w = _world(e2e_app, 2026)
    tid = w["tables"][0]
    with serving(e2e_app) as base:
        ctx, page = _login(browser, base, "office1")
        page.goto(f"{base}/targets/tables/{tid}/settings")
        for i, v in enumerate(("40", "30", "10", "15")):
            page.fill(f'input[name="g{i}"]', v)
        page.locator(".stickybar button").click()
        page.wait_for_load_state()
        assert "每项指标都已填写权重，合计 95.00，应为 100" in page.content()
        assert page.input_value('input[name="g3"]') == "15"  # what was typed stays on the page
        page.fill('input[name="g3"]', "20")
        page.locator(".stickybar button").click()
        page.wait_for_load_state()
        assert "已保存评分设置" in page.content()
        groups = page.locator("#group-weights tbody tr")
        assert [groups.nth(i).locator("td").nth(2).inner_text() for i in range(4)] == [
            "40.00", "30.00", "10.00", "20.00"]
        weights = [page.input_value(f'input[name="w{i}"]') for i in range(1, 6)]
        assert weights == ["40.00", "15.00", "15.00", "10.00", "20.00"]
        page.screenshot(path=os.path.join(_shots(tmp_path), "targets-group-weights.png"), full_page=True)
        ctx.close()


def test_last_years_actuals_beside_this_years_on_the_table_page(e2e_app, browser, tmp_path):
    from sqlmodel import Session

    from app.extensions import db
    from app.services import targets as svc

    w = _world(e2e_app, 2025, 2026)
    old, new = w["tables"]
    with e2e_app.app_context(), Session(db.engine, expire_on_commit=False) as s:
        from app.models.targets import TargetTableRecord

        svc.set_checkpoint(s, actor_id=w["office"], year=2025, kind="full_year", status="open")
        svc.save_actuals(s, actor_id=w["rep"], allowed_units={w["unit"]}, rec=s.get(TargetTableRecord, old),
                         kind="full_year", entries=[svc.ActualInput(position=1, text="12000人次"),
                                                    svc.ActualInput(position=5, text="93%")])
        s.commit()
    with serving(e2e_app) as base:
        ctx, page = _login(browser, base, "rep")
        page.goto(f"{base}/targets/tables/{new}")
        head = page.locator("table.table thead th").all_inner_texts()
        assert head[2:5] == ["2025年目标", "2025年实际", "半年目标"]
        rows = page.locator("table.table tbody tr")
        assert rows.nth(0).locator("td").nth(3).inner_text() == "12000人次"
        assert rows.nth(4).locator("td").nth(3).inner_text() == "93%"
        assert rows.nth(1).locator("td").nth(3).inner_text() == "未填报"
        assert "5 / 5 项指标在上年表中找到" in page.locator("#previous-year").inner_text()
        page.screenshot(path=os.path.join(_shots(tmp_path), "targets-two-years.png"), full_page=True)
        page.locator("#previous-year a").click()
        page.wait_for_load_state()
        assert "2025 年度绩效目标" in page.locator("h1").inner_text()
        ctx.close()


def test_a_workbook_of_projects_in_the_browser(e2e_app, browser, tmp_path):
    import openpyxl

    from tests.builders.projects import projects_workbook

    w = _world(e2e_app)
    path = tmp_path / "机电学院项目目标表.xlsx"
    path.write_bytes(projects_workbook())
    shots = _shots(tmp_path)
    with serving(e2e_app) as base:
        ctx, page = _login(browser, base, "office1")
        page.goto(f"{base}/targets/office/import?unit_id={w['unit']}&year=2026")
        page.set_input_files("#file", str(path))
        page.locator("form button.primary").click()
        page.wait_for_load_state()
        parts = page.locator("#project-parts tbody tr")
        assert parts.count() == 2
        assert "智能制造实训基地建设" in parts.nth(0).inner_text() and "新建" in parts.nth(0).inner_text()
        assert parts.nth(1).locator("td").nth(2).inner_text() == "3"
        page.screenshot(path=os.path.join(shots, "targets-projects-preview.png"), full_page=True)
        page.locator("button", has_text="确认保存 2 个项目").click()
        page.wait_for_load_state()
        assert "已保存机电工程学院 2026 年度 2 个项目的绩效目标表" in page.content()
        cards = page.locator("section.card h2 a")
        assert cards.all_inner_texts() == ["机电工程学院 · 智能制造实训基地建设 2026 年度",
                                           "机电工程学院 · 高水平专业群建设 2026 年度"]
        cards.nth(1).click()
        page.wait_for_load_state()
        page.fill("#full", "200")
        page.fill("#half_plan", "80")
        page.fill("#half_spent", "60")
        page.fill("#spent", "abc")
        page.locator("#money button").click()
        page.wait_for_load_state()
        assert "全年执行数「abc」不是数字" in page.content()
        assert page.input_value("#half_plan") == "80" and page.input_value("#spent") == "abc"  # kept as typed
        page.fill("#spent", "190")
        page.locator("#money button").click()
        page.wait_for_load_state()
        assert "已保存项目资金" in page.content()
        assert page.locator("#money .rate-half").inner_text() == "75.0%"
        assert page.locator("#money .rate-full").inner_text() == "95.0%"
        page.locator("#money").screenshot(path=os.path.join(shots, "targets-project-money.png"))
        with page.expect_download() as dl:
            page.locator("#money a", has_text="导出全部项目").click()
        import io

        wb = openpyxl.load_workbook(io.BytesIO(open(dl.value.path(), "rb").read()))
        assert wb.sheetnames == ["项目资金", "智能制造实训基地建设", "高水平专业群建设"]
        assert [c.value for c in wb["项目资金"][4]][6:] == [190, 0.95]
        ctx.close()

        ctx, rep = _login(browser, base, "rep")
        rep.goto(f"{base}/targets/")
        cards = rep.locator("section.card", has_text="高水平专业群建设")
        assert "95.0%" in cards.locator(".rate-full").inner_text()
        rep.screenshot(path=os.path.join(shots, "targets-projects-unit.png"), full_page=True)
        ctx.close()
