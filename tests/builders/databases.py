"""The PostgreSQL test server named by KPI_TEST_DATABASE_URL (and its admin URL
KPI_TEST_PG_ADMIN_URL, both set by scripts/with_postgres.sh): create and drop databases on it."""

import os
import re

from sqlalchemy import text

from app.extensions import make_engine

PG_URL = os.environ.get("KPI_TEST_DATABASE_URL", "")
PG_ADMIN_URL = os.environ.get("KPI_TEST_PG_ADMIN_URL", "")


def create_pg_database(name: str) -> str:
    """Create (afresh) a database on the test server; return its URL."""
    admin = make_engine(PG_ADMIN_URL).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return re.sub(r"/[^/]+$", f"/{name}", PG_URL)


def drop_pg_database(name: str) -> None:
    admin = make_engine(PG_ADMIN_URL).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
