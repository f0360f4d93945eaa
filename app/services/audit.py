"""The audit trail: one helper that every write uses."""

from datetime import date, datetime
from decimal import Decimal

from sqlmodel import Session

from app.models import AuditEntry


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def record(
    db: Session,
    *,
    actor_id: int | None,
    action: str,
    entity: str,
    entity_id=None,
    old=None,
    new=None,
    reason: str | None = None,
    cycle_id: int | None = None,
    flush: bool = True,
) -> AuditEntry:
    """Add one audit entry (flushed, unless ``flush=False`` for a caller that writes many and
    flushes once)."""
    entry = AuditEntry(
        user_id=actor_id,
        cycle_id=cycle_id,
        action=action,
        entity=entity,
        entity_id=None if entity_id is None else str(entity_id),
        old_value=_jsonable(old),
        new_value=_jsonable(new),
        reason=reason,
    )
    db.add(entry)
    if flush:
        db.flush()
    return entry


def changes(obj, values: dict) -> tuple[dict, dict]:
    """Apply ``values`` to ``obj``; return (old, new) of the fields that really changed."""
    old, new = {}, {}
    for key, value in values.items():
        current = getattr(obj, key)
        if current != value:
            old[key] = current
            new[key] = value
            setattr(obj, key, value)
    return old, new
