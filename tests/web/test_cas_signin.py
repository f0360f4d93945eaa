"""CAS 3.0 sign-in against the stand-in server (``tests.builders.cas_standin``, real HTTP on loopback):
redirect with the service address, ticket validation at /p3/serviceValidate, matching by 工号,
refused tickets, back-channel single sign-out, logout through CAS."""

from urllib.parse import parse_qs, urlsplit

import pytest
from sqlmodel import Session, select

from app.extensions import db as database
from app.models import LoginSession, LoginThrottle, User
from tests.builders import factories as f

SERVICE = "http://localhost/login/cas"


def _arrange(flask_app, must_change=False):
    with flask_app.app_context(), Session(database.engine, expire_on_commit=False) as s:
        unit = f.unit(s, "教务处", "department")
        zs = f.user(s, "zs_jwc", roles=[{"role": "reporter", "unit_id": unit.id}], must_change=must_change)
        zs.employee_no = "T2001"
        s.add(zs)
        f.user(s, "office", roles=["office"])
        s.commit()
        return zs.id


def _sessions(flask_app):
    with flask_app.app_context(), Session(database.engine) as s:
        return s.exec(select(LoginSession)).all()


def test_the_login_page_offers_cas_only_when_configured(app_factory, cas_server):
    assert "统一身份认证登录" not in app_factory().test_client().get("/login").get_data(as_text=True)
    assert app_factory().test_client().get("/login/cas").status_code == 404
    client = app_factory(CAS_URL=cas_server.url).test_client()
    assert "统一身份认证登录" in client.get("/login").get_data(as_text=True)
    # still offered after a wrong password
    assert "统一身份认证登录" in f.login(client, "nobody", "wrong-pass-1").get_data(as_text=True)


def test_redirect_validate_and_sign_in_by_employee_no(app_factory, cas_server):
    flask_app = app_factory(CAS_URL=cas_server.url)
    zs = _arrange(flask_app)
    client = flask_app.test_client()
    r = client.get("/login/cas?next=/notices")
    assert r.status_code == 302
    target = urlsplit(r.headers["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == cas_server.url + "login"
    assert parse_qs(target.query) == {"service": [SERVICE]}
    ticket = cas_server.issue_ticket("T2001", SERVICE)
    r = client.get(f"/login/cas?ticket={ticket}")
    assert r.status_code == 302 and r.headers["Location"] == "/notices"
    assert cas_server.validations == [(ticket, SERVICE)]
    [sess] = _sessions(flask_app)
    assert (sess.user_id, sess.via, sess.cas_ticket) == (zs, "cas", ticket)
    # roles are the account's: a reporter, not the office
    assert client.get("/notices").status_code == 200
    assert client.get("/office/cycles").status_code == 403


def test_the_employee_no_can_come_from_an_attribute(app_factory, cas_server):
    flask_app = app_factory(CAS_URL=cas_server.url, CAS_EMPLOYEE_NO_ATTR="employeeNumber")
    zs = _arrange(flask_app)
    client = flask_app.test_client()
    client.get("/login/cas")
    assert client.get(f"/login/cas?ticket={cas_server.issue_ticket('zhangsan', SERVICE)}").status_code == 302
    assert [s.user_id for s in _sessions(flask_app)] == [zs]
    body = client.get(f"/login/cas?ticket={cas_server.issue_ticket('lisi', SERVICE)}").get_data(as_text=True)
    assert "本系统中没有工号为 T2002 的账号" in body


def test_a_cas_user_without_an_account_is_refused(app_factory, cas_server):
    flask_app = app_factory(CAS_URL=cas_server.url)
    _arrange(flask_app)
    client = flask_app.test_client()
    body = client.get(f"/login/cas?ticket={cas_server.issue_ticket('lisi', SERVICE)}").get_data(as_text=True)
    assert "统一身份认证已通过，但本系统中没有工号为 lisi 的账号" in body
    assert _sessions(flask_app) == []


@pytest.mark.parametrize("case", ["reused", "wrong_service", "unknown"])
def test_refused_tickets_sign_nobody_in_and_count_against_the_address(app_factory, cas_server, case):
    flask_app = app_factory(CAS_URL=cas_server.url)
    _arrange(flask_app)
    client = flask_app.test_client()
    if case == "reused":
        ticket = cas_server.issue_ticket("T2001", SERVICE)
        assert client.get(f"/login/cas?ticket={ticket}").status_code == 302
        client = flask_app.test_client()
    elif case == "wrong_service":
        ticket = cas_server.issue_ticket("T2001", "http://elsewhere.example.edu/")
    else:
        ticket = "ST-forged"
    before = len(_sessions(flask_app))
    body = client.get(f"/login/cas?ticket={ticket}").get_data(as_text=True)
    assert "统一身份认证票据无效或已过期" in body
    assert len(_sessions(flask_app)) == before
    with flask_app.app_context(), Session(database.engine) as s:
        assert s.get(LoginThrottle, "ip:127.0.0.1").failures == 1


def test_a_cas_outage_leaves_local_sign_in_working(app_factory):
    from tests.builders.campus import free_port

    flask_app = app_factory(CAS_URL=f"http://127.0.0.1:{free_port()}/cas/")
    _arrange(flask_app)
    client = flask_app.test_client()
    body = client.get("/login/cas?ticket=ST-1").get_data(as_text=True)
    assert "统一身份认证服务暂时无法连接" in body
    assert f.login(client, "office").status_code == 302


def test_back_channel_single_sign_out_ends_that_session_only(app_factory, cas_server):
    flask_app = app_factory(CAS_URL=cas_server.url)
    _arrange(flask_app)
    first, second = flask_app.test_client(), flask_app.test_client()
    t1, t2 = cas_server.issue_ticket("T2001", SERVICE), cas_server.issue_ticket("T2001", SERVICE)
    first.get(f"/login/cas?ticket={t1}")
    second.get(f"/login/cas?ticket={t2}")
    assert first.get("/notices").status_code == 200
    # the CAS server's POST carries no CSRF token and no cookie
    r = flask_app.test_client().post("/login/cas", data={"logoutRequest": cas_server.logout_request_xml(t1)})
    assert r.status_code == 200
    assert [s.cas_ticket for s in _sessions(flask_app)] == [t2]
    r = first.get("/notices")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    assert second.get("/notices").status_code == 200


@pytest.mark.parametrize("payload", [
    "not xml at all",
    '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
    '<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">'
    "<samlp:SessionIndex>&e;</samlp:SessionIndex></samlp:LogoutRequest>",
    '<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"></samlp:LogoutRequest>',
])
def test_a_bad_logout_request_ends_nothing(app_factory, cas_server, payload):
    flask_app = app_factory(CAS_URL=cas_server.url)
    _arrange(flask_app)
    client = flask_app.test_client()
    client.get(f"/login/cas?ticket={cas_server.issue_ticket('T2001', SERVICE)}")
    assert flask_app.test_client().post("/login/cas", data={"logoutRequest": payload}).status_code == 400
    assert len(_sessions(flask_app)) == 1


def test_logout_of_a_cas_session_goes_on_to_cas_logout(app_factory, cas_server):
    flask_app = app_factory(CAS_URL=cas_server.url)
    _arrange(flask_app)
    client = flask_app.test_client()
    client.get(f"/login/cas?ticket={cas_server.issue_ticket('T2001', SERVICE)}")
    r = client.post("/logout")
    assert r.status_code == 302
    assert r.headers["Location"] == cas_server.url + "logout?service=http%3A%2F%2Flocalhost%2Flogin"
    assert _sessions(flask_app) == []
    # a local sign-in logs out locally, as before
    f.login(client, "office")
    assert client.post("/logout").headers["Location"] == "/login"


def test_a_campus_sign_in_is_not_sent_to_change_the_initial_password(app_factory, cas_server):
    flask_app = app_factory(CAS_URL=cas_server.url)
    zs = _arrange(flask_app, must_change=True)
    client = flask_app.test_client()
    r = client.get(f"/login/cas?ticket={cas_server.issue_ticket('T2001', SERVICE)}")
    assert r.headers["Location"] == "/"
    assert client.get("/notices").status_code == 200
    # the same account with its local initial password still must change it first
    local = flask_app.test_client()
    r = f.login(local, "zs_jwc")
    assert r.headers["Location"] == "/account/password"
    assert local.get("/notices").headers["Location"].endswith("/account/password")
    with flask_app.app_context(), Session(database.engine) as s:
        assert s.get(User, zs).must_change_password
