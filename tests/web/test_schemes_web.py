"""The office's scheme pages: list, version page, Excel download, upload refused or accepted,
the scheme of a cycle not started; other roles are refused."""

import html
import io
import re

import openpyxl
from sqlmodel import func, select

from app.models import Cycle, Scheme
from app.rubric.rules import RULES, param_lines
from app.services import schemes
from app.sheets.scheme import import_scheme
from tests.builders import factories as f

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _office(client, session):
    f.user(session, "boss", roles=["office"])
    scheme = schemes.seed_scheme(session)
    session.commit()
    f.login(client, "boss")
    return scheme


def _count(session):
    session.expire_all()
    return session.exec(select(func.count()).select_from(Scheme)).one()


def _upload(client, content: bytes, name="方案.xlsx"):
    return client.post("/office/schemes/import", data={"file": (io.BytesIO(content), name)},
                       content_type="multipart/form-data")


def _download(client, scheme) -> bytes:
    r = client.get(f"/office/schemes/{scheme.id}/excel")
    assert r.status_code == 200 and r.mimetype == XLSX
    assert "filename*=UTF-8''" in r.headers["Content-Disposition"]
    return r.data


def test_other_roles_and_anonymous_are_refused(client, session):
    scheme = schemes.seed_scheme(session)
    u = f.unit(session, "经管学院")
    f.user(session, "rep", roles=["group", {"role": "reporter", "unit_id": u.id}], unit_id=u.id)
    session.commit()
    for url in ("/office/schemes/", f"/office/schemes/{scheme.id}", f"/office/schemes/{scheme.id}/excel",
                "/office/schemes/import", "/office/schemes/rules"):
        r = client.get(url)
        assert r.status_code == 302 and "/login" in r.headers["Location"], url
    f.login(client, "rep")
    for url in ("/office/schemes/", f"/office/schemes/{scheme.id}", f"/office/schemes/{scheme.id}/excel",
                "/office/schemes/import", "/office/schemes/rules"):
        assert client.get(url).status_code == 403, url
    assert _upload(client, b"x").status_code == 403
    assert client.post(f"/office/schemes/{scheme.id}/assign", data={"cycle_id": "1"}).status_code == 403
    assert _count(session) == 1


def test_list_and_version_page(client, session):
    scheme = _office(client, session)
    page = client.get("/office/schemes/").get_data(as_text=True)
    assert "考核方案" in page and "第 1 版" in page and scheme.name in page
    assert f"/office/schemes/{scheme.id}/excel" in page
    page = client.get(f"/office/schemes/{scheme.id}").get_data(as_text=True)
    # components with points, the tree with owner, rule in plain words and applicability
    assert "民主测评" in page and "领导班子评价" in page and "正职 20 分" in page
    assert "B07" in page and "积极完成各项教学任务" in page and "考核部门：教务处" in page
    assert "多项扣分" in page and "适用：" in page and "基础课教学部满分 48" in page
    assert 'name="viewport"' in page  # the base layout, readable on phones
    assert client.get("/office/schemes/99999").status_code == 404


def test_rule_catalogue_page_shows_the_declared_parameters(client, session):
    scheme = _office(client, session)
    page = html.unescape(client.get("/office/schemes/rules").get_data(as_text=True))
    for name, rule in RULES.items():
        assert f'id="rule-{name}"' in page and rule.label in page
        for _, pname, text in param_lines(rule.parameters):
            assert f"<code>{pname}</code> {text}" in page, (name, pname)
    assert "无参数" in page  # budget_execution
    # the version page links each indicator's rule to its parameters; the list and upload pages to the catalogue
    detail = client.get(f"/office/schemes/{scheme.id}").get_data(as_text=True)
    assert 'href="/office/schemes/rules#rule-deduction_items"' in detail
    assert 'href="/office/schemes/rules"' in client.get("/office/schemes/").get_data(as_text=True)
    assert 'href="/office/schemes/rules"' in client.get("/office/schemes/import").get_data(as_text=True)


def test_download_is_the_scheme(client, session):
    scheme = _office(client, session)
    data, problems = import_scheme(_download(client, scheme))
    assert problems == [] and data == scheme.data


def test_upload_refused_lists_errors_and_saves_nothing(client, session):
    scheme = _office(client, session)
    wb = openpyxl.load_workbook(io.BytesIO(_download(client, scheme)))
    wb["指标"]["E3"] = "abc"
    wb["组成"]["A1"] = None
    out = io.BytesIO()
    wb.save(out)
    r = _upload(client, out.getvalue())
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert "未保存" in page and "「组成」表第 1 行：缺少「类别标识」列" in page
    r = _upload(client, b"not a workbook")
    assert r.status_code == 422 and "不是有效的 .xlsx" in r.get_data(as_text=True)
    r = client.post("/office/schemes/import", data={}, content_type="multipart/form-data")
    assert "请选择文件" in r.get_data(as_text=True)
    assert _count(session) == 1


def test_upload_accepted_makes_a_new_version_and_keeps_cycles(client, session):
    scheme = _office(client, session)
    cycle = f.cycle(session, scheme=scheme)
    session.commit()
    before = dict(cycle.scheme_data)
    wb = openpyxl.load_workbook(io.BytesIO(_download(client, scheme)))
    wb["方案"]["B3"] = "第二版"
    out = io.BytesIO()
    wb.save(out)
    r = _upload(client, out.getvalue())
    assert r.status_code == 302
    session.expire_all()
    v2 = session.exec(select(Scheme).where(Scheme.version == 2)).one()
    assert v2.name == "第二版" and v2.created_by_id is not None
    assert r.headers["Location"].endswith(f"/office/schemes/{v2.id}")
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "已保存为方案" in page and "与第 1 版相比改动 1 处" in page
    assert "与第 1 版相比的改动（1 处）" in page and "方案名称：" in page and "→ 第二版" in page
    assert session.get(Cycle, cycle.id).scheme_data == before
    # the same workbook again is refused as identical
    r = _upload(client, out.getvalue())
    assert "完全相同" in r.get_data(as_text=True)
    assert _count(session) == 2


def test_assign_a_version_to_a_cycle_not_started(client, session):
    scheme = _office(client, session)
    started = f.cycle(session, name="进行中", scheme=scheme)
    waiting = f.cycle(session, name="未开始", open_all=False, scheme=scheme)
    wb = openpyxl.load_workbook(io.BytesIO(_download(client, scheme)))
    wb["方案"]["B3"] = "第二版"
    out = io.BytesIO()
    wb.save(out)
    v2 = schemes.import_scheme_version(session, actor_id=None, content=out.getvalue())
    session.commit()
    page = client.get(f"/office/schemes/{v2.id}").get_data(as_text=True)
    assert "未开始" in page and "进行中</option>" not in page
    r = client.post(f"/office/schemes/{v2.id}/assign", data={"cycle_id": str(waiting.id)})
    assert r.status_code == 302
    r = client.post(f"/office/schemes/{v2.id}/assign", data={"cycle_id": str(started.id)})
    assert "已经开始" in client.get(r.headers["Location"]).get_data(as_text=True)
    session.expire_all()
    assert session.get(Cycle, waiting.id).scheme_id == v2.id
    assert session.get(Cycle, waiting.id).scheme_data["name"] == "第二版"
    assert session.get(Cycle, started.id).scheme_id == scheme.id


def test_upload_with_csrf_on_needs_the_token(csrf_app, session):
    client = csrf_app.test_client()
    f.user(session, "boss2", roles=["office"])
    schemes.seed_scheme(session)
    session.commit()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/login", data={"username": "boss2", "password": f.PASSWORD, "csrf_token": token})
    r = _upload(client, b"x")
    assert r.status_code == 400
    page = client.get("/office/schemes/import").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    r = client.post("/office/schemes/import", data={"file": (io.BytesIO(b"x"), "a.xlsx"), "csrf_token": token},
                    content_type="multipart/form-data")
    assert r.status_code == 422 and "不是有效的 .xlsx" in r.get_data(as_text=True)
    assert _count(session) == 1
