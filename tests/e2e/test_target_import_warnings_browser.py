"""The target-table import preview shows warnings row by row (issue 14): the office uploads a messy
workbook (a sentence with a number as a target, Word and web leftovers, an unknown rule text), sees
each row's warning beside the row, saves, and the values are stored as written."""

import os

import pytest

from tests.builders import messy
from tests.builders.browser import serving
from tests.builders.factories import PASSWORD

pytestmark = pytest.mark.e2e


@pytest.fixture
def site(e2e_app):
    from sqlmodel import Session

    from app.extensions import db
    from tests.builders import factories as f

    with e2e_app.app_context(), Session(db.engine, expire_on_commit=False) as s:
        unit = f.unit(s, "机电工程学院")
        f.user(s, "office1", roles=["office"])
        f.cycle(s)
        s.commit()
        unit_id = unit.id
    with serving(e2e_app) as base:
        yield {"base": base, "app": e2e_app, "unit_id": unit_id}


def test_preview_shows_warnings_row_by_row_and_saves_the_values(site, browser, tmp_path):
    base = site["base"]
    ctx = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    page.goto(f"{base}/login")
    page.fill("#username", "office1")
    page.fill("#password", PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_load_state()

    page.goto(f"{base}/targets/office/import?unit_id={site['unit_id']}&year=2026")
    path = tmp_path / "messy.xlsx"
    path.write_bytes(messy.target_workbook())
    page.set_input_files('input[type="file"]', str(path))
    page.click('button:has-text("上传并预览")')
    page.wait_for_load_state()
    page.screenshot(path=os.path.join(os.environ.get("KPI_SCREENSHOTS") or str(tmp_path), "import-warnings.png"),
                    full_page=True)

    assert "无法导入" not in page.content()
    assert "3</strong> 行有提示" in page.content()
    rows = page.locator("tbody tr")
    assert rows.count() == 4
    first = rows.nth(0)
    assert "力争合格率达95%，环境整洁" in first.inner_text() and "定性" in first.locator(".rowwarning").inner_text()
    assert "书签" in rows.nth(1).inner_text() and "网页标签" in rows.nth(1).inner_text()
    assert "看情况赋分" in rows.nth(2).locator("td[data-label=提示]").inner_text()
    assert "区间 5～10 台" in rows.nth(2).inner_text()
    assert rows.nth(3).locator(".rowwarning").count() == 0
    assert page.locator("tr.rowwarn").count() == 3

    page.click('button:has-text("确认保存")')
    page.wait_for_load_state()
    ctx.close()

    from sqlmodel import Session

    from app.extensions import db
    from app.services import targets as svc

    with site["app"].app_context(), Session(db.engine) as s:
        from app.models.org import Unit

        table = svc.table_of(svc.find_table(s, s.get(Unit, site["unit_id"]).id, 2026, ""))
        texts = [r.full_year.text for r in table.rows]
        assert texts[0] == "力争合格率达95%，环境整洁" and table.rows[0].full_year.kind == "level"
        assert texts[1] == "[bookmark: _GoBack]≥1000人次" and table.rows[1].full_year.quantity == 1000
