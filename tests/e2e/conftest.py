"""Fixtures of the browser tests: Playwright driving Debian's chromium, the app served from a
thread (werkzeug, see ``live.serve``) on a file SQLite database, as ../shared/stack.md describes.

``e2e_app`` is the app on a fresh database (CSRF on), ``browser`` a chromium with the flags this
machine needs.
"""

import pytest

from .live import FLAGS, chromium


@pytest.fixture
def e2e_app(tmp_path):
    if chromium() is None:
        pytest.skip("chromium is not installed (make test installs Debian's chromium package)")
    pytest.importorskip("playwright.sync_api")
    from sqlmodel import SQLModel

    from app import create_app
    from app.extensions import db
    from config import TestConfig

    class Cfg(TestConfig):
        DATABASE_URL = f"sqlite:///{tmp_path / 'e2e.db'}"
        WTF_CSRF_ENABLED = True
        INSTANCE_PATH = str(tmp_path / "instance")
        UPLOAD_FOLDER = str(tmp_path / "uploads")

    app = create_app(Cfg)
    with app.app_context():
        SQLModel.metadata.create_all(db.engine)
    yield app
    db.engine_for(Cfg.DATABASE_URL).dispose()


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium(), args=FLAGS)
        yield b
        b.close()
