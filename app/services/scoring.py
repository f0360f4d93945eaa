"""Target scoring (目标考核评分): the owners of the indicators confirm or correct each unit's
reported facts, give judged points, and the rules score them.

What scoring gives the results (and anyone else reading scores)
---------------------------------------------------------------
``cycle_facts(db, cycle) -> {(unit_id, indicator_code): {field: value}}``
    The facts as the rubric rules take them, for every applicable (unit, indicator) that has any
    value: the unit's *submitted* value of each fact, replaced by the scorer's value where the
    scorer corrected it (or entered it, for facts the unit did not report), plus the scorer's
    judgments (judged points, deductions and their reasons). Drafts never count. Unit ids are
    the database ids (int); the engine's ``compute`` takes ``{(str(unit_id), code): facts}``.
``indicator_scores(db, cycle) -> {(unit_id, indicator_code): ScoreResult}``
    The current result of every applicable (unit, indicator): rules that compare units
    (averages, ranks) are computed over the active units of the same category to which the
    indicator applies (:func:`app.rubric.leaves.applicable_units`, the population the engine
    uses for the result rows too), and are ``provisional`` until every one of them has its facts.

Owners: an indicator's ``owner`` (inherited from its group) names the functional department that
scores it; 目标办, no owner, or a name matching no active department means the office scores it.
A scorer (role ``scorer`` bound to a department) reaches only the indicators of that department.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, select

from app.models import Cycle, RoleMembership, Unit, User
from app.models.base import utcnow
from app.models.score import ScoreEntry
from app.rubric.leaves import OFFICE_OWNER, Leaf, ValueRefused, applicable_units, clean_value
from app.rubric.rules import ScoreResult

from . import PermissionDenied, ServiceError, StaleData
from .audit import record
from .org import active_units
from .reports import cycle_leaves, leaf_by_code, submitted_facts
from .schemes import cycle_scheme, has_scheme
from .stages import require_open

OFFICE_KEY = "office"


# ----------------------------------------------------------------------------- owners


@dataclass
class Owner:
    key: str  # "office" or str(department unit id)
    name: str
    unit_id: int | None
    leaves: list[Leaf] = field(default_factory=list)
    unmatched: set[str] = field(default_factory=set)  # owner names that fell back to the office

    @property
    def codes(self) -> set[str]:
        return {leaf.code for leaf in self.leaves}


def _departments(db: Session) -> dict[str, Unit]:
    out: dict[str, Unit] = {}
    for u in active_units(db, "department"):
        out[u.name] = u
        if u.short_name:
            out.setdefault(u.short_name, u)
    return out


def owners(db: Session, cycle: Cycle) -> dict[str, Owner]:
    """The owners of the cycle's indicators by key, the office first."""
    depts = _departments(db)
    out: dict[str, Owner] = {OFFICE_KEY: Owner(OFFICE_KEY, OFFICE_OWNER, None)}
    for leaf in cycle_leaves(cycle):
        unit = depts.get(leaf.owner) if leaf.owner != OFFICE_OWNER else None
        if unit is None:
            out[OFFICE_KEY].leaves.append(leaf)
            if leaf.owner != OFFICE_OWNER:
                out[OFFICE_KEY].unmatched.add(leaf.owner)
            continue
        key = str(unit.id)
        out.setdefault(key, Owner(key, unit.name, unit.id)).leaves.append(leaf)
    return out


def owner_key_of(db: Session, cycle: Cycle, code: str) -> str | None:
    for key, owner in owners(db, cycle).items():
        if code in owner.codes:
            return key
    return None


def owner_keys_for(identity) -> set[str]:
    """The owners a person scores for: their scorer departments, and the office for the office."""
    keys = {str(uid) for uid in identity.units_for("scorer")}
    if identity.has("office"):
        keys.add(OFFICE_KEY)
    return keys


# ----------------------------------------------------------------------------- the cycle's facts


def _same(a: Any, b: Any) -> bool:
    return ("" if a is None else str(a)) == ("" if b is None else str(b))


_POPULATIONS: dict[tuple, tuple] = {}  # (scheme id, units as the rule sees them) → (scheme, code → unit ids)
_POPULATIONS_MAX = 32


def _population_ids(cycle: Cycle, units: list[Unit]) -> dict[str, list[int]]:
    """leaf code → the ids of the units of the leaf's category it applies to (the engine's rule).
    Kept per worker for the scheme and the units' ids, categories, sub-types and names (all the
    rule reads): read it, never change it."""
    if not has_scheme(cycle):
        return {}
    scheme = cycle_scheme(cycle)
    key = (id(scheme), tuple((u.id, u.category, u.subtype, u.name) for u in units))
    hit = _POPULATIONS.get(key)
    if hit is None or hit[0] is not scheme:
        out: dict[str, list[Unit]] = {}
        for cat in scheme.categories:
            out.update(applicable_units(cat.indicators, [u for u in units if u.category == cat.key]))
        # the scheme is kept with the ids, so its id is not reused by another scheme meanwhile
        hit = (scheme, {code: [u.id for u in us] for code, us in out.items()})
        if len(_POPULATIONS) >= _POPULATIONS_MAX:
            _POPULATIONS.clear()
        _POPULATIONS[key] = hit
    return hit[1]


class CycleScoring:
    """Everything scoring needs about a cycle, loaded once: units, applicable indicators,
    submitted facts, the scorers' entries; effective facts and results computed from them."""

    def __init__(self, db: Session, cycle: Cycle):
        self.cycle = cycle
        self.units = active_units(db)
        self.unit_by_id = {u.id: u for u in self.units}
        self.leaves = cycle_leaves(cycle)
        self.leaf_by_code = {leaf.code: leaf for leaf in self.leaves}
        self.population_ids = _population_ids(cycle, self.units)  # shared: read, never change
        by_id = self.unit_by_id
        self.population = {leaf.code: [by_id[i] for i in self.population_ids.get(leaf.code, [])]
                           for leaf in self.leaves}
        self.reported = submitted_facts(db, cycle.id)
        self.entries: dict[tuple[int, str], ScoreEntry] = {
            (e.unit_id, e.indicator_code): e
            for e in db.exec(select(ScoreEntry).where(ScoreEntry.cycle_id == cycle.id))
        }
        self._results: dict[tuple[int, str], ScoreResult] | None = None
        self._leaf_results: dict[str, dict[int, ScoreResult]] = {}
        self._fact_names: dict[str, set[str]] = {}  # leaf code → its fact fields' names (from the rule)
        self._members: dict[str, set[int]] = {}  # leaf code → ids of its population

    def applies(self, unit_id: int, code: str) -> bool:
        return unit_id in self.members(code)

    def members(self, code: str) -> set[int]:
        """The ids of the units indicator ``code`` applies to (read it, never change it)."""
        members = self._members.get(code)
        if members is None:
            members = self._members[code] = {u.id for u in self.population.get(code, [])}
        return members

    def reported_facts(self, unit_id: int, code: str) -> dict:
        rep = self.reported.get((unit_id, code))
        if not rep and code in self.leaf_by_code:
            return {}
        names = self._fact_names.get(code)
        if names is None:
            names = self._fact_names[code] = {f.name for f in self.leaf_by_code[code].fact_fields}
        return {k: v for k, v in rep.items() if k in names}

    def effective(self, unit_id: int, code: str, entry: ScoreEntry | None = None, *,
                  use_entry: bool = True) -> dict:
        facts = dict(self.reported_facts(unit_id, code))
        e = entry if entry is not None else (self.entries.get((unit_id, code)) if use_entry else None)
        if e is not None:
            for k, v in (e.corrections or {}).items():
                if v in ("", None):
                    facts.pop(k, None)
                else:
                    facts[k] = v
            for k, v in (e.judgment or {}).items():
                if v not in ("", None):
                    facts[k] = v
        return facts

    def facts(self) -> dict[tuple[int, str], dict]:
        out = {}
        given = self.reported.keys() | self.entries.keys()  # the cells that can have facts
        if not given:
            return out
        for code, units in self.population.items():
            for u in units:
                if (u.id, code) in given:
                    f = self.effective(u.id, code)
                    if f:
                        out[(u.id, code)] = f
        return out

    def score_leaf(self, leaf: Leaf, override: tuple[int, dict] | None = None) -> dict[int, ScoreResult]:
        """The leaf scored over its population (``override``: one unit's facts in place of its
        current ones, for a preview), as the engine scores it for the result rows."""
        pop = {u.id: (self.effective(u.id, leaf.code) or None) for u in self.population.get(leaf.code, [])}
        if override is not None:
            pop[override[0]] = override[1] or None
        return leaf.score_all(pop)

    def results(self) -> dict[tuple[int, str], ScoreResult]:
        if self._results is None:
            out = {}
            for leaf in self.leaves:
                for uid, res in self.leaf_results(leaf.code).items():
                    out[(uid, leaf.code)] = res
            self._results = out
        return self._results

    def leaf_results(self, code: str) -> dict[int, ScoreResult]:
        """The results of one indicator by unit id (:meth:`results` of that indicator only: a page
        about some indicators scores those, not the whole cycle)."""
        hit = self._leaf_results.get(code)
        if hit is None:
            leaf = self.leaf_by_code.get(code)
            hit = self._leaf_results[code] = self.score_leaf(leaf) if leaf is not None else {}
        return hit

    def result(self, unit_id: int, code: str) -> ScoreResult | None:
        return self.leaf_results(code).get(unit_id)

    def forget_results(self) -> None:
        """After an entry changed: the results are computed again when next asked for."""
        self._results = None
        self._leaf_results = {}

    def is_done(self, unit_id: int, code: str) -> bool:
        e = self.entries.get((unit_id, code))
        if not (e and e.confirmed):
            return False
        res = self.leaf_results(code).get(unit_id)
        return res is not None and res.status == "ok"


def cycle_facts(db: Session, cycle: Cycle) -> dict[tuple[int, str], dict]:
    """See the module docstring: the facts of every (unit id, indicator code) as the rules take them."""
    return CycleScoring(db, cycle).facts()


def indicator_scores(db: Session, cycle: Cycle) -> dict[tuple[int, str], ScoreResult]:
    """See the module docstring: the current ScoreResult of every applicable (unit id, indicator code)."""
    return dict(CycleScoring(db, cycle).results())


# ----------------------------------------------------------------------------- progress


@dataclass
class Progress:
    done: int = 0
    total: int = 0

    @property
    def percent(self) -> int:
        return int(self.done * 100 / self.total) if self.total else 100

    @property
    def finished(self) -> bool:
        return self.done >= self.total


def progress(
    db: Session, cycle: Cycle, ctx: CycleScoring | None = None, *, only: str | None = None
) -> tuple[dict[str, Progress], dict[int, Progress]]:
    """(per owner key, per unit id): cells confirmed by the owner with a complete score / cells.
    ``only``: the progress of that owner alone (its cells only in the units' figures)."""
    ctx = ctx or CycleScoring(db, cycle)
    by_owner: dict[str, Progress] = {}
    unit_total: Counter[int] = Counter()  # in the order the units are first met
    unit_done: Counter[int] = Counter()
    # only a cell with a confirmed entry can be done (is_done): the others are counted, not asked
    confirmed: dict[str, list[int]] = defaultdict(list)
    for (uid, code), e in ctx.entries.items():
        if e.confirmed:
            confirmed[code].append(uid)
    for key, owner in owners(db, cycle).items():
        if only is not None and key != only:
            continue
        p = by_owner[key] = Progress()
        for leaf in owner.leaves:
            code = leaf.code
            ids = ctx.population_ids.get(code, []) if code in ctx.population else []
            p.total += len(ids)
            unit_total.update(ids)
            for uid in confirmed.get(code, ()):
                if ctx.applies(uid, code) and ctx.is_done(uid, code):
                    p.done += 1
                    unit_done[uid] += 1
    return by_owner, {uid: Progress(done=unit_done[uid], total=n) for uid, n in unit_total.items()}


def pending_scorers(db: Session, cycle: Cycle) -> set[int]:
    """People with cells still to score (for reminders): scorers of unfinished departments, and
    the office when its own indicators are unfinished."""
    by_owner, _ = progress(db, cycle)
    open_keys = {k for k, p in by_owner.items() if not p.finished}
    people: set[int] = set()
    rows = db.exec(select(RoleMembership.user_id, RoleMembership.role, RoleMembership.unit_id)
                   .join(User, User.id == RoleMembership.user_id)
                   .where(RoleMembership.role.in_(("scorer", "office")), User.active == True))  # noqa: E712
    for user_id, role, unit_id in rows:
        if (role == "scorer" and str(unit_id) in open_keys) or (role == "office" and OFFICE_KEY in open_keys):
            people.add(user_id)
    return people


# ----------------------------------------------------------------------------- entering scores


@dataclass
class CellInput:
    """What a scorer submits for one cell. ``values``: field name → typed value (facts and
    judgments); ``reasons``: fact field name → correction reason; ``version``: the entry's version
    the form was loaded with (0 when there was none)."""

    unit_id: int
    code: str
    values: dict
    reasons: dict
    version: int
    confirm: bool = True


def _resolve(db: Session, cycle: Cycle, owner_keys: set[str], unit_id: int, code: str,
             ctx: CycleScoring) -> tuple[Unit, Leaf]:
    leaf = ctx.leaf_by_code.get(code)
    unit = ctx.unit_by_id.get(unit_id)
    if leaf is None or unit is None or not ctx.applies(unit_id, code):
        raise ServiceError("该指标不适用于此单位。")
    key = owner_key_of(db, cycle, code)
    if key not in owner_keys:
        raise PermissionDenied("该指标不由您所在部门评分。")
    return unit, leaf


def _build(ctx: CycleScoring, leaf: Leaf, unit: Unit, cell: CellInput) -> tuple[dict, dict, dict]:
    """(corrections, reasons, judgment) from a cell input; raises ServiceError naming the field."""
    try:
        return _parse_cell(ctx, leaf, unit, cell)
    except ValueRefused as exc:
        raise ServiceError(exc.message, field=exc.field) from None


def _parse_cell(ctx: CycleScoring, leaf: Leaf, unit: Unit, cell: CellInput) -> tuple[dict, dict, dict]:
    reported = ctx.reported_facts(unit.id, leaf.code)
    corrections, reasons = {}, {}
    for f in leaf.fact_fields:
        value = clean_value(f, cell.values.get(f.name, ""))
        try:
            rep = clean_value(f, reported.get(f.name, ""))
        except ValueRefused:
            rep = reported.get(f.name, "")
        if _same(value, rep):
            continue
        corrections[f.name] = value
        if not _same(rep, ""):
            reason = (cell.reasons.get(f.name) or "").strip()
            if not reason:
                raise ServiceError(f"更正「{f.label}」（单位填报 {rep}，更正为 {value or '空'}）须填写更正理由。",
                                   field=f.name)
            reasons[f.name] = reason[:1000]
    judgment = {}
    for f in leaf.judgment_fields:
        v = clean_value(f, cell.values.get(f.name, ""))
        if v != "":
            judgment[f.name] = v
    return corrections, reasons, judgment


def preview(db: Session, *, owner_keys: set[str], cycle: Cycle, cell: CellInput) -> ScoreResult:
    """The result the cell would have with these values (nothing is saved)."""
    ctx = CycleScoring(db, cycle)
    unit, leaf = _resolve(db, cycle, owner_keys, cell.unit_id, cell.code, ctx)
    corrections, reasons, judgment = _build(ctx, leaf, unit, cell)
    probe = ScoreEntry(cycle_id=cycle.id, unit_id=unit.id, indicator_code=leaf.code, corrections=corrections,
                       correction_reasons=reasons, judgment=judgment)
    return ctx.score_leaf(leaf, (unit.id, ctx.effective(unit.id, leaf.code, probe)))[unit.id]


def save_cell(db: Session, *, actor_id: int, owner_keys: set[str], cycle: Cycle, cell: CellInput,
              ctx: CycleScoring | None = None, check_stage: bool = True) -> tuple[ScoreEntry, ScoreResult, bool]:
    """Confirm or correct the facts of one (unit, indicator) and record judgments.
    Returns (entry, result, changed). Refuses a stale version, a correction without a reason,
    values the rule cannot score (e.g. judged points below the maximum without a reason)."""
    if check_stage:
        require_open(db, cycle.id, "scoring")
    ctx = ctx or CycleScoring(db, cycle)
    unit, leaf = _resolve(db, cycle, owner_keys, cell.unit_id, cell.code, ctx)
    entry = ctx.entries.get((unit.id, leaf.code))
    current = entry.version if entry else 0
    if int(cell.version) != current:
        raise StaleData(
            f"「{unit.name} · {leaf.code} {leaf.name}」已被他人修改，请刷新页面核对后再保存（您的修改尚未保存）。"
        )
    corrections, reasons, judgment = _build(ctx, leaf, unit, cell)
    probe = ScoreEntry(cycle_id=cycle.id, unit_id=unit.id, indicator_code=leaf.code, corrections=corrections,
                       correction_reasons=reasons, judgment=judgment)
    result = ctx.score_leaf(leaf, (unit.id, ctx.effective(unit.id, leaf.code, probe)))[unit.id]
    if result.status == "error":
        raise ServiceError(f"「{unit.name} · {leaf.name}」：{result.error}")
    old = ({"corrections": dict(entry.corrections), "reasons": dict(entry.correction_reasons),
            "judgment": dict(entry.judgment), "confirmed": entry.confirmed} if entry else None)
    new = {"corrections": corrections, "reasons": reasons, "judgment": judgment, "confirmed": bool(cell.confirm)}
    if old == new:
        return entry, result, False
    if entry is None:
        entry = ScoreEntry(cycle_id=cycle.id, unit_id=unit.id, indicator_code=leaf.code, version=0)
    entry.corrections, entry.correction_reasons, entry.judgment = corrections, reasons, judgment
    entry.confirmed = bool(cell.confirm)
    entry.version += 1
    entry.updated_at, entry.updated_by_id = utcnow(), actor_id
    db.add(entry)
    db.flush()
    ctx.entries[(unit.id, leaf.code)] = entry
    ctx.forget_results()
    record(db, actor_id=actor_id, action="score", entity="score_entry", entity_id=f"{unit.id}:{leaf.code}",
           cycle_id=cycle.id, old=old, new={**new, "points": result.points, "status": result.status},
           reason="；".join(f"{k}：{v}" for k, v in reasons.items()) or None)
    return entry, result, True


class ImportRefused(ServiceError):
    """An import with errors; ``errors`` lists every one (each naming sheet, row and column)."""

    def __init__(self, errors: list[str]):
        super().__init__("导入未执行，文件中有以下问题（未做任何修改）：\n" + "\n".join(errors))
        self.errors = errors


@dataclass
class LocatedCell:
    cell: CellInput
    where: str  # e.g. 工作表「评分」第5行
    columns: dict[str, str]  # field name (and "__reason__") → column letter and header


@dataclass
class CellError:
    """One refused cell of a batch: ``message`` for the page that shows it beside the cell, ``located`` with
    the place (sheet, row and column) for the import's list."""

    cell: LocatedCell
    message: str
    located: str


class BatchRefused(ServiceError):
    """A batch of cells (a row or column of the web grid) with errors; nothing was saved."""

    def __init__(self, errors: list[CellError]):
        super().__init__(f"未保存：有 {len(errors)} 项需要修改（本页的所有修改均未保存）。")
        self.errors = errors

    def by_cell(self) -> dict[tuple[int, str], str]:
        return {(e.cell.cell.unit_id, e.cell.cell.code): e.message for e in self.errors}


def _check_cells(db: Session, *, owner_keys: set[str], cycle: Cycle, owner_key: str, ctx: CycleScoring,
                 cells: list[LocatedCell]) -> tuple[list[LocatedCell], list[CellError]]:
    """The cells to save (changed or newly confirmed) and the refused ones, checked as save_cell checks one:
    the owner, the stale version, the correction reasons and what the rule can score."""
    owner = owners(db, cycle).get(owner_key)
    errors: list[CellError] = []
    todo: list[LocatedCell] = []
    for lc in cells:
        c = lc.cell
        if owner is None or c.code not in owner.codes:
            msg = f"指标 {c.code} 不属于本模板的评分部门。"
            errors.append(CellError(lc, msg, f"{lc.where}：{msg}"))
            continue
        try:
            unit, leaf = _resolve(db, cycle, owner_keys, c.unit_id, c.code, ctx)
        except ServiceError as exc:
            errors.append(CellError(lc, exc.message, f"{lc.where}：{exc.message}"))
            continue
        entry = ctx.entries.get((unit.id, leaf.code))
        if c.version != (entry.version if entry else 0):
            located = f"{lc.where}（{unit.name} · {leaf.code}）：导出模板后已被他人修改，请重新导出模板后再填写。"
            errors.append(CellError(lc, "打开本页后已被他人修改，请刷新页面核对后再保存。", located))
            continue
        label = f"（{unit.name} · {leaf.code} {leaf.name}）"
        try:
            corrections, reasons, judgment = _build(ctx, leaf, unit, c)
        except ServiceError as exc:
            col = lc.columns.get(exc.field or "", "")
            if exc.field and exc.message.startswith("更正"):
                col = lc.columns.get("__reason__") or col
            errors.append(CellError(lc, exc.message, f"{lc.where}{(' ' + col) if col else ''}{label}：{exc.message}"))
            continue
        before = (
            (dict(entry.corrections), dict(entry.correction_reasons), dict(entry.judgment)) if entry else ({}, {}, {})
        )
        edited = (corrections, reasons, judgment) != before
        # Filling in or changing a cell confirms it; 已核实 = 是 confirms it as it stands.
        c.confirm = bool(c.confirm or edited or (entry is not None and entry.confirmed))
        if not edited and (entry is None or entry.confirmed == c.confirm) and not (entry is None and c.confirm):
            continue
        probe = ScoreEntry(cycle_id=cycle.id, unit_id=unit.id, indicator_code=leaf.code, corrections=corrections,
                           correction_reasons=reasons, judgment=judgment)
        result = ctx.score_leaf(leaf, (unit.id, ctx.effective(unit.id, leaf.code, probe)))[unit.id]
        if result.status == "error":
            errors.append(CellError(lc, result.error, f"{lc.where}{label}：{result.error}"))
            continue
        todo.append(lc)
    return todo, errors


def _save_checked(db: Session, *, actor_id: int, owner_keys: set[str], cycle: Cycle, ctx: CycleScoring,
                  todo: list[LocatedCell]) -> int:
    changed = 0
    for lc in todo:
        _e, _r, did = save_cell(db, actor_id=actor_id, owner_keys=owner_keys, cycle=cycle, cell=lc.cell, ctx=ctx,
                                check_stage=False)
        changed += int(did)
    return changed


def import_cells(db: Session, *, actor_id: int, owner_keys: set[str], cycle: Cycle, owner_key: str,
                 cells: list[LocatedCell]) -> int:
    """Save every changed cell of an imported template, or none: any error refuses the whole
    import (ImportRefused lists them all). Returns the number of cells changed."""
    require_open(db, cycle.id, "scoring")
    if owner_key not in owner_keys:
        raise PermissionDenied("您不能导入该部门的评分。")
    ctx = CycleScoring(db, cycle)
    todo, errors = _check_cells(db, owner_keys=owner_keys, cycle=cycle, owner_key=owner_key, ctx=ctx, cells=cells)
    if errors:
        raise ImportRefused([e.located for e in errors])
    try:
        return _save_checked(db, actor_id=actor_id, owner_keys=owner_keys, cycle=cycle, ctx=ctx, todo=todo)
    except ServiceError as exc:
        raise ImportRefused([exc.message]) from exc


def save_cells(db: Session, *, actor_id: int, owner_keys: set[str], cycle: Cycle, owner_key: str,
               cells: list[CellInput]) -> int:
    """Save a row or a column of the web grid (one unit's indicators, or one indicator for all its units)
    all or nothing: any refused cell refuses the page (BatchRefused names each cell's problem). The same
    rules as one cell: reasons for corrections, the rule's own checks, stale versions; each saved cell is
    audited. Returns the number of cells changed."""
    require_open(db, cycle.id, "scoring")
    if owner_key not in owner_keys:
        raise PermissionDenied("该指标不由您所在部门评分。")
    ctx = CycleScoring(db, cycle)
    located = [LocatedCell(c, f"{c.unit_id}:{c.code}", {}) for c in cells]
    todo, errors = _check_cells(db, owner_keys=owner_keys, cycle=cycle, owner_key=owner_key, ctx=ctx, cells=located)
    if errors:
        raise BatchRefused(errors)
    return _save_checked(db, actor_id=actor_id, owner_keys=owner_keys, cycle=cycle, ctx=ctx, todo=todo)


def corrections_for_unit(db: Session, cycle: Cycle, unit_id: int) -> list[tuple[Leaf, ScoreEntry]]:
    """The scorers' corrections of a unit's facts (shown to the unit)."""
    out = []
    for e in db.exec(select(ScoreEntry).where(ScoreEntry.cycle_id == cycle.id, ScoreEntry.unit_id == unit_id)):
        leaf = leaf_by_code(cycle, e.indicator_code)
        if leaf is not None and e.corrections:
            out.append((leaf, e))
    return out
