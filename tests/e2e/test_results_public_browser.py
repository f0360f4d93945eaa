"""The public results page in a real browser: after publication the units whose scores were fixed
with data missing read 成绩暂定, and the page now says what that means and until when."""

import pytest

from tests.builders.browser import serving
from tests.e2e.test_stale_tabs_browser import in_session

pytestmark = pytest.mark.e2e


@pytest.fixture
def published(e2e_app, monkeypatch):
    from app.services import results
    from tests.builders.results_case import build_case

    case = in_session(e2e_app, build_case)
    del case.inputs.leader_ratings[case.units["甲学院"].id]  # one unit's leader ratings are missing
    monkeypatch.setattr(results, "gather_inputs", lambda db, cycle: case.inputs)

    def fix_and_publish(s):
        results.refresh(s, cycle=case.cycle, actor_id=case.office.id)
        results.fix(s, actor_id=case.office.id, cycle=case.cycle, accept_provisional_reason="领导评分缺失，同意定稿")
        results.publish(s, actor_id=case.office.id, cycle=case.cycle)

    in_session(e2e_app, fix_and_publish)
    with serving(e2e_app) as base:
        yield {"base": base, "cycle": case.cycle.id}


def test_provisional_scores_are_explained_on_the_public_page(published, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page.goto(f"{published['base']}/cycles/{published['cycle']}/results/public")
    row = page.locator("tr", has_text="甲学院").first
    assert "成绩暂定" in row.inner_text()
    note = page.locator("#provisional-note")
    assert note.is_visible()
    text = note.inner_text()
    assert "定稿时仍有部分评分数据未齐" in text and "公示期内（至" in text and "最终结果" in text
