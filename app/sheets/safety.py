"""Safety checks for uploaded .xlsx files, before and after openpyxl loads them.

Every importer should go through ``load_workbook_safely`` (or call ``check_xlsx`` first):

* the file must be a zip archive with ``xl/workbook.xml`` (not a renamed .xls, not encrypted);
* at most ``max_entries`` entries, no absolute or ``..`` entry names;
* total uncompressed size at most ``max_total_size``, each entry at most ``max_entry_size``;
* no entry (of meaningful size) compresses better than ``max_ratio`` : 1 (zip bombs);
* after loading, each worksheet's ``max_row`` / ``max_column`` within limits (a forged
  ``<dimension>`` or a stray cell at XFD1048576 would make iteration explode) — see
  ``check_worksheet_size``, which importers call per sheet so one oversized sheet does not
  stop the others.

Office files that are stored and handed on (evidence, award files) go through
``check_office_document``: the same container checks, and no macros, ActiveX, external links or
remote templates.

Entity bombs are rejected by openpyxl itself when defusedxml is installed (it is pinned).
Messages are Chinese and say what is wrong.
"""

from __future__ import annotations

import io
import os
import zipfile
from dataclasses import dataclass
from typing import IO, Any

__all__ = ["Limits", "UnsafeWorkbook", "check_office_document", "check_worksheet_size", "check_xlsx",
           "load_workbook_safely"]


class UnsafeWorkbook(ValueError):
    """The upload is not a readable or safe .xlsx. ``str(err)`` is a Chinese message."""


@dataclass(frozen=True)
class Limits:
    max_file_size: int = 20 * 1024 * 1024
    max_entries: int = 2_000
    max_total_size: int = 200 * 1024 * 1024
    max_entry_size: int = 100 * 1024 * 1024
    max_ratio: int = 200
    ratio_floor: int = 1024 * 1024  # entries smaller than this uncompressed are not ratio-checked
    max_rows: int = 20_000
    max_columns: int = 300


DEFAULT_LIMITS = Limits()

Source = str | os.PathLike[str] | bytes | IO[bytes]


def _as_bytes(source: Source, limits: Limits) -> bytes:
    if isinstance(source, bytes | bytearray):
        data = bytes(source)
    elif isinstance(source, str | os.PathLike):
        try:
            size = os.path.getsize(source)
        except OSError as exc:
            raise UnsafeWorkbook(f"无法打开文件「{os.fspath(source)}」：{exc.strerror or exc}") from exc
        if size > limits.max_file_size:
            raise UnsafeWorkbook(f"文件过大（{size} 字节，上限 {limits.max_file_size} 字节）")
        with open(source, "rb") as fh:
            data = fh.read()
    else:
        data = source.read(limits.max_file_size + 1)
    if len(data) > limits.max_file_size:
        raise UnsafeWorkbook(f"文件过大（上限 {limits.max_file_size} 字节）")
    return data


def _check_container(data: bytes, limits: Limits, what: str) -> set[str]:
    """The zip checks shared by importers and stored documents: entries, paths, encryption,
    inflation. Returns the entry names. Raises ``UnsafeWorkbook``."""
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise UnsafeWorkbook(f"文件不是有效的 {what}（不是 zip 压缩包）")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UnsafeWorkbook(f"文件不是有效的 {what}（压缩包损坏：{exc}）") from exc
    if len(infos) > limits.max_entries:
        raise UnsafeWorkbook(f"压缩包内文件过多（{len(infos)} 个，上限 {limits.max_entries} 个）")
    noun = "工作簿" if what == ".xlsx" else "文件"
    total = 0
    names = set()
    for info in infos:
        name = info.filename
        names.add(name)
        if name.startswith(("/", "\\")) or ".." in name.replace("\\", "/").split("/"):
            raise UnsafeWorkbook(f"压缩包内含有不安全的路径「{name}」")
        if info.flag_bits & 0x1:
            raise UnsafeWorkbook(f"{noun}已加密，请取消密码后重试")
        if info.file_size > limits.max_entry_size:
            raise UnsafeWorkbook(f"压缩包内文件「{name}」解压后过大（{info.file_size} 字节）")
        total += info.file_size
        if total > limits.max_total_size:
            raise UnsafeWorkbook(f"{noun}解压后总大小超过上限 {limits.max_total_size} 字节，疑似压缩炸弹")
        if info.file_size >= limits.ratio_floor:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > limits.max_ratio:
                raise UnsafeWorkbook(f"压缩包内文件「{name}」压缩比异常（{ratio:.0f}:1），疑似压缩炸弹")
    return names


def check_xlsx(source: Source, *, limits: Limits = DEFAULT_LIMITS) -> bytes:
    """Check the zip container of an .xlsx; return its bytes. Raises ``UnsafeWorkbook``."""
    data = _as_bytes(source, limits)
    if data[:4] == b"\xd0\xcf\x11\xe0":
        raise UnsafeWorkbook("文件不是 .xlsx：可能是旧版 .xls 或已加密的工作簿，请另存为 .xlsx 后重试")
    names = _check_container(data, limits, ".xlsx")
    if "xl/workbook.xml" not in names:
        raise UnsafeWorkbook("文件不是有效的 .xlsx：缺少 xl/workbook.xml")
    return data


OFFICE_PARTS = {"xlsx": "xl/workbook.xml", "docx": "word/document.xml"}
_OLE_VBA = "_VBA_PROJECT".encode("utf-16-le")  # the VBA storage's stream name in .doc / .xls


def check_office_document(data: bytes, kind: str, *, limits: Limits = DEFAULT_LIMITS) -> None:
    """Checks for an Office file that is stored and handed to other people (evidence, award files):
    the importers' container checks (entries, paths, encryption, inflation) and, stricter, no
    macros (``vbaProject.bin``, a macro-enabled content type, ActiveX controls, a VBA storage in a
    .doc / .xls), no external workbook links (``xl/externalLinks/``) and no remote template.
    ``kind`` is ``xlsx``, ``docx``, ``xls`` or ``doc``. Raises ``UnsafeWorkbook`` (Chinese)."""
    if len(data) > limits.max_file_size:
        raise UnsafeWorkbook(f"文件过大（上限 {limits.max_file_size} 字节）")
    if kind in ("doc", "xls"):
        if _OLE_VBA in data:
            raise UnsafeWorkbook("文件含有宏（VBA），不能上传；请另存为不含宏的文档后重试")
        return
    what = {"xlsx": ".xlsx", "docx": ".docx"}[kind]
    names = _check_container(data, limits, what)
    if OFFICE_PARTS[kind] not in names:
        raise UnsafeWorkbook(f"文件不是有效的 {what}：缺少 {OFFICE_PARTS[kind]}")
    lower = {n.lower() for n in names}
    if any(n.endswith("vbaproject.bin") or n.endswith("vbadata.xml") for n in lower):
        raise UnsafeWorkbook("文件含有宏（vbaProject.bin），不能上传；请另存为不含宏的 " + what + " 后重试")
    if any(n.startswith(("xl/activex/", "word/activex/")) for n in lower):
        raise UnsafeWorkbook("文件含有 ActiveX 控件，不能上传")
    if any(n.startswith("xl/externallinks/") for n in lower):
        raise UnsafeWorkbook("工作簿含有指向其他文件的外部链接（externalLinks），不能上传；请删除外部链接后重试")
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        types = zf.read("[Content_Types].xml")[:200_000].lower() if "[Content_Types].xml" in names else b""
        if b"macroenabled" in types or b"vbaproject" in types:
            raise UnsafeWorkbook("文件是启用宏的文档，不能上传；请另存为不含宏的 " + what + " 后重试")
        rels = "word/_rels/settings.xml.rels"
        if kind == "docx" and rels in names:
            text = zf.read(rels)[:200_000].lower()
            if b"attachedtemplate" in text and b'targetmode="external"' in text:
                raise UnsafeWorkbook("文档引用了外部模板，不能上传；请另存为普通 .docx 后重试")


def check_worksheet_size(ws: Any, *, limits: Limits = DEFAULT_LIMITS) -> str | None:
    """A Chinese message when a loaded worksheet is implausibly large, else None."""
    rows, cols = ws.max_row or 0, ws.max_column or 0
    if rows > limits.max_rows or cols > limits.max_columns:
        return (f"工作表「{ws.title}」范围过大（{rows} 行 × {cols} 列，上限 {limits.max_rows} 行 × "
                f"{limits.max_columns} 列），已跳过")
    return None


def load_workbook_safely(source: Source, *, data_only: bool = True, limits: Limits = DEFAULT_LIMITS):
    """Check, then load with openpyxl (normal mode: merged cells are needed). Raises ``UnsafeWorkbook``."""
    import openpyxl  # local: keep import-time light for callers that only check

    data = check_xlsx(source, limits=limits)
    try:
        return openpyxl.load_workbook(io.BytesIO(data), data_only=data_only)
    except Exception as exc:  # openpyxl raises many types for malformed parts
        raise UnsafeWorkbook(f"工作簿无法读取：{type(exc).__name__}: {exc}") from exc
