"""Every route declares who may use it, and every role is refused where it must not go."""

import pytest
from sqlmodel import select

from app.models import ROLE_LABELS, Unit
from app.security import PUBLIC, SIGNED_IN
from tests.builders import factories as f


def _rules(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        yield rule


def _build(rule):
    values = {}
    for arg in rule.arguments:
        conv = rule._converters[arg]
        values[arg] = 1 if conv.__class__.__name__ in ("IntegerConverter", "NumberConverter") else "x"
    return rule.build(values, append_unknown=False)[1]


def test_every_route_declares_its_audience(app):
    missing = [r.endpoint for r in _rules(app) if getattr(app.view_functions[r.endpoint], "allowed", None) is None]
    assert missing == [], f"routes without an access rule: {missing}"


def test_declared_audiences_are_known(app):
    known = set(ROLE_LABELS) | {PUBLIC, SIGNED_IN}
    for rule in _rules(app):
        allowed = app.view_functions[rule.endpoint].allowed
        assert allowed <= known, f"{rule.endpoint} declares unknown audience {allowed - known}"


def test_undeclared_route_is_refused(app, client):
    @app.route("/undeclared-test-route")
    def undeclared():
        return "should not be served"

    assert client.get("/undeclared-test-route").status_code == 403


@pytest.fixture
def people(session):
    dept = f.unit(session, "教务处", category="department")
    college = f.unit(session, "机电工程学院")
    roles = {
        "office": [{"role": "office"}],
        "reporter": [{"role": "reporter", "unit_id": college.id}],
        "scorer": [{"role": "scorer", "unit_id": dept.id}],
        "leader": [{"role": "leader", "leader_rank": "principal"}],
        "group": [{"role": "group"}],
        "voter": [{"role": "voter"}],
    }
    for name, r in roles.items():
        f.user(session, f"p_{name}", roles=r)
    session.commit()
    return roles


def test_each_role_is_refused_where_it_must_not_go(app, people):
    checked = 0
    for role in people:
        client = app.test_client()
        assert f.login(client, f"p_{role}").status_code == 302
        for rule in _rules(app):
            allowed = app.view_functions[rule.endpoint].allowed
            if PUBLIC in allowed or SIGNED_IN in allowed or role in allowed:
                continue
            url = _build(rule)
            method = "GET" if "GET" in rule.methods else "POST"
            resp = client.open(url, method=method)
            assert resp.status_code == 403, f"{role} reached {rule.endpoint} ({method} {url}): {resp.status_code}"
            checked += 1
    assert checked > 10


def test_anonymous_reader_is_sent_to_sign_in(app, client):
    for rule in _rules(app):
        allowed = app.view_functions[rule.endpoint].allowed
        if PUBLIC in allowed:
            continue
        url = _build(rule)
        method = "GET" if "GET" in rule.methods else "POST"
        resp = client.open(url, method=method)
        assert resp.status_code in (302, 401), f"anonymous reached {rule.endpoint}: {resp.status_code}"
        if resp.status_code == 302:
            assert "/login" in resp.headers["Location"]


def test_public_pages_need_no_sign_in(client, session):
    f.cycle(session)
    session.commit()
    assert client.get("/public/").status_code == 200
    assert client.get("/login").status_code == 200
    assert session.exec(select(Unit)).all() == []
