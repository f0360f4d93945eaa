"""The office's overview of a year's target tables at the size of a university (issue #17).

The overview pages (``/targets/office``, ``/targets/office/behind``) show every table of the year:
at 250 units that is 250 tables of some 200 indicators each, too many to read, parse and judge on
every request. What they show of one table depends only on the table record (its ``version``
goes up with every change of its content, settings, budget or report; its ``actuals_stamp``
changes with its actuals) and on its unit's name, so the pages keep it per table
(``app.web.targets.overview``) under the table's ``key`` and work out again only the tables whose
key changed.

``entries`` lists the year's tables without their content (one query, no JSON of indicators);
``standings`` reads and judges only the tables given (their content in one query), exactly as
``targets.standings`` does for all of them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlmodel import Session, select

from app.models import Unit
from app.models.targets import TargetTableRecord

from .targets import Standing, standings_of, tables_of

__all__ = ["Entry", "entries", "standings"]


@dataclass(frozen=True)
class Entry:
    """One table of the year as the overview lists it (``rec`` is loaded without ``data``)."""

    rec: TargetTableRecord
    unit: Unit
    key: str  # changes whenever what the overview shows of the table may change


def _key(rec: TargetTableRecord, unit: Unit) -> str:
    parts = (rec.id, rec.version, rec.revision, rec.actuals_stamp, rec.updated_at.isoformat(),
             rec.created_at.isoformat(), rec.unit_id, rec.year, rec.project, unit.name)
    return hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()[:32]


def entries(db: Session, year: int) -> list[Entry]:
    """The year's tables in the office's order (``targets.tables_of``), each with its key."""
    units = {u.id: u for u in db.exec(select(Unit))}
    return [Entry(rec, units[rec.unit_id], _key(rec, units[rec.unit_id]))
            for rec in tables_of(db, year=year, light=True)]


def standings(db: Session, items: list[Entry]) -> list[Standing]:
    """The standings of these tables (in their order); their content is read in one query per 500."""
    ids = [e.rec.id for e in items]
    for i in range(0, len(ids), 500):  # fills ``data`` of the records loaded without it
        list(db.exec(select(TargetTableRecord).where(TargetTableRecord.id.in_(ids[i:i + 500]))))
    return standings_of(db, [e.rec for e in items], {e.unit.id: e.unit for e in items})
