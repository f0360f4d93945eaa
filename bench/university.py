"""The generated university for the benchmarks (issue #17): ``seeds/university.py`` into the
database of ``KPI_DATABASE_URL``, after the migrations. The same as
``flask --app wsgi kpi seed-university``; kept so the benches can build it without the CLI.

    .venv/bin/python bench/university.py --units 250 --staff 3000 --history 10
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--units", type=int, default=250)
    ap.add_argument("--staff", type=int, default=3000)
    ap.add_argument("--history", type=int, default=10)
    ap.add_argument("--codes", type=int, default=5000)
    args = ap.parse_args()
    os.environ.setdefault("KPI_SCHEDULER_TICK_SECONDS", "60")
    from app import create_app
    from seeds.university import build

    app = create_app()
    with app.app_context():
        for name, secs in build(args.units, args.staff, args.history, args.codes).items():
            print(f"{name}: {secs:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
