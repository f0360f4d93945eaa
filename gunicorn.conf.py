"""gunicorn settings. ``KPI_SCHEDULER_IN_WORKERS=1`` runs the scheduler inside every worker
instead of in its own process; jobs still run once per trigger (see app/jobs)."""

import os

worker_class = "gthread"
threads = int(os.environ.get("KPI_THREADS", "4"))
timeout = 60
graceful_timeout = 10
accesslog = os.environ.get("KPI_ACCESS_LOG") or None  # off by default: the voting route must log no voter
errorlog = "-"
loglevel = os.environ.get("KPI_LOG_LEVEL", "info")


def post_worker_init(worker):
    if os.environ.get("KPI_SCHEDULER_IN_WORKERS") == "1":
        from app.jobs.runner import build_scheduler

        scheduler = build_scheduler(worker.wsgi, blocking=False)
        scheduler.start()
        worker._kpi_scheduler = scheduler
