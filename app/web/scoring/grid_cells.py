"""The cells of a scoring grid (scoring/grid.html), written in Python.

A department's grid at the size of a large university is 250 units × its indicators: written by
the template, each cell cost four calls into the scoring context, a link, a filter and the
escaping through Jinja (about 20 ms a page). :func:`row_cells` gives a row's cells as the template
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
    out = []
    for leaf in leaves:
        code = leaf.code
        if not ctx.applies(unit_id, code):
            out.append(_NA.format(label=labels[code]))
            continue
        r = ctx.result(unit_id, code)
        done = ctx.is_done(unit_id, code)
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
        out.append(_CELL.format(cls=cls, label=labels[code], href=escape(cell_url[code](unit_id)),
                                title=escape(r.explanation) if r else "", inner=inner, check="✔" if done else ""))
    return Markup("".join(out))


def leaf_labels(leaves) -> dict[str, str]:
    return {leaf.code: str(escape(leaf.code)) + " " + str(escape(leaf.name)) for leaf in leaves}
