"""Lockout cannot lock the owner out: failures lock the address (for that name, or for every name
past the per-address limit), never the name itself; repeated failures are logged and shown to
the office on the audit page."""

from sqlmodel import select

from app.models import AuditEntry
from tests.builders import factories as f

ATTACKER = {"REMOTE_ADDR": "10.9.9.9"}
OWNER = {"REMOTE_ADDR": "10.1.1.1"}


def _login(client, name, password, env):
    return client.post("/login", data={"username": name, "password": password}, environ_base=env)


def test_failures_elsewhere_do_not_lock_the_owner_out(app, session):
    f.user(session, "office", roles=["office"])
    session.commit()
    attacker = app.test_client()
    for _ in range(7):
        _login(attacker, "office", "guess-1234", ATTACKER)
    r = _login(attacker, "office", f.PASSWORD, ATTACKER)  # even the right password: that address is locked
    assert "登录失败次数过多" in r.get_data(as_text=True)
    assert attacker.get("/notices").status_code == 302
    owner = app.test_client()
    r = _login(owner, "office", f.PASSWORD, OWNER)
    assert r.status_code == 302 and owner.get("/notices").status_code == 200


def test_the_per_address_throttle_stays(app, session):
    f.user(session, "tb_jd", roles=["office"])
    session.commit()
    attacker = app.test_client()
    for i in range(30):
        _login(attacker, f"tb_unit{i}", "guess-1234", ATTACKER)  # 30 names, one try each
    r = _login(attacker, "tb_jd", f.PASSWORD, ATTACKER)
    assert "登录失败次数过多" in r.get_data(as_text=True)
    assert _login(app.test_client(), "tb_jd", f.PASSWORD, OWNER).status_code == 302


def test_repeated_failures_are_logged_and_shown_to_the_office(app, session):
    owner = f.user(session, "office", roles=["office"])
    session.commit()
    attacker = app.test_client()
    for _ in range(5):
        _login(attacker, "office", "guess-1234", ATTACKER)
    for _ in range(5):
        _login(attacker, "tb_nobody", "guess-1234", {"REMOTE_ADDR": "10.9.9.10"})
    session.expire_all()
    entries = session.exec(select(AuditEntry).where(AuditEntry.action == "login_failures")).all()
    assert {(e.entity_id, e.new_value["username"], e.new_value["failures"]) for e in entries} == {
        (str(owner.id), "office", 5), (None, "tb_nobody", 5)}
    office = app.test_client()
    assert _login(office, "office", f.PASSWORD, OWNER).status_code == 302
    page = office.get("/office/audit").get_data(as_text=True)
    assert "登录失败提醒" in page
    card = page.split('id="login-failures"', 1)[1].split("</section>", 1)[0]
    assert "账号「office」" in card and "账号「tb_nobody」" in card
    assert "10.9.9.9（账号「office」）" in card and "暂停登录至" in card
