"""Assessment schemes: versions imported from the office's workbook, the seed scheme, and the
choice of a scheme for a cycle that has not started.

A scheme is never edited in place: every import saves a NEW version (same ``code``, version =
highest existing + 1). A cycle keeps the snapshot it took (``Cycle.scheme_data``), so a new
version never changes a past cycle.
"""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import IntegrityError, NoInspectionAvailable
from sqlmodel import Session, func, select

from app.models import Cycle, Scheme, Stage, StageOverride
from app.models.base import utcnow
from app.rubric import scheme as rubric_scheme

from . import ServiceError
from .audit import record

SEED_FILE = Path(__file__).resolve().parents[2] / "seeds" / "scheme_lianyungang_2018.json"

__all__ = [
    "SchemeRefused",
    "SchemeUnavailable",
    "cycle_scheme",
    "has_scheme",
    "import_scheme_version",
    "save_scheme_version",
    "seed_scheme",
    "scheme_versions",
    "latest_version",
    "previous_version",
    "scheme_changes",
    "cycle_started",
    "assign_scheme",
    "SEED_FILE",
]


class SchemeRefused(ServiceError):
    """The workbook or scheme is wrong; ``errors`` lists every problem (Chinese, each naming the
    sheet, row and column, or the indicator). Nothing was saved."""

    def __init__(self, errors: list[str], message: str = "考核方案有误，未保存"):
        self.errors = [str(e) for e in errors]
        super().__init__(f"{message}（{len(self.errors)} 处）：" + "；".join(self.errors[:5])
                         + ("……" if len(self.errors) > 5 else ""))


class SchemeUnavailable(ServiceError):
    """The cycle has no scheme snapshot, or its snapshot does not load (``errors`` lists why)."""

    def __init__(self, message: str, errors: list[str] | None = None):
        self.errors = list(errors or [])
        super().__init__(message)


_LOADED: dict[str, rubric_scheme.Scheme] = {}
_LOADED_MAX = 16


def scheme_names(db: Session) -> dict[int, str]:
    """{cycle id: the name of its scheme snapshot}, read inside the database: a list of cycles
    needs the names, not ten snapshots decoded (``Cycle.scheme_data`` is deferred)."""
    col = Cycle.__table__.c.scheme_data
    return {cid: name for cid, name in db.exec(select(Cycle.id, col["name"].as_string())) if name}


def has_scheme(cycle: Cycle) -> bool:
    """Whether the cycle has a scheme snapshot at all (it may still fail to load)."""
    known = _stored_snapshot(cycle)
    if known is not None:
        return known[1]
    return bool((cycle.scheme_data or {}).get("categories"))


_TEXTS: dict[bytes, tuple[str, bool]] = {}  # digest of a stored snapshot's text → (content key, has categories)
_TEXTS_MAX = 64


def _stored_snapshot(cycle: Cycle) -> tuple[str, bool] | None:
    """(content key, has categories) of the cycle's snapshot as stored, found by its text
    (``Cycle.scheme_text``, by a digest of it) and kept per worker: a page looks up the scheme it
    loaded before without decoding and hashing 200 KB of JSON. None when the object's ``scheme_data`` is in
    memory (read or assigned, maybe not yet stored) or the object is not a stored row: that
    snapshot is the one to use."""
    st = sa_inspect(cycle)
    if st.key is None or "scheme_data" in st.dict or (st.session is None and "scheme_text" not in st.dict):
        return None
    text = cycle.scheme_text
    if text is None:
        return None
    digest = hashlib.blake2b(text.encode()).digest()  # 0.2 ms for 200 KB; the text itself is not kept
    hit = _TEXTS.get(digest)
    if hit is None:
        data = json.loads(text) or {}  # what reading scheme_data gives (the JSON type's json.loads)
        hit = (_content_key(data), bool(data.get("categories")))
        if len(_TEXTS) >= _TEXTS_MAX:
            _TEXTS.clear()
        _TEXTS[digest] = hit
    return hit


def snapshot_key(cycle: Cycle) -> str:
    """The content hash of the cycle's scheme snapshot (:func:`_content_key` of ``scheme_data``)."""
    known = _stored_snapshot(cycle)
    return known[0] if known is not None else _content_key(cycle.scheme_data or {}, cycle)


# The key a snapshot's veto condition with the reserved key "other" is read under (the seed
# scheme before the reserved keys were checked listed 「经学校认定的其它责任事项」 as "other").
LEGACY_OTHER_VETO = "school_determined"


def legacy_other_veto(data: dict | None) -> str | None:
    """The text of the veto condition a snapshot lists under the reserved key "other", if any.
    Veto rows recorded with condition "other" in such a cycle mean that condition."""
    for x in ((data or {}).get("grading") or {}).get("vetoes") or ():
        if isinstance(x, dict) and x.get("key") == rubric_scheme.RESERVED_VETO_KEYS[0]:
            return x.get("text")
    return None


def _upgraded(data: dict) -> dict:
    """A snapshot as the current format reads it: a veto condition keyed "other" (now reserved)
    is read under :data:`LEGACY_OTHER_VETO` (or that key with a suffix when it is taken)."""
    if legacy_other_veto(data) is None:
        return data
    vetoes = data["grading"]["vetoes"]
    taken = {x.get("key") for x in vetoes if isinstance(x, dict)}
    key = LEGACY_OTHER_VETO
    while key in taken:
        key += "_1"
    fixed = [{**x, "key": key} if isinstance(x, dict) and x.get("key") == "other" else x for x in vetoes]
    return {**data, "grading": {**data["grading"], "vetoes": fixed}}


def _content_key(data: dict, owner: object = None) -> str:
    """The snapshot's content hash, remembered with the cycle ``owner`` that holds it (a request
    asks for its cycle's scheme several times; hashing 200 KB of JSON costs 1 ms each time).
    Snapshots are replaced, never edited in place, so the same dict has the same content. Kept in
    the cycle object's SQLAlchemy state, it goes with the object: a worker-wide table of the
    decoded snapshots kept up to 256 of them alive (~0.3 MB each, issue #17)."""
    try:
        info = sa_inspect(owner).info if owner is not None else None
    except NoInspectionAvailable:
        info = None
    hit = info.get(_KEY_INFO) if info is not None else None
    if hit is not None and hit[0] is data:
        return hit[1]
    key = hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()
    if info is not None:
        info[_KEY_INFO] = (data, key)
    return key


_KEY_INFO = "kpi_scheme_content_key"


def cycle_scheme(cycle: Cycle) -> rubric_scheme.Scheme:
    """The cycle's scheme snapshot, loaded by :func:`app.rubric.scheme.load_scheme` and cached by
    its content (a new snapshot is a new key). The one way to load a cycle's scheme.

    Raises :class:`SchemeUnavailable` (a :class:`ServiceError` with a Chinese message) when the
    cycle has no snapshot or when the snapshot is invalid; never falls back to defaults."""
    known = _stored_snapshot(cycle)
    if not (known[1] if known is not None else has_scheme(cycle)):
        raise SchemeUnavailable(f"周期「{cycle.name}」尚未指定考核方案。")
    key = known[0] if known is not None else _content_key(cycle.scheme_data or {}, cycle)
    hit = _LOADED.get(key)
    if hit is None:
        data = cycle.scheme_data or {}
        try:
            hit = rubric_scheme.load_scheme(_upgraded(data))
        except rubric_scheme.SchemeInvalid as exc:
            errors = [str(e) for e in exc.errors]
            raise SchemeUnavailable(f"周期「{cycle.name}」的考核方案快照有误（{len(errors)} 处）："
                                    + "；".join(errors[:3]) + ("……" if len(errors) > 3 else ""), errors) from None
        if len(_LOADED) >= _LOADED_MAX:
            _LOADED.clear()
        _LOADED[key] = hit
    return hit


def latest_version(db: Session, code: str) -> Scheme | None:
    return db.exec(select(Scheme).where(Scheme.code == code).order_by(Scheme.version.desc())).first()


def scheme_versions(db: Session) -> list[tuple[str, list[Scheme]]]:
    """(code, versions newest first) for every scheme code, codes in alphabetical order."""
    out: dict[str, list[Scheme]] = {}
    for s in db.exec(select(Scheme).order_by(Scheme.code, Scheme.version.desc())):
        out.setdefault(s.code, []).append(s)
    return list(out.items())


def _without_version(d: dict) -> dict:
    """The content of a scheme for comparison: its canonical form (defaults written out, so a
    version stored before components had options equals the same scheme read back from Excel),
    without the version."""
    from app.rubric.scheme import SchemeInvalid, dump_scheme, load_scheme

    try:
        d = dump_scheme(load_scheme(d))
    except (SchemeInvalid, KeyError, TypeError, ValueError):
        pass
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
    changes = scheme_changes(latest.data, snapshot) if latest is not None else []
    record(db, actor_id=actor_id, action="import", entity="scheme", entity_id=scheme.id,
           new={"code": code, "version": version, "name": scheme.name, "source": source,
                "based_on_version": data.get("version"), "previous_version": latest.version if latest else None,
                "changes": changes[:200]})
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


# ---------------------------------------------------------------------------- changes between versions

_IND_FIELDS = [
    ("name", "名称"),
    ("points", "分值"),
    ("owner", "考核部门"),
    ("parent", "上级指标"),
    ("rule", "计分规则"),
    ("params", "规则参数"),
    ("applies_to", "适用类型"),
    ("applies_to_units", "适用单位"),
    ("max_by_subtype", "各类型满分"),
    ("description", "指标内涵"),
    ("description_by_unit", "分单位说明"),
    ("notes", "备注"),
]
_TOP_FIELDS = [("name", "方案名称"), ("total_points", "总分"), ("normalisation", "折算方式"), ("source", "来源"),
               ("period", "考核期"), ("notes", "方案说明"), ("ballot", "民主测评规则"), ("grading", "等次评定规则"),
               ("award", "突出贡献奖规则"), ("policies", "计分政策（舍入）")]
_GRADING_FIELDS = {"levels": "等次名称", "quotas": "优秀名额", "eligibility": "评优条件", "vetoes": "不能评优情形",
                   "fail_rule": "不合格规则", "last_place": "连续末位规则", "tie_break": "并列比较顺序"}
_BALLOT_FIELDS = {
    "levels": "测评等次",
    "excellent_level": "优秀等次",
    "max_excellent_share": "优秀票最高比例",
    "all_units_required": "须评全部单位",
    "exclude_own_unit": "不评本单位",
    "rater_groups": "测评人员类别",
}
_SHORT = (str, int, float, type(None))


def _indicators(d: dict) -> dict[str, dict]:
    out: dict[str, dict] = {}

    def walk(nodes, parent, cat):
        for n in nodes or []:
            out[n.get("code")] = {**{k: n.get(k) for k, _ in _IND_FIELDS if k != "parent"}, "parent": parent,
                                  "category": cat}
            walk(n.get("children"), n.get("code"), cat)

    for c in d.get("categories") or []:
        for m in c.get("components") or []:
            walk(m.get("indicators"), None, c.get("name") or c.get("key"))
    return out


def _show(v) -> str:
    if v is None or v == "" or v == [] or v == {}:
        return "（空）"
    if isinstance(v, list) and all(isinstance(x, str) for x in v):
        return "、".join(v)
    if isinstance(v, dict) and all(isinstance(x, int | float) for x in v.values()):
        return "；".join(f"{k} {x}" for k, x in v.items())
    return str(v)


def _change(label: str, a, b) -> str:
    if isinstance(a, _SHORT) and isinstance(b, _SHORT) and len(str(a)) <= 40 and len(str(b)) <= 40:
        return f"{label}：{_show(a)} → {_show(b)}"
    if isinstance(a, list | dict) and isinstance(b, list | dict) and len(_show(a)) <= 60 and len(_show(b)) <= 60 \
            and not any(isinstance(x, dict | list) for x in (list(a.values()) if isinstance(a, dict) else a)) \
            and not any(isinstance(x, dict | list) for x in (list(b.values()) if isinstance(b, dict) else b)):
        return f"{label}：{_show(a)} → {_show(b)}"
    return f"{label}有改动"


def scheme_changes(old: dict, new: dict) -> list[str]:
    """What changed from ``old`` to ``new`` (two scheme dicts), in Chinese, one line per change."""
    out: list[str] = []
    for key, label in _TOP_FIELDS:
        a, b = old.get(key), new.get(key)
        if a == b:
            continue
        sub = _GRADING_FIELDS if key == "grading" else _BALLOT_FIELDS if key == "ballot" else None
        if sub and isinstance(a, dict) and isinstance(b, dict):
            for k in dict.fromkeys([*a, *b]):
                if a.get(k) != b.get(k):
                    out.append(_change(f"{label}·{sub.get(k, k)}", a.get(k), b.get(k)))
        else:
            out.append(_change(label, a, b))
    cats_a = {c.get("key"): c for c in old.get("categories") or []}
    cats_b = {c.get("key"): c for c in new.get("categories") or []}
    for k in dict.fromkeys([*cats_a, *cats_b]):
        ca, cb = cats_a.get(k), cats_b.get(k)
        if ca is None:
            out.append(f"新增单位类别「{cb.get('name') or k}」")
            continue
        if cb is None:
            out.append(f"删除单位类别「{ca.get('name') or k}」")
            continue
        cname = cb.get("name") or k
        for field, label in (("name", "名称"), ("subtypes", "单位类型"), ("units", "单位名单")):
            if ca.get(field) != cb.get(field):
                out.append(_change(f"{cname}·{label}", ca.get(field), cb.get(field)) if field != "units"
                           else f"{cname}·单位名单有改动")
        ma = {m.get("key"): m for m in ca.get("components") or []}
        mb = {m.get("key"): m for m in cb.get("components") or []}
        for mk in dict.fromkeys([*ma, *mb]):
            a, b = ma.get(mk), mb.get(mk)
            if a is None or b is None:
                out.append(f"{cname}·{'新增' if a is None else '删除'}组成部分「{(b or a).get('name') or mk}」")
                continue
            fields = (("name", "名称"), ("kind", "类型"), ("points", "分值"), ("parts", "正副职分值"),
                      ("rating_max", "评分满分"), ("owner", "负责"), ("counts_toward_total", "计入总分"),
                      ("order", "显示顺序"), ("scale", "取值范围"), ("cap", "上限"), ("floor", "总分下限"),
                      ("missing", "无此项工作"))
            for field, label in fields:
                dflt = True if field == "counts_toward_total" else None  # absent in versions stored before
                if a.get(field, dflt) != b.get(field, dflt):
                    out.append(_change(f"{cname}·{b.get('name') or mk}·{label}", a.get(field, dflt),
                                       b.get(field, dflt)))
    ia, ib = _indicators(old), _indicators(new)
    for code in dict.fromkeys([*ia, *ib]):
        a, b = ia.get(code), ib.get(code)
        if a is None:
            where = f"，上级 {b['parent']}" if b["parent"] else ""
            out.append(f"新增指标 {code}「{b['name']}」（{b['category']}{where}，{b['points']} 分）")
        elif b is None:
            out.append(f"删除指标 {code}「{a['name']}」")
        else:
            for field, label in _IND_FIELDS:
                if a.get(field) != b.get(field):
                    out.append(_change(f"指标 {code}「{b['name']}」·{label}", a.get(field), b.get(field)))
    return out


def previous_version(db: Session, scheme: Scheme) -> Scheme | None:
    return db.exec(select(Scheme).where(Scheme.code == scheme.code, Scheme.version < scheme.version)
                   .order_by(Scheme.version.desc())).first()
