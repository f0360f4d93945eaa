"""Units of the organisation."""

import hashlib

from sqlmodel import Session, select

from app.models import SUBTYPES, Unit

from . import ServiceError, StaleData
from .audit import changes, record
from .readmemo import memo


def unit_is_active():
    """The query condition "the unit is active" (the one place it is written)."""
    return Unit.active == True  # noqa: E712


def active_units(db: Session, category: str | None = None, *, categories=None) -> list[Unit]:
    """The active units (of ``category``, or of any of ``categories``), by category, position, id."""
    units = memo(db, ("active_units",), lambda: db.exec(select(Unit).where(unit_is_active())
                                                        .order_by(Unit.category, Unit.position, Unit.id)))
    if category:
        units = [u for u in units if u.category == category]
    if categories is not None:
        wanted = set(categories)
        units = [u for u in units if u.category in wanted]
    return units


def _check(category: str, subtype: str, name: str) -> None:
    if not name:
        raise ServiceError("请填写单位名称。", field="name")
    if category not in SUBTYPES:
        raise ServiceError("单位类别须为院部或部门。", field="category")
    if subtype not in SUBTYPES[category]:
        raise ServiceError(f"「{subtype}」不是该类别的单位类型。", field="subtype")


def create_unit(db: Session, *, actor_id: int | None, name: str, category: str, subtype: str,
                short_name: str = "", position: int = 0) -> Unit:
    name = (name or "").strip()
    _check(category, subtype, name)
    if db.exec(select(Unit).where(Unit.name == name)).first():
        raise ServiceError(f"单位「{name}」已存在。", field="name")
    unit = Unit(name=name, short_name=short_name.strip(), category=category, subtype=subtype, position=position)
    db.add(unit)
    db.flush()
    record(db, actor_id=actor_id, action="create", entity="unit", entity_id=unit.id,
           new={"name": name, "category": category, "subtype": subtype})
    return unit


def unit_stamp(unit: Unit) -> str:
    """The version of a unit as its edit page shows it (the unit table has no version column)."""
    fields = (unit.name, unit.short_name, unit.category, unit.subtype, unit.position, unit.active)
    return hashlib.sha256(repr(fields).encode()).hexdigest()[:16]


def update_unit(db: Session, *, actor_id: int, unit: Unit, name: str, category: str, subtype: str,
                short_name: str, position: int, active: bool, reason: str | None = None,
                expected_stamp: str | None = None) -> None:
    """``expected_stamp``: the :func:`unit_stamp` the page showed; refused when the unit changed since."""
    if expected_stamp and expected_stamp != unit_stamp(unit):
        raise StaleData(f"打开本页后单位「{unit.name}」已被他人修改，未保存。请查看当前内容后重新修改。")
    name = (name or "").strip()
    _check(category, subtype, name)
    clash = db.exec(select(Unit).where(Unit.name == name, Unit.id != unit.id)).first()
    if clash:
        raise ServiceError(f"单位「{name}」已存在。", field="name")
    if unit.active and not active and not (reason or "").strip():
        raise ServiceError("撤销单位须填写原因。", field="reason")
    old, new = changes(unit, {"name": name, "category": category, "subtype": subtype,
                              "short_name": short_name.strip(), "position": position, "active": active})
    if new:
        db.add(unit)
        record(db, actor_id=actor_id, action="update", entity="unit", entity_id=unit.id, old=old, new=new,
               reason=reason or None)
    db.flush()
