"""Parts of pages and downloads of target tables, kept per table in the instance folder (issue #17).

``fragments`` gives each table's part of an overview page (its row of ``/targets/office``, its
section of ``/targets/office/behind``); ``download`` a table's year-end report file (PDF, Word).
Each is a file ``INSTANCE/cache/targets/<code>/<name>-<table id>.<ext>`` that starts with the key
it was made for: the table's key (``target_overview.key_of``: its version, actuals and unit name)
with the page. When the key differs the part is made again and the file rewritten (under a new
name, then renamed: workers never read half a file). Shared by the workers, kept across
restarts, one file per table and part. When the folder cannot be written the parts are made
for each request and not kept.

``<code>`` is a fingerprint of the application's code, templates and stylesheets, so a deploy
never shows parts made by the previous code; the folders of other fingerprints are removed.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable

from flask import current_app, request
from markupsafe import Markup

from app.services import files
from app.services.target_overview import Entry

BATCH = 50  # tables read, judged and rendered together when their parts are made again


def _folder() -> str:
    return files.cache_folder("targets")


def _read(path: str, key: str) -> bytes | None:
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError:
        return None
    head, _, body = data.partition(b"\n")
    return body if head == key.encode() else None


def _write(path: str, key: str, data: bytes) -> None:
    try:
        files.write_atomic(path, key.encode() + b"\n" + data)
    except OSError:  # not kept: made again next time
        pass


def _part_key(table_key: str, name: str) -> str:
    return hashlib.sha256(f"{table_key}|{name}|{request.script_root}".encode()).hexdigest()[:32]


def fragments(page: str, items: list[Entry], render: Callable[[list[Entry]], dict[int, str]]) -> list[Markup]:
    """Each table's part of ``page`` in the order of ``items``; ``render`` makes the parts of the
    tables given (table id → HTML) for those not kept under their current key."""
    folder = _folder()
    found: dict[int, str] = {}
    stale: list[tuple[Entry, str, str]] = []
    for e in items:
        key = _part_key(e.key, page)
        path = os.path.join(folder, f"{page}-{e.table_id}.html")
        data = _read(path, key)
        if data is None:
            stale.append((e, key, path))
        else:
            found[e.table_id] = data.decode("utf-8")
    for i in range(0, len(stale), BATCH):  # a few tables at a time: a worker never holds all 250 parsed
        batch = stale[i:i + BATCH]
        made = render([e for e, _k, _p in batch])
        for e, key, path in batch:
            found[e.table_id] = made[e.table_id]
            _write(path, key, made[e.table_id].encode("utf-8"))
    return [Markup(found[e.table_id]) for e in items]


def download(name: str, table_id: int, table_key: str, make: Callable[[], bytes]) -> bytes:
    """The table's file ``name`` (e.g. ``report.pdf``) as kept for its key, else ``make()`` (then kept)."""
    key = _part_key(table_key, name)
    path = os.path.join(_folder(), f"{name.replace('.', '-')}-{table_id}.bin")
    data = _read(path, key)
    if data is None:
        with _making(path):  # the threads of a worker asking at once: made once
            data = _read(path, key)
            if data is None:
                data = make()
                _write(path, key, data)
    return data


_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def _making(path: str) -> threading.Lock:
    with _locks_guard:
        if len(_locks) > 1000:
            _locks.clear()
        return _locks.setdefault(path, threading.Lock())


def render_part(template: str, **context) -> str:
    """One part rendered from its template (no request context processors: parts show table data only)."""
    return current_app.jinja_env.get_template(template).render(**context)
