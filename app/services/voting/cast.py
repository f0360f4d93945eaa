"""Casting a ballot: the one write path that is not an ordinary service, and the look-ups of a
voter's roll entry that the ballot pages make.

The flip of the roll entry (``voted`` false → true, checked by rowcount) and the ballot and
receipt inserts must commit together, in as short a write as possible. It is one statement: on
PostgreSQL a CTE on an autocommit connection from this module's own set of connections, on
SQLite an UPDATE whose TEMP trigger writes the ballot and the receipt (see
``_SQLITE_CAST_SETUP``), so SQLite's write lock is held only inside one C call. The statement
also checks that the stage is still as in the cycle's cached context; when it is not, the
context is read again and the write made again. Everything runs on the driver's connection, no
ORM. Nothing about the voter is logged.
"""

from __future__ import annotations

import os
import re
import secrets
import sqlite3
import threading
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.models.voting import RollEntry

from .. import ServiceError, StageClosed
from .ballot import encode_choices
from .codes import CODE_LEN, RECEIPT_LEN, new_code, normalise_code
from .context import BallotContext, ballot_context


class AlreadyVoted(ServiceError):
    """The roll entry has voted already (or its code was voided): nothing was recorded."""

    def __init__(self, message: str = "该测评码（或账号）已投票或已作废，每人只能投一次。"):
        super().__init__(message)


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
# cast_ballot makes the write again with a fresh context. Under READ COMMITTED a concurrent
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
_SQLITE_PENDING = (
    "INSERT OR REPLACE INTO temp.cast_pending (slot, roll_id, id, cycle_id, group_key, choices, receipt) "
    "VALUES (1, ?, ?, ?, ?, ?, ?)"
)
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


# ---------------------------------------------------------------- the voter's roll entry
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
