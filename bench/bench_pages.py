"""Page survey at the size of a large university (issue #17): every GET page of every role,
against the server as ``make run`` starts it. One command, loopback only, stops by itself.

    .venv/bin/python bench/bench_pages.py                       # SQLite in a temporary folder
    .venv/bin/python bench/bench_pages.py --keep /tmp/uni       # build once into /tmp/uni, reuse after
    bash scripts/with_postgres.sh .venv/bin/python bench/bench_pages.py --pg '$KPI_TEST_DATABASE_URL'

1. Builds the generated university (``kpi seed-university``, seeds/university.py: 250 units,
   3,000 accounts, 5,000 vote codes, ten past cycles with published results, evidence files, a target table per unit)
   after the migrations; ``--keep DIR`` reuses the database built there before (SQLite only).
2. Plans the survey: the URL map walked as ``tests/web/test_route_rules.py`` does, for each role
   the GET routes it may use, with real ids of that database (the role's own unit, its target
   table, a past cycle with published results for the results pages, …).
3. Starts ``scripts/serve.sh`` (gunicorn -c gunicorn.conf.py plus the scheduler) with
   ``KPI_COUNT_SQL=1``: every response then says how many SQL statements it ran (X-SQL-Count).
4. Per role, signs in ``--users`` browsers (default 8); each page is first requested once alone
   (single-request time, SQL statements), then by all browsers at once, ``--repeat`` times each.
5. Prints per page p50/p95 under load, the single-request time, SQL statements, the slowest ten,
   the pages over the issue's targets, and the RSS of every gunicorn worker; then the results
   computation and workbook at 250 units (bench/bench_results.py) and the engine's growth from
   60 to 600 units (bench/bench_rubric.py) unless ``--pages-only``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "bench"))

from bench_voting import PY, free_port, group_cpu, pct, start_server, stop_server  # noqa: E402, F401

TOKEN_RE = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
SQL_HEADER = "X-SQL-Count"
TARGET_MS, TARGET_SQL, TARGET_HISTORY_MS, TARGET_RSS_MB = 150, 30, 100, 250


# ---------------------------------------------------------------- the plan (run inside the app)
PLAN_CODE = r"""
import json, sys
from sqlmodel import Session, select
from app import create_app
from app.extensions import db
from app.models import Cycle, RoleMembership, Scheme, Unit, User
from app.models.report import Evidence, SelfReport
from app.models.result import ResultSet
from app.models.targets import TargetTableRecord
from app.security import PUBLIC, SIGNED_IN
from app.services import scoring
from tests.web.test_route_rules import _rules

ROLE_USERS = {"office": "office", "group": "xz", "leader": "sj", "reporter": "tb_jd", "scorer": "pf_jwc",
              "voter": "tp_jd_1", "public": None}
app = create_app()
plan = {}
with app.app_context(), Session(db.engine) as s:
    def user(name):
        return s.exec(select(User).where(User.username == name)).one()
    current = s.exec(select(Cycle).where(Cycle.name == "2018-2019学年")).one()
    published = s.exec(select(Cycle).join(ResultSet, ResultSet.cycle_id == Cycle.id)
                       .where(ResultSet.status.in_(("published", "final"))).order_by(Cycle.period_start.desc())).first()
    scheme = s.exec(select(Scheme)).first()
    ctx = scoring.CycleScoring(s, current)
    for role, name in ROLE_USERS.items():
        u = user(name) if name else None
        if role == "reporter":
            unit_id = s.exec(select(RoleMembership.unit_id).where(RoleMembership.user_id == u.id,
                                                                  RoleMembership.role == "reporter")).one()
        elif role == "scorer":
            unit_id = s.exec(select(RoleMembership.unit_id).where(RoleMembership.user_id == u.id,
                                                                  RoleMembership.role == "scorer")).one()
        else:
            unit_id = s.exec(select(Unit.id).where(Unit.name == "机电工程学院")).one()
        key = str(unit_id) if role == "scorer" else scoring.OFFICE_KEY
        cell = None
        for leaf in ctx.leaves:
            if scoring.owner_key_of(s, current, leaf.code) == key and ctx.population.get(leaf.code):
                cell = (ctx.population[leaf.code][0].id, leaf.code)
                break
        table = s.exec(select(TargetTableRecord.id).where(TargetTableRecord.unit_id == unit_id)).first()
        report = s.exec(select(SelfReport.id).where(SelfReport.cycle_id == current.id,
                                                    SelfReport.unit_id == unit_id)).first()
        ev = s.exec(select(Evidence.id).where(Evidence.report_id == report)).first() if report else None
        pages = []
        for rule in _rules(app):
            if "GET" not in rule.methods:
                continue
            allowed = app.view_functions[rule.endpoint].allowed
            if role == "public":
                if PUBLIC not in allowed:
                    continue
            elif role not in allowed and SIGNED_IN not in allowed:
                continue
            if rule.endpoint in ("auth.cas_login", "vote.healthz") or rule.rule.startswith("/v/") or rule.rule == "/v":
                continue
            results_page = "result" in rule.endpoint or "history" in rule.rule
            values = {"cycle_id": published.id if results_page and published else current.id, "unit_id": unit_id,
                      "table_id": table, "scheme_id": scheme.id if scheme else None, "user_id": u.id if u else None,
                      "key": key, "kind": "half_year", "evidence_id": ev}
            if "code" in rule.arguments:
                if cell is None:
                    continue
                values["unit_id"], values["code"] = cell
            args = {a: values.get(a) for a in rule.arguments}
            if any(v is None for v in args.values()):
                continue  # no such row in this database (e.g. no contribution-award files)
            url = rule.build(args, append_unknown=False)[1]
            pages.append({"endpoint": rule.endpoint, "url": url})
            if results_page and "cycle_id" in rule.arguments and published and published.id != current.id:
                args["cycle_id"] = current.id
                url = rule.build(args, append_unknown=False)[1]
                pages.append({"endpoint": rule.endpoint + "（本周期）", "url": url})
        plan[role] = {"username": name, "pages": pages}
json.dump(plan, sys.stdout, ensure_ascii=False)
"""


def make_plan(env: dict) -> dict:
    out = subprocess.run([PY, "-c", PLAN_CODE], cwd=ROOT, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError("规划失败：\n" + out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- a browser
class Browser:
    def __init__(self, port: int):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, bytes, dict]:
        headers = {"Connection": "keep-alive"}
        data = None
        if body is not None:
            data = urllib.parse.urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            self.conn.request(method, path, body=data, headers=headers)
            resp = self.conn.getresponse()
        except (http.client.HTTPException, OSError):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            self.conn.request(method, path, body=data, headers=headers)
            resp = self.conn.getresponse()
        content = resp.read()
        for k, v in resp.getheaders():
            if k.lower() == "set-cookie":
                name, _, val = v.split(";", 1)[0].partition("=")
                self.cookies[name] = val
        return resp.status, content, {k.lower(): v for k, v in resp.getheaders()}

    def sign_in(self, username: str, password: str) -> bool:
        _st, page, _h = self.request("GET", "/login")
        m = TOKEN_RE.search(page.decode("utf-8"))
        st, _p, _h = self.request("POST", "/login", {"username": username, "password": password,
                                                    "csrf_token": m.group(1) if m else ""})
        return st == 302


def timed(b: Browser, url: str) -> tuple[float, int, int, int]:
    t0 = time.perf_counter()
    st, content, headers = b.request("GET", url)
    return time.perf_counter() - t0, st, int(headers.get(SQL_HEADER.lower(), -1)), len(content)


def load(browsers: list[Browser], url: str, status: int, repeat: int) -> tuple[list[float], list[int]]:
    """Every browser requests ``url`` ``repeat`` times, all at once: the latencies and unexpected statuses."""
    lat: list[float] = []
    errors: list[int] = []
    lock = threading.Lock()

    def worker(b):
        mine, errs = [], []
        for _ in range(repeat):
            t, st, _sql, _n = timed(b, url)
            mine.append(t)
            if st != status:
                errs.append(st)
        with lock:
            lat.extend(mine)
            errors.extend(errs)

    threads = [threading.Thread(target=worker, args=(b,)) for b in browsers]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return lat, errors


def survey_role(port: int, role: str, spec: dict, users: int, repeat: int) -> list[dict]:
    browsers = [Browser(port) for _ in range(users)]
    if spec["username"]:
        pw = "demo1234" if not spec["username"].startswith("sim_") else "secret123"
        for b in browsers:
            if not b.sign_in(spec["username"], pw):
                print(f"  {role}：{spec['username']} 登录失败")
                return []
    out = []
    for page in spec["pages"]:
        url = page["url"]
        single, status, sql, size = timed(browsers[0], url)
        lat, errors = load(browsers, url, status, repeat) if repeat else ([single], [])
        print(f"    {role:8s} {status:>4} SQL {sql:>5} 单次 {single * 1000:6.0f} ms  {url}", flush=True)
        out.append({"role": role, "endpoint": page["endpoint"], "url": url, "status": status, "sql": sql,
                    "single": single, "p50": pct(lat, 50), "p95": pct(lat, 95), "kb": size / 1024,
                    "errors": errors})
    for b in browsers:
        b.conn.close()
    return out


def worker_rss(pgid: int) -> list[tuple[int, str, float]]:
    """(pid, name, RSS MB) of the server's processes (the process group serve.sh runs in)."""
    rows = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            if int(fields[2]) != pgid:
                continue
            cmd = open(f"/proc/{pid}/cmdline", "rb").read().replace(b"\0", b" ").decode()
            rss = next(int(line.split()[1]) for line in open(f"/proc/{pid}/status") if line.startswith("VmRSS"))
        except (OSError, StopIteration):
            continue
        if "python" in cmd:
            name = "scheduler" if "scheduler" in cmd else "gunicorn"
            rows.append((int(pid), name, rss / 1024))
    return sorted(rows)


def prepare(env: dict, pg: bool, keep: str | None) -> None:
    flask = [PY, "-m", "flask", "--app", "wsgi", "kpi"]
    if keep and os.path.exists(os.path.join(keep, "kpi.db")) and not pg:
        subprocess.run(flask + ["db-upgrade"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)  # a database built by older code gets the new migrations
        print(f"沿用已生成的数据库：{keep}/kpi.db")
        return
    if pg:
        from sqlalchemy import create_engine, text

        eng = create_engine(env["KPI_DATABASE_URL"], isolation_level="AUTOCOMMIT")
        with eng.connect() as c:
            c.execute(text("DROP SCHEMA public CASCADE"))
            c.execute(text("CREATE SCHEMA public"))
        eng.dispose()
    t = time.perf_counter()
    subprocess.run(flask + ["db-upgrade"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    subprocess.run(flask + ["seed-university"], cwd=ROOT, env=env, check=True)
    print(f"生成大学（迁移 + kpi seed-university）：{time.perf_counter() - t:.1f} s")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pg", help="PostgreSQL URL (postgresql+psycopg://…); the database is emptied first")
    ap.add_argument("--keep", help="instance folder to build the SQLite database in once and reuse")
    ap.add_argument("--users", type=int, default=8, help="concurrent signed-in browsers per role")
    ap.add_argument("--repeat", type=int, default=2, help="requests of each page per browser")
    ap.add_argument("--roles", default="office,group,leader,reporter,scorer,voter,public")
    ap.add_argument("--only", default="", help="only endpoints containing this text (several: comma-separated)")
    ap.add_argument("--pages-only", action="store_true", help="skip the results and engine benchmarks")
    ap.add_argument("--workers", type=int, default=int(os.environ.get("WORKERS") or 0) or None)
    args = ap.parse_args()

    tmp = args.keep or tempfile.mkdtemp(prefix="kpi-pages-")
    os.makedirs(tmp, exist_ok=True)
    env = dict(os.environ)
    env["KPI_INSTANCE_PATH"] = tmp
    env["KPI_DATABASE_URL"] = args.pg or f"sqlite:///{tmp}/kpi.db"
    env["KPI_LOG_LEVEL"] = "warning"
    env["KPI_COUNT_SQL"] = "1"
    env.pop("KPI_ACCESS_LOG", None)
    port = free_port()
    env.update(HOST="127.0.0.1", PORT=str(port), WORKERS=str(args.workers or ""))
    workers = args.workers or min(4, max(2, os.cpu_count() or 2))
    print(f"== 页面基准 · {'PostgreSQL' if args.pg else 'SQLite'} · 每个角色 {args.users} 个并发用户 × "
          f"每页 {args.repeat} 次 · gunicorn {workers} workers × {os.environ.get('KPI_THREADS', '8')} threads")
    status = 1
    server = None
    signal.signal(signal.SIGTERM, lambda *_a: sys.exit(3))  # stop the server (finally below) when killed
    try:
        prepare(env, bool(args.pg), args.keep)
        plan = make_plan(env)
        server = start_server(env, tmp)
        if server is None:
            return 1
        load0 = os.getloadavg()[0]
        rows = []
        for role in args.roles.split(","):
            spec = plan[role]
            if args.only:
                wanted = [w for w in args.only.split(",") if w]
                spec = dict(spec, pages=[p for p in spec["pages"] if any(w in p["endpoint"] for w in wanted)])
            t = time.perf_counter()
            got = survey_role(port, role, spec, args.users, args.repeat)
            rows += got
            print(f"  {role}: {len(got)} 页，{time.perf_counter() - t:.1f} s")
        rss = worker_rss(server.pid)
        print(f"\n机器负载（1 分钟平均，开始/结束）：{load0:.1f} / {os.getloadavg()[0]:.1f}（{os.cpu_count()} 核；"
              "其他进程的负载直接抬高这里的时间）\n")
        print(f"{'角色':8s} {'状态':>4} {'SQL':>4} {'单次ms':>7} {'p50ms':>7} {'p95ms':>7} {'KB':>6}  页面")
        for r in rows:
            flag = " !" if r["p95"] > TARGET_MS or r["sql"] > TARGET_SQL else ""
            err = f" 状态不一致 {sorted(set(r['errors']))}" if r["errors"] else ""
            print(f"{r['role']:8s} {r['status']:>4} {r['sql']:>4} {r['single'] * 1000:>7.0f} {r['p50']:>7.0f} "
                  f"{r['p95']:>7.0f} {r['kb']:>6.0f}  {r['endpoint']} {r['url']}{flag}{err}")
        print("\n最慢的十个页面（p95）：")
        for r in sorted(rows, key=lambda r: -r["p95"])[:10]:
            print(f"  {r['p95']:7.0f} ms  单次 {r['single'] * 1000:6.0f} ms  SQL {r['sql']:>4}  {r['role']} {r['url']}")
        over_sql = [r for r in rows if r["sql"] > TARGET_SQL]
        over_ms = [r for r in rows if r["p95"] > TARGET_MS]
        history = [r for r in rows if "/history" in r["url"]]
        print(f"\nSQL 语句超过 {TARGET_SQL} 条的页面：{len(over_sql)} 个" +
              "".join(f"\n  {r['sql']:>5}  {r['role']} {r['url']}" for r in sorted(over_sql, key=lambda r: -r['sql'])))
        print(f"p95 超过 {TARGET_MS} ms 的页面：{len(over_ms)} 个（共 {len(rows)} 个）")
        for r in history:
            print(f"单位历史页（十个周期）：单次 {r['single'] * 1000:.0f} ms，p95 {r['p95']:.0f} ms"
                  f"（目标 ≤ {TARGET_HISTORY_MS} ms），SQL {r['sql']}")
        print("服务器进程内存（RSS）：" + "；".join(f"{n} {pid} {mb:.0f} MB" for pid, n, mb in rss) +
              f"（目标每个 worker ≤ {TARGET_RSS_MB} MB）")
        bad = [r for r in rows if r["status"] >= 500 or r["errors"]]
        print(f"错误页面：{len(bad)}" + "".join(f"\n  {r['status']} {r['role']} {r['url']}" for r in bad))
        status = 0 if not bad else 1
    finally:
        stop_server(server)
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    if not args.pages_only:
        print("\n== 结果计算与结果工作簿（bench/bench_results.py，250 个单位为第二行）")
        subprocess.run([PY, os.path.join(ROOT, "bench", "bench_results.py")], cwd=ROOT)
        print("\n== 计分引擎的增长（bench/bench_rubric.py，60 → 600 个单位）")
        subprocess.run([PY, os.path.join(ROOT, "bench", "bench_rubric.py")], cwd=ROOT)
    return status


if __name__ == "__main__":
    sys.exit(main())
