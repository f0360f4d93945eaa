"""Budget-performance target tables (绩效目标表): import, checkpoints, actuals, evidence, year-end.

Import (``preview_import`` / ``import_table``): a workbook is read by
``app.sheets.targets.read_target_workbook`` (after the upload safety checks). The dry run returns
what was understood row by row and the errors; a refused import (any error) raises
``ImportRefused`` and saves nothing.

Re-import of a table that exists (same unit, year and project) **creates a new revision**: the
previous content is archived in ``TargetTableVersion`` and the record's ``revision`` and
``version`` go up. Reported actuals and their evidence follow their indicator, matched by its
path (一级, 二级, 职能, 重点工作, name; the n-th of equal paths to the n-th). If an indicator that
already has an actual or evidence is missing from the new workbook the re-import is refused
(nothing saved) and the message names those indicators: reported data is never dropped silently.

Checkpoints: the office opens a year's half-year or full-year checkpoint (``set_checkpoint``,
optionally with a due time) and closes it. While it is open the unit's reporters enter the actual
of each indicator (``save_actuals``, all rows of one form at once, refused as a whole when one value
cannot be read or one row was changed by someone else meanwhile) and add evidence.

Progress uses the table's settings (``settings_of``: the amber band and the over-achievement
policy). The year end — settings, score, report, review, exports — is ``app.services.target_reports``.
"""

import os
import secrets
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import inspect as sa_inspect
from sqlmodel import Session, select

from app.models import Unit
from app.models.base import utcnow
from app.models.targets import TargetActual, TargetCheckpoint, TargetEvidence, TargetTableRecord, TargetTableVersion
from app.rubric.tablesettings import SettingsError, TableSettings
from app.rubric.targets import (
    CHECKPOINT_LABELS,
    CHECKPOINTS,
    CheckpointReport,
    TargetRow,
    TargetTable,
    checkpoint_report,
    value_from_dict,
    value_to_dict,
)
from app.rubric.values import TargetValue, ValueParseError, parse_value
from app.sheets.targets import ReadResult, read_target_workbook, write_target_workbook

from . import PermissionDenied, ServiceError, StaleData, files
from .audit import record
from .evidence import check_link

ENTITY = "target_table"
MAX_EVIDENCE_PER_ROW = 20


class ImportRefused(ServiceError):
    """The workbook cannot be imported; ``errors`` are the reader's messages (each naming sheet,
    row and cell) or the service's own."""

    def __init__(self, message: str, errors: Iterable[str] = (), result: ReadResult | None = None):
        super().__init__(message)
        self.errors = list(errors) or [message]
        self.result = result


# --------------------------------------------------------------------------- who may do what

def may_view(identity, rec: TargetTableRecord) -> bool:
    return identity.has("office") or rec.unit_id in identity.units_for("reporter")


def may_report(identity, rec: TargetTableRecord) -> bool:
    return rec.unit_id in identity.units_for("reporter")


def _require_reporter(allowed_units: set[int], rec: TargetTableRecord) -> None:
    if rec.unit_id not in allowed_units:
        raise PermissionDenied("只能填报本单位的绩效目标。")


# --------------------------------------------------------------------------- lookups

def find_unit(db: Session, text: str) -> Unit:
    """A unit by id, exact name or short name (for the command line)."""
    text = (text or "").strip()
    if not text:
        raise ServiceError("请指定单位。")
    if text.isdigit():
        unit = db.get(Unit, int(text))
        if unit is not None:
            return unit
    unit = db.exec(select(Unit).where(Unit.name == text)).first()
    if unit is None:
        units = list(db.exec(select(Unit).where(Unit.short_name == text)))
        if len(units) == 1:
            unit = units[0]
    if unit is None:
        raise ServiceError(f"单位「{text}」不存在（可用单位名称、简称或编号）。")
    return unit


def find_table(db: Session, unit_id: int, year: int, project: str | None = None) -> TargetTableRecord | None:
    return db.exec(select(TargetTableRecord).where(
        TargetTableRecord.unit_id == unit_id, TargetTableRecord.year == year,
        TargetTableRecord.project == (project or "").strip())).first()


def tables_of(
    db: Session, *, year: int | None = None, unit_ids: Iterable[int] | None = None
) -> list[TargetTableRecord]:
    q = select(TargetTableRecord)
    if year is not None:
        q = q.where(TargetTableRecord.year == year)
    if unit_ids is not None:
        ids = list(unit_ids)
        if not ids:
            return []
        q = q.where(TargetTableRecord.unit_id.in_(ids))
    rows = list(db.exec(q))
    units = {u.id: u for u in db.exec(select(Unit))}
    rows.sort(key=lambda t: (-t.year, units[t.unit_id].position if t.unit_id in units else 0, t.unit_id, t.project))
    return rows


def years(db: Session) -> list[int]:
    ys = {t for t in db.exec(select(TargetTableRecord.year))} | {c for c in db.exec(select(TargetCheckpoint.year))}
    return sorted(ys, reverse=True)


def table_of(rec: TargetTableRecord) -> TargetTable:
    """The record's table, parsed once per loaded record and content (a page asks several times;
    200 indicators take milliseconds each time). ``TargetTable`` is immutable; new content (a
    re-import, new weights) is a new ``data`` object and is parsed again."""
    info = sa_inspect(rec).info
    kept = info.get("table")
    if kept is not None and kept[0] is rec.data:
        return kept[1]
    table = TargetTable.from_dict(rec.data)
    info["table"] = (rec.data, table)
    return table


def label_of(rec: TargetTableRecord, unit: Unit | None = None) -> str:
    name = unit.name if unit else ""
    return f"{name}{'·' + rec.project if rec.project else ''} {rec.year}年度".strip()


# --------------------------------------------------------------------------- import

@dataclass
class Preview:
    """A dry run: what was understood (``result``), the table it would save, and what it would do."""

    result: ReadResult
    table: TargetTable | None
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    existing: TargetTableRecord | None = None
    moved: dict[int, int] = field(default_factory=dict)  # old position -> new position of reported rows

    @property
    def ok(self) -> bool:
        return not self.errors and self.table is not None


def _row_keys(rows: Iterable[TargetRow]) -> dict[int, tuple]:
    """Position -> (path, occurrence) for matching a re-imported table's rows to the old ones."""
    seen: Counter = Counter()
    out = {}
    for r in rows:
        path = (r.level1, r.level2, r.function, r.key_work, r.name)
        out[r.position] = (path, seen[path])
        seen[path] += 1
    return out


def _reported_positions(db: Session, table_id: int) -> set[int]:
    a = {p for p in db.exec(select(TargetActual.position).where(TargetActual.table_id == table_id))}
    e = {p for p in db.exec(select(TargetEvidence.position).where(TargetEvidence.table_id == table_id))}
    return a | e


def preview_import(db: Session, *, data: bytes, unit: Unit, year: int, project: str | None = None,
                   sheet: str | None = None) -> Preview:
    """Read the workbook (only ``sheet`` when given) and check it against the stored table; never
    saves, never raises for bad input."""
    project = (project or "").strip()
    result = read_target_workbook(data, year=year, sheet=sheet)
    preview = Preview(result=result, table=None, warnings=list(result.warnings))
    if result.errors:
        preview.errors = [str(e) for e in result.errors]
        return preview
    if not result.rows:
        preview.errors = ["工作簿中没有指标"]
        return preview
    if not 2000 <= int(year) <= 2100:
        preview.errors = [f"年度「{year}」不正确"]
        return preview
    if result.unit and result.unit != unit.name and result.unit != unit.short_name:
        preview.warnings.append(f"工作簿中的单位名称为「{result.unit}」，将保存为「{unit.name}」的目标表")
    if result.year and int(result.year) != int(year):
        preview.warnings.append(f"工作簿标题中的年度为 {result.year} 年，将保存为 {year} 年度")
    table = result.to_table(unit=unit.name, year=int(year), project=project or None)
    preview.table = table
    existing = find_table(db, unit.id, int(year), project)
    preview.existing = existing
    if existing is not None:
        old_keys = _row_keys(table_of(existing).rows)
        new_by_key = {k: pos for pos, k in _row_keys(table.rows).items()}
        reported = _reported_positions(db, existing.id)
        lost = []
        old_table = table_of(existing)
        for pos in sorted(reported):
            key = old_keys.get(pos)
            if key is None or key not in new_by_key:
                try:
                    lost.append(f"第 {pos} 项「{old_table.row(pos).name}」")
                except KeyError:
                    lost.append(f"第 {pos} 项")
            else:
                preview.moved[pos] = new_by_key[key]
        if lost:
            preview.errors.append("已有实际值或佐证材料的指标在新工作簿中找不到，不能重新导入："
                                  + "、".join(lost) + "。请在工作簿中保留这些指标（层级和名称不变）后再导入。")
        else:
            preview.warnings.append(f"{label_of(existing, unit)}已存在（第 {existing.revision} 版），"
                                    f"导入后成为第 {existing.revision + 1} 版；已填报的实际值随指标保留")
    return preview


def import_table(db: Session, *, actor_id: int | None, unit: Unit, year: int, data: bytes, filename: str = "",
                 project: str | None = None, expected_version: int | None = None,
                 sheet: str | None = None) -> TargetTableRecord:
    """Save a workbook (only ``sheet`` when given) as the unit's table for the year (a new
    revision if it exists).

    ``expected_version``: the version of the existing record the person saw in the preview (None:
    not checked, as from the command line); a different one refuses with ``StaleData``.
    """
    preview = preview_import(db, data=data, unit=unit, year=year, project=project, sheet=sheet)
    if not preview.ok:
        raise ImportRefused(
            "导入被拒绝，未保存任何内容：" + "；".join(preview.errors[:5]), preview.errors, preview.result
        )
    table = preview.table
    name = os.path.basename((filename or "").replace("\\", "/"))[:255]
    now = utcnow()
    rec = preview.existing
    if rec is None:
        if expected_version not in (None, 0):
            raise StaleData("该目标表刚被他人删除或尚未保存，请重新上传。")
        rec = TargetTableRecord(unit_id=unit.id, year=int(year), project=(project or "").strip(),
                                title=(preview.result.title or "")[:200], layout=table.layout, data=table.to_dict(),
                                source_name=name, created_by_id=actor_id, updated_by_id=actor_id)
        db.add(rec)
        db.flush()
        record(db, actor_id=actor_id, action="import", entity=ENTITY, entity_id=rec.id,
               new={"unit": unit.name, "year": year, "project": rec.project, "rows": len(table.rows), "file": name,
                    "revision": 1})
        return rec
    if expected_version is not None and rec.version != expected_version:
        raise StaleData("该目标表在您预览后已被他人修改或重新导入，请重新上传并核对。")
    db.add(TargetTableVersion(table_id=rec.id, revision=rec.revision, data=rec.data, source_name=rec.source_name,
                              created_by_id=actor_id))
    _move_positions(db, rec.id, preview.moved)
    old_rows = len(rec.data.get("rows", []))
    rec.data = table.to_dict()
    rec.layout = table.layout
    rec.title = (preview.result.title or "")[:200]
    rec.source_name = name
    rec.revision += 1
    rec.version += 1
    rec.updated_at, rec.updated_by_id = now, actor_id
    db.add(rec)
    db.flush()
    record(db, actor_id=actor_id, action="reimport", entity=ENTITY, entity_id=rec.id,
           old={"revision": rec.revision - 1, "rows": old_rows},
           new={"revision": rec.revision, "rows": len(table.rows), "file": name,
                "moved": {str(k): v for k, v in preview.moved.items() if k != v}})
    return rec


def _move_positions(db: Session, table_id: int, moved: dict[int, int]) -> None:
    """Re-point actuals and evidence to their rows' new positions (two steps: unique keys)."""
    if all(k == v for k, v in moved.items()):
        return
    items = list(db.exec(select(TargetActual).where(TargetActual.table_id == table_id)))
    evs = list(db.exec(select(TargetEvidence).where(TargetEvidence.table_id == table_id)))
    for obj in items + evs:
        obj.position = -moved[obj.position]
        db.add(obj)
    db.flush()
    for obj in items + evs:
        obj.position = -obj.position
        db.add(obj)
    db.flush()


def export_workbook(rec: TargetTableRecord) -> bytes:
    return write_target_workbook(table_of(rec))


# --------------------------------------------------------------------------- checkpoints

def checkpoint(db: Session, year: int, kind: str) -> TargetCheckpoint | None:
    return db.exec(select(TargetCheckpoint).where(TargetCheckpoint.year == year,
                                                  TargetCheckpoint.checkpoint == kind)).first()


def open_checkpoints(db: Session) -> list[TargetCheckpoint]:
    return list(db.exec(select(TargetCheckpoint).where(TargetCheckpoint.status == "open")
                        .order_by(TargetCheckpoint.year, TargetCheckpoint.checkpoint)))


def _check_kind(kind: str) -> None:
    if kind not in CHECKPOINTS:
        raise ServiceError(f"检查点「{kind}」不存在，可选：半年（half_year）、全年（full_year）。")


def set_checkpoint(db: Session, *, actor_id: int | None, year: int, kind: str, status: str,
                   due_at: datetime | None = None, expected_version: int | None = None) -> TargetCheckpoint:
    """Open (with an optional due time) or close a year's checkpoint."""
    _check_kind(kind)
    if status not in ("open", "closed"):
        raise ServiceError("未知操作。")
    cp = checkpoint(db, year, kind)
    if cp is None:
        if expected_version not in (None, 0):
            raise StaleData()
        cp = TargetCheckpoint(year=year, checkpoint=kind, status=status, due_at=due_at, updated_by_id=actor_id)
        db.add(cp)
        db.flush()
        record(db, actor_id=actor_id, action=status, entity="target_checkpoint", entity_id=cp.id,
               new={"year": year, "checkpoint": kind, "status": status, "due_at": due_at})
        return cp
    if expected_version is not None and cp.version != expected_version:
        raise StaleData()
    old = {"status": cp.status, "due_at": cp.due_at}
    cp.status, cp.due_at = status, due_at
    cp.version += 1
    cp.updated_at, cp.updated_by_id = utcnow(), actor_id
    db.add(cp)
    db.flush()
    record(db, actor_id=actor_id, action=status, entity="target_checkpoint", entity_id=cp.id, old=old,
           new={"year": year, "checkpoint": kind, "status": status, "due_at": due_at})
    return cp


def require_open(db: Session, year: int, kind: str) -> TargetCheckpoint:
    _check_kind(kind)
    cp = checkpoint(db, year, kind)
    label = f"{year}年{CHECKPOINT_LABELS[kind]}"
    if cp is None:
        raise ServiceError(f"{label}实际值填报尚未开始（由目标办发起）。")
    if not cp.is_open:
        raise ServiceError(f"{label}实际值填报已截止，内容已锁定。如需修改请联系目标办重新开放。")
    return cp


# --------------------------------------------------------------------------- actuals

@dataclass(frozen=True)
class ActualInput:
    position: int
    text: str
    note: str = ""
    expected_version: int = 0  # 0: the row had no actual when the form was shown


def actuals_of(db: Session, table_id: int, kind: str | None = None) -> dict[tuple[int, str], TargetActual]:
    q = select(TargetActual).where(TargetActual.table_id == table_id)
    if kind is not None:
        q = q.where(TargetActual.checkpoint == kind)
    return {(a.position, a.checkpoint): a for a in db.exec(q)}


def actual_values(db: Session, rec: TargetTableRecord, kind: str) -> dict[int, TargetValue]:
    """Row position -> parsed actual at a checkpoint (what the rubric functions take)."""
    out = {}
    for (pos, _k), a in actuals_of(db, rec.id, kind).items():
        v = value_from_dict(a.parsed) if a.parsed else None
        if v is not None:
            out[pos] = v
    return out


def save_actuals(db: Session, *, actor_id: int, allowed_units: set[int], rec: TargetTableRecord, kind: str,
                 entries: Iterable[ActualInput]) -> int:
    """Enter or change actuals of one checkpoint; returns how many rows changed.

    All or nothing: an unreadable value (message naming the indicator), an unknown row, or a row
    changed by someone else since the form was shown (``StaleData``) refuses the whole form.
    An empty text removes the row's actual.
    """
    _require_reporter(allowed_units, rec)
    require_open(db, rec.year, kind)
    table = table_of(rec)
    positions = {r.position: r for r in table.rows}
    current = actuals_of(db, rec.id, kind)
    errors, stale = [], []
    plan = []
    for e in entries:
        row = positions.get(e.position)
        if row is None:
            raise ServiceError(f"指标第 {e.position} 项不存在，请刷新页面。")
        text = (e.text or "").strip()
        note = (e.note or "").strip()
        if len(text) > 200:
            errors.append(f"第 {row.position} 项「{row.name}」：实际值过长（最多 200 字）")
            continue
        if len(note) > 2000:
            errors.append(f"第 {row.position} 项「{row.name}」：说明过长（最多 2000 字）")
            continue
        have = current.get((row.position, kind))
        if (have.version if have else 0) != e.expected_version:
            stale.append(f"第 {row.position} 项「{row.name}」")
            continue
        if have is None and not text:
            continue
        if have is not None and have.text == text and have.note == note:
            continue
        parsed = None
        if text:
            try:
                parsed = value_to_dict(parse_value(text, year=rec.year))
            except ValueParseError as exc:
                errors.append(f"第 {row.position} 项「{row.name}」：{exc}")
                continue
        plan.append((row, have, text, note, parsed))
    if stale:
        raise StaleData("以下指标的实际值在您打开页面后已被他人修改，请刷新页面后重新填写："
                        + "、".join(stale) + "。本次未保存任何内容。")
    if errors:
        raise ServiceError("以下实际值无法识别，本次未保存任何内容：" + "；".join(errors))
    now = utcnow()
    if plan:
        _reported(db, rec)
    for row, have, text, note, parsed in plan:
        old = {"text": have.text, "note": have.note} if have else None
        if have is not None and not text:
            db.delete(have)
            db.flush()
            record(db, actor_id=actor_id, action="remove_actual", entity="target_actual", entity_id=have.id,
                   old=dict(old, table=rec.id, position=row.position, checkpoint=kind))
            continue
        if have is None:
            have = TargetActual(table_id=rec.id, position=row.position, checkpoint=kind, text=text, parsed=parsed,
                                note=note, entered_by_id=actor_id, entered_at=now)
        else:
            have.text, have.parsed, have.note = text, parsed, note
            have.entered_by_id, have.entered_at = actor_id, now
            have.version += 1
        db.add(have)
        db.flush()
        record(db, actor_id=actor_id, action="enter_actual", entity="target_actual", entity_id=have.id, old=old,
               new={"table": rec.id, "position": row.position, "indicator": row.name, "checkpoint": kind,
                    "text": text, "note": note})
    return len(plan)


def _reported(db: Session, rec: TargetTableRecord) -> None:
    """The table's actuals or evidence change: what is kept of the table (the office's overview,
    the report files, ``app.web.targets.kept``) is to be made again."""
    rec.actuals_stamp = secrets.token_hex(16)
    db.add(rec)


# --------------------------------------------------------------------------- evidence

EVIDENCE_SUBDIR = "targets"  # under UPLOAD_FOLDER


def evidence_path(ev: TargetEvidence) -> str:
    return files.path(EVIDENCE_SUBDIR, ev.stored_name)


def evidence_of(db: Session, table_id: int) -> dict[tuple[int, str], list[TargetEvidence]]:
    out: dict[tuple[int, str], list[TargetEvidence]] = {}
    for ev in db.exec(select(TargetEvidence).where(TargetEvidence.table_id == table_id).order_by(TargetEvidence.id)):
        out.setdefault((ev.position, ev.checkpoint), []).append(ev)
    return out


def _evidence_target(db: Session, allowed_units: set[int], rec: TargetTableRecord, position: int,
                     kind: str) -> TargetRow:
    _require_reporter(allowed_units, rec)
    require_open(db, rec.year, kind)
    try:
        row = table_of(rec).row(position)
    except KeyError:
        raise ServiceError(f"指标第 {position} 项不存在，请刷新页面。") from None
    n = len(list(db.exec(select(TargetEvidence.id).where(
        TargetEvidence.table_id == rec.id, TargetEvidence.position == position, TargetEvidence.checkpoint == kind))))
    if n >= MAX_EVIDENCE_PER_ROW:
        raise ServiceError(f"每个指标每个检查点最多 {MAX_EVIDENCE_PER_ROW} 份佐证材料。")
    return row


def add_evidence_file(db: Session, *, actor_id: int, allowed_units: set[int], rec: TargetTableRecord, position: int,
                      kind: str, title: str, filename: str, stream) -> TargetEvidence:
    """A file checked by its content (the rules of ``app.services.files``: PDF, images, Office
    documents; the extension must agree; size limit EVIDENCE_MAX_MB), stored with a random name."""
    row = _evidence_target(db, allowed_units, rec, position, kind)
    upload = files.check(files.read(stream), filename)
    found = upload.kind
    stored = files.store(upload, EVIDENCE_SUBDIR)
    name = files.clean_name(filename, f"佐证材料.{found}")
    ev = TargetEvidence(table_id=rec.id, position=position, checkpoint=kind, kind="file",
                        title=((title or "").strip() or os.path.splitext(name)[0])[:200], original_name=name,
                        stored_name=stored, file_type=found, size=upload.size, sha256=upload.sha256,
                        created_by_id=actor_id)
    db.add(ev)
    _reported(db, rec)
    db.flush()
    record(db, actor_id=actor_id, action="add_evidence", entity="target_evidence", entity_id=ev.id,
           new={"table": rec.id, "position": position, "indicator": row.name, "checkpoint": kind, "file": name,
                "type": found, "size": upload.size, "sha256": ev.sha256})
    return ev


def add_evidence_link(db: Session, *, actor_id: int, allowed_units: set[int], rec: TargetTableRecord, position: int,
                      kind: str, title: str, url: str) -> TargetEvidence:
    row = _evidence_target(db, allowed_units, rec, position, kind)
    url = check_link(url)
    ev = TargetEvidence(table_id=rec.id, position=position, checkpoint=kind, kind="link",
                        title=((title or "").strip() or url)[:200], url=url, created_by_id=actor_id)
    db.add(ev)
    _reported(db, rec)
    db.flush()
    record(db, actor_id=actor_id, action="add_evidence", entity="target_evidence", entity_id=ev.id,
           new={"table": rec.id, "position": position, "indicator": row.name, "checkpoint": kind, "url": url})
    return ev


def remove_evidence(db: Session, *, actor_id: int, allowed_units: set[int], rec: TargetTableRecord,
                    ev: TargetEvidence) -> None:
    if ev.table_id != rec.id:
        raise PermissionDenied()
    _require_reporter(allowed_units, rec)
    require_open(db, rec.year, ev.checkpoint)
    old = {"table": rec.id, "position": ev.position, "checkpoint": ev.checkpoint, "title": ev.title,
           "file": ev.original_name, "url": ev.url, "sha256": ev.sha256}
    path = evidence_path(ev) if ev.kind == "file" else None
    db.delete(ev)
    _reported(db, rec)
    db.flush()
    record(db, actor_id=actor_id, action="remove_evidence", entity="target_evidence", entity_id=ev.id, old=old)
    files.remove(path)


# --------------------------------------------------------------------------- progress

def settings_of(rec: TargetTableRecord) -> TableSettings:
    """The table's judging settings (stored ones over the defaults of a unit's or a project's table)."""
    try:
        return TableSettings.from_dict(rec.settings or {}, project=bool(rec.project))
    except SettingsError:
        return TableSettings.defaults(project=bool(rec.project))


def progress(db: Session, rec: TargetTableRecord, kind: str) -> CheckpointReport:
    return checkpoint_report(table_of(rec), actual_values(db, rec, kind), kind, settings_of(rec))


@dataclass
class Standing:
    """One table's position at both checkpoints (for the office's overview)."""

    rec: TargetTableRecord
    unit: Unit
    reports: dict[str, CheckpointReport]
    table: TargetTable | None = None  # as parsed for the reports
    values: dict[str, dict[int, TargetValue]] = field(default_factory=dict)  # checkpoint -> parsed actuals

    def counts(self, kind: str) -> dict[str, int]:
        return self.reports[kind].counts

    def rate(self, kind: str) -> Decimal | None:
        """Share of indicators at green among those reported (None: nothing reported)."""
        c = self.counts(kind)
        reported = c["green"] + c["amber"] + c["red"] + c["unknown"]
        return None if reported == 0 else Decimal(c["green"]) / Decimal(reported)

    def behind(self, kind: str) -> bool:
        c = self.counts(kind)
        return bool(c["amber"] or c["red"] or c["missing"])


def _chunks(ids: list[int], size: int = 500):
    for i in range(0, len(ids), size):
        yield ids[i:i + size]


def standings(db: Session, year: int, *, unit_ids: Iterable[int] | None = None) -> list[Standing]:
    units = {u.id: u for u in db.exec(select(Unit))}
    return standings_of(db, tables_of(db, year=year, unit_ids=unit_ids), units)


def standings_of(db: Session, recs: list[TargetTableRecord], units: dict[int, Unit]) -> list[Standing]:
    """The standings of these tables (their actuals read in one query per 500 tables, not one each)."""
    by_table: dict[int, dict[str, dict[int, TargetValue]]] = {rec.id: {k: {} for k in CHECKPOINTS} for rec in recs}
    for ids in _chunks([rec.id for rec in recs]):
        q = select(TargetActual.table_id, TargetActual.position, TargetActual.checkpoint, TargetActual.parsed)
        for table_id, pos, kind, parsed in db.exec(q.where(TargetActual.table_id.in_(ids))):
            if parsed and kind in CHECKPOINTS:
                by_table[table_id][kind][pos] = value_from_dict(parsed)
    out = []
    for rec in recs:
        table = table_of(rec)
        values = by_table[rec.id]
        settings = settings_of(rec)
        reps = {kind: checkpoint_report(table, values[kind], kind, settings) for kind in CHECKPOINTS}
        out.append(Standing(rec, units[rec.unit_id], reps, table, values))
    return out


def missing_count(db: Session, rec: TargetTableRecord, kind: str) -> int:
    have = {pos for (pos, _k) in actuals_of(db, rec.id, kind)}
    return sum(1 for r in table_of(rec).rows if r.position not in have)
