"""A generated university: ten times the demo (issue #17), for the benchmarks and for trying
the product at the size of a large university.

    flask --app wsgi kpi seed-university --units 250 --staff 3000 --history 10   # into KPI_DATABASE_URL
    make run-university                                                          # builds once, then serves

Built on top of the demo (``seeds.demo.load_demo``) in bulk: units up to ``--units`` in both
categories, accounts up to ``--staff`` (one reporter per unit, the rest voters), ``--codes`` vote
codes, ``--history`` past cycles whose results are computed from synthetic inputs through
``app.services.results`` (refresh → fix → publish → final), a submitted self-report with two
evidence files for every unit in the current cycle, and a target table for every unit (a copy of
the demo's imported table). Rows that no service has to check are inserted in bulk; the results
go through the results service, so what the pages read is what the product writes.
Prints the time each part took.
"""

from __future__ import annotations

import hashlib
import random
import secrets
import time
from datetime import date, timedelta
from pathlib import Path


def build(units: int = 250, staff: int = 3000, history: int = 10, codes: int = 5000, seed: int = 17) -> dict:
    """Fills the database of the current app context's configuration; returns counts and timings."""
    from flask import current_app
    from sqlalchemy import func, insert
    from sqlmodel import Session, select

    from app.extensions import db as database
    from app.models import Cycle, RoleMembership, Stage, Unit, User
    from app.models.base import utcnow
    from app.models.report import Evidence, SelfReport
    from app.models.targets import TargetTableRecord
    from app.models.voting import RollEntry
    from app.rubric.synthetic import synthetic_inputs
    from app.services import files, org, results, schemes, stages, voting
    from app.services.accounts import hash_password
    from app.services.evidence import SUBDIR
    from seeds.demo import load_demo, load_scheme

    rng = random.Random(seed)
    timings: dict[str, float] = {}
    t = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal t
        now = time.perf_counter()
        timings[name] = now - t
        t = now

    engine = database.engine_for(current_app.config["DATABASE_URL"])
    with Session(engine, expire_on_commit=False) as s:
        load_demo(s)
        s.commit()
        lap("演示数据")

        # units, half colleges and half departments
        have = s.exec(select(func.count()).select_from(Unit)).one()
        now = utcnow()
        rows = []
        for i in range(have, units):
            college = i % 2 == 0
            rows.append({"name": f"{'模拟学院' if college else '模拟部门'}{i + 1}", "short_name": f"模拟{i + 1}",
                         "category": "college" if college else "department",
                         "subtype": "二级学院" if college else "职能部门", "active": True, "position": 100 + i,
                         "created_at": now})
        if rows:
            s.execute(insert(Unit), rows)
        s.commit()
        all_units = org.active_units(s)
        lap(f"单位 {len(all_units)} 个")

        # accounts: a reporter for every unit without one, then voters up to ``staff``
        pw = hash_password("secret123")
        reporters = set(s.exec(select(RoleMembership.unit_id).where(RoleMembership.role == "reporter")))
        n_users = s.exec(select(func.count()).select_from(User)).one()
        users, roles = [], []
        k = 0
        for u in all_units:
            if u.id not in reporters and n_users + len(users) < staff:
                users.append({"username": f"sim_tb_{u.id}", "display_name": f"{u.name}填报员", "password_hash": pw,
                              "unit_id": u.id, "active": True, "must_change_password": False, "created_at": now})
                roles.append(("reporter", u.id))
        while n_users + len(users) < staff:
            u = all_units[k % len(all_units)]
            k += 1
            users.append({"username": f"sim_tp_{k}", "display_name": f"{u.name}教职工{k}", "password_hash": pw,
                          "unit_id": u.id, "active": True, "must_change_password": False, "created_at": now})
            roles.append(("voter", None))
        if users:
            s.execute(insert(User), users)
            ids = dict(s.exec(select(User.username, User.id).where(User.username.like("sim_%"))).all())
            s.execute(insert(RoleMembership), [{"user_id": ids[u["username"]], "role": r, "unit_id": uid}
                                               for u, (r, uid) in zip(users, roles, strict=True)])
        s.commit()
        n_users = s.exec(select(func.count()).select_from(User)).one()
        lap(f"账号 {n_users} 个")

        # vote codes in the current (demo) cycle
        current = s.exec(select(Cycle).where(Cycle.name == "2018-2019学年")).one()
        groups = voting.groups_of(s, current.id)
        have_codes = s.exec(select(func.count()).select_from(RollEntry)
                            .where(RollEntry.cycle_id == current.id, RollEntry.code.is_not(None))).one()
        per = max(0, codes - have_codes) // max(1, len(groups))
        for g in groups if per else []:
            voting.issue_codes(s, actor_id=None, cycle=current, group_id=g.id, count=per, batch=f"模拟-{g.key}")
        s.commit()
        lap(f"测评码 {per * len(groups)} 个")

        # target tables: a copy of the demo's imported table for every unit
        src = s.exec(select(TargetTableRecord)).first()
        if src is not None:
            done = set(s.exec(select(TargetTableRecord.unit_id).where(TargetTableRecord.year == src.year)))
            base = src.model_dump(exclude={"id", "unit_id"})
            copies = [dict(base, unit_id=u.id) for u in all_units if u.id not in done]
            if copies:
                s.execute(insert(TargetTableRecord), copies)
            s.commit()
        lap("绩效目标表")

        # a submitted self-report with two evidence files per unit, in the current cycle
        have_reports = set(s.exec(select(SelfReport.unit_id).where(SelfReport.cycle_id == current.id)))
        new = [u for u in all_units if u.id not in have_reports]
        new and s.execute(insert(SelfReport), [{"cycle_id": current.id, "unit_id": u.id, "status": "submitted",
                                        "texts": {"summary": f"{u.name}自查自评报告（模拟）"},
                                        "submitted_texts": {"summary": f"{u.name}自查自评报告（模拟）"},
                                        "submitted_at": now, "updated_at": now, "version": 2} for u in new])
        rep_ids = dict(s.exec(select(SelfReport.unit_id, SelfReport.id).where(SelfReport.cycle_id == current.id)).all())
        body = b"%PDF-1.4\n% generated evidence\n%%EOF\n"
        folder = Path(files.path(SUBDIR, "x")).parent
        folder.mkdir(parents=True, exist_ok=True)
        evs = []
        for u in new:
            for j in (1, 2):
                name = secrets.token_hex(16) + ".pdf"
                (folder / name).write_bytes(body)
                evs.append({"report_id": rep_ids[u.id], "indicator_code": None, "kind": "file",
                            "title": f"佐证材料{j}", "original_name": f"佐证{j}.pdf", "stored_name": name,
                            "file_type": "pdf", "size": len(body), "sha256": hashlib.sha256(body).hexdigest(),
                            "submitted": True, "created_at": now})
        if evs:
            s.execute(insert(Evidence), evs)
        s.commit()
        lap(f"自查报告与佐证 {len(evs)} 份")

        # past cycles with published (final) results, from synthetic inputs
        scheme_row = load_scheme(s)
        office = s.exec(select(User).where(User.username == "office")).one()
        n_hist = s.exec(select(func.count()).select_from(Cycle)).one() - 1
        first_year = current.period_start.year - history
        for h in range(n_hist, history):
            year = first_year + h
            cycle = stages.create_cycle(s, actor_id=None, name=f"{year}-{year + 1}学年（模拟）",
                                        period_start=date(year, 9, 1), period_end=date(year + 1, 8, 31),
                                        scheme=scheme_row)
            past = now.replace(year=now.year - 1)
            for st in s.exec(select(Stage).where(Stage.cycle_id == cycle.id)):
                if st.kind == "publication":
                    st.opens_at, st.closes_at = now - timedelta(minutes=5), now + timedelta(days=7)
                else:
                    st.opens_at, st.closes_at = past, past + timedelta(days=30)
                s.add(st)
            s.flush()
            scheme = schemes.cycle_scheme(cycle)
            facts, ballots, ratings = synthetic_inputs(scheme, all_units, rng)
            inputs = results.Inputs(facts=facts, ballots=ballots, leader_ratings=ratings,
                                    eligible={u.id for u in all_units[::2]}, vetoes={}, awards=[])
            results.refresh(s, cycle=cycle, actor_id=office.id, inputs=inputs)
            results.fix(s, actor_id=office.id, cycle=cycle, accept_provisional_reason="模拟历史周期", inputs=inputs)
            results.publish(s, actor_id=office.id, cycle=cycle)
            results.finalise(s, actor_id=None, cycle=cycle, by_job=True)
            for st in s.exec(select(Stage).where(Stage.cycle_id == cycle.id)):
                if st.kind == "publication":
                    st.opens_at, st.closes_at = past + timedelta(days=30), past + timedelta(days=37)
                    s.add(st)
            s.commit()
        lap(f"历史周期 {history} 个（结果已公示）")
    timings["合计"] = sum(timings.values())
    return timings
