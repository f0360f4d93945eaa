"""Sign-in: hashing, throttling, sessions that really end, password change, CSRF."""

import re

from sqlmodel import select

from app.models import AuditEntry, LoginSession, User
from tests.builders import factories as f


def test_password_is_stored_as_argon2id(session):
    user = f.user(session, "anna")
    session.commit()
    assert user.password_hash.startswith("$argon2id$")
    assert f.PASSWORD not in user.password_hash


def test_wrong_password_is_refused_with_message(client, session):
    f.user(session, "anna")
    session.commit()
    r = f.login(client, "anna", "wrong-password")
    assert r.status_code == 200
    assert "用户名或密码错误" in r.get_data(as_text=True)
    assert client.get("/notices").status_code == 302  # still signed out


def test_failed_sign_ins_are_throttled(client, session):
    f.user(session, "anna")
    session.commit()
    for _ in range(5):
        f.login(client, "anna", "nope-nope1")
    r = f.login(client, "anna")  # the right password, but locked now
    assert "登录失败次数过多" in r.get_data(as_text=True)
    assert client.get("/notices").status_code == 302


def test_logout_really_ends_the_session(app, session):
    f.user(session, "anna", roles=["office"])
    session.commit()
    client = app.test_client()
    f.login(client, "anna")
    assert client.get("/office/cycles").status_code == 200
    stolen = client.get_cookie("session").value
    assert client.post("/logout").status_code == 302
    assert session.exec(select(LoginSession)).all() == []
    replay = app.test_client()
    replay.set_cookie("session", stolen)
    r = replay.get("/office/cycles")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_change_password_signs_out_other_browsers(app, session):
    f.user(session, "anna")
    session.commit()
    first, second = app.test_client(), app.test_client()
    f.login(first, "anna")
    f.login(second, "anna")
    r = first.post("/account/password", data={"current_password": f.PASSWORD, "new_password": "newpass123",
                                             "confirm": "newpass123"})
    assert r.status_code == 302
    assert first.get("/notices").status_code == 200
    assert second.get("/notices").status_code == 302
    assert f.login(app.test_client(), "anna", "newpass123").status_code == 302
    assert session.exec(select(AuditEntry).where(AuditEntry.action == "change_password")).first() is not None


def test_weak_new_password_is_refused(client, session):
    f.user(session, "anna")
    session.commit()
    f.login(client, "anna")
    r = client.post("/account/password", data={"current_password": f.PASSWORD, "new_password": "12345678",
                                                "confirm": "12345678"})
    assert "字母和数字" in r.get_data(as_text=True)
    session.expire_all()
    assert f.login(client, "anna", f.PASSWORD).status_code in (200, 302)


def test_must_change_password_first(client, session):
    f.user(session, "anna", roles=["office"], must_change=True)
    session.commit()
    r = f.login(client, "anna")
    assert r.headers["Location"].endswith("/account/password")
    r = client.get("/office/cycles")
    assert r.status_code == 302 and r.headers["Location"].endswith("/account/password")


def test_open_redirect_is_ignored(client, session):
    f.user(session, "anna")
    session.commit()
    r = client.post("/login?next=https://evil.example/", data={"username": "anna", "password": f.PASSWORD})
    assert r.headers["Location"] == "/"


def test_csrf_is_required_on_forms(csrf_app, schema):
    from sqlmodel import Session

    from app.extensions import db

    with csrf_app.app_context(), Session(db.engine_for(schema)) as s:
        f.user(s, "anna", roles=["office"])
        s.commit()
    client = csrf_app.test_client()
    r = client.post("/login", data={"username": "anna", "password": f.PASSWORD})
    assert r.status_code == 400
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    r = client.post("/login", data={"username": "anna", "password": f.PASSWORD, "csrf_token": token})
    assert r.status_code == 302
    # a signed-in POST without the token changes nothing
    r = client.post("/office/units/new", data={"name": "新单位", "category": "college", "subtype": "二级学院"})
    assert r.status_code == 400
    with csrf_app.app_context(), Session(db.engine_for(schema)) as s:
        assert s.exec(select(User)).first().username == "anna"
