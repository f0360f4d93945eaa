"""Benchmark of the results: the full computation (engine + snapshot + grading + database rows)
and the Excel export, for the demo organisation (25 units) and for 10× as many units (250).

Run: .venv/bin/python bench/bench_results.py   (not part of the test run; prints figures)

Each size runs on a fresh SQLite file database with the seed scheme and synthetic but complete
inputs (every indicator fact, ballots of 60 voters in two rater groups, 6 leaders) handed to
``app.services.results`` in place of the providers, so what is timed is the results work itself:

* first computation: engine, serialisation, fingerprint, rows written, graded, audited;
* recomputation with unchanged inputs (what opening the sheet costs: compute + compare);
* recomputation after one input changed (rows rewritten, changes listed);
* a deliberation override (re-grading from the stored snapshot);
* JSON payload, and the workbook (all sheets and charts) built and serialised;
* a repeated download of the workbook as the route serves it (payload, digest, the kept file).
"""

from __future__ import annotations

import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("KPI_SCHEDULER_TICK_SECONDS", "60")

from sqlmodel import Session, SQLModel, select  # noqa: E402

from config import Config  # noqa: E402


def best(fn, repeat=3, clock=time.perf_counter):
    times, out = [], None
    for _ in range(repeat):
        t0 = clock()
        out = fn()
        times.append(clock() - t0)
    return min(times), out


def run(factor: int) -> dict:
    tmp = tempfile.mkdtemp(prefix="kpi-bench-results-")

    class Cfg(Config):
        DATABASE_URL = f"sqlite:///{tmp}/bench.db"
        INSTANCE_PATH = tmp
        UPLOAD_FOLDER = f"{tmp}/uploads"
        SECRET_KEY = "bench"
        ARGON2_TIME_COST, ARGON2_MEMORY_COST, ARGON2_PARALLELISM = 1, 1024, 1

    from app import create_app
    from app.extensions import db as database
    from app.models import Cycle, Stage, User
    from app.models.base import utcnow
    from app.rubric.synthetic import synthetic_facts_for, synthetic_inputs
    from app.services import org, results, results_read, schemes
    from app.sheets.results import build_workbook
    from app.web.results import cache
    from seeds.demo import UNITS, load_demo

    app = create_app(Cfg)
    with app.app_context():
        engine = database.engine_for(Cfg.DATABASE_URL)
        SQLModel.metadata.create_all(engine)
        with Session(engine, expire_on_commit=False) as s:
            load_demo(s)
            for k in range(2, factor + 1):
                for pos, (_code, name, cat, sub) in enumerate(UNITS, start=1):
                    org.create_unit(s, actor_id=None, name=f"{name}{k}", category=cat, subtype=sub,
                                    short_name=f"{name}{k}", position=pos + 100 * k)
            s.commit()
            cycle = s.exec(select(Cycle)).first()
            now = utcnow()
            for st in s.exec(select(Stage).where(Stage.cycle_id == cycle.id)):
                st.opens_at, st.closes_at = now.replace(year=now.year - 1), now.replace(year=now.year + 1)
                s.add(st)
            s.commit()
            scheme = schemes.cycle_scheme(cycle)
            units = org.active_units(s)
            rng = random.Random(5)
            facts, ballots, ratings = synthetic_inputs(scheme, units, rng)
            inputs = results.Inputs(facts=facts, ballots=ballots, leader_ratings=ratings,
                                    eligible={u.id for u in units[::2]}, vetoes={units[1].id: ["safety_accident"]},
                                    awards=[{"unit_id": units[3].id, "title": "省级荣誉", "level": "省级",
                                             "decided": "awarded", "explanation": "模拟"}])
            office = s.exec(select(User).where(User.username == "office")).one()
            group = s.exec(select(User).where(User.username == "xz")).one()
            n_facts = sum(len(v) for v in facts.values())

            t_first = time.perf_counter()
            results.refresh(s, cycle=cycle, actor_id=office.id, inputs=inputs)
            s.commit()
            t_first = time.perf_counter() - t_first

            def same():
                out = results.refresh(s, cycle=cycle, actor_id=office.id, inputs=inputs)
                s.commit()
                return out

            t_same, out = best(same)
            assert not out.changed

            def changed():
                key = next(iter(facts))
                inputs.facts[key] = synthetic_facts_for(scheme.indicator(key[1]), rng)
                out = results.refresh(s, cycle=cycle, actor_id=office.id, inputs=inputs)
                s.commit()
                return out

            t_changed, _ = best(changed)

            rs = results.get_set(s, cycle.id)
            row = results.rows_of(s, rs)[0]

            def override():
                cur = row.grade
                results.add_override(s, actor_id=group.id, cycle=cycle, unit_id=row.unit_id, kind="grade",
                                     value="合格" if cur != "合格" else "优秀", reason="基准测试")
                s.commit()

            t_override, _ = best(override)
            t_payload, payload = best(lambda: results_read.export_payload(s, rs, cycle))
            t_xlsx, data = best(lambda: build_workbook(payload))
            # the process's CPU time: what the build costs when other work shares the cores
            t_xlsx_cpu, _ = best(lambda: build_workbook(payload), clock=time.process_time)
            t_json, text = best(lambda: json.dumps(payload, ensure_ascii=False))

            def download():  # as the route serves it: the file kept for the set's state
                state = cache.state(rs, cycle, *results_read.export_stamp(s, rs))
                with cache.cached_file(f"{rs.id}-{state}-xlsx", lambda: build_workbook(
                        results_read.export_payload(s, rs, cycle)), large=True) as fh:
                    return fh.read()

            download()  # keeps the file
            t_cached, cached = best(download)
            assert cached[:2] == b"PK"
    database.dispose_all()
    return {"units": len(units), "facts": n_facts, "first": t_first, "same": t_same, "changed": t_changed,
            "override": t_override, "payload": t_payload, "xlsx": t_xlsx, "xlsx_kb": len(data) / 1024,
            "xlsx_cpu": t_xlsx_cpu, "cached": t_cached,
            "json": t_json, "json_kb": len(text.encode()) / 1024}


def main() -> None:
    print("results benchmark (SQLite file database; best of 3 where repeated; xlsx cpu: CPU time of the build, "
          "cached: a repeated download of the workbook as the route serves it)")
    header = (f"{'units':>6} {'facts':>7} {'first':>8} {'reopen':>8} {'changed':>8} {'override':>9} "
              f"{'payload':>8} {'xlsx':>8} {'xlsx cpu':>8} {'xlsx KB':>8} {'cached':>8} {'json':>7} {'json KB':>8}")
    print(header)
    for factor in (1, 10):
        r = run(factor)
        print(f"{r['units']:>6} {r['facts']:>7} {r['first']:>7.3f}s {r['same']:>7.3f}s {r['changed']:>7.3f}s "
              f"{r['override']:>8.3f}s {r['payload']:>7.3f}s {r['xlsx']:>7.3f}s {r['xlsx_cpu']:>7.3f}s "
              f"{r['xlsx_kb']:>8.0f} {r['cached']:>7.3f}s {r['json']:>6.3f}s {r['json_kb']:>8.0f}")


if __name__ == "__main__":
    main()
