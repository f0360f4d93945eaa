"""The scheduler: APScheduler 3 with a cron trigger aligned to the tick, so that every process
that runs it fires at the same moments and the JobRun claim lets exactly one of them act.

``make run`` starts one runner process (``flask --app wsgi kpi scheduler``). The same runner can
also run inside gunicorn workers (``KPI_SCHEDULER_IN_WORKERS=1``, see gunicorn.conf.py): jobs
still run once per trigger.
"""

import logging

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger

from app.extensions import db

from . import JOBS, load_jobs, run_job

log = logging.getLogger("kpi.jobs")


def _trigger(tick_seconds: int) -> CronTrigger:
    if tick_seconds < 60:
        return CronTrigger(second=f"*/{tick_seconds}", timezone="UTC")
    return CronTrigger(minute=f"*/{max(1, tick_seconds // 60)}", timezone="UTC")


def build_scheduler(app, *, blocking: bool):
    load_jobs()
    tick = app.config["SCHEDULER_TICK_SECONDS"]
    scheduler = (BlockingScheduler if blocking else BackgroundScheduler)(timezone="UTC")

    def make_runner(name):
        def run():
            with app.app_context():
                run_job(db.engine, name, tick_seconds=tick)

        return run

    for name in JOBS:
        scheduler.add_job(make_runner(name), _trigger(tick), id=name, name=name, coalesce=True,
                          max_instances=1, misfire_grace_time=max(1, tick // 2))
    return scheduler
