"""Which pages make a gunicorn worker grow (issue #17: worker memory ≤ 250 MB).

    .venv/bin/python bench/bench_memory.py --keep /tmp/uni --roles public,office [--only TEXT]

Serves the generated university of ``bench/bench_pages.py --keep DIR`` (build it with that script
first) with ONE worker (``--workers``), so every request lands in the process measured; then, per
page, the role's browsers request it all at once ``--repeat`` times and the worker's RSS before and
after and its peak (VmHWM, reset before each page where the kernel allows it) are printed. RSS only
shrinks when the allocator gives memory back, so the peak column is the one to read; ``--settle S``
waits S seconds after each page and prints the RSS then (the worker's tidier, app/web/heavy.py).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))

from bench_pages import Browser, load, make_plan, prepare, timed, worker_rss  # noqa: E402
from bench_voting import free_port, start_server, stop_server  # noqa: E402


def _status(pid: int, key: str) -> float:
    with open(f"/proc/{pid}/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith(key)) / 1024


def _reset_peak(pid: int) -> None:
    try:  # "5" resets VmHWM to the current RSS (Linux ≥ 4.0); without it the peak only grows
        with open(f"/proc/{pid}/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        pass


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--keep", required=True, help="folder of the database bench_pages.py built")
    ap.add_argument("--roles", default="public")
    ap.add_argument("--only", default="")
    ap.add_argument("--users", type=int, default=8)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--settle", type=float, default=0, help="seconds to wait after each page (the worker tidies)")
    args = ap.parse_args()
    env = dict(os.environ)
    tmp = args.keep
    env.update(KPI_INSTANCE_PATH=tmp, KPI_DATABASE_URL=f"sqlite:///{tmp}/kpi.db", KPI_LOG_LEVEL="warning")
    port = free_port()
    env.update(HOST="127.0.0.1", PORT=str(port), WORKERS=str(args.workers))
    prepare(env, False, tmp)
    plan = make_plan(env)
    server = start_server(env, tempfile.mkdtemp(prefix="kpi-mem-"))
    if server is None:
        return 1
    try:
        pids = [pid for pid, name, _mb in worker_rss(server.pid) if name == "gunicorn"]
        workers = pids[1:] if len(pids) > 1 else pids  # the first is the arbiter
        print(f"{'角色':8s} {'前 MB':>7} {'后 MB':>7} {'峰值 MB':>8} {'稍后 MB':>8} {'ms(单次)':>9}  页面")
        for role in args.roles.split(","):
            spec = plan[role]
            browsers = [Browser(port) for _ in range(args.users)]
            if spec["username"]:
                pw = "demo1234" if not spec["username"].startswith("sim_") else "secret123"
                if not all(b.sign_in(spec["username"], pw) for b in browsers):
                    print(f"{role}: 登录失败")
                    continue
            for page in spec["pages"]:
                if args.only and args.only not in page["endpoint"]:
                    continue
                before = sum(_status(p, "VmRSS") for p in workers)
                for p in workers:
                    _reset_peak(p)
                single, status, _sql, _n = timed(browsers[0], page["url"])
                load(browsers, page["url"], status, args.repeat)
                after = sum(_status(p, "VmRSS") for p in workers)
                peak = max(_status(p, "VmHWM") for p in workers)
                time.sleep(args.settle)
                later = sum(_status(p, "VmRSS") for p in workers)
                print(f"{role:8s} {before:7.0f} {after:7.0f} {peak:8.0f} {later:8.0f} {single * 1000:9.0f}  "
                      f"{page['url']}", flush=True)
            for b in browsers:
                b.conn.close()
    finally:
        stop_server(server)
    return 0


if __name__ == "__main__":
    sys.exit(main())
