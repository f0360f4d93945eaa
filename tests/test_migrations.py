"""Upgrading an empty database with the migrations produces exactly the models (no drift),
on SQLite and, when the suite runs against PostgreSQL, on a fresh PostgreSQL database."""

import os

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlmodel import SQLModel

import app.models
from app.extensions import make_engine
from tests.builders.databases import PG_ADMIN_URL, PG_URL, create_pg_database, drop_pg_database

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
app.models.load_all()


def _config(url: str) -> AlembicConfig:
    cfg = AlembicConfig(os.path.join(ROOT, "alembic.ini"))
    cfg.set_main_option("script_location", os.path.join(ROOT, "migrations"))
    cfg.attributes["database_url"] = url
    return cfg


def _drift(url: str) -> list:
    command.upgrade(_config(url), "head")
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            return compare_metadata(ctx, SQLModel.metadata)
    finally:
        engine.dispose()


def test_single_head():
    heads = ScriptDirectory.from_config(_config("sqlite://")).get_heads()
    assert len(heads) == 1, f"several migration heads: {heads}"


def test_sqlite_upgrade_matches_models(tmp_path):
    assert _drift(f"sqlite:///{tmp_path / 'm.db'}") == []


def test_sqlite_downgrade_to_base_and_up_again(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    cfg = _config(url)
    command.upgrade(cfg, "head")
    command.downgrade(cfg, "base")
    assert _drift(url) == []


@pytest.mark.skipif(not (PG_URL and PG_ADMIN_URL), reason="runs in the PostgreSQL pass of make test")
def test_postgresql_upgrade_matches_models():
    name = f"kpi_migr_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    url = create_pg_database(name)
    try:
        assert _drift(url) == []
    finally:
        drop_pg_database(name)
