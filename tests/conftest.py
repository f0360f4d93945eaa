"""Test fixtures: a fresh database per test, on SQLite (default) or on the PostgreSQL server
named by KPI_TEST_DATABASE_URL (``make test`` starts one). With pytest-xdist each worker gets
its own database."""

import os
import shutil

import pytest
from sqlalchemy import text
from sqlmodel import Session, SQLModel

import app.models
from app import create_app
from app.extensions import db as database
from app.extensions import make_engine
from config import TestConfig
from tests.builders.databases import PG_ADMIN_URL, PG_URL, create_pg_database, drop_pg_database

app.models.load_all()


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def db_url(tmp_path_factory):
    if PG_URL:
        if not PG_ADMIN_URL:
            yield PG_URL
            return
        name = f"kpi_t_{_worker()}"
        url = create_pg_database(name)
        yield url
        database.dispose_all()
        drop_pg_database(name)
    else:
        path = tmp_path_factory.mktemp("db") / "test.db"
        yield f"sqlite:///{path}"


@pytest.fixture(scope="session")
def schema(db_url):
    engine = make_engine(db_url)
    SQLModel.metadata.drop_all(engine)
    SQLModel.metadata.create_all(engine)
    engine.dispose()
    return db_url


def _wipe(engine) -> None:
    tables = list(reversed(SQLModel.metadata.sorted_tables))
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())


@pytest.fixture
def app(schema, tmp_path):
    class Cfg(TestConfig):
        DATABASE_URL = schema
        UPLOAD_FOLDER = str(tmp_path / "uploads")
        INSTANCE_PATH = str(tmp_path / "instance")

    flask_app = create_app(Cfg)
    _wipe(database.engine_for(schema))
    yield flask_app


@pytest.fixture
def engine(app):
    return database.engine_for(app.config["DATABASE_URL"])


class TestSession(Session):
    """``expire_all()`` also ends the session's transaction: on SQLite a read transaction keeps
    its snapshot, so without this a test would not see what a request committed meanwhile."""

    def expire_all(self) -> None:
        self.commit()
        super().expire_all()


@pytest.fixture
def session(app, engine):
    """A session for arranging data and checking outcomes outside requests (inside an app
    context, as the services read the configuration)."""
    with app.app_context(), TestSession(engine, expire_on_commit=False) as s:
        yield s


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def csrf_app(schema, tmp_path):
    """An app with CSRF protection on, as in production."""

    class Cfg(TestConfig):
        DATABASE_URL = schema
        WTF_CSRF_ENABLED = True
        UPLOAD_FOLDER = str(tmp_path / "uploads")
        INSTANCE_PATH = str(tmp_path / "instance")

    flask_app = create_app(Cfg)
    _wipe(database.engine_for(schema))
    return flask_app


@pytest.fixture
def app_factory(schema, tmp_path):
    """``make(**config)``: an app like ``app`` with extra configuration (LDAP, CAS, SMTP)."""

    def make(**overrides):
        attrs = {"DATABASE_URL": schema, "UPLOAD_FOLDER": str(tmp_path / "uploads"),
                 "INSTANCE_PATH": str(tmp_path / "instance"), **overrides}
        flask_app = create_app(type("Cfg", (TestConfig,), attrs))
        _wipe(database.engine_for(schema))
        return flask_app

    return make


@pytest.fixture(scope="session")
def slapd(tmp_path_factory):
    """A real OpenLDAP server (Debian's slapd) on loopback with a throw-away directory: the
    people of ``tests.builders.campus.LDAP_PEOPLE``; StartTLS on ``url``, TLS on ``ldaps_url``."""
    from tests.builders import campus as cs

    reason = cs.slapd_missing_reason()
    if reason:
        pytest.skip(reason)
    server = cs.start_slapd(tmp_path_factory.mktemp("slapd"), cs.LDAP_PEOPLE)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def tls_certs(tmp_path_factory):
    """A throw-away CA and a server certificate for 127.0.0.1 (made with openssl)."""
    from tests.builders import campus as cs

    if not shutil.which("openssl"):
        pytest.skip("openssl is not installed (make test installs it via scripts/system_deps.sh)")
    return cs.make_certs(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def smtp_server(tls_certs):
    """A real SMTP server (aiosmtpd) on loopback with STARTTLS and AUTH LOGIN, a fresh one per test."""
    from tests.builders import campus as cs

    server = cs.start_smtp(tls_certs)
    yield server
    server.stop()


@pytest.fixture
def cas_server():
    """The CAS 3.0 stand-in (``tests.builders.cas_standin``) on a free loopback port, fresh per test."""
    from tests.builders.cas_standin import CAS_PEOPLE, CasStandIn

    server = CasStandIn(people=dict(CAS_PEOPLE)).start()
    yield server
    server.stop()
