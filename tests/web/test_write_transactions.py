"""On SQLite, transactions that may write start with BEGIN IMMEDIATE (a deferred one that read
first fails at once with "database is locked" when another connection wrote meanwhile); read-only
pages stay deferred so readers never queue behind writers."""

import threading

import pytest
from sqlalchemy import event, text
from sqlmodel import select

from app.extensions import write_bind
from app.models import Unit
from tests.builders import factories as f


@pytest.fixture
def begins(engine):
    if engine.dialect.name != "sqlite":
        pytest.skip("BEGIN IMMEDIATE is SQLite's")
    seen = []

    def listener(conn, cursor, statement, *args):
        if statement.startswith("BEGIN"):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", listener)
    yield seen
    event.remove(engine, "before_cursor_execute", listener)


def test_posts_and_marked_gets_are_writers_plain_gets_are_readers(client, session, begins):
    f.user(session, "boss", roles=["office"])
    session.commit()
    f.login(client, "boss")
    begins.clear()
    client.get("/office/units")
    assert begins and set(begins) == {"BEGIN"}
    begins.clear()
    client.get("/notices")  # marks notices read: a GET that writes
    assert "BEGIN IMMEDIATE" in begins
    begins.clear()
    client.post("/office/units/new", data={"name": "机电工程学院", "category": "college", "subtype": "二级学院"})
    assert "BEGIN IMMEDIATE" in begins


def test_a_write_waits_for_another_writer_instead_of_failing(client, session, engine, begins):
    f.user(session, "boss", roles=["office"])
    session.commit()
    f.login(client, "boss")
    holding, release = threading.Event(), threading.Event()

    def other_writer():
        with write_bind(engine).connect() as conn, conn.begin():
            conn.execute(text("INSERT INTO unit (name, short_name, category, subtype, active, position, created_at) "
                              "VALUES ('先写入的单位', '', 'college', '二级学院', 1, 0, '2026-01-01 00:00:00')"))
            holding.set()
            release.wait(5)

    t = threading.Thread(target=other_writer)
    t.start()
    holding.wait(5)
    threading.Timer(0.5, release.set).start()
    r = client.post("/office/units/new", data={"name": "后写入的单位", "category": "college", "subtype": "二级学院"})
    t.join()
    assert r.status_code == 302
    session.expire_all()
    assert {u.name for u in session.exec(select(Unit))} == {"先写入的单位", "后写入的单位"}
