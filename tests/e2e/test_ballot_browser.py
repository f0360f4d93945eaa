"""The ballot in a real browser on a phone-sized screen: Playwright driving Debian's chromium.

Opens the ballot from a code's slip address (``/v#<code>``: the page's script posts the code),
sees the live counter refuse one 优秀 more than the rule allows (submit disabled), fixes it,
submits, sees the receipt; the same code cannot vote again. The app is served from a thread
(werkzeug) on a file SQLite database, as ../shared/stack.md describes.
"""

import os
import re

import pytest

from tests.builders.browser import serving, sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def served(e2e_app):
    from sqlmodel import Session

    from app.extensions import db
    from app.services import voting
    from tests.builders import factories as f

    app = e2e_app
    voting.forget_context()
    with app.app_context():
        with Session(db.engine, expire_on_commit=False) as s:
            names = ("机电工程学院", "信息工程学院", "商学院", "医学院", "艺术学院")
            colleges = [f.unit(s, name, "college") for name in names]
            depts = [f.unit(s, name, "department") for name in ("教务处", "财务处", "图书馆", "保卫处")]
            cycle = f.cycle(s, scheme=f.voting_scheme(s))  # at most 30 % 优秀 per category → 1 of 5, 1 of 4
            groups = voting.create_default_groups(s, actor_id=None, cycle=cycle)
            voting.issue_codes(s, actor_id=None, cycle=cycle, group_id=groups[0].id, count=2, batch="e2e")
            bare = f.cycle(s, name="2019-2020学年")  # no scheme assigned
            bare_group = voting.save_group(s, actor_id=None, cycle=bare, key="cadre", name="中层干部", weight=None)
            voting.issue_codes(s, actor_id=None, cycle=bare, group_id=bare_group.id, count=1, batch="e2e-bare")
            f.user(s, "office1", roles=["office"])
            s.commit()
            codes = [e.code for e in voting.codes_of_batch(s, cycle.id, "e2e")]
            bare_code = voting.codes_of_batch(s, bare.id, "e2e-bare")[0].code
    with serving(app) as base:
        yield {"base": base, "codes": codes, "colleges": colleges, "depts": depts, "app": app,
               "bare_cycle_id": bare.id, "bare_code": bare_code, "shots": os.environ.get("KPI_E2E_SHOTS")}


def _phone(browser):
    return browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                               has_touch=True, locale="zh-CN")


def watch_csp(page) -> list[str]:
    """Console messages and script errors that report a Content-Security-Policy violation."""
    seen: list[str] = []
    page.on("console", lambda m: seen.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda e: seen.append(str(e)))
    return seen


def test_ballot_on_a_phone(served, browser):
    base, code = served["base"], served["codes"][0]
    colleges, depts = served["colleges"], served["depts"]
    ctx = _phone(browser)
    page = ctx.new_page()
    csp = watch_csp(page)
    page.goto(f"{base}/v#{code}")
    page.wait_for_selector("form#ballot")
    assert "#" not in page.url  # the code left the address bar (and was never sent in a URL)
    assert page.locator("fieldset.cat").count() == 2
    college_counter = page.locator("fieldset.cat").nth(0).locator(".counter")
    assert "最多 1 个" in college_counter.inner_text()

    def pick(unit, level):
        page.locator(f'input[name="u{unit.id}"][value="{level}"]').check()

    # one 优秀 more than the rule allows among the colleges: the counter refuses, submit is blocked
    pick(colleges[0], 0)
    pick(colleges[1], 0)
    assert "over" in college_counter.get_attribute("class")
    assert "超出 1 个" in college_counter.inner_text()
    assert page.locator("#submit").is_disabled()
    # fix it and rate every unit
    pick(colleges[1], 1)
    assert "over" not in college_counter.get_attribute("class")
    for u in colleges[2:]:
        pick(u, 1)
    pick(depts[0], 0)
    for u in depts[1:]:
        pick(u, 2 if u is depts[-1] else 1)
    assert page.locator("#submit").is_enabled()
    page.locator("#submit").click()
    page.wait_for_selector("#receipt")
    receipt = page.locator("#receipt").inner_text().strip()
    assert re.fullmatch(r"[A-Z0-9]{5}-[A-Z0-9]{5}", receipt)
    assert "投票成功" in page.content()
    assert csp == []  # the entry script, the counter and the receipt page ran under the CSP
    ctx.close()

    # the same code on another phone: refused
    other = _phone(browser)
    p2 = other.new_page()
    p2.goto(f"{base}/v#{code}")
    p2.wait_for_selector(".err")
    assert "已投票" in p2.locator(".err").inner_text()
    assert "您的选票已记录" in p2.locator("#ballot-status").inner_text()  # and it says the ballot is in the box
    assert p2.locator("form#ballot").count() == 0
    other.close()

    from sqlalchemy import text

    from app.extensions import db

    with served["app"].app_context(), db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM ballot")).scalar() == 1


def test_without_javascript_the_server_refuses_with_the_reason(served, browser):
    """Script off: the voter types the code, and a ballot over the limit comes back with the reason."""
    base, code = served["base"], served["codes"][1]
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, java_script_enabled=False)
    page = ctx.new_page()
    page.goto(f"{base}/v")
    page.fill("#code", code.lower())
    page.locator("#codeform button").click()
    page.wait_for_selector("form#ballot")
    for u in served["colleges"][:2] + served["depts"][:1]:
        page.locator(f'input[name="u{u.id}"][value="0"]').check()
    for u in served["colleges"][2:] + served["depts"][1:]:
        page.locator(f'input[name="u{u.id}"][value="1"]').check()
    page.locator("#submit").click()
    page.wait_for_selector("#errors")
    assert "院部：「优秀」最多可评1个单位（30%），现评了2个" in page.locator("#errors").inner_text()
    page.locator(f'input[name="u{served["colleges"][1].id}"][value="1"]').check()
    page.locator("#submit").click()
    page.wait_for_selector("#receipt")
    ctx.close()


def test_a_cycle_without_a_scheme_tells_the_voter_and_the_office(served, browser):
    """A slip of a cycle that has no scheme: the phone shows why no ballot can be cast instead of
    a ballot; the office's page of that cycle says the same and offers no groups from a scheme."""
    from tests.builders import factories as f

    base, shots = served["base"], served["shots"]
    ctx = _phone(browser)
    page = ctx.new_page()
    page.goto(f"{base}/v#{served['bare_code']}")
    page.wait_for_selector("#message")
    assert "不能投票" in page.locator("h1").inner_text()
    assert "尚未指定考核方案" in page.locator("#message").inner_text()
    assert page.locator("form#ballot").count() == 0
    if shots:
        page.screenshot(path=os.path.join(shots, "no-scheme-phone.png"), full_page=True)
    ctx.close()

    office = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = office.new_page()
    page.goto(f"{base}/login")
    page.fill('input[name="username"]', "office1")
    page.fill('input[name="password"]', f.PASSWORD)
    page.locator('button[type="submit"]').click()
    page.wait_for_load_state()
    page.goto(f"{base}/voting/cycles/{served['bare_cycle_id']}")
    notice = page.locator("#no-rules")
    assert "本周期不能进行民主测评投票" in notice.inner_text()
    assert "尚未指定考核方案" in notice.inner_text()
    assert page.get_by_text("按方案创建类别").count() == 0
    if shots:
        page.screenshot(path=os.path.join(shots, "no-scheme-office.png"), full_page=True)
    office.close()


def test_ballot_links_only_published_self_reports(served, browser):
    """A ballot once linked every unit's self-report; an unpublished one answered 404 mid-vote.
    Only published reports are linked, the others say 自查报告未公开, and publishing one later
    links it on the next ballot page (the cached page follows)."""
    from sqlmodel import Session

    from app.extensions import db
    from app.models.base import utcnow
    from app.models.report import SelfReport

    app, base = served["app"], served["base"]
    published, unpublished = served["colleges"][0], served["colleges"][1]
    with app.app_context(), Session(db.engine) as s:
        from sqlmodel import select

        from app.models import Cycle

        cycle_id = s.exec(select(Cycle.id).order_by(Cycle.id)).first()  # the voting cycle (made first)
        s.add(SelfReport(cycle_id=cycle_id, unit_id=published.id, texts={"summary": "总结"},
                         submitted_texts={"summary": "总结"}, status="submitted", submitted_at=utcnow(),
                         published_at=utcnow()))
        s.add(SelfReport(cycle_id=cycle_id, unit_id=unpublished.id, texts={}, submitted_texts={}, status="draft"))
        s.commit()
    page = _phone(browser).new_page()
    page.goto(f"{base}/v#{served['codes'][1]}")
    page.wait_for_selector("form#ballot")
    row = page.locator(".u", has_text=published.name)
    assert row.get_by_role("link", name="自查报告").count() == 1
    other = page.locator(".u", has_text=unpublished.name)
    assert other.get_by_role("link").count() == 0 and "自查报告未公开" in other.inner_text()
    href = row.get_by_role("link", name="自查报告").get_attribute("href")
    assert page.request.get(base + href).status == 200


def test_slips_opened_on_this_computer_warn_that_phones_cannot_reach_them(served, browser):
    """Slips printed while the page is opened on 127.0.0.1 encoded that address in their QR codes
    without a word; the page now warns and names KPI_PUBLIC_URL. With it set, no warning."""
    app, base = served["app"], served["base"]
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    sign_in(page, base, "office1")
    page.wait_for_load_state()
    page.goto(f"{base}/voting/cycles/1/slips?batch=e2e")
    warning = page.locator("#local-address")
    assert warning.is_visible() and "KPI_PUBLIC_URL" in warning.inner_text() and "127.0.0.1" in warning.inner_text()
    app.config["PUBLIC_URL"] = "https://kpi.example.edu"
    try:
        page.reload()
        assert page.locator("#local-address").count() == 0
        assert "https://kpi.example.edu/v" in page.locator(".slip .url").first.inner_text()
    finally:
        app.config["PUBLIC_URL"] = None
