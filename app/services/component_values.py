"""Entered values of a scheme's weighted, bonus and deduction components: one value per unit,
entered (or uploaded) by the component's owner during the scoring stage, with the same stage
lock, stale-form check (each value's ``version``) and audit as target scoring.

* :func:`entered_components` — the cycle's components that take values, per category;
* :func:`owner_key` — who enters a component: the department named by its ``owner`` (the same
  keys as target scoring: ``str(unit id)``), else the office;
* :func:`cycle_values` — ``{(unit_id, key): Decimal | None}`` for the engine (None: no such work);
* :func:`save_value` — one value, checked against the component's kind, scale and the version.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlmodel import Session, select

from app.models import Cycle, Unit
from app.models.base import utcnow
from app.models.component import SCALE, ComponentValue
from app.rubric.numbers import D, NumberError, fmt, fmt_plain
from app.rubric.scheme import Component

from . import PermissionDenied, ServiceError, StaleData
from .audit import record
from .org import active_units
from .schemes import cycle_scheme, has_scheme
from .stages import require_open

OFFICE_KEY = "office"
STAGE = "scoring"


@dataclass(frozen=True)
class Entered:
    category: str
    component: Component


def entered_components(cycle: Cycle) -> list[Entered]:
    """The components of the cycle's scheme whose values are entered per unit, in display order."""
    if not has_scheme(cycle):
        return []
    return [Entered(c.key, m) for c in cycle_scheme(cycle).categories for m in c.components if m.takes_values]


def owner_key(db: Session, comp: Component) -> str:
    """The owner key of a component: ``str(unit id)`` of the department it names, else the office."""
    if comp.owner and comp.owner != OFFICE_KEY:
        for u in active_units(db, "department"):
            if comp.owner in (u.name, u.short_name):
                return str(u.id)
    return OFFICE_KEY


def cycle_values(db: Session, cycle: Cycle) -> dict[tuple[int, str], Decimal | None]:
    """Every entered value of the cycle for the engine: ``{(unit_id, key): value}``; a unit
    marked as having no such work maps to None."""
    out: dict[tuple[int, str], Decimal | None] = {}
    for v in db.exec(select(ComponentValue).where(ComponentValue.cycle_id == cycle.id)):
        if v.no_work:
            out[(v.unit_id, v.component_key)] = None
        elif v.value_e4 is not None:
            out[(v.unit_id, v.component_key)] = v.value
    return out


def values_of(db: Session, cycle: Cycle, key: str) -> dict[int, ComponentValue]:
    """The stored rows of one component, by unit id."""
    return {v.unit_id: v for v in db.exec(select(ComponentValue).where(
        ComponentValue.cycle_id == cycle.id, ComponentValue.component_key == key))}


def find_component(cycle: Cycle, category: str, key: str) -> Component:
    for e in entered_components(cycle):
        if e.category == category and e.component.key == key:
            return e.component
    raise ServiceError(f"考核方案中本类单位没有需要录入的组成部分「{key}」。")


def clean(comp: Component, raw) -> Decimal:
    """The value to store for ``raw`` (text or number) under the component's kind: a weighted
    value within its scale; a bonus ≥ 0; a deduction entered as the points deducted (2 or −2)
    and stored negative. Raises :class:`ServiceError` naming what is wrong."""
    try:
        v = D(raw)
    except NumberError:
        raise ServiceError(f"「{raw}」不是数字。") from None
    if v != v.quantize(Decimal("0.0001")):
        raise ServiceError(f"{fmt_plain(v)}：最多保留4位小数。")
    if comp.kind == "weighted":
        if v < comp.scale_min or v > comp.scale_max:
            raise ServiceError(f"{fmt_plain(v)} 超出取值范围 {fmt(comp.scale_min)}～{fmt(comp.scale_max)}。")
        return v
    if comp.kind == "bonus":
        if v < 0:
            raise ServiceError("加分应为不小于0的数。")
        return v
    return -abs(v)


def save_value(db: Session, *, actor_id: int, owner_keys: set[str], cycle: Cycle, unit_id: int, key: str,
               raw, no_work: bool = False, expected_version: int = 0, note: str = "") -> ComponentValue | None:
    """Save (or clear, when ``raw`` is empty and ``no_work`` false) one unit's value of a
    component. ``expected_version`` is the version the form was rendered from (0: none yet)."""
    require_open(db, cycle.id, STAGE)
    unit = db.get(Unit, unit_id)
    if unit is None or not unit.active:
        raise ServiceError("单位不存在或已停用。")
    comp = find_component(cycle, unit.category, key)
    if owner_key(db, comp) not in owner_keys:
        raise PermissionDenied(f"「{comp.name}」由{comp.owner or '目标办'}录入，您没有录入权限。")
    row = db.exec(select(ComponentValue).where(ComponentValue.cycle_id == cycle.id, ComponentValue.unit_id == unit_id,
                                               ComponentValue.component_key == key)).first()
    if (row.version if row else 0) != expected_version:
        raise StaleData(f"「{unit.name} · {comp.name}」已被他人修改，请刷新页面核对后再保存（您的修改尚未保存）。")
    empty = raw is None or (isinstance(raw, str) and not raw.strip())
    if no_work and comp.kind != "weighted":
        raise ServiceError("只有加权计分项可以标记为「无此项工作」。")
    value = None if (empty or no_work) else clean(comp, raw.strip() if isinstance(raw, str) else raw)
    old = None if row is None else {"value": _txt(row.value), "no_work": row.no_work}
    if value is None and not no_work:
        if row is None:
            return None
        db.delete(row)
        record(db, actor_id=actor_id, action="component_value_clear", entity="component_value",
               entity_id=f"{unit_id}:{key}", cycle_id=cycle.id, old={"unit": unit.name, "component": comp.name, **old})
        db.flush()
        return None
    if row is None:
        row = ComponentValue(cycle_id=cycle.id, unit_id=unit_id, component_key=key, version=0)
    new_e4 = None if value is None else int(value * SCALE)
    if row.id is not None and row.value_e4 == new_e4 and row.no_work == no_work and row.note == note:
        return row
    row.value_e4, row.no_work, row.note = new_e4, no_work, (note or "")[:500]
    row.entered_by_id, row.updated_at = actor_id, utcnow()
    row.version += 1
    db.add(row)
    db.flush()
    record(db, actor_id=actor_id, action="component_value", entity="component_value", entity_id=f"{unit_id}:{key}",
           cycle_id=cycle.id, old=old, new={"unit": unit.name, "component": comp.name, "value": _txt(value),
                                             "no_work": no_work})
    return row


def _txt(v: Decimal | None) -> str | None:
    return None if v is None else fmt_plain(v)


# ----------------------------------------------------------------------------- a whole list at once


class ValuesRefused(ServiceError):
    """Some values of a form or an upload are wrong: ``errors`` names each (row and column for
    an upload); nothing has been saved."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("；".join(errors[:5]) + ("……" if len(errors) > 5 else ""))


@dataclass(frozen=True)
class ValueInput:
    unit_id: int
    raw: str
    no_work: bool = False
    note: str = ""
    version: int | None = None  # the version the form showed; None: an upload (the current one)
    where: str = ""  # 「第 3 行 C 列」 for an upload, the unit's name for a form


def units_for(db: Session, cycle: Cycle, key: str) -> list[Unit]:
    """The active units of the categories whose scheme has the component ``key``."""
    cats = {e.category for e in entered_components(cycle) if e.component.key == key}
    return [u for u in active_units(db) if u.category in cats]


def component_of(cycle: Cycle, key: str) -> Component:
    for e in entered_components(cycle):
        if e.component.key == key:
            return e.component
    raise ServiceError(f"考核方案中没有需要录入的组成部分「{key}」。")


def save_many(db: Session, *, actor_id: int, owner_keys: set[str], cycle: Cycle, key: str,
              rows: list[ValueInput]) -> int:
    """Save every changed value of one component; any refusal refuses them all (:class:`ValuesRefused`,
    every problem listed). Returns how many values changed."""
    require_open(db, cycle.id, STAGE)
    comp = component_of(cycle, key)
    if owner_key(db, comp) not in owner_keys:
        raise PermissionDenied(f"「{comp.name}」由{comp.owner or '目标办'}录入，您没有录入权限。")
    current = values_of(db, cycle, key)
    allowed = {u.id for u in units_for(db, cycle, key)}
    errors, n = [], 0
    for r in rows:
        if r.unit_id not in allowed:
            errors.append(f"{r.where}：单位不在本组成部分的考核范围内")
            continue
        old = current.get(r.unit_id)
        same = (old is None and not r.raw.strip() and not r.no_work) or (
            old is not None and old.no_work == r.no_work and old.note == (r.note or "") and
            (r.no_work or (r.raw.strip() and _same_value(comp, old, r.raw))))
        if same:
            continue
        try:
            with db.begin_nested():
                save_value(db, actor_id=actor_id, owner_keys=owner_keys, cycle=cycle, unit_id=r.unit_id, key=key,
                           raw=r.raw, no_work=r.no_work, note=r.note,
                           expected_version=(old.version if old else 0) if r.version is None else r.version)
            n += 1
        except ServiceError as exc:
            errors.append(f"{r.where}：{exc.message}")
    if errors:
        raise ValuesRefused(errors)
    return n


def _same_value(comp: Component, old: ComponentValue, raw: str) -> bool:
    try:
        return old.value_e4 is not None and int(clean(comp, raw.strip()) * SCALE) == old.value_e4
    except ServiceError:
        return False
