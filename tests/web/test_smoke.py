from tests.builders import factories as f


def test_login_page_renders(client):
    r = client.get("/login")
    assert r.status_code == 200
    assert "登录" in r.get_data(as_text=True)


def test_office_signs_in_and_sees_home(client, session):
    f.user(session, "boss", roles=["office"])
    session.commit()
    r = f.login(client, "boss")
    assert r.status_code == 302
    r = client.get("/")
    assert r.status_code == 200
    assert "您好" in r.get_data(as_text=True)
