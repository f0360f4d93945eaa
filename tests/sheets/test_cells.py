"""User text in the workbooks the product writes: never a formula, a leading = + - @ neutralised,
and the product's own readers get the text back unchanged."""

import io

import openpyxl
import pytest
from openpyxl import Workbook

from app.rubric.targets import LAYOUT_LEVELS, TargetRow, TargetTable
from app.rubric.values import parse_value
from app.sheets.cells import FastRows, append_row, restore_text, safe_text, text_cell
from app.sheets.cells import save as save_with_rows
from app.sheets.scoring import read_template
from app.sheets.targets import read_target_workbook, write_target_workbook
from tests.sheets.test_scoring_template import do_import, export, save, w  # noqa: F401  (fixture)

DANGEROUS = ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", '=HYPERLINK("http://x","y")']


@pytest.mark.parametrize("text", DANGEROUS)
def test_dangerous_text_is_escaped_and_restored(text):
    assert safe_text(text) == "'" + text
    assert restore_text(safe_text(text)) == text


@pytest.mark.parametrize("value", ["普通文本", "'引号开头", "", None, 3, 2.5, "１＝１"])
def test_other_values_are_left_alone(value):
    assert safe_text(value) == value
    assert restore_text(value) == value


def test_cells_are_strings_after_reload():
    wb = Workbook()
    ws = wb.active
    text_cell(ws, 1, 1, "=1+1")
    append_row(ws, ["=2+2", 5, None, "正常"])
    buf = io.BytesIO()
    wb.save(buf)
    ws = openpyxl.load_workbook(io.BytesIO(buf.getvalue())).active
    assert (ws["A1"].data_type, ws["A1"].value) == ("s", "'=1+1")
    assert [(c.data_type, c.value) for c in ws[2]] == [("s", "'=2+2"), ("n", 5), ("n", None), ("s", "正常")]


def test_fast_rows_give_the_cells_text_cell_gives():
    """The large-sheet writer: the same neutralised strings, numbers, empty cells and styles as
    ``text_cell`` plus a style, below the header openpyxl wrote, and the dimension covers them."""
    from decimal import Decimal

    from openpyxl.styles import Alignment, Font
    from openpyxl.utils.exceptions import IllegalCharacterError

    wb = Workbook()
    ws = wb.active
    text_cell(ws, 1, 1, "表头").font = Font(bold=True)
    rows = FastRows(ws)
    plain, bold, num = rows.style(), rows.style(font=Font(bold=True)), rows.style(number_format="0.00")
    wrap = rows.style(alignment=Alignment(wrap_text=True))
    texts = DANGEROUS + ["a<b>&c", "　缩进", " 空格 ", "", "多\n行"]
    for t in texts:
        rows.append([t, Decimal("51.33"), 7, 2.5, None, None, t, True], [plain] * 5 + [bold, wrap, plain],
                    [num] * 8)
    data = save_with_rows(wb, [rows])
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    assert ws.dimensions == f"A1:H{len(texts) + 1}"
    assert ws["A1"].value == "表头" and ws["A1"].font.b
    for r, t in enumerate(texts, start=2):
        a, b, c, d, e, f, g, h = ws[r]
        expected = safe_text(t) or None
        assert (a.value, g.value) == (expected, expected) and (a.data_type == "s" or not t)
        assert not a.has_style and g.alignment.wrap_text
        assert (b.value, b.data_type, b.number_format) == (51.33, "n", "0.00")
        assert (c.value, c.number_format, d.value) == (7, "General", 2.5)
        assert e.value is None and not e.has_style
        assert f.value is None and f.font.b
        assert (h.value, h.data_type) == (True, "b")
    assert not [c for row in ws.iter_rows() for c in row if c.data_type == "f"]
    for bad in ("bad\x01", "bad\uffff"):
        with pytest.raises(IllegalCharacterError):
            FastRows(Workbook().active).append([bad], [""], [""])


def test_targets_table_with_formula_like_text_round_trips():
    rows = (
        TargetRow("产出", "=数量指标", "+社会培训", None, None, "@培训人次", parse_value("=100%", year=2026),
                  parse_value("-5%", year=2026), None, "-按比例赋分", 1),
    )
    table = TargetTable("=某学院", None, 2026, LAYOUT_LEVELS, rows)
    data = write_target_workbook(table)
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    cells = [c for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [c for c in cells if c.data_type == "f"]
    assert all(not str(c.value).startswith(("=", "+", "-", "@")) for c in cells)
    result = read_target_workbook(data)
    assert result.ok, [str(e) for e in result.errors]
    assert result.to_table() == table


def test_scoring_template_with_a_formula_like_unit_name_round_trips(session, w):  # noqa: F811
    w.c1.name = "=机电工程学院"
    session.add(w.c1)
    session.commit()
    key = str(w.jwc.id)
    wb = export(session, w, key)
    ws = wb["评分"]
    assert (ws.cell(4, 1).data_type, ws.cell(4, 1).value) == ("s", "'=机电工程学院")
    meta_names = [r[3] for r in wb["_meta"].iter_rows(values_only=True) if r[0] == "row"]
    assert "'=机电工程学院" in meta_names
    cells = read_template(save(wb), cycle_id=w.cycle.id, owner_key=key)  # unit names match: no refusal
    assert {c.cell.unit_id for c in cells} == {w.c1.id, w.c2.id, w.c3.id}
    assert do_import(session, w, key, save(wb)) == 0


def test_tally_workbook_writes_unit_names_as_text():
    from decimal import Decimal
    from types import SimpleNamespace as NS

    from app.rubric.disclosure import Disclosure, Line
    from app.sheets.voting import tally_workbook

    unit = NS(unit=NS(name="=1+2"), total={"优秀": 3, "合格": 2}, ballots=5, mean=Decimal("90"), points=Decimal("18"),
              points_max=Decimal("20"), explanation="@解释")
    tally = NS(cycle=NS(name="-周期"), ballots=5, voted=5,
               policy=NS(level_names=["优秀", "合格"], rule_text=lambda: "+规则"),
               by_category={"college": [unit]}, rules=NS(categories={"college": "院部"}),
               disclosure=lambda ut: Disclosure([Line("=组", ("g",), {"优秀": 3, "合格": 2})]),
               groups=[NS(name="=中层", key="cadre", roll=5, voted=5, share=Decimal("100"), weight=None)])
    wb = openpyxl.load_workbook(tally_workbook(tally))
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert not [c.coordinate for c in cells if c.data_type != "s"]
    assert {"'=1+2", "'=组", "'@解释", "'=中层"} <= {c.value for c in cells}
    assert all(not c.value.startswith(("=", "+", "-", "@")) for c in cells)
