"""The results' snapshot payload (what :func:`app.services.results.compute` returns and the result
set stores), its fingerprint, and the fingerprint of the inputs it is computed from.

:class:`Prepared` holds everything the computation reads (the scheme with the cycle's ballot
policy, the active units, the workflows' inputs with unit ids as strings, the previous cycle's
last-ranked units); :func:`payload` turns it into the payload through the engine, and
:func:`input_fingerprint` digests it, so that :func:`app.services.results.refresh` can tell
unchanged inputs without running the engine: equal inputs give an equal payload because the
computation reads nothing else (the engine is pure). The digest also covers the source of the
computation, so a new version of the engine or of the payload is recomputed once.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from app.models import Unit
from app.rubric import engine
from app.rubric.numbers import q2, q2_str
from app.rubric.scheme import Scheme

ZERO = Decimal(0)
COMPONENT_KINDS = ("democratic", "target", "leader")


def _s(x) -> str | None:
    return None if x is None else q2_str(x)


@dataclass
class Prepared:
    """Everything the results are computed from (see the module docstring)."""

    scheme: Scheme  # with the cycle's ballot policy (voting.cycle_policy)
    snapshot_key: str  # the content hash of the cycle's scheme snapshot (schemes._content_key)
    units: list[Unit]
    facts: dict  # {(unit id str, code): {field: value}}
    ballots: dict  # {unit id str: {group: {level: count}}}
    ratings: dict
    values: dict  # {(unit id str, component key): value}
    weights: dict  # {group: Decimal}
    turnout: list[dict]
    eligible: Any  # unit ids with an accepted excellence application, or None
    vetoes: dict
    awards: list
    previous_last: list[str]


# ----------------------------------------------------------------------------- the payload


def _indicator_json(n: engine.IndicatorScore, _q=q2_str) -> dict:
    # the node's four numbers are Decimals (never None): q2_str directly, the hottest call here
    d = {"code": n.code, "name": n.name, "applicable": n.applicable, "points": _q(n.points),
         "max_points": _q(n.max_points), "raw_points": _q(n.raw_points), "raw_max": _q(n.raw_max),
         "explanation": n.explanation, "status": n.status, "provisional": n.provisional,
         "normalised": n.normalised}
    if n.flags:
        d["flags"] = list(n.flags)
    if n.children:
        d["children"] = [_indicator_json(c) for c in n.children]
    return d


def payload(prep: Prepared) -> dict:
    """Compute through the engine; the snapshot payload (JSON-able, Decimals as strings): per
    unit rows and the set-level data. Every dict key in it is a string (see :func:`fingerprint`).
    Raises ValueError (Chinese message) as :func:`app.rubric.engine.compute` does."""
    scheme, units, ballots = prep.scheme, prep.units, prep.ballots
    eunits = [engine.Unit(str(u.id), u.name, u.category, u.subtype) for u in units]
    result = engine.compute(scheme, eunits, prep.facts, ballots, prep.ratings, component_values=prep.values)
    by_id = {str(u.id): u for u in units}
    rows = {}
    for uid, ur in result.units.items():
        u = by_id[uid]
        comps = []
        for c in ur.components.values():
            comp = {"key": c.key, "name": c.name, "kind": c.kind, "points": _s(c.points),
                    "max_points": _s(c.max_points), "explanation": c.explanation, "status": c.status,
                    "provisional": c.provisional, "rank": ur.component_ranks.get(c.key)}
            if not c.counts:
                comp["counts"] = False
            if c.value is not None:
                comp["value"] = str(c.value)
            comps.append(comp)
        tc = ur.component("target")
        roots = tc.indicators if tc else ()
        target_raw = sum((r.raw_points for r in roots if r.applicable), ZERO)
        target_raw_max = sum((r.raw_max for r in roots if r.applicable), ZERO)
        points = {k: (ur.component(k).points if ur.component(k) else ZERO) for k in COMPONENT_KINDS}
        rows[uid] = {
            "unit_id": u.id, "unit_name": u.name, "category": u.category, "subtype": u.subtype,
            "position": u.position, "democratic": _s(points["democratic"]), "target": _s(points["target"]),
            "target_raw": _s(target_raw), "target_raw_max": _s(target_raw_max), "leader": _s(points["leader"]),
            "total": _s(ur.total), "max_total": _s(ur.max_total), "rank": ur.rank, "provisional": ur.provisional,
            "explanation": ur.explanation, "components": comps, "component_ranks": dict(ur.component_ranks),
            "indicators": [_indicator_json(r) for r in roots],
            "normalisations": [{"code": n.code, "name": n.name, "policy": n.policy, "raw_points": _s(n.raw_points),
                                "raw_max": _s(n.raw_max), "points": _s(n.points), "full_max": _s(n.full_max),
                                "explanation": n.explanation} for n in ur.normalisations],
            # the workflows' counts as given; _jsonable only makes sure every key is a string
            "ballots": _jsonable(ballots.get(uid) or {}),
        }
    eligible = prep.eligible
    applications = {str(u.id): (eligible is not None and u.id in eligible) for u in units}
    vetoes = {str(k): list(v) for k, v in (prep.vetoes or {}).items() if v and str(k) in by_id}
    award_rows = []
    for a in prep.awards or []:
        a = dict(a)
        unit = by_id.get(str(a.get("unit_id")))
        award_rows.append({"unit_id": a.get("unit_id"), "unit_name": unit.name if unit else a.get("unit_name", ""),
                           "title": a.get("title", ""), "level": a.get("level", ""),
                           "decided": a.get("decided", ""), "explanation": a.get("explanation", "")})
    data = {
        "scheme": {"key": scheme.key, "version": scheme.version, "name": scheme.name,
                   "normalisation": result.normalisation},
        "categories": [{"key": c.key, "name": c.name,
                        "components": [{"key": m.key, "name": m.name, "kind": m.kind, "points": _s(m.points),
                                        **({} if m.counts else {"counts": False})}
                                       for m in c.components],
                        "quota": int(scheme.grading.quotas.get(c.key, 0))} for c in scheme.categories],
        "grading_inputs": {"applications": applications, "vetoes": vetoes, "previous_last": prep.previous_last},
        "grading_policy": {"levels": list(scheme.grading.levels), "fail_rule": dict(scheme.grading.fail_rule),
                           "tie_break": list(scheme.grading.tie_break),
                           "vetoes": {k: t for k, t in scheme.grading.vetoes}},
        "awards": award_rows,
        "ballot_levels": list(scheme.ballot.levels),
        "group_names": scheme.ballot.group_names,
        "group_weights": {k: _s(v) for k, v in prep.weights.items()},
        "turnout": prep.turnout,
    }
    return {"rows": rows, "data": data}


def turnout_rows(turnout) -> list[dict]:
    """The voting service's turnout (a list of per-group records) as plain dicts:
    key, name, weight, roll (may vote), voted."""
    rows = []
    if isinstance(turnout, dict):
        turnout = [{"key": k, "name": k, **(v if isinstance(v, dict) else {"voted": v})} for k, v in turnout.items()]
    for t in turnout or []:
        if dataclasses.is_dataclass(t):
            t = dataclasses.asdict(t)
        if not isinstance(t, dict):
            continue
        rows.append({"key": str(t.get("key", "")), "name": str(t.get("name", t.get("key", ""))),
                     "weight": _jsonable(t.get("weight")), "roll": int(t.get("roll") or 0),
                     "voted": int(t.get("voted") or 0)})
    return rows


# ----------------------------------------------------------------------------- fingerprints


_PLAIN = (str, int, float, bool, type(None))


def _jsonable(v):
    if type(v) in _PLAIN:  # most of a payload: returned as they are, before the checks below
        return v
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, list | tuple | set):
        return [_jsonable(x) for x in v]
    if isinstance(v, Decimal):
        return _s(v) if v == q2(v) else str(v)
    if isinstance(v, datetime):
        return v.isoformat()
    return v


def _json_default(v):
    """What :func:`_jsonable` makes of a value json cannot write itself (lists and tuples it writes alike)."""
    if isinstance(v, set):
        return list(v)
    if isinstance(v, Decimal):
        return _s(v) if v == q2(v) else str(v)
    if isinstance(v, datetime):
        return v.isoformat()
    raise TypeError(f"{type(v).__name__} is not JSON serializable")


def _dumps(v) -> str:
    return json.dumps(v, sort_keys=True, ensure_ascii=False, default=_json_default)


def row_texts(payload: dict) -> dict[str, str]:
    """Each row of the payload as the sorted JSON the fingerprint is made of."""
    return {uid: _dumps(row) for uid, row in payload["rows"].items()}


def fingerprinted(payload: dict) -> tuple[dict[str, str], str]:
    """The rows' texts and the payload's fingerprint (the texts of the plain copy, should json refuse the payload)."""
    try:
        texts = row_texts(payload)
    except TypeError:
        payload = _jsonable(payload)
        texts = row_texts(payload)
    return texts, fingerprint(payload, texts)


def fingerprint(payload: dict, texts: dict[str, str] | None = None) -> str:
    """SHA-256 of the payload as sorted JSON (of :func:`_jsonable` of it). A payload's keys are all
    strings, so json writes it directly, Decimals, sets and datetimes as ``_jsonable`` does: the
    same text without a copy of the payload. It is put together from the rows' texts
    (:func:`row_texts`, given or made) as ``json.dumps`` writes a dict: keys sorted, ", " and ": ".
    The copy is made only when json refuses (a key that is not a string, a value it cannot write)."""
    h = hashlib.sha256()
    try:
        if set(payload) != {"data", "rows"}:
            raise TypeError("not a results payload")
        texts = row_texts(payload) if texts is None else texts
        head = f'{{"data": {_dumps(payload["data"])}, "rows": {{'
    except TypeError:
        h.update(json.dumps(_jsonable(payload), sort_keys=True, ensure_ascii=False).encode())
        return h.hexdigest()
    h.update(head.encode())
    for i, uid in enumerate(sorted(payload["rows"])):
        h.update(f"{', ' if i else ''}{json.dumps(uid, ensure_ascii=False)}: {texts[uid]}".encode())
    h.update(b"}}")
    return h.hexdigest()


_SOURCES = ("app/rubric", "app/services/results.py", "app/services/results_payload.py", "app/services/schemes.py",
            "app/services/voting/context.py")
_CODE_DIGEST: list[str] = []


def _code_digest() -> str:
    """A digest of the computation's source: the engine, this payload, the scheme loading."""
    if not _CODE_DIGEST:
        root = Path(__file__).resolve().parents[2]
        h = hashlib.sha256()
        for name in _SOURCES:
            p = root / name
            for f in sorted(p.rglob("*.py")) if p.is_dir() else [p]:
                h.update(str(f.relative_to(root)).encode() + b"\0")
                h.update(f.read_bytes() if f.exists() else b"")
        _CODE_DIGEST.append(h.hexdigest())
    return _CODE_DIGEST[0]


def input_fingerprint(prep: Prepared) -> str:
    """SHA-256 of everything :func:`payload` reads, written with ``repr`` (exact for the numbers,
    strings, dates, containers and dataclasses the workflows give: 1, True, '1', Decimal('1.0')
    all differ), plus the source digest. Equal fingerprints: equal payloads. Inputs written in a
    different order only give a different fingerprint, i.e. a recomputation."""
    h = hashlib.sha256(_code_digest().encode())
    eligible = None if prep.eligible is None else sorted(repr(x) for x in prep.eligible)
    units = [(u.id, u.name, u.category, u.subtype, u.position) for u in prep.units]
    for part in (prep.snapshot_key, repr(prep.scheme.ballot), repr(units), repr(prep.facts), repr(prep.ballots),
                 repr(prep.ratings), repr(prep.values), repr(prep.weights), repr(prep.turnout), repr(eligible),
                 repr(prep.vetoes), repr(prep.awards), repr(prep.previous_last)):
        h.update(part.encode())
        h.update(b"\0\1\0")
    return h.hexdigest()
