"""Results of a cycle: aggregation through the rubric engine, the stored snapshot, deliberation,
fixing (定稿), publication (公示) and finalisation.

How results follow their inputs (the choice, documented in docs/results.md):

* While the result set is ``proposed`` it is recomputed **on demand**: whenever the office or the
  leadership group opens the result sheet, when the office presses 重新计算, and right before the
  office fixes the results. The inputs come from the workflows' services (scoring, voting,
  leader_eval, awards, eligibility; :func:`gather_inputs`). Inputs with the digest stored with
  the snapshot are not computed again (:func:`results_payload.input_fingerprint`); otherwise the
  engine's output is serialised and compared with the stored snapshot by a SHA-256 fingerprint.
  Only when it differs are the rows rewritten (those that changed), ``changed_at`` set and the
  units whose total, rank or grade moved listed (and audited). Nothing depends on a job firing.
* Once ``fixed`` the computed part is frozen. Opening the sheet still computes the live figures
  and shows a warning when the inputs have changed since fixing, but never writes them.
  Only recorded overrides (deliberation before fixing, upheld objections during publication)
  change a fixed result, each with its reason and author, each re-graded through the engine.
* ``final`` results never change.

Grading is always :func:`app.rubric.engine.grade` over the stored computed scores, the stored
grading inputs (accepted excellence applications, vetoes, the previous cycle's last-ranked units)
and the recorded overrides, so the stored sheet, the published page, the workbook and the JSON are
one and the same data.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import String, cast
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defer
from sqlmodel import Session, func, select

from app.models import Cycle, Unit
from app.models.base import utcnow
from app.models.result import OVERRIDE_KINDS, Objection, ResultOverride, ResultRow, ResultSet
from app.rubric import engine
from app.rubric.gcpause import collector_held
from app.rubric.numbers import D, fmt, q2
from app.rubric.scheme import Scheme

from . import (
    ServiceError,
    StaleData,
    awards,
    component_values,
    eligibility,
    leader_eval,
    results_payload,
    scoring,
    voting,
)
from .accounts import require_role
from .audit import record
from .org import active_units
from .results_payload import Prepared, _s, fingerprint, fingerprinted, input_fingerprint, turnout_rows  # noqa: F401
from .schemes import cycle_scheme, snapshot_key
from .stages import require_open, state_of

# ----------------------------------------------------------------------------- inputs


@dataclass
class Inputs:
    """Everything the results are computed from, as the workflows' services return it."""

    facts: dict = field(default_factory=dict)  # {(unit_id, code): {field: value}}
    ballots: dict = field(default_factory=dict)  # {unit_id: {group: {level: count}}}
    group_weights: dict = field(default_factory=dict)
    turnout: Any = None
    leader_ratings: dict = field(default_factory=dict)  # {unit_id: {"principal": [...], "deputy": [...]}}
    awards: list = field(default_factory=list)  # award_decisions
    eligible: set | None = None  # unit ids with an accepted excellence application
    vetoes: dict = field(default_factory=dict)  # {unit_id: [veto key or text]}
    component_values: dict = field(default_factory=dict)  # {(unit_id, key): Decimal | None} weighted/bonus/deduction


def gather_inputs(db: Session, cycle: Cycle) -> Inputs:
    """Read every input of the cycle's results from the service that owns it."""
    return Inputs(
        facts=scoring.cycle_facts(db, cycle),
        ballots=voting.ballot_counts(db, cycle),
        group_weights=voting.rater_group_weights(db, cycle),
        turnout=voting.turnout(db, cycle),
        leader_ratings=leader_eval.leader_ratings(db, cycle),
        awards=awards.award_decisions(db, cycle),
        eligible=eligibility.eligible_units(db, cycle),
        vetoes=eligibility.active_vetoes(db, cycle),
        component_values=component_values.cycle_values(db, cycle),
    )


# ----------------------------------------------------------------------------- helpers


def _units(db: Session, scheme: Scheme) -> list[Unit]:
    return active_units(db, categories=[c.key for c in scheme.categories])


def get_set(db: Session, cycle_id: int) -> ResultSet | None:
    return db.exec(select(ResultSet).where(ResultSet.cycle_id == cycle_id)).first()


def rows_of(db: Session, rs: ResultSet, *, with_detail: bool = True) -> list[ResultRow]:
    """Rows in display order (the scheme's categories, rank, position); ``with_detail=False``: no ``detail``."""
    q = select(ResultRow).where(ResultRow.result_set_id == rs.id)
    rows = list(db.exec(q if with_detail else q.options(defer(ResultRow.detail))))
    rows.sort(key=display_order(rs))
    return rows


def display_order(rs: ResultSet):
    """The sort key of :func:`rows_of` (for a row or anything with a row's attributes)."""
    cats = rs.data.get("categories") or []
    order = {c["key"]: i for i, c in enumerate(cats)}
    return lambda r: (order.get(r.category, 99), r.rank, r.position, r.unit_name)


def overrides_of(db: Session, rs: ResultSet) -> list[ResultOverride]:
    return list(db.exec(select(ResultOverride).where(ResultOverride.result_set_id == rs.id)
                        .order_by(ResultOverride.created_at, ResultOverride.id)))


def objections_of(db: Session, rs: ResultSet, unit_id: int | None = None) -> list[Objection]:
    q = select(Objection).where(Objection.result_set_id == rs.id)
    if unit_id is not None:
        q = q.where(Objection.unit_id == unit_id)
    return list(db.exec(q.order_by(Objection.created_at, Objection.id)))


# ----------------------------------------------------------------------------- computation


def _previous_last(db: Session, cycle: Cycle) -> list[str]:
    """Unit ids ranked last of their category in the previous cycle that has fixed results."""
    prev = (select(ResultSet.id).join(Cycle, Cycle.id == ResultSet.cycle_id)
            .where(Cycle.period_start < cycle.period_start, ResultSet.status != "proposed")
            .order_by(Cycle.period_start.desc()).limit(1).scalar_subquery())
    # one query, only the flags (not the details) of the rows whose JSON text has the flag (checked again below)
    has = cast(ResultRow.__table__.c.flags, String).contains('"last_place"')
    rows = db.exec(select(ResultRow.unit_id, ResultRow.flags).where(ResultRow.result_set_id == prev, has))
    return sorted(str(uid) for uid, flags in rows if "last_place" in (flags or []))


def _prepare(db: Session, cycle: Cycle, inputs: Inputs | None = None) -> Prepared:
    """Everything the cycle's results are computed from (:class:`results_payload.Prepared`)."""
    scheme = cycle_scheme(cycle)
    inputs = inputs if inputs is not None else gather_inputs(db, cycle)
    # the ballot rules the democratic rating is scored with: the scheme's, with the cycle's rater
    # groups, weights and 优秀 share (the same policy as the office's tally)
    from .voting import cycle_policy

    return Prepared(
        scheme=dataclasses.replace(scheme, ballot=cycle_policy(db, cycle)),
        snapshot_key=snapshot_key(cycle),
        units=_units(db, scheme),
        facts={(str(uid), code): v for (uid, code), v in (inputs.facts or {}).items()},
        ballots={str(k): v for k, v in (inputs.ballots or {}).items()},
        ratings={str(k): v for k, v in (inputs.leader_ratings or {}).items()},
        values={(str(uid), key): v for (uid, key), v in (inputs.component_values or {}).items()},
        weights={str(k): D(v) for k, v in (inputs.group_weights or {}).items()},
        turnout=turnout_rows(inputs.turnout), eligible=inputs.eligible, vetoes=inputs.vetoes or {},
        awards=list(inputs.awards or []), previous_last=_previous_last(db, cycle))


def _payload(prep: Prepared) -> dict:
    try:
        return results_payload.payload(prep)
    except ValueError as exc:
        raise ServiceError(f"无法计算结果：{exc}") from None


def compute(db: Session, cycle: Cycle, inputs: Inputs | None = None) -> dict:
    """Compute the cycle's results from its inputs through the engine; return the snapshot
    payload (JSON-able, Decimals as strings): per unit rows and the set-level data."""
    return _payload(_prepare(db, cycle, inputs))


# ----------------------------------------------------------------------------- grading


def _cycle_result(rs: ResultSet, rows: list[ResultRow], details: dict | None = None) -> engine.CycleResult:
    """Rebuild the engine's CycleResult from the stored computed scores (``details``: the rows'
    details by unit id, when they are not read from the rows)."""
    units = {}
    rankings: dict[str, list[str]] = {c["key"]: [] for c in rs.data.get("categories", [])}
    for r in sorted(rows, key=lambda r: (r.computed_rank, r.unit_name)):
        uid = str(r.unit_id)
        comps = {}
        detail = r.detail if details is None else details[r.unit_id]
        for c in detail.get("components", []):
            comps[c["key"]] = engine.ComponentScore(c["key"], c["name"], c["kind"], D(c["points"]),
                                                    D(c["max_points"]), c["explanation"], c["status"],
                                                    c["provisional"], counts=c.get("counts", True))
        units[uid] = engine.UnitResult(unit=engine.Unit(uid, r.unit_name, r.category, r.subtype), components=comps,
                                       total=D(r.computed_total), max_total=D(detail.get("max_total") or 0),
                                       normalisations=[], provisional=r.provisional,
                                       explanation=detail.get("explanation", ""), rank=r.computed_rank)
        rankings.setdefault(r.category, []).append(uid)
    return engine.CycleResult(scheme_key=rs.scheme_key, scheme_version=rs.scheme_version,
                              normalisation=rs.normalisation, units=units, rankings=rankings)


def regrade(db: Session, rs: ResultSet, cycle: Cycle, rows: list[ResultRow] | None = None,
            written: _Written | None = None) -> list[dict]:
    """Apply the grading policy and every recorded override to the stored scores; update the
    rows. Returns the list of changes (unit, field, old, new). ``rows`` and ``written``: the set's
    rows and their details as :func:`refresh` has just set them (else they are read)."""
    scheme = cycle_scheme(cycle)
    if rows is None:
        rows = list(db.exec(select(ResultRow).where(ResultRow.result_set_id == rs.id)))
    if not rows:
        return []
    gi = rs.data.get("grading_inputs") or {}
    overrides = []
    fails = set()
    for o in overrides_of(db, rs):
        uid = str(o.unit_id)
        if o.kind == "total":
            overrides.append(engine.Override(unit_id=uid, reason=o.reason, total=D(o.new_value)))
        elif o.kind == "grade":
            overrides.append(engine.Override(unit_id=uid, reason=o.reason, grade=o.new_value))
        elif o.kind == "fail":
            fails.add(uid)
    fail_notes = {str(o.unit_id): o.reason for o in overrides_of(db, rs) if o.kind == "fail"}
    try:
        graded = engine.grade(scheme, _cycle_result(rs, rows, written and written.details),
                              applications=gi.get("applications") or {},
                              vetoes=gi.get("vetoes") or {}, fail_decisions=fails,
                              previous_last=gi.get("previous_last") or [], overrides=overrides)
    except ValueError as exc:
        raise ServiceError(str(exc)) from None
    changes = []
    for r in rows:
        g = graded.units[str(r.unit_id)]
        new = {"total": q2(g.total), "rank": g.rank, "grade": g.grade}
        for key, value in new.items():
            old = getattr(r, key)
            if (q2(old) if key == "total" else old) != value:
                changes.append({"unit_id": r.unit_id, "unit_name": r.unit_name, "field": key,
                                "old": _s(old) if key == "total" else old,
                                "new": _s(value) if key == "total" else value})
                setattr(r, key, value)
        explanation = g.explanation
        if str(r.unit_id) in fail_notes and fail_notes[str(r.unit_id)] not in explanation:
            explanation = explanation.rstrip("。") + f"（认定理由：{fail_notes[str(r.unit_id)]}）。"
        grading = {"explanation": explanation, "flags": list(g.flags)}
        if written is None:
            detail = dict(r.detail)
        elif not written.grading_changed(r.unit_id, grading):
            detail = None  # the stored detail is this one already
        else:
            detail = dict(written.details[r.unit_id])
        if detail is not None:
            detail["grading"] = grading
            r.detail = detail
        r.flags = list(g.flags)
        db.add(r)
    data = dict(rs.data)
    data["warnings"] = list(graded.warnings)
    if written is None:  # the details are changed here: the stored digests no longer describe them
        data.pop(_ROW_DIGESTS, None)
    rs.data = data
    db.add(rs)
    db.flush()
    return changes


# ----------------------------------------------------------------------------- refresh


@dataclass
class Refresh:
    result_set: ResultSet
    changed: bool = False  # the stored proposed results were rewritten
    created: bool = False
    drift: list = field(default_factory=list)  # fixed+ only: differences between live inputs and the snapshot
    changes: list = field(default_factory=list)


_DETAIL_KEYS = ("explanation", "components", "indicators", "normalisations", "ballots", "target_raw_max", "max_total",
                "component_ranks")
_ROW_DIGESTS = "row_digests"  # in ResultSet.data: {"payload": fingerprint, "rows": {unit id: [payload, grading]}}


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:24]


@dataclass
class _Written:
    """The rows :func:`_write_rows` has set: each one's detail without the grading (by unit id),
    its payload part's digest, and the digests stored with the rows of the previous computation
    (of the rows left untouched because their payload part is the same)."""

    details: dict
    digests: dict
    kept: dict  # unit id → stored grading digest
    gradings: dict = field(default_factory=dict)  # unit id → grading digest, filled by regrade

    def grading_changed(self, unit_id: int, grading: dict) -> bool:
        d = self.gradings[unit_id] = _digest(json.dumps(grading, sort_keys=True, ensure_ascii=False))
        return self.kept.get(unit_id) != d

    def stored(self, fp: str) -> dict:
        return {"payload": fp, "rows": {str(k): [v, self.gradings.get(k)] for k, v in self.digests.items()}}


def _known_digests(rs: ResultSet) -> dict:
    """The digests stored with the rows, if they still go with the stored payload."""
    known = (rs.data or {}).get(_ROW_DIGESTS) or {}
    return known.get("rows") or {} if rs.fingerprint and known.get("payload") == rs.fingerprint else {}


def _write_rows(db: Session, rs: ResultSet, payload: dict, texts: dict, known: dict) -> tuple[list, _Written]:
    """Set the rows from the payload (new units added, gone ones deleted), not flushed; returns
    the set's rows in the order the database lists them (existing by id, then the new ones) and
    what was written. A row whose payload part has the digest stored with it is left as it is;
    the old details are never read (their only other part, the grading, is regrade's)."""
    existing = {r.unit_id: r for r in db.exec(select(ResultRow).where(ResultRow.result_set_id == rs.id)
                                              .options(defer(ResultRow.detail)))}
    written = _Written(details={}, digests={}, kept={})
    added = []
    for uid, p in payload["rows"].items():
        unit_id = int(uid)
        detail = {k: v for k, v in p.items() if k in _DETAIL_KEYS}
        written.details[unit_id] = detail
        digest = written.digests[unit_id] = _digest(texts[uid])
        r = existing.get(unit_id)
        if r is not None and (known.get(uid) or [None])[0] == digest:
            written.kept[unit_id] = known[uid][1]
            continue
        if r is None:
            # flags and detail given: pydantic inspects a default factory's signature on every call
            r = ResultRow(result_set_id=rs.id, unit_id=unit_id, unit_name=p["unit_name"], category=p["category"],
                          subtype=p["subtype"], flags=[], detail={})
            added.append(r)
        r.unit_name, r.category, r.subtype, r.position = p["unit_name"], p["category"], p["subtype"], p["position"]
        r.democratic, r.target, r.leader = D(p["democratic"]), D(p["target"]), D(p["leader"])
        r.target_raw, r.computed_total = D(p["target_raw"]), D(p["total"])
        r.computed_rank, r.provisional = p["rank"], p["provisional"]
        if r.id is None:
            r.total, r.rank = D(p["total"]), p["rank"]
        r.detail = {**detail, "grading": {}}  # regrade's
        db.add(r)
    for unit_id, r in existing.items():
        if unit_id not in written.details:
            db.delete(r)
    if added and db.get_bind().dialect.name == "sqlite":
        # ids given, so the new rows go in one executemany: SQLite cannot return generated ids of a
        # batch, and 250 single-row INSERTs were most of a cycle's first opening of the sheet. The
        # transaction is a writer's (BEGIN IMMEDIATE) or fails as a whole, so no other id comes between.
        next_id = (db.exec(select(func.max(ResultRow.id))).one() or 0) + 1
        for i, r in enumerate(added):
            r.id = next_id + i
    return [r for unit_id, r in existing.items() if unit_id in written.details] + added, written


def _row_summary(db: Session, rs: ResultSet) -> dict:
    q = select(ResultRow.unit_id, ResultRow.unit_name, ResultRow.total, ResultRow.rank, ResultRow.grade)
    return {uid: (name, _s(total), rank, grade)
            for uid, name, total, rank, grade in db.exec(q.where(ResultRow.result_set_id == rs.id))}


_INPUTS_FP = "inputs_fingerprint"  # in ResultSet.data: {"inputs": digest of the inputs, "payload": fingerprint}


def _same_inputs(rs: ResultSet | None, ifp: str) -> bool:
    """The stored payload was computed from inputs with fingerprint ``ifp`` (and is still the one stored)."""
    if rs is None or not rs.fingerprint:
        return False
    seen = (rs.data or {}).get(_INPUTS_FP) or {}
    return seen.get("inputs") == ifp and seen.get("payload") == rs.fingerprint


def _remember_inputs(rs: ResultSet, ifp: str) -> None:
    data = dict(rs.data or {})
    data[_INPUTS_FP] = {"inputs": ifp, "payload": rs.fingerprint}
    rs.data = data


_GIVEN = "inputs_given"  # in ResultSet.data: computed from ``inputs`` handed to refresh, not gathered


def refresh_read_only(db: Session, cycle: Cycle) -> Refresh | None:
    """What :func:`refresh` of the live inputs returns, when it would write nothing: the set is
    fixed or later (compared, never rewritten), or proposed and computed from these very inputs;
    None when it would write (no set yet, or the inputs changed). The results sheet opens in a
    read transaction then, and takes the write lock only to recompute."""
    rs = get_set(db, cycle.id)
    if rs is None:
        return None
    if rs.status != "proposed":
        return refresh(db, cycle=cycle)
    return Refresh(rs) if _same_inputs(rs, input_fingerprint(_prepare(db, cycle, None))) else None


@collector_held  # the payload and its JSON are as acyclic as the engine's scores (app/rubric/gcpause.py)
def refresh(db: Session, *, cycle: Cycle, actor_id: int | None = None, inputs: Inputs | None = None,
            expected_version: int | None = None) -> Refresh:
    """Bring the proposed results up to date with the inputs (see the module docstring).
    For fixed, published or final results nothing is written; ``drift`` lists what the live
    inputs would change (not for a set computed from ``inputs`` handed over: the tables do not
    hold what it was computed from). ``expected_version``: the version the office's page showed (重新计算);
    a set changed since (fixed, adjusted) is refused.

    When the inputs' fingerprint (:func:`results_payload.input_fingerprint`) is the one the
    stored payload was computed from, the payload would be the same: nothing is computed."""
    rs = get_set(db, cycle.id)
    if expected_version is not None and rs is not None and rs.version != expected_version:
        raise StaleData("打开本页后结果已有变化（如定稿或审议调整），未重新计算。请查看更新后的结果表后再操作。")
    if inputs is None and rs is not None and rs.status != "proposed" and (rs.data or {}).get(_GIVEN):
        # computed from inputs handed over (results brought in from before, the generated
        # university's past years), not from the tables: there is nothing in them to compare with
        return Refresh(rs)
    prep = _prepare(db, cycle, inputs)
    ifp = input_fingerprint(prep)
    if _same_inputs(rs, ifp):
        return Refresh(rs)  # fixed or later: the same inputs, no drift
    payload = _payload(prep)
    texts, fp = fingerprinted(payload)
    if rs is not None and rs.status != "proposed":
        drift = []
        if fp != rs.fingerprint:
            stored = dict(db.exec(select(ResultRow.unit_id, ResultRow.computed_total)
                                  .where(ResultRow.result_set_id == rs.id)).all())
            for uid, p in payload["rows"].items():
                unit_id = int(uid)
                if unit_id not in stored:
                    drift.append(f"{p['unit_name']}：定稿时没有该单位")
                elif _s(stored[unit_id]) != p["total"]:
                    drift.append(f"{p['unit_name']}：定稿总分{_s(stored[unit_id])}，按当前数据为{p['total']}")
            if not drift:
                drift.append("评分依据（优秀申报、否决情形、测评明细或说明）与定稿时不同，分数未变")
        return Refresh(rs, drift=drift)
    created = rs is None
    if rs is None:
        try:  # two people opening the sheet at once: one creates the set, the other reuses it
            with db.begin_nested():
                rs = ResultSet(cycle_id=cycle.id, status="proposed", data={})
                db.add(rs)
                db.flush()
        except IntegrityError:
            rs = get_set(db, cycle.id)
            created = False
            if rs.status != "proposed":
                return Refresh(rs)
    if not created and fp == rs.fingerprint:  # the same payload from inputs written differently
        _remember_inputs(rs, ifp)
        db.add(rs)
        return Refresh(rs)
    before = _row_summary(db, rs)
    known = _known_digests(rs)
    data = dict(payload["data"])
    data["warnings"] = (rs.data or {}).get("warnings", [])
    if inputs is not None:
        data[_GIVEN] = True
    rs.data = data
    rs.scheme_key, rs.scheme_version = data["scheme"]["key"], data["scheme"]["version"]
    rs.normalisation = data["scheme"]["normalisation"]
    rs.fingerprint = fp
    rs.computed_at = utcnow()
    db.add(rs)
    with db.no_autoflush:  # each row written once, with its grading
        rows, written = _write_rows(db, rs, payload, texts, known)
        regrade(db, rs, cycle, rows, written)
    _remember_inputs(rs, ifp)
    rs.data = {**rs.data, _ROW_DIGESTS: written.stored(fp)}
    after = _row_summary(db, rs)
    changes = []
    if not created:
        for uid, (name, total, rank, grade) in after.items():
            old = before.get(uid)
            if old is None:
                changes.append(f"{name}：新增")
                continue
            parts = []
            if old[1] != total:
                parts.append(f"总分 {old[1]} → {total}")
            if old[2] != rank:
                parts.append(f"名次 {old[2]} → {rank}")
            if old[3] != grade:
                parts.append(f"等次 {old[3]} → {grade}")
            if parts:
                changes.append(f"{name}：" + "，".join(parts))
        rs.changed_at = rs.computed_at
        if changes:  # totals, ranks or grades moved: a page showing the old ones can no longer act on them
            rs.version += 1
        data = dict(rs.data)
        data["last_changes"] = changes or ["评分说明或评分依据有变化，总分、名次、等次未变"]
        rs.data = data
        db.add(rs)
    record(db, actor_id=actor_id, action="compute" if created else "recompute", entity="result_set",
           entity_id=rs.id, cycle_id=cycle.id, new={"fingerprint": fp[:12], "changes": changes[:50]})
    db.flush()
    return Refresh(rs, changed=not created, created=created, changes=changes)


# ----------------------------------------------------------------------------- deliberation


def add_override(db: Session, *, actor_id: int, cycle: Cycle, unit_id: int, kind: str, value: str | None,
                 reason: str, expected_version: int | None = None) -> ResultOverride:
    """The leadership group changes a unit's total or grade (or finds it 不合格), with a reason,
    during the deliberation stage, before the results are fixed. ``expected_version``: the result
    set's version the page showed; results changed since (another adjustment, a recomputation) are refused."""
    require_role(db, actor_id, "group")
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("调整结果必须填写理由。", field="reason")
    if kind not in OVERRIDE_KINDS:
        raise ServiceError("未知的调整类型。")
    rs = get_set(db, cycle.id)
    if rs is None:
        raise ServiceError("本周期尚未计算结果。")
    if expected_version is not None and rs.version != expected_version:
        raise StaleData("打开本页后结果已有变化（如其他成员的审议调整或重新计算），未调整。"
                        "请查看更新后的结果表后再调整。")
    if rs.status != "proposed":
        raise ServiceError(f"结果当前为「{rs.status_label}」，审议调整已结束。")
    require_open(db, cycle.id, "deliberation")
    row = db.exec(select(ResultRow).where(ResultRow.result_set_id == rs.id, ResultRow.unit_id == unit_id)).first()
    if row is None:
        raise ServiceError("该单位不在本次考核结果中。")
    return apply_override(db, rs=rs, cycle=cycle, row=row, kind=kind, value=value, reason=reason, actor_id=actor_id,
                          source="deliberation")


def apply_override(db: Session, *, rs: ResultSet, cycle: Cycle, row: ResultRow, kind: str, value: str | None,
                   reason: str, actor_id: int | None, source: str, objection_id: int | None = None) -> ResultOverride:
    """Record an override of ``row`` (``kind`` total, grade or fail; ``source`` deliberation or
    objection) after checking the value against the scheme, re-grade the set, audit it. The
    caller has checked who may do it and when."""
    scheme = cycle_scheme(cycle)
    if kind == "total":
        try:
            new = q2(D(value))
        except (ValueError, ArithmeticError):
            raise ServiceError("请填写有效的总分。", field="value") from None
        lo, hi = scheme.category(row.category).total_range()
        if (lo is not None and new < lo) or (hi is not None and new > hi):
            span = (f"{fmt(lo)}～{fmt(hi)}" if lo is not None and hi is not None else
                    f"不低于 {fmt(lo)}" if lo is not None else f"不高于 {fmt(hi)}")
            raise ServiceError(f"总分须{'在 ' + span + ' 之间' if lo is not None and hi is not None else span}"
                               "（按本类别各组成部分的分值、加分上限和扣分下限）。", field="value")
        old, new_s = _s(row.total), _s(new)
        if old == new_s:
            raise ServiceError("新总分与现总分相同。", field="value")
    elif kind == "grade":
        if value not in scheme.grading.levels:
            raise ServiceError(f"等次须为{'、'.join(scheme.grading.levels)}之一。", field="value")
        old, new_s = row.grade, value
        if old == new_s:
            raise ServiceError("新等次与现等次相同。", field="value")
    else:  # fail
        if (scheme.grading.fail_rule or {}).get("type") != "leadership_decision":
            raise ServiceError("本方案的不合格由分数线决定，不能由领导小组认定；如需调整请调整等次。")
        old, new_s = row.grade, scheme.grading.failed
    o = ResultOverride(result_set_id=rs.id, unit_id=row.unit_id, kind=kind, old_value=old, new_value=new_s,
                       reason=reason, source=source, objection_id=objection_id, user_id=actor_id)
    db.add(o)
    rs.version += 1  # a page opened before this change can no longer fix the results (定稿)
    db.add(rs)
    db.flush()
    changes = regrade(db, rs, cycle)
    record(db, actor_id=actor_id, action=f"override_{kind}", entity="result_row", entity_id=row.id,
           cycle_id=cycle.id, old={"unit": row.unit_name, OVERRIDE_KINDS[kind]: old},
           new={"unit": row.unit_name, OVERRIDE_KINDS[kind]: new_s, "source": source, "consequences": changes},
           reason=reason)
    return o


# ----------------------------------------------------------------------------- fix / publish / final


def fix(db: Session, *, actor_id: int, cycle: Cycle, expected_version: int | None = None,
        accept_provisional_reason: str | None = None, inputs: Inputs | None = None) -> ResultSet:
    """定稿: recompute once more, then freeze. Refused while some scores are provisional unless a
    reason for fixing anyway is given (recorded). ``inputs``: as for :func:`refresh` (the
    generated university's past cycles are computed from inputs handed over, not from tables)."""
    require_role(db, actor_id, "office")
    rs = get_set(db, cycle.id)
    if rs is None:
        raise ServiceError("本周期尚未计算结果。")
    if expected_version is not None and rs.version != expected_version:
        raise StaleData("打开本页后结果已有变化（如领导小组的审议调整），未定稿。请查看更新后的结果表，确认后再定稿。")
    if rs.status != "proposed":
        raise ServiceError(f"结果当前为「{rs.status_label}」。")
    refresh(db, cycle=cycle, actor_id=actor_id, inputs=inputs)
    rows = list(db.exec(select(ResultRow).where(ResultRow.result_set_id == rs.id)))
    if not rows:
        raise ServiceError("没有可定稿的结果。")
    provisional = [r.unit_name for r in rows if r.provisional]
    reason = (accept_provisional_reason or "").strip()
    if provisional and not reason:
        raise ServiceError("以下单位尚有数据未齐、成绩暂定：" + "、".join(provisional[:20]) +
                           ("等" if len(provisional) > 20 else "") + "。如确需定稿，请填写理由。", field="reason")
    rs.status, rs.fixed_at, rs.fixed_by_id = "fixed", utcnow(), actor_id
    rs.version += 1
    db.add(rs)
    record(db, actor_id=actor_id, action="fix", entity="result_set", entity_id=rs.id, cycle_id=cycle.id,
           old={"status": "proposed"}, new={"status": "fixed", "fingerprint": rs.fingerprint[:12],
                                            "provisional": provisional}, reason=reason or None)
    db.flush()
    return rs


def unfix(db: Session, *, actor_id: int, cycle: Cycle, reason: str, expected_version: int | None = None) -> ResultSet:
    """撤销定稿: a fixed result set that is not published yet goes back to ``proposed`` (with the
    reason, audited), so that inputs decided after fixing (a late award, a corrected score) flow
    in at the next recomputation. Recorded deliberation overrides stay."""
    require_role(db, actor_id, "office")
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("请填写撤销定稿的理由。", field="reason")
    rs = get_set(db, cycle.id)
    if rs is None:
        raise ServiceError("本周期尚未计算结果。")
    if expected_version is not None and rs.version != expected_version:
        raise StaleData()
    if rs.status != "fixed":
        raise ServiceError("只有已定稿、尚未公示的结果可以撤销定稿。" if rs.status != "proposed" else "结果尚未定稿。")
    rs.status, rs.fixed_at, rs.fixed_by_id = "proposed", None, None
    rs.version += 1
    db.add(rs)
    record(db, actor_id=actor_id, action="unfix", entity="result_set", entity_id=rs.id, cycle_id=cycle.id,
           old={"status": "fixed"}, new={"status": "proposed"}, reason=reason)
    db.flush()
    return rs


def publish(db: Session, *, actor_id: int, cycle: Cycle, expected_version: int | None = None) -> ResultSet:
    """公示: the publication stage must be open; its closing time is the end of the notice period."""
    require_role(db, actor_id, "office")
    rs = get_set(db, cycle.id)
    if rs is None or rs.status == "proposed":
        raise ServiceError("结果尚未定稿，不能公示。")
    if expected_version is not None and rs.version != expected_version:
        raise StaleData("打开本页后结果已有变化，未公示。请查看更新后的结果表后再操作。")
    if rs.status != "fixed":
        raise ServiceError(f"结果当前为「{rs.status_label}」。")
    require_open(db, cycle.id, "publication")
    state = state_of(db, cycle.id, "publication")
    rs.status, rs.published_at, rs.published_by_id = "published", utcnow(), actor_id
    rs.notice_from, rs.notice_until = rs.published_at, state.until
    rs.version += 1
    db.add(rs)
    record(db, actor_id=actor_id, action="publish", entity="result_set", entity_id=rs.id, cycle_id=cycle.id,
           old={"status": "fixed"}, new={"status": "published", "notice_until": state.until})
    db.flush()
    return rs


def finalise(db: Session, *, actor_id: int | None, cycle: Cycle, by_job: bool = False,
             now: datetime | None = None, expected_version: int | None = None) -> ResultSet:
    """The results become final: by the office once every objection is answered, or by the
    ``close_objections`` job when the notice period has ended. ``expected_version``: the version
    the office's page showed; results corrected since (an upheld objection) are refused."""
    rs = get_set(db, cycle.id)
    if expected_version is not None and rs is not None and rs.version != expected_version:
        raise StaleData("打开本页后结果已有变化（如异议更正），未结束公示。请查看更新后的结果后再操作。")
    if rs is None or rs.status != "published":
        raise ServiceError("只有公示中的结果可以确定为最终结果。")
    open_ = [o for o in objections_of(db, rs) if o.status == "open"]
    if not by_job:
        require_role(db, actor_id, "office")
        if open_:
            raise ServiceError(f"尚有 {len(open_)} 条异议未答复，答复后才能结束公示。")
    rs.status, rs.final_at, rs.final_by_id = "final", now or utcnow(), actor_id
    rs.final_how = "period_end" if by_job else "office"
    rs.version += 1
    db.add(rs)
    record(db, actor_id=actor_id, action="finalise", entity="result_set", entity_id=rs.id, cycle_id=cycle.id,
           old={"status": "published"},
           new={"status": "final", "how": rs.final_how, "open_objections": len(open_)})
    db.flush()
    return rs


def close_due(db: Session, now: datetime) -> list[int]:
    """Finalise every published result set whose publication stage has closed. Idempotent."""
    done = []
    for rs in db.exec(select(ResultSet).where(ResultSet.status == "published")):
        cycle = db.get(Cycle, rs.cycle_id)
        try:
            state = state_of(db, cycle.id, "publication", now)
        except ServiceError:
            continue
        if state.status == "closed":
            finalise(db, actor_id=None, cycle=cycle, by_job=True, now=now)
            done.append(cycle.id)
    return done
