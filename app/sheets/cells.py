"""Writing user text into workbook cells without formula injection (CSV/formula injection, OWASP).

Every writer in ``app/sheets`` puts text through this module:

* a string is always stored as a string cell (``data_type = "s"``), never as a formula, even when
  it starts with ``=``;
* a string starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading
  apostrophe (``'=cmd|…`` stays visible text in Excel, LibreOffice and WPS, also after the user
  edits the cell or saves the sheet as CSV).

Readers of the product's own exports (scoring template, targets table, self-evaluation sheet)
call :func:`restore_text` so that a value survives the round trip unchanged.

Large sheets (the results workbook's 50,000-line indicator sheet) use :class:`FastRows`: the same
cells, neutralised the same way, written as worksheet XML directly instead of one openpyxl cell
object each (openpyxl takes about 10 µs a cell to create, style and serialise); :func:`save` puts
them into the saved file.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.compat import safe_string
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import IllegalCharacterError
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
    # the row ``append`` just wrote (``ws.max_row`` would scan every cell of the sheet, each time)
    row = [ws.cell(row=ws._current_row, column=i) for i in range(1, len(values) + 1)]
    for cell, v in zip(row, values, strict=False):
        if isinstance(v, str):
            cell.data_type = "s"
    return tuple(row)


# ---------------------------------------------------------------------------- large sheets

_DIMENSION = re.compile(rb'<dimension ref="[^"]*"/>')
# not allowed in XML 1.0 either (openpyxl's check leaves them to lxml, which refuses them)
_NOT_XML = re.compile("[\ufffe\uffff]")


def _text_xml(value: str) -> str:
    """The end of an inline-string ``<c>`` element holding ``value`` as :func:`put` stores it
    (what openpyxl writes for such a cell)."""
    if ILLEGAL_CHARACTERS_RE.search(value) or _NOT_XML.search(value):
        raise IllegalCharacterError(f"{value} cannot be used in worksheets.")
    value = safe_text(value)
    if not value:
        return ' t="inlineStr"/>'
    esc = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    space = ' xml:space="preserve"' if value != value.strip() else ""
    return f' t="inlineStr"><is><t{space}>{esc}</t></is></c>'


def _number_xml(value: Any) -> str:
    """The end of a number ``<c>`` element, formatted as openpyxl does."""
    return f' t="n"><v>{safe_string(value)}</v></c>'


class FastRows:
    """Rows appended below what ``ws`` already holds (its header), kept as worksheet XML.

    Each cell is what :func:`put` followed by setting a style would give: strings are neutralised
    text cells (never formulas), numbers are numbers, ``None`` is an empty cell (written only when
    styled). A value's XML is made once however often it repeats. Nothing else may be written to
    ``ws`` below its current rows; the rows reach the file through :func:`save`.
    """

    def __init__(self, ws: Worksheet):
        self.ws = ws
        self.first_row = self.next_row = ws.max_row + 1
        self.max_column = ws.max_column
        self._parts: list[str] = []
        self._texts: dict[str, str] = {}
        self._decimals: dict[Decimal, str] = {}
        self._letters: list[str] = []

    def style(self, **attributes: Any) -> str:
        """The ``s`` attribute of cells with these styles (``font=``, ``number_format=``,
        ``alignment=``, ``fill=``…), registered in the workbook; ``""`` for the default style."""
        cell = Cell(self.ws)
        for name, v in attributes.items():
            setattr(cell, name, v)
        sid = cell.style_id if cell.has_style else 0
        return f' s="{sid}"' if sid else ""

    def append(self, values: Sequence[Any], styles: Sequence[str], decimal_styles: Sequence[str]) -> None:
        """One row: ``values`` from column A; per column, the :meth:`style` of its cell, and of
        its cell when the value is a Decimal (e.g. with the ``0.00`` number format)."""
        letters = self._letters
        if len(values) > len(letters):
            letters.extend(get_column_letter(i) for i in range(len(letters) + 1, len(values) + 1))
            self.max_column = max(self.max_column, len(values))
        r = str(self.next_row)
        self.next_row += 1
        texts, decimals = self._texts, self._decimals
        out = [f'<row r="{r}">']
        for letter, v, s, ds in zip(letters, values, styles, decimal_styles, strict=False):
            t = type(v)
            if t is str:
                tail = texts.get(v)
                if tail is None:
                    tail = texts[v] = _text_xml(v)
            elif t is Decimal:
                s = ds
                tail = decimals.get(v)
                if tail is None:
                    tail = decimals[v] = _number_xml(v)
            elif v is None:
                if not s:
                    continue
                tail = ' t="n"/>'
            elif t is int or t is float:
                tail = _number_xml(v)
            elif t is bool:
                tail = f' t="b"><v>{int(v)}</v></c>'
            elif isinstance(v, str):
                tail = _text_xml(v)
            elif isinstance(v, int | float | Decimal):
                tail = _number_xml(v)
            else:
                raise TypeError(f"FastRows cannot write {t.__name__} values")
            out.append(f'<c r="{letter}{r}"{s}{tail}')
        out.append("</row>")
        self._parts.append("".join(out))

    def _splice(self, sheet_xml: bytes) -> bytes:
        """The worksheet XML openpyxl wrote for ``ws`` with these rows added and the dimension
        extended to them."""
        rows = "".join(self._parts).encode()
        ws = self.ws
        ref = (f"{get_column_letter(ws.min_column)}{ws.min_row}:"
               f"{get_column_letter(max(ws.max_column, self.max_column))}{self.next_row - 1}")
        sheet_xml = _DIMENSION.sub(f'<dimension ref="{ref}"/>'.encode(), sheet_xml, count=1)
        end = sheet_xml.rfind(b"</sheetData>")
        if end < 0:
            return sheet_xml.replace(b"<sheetData/>", b"<sheetData>" + rows + b"</sheetData>", 1)
        return sheet_xml[:end] + rows + sheet_xml[end:]


def save(wb: Workbook, fast: Iterable[FastRows] = ()) -> bytes:
    """The saved workbook, with the rows of every :class:`FastRows` in their sheets."""
    out = io.BytesIO()
    wb.save(out)
    # a sheet's file name is known once openpyxl has numbered the sheets for writing
    by_path = {f.ws.path.lstrip("/"): f for f in fast if f._parts}
    if not by_path:
        return out.getvalue()
    result = io.BytesIO()
    with zipfile.ZipFile(out) as src, zipfile.ZipFile(result, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            f = by_path.get(info.filename)
            if f is None:
                dst.writestr(info, data)
            else:  # megabytes of repetitive XML: the fastest level is 3× faster, the file 25 % larger
                dst.writestr(info, f._splice(data), compresslevel=1)
    return result.getvalue()
