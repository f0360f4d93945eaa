"""The main pages of each role in a real browser under the Content-Security-Policy: no violation
is reported, and the behaviours moved out of inline handlers still work (confirm before
submitting a report, the report's autosave with the CSRF token from the meta tag, the leader's
live count, the year selector, the print button, the turnout refresh script)."""

import re

from tests.e2e.test_ballot_browser import served, watch_csp  # noqa: F401  (fixture)


def _world(served):  # noqa: F811
    from sqlmodel import Session, select

    from app.extensions import db
    from app.models import Cycle
    from tests.builders import factories as f

    with served["app"].app_context(), Session(db.engine, expire_on_commit=False) as s:
        college = served["colleges"][0]
        # office1 comes with the served world
        f.user(s, "tb1", roles=[{"role": "reporter", "unit_id": college.id}], unit_id=college.id)
        f.user(s, "leader1", roles=[{"role": "leader", "leader_rank": "principal"}])
        s.commit()
        return s.exec(select(Cycle).where(Cycle.id != served["bare_cycle_id"])).one().id, college.id


def _sign_in(page, base, name):
    page.goto(f"{base}/login")
    page.fill("#username", name)
    page.fill("#password", "secret123")
    page.locator("form button[type=submit]").click()
    page.wait_for_load_state()
    assert "/login" not in page.url


def test_main_pages_run_under_the_csp(served, browser):  # noqa: F811
    base = served["base"]
    cid, uid = _world(served)
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = ctx.new_page()
    csp = watch_csp(page)

    # office: home, cycles, a cycle, voting dashboard with the turnout script, slips, targets, audit
    _sign_in(page, base, "office1")
    for path in ["/", "/office/cycles", f"/office/cycles/{cid}", "/office/users", "/office/audit",
                 f"/voting/cycles/{cid}", f"/voting/cycles/{cid}/slips?batch=e2e", f"/cycles/{cid}/results"]:
        resp = page.goto(base + path)
        assert resp.status < 400, path
        assert resp.headers["content-security-policy"].startswith("default-src 'self'")
    page.goto(f"{base}/voting/cycles/{cid}")
    with page.expect_response(re.compile(r"/turnout\.json$"), timeout=15000) as turnout:
        pass
    assert turnout.value.ok
    page.goto(f"{base}/targets/office")
    if page.locator("select[name=year] option").count() > 1:
        with page.expect_navigation():
            page.select_option("select[name=year]", index=1)
        assert "year=" in page.url
    page.goto(f"{base}/voting/cycles/{cid}/slips?batch=e2e")
    printed = []
    page.evaluate("window.print = function () { document.body.dataset.printed = '1'; }")
    page.locator("button[data-print]").click()
    printed.append(page.locator("body").get_attribute("data-printed"))
    assert printed == ["1"]
    page.goto(base + "/")
    page.locator("form[action$='/logout'] button").click()

    # reporter: the self-report editor autosaves (CSRF header from the meta tag) and asks before submitting
    _sign_in(page, base, "tb1")
    page.goto(f"{base}/report/cycles/{cid}/units/{uid}")
    page.fill("#t_summary", "本年度总结")
    page.wait_for_selector("#general .autosave.ok", timeout=15000)
    asked = []
    page.once("dialog", lambda d: (asked.append(d.message), d.dismiss()))
    page.locator("button[name=action][value=submit]").click()
    page.wait_for_timeout(300)
    assert asked and "确认提交" in asked[0]
    assert "自查报告已提交" not in page.content()  # dismissed: nothing submitted
    page.once("dialog", lambda d: d.accept())
    with page.expect_navigation():
        page.locator("button[name=action][value=submit]").click()
    assert "自查报告已提交" in page.content()
    page.goto(base + "/")
    page.locator("form[action$='/logout'] button").click()

    # leader: the live count of rated units
    _sign_in(page, base, "leader1")
    page.goto(f"{base}/leader/cycles/{cid}/ratings")
    first = page.locator(".score-input").first
    first.fill("90")
    assert page.locator("#rated-count").inner_text() == "1"

    page.goto(f"{base}/public/")
    assert csp == [], csp
    ctx.close()
