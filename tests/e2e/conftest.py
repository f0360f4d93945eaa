"""What the browser tests share: Debian's chromium driven by Playwright, and the app served from
a thread (werkzeug) on a file SQLite database, as ../shared/stack.md describes."""

import contextlib
import os
import shutil
import threading

import pytest

CHROMIUM = os.environ.get("KPI_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]


def require_browser() -> None:
    """Skip the test when chromium or Playwright is missing (``make test`` installs both)."""
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        pytest.skip("chromium is not installed (make test installs Debian's chromium package)")
    pytest.importorskip("playwright.sync_api")


def e2e_config(tmp_path):
    """A test configuration on a file SQLite database under ``tmp_path``, CSRF on."""
    from config import TestConfig

    class Cfg(TestConfig):
        DATABASE_URL = f"sqlite:///{tmp_path / 'e2e.db'}"
        WTF_CSRF_ENABLED = True
        INSTANCE_PATH = str(tmp_path / "instance")
        UPLOAD_FOLDER = str(tmp_path / "uploads")

    return Cfg


@contextlib.contextmanager
def live_server(app, database_url: str):
    """Serve ``app`` from a thread; yields the base URL."""
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
        db.engine_for(database_url).dispose()


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium"),
                              args=FLAGS)
        yield b
        b.close()
