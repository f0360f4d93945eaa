"""Benchmark of the democratic-rating vote: a meeting hall of phones against the server as
``make run`` starts it. One command, stops by itself, loopback only.

    .venv/bin/python bench/bench_voting.py                  # a fresh SQLite file
    .venv/bin/python bench/bench_voting.py --pg URL         # a PostgreSQL database (emptied first)
    bash scripts/with_postgres.sh .venv/bin/python bench/bench_voting.py --pg '$KPI_TEST_DATABASE_URL'

1. Prepares a database in a temporary instance folder: migrations (``kpi db-upgrade``), the
   demo data (``seeds.demo.load_demo``, as ``kpi seed-demo``, with cheap password hashes) and
   departments added up to ``--units`` (default 40, the issue's ballot), its cycle with the
   democratic stage open, two rater groups, ``--codes`` one-time codes (half of them assigned to
   units, so their ballots leave that unit out).
2. Starts ``scripts/serve.sh`` (gunicorn -c gunicorn.conf.py with the same workers, plus the
   scheduler process) on a free loopback port.
3. Phase "bare": ``--clients`` clients load ``/healthz`` (no work, no database) for a few seconds.
4. Phase "vote": the same clients, in a separate process, each make whole phone visits, one per
   code, on a new connection and with a new cookie jar each:
   ``GET /v`` (the entry page a scanned QR code opens) → ``POST /v`` with the code (answers with
   the ballot page, its cookie and CSRF token) → ``POST /v/ballot`` with a valid ballot of every
   unit shown (random levels within the 优秀 limit) → the receipt page.
5. Checks: ballots in the box = codes used = receipts = roll entries marked voted; each unit's
   counts per level = the choices sent; every response had its expected status.
6. Prints visits/s, requests/s, p50/p99 per kind of request, errors, and the ratio to bare.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter, defaultdict

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PY = os.path.join(ROOT, ".venv", "bin", "python")
if not os.path.exists(PY):
    PY = sys.executable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------- preparing the database
def prepare(env: dict, n_codes: int, pg: bool, n_units: int) -> list[str]:
    if pg:
        from sqlalchemy import create_engine, text

        eng = create_engine(env["KPI_DATABASE_URL"], isolation_level="AUTOCOMMIT")
        with eng.connect() as c:
            c.execute(text("DROP SCHEMA public CASCADE"))
            c.execute(text("CREATE SCHEMA public"))
        eng.dispose()
    flask = [PY, "-m", "flask", "--app", "wsgi", "kpi"]
    subprocess.run(flask + ["db-upgrade"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    code = f"""
import json, sys
from sqlmodel import Session, select
from app import create_app
from app.extensions import db
from app.models import Cycle, Unit
from app.models.voting import RollEntry
from app.services import voting
from config import Config
from seeds.demo import load_demo

class Prep(Config):  # the demo accounts' passwords play no part here: hash them cheaply
    ARGON2_TIME_COST, ARGON2_MEMORY_COST, ARGON2_PARALLELISM = 1, 1024, 1

app = create_app(Prep)
with app.app_context(), Session(db.engine) as s:
    load_demo(s)
    from app.services import org
    have = len(s.exec(select(Unit)).all())
    for i in range(have, {n_units}):  # the issue's ballot has 40 units: add departments to the demo's 25
        org.create_unit(s, actor_id=None, name=f"基准测试部门{{i + 1}}", category="department", subtype="职能部门",
                        position=100 + i)
    s.commit()
    cycle = s.exec(select(Cycle)).first()
    assert voting.stage_is_open(s, cycle.id), "democratic stage of the demo cycle is not open"
    groups = voting.groups_of(s, cycle.id) or voting.create_default_groups(s, actor_id=None, cycle=cycle)
    demo_codes = set(s.exec(select(RollEntry.code).where(RollEntry.code.is_not(None))))  # the demo's own batch
    units = [u.id for u in s.exec(select(Unit).order_by(Unit.id))]
    n = {n_codes}
    half = n // 2
    voting.issue_codes(s, actor_id=None, cycle=cycle, group_id=groups[0].id, count=half, batch="无单位")
    per = max(1, (n - half) // len(units))
    made = half
    for i, uid in enumerate(units):
        k = per if i < len(units) - 1 else n - made
        if k > 0:
            voting.issue_codes(s, actor_id=None, cycle=cycle, group_id=groups[-1].id, count=k, unit_id=uid,
                               batch=f"单位{{uid}}")
            made += k
    s.commit()
    codes = [c for c in s.exec(select(RollEntry.code).where(RollEntry.code.is_not(None))) if c not in demo_codes]
    json.dump(codes, sys.stdout)
"""
    out = subprocess.run([PY, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError("准备失败：\n" + out.stderr[-3000:])
    codes = json.loads(out.stdout.strip().splitlines()[-1])
    assert len(codes) == n_codes, (len(codes), n_codes)
    return codes


# ---------------------------------------------------------------- the clients
TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
FIELDSET_RE = re.compile(r'<fieldset class="cat" data-limit="(\d*)"(.*?)</fieldset>', re.S)
UNIT_RE = re.compile(r'name="u(\d+)" value="0"')
RECEIPT_RE = re.compile(r'id="receipt">([A-Z0-9-]+)<')


class Client:
    """A phone: one connection, its own cookie jar."""

    def __init__(self, port: int):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookie = None

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, str]:
        headers = {"Connection": "keep-alive"}
        data = None
        if body is not None:
            data = urllib.parse.urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookie:
            headers["Cookie"] = self.cookie
        self.conn.request(method, path, body=data, headers=headers)
        resp = self.conn.getresponse()
        text = resp.read().decode("utf-8")
        set_cookie = resp.getheader("Set-Cookie")
        if set_cookie:
            self.cookie = set_cookie.split(";", 1)[0]
        return resp.status, text

    def close(self):
        self.conn.close()


def visit(port: int, code: str, rng: random.Random, timings: dict, sent: Counter, errors: list) -> str | None:
    c = Client(port)
    try:
        t0 = time.perf_counter()
        st, _ = c.request("GET", "/v")
        t1 = time.perf_counter()
        timings["GET /v (entry)"].append(t1 - t0)
        if st != 200:
            errors.append(f"GET /v {st}")
            return None
        st, page = c.request("POST", "/v", {"code": code})
        t2 = time.perf_counter()
        timings["POST /v (code → ballot page)"].append(t2 - t1)
        if st != 200 or "csrf_token" not in page:
            errors.append(f"POST /v {st}")
            return None
        token = TOKEN_RE.search(page).group(1)
        form = {"csrf_token": token}
        chosen = []
        for limit, body in FIELDSET_RE.findall(page):
            ids = UNIT_RE.findall(body)
            lim = int(limit) if limit else len(ids)
            n_exc = rng.randint(0, lim)
            levels = [0] * n_exc + [rng.choice((1, 1, 1, 2)) for _ in range(len(ids) - n_exc)]
            rng.shuffle(levels)
            for uid, lv in zip(ids, levels, strict=True):
                form[f"u{uid}"] = str(lv)
                chosen.append((int(uid), lv))
        t_send = time.perf_counter()  # the time the phone took to fill in the form is not the server's
        st, done = c.request("POST", "/v/ballot", form)
        t3 = time.perf_counter()
        timings["POST /v/ballot (cast)"].append(t3 - t_send)
        m = RECEIPT_RE.search(done) if st == 200 else None
        if not m:
            errors.append(f"POST /v/ballot {st}")
            return None
        for uid, lv in chosen:
            sent[(uid, lv)] += 1
        timings["visit"].append(t3 - t0)
        return m.group(1)
    except Exception as exc:  # a failed connection is an error of the run, counted
        errors.append(f"{type(exc).__name__}: {exc}")
        return None
    finally:
        c.close()


def vote_phase(port: int, codes: list[str], clients: int, out_q) -> None:
    """Runs in its own process: ``clients`` threads share the codes. A short GIL switch interval
    keeps the client's own thread scheduling out of the measured latencies (with the default
    5 ms, a response that has arrived can wait for its thread longer than the server took)."""
    sys.setswitchinterval(0.0005)
    lock = threading.Lock()
    queue = list(reversed(codes))
    timings: dict[str, list[float]] = defaultdict(list)
    sent: Counter = Counter()
    errors: list[str] = []
    receipts: list[str] = []

    def worker(seed):
        rng = random.Random(seed)
        t: dict[str, list[float]] = defaultdict(list)
        s: Counter = Counter()
        e: list[str] = []
        r: list[str] = []
        while True:
            with lock:
                if not queue:
                    break
                code = queue.pop()
            rec = visit(port, code, rng, t, s, e)
            if rec:
                r.append(rec)
        with lock:
            for k, v in t.items():
                timings[k].extend(v)
            sent.update(s)
            errors.extend(e)
            receipts.extend(r)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    start = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    elapsed = time.perf_counter() - start
    cpu = time.process_time()
    out_q.put(
        {
            "elapsed": elapsed,
            "client_cpu": cpu,
            "timings": dict(timings),
            "sent": [[u, lv, n] for (u, lv), n in sent.items()],
            "errors": errors,
            "receipts": receipts,
        }
    )


def bare_phase(port: int, clients: int, seconds: float, out_q) -> None:
    stop = time.perf_counter() + seconds
    lock = threading.Lock()
    lat: list[float] = []
    errors: list[str] = []

    def worker():
        c = Client(port)
        mine, errs = [], []
        while time.perf_counter() < stop:
            t0 = time.perf_counter()
            try:
                st, body = c.request("GET", "/healthz")
                if st != 200 or body != "ok":
                    errs.append(str(st))
            except Exception as exc:
                errs.append(type(exc).__name__)
                c.close()
                c = Client(port)
            mine.append(time.perf_counter() - t0)
        c.close()
        with lock:
            lat.extend(mine)
            errors.extend(errs)

    start = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    out_q.put({"elapsed": time.perf_counter() - start, "lat": lat, "errors": errors})


def in_process(target, *args):
    q = mp.get_context("fork").Queue()
    p = mp.get_context("fork").Process(target=target, args=(*args, q))
    p.start()
    result = q.get()
    p.join()
    return result


def group_cpu(pgid: int) -> float:
    """CPU seconds (user + system) used so far by the processes of a process group (the server)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # field 5 of stat: process group
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))] * 1000


# ---------------------------------------------------------------- the server
def start_server(env: dict, tmp: str) -> subprocess.Popen | None:
    """``scripts/serve.sh`` (exactly what ``make run`` serves with) on ``env``'s HOST and PORT, its
    log in ``tmp``/server.log; returns once /healthz answers, or None (the log printed)."""
    port = int(env["PORT"])
    log_path = os.path.join(tmp, "server.log")
    server = subprocess.Popen(["bash", os.path.join(ROOT, "scripts", "serve.sh")], cwd=ROOT, env=env,
                              start_new_session=True, stdout=subprocess.DEVNULL, stderr=open(log_path, "w"))
    deadline = time.time() + 30
    while True:
        try:
            c = Client(port)
            st, _ = c.request("GET", "/healthz")
            c.close()
            if st == 200:
                break
        except OSError:
            pass
        if time.time() > deadline or server.poll() is not None:
            print("服务器未能启动：")
            print(open(log_path).read()[-3000:])
            stop_server(server)
            return None
        time.sleep(0.2)
    time.sleep(1.0)  # let every worker come up
    return server


def stop_server(server: subprocess.Popen | None) -> None:
    if server is None:
        return
    try:
        os.killpg(server.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)


# ---------------------------------------------------------------- checking the box
def check_counts(env: dict, sent: list, receipts: list[str]) -> dict:
    code = """
import json, sys
from sqlmodel import Session, select
from app import create_app
from app.extensions import db
from app.models import Cycle
from app.models.voting import Ballot, Receipt, RollEntry
from app.services import voting
app = create_app()
with app.app_context(), Session(db.engine) as s:
    cycle = s.exec(select(Cycle)).first()
    counts = voting.ballot_counts(s, cycle)
    names = voting.cycle_policy(s, cycle).level_names
    out = {"ballots": len(s.exec(select(Ballot.id)).all()), "receipts": sorted(s.exec(select(Receipt.code)).all()),
           "voted": len(s.exec(select(RollEntry.id).where(RollEntry.voted == True)).all()),
           "counts": [[u, i, sum(g[lv] for g in per.values())] for u, per in counts.items()
                      for i, lv in enumerate(names)]}
    json.dump(out, sys.stdout)
"""
    out = subprocess.run([PY, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError("核对失败：\n" + out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pg", help="PostgreSQL URL (postgresql+psycopg://…); the database is emptied first")
    ap.add_argument("--codes", type=int, default=2000)
    ap.add_argument("--clients", type=int, default=64)
    ap.add_argument("--units", type=int, default=40,
                    help="units on the ballot: the demo's 25 plus departments up to this number (the issue: 40)")
    ap.add_argument("--bare-seconds", type=float, default=5.0)
    ap.add_argument("--workers", type=int, default=int(os.environ.get("WORKERS") or 0) or None,
                    help="gunicorn workers (default: as make run, one per core; see gunicorn.conf.py)")
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="kpi-bench-")
    env = dict(os.environ)
    env["KPI_INSTANCE_PATH"] = tmp
    env["KPI_DATABASE_URL"] = args.pg or f"sqlite:///{tmp}/kpi.db"
    env["KPI_LOG_LEVEL"] = "warning"
    env.pop("KPI_ACCESS_LOG", None)
    port = free_port()
    env.update(HOST="127.0.0.1", PORT=str(port), WORKERS=str(args.workers or ""))
    workers = args.workers or min(4, max(2, os.cpu_count() or 2))  # as gunicorn.conf.py
    engine_label = "SQLite (file, WAL, synchronous=NORMAL)"
    if args.pg:  # the durability settings change what a commit costs: say which ones the figures had
        from sqlalchemy import create_engine, text

        eng = create_engine(args.pg)
        with eng.connect() as c:
            settings = {k: c.execute(text(f"SHOW {k}")).scalar() for k in ("fsync", "synchronous_commit")}
        eng.dispose()
        engine_label = "PostgreSQL (" + ", ".join(f"{k}={v}" for k, v in settings.items()) + ")"
    print(
        f"== 民主测评基准 · {engine_label} · {args.codes} 个测评码 · {args.clients} 个并发客户端 · "
        f"gunicorn {workers} workers × {os.environ.get('KPI_THREADS', '8')} threads "
        "(scripts/serve.sh, gunicorn.conf.py)"
    )
    t = time.perf_counter()
    codes = prepare(env, args.codes, bool(args.pg), args.units)
    print(
        f"准备数据库：{time.perf_counter() - t:.1f} s"
        f"（迁移、演示组织加至 {max(25, args.units)} 个单位、{len(codes)} 个测评码）"
    )

    server = start_server(env, tmp)
    status = 1
    try:
        if server is None:
            return 1
        # warm-up: every worker renders the page once
        in_process(bare_phase, port, args.clients, 1.0)

        load_before = os.getloadavg()[0]
        bare = in_process(bare_phase, port, args.clients, args.bare_seconds)
        bare_rps = len(bare["lat"]) / bare["elapsed"]

        cpu0 = group_cpu(server.pid)
        res = in_process(vote_phase, port, codes, args.clients)
        server_cpu = group_cpu(server.pid) - cpu0
        elapsed = res["elapsed"]
        timings = res["timings"]
        visits = len(timings.get("visit", []))
        requests = sum(len(v) for k, v in timings.items() if k != "visit")
        errors = res["errors"]

        box = check_counts(env, res["sent"], res["receipts"])
        sent = Counter({(u, lv): n for u, lv, n in res["sent"]})
        stored = Counter({(u, lv): n for u, lv, n in box["counts"] if n})
        receipts_ok = sorted(r.replace("-", "") for r in res["receipts"]) == box["receipts"]
        lost = visits - box["ballots"]
        counts_ok = sent == stored

        print()
        print(f"机器负载（1 分钟平均，开始/结束）：{load_before:.1f} / {os.getloadavg()[0]:.1f}（{os.cpu_count()} 核；"
              "其他进程的负载会直接压低这里的数字）")
        print(f"空载端点 /healthz：{bare_rps:,.0f} 请求/s，p50 {pct(bare['lat'], 50):.1f} ms，"
              f"p99 {pct(bare['lat'], 99):.1f} ms，错误 {len(bare['errors'])}")
        print(f"投票：{visits} 次完整访问用时 {elapsed:.2f} s → {visits / elapsed:,.0f} 访问/s，"
              f"{requests / elapsed:,.0f} 请求/s（每次访问 3 个请求）")
        for kind in ("GET /v (entry)", "POST /v (code → ballot page)", "POST /v/ballot (cast)", "visit"):
            v = timings.get(kind, [])
            print(
                f"  {kind:32s} n={len(v):5d}  p50 {pct(v, 50):6.1f} ms  p99 {pct(v, 99):6.1f} ms  "
                f"max {max(v or [0]) * 1000:6.1f} ms"
            )
        print(f"服务器进程 CPU：{server_cpu:.1f} s，每次访问 {server_cpu / max(visits, 1) * 1000:.2f} ms"
              f"（{'不含 PostgreSQL 服务进程；' if args.pg else ''}{os.cpu_count()} 核满载时约可支撑 "
              f"{os.cpu_count() / max(server_cpu / max(visits, 1), 1e-9):,.0f} 访问/s）；"
              f"客户端进程 CPU：{res['client_cpu']:.1f} s")
        print(f"错误：{len(errors)}" + (f"（{Counter(errors).most_common(5)}）" if errors else ""))
        print(f"与空载端点之比：投票请求/s ÷ 空载请求/s = {requests / elapsed / bare_rps:.2f}")
        print(f"核对：票箱 {box['ballots']} 张，名册已投票 {box['voted']}，回执 {len(box['receipts'])}，"
              f"成功访问 {visits}，使用测评码 {len(codes)}")
        print(
            f"  丢失选票 {lost}，重复选票 {box['ballots'] - visits if box['ballots'] > visits else 0}；"
            f"各单位各等次票数与发送的选择{'一致' if counts_ok else '不一致！'}；"
            f"回执{'一致' if receipts_ok else '不一致！'}"
        )
        page_p99 = max(pct(timings.get(k, []), 99) for k in ("GET /v (entry)", "POST /v (code → ballot page)",
                                                              "POST /v/ballot (cast)"))
        ok = (not errors and lost == 0 and box["ballots"] == box["voted"] == visits == len(codes) and counts_ok
              and receipts_ok)
        target = visits / elapsed >= 400 and page_p99 <= 150
        print(
            "目标（≥ 400 访问/s，各类请求 p99 ≤ 150 ms，0 错误，0 丢失或重复）："
            f"{'达到' if ok and target else '未达到'}"
        )
        status = 0 if ok else 1
    finally:
        stop_server(server)
        shutil.rmtree(tmp, ignore_errors=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
