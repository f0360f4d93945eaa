"""A demo cycle under the second seed scheme (seeds/scheme_university_6.json: six weighted parts
35/25/15/17/4/4, a bonus and a deduction, the total rounded once) run by ``kpi simulate --scheme``:
its totals are recomputed here independently, to the cent, from the stored entered values, and
so are the ranks per component."""

from decimal import ROUND_HALF_UP, Decimal

from sqlmodel import select

from app.models import Cycle
from app.models.component import ComponentValue
from app.models.result import ResultRow, ResultSet
from app.services import component_values
from app.services.schemes import cycle_scheme

CENT = Decimal("0.01")


def _ranks(points: dict[str, Decimal]) -> dict[str, int]:
    ordered = sorted(points.values(), reverse=True)
    return {uid: ordered.index(p) + 1 for uid, p in points.items()}


def test_a_cycle_under_the_six_part_scheme_totals_to_the_cent_with_ranks_per_component(app, session):
    out = app.test_cli_runner().invoke(args=["kpi", "simulate", "--voters", "12", "--seed", "4",
                                             "--scheme", "university-6", "--cycle-name", "六部分方案周期"])
    assert out.exit_code == 0, out.output
    assert "组成部分录入" in out.output and "教学工作" in out.output
    cycle = session.exec(select(Cycle).where(Cycle.name == "六部分方案周期")).one()
    scheme = cycle_scheme(cycle)
    assert scheme.key == "university-6" and scheme.rounding.at == "total"
    rs = session.exec(select(ResultSet).where(ResultSet.cycle_id == cycle.id)).one()
    assert rs.status == "published"
    rows = list(session.exec(select(ResultRow).where(ResultRow.result_set_id == rs.id)))
    assert len(rows) == 25
    stored = {(v.unit_id, v.component_key): v
              for v in session.exec(select(ComponentValue).where(ComponentValue.cycle_id == cycle.id))}
    assert stored and any(v.no_work for v in stored.values())  # some unit has no research work
    assert any(v.value < 0 for v in stored.values() if v.value is not None)  # deductions stored negative
    assert component_values.cycle_values(session, cycle)
    n_cent_apart = 0
    for cat in scheme.categories:
        mine = [r for r in rows if r.category == cat.key]
        exact: dict[str, dict[int, Decimal]] = {}
        for m in cat.components:
            if m.kind == "democratic":
                exact[m.key] = {r.unit_id: Decimal(next(c["points"] for c in r.detail["components"]
                                                        if c["key"] == m.key)) for r in mine}
                continue
            vals = {r.unit_id: stored.get((r.unit_id, m.key)) for r in mine}
            if m.kind == "weighted":
                given = [v.value for v in vals.values() if v is not None and not v.no_work]
                average = sum(given) / len(given)
                exact[m.key] = {uid: ((average if v.no_work else v.value) if v is not None else Decimal(0))
                                / 100 * m.points for uid, v in vals.items()}
            elif m.kind == "bonus":
                exact[m.key] = {uid: min(v.value, m.cap) if v else Decimal(0) for uid, v in vals.items()}
            else:
                exact[m.key] = {uid: max(v.value, -m.cap) if v else Decimal(0) for uid, v in vals.items()}
        for r in mine:
            before = sum(exact[k][r.unit_id] for k in exact if k != "deduction")
            deduction = max(exact["deduction"][r.unit_id], -before)  # the total never below 0
            want = (before + deduction).quantize(CENT, rounding=ROUND_HALF_UP)
            assert r.total == want, r.unit_name
            shown = sum(Decimal(c["points"]) for c in r.detail["components"])
            n_cent_apart += shown != want
        for key, pts in exact.items():
            want_ranks = _ranks({r.unit_id: pts[r.unit_id] for r in mine})
            for r in mine:
                assert r.detail["component_ranks"][key] == want_ranks[r.unit_id], (key, r.unit_name)
                assert next(c["rank"] for c in r.detail["components"] if c["key"] == key) == want_ranks[r.unit_id]
        assert sorted(r.rank for r in mine)[0] == 1
    # rounding each part first would have put some totals a cent off
    assert n_cent_apart > 0
