"""Reads that one unit of work repeats, done once per session while nothing is written.

A page such as the results sheet asks several services for the same small sets (the active
units, the cycle's rater groups, its stages): each asks the database again. :func:`memo` keeps
what a loader returned in the session (``Session.info``) and gives it back to the next caller
with the same key, as long as the session has written nothing since:

* any flush, commit or rollback, and any statement other than a SELECT executed through the
  session (``db.execute(update(...))``), forgets everything memoised;
* while the session holds pending changes (new, deleted or modified objects, which a query would
  flush first) the loader is called and nothing is kept.

The values are ORM objects of the session's identity map (a fresh query would return the same
objects), so a change to one of them is seen by every caller; callers get a new list each time.
"""

from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.orm import Session

_KEY = "kpi_read_memo"


def memo(db: Session, key: tuple, load: Callable[[], list]) -> list:
    """``load()`` (a list), or the list a previous call with ``key`` kept in this session."""
    if db._new or db._deleted or db.identity_map._modified:  # a query would flush these first
        return list(load())
    hit = db.info.get(_KEY, {}).get(key)
    if hit is None:
        hit = list(load())  # may begin the transaction, which forgets: keep it after
        db.info.setdefault(_KEY, {})[key] = hit
    return list(hit)


def forget(db: Session) -> None:
    db.info.pop(_KEY, None)


def _forget(session, *_args) -> None:
    if _KEY in session.info:
        del session.info[_KEY]


def _on_execute(state) -> None:
    if not state.is_select and _KEY in state.session.info:
        del state.session.info[_KEY]


for _name in ("after_flush", "after_commit", "after_rollback", "after_soft_rollback", "after_begin"):
    event.listen(Session, _name, _forget)
event.listen(Session, "do_orm_execute", _on_execute)
