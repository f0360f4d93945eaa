"""Writing user text into workbook cells without formula injection (CSV/formula injection, OWASP).

Every writer in ``app/sheets`` puts text through this module:

* a string is always stored as a string cell (``data_type = "s"``), never as a formula, even when
  it starts with ``=``;
* a string starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading
  apostrophe (``'=cmd|…`` stays visible text in Excel, LibreOffice and WPS, also after the user
  edits the cell or saves the sheet as CSV).

Readers of the product's own exports (scoring template, targets table, self-evaluation sheet)
call :func:`restore_text` so that a value survives the round trip unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from openpyxl.cell.cell import Cell
from openpyxl.worksheet.worksheet import Worksheet

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
ESCAPE = "'"


def safe_text(value: Any) -> Any:
    """``value`` with a leading apostrophe when it is a string a spreadsheet could take as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return ESCAPE + value
    return value


def restore_text(value: Any) -> Any:
    """The text :func:`safe_text` was given (the escape apostrophe removed); other values unchanged."""
    if isinstance(value, str) and value.startswith(ESCAPE) and value[1:2] and value[1:].startswith(FORMULA_TRIGGERS):
        return value[1:]
    return value


def put(cell: Cell, value: Any) -> Cell:
    """Set ``cell`` to ``value``; a string is stored as neutralised text, never as a formula."""
    cell.value = safe_text(value)
    if isinstance(value, str):
        cell.data_type = "s"
    return cell


def text_cell(ws: Worksheet, row: int, col: int, value: Any) -> Cell:
    """``ws.cell(row, col)`` set with :func:`put`."""
    return put(ws.cell(row=row, column=col), value)


def append_row(ws: Worksheet, values: Iterable[Any]) -> tuple[Cell, ...]:
    """``ws.append(values)`` with every string neutralised; returns the cells of the new row."""
    values = list(values)
    ws.append([safe_text(v) for v in values])
    row = ws[ws.max_row] if values else ()
    for cell, v in zip(row, values, strict=False):
        if isinstance(v, str):
            cell.data_type = "s"
    return tuple(row)
