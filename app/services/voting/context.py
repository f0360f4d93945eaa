"""The rules of a cycle's democratic rating and the cached context of its ballot.

The rules are the scheme's :class:`~app.rubric.scheme.BallotPolicy` (the cycle's snapshot, loaded
with :func:`app.services.schemes.cycle_scheme`) with the cycle's own settings applied in one
place, :func:`cycle_policy`: the office's 优秀 share for this cycle
(``VotingState.max_excellent_share``), the cycle's rater groups with their weights, and the
smallest group whose counts an explanation lists (:data:`MIN_GROUP`). The ballot check, the tally
and the results (``app.services.results.compute``) all score with it.

The ballot pages and the cast need the unit list, the rules and the stage on every request; a
worker keeps them per cycle for :data:`CONTEXT_TTL` seconds (:func:`ballot_context`). A cycle
without a usable scheme gets a context that says why no ballot can be cast.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.models import Cycle, Stage, StageOverride, Unit
from app.models.report import SelfReport
from app.models.voting import Ballot, RaterGroup, VotingState
from app.rubric.numbers import D
from app.rubric.scheme import BallotPolicy, Scheme

from .. import ServiceError, StaleData
from ..audit import record
from ..org import active_units
from ..readmemo import memo
from ..schemes import SchemeUnavailable, cycle_scheme
from ..stages import stage_state, state_of

KIND = "democratic"
MIN_GROUP = 5  # no breakdown is shown for a group with fewer voters
CONTEXT_TTL = 5.0  # seconds a worker keeps a cycle's unit list and rules


# ---------------------------------------------------------------- the cycle's rules
def setup_stamp(db: Session, cycle_id: int, *, with_ballots: bool = False) -> str:
    """The version of a cycle's rating setup as a page shows it (the rater groups with their
    weights and the 优秀 share; ``with_ballots``: also the number of ballots, for the tally),
    posted back by the office's forms: the voting tables have no version column."""
    st = db.get(VotingState, cycle_id)
    parts = [repr(st.max_excellent_share if st else None)]
    parts += [repr((g.id, g.key, g.name, g.weight)) for g in groups_of(db, cycle_id)]
    if with_ballots:
        ballot = Ballot.__table__
        parts.append(str(db.execute(select(func.count()).select_from(ballot)
                                    .where(ballot.c.cycle_id == cycle_id)).scalar()))
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def check_setup_stamp(db: Session, cycle_id: int, expected: str | None, message: str, *,
                      with_ballots: bool = False) -> None:
    """Refuse (:class:`StaleData` with ``message``) when ``expected`` is given and the setup has
    changed since the page showed it; a post without a stamp is not checked."""
    if expected and expected != setup_stamp(db, cycle_id, with_ballots=with_ballots):
        raise StaleData(message)


def groups_of(db: Session, cycle_id: int) -> list[RaterGroup]:
    """The cycle's rater groups in their order."""
    return memo(db, ("rater_groups", cycle_id),
                lambda: db.execute(select(RaterGroup).where(RaterGroup.cycle_id == cycle_id)
                                   .order_by(RaterGroup.position, RaterGroup.id)).scalars())


def scheme_policy(cycle: Cycle) -> BallotPolicy:
    """The ballot rules as the cycle's scheme states them, before the cycle's own settings.
    Raises :class:`~app.services.schemes.SchemeUnavailable` when the cycle has no usable scheme."""
    return cycle_scheme(cycle).ballot


def _with_cycle_settings(db: Session, cycle: Cycle, ballot: BallotPolicy) -> BallotPolicy:
    changes: dict = {"min_group": MIN_GROUP}
    st = db.get(VotingState, cycle.id)
    if st is not None and st.max_excellent_share is not None:
        share = D(st.max_excellent_share)
        changes["max_excellent_share"] = None if share >= 1 else share
    groups = groups_of(db, cycle.id)
    keys = {g.key for g in groups}
    # the weights are those of the cycle's groups (set from the scheme's when the groups were
    # created, then the office's); a group the scheme names but the cycle lacks keeps its name only
    changes["rater_groups"] = (tuple((g.key, g.name, None if g.weight is None else D(g.weight)) for g in groups)
                               + tuple((k, n, None) for k, n, _w in ballot.rater_groups if k not in keys))
    return replace(ballot, **changes)


def cycle_policy(db: Session, cycle: Cycle) -> BallotPolicy:
    """The cycle's ballot rules: the scheme's :class:`BallotPolicy` with the office's 优秀 share
    for this cycle (1 or more: no limit), the cycle's rater groups and weights, and
    ``min_group`` = :data:`MIN_GROUP`. The one policy that ballots are checked and scored with.
    Raises :class:`~app.services.schemes.SchemeUnavailable` when the cycle has no usable scheme."""
    return _with_cycle_settings(db, cycle, cycle_scheme(cycle).ballot)


@dataclass(frozen=True)
class CycleRules:
    """The democratic rating's rules of a cycle as its pages show them."""

    scheme: Scheme
    policy: BallotPolicy  # :func:`cycle_policy`
    categories: Mapping[str, str]  # category key -> name, in the scheme's order
    points: Mapping[str, Decimal]  # category key -> points of its democratic component
    source: str  # where the rules come from, in words

    @property
    def scheme_policy(self) -> BallotPolicy:
        return self.scheme.ballot


def cycle_rules(db: Session, cycle: Cycle) -> CycleRules:
    """:func:`cycle_policy` with the scheme's categories and their democratic points. Raises
    :class:`~app.services.schemes.SchemeUnavailable` when the cycle has no usable scheme."""
    scheme = cycle_scheme(cycle)
    policy = _with_cycle_settings(db, cycle, scheme.ballot)
    source = f"考核方案「{scheme.name}」"
    st = db.get(VotingState, cycle.id)
    if st is not None and st.max_excellent_share is not None:
        source += "；优秀比例由目标办为本周期设定"
    return CycleRules(scheme=scheme, policy=policy, categories={c.key: c.name for c in scheme.categories},
                      points=scheme.component_points("democratic"), source=source)


def cycle_units(db: Session, scheme: Scheme) -> list[Unit]:
    """The active units of the scheme's categories, in the scheme's category order, then by
    position."""
    order = {c.key: i for i, c in enumerate(scheme.categories)}
    units = [u for u in active_units(db) if u.category in order]
    units.sort(key=lambda u: (order[u.category], u.position, u.id))
    return units


# ---------------------------------------------------------------- the cached ballot context
@dataclass(frozen=True)
class UnitRow:
    id: int
    name: str
    category: str


@dataclass(frozen=True)
class BallotContext:
    """What the ballot page and the rule check need, cached per cycle per worker for a few seconds."""

    cycle_id: int
    cycle_name: str
    rules: CycleRules | None  # None: no usable scheme (``unavailable`` says why)
    units: tuple[UnitRow, ...]
    by_category: Mapping[str, tuple[UnitRow, ...]]
    unit_ids: frozenset[int]
    stage: Stage | None
    overrides: tuple[StageOverride, ...]
    fingerprint: int = 0  # same value = same page content (units, rules, cycle name)
    unavailable: str = ""  # why no ballot can be cast whatever the stage (Chinese)
    published_reports: frozenset[int] = frozenset()  # units whose self-report is published (linked on the ballot)

    @property
    def policy(self) -> BallotPolicy | None:
        return self.rules.policy if self.rules is not None else None

    def stage_open(self) -> tuple[bool, str]:
        """Whether voting is open, as of the cached stage (the write re-checks in its transaction)."""
        if self.unavailable:
            return False, self.unavailable
        if self.stage is None:
            return False, "本周期没有民主测评阶段。"
        st = stage_state(self.stage, list(self.overrides))
        if st.is_open:
            return True, ""
        if st.status == "planned":
            return False, "民主测评尚未开始。"
        return False, "民主测评已结束，感谢参与。"

    def units_for(self, own_unit_id: int | None) -> dict[str, list[UnitRow]]:
        skip = own_unit_id if self.policy is not None and self.policy.exclude_own_unit else None
        return {cat: [u for u in rows if u.id != skip] for cat, rows in self.by_category.items()}


_context_cache: dict[tuple[str, int], tuple[float, BallotContext]] = {}
_context_lock = threading.Lock()
_refreshing: set[tuple[str, int]] = set()


def ballot_context(engine: Engine, cycle_id: int, *, fresh: bool = False) -> BallotContext | None:
    """The cycle's cached context. When it has expired one thread of the worker rebuilds it while
    the others go on with the previous one for those few milliseconds (no stampede)."""
    now = time.monotonic()
    key = (str(engine.url), cycle_id)
    hit = _context_cache.get(key)
    if hit is not None and not fresh:
        if hit[0] > now:
            return hit[1]
        with _context_lock:
            if key in _refreshing:
                return hit[1]
            _refreshing.add(key)
    try:
        with Session(engine) as s:
            cycle = s.get(Cycle, cycle_id)
            if cycle is None:
                return None
            ctx = _build_context(s, cycle)
        with _context_lock:
            _context_cache[key] = (time.monotonic() + CONTEXT_TTL, ctx)
        return ctx
    finally:
        with _context_lock:
            _refreshing.discard(key)


def forget_context(cycle_id: int | None = None) -> None:
    with _context_lock:
        for key in list(_context_cache):
            if cycle_id is None or key[1] == cycle_id:
                _context_cache.pop(key, None)


def _build_context(db: Session, cycle: Cycle) -> BallotContext:
    stage = db.execute(select(Stage).where(Stage.cycle_id == cycle.id, Stage.kind == KIND)).scalar()
    overrides = tuple(db.execute(select(StageOverride).where(StageOverride.stage_id == stage.id)).scalars()) \
        if stage else ()
    for obj in (stage, *overrides):
        if obj is not None:
            db.expunge(obj)
    try:
        rules = cycle_rules(db, cycle)
    except SchemeUnavailable as exc:
        return BallotContext(cycle_id=cycle.id, cycle_name=cycle.name, rules=None, units=(), by_category={},
                             unit_ids=frozenset(), stage=stage, overrides=overrides,
                             fingerprint=hash(repr((cycle.id, cycle.name, exc.message))),
                             unavailable=f"{exc.message}没有测评规则，不能投票。请联系目标办。")
    units = tuple(UnitRow(u.id, u.short_name or u.name, u.category) for u in cycle_units(db, rules.scheme))
    by_cat: dict[str, list[UnitRow]] = {}
    for u in units:
        by_cat.setdefault(u.category, []).append(u)
    fingerprint = hash(repr((cycle.id, cycle.name, units, rules.policy, rules.categories)))
    published = frozenset(db.execute(select(SelfReport.unit_id).where(
        SelfReport.cycle_id == cycle.id, SelfReport.published_at.is_not(None))).scalars())
    return BallotContext(cycle_id=cycle.id, cycle_name=cycle.name, rules=rules, units=units,
                         by_category={k: tuple(v) for k, v in by_cat.items()},
                         unit_ids=frozenset(u.id for u in units), stage=stage, overrides=overrides,
                         fingerprint=fingerprint, published_reports=published)


# ---------------------------------------------------------------- the cycle's state and settings
def stage_is_open(db: Session, cycle_id: int) -> bool:
    try:
        return state_of(db, cycle_id, KIND).is_open
    except ServiceError:
        return False


def state(db: Session, cycle_id: int) -> VotingState:
    """The cycle's voting state (a new, unsaved one when there is none yet)."""
    st = db.get(VotingState, cycle_id)
    if st is None:
        st = VotingState(cycle_id=cycle_id)
    return st


def has_ballots(db: Session, cycle_id: int) -> bool:
    ballot = Ballot.__table__
    return bool(db.execute(select(func.count()).select_from(ballot).where(ballot.c.cycle_id == cycle_id)).scalar())


def set_excellent_share(db: Session, *, actor_id: int, cycle: Cycle, share: Decimal | None,
                        expected_stamp: str | None = None) -> None:
    """The office sets this cycle's highest share of 优秀 per category (None: the scheme's rule;
    1 or more: no limit). Refused once ballots have been cast: the rule must not change mid-vote."""
    if share is not None and not (Decimal(0) <= share <= Decimal(1)):
        raise ServiceError("优秀票比例上限应在 0% 到 100% 之间。", field="share")
    if has_ballots(db, cycle.id):
        raise ServiceError("已有选票，不能再修改测评规则。")
    check_setup_stamp(db, cycle.id, expected_stamp, "打开本页后测评设置已被修改，未保存。请刷新页面查看后重新设置。")
    st = state(db, cycle.id)
    old = st.max_excellent_share
    st.max_excellent_share = share
    db.add(st)
    db.flush()
    record(db, actor_id=actor_id, action="set_excellent_share", entity="voting", entity_id=cycle.id,
           cycle_id=cycle.id, old={"max_excellent_share": old}, new={"max_excellent_share": share})
    forget_context(cycle.id)
