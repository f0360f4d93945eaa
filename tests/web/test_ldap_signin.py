"""Sign-in through the campus directory, against a real OpenLDAP server (the ``slapd`` fixture):
bind pattern and search-then-bind, StartTLS and ldaps with a CA file, matching by 工号, local
accounts first and unaffected by an outage, the throttle, filter escaping, no roles granted."""

import pytest
from sqlmodel import select

from app.models import LoginSession, LoginThrottle
from tests.builders import campus as cs
from tests.builders import factories as f

PATTERN = f"uid={{username}},ou=people,{cs.BASE_DN}"


def _search_config(server, **extra):
    return {"LDAP_URL": server.url, "LDAP_BASE_DN": cs.BASE_DN, "LDAP_BIND_DN": cs.SERVICE_DN,
            "LDAP_BIND_PASSWORD": cs.SERVICE_PW, "LDAP_STARTTLS": True, "LDAP_CA_FILE": str(server.certs.ca), **extra}


def _signed_in_user_id(flask_app, client):
    from app.extensions import db

    with flask_app.app_context():
        with client.session_transaction() as sess:
            sid = sess.get("_user_id")
        row = db.session().get(LoginSession, sid) if sid else None
        return row.user_id if row else None


def _arrange(flask_app):
    from sqlmodel import Session

    from app.extensions import db

    with flask_app.app_context(), Session(db.engine, expire_on_commit=False) as s:
        office = f.user(s, "office", roles=["office"])
        s.flush()
        office.employee_no = "T0001"
        u = f.unit(s, "教务处", "department")
        zs = f.user(s, "zs_jwc", roles=[{"role": "reporter", "unit_id": u.id}])
        zs.employee_no = "T2001"
        bare = f.user(s, "nobody_roles")
        bare.employee_no = "T2005"
        s.add_all([office, zs, bare])
        s.commit()
        return {"office": office.id, "zs": zs.id, "bare": bare.id}


@pytest.mark.parametrize("mode", ["bind_pattern", "search_starttls", "ldaps"])
def test_directory_user_signs_in_as_the_account_with_their_employee_no(slapd, app_factory, mode):
    if mode == "bind_pattern":
        cfg = {"LDAP_URL": slapd.url, "LDAP_BIND_PATTERN": PATTERN}
    elif mode == "search_starttls":
        cfg = _search_config(slapd)
    else:
        cfg = _search_config(slapd, LDAP_URL=slapd.ldaps_url, LDAP_STARTTLS=False)
    flask_app = app_factory(**cfg)
    ids = _arrange(flask_app)
    client = flask_app.test_client()
    r = f.login(client, "zhangsan", "campus-pass-1")
    assert r.status_code == 302, r.get_data(as_text=True)
    assert _signed_in_user_id(flask_app, client) == ids["zs"]
    # the reporter's own page opens; the office's does not (the directory grants no role)
    assert client.get("/office/cycles").status_code == 403


def test_search_finds_people_outside_the_bind_pattern_and_roles_come_only_from_the_account(slapd, app_factory):
    flask_app = app_factory(**_search_config(slapd))
    ids = _arrange(flask_app)
    client = flask_app.test_client()
    assert f.login(client, "zhaoliu", "campus-pass-5").status_code == 302
    assert _signed_in_user_id(flask_app, client) == ids["bare"]
    assert client.get("/office/cycles").status_code == 403
    # with the bind pattern the same person (ou=alumni) is unknown
    other = app_factory(LDAP_URL=slapd.url, LDAP_BIND_PATTERN=PATTERN)
    _arrange(other)
    r = f.login(other.test_client(), "zhaoliu", "campus-pass-5")
    assert "用户名或密码错误" in r.get_data(as_text=True)


def test_directory_user_without_an_account_is_refused_with_the_employee_no(slapd, app_factory):
    flask_app = app_factory(**_search_config(slapd))
    _arrange(flask_app)
    client = flask_app.test_client()
    body = f.login(client, "lisi", "campus-pass-2").get_data(as_text=True)
    assert "本系统中没有工号为 T2002 的账号" in body and "请联系目标办开通账号" in body
    assert _signed_in_user_id(flask_app, client) is None
    body = f.login(client, "wangwu", "campus-pass-3").get_data(as_text=True)
    assert "未提供您的工号" in body
    assert _signed_in_user_id(flask_app, client) is None


def test_a_deactivated_account_stays_out(slapd, app_factory):
    flask_app = app_factory(**_search_config(slapd))
    ids = _arrange(flask_app)
    from sqlmodel import Session

    from app.extensions import db
    from app.models import User

    with flask_app.app_context(), Session(db.engine) as s:
        user = s.get(User, ids["zs"])
        user.active = False
        s.add(user)
        s.commit()
    client = flask_app.test_client()
    assert "该账号已停用" in f.login(client, "zhangsan", "campus-pass-1").get_data(as_text=True)
    assert _signed_in_user_id(flask_app, client) is None


def test_local_password_comes_first_and_the_campus_name_office_is_someone_else(slapd, app_factory):
    flask_app = app_factory(**_search_config(slapd))
    ids = _arrange(flask_app)
    client = flask_app.test_client()
    assert f.login(client, "office").status_code == 302  # the local password of the local account
    assert _signed_in_user_id(flask_app, client) == ids["office"]
    # the campus account named "office" has 工号 T2009, which no product account has
    other = flask_app.test_client()
    body = f.login(other, "office", "campus-pass-4").get_data(as_text=True)
    assert "没有工号为 T2009 的账号" in body


def test_a_directory_outage_does_not_lock_out_local_accounts(slapd, app_factory):
    down = cs.free_port()  # nothing listens there
    flask_app = app_factory(**_search_config(slapd, LDAP_URL=f"ldap://127.0.0.1:{down}"))
    ids = _arrange(flask_app)
    client = flask_app.test_client()
    body = f.login(client, "zhangsan", "campus-pass-1").get_data(as_text=True)
    assert "统一身份认证服务暂时无法连接" in body and "本地账号不受影响" in body
    assert f.login(client, "office").status_code == 302
    assert _signed_in_user_id(flask_app, client) == ids["office"]


@pytest.mark.parametrize("ldaps", [True, False])
def test_an_untrusted_directory_certificate_is_an_outage_not_a_sign_in(slapd, app_factory, ldaps):
    # no CA file: the system's CAs do not know the test CA, so TLS (ldaps or StartTLS) must fail
    url = slapd.ldaps_url if ldaps else slapd.url
    flask_app = app_factory(**_search_config(slapd, LDAP_URL=url, LDAP_STARTTLS=not ldaps, LDAP_CA_FILE=None))
    _arrange(flask_app)
    client = flask_app.test_client()
    body = f.login(client, "zhangsan", "campus-pass-1").get_data(as_text=True)
    assert "统一身份认证服务暂时无法连接" in body
    assert _signed_in_user_id(flask_app, client) is None


def test_wrong_campus_passwords_are_throttled(slapd, app_factory):
    flask_app = app_factory(**_search_config(slapd))
    _arrange(flask_app)
    client = flask_app.test_client()
    for _ in range(5):
        assert "用户名或密码错误" in f.login(client, "zhangsan", "wrong-pass-9").get_data(as_text=True)
    body = f.login(client, "zhangsan", "campus-pass-1").get_data(as_text=True)
    assert "登录失败次数过多" in body
    assert _signed_in_user_id(flask_app, client) is None
    from sqlmodel import Session

    from app.extensions import db

    with flask_app.app_context(), Session(db.engine) as s:
        assert s.get(LoginThrottle, "u:zhangsan").failures == 5


@pytest.mark.parametrize("name", ["*", "zhangsan)(uid=*", "*)(|(uid=*", "uid=zhangsan,ou=people"])
def test_filter_and_dn_characters_in_the_name_are_escaped(slapd, app_factory, name):
    for cfg in (_search_config(slapd), {"LDAP_URL": slapd.url, "LDAP_BIND_PATTERN": PATTERN}):
        flask_app = app_factory(**cfg)
        _arrange(flask_app)
        client = flask_app.test_client()
        body = f.login(client, name, "campus-pass-1").get_data(as_text=True)
        assert "用户名或密码错误" in body
        assert _signed_in_user_id(flask_app, client) is None


def test_an_empty_password_never_binds(slapd, app_factory):
    from app.services import directory

    flask_app = app_factory(LDAP_URL=slapd.url, LDAP_BIND_PATTERN=PATTERN)
    with flask_app.app_context():
        assert directory.check_password("zhangsan", "") is None
        assert directory.check_password("zhangsan", "campus-pass-1").employee_no == "T2001"


def test_without_a_directory_nothing_changes(app_factory, session):
    flask_app = app_factory()
    with flask_app.app_context():
        from app.services import directory

        assert not directory.configured()
    _arrange(flask_app)
    client = flask_app.test_client()
    assert "用户名或密码错误" in f.login(client, "zhangsan", "campus-pass-1").get_data(as_text=True)
    assert session.exec(select(LoginSession)).all() == []


def test_a_directory_sign_in_is_not_sent_to_change_the_initial_password(slapd, app_factory):
    from sqlmodel import Session

    from app.extensions import db
    from app.models import User

    flask_app = app_factory(**_search_config(slapd))
    ids = _arrange(flask_app)
    with flask_app.app_context(), Session(db.engine) as s:
        user = s.get(User, ids["zs"])
        user.must_change_password = True
        s.add(user)
        s.commit()
    client = flask_app.test_client()
    assert f.login(client, "zhangsan", "campus-pass-1").headers["Location"] == "/"
    assert client.get("/notices").status_code == 200
    local = flask_app.test_client()
    assert f.login(local, "zs_jwc").headers["Location"] == "/account/password"
