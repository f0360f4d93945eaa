"""Democratic rating (民主测评): rater groups, the voter roll and codes, casting a ballot, the tally.

Contract for the results engineer (stable, tested in tests/services/test_voting.py):

- :func:`ballot_counts` ``(db, cycle) -> {unit_id: {group_key: {level: count}}}`` — every unit of
  the cycle, every rater group of the cycle, every level of the policy (zeros included);
- :func:`rater_group_weights` ``(db, cycle) -> {group_key: Decimal}`` — only groups that have a
  weight; empty means "mean over all ballots";
- :func:`turnout` ``(db, cycle) -> list[GroupTurnout]`` — roll size and ballots cast per group;
- :func:`tally` ``(db, cycle) -> Tally`` — the component score of every unit with its
  explanation (``app.rubric.rules.democratic_score``), and the consistency checks.

Casting a ballot (:func:`cast_ballot`) is the one write path that is not an ordinary service:
the flip of the roll entry (``voted`` false → true, checked by rowcount) and the ballot and
receipt inserts must commit together, in as short a write as possible. It is one statement: on
PostgreSQL a CTE on an autocommit connection, on SQLite an UPDATE whose TEMP trigger writes the
ballot and the receipt (see ``_SQLITE_CAST_SETUP``), so SQLite's write lock is held only inside
one C call. The statement also checks that the stage is still as in the cycle's cached context;
when it is not, the context is read again and the write made again. Everything runs on the
driver's connection, no ORM. Nothing about the voter is logged.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import os
import re
import secrets
import sqlite3
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.models import Cycle, LoginThrottle, RoleMembership, Stage, StageOverride, Unit, User
from app.models.base import utcnow
from app.models.voting import Ballot, RaterGroup, Receipt, RollEntry, VotingState

from . import ServiceError, StageClosed
from .accounts import count_failure
from .audit import record
from .stages import stage_state, state_of

log = logging.getLogger("kpi.voting")

KIND = "democratic"
MIN_GROUP = 5  # no breakdown is shown for a group with fewer voters
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: easy to type from a slip
CODE_LEN = 8
RECEIPT_LEN = 10
MAX_CODES_PER_BATCH = 5000
CONTEXT_TTL = 5.0  # seconds a worker keeps a cycle's unit list and policy

DEFAULT_LEVELS = (("优秀", Decimal(90)), ("合格", Decimal(70)), ("不合格", Decimal(50)))
DEFAULT_POINTS = {"college": Decimal(20), "department": Decimal(70)}
DEFAULT_MAX_SHARE = Decimal("0.3")
DEFAULT_GROUPS = (("cadre", "中层干部", None), ("staff", "教职工代表", None))
CATEGORY_ORDER = ("college", "department")


class AlreadyVoted(ServiceError):
    """The roll entry has voted already (or its code was voided): nothing was recorded."""

    def __init__(self, message: str = "该测评码（或账号）已投票或已作废，每人只能投一次。"):
        super().__init__(message)


# ---------------------------------------------------------------- policy and the cycle's units
@dataclass(frozen=True)
class Policy:
    levels: tuple[tuple[str, Decimal], ...]
    excellent_level: str
    max_excellent_share: Decimal | None
    all_units_required: bool
    exclude_own_unit: bool
    points: Mapping[str, Decimal]  # category -> component points
    scheme_groups: tuple[tuple[str, str, Decimal | None], ...]
    source: str  # where the rules come from, in words

    @property
    def level_names(self) -> list[str]:
        return [n for n, _ in self.levels]

    @property
    def level_values(self) -> dict[str, Decimal]:
        return dict(self.levels)

    def excellent_limit(self, n_units: int) -> int | None:
        if self.max_excellent_share is None:
            return None
        return math.floor(self.max_excellent_share * n_units)

    def rule_text(self) -> str:
        parts = ["、".join(f"{n}={v}" for n, v in self.levels)]
        if self.max_excellent_share is not None:
            parts.append(f"每类单位「{self.excellent_level}」不超过 {self.max_excellent_share * 100:.0f}%（向下取整）")
        if self.all_units_required:
            parts.append("每个单位都须评定")
        if self.exclude_own_unit:
            parts.append("不评本单位")
        return "；".join(parts)


def _d(x) -> Decimal:
    return x if isinstance(x, Decimal) else Decimal(str(x))


def policy_for(cycle: Cycle, db: Session | None = None) -> Policy:
    """The cycle's ballot rules (:func:`scheme_policy`) with the office's setting of the 优秀
    share for this cycle (``VotingState.max_excellent_share``) applied when ``db`` is given."""
    policy = scheme_policy(cycle)
    if db is not None:
        st = db.get(VotingState, cycle.id)
        if st is not None and st.max_excellent_share is not None:
            from dataclasses import replace

            share = _d(st.max_excellent_share)
            policy = replace(policy, max_excellent_share=None if share >= 1 else share,
                             source=policy.source + "；优秀比例由目标办为本周期设定")
    return policy


def scheme_policy(cycle: Cycle) -> Policy:
    """The ballot rules of a cycle: its scheme snapshot (validated by app.rubric.scheme), else the
    snapshot's raw ``ballot`` section, else the defaults (90/70/50, at most 30 % 优秀 per
    category, every unit rated, own unit left out; 20 points for 院部, 70 for 部门)."""
    data = cycle.scheme_data or {}
    if data:
        try:
            from app.rubric.scheme import load_scheme

            s = load_scheme(data)
            b = s.ballot
            points = dict(DEFAULT_POINTS)
            for cat in s.categories:
                comp = cat.component("democratic")
                if comp is not None:
                    points[cat.key] = _d(comp.points)
            return Policy(levels=tuple((k, _d(v)) for k, v in b.levels.items()), excellent_level=b.excellent_level,
                          max_excellent_share=b.max_excellent_share, all_units_required=b.all_units_required,
                          exclude_own_unit=b.exclude_own_unit, points=points,
                          scheme_groups=tuple(b.rater_groups), source=f"考核方案「{s.name}」")
        except Exception:  # a snapshot the engine cannot load: read its ballot section as written
            pass
        try:
            return _policy_from_raw(data)
        except Exception:
            log.warning("cycle %s: unreadable ballot rules in the scheme snapshot, using defaults", cycle.id)
    return Policy(levels=DEFAULT_LEVELS, excellent_level="优秀", max_excellent_share=DEFAULT_MAX_SHARE,
                  all_units_required=True, exclude_own_unit=True, points=dict(DEFAULT_POINTS), scheme_groups=(),
                  source="默认规则（本周期未指定考核方案）")


def _policy_from_raw(data: Mapping) -> Policy:
    b = data["ballot"]
    levels = tuple((x["name"], _d(x["value"])) for x in b["levels"])
    if not levels:
        raise ValueError("no levels")
    points = dict(DEFAULT_POINTS)
    for cat in data.get("categories") or ():
        for comp in cat.get("components") or ():
            if comp.get("kind") == "democratic":
                points[cat["key"]] = _d(comp["points"])
    share = b.get("max_excellent_share", float(DEFAULT_MAX_SHARE))
    groups = tuple((g["key"], g["name"], None if g.get("weight") is None else _d(g["weight"]))
                   for g in b.get("rater_groups") or ())
    return Policy(levels=levels, excellent_level=b.get("excellent_level", levels[0][0]),
                  max_excellent_share=None if share is None else _d(share),
                  all_units_required=bool(b.get("all_units_required", True)),
                  exclude_own_unit=bool(b.get("exclude_own_unit", True)), points=points, scheme_groups=groups,
                  source=f"考核方案「{data.get('name', '')}」")


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
    policy: Policy
    units: tuple[UnitRow, ...]
    by_category: Mapping[str, tuple[UnitRow, ...]]
    unit_ids: frozenset[int]
    stage: Stage | None
    overrides: tuple[StageOverride, ...]
    fingerprint: int = 0  # same value = same page content (units, rules, cycle name)

    def stage_open(self) -> tuple[bool, str]:
        """Whether voting is open, as of the cached stage (the write re-checks in its transaction)."""
        if self.stage is None:
            return False, "本周期没有民主测评阶段。"
        st = stage_state(self.stage, list(self.overrides))
        if st.is_open:
            return True, ""
        if st.status == "planned":
            return False, "民主测评尚未开始。"
        return False, "民主测评已结束，感谢参与。"

    def units_for(self, own_unit_id: int | None) -> dict[str, list[UnitRow]]:
        skip = own_unit_id if self.policy.exclude_own_unit else None
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


def cycle_units(db: Session) -> list[Unit]:
    units = list(db.execute(select(Unit).where(Unit.active == True)).scalars())  # noqa: E712
    order = {c: i for i, c in enumerate(CATEGORY_ORDER)}
    units.sort(key=lambda u: (order.get(u.category, 9), u.position, u.id))
    return units


def _build_context(db: Session, cycle: Cycle) -> BallotContext:
    units = tuple(UnitRow(u.id, u.short_name or u.name, u.category) for u in cycle_units(db))
    by_cat: dict[str, list[UnitRow]] = {}
    for u in units:
        by_cat.setdefault(u.category, []).append(u)
    stage = db.execute(select(Stage).where(Stage.cycle_id == cycle.id, Stage.kind == KIND)).scalar()
    overrides = tuple(db.execute(select(StageOverride).where(StageOverride.stage_id == stage.id)).scalars()) \
        if stage else ()
    for obj in (stage, *overrides):
        if obj is not None:
            db.expunge(obj)
    policy = policy_for(cycle, db)
    fingerprint = hash(repr((cycle.id, cycle.name, units, policy)))
    return BallotContext(cycle_id=cycle.id, cycle_name=cycle.name, policy=policy, units=units,
                         by_category={k: tuple(v) for k, v in by_cat.items()},
                         unit_ids=frozenset(u.id for u in units), stage=stage, overrides=overrides,
                         fingerprint=fingerprint)


# ---------------------------------------------------------------- the rule check
def check_choices(ctx: BallotContext, own_unit_id: int | None, form: Mapping[str, str]) -> tuple[dict[int, int], list[str]]:
    """Read the ballot form (``u<unit id>`` = level index) and check it with the scheme's rules
    (``app.rubric.rules.check_ballot``, per category). Returns (choices, errors)."""
    from app.rubric.rules import check_ballot

    policy = ctx.policy
    names = policy.level_names
    choices: dict[int, int] = {}
    errors: list[str] = []
    for key, value in form.items():
        if not key.startswith("u") or not key[1:].isdigit():
            continue
        uid = int(key[1:])
        if uid not in ctx.unit_ids:
            errors.append("选票含有不在本次测评范围内的单位")
            continue
        if not value.isdigit() or int(value) >= len(names):
            errors.append("选票含有无效的等次")
            continue
        choices[uid] = int(value)
    own = own_unit_id if policy.exclude_own_unit else None
    level_values = policy.level_values
    for cat in CATEGORY_ORDER + tuple(c for c in ctx.by_category if c not in CATEGORY_ORDER):
        rows = ctx.by_category.get(cat)
        if not rows:
            continue
        ratings = {str(u.id): names[choices[u.id]] for u in rows if u.id in choices}
        unit_names = {str(u.id): u.name for u in rows}
        errs = check_ballot(ratings, [str(u.id) for u in rows], level_values=level_values,
                            own_unit=str(own) if own is not None else None,
                            max_excellent_share=policy.max_excellent_share,
                            all_units_required=policy.all_units_required, excellent_level=policy.excellent_level,
                            unit_names=unit_names)
        label = {"college": "院部", "department": "部门"}.get(cat, cat)
        errors.extend(f"{label}：{e}" for e in errs)
    return choices, errors


def encode_choices(choices: Mapping[int, int]) -> str:
    return ",".join(f"{u}:{lv}" for u, lv in sorted(choices.items()))


def decode_choices(payload: str) -> list[tuple[int, int]]:
    out = []
    for part in payload.split(","):
        if part:
            u, _, lv = part.partition(":")
            out.append((int(u), int(lv)))
    return out


# ---------------------------------------------------------------- casting
def new_code(length: int) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def pretty_code(code: str) -> str:
    half = (len(code) + 1) // 2
    return f"{code[:half]}-{code[half:]}"


def normalise_code(text: str) -> str:
    return "".join(ch for ch in (text or "").upper() if ch.isalnum())


_roll_t = RollEntry.__table__
_ballot_t = Ballot.__table__
_receipt_t = Receipt.__table__

# ---- the hot path: plain SQL on the pooled DBAPI connection (sqlite3 or psycopg). SQLAlchemy
# Core costs ~80 µs per statement in Python; the same statements on the driver cost ~15 µs, and a
# meeting hall sends hundreds of them a second.
_SQL = {
    "stage": "SELECT s.version, (SELECT count(*) FROM stage_override o WHERE o.stage_id = s.id) "
             "FROM stage s WHERE s.id = :stage_id",
    "voter": "SELECT r.id, r.cycle_id, g.key, r.unit_id, r.voted, r.void FROM roll_entry r "
             "JOIN rater_group g ON g.id = r.group_id WHERE r.{col} = :value",
}
_PG_SQL = {k: re.sub(r":(\w+)", r"%(\1)s", v) for k, v in _SQL.items()}


def _sql(engine: Engine, name: str, **fmt) -> str:
    text = (_SQL if engine.dialect.name == "sqlite" else _PG_SQL)[name]
    return text.format(**fmt) if fmt else text


def _sqlite_one(engine: Engine, sql: str, params: Mapping):
    """Run one read on a pooled SQLite connection (autocommit: no transaction); its first row."""
    fairy = engine.raw_connection()
    try:
        cur = fairy.cursor()
        cur.execute(sql, params)
        return cur.fetchone()
    finally:
        fairy.close()


# PostgreSQL: the whole cast is one statement on an autocommit connection (atomic by itself), so
# it costs one round trip instead of BEGIN, five statements and COMMIT. The stage's version and
# number of overrides must still be those of the cached context, else nothing is written and
# the ordinary transaction above runs with a fresh context. Under READ COMMITTED a concurrent
# duplicate waits for the row lock, re-reads ``voted`` = true and flips nothing: no ballot.
_PG_CAST = """
WITH ok AS (
  SELECT 1 FROM stage s WHERE s.id = %(stage_id)s AND s.version = %(version)s
     AND (SELECT count(*) FROM stage_override o WHERE o.stage_id = s.id) = %(n_overrides)s),
flip AS (
  UPDATE roll_entry SET voted = true
   WHERE id = %(roll_id)s AND NOT voted AND NOT void AND EXISTS (SELECT 1 FROM ok)
  RETURNING id),
b AS (INSERT INTO ballot (id, cycle_id, group_key, choices)
      SELECT %(id)s, %(cycle_id)s, %(group_key)s, %(choices)s FROM flip),
r AS (INSERT INTO receipt (code, cycle_id) SELECT %(code)s, %(cycle_id)s FROM flip)
SELECT (SELECT count(*) FROM ok), (SELECT count(*) FROM flip)
"""

_pg_idle: dict[tuple[int, str], list] = {}  # (pid, url) -> idle hot-path connections
_pg_guard = threading.Lock()


def _pg_open(engine: Engine):
    """A new connection for the hot path, detached from the engine's pool, in autocommit mode
    (no checkout ping, no reset on return: one round trip per statement)."""
    fairy = engine.raw_connection()
    dbapi = fairy.driver_connection
    fairy.detach()
    dbapi.rollback()
    dbapi.autocommit = True
    return (fairy, dbapi)  # the fairy is kept with it: its finaliser would close the connection


def _pg_borrow(engine: Engine):
    key = (os.getpid(), str(engine.url))
    with _pg_guard:
        idle = _pg_idle.setdefault(key, [])
        while idle:
            held = idle.pop()
            if not held[1].closed and not getattr(held[1], "broken", False):
                return key, held
    return key, _pg_open(engine)


def _pg_return(key, held) -> None:
    if held[1].closed or getattr(held[1], "broken", False):
        return
    with _pg_guard:
        _pg_idle.setdefault(key, []).append(held)


def pg_prefill(engine: Engine, n: int) -> int:
    """Open ``n`` hot-path connections ahead of the first voters (a worker's warm-up)."""
    if engine.dialect.name != "postgresql":
        return 0
    key = (os.getpid(), str(engine.url))
    with _pg_guard:
        have = len(_pg_idle.get(key, []))
    for _ in range(max(0, n - have)):
        _pg_return(key, _pg_open(engine))
    return n


def _pg_run(engine: Engine, sql: str, params: Mapping, *, write: bool = False):
    """Run one statement on an idle hot-path connection; return its first row. A read is retried
    once on a fresh connection if the connection broke (e.g. the server restarted)."""
    for attempt in (0, 1):
        key, held = _pg_borrow(engine)
        conn = held[1]
        try:
            with conn.cursor() as cur:
                cur.execute(sql, params)
                row = cur.fetchone()
        except Exception as exc:
            broken = conn.closed or getattr(conn, "broken", False)
            if not broken:
                _pg_return(key, held)
            elif attempt == 0 and not write:
                continue
            if type(exc).__module__.startswith("psycopg"):
                raise ServiceError("数据库暂时不可用，请稍后重试。") from exc
            raise
        _pg_return(key, held)
        return row
    return None


# SQLite: the whole cast is one UPDATE statement, so SQLite's write lock is held only inside that
# one C call (the GIL released), never across Python code. With a lock held across several
# statements, every statement gives up the GIL, and getting it back waits for the worker's other
# threads (up to a 5 ms switch interval each): under a meeting-hall burst that stretched each
# write to milliseconds and queued every other voter behind it. The ballot and receipt rows are
# written by a TEMP trigger (it exists only on this connection) from a one-row TEMP table in
# memory, in the same statement and transaction as the flip of the roll entry; a flip that does
# not happen (already voted, void, stage changed) writes nothing. The pending row holds the roll
# id only in this connection's memory, for the microseconds between the two statements.
_SQLITE_CAST_SETUP = (
    "PRAGMA temp_store = MEMORY",
    "CREATE TEMP TABLE IF NOT EXISTS cast_pending (slot INTEGER PRIMARY KEY CHECK (slot = 1), "
    "roll_id INTEGER NOT NULL, id TEXT NOT NULL, cycle_id INTEGER NOT NULL, group_key TEXT NOT NULL, "
    "choices TEXT NOT NULL, receipt TEXT NOT NULL)",
    "CREATE TEMP TRIGGER IF NOT EXISTS cast_flip AFTER UPDATE OF voted ON main.roll_entry "
    "WHEN NEW.voted AND NOT OLD.voted BEGIN "
    "INSERT INTO ballot (id, cycle_id, group_key, choices) "
    "SELECT id, cycle_id, group_key, choices FROM temp.cast_pending WHERE roll_id = NEW.id; "
    "INSERT INTO receipt (code, cycle_id) SELECT receipt, cycle_id FROM temp.cast_pending WHERE roll_id = NEW.id; "
    "DELETE FROM cast_pending; END",
)
_SQLITE_PENDING = ("INSERT OR REPLACE INTO temp.cast_pending (slot, roll_id, id, cycle_id, group_key, choices, receipt) "
                   "VALUES (1, ?, ?, ?, ?, ?, ?)")
_SQLITE_FLIP = ("UPDATE roll_entry SET voted = 1 WHERE id = ? AND voted = 0 AND void = 0 "
                "AND (SELECT s.version FROM stage s WHERE s.id = ?) = ? "
                "AND (SELECT count(*) FROM stage_override o WHERE o.stage_id = ?) = ?")


class _DrawAgain(Exception):
    """A receipt code or ballot id drawn at random exists already: nothing was written."""


def _sqlite_cast(engine: Engine, ctx: BallotContext, *, roll_id: int, cycle_id: int, group_key: str,
                 choices: str) -> str | None:
    """The SQLite write of :func:`cast_ballot`: the receipt, or None when the stage has changed
    since ``ctx`` was cached. Raises :class:`AlreadyVoted`, or :class:`_DrawAgain` when a random
    key (receipt, ballot id) was taken already and nothing was written."""
    fairy = engine.raw_connection()
    try:
        cur = fairy.cursor()
        if not fairy.info.get("kpi_cast"):
            for sql in _SQLITE_CAST_SETUP:
                cur.execute(sql)
            fairy.info["kpi_cast"] = True
        stage = ctx.stage
        receipt = new_code(RECEIPT_LEN)
        cur.execute(_SQLITE_PENDING, (roll_id, secrets.token_hex(16), cycle_id, group_key, choices, receipt))
        flipped = False
        try:
            cur.execute(_SQLITE_FLIP, (roll_id, stage.id, stage.version, stage.id, len(ctx.overrides)))
            flipped = cur.rowcount == 1
        except sqlite3.IntegrityError as exc:
            raise _DrawAgain() from exc  # the statement wrote nothing
        finally:
            if not flipped:
                cur.execute("DELETE FROM temp.cast_pending")
        if flipped:
            return receipt  # the trigger has emptied cast_pending
        row = cur.execute(_sql(engine, "stage"), {"stage_id": stage.id}).fetchone()
        if row is not None and (row[0], row[1]) == (stage.version, len(ctx.overrides)):
            raise AlreadyVoted()
        return None
    finally:
        fairy.close()


def _pg_cast(engine: Engine, ctx: BallotContext, *, roll_id: int, cycle_id: int, group_key: str,
             choices: str) -> str | None:
    """The PostgreSQL write of :func:`cast_ballot` (one statement, ``_PG_CAST``); same contract as
    :func:`_sqlite_cast`."""
    receipt = new_code(RECEIPT_LEN)
    params = {"stage_id": ctx.stage.id, "version": ctx.stage.version, "n_overrides": len(ctx.overrides),
              "roll_id": roll_id, "id": secrets.token_hex(16), "cycle_id": cycle_id, "group_key": group_key,
              "choices": choices, "code": receipt}
    try:
        stage_ok, flipped = _pg_run(engine, _PG_CAST, params, write=True)
    except ServiceError as exc:
        if type(exc.__cause__).__name__ == "UniqueViolation":
            raise _DrawAgain() from exc
        raise
    if stage_ok and flipped == 1:
        return receipt
    if stage_ok:
        raise AlreadyVoted()
    return None


def cast_ballot(engine: Engine, *, cycle_id: int, roll_id: int, group_key: str, choices: Mapping[int, int],
                ctx: BallotContext | None = None) -> str:
    """Record one checked ballot for one roll entry; return the receipt code.

    One statement, atomic by itself: the stage is as in ``ctx`` (the cycle's cached
    :func:`ballot_context`; same version, same overrides) and open by it; ``UPDATE roll_entry SET
    voted = true WHERE id = ? AND NOT voted AND NOT void`` changes exactly one row (else
    :class:`AlreadyVoted` and nothing is written); the ballot row (random id, group, choices) and
    the receipt row are inserted. When the stage has changed since ``ctx`` was cached, the context
    is read afresh (outside any write) and the write made again with it."""
    payload = encode_choices(choices)
    write = _sqlite_cast if engine.dialect.name == "sqlite" else _pg_cast
    why_not = "目标办正在调整民主测评的时间，请稍后重新提交选票。"
    for _attempt in range(4):
        if ctx is None or ctx.stage is None:
            ctx = ballot_context(engine, cycle_id, fresh=True)
            if ctx is None or ctx.stage is None:
                raise StageClosed("本周期没有民主测评阶段。")
        is_open, why = ctx.stage_open()
        if not is_open:
            raise StageClosed(why)
        try:
            receipt = write(engine, ctx, roll_id=roll_id, cycle_id=cycle_id, group_key=group_key, choices=payload)
        except _DrawAgain:
            why_not = "选票未能保存，未作任何记录，请重新提交。"
            continue
        if receipt is not None:
            return receipt
        ctx = None  # the stage changed since the context was cached
    raise ServiceError(why_not)


# ---------------------------------------------------------------- wrong codes from one address
# Counted in the sign-in throttle table under ``v:<keyed hash of the address>`` (the table holds
# no address, and nothing of a voter who typed a right code). The hot path only looks the key up
# in this worker's copy of the current locks, refreshed every LOCKS_TTL seconds in one query.
LOCKS_TTL = 2.0
_code_locks: dict[str, tuple[float, dict[str, object]]] = {}
_code_locks_guard = threading.Lock()


CODE_GUARD_PREFIX = "v:"


def code_guard_key(address: str | None, secret: str) -> str:
    digest = hmac.new(secret.encode(), (address or "-").encode(), hashlib.sha256).hexdigest()
    return CODE_GUARD_PREFIX + digest[:40]


def _locked_code_keys():
    """The WHERE conditions of the vote-code keys that are locked now."""
    return LoginThrottle.key.like(CODE_GUARD_PREFIX + "%"), LoginThrottle.locked_until > utcnow()


def code_locked_until(engine: Engine, key: str):
    """When the address of ``key`` may try codes again, or None if it may now."""
    url = str(engine.url)
    now = time.monotonic()
    hit = _code_locks.get(url)
    if hit is None or hit[0] <= now:
        with _code_locks_guard:
            hit = _code_locks.get(url)
            if hit is None or hit[0] <= now:
                with Session(engine) as s:
                    rows = s.execute(select(LoginThrottle.key, LoginThrottle.locked_until)
                                     .where(*_locked_code_keys())).all()
                hit = (now + LOCKS_TTL, dict(rows))
                _code_locks[url] = hit
    until = hit[1].get(key)
    return until if until is not None and until > utcnow() else None


def record_wrong_code(engine: Engine, key: str, *, limit: int, window_seconds: int, lock_seconds: int):
    """Count a wrong code from the address of ``key`` (its own short write, whatever the request
    does); return the time it is locked until once it reaches ``limit`` in the window."""
    from app.extensions import write_bind

    with Session(write_bind(engine)) as s:
        until = count_failure(s, key, limit=limit, window_seconds=window_seconds, lock_seconds=lock_seconds)
        s.commit()
    if until is not None:
        with _code_locks_guard:
            hit = _code_locks.get(str(engine.url))
            if hit is not None:
                hit[1][key] = until
    return until


def locked_addresses(db: Session) -> int:
    """How many addresses may not try codes now (the office sees the number, never an address)."""
    return db.execute(select(func.count()).select_from(LoginThrottle).where(*_locked_code_keys())).scalar() or 0


def lift_code_locks(db: Session, *, actor_id: int, cycle: Cycle) -> int:
    """Let every locked address try codes again at once (e.g. a hall behind one address was
    locked by mistyped codes); recorded in the audit trail."""
    rows = list(db.execute(select(LoginThrottle).where(LoginThrottle.key.like(CODE_GUARD_PREFIX + "%"))).scalars())
    n = sum(1 for r in rows if r.locked_until is not None and r.locked_until > utcnow())
    for r in rows:
        db.delete(r)
    record(db, actor_id=actor_id, action="vote.code_locks_lifted", entity="cycle", entity_id=cycle.id,
           new={"addresses": n}, cycle_id=cycle.id)
    db.flush()
    forget_code_locks()
    return n


def forget_code_locks() -> None:
    with _code_locks_guard:
        _code_locks.clear()


@dataclass(frozen=True)
class Voter:
    """A roll entry as the ballot page needs it (no code, no name)."""

    roll_id: int
    cycle_id: int
    group_key: str
    unit_id: int | None
    voted: bool
    void: bool


def _voter(engine: Engine, col: str, value) -> Voter | None:
    if engine.dialect.name == "postgresql":
        row = _pg_run(engine, _sql(engine, "voter", col=col), {"value": value})
    else:
        row = _sqlite_one(engine, _sql(engine, "voter", col=col), {"value": value})
    if row is None:
        return None
    rid, cid, key, unit_id, voted, void = row
    return Voter(rid, cid, key, unit_id, bool(voted), bool(void))


def voter_by_code(engine: Engine, code: str) -> Voter | None:
    code = normalise_code(code)
    if len(code) != CODE_LEN:
        return None
    return _voter(engine, "code", code)


def voter_by_id(engine: Engine, roll_id: int) -> Voter | None:
    return _voter(engine, "id", roll_id)


def voter_for_user(engine: Engine, cycle_id: int, user_id: int) -> Voter | None:
    with Session(engine) as s:
        row = s.execute(select(RollEntry.id).where(RollEntry.cycle_id == cycle_id, RollEntry.user_id == user_id,
                                                   RollEntry.void == False)).first()  # noqa: E712
    return voter_by_id(engine, row[0]) if row else None


def stage_is_open(db: Session, cycle_id: int) -> bool:
    try:
        return state_of(db, cycle_id, KIND).is_open
    except ServiceError:
        return False


# ---------------------------------------------------------------- office: groups and roll
def groups_of(db: Session, cycle_id: int) -> list[RaterGroup]:
    return list(db.execute(select(RaterGroup).where(RaterGroup.cycle_id == cycle_id)
                           .order_by(RaterGroup.position, RaterGroup.id)).scalars())


def has_ballots(db: Session, cycle_id: int) -> bool:
    return bool(db.execute(select(func.count()).select_from(_ballot_t).where(_ballot_t.c.cycle_id == cycle_id)).scalar())


def create_default_groups(db: Session, *, actor_id: int | None, cycle: Cycle) -> list[RaterGroup]:
    """The scheme's rater groups, or 中层干部 / 教职工代表 without weights."""
    if groups_of(db, cycle.id):
        raise ServiceError("本周期已设置测评人员类别。")
    groups = scheme_policy(cycle).scheme_groups or DEFAULT_GROUPS
    made = []
    for pos, (key, name, weight) in enumerate(groups, start=1):
        made.append(save_group(db, actor_id=actor_id, cycle=cycle, key=key, name=name, weight=weight, position=pos))
    return made


def save_group(db: Session, *, actor_id: int | None, cycle: Cycle, key: str, name: str,
               weight: Decimal | None, position: int = 0, group_id: int | None = None) -> RaterGroup:
    key = (key or "").strip().lower()
    name = (name or "").strip()
    if not name:
        raise ServiceError("请填写类别名称。", field="name")
    if weight is not None and (weight < 0 or weight > 100):
        raise ServiceError("权重应在 0 到 100 之间。", field="weight")
    if group_id:
        group = db.get(RaterGroup, group_id)
        if group is None or group.cycle_id != cycle.id:
            raise ServiceError("测评人员类别不存在。")
        if has_ballots(db, cycle.id) and group.weight != weight:
            # allowed (the office may correct a weight) but always recorded with old and new value
            pass
        old = {"name": group.name, "weight": group.weight}
        group.name, group.weight = name, weight
        db.add(group)
        db.flush()
        record(db, actor_id=actor_id, action="update", entity="rater_group", entity_id=group.id, cycle_id=cycle.id,
               old=old, new={"name": name, "weight": weight})
        return group
    if not key or not key.replace("_", "").isalnum() or len(key) > 32:
        raise ServiceError("类别代码只能用字母、数字和下划线（不超过 32 个字符）。", field="key")
    if db.execute(select(RaterGroup.id).where(RaterGroup.cycle_id == cycle.id, RaterGroup.key == key)).first():
        raise ServiceError(f"类别代码「{key}」已存在。", field="key")
    group = RaterGroup(cycle_id=cycle.id, key=key, name=name, weight=weight, position=position)
    db.add(group)
    db.flush()
    record(db, actor_id=actor_id, action="create", entity="rater_group", entity_id=group.id, cycle_id=cycle.id,
           new={"key": key, "name": name, "weight": weight})
    return group


def _group(db: Session, cycle: Cycle, group_id: int) -> RaterGroup:
    group = db.get(RaterGroup, group_id)
    if group is None or group.cycle_id != cycle.id:
        raise ServiceError("请选择测评人员类别。", field="group_id")
    return group


def add_accounts(db: Session, *, actor_id: int | None, cycle: Cycle, group_id: int,
                 user_ids: list[int] | None = None) -> int:
    """Put accounts on the roll (default: every active account with the voter role not yet on
    it). Their own unit (``User.unit_id``) is left out of their ballot."""
    group = _group(db, cycle, group_id)
    if user_ids is None:
        user_ids = list(db.execute(select(RoleMembership.user_id).join(User, User.id == RoleMembership.user_id)
                                   .where(RoleMembership.role == "voter", User.active == True)).scalars())  # noqa: E712
    have = set(db.execute(select(RollEntry.user_id).where(RollEntry.cycle_id == cycle.id,
                                                          RollEntry.user_id.is_not(None))).scalars())
    users = {u.id: u for u in db.execute(select(User).where(User.id.in_(set(user_ids) - have))).scalars()}
    for uid in sorted(users):
        db.add(RollEntry(cycle_id=cycle.id, group_id=group.id, user_id=uid, unit_id=users[uid].unit_id))
    db.flush()
    if users:
        record(db, actor_id=actor_id, action="add_accounts", entity="roll", cycle_id=cycle.id,
               new={"group": group.key, "users": sorted(users)})
    return len(users)


def remove_entry(db: Session, *, actor_id: int | None, cycle: Cycle, entry_id: int) -> None:
    entry = db.get(RollEntry, entry_id)
    if entry is None or entry.cycle_id != cycle.id:
        raise ServiceError("名册中没有该条目。")
    if entry.voted:
        raise ServiceError("已投票的条目不能移除（选票已计入，且无法与投票人对应）。")
    db.delete(entry)
    db.flush()
    record(db, actor_id=actor_id, action="remove", entity="roll_entry", entity_id=entry_id, cycle_id=cycle.id,
           old={"user_id": entry.user_id, "code": bool(entry.code)})


def issue_codes(db: Session, *, actor_id: int | None, cycle: Cycle, group_id: int, count: int,
                unit_id: int | None = None, batch: str = "") -> tuple[str, int]:
    """Generate ``count`` one-time codes for a group (and, optionally, the unit of the people who
    will get them: that unit is left out of their ballots). Returns (batch label, count)."""
    group = _group(db, cycle, group_id)
    if not 1 <= count <= MAX_CODES_PER_BATCH:
        raise ServiceError(f"每批可生成 1 至 {MAX_CODES_PER_BATCH} 个测评码。", field="count")
    if unit_id is not None and db.get(Unit, unit_id) is None:
        raise ServiceError("所选单位不存在。", field="unit_id")
    batch = (batch or "").strip()[:40] or utcnow().strftime("批次%Y%m%d%H%M%S")
    codes: set[str] = set()
    while len(codes) < count:
        codes.add(new_code(CODE_LEN))
    clash = set(db.execute(select(RollEntry.code).where(RollEntry.code.in_(codes))).scalars())
    codes -= clash
    while len(codes) < count:
        c = new_code(CODE_LEN)
        if not db.execute(select(RollEntry.id).where(RollEntry.code == c)).first():
            codes.add(c)
    now = utcnow()
    db.execute(insert(RollEntry), [
        {"cycle_id": cycle.id, "group_id": group.id, "code": c, "batch": batch, "unit_id": unit_id,
         "voted": False, "void": False, "created_at": now} for c in sorted(codes)])
    db.flush()
    record(db, actor_id=actor_id, action="issue_codes", entity="roll", cycle_id=cycle.id,
           new={"group": group.key, "count": count, "unit_id": unit_id, "batch": batch})
    return batch, count


def void_and_replace(db: Session, *, actor_id: int | None, cycle: Cycle, entry_id: int, reason: str) -> RollEntry:
    """Void a code (lost slip, wrong hands) and issue a replacement with the same group and unit."""
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("作废测评码须填写原因。", field="reason")
    entry = db.get(RollEntry, entry_id)
    if entry is None or entry.cycle_id != cycle.id or entry.code is None:
        raise ServiceError("没有该测评码。")
    if entry.void:
        raise ServiceError("该测评码已作废。")
    # the conditional UPDATE makes a race with a voter safe: either the vote or the voiding wins
    voided = db.execute(update(RollEntry).where(RollEntry.id == entry.id, RollEntry.voted == False)  # noqa: E712
                        .values(void=True)).rowcount
    if voided != 1:
        raise ServiceError("该测评码已投票，选票已计入，不能作废。")
    db.expire(entry)
    code = new_code(CODE_LEN)
    while db.execute(select(RollEntry.id).where(RollEntry.code == code)).first():
        code = new_code(CODE_LEN)
    new = RollEntry(cycle_id=cycle.id, group_id=entry.group_id, code=code, batch=entry.batch,
                    unit_id=entry.unit_id, replaces_id=entry.id)
    db.add(new)
    db.flush()
    record(db, actor_id=actor_id, action="void_code", entity="roll_entry", entity_id=entry.id, cycle_id=cycle.id,
           new={"replacement": new.id}, reason=reason)
    return new


def batches(db: Session, cycle_id: int) -> list[dict]:
    rows = db.execute(select(RollEntry.batch, RaterGroup.name, RollEntry.unit_id, func.count(),
                             func.sum(func.cast(RollEntry.voted, _int())), func.sum(func.cast(RollEntry.void, _int())))
                      .join(RaterGroup, RaterGroup.id == RollEntry.group_id)
                      .where(RollEntry.cycle_id == cycle_id, RollEntry.code.is_not(None))
                      .group_by(RollEntry.batch, RaterGroup.name, RollEntry.unit_id)
                      .order_by(RollEntry.batch)).all()
    return [{"batch": b, "group": g, "unit_id": u, "count": n, "voted": int(v or 0), "void": int(x or 0)}
            for b, g, u, n, v, x in rows]


def _int():
    from sqlalchemy import Integer

    return Integer()


def codes_of_batch(db: Session, cycle_id: int, batch: str, *, include_void: bool = False) -> list[RollEntry]:
    q = select(RollEntry).where(RollEntry.cycle_id == cycle_id, RollEntry.batch == batch,
                                RollEntry.code.is_not(None)).order_by(RollEntry.id)
    if not include_void:
        q = q.where(RollEntry.void == False)  # noqa: E712
    return list(db.execute(q).scalars())


def account_entries(db: Session, cycle_id: int) -> list[tuple[RollEntry, User, RaterGroup]]:
    return list(db.execute(select(RollEntry, User, RaterGroup).join(User, User.id == RollEntry.user_id)
                           .join(RaterGroup, RaterGroup.id == RollEntry.group_id)
                           .where(RollEntry.cycle_id == cycle_id).order_by(RaterGroup.position, User.username)).all())


# ---------------------------------------------------------------- turnout, counts, tally
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
        select(RollEntry.group_id, func.count(), func.sum(func.cast(RollEntry.voted, _int())))
        .where(RollEntry.cycle_id == cycle.id, RollEntry.void == False)  # noqa: E712
        .group_by(RollEntry.group_id)).all()}
    # a voided entry never has a ballot (void_and_replace refuses voted entries)
    return [GroupTurnout(g.key, g.name, g.weight, *rows.get(g.id, (0, 0))) for g in groups_of(db, cycle.id)]


def rater_group_weights(db: Session, cycle: Cycle) -> dict[str, Decimal]:
    """``{group key: weight}`` of the groups that have a weight; {} = plain mean of all ballots."""
    return {g.key: Decimal(str(g.weight)) for g in groups_of(db, cycle.id) if g.weight is not None}


def _ballot_rows(db: Session, cycle_id: int):
    return db.execute(select(_ballot_t.c.group_key, _ballot_t.c.choices).where(_ballot_t.c.cycle_id == cycle_id)).all()


def ballot_counts(db: Session, cycle: Cycle) -> dict[int, dict[str, dict[str, int]]]:
    """``{unit_id: {group_key: {level: count}}}`` for every unit of the cycle, every rater group
    and every level (zeros included)."""
    policy = policy_for(cycle, db)
    names = policy.level_names
    group_keys = [g.key for g in groups_of(db, cycle.id)]
    counts: dict[int, dict[str, dict[str, int]]] = {
        u.id: {g: dict.fromkeys(names, 0) for g in group_keys} for u in cycle_units(db)}
    for group_key, payload in _ballot_rows(db, cycle.id):
        for uid, lv in decode_choices(payload):
            per_unit = counts.setdefault(uid, {})
            per_group = per_unit.setdefault(group_key, dict.fromkeys(names, 0))
            per_group[names[lv]] += 1
    return counts


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
    policy: Policy
    groups: list[GroupTurnout]
    weights: dict[str, Decimal]
    units: list[UnitTally]
    ballots: int
    voted: int
    shown_groups: list[GroupTurnout] = field(default_factory=list)  # groups with ≥ MIN_GROUP voters
    merged_small: bool = False

    @property
    def by_category(self) -> dict[str, list[UnitTally]]:
        out: dict[str, list[UnitTally]] = {}
        for u in self.units:
            out.setdefault(u.unit.category, []).append(u)
        return out

    def shown_counts(self, ut: UnitTally) -> list[tuple[str, dict[str, int]]]:
        """The per-group lines that may be shown: groups with ≥ 5 voters, the smaller ones merged
        into one line when together they reach 5, otherwise only in the unit's total."""
        lines = [(g.name, ut.counts.get(g.key, {})) for g in self.shown_groups]
        small = [g for g in self.groups if g not in self.shown_groups and g.voted]
        if small and sum(g.voted for g in small) >= MIN_GROUP and len(self.shown_groups) >= 1:
            merged: dict[str, int] = dict.fromkeys(self.policy.level_names, 0)
            for g in small:
                for lv, n in ut.counts.get(g.key, {}).items():
                    merged[lv] += n
            lines.append(("其他类别（合并，各不足5人）", merged))
        return lines


def _redact_small_groups(res, groups: list[GroupTurnout], names: Mapping[str, str]):
    """Weighted rating: the explanation names each group's counts; hide those of groups with
    fewer than MIN_GROUP voters (their mean still enters the weighted score)."""
    import re
    from dataclasses import replace

    text = res.explanation
    for g in groups:
        if 0 < g.voted < MIN_GROUP:
            name = re.escape(names.get(g.key, g.key))
            text = re.sub(name + r"：[^；]*?(，权重 [^；，]+)", names.get(g.key, g.key) + r"：人数不足5人，明细不显示\1", text)
    try:
        return replace(res, explanation=text)
    except TypeError:
        res.explanation = text
        return res


class TallyInconsistent(ServiceError):
    pass


def tally(db: Session, cycle: Cycle) -> Tally:
    """Counts, the weighted 90/70/50 mean and the component points of every unit, with the
    explanation. Checks that ballots = roll entries marked voted (per group too) and that every
    unit's counts add up to the ballots that rated it; raises :class:`TallyInconsistent` if not."""
    from app.rubric.rules import democratic_score

    policy = policy_for(cycle, db)
    names = policy.level_names
    groups = turnout(db, cycle)
    weights = rater_group_weights(db, cycle)
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
            raise TallyInconsistent(f"「{g.name}」票箱中 {per_group_ballots.get(g.key, 0)} 张，名册已投票 {g.voted} 人，不一致。")
    counts = ballot_counts(db, cycle)
    level_values = policy.level_values
    group_names = {g.key: g.name for g in groups}
    units = []
    summed = 0
    for u in cycle_units(db):
        c = counts.get(u.id, {})
        total = dict.fromkeys(names, 0)
        for per in c.values():
            for lv, n in per.items():
                total[lv] += n
        ballots = sum(total.values())
        summed += ballots
        assert ballots <= len(rows), "a unit rated more often than there are ballots"
        pts_max = policy.points.get(u.category, Decimal(0))
        if weights:
            res = democratic_score({g: per for g, per in c.items() if sum(per.values())}, level_values, pts_max,
                                   group_weights=weights, group_names=group_names)
            res = _redact_small_groups(res, groups, group_names)
        else:  # one line for all ballots: no per-group breakdown in the explanation
            res = democratic_score({"all": total} if ballots else {}, level_values, pts_max,
                                   group_names={"all": "全部选票"})
        mean = res.inputs.get("mean") if isinstance(res.inputs, dict) else None
        units.append(UnitTally(unit=u, points_max=pts_max, counts=c, total=total, ballots=ballots,
                               mean=Decimal(mean).quantize(Decimal("0.01")) if mean is not None else None,
                               points=res.points if ballots else None, explanation=res.explanation))
    if summed != n_choices:
        raise TallyInconsistent(f"各单位票数之和 {summed} 与选票中的评定总数 {n_choices} 不一致。")
    shown = [g for g in groups if g.voted >= MIN_GROUP]
    return Tally(cycle=cycle, policy=policy, groups=groups, weights=weights, units=units, ballots=len(rows),
                 voted=voted, shown_groups=shown)


# ---------------------------------------------------------------- close: seal and publish
def state(db: Session, cycle_id: int) -> VotingState:
    st = db.get(VotingState, cycle_id)
    if st is None:
        st = VotingState(cycle_id=cycle_id)
    return st


def receipts(db: Session, cycle_id: int) -> list[str]:
    return sorted(db.execute(select(_receipt_t.c.code).where(_receipt_t.c.cycle_id == cycle_id)).scalars())


def publish(db: Session, *, actor_id: int, cycle: Cycle) -> VotingState:
    """After the stage has closed: publish the counts and the receipt list (never whole ballots)."""
    if stage_is_open(db, cycle.id):
        raise ServiceError("民主测评尚未结束，结束后才能公布结果和回执码。")
    t = tally(db, cycle)
    if t.ballots < MIN_GROUP:
        raise ServiceError(f"有效选票不足 {MIN_GROUP} 张，公布结果会暴露个人选择。")
    st = state(db, cycle.id)
    if st.published_at is not None:
        raise ServiceError("结果已公布。")
    st.published_at = utcnow()
    st.published_by_id = actor_id
    db.add(st)
    db.flush()
    record(db, actor_id=actor_id, action="publish", entity="voting", entity_id=cycle.id, cycle_id=cycle.id,
           new={"ballots": t.ballots, "receipts": len(receipts(db, cycle.id))})
    return st


def set_excellent_share(db: Session, *, actor_id: int, cycle: Cycle, share: Decimal | None) -> None:
    """The office sets this cycle's highest share of 优秀 per category (None: the scheme's rule;
    1 or more: no limit). Refused once ballots have been cast: the rule must not change mid-vote."""
    if share is not None and not (Decimal(0) <= share <= Decimal(1)):
        raise ServiceError("比例应在 0 到 1 之间（例如 0.3 表示 30%）。", field="share")
    if has_ballots(db, cycle.id):
        raise ServiceError("已有选票，不能再修改测评规则。")
    st = state(db, cycle.id)
    old = st.max_excellent_share
    st.max_excellent_share = share
    db.add(st)
    db.flush()
    record(db, actor_id=actor_id, action="set_excellent_share", entity="voting", entity_id=cycle.id,
           cycle_id=cycle.id, old={"max_excellent_share": old}, new={"max_excellent_share": share})
    forget_context(cycle.id)


def seal_box(engine: Engine, cycle_id: int) -> str:
    """After the stage has closed, remove the traces of voting order from storage (see
    :class:`app.models.voting.Ballot`). Runs outside the request transaction; idempotent."""
    with Session(engine) as s:
        if stage_is_open(s, cycle_id):
            raise ServiceError("民主测评尚未结束，不能封存票箱。")
    from sqlalchemy import text

    with engine.connect() as conn:
        with conn.begin():
            # one transaction rewrites every roll entry, ballot and receipt of the cycle, so that on
            # PostgreSQL they all carry the same transaction id (xmin): a ballot was written in the
            # same transaction as its voter's roll entry and its receipt, and would share its xmin
            conn.execute(update(_roll_t).where(_roll_t.c.cycle_id == cycle_id).values(voted=_roll_t.c.voted))
            conn.execute(update(_ballot_t).where(_ballot_t.c.cycle_id == cycle_id)
                         .values(group_key=_ballot_t.c.group_key))
            conn.execute(update(_receipt_t).where(_receipt_t.c.cycle_id == cycle_id)
                         .values(cycle_id=_receipt_t.c.cycle_id))
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


def pending_account_voters(db: Session, cycle: Cycle) -> set[int]:
    """Reminder provider: account voters on the roll who have not voted."""
    return set(db.execute(select(RollEntry.user_id).where(
        RollEntry.cycle_id == cycle.id, RollEntry.user_id.is_not(None), RollEntry.voted == False,  # noqa: E712
        RollEntry.void == False)).scalars())  # noqa: E712
