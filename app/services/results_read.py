"""Reading published or office-visible results: the result set a reader may see, the tables per
category, the plain-JSON export (documented in docs/results.md) and a unit's history across cycles.

Split from :mod:`app.services.results`, which computes, stores, deliberates and publishes.
"""

from __future__ import annotations

import threading

from sqlalchemy.orm import defer
from sqlmodel import Session, func, select

from app.models import Cycle
from app.models.result import OBJECTION_STATUSES, Objection, ResultOverride, ResultRow, ResultSet
from app.rubric.disclosure import disclose

from .results import _s, display_order, get_set, objections_of, overrides_of, rows_of
from .voting import MIN_GROUP


def visible_set(db: Session, cycle_id: int, *, office: bool = False) -> ResultSet | None:
    rs = get_set(db, cycle_id)
    if rs is None:
        return None
    if office or rs.is_visible:
        return rs
    return None


def ballots_shown(rs: ResultSet, ballots: dict | None) -> dict:
    """What of a unit's stored democratic-rating counts (``{group key: {level: count}}``) may be
    shown on the result pages, the workbook and the JSON: the lines of
    :func:`app.rubric.disclosure.disclose` (small groups merged or left out), the unit's total per
    level (``None`` where it would give a hidden group back), its number of ballots and the note
    that says what is not shown."""
    ballots = ballots or {}
    levels = list(rs.data.get("ballot_levels") or [])
    names = rs.data.get("group_names") or {}
    d = disclose(ballots, MIN_GROUP, names=names, levels=levels or None,
                 weighted=bool(rs.data.get("group_weights")))
    total: dict[str, int] = dict.fromkeys(levels, 0)
    for counts in ballots.values():
        for level, n in counts.items():
            if isinstance(n, int):
                total[level] = total.get(level, 0) + n
    return {"lines": [{"group": line.label, "counts": line.counts, "ballots": line.ballots} for line in d.lines],
            "total": total if d.totals_shown else None, "ballots": sum(total.values()), "note": d.note}


TABLE_DETAIL = ("components", "component_ranks", "ballots", "target_raw_max")


class RowView:
    """A result row with some keys of its ``detail`` only (``detail`` holds every explanation and
    the indicator tree, ~35 KB a row): every other attribute is the row's. Read-only."""

    __slots__ = ("_row", "detail")

    def __init__(self, row: ResultRow, detail: dict):
        self._row = row
        self.detail = detail

    def __getattr__(self, name):
        return getattr(self._row, name)

    def component(self, key: str) -> dict | None:
        """The row's stored component ``key`` (points, rank), or None."""
        return next((c for c in self.detail.get("components") or [] if c.get("key") == key), None)


_TABLE_DETAILS: dict[tuple, dict[int, dict]] = {}  # (set id, fingerprint, keys) → row id → detail subset
_TABLE_DETAILS_MAX = 16
_TABLE_DETAILS_LOCK = threading.Lock()


def table_rows(db: Session, rs: ResultSet, detail_keys: tuple[str, ...] = TABLE_DETAIL) -> list[RowView]:
    """:func:`app.services.results.rows_of` with only ``detail_keys`` of each row's detail, read
    from the database (what the result tables and charts show) and kept per worker for the set's
    fingerprint: the rows' details are written with the fingerprint of what they hold (the
    grading note, which regrade rewrites, is not among these keys). The detail dicts are shared:
    read them, never change them."""
    key = (rs.id, rs.fingerprint, detail_keys) if rs.fingerprint else None
    known = _TABLE_DETAILS.get(key) if key else None
    base = select(ResultRow).options(defer(ResultRow.detail)).where(ResultRow.result_set_id == rs.id)
    rows = list(db.exec(base)) if known is not None else []
    if known is None or any(r.id not in known for r in rows):
        cols = [ResultRow.detail[k].label(f"d_{i}") for i, k in enumerate(detail_keys)]
        found = list(db.execute(base.add_columns(*cols)).tuples())
        rows = [row for row, *_values in found]
        known = {row.id: dict(zip(detail_keys, values, strict=True)) for row, *values in found}
        if key:
            with _TABLE_DETAILS_LOCK:
                if len(_TABLE_DETAILS) >= _TABLE_DETAILS_MAX:
                    _TABLE_DETAILS.clear()
                _TABLE_DETAILS[key] = known
    views = [RowView(row, known[row.id]) for row in rows]
    views.sort(key=display_order(rs))
    return views


def category_tables(db: Session, rs: ResultSet, *, full: bool = True) -> list[dict]:
    """Per category: its label, components and the rows in rank order. ``full=False``: the rows
    are :class:`RowView` with the detail the tables show (:data:`TABLE_DETAIL`)."""
    rows = rows_of(db, rs) if full else table_rows(db, rs)
    out = []
    for c in rs.data.get("categories", []):
        out.append({**c, "rows": [r for r in rows if r.category == c["key"]]})
    return out


def policy_lines(rs: ResultSet) -> list[str]:
    """How the totals were made, in Chinese, per category: the counted components and their
    points, the components shown but not counted, and the tie-break order."""
    from app.rubric.numbers import fmt

    lines = []
    names: dict[str, str] = {}
    cats = rs.data.get("categories") or []
    for c in cats:
        counted = [m for m in c["components"] if m.get("counts", True)]
        parts = "＋".join(m["name"] + ("" if m["kind"] in ("bonus", "deduction") else f"（{fmt(m['points'])}）")
                         for m in counted)
        off = [m["name"] for m in c["components"] if not m.get("counts", True)]
        lines.append(f"{c['name']}：总分 = {parts}" + (f"；{'、'.join(off)}只列出、不计入总分" if off else ""))
        for m in c["components"]:
            names.setdefault(m["key"], m["name"])
    tb = (rs.data.get("grading_policy") or {}).get("tie_break") or []
    kinds = {"target": "目标考核", "leader": "领导班子评价", "democratic": "民主测评"}
    if tb:
        lines.append("同分时依次比较" + "、".join(names.get(k) or kinds.get(k, k) for k in tb) + "，仍相同的并列。")
    else:
        lines.append("总分相同的单位并列同一名次。")
    return lines


def component_cells(r: ResultRow) -> list[dict]:
    """A row's components in display order: key, name, kind, points, rank in the category, and
    whether it counts towards the total (the result sheet, the public page, the workbook, JSON)."""
    ranks = r.detail.get("component_ranks") or {}
    return [{"key": c["key"], "name": c["name"], "kind": c["kind"], "points": c["points"],
             "rank": c.get("rank", ranks.get(c["key"])), "counts": c.get("counts", True)}
            for c in r.detail.get("components") or []]


def export_payload(db: Session, rs: ResultSet, cycle: Cycle, *, with_details: bool = True) -> dict:
    """The results as plain JSON (documented in docs/results.md)."""
    overrides = overrides_of(db, rs)
    objections = objections_of(db, rs)
    cats = []
    for t in category_tables(db, rs):
        units = []
        for r in t["rows"]:
            u = {"unit_id": r.unit_id, "unit": r.unit_name, "subtype": r.subtype, "rank": r.rank,
                 "democratic": _s(r.democratic), "target": _s(r.target), "target_raw": _s(r.target_raw),
                 "target_raw_max": r.detail.get("target_raw_max"), "leader": _s(r.leader),
                 "computed_total": _s(r.computed_total), "total": _s(r.total), "grade": r.grade,
                 "provisional": r.provisional, "flags": list(r.flags or []),
                 "component_scores": component_cells(r),
                 "grading_explanation": (r.detail.get("grading") or {}).get("explanation", ""),
                 "overrides": [{"kind": o.kind, "old": o.old_value, "new": o.new_value, "reason": o.reason,
                                "source": o.source, "at": o.created_at.isoformat()}
                               for o in overrides if o.unit_id == r.unit_id]}
            if with_details:
                u["explanation"] = r.detail.get("explanation", "")
                u["components"] = r.detail.get("components", [])
                u["normalisations"] = r.detail.get("normalisations", [])
                u["indicators"] = r.detail.get("indicators", [])
                u["ballots"] = ballots_shown(rs, r.detail.get("ballots"))
            units.append(u)
        cats.append({"key": t["key"], "name": t["name"], "quota": t["quota"], "components": t["components"],
                     "units": units})
    return {
        "cycle": {"id": cycle.id, "name": cycle.name, "period_start": cycle.period_start.isoformat(),
                  "period_end": cycle.period_end.isoformat()},
        "status": rs.status, "status_label": rs.status_label,
        "scheme": rs.data.get("scheme"),
        "fixed_at": rs.fixed_at.isoformat() if rs.fixed_at else None,
        "published_at": rs.published_at.isoformat() if rs.published_at else None,
        "notice_until": rs.notice_until.isoformat() if rs.notice_until else None,
        "final_at": rs.final_at.isoformat() if rs.final_at else None,
        "categories": cats,
        "awards": rs.data.get("awards", []),
        "ballot_levels": rs.data.get("ballot_levels", []),
        "rater_groups": rs.data.get("group_names", {}),
        "objections": {"total": len(objections),
                       **{k: sum(1 for o in objections if o.status == k) for k in OBJECTION_STATUSES}},
        "warnings": rs.data.get("warnings", []),
    }


def export_stamp(db: Session, rs: ResultSet) -> tuple:
    """What of the export is not in the result set's own row: its overrides (never edited or
    deleted, so their number and last id) and its objections per status. Two small queries."""
    n, last = db.exec(select(func.count(ResultOverride.id), func.max(ResultOverride.id))
                      .where(ResultOverride.result_set_id == rs.id)).one()
    by_status = sorted(db.exec(select(Objection.status, func.count(Objection.id))
                               .where(Objection.result_set_id == rs.id).group_by(Objection.status)))
    return n, last, tuple(tuple(x) for x in by_status)


def unit_history(db: Session, unit_id: int, *, include_unpublished: bool = False,
                 counts_memo: dict | None = None) -> list[dict]:
    """A unit's results over the cycles (oldest first). Three queries whatever the number of
    cycles; the snapshots (result set data, the cycle's scheme) and the rows' explanations are not
    loaded. ``counts_memo``: a dict kept by the caller for the number of units per category of
    each result set (they change only with a recomputation: keyed by the set's fingerprint and
    time of computation), so that the third query runs only for sets not seen before."""
    q = (select(ResultRow, ResultSet, Cycle).join(ResultSet, ResultSet.id == ResultRow.result_set_id)
         .join(Cycle, Cycle.id == ResultSet.cycle_id).where(ResultRow.unit_id == unit_id)
         .options(defer(ResultRow.detail), defer(ResultSet.data), defer(Cycle.scheme_data))
         .order_by(Cycle.period_start))
    found = [(row, rs, cycle) for row, rs, cycle in db.exec(q) if include_unpublished or rs.is_visible]
    memo = {} if counts_memo is None else counts_memo
    counts: dict[int, dict[str, int]] = {}
    for _r, rs, _c in found:
        hit = memo.get((rs.id, rs.fingerprint, rs.computed_at))
        if hit is not None:
            counts[rs.id] = hit
    missing = {rs.id: (rs.id, rs.fingerprint, rs.computed_at) for _r, rs, _c in found if rs.id not in counts}
    if missing:  # the units ranked in the same category of each result set, in one query
        for sid in missing:
            counts[sid] = {}
        for sid, cat, n in db.exec(
                select(ResultRow.result_set_id, ResultRow.category, func.count(ResultRow.id))
                .where(ResultRow.result_set_id.in_(list(missing)))
                .group_by(ResultRow.result_set_id, ResultRow.category)):
            counts[sid][cat] = n
        if len(memo) > 500:
            memo.clear()
        for sid, k in missing.items():
            memo[k] = counts[sid]
    return [{"cycle": cycle, "result_set": rs, "row": row, "of": counts[rs.id].get(row.category, 0)}
            for row, rs, cycle in found]
