"""Benchmark of the rubric engine: a full synthetic cycle from the seed scheme, then 10× the units.

Run: .venv/bin/python bench/bench_rubric.py   (not part of the test run)

The base cycle has 60 units (30 colleges, 30 departments), about 5,000 indicator facts (field
values), about 2,000 ballots and 15 leaders (3 principal, 12 deputy). Times are the best of a few
runs of ``compute`` + ``grade``.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.rubric import compute, grade, load_scheme  # noqa: E402
from app.rubric.synthetic import synthetic_cycle  # noqa: E402


def run(scheme, n_colleges: int, n_departments: int, repeat: int) -> tuple[float, float, object]:
    cyc = synthetic_cycle(scheme, n_colleges, n_departments, seed=7)
    best_c = best_g = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        res = compute(scheme, cyc.units, cyc.facts, cyc.ballots, cyc.leader_ratings)
        t1 = time.perf_counter()
        grade(scheme, res, applications={u.id: True for u in cyc.units[::3]},
              vetoes={cyc.units[0].id: ["safety_accident"]})
        t2 = time.perf_counter()
        best_c, best_g = min(best_c, t1 - t0), min(best_g, t2 - t1)
    return best_c, best_g, cyc


def main() -> None:
    scheme = load_scheme(json.loads((ROOT / "seeds" / "scheme_lianyungang_2018.json").read_text("utf-8")))
    c1, g1, cyc1 = run(scheme, 30, 30, 5)
    print(f"base: {len(cyc1.units)} units, {len(cyc1.facts)} indicator fact sets ({cyc1.n_facts} values), "
          f"{cyc1.n_ballots} ballots, 15 leaders")
    print(f"  compute {c1 * 1000:.1f} ms, grade {g1 * 1000:.2f} ms, total {(c1 + g1) * 1000:.1f} ms")
    c10, g10, cyc10 = run(scheme, 300, 300, 3)
    print(f"10x:  {len(cyc10.units)} units, {len(cyc10.facts)} indicator fact sets ({cyc10.n_facts} values), "
          f"{cyc10.n_ballots} ballots")
    print(f"  compute {c10 * 1000:.1f} ms, grade {g10 * 1000:.2f} ms, total {(c10 + g10) * 1000:.1f} ms")
    print(f"growth factor at 10x units: {(c10 + g10) / (c1 + g1):.1f}x")


if __name__ == "__main__":
    main()
