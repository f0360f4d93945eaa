"""A mixed storm of ballots against the server as ``make run`` starts it (scripts/serve.sh), the
way an outside checker would fire it. One command, stops by itself, loopback only.

    .venv/bin/python bench/storm_voting.py
    bash scripts/with_postgres.sh bash -c '.venv/bin/python bench/storm_voting.py --pg "$KPI_TEST_DATABASE_URL"'

64 threads share 1,200 codes (ballots of 40 units). A visit is valid; or first sends a
rule-breaking ballot (too many 优秀, a unit left out, a level that does not exist) and then a
valid one; or opens one code on 4 phones and submits all 4 at once; one visit in ten also tries
an unknown code. Then the box is checked against what the server accepted: ballots = roll entries
marked voted = receipts = codes, each unit's counts = the accepted choices, exactly one of every 4
simultaneous duplicates counted, every rule-breaking ballot refused with 422, and no code in the
server's log. Prints the statuses and 通过 / 未通过 (exit status 0 / 1).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_voting as bv  # noqa: E402  (the same preparation, client and checks as the benchmark)

BREAKS = ("excess", "missing", "badlevel")
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


class Storm:
    def __init__(self, port: int):
        self.port = port
        self.lock = threading.Lock()
        self.accepted: Counter = Counter()  # (unit, level) -> count, of ballots the server took
        self.statuses: Counter = Counter()
        self.receipts: list[str] = []
        self.problems: list[str] = []

    def _open(self, code: str):
        c = bv.Client(self.port)
        st, page = c.request("POST", "/v", {"code": code})
        return c, st, page

    @staticmethod
    def _form(page: str, rng: random.Random, breaks: str | None = None):
        form = {"csrf_token": bv.TOKEN_RE.search(page).group(1)}
        chosen = []
        for limit, body in bv.FIELDSET_RE.findall(page):
            ids = bv.UNIT_RE.findall(body)
            lim = int(limit) if limit else len(ids)
            n_exc = min(len(ids), lim + 1 if breaks == "excess" else rng.randint(0, lim))
            levels = [0] * n_exc + [rng.choice((1, 2)) for _ in range(len(ids) - n_exc)]
            rng.shuffle(levels)
            for uid, lv in zip(ids, levels, strict=True):
                form[f"u{uid}"] = str(lv)
                chosen.append((int(uid), lv))
        first_unit = next(k for k in form if k.startswith("u"))
        if breaks == "missing":
            form.pop(first_unit)
        elif breaks == "badlevel":
            form[first_unit] = "7"
        return form, chosen

    def _took(self, receipt: str, chosen) -> None:
        self.receipts.append(receipt)
        self.accepted.update(chosen)

    def visit(self, code: str, rng: random.Random, breaks: str | None = None) -> None:
        c, st, page = self._open(code)
        if st != 200:
            self.problems.append(f"POST /v {st}")
            return
        if breaks:
            form, _ = self._form(page, rng, breaks)
            st, _ = c.request("POST", "/v/ballot", form)
            with self.lock:
                self.statuses[f"rule-breaking ({breaks}) → {st}"] += 1
        form, chosen = self._form(page, rng)
        st, done = c.request("POST", "/v/ballot", form)
        m = bv.RECEIPT_RE.search(done) if st == 200 else None
        with self.lock:
            self.statuses[f"valid → {st}"] += 1
            if m:
                self._took(m.group(1), chosen)

    def duplicates(self, code: str, rng: random.Random, phones: int = 4) -> None:
        opened = [self._open(code) for _ in range(phones)]
        forms = [self._form(page, random.Random(rng.random())) for _c, _st, page in opened]
        barrier = threading.Barrier(phones)
        out = []

        def submit(i):
            barrier.wait()
            st, done = opened[i][0].request("POST", "/v/ballot", forms[i][0])
            m = bv.RECEIPT_RE.search(done) if st == 200 else None
            out.append((st, m.group(1) if m else None, forms[i][1]))

        threads = [threading.Thread(target=submit, args=(i,)) for i in range(phones)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        counted = [o for o in out if o[1]]
        with self.lock:
            self.statuses[f"{phones} duplicates at once → {len(counted)} counted"] += 1
            for st, receipt, chosen in out:
                self.statuses[f"duplicate → {st}"] += 1
                if receipt:
                    self._took(receipt, chosen)

    def unknown(self, rng: random.Random) -> None:
        c = bv.Client(self.port)
        st, _ = c.request("POST", "/v", {"code": "".join(rng.choice(ALPHABET) for _ in range(8))})
        with self.lock:
            self.statuses[f"unknown code → {st}"] += 1

    def run(self, codes: list[str], clients: int) -> float:
        queue = list(codes)
        random.Random(1).shuffle(queue)

        def worker(seed):
            rng = random.Random(seed)
            while True:
                with self.lock:
                    if not queue:
                        return
                    code = queue.pop()
                r = rng.random()
                try:
                    if r < 0.1:
                        self.duplicates(code, rng)
                    elif r < 0.25:
                        self.visit(code, rng, rng.choice(BREAKS))
                    else:
                        self.visit(code, rng)
                    if rng.random() < 0.1:
                        self.unknown(rng)
                except Exception as exc:  # a failed connection is a problem of the run, reported
                    with self.lock:
                        self.problems.append(repr(exc))

        start = time.perf_counter()
        threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return time.perf_counter() - start


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pg", help="PostgreSQL URL (postgresql+psycopg://…); the database is emptied first")
    ap.add_argument("--codes", type=int, default=1200)
    ap.add_argument("--clients", type=int, default=64)
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="kpi-storm-")
    env = dict(os.environ, KPI_INSTANCE_PATH=tmp, KPI_LOG_LEVEL="warning",
               KPI_DATABASE_URL=args.pg or f"sqlite:///{tmp}/kpi.db")
    env.pop("KPI_ACCESS_LOG", None)
    codes = bv.prepare(env, args.codes, bool(args.pg), 40)
    port = bv.free_port()
    env.update(HOST="127.0.0.1", PORT=str(port))
    server = bv.start_server(env, tmp)
    if server is None:
        return 1
    try:
        storm = Storm(port)
        elapsed = storm.run(codes, args.clients)
        box = bv.check_counts(env, [], storm.receipts)
    finally:
        bv.stop_server(server)
    log = open(os.path.join(tmp, "server.log")).read()
    shutil.rmtree(tmp, ignore_errors=True)

    stored = Counter({(u, lv): n for u, lv, n in box["counts"] if n})
    leaked = any(code in log for code in codes)
    print(
        f"== 投票风暴 · {'PostgreSQL' if args.pg else 'SQLite'} · {len(codes)} 个测评码 · "
        f"{args.clients} 个并发客户端 · "
        f"{elapsed:.1f} s"
    )
    for key, n in sorted(storm.statuses.items()):
        print(f"  {key:40s} {n:5d}")
    print(f"问题：{len(storm.problems)} {storm.problems[:3]}")
    print(
        f"票箱 {box['ballots']} 张，名册已投票 {box['voted']}，回执 {len(box['receipts'])}，"
        f"服务器接受 {len(storm.receipts)}"
    )
    print(f"各单位各等次票数与接受的选票{'一致' if stored == storm.accepted else '不一致！'}；"
          f"服务器日志 {len(log.splitlines())} 行，{'含有测评码！' if leaked else '不含任何测评码'}")
    rule_ok = all(k.endswith("→ 422") for k in storm.statuses if k.startswith("rule-breaking"))
    dup_ok = all(k.endswith("→ 1 counted") for k in storm.statuses if "at once" in k)
    receipts_ok = sorted(r.replace("-", "") for r in storm.receipts) == box["receipts"]
    ok = (not storm.problems and box["ballots"] == box["voted"] == len(storm.receipts) == len(codes)
          and stored == storm.accepted and receipts_ok and rule_ok and dup_ok and not leaked)
    print("风暴核对：" + ("通过" if ok else "未通过"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
