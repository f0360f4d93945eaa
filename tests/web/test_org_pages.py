"""The office's organisation import pages, password slips, bulk reset and first-run page."""

import io
import re

import openpyxl
from sqlmodel import select

from app.models import AuditEntry, Unit, User
from app.services import accounts
from tests.builders import factories as f
from tests.builders.org import PEOPLE, UNITS, workbook


def _office(client, session):
    boss = f.user(session, "boss", roles=["office"])
    session.commit()
    f.login(client, "boss")
    return boss


def _upload(client, data: bytes):
    return client.post("/office/org/preview", data={"file": (io.BytesIO(data), "org.xlsx")},
                       content_type="multipart/form-data")


def _confirm_fields(page: str) -> dict:
    fields = re.findall(r'name="(token|fingerprint)" type="hidden" value="([^"]*)"', page)
    return {name: value for name, value in fields}


def test_template_download_is_the_workbook(client, session):
    _office(client, session)
    r = client.get("/office/org/template.xlsx")
    assert r.status_code == 200 and r.mimetype.endswith("spreadsheetml.sheet")
    wb = openpyxl.load_workbook(io.BytesIO(r.data))
    assert wb.sheetnames == ["说明", "单位", "人员"]
    assert [c.value for c in wb["人员"][1]] == ["工号*", "姓名*", "所在单位", "角色", "校领导职别", "电子邮箱", "电话"]


def test_preview_saves_nothing_confirm_saves_and_shows_slips_once(client, session):
    _office(client, session)
    r = _upload(client, workbook(UNITS, PEOPLE))
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and "确认导入" in page and "1001 张三" in page and "新建" in page
    session.expire_all()
    assert session.exec(select(Unit)).all() == []  # nothing saved by the preview
    r = client.post("/office/org/confirm", data=_confirm_fields(page))
    slips = r.get_data(as_text=True)
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    passwords = re.findall(r'<dd class="pw">([^<]+)</dd>', slips)
    assert len(passwords) == 4
    session.expire_all()
    zs = session.exec(select(User).where(User.username == "1001")).one()
    assert zs.must_change_password and accounts.verify_password(zs.password_hash, passwords[0])
    # the same confirmation again: refused, nothing shown
    r = client.post("/office/org/confirm", data=_confirm_fields(page))
    assert r.status_code == 302
    # the new account signs in with the slip's password and must change it first
    other = client.application.test_client()
    assert f.login(other, "1001", passwords[0]).headers["Location"].endswith("/account/password")


def test_errors_are_listed_and_nothing_can_be_confirmed(client, session):
    _office(client, session)
    bad = workbook([("机电工程学院", "", "学院", "二级学院", 1)], [])
    page = _upload(client, bad).get_data(as_text=True)
    assert "无法导入，未保存任何内容" in page and "「单位」表第 2 行 C 列：类别「学院」无效" in page
    assert "确认导入" not in page


def test_stale_confirmation_is_refused(client, session):
    _office(client, session)
    page = _upload(client, workbook(UNITS, PEOPLE)).get_data(as_text=True)
    f.unit(session, "商学院")  # the organisation changes after the preview
    session.commit()
    r = client.post("/office/org/confirm", data=_confirm_fields(page), follow_redirects=True)
    assert "预览之后组织机构已有变动" in r.get_data(as_text=True)
    session.expire_all()
    assert session.exec(select(User).where(User.username == "1001")).first() is None


def test_bulk_reset_prints_new_passwords_and_audits_without_them(client, session):
    boss = _office(client, session)
    a, b = f.user(session, "a1"), f.user(session, "b1")
    session.commit()
    page = client.get("/office/users").get_data(as_text=True)
    assert f'name="user_id" value="{a.id}"' in page and f'name="user_id" value="{boss.id}"' not in page
    r = client.post("/office/users/reset-passwords", data={"user_id": [str(a.id), str(b.id), str(boss.id)]})
    assert r.status_code == 200
    passwords = re.findall(r'<dd class="pw">([^<]+)</dd>', r.get_data(as_text=True))
    assert len(passwords) == 2
    session.expire_all()
    for user, pw in zip((a, b), passwords, strict=True):
        u = session.get(User, user.id)
        assert u.must_change_password and accounts.verify_password(u.password_hash, pw)
    assert not session.get(User, boss.id).must_change_password
    trail = " ".join(repr((e.old_value, e.new_value)) for e in session.exec(select(AuditEntry)))
    assert "reset_password" in {e.action for e in session.exec(select(AuditEntry))}
    assert not any(pw in trail for pw in passwords)
    r = client.post("/office/users/reset-passwords", data={}, follow_redirects=True)
    assert "请先勾选要重置密码的账号" in r.get_data(as_text=True)


def test_first_run_page_leads_from_an_empty_organisation(client, session):
    _office(client, session)
    home = client.get("/").get_data(as_text=True)
    assert "开始使用向导" in home
    page = client.get("/office/start").get_data(as_text=True)
    assert "/office/org" in page and "/office/cycles/new" in page and "使用内置方案" in page
    r = client.post("/office/start/seed-scheme", follow_redirects=True)
    assert "已使用内置方案" in r.get_data(as_text=True)
    f.unit(session, "机电工程学院")
    session.commit()
    assert "开始使用向导" not in client.get("/").get_data(as_text=True)


def test_export_is_kept_until_the_organisation_changes(client, session, monkeypatch):
    """The export is written once per state of the organisation: asked again, it is read back; a
    renamed unit is in the next download at once."""
    from app.web.office import orgimport

    _office(client, session)
    f.unit(session, "数学学院")
    session.commit()
    builds = []
    real = orgimport.org_workbook

    def counting(units, people):
        builds.append(len(units))
        return real(units, people)

    monkeypatch.setattr(orgimport, "org_workbook", counting)
    first = client.get("/office/org/export.xlsx")
    again = client.get("/office/org/export.xlsx")
    assert first.status_code == again.status_code == 200 and len(builds) == 1
    assert first.data == again.data
    unit = session.exec(select(Unit).where(Unit.name == "数学学院")).one()
    unit.name = "数学与统计学院"
    session.add(unit)
    session.commit()
    changed = client.get("/office/org/export.xlsx")
    assert len(builds) == 2
    names = [r[0] for r in openpyxl.load_workbook(io.BytesIO(changed.data))["单位"].iter_rows(values_only=True)]
    assert "数学与统计学院" in names and "数学学院" not in names


def test_kept_files_are_bounded(app, monkeypatch):
    import os

    from app.services import files

    monkeypatch.setattr(files, "KEPT_PER_KIND", 3)
    with app.app_context():
        for i in range(6):
            assert files.kept("t", ("rows", i), lambda i=i: f"data {i}".encode()) == f"data {i}".encode()
        assert files.kept("t", ("rows", 5), lambda: b"not built again") == b"data 5"
        assert len(os.listdir(files.cache_folder("t"))) == 3
