"""The count of a cycle's democratic rating: turnout per rater group, ballot counts per unit,
the tally with its consistency checks, publication of the counts and receipts, and sealing the box.

Every unit's score and explanation in the tally is the engine's
(:func:`app.rubric.engine.democratic_component` under :func:`~.context.cycle_policy`), the same
computation and policy as the democratic component of the unit's result row. Only counts ever
leave the box, never a whole ballot.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import Integer, func, select, text, update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.models import Cycle, Unit
from app.models.base import utcnow
from app.models.voting import Ballot, Receipt, RollEntry, VotingState
from app.rubric import democratic_component
from app.rubric.disclosure import Disclosure, disclose
from app.rubric.numbers import D, q2
from app.rubric.scheme import BallotPolicy

from .. import ServiceError
from ..audit import record
from ..schemes import cycle_scheme
from .ballot import decode_choices
from .context import (
    MIN_GROUP,
    CycleRules,
    check_setup_stamp,
    cycle_rules,
    cycle_units,
    groups_of,
    stage_is_open,
    state,
)


# ---------------------------------------------------------------- turnout and counts
@dataclass
class GroupTurnout:
    key: str
    name: str
    weight: Decimal | None
    roll: int  # entries that may vote (not void)
    voted: int

    @property
    def share(self) -> Decimal:
        return (Decimal(self.voted) * 100 / self.roll).quantize(Decimal("0.1")) if self.roll else Decimal("0.0")


def turnout(db: Session, cycle: Cycle) -> list[GroupTurnout]:
    """Per rater group: entries on the roll (voided codes left out) and how many have voted.
    Never the choices."""
    rows = {g: (n, int(v or 0)) for g, n, v in db.execute(
        select(RollEntry.group_id, func.count(), func.sum(func.cast(RollEntry.voted, Integer())))
        .where(RollEntry.cycle_id == cycle.id, RollEntry.void == False)  # noqa: E712
        .group_by(RollEntry.group_id)).all()}
    # a voided entry never has a ballot (void_and_replace refuses voted entries)
    return [GroupTurnout(g.key, g.name, g.weight, *rows.get(g.id, (0, 0))) for g in groups_of(db, cycle.id)]


def rater_group_weights(db: Session, cycle: Cycle) -> dict[str, Decimal]:
    """``{group key: weight}`` of the groups that have a weight; {} = plain mean of all ballots."""
    return {g.key: D(g.weight) for g in groups_of(db, cycle.id) if g.weight is not None}


def _ballot_rows(db: Session, cycle_id: int):
    ballot = Ballot.__table__
    return db.execute(select(ballot.c.group_key, ballot.c.choices).where(ballot.c.cycle_id == cycle_id)).all()


def _counts(rows, units: Sequence[Unit], group_keys: Sequence[str],
            levels: Sequence[str]) -> dict[int, dict[str, dict[str, int]]]:
    counts: dict[int, dict[str, dict[str, int]]] = {
        u.id: {g: dict.fromkeys(levels, 0) for g in group_keys} for u in units}
    for group_key, payload in rows:
        for uid, lv in decode_choices(payload):
            per_unit = counts.setdefault(uid, {})
            per_group = per_unit.setdefault(group_key, dict.fromkeys(levels, 0))
            per_group[levels[lv]] += 1
    return counts


def ballot_counts(db: Session, cycle: Cycle) -> dict[int, dict[str, dict[str, int]]]:
    """``{unit_id: {group_key: {level: count}}}`` for every unit of the cycle, every rater group
    and every level (zeros included)."""
    scheme = cycle_scheme(cycle)
    return _counts(_ballot_rows(db, cycle.id), cycle_units(db, scheme), [g.key for g in groups_of(db, cycle.id)],
                   scheme.ballot.level_names)


# ---------------------------------------------------------------- the tally
@dataclass
class UnitTally:
    unit: Unit
    points_max: Decimal
    counts: dict[str, dict[str, int]]  # group key -> level -> count (all groups)
    total: dict[str, int]  # level -> count over all groups
    ballots: int
    mean: Decimal | None
    points: Decimal | None
    explanation: str


@dataclass
class Tally:
    cycle: Cycle
    rules: CycleRules
    groups: list[GroupTurnout]
    weights: dict[str, Decimal]
    units: list[UnitTally]
    ballots: int
    voted: int
    shown_groups: list[GroupTurnout] = field(default_factory=list)  # groups with ≥ MIN_GROUP voters

    @property
    def policy(self) -> BallotPolicy:
        return self.rules.policy

    @property
    def by_category(self) -> dict[str, list[UnitTally]]:
        out: dict[str, list[UnitTally]] = {}
        for u in self.units:
            out.setdefault(u.unit.category, []).append(u)
        return out

    def disclosure(self, ut: UnitTally) -> Disclosure:
        """What of ``ut``'s counts may be shown (:func:`app.rubric.disclosure.disclose`)."""
        return disclose({g.key: ut.counts.get(g.key, {}) for g in self.groups}, MIN_GROUP,
                        names={g.key: g.name for g in self.groups}, levels=self.policy.level_names,
                        weighted=bool(self.weights))

    def shown_counts(self, ut: UnitTally) -> list[tuple[str, dict[str, int]]]:
        """The per-group lines that may be shown (small groups merged or left out, see
        :mod:`app.rubric.disclosure`)."""
        return [(line.label, line.counts) for line in self.disclosure(ut).lines]


class TallyInconsistent(ServiceError):
    pass


def tally(db: Session, cycle: Cycle) -> Tally:
    """Counts, the mean and the component points of every unit, with the explanation: the
    engine's democratic component (:func:`app.rubric.engine.democratic_component`) under the
    cycle's policy, as in the results. Checks that ballots = roll entries marked voted (per group
    too) and that every unit's counts add up to the ballots that rated it; raises
    :class:`TallyInconsistent` if not."""
    rules = cycle_rules(db, cycle)
    policy = rules.policy
    names = policy.level_names
    groups = turnout(db, cycle)
    rows = _ballot_rows(db, cycle.id)
    voted = sum(g.voted for g in groups)
    per_group_ballots: dict[str, int] = {}
    n_choices = 0
    for gk, payload in rows:
        per_group_ballots[gk] = per_group_ballots.get(gk, 0) + 1
        n_choices += payload.count(":")
    if len(rows) != voted:
        raise TallyInconsistent(f"票箱中有 {len(rows)} 张选票，名册中已投票 {voted} 人，二者不一致，请联系管理员核查。")
    for g in groups:
        if per_group_ballots.get(g.key, 0) != g.voted:
            raise TallyInconsistent(
                f"「{g.name}」票箱中 {per_group_ballots.get(g.key, 0)} 张，名册已投票 {g.voted} 人，不一致。"
            )
    units = cycle_units(db, rules.scheme)
    counts = _counts(rows, units, [g.key for g in groups], names)
    tallied = []
    summed = 0
    for u in units:
        c = counts.get(u.id, {})
        total = dict.fromkeys(names, 0)
        for per in c.values():
            for lv, n in per.items():
                total[lv] += n
        ballots = sum(total.values())
        summed += ballots
        assert ballots <= len(rows), "a unit rated more often than there are ballots"
        pts_max = rules.points.get(u.category, Decimal(0))
        res = democratic_component(policy, c, pts_max)
        mean = res.inputs.get("mean") if isinstance(res.inputs, dict) else None
        tallied.append(UnitTally(unit=u, points_max=pts_max, counts=c, total=total, ballots=ballots,
                                 mean=q2(mean) if mean is not None else None,
                                 points=res.points if ballots else None, explanation=res.explanation))
    if summed != n_choices:
        raise TallyInconsistent(f"各单位票数之和 {summed} 与选票中的评定总数 {n_choices} 不一致。")
    shown = [g for g in groups if g.voted >= MIN_GROUP]
    return Tally(cycle=cycle, rules=rules, groups=groups, weights=policy.group_weights or {}, units=tallied,
                 ballots=len(rows), voted=voted, shown_groups=shown)


# ---------------------------------------------------------------- close: publish and seal
def receipts(db: Session, cycle_id: int) -> list[str]:
    receipt = Receipt.__table__
    return sorted(db.execute(select(receipt.c.code).where(receipt.c.cycle_id == cycle_id)).scalars())


def publish(db: Session, *, actor_id: int, cycle: Cycle, expected_stamp: str | None = None) -> VotingState:
    """After the stage has closed: publish the counts and the receipt list (never whole ballots).
    ``expected_stamp``: the :func:`setup_stamp` (with ballots) of the tally the office saw."""
    if stage_is_open(db, cycle.id):
        raise ServiceError("民主测评尚未结束，结束后才能公布结果和回执码。")
    t = tally(db, cycle)
    if t.ballots < MIN_GROUP:
        raise ServiceError(f"有效选票不足 {MIN_GROUP} 张，公布结果会暴露个人选择。")
    st = state(db, cycle.id)
    if st.published_at is not None:
        raise ServiceError("结果已公布。")
    check_setup_stamp(db, cycle.id, expected_stamp,
                      "打开本页后选票或测评规则已有变化，未公布。请查看更新后的计票结果后再公布。", with_ballots=True)
    st.published_at = utcnow()
    st.published_by_id = actor_id
    db.add(st)
    db.flush()
    record(db, actor_id=actor_id, action="publish", entity="voting", entity_id=cycle.id, cycle_id=cycle.id,
           new={"ballots": t.ballots, "receipts": len(receipts(db, cycle.id))})
    return st


def seal_box(engine: Engine, cycle_id: int) -> str:
    """After the stage has closed, remove the traces of voting order from storage (see
    :class:`app.models.voting.Ballot`). Runs outside the request transaction; idempotent."""
    with Session(engine) as s:
        if stage_is_open(s, cycle_id):
            raise ServiceError("民主测评尚未结束，不能封存票箱。")
    roll_t, ballot_t, receipt_t = RollEntry.__table__, Ballot.__table__, Receipt.__table__
    with engine.connect() as conn:
        with conn.begin():
            # one transaction rewrites every roll entry, ballot and receipt of the cycle, so that on
            # PostgreSQL they all carry the same transaction id (xmin): a ballot was written in the
            # same transaction as its voter's roll entry and its receipt, and would share its xmin
            conn.execute(update(roll_t).where(roll_t.c.cycle_id == cycle_id).values(voted=roll_t.c.voted))
            conn.execute(update(ballot_t).where(ballot_t.c.cycle_id == cycle_id)
                         .values(group_key=ballot_t.c.group_key))
            conn.execute(update(receipt_t).where(receipt_t.c.cycle_id == cycle_id)
                         .values(cycle_id=receipt_t.c.cycle_id))
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("SET lock_timeout = '10s'"))  # never stall behind a long reader
            for table, index in (("ballot", "pk_ballot"), ("receipt", "pk_receipt"), ("roll_entry", "pk_roll_entry")):
                conn.execute(text(f"CLUSTER {table} USING {index}"))
            conn.execute(text("VACUUM (ANALYZE) ballot, receipt, roll_entry"))
    else:
        raw = engine.raw_connection()
        try:
            dbapi = raw.driver_connection
            dbapi.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            dbapi.execute("VACUUM")
            dbapi.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            raw.close()
    with Session(engine) as s:
        st = state(s, cycle_id)
        st.sealed_at = utcnow()
        s.add(st)
        s.commit()
    return "票箱已封存"
