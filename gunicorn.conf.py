"""gunicorn settings. ``KPI_SCHEDULER_IN_WORKERS=1`` runs the scheduler inside every worker
instead of in its own process; jobs still run once per trigger (see app/jobs)."""

import os

# One worker process per core (2 to 4), each with 8 threads. Python runs one thread at a time per
# process, so more processes than cores only adds context switches: on a 2-core machine 2 workers x
# 8 threads gave the meeting-hall vote a p99 of 90-130 ms where 4 x 4 gave 150-220 ms, and used less
# CPU per ballot (bench/bench_voting.py). ``WORKERS`` / ``--workers`` and ``KPI_THREADS`` override;
# on PostgreSQL each worker may hold KPI_THREADS + 10 connections (the voting hot path and the
# pool), so keep WORKERS x (KPI_THREADS + 10) under the server's max_connections (100 by default).
worker_class = "gthread"
workers = int(os.environ.get("WORKERS") or min(4, max(2, os.cpu_count() or 2)))
threads = int(os.environ.get("KPI_THREADS", "8"))
timeout = 60
graceful_timeout = 10
accesslog = os.environ.get("KPI_ACCESS_LOG") or None  # off by default: the voting route must log no voter
errorlog = "-"
loglevel = os.environ.get("KPI_LOG_LEVEL", "info")


def post_worker_init(worker):
    # Compile the ballot templates and fill the ballot cache before the first voter arrives: a
    # hall of phones hitting a fresh worker would otherwise wait behind that work (app/web/vote).
    try:
        from app.web.vote.routes import warm

        warm(worker.wsgi, threads=worker.cfg.threads)
    except Exception:  # a failed warm-up only makes the first requests slower
        worker.log.exception("ballot warm-up failed")
    try:  # every other page: templates compiled, the cycles' schemes loaded
        from app.web.templating import warm as warm_pages

        warm_pages(worker.wsgi)
    except Exception:
        worker.log.exception("page warm-up failed")
    # Fewer, later garbage collections: the objects made at start-up never change, and a full
    # collection in the middle of a meeting-hall burst stalls every request of the worker.
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
    if os.environ.get("KPI_SCHEDULER_IN_WORKERS") == "1":
        from app.jobs.runner import build_scheduler

        scheduler = build_scheduler(worker.wsgi, blocking=False)
        scheduler.start()
        worker._kpi_scheduler = scheduler
