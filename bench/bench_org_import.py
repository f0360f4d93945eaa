"""Benchmark of the organisation import: a college of 40 units and 800 people (the size the
onboarding issue names) and 2,000 people, on a fresh SQLite file database with the product's
argon2 settings (not the tests' cheap ones).

Run: .venv/bin/python bench/bench_org_import.py   (not part of the test run; prints figures)

Timed: reading the workbook, the preview (read + compare), the first import (every unit and
account created, initial passwords hashed, every change audited, committed), the preview of the
same workbook again (nothing to change), a second import with 5 % of people changed and 2 %
gone, and the export.
"""

from __future__ import annotations

import io
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import openpyxl  # noqa: E402
from sqlmodel import Session, SQLModel  # noqa: E402

from config import Config  # noqa: E402


def workbook(n_units: int, n_people: int, rng: random.Random, *, drop: float = 0.0, change: float = 0.0) -> bytes:
    from app.sheets.org import org_workbook

    wb = openpyxl.load_workbook(org_workbook([], []))
    units = []
    for i in range(n_units):
        college = i < n_units * 0.4
        name = f"{'学院' if college else '处室'}{i:02d}"
        units.append((name, college))
        wb["单位"].append([name, name[:4], "院部" if college else "部门", "二级学院" if college else "职能部门", i])
    for j in range(n_people):
        if rng.random() < drop:
            continue
        name, college = units[j % n_units]
        roles = ["测评投票人"]
        if j % 20 == 0:
            roles.append("单位填报员")
        if j % 25 == 0 and not college:
            roles.append("考核评分员")
        phone = f"1380000{j:04d}" if rng.random() >= change else f"1390000{j:04d}"
        wb["人员"].append([f"{j:06d}", f"教职工{j}", name, "、".join(roles), None, f"p{j}@example.edu.cn", phone])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def timed(label: str, fn):
    t0 = time.perf_counter()
    out = fn()
    print(f"  {label:<42} {time.perf_counter() - t0:7.2f} s")
    return out


def run(n_units: int, n_people: int) -> None:
    from app import create_app
    from app.extensions import db
    from app.services import org_import
    from app.sheets.org import org_workbook, read_org_workbook

    tmp = tempfile.mkdtemp(prefix="bench-org-")

    class Cfg(Config):
        DATABASE_URL = f"sqlite:///{tmp}/b.db"
        SECRET_KEY = "bench"
        INSTANCE_PATH = tmp
        UPLOAD_FOLDER = os.path.join(tmp, "up")

    app = create_app(Cfg)
    rng = random.Random(7)
    first = workbook(n_units, n_people, rng)
    second = workbook(n_units, n_people, random.Random(7), drop=0.02, change=0.05)
    print(f"{n_units} units, {n_people} people ({len(first) // 1024} KB workbook), cpus={os.cpu_count()}")
    with app.app_context():
        SQLModel.metadata.create_all(db.engine)
        with Session(db.writer, expire_on_commit=False) as s:
            timed("read workbook", lambda: read_org_workbook(first))
            plan = timed("preview (read + compare)", lambda: org_import.preview(s, data=first, actor_id=None))
            assert plan.ok, plan.problems[:3]
            out = timed("first import (create all, hash, audit)", lambda: org_import.apply_import(
                s, actor_id=None, data=first, expected_fingerprint=plan.fingerprint))
            timed("commit", s.commit)
            assert len(out.accounts) == n_people
            again = timed("preview of the same workbook", lambda: org_import.preview(s, data=first, actor_id=None))
            assert not again.has_changes
            plan2 = org_import.preview(s, data=second, actor_id=None)
            out2 = timed("second import (5 % changed, 2 % gone)", lambda: org_import.apply_import(
                s, actor_id=None, data=second, expected_fingerprint=plan2.fingerprint))
            s.commit()
            print(f"    changed {plan2.count('people', 'update')}, deactivated {plan2.count('people', 'deactivate')}, "
                  f"created {len(out2.accounts)}")
            timed("export", lambda: org_workbook(*org_import.export_rows(s)).getvalue())
    db.dispose_all()


if __name__ == "__main__":
    run(40, 800)
    if "--large" in sys.argv:
        run(40, 2000)
