"""Each scheduled job runs once per trigger however many gunicorn workers run a scheduler.

Three gunicorn workers each start the scheduler (KPI_SCHEDULER_IN_WORKERS=1) with a one-second
tick; a reminder is due. Every tick is claimed by exactly one worker, the others log that they
skipped it, and each person gets the reminder once.
"""

import os
import re
import socket
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from sqlmodel import Session, SQLModel, select

from app import create_app
from app.extensions import make_engine
from app.models import JobRun, Notice, Stage
from app.models.base import utcnow
from config import TestConfig
from tests.builders import factories as f
from tests.builders.databases import PG_ADMIN_URL, PG_URL, create_pg_database, drop_pg_database

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def fresh_url(tmp_path):
    if PG_URL and PG_ADMIN_URL:
        name = f"kpi_sched_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
        yield create_pg_database(name)
        drop_pg_database(name)
    else:
        yield f"sqlite:///{tmp_path / 'sched.db'}"


@pytest.mark.slow
def test_jobs_run_once_per_trigger_across_workers(tmp_path, fresh_url):
    engine = make_engine(fresh_url)
    SQLModel.metadata.create_all(engine)

    class Cfg(TestConfig):
        DATABASE_URL = fresh_url

    app = create_app(Cfg)
    with app.app_context(), Session(engine) as s:
        college = f.unit(s, "机电工程学院")
        reporters = [f.user(s, f"rep{i}", roles=[{"role": "reporter", "unit_id": college.id}]) for i in range(3)]
        cycle = f.cycle(s)
        st = s.exec(select(Stage).where(Stage.cycle_id == cycle.id, Stage.kind == "self_report")).one()
        st.opens_at, st.closes_at, st.reminder_hours = utcnow() - timedelta(days=1), utcnow() + timedelta(hours=1), [2]
        s.add(st)
        s.commit()
        reporter_ids = {u.id for u in reporters}

    env = dict(os.environ, KPI_DATABASE_URL=fresh_url, KPI_INSTANCE_PATH=str(tmp_path / "instance"),
               KPI_SCHEDULER_IN_WORKERS="1", KPI_SCHEDULER_TICK_SECONDS="1", KPI_SECRET_KEY="x" * 32)
    log = tmp_path / "gunicorn.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--workers", "3",
             "--bind", f"127.0.0.1:{_free_port()}", "wsgi:app"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.time() + 90
            while time.time() < deadline:
                time.sleep(1)
                text = log.read_text()
                ran = re.findall(r"job reminders trigger (\S+) ran on \S+:(\d+)", text)
                skipped = re.findall(r"job reminders trigger (\S+) skipped by \S+:(\d+)", text)
                if len(ran) >= 4 and skipped and len({pid for _, pid in ran + skipped}) >= 2:
                    break
        finally:
            proc.terminate()
            proc.wait(timeout=20)

    text = log.read_text()
    ran = re.findall(r"job reminders trigger (\S+) ran on \S+:(\d+)", text)
    skipped = re.findall(r"job reminders trigger (\S+) skipped by \S+:(\d+)", text)
    assert len(ran) >= 4, text[-3000:]
    ran_keys = [k for k, _ in ran]
    assert len(ran_keys) == len(set(ran_keys)), "a trigger ran twice"
    assert skipped, "the other workers never tried: the test did not exercise several schedulers"
    assert len({pid for _, pid in ran + skipped}) >= 2, "only one worker ran a scheduler"
    with Session(engine) as s:
        runs = s.exec(select(JobRun).where(JobRun.job == "reminders")).all()
        assert len(runs) == len({r.trigger_key for r in runs})
        notices = s.exec(select(Notice)).all()
    assert sorted(n.user_id for n in notices) == sorted(reporter_ids), "each person is reminded exactly once"
    engine.dispose()
