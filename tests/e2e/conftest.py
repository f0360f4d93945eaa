"""Fixtures of the browser tests (see ``tests/builders/browser.py``): ``e2e_app`` is the app on a
fresh file database (CSRF on), ``browser`` a chromium with the flags this machine needs."""

import pytest

from tests.builders.browser import browser_app, chromium, require_chromium


@pytest.fixture
def e2e_app(tmp_path):
    require_chromium()
    yield browser_app(tmp_path)


@pytest.fixture
def browser():
    with chromium() as b:
        yield b
