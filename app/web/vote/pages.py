"""The cached ballot page of a cycle: one copy per worker, whoever votes.

The ballot of a voter differs from the full list of units only in the own unit's category when
the rules exclude the own unit (``BallotPolicy.exclude_own_unit``): its row is left out and the
category's header counts one unit less (and so may allow fewer 优秀); a category with only the own
unit is left out whole. Keeping one rendered page per own unit took 46 MB per worker at 250 units
(issue #17, bench/bench_memory.py). So the page is rendered once with every unit, with markers
around the categories and rows (``mark`` in vote/_units.html renders nothing otherwise), and
kept as UTF-8 bytes with the offsets of each row; each category's shorter header is rendered
once. A voter's page is then a join of a few slices of it, and the CSRF token is put in the same
way. Before it is used, the spliced page of the first and the last unit of every category is
compared with a full render of theirs; should that ever differ (a template that numbers its
rows, say), :func:`build` returns None and the caller renders per own unit as before.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from markupsafe import Markup

MARK = "\x01"
TOKEN_SLOT = "\x00csrf\x00"


def no_mark(*_args) -> str:
    """``mark`` of an ordinary render: nothing."""
    return ""


def _mark(kind: str, key: object = "") -> Markup:
    return Markup(f"{MARK}{kind}:{key}{MARK}")


@dataclass(frozen=True)
class _Layout:
    """A marked render: the clean UTF-8 bytes, where the token goes, and the marker offsets."""

    data: bytes
    token_at: int
    marks: list[tuple[str, str, int]]  # (kind, key, byte offset in data), in page order


def _layout(marked: str) -> _Layout | None:
    pieces = marked.split(MARK)
    if len(pieces) % 2 == 0:
        return None
    out: list[bytes] = []
    marks: list[tuple[str, str, int]] = []
    at = 0
    for i, piece in enumerate(pieces):
        if i % 2:
            kind, _, key = piece.partition(":")
            marks.append((kind, key, at))
        else:
            b = piece.encode()
            out.append(b)
            at += len(b)
    data = b"".join(out)
    slot = TOKEN_SLOT.encode()
    token_at = data.find(slot)
    if token_at < 0 or data.find(slot, token_at + 1) >= 0 or (marks and token_at > marks[0][2]):
        return None
    # the token's slot goes out of the data: shift the marks behind it
    marks = [(k, key, off - len(slot) if off > token_at else off) for k, key, off in marks]
    return _Layout(data[:token_at] + data[token_at + len(slot):], token_at, marks)


def _categories(lay: _Layout) -> dict[str, dict]:
    """category key → {start, head_end, end, rows: {unit id: (start, end)}} of a layout."""
    cats: dict[str, dict] = {}
    cur = None
    row = None
    for kind, key, off in lay.marks:
        if row is not None and kind in ("r", "f"):
            cur["rows"][row[0]] = (row[1], off)
            row = None
        if kind in ("c", "z") and cur is not None:
            cur["end"] = off
        if kind == "c":
            cur = cats[key] = {"start": off, "head_end": None, "end": None, "rows": {}}
        elif kind == "r":
            if cur["head_end"] is None:
                cur["head_end"] = off
            row = (int(key), off)
        elif kind == "f":
            if cur["head_end"] is None:
                cur["head_end"] = off
    return cats


class BallotPage:
    """The ballot page of one cycle, action and set of published reports, for every own unit."""

    __slots__ = ("data", "token_at", "edits")

    def __init__(self, data: bytes, token_at: int, edits: dict[int, tuple[int, int, bytes, int, int]]):
        self.data = memoryview(data)
        self.token_at = token_at
        self.edits = edits  # own unit id → (a, b, replacement, c, d): data[a:b] → replacement, data[c:d] out

    def html(self, own_unit_id: int | None, token: str) -> bytes:
        d, t = self.data, self.token_at
        e = self.edits.get(own_unit_id) if own_unit_id is not None else None
        if e is None:
            return b"".join((d[:t], token.encode(), d[t:]))
        a, b, repl, c, z = e
        return b"".join((d[:t], token.encode(), d[t:a], repl, d[b:c], d[z:]))


def build(render: Callable[..., str], units_by_category: dict[str, list[int]],
          excluded: Callable[[int], bool]) -> BallotPage | None:
    """The spliced page, or None where splicing would not give what a render gives.

    ``render(own_unit_id, mark)``: the page of that own unit (None: every unit) with
    :data:`TOKEN_SLOT` for the token; ``units_by_category``: the unit ids of the full ballot per
    category; ``excluded(unit id)``: whether that unit's voters do not rate it."""
    full = _layout(render(None, _mark))
    if full is None:
        return None
    cats = _categories(full)
    edits: dict[int, tuple[int, int, bytes, int, int]] = {}
    checks: list[tuple[int, _Layout]] = []
    for cat, ids in units_by_category.items():
        ids = [i for i in ids if excluded(i)]
        if not ids:
            continue
        info = cats.get(cat)
        if info is None or any(i not in info["rows"] for i in ids):
            return None
        reps = list(dict.fromkeys((ids[0], ids[-1])))
        shown = [_layout(render(i, _mark)) for i in reps]
        if any(s is None for s in shown):
            return None
        own = _categories(shown[0]).get(cat)
        head = None if own is None else shown[0].data[own["start"]:own["head_end"]]
        for i in ids:
            if head is None:  # the own unit was the category's only unit: the category goes
                edits[i] = (info["start"], info["end"], b"", info["end"], info["end"])
            else:  # the category's header for one unit less, the own unit's row out
                edits[i] = (info["start"], info["head_end"], head, *info["rows"][i])
        checks += [(i, lay) for i, lay in zip(reps, shown, strict=True)]
    page = BallotPage(full.data, full.token_at, edits)
    probe = "PROBE-TOKEN"
    for i, lay in [(None, full), *checks]:
        expected = lay.data[:lay.token_at] + probe.encode() + lay.data[lay.token_at:]
        if page.html(i, probe) != expected:
            return None
    return page
