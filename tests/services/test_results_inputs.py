"""Recomputation follows the inputs: the results are recomputed (and only then) when something the
computation reads has changed. The shortcut of ``results.refresh`` (the stored fingerprint of the
inputs) must cover every kind of input, or a change would be missed: each one is changed here and
the stored results must then be what a full computation gives."""

import copy
import hashlib
import json
from decimal import Decimal

import pytest
from sqlmodel import select

from app.models import Unit
from app.models.result import ResultRow
from app.models.voting import RaterGroup, VotingState
from app.services import results, results_payload
from tests.builders.results_case import case  # noqa: F401  (fixture)


def _stored_matches_a_full_computation(session, case):  # noqa: F811
    rs = results.get_set(session, case.cycle.id)
    assert rs.fingerprint == results.fingerprint(results.compute(session, case.cycle, case.inputs))
    return rs


def _uid(case, name):  # noqa: F811
    return case.units[name].id


def _set_fact(session, case):  # noqa: F811
    case.inputs.facts[(_uid(case, "丁学院"), "K1")] = {"points": 94, "reason": "未达满分"}


def _fact_reason_only(session, case):  # noqa: F811
    case.inputs.facts[(_uid(case, "丁学院"), "K1")] = {"points": 80, "reason": "另一理由"}


def _fact_as_text(session, case):  # noqa: F811  (the same number typed as text: other inputs)
    case.inputs.facts[(_uid(case, "丁学院"), "K1")] = {"points": "80", "reason": "未达满分"}


def _ballots(session, case):  # noqa: F811
    case.inputs.ballots[_uid(case, "教务处")] = {"cadre": {"优秀": 9, "合格": 1, "不合格": 0}}


def _ratings(session, case):  # noqa: F811
    case.inputs.leader_ratings[_uid(case, "教务处")]["deputy"][0] = Decimal(99)


def _component_values(session, case):  # noqa: F811
    case.inputs.component_values = {(_uid(case, "教务处"), "bonus"): Decimal("1.5")}


def _group_weights(session, case):  # noqa: F811
    case.inputs.group_weights = {"cadre": Decimal("1")}


def _turnout(session, case):  # noqa: F811
    case.inputs.turnout = [{"key": "cadre", "name": "中层干部", "weight": None, "roll": 12, "voted": 11}]


def _eligible(session, case):  # noqa: F811
    case.inputs.eligible = set(case.inputs.eligible) - {_uid(case, "丙学院")}


def _eligible_none(session, case):  # noqa: F811
    case.inputs.eligible = None


def _vetoes(session, case):  # noqa: F811
    case.inputs.vetoes = {**case.inputs.vetoes, _uid(case, "丙学院"): ["safety"]}


def _awards(session, case):  # noqa: F811
    case.inputs.awards = case.inputs.awards + [{"unit_id": _uid(case, "图书馆"), "title": "先进集体", "level": "市级",
                                                "decided": "awarded", "explanation": "赞成7人"}]


def _award_text(session, case):  # noqa: F811
    case.inputs.awards = [dict(case.inputs.awards[0], explanation="领导小组7人，赞成7人，授予突出贡献奖。")]


def _unit_field(field, value, **also):
    def change(session, case):  # noqa: F811
        u = session.get(Unit, _uid(case, "丙学院"))
        setattr(u, field, value)
        for k, v in also.items():
            setattr(u, k, v)
        session.add(u)
        session.commit()
    change.__name__ = f"_unit_{field}"
    return change


def _unit_inactive(session, case):  # noqa: F811
    u = session.get(Unit, _uid(case, "丁学院"))
    u.active = False
    session.add(u)
    session.commit()


def _scheme(session, case):  # noqa: F811
    data = copy.deepcopy(case.cycle.scheme_data)
    data["grading"]["quotas"]["college"] = 1
    case.cycle.scheme_data = data
    session.add(case.cycle)
    session.commit()


def _ballot_policy_groups(session, case):  # noqa: F811
    session.add(RaterGroup(cycle_id=case.cycle.id, key="cadre", name="中层干部", weight=Decimal("0.6"), position=1))
    session.add(RaterGroup(cycle_id=case.cycle.id, key="staff", name="教职工", weight=Decimal("0.4"), position=2))
    session.commit()


def _ballot_policy_share(session, case):  # noqa: F811
    session.add(VotingState(cycle_id=case.cycle.id, max_excellent_share=Decimal("0.5")))
    session.commit()


def _previous_last(session, case):  # noqa: F811
    rows = session.exec(select(ResultRow).where(ResultRow.result_set_id != results.get_set(
        session, case.cycle.id).id)).all()
    for r in rows:
        r.flags = ["last_place"] if r.unit_name == "保卫处" else []
        session.add(r)
    session.commit()


CHANGES = [_set_fact, _fact_reason_only, _fact_as_text, _ballots, _ratings, _component_values, _group_weights,
           _turnout, _eligible, _eligible_none, _vetoes, _awards, _award_text, _unit_field("name", "丙学院（新）"),
           _unit_field("position", 99), _unit_field("subtype", "基础课教学部"),
           _unit_field("category", "department", subtype="职能部门"), _unit_inactive, _scheme, _ballot_policy_groups,
           _ballot_policy_share, _previous_last]


@pytest.mark.parametrize("change", CHANGES, ids=lambda f: f.__name__.strip("_"))
def test_every_kind_of_input_changes_the_fingerprint_and_is_recomputed(case, session, change):  # noqa: F811
    first = results.refresh(session, cycle=case.cycle, actor_id=case.office.id)
    session.commit()
    before = results_payload.input_fingerprint(results._prepare(session, case.cycle))
    assert first.result_set.data["inputs_fingerprint"] == {"inputs": before, "payload": first.result_set.fingerprint}
    change(session, case)
    assert results_payload.input_fingerprint(results._prepare(session, case.cycle)) != before
    results.refresh(session, cycle=case.cycle, actor_id=case.office.id)
    session.commit()
    _stored_matches_a_full_computation(session, case)


def test_unchanged_inputs_do_not_run_the_engine(case, session, monkeypatch):  # noqa: F811
    results.refresh(session, cycle=case.cycle, actor_id=case.office.id)
    session.commit()
    calls = []
    real = results_payload.payload
    monkeypatch.setattr(results_payload, "payload", lambda prep: calls.append(1) or real(prep))
    out = results.refresh(session, cycle=case.cycle, actor_id=case.office.id)
    assert not out.changed and calls == []
    _set_fact(session, case)
    out = results.refresh(session, cycle=case.cycle, actor_id=case.office.id)
    assert out.changed and calls == [1] and any("丁学院" in c for c in out.changes)


def test_a_reset_payload_fingerprint_is_not_trusted(case, session):  # noqa: F811
    """The stored inputs' fingerprint only counts together with the payload fingerprint it led to."""
    rs = results.refresh(session, cycle=case.cycle).result_set
    fp = rs.fingerprint
    rs.fingerprint = ""
    session.add(rs)
    session.commit()
    out = results.refresh(session, cycle=case.cycle)
    assert out.changed and out.result_set.fingerprint == fp


def test_inputs_written_differently_with_the_same_payload_are_remembered(case, session):  # noqa: F811
    rs = results.refresh(session, cycle=case.cycle).result_set
    case.inputs.facts = dict(reversed(list(case.inputs.facts.items())))  # same facts, other order
    ifp = results_payload.input_fingerprint(results._prepare(session, case.cycle))
    assert ifp != rs.data["inputs_fingerprint"]["inputs"]
    out = results.refresh(session, cycle=case.cycle)
    assert not out.changed and out.result_set.data["inputs_fingerprint"]["inputs"] == ifp


def test_fixed_results_with_the_same_inputs_show_no_drift_and_changed_ones_do(case, session):  # noqa: F811
    results.refresh(session, cycle=case.cycle)
    results.fix(session, actor_id=case.office.id, cycle=case.cycle)
    assert results.refresh(session, cycle=case.cycle).drift == []
    _set_fact(session, case)
    out = results.refresh(session, cycle=case.cycle)
    assert out.drift and "丁学院" in out.drift[0]
    _fact_reason_only(session, case)  # back to a score the fixed results have, other reason
    assert results.refresh(session, cycle=case.cycle).drift == [
        "评分依据（优秀申报、否决情形、测评明细或说明）与定稿时不同，分数未变"]


def test_results_from_inputs_handed_over_are_not_compared_with_the_tables(case, session):  # noqa: F811
    """History brought in (the generated university's past years) is computed from inputs handed to
    refresh and fix; the tables hold none of them, so a fixed set of it lists no drift and reads
    no inputs when opened."""
    from unittest import mock

    given = results.gather_inputs(session, case.cycle)
    results.refresh(session, cycle=case.cycle, inputs=given)
    rs = results.fix(session, actor_id=case.office.id, cycle=case.cycle, inputs=given)
    assert rs.data["inputs_given"] is True
    _set_fact(session, case)  # the tables change; the set does not depend on them
    with mock.patch.object(results, "_prepare", side_effect=AssertionError("inputs read")):
        out = results.refresh(session, cycle=case.cycle)
    assert out.drift == [] and out.result_set.status == "fixed"
    assert results.refresh_read_only(session, case.cycle).drift == []


def test_results_gathered_from_the_tables_are_not_marked_as_handed_over(case, session):  # noqa: F811
    rs = results.refresh(session, cycle=case.cycle).result_set
    assert "inputs_given" not in rs.data
    results.fix(session, actor_id=case.office.id, cycle=case.cycle)
    _set_fact(session, case)
    assert results.refresh(session, cycle=case.cycle).drift


def _rows(session, rs):
    return {r.unit_id: (r.detail, r.flags, r.total, r.rank, r.grade, r.computed_total, r.computed_rank, r.position,
                        r.unit_name) for r in results.rows_of(session, rs)}


def _recomputed_from_scratch(session, case, rs):  # noqa: F811
    for r in results.rows_of(session, rs):
        session.delete(r)
    rs.fingerprint = ""
    session.add(rs)
    session.commit()
    results.refresh(session, cycle=case.cycle)
    session.commit()
    session.expire_all()
    return _rows(session, rs)


@pytest.mark.parametrize("override", [None, "grade", "total"])
def test_rows_rewritten_or_left_are_what_a_first_computation_stores(case, session, override):  # noqa: F811
    """Recomputations rewrite only the rows whose part of the payload or grading changed (by the
    digests stored with them); an override changes the gradings, so the digests are dropped."""
    results.refresh(session, cycle=case.cycle)
    session.commit()
    if override:
        results.add_override(session, actor_id=case.group.id, cycle=case.cycle, unit_id=_uid(case, "丙学院"),
                             kind=override, value="合格" if override == "grade" else "170", reason="审议")
        session.commit()
        assert "row_digests" not in results.get_set(session, case.cycle.id).data
    _set_fact(session, case)
    results.refresh(session, cycle=case.cycle)
    session.commit()
    _fact_reason_only(session, case)
    results.refresh(session, cycle=case.cycle)
    session.commit()
    rs = results.get_set(session, case.cycle.id)
    session.expire_all()
    again = _rows(session, rs)
    assert _recomputed_from_scratch(session, case, rs) == again
    assert all(d["grading"]["explanation"] for d, *_ in again.values())


def test_only_the_rows_that_change_are_written(case, session):  # noqa: F811
    from sqlalchemy import event

    results.refresh(session, cycle=case.cycle)
    session.commit()
    ids = {r.id: r.unit_name for r in results.rows_of(session, results.get_set(session, case.cycle.id))}
    written = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("UPDATE result_row") and "detail" in statement.split("WHERE")[0]:
            for p in parameters if executemany else [parameters]:  # the row's id is the last parameter
                written.append(ids[list(p.values())[-1] if isinstance(p, dict) else p[-1]])  # (PG: named)

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", seen)
    try:
        _fact_reason_only(session, case)  # only 丁学院's explanation changes
        results.refresh(session, cycle=case.cycle)
        session.commit()
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert written == ["丁学院"]


def test_payload_fingerprint_is_the_one_stored_sets_were_given(case, session):  # noqa: F811
    """The fingerprint written without a copy of the payload is the sha256 of the sorted JSON of
    its plain copy, as before (fixed sets compare the live one with the stored one)."""
    payload = results.compute(session, case.cycle, case.inputs)
    plain = results_payload._jsonable(payload)
    old = hashlib.sha256(json.dumps(plain, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    assert results.fingerprint(payload) == old
    odd = {"rows": {}, "data": {"a": {1: Decimal("1.5"), "x": {3}}, "b": Decimal("1.234")}}  # keys json cannot sort
    plain = results_payload._jsonable(odd)
    assert results.fingerprint(odd) == hashlib.sha256(
        json.dumps(plain, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def test_rows_json_cannot_write_as_they_are_are_fingerprinted_from_their_plain_copy():
    payload = {"rows": {"1": {"ballots": {1: 2, "a": 3}, "x": Decimal("1.5")}}, "data": {"s": {1, 2}}}
    texts, fp = results_payload.fingerprinted(payload)
    plain = results_payload._jsonable(payload)
    assert fp == hashlib.sha256(json.dumps(plain, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    assert texts == {"1": json.dumps(plain["rows"]["1"], sort_keys=True, ensure_ascii=False)}
