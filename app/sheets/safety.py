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

Entity bombs are rejected by openpyxl itself when defusedxml is installed (it is pinned).
Messages are Chinese and say what is wrong.
"""

from __future__ import annotations

import io
import os
import zipfile
from dataclasses import dataclass
from typing import IO, Any

__all__ = ["Limits", "UnsafeWorkbook", "check_worksheet_size", "check_xlsx", "load_workbook_safely"]


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


def check_xlsx(source: Source, *, limits: Limits = DEFAULT_LIMITS) -> bytes:
    """Check the zip container of an .xlsx; return its bytes. Raises ``UnsafeWorkbook``."""
    data = _as_bytes(source, limits)
    if data[:4] == b"\xd0\xcf\x11\xe0":
        raise UnsafeWorkbook("文件不是 .xlsx：可能是旧版 .xls 或已加密的工作簿，请另存为 .xlsx 后重试")
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise UnsafeWorkbook("文件不是有效的 .xlsx（不是 zip 压缩包）")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UnsafeWorkbook(f"文件不是有效的 .xlsx（压缩包损坏：{exc}）") from exc
    if len(infos) > limits.max_entries:
        raise UnsafeWorkbook(f"压缩包内文件过多（{len(infos)} 个，上限 {limits.max_entries} 个）")
    total = 0
    names = set()
    for info in infos:
        name = info.filename
        names.add(name)
        if name.startswith(("/", "\\")) or ".." in name.replace("\\", "/").split("/"):
            raise UnsafeWorkbook(f"压缩包内含有不安全的路径「{name}」")
        if info.flag_bits & 0x1:
            raise UnsafeWorkbook("工作簿已加密，请取消密码后重试")
        if info.file_size > limits.max_entry_size:
            raise UnsafeWorkbook(f"压缩包内文件「{name}」解压后过大（{info.file_size} 字节）")
        total += info.file_size
        if total > limits.max_total_size:
            raise UnsafeWorkbook(f"工作簿解压后总大小超过上限 {limits.max_total_size} 字节")
        if info.file_size >= limits.ratio_floor:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > limits.max_ratio:
                raise UnsafeWorkbook(f"压缩包内文件「{name}」压缩比异常（{ratio:.0f}:1），疑似压缩炸弹")
    if "xl/workbook.xml" not in names:
        raise UnsafeWorkbook("文件不是有效的 .xlsx：缺少 xl/workbook.xml")
    return data


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
