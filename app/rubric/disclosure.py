"""Which democratic-rating counts may be shown: complementary suppression of small rater groups.

A rater group with fewer than ``min_group`` ballots on a unit is never shown on its own. Hiding
its line is not enough: the unit's total minus the groups that are shown gives it back. The one
rule used wherever counts appear (the office's tally page and workbook, the result page, the
results workbook and JSON, the public pages) is :func:`disclose`:

* **Plain mean** (no group weights): the small groups are shown together as one merged line when
  together they reach ``min_group``; otherwise they are merged with the smallest of the larger
  groups until the merged line reaches it. The unit's total is shown; every line shown (and the
  total minus the lines) then covers at least ``min_group`` ballots. When the merge would take in
  every group, no per-group line is shown, only the total.
* **Weighted groups**: the published points are a weighted mean of the groups' means, so a merged
  line's counts together with the points would give each merged group back. The small groups and
  the groups merged with them are therefore not shown at all, and neither are the unit's total
  counts per level (only its number of ballots): what is shown plus the points leaves the hidden
  groups' counts undetermined.

With ``min_group`` 0 every group is shown as it is. The module is pure (no database, no Flask).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

__all__ = ["Disclosure", "Line", "disclose", "merged_label"]


@dataclass(frozen=True)
class Line:
    """One line that may be shown: one group, or several merged (``keys`` in display order)."""

    label: str
    keys: tuple[str, ...]
    counts: dict[str, int]

    @property
    def ballots(self) -> int:
        return sum(self.counts.values())

    @property
    def merged(self) -> bool:
        return len(self.keys) > 1


@dataclass(frozen=True)
class Disclosure:
    lines: list[Line] = field(default_factory=list)
    totals_shown: bool = True  # whether the unit's counts per level (合计) may be shown
    hidden: tuple[str, ...] = ()  # groups without a line of their own (merged or left out)
    note: str = ""  # the sentence that says what is not shown, for pages and workbooks

    @property
    def suppressed(self) -> bool:
        return bool(self.hidden)


def merged_label(names: Sequence[str], min_group: int) -> str:
    return f"{'、'.join(names)}（合并显示，单独不足{min_group}人）"


def _n(v) -> int:
    return v if isinstance(v, int) and not isinstance(v, bool) and v > 0 else 0


def _size(counts: Mapping[str, int]) -> int:
    return sum(_n(v) for v in counts.values())


def disclose(counts_by_group: Mapping[str, Mapping[str, int]], min_group: int, *,
             names: Mapping[str, str] | None = None, levels: Sequence[str] | None = None,
             weighted: bool = False) -> Disclosure:
    """The lines of ``counts_by_group`` (``{group key: {level: count}}``, in display order) that may
    be shown under the rule of the module docstring. ``levels`` orders and completes each line's
    counts (missing levels are 0)."""
    names = names or {}
    present = [(g, c) for g, c in counts_by_group.items() if _size(c) > 0]

    def counts_of(keys) -> dict[str, int]:
        lv = list(levels) if levels is not None else []
        for g in keys:
            for level in counts_by_group[g]:
                if level not in lv:
                    lv.append(level)
        return {level: sum(_n(counts_by_group[g].get(level, 0)) for g in keys) for level in lv}

    def single(g) -> Line:
        return Line(names.get(g, g), (g,), counts_of([g]))

    if min_group <= 0:
        return Disclosure([single(g) for g, _ in present])
    sizes = {g: _size(c) for g, c in present}
    small = [g for g, _ in present if sizes[g] < min_group]
    if not small:
        return Disclosure([single(g) for g, _ in present])
    hidden = list(small)
    large = sorted((g for g, _ in present if g not in small), key=lambda g: (sizes[g], g))
    while sum(sizes[g] for g in hidden) < min_group and large:
        hidden.append(large.pop(0))
    order = [g for g, _ in present]
    hidden.sort(key=order.index)
    shown = [single(g) for g in order if g not in hidden]
    hidden_names = "、".join(names.get(g, g) for g in hidden)
    if weighted:
        note = (f"{hidden_names}：人数不足{min_group}人或与之合并，按权重计分时单独或合并显示都会暴露个人选择，"
                f"不显示票数明细，也不显示各等次合计（其票已计入得分）。")
        return Disclosure(shown, totals_shown=False, hidden=tuple(hidden), note=note)
    if len(hidden) == len(order):  # the merged line would be the total itself
        return Disclosure([], hidden=tuple(hidden),
                          note=f"各类别人数不足{min_group}人，不分类别显示，只显示合计。")
    merged = Line(merged_label([names.get(g, g) for g in hidden], min_group), tuple(hidden), counts_of(hidden))
    return Disclosure(shown + [merged], hidden=tuple(hidden),
                      note=f"{hidden_names}：合并显示（单独不足{min_group}人，不单独显示）。")
