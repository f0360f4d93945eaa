"""Browser-test helpers: Debian's chromium driven by Playwright, and the app served from a
thread (werkzeug) on a file SQLite database, as ../shared/stack.md describes."""

import os
import shutil
import threading

import pytest

CHROMIUM = os.environ.get("KPI_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]
SHOTS = os.environ.get("KPI_E2E_SHOTS")  # a folder: keep the screenshots there for a person to look at


def need_browser() -> None:
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        pytest.skip("chromium is not installed (make test installs Debian's chromium package)")
    pytest.importorskip("playwright.sync_api")


def serve(app):
    """Serve ``app`` from a thread; returns (base URL, stop function)."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop():
        server.shutdown()
        thread.join(5)

    return f"http://127.0.0.1:{server.server_port}", stop


def shot(page, tmp_path, name: str) -> str:
    """A full-page screenshot under tmp_path (and under $KPI_E2E_SHOTS when set); its path."""
    path = str(tmp_path / f"{name}.png")
    page.screenshot(path=path, full_page=True)
    if SHOTS:
        os.makedirs(SHOTS, exist_ok=True)
        shutil.copy(path, os.path.join(SHOTS, f"{name}.png"))
    return path


@pytest.fixture
def chromium():
    need_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium"),
                              args=FLAGS)
        yield b
        b.close()
