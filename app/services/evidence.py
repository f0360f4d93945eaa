"""Evidence (佐证材料): files checked by their content, stored outside the web root under random
names and served only as attachments to those allowed; and links.

Files follow the rules of ``app.services.files`` (all its allowed types; the name's extension
must agree; size limit ``EVIDENCE_MAX_MB``) and are stored under ``UPLOAD_FOLDER/evidence/``.
"""

import os
from urllib.parse import urlparse

from sqlmodel import Session

from app.models import Cycle
from app.models.report import Evidence, SelfReport

from . import PermissionDenied, ServiceError, files
from .audit import record
from .reports import ensure_report, leaves_for_unit, require_editable

SUBDIR = "evidence"  # under UPLOAD_FOLDER
MAX_PER_REPORT = 200


def path_of(ev: Evidence) -> str:
    return files.path(SUBDIR, ev.stored_name)


def check_link(url: str | None) -> str:
    """A link given as evidence (also for target tables): http(s) with a host, at most 1000 characters."""
    url = (url or "").strip()
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc or len(url) > 1000:
        raise ServiceError("链接须以 http:// 或 https:// 开头，且不超过1000个字符。", field="url")
    return url


def _check_code(cycle: Cycle, unit, code: str | None) -> str | None:
    code = (code or "").strip() or None
    if code and code not in {leaf.code for leaf in leaves_for_unit(cycle, unit)}:
        raise ServiceError(f"指标「{code}」不适用于本单位。")
    return code


def _count(db: Session, report: SelfReport) -> int:
    from sqlmodel import func, select

    return db.exec(select(func.count()).select_from(Evidence).where(Evidence.report_id == report.id)).one()


def add_file(db: Session, *, actor_id: int, allowed_units: set[int], cycle: Cycle, unit, indicator_code: str | None,
             title: str, filename: str, stream) -> Evidence:
    if unit.id not in allowed_units:
        raise PermissionDenied("只能为本单位上传佐证材料。")
    from .reports import find_report

    report = find_report(db, cycle.id, unit.id)
    require_editable(db, cycle, report)
    code = _check_code(cycle, unit, indicator_code)
    upload = files.check(files.read(stream), filename)
    report = report or ensure_report(db, actor_id=actor_id, cycle=cycle, unit=unit)
    if _count(db, report) >= MAX_PER_REPORT:
        raise ServiceError(f"每份报告最多 {MAX_PER_REPORT} 份佐证材料。")
    stored = files.store(upload, SUBDIR)
    kind = upload.kind
    name = files.clean_name(filename, f"佐证材料.{kind}")
    ev = Evidence(report_id=report.id, indicator_code=code, kind="file",
                  title=((title or "").strip() or os.path.splitext(name)[0])[:200], original_name=name,
                  stored_name=stored, file_type=kind, size=upload.size, sha256=upload.sha256,
                  created_by_id=actor_id)
    db.add(ev)
    db.flush()
    record(db, actor_id=actor_id, action="add_evidence", entity="evidence", entity_id=ev.id, cycle_id=cycle.id,
           new={"unit": unit.name, "indicator": code, "file": name, "type": kind, "size": upload.size,
                "sha256": ev.sha256, "title": ev.title})
    return ev


def add_link(db: Session, *, actor_id: int, allowed_units: set[int], cycle: Cycle, unit, indicator_code: str | None,
             title: str, url: str) -> Evidence:
    if unit.id not in allowed_units:
        raise PermissionDenied("只能为本单位添加佐证材料。")
    from .reports import find_report

    report = find_report(db, cycle.id, unit.id)
    require_editable(db, cycle, report)
    code = _check_code(cycle, unit, indicator_code)
    url = check_link(url)
    report = report or ensure_report(db, actor_id=actor_id, cycle=cycle, unit=unit)
    ev = Evidence(report_id=report.id, indicator_code=code, kind="link", title=((title or "").strip() or url)[:200],
                  url=url, created_by_id=actor_id)
    db.add(ev)
    db.flush()
    record(db, actor_id=actor_id, action="add_evidence", entity="evidence", entity_id=ev.id, cycle_id=cycle.id,
           new={"unit": unit.name, "indicator": code, "url": url, "title": ev.title})
    return ev


def remove(db: Session, *, actor_id: int, allowed_units: set[int], cycle: Cycle, unit, evidence: Evidence) -> None:
    if unit.id not in allowed_units:
        raise PermissionDenied("只能删除本单位的佐证材料。")
    report = db.get(SelfReport, evidence.report_id)
    if report is None or report.unit_id != unit.id or report.cycle_id != cycle.id:
        raise PermissionDenied()
    require_editable(db, cycle, report)
    old = {"title": evidence.title, "indicator": evidence.indicator_code, "file": evidence.original_name,
           "url": evidence.url, "sha256": evidence.sha256}
    path = path_of(evidence) if evidence.kind == "file" else None
    db.delete(evidence)
    db.flush()
    record(db, actor_id=actor_id, action="remove_evidence", entity="evidence", entity_id=evidence.id,
           cycle_id=cycle.id, old=old)

    files.remove(path)


def may_download(identity, evidence: Evidence, report: SelfReport) -> bool:
    """The unit's own reporters always; once submitted, the office, scorers, leaders and the group;
    once the report is published, anyone signed in."""
    if identity is None or not getattr(identity, "is_authenticated", False):
        return False
    if report.unit_id in identity.units_for("reporter"):
        return True
    if not evidence.submitted:
        return False
    if report.published_at is not None:
        return True
    return identity.has("office", "scorer", "leader", "group")
