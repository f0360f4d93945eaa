"""Browser tests: Playwright driving Debian's chromium against the app served from a thread
(werkzeug) on a file SQLite database, with CSRF on as in production."""

import os
import shutil
import threading
from contextlib import contextmanager

import pytest

CHROMIUM = os.environ.get("KPI_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]


def require_chromium() -> None:
    """Skip the test unless chromium and Playwright are installed (``make test`` installs both)."""
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        pytest.skip("chromium is not installed (make test installs Debian's chromium package)")
    pytest.importorskip("playwright.sync_api")


def browser_app(tmp_path, **config):
    """The app on a fresh file database under ``tmp_path``, its tables created; ``config``
    overrides settings (e.g. the LDAP, CAS or SMTP servers a test started)."""
    from sqlmodel import SQLModel

    from app import create_app
    from app.extensions import db
    from config import TestConfig

    class Cfg(TestConfig):
        DATABASE_URL = f"sqlite:///{tmp_path / 'e2e.db'}"
        WTF_CSRF_ENABLED = True
        INSTANCE_PATH = str(tmp_path / "instance")
        UPLOAD_FOLDER = str(tmp_path / "uploads")

    for name, value in config.items():
        setattr(Cfg, name, value)
    app = create_app(Cfg)
    with app.app_context():
        SQLModel.metadata.create_all(db.engine)
    return app


@contextmanager
def serving(app):
    """Serve ``app`` from a thread; yields its base URL."""
    from werkzeug.serving import make_server

    from app.extensions import db

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)
        db.engine_for(app.config["DATABASE_URL"]).dispose()


@contextmanager
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium"),
                              args=FLAGS)
        try:
            yield b
        finally:
            b.close()


def sign_in(page, base: str, username: str, password: str = "secret123") -> None:
    """Sign in on the login page as a person would: fill both fields, press the button, wait for the page."""
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()
