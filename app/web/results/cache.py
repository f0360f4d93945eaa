"""What the results pages build once per state of a result set instead of on every request.

A published result set changes only through recorded steps (recompute while proposed, an
override, fixing, publishing, an answered objection, the end of the notice period), each of which
moves its fingerprint, version, status or timestamps or adds an override. :func:`state` is a
digest of those together with whatever else a cached output shows (the cycle's name and dates,
the snapshot, the overrides and the names next to them, objection counts); an output is stored
under that digest, so a changed set is simply a miss and nothing has to be invalidated.

* :func:`cached_file`: the JSON export (6 MB at 250 units with details) serialised once into the
  instance folder, shared by the workers and sent from the file, so a worker never holds more than
  the one copy it is building;
* :func:`fragment`: rendered HTML parts (the public tables and charts, the comparison across
  cycles), in the instance folder too and in a small in-process cache bounded by size.

Concurrent requests for the same missing output wait for the one that builds it (one build per
key and worker), which also bounds the memory of a burst of exports.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections import OrderedDict
from collections.abc import Callable

from flask import current_app

from app.services import files
from app.web import heavy

FRAGMENT_BYTES = 24 * 1024 * 1024  # per worker; a 250-unit public page's tables are ~0.5 MB


def state(rs, cycle=None, *extra) -> str:
    """A digest of everything of ``rs`` (and ``cycle``) a cached output can show, plus ``extra``."""
    parts = [rs.id, rs.version, rs.fingerprint, rs.status, rs.scheme_key, rs.scheme_version, rs.normalisation,
             rs.computed_at, rs.changed_at, rs.fixed_at, rs.published_at, rs.notice_from, rs.notice_until,
             rs.final_at]
    if cycle is not None:
        parts += [cycle.id, cycle.name, cycle.period_start, cycle.period_end]
    h = hashlib.sha256(repr((parts, extra)).encode())
    if "data" in rs.__dict__:  # loaded (not deferred): the snapshot the pages and the export read
        h.update(json.dumps(rs.data, sort_keys=True, default=str).encode())
    return h.hexdigest()[:40]


def state_of_many(pairs) -> str:
    """One digest for several (result set, cycle) pairs, in their order."""
    return hashlib.sha256(" ".join(state(rs, cycle) for rs, cycle in pairs).encode()).hexdigest()[:40]


class _Store:
    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.items: OrderedDict[str, tuple[object, int]] = OrderedDict()
        self.size = 0
        self.lock = threading.Lock()
        self.building: dict[str, threading.Lock] = {}

    def get(self, key: str):
        with self.lock:
            hit = self.items.get(key)
            if hit is not None:
                self.items.move_to_end(key)
                return hit[0]
        return None

    def put(self, key: str, value, size: int) -> None:
        if size > self.max_bytes:
            return
        with self.lock:
            old = self.items.pop(key, None)
            if old is not None:
                self.size -= old[1]
            self.items[key] = (value, size)
            self.size += size
            while self.size > self.max_bytes:
                _k, (_v, n) = self.items.popitem(last=False)
                self.size -= n

    def key_lock(self, key: str) -> threading.Lock:
        with self.lock:
            return self.building.setdefault(key, threading.Lock())

    def done(self, key: str) -> None:
        with self.lock:
            self.building.pop(key, None)


def _store() -> _Store:
    ext = current_app.extensions
    store = ext.get("results_cache")
    if store is None:
        store = ext.setdefault("results_cache", _Store(current_app.config.get("RESULTS_CACHE_BYTES", FRAGMENT_BYTES)))
    return store


def fragment(name: str, build: Callable[[], str]) -> str:
    """The text ``build()`` returns, kept under ``name`` (``<set id>-<state>-<what>``) in this
    worker and in the instance folder (so the other workers and a restarted server find it)."""
    store = _store()
    hit = store.get(name)
    if hit is None:
        with cached_file(name + ".html", lambda: build().encode()) as fh:
            hit = fh.read().decode()
        store.put(name, hit, len(hit) * 2 + 100)
    return hit


def cached_file(name: str, build: Callable[[], bytes], *, large: bool = False):
    """``cache/results/<code>/<name>`` in the instance folder (``files.cache_folder``), opened for
    reading; written from ``build()`` first if it is not there (one build at a time per name in this worker). ``name``
    is ``<set id>-<state>-<variant>``: the files of that set's older states are removed when a new
    one is written. ``large``: the build is one of the worker's heavy exports (app/web/heavy.py;
    may raise :class:`~app.web.heavy.Busy`)."""
    folder = files.cache_folder("results")
    path = os.path.join(folder, name)
    for _attempt in range(3):
        try:
            return open(path, "rb")
        except FileNotFoundError:  # not built yet, or removed by a newer state in another worker
            pass
        store = _store()
        with store.key_lock(name):
            if not os.path.exists(path):
                os.makedirs(folder, exist_ok=True)
                if large:
                    with heavy.slot():
                        data = build()
                else:
                    data = build()
                files.write_atomic(path, data)
                del data
                _remove_older(folder, name)
            store.done(name)
        if large:
            heavy.tidy()
    return open(path, "rb")


def _remove_older(folder: str, name: str) -> None:
    set_id, current = name.split("-")[:2]
    for other in os.listdir(folder):
        parts = other.split("-")
        if parts[0] == set_id and len(parts) > 2 and parts[1] != current and not other.endswith(".tmp"):
            try:
                os.remove(os.path.join(folder, other))
            except OSError:
                pass
