"""Evidence files of award and excellence applications and vetoes (the ``attached_file`` table).
Files follow the rules of ``app.services.files`` (PDF, PNG, JPG, Word .docx and Excel .xlsx only;
the name's extension must agree; size limit ``EVIDENCE_MAX_MB``) and are stored under
``UPLOAD_FOLDER/attached/`` with random names and served only as attachments.
"""

from sqlmodel import Session, select

from app.models.award import AttachedFile

from . import ServiceError, files
from .audit import record

SUBDIR = "attached"  # under UPLOAD_FOLDER
KINDS = ("pdf", "png", "jpg", "docx", "xlsx")
MAX_FILES = 10
MESSAGES = {
    "empty": "上传的文件是空的。",
    "too_large": "文件「{name}」超过 {mb} MB。",
    "type": "文件「{name}」的类型不允许，只接受 PDF、PNG、JPG、Word（docx）、Excel（xlsx）。",
    "mismatch": "文件「{name}」的内容（{label}）与扩展名「.{ext}」不符。",
}


def files_of(db: Session, owner: str, owner_id: int) -> list[AttachedFile]:
    return list(db.exec(select(AttachedFile).where(AttachedFile.owner == owner, AttachedFile.owner_id == owner_id)
                        .order_by(AttachedFile.id)))


def attach(db: Session, *, actor_id: int, owner: str, owner_id: int, cycle_id: int, filename: str,
           data: bytes) -> AttachedFile:
    upload = files.check(data, filename, kinds=KINDS, field="files", messages=MESSAGES)
    if len(files_of(db, owner, owner_id)) >= MAX_FILES:
        raise ServiceError(f"每项最多上传 {MAX_FILES} 个文件。", field="files")
    stored = files.store(upload, SUBDIR)
    name = files.clean_name(filename, f"文件.{upload.kind}", limit=200)
    row = AttachedFile(owner=owner, owner_id=owner_id, cycle_id=cycle_id, original_name=name, stored_name=stored,
                       content_type=upload.mime, size=upload.size, sha256=upload.sha256, uploaded_by_id=actor_id)
    db.add(row)
    db.flush()
    record(db, actor_id=actor_id, action="attach", entity=f"{owner}_file", entity_id=row.id, cycle_id=cycle_id,
           new={"owner_id": owner_id, "name": name, "size": upload.size, "sha256": row.sha256})
    return row


def remove(db: Session, *, actor_id: int, row: AttachedFile) -> None:
    record(db, actor_id=actor_id, action="detach", entity=f"{row.owner}_file", entity_id=row.id, cycle_id=row.cycle_id,
           old={"owner_id": row.owner_id, "name": row.original_name, "sha256": row.sha256})
    db.delete(row)
    db.flush()  # the stored file is kept: the audit trail names it by its hash


def path_of(row: AttachedFile) -> str:
    return files.path(SUBDIR, row.stored_name)
