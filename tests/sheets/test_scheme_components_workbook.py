"""The scheme workbook carries components and policies: the six-part seed scheme (weighted,
democratic, bonus, deduction; rounding only the total; tie-break by component keys) round-trips
exactly, the 说明 sheet describes every kind and option, and a bad option names row and column."""

import io
import json
from pathlib import Path

import openpyxl

from app.rubric.scheme import dump_scheme, load_scheme
from app.rubric.scheme_checks import COMPONENT_KIND_TEXT, COMPONENT_OPTION_TEXT, ROUNDING_TEXT
from app.sheets.scheme import export_scheme, import_scheme

UNI = Path(__file__).resolve().parents[2] / "seeds" / "scheme_university_6.json"


def _uni() -> dict:
    return json.loads(UNI.read_text("utf-8"))


def test_the_six_part_scheme_round_trips_exactly():
    d = _uni()
    back, problems = import_scheme(export_scheme(d))
    assert problems == []
    assert back == d
    assert dump_scheme(load_scheme(back)) == dump_scheme(load_scheme(d))


def test_the_help_sheet_describes_every_kind_option_and_rounding():
    wb = openpyxl.load_workbook(io.BytesIO(export_scheme(_uni())))
    text = "\n".join(str(c.value) for row in wb["说明"].iter_rows() for c in row if c.value is not None)
    for key, (label, what) in {**COMPONENT_KIND_TEXT, **ROUNDING_TEXT}.items():
        assert key in text and label in text and what in text
    for key, label, what in COMPONENT_OPTION_TEXT:
        assert key in text and label in text and what in text


def _edited(edit) -> tuple:
    wb = openpyxl.load_workbook(io.BytesIO(export_scheme(_uni())))
    edit(wb)
    buf = io.BytesIO()
    wb.save(buf)
    return import_scheme(buf.getvalue())


def _col(ws, header: str) -> int:
    return next(c.column for c in ws[1] if c.value == header)


def test_edited_weights_and_options_come_back_and_errors_name_row_and_column():
    def edit(wb):
        ws = wb["组成"]
        rows = [r for r in range(2, ws.max_row + 1) if ws.cell(r, 4).value in ("teaching", "research")]
        ws.cell(rows[0], _col(ws, "分值"), 30)
        ws.cell(rows[1], _col(ws, "分值"), 30)
        ws.cell(rows[1], _col(ws, "取值范围"), "60～100")
        s = wb["方案"]
        r = next(r for r in range(2, s.max_row + 1) if s.cell(r, 1).value == "保留小数位数")
        s.cell(r, 2, 1)
    d, problems = _edited(edit)
    assert problems == []
    comps = d["categories"][0]["components"]
    assert comps[0]["points"] == 30 and comps[1]["scale"] == {"min": 60, "max": 100}
    assert d["policies"]["rounding"] == {"at": "total", "decimals": 1}

    def bad(wb):
        ws = wb["组成"]
        r = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 4).value == "bonus")
        ws.cell(r, _col(ws, "计入总分"), "也许")
    d, problems = _edited(bad)
    assert d is None
    assert any(p.sheet == "组成" and p.column and "计入总分" in p.message for p in problems)


def test_a_workbook_without_the_new_columns_still_imports():
    from tests.builders.seed import SEED

    seed = json.loads(SEED.read_text("utf-8"))

    def drop(wb):
        ws = wb["组成"]
        for col in range(10, 17):
            for r in range(1, ws.max_row + 1):
                ws.cell(r, col).value = None
    d, problems = _edited_from(seed, drop)
    assert problems == []
    assert _same_but_options(d, seed)


def _edited_from(data, edit):
    wb = openpyxl.load_workbook(io.BytesIO(export_scheme(data)))
    edit(wb)
    buf = io.BytesIO()
    wb.save(buf)
    return import_scheme(buf.getvalue())


def _same_but_options(d, seed) -> bool:
    for cat in seed["categories"]:
        for m in cat["components"]:
            m.pop("owner", None)
            m.pop("order", None)
    return dump_scheme(load_scheme(d)) == dump_scheme(load_scheme(seed))


def test_changes_between_versions_name_component_options_and_policies():
    from app.services.schemes import scheme_changes

    old, new = _uni(), _uni()
    new["categories"][0]["components"][0]["points"] = 30
    new["categories"][0]["components"][1]["points"] = 30
    new["categories"][0]["components"][6]["cap"] = 5
    new["policies"]["rounding"]["decimals"] = 1
    lines = scheme_changes(old, new)
    assert "院部·教学工作·分值：35 → 30" in lines
    assert "院部·突出业绩加分·上限：3 → 5" in lines
    assert any(x.startswith("计分政策（舍入）") for x in lines)
    assert scheme_changes(old, old) == []


def test_an_indicators_substitution_option_round_trips():
    from tests.builders.seed import SEED

    seed = json.loads(SEED.read_text("utf-8"))

    def leaves(nodes):
        for n in nodes:
            yield from leaves(n.get("children") or []) if n.get("children") else [n]

    target = next(m for m in seed["categories"][0]["components"] if m["kind"] == "target")
    leaf = next(n for n in leaves(target["indicators"]) if n.get("applies_to"))
    leaf["missing"] = "category_average"
    back, problems = import_scheme(export_scheme(seed))
    assert problems == []
    assert back == seed
