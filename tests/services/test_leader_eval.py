from decimal import Decimal

import pytest
from sqlmodel import select

from app.models import AuditEntry
from app.models.leader import LeaderRating, LeaderRatingChange
from app.services import PermissionDenied, ServiceError, StageClosed, StaleData, stages
from app.services import leader_eval as svc
from tests.builders import factories as f
from tests.builders.report_world import small_scheme


def close(s, cycle, kind):
    stage = stages.get_stage(s, cycle.id, kind)
    stages.override_stage(s, actor_id=None, stage=stage, action="close", reason="测试结束")


@pytest.fixture
def world(session):
    units = [f.unit(session, f"学院{i}") for i in range(3)]
    p1 = f.user(session, "p1", roles=[{"role": "leader", "leader_rank": "principal"}])
    p2 = f.user(session, "p2", roles=[{"role": "leader", "leader_rank": "principal"}])
    d1 = f.user(session, "d1", roles=[{"role": "leader", "leader_rank": "deputy"}])
    cycle = f.cycle(session, scheme=f.scheme(session, small_scheme()))
    session.commit()
    return session, cycle, units, (p1, p2, d1)


def entries(units, scores, comments=None):
    return [svc.Entry(unit_id=u.id, score=s, comment=(comments or {}).get(i, "")) for i, (u, s) in
            enumerate(zip(units, scores, strict=True))]


@pytest.mark.parametrize("text,expected", [("85", Decimal("85.00")), ("0", Decimal("0.00")), ("100", Decimal("100.00")),
                                           ("92.25", Decimal("92.25")), (" 7.5 ", Decimal("7.50")), ("", None)])
def test_parse_score_accepts(text, expected):
    assert svc.parse_score(text) == expected


@pytest.mark.parametrize("text", ["-1", "100.01", "101", "85.123", "abc", "NaN", "1e5"])
def test_parse_score_refuses(text):
    with pytest.raises(ServiceError):
        svc.parse_score(text)


def test_partial_save_then_finish_and_contract(world):
    s, cycle, units, (p1, p2, d1) = world
    sheet = svc.save_ratings(s, actor_id=p1.id, rank="principal", cycle=cycle,
                             entries=entries(units, ["90", "", "80.5"]), expected_version=0)
    s.commit()
    assert sheet.version == 1 and not sheet.finished
    # partial sheets do not count
    assert svc.leader_ratings(s, cycle)[units[0].id] == {"principal": [], "deputy": []}
    with pytest.raises(svc.RatingErrors) as exc:
        svc.save_ratings(s, actor_id=p1.id, rank="principal", cycle=cycle, entries=entries(units, ["90", "", "80.5"]),
                         expected_version=1, finish=True)
    assert units[1].id in exc.value.errors
    s.rollback()
    sheet = svc.save_ratings(
        s,
        actor_id=p1.id,
        rank="principal",
        cycle=cycle,
        entries=entries(units, ["90", "70", "80.5"]),
        expected_version=1,
        finish=True,
    )
    assert sheet.finished and sheet.version == 2
    svc.save_ratings(s, actor_id=d1.id, rank="deputy", cycle=cycle, entries=entries(units, ["60", "61", "62"]),
                     expected_version=0, finish=True)
    svc.save_ratings(s, actor_id=p2.id, rank="principal", cycle=cycle, entries=entries(units, ["80", "80", "80"]),
                     expected_version=0)  # not finished: excluded
    r = svc.leader_ratings(s, cycle)
    assert r[units[0].id] == {"principal": [Decimal("90.00")], "deputy": [Decimal("60.00")]}
    assert r[units[2].id]["principal"] == [Decimal("80.50")]
    assert all(isinstance(x, Decimal) for x in r[units[2].id]["principal"])


def test_invalid_entries_save_nothing(world):
    s, cycle, units, (p1, _, _) = world
    with pytest.raises(svc.RatingErrors) as exc:
        svc.save_ratings(
            s,
            actor_id=p1.id,
            rank="principal",
            cycle=cycle,
            entries=entries(units, ["90", "120", "8.123"]),
            expected_version=0,
        )
    assert set(exc.value.errors) == {units[1].id, units[2].id}
    s.rollback()
    assert s.exec(select(LeaderRating)).all() == []


def test_stale_version_refused(world):
    s, cycle, units, (p1, _, _) = world
    svc.save_ratings(s, actor_id=p1.id, rank="principal", cycle=cycle, entries=entries(units, ["90", "", ""]),
                     expected_version=0)
    with pytest.raises(StaleData):
        svc.save_ratings(s, actor_id=p1.id, rank="principal", cycle=cycle, entries=entries(units, ["10", "", ""]),
                         expected_version=0)


def test_finished_sheet_cannot_be_emptied_but_can_be_corrected(world):
    s, cycle, units, (p1, _, _) = world
    svc.save_ratings(s, actor_id=p1.id, rank="principal", cycle=cycle, entries=entries(units, ["90", "91", "92"]),
                     expected_version=0, finish=True)
    s.commit()
    with pytest.raises(svc.RatingErrors):
        svc.save_ratings(s, actor_id=p1.id, rank="principal", cycle=cycle, entries=entries(units, ["90", "", "92"]),
                         expected_version=1)
    s.rollback()
    svc.save_ratings(s, actor_id=p1.id, rank="principal", cycle=cycle, entries=entries(units, ["95", "91", "92"]),
                     expected_version=1)
    assert svc.leader_ratings(s, cycle)[units[0].id]["principal"] == [Decimal("95.00")]


def test_closed_stage_refuses_and_changes_nothing(world):
    s, cycle, units, (p1, _, _) = world
    close(s, cycle, "leader")
    with pytest.raises(StageClosed):
        svc.save_ratings(s, actor_id=p1.id, rank="principal", cycle=cycle, entries=entries(units, ["90", "", ""]),
                         expected_version=0)
    assert s.exec(select(LeaderRating)).all() == []


def test_no_rank_refused(world):
    s, cycle, units, (p1, _, _) = world
    with pytest.raises(PermissionDenied):
        svc.save_ratings(s, actor_id=p1.id, rank=None, cycle=cycle, entries=entries(units, ["90", "", ""]),
                         expected_version=0)


def test_audit_is_sealed_and_history_kept(world):
    s, cycle, units, (p1, _, _) = world
    svc.save_ratings(s, actor_id=p1.id, rank="principal", cycle=cycle, entries=entries(units, ["90", "", ""]),
                     expected_version=0)
    svc.save_ratings(s, actor_id=p1.id, rank="principal", cycle=cycle, entries=entries(units, ["85", "", ""]),
                     expected_version=1)
    audits = s.exec(select(AuditEntry).where(AuditEntry.entity == "leader_rating").order_by(AuditEntry.id)).all()
    assert [a.action for a in audits] == ["rate", "change"]
    assert "90" not in str(audits[0].new_value) and "85" not in str(audits[1].new_value)
    changes = s.exec(select(LeaderRatingChange).order_by(LeaderRatingChange.id)).all()
    assert [(c.old_cents, c.new_cents) for c in changes] == [(None, 9000), (9000, 8500)]
    with pytest.raises(PermissionDenied):
        svc.rating_history(s, cycle)
    close(s, cycle, "leader")
    assert len(svc.rating_history(s, cycle)) == 2


def test_progress_means_and_pending(world):
    s, cycle, units, (p1, p2, d1) = world
    svc.save_ratings(s, actor_id=p1.id, rank="principal", cycle=cycle, entries=entries(units, ["90", "80", "70"]),
                     expected_version=0, finish=True)
    svc.save_ratings(s, actor_id=p2.id, rank="principal", cycle=cycle, entries=entries(units, ["80", "", ""]),
                     expected_version=0)
    prog = {p["leader"].id: p for p in svc.progress(s, cycle)}
    assert (prog[p1.id]["rated"], prog[p1.id]["finished"]) == (3, True)
    assert (prog[p2.id]["rated"], prog[p2.id]["finished"]) == (1, False)
    assert prog[d1.id]["rated"] == 0 and prog[p1.id]["total"] == 3
    assert svc.pending_leaders(s, cycle) == {p2.id, d1.id}
    with pytest.raises(PermissionDenied):
        svc.unit_means(s, cycle)
    svc.save_ratings(s, actor_id=d1.id, rank="deputy", cycle=cycle, entries=entries(units, ["50", "60", "70"]),
                     expected_version=0, finish=True)
    close(s, cycle, "leader")
    means = {m["unit"].id: m for m in svc.unit_means(s, cycle)}
    m0 = means[units[0].id]
    got = (m0["principal_n"], m0["principal_mean"], m0["deputy_n"], m0["deputy_mean"])
    assert got == (1, Decimal("90.00"), 1, Decimal("50.00"))
    assert m0["points"] == Decimal("23.00")  # 90/100*20 + 50/100*10
