"""The result tables' rows (results_read.table_rows): the stored rows with the detail keys the
tables and charts show, the same as the full rows give, and never those of an earlier computation."""

from app.services import results, results_read
from tests.builders.results_case import case  # noqa: F401  (fixture)


def _shown(rows):
    return [(r.unit_id, r.unit_name, r.rank, r.total, r.grade, list(r.flags or []),
             {k: r.detail.get(k) for k in results_read.TABLE_DETAIL}) for r in rows]


def test_table_rows_are_the_rows_with_the_shown_details(case, session):  # noqa: F811  (the fixture)
    rs = results.refresh(session, cycle=case.cycle).result_set
    full = results.rows_of(session, rs)
    views = results_read.table_rows(session, rs)
    assert _shown(views) == _shown(full) and len(views) == len(case.units)
    assert all(v.detail["components"] for v in views)
    assert set(views[0].detail) == set(results_read.TABLE_DETAIL)
    first = views[0].component(views[0].detail["components"][0]["key"])
    assert first == views[0].detail["components"][0] and views[0].component("no-such-part") is None
    # read again (kept for the set's fingerprint): the same
    assert _shown(results_read.table_rows(session, rs)) == _shown(full)


def test_table_rows_follow_a_recomputation(case, session):  # noqa: F811  (the fixture)
    rs = results.refresh(session, cycle=case.cycle).result_set
    before = {v.unit_id: v.detail["components"] for v in results_read.table_rows(session, rs)}
    unit = case.units["丁学院"]
    case.inputs.facts[(unit.id, "K1")] = {"points": 95}
    out = results.refresh(session, cycle=case.cycle, actor_id=case.office.id)
    assert out.changed
    after = {v.unit_id: v.detail["components"] for v in results_read.table_rows(session, out.result_set)}
    assert after[unit.id] != before[unit.id]
    assert after == {r.unit_id: r.detail["components"] for r in results.rows_of(session, out.result_set)}


def test_a_recomputation_holds_the_collector_and_gives_it_back(case, session, monkeypatch):  # noqa: F811  (the fixture)
    import gc

    seen = []
    real = results.fingerprinted

    def spy(payload):
        seen.append(gc.isenabled())
        return real(payload)

    monkeypatch.setattr(results, "fingerprinted", spy)
    rs = results.refresh(session, cycle=case.cycle).result_set
    assert rs.fingerprint and seen == [False]
    assert gc.isenabled()
