"""Uploaded files, the one low-level helper behind self-report evidence (``evidence``),
target-table evidence (``targets``) and award / excellence / veto files (``attachments``).

A file is checked by its content (its first bytes; the name's extension must agree), limited in
size (``EVIDENCE_MAX_MB`` in the app config, default 10), stored under
``UPLOAD_FOLDER/<subdir>/`` with a random name and served only as an attachment.

Allowed types, recognised by content: PDF, PNG, JPEG, Word .docx / Excel .xlsx (a zip with
``[Content_Types].xml`` and ``word/document.xml`` / ``xl/workbook.xml``), legacy Word .doc /
Excel .xls (OLE compound file). A caller may accept a subset (``kinds``). Office files also pass
the importers' container checks (inflation, entry count, paths, encryption) and carry no macros,
ActiveX, external links or remote template; a PDF or an image carries no HTML or script in its
first KB (``content_problem``). A refused file is never written.

The callers keep their own tables, permission checks, audit entries and messages; a caller with
its own wording passes ``messages`` (the keys of ``MESSAGES``, formatted with ``name``, ``mb``,
``allowed``, ``label`` and ``ext``).
"""

import functools
import hashlib
import io
import os
import re
import secrets
import shutil
import time
import zipfile
from dataclasses import dataclass

from flask import abort, current_app, has_request_context, send_file

from . import ServiceError

ALLOWED_TYPES = {"pdf": "PDF", "png": "PNG 图片", "jpg": "JPG 图片", "docx": "Word 文档", "xlsx": "Excel 工作簿",
                 "doc": "Word 97-2003 文档", "xls": "Excel 97-2003 工作簿"}
MIME_TYPES = {"pdf": "application/pdf", "png": "image/png", "jpg": "image/jpeg",
              "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
              "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
              "doc": "application/msword", "xls": "application/vnd.ms-excel"}
EXTENSION_ALIASES = {"jpeg": "jpg"}
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
DEFAULT_MAX_MB = 10

MESSAGES = {
    "empty": "请选择要上传的文件（文件不能为空）。",
    "too_large": "文件过大：上限 {mb} MB。",
    "type": "不支持的文件类型（按文件内容识别）。允许：{allowed}。",
    "mismatch": "文件内容（{label}）与扩展名「.{ext}」不符。",
    "unsafe": "文件「{name}」未通过安全检查：{problem}。未保存任何内容。",
}


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


def extension(filename: str) -> str:
    """The name's extension, lower case, without the dot (``jpeg`` read as ``jpg``)."""
    ext = os.path.splitext(filename or "")[1].lower().lstrip(".")
    return EXTENSION_ALIASES.get(ext, ext)


def clean_name(filename: str, default: str, limit: int = 255) -> str:
    """The base name the browser sent (no folders), cut to ``limit``; ``default`` when empty."""
    return os.path.basename((filename or "").replace("\\", "/"))[:limit] or default


@dataclass(frozen=True)
class Upload:
    """A checked file, not stored yet."""

    data: bytes
    kind: str
    filename: str

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def mime(self) -> str:
        return MIME_TYPES[self.kind]

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def read(stream) -> bytes:
    """At most one byte more than the limit, so that ``check`` can tell a file that is too large."""
    return stream.read(max_bytes() + 1)


def check(data: bytes, filename: str, *, kinds=None, field: str = "file", messages: dict | None = None) -> Upload:
    """``data`` as an ``Upload`` when it is not empty, within the size limit, of an allowed type
    (``kinds``, default all of ``ALLOWED_TYPES``) by content and the extension agrees; otherwise
    ``ServiceError`` on ``field``."""
    msg = {**MESSAGES, **(messages or {})}
    kinds = tuple(kinds or ALLOWED_TYPES)
    if not data:
        raise ServiceError(msg["empty"].format(name=filename), field=field)
    limit = max_bytes()
    if len(data) > limit:
        raise ServiceError(msg["too_large"].format(name=filename, mb=limit // (1024 * 1024)), field=field)
    declared = extension(filename)
    kind = sniff(data, declared)
    if kind not in kinds:
        allowed = "、".join(sorted({k.upper() for k in kinds}))
        raise ServiceError(msg["type"].format(name=filename, allowed=allowed), field=field)
    if declared != kind and not (declared in ("doc", "xls") and kind in ("doc", "xls")):
        raise ServiceError(msg["mismatch"].format(name=filename, label=ALLOWED_TYPES[kind], ext=declared or "无"),
                           field=field)
    problem = content_problem(data, kind)
    if problem:
        raise ServiceError(msg["unsafe"].format(name=filename, problem=problem), field=field)
    return Upload(data=data, kind=kind, filename=filename)


# Markup a browser would act on, in the first bytes of a PDF or an image (a polyglot)
_MARKUP = re.compile(rb"<\s*(html|script|body|head|iframe|svg|object|embed|meta|!doctype)\b|javascript:", re.I)
SNIFF_BYTES = 1024


def content_problem(data: bytes, kind: str) -> str | None:
    """Why a file of an allowed type must still be refused (Chinese), or None.

    Office files get the importers' container checks and no macros, ActiveX, external links or
    remote templates (``app.sheets.safety.check_office_document``); a PDF or an image must not carry
    HTML or script in its first KB, where browsers sniff (a PDF/HTML polyglot)."""
    from app.sheets.safety import Limits, UnsafeWorkbook, check_office_document

    if kind in ("docx", "xlsx", "doc", "xls"):
        try:
            check_office_document(data, kind, limits=Limits(max_file_size=max(len(data), 1)))
        except UnsafeWorkbook as exc:
            return str(exc)
        return None
    if _MARKUP.search(data[:SNIFF_BYTES]):
        return "文件开头含有网页或脚本代码（疑似伪装文件）"
    return None


APP_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@functools.cache
def code_fingerprint() -> str:
    """Names, sizes and modification times of the application's code, templates and styles, hashed:
    what is kept under :func:`cache_folder` was made by this code, never by the previous deploy's."""
    h = hashlib.sha256()
    for where, dirs, names in os.walk(APP_ROOT):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(names):
            if name.endswith((".py", ".html", ".css")):
                p = os.path.join(where, name)
                st = os.stat(p)
                h.update(f"{os.path.relpath(p, APP_ROOT)}:{st.st_size}:{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:16]


def cache_folder(kind: str) -> str:
    """``INSTANCE/cache/<kind>/<code fingerprint>``: where pages and downloads built once are kept
    (the results exports, the target tables' parts and reports), shared by the workers and kept
    across restarts; the folders of other code are removed. The whole ``cache`` folder may be
    deleted at any time. Created if it can be; when it cannot, callers build for each request."""
    root = os.path.join(current_app.instance_path, "cache", kind)
    path = os.path.join(root, code_fingerprint())
    if not os.path.isdir(path):
        try:
            os.makedirs(path, exist_ok=True)
            for name in os.listdir(root):  # kept by other code
                if name != code_fingerprint():
                    shutil.rmtree(os.path.join(root, name), ignore_errors=True)
        except OSError:
            pass
    return path


def write_atomic(path: str, data: bytes) -> None:
    """Write ``path`` under a temporary name, then rename it: a reader (another worker) sees the
    old file or the whole new one, never half of it. Raises OSError (the temporary file removed)."""
    tmp = f"{path}.{secrets.token_hex(6)}.tmp"
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except OSError:
        try:
            os.remove(tmp)
        except OSError:
            pass
        raise


KEPT_PER_KIND = 24


def kept(kind: str, key, build) -> bytes:
    """The bytes ``build()`` returns for ``key`` (anything with a stable ``repr``: the rows a
    download is made of), kept in :func:`cache_folder` ``(kind)`` under a digest of ``key``, so the
    same download asked for again, by any worker, is read instead of built (an openpyxl workbook
    of 3,000 rows takes a quarter of a second to write). Content-addressed: changed rows are a new
    key and nothing needs invalidating; the oldest files beyond :data:`KEPT_PER_KIND` are removed.
    Where the folder cannot be written, it simply builds."""
    folder_path = cache_folder(kind)
    path = os.path.join(folder_path, hashlib.sha256(repr(key).encode()).hexdigest()[:40])
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError:
        pass
    data = build()
    try:
        write_atomic(path, data)
        _prune(folder_path, KEPT_PER_KIND)
    except OSError:
        pass
    return data


def _prune(folder_path: str, keep: int) -> None:
    try:
        names = [n for n in os.listdir(folder_path) if not n.endswith(".tmp")]
        if len(names) <= keep:
            return
        aged = sorted(names, key=lambda n: os.stat(os.path.join(folder_path, n)).st_mtime_ns)
        for name in aged[:len(names) - keep]:
            os.remove(os.path.join(folder_path, name))
    except OSError:  # another worker pruned the same file first
        pass


def folder(subdir: str) -> str:
    path = os.path.join(current_app.config["UPLOAD_FOLDER"], subdir)
    os.makedirs(path, exist_ok=True)
    return path


def store(upload: Upload, subdir: str) -> str:
    """Write the file under ``UPLOAD_FOLDER/<subdir>/`` with a new random name; that name."""
    stored = secrets.token_hex(16) + "." + upload.kind
    with open(os.path.join(folder(subdir), stored), "xb") as fh:
        fh.write(upload.data)
    return stored


def path(subdir: str, stored_name: str | None) -> str:
    """Where a stored file is; a name that could leave the folder is refused."""
    if not stored_name or "/" in stored_name or "\\" in stored_name or stored_name.startswith("."):
        raise ServiceError("文件不存在。")
    return os.path.join(folder(subdir), stored_name)


def open_for_download(subdir: str, stored_name: str | None, download_name: str):
    """The response serving a stored file as an attachment the browser will not render; 404 when
    the file is gone."""
    try:
        where = path(subdir, stored_name)
    except ServiceError:
        abort(404)
    if not os.path.exists(where):
        abort(404)
    resp = send_file(where, as_attachment=True, download_name=download_name, mimetype="application/octet-stream",
                     max_age=0)
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Content-Security-Policy"] = "default-src 'none'; sandbox; frame-ancestors 'none'"
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


def remove(file_path: str | None) -> None:
    """Delete a stored file once the request's transaction has committed (outside a request:
    never, the caller's transaction may still roll back)."""
    if not file_path:
        return

    def _unlink():
        if os.path.exists(file_path):
            os.remove(file_path)

    if has_request_context():
        from app.extensions import after_commit

        after_commit(_unlink)


# ---------------------------------------------------------------- uploads waiting for a confirmation
PENDING_MAX_AGE = 24 * 3600


def keep_pending(subdir: str, data: bytes, ext: str = "xlsx") -> str:
    """Keep an uploaded file under ``UPLOAD_FOLDER/<subdir>/pending`` until the user confirms its
    preview; return the random token naming it. Files older than a day are removed on the way."""
    folder_ = folder(os.path.join(subdir, "pending"))
    now = time.time()
    for name in os.listdir(folder_):
        try:
            if now - os.path.getmtime(os.path.join(folder_, name)) > PENDING_MAX_AGE:
                os.remove(os.path.join(folder_, name))
        except OSError:
            pass
    token = secrets.token_hex(16)
    with open(os.path.join(folder_, f"{token}.{ext}"), "xb") as fh:
        fh.write(data)
    return token


def _pending_path(subdir: str, token: str, ext: str) -> str | None:
    if not token or not token.isalnum() or len(token) > 64:
        return None
    return os.path.join(folder(os.path.join(subdir, "pending")), f"{token}.{ext}")


def read_pending(subdir: str, token: str, ext: str = "xlsx") -> bytes | None:
    path = _pending_path(subdir, token, ext)
    try:
        with open(path, "rb") as fh:  # type: ignore[arg-type]
            return fh.read()
    except (OSError, TypeError):
        return None


def drop_pending(subdir: str, token: str, ext: str = "xlsx") -> None:
    path = _pending_path(subdir, token, ext)
    if path:
        try:
            os.remove(path)
        except OSError:
            pass
