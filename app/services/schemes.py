"""Assessment schemes: versions imported from the office's workbook, the seed scheme, and the
choice of a scheme for a cycle that has not started.

A scheme is never edited in place: every import saves a NEW version (same ``code``, version =
highest existing + 1). A cycle keeps the snapshot it took (``Cycle.scheme_data``), so a new
version never changes a past cycle.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, func, select

from app.models import Cycle, Scheme, Stage, StageOverride
from app.models.base import utcnow

from . import ServiceError
from .audit import record

SEED_FILE = Path(__file__).resolve().parents[2] / "seeds" / "scheme_lianyungang_2018.json"

__all__ = ["SchemeRefused", "import_scheme_version", "save_scheme_version", "seed_scheme", "scheme_versions",
           "latest_version", "cycle_started", "assign_scheme", "SEED_FILE"]


class SchemeRefused(ServiceError):
    """The workbook or scheme is wrong; ``errors`` lists every problem (Chinese, each naming the
    sheet, row and column, or the indicator). Nothing was saved."""

    def __init__(self, errors: list[str], message: str = "考核方案有误，未保存"):
        self.errors = [str(e) for e in errors]
        super().__init__(f"{message}（{len(self.errors)} 处）：" + "；".join(self.errors[:5])
                         + ("……" if len(self.errors) > 5 else ""))


def latest_version(db: Session, code: str) -> Scheme | None:
    return db.exec(select(Scheme).where(Scheme.code == code).order_by(Scheme.version.desc())).first()


def scheme_versions(db: Session) -> list[tuple[str, list[Scheme]]]:
    """(code, versions newest first) for every scheme code, codes in alphabetical order."""
    out: dict[str, list[Scheme]] = {}
    for s in db.exec(select(Scheme).order_by(Scheme.code, Scheme.version.desc())):
        out.setdefault(s.code, []).append(s)
    return list(out.items())


def _without_version(d: dict) -> dict:
    return {k: v for k, v in d.items() if k != "version"}


def save_scheme_version(db: Session, *, actor_id: int | None, data: dict[str, Any], source: str) -> Scheme:
    """Save a valid scheme dict as the next version of its ``key``. Raises :class:`SchemeRefused`."""
    from app.sheets.scheme import validate_safely

    errors = validate_safely(data)
    if errors:
        raise SchemeRefused([str(e) for e in errors])
    code = data["key"].strip()
    if len(code) > 64:
        raise SchemeRefused(["方案标识不能超过 64 个字符"])
    if len(data["name"]) > 200:
        raise SchemeRefused(["方案名称不能超过 200 个字符"])
    latest = latest_version(db, code)
    if latest is not None and _without_version(latest.data) == _without_version(data):
        raise ServiceError(f"内容与方案「{code}」现有第 {latest.version} 版完全相同，未另存新版本。")
    version = (db.exec(select(func.max(Scheme.version)).where(Scheme.code == code)).one() or 0) + 1
    snapshot = copy.deepcopy(data)
    snapshot["key"] = code
    snapshot["version"] = version
    scheme = Scheme(code=code, version=version, name=snapshot["name"], data=snapshot, created_by_id=actor_id)
    db.add(scheme)
    try:
        db.flush()
    except IntegrityError as exc:
        raise ServiceError("刚才有人保存了同一方案的新版本，请重新操作。") from exc
    record(db, actor_id=actor_id, action="import", entity="scheme", entity_id=scheme.id,
           new={"code": code, "version": version, "name": scheme.name, "source": source,
                "previous_version": latest.version if latest else None})
    return scheme


def import_scheme_version(db: Session, *, actor_id: int | None, content: bytes, filename: str = "") -> Scheme:
    """Read an Excel workbook (see :mod:`app.sheets.scheme`) and save it as a new version.
    A broken workbook raises :class:`SchemeRefused` and saves nothing."""
    from app.sheets.scheme import import_scheme

    data, problems = import_scheme(content)
    if data is None:
        raise SchemeRefused([str(p) for p in problems], "工作簿有误，未保存")
    return save_scheme_version(db, actor_id=actor_id, data=data, source=f"Excel {filename}".strip())


def seed_scheme(db: Session, *, actor_id: int | None = None, path: Path = SEED_FILE) -> Scheme:
    """The seed scheme (Lianyungang 2018) in the database: the existing row with its code and
    version, or a new one."""
    from app.sheets.scheme import validate_safely

    data = json.loads(path.read_text(encoding="utf-8"))
    errors = validate_safely(data)
    if errors:
        raise SchemeRefused([str(e) for e in errors])
    found = db.exec(select(Scheme).where(Scheme.code == data["key"], Scheme.version == data["version"])).first()
    if found is not None:
        return found
    scheme = Scheme(code=data["key"], version=data["version"], name=data["name"], data=data, created_by_id=actor_id)
    db.add(scheme)
    db.flush()
    record(db, actor_id=actor_id, action="seed", entity="scheme", entity_id=scheme.id,
           new={"code": scheme.code, "version": scheme.version, "name": scheme.name})
    return scheme


def cycle_started(db: Session, cycle: Cycle) -> bool:
    """Whether any stage of the cycle has opened (planned time passed, or an override)."""
    now = utcnow()
    stages = list(db.exec(select(Stage).where(Stage.cycle_id == cycle.id)))
    if any(s.opens_at is not None and s.opens_at <= now for s in stages):
        return True
    ids = [s.id for s in stages]
    return bool(ids) and db.exec(select(StageOverride).where(StageOverride.stage_id.in_(ids))).first() is not None


def assign_scheme(db: Session, *, actor_id: int | None, cycle: Cycle, scheme: Scheme, expected_version: int) -> None:
    """Give a cycle that has not started another scheme version (a fresh snapshot)."""
    if cycle.version != expected_version:
        from . import StaleData

        raise StaleData()
    if cycle.archived or cycle_started(db, cycle):
        raise ServiceError(f"周期「{cycle.name}」已经开始，不能再更换考核方案。")
    old = {"scheme_id": cycle.scheme_id, "scheme": _label(cycle.scheme_data)}
    cycle.scheme_id = scheme.id
    cycle.scheme_data = copy.deepcopy(scheme.data)
    cycle.version += 1
    db.add(cycle)
    db.flush()
    record(db, actor_id=actor_id, action="assign_scheme", entity="cycle", entity_id=cycle.id, cycle_id=cycle.id,
           old=old, new={"scheme_id": scheme.id, "scheme": _label(scheme.data)})


def _label(d: dict | None) -> str | None:
    if not d:
        return None
    return f"{d.get('key')} v{d.get('version')}"
