"""The code-guess guard: wrong vote codes counted per address.

Counted in the sign-in throttle table (``app.services.accounts.count_failure``) under
``v:<keyed hash of the address>``: the table holds no address, and nothing of a voter who typed
a right code. The hot path only looks the key up in this worker's copy of the current locks,
refreshed every :data:`LOCKS_TTL` seconds in one query.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.models import Cycle, LoginThrottle
from app.models.base import utcnow

from ..accounts import count_failure
from ..audit import record

LOCKS_TTL = 2.0
CODE_GUARD_PREFIX = "v:"
_code_locks: dict[str, tuple[float, dict[str, object]]] = {}
_code_locks_guard = threading.Lock()


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
