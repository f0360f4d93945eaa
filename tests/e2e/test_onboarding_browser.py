"""The office onboards a college in a real browser: from the first-run page, download the
organisation template, fill it (openpyxl, as a person would in Excel), upload a version with a
mistake and see it named by sheet, row and column, upload the corrected one, check the preview,
confirm, get the printable password slips; a new account signs in with its slip and must change
the password first; the office picks the built-in scheme and creates the first cycle; later it
resets two accounts' passwords from the users page and gets their slips."""

import io
import os
import re
import shutil

import openpyxl
import pytest

from tests.builders import factories as f
from tests.builders.browser import serving

pytestmark = pytest.mark.e2e

UNITS = [("机电工程学院", "机电", "院部", "二级学院", 1), ("信息工程学院", "信息", "院部", "二级学院", 2),
         ("基础课教学部", "基础部", "院部", "基础课教学部", 3), ("教务处", "", "部门", "职能部门", 1),
         ("财务处", "", "部门", "职能部门", 2)]
PEOPLE = [("1001", "张三", "机电工程学院", "单位填报员", None, "zhangsan@example.edu.cn", "13800000001"),
          ("1002", "李四", "信息工程学院", "单位填报员、测评投票人", None, None, None),
          ("1003", "王五", "基础课教学部", "单位填报员", None, None, None),
          ("1004", "赵六", "教务处", "单位填报员、考核评分员", None, None, None),
          ("1005", "钱七", "财务处", "单位填报员、考核评分员", None, None, "0518-85895000"),
          ("0001", "孙书记", None, "校领导、领导小组", "正职", None, None),
          ("0002", "周副校长", None, "校领导、领导小组", "副职", None, None)]


@pytest.fixture
def served(e2e_app):
    from sqlmodel import Session

    from app.extensions import db

    with e2e_app.app_context(), Session(db.engine) as s:
        f.user(s, "office", roles=["office"])  # a fresh installation: one office account, nothing else
        s.commit()
    with serving(e2e_app) as base:
        yield base


def shot(page, tmp_path, name: str) -> str:
    """A full-page screenshot under tmp_path (also under $KPI_E2E_SHOTS when set, to look at)."""
    path = str(tmp_path / f"{name}.png")
    page.screenshot(path=path, full_page=True)
    if os.environ.get("KPI_E2E_SHOTS"):
        os.makedirs(os.environ["KPI_E2E_SHOTS"], exist_ok=True)
        shutil.copy(path, os.path.join(os.environ["KPI_E2E_SHOTS"], f"{name}.png"))
    return path


def _login(page, base, username, password):
    page.goto(f"{base}/login")
    page.fill('input[name="username"]', username)
    page.fill('input[name="password"]', password)
    page.click('button[type="submit"]')


def _filled(template: bytes, units, people) -> bytes:
    wb = openpyxl.load_workbook(io.BytesIO(template))
    for row in units:
        wb["单位"].append(list(row))
    for row in people:
        wb["人员"].append(list(row))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _upload(page, data: bytes, tmp_path, name: str):
    path = tmp_path / name
    path.write_bytes(data)
    page.set_input_files('input[type="file"]', str(path))
    page.click('button:has-text("上传并预览")')
    page.wait_for_load_state()


def test_office_onboards_a_college(served, browser, tmp_path):
    base, chromium = served, browser
    ctx = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN", accept_downloads=True)
    page = ctx.new_page()
    _login(page, base, "office", f.PASSWORD)
    # the home page of an empty installation leads to the first-run page
    page.click('a:has-text("开始使用向导")')
    assert page.url.endswith("/office/start")
    shot(page, tmp_path, "first_run_empty")
    page.click("#step-org")
    with page.expect_download() as dl:
        page.click('a:has-text("下载空白模板")')
    template = open(dl.value.path(), "rb").read()
    assert openpyxl.load_workbook(io.BytesIO(template)).sheetnames == ["说明", "单位", "人员"]

    # a mistake: a scorer bound to a college, and an unknown unit
    bad = PEOPLE[:3] + [("1006", "吴八", "机电工程学院", "考核评分员", None, None, None),
                        ("1007", "郑九", "艺术学院", "单位填报员", None, None, None)]
    _upload(page, _filled(template, UNITS, bad), tmp_path, "bad.xlsx")
    errors = page.locator("ul.previewerr li").all_inner_texts()
    assert "「人员」表第 5 行 D 列：考核评分员须绑定部门，「机电工程学院」是院部" in errors
    assert "「人员」表第 6 行 C 列：所在单位「艺术学院」不在「单位」表中" in errors
    assert page.locator("#confirm").count() == 0
    shot(page, tmp_path, "preview_errors")

    page.click('a:has-text("重新上传")')
    _upload(page, _filled(template, UNITS, PEOPLE), tmp_path, "org.xlsx")
    assert page.locator("tr.act-create").count() == len(UNITS) + len(PEOPLE)
    assert "不在工作簿中、保持不变的目标办账号：office" in page.content()
    assert "7</strong> 个新账号的初始密码条" in page.content()
    preview_png = shot(page, tmp_path, "preview")
    page.click("#confirm")
    page.wait_for_selector(".slip")
    slips = page.locator(".slip")
    assert slips.count() == len(PEOPLE)
    users = page.locator(".slip dd.user").all_inner_texts()
    passwords = page.locator(".slip dd.pw").all_inner_texts()
    assert users == [p[0] for p in PEOPLE]
    assert all(re.fullmatch(r"[A-Za-z2-9]{12}", pw) for pw in passwords)
    slips_png = shot(page, tmp_path, "password_slips")
    page.emulate_media(media="print")
    assert page.locator(".bar").is_hidden()  # the instructions bar is not printed
    page.pdf(path=str(tmp_path / "slips.pdf"), format="A4")
    page.emulate_media(media="screen")

    # the built-in scheme, then the first cycle, from the first-run page
    page.goto(f"{base}/office/start")
    assert "已有 5 个单位" in page.inner_text("body")
    page.click("#step-seed")
    assert "已使用内置方案" in page.inner_text("body")
    page.click("#step-cycle")
    page.fill('input[name="name"]', "2026-2027学年")
    page.fill('input[name="period_start"]', "2026-09-01")
    page.fill('input[name="period_end"]', "2027-08-31")
    page.select_option('select[name="scheme_id"]', index=1)
    page.click('button:has-text("创建")')
    assert "已创建周期「2026-2027学年」" in page.inner_text("body")
    page.goto(f"{base}/office/start")
    shot(page, tmp_path, "first_run_done")
    assert page.inner_text("body").count("✓") == 3

    # a new account signs in with its slip and must change the password first
    other = chromium.new_context(locale="zh-CN").new_page()
    _login(other, base, users[0], passwords[0])
    assert other.url.endswith("/account/password")
    other.fill('input[name="current_password"]', passwords[0])
    other.fill('input[name="new_password"]', "NewPass2026")
    other.fill('input[name="confirm"]', "NewPass2026")
    other.click('button:has-text("保存")')
    assert "密码已修改" in other.inner_text("body")

    # later: two accounts lost their slips; the office resets them from the users page
    page.goto(f"{base}/office/users")
    page.check('input[aria-label="选择 1002"]')
    page.check('input[aria-label="选择 1003"]')
    page.once("dialog", lambda d: d.accept())
    page.click('button:has-text("重置所选账号的密码并打印密码条")')
    page.wait_for_selector(".slip")
    assert page.locator(".slip dd.user").all_inner_texts() == ["1002", "1003"]
    new_pw = page.locator(".slip dd.pw").all_inner_texts()
    assert new_pw != passwords[1:3]
    shot(page, tmp_path, "reset_slips")
    relog = chromium.new_context(locale="zh-CN").new_page()
    _login(relog, base, "1002", passwords[1])
    assert "用户名或密码错误" in relog.inner_text("body")  # the old password is gone
    _login(relog, base, "1002", new_pw[0])
    assert relog.url.endswith("/account/password")
    ctx.close()
    assert preview_png and slips_png
