"""Democratic rating: rules, one ballot per entry (also under concurrent submissions), anonymity
of the box, tally and the contract for the results engine. Runs on SQLite (a file database) and
on PostgreSQL."""

import re
import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import inspect, select, text
from sqlmodel import Session

from app.models import Stage
from app.models.base import utcnow
from app.models.voting import Ballot, RaterGroup, Receipt, RollEntry
from app.services import ServiceError, StageClosed, stages, voting
from tests.builders import factories as f


@pytest.fixture
def hall(session, tmp_path):
    """5 colleges and 4 departments, a cycle (the test scheme's rules: at most 30 % 优秀 per
    category), two rater groups and 10 codes per group, 5 of the staff codes for people of college 0."""
    voting.forget_context()
    colleges = [f.unit(session, f"学院{i}", "college") for i in range(5)]
    depts = [f.unit(session, f"部门{i}", "department") for i in range(4)]
    cycle = f.cycle(session, scheme=f.voting_scheme(session))
    groups = voting.create_default_groups(session, actor_id=None, cycle=cycle)
    voting.issue_codes(session, actor_id=None, cycle=cycle, group_id=groups[0].id, count=10, batch="干部")
    voting.issue_codes(session, actor_id=None, cycle=cycle, group_id=groups[1].id, count=5, batch="代表")
    voting.issue_codes(session, actor_id=None, cycle=cycle, group_id=groups[1].id, count=5, batch="学院0",
                       unit_id=colleges[0].id)
    session.commit()

    class Hall:
        pass

    h = Hall()
    h.session, h.cycle, h.groups, h.colleges, h.depts = session, cycle, groups, colleges, depts

    def codes(batch):
        return [e.code for e in voting.codes_of_batch(session, cycle.id, batch)]

    h.codes = codes
    return h


def _form(units, levels):
    return {f"u{u.id}": str(lv) for u, lv in zip(units, levels, strict=True)}


def _valid(h, own=None):
    """One 优秀 per category (the limit: floor(0.3 × 5) = 1, floor(0.3 × 4) = 1), the rest 合格."""
    cols = [u for u in h.colleges if u.id != own]
    return {**_form(cols, [0] + [1] * (len(cols) - 1)), **_form(h.depts, [0, 1, 1, 2])}


def _cast(h, engine, code, form, commit=True):
    voter = voting.voter_by_code(engine, code)
    ctx = voting.ballot_context(engine, h.cycle.id)
    choices, errors = voting.check_choices(ctx, voter.unit_id, form)
    assert errors == []
    receipt = voting.cast_ballot(engine, cycle_id=voter.cycle_id, roll_id=voter.roll_id, group_key=voter.group_key,
                                 choices=choices, ctx=ctx)
    if commit:
        h.session.commit()  # end the test session's read snapshot so that it sees the ballot
    return receipt


def _count(session, model):
    session.commit()
    return len(session.execute(select(model.__table__)).all())


def test_scheme_policy_and_scheme_snapshot(session):
    import json

    from seeds.demo import SCHEME_FILE

    c = f.cycle(session, scheme=f.voting_scheme(session))
    p = voting.cycle_policy(session, c)
    assert dict(p.levels) == {"优秀": 90, "合格": 70, "不合格": 50}
    assert p.max_excellent_share == Decimal("0.3") and p.all_units_required and p.exclude_own_unit
    assert voting.cycle_rules(session, c).points == {"college": 20, "department": 70}
    assert p.excellent_limit(5) == 1 and p.excellent_limit(10) == 3
    data = json.loads(SCHEME_FILE.read_text(encoding="utf-8"))
    c.scheme_data = data
    p = voting.cycle_policy(session, c)
    assert p.max_excellent_share == (None if data["ballot"]["max_excellent_share"] is None
                                     else Decimal(str(data["ballot"]["max_excellent_share"])))
    assert [k for k, _n, _w in p.rater_groups] == [g["key"] for g in data["ballot"]["rater_groups"]]
    # the office's setting for the cycle wins, and is refused once ballots exist
    voting.set_excellent_share(session, actor_id=None, cycle=c, share=Decimal("0.25"))
    assert voting.cycle_policy(session, c).max_excellent_share == Decimal("0.25")


def test_rules_are_checked_and_explained(hall, engine):
    ctx = voting.ballot_context(engine, hall.cycle.id)
    too_many = {**_form(hall.colleges, [0, 0, 1, 1, 1]), **_form(hall.depts, [1, 1, 1, 1])}
    _c, errors = voting.check_choices(ctx, None, too_many)
    assert errors == ["院部：「优秀」最多可评1个单位（30%），现评了2个"]
    missing = _form(hall.colleges, [0, 1, 1, 1, 1])
    _c, errors = voting.check_choices(ctx, None, missing)
    assert len(errors) == 1 and errors[0].startswith("部门：以下单位尚未测评：部门0")
    own = hall.colleges[0].id
    _c, errors = voting.check_choices(ctx, own, {**_valid(hall), f"u{own}": "1"})
    assert any("不能对本单位进行测评" in e for e in errors)
    _c, errors = voting.check_choices(ctx, None, {**_valid(hall), "u999999": "1"})
    assert errors == ["选票含有不在本次测评范围内的单位"]
    _c, errors = voting.check_choices(ctx, None, {**_valid(hall), f"u{hall.depts[0].id}": "7"})
    assert "选票含有无效的等次" in errors
    choices, errors = voting.check_choices(ctx, None, _valid(hall))
    assert errors == [] and len(choices) == 9


def test_a_ballot_carries_no_link_to_its_voter(hall, engine):
    code = hall.codes("干部")[0]
    receipt = _cast(hall, engine, code, _valid(hall))
    s = hall.session
    cols = {c["name"] for c in inspect(engine).get_columns("ballot")}
    assert cols == {"id", "cycle_id", "group_key", "choices"}  # no voter, code, time, address or sequence
    row = s.execute(select(Ballot.__table__)).one()
    assert re.fullmatch(r"[0-9a-f]{32}", row.id)
    assert code not in str(tuple(row)) and receipt not in str(tuple(row))
    entry = s.execute(select(RollEntry).where(RollEntry.code == code)).scalar_one()
    assert entry.voted is True
    assert all(re.fullmatch(r"\d+:[0-2]", p) for p in row.choices.split(","))
    assert s.execute(select(Receipt.code)).scalar_one() == receipt
    assert {c["name"] for c in inspect(engine).get_columns("receipt")} == {"code", "cycle_id"}
    if engine.dialect.name == "sqlite":
        # WITHOUT ROWID: rows are kept in the order of their random keys, not of insertion
        ddl = s.execute(text("SELECT sql FROM sqlite_master WHERE name = 'ballot'")).scalar()
        assert "WITHOUT ROWID" in ddl.upper()


def test_storage_order_does_not_follow_voting_order(hall, engine):
    s = hall.session
    codes = hall.codes("干部") + hall.codes("代表")
    for code in codes:
        _cast(hall, engine, code, _valid(hall))
    s.expire_all()
    ids = [r[0] for r in s.execute(text("SELECT id FROM ballot")).all()]
    assert len(ids) == 15 and len(set(ids)) == 15
    # on SQLite a plain scan returns key order (random), not insertion order
    if engine.dialect.name == "sqlite":
        assert ids == sorted(ids)


def test_one_ballot_per_code(hall, engine):
    code = hall.codes("干部")[0]
    _cast(hall, engine, code, _valid(hall))
    with pytest.raises(voting.AlreadyVoted):
        _cast(hall, engine, code, _valid(hall))
    assert _count(hall.session, Ballot) == 1 and _count(hall.session, Receipt) == 1


@pytest.mark.parametrize("cached", [True, False], ids=["cached-context", "fresh-context"])
def test_concurrent_duplicates_record_exactly_one_ballot(hall, engine, cached):
    """The same code submitted 16 times at once (threads, separate connections): one ballot, with
    the cycle's cached context and with each cast reading the context afresh."""
    code = hall.codes("代表")[0]
    voter = voting.voter_by_code(engine, code)
    ctx = voting.ballot_context(engine, hall.cycle.id)
    choices, _ = voting.check_choices(ctx, voter.unit_id, _valid(hall))
    n = 16
    barrier = threading.Barrier(n)
    outcomes = []

    def go():
        barrier.wait()
        try:
            voting.cast_ballot(engine, cycle_id=voter.cycle_id, roll_id=voter.roll_id, group_key=voter.group_key,
                               choices=choices, ctx=ctx if cached else None)
            outcomes.append("ok")
        except voting.AlreadyVoted:
            outcomes.append("dup")
        except Exception as exc:  # noqa: BLE001 — any other failure is a test failure below
            outcomes.append(repr(exc))

    threads = [threading.Thread(target=go) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["dup"] * (n - 1) + ["ok"]
    assert _count(hall.session, Ballot) == 1 and _count(hall.session, Receipt) == 1


def test_concurrent_different_codes_all_counted(hall, engine):
    codes = hall.codes("干部")
    hall.session.commit()
    voting.ballot_context(engine, hall.cycle.id)
    barrier = threading.Barrier(len(codes))
    errors = []

    def go(code):
        barrier.wait()
        try:
            _cast(hall, engine, code, _valid(hall), commit=False)
        except Exception as exc:  # noqa: BLE001
            errors.append(repr(exc))

    threads = [threading.Thread(target=go, args=(c,)) for c in codes]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert _count(hall.session, Ballot) == len(codes)
    t = voting.tally(hall.session, hall.cycle)
    assert t.ballots == t.voted == len(codes)


def test_closed_stage_refuses_even_with_a_cached_context(hall, engine):
    code = hall.codes("干部")[0]
    ctx = voting.ballot_context(engine, hall.cycle.id)
    stage = stages.get_stage(hall.session, hall.cycle.id, "democratic")
    stages.override_stage(hall.session, actor_id=None, stage=stage, action="close", reason="会议结束")
    hall.session.commit()
    voter = voting.voter_by_code(engine, code)
    choices, _ = voting.check_choices(ctx, None, _valid(hall))
    with pytest.raises(StageClosed):
        voting.cast_ballot(engine, cycle_id=hall.cycle.id, roll_id=voter.roll_id, group_key=voter.group_key,
                           choices=choices, ctx=ctx)
    assert _count(hall.session, Ballot) == 0
    assert voting.voter_by_code(engine, code).voted is False


def test_closing_time_passed_refuses(hall, engine):
    s = hall.session
    stage = s.execute(select(Stage).where(Stage.cycle_id == hall.cycle.id, Stage.kind == "democratic")).scalar_one()
    stage.closes_at = utcnow() - timedelta(minutes=1)
    stage.version += 1
    s.add(stage)
    s.commit()
    with pytest.raises(StageClosed):
        _cast(hall, engine, hall.codes("干部")[0], _valid(hall))


def test_a_stage_changed_since_caching_is_checked_again_and_the_vote_counts(hall, engine):
    """The cached context has an older stage version (the office moved the closing time later):
    the one-statement write refuses to rely on it, the full check finds the stage open, one ballot."""
    s = hall.session
    code = hall.codes("干部")[0]
    voter = voting.voter_by_code(engine, code)
    ctx = voting.ballot_context(engine, hall.cycle.id, fresh=True)
    stage = s.execute(select(Stage).where(Stage.cycle_id == hall.cycle.id, Stage.kind == "democratic")).scalar_one()
    stage.closes_at = stage.closes_at + timedelta(hours=1)
    stage.version += 1
    s.add(stage)
    s.commit()
    choices, _ = voting.check_choices(ctx, None, _valid(hall))
    receipt = voting.cast_ballot(engine, cycle_id=hall.cycle.id, roll_id=voter.roll_id, group_key=voter.group_key,
                                 choices=choices, ctx=ctx)
    s.commit()
    assert s.execute(select(Receipt.code)).scalar_one() == receipt
    assert _count(s, Ballot) == 1 and voting.voter_by_code(engine, code).voted is True
    with pytest.raises(voting.AlreadyVoted):
        voting.cast_ballot(engine, cycle_id=hall.cycle.id, roll_id=voter.roll_id, group_key=voter.group_key,
                           choices=choices, ctx=ctx)


def test_a_receipt_drawn_twice_is_drawn_again(hall, engine, monkeypatch):
    """Receipt codes are random; should one repeat, that write is undone whole and made again with
    a new code: no ballot without its receipt, none twice."""
    first = _cast(hall, engine, hall.codes("干部")[0], _valid(hall))
    draws = iter([first, first])
    real = voting.new_code
    monkeypatch.setattr(voting.cast, "new_code", lambda n: next(draws, None) or real(n))
    second = _cast(hall, engine, hall.codes("干部")[1], _valid(hall))
    assert second != first
    s = hall.session
    assert _count(s, Ballot) == 2 and _count(s, Receipt) == 2
    assert sorted(s.execute(select(Receipt.code)).scalars()) == sorted([first, second])


def test_sqlite_cast_leaves_nothing_behind_on_its_connection(hall, engine):
    """The TEMP table that carries a ballot into the trigger lives in memory and is empty after
    every cast, also a refused one; an UPDATE of the roll by anything else writes no ballot."""
    if engine.dialect.name != "sqlite":
        pytest.skip("the trigger is the SQLite write path")
    code = hall.codes("干部")[0]
    _cast(hall, engine, code, _valid(hall))
    with pytest.raises(voting.AlreadyVoted):
        _cast(hall, engine, code, _valid(hall))
    fairy = engine.raw_connection()
    try:
        assert fairy.info.get("kpi_cast")  # the connection the casts used (one thread: the same one)
        cur = fairy.cursor()
        assert cur.execute("PRAGMA temp_store").fetchone()[0] == 2  # MEMORY
        assert cur.execute("SELECT count(*) FROM temp.cast_pending").fetchone()[0] == 0
        other = hall.codes("代表")[0]
        cur.execute("UPDATE roll_entry SET voted = 1 WHERE code = ?", (other,))
    finally:
        fairy.close()
    s = hall.session
    s.commit()
    assert _count(s, Ballot) == 1 and _count(s, Receipt) == 1


def test_void_and_replace(hall, engine):
    s = hall.session
    old, used = hall.codes("干部")[:2]
    _cast(hall, engine, used, _valid(hall))
    entry = s.execute(select(RollEntry).where(RollEntry.code == old)).scalar_one()
    with pytest.raises(ServiceError, match="原因"):
        voting.void_and_replace(s, actor_id=None, cycle=hall.cycle, entry_id=entry.id, reason=" ")
    new = voting.void_and_replace(s, actor_id=None, cycle=hall.cycle, entry_id=entry.id, reason="测评票遗失")
    s.commit()
    assert new.code != old and new.group_id == entry.group_id and new.replaces_id == entry.id
    assert voting.voter_by_code(engine, old).void is True
    with pytest.raises(voting.AlreadyVoted):  # a voided code cannot vote
        _cast(hall, engine, old, _valid(hall))
    _cast(hall, engine, new.code, _valid(hall))
    used_entry = s.execute(select(RollEntry).where(RollEntry.code == used)).scalar_one()
    with pytest.raises(ServiceError, match="已投票"):
        voting.void_and_replace(s, actor_id=None, cycle=hall.cycle, entry_id=used_entry.id, reason="x")
    by_group = {g.key: g for g in voting.turnout(s, hall.cycle)}
    assert by_group[hall.groups[0].key].roll == 10 and by_group[hall.groups[0].key].voted == 2


def test_own_unit_is_left_out_for_codes_and_accounts(hall, engine):
    s = hall.session
    own = hall.colleges[0]
    ctx = voting.ballot_context(engine, hall.cycle.id)
    code = hall.codes("学院0")[0]
    voter = voting.voter_by_code(engine, code)
    assert voter.unit_id == own.id
    assert own.id not in {u.id for u in ctx.units_for(voter.unit_id)["college"]}
    _cast(hall, engine, code, _valid(hall, own=own.id))
    payload = s.execute(select(Ballot.choices)).scalar_one()
    assert str(own.id) not in [p.split(":")[0] for p in payload.split(",")]
    # accounts: the unit they work in
    u = f.user(s, "tp1", roles=["voter"], unit_id=hall.depts[1].id)
    assert voting.add_accounts(s, actor_id=None, cycle=hall.cycle, group_id=hall.groups[0].id) == 1
    assert voting.add_accounts(s, actor_id=None, cycle=hall.cycle, group_id=hall.groups[0].id) == 0
    s.commit()
    v = voting.voter_for_user(engine, hall.cycle.id, u.id)
    assert v.unit_id == hall.depts[1].id
    from app.services.stage_kinds import pending_people

    assert pending_people(s, hall.cycle, "democratic") == {u.id}


def test_tally_counts_scores_and_checks(hall, engine):
    s = hall.session
    c0, c1 = hall.colleges[0], hall.colleges[1]
    # 5 cadres: college 1 gets 优秀 ×3, 合格 ×2 → mean 82 → 20 × 0.82 = 16.40
    for i, code in enumerate(hall.codes("干部")[:5]):
        levels = [1, 0 if i < 3 else 1, 1, 1, 1] if i < 3 else [1, 1, 1, 1, 1]
        form = {**_form(hall.colleges, levels), **_form(hall.depts, [1, 1, 1, 2])}
        if i >= 3:
            form[f"u{c0.id}"] = "0"
        _cast(hall, engine, code, form)
    # 2 staff from college 0 (their own unit left out): 不合格 for college 1
    for code in hall.codes("学院0")[:2]:
        form = {**_form(hall.colleges[1:], [2, 0, 1, 1]), **_form(hall.depts, [1, 1, 1, 1])}
        _cast(hall, engine, code, form)
    counts = voting.ballot_counts(s, hall.cycle)
    cadre, staff = hall.groups[0].key, hall.groups[1].key
    assert counts[c1.id][cadre] == {"优秀": 3, "合格": 2, "不合格": 0}
    assert counts[c1.id][staff] == {"优秀": 0, "合格": 0, "不合格": 2}
    assert counts[c0.id][staff] == {"优秀": 0, "合格": 0, "不合格": 0}  # left out of their ballots
    assert set(counts) == {u.id for u in hall.colleges + hall.depts}
    t = voting.tally(s, hall.cycle)
    assert t.ballots == t.voted == 7
    by_unit = {ut.unit.id: ut for ut in t.units}
    # unweighted: all 7 ballots on college 1: (3×90 + 2×70 + 2×50) / 7 = 72.857… → 20 × 0.72857 = 14.57
    assert by_unit[c1.id].total == {"优秀": 3, "合格": 2, "不合格": 2}
    assert by_unit[c1.id].points == Decimal("14.57")
    assert "全部选票" in by_unit[c1.id].explanation and "14.57" in by_unit[c1.id].explanation
    assert by_unit[c0.id].ballots == 5  # the two staff of college 0 did not rate it
    assert by_unit[hall.depts[3].id].points == Decimal("39.00")  # (5×50 + 2×70) / 7 = 55.71 → 70 × 0.5571
    # every unit's counts add up to the ballots that rated it
    assert sum(ut.ballots for ut in t.units) == 5 * 9 + 2 * 8
    # small group (2 staff voters): no breakdown line of its own, and not the cadres' line either,
    # which the unit's total minus would give the staff's counts back: only the total is shown
    assert t.shown_counts(by_unit[c1.id]) == []
    assert "不分类别显示" in t.disclosure(by_unit[c1.id]).note and t.disclosure(by_unit[c1.id]).totals_shown


def test_tally_with_weights_hides_small_groups_in_the_explanation(hall, engine):
    s = hall.session
    for code in hall.codes("干部")[:5]:
        _cast(hall, engine, code, {**_form(hall.colleges, [0, 1, 1, 1, 1]), **_form(hall.depts, [1, 1, 1, 1])})
    for code in hall.codes("代表")[:2]:
        _cast(hall, engine, code, {**_form(hall.colleges, [2, 1, 1, 1, 1]), **_form(hall.depts, [1, 1, 1, 1])})
    for g, w in zip(hall.groups, ("0.6", "0.4"), strict=True):
        voting.save_group(s, actor_id=None, cycle=hall.cycle, key=g.key, name=g.name, weight=Decimal(w),
                          group_id=g.id)
    s.commit()
    assert voting.rater_group_weights(s, hall.cycle) == {hall.groups[0].key: Decimal("0.6"),
                                                         hall.groups[1].key: Decimal("0.4")}
    t = voting.tally(s, hall.cycle)
    ut = next(u for u in t.units if u.unit.id == hall.colleges[0].id)
    # cadres mean 90, staff mean 50 → 0.6×90 + 0.4×50 = 74 → 20 × 0.74 = 14.80
    assert ut.points == Decimal("14.80")
    assert "人数不足5人，明细不显示" in ut.explanation and "不合格2票" not in ut.explanation


def _democratic_components(session, cycle) -> dict[int, dict]:
    """The democratic component of every unit's result row, computed by the results service from
    the same ballots (its own providers)."""
    from app.services import results

    payload = results.compute(session, cycle)
    return {int(uid): next(c for c in row["components"] if c["kind"] == "democratic")
            for uid, row in payload["rows"].items()}


@pytest.mark.parametrize("weighted", [True, False], ids=["weighted-groups", "plain-mean"])
def test_tally_shows_the_result_rows_democratic_component(hall, engine, weighted):
    """The office's tally and the result row come from one computation with one policy: the same
    points and the same explanation for every unit, with weighted rater groups and a group of 2
    (below MIN_GROUP) as well as with the plain mean over all ballots. The mean is rounded
    half-up, as the engine rounds."""
    s = hall.session
    c1 = hall.colleges[1]
    for code in hall.codes("干部")[:5]:  # college 1: 优秀 ×5 → cadre mean 90
        _cast(hall, engine, code, {**_form(hall.colleges, [1, 0, 1, 1, 1]), **_form(hall.depts, [0, 1, 1, 2])})
    for code in hall.codes("代表")[:2]:  # college 1: 合格 ×2 → staff mean 70
        _cast(hall, engine, code, {**_form(hall.colleges, [1, 1, 1, 1, 2]), **_form(hall.depts, [1, 1, 1, 1])})
    if weighted:  # 0.81 × 90 + 0.79 × 70 over 1.6 = 80.125 exactly
        for g, w in zip(hall.groups, ("0.81", "0.79"), strict=True):
            voting.save_group(s, actor_id=None, cycle=hall.cycle, key=g.key, name=g.name, weight=Decimal(w),
                              group_id=g.id)
    s.commit()
    t = voting.tally(s, hall.cycle)
    rows = _democratic_components(s, hall.cycle)
    assert set(rows) == {ut.unit.id for ut in t.units}
    for ut in t.units:
        assert format(ut.points, "f") == rows[ut.unit.id]["points"], ut.unit.name
        assert ut.explanation == rows[ut.unit.id]["explanation"], ut.unit.name
    ut = next(u for u in t.units if u.unit.id == c1.id)
    if weighted:
        assert ut.mean == Decimal("80.13")  # half-up; half-even would give 80.12
        assert ut.points == Decimal("16.03")  # q2(80.125 ÷ 100 × 20)
        # the cadres' counts and mean with the published points would give the 2 staff back
        assert "中层干部：与人数不足5人的类别一并不显示明细，权重 0.81" in ut.explanation
        assert "优秀5票" not in ut.explanation
        assert "教职工代表：人数不足5人，明细不显示，权重 0.79" in ut.explanation
        assert "合格2票" not in ut.explanation
    else:  # (5 × 90 + 2 × 70) / 7 = 84.2857… → 20 × 0.842857 = 16.86
        assert ut.mean == Decimal("84.29") and ut.points == Decimal("16.86")
        assert ut.explanation.startswith("民主测评（优秀=90、合格=70、不合格=50）：全部选票：")
        assert "全部选票：优秀5票，合格2票，不合格0票，平均 84.29" in ut.explanation
        assert "教职工代表" not in ut.explanation


@pytest.mark.parametrize("snapshot", [None, {"name": "残缺方案", "categories": [{"key": "college"}]}],
                         ids=["no-scheme", "invalid-snapshot"])
def test_a_cycle_without_a_usable_scheme_takes_no_ballot(session, engine, snapshot):
    """No scheme assigned (or a snapshot that does not load): no rules, so the ballot context says
    why, every ballot is refused and nothing is written; the tally and the scheme's groups are refused."""
    from app.services.schemes import SchemeUnavailable

    voting.forget_context()
    units = [f.unit(session, f"学院{i}", "college") for i in range(3)]
    cycle = f.cycle(session)
    if snapshot is not None:
        cycle.scheme_data = snapshot
        session.add(cycle)
    why_scheme = "尚未指定考核方案" if snapshot is None else "考核方案快照有误"
    with pytest.raises(SchemeUnavailable, match=why_scheme):
        voting.cycle_policy(session, cycle)
    with pytest.raises(ServiceError, match=why_scheme):
        voting.create_default_groups(session, actor_id=None, cycle=cycle)
    group = voting.save_group(session, actor_id=None, cycle=cycle, key="cadre", name="中层干部", weight=None)
    voting.issue_codes(session, actor_id=None, cycle=cycle, group_id=group.id, count=1, batch="b")
    session.commit()
    ctx = voting.ballot_context(engine, cycle.id)
    is_open, why = ctx.stage_open()
    assert not is_open and why_scheme in why and "不能投票" in why
    assert ctx.policy is None and ctx.units == ()
    assert voting.check_choices(ctx, None, {f"u{units[0].id}": "0"}) == ({}, [why])
    voter = voting.voter_by_code(engine, voting.codes_of_batch(session, cycle.id, "b")[0].code)
    with pytest.raises(StageClosed, match=why_scheme):
        voting.cast_ballot(engine, cycle_id=cycle.id, roll_id=voter.roll_id, group_key=voter.group_key,
                           choices={units[0].id: 1}, ctx=ctx)
    assert voting.voter_by_id(engine, voter.roll_id).voted is False
    assert _count(session, Ballot) == 0 and _count(session, Receipt) == 0
    with pytest.raises(ServiceError, match=why_scheme):
        voting.tally(session, cycle)


def test_tally_detects_a_ballot_without_a_roll_entry(hall, engine):
    _cast(hall, engine, hall.codes("干部")[0], _valid(hall))
    s = hall.session
    s.execute(Ballot.__table__.insert().values(id="f" * 32, cycle_id=hall.cycle.id, group_key=hall.groups[0].key,
                                               choices=f"{hall.colleges[1].id}:0"))
    s.commit()
    with pytest.raises(voting.TallyInconsistent):
        voting.tally(s, hall.cycle)


def test_turnout_contract(hall, engine):
    _cast(hall, engine, hall.codes("代表")[0], _valid(hall))
    rows = voting.turnout(hall.session, hall.cycle)
    assert [(r.key, r.roll, r.voted) for r in rows] == [(hall.groups[0].key, 10, 0), (hall.groups[1].key, 10, 1)]
    assert voting.rater_group_weights(hall.session, hall.cycle) == {}


def test_publish_after_close_and_seal(hall, engine):
    s = hall.session
    if engine.dialect.name == "postgresql":
        before = s.execute(text("SELECT count(DISTINCT xmin::text) FROM ballot")).scalar()
        assert before == 0
        s.commit()
    for code in hall.codes("干部")[:6]:
        _cast(hall, engine, code, _valid(hall))
    if engine.dialect.name == "postgresql":  # each ballot was written by its own transaction
        assert s.execute(text("SELECT count(DISTINCT xmin::text) FROM ballot")).scalar() == 6
        s.commit()
    with pytest.raises(ServiceError, match="尚未结束"):
        voting.publish(s, actor_id=None, cycle=hall.cycle)
    stage = stages.get_stage(s, hall.cycle.id, "democratic")
    stages.override_stage(s, actor_id=None, stage=stage, action="close", reason="结束")
    s.commit()
    voting.publish(s, actor_id=None, cycle=hall.cycle)
    s.commit()
    assert len(voting.receipts(s, hall.cycle.id)) == 6
    s.commit()  # sealing rewrites the tables: no open transaction may hold them
    assert voting.seal_box(engine, hall.cycle.id) == "票箱已封存"
    s.commit()
    assert voting.state(s, hall.cycle.id).sealed_at is not None
    assert voting.tally(s, hall.cycle).ballots == 6  # nothing lost by sealing
    s.commit()
    if engine.dialect.name == "postgresql":
        # every row of the box, the receipts and the roll now carries one and the same xmin:
        # no transaction id pairs a ballot with its voter or its receipt
        for table in ("ballot", "receipt", "roll_entry"):
            assert s.execute(text(f"SELECT count(DISTINCT xmin::text) FROM {table}")).scalar() == 1
        s.commit()


def test_groups_and_codes_validation(hall):
    s = hall.session
    with pytest.raises(ServiceError):
        voting.save_group(s, actor_id=None, cycle=hall.cycle, key=hall.groups[0].key, name="重复", weight=None)
    with pytest.raises(ServiceError):
        voting.issue_codes(s, actor_id=None, cycle=hall.cycle, group_id=hall.groups[0].id, count=0)
    with pytest.raises(ServiceError):
        voting.create_default_groups(s, actor_id=None, cycle=hall.cycle)
    batch, n = voting.issue_codes(s, actor_id=None, cycle=hall.cycle, group_id=hall.groups[0].id, count=50)
    codes = [e.code for e in voting.codes_of_batch(s, hall.cycle.id, batch)]
    assert n == 50 and len(set(codes)) == 50
    assert all(re.fullmatch(f"[{voting.CODE_ALPHABET}]{{8}}", c) for c in codes)
    assert voting.normalise_code(" abcd-efgh ") == "ABCDEFGH"
    assert isinstance(s.get(RaterGroup, hall.groups[0].id), RaterGroup)


def test_session_helper_is_unused_by_the_write_path(hall, engine):
    """The cast goes through its own short transaction: an open ORM session elsewhere does not
    see a half-written ballot, and rolling it back does not undo the ballot."""
    with Session(engine) as other:
        other.execute(select(RollEntry.id)).all()
        _cast(hall, engine, hall.codes("干部")[0], _valid(hall))
        other.rollback()
    assert _count(hall.session, Ballot) == 1


def test_the_seal_job_seals_closed_boxes_once(hall, engine):
    from app.jobs.voting import seal_closed_boxes

    s = hall.session
    _cast(hall, engine, hall.codes("干部")[0], _valid(hall))
    assert seal_closed_boxes(s, utcnow()) == "封存票箱 0 个"  # still open
    stage = stages.get_stage(s, hall.cycle.id, "democratic")
    stages.override_stage(s, actor_id=None, stage=stage, action="close", reason="结束")
    s.commit()
    assert seal_closed_boxes(s, utcnow()) == "封存票箱 1 个"
    s.commit()
    assert seal_closed_boxes(s, utcnow()) == "封存票箱 0 个"
    s.commit()
    assert voting.tally(s, hall.cycle).ballots == 1
