"""Evidence files of award and excellence applications and vetoes (a small local helper; the
self-report's ``evidence`` service has its own). Files are checked by content, limited in
size, stored under ``UPLOAD_FOLDER/attached/`` with random names and served only as attachments.
"""

import hashlib
import io
import os
import secrets
import zipfile

from flask import current_app
from sqlmodel import Session, select

from app.models.award import AttachedFile

from . import ServiceError
from .audit import record

ALLOWED = {"pdf": "application/pdf", "png": "image/png", "jpg": "image/jpeg",
           "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
MAX_FILES = 10


def sniff(data: bytes) -> str | None:
    """The file type by content (not by name), or None when it is not allowed."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                names = z.namelist()
        except zipfile.BadZipFile:
            return None
        if any(n.startswith("word/") for n in names):
            return "docx"
        if any(n.startswith("xl/") for n in names):
            return "xlsx"
    return None


def folder() -> str:
    path = os.path.join(current_app.config["UPLOAD_FOLDER"], "attached")
    os.makedirs(path, exist_ok=True)
    return path


def files_of(db: Session, owner: str, owner_id: int) -> list[AttachedFile]:
    return list(db.exec(select(AttachedFile).where(AttachedFile.owner == owner, AttachedFile.owner_id == owner_id)
                        .order_by(AttachedFile.id)))


def attach(db: Session, *, actor_id: int, owner: str, owner_id: int, cycle_id: int, filename: str,
           data: bytes) -> AttachedFile:
    if not data:
        raise ServiceError("上传的文件是空的。", field="files")
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if len(data) > limit:
        raise ServiceError(f"文件「{filename}」超过 {limit // (1024 * 1024)} MB。", field="files")
    kind = sniff(data)
    if kind is None:
        raise ServiceError(f"文件「{filename}」的类型不允许，只接受 PDF、PNG、JPG、Word（docx）、Excel（xlsx）。",
                           field="files")
    if len(files_of(db, owner, owner_id)) >= MAX_FILES:
        raise ServiceError(f"每项最多上传 {MAX_FILES} 个文件。", field="files")
    stored = secrets.token_hex(16) + "." + kind
    with open(os.path.join(folder(), stored), "xb") as fh:
        fh.write(data)
    name = os.path.basename((filename or "").replace("\\", "/"))[:200] or f"文件.{kind}"
    row = AttachedFile(owner=owner, owner_id=owner_id, cycle_id=cycle_id, original_name=name, stored_name=stored,
                       content_type=ALLOWED[kind], size=len(data), sha256=hashlib.sha256(data).hexdigest(),
                       uploaded_by_id=actor_id)
    db.add(row)
    db.flush()
    record(db, actor_id=actor_id, action="attach", entity=f"{owner}_file", entity_id=row.id, cycle_id=cycle_id,
           new={"owner_id": owner_id, "name": name, "size": len(data), "sha256": row.sha256})
    return row


def remove(db: Session, *, actor_id: int, row: AttachedFile) -> None:
    record(db, actor_id=actor_id, action="detach", entity=f"{row.owner}_file", entity_id=row.id, cycle_id=row.cycle_id,
           old={"owner_id": row.owner_id, "name": row.original_name, "sha256": row.sha256})
    db.delete(row)
    db.flush()  # the stored file is kept: the audit trail names it by its hash


def path_of(row: AttachedFile) -> str:
    return os.path.join(folder(), row.stored_name)
