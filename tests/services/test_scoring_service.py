"""Target scoring service: owners, confirm/correct, judged points, provisional cross-unit
results, stale refusal, stage lock, the cycle_facts / indicator_scores contract."""

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlmodel import select

from app.models import AuditEntry, Stage
from app.models.base import utcnow
from app.services import PermissionDenied, ServiceError, StageClosed, StaleData, reports, schemes, scoring
from app.services.scoring import CellInput
from tests.builders.report_world import World


@pytest.fixture
def w(session):
    return World(session)


def report(session, w, unit, user, facts: dict, summary="总结"):
    kw = dict(actor_id=user.id, allowed_units={unit.id}, cycle=w.cycle, unit=unit)
    v = reports.save_draft(session, **kw, texts={"summary": summary}, report_version=0,
                           entries={code: {"facts": fx, "version": 0} for code, fx in facts.items()})
    reports.submit(session, **kw, expected_version=v["report"])


def test_owners_map_to_departments_and_office(session, w):
    owners = scoring.owners(session, w.cycle)
    assert owners["office"].codes == {"A3", "C1"}
    assert owners[str(w.jwc.id)].codes == {"A1", "B1"}
    assert owners[str(w.zzb.id)].codes == {"A2"}
    assert owners[str(w.kjc.id)].codes == {"B2"}


def test_scorer_reaches_only_own_indicators(session, w):
    keys = {str(w.jwc.id)}
    with pytest.raises(PermissionDenied):
        scoring.save_cell(session, actor_id=w.pf_jwc.id, owner_keys=keys, cycle=w.cycle,
                          cell=CellInput(w.c1.id, "A2", {"count": "1"}, {}, 0))
    with pytest.raises(PermissionDenied):
        scoring.save_cell(session, actor_id=w.pf_jwc.id, owner_keys=keys, cycle=w.cycle,
                          cell=CellInput(w.c1.id, "A3", {"points": "1"}, {}, 0))
    entry, res, changed = scoring.save_cell(session, actor_id=w.pf_jwc.id, owner_keys=keys, cycle=w.cycle,
                                            cell=CellInput(w.c1.id, "A1", {"points": "1"}, {}, 0))
    assert changed and res.points == Decimal("1.00") and entry.confirmed


def test_judged_below_max_needs_reason(session, w):
    keys = {str(w.jwc.id)}
    with pytest.raises(ServiceError) as e:
        scoring.save_cell(session, actor_id=w.pf_jwc.id, owner_keys=keys, cycle=w.cycle,
                          cell=CellInput(w.c1.id, "A1", {"points": "0.5"}, {}, 0))
    assert "理由" in e.value.message
    _e, res, _ = scoring.save_cell(session, actor_id=w.pf_jwc.id, owner_keys=keys, cycle=w.cycle,
                                   cell=CellInput(w.c1.id, "A1", {"points": "0.5", "reason": "调停课偏多"}, {}, 0))
    assert res.points == Decimal("0.50") and "调停课偏多" in res.explanation


def test_correction_needs_reason_and_is_audited(session, w):
    report(session, w, w.c1, w.tb1, {"A2": {"count": "0"}})
    keys = {str(w.zzb.id)}
    # confirming the reported value needs no reason
    entry, res, _ = scoring.save_cell(session, actor_id=w.pf_zzb.id, owner_keys=keys, cycle=w.cycle,
                                      cell=CellInput(w.c1.id, "A2", {"count": "0"}, {}, 0))
    assert res.points == Decimal("1.00") and entry.corrections == {}
    with pytest.raises(ServiceError) as e:
        scoring.save_cell(session, actor_id=w.pf_zzb.id, owner_keys=keys, cycle=w.cycle,
                          cell=CellInput(w.c1.id, "A2", {"count": "1"}, {}, entry.version))
    assert "更正理由" in e.value.message
    entry, res, _ = scoring.save_cell(session, actor_id=w.pf_zzb.id, owner_keys=keys, cycle=w.cycle,
                                      cell=CellInput(w.c1.id, "A2", {"count": "1"}, {"count": "纪委通报一起"},
                                                     entry.version))
    assert res.points == Decimal("0.50")
    assert entry.correction_reasons == {"count": "纪委通报一起"}
    assert scoring.cycle_facts(session, w.cycle)[(w.c1.id, "A2")] == {"count": "1"}
    audit = session.exec(select(AuditEntry).where(AuditEntry.entity == "score_entry")
                         .order_by(AuditEntry.id.desc())).first()
    assert audit.old_value["corrections"] == {} and audit.new_value["corrections"] == {"count": "1"}
    assert audit.reason == "count：纪委通报一起"
    # the unit sees the correction
    assert [(leaf.code, e.corrections) for leaf, e in scoring.corrections_for_unit(session, w.cycle, w.c1.id)] == \
        [("A2", {"count": "1"})]


def test_stale_cell_is_refused(session, w):
    keys = {str(w.jwc.id)}
    scoring.save_cell(session, actor_id=w.pf_jwc.id, owner_keys=keys, cycle=w.cycle,
                      cell=CellInput(w.c1.id, "A1", {"points": "1"}, {}, 0))
    with pytest.raises(StaleData) as e:
        scoring.save_cell(session, actor_id=w.pf_jwc.id, owner_keys=keys, cycle=w.cycle,
                          cell=CellInput(w.c1.id, "A1", {"points": "0.5", "reason": "x"}, {}, 0))
    assert "已被他人修改" in e.value.message


def test_drafts_do_not_count(session, w):
    reports.save_draft(session, actor_id=w.tb1.id, allowed_units={w.c1.id}, cycle=w.cycle, unit=w.c1,
                       entries={"A2": {"facts": {"count": "3"}, "version": 0}})
    assert (w.c1.id, "A2") not in scoring.cycle_facts(session, w.cycle)


def test_cross_unit_rule_is_provisional_until_all_units_are_in(session, w):
    report(session, w, w.c1, w.tb1, {"B2": {"funds": "100"}})
    scores = scoring.indicator_scores(session, w.cycle)
    assert scores[(w.c1.id, "B2")].provisional
    assert scores[(w.c2.id, "B2")].status == "missing"
    assert (w.c3.id, "B2") not in scores  # 继续教育学院 does not take part
    report(session, w, w.c2, w.tb2, {"B2": {"funds": "50"}})
    scores = scoring.indicator_scores(session, w.cycle)
    assert not scores[(w.c1.id, "B2")].provisional
    # average 75: c1 is above the average and first of 2 → 2 points; c2 reaches 0.7×75=52.5? no → 0
    assert scores[(w.c1.id, "B2")].points == Decimal("2.00")
    assert scores[(w.c2.id, "B2")].points == Decimal("0.00")
    # the scorer's correction of c2 changes c1's comparison too
    keys = {str(w.kjc.id)}
    scoring.save_cell(session, actor_id=w.pf_kjc.id, owner_keys=keys, cycle=w.cycle,
                      cell=CellInput(w.c2.id, "B2", {"funds": "100"}, {"funds": "财务到账凭证核实为100万元"}, 0))
    scores = scoring.indicator_scores(session, w.cycle)
    assert scores[(w.c2.id, "B2")].points == scores[(w.c1.id, "B2")].points == Decimal("1.50")


def _row_points(session, cycle, unit, code):
    """The points of indicator ``code`` in ``unit``'s result row."""
    from app.models.result import ResultRow

    row = session.exec(select(ResultRow).where(ResultRow.unit_id == unit.id)).one()
    stack = list(row.detail["indicators"])
    while stack:
        node = stack.pop()
        if node["code"] == code:
            return Decimal(node["points"])
        stack.extend(node.get("children") or [])
    raise AssertionError(f"{code} not in the result row of {unit.name}")


def test_preview_of_a_cross_unit_cell_is_the_result_rows_score(session, w):
    """The scorer's preview and the result row take a cross-unit rule's population from the same
    rule: the 二级学院 of the category (继续教育学院 does not take part in B2's average)."""
    from app.services import results

    report(session, w, w.c1, w.tb1, {"B2": {"funds": "100"}})
    report(session, w, w.c2, w.tb2, {"B2": {"funds": "50"}})
    report(session, w, w.c3, w.tb3, {"B1": {"trainees": "10", "students": "1000"}})
    keys = {str(w.kjc.id)}
    cell = CellInput(w.c2.id, "B2", {"funds": "80"}, {"funds": "财务到账凭证核实为80万元"}, 0)
    shown = scoring.preview(session, owner_keys=keys, cycle=w.cycle, cell=cell)
    # average of 100 and 80 is 90: 80 ≥ 70 % of it, below it → 1 point; c1 is above and first → 2
    assert shown.points == Decimal("1.00") and not shown.provisional
    scoring.save_cell(session, actor_id=w.pf_kjc.id, owner_keys=keys, cycle=w.cycle, cell=cell)
    results.refresh(session, cycle=w.cycle)
    assert _row_points(session, w.cycle, w.c2, "B2") == shown.points
    scores = scoring.indicator_scores(session, w.cycle)
    assert _row_points(session, w.cycle, w.c1, "B2") == scores[(w.c1.id, "B2")].points == Decimal("2.00")


def test_preview_does_not_save(session, w):
    keys = {str(w.jwc.id)}
    res = scoring.preview(session, owner_keys=keys, cycle=w.cycle,
                          cell=CellInput(w.c1.id, "B1", {"trainees": "800", "students": "1000"}, {}, 0))
    assert res.points == Decimal("1.00") and "80" in res.explanation
    assert session.exec(select(scoring.ScoreEntry)).all() == []


def test_closed_stage_locks_scores(session, w):
    stage = session.exec(select(Stage).where(Stage.cycle_id == w.cycle.id, Stage.kind == "scoring")).one()
    stage.closes_at = utcnow() - timedelta(minutes=1)
    session.add(stage)
    session.flush()
    with pytest.raises(StageClosed):
        scoring.save_cell(session, actor_id=w.office.id, owner_keys={"office"}, cycle=w.cycle,
                          cell=CellInput(w.jwc.id, "C1", {"points": "10"}, {}, 0))


def test_progress_and_pending(session, w):
    by_owner, by_unit = scoring.progress(session, w.cycle)
    assert by_owner[str(w.jwc.id)].total == 6  # A1 and B1 for three colleges
    assert by_owner[str(w.kjc.id)].total == 2
    assert by_owner["office"].total == 3 + 3  # A3 for three colleges, C1 for three departments
    pending = scoring.pending_scorers(session, w.cycle)
    assert {w.pf_jwc.id, w.pf_zzb.id, w.pf_kjc.id, w.office.id} <= pending
    for u in (w.c1, w.c2, w.c3):
        scoring.save_cell(session, actor_id=w.pf_zzb.id, owner_keys={str(w.zzb.id)}, cycle=w.cycle,
                          cell=CellInput(u.id, "A2", {"count": "0"}, {}, 0))
    by_owner, by_unit = scoring.progress(session, w.cycle)
    assert by_owner[str(w.zzb.id)].finished
    assert w.pf_zzb.id not in scoring.pending_scorers(session, w.cycle)
    assert by_unit[w.c1.id].done == 1 and by_unit[w.c1.id].total == 5


def test_contract_shapes(session, w):
    report(session, w, w.c1, w.tb1, {"B1": {"trainees": "1500", "students": "1000"}})
    scoring.save_cell(session, actor_id=w.pf_jwc.id, owner_keys={str(w.jwc.id)}, cycle=w.cycle,
                      cell=CellInput(w.c1.id, "A1", {"points": "0.8", "reason": "档案不全"}, {}, 0))
    facts = scoring.cycle_facts(session, w.cycle)
    assert facts == {(w.c1.id, "B1"): {"trainees": "1500", "students": "1000"},
                     (w.c1.id, "A1"): {"points": "0.8", "reason": "档案不全"}}
    scores = scoring.indicator_scores(session, w.cycle)
    assert scores[(w.c1.id, "B1")].points == Decimal("2.00")
    assert scores[(w.c1.id, "A1")].points == Decimal("0.80")
    assert scores[(w.c2.id, "A1")].status == "missing"
    # the engine takes the same facts keyed by text ids
    from app.rubric.engine import Unit as EUnit
    from app.rubric.engine import compute

    scheme = schemes.cycle_scheme(w.cycle)
    units = [EUnit(str(u.id), u.name, u.category, u.subtype) for u in (w.c1, w.c2, w.c3, w.jwc, w.zzb, w.kjc)]
    result = compute(scheme, units, {(str(uid), code): fx for (uid, code), fx in facts.items()})
    assert result.units[str(w.c1.id)].indicator("B1").points == Decimal("2.00")
