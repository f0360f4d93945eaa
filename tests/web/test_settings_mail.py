"""The office's settings page: a test message goes through the mail queue (the request only
records it, the mail job sends it to a real SMTP server) and the page shows the outcome; the
account page keeps an e-mail address and a 工号."""

from sqlmodel import Session, select

from app.extensions import db as database
from app.models import AuditEntry, Notice, User
from app.models.base import utcnow
from app.services import mail
from tests.builders import factories as f


def _office(flask_app, email="office@example.edu"):
    with flask_app.app_context(), Session(database.engine, expire_on_commit=False) as s:
        u = f.user(s, "office", roles=["office"])
        u.email = email
        s.add(u)
        s.commit()
        return u.id


def test_test_mail_is_queued_by_the_request_and_sent_by_the_job(app_factory, smtp_server):
    flask_app = app_factory(**smtp_server.config())
    office_id = _office(flask_app)
    client = flask_app.test_client()
    f.login(client, "office")
    page = client.get("/office/settings").get_data(as_text=True)
    assert f"127.0.0.1:{smtp_server.port}" in page and "STARTTLS" in page
    assert "mail-secret-1" not in page  # never the password
    r = client.post("/office/settings/test-mail", follow_redirects=True)
    body = r.get_data(as_text=True)
    assert "测试邮件已排队，发往 office@example.edu" in body
    assert "待发送" in body and 'http-equiv="refresh"' in body
    assert smtp_server.messages == []  # the web request sent nothing
    with flask_app.app_context(), Session(database.writer) as s:
        [n] = s.exec(select(Notice)).all()
        assert (n.user_id, n.email_status) == (office_id, "pending")
        assert s.exec(select(AuditEntry).where(AuditEntry.action == "test_mail")).one().user_id == office_id
        assert mail.send_pending(s, now=utcnow()).sent == 1
    body = client.get("/office/settings").get_data(as_text=True)
    assert "已发送" in body and 'http-equiv="refresh"' not in body
    [msg] = smtp_server.messages
    assert msg["To"] == "office@example.edu" and msg["Subject"] == "综合目标考核系统测试邮件"


def test_test_mail_refused_without_a_server_or_an_address(app_factory, smtp_server):
    plain = app_factory()
    _office(plain)
    client = plain.test_client()
    f.login(client, "office")
    assert "未配置邮件服务器" in client.get("/office/settings").get_data(as_text=True)
    body = client.post("/office/settings/test-mail", follow_redirects=True).get_data(as_text=True)
    assert "尚未配置邮件服务器（KPI_SMTP_HOST）" in body
    flask_app = app_factory(**smtp_server.config())
    _office(flask_app, email=None)
    client = flask_app.test_client()
    f.login(client, "office")
    body = client.post("/office/settings/test-mail", follow_redirects=True).get_data(as_text=True)
    assert "没有填写电子邮箱" in body
    with flask_app.app_context(), Session(database.engine) as s:
        assert s.exec(select(Notice)).all() == []


def test_settings_are_for_the_office_only(client, session):
    f.user(session, "tb", roles=["voter"])
    session.commit()
    f.login(client, "tb")
    assert client.get("/office/settings").status_code == 403
    assert client.post("/office/settings/test-mail").status_code == 403


def test_the_account_page_keeps_email_and_employee_no(client, session):
    f.user(session, "office", roles=["office"])
    other = f.user(session, "zs")
    taken = f.user(session, "ls")
    taken.employee_no = "T2002"
    session.add(taken)
    session.commit()
    f.login(client, "office")
    r = client.post(f"/office/users/{other.id}/profile", data={"display_name": "张三", "email": "zs@example.edu",
                                                               "employee_no": " T2001 "}, follow_redirects=True)
    assert "已保存" in r.get_data(as_text=True)
    session.expire_all()
    zs = session.get(User, other.id)
    assert (zs.display_name, zs.email, zs.employee_no) == ("张三", "zs@example.edu", "T2001")
    # a 工号 another account has: refused, nothing changes
    r = client.post(f"/office/users/{other.id}/profile", data={"display_name": "张三丰", "email": "",
                                                               "employee_no": "T2002"}, follow_redirects=True)
    assert "工号「T2002」已被其他账号使用" in r.get_data(as_text=True)
    session.expire_all()
    zs = session.get(User, other.id)
    assert (zs.display_name, zs.employee_no) == ("张三", "T2001")
    # a new account with a 工号 from the users page
    r = client.post("/office/users/new", data={"username": "ww", "display_name": "王五", "employee_no": "T2003",
                                               "password": "initial123", "unit_id": 0})
    assert r.status_code == 302
    session.expire_all()
    assert session.exec(select(User).where(User.username == "ww")).one().employee_no == "T2003"
