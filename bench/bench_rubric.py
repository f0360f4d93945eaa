"""Benchmark of the rubric engine: a full synthetic cycle from the seed scheme, then 10× the units.

Run: .venv/bin/python bench/bench_rubric.py   (not part of the test run)

The base cycle has 60 units (30 colleges, 30 departments), about 5,000 indicator facts (field
values), about 2,000 ballots and 15 leaders (3 principal, 12 deputy). Times are the best of a few
runs of ``compute`` + ``grade``.

Then the same 600 units under the seed scheme with ten components per category (the seed's
three, four weighted, a bonus, a deduction and one not counted), their values entered for every
unit: issue #12 asks that this stays within 2× of the seed's time at 600 units.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import copy  # noqa: E402
import random  # noqa: E402
from decimal import Decimal  # noqa: E402

from app.rubric import compute, grade, load_scheme  # noqa: E402
from app.rubric.synthetic import synthetic_cycle  # noqa: E402


def ten_components(data: dict) -> dict:
    """The seed scheme with seven more components per category (ten in all): the target's
    points are shared out among four weighted ones, plus a bonus, a deduction, one not counted."""
    d = copy.deepcopy(data)
    d["key"] = "bench-10"
    for cat in d["categories"]:
        comps = cat["components"]
        target = next(c for c in comps if c["kind"] == "target")
        # keep the target as it is; the democratic points go to four weighted components
        dem = next(c for c in comps if c["kind"] == "democratic")
        share = dem["points"] // 5
        for i in range(4):
            comps.append({"key": f"w{i}", "name": f"加权{i}", "kind": "weighted", "points": share,
                          "missing": "category_average" if i == 0 else None} if i == 0 else
                         {"key": f"w{i}", "name": f"加权{i}", "kind": "weighted", "points": share})
        dem["points"] -= 4 * share
        comps.append({"key": "info", "name": "不计入", "kind": "weighted", "points": 5, "counts_toward_total": False})
        comps.append({"key": "plus", "name": "加分", "kind": "bonus", "cap": 3})
        comps.append({"key": "minus", "name": "扣分", "kind": "deduction", "cap": 5, "floor": 0})
        assert target
    d["policies"] = {"rounding": {"at": "total", "decimals": 2}}
    return d


def entered_values(scheme, units, seed: int = 7) -> dict:
    rng = random.Random(seed)
    out: dict = {}
    for u in units:
        for m in scheme.category(u.category).components:
            if m.kind == "weighted":
                out[(u.id, m.key)] = None if rng.random() < 0.1 else Decimal(rng.randint(6000, 10000)) / 100
            elif m.kind == "bonus" and rng.random() < 0.3:
                out[(u.id, m.key)] = Decimal(rng.randint(1, 8)) / 2
            elif m.kind == "deduction" and rng.random() < 0.3:
                out[(u.id, m.key)] = -Decimal(rng.randint(1, 8)) / 2
    return out


def run(scheme, n_colleges: int, n_departments: int, repeat: int) -> tuple[float, float, object]:
    cyc = synthetic_cycle(scheme, n_colleges, n_departments, seed=7)
    values = entered_values(scheme, cyc.units)
    best_c = best_g = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        res = compute(scheme, cyc.units, cyc.facts, cyc.ballots, cyc.leader_ratings, component_values=values)
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
    data = json.loads((ROOT / "seeds" / "scheme_lianyungang_2018.json").read_text("utf-8"))
    ten = load_scheme(ten_components(data))
    assert all(len(c.components) == 10 for c in ten.categories)
    ct, gt, _ = run(ten, 300, 300, 3)
    print(f"10 components, {len(cyc10.units)} units: compute {ct * 1000:.1f} ms, grade {gt * 1000:.2f} ms, "
          f"total {(ct + gt) * 1000:.1f} ms")
    print(f"today (seed, 3 components) {(c10 + g10) * 1000:.1f} ms; with 10 components {(ct + gt) * 1000:.1f} ms: "
          f"{(ct + gt) / (c10 + g10):.2f}x (must stay within 2x)")


if __name__ == "__main__":
    main()
