"""Evidence (佐证材料): files checked by their content, stored outside the web root under random
names and served only as attachments to those allowed; and links.

Allowed file types, recognised by their first bytes (the name's extension must agree):
PDF, PNG, JPEG, Word .docx / Excel .xlsx (a zip with ``[Content_Types].xml`` and
``word/document.xml`` / ``xl/workbook.xml``), legacy Word .doc / Excel .xls (OLE compound file).
"""

import hashlib
import io
import os
import secrets
import zipfile
from urllib.parse import urlparse

from flask import current_app, has_request_context
from sqlmodel import Session

from app.models import Cycle
from app.models.report import Evidence, SelfReport

from . import PermissionDenied, ServiceError
from .audit import record
from .reports import _editable, ensure_report, leaves_for_unit

ALLOWED_TYPES = {"pdf": "PDF", "png": "PNG 图片", "jpg": "JPG 图片", "docx": "Word 文档", "xlsx": "Excel 工作簿",
                 "doc": "Word 97-2003 文档", "xls": "Excel 97-2003 工作簿"}
EXTENSION_ALIASES = {"jpeg": "jpg"}
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
DEFAULT_MAX_MB = 10
MAX_PER_REPORT = 200


def max_bytes() -> int:
    mb = current_app.config.get("EVIDENCE_MAX_MB", DEFAULT_MAX_MB)
    return int(mb) * 1024 * 1024


def sniff(data: bytes, declared_ext: str = "") -> str | None:
    """The allowed type the content really is, or None."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data.startswith(OLE_MAGIC):
        return declared_ext if declared_ext in ("doc", "xls") else "doc"
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                names = set(zf.namelist())
        except (zipfile.BadZipFile, OSError, ValueError):
            return None
        if "[Content_Types].xml" not in names:
            return None
        if "word/document.xml" in names:
            return "docx"
        if "xl/workbook.xml" in names:
            return "xlsx"
    return None


def _ext(filename: str) -> str:
    ext = os.path.splitext(filename or "")[1].lower().lstrip(".")
    return EXTENSION_ALIASES.get(ext, ext)


def storage_dir() -> str:
    path = os.path.join(current_app.config["UPLOAD_FOLDER"], "evidence")
    os.makedirs(path, exist_ok=True)
    return path


def path_of(ev: Evidence) -> str:
    if not ev.stored_name or "/" in ev.stored_name or "\\" in ev.stored_name or ev.stored_name.startswith("."):
        raise ServiceError("文件不存在。")
    return os.path.join(storage_dir(), ev.stored_name)


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
    _editable(db, cycle, report)
    code = _check_code(cycle, unit, indicator_code)
    limit = max_bytes()
    data = stream.read(limit + 1)
    if not data:
        raise ServiceError("请选择要上传的文件（文件不能为空）。", field="file")
    if len(data) > limit:
        raise ServiceError(f"文件过大：上限 {limit // (1024 * 1024)} MB。", field="file")
    declared = _ext(filename)
    kind = sniff(data, declared)
    allowed = "、".join(sorted({k.upper() for k in ALLOWED_TYPES}))
    if kind is None:
        raise ServiceError(f"不支持的文件类型（按文件内容识别）。允许：{allowed}。", field="file")
    if declared != kind and not (declared in ("doc", "xls") and kind in ("doc", "xls")):
        raise ServiceError(f"文件内容（{ALLOWED_TYPES[kind]}）与扩展名「.{declared or '无'}」不符。", field="file")
    report = report or ensure_report(db, actor_id=actor_id, cycle=cycle, unit=unit)
    if _count(db, report) >= MAX_PER_REPORT:
        raise ServiceError(f"每份报告最多 {MAX_PER_REPORT} 份佐证材料。")
    stored = secrets.token_hex(16) + "." + kind
    with open(os.path.join(storage_dir(), stored), "xb") as fh:
        fh.write(data)
    name = os.path.basename((filename or "").replace("\\", "/"))[:255] or f"佐证材料.{kind}"
    ev = Evidence(report_id=report.id, indicator_code=code, kind="file",
                  title=((title or "").strip() or os.path.splitext(name)[0])[:200], original_name=name,
                  stored_name=stored, file_type=kind, size=len(data), sha256=hashlib.sha256(data).hexdigest(),
                  created_by_id=actor_id)
    db.add(ev)
    db.flush()
    record(db, actor_id=actor_id, action="add_evidence", entity="evidence", entity_id=ev.id, cycle_id=cycle.id,
           new={"unit": unit.name, "indicator": code, "file": name, "type": kind, "size": len(data),
                "sha256": ev.sha256, "title": ev.title})
    return ev


def add_link(db: Session, *, actor_id: int, allowed_units: set[int], cycle: Cycle, unit, indicator_code: str | None,
             title: str, url: str) -> Evidence:
    if unit.id not in allowed_units:
        raise PermissionDenied("只能为本单位添加佐证材料。")
    from .reports import find_report

    report = find_report(db, cycle.id, unit.id)
    _editable(db, cycle, report)
    code = _check_code(cycle, unit, indicator_code)
    url = (url or "").strip()
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc or len(url) > 1000:
        raise ServiceError("链接须以 http:// 或 https:// 开头，且不超过1000个字符。", field="url")
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
    _editable(db, cycle, report)
    old = {"title": evidence.title, "indicator": evidence.indicator_code, "file": evidence.original_name,
           "url": evidence.url, "sha256": evidence.sha256}
    path = path_of(evidence) if evidence.kind == "file" else None
    db.delete(evidence)
    db.flush()
    record(db, actor_id=actor_id, action="remove_evidence", entity="evidence", entity_id=evidence.id,
           cycle_id=cycle.id, old=old)

    def _unlink():
        if path and os.path.exists(path):
            os.remove(path)

    if has_request_context():
        from app.extensions import after_commit

        after_commit(_unlink)


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
