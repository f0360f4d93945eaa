"""Reading cell values of the scheme workbook: text, numbers, choices, yes/no, JSON, lists and
maps, each problem recorded with its sheet, row and column."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from openpyxl.utils import get_column_letter

from .layout import LIST_SEP, MAP_SEP, NO, YES, ImportProblem, fmtnum, jsonnum


class Reader:
    """Reads cell values of the workbook and collects the problems found, by sheet, row and column."""

    def __init__(self) -> None:
        self.problems: list[ImportProblem] = []
        self.bad_rows: set[tuple[str, int]] = set()
        self.bad_sheets: set[str] = set()
        # validation path → (sheet, row)
        self.locs: dict[str, tuple[str, int]] = {}

    def err(self, sheet: str | None, row: int | None, column: str | None, message: str) -> None:
        self.problems.append(ImportProblem(message=message, sheet=sheet, row=row, column=column))
        if sheet is not None:
            self.bad_sheets.add(sheet)
            if row is not None:
                self.bad_rows.add((sheet, row))

    # --- cell values

    @staticmethod
    def text(v: Any) -> str | None:
        """A text cell: None when empty; numbers read as their text; not stripped."""
        if v is None:
            return None
        if isinstance(v, datetime):
            return v.date().isoformat() if v.time() == datetime.min.time() else v.isoformat(sep=" ")
        if isinstance(v, date):
            return v.isoformat()
        if isinstance(v, bool):
            return YES if v else NO
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        s = str(v)
        return s if s.strip() else None

    def key(self, v: Any) -> str | None:
        s = self.text(v)
        return s.strip() if s is not None else None

    def number(self, v: Any, where: tuple[str, int, str], label: str, *, integer: bool = False) -> Any:
        """int/float for a number cell; ``BAD`` after reporting a problem; None when empty."""
        if v is None or (isinstance(v, str) and not v.strip()):
            return None
        if isinstance(v, bool):
            self.err(*where, f"{label}应为数字，现为「{self.text(v)}」")
            return BAD
        if isinstance(v, int):
            x = Decimal(v)
        elif isinstance(v, float):
            x = Decimal(str(v))
        else:
            try:
                x = Decimal(str(v).strip())
            except InvalidOperation:
                x = None
            if x is None or not x.is_finite():
                self.err(*where, f"{label}应为数字，现为「{str(v).strip()}」")
                return BAD
        if integer:
            if x != x.to_integral_value():
                self.err(*where, f"{label}应为整数，现为「{fmtnum(float(x))}」")
                return BAD
            return int(x)
        return jsonnum(x)

    def choice(self, v: Any, where: tuple[str, int, str], label: str, labels: Mapping[str, str]) -> Any:
        s = self.key(v)
        if s is None:
            return None
        for code, lab in labels.items():
            if s in (code, lab):
                return code
        self.err(*where, f"{label}应为{'、'.join('「' + x + '」' for x in labels.values())}之一，现为「{s}」")
        return BAD

    def yesno(self, v: Any, where: tuple[str, int, str], label: str) -> Any:
        s = self.key(v)
        if s is None:
            return None
        if s in (YES, "TRUE", "True", "true", "1"):
            return True
        if s in (NO, "FALSE", "False", "false", "0"):
            return False
        self.err(*where, f"{label}应填「是」或「否」，现为「{s}」")
        return BAD

    def json_or(self, v: Any, where: tuple[str, int, str], label: str, want: type) -> Any:
        s = self.text(v)
        if s is None:
            return None
        try:
            x = json.loads(s)
        except ValueError as exc:
            self.err(*where, f"{label}不是有效的 JSON（{_json_hint(exc)}）")
            return BAD
        if not isinstance(x, want):
            self.err(*where, f"{label}应为 JSON {'对象 {…}' if want is dict else '列表 […]'}")
            return BAD
        return x

    def str_list(self, v: Any, where: tuple[str, int, str], label: str) -> Any:
        s = self.text(v)
        if s is None:
            return None
        if s.lstrip().startswith("["):
            x = self.json_or(s, where, label, list)
            if x is not BAD and not all(isinstance(i, str) for i in x):
                self.err(*where, f"{label}的每一项应为文字")
                return BAD
            return x
        return [p.strip() for p in LIST_SEP.split(s) if p.strip()]

    def num_map(self, v: Any, where: tuple[str, int, str], label: str,
                labels: Mapping[str, str] | None = None) -> Any:
        s = self.text(v)
        if s is None:
            return None
        if s.lstrip().startswith("{"):
            return self.json_or(s, where, label, dict)
        back = {lab: code for code, lab in (labels or {}).items()}
        out: dict[str, Any] = {}
        for part in MAP_SEP.split(s):
            if not part.strip():
                continue
            m = re.match(r"^\s*(.+?)\s*[:：]\s*(.*?)\s*$", part)
            if not m:
                self.err(*where, f"{label}应写成「名称：分值」，多项用「；」分隔，「{part.strip()}」不符合")
                return BAD
            name, raw = back.get(m.group(1), m.group(1)), m.group(2)
            x = self.number(raw, where, f"{label}中「{m.group(1)}」的分值")
            if x is BAD:
                return BAD
            if x is None:
                self.err(*where, f"{label}中「{m.group(1)}」缺少分值")
                return BAD
            if name in out:
                self.err(*where, f"{label}中「{m.group(1)}」重复")
                return BAD
            out[name] = x
        return out or None

    def text_map(self, v: Any, where: tuple[str, int, str], label: str) -> Any:
        s = self.text(v)
        if s is None:
            return None
        if s.lstrip().startswith("{"):
            x = self.json_or(s, where, label, dict)
            if x is not BAD and not all(isinstance(i, str) for i in x.values()):
                self.err(*where, f"{label}的每一项应为文字")
                return BAD
            return x
        out: dict[str, str] = {}
        for line in s.split("\n"):
            if not line.strip():
                continue
            m = re.match(r"^\s*(.+?)\s*[:：](.*)$", line)
            if not m:
                self.err(*where, f"{label}应每行写成「单位：文字」，「{line.strip()[:20]}」不符合")
                return BAD
            out[m.group(1)] = m.group(2).strip()
        return out or None


class _Bad:
    def __repr__(self) -> str:
        return "<bad>"


BAD = _Bad()


def _json_hint(exc: ValueError) -> str:
    m = re.match(r"(.*): line (\d+) column (\d+)", str(exc))
    if m:
        return f"第 {m.group(2)} 行第 {m.group(3)} 个字符附近有误，请检查引号、逗号和括号"
    return "请检查引号、逗号和括号"


def header_columns(rd: Reader, ws, sheet: str, wanted: list[str]) -> dict[str, int] | None:
    """Column index (1-based) per header label, from row 1; reports missing headers."""
    found: dict[str, int] = {}
    for c in range(1, (ws.max_column or 0) + 1):
        v = ws.cell(row=1, column=c).value
        if isinstance(v, str) and v.strip():
            found.setdefault(v.strip(), c)
    missing = [h for h in wanted if h not in found]
    for h in missing:
        rd.err(sheet, 1, None, f"缺少「{h}」列（第 1 行应为列名：{'、'.join(wanted)}）")
    return None if missing else found


def data_rows(ws, start: int = 2):
    yield from range(start, (ws.max_row or 0) + 1)


def col_letter(col: int) -> str:
    return get_column_letter(col)
