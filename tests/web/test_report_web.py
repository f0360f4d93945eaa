"""Self-report pages: a reporter's draft, autosave, evidence by content, other units' drafts
out of reach, office return and publish, the public report page."""

import io
import json
import zipfile

import pytest
from sqlmodel import select

from app.models import AuditEntry
from app.models.report import Evidence, SelfReport
from tests.builders import factories as f
from tests.builders.files import PDF
from tests.builders.report_world import World


@pytest.fixture
def w(session):
    return World(session)


def url(w, unit, suffix=""):
    return f"/report/cycles/{w.cycle.id}/units/{unit.id}{suffix}"


def test_reporter_fills_and_submits(client, session, w):
    f.login(client, "tb1")
    r = client.get(url(w, w.c1))
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "社会培训人数" in html and "计分规则" in html and "评分：教务处" in html
    assert "科研经费" in html  # B2 applies to 二级学院
    r = client.post(url(w, w.c1), data={"v_report": "0", "t_summary": "本年度完成各项任务。", "t_highlights": "亮点",
                                        "v_B1": "0", "f_B1_trainees": "900", "f_B1_students": "1000",
                                        "n_B1": "开展培训", "action": "save"})
    assert r.status_code == 302
    report = session.exec(select(SelfReport)).one()
    assert report.texts["summary"] == "本年度完成各项任务。" and report.status == "draft"
    r = client.post(url(w, w.c1), data={"v_report": str(report.version), "t_summary": "本年度完成各项任务。",
                                        "v_B1": "1", "f_B1_trainees": "900", "f_B1_students": "1000",
                                        "action": "submit"}, follow_redirects=True)
    assert "自查报告已提交" in r.get_data(as_text=True)
    session.commit()
    session.refresh(report)
    assert report.status == "submitted"


def test_continuing_education_does_not_see_b2(client, session, w):
    f.login(client, "tb3")
    html = client.get(url(w, w.c3)).get_data(as_text=True)
    assert "社会培训" in html and "科研经费" not in html


def test_other_units_draft_is_out_of_reach(client, session, w):
    f.login(client, "tb1")
    client.post(url(w, w.c1), data={"v_report": "0", "t_summary": "机电的秘密草稿"})
    client.get("/logout")
    client.post("/logout")
    f.login(client, "tb2")
    assert client.get(url(w, w.c1)).status_code == 404
    assert client.post(url(w, w.c1), data={"v_report": "1", "t_summary": "篡改"}).status_code == 404
    assert client.post(url(w, w.c1, "/autosave"), json={"texts": {"summary": "x"}, "version": 1}).status_code == 404
    assert client.get(url(w, w.c1, "/view")).status_code == 404
    # a scorer (or the office) sees no draft either, only the submitted version
    client.post("/logout")
    f.login(client, "pf_jwc")
    r = client.get(url(w, w.c1, "/view"))
    assert r.status_code == 404 and "机电的秘密草稿" not in r.get_data(as_text=True)
    session.commit()
    report = session.exec(select(SelfReport)).one()
    session.refresh(report)
    assert report.texts["summary"] == "机电的秘密草稿"


def test_autosave_and_stale_second_tab(client, session, w):
    f.login(client, "tb1")
    r = client.post(url(w, w.c1, "/autosave"), json={"code": "A2", "facts": {"count": "1"}, "narrative": "一起",
                                                      "version": 0})
    assert r.status_code == 200 and r.get_json()["versions"]["A2"] == 1
    r = client.post(url(w, w.c1, "/autosave"), json={"code": "A2", "facts": {"count": "2"}, "version": 0})
    assert r.status_code == 409 and "已被他人修改" in r.get_json()["message"]
    # the plain form with the stale version is refused too, keeping what was typed
    r = client.post(url(w, w.c1), data={"v_report": "1", "v_A2": "0", "f_A2_count": "5", "t_summary": "s"})
    html = r.get_data(as_text=True)
    assert r.status_code == 409 and "已被他人修改" in html and 'value="5"' in html
    r = client.post(url(w, w.c1, "/autosave"), json={"code": "A2", "facts": {"count": "x"}, "version": 1})
    assert r.status_code == 409 and "应为" in r.get_json()["message"]


def test_autosave_needs_csrf_header(csrf_app, session):
    with csrf_app.app_context():
        pass
    from sqlmodel import Session

    from app.extensions import db as database

    with csrf_app.app_context(), Session(database.engine_for(csrf_app.config["DATABASE_URL"])) as s:
        w = World(s)
        cycle_id, unit_id = w.cycle.id, w.c1.id
    client = csrf_app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf-token" content="')[1].split('"')[0]
    client.post("/login", data={"username": "tb1", "password": f.PASSWORD, "csrf_token": token})
    target = f"/report/cycles/{cycle_id}/units/{unit_id}/autosave"
    body = {"code": "A2", "facts": {"count": "1"}, "version": 0}
    assert client.post(target, json=body).status_code == 400
    html = client.get(f"/report/cycles/{cycle_id}/units/{unit_id}").get_data(as_text=True)
    token = html.split('name="csrf-token" content="')[1].split('"')[0]
    r = client.post(target, data=json.dumps(body), headers={"X-CSRFToken": token, "Content-Type": "application/json"})
    assert r.status_code == 200 and r.get_json()["ok"]


def _docx() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return buf.getvalue()


def test_evidence_checked_by_content_and_served_as_attachment(client, session, w, app):
    f.login(client, "tb1")
    r = client.post(url(w, w.c1, "/evidence"), data={"code": "B1", "title": "培训名单",
                                                     "file": (io.BytesIO(PDF), "名单.pdf")},
                    content_type="multipart/form-data", follow_redirects=True)
    assert "已添加佐证材料「培训名单」" in r.get_data(as_text=True)
    ev = session.exec(select(Evidence)).one()
    assert ev.file_type == "pdf" and ev.stored_name.endswith(".pdf") and "名单" not in ev.stored_name
    import os

    assert os.path.exists(os.path.join(app.config["UPLOAD_FOLDER"], "evidence", ev.stored_name))
    # a script renamed to .pdf, an HTML page, a docx named .pdf: refused, nothing stored
    for payload, name in [(b"<html><script>alert(1)</script>", "x.pdf"), (b"MZ\x90\x00", "setup.exe"),
                          (_docx(), "report.pdf")]:
        r = client.post(url(w, w.c1, "/evidence"), data={"code": "B1", "file": (io.BytesIO(payload), name)},
                        content_type="multipart/form-data", follow_redirects=True)
        assert "不支持的文件类型" in r.get_data(as_text=True) or "不符" in r.get_data(as_text=True)
    r = client.post(url(w, w.c1, "/evidence"), data={"code": "B1", "file": (io.BytesIO(_docx()), "总结.docx")},
                    content_type="multipart/form-data", follow_redirects=True)
    assert "已添加" in r.get_data(as_text=True)
    session.commit()
    assert sorted(e.file_type for e in session.exec(select(Evidence))) == ["docx", "pdf"]
    r = client.post(url(w, w.c1, "/evidence"), data={"code": "", "title": "网站报道", "url": "javascript:alert(1)"},
                    follow_redirects=True)
    assert "链接须以" in r.get_data(as_text=True)
    client.post(url(w, w.c1, "/evidence"), data={"code": "", "title": "网站报道", "url": "https://www.example.edu.cn/a"})
    session.commit()
    assert len(session.exec(select(Evidence)).all()) == 3
    r = client.get(f"/report/evidence/{ev.id}")
    assert r.status_code == 200 and r.data == PDF
    assert r.headers["Content-Disposition"].startswith("attachment")
    assert r.headers["Content-Type"] == "application/octet-stream"
    # before submission nobody else can download it
    client.post("/logout")
    f.login(client, "tb2")
    assert client.get(f"/report/evidence/{ev.id}").status_code == 404
    client.post("/logout")
    f.login(client, "pf_jwc")
    assert client.get(f"/report/evidence/{ev.id}").status_code == 404
    client.post("/logout")
    assert client.get(f"/report/evidence/{ev.id}").status_code in (302, 401)


def test_evidence_size_limit(client, session, w, app):
    app.config["EVIDENCE_MAX_MB"] = 1
    f.login(client, "tb1")
    big = PDF + b"0" * (1024 * 1024)
    r = client.post(url(w, w.c1, "/evidence"), data={"code": "B1", "file": (io.BytesIO(big), "big.pdf")},
                    content_type="multipart/form-data", follow_redirects=True)
    assert "文件过大" in r.get_data(as_text=True)
    assert session.exec(select(Evidence)).all() == []


def _submit(client, w, unit, login):
    f.login(client, login)
    client.post(url(w, unit), data={"v_report": "0", "t_summary": f"{unit.name}的总结", "t_problems": "问题",
                                    "v_B1": "0", "f_B1_trainees": "100", "f_B1_students": "1000",
                                    "action": "submit"})
    client.post("/logout")


def test_office_returns_then_publishes_public_page(client, session, w):
    _submit(client, w, w.c1, "tb1")
    f.login(client, "office")
    html = client.get(f"/report/office/cycles/{w.cycle.id}").get_data(as_text=True)
    assert "已提交" in html and "机电工程学院" in html
    report = session.exec(select(SelfReport)).one()
    r = client.post(f"/report/office/cycles/{w.cycle.id}/units/{w.c1.id}/return",
                    data={"version": str(report.version), "comment": "请补充培训名单"}, follow_redirects=True)
    assert "已退回修改" in r.get_data(as_text=True)
    client.post("/logout")
    f.login(client, "tb1")
    html = client.get(url(w, w.c1)).get_data(as_text=True)
    assert "请补充培训名单" in html
    session.commit()
    session.refresh(report)
    client.post(url(w, w.c1), data={"v_report": str(report.version), "t_summary": "补充后的总结", "v_B1": "1",
                                    "f_B1_trainees": "100", "f_B1_students": "1000", "action": "submit"})
    client.post("/logout")
    # not yet published: the public page does not exist
    assert client.get(f"/public/cycles/{w.cycle.id}/reports/{w.c1.id}").status_code == 404
    f.login(client, "office")
    r = client.post(f"/report/office/cycles/{w.cycle.id}/publish-all", follow_redirects=True)
    assert "已公示 1 份报告" in r.get_data(as_text=True)
    client.post("/logout")
    r = client.get(f"/public/cycles/{w.cycle.id}/reports/{w.c1.id}")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "补充后的总结" in html and "社会培训人数" in html and "data-print" in html
    assert "机电工程学院" in client.get(f"/public/cycles/{w.cycle.id}/reports").get_data(as_text=True)
    assert "各单位自查报告" in client.get("/public/").get_data(as_text=True)
    session.commit()
    actions = {a.action for a in session.exec(select(AuditEntry).where(AuditEntry.entity == "self_report"))}
    assert {"create", "update", "submit", "return", "publish"} <= actions


def test_home_task_for_reporter(client, session, w):
    f.login(client, "tb1")
    html = client.get("/").get_data(as_text=True)
    assert "填写并提交机电工程学院自查自评报告" in html


def _close(session, w, kind):
    from datetime import timedelta

    from app.models import Stage
    from app.models.base import utcnow

    stage = session.exec(select(Stage).where(Stage.cycle_id == w.cycle.id, Stage.kind == kind)).one()
    stage.closes_at = utcnow() - timedelta(minutes=1)
    session.add(stage)
    session.commit()


def test_closed_stage_locks_the_page(client, session, w):
    f.login(client, "tb1")
    client.post(url(w, w.c1), data={"v_report": "0", "t_summary": "截止前的内容"})
    _close(session, w, "self_report")
    html = client.get(url(w, w.c1)).get_data(as_text=True)
    assert "不能修改" in html and 'data-editable="0"' in html and "提交报告" not in html
    r = client.post(url(w, w.c1), data={"v_report": "2", "t_summary": "截止后的修改"}, follow_redirects=True)
    assert "已结束" in r.get_data(as_text=True)
    r = client.post(url(w, w.c1, "/autosave"), json={"texts": {"summary": "x"}, "version": 2})
    assert r.status_code == 409 and "已结束" in r.get_json()["message"]
    r = client.post(url(w, w.c1, "/evidence"), data={"code": "B1", "file": (io.BytesIO(PDF), "a.pdf")},
                    content_type="multipart/form-data", follow_redirects=True)
    assert "已结束" in r.get_data(as_text=True)
    session.commit()
    report = session.exec(select(SelfReport)).one()
    session.refresh(report)
    assert report.texts["summary"] == "截止前的内容"
    assert session.exec(select(Evidence)).all() == []


def test_reminders_find_pending_reporters_and_scorers(app, session, w):
    from app.services import reports, scoring
    from app.services.stage_kinds import KINDS, pending_people

    assert KINDS["self_report"].pending is reports.pending_reporters
    assert KINDS["scoring"].pending is scoring.pending_scorers
    people = pending_people(session, w.cycle, "self_report")
    assert {w.tb1.id, w.tb2.id} <= people and w.pf_jwc.id not in people
    assert w.pf_jwc.id in pending_people(session, w.cycle, "scoring")


def test_published_evidence_for_signed_in_readers(client, session, w):
    f.login(client, "tb1")
    client.post(
        url(w, w.c1, "/evidence"),
        data={"code": "B1", "title": "培训名单", "file": (io.BytesIO(PDF), "名单.pdf")},
        content_type="multipart/form-data",
    )
    client.post(url(w, w.c1), data={"v_report": "1", "t_summary": "总结", "action": "submit"})
    client.post("/logout")
    session.commit()
    ev = session.exec(select(Evidence)).one()
    f.login(client, "tb2")
    assert client.get(f"/report/evidence/{ev.id}").status_code == 404  # submitted, not yet published
    client.post("/logout")
    f.login(client, "pf_kjc")  # any scorer may read submitted evidence
    assert client.get(f"/report/evidence/{ev.id}").status_code == 200
    client.post("/logout")
    f.login(client, "office")
    client.post(f"/report/office/cycles/{w.cycle.id}/publish-all")
    client.post("/logout")
    html = client.get(f"/public/cycles/{w.cycle.id}/reports/{w.c1.id}").get_data(as_text=True)
    assert "培训名单" in html and "登录后可下载" in html and f"/report/evidence/{ev.id}" not in html
    f.login(client, "tb2")
    assert client.get(f"/report/evidence/{ev.id}").status_code == 200
