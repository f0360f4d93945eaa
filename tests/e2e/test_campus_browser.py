"""Campus sign-in and the test e-mail in a real browser (Playwright driving Debian's chromium):
sign in through the campus directory (a real slapd) on the login page; sign in through the CAS
stand-in and out again (the stand-in's back-channel logout ends the product session); the
office sends itself a test message from 系统设置 and sees it sent by the mail job (aiosmtpd).
The app is served from a thread on a file SQLite database (tests/builders/browser.py).
"""

import os
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.builders import campus as cs
from tests.builders.browser import browser_app, require_chromium, serving

pytestmark = pytest.mark.e2e
SHOTS = os.environ.get("KPI_E2E_SCREENSHOTS")  # a folder to keep screenshots in, for looking at them


@pytest.fixture
def serve(tmp_path):
    """``serve(**config) -> (app, base)``: the app with two accounts (the office, and 张三 with
    工号 T2001, a reporter of 教务处), served from a thread until the test ends."""
    require_chromium()
    from sqlmodel import Session

    from app.extensions import db
    from tests.builders import factories as f

    stack = ExitStack()

    def start(**config):
        app = browser_app(tmp_path, **config)
        with app.app_context(), Session(db.engine, expire_on_commit=False) as s:
            office = f.user(s, "office", roles=["office"])
            office.display_name, office.email = "目标办王老师", "office@example.edu"
            unit = f.unit(s, "教务处", "department")
            zs = f.user(s, "zs_jwc", roles=[{"role": "reporter", "unit_id": unit.id}])
            zs.display_name, zs.employee_no = "张三", "T2001"
            s.add_all([office, zs])
            s.commit()
        return app, stack.enter_context(serving(app))

    with stack:
        yield start


def _page(browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    return ctx, ctx.new_page()


def _shot(page, name):
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def _sessions(app):
    from sqlmodel import Session, select

    from app.extensions import db
    from app.models import LoginSession

    with app.app_context(), Session(db.engine) as s:
        return s.exec(select(LoginSession)).all()


def test_sign_in_through_the_campus_directory(serve, browser, slapd):
    app, base = serve(LDAP_URL=slapd.url, LDAP_BASE_DN=cs.BASE_DN, LDAP_BIND_DN=cs.SERVICE_DN,
                      LDAP_BIND_PASSWORD=cs.SERVICE_PW, LDAP_STARTTLS=True, LDAP_CA_FILE=str(slapd.certs.ca))
    ctx, page = _page(browser)
    # a campus account without a product account: refused, with the reason
    page.goto(f"{base}/login")
    page.fill("#username", "lisi")
    page.fill("#password", "campus-pass-2")
    page.locator("button[type=submit]").click()
    assert "本系统中没有工号为 T2002 的账号" in page.locator(".flash-error").inner_text()
    _shot(page, "ldap_refused")
    # the campus name and password of 张三 (工号 T2001)
    page.fill("#username", "zhangsan")
    page.fill("#password", "campus-pass-1")
    page.locator("button[type=submit]").click()
    page.wait_for_selector("h1")
    assert "您好，张三" in page.locator("h1").inner_text()
    assert "单位填报员" in page.locator(".who").inner_text()
    _shot(page, "ldap_signed_in")
    [sess] = _sessions(app)
    assert sess.via == "ldap"
    ctx.close()


def test_sign_in_and_out_through_cas(serve, browser, cas_server):
    app, base = serve(CAS_URL=cas_server.url)
    ctx, page = _page(browser)
    page.goto(f"{base}/login")
    _shot(page, "cas_login_page")
    page.locator("#cas-login").click()
    page.wait_for_selector("#cas-username")
    assert page.url.startswith(cas_server.url + "login?service=")
    page.fill("#cas-username", "T2001")
    page.fill("#cas-password", "cas-pass-1")
    page.locator("#cas-submit").click()
    page.wait_for_selector("h1")
    assert page.url == f"{base}/"
    assert "您好，张三" in page.locator("h1").inner_text()
    [sess] = _sessions(app)
    assert sess.via == "cas" and cas_server.validations == [(sess.cas_ticket, f"{base}/login/cas")]

    # 退出: the product session ends, CAS ends its own and sends the back-channel logout, and
    # the browser lands on the product's login page
    page.locator("form[action='/logout'] button").click()
    page.wait_for_url(f"{base}/login")
    assert _sessions(app) == []
    assert cas_server.logouts_sent == [(f"{base}/login/cas", sess.cas_ticket, 200)]
    assert cas_server.sso_sessions == {}

    # signed in again; this time the person signs out of CAS in another application: the CAS
    # server's back-channel LogoutRequest ends the product session as well
    page.locator("#cas-login").click()
    page.fill("#cas-username", "T2001")
    page.fill("#cas-password", "cas-pass-1")
    page.locator("#cas-submit").click()
    page.wait_for_selector("h1")
    [sess] = _sessions(app)
    assert cas_server.backchannel_logout(sess.cas_ticket) == 200
    page.goto(f"{base}/notices")
    assert page.url.startswith(f"{base}/login")
    assert "请先登录" in page.content()
    ctx.close()


def test_the_office_sends_itself_a_test_message(serve, browser, smtp_server):
    app, base = serve(**smtp_server.config())
    ctx, page = _page(browser)
    page.goto(f"{base}/login")
    page.fill("#username", "office")
    page.fill("#password", "secret123")
    page.locator("button[type=submit]").click()
    page.wait_for_selector("h1")
    # the office's own address and 工号, on its account page
    page.locator("nav.mainnav summary", has_text="系统管理").click()  # a menu of the grouped bar
    page.locator("nav.mainnav a", has_text="用户与角色").click()
    page.locator("table").get_by_role("link", name="office", exact=True).click()
    page.wait_for_selector("#profile")
    page.fill("#profile input[name=email]", "wang@example.edu")
    page.fill("#profile input[name=employee_no]", "T0001")
    page.locator("#profile button[type=submit]").click()
    page.wait_for_selector(".flash-success")
    assert page.locator("#profile input[name=employee_no]").input_value() == "T0001"
    _shot(page, "user_profile")
    page.locator("nav.mainnav summary", has_text="系统管理").click()  # a menu of the grouped bar
    page.locator("nav.mainnav a", has_text="系统设置").click()
    page.wait_for_selector("#send-test-mail")
    page.locator("#send-test-mail").click()
    page.wait_for_selector(".flash-success")
    assert "测试邮件已排队，发往 wang@example.edu" in page.locator(".flash-success").inner_text()
    assert page.locator("#mail-outcomes tbody tr").first.locator("[data-label=状态]").inner_text().startswith("待发送")
    assert smtp_server.messages == []  # the web request did not send it
    _shot(page, "mail_pending")

    # the scheduler's mail job runs (here: once, in this process, on the same database)
    from app.extensions import db
    from app.jobs import load_jobs, run_job

    load_jobs()
    with app.app_context():
        assert run_job(db.writer, "mail", tick_seconds=60).startswith("发送邮件 1 封")
    page.reload()
    row = page.locator("#mail-outcomes tbody tr").first
    assert row.locator("[data-label=状态]").inner_text().startswith("已发送")
    assert row.locator("[data-label=尝试次数]").inner_text() == "1"
    _shot(page, "mail_sent")
    [msg] = smtp_server.messages
    assert msg["To"] == "wang@example.edu" and "测试邮件" in msg["Subject"]
    assert smtp_server.mechanisms == ["LOGIN"]
    ctx.close()
