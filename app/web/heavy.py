"""Exports that build a whole document in memory (the results workbook and JSON, the PDF and ZIP
archives of the reports, the year-end report) take 50-200 MB each while they run; eight
concurrent downloads in one worker took it past 1.5 GB (bench/bench_memory.py). So:

* at most ``HEAVY_EXPORTS`` of them (default 1) run at once in a worker; the others wait for their
  turn, up to ``HEAVY_WAIT`` seconds (default 45, below gunicorn's timeout), then get a 503 page
  that asks to try again in a moment;
* when one is done the worker collects the reference cycles such builders leave behind (openpyxl
  and WeasyPrint trees link children to parents; with the raised gc thresholds of gunicorn.conf.py
  they would otherwise wait for a full collection), and when the last running one has been sent it
  hands the freed heap back to the system (glibc ``malloc_trim``), so RSS falls back instead of
  staying at its peak.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc
import os
import threading
import time
from contextlib import contextmanager

from flask import current_app, jsonify, make_response, render_template

BUSY_MESSAGE = "导出文件的请求较多，服务器正在逐个生成，请稍候再试。"

_lock = threading.Lock()
_sems: dict[int, threading.BoundedSemaphore] = {}
_running = 0
_dirty = False

try:
    _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    _trim = _libc.malloc_trim
except (OSError, AttributeError):  # not glibc: nothing to hand back explicitly
    _trim = None


class Busy(Exception):
    """No export slot became free within ``HEAVY_WAIT`` seconds."""


def _sem() -> threading.BoundedSemaphore:
    n = max(1, int(current_app.config.get("HEAVY_EXPORTS", 1)))
    with _lock:
        sem = _sems.get(n)
        if sem is None:
            sem = _sems[n] = threading.BoundedSemaphore(n)
        return sem


def tidy() -> None:
    """Hand the freed heap back to the system once no heavy export is running any more."""
    global _dirty
    with _lock:
        if _running or not _dirty:
            return
        _dirty = False
    if _trim is not None:
        _trim(0)


_held = threading.local()


@contextmanager
def slot():
    """Run the block as one of the worker's heavy exports (waits for a free slot or raises Busy).
    Re-entrant: a block inside another one of the same thread (each PDF of a ZIP archive) runs
    in the slot already held."""
    global _running, _dirty
    if getattr(_held, "depth", 0):
        _held.depth += 1
        try:
            yield
        finally:
            _held.depth -= 1
        return
    sem = _sem()
    if not sem.acquire(timeout=float(current_app.config.get("HEAVY_WAIT", 45))):
        raise Busy()
    with _lock:
        _running += 1
    _held.depth = 1
    try:
        yield
    finally:
        _held.depth = 0
        # what the build left is garbage now: collect it before the next waiting export starts
        # (with several queued, the worker would otherwise pile up one build's cycles per export)
        gc.collect()
        with _lock:
            _running -= 1
            _dirty = True
        sem.release()


def busy_response(*, as_json: bool = False):
    """The 503 a request gets when no export slot became free in time."""
    if as_json:
        resp = make_response(jsonify({"error": "busy", "message": BUSY_MESSAGE}), 503)
    else:
        resp = make_response(render_template("errors/error.html", code=503, heading="服务器繁忙",
                                             message=BUSY_MESSAGE), 503)
    resp.headers["Retry-After"] = "10"
    return resp


def build(make):
    """``make()`` in one of the worker's heavy slots, the heap handed back after it: for a
    download kept once built (``files.kept``), so that reading the kept file never queues.
    May raise :class:`Busy`."""
    with slot():
        data = make()
    tidy()
    return data


def heavy(view=None, *, as_json: bool = False):
    """Decorator for a view that builds a large document: see the module docstring."""
    if view is None:
        return functools.partial(heavy, as_json=as_json)

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        try:
            with slot():
                resp = make_response(view(*args, **kwargs))
        except Busy:
            return busy_response(as_json=as_json)
        resp.call_on_close(tidy)  # after the bytes have gone out
        return resp

    return wrapped


# ----------------------------------------------------------------------------- the worker's tidier
# A page that loads a lot (the targets standings, the result sheet) leaves its session and object
# graph in reference cycles; with gunicorn.conf.py's raised gc thresholds they stay until a rare
# full collection, and freed heap is not handed back: measured on /targets/office, 4 concurrent
# requests left a process at 512 MB, 230 MB after a collection and a trim. So each gunicorn worker
# runs a thread that, when the worker's RSS has grown KPI_TIDY_ABOVE_MB (default 40) past what it
# was after the last tidy, collects and trims, at a quiet moment (no request in flight), or under
# load when the growth is twice that (at most every 30 s). A worker that stays small (the
# meeting-hall vote) never collects.

_in_flight = 0


class CountRequests:
    """WSGI middleware: how many requests the worker is handling now (gunicorn.conf.py wraps the
    app in it; the tidier waits for a quiet moment)."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        global _in_flight
        with _lock:
            _in_flight += 1
        try:
            return self.wsgi_app(environ, start_response)
        finally:
            with _lock:
                _in_flight -= 1


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def start_tidier(*, every: float = 5.0, grow_mb: float | None = None,
                 stop: threading.Event | None = None) -> threading.Thread | None:
    """Start the tidier thread of this process (see above), until ``stop`` is set; None where
    /proc is not available."""
    try:
        start = floor = rss_mb()
    except OSError:
        return None
    grow = float(os.environ.get("KPI_TIDY_ABOVE_MB", "40")) if grow_mb is None else grow_mb
    stop = stop or threading.Event()

    def loop():
        nonlocal floor
        busy_at = 0.0
        while not stop.wait(every):
            now = rss_mb()
            if now < floor + grow:
                continue
            quiet = not _in_flight
            if not quiet and (now < floor + 2 * grow or time.monotonic() - busy_at < 30):
                continue
            gc.collect()
            if _trim is not None:
                _trim(0)
            if quiet:  # what stays now is live: grow past it before the next tidy
                floor = max(start, rss_mb())
            else:  # under load: at most every 30 s, and the next quiet moment tidies again
                busy_at = time.monotonic()

    t = threading.Thread(target=loop, name="kpi-tidy", daemon=True)
    t.start()
    return t
