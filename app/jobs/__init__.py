"""Scheduled jobs: side effects only (reminders, closing windows), each idempotent, and each
run once per trigger however many processes run a scheduler.

A job is a function ``fn(db, now) -> str`` registered with :func:`job`. The runner calls
:func:`run_job` on every tick; it claims the tick by inserting a ``JobRun`` row under a unique
(job, trigger) constraint, so when several processes (web workers, hosts) tick at the same
moment exactly one of them runs the job and the others skip it.
"""

import logging
import os
import socket
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app.extensions import write_bind
from app.models import JobRun
from app.models.base import utcnow

log = logging.getLogger("kpi.jobs")

JOBS: dict[str, Callable[[Session, datetime], str]] = {}


def job(name: str):
    def decorator(fn):
        JOBS[name] = fn
        return fn

    return decorator


def trigger_key(now: datetime, tick_seconds: int) -> str:
    """The tick a moment belongs to, the same in every process."""
    epoch = int(now.timestamp())
    start = epoch - epoch % tick_seconds
    return datetime.fromtimestamp(start, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def run_job(engine, name: str, *, tick_seconds: int, now: datetime | None = None) -> str | None:
    """Claim this tick for ``name`` and run it; return its result, or None if another process
    had already claimed the tick."""
    now = now or utcnow()
    key = trigger_key(now, tick_seconds)
    runner = f"{socket.gethostname()}:{os.getpid()}"
    with Session(write_bind(engine)) as db:
        try:
            db.add(JobRun(job=name, trigger_key=key, runner=runner))
            db.commit()
        except IntegrityError:
            db.rollback()
            log.info("job %s trigger %s skipped by %s: claimed elsewhere", name, key, runner)
            return None
    with Session(write_bind(engine)) as db:
        try:
            result = JOBS[name](db, now) or ""
            db.commit()
        except Exception as exc:
            db.rollback()
            log.exception("job %s trigger %s failed", name, key)
            result = f"失败：{exc}"
        run = db.exec(select(JobRun).where(JobRun.job == name, JobRun.trigger_key == key)).first()
        if run is not None:
            run.finished_at, run.result = utcnow(), result[:2000]
            db.add(run)
            db.commit()
    log.info("job %s trigger %s ran on %s: %s", name, key, runner, result)
    return result


def load_jobs() -> None:
    """Import every module of this package so their @job functions register."""
    import importlib
    import pkgutil

    for info in pkgutil.iter_modules(__path__):
        if info.name != "runner":
            importlib.import_module(f"{__name__}.{info.name}")
