"""What the office's overview pages show of each target table, kept per table (issue #17).

``fragments`` gives each table's part of a page (its row of ``/targets/office``, its section of
``/targets/office/behind``) from ``INSTANCE/cache/targets/<code>/<page>-<table id>.html`` when
the file was written for the table's current key (``target_overview.Entry.key``, with the page
and the script root); only the other tables are read, judged and rendered, and their files
written (under a new name, then renamed: workers never read half a file). Shared by the
workers, kept across restarts, one file per table and page (rewritten when the table changes).

``<code>`` is a fingerprint of the application's code and templates, so a deploy never shows
parts rendered by the previous code; the folders of other fingerprints are removed.
"""

from __future__ import annotations

import functools
import hashlib
import os
import secrets
import shutil
from collections.abc import Callable

from flask import current_app, request
from markupsafe import Markup

from app.services.target_overview import Entry

APP_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@functools.cache
def code_fingerprint() -> str:
    """Names, sizes and modification times of the application's code and templates, hashed."""
    h = hashlib.sha256()
    for folder, dirs, names in os.walk(APP_ROOT):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(names):
            if name.endswith((".py", ".html")):
                st = os.stat(os.path.join(folder, name))
                h.update(f"{os.path.relpath(os.path.join(folder, name), APP_ROOT)}:{st.st_size}:{st.st_mtime_ns}\n"
                         .encode())
    return h.hexdigest()[:16]


def _folder() -> str:
    root = os.path.join(current_app.instance_path, "cache", "targets")
    path = os.path.join(root, code_fingerprint())
    if not os.path.isdir(path):
        os.makedirs(path, exist_ok=True)
        for name in os.listdir(root):  # parts rendered by other code
            if name != code_fingerprint():
                shutil.rmtree(os.path.join(root, name), ignore_errors=True)
    return path


def _read(path: str, key: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except OSError:
        return None
    head, _, body = text.partition("\n")
    return body if head == key else None


def _write(path: str, key: str, html: str) -> None:
    tmp = f"{path}.{secrets.token_hex(6)}.tmp"
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(key + "\n" + html)
        os.replace(tmp, path)
    except OSError:
        try:
            os.remove(tmp)
        except OSError:
            pass


def fragments(page: str, items: list[Entry], render: Callable[[list[Entry]], dict[int, str]]) -> list[Markup]:
    """Each table's part of ``page`` in the order of ``items``; ``render`` makes the parts of the
    tables given (table id → HTML) for those not kept under their current key."""
    folder = _folder()
    found: dict[int, str] = {}
    stale: list[tuple[Entry, str, str]] = []
    for e in items:
        key = hashlib.sha256(f"{e.key}|{page}|{request.script_root}".encode()).hexdigest()[:32]
        path = os.path.join(folder, f"{page}-{e.table_id}.html")
        html = _read(path, key)
        if html is None:
            stale.append((e, key, path))
        else:
            found[e.table_id] = html
    if stale:
        made = render([e for e, _k, _p in stale])
        for e, key, path in stale:
            found[e.table_id] = made[e.table_id]
            _write(path, key, made[e.table_id])
    return [Markup(found[e.table_id]) for e in items]


def render_part(template: str, **context) -> str:
    """One part rendered from its template (no request context processors: parts show table data only)."""
    return current_app.jinja_env.get_template(template).render(**context)
