"""The seed scheme in the component form gives exactly the results it gave before components
became configuration: a full simulated cycle (fixed seed) is compared, unit by unit, with the
figures recorded from the code before the change (tests/fixtures/components/seed_cycle_expected.json).

Regenerate (only when the simulation itself changes on purpose):
``KPI_RECORD_EXPECTED=1 .venv/bin/python -m pytest tests/services/test_results_seed_unchanged.py -n 0``.
"""

import json
import os
from pathlib import Path

from sqlmodel import select

from app.models.result import ResultRow, ResultSet

EXPECTED = Path(__file__).resolve().parents[1] / "fixtures" / "components" / "seed_cycle_expected.json"


def _figures(session) -> dict:
    rs = session.exec(select(ResultSet)).one()
    out = {}
    for r in session.exec(select(ResultRow).where(ResultRow.result_set_id == rs.id)):
        comps = {c["key"]: c["points"] for c in r.detail["components"]}
        out[r.unit_name] = {"democratic": str(r.democratic), "target": str(r.target), "leader": str(r.leader),
                            "total": str(r.total), "rank": r.rank, "grade": r.grade, "components": comps}
    return out


def test_a_simulated_seed_cycle_gives_the_recorded_figures(app, session):
    result = app.test_cli_runner().invoke(args=["kpi", "simulate", "--voters", "12", "--seed", "5",
                                                "--cycle-name", "比对周期"])
    assert result.exit_code == 0, result.output
    got = _figures(session)
    if os.environ.get("KPI_RECORD_EXPECTED"):
        EXPECTED.write_text(json.dumps(got, ensure_ascii=False, indent=1, sort_keys=True) + "\n", "utf-8")
    want = json.loads(EXPECTED.read_text("utf-8"))
    assert len(want) == 25
    assert got == want
