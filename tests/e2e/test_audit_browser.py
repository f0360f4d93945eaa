"""The audit log in a real browser reads in Chinese: actions and objects by their labels, stored
values as text (no raw JSON), times in Beijing time."""

from datetime import UTC, datetime

import pytest

from tests.builders.browser import serving, sign_in

pytestmark = pytest.mark.e2e


def test_the_audit_log_shows_labels_and_beijing_time(e2e_app, browser):
    from sqlmodel import Session

    from app.extensions import db
    from app.models import AuditEntry
    from tests.builders import factories as f

    with e2e_app.app_context(), Session(db.engine) as s:
        f.user(s, "office1", roles=["office"])
        s.add(AuditEntry(at=datetime(2026, 1, 1, 16, 30, tzinfo=UTC), user_id=None, action="override_fail",
                         entity="result_set", entity_id="7", old_value={"status": "proposed"},
                         new_value={"status": "fixed", "group": "cadre"}, reason="审议"))
        s.commit()
    with serving(e2e_app) as base:
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        sign_in(page, base, "office1")
        page.wait_for_load_state()
        page.goto(f"{base}/office/audit?entity=result_set")
        row = page.locator("tbody tr", has_text="审议").first
        text = row.inner_text()
        assert "认定不合格" in text and "考核结果 #7" in text and "2026-01-02 00:30" in text
        assert "状态：已定稿" in text and "中层干部" in text
        assert "override_fail" not in text and "{" not in text and "result_set" not in text
