"""Sign-in sessions end: after the idle timeout (default 2 h), after the absolute lifetime
(default 12 h) whatever the activity; activity moves the idle limit; the scheduler deletes the
ended rows; a vote code's ballot session is short. Times are moved by rewriting the rows (and
the clock of the ballot session)."""

import re
from datetime import timedelta

from sqlmodel import select

from app import create_app
from app.jobs import JOBS, load_jobs
from app.models import LoginSession
from app.models.base import utcnow
from app.models.voting import Ballot
from tests.builders import factories as f
from tests.web.test_voting_web import TOKEN, _count, _open_ballot, _valid, setup  # noqa: F401  (fixture)


def _signed_in(client, session, name="anna"):
    f.user(session, name, roles=["office"])
    session.commit()
    assert f.login(client, name).status_code == 302
    session.expire_all()
    return session.exec(select(LoginSession)).one()


def _move(session, sess_id, *, created=None, seen=None):
    """Move the sign-in's start and last activity into the past by the given timedeltas."""
    session.expire_all()
    row = session.get(LoginSession, sess_id)
    now = utcnow()
    if created is not None:
        row.created_at = now - created
    if seen is not None:
        row.last_seen_at = now - seen
    session.add(row)
    session.commit()


def test_defaults_are_two_hours_idle_and_twelve_hours_in_all(app):
    assert app.config["SESSION_IDLE_MINUTES"] == 120 and app.config["SESSION_MAX_HOURS"] == 12


def test_idle_session_ends(client, session):
    sess = _signed_in(client, session)
    _move(session, sess.id, created=timedelta(minutes=119), seen=timedelta(minutes=119))
    assert client.get("/notices").status_code == 200  # 1 minute left
    _move(session, sess.id, seen=timedelta(minutes=121))
    r = client.get("/notices")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    assert "登录已超时" in client.get("/login").get_data(as_text=True)


def test_activity_moves_the_idle_limit(client, session):
    sess = _signed_in(client, session)
    _move(session, sess.id, created=timedelta(minutes=100), seen=timedelta(minutes=100))
    assert client.get("/notices").status_code == 200  # a read-only page records the activity
    session.expire_all()
    seen = session.get(LoginSession, sess.id).last_seen_at
    assert utcnow() - seen < timedelta(minutes=1)
    _move(session, sess.id, seen=timedelta(minutes=100))
    assert client.post("/office/units/new", data={}).status_code in (200, 302)  # a write records it too
    session.expire_all()
    assert utcnow() - session.get(LoginSession, sess.id).last_seen_at < timedelta(minutes=1)


def test_absolute_lifetime_ends_an_active_session(client, session):
    sess = _signed_in(client, session)
    _move(session, sess.id, created=timedelta(hours=11, minutes=59), seen=timedelta(0))
    assert client.get("/notices").status_code == 200
    _move(session, sess.id, created=timedelta(hours=12, minutes=1), seen=timedelta(0))
    assert client.get("/notices").status_code == 302


def test_limits_come_from_the_configuration(schema, tmp_path, monkeypatch):
    from config import TestConfig

    class Short(TestConfig):
        DATABASE_URL = schema
        UPLOAD_FOLDER = str(tmp_path)
        SESSION_IDLE_MINUTES = 10
        SESSION_MAX_HOURS = 1

    app = create_app(Short)
    from sqlmodel import Session

    from app.extensions import db

    with app.app_context(), Session(db.engine) as s:
        from tests.conftest import _wipe

        _wipe(db.engine)
        bert = f.user(s, "bert", roles=["office"])
        s.commit()
        client = app.test_client()
        assert f.login(client, "bert").status_code == 302
        row = s.exec(select(LoginSession).where(LoginSession.user_id == bert.id)).one()
        row.last_seen_at = utcnow() - timedelta(minutes=11)
        s.add(row)
        s.commit()
        assert client.get("/notices").status_code == 302


def test_the_scheduler_deletes_ended_sessions(app, client, session):
    live = _signed_in(client, session)
    idle = f.user(session, "idle", roles=["office"])
    old = f.user(session, "old", roles=["office"])
    session.commit()
    assert f.login(app.test_client(), "idle").status_code == 302
    assert f.login(app.test_client(), "old").status_code == 302
    session.expire_all()
    of = {s.user_id: s.id for s in session.exec(select(LoginSession))}
    _move(session, of[idle.id], seen=timedelta(hours=3))
    _move(session, of[old.id], created=timedelta(hours=13), seen=timedelta(minutes=1))
    load_jobs()
    with app.app_context():
        from sqlmodel import Session

        from app.extensions import db

        with Session(db.engine) as s:
            assert JOBS["sessions_expire"](s, utcnow()) == "清理过期登录 2 个"
            s.commit()
    session.expire_all()
    assert [r.id for r in session.exec(select(LoginSession))] == [live.id]


def test_a_ballot_session_is_short(setup, monkeypatch):  # noqa: F811
    import app.web.vote.routes as vote_routes

    o = setup
    c, r = _open_ballot(o, o.codes[3])
    token = TOKEN.search(r.text).group(1)
    real = vote_routes.time.time
    monkeypatch.setattr(vote_routes.time, "time", lambda: real() + 31 * 60)
    r = c.post("/v/ballot", data={**_valid(o), "csrf_token": token})
    assert r.status_code == 409 and "测评页面已超时" in r.text
    assert _count(o, Ballot) == 0
    monkeypatch.setattr(vote_routes.time, "time", real)
    c, r = _open_ballot(o, o.codes[3])  # the code is still unspent
    token = TOKEN.search(r.text).group(1)
    r = c.post("/v/ballot", data={**_valid(o), "csrf_token": token})
    assert r.status_code == 200 and re.search(r'id="receipt">', r.text)
