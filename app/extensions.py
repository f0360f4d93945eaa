"""Extensions: sign-in, CSRF, and the database engine with its request-scoped session.

One transaction per request: views and services only ``flush``; the session is committed once
after a successful response (status < 400) and rolled back otherwise.

On SQLite a transaction that reads first and writes later fails at once with "database is
locked" when another connection wrote in between (its snapshot is stale; the busy timeout does
not help). So every transaction that may write starts with ``BEGIN IMMEDIATE`` and waits its
turn: requests other than GET/HEAD/OPTIONS, GET views marked with :func:`writes`, and every
session opened on :func:`write_bind` (CLI commands, jobs). Read-only GETs stay deferred, so
readers never queue behind writers; views that write through their own short transactions (the
ballot box) are marked with :func:`own_transactions`. Callbacks registered with
:func:`after_commit` (e-mails, notices that must not precede the data) run after that commit.
"""

import os
import sqlite3
import threading

from flask import Flask, current_app, g, has_request_context, request
from flask_login import LoginManager
from flask_wtf import CSRFProtect
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "请先登录。"
login_manager.login_message_category = "warning"
login_manager.session_protection = "basic"

csrf = CSRFProtect()


class Database:
    """Holds one engine per process (created after a fork, as gunicorn needs)."""

    def __init__(self) -> None:
        self._engines: dict[tuple[int, str], Engine] = {}
        self._lock = threading.Lock()

    def init_app(self, app: Flask) -> None:
        app.extensions["kpi_db"] = self
        app.teardown_appcontext(self._teardown)
        # Also at the end of every request: an app context may outlive a request (tests push
        # one around several requests), and no request may see another's session or user.
        app.teardown_request(self._teardown_request)
        if os.environ.get("KPI_COUNT_SQL") == "1":
            count_sql(app)  # registered first, so it runs after the commit below
        app.after_request(self._commit_after_request)

    def engine_for(self, url: str) -> Engine:
        key = (os.getpid(), url)
        engine = self._engines.get(key)
        if engine is None:
            with self._lock:
                engine = self._engines.get(key)
                if engine is None:
                    engine = make_engine(url)
                    self._engines[key] = engine
        return engine

    @property
    def engine(self) -> Engine:
        return self.engine_for(current_app.config["DATABASE_URL"])

    @property
    def writer(self) -> Engine:
        """The engine for sessions that write (see the module docstring)."""
        return write_bind(self.engine)

    def session(self) -> Session:
        if "db_session" not in g:
            bind = self.writer if _request_may_write() else self.engine
            g.db_session = Session(bind, expire_on_commit=False)
            g.after_commit = []
        return g.db_session

    def commit(self) -> None:
        session = g.pop("db_session", None)
        callbacks = g.pop("after_commit", [])
        if session is None:
            return
        try:
            session.commit()
        finally:
            session.close()
        for callback in callbacks:
            try:
                callback()
            except Exception:  # a failed notification must not undo the committed work
                current_app.logger.exception("after-commit callback failed")

    def rollback(self) -> None:
        session = g.get("db_session")
        if session is not None:
            session.rollback()
            g.after_commit = []

    def _commit_after_request(self, response):
        if "db_session" in g:
            if response.status_code < 400:
                self.commit()
            else:
                self.rollback()
        return response

    def _teardown_request(self, exc) -> None:
        self._teardown(exc)
        g.pop("_login_user", None)

    def _teardown(self, exc) -> None:
        session = g.pop("db_session", None)
        g.pop("after_commit", None)
        if session is not None:
            if exc is not None:
                session.rollback()
            session.close()

    def dispose_all(self) -> None:
        for engine in self._engines.values():
            engine.dispose()
        self._engines.clear()


db = Database()


def write_bind(engine: Engine) -> Engine:
    """``engine`` whose transactions start with BEGIN IMMEDIATE on SQLite (unchanged elsewhere)."""
    if engine.dialect.name == "sqlite":
        return engine.execution_options(sqlite_begin="immediate")
    return engine


def writes(view):
    """Mark a GET view that writes (e.g. marks notices read), so its transaction is a writer's."""
    view.writes = True
    return view


def own_transactions(view):
    """Mark a view that writes only through its own short transactions (the ballot box): its
    request session just reads and must not hold SQLite's write lock while they run."""
    view.writes = False
    return view


def _request_may_write() -> bool:
    if not has_request_context():
        return True
    view = current_app.view_functions.get(request.endpoint or "")
    declared = getattr(view, "writes", None)
    if declared is not None:
        return declared
    return request.method not in ("GET", "HEAD", "OPTIONS")


def get_db() -> Session:
    """The request's (or app context's) session."""
    return db.session()


def after_commit(callback) -> None:
    """Run ``callback`` once the current request's transaction has been committed."""
    db.session()
    g.after_commit.append(callback)


SQL_COUNT_HEADER = "X-SQL-Count"


def _count_statement(*_args) -> None:
    if has_request_context():
        g.sql_count = g.get("sql_count", 0) + 1


def count_sql(app: Flask) -> None:
    """Benchmarks only (``KPI_COUNT_SQL=1``, bench/bench_pages.py): every response carries the
    number of SQL statements its request executed in the ``X-SQL-Count`` header."""

    if not event.contains(Engine, "before_cursor_execute", _count_statement):
        event.listen(Engine, "before_cursor_execute", _count_statement)

    @app.after_request
    def _header(response):
        response.headers[SQL_COUNT_HEADER] = str(g.get("sql_count", 0))
        return response


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        from sqlalchemy.pool import NullPool, StaticPool

        if url in ("sqlite://", "sqlite:///:memory:"):
            engine = create_engine(url, connect_args={"check_same_thread": False}, poolclass=StaticPool)
        else:
            path = url.split("sqlite:///", 1)[-1]
            if path and not path.startswith(":"):
                os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
            engine = create_engine(
                url,
                connect_args={"check_same_thread": False, "timeout": 30, "isolation_level": None},
                poolclass=NullPool if os.environ.get("KPI_SQLITE_NULLPOOL") else None,
            )
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


def _configure_sqlite(engine: Engine) -> None:
    """WAL, foreign keys and a busy timeout on every connection; explicit BEGIN so that
    write transactions can be opened with ``BEGIN IMMEDIATE`` (see :func:`begin_immediate`)."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        if isinstance(dbapi_conn, sqlite3.Connection):
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        mode = conn.info.pop("begin_mode", None) or conn.get_execution_options().get("sqlite_begin")
        conn.exec_driver_sql("BEGIN IMMEDIATE" if mode == "immediate" else "BEGIN")


def is_sqlite(engine_or_session) -> bool:
    bind = getattr(engine_or_session, "bind", None) or engine_or_session
    return bind.dialect.name == "sqlite"
