"""Two years side by side: last year's table of the same unit (and project) beside this year's.

``previous_year(db, rec)`` matches every row of ``rec`` to the row of the previous year's table
that stands for the same indicator: by its path (一级, 二级, 职能, 重点工作, name; the n-th of equal
paths to the n-th, as a re-import matches rows), else by its name alone when that name occurs once
in each table. Matched rows carry last year's full-year target and full-year actual.

``selfeval_columns`` gives the self-evaluation sheet's 指标值设定依据 and 上年完成情况 from that.
"""

from collections import Counter
from dataclasses import dataclass

from sqlmodel import Session

from app.models.targets import TargetActual, TargetTableRecord
from app.rubric.targets import TargetRow
from app.rubric.values import TargetValue

from .targets import _row_keys, actuals_of, find_table, table_of

__all__ = ["PreviousRow", "previous_table", "previous_year", "selfeval_columns"]


@dataclass(frozen=True)
class PreviousRow:
    """Last year's row matched to one of this year's, with its full-year actual (None: not reported)."""

    year: int
    table_id: int
    row: TargetRow
    actual: TargetActual | None

    @property
    def target(self) -> TargetValue | None:
        return self.row.full_year if self.row.full_year is not None else self.row.half_year

    @property
    def actual_text(self) -> str | None:
        return self.actual.text if self.actual is not None else None


def previous_table(db: Session, rec: TargetTableRecord) -> TargetTableRecord | None:
    """The same unit's table of the year before (the same project's, for a project table)."""
    return find_table(db, rec.unit_id, rec.year - 1, rec.project)


def previous_year(db: Session, rec: TargetTableRecord) -> dict[int, PreviousRow]:
    """This year's row position → last year's matched row; rows without a match are absent."""
    prev = previous_table(db, rec)
    if prev is None:
        return {}
    rows, old_rows = table_of(rec).rows, table_of(prev).rows
    old_by_key = {key: pos for pos, key in _row_keys(old_rows).items()}
    old_by_pos = {r.position: r for r in old_rows}
    names = Counter(r.name for r in old_rows)
    new_names = Counter(r.name for r in rows)
    old_by_name = {r.name: r.position for r in old_rows if names[r.name] == 1}
    actuals = actuals_of(db, prev.id, "full_year")
    out = {}
    for pos, key in _row_keys(rows).items():
        old = old_by_key.get(key)
        if old is None:
            name = key[0][-1]
            old = old_by_name.get(name) if new_names[name] == 1 else None
        if old is not None:
            out[pos] = PreviousRow(prev.year, prev.id, old_by_pos[old], actuals.get((old, "full_year")))
    return out


def selfeval_columns(db: Session, rec: TargetTableRecord) -> dict[int, tuple[str, str]]:
    """Row position → (指标值设定依据, 上年完成情况) of the self-evaluation sheet, from last year."""
    out = {}
    for pos, p in previous_year(db, rec).items():
        target = p.target.text if p.target is not None else "—"
        if p.actual_text:
            basis = f"参考{p.year}年实际完成值 {p.actual_text}（{p.year}年目标 {target}）"
            done = f"{p.year}年目标 {target}，实际完成 {p.actual_text}"
        else:
            basis = f"参考{p.year}年目标 {target}"
            done = f"{p.year}年目标 {target}，未填报实际完成值"
        out[pos] = (basis, done)
    return out
