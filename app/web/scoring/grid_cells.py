"""The cells of a scoring grid (scoring/grid.html), written in Python.

A department's grid at the size of a large university is 250 units × its indicators: written by
the template, each cell cost four calls into the scoring context, a link, a filter and the
escaping through Jinja (about 20 ms a page). :class:`Grid` gives a row's cells as the template
wrote them, character for character (the whitespace included); tests/web/test_scoring_grid_cells.py
compares it with the template it replaced.
"""

from __future__ import annotations

from collections.abc import Callable

from markupsafe import Markup, escape

from app.services.scoring import CycleScoring
from app.web.templating import fmt_score

_NA = '\n        <td class="cell cell-na" data-label="{label}">不参加</td>\n      '
_CELL = ('\n        \n          \n          \n          <td class="cell {cls}" data-label="{label}">\n'
         '            <a href="{href}" title="{title}">\n              {inner}\n              {check}</a></td>\n'
         '        \n      ')
_TODO = '<span class="muted">待评</span>'


def row_cells(ctx: CycleScoring, leaves, unit_id: int, cell_url: dict[str, Callable[[int], str]],
              labels: dict[str, str]) -> Markup:
    """The ``<td>`` of each of ``leaves`` for one unit (``labels``: each leaf's escaped "code name")."""
    return Grid(ctx, leaves, cell_url)(unit_id)


class Grid:
    """:func:`row_cells` for many rows: what each column needs (whom the indicator applies to, its
    results, which cells have a confirmed entry) is asked of the scoring context once per column."""

    def __init__(self, ctx: CycleScoring, leaves, cell_url: dict[str, Callable[[int], str]]):
        self.ctx = ctx
        labels = leaf_labels(leaves)
        # only a cell with a confirmed entry can be done (CycleScoring.is_done)
        confirmed: dict[str, set[int]] = {}
        for (uid, code), e in ctx.entries.items():
            if e.confirmed:
                confirmed.setdefault(code, set()).add(uid)
        self.columns = [(leaf.code, labels[leaf.code], cell_url[leaf.code], ctx.members(leaf.code),
                         ctx.leaf_results(leaf.code), confirmed.get(leaf.code, set())) for leaf in leaves]

    def __call__(self, unit_id: int) -> Markup:
        out = []
        for code, label, url, members, results, confirmed in self.columns:
            if unit_id not in members:
                out.append(_NA.format(label=label))
                continue
            r = results.get(unit_id)
            done = unit_id in confirmed and self.ctx.is_done(unit_id, code)
            if r and r.status == "error":
                cls = "cell-error"
            elif done and r.provisional:
                cls = "cell-prov"
            else:
                cls = "cell-done" if done else "cell-todo"
            if r and r.status == "ok":
                inner = escape(fmt_score(r.points)) + ("*" if r.provisional else "")
            else:
                inner = _TODO
            out.append(_CELL.format(cls=cls, label=label, href=escape(url(unit_id)),
                                    title=escape(r.explanation) if r else "", inner=inner, check="✔" if done else ""))
        return Markup("".join(out))


def leaf_labels(leaves) -> dict[str, str]:
    return {leaf.code: str(escape(leaf.code)) + " " + str(escape(leaf.name)) for leaf in leaves}
