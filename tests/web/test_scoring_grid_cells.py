"""The scoring grid's cells written in Python (app/web/scoring/grid_cells.py) are the text the
template wrote before, for every kind of cell: not applicable, to do, done, provisional, error,
scored but not confirmed, and names and explanations that need escaping."""

from dataclasses import dataclass
from decimal import Decimal

from app.web.scoring import grid_cells
from app.web.templating import fmt_score

# the part of scoring/grid.html that grid_cells.row_cells replaced, as it was
OLD = """      {% for leaf in owner.leaves %}
        {% if ctx.applies(u.id, leaf.code) %}
          {% set r = ctx.result(u.id, leaf.code) %}{% set done = ctx.is_done(u.id, leaf.code) %}
          {% set cls = 'cell-error' if r and r.status == 'error' else ('cell-prov' if done and r.provisional else ('cell-done' if done else 'cell-todo')) %}
          <td class="cell {{ cls }}" data-label="{{ leaf.code }} {{ leaf.name }}">
            <a href="{{ cell_url[leaf.code](u.id) }}" title="{{ r.explanation if r }}">
              {% if r and r.status == 'ok' %}{{ r.points|score }}{% if r.provisional %}*{% endif %}{% else %}<span class="muted">待评</span>{% endif %}
              {% if done %}✔{% endif %}</a></td>
        {% else %}<td class="cell cell-na" data-label="{{ leaf.code }} {{ leaf.name }}">不参加</td>{% endif %}
      {% endfor %}
"""  # noqa: E501


@dataclass
class Leaf:
    code: str
    name: str


@dataclass
class Result:
    points: Decimal
    status: str = "ok"
    provisional: bool = False
    explanation: str = ""


@dataclass
class Entry:
    confirmed: bool


class Ctx:
    """A scoring context (app.services.scoring.CycleScoring) as the grid asks it."""

    def __init__(self, cells):
        self.cells = cells  # (unit id, code) → (result or None, done); missing: not applicable
        self.entries = {k: Entry(confirmed=done) for k, (_r, done) in cells.items()}

    def members(self, code):
        return {uid for uid, c in self.cells if c == code}

    def leaf_results(self, code):
        return {uid: r for (uid, c), (r, _done) in self.cells.items() if c == code and r is not None}

    def applies(self, unit_id, code):
        return (unit_id, code) in self.cells

    def result(self, unit_id, code):
        return self.cells[(unit_id, code)][0]

    def is_done(self, unit_id, code):
        return self.cells[(unit_id, code)][1]


@dataclass
class Owner:
    leaves: list


@dataclass
class U:
    id: int


def test_row_cells_are_the_old_template_text(app):
    leaves = [Leaf("D1", "工作<质量>"), Leaf("D2", "方法 & 成效"), Leaf("D3", "创新"), Leaf("D4", "\"特色\""),
              Leaf("D5", "党建"), Leaf("D6", "安全")]
    cells = {
        (1, "D1"): (None, False),
        (1, "D2"): (Result(Decimal("3.5"), explanation="评分人评分：<b>尚未填写</b> & 待核"), False),
        (1, "D3"): (Result(Decimal("4"), explanation="已核实"), True),
        (1, "D4"): (Result(Decimal("2.25"), provisional=True, explanation="暂定：尚有单位未提交"), True),
        (1, "D5"): (Result(Decimal("0"), status="error", explanation="数据有误"), False),
        (2, "D1"): (Result(Decimal("1"), status="missing", explanation="尚未填写"), False),
        (2, "D3"): (Result(Decimal("5"), provisional=True, explanation="暂定"), False),
        (2, "D6"): (Result(Decimal("0"), status="error", explanation=""), True),
    }
    ctx = Ctx(cells)

    def cell_url(code):
        return lambda unit_id: f"/scoring/cycles/1/owners/office/units/{unit_id}/{code}?a=1&b=2"

    urls = {leaf.code: cell_url(leaf.code) for leaf in leaves}
    labels = grid_cells.leaf_labels(leaves)
    with app.test_request_context():
        env = app.jinja_env
        old = env.from_string(OLD)
        for unit_id in (1, 2, 3):  # (from_string drops the template's last newline)
            want = old.render(owner=Owner(leaves), u=U(unit_id), ctx=ctx, cell_url=urls)
            got = "      " + grid_cells.row_cells(ctx, leaves, unit_id, urls, labels)
            assert got == want
    assert fmt_score(Decimal("2.25")) in grid_cells.row_cells(ctx, leaves, 1, urls, labels)
