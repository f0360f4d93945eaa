"""Cell access for the sheet readers: merged ranges read as their top-left cell, the cached
results of formulas, and the columns of a header row found by their labels."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from openpyxl.cell.cell import Cell
from openpyxl.worksheet.worksheet import Worksheet

__all__ = ["Grid"]


class Grid:
    """One worksheet. ``ws`` is the sheet as loaded (with formulas when the reader keeps them),
    ``values`` the same sheet loaded with ``data_only=True`` (cached formula results) or None.

    Merged ranges: every cell of a range reads as the range's top-left cell (its *origin*).
    ``max_row`` / ``max_col`` are the sheet's size when the grid was made.
    """

    def __init__(self, ws: Worksheet, values: Worksheet | None = None):
        self.ws = ws
        self.values = values
        self.max_row = ws.max_row or 0
        self.max_col = ws.max_column or 0
        self._origin: dict[tuple[int, int], tuple[int, int]] = {}
        self._span: dict[tuple[int, int], tuple[int, int, int, int]] = {}
        for rng in ws.merged_cells.ranges:
            box = (rng.min_row, rng.min_col, rng.max_row, rng.max_col)
            for row in range(rng.min_row, rng.max_row + 1):
                for col in range(rng.min_col, rng.max_col + 1):
                    self._origin[(row, col)] = (rng.min_row, rng.min_col)
                    self._span[(row, col)] = box

    def origin(self, r: int, c: int) -> tuple[int, int]:
        """The top-left cell of the merged range holding (r, c), or (r, c) itself."""
        return self._origin.get((r, c), (r, c))

    def is_origin(self, r: int, c: int) -> bool:
        return self.origin(r, c) == (r, c)

    def is_merged(self, r: int, c: int) -> bool:
        return (r, c) in self._origin

    def span(self, r: int, c: int) -> tuple[int, int, int, int]:
        """(min_row, min_col, max_row, max_col) of the merged range holding (r, c)."""
        return self._span.get((r, c), (r, c, r, c))

    def cell(self, r: int, c: int) -> Cell:
        """The cell (r, c) reads as: its range's top-left cell when merged."""
        orow, ocol = self.origin(r, c)
        return self.ws.cell(row=orow, column=ocol)

    def value(self, r: int, c: int) -> Any:
        return self.cell(r, c).value

    def cached(self, r: int, c: int) -> Any:
        """The cached result of a formula in (r, c) (None without ``values`` or when never computed)."""
        return self.values.cell(row=r, column=c).value if self.values is not None else None

    def number_format(self, r: int, c: int) -> str:
        return self.ws.cell(row=r, column=c).number_format or ""

    def origin_values(self, r: int) -> Iterator[Any]:
        """The values of row ``r``, one per cell or merged range starting in the row, left to right."""
        for c in range(1, self.max_col + 1):
            if self.is_origin(r, c):
                yield self.ws.cell(row=r, column=c).value

    def label_columns(self, r: int, field_of: Callable[[int, int, dict[str, int]], str | None]) -> dict[str, int]:
        """The columns of header row ``r`` by the field their label names: ``field_of(r, c, found)``
        gives the field of the cell (or merged range) starting at column c, or None, knowing the
        fields found so far; the first column naming a field wins."""
        found: dict[str, int] = {}
        for c in range(1, self.max_col + 1):
            if not self.is_origin(r, c):
                continue
            f = field_of(r, c, found)
            if f is not None and f not in found:
                found[f] = c
        return found
