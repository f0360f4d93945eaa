"""The office's overview of a year's target tables at the size of a university (issue #17).

The overview pages (``/targets/office``, ``/targets/office/behind``) show every table of the year:
at 250 units that is 250 tables of some 200 indicators each, too many to read, parse and judge on
every request. What they show of one table depends only on the table record (its ``version``
goes up with every change of its content, settings, budget or report; its ``actuals_stamp``
changes with its actuals) and on its unit's name, so the pages keep it per table
(``app.web.targets.overview``) under the table's ``key`` and work out again only the tables whose
key changed.

``entries`` lists the year's tables from the index that holds what the key is made of (one
query, never the tables' content); ``standings`` reads and judges only the tables given (in one
query), exactly as ``targets.standings`` does for all of them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlmodel import Session, select

from app.models import Unit
from app.models.targets import OVERVIEW_COLUMNS, TargetTableRecord

from .targets import Standing, standings_of

__all__ = ["Entry", "entries", "key_of", "standings"]


@dataclass(frozen=True)
class Entry:
    """One table of the year as the overview lists it."""

    table_id: int
    unit: Unit
    key: str  # changes whenever what the overview shows of the table may change


def entries(db: Session, year: int) -> list[Entry]:
    """The year's tables in the office's order (that of ``targets.tables_of``), each with its key;
    read from the index ``ix_target_table_overview`` alone (not the tables' content)."""
    units = {u.id: u for u in db.exec(select(Unit))}
    cols = [getattr(TargetTableRecord, c) for c in OVERVIEW_COLUMNS]
    rows = [dict(zip(OVERVIEW_COLUMNS, r, strict=True))
            for r in db.exec(select(*cols).where(TargetTableRecord.year == year))]
    rows.sort(key=lambda r: (units[r["unit_id"]].position if r["unit_id"] in units else 0, r["unit_id"], r["project"]))
    return [Entry(r["id"], units[r["unit_id"]], _key(year, units[r["unit_id"]], r)) for r in rows]


def _key(year: int, unit: Unit | None, cols: dict) -> str:
    values = (cols[c].isoformat() if c.endswith("_at") else cols[c] for c in OVERVIEW_COLUMNS)
    parts = (year, unit.name if unit else "", *values)
    return hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()[:32]


def key_of(rec: TargetTableRecord, unit: Unit | None) -> str:
    """The key of one table (that of its ``Entry``): changes with its content, actuals and unit name."""
    return _key(rec.year, unit, {c: getattr(rec, c) for c in OVERVIEW_COLUMNS})


def standings(db: Session, items: list[Entry]) -> list[Standing]:
    """The standings of these tables, in their order (the records read in one query per 500)."""
    ids = [e.table_id for e in items]
    recs: dict[int, TargetTableRecord] = {}
    for i in range(0, len(ids), 500):
        q = select(TargetTableRecord).where(TargetTableRecord.id.in_(ids[i:i + 500]))
        recs.update((r.id, r) for r in db.exec(q))
    return standings_of(db, [recs[i] for i in ids], {e.unit.id: e.unit for e in items})
