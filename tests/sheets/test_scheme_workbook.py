"""The scheme workbook: exact round trip of the seed, and broken workbooks refused with messages
naming the sheet, row and column (or the indicator)."""

import copy
import io
import json
import shutil
import subprocess
import zipfile

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.rubric.rules import RULES, param_lines
from app.rubric.scheme import dump_scheme, load_scheme
from app.sheets.scheme import INDICATOR_COLUMNS, export_scheme, import_scheme
from tests.builders.seed import SEED

COL = {key: openpyxl.utils.get_column_letter(i) for i, (_, key) in enumerate(INDICATOR_COLUMNS, start=1)}


@pytest.fixture(scope="module")
def seed():
    return json.loads(SEED.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def seed_xlsx(seed):
    return export_scheme(seed)


def _same(a, b, path="$"):
    """Equal values of equal types (1 and 1.0 are different here)."""
    assert type(a) is type(b), f"{path}: {type(a).__name__} != {type(b).__name__}"
    if isinstance(a, dict):
        assert set(a) == set(b), f"{path}: keys {set(a) ^ set(b)}"
        for k in a:
            _same(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list):
        assert len(a) == len(b), f"{path}: length"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _same(x, y, f"{path}[{i}]")
    else:
        assert a == b, path


def _edit(content: bytes, fn) -> bytes:
    wb = openpyxl.load_workbook(io.BytesIO(content))
    fn(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _row_of(ws, code: str) -> int:
    for r in range(2, ws.max_row + 1):
        if ws.cell(row=r, column=1).value == code:
            return r
    raise AssertionError(code)


def _texts(problems):
    return [str(p) for p in problems]


# ------------------------------------------------------------------------ round trip


def test_seed_round_trip_is_exact(seed, seed_xlsx):
    data, problems = import_scheme(seed_xlsx)
    assert problems == []
    assert data == seed
    _same(data, seed)


def test_workbook_has_the_four_sheets_and_the_rule_catalog(seed, seed_xlsx):
    wb = openpyxl.load_workbook(io.BytesIO(seed_xlsx))
    assert wb.sheetnames == ["说明", "方案", "组成", "指标"]
    help_text = "\n".join(str(c.value) for row in wb["说明"].iter_rows() for c in row if c.value)
    for name, rule in RULES.items():
        assert name in help_text and rule.label in help_text
    assert "缺少参数" not in help_text and "每次扣分（必填）" in help_text
    rows = {row[0].value: row for row in wb["说明"].iter_rows() if row[0].value in RULES}
    assert set(rows) == set(RULES)
    for name, rule in RULES.items():  # each rule's row lists its declared parameters, nested keys indented
        cell = rows[name][2].value
        for depth, pname, text in param_lines(rule.parameters):
            assert "　　" * depth + ("· " if depth else "") + f"{pname}：{text}" in cell.split("\n"), (name, pname)
    ws = wb["指标"]
    r = _row_of(ws, "B07")
    assert ws[f"{COL['rule']}{r}"].value == "多项扣分"
    assert ws[f"{COL['parent']}{r}"].value == "BB"
    assert "扣" in ws[f"{COL['explain']}{r}"].value  # the rule in plain words, for reading
    nodes = sum(1 for c in seed["categories"] for m in c["components"] for i in m.get("indicators", [])
                for _ in _walk(i))
    assert ws.max_row - 1 == nodes


def _walk(n):
    yield n
    for c in n.get("children", []):
        yield from _walk(c)


def test_round_trip_of_unusual_values(seed):
    d = copy.deepcopy(seed)
    d["normalisation"] = "raw"
    d["notes"] = ["第一行\n第二行", "=不是公式"]
    d["ballot"]["max_excellent_share"] = 0.3
    d["ballot"]["rater_groups"][0]["weight"] = 0.6
    d["ballot"]["rater_groups"][1]["weight"] = 0.4
    d["grading"]["fail_rule"] = {"type": "below_score", "threshold": 120.5}
    d["period"] = {"start": "2018-09-01", "end": "2019-08-31"}
    dept = d["categories"][1]
    d1 = dept["components"][1]["indicators"][0]
    d1["description"] = "  前后有空格的内涵  "
    d1["description_by_unit"] = {"工会委员会": "两行\n说明"}
    d = dump_scheme(load_scheme(d))  # canonical
    data, problems = import_scheme(export_scheme(d))
    assert _texts(problems) == []
    _same(data, d)


def test_an_edited_name_and_moved_points_come_back(seed, seed_xlsx):
    def edit(wb):
        ws = wb["指标"]
        ws[f"C{_row_of(ws, 'B03')}"] = "专业建设论证（已修改）"
        # move 0.5 points from B04 (1.5) to B03 (1): the group still adds up to 9
        ws[f"E{_row_of(ws, 'B03')}"] = 1.5
        ws[f"E{_row_of(ws, 'B04')}"] = "1"
        wb["方案"]["B3"] = "改过的方案名"
    data, problems = import_scheme(_edit(seed_xlsx, edit))
    assert problems == []
    scheme = load_scheme(data)
    assert scheme.name == "改过的方案名"
    b03 = scheme.indicator("B03")
    assert b03.name == "专业建设论证（已修改）" and str(b03.points) == "1.5"
    assert str(scheme.indicator("B04").points) == "1"


# ------------------------------------------------------------------------ broken workbooks


def test_not_a_zip_is_refused():
    data, problems = import_scheme(b"this is not a workbook")
    assert data is None
    assert "不是有效的 .xlsx" in _texts(problems)[0]


def test_a_zip_that_is_not_a_workbook_is_refused():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("hello.txt", "hi")
    data, problems = import_scheme(buf.getvalue())
    assert data is None and "xl/workbook.xml" in _texts(problems)[0]


def test_missing_sheet(seed_xlsx):
    data, problems = import_scheme(_edit(seed_xlsx, lambda wb: wb.remove(wb["组成"])))
    assert data is None
    assert _texts(problems) == ["工作簿缺少「组成」表（需要「方案」「组成」「指标」三张表，表名不能改）"]


def test_missing_column_header(seed_xlsx):
    def edit(wb):
        wb["指标"]["H1"] = "参  数?"
    data, problems = import_scheme(_edit(seed_xlsx, edit))
    assert data is None
    assert any(t.startswith("「指标」表第 1 行：缺少「参数」列") for t in _texts(problems))


def test_bad_number_in_points(seed_xlsx):
    row = {}

    def edit(wb):
        ws = wb["指标"]
        row["r"] = _row_of(ws, "B07")
        ws[f"E{row['r']}"] = "一点五"
    data, problems = import_scheme(_edit(seed_xlsx, edit))
    assert data is None
    texts = _texts(problems)
    assert f"「指标」表第 {row['r']} 行 E 列：分值应为数字，现为「一点五」" in texts
    # no echo of the same problem from validation (e.g. the parent's sum)
    assert len(texts) == 1, texts


def test_invalid_json_in_params(seed_xlsx):
    row = {}

    def edit(wb):
        ws = wb["指标"]
        row["r"] = _row_of(ws, "B07")
        ws[f"H{row['r']}"] = '{"items": [ {"key": "x", }'
    data, problems = import_scheme(_edit(seed_xlsx, edit))
    assert data is None
    texts = _texts(problems)
    assert len(texts) == 1
    assert texts[0].startswith(f"「指标」表第 {row['r']} 行 H 列：参数不是有效的 JSON")


def test_unknown_rule(seed_xlsx):
    row = {}

    def edit(wb):
        ws = wb["指标"]
        row["r"] = _row_of(ws, "B08")
        ws[f"G{row['r']}"] = "抽签计分"
    data, problems = import_scheme(_edit(seed_xlsx, edit))
    assert data is None
    texts = _texts(problems)
    assert len(texts) == 1
    assert texts[0].startswith(f"「指标」表第 {row['r']} 行 G 列：未知的计分规则「抽签计分」")


def test_params_that_do_not_fit_the_rule_name_the_indicator(seed_xlsx):
    row = {}

    def edit(wb):
        ws = wb["指标"]
        row["r"] = _row_of(ws, "B08")
        ws[f"H{row['r']}"] = '{"step": "abc"}'
    data, problems = import_scheme(_edit(seed_xlsx, edit))
    assert data is None
    texts = _texts(problems)
    assert len(texts) == 1
    assert texts[0].startswith(f"「指标」表第 {row['r']} 行 H 列（指标 B08「")
    assert "step" in texts[0]


def test_points_that_no_longer_add_up(seed_xlsx):
    rows = {}

    def edit(wb):
        ws = wb["指标"]
        rows["B03"] = _row_of(ws, "B03")
        rows["BB"] = _row_of(ws, "BB")
        ws[f"E{rows['B03']}"] = 2  # 教学工作 now adds up to 10, not 9
    data, problems = import_scheme(_edit(seed_xlsx, edit))
    assert data is None
    texts = _texts(problems)
    want = f"「指标」表第 {rows['BB']} 行 E 列（指标 BB「教学工作」）：下级指标分值合计 10"
    assert any(t.startswith(want) for t in texts), texts


def test_unknown_parent_and_duplicate_code(seed_xlsx):
    rows = {}

    def edit(wb):
        ws = wb["指标"]
        rows["B05"] = _row_of(ws, "B05")
        rows["B06"] = _row_of(ws, "B06")
        ws[f"B{rows['B05']}"] = "ZZ"
        ws[f"A{rows['B06']}"] = "B03"
    data, problems = import_scheme(_edit(seed_xlsx, edit))
    assert data is None
    texts = _texts(problems)
    assert f"「指标」表第 {rows['B05']} 行 B 列：上级编码「ZZ」不存在" in texts
    assert any(t.startswith(f"「指标」表第 {rows['B06']} 行 A 列：指标编码「B03」重复") for t in texts)


def test_scheme_and_parts_sheet_problems_name_their_cells(seed_xlsx):
    def edit(wb):
        ws = wb["方案"]
        for r in range(2, ws.max_row + 1):
            if ws.cell(row=r, column=1).value == "折算方式":
                ws.cell(row=r, column=2).value = "随便"
            if ws.cell(row=r, column=1).value == "须评全部单位":
                ws.cell(row=r, column=2).value = "也许"
        wp = wb["组成"]
        for r in range(2, wp.max_row + 1):
            if wp.cell(row=r, column=4).value == "leader":
                wp.cell(row=r, column=7).value = "三十"
                break
    data, problems = import_scheme(_edit(seed_xlsx, edit))
    assert data is None
    texts = _texts(problems)
    want = "B 列：折算方式应为「按比例折算」、「不折算」之一，现为「随便」"
    assert any("「方案」表第" in t and want in t for t in texts)
    assert any("B 列：须评全部单位应填「是」或「否」，现为「也许」" in t for t in texts)
    assert any(t.startswith("「组成」表第") and "G 列：分值应为数字，现为「三十」" in t for t in texts)


def test_component_points_not_matching_total_are_placed_on_the_parts_sheet(seed_xlsx):
    row = {}

    def edit(wb):
        wp = wb["组成"]
        for r in range(2, wp.max_row + 1):
            if wp.cell(row=r, column=1).value == "college" and wp.cell(row=r, column=4).value == "democratic":
                wp.cell(row=r, column=7).value = 25
                row["r"] = r
                break
    data, problems = import_scheme(_edit(seed_xlsx, edit))
    assert data is None
    texts = _texts(problems)
    assert any(t.startswith("「组成」表第") and "各组成部分分值合计 205，与总分 200 不符" in t for t in texts), texts


def test_formula_text_is_read_as_its_cached_value_or_refused(seed_xlsx):
    # a formula without a cached value (never opened in Excel) reads as empty: points missing
    row = {}

    def edit(wb):
        ws = wb["指标"]
        row["r"] = _row_of(ws, "B03")
        ws[f"E{row['r']}"] = "=0.5+0.5"
    data, problems = import_scheme(_edit(seed_xlsx, edit))
    assert data is None
    assert f"「指标」表第 {row['r']} 行 E 列：缺少分值" in _texts(problems)


def test_a_new_indicator_added_at_the_bottom_joins_its_parent(seed_xlsx):
    def edit(wb):
        ws = wb["指标"]
        ws[f"E{_row_of(ws, 'B04')}"] = 1  # 1.5 → 1, and the new B04a takes 0.5
        r = ws.max_row + 3  # blank rows in between are ignored
        for col, v in zip("ABCDEFGH", ["B04a", "BB", "参加教学能力比赛", "college", 0.5, "教务处", "评分人评分", "{}"],
                          strict=True):
            ws[f"{col}{r}"] = v
    data, problems = import_scheme(_edit(seed_xlsx, edit))
    assert _texts(problems) == []
    scheme = load_scheme(data)
    bb = scheme.indicator("BB")
    assert bb.children[-1].code == "B04a" and str(bb.children[-1].points) == "0.5"
    assert scheme.indicator("B04a").rule == "judged" and scheme.indicator("B04a").owner == "教务处"


def test_a_date_typed_into_the_period_is_read_as_text(seed, seed_xlsx):
    from datetime import datetime

    def edit(wb):
        ws = wb["方案"]
        for r in range(2, ws.max_row + 1):
            if ws.cell(row=r, column=1).value == "考核期开始":
                ws.cell(row=r, column=2).value = datetime(2018, 9, 1)
    data, problems = import_scheme(_edit(seed_xlsx, edit))
    assert problems == [] and data["period"]["start"] == "2018-09-01" and data == seed


_text = st.text(st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from("\n、；：:{}[]=\"'"),
                min_size=1, max_size=40).filter(lambda s: s.strip() and s.strip() != "{}")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=_text, description=_text, notes=_text, dbu=_text, note=_text)
def test_round_trip_of_any_text(seed, name, description, notes, dbu, note):
    d = copy.deepcopy(seed)
    dept = d["categories"][1]["components"][1]["indicators"][0]
    dept["name"], dept["description"], dept["notes"] = name, description, notes
    dept["description_by_unit"] = {"工会委员会": dbu}
    d["notes"] = [note]
    data, problems = import_scheme(export_scheme(d))
    assert _texts(problems) == []
    _same(data, d)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_a_workbook_resaved_by_libreoffice_calc_still_round_trips(seed, seed_xlsx, tmp_path):
    src = tmp_path / "in.xlsx"
    src.write_bytes(seed_xlsx)
    subprocess.run(["soffice", "--headless", "--norestore", f"-env:UserInstallation=file://{tmp_path}/profile",
                    "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(tmp_path / "out"), str(src)],
                   check=True, capture_output=True, timeout=180)
    resaved = (tmp_path / "out" / "in.xlsx").read_bytes()
    assert resaved != seed_xlsx
    data, problems = import_scheme(resaved)
    assert _texts(problems) == []
    _same(data, seed)


def test_reward_coefficients_round_trip_through_the_workbook(seed):
    d = copy.deepcopy(seed)
    d["grading"]["reward_coefficients"] = {"优秀": 1.5, "合格": 1, "不合格": 0}
    data, problems = import_scheme(export_scheme(d))
    assert problems == []
    assert data["grading"]["reward_coefficients"] == {"优秀": 1.5, "合格": 1, "不合格": 0}
    assert load_scheme(data).grading.reward_coefficient("优秀") == 1.5
    del d["grading"]["reward_coefficients"]
    data, problems = import_scheme(export_scheme(d))
    assert problems == [] and "reward_coefficients" not in data["grading"]


def test_user_text_that_looks_like_a_formula_is_neutralised_in_the_file_and_comes_back_exact(seed):
    """Names, descriptions and notes starting with = + - @ are written as neutralised text (a leading
    apostrophe, OWASP's advice; a spreadsheet shows the text and never runs it) and read back exactly."""
    import io

    from openpyxl import load_workbook

    d = copy.deepcopy(seed)
    d["name"] = "=HYPERLINK(\"http://x\",\"方案\")"
    d["notes"] = ["=cmd|' /C calc'!A0", "+1", "@SUM(A1)", "-减分说明"]
    d1 = d["categories"][1]["components"][1]["indicators"][0]
    d1["description"] = "=1+1"
    d = dump_scheme(load_scheme(d))
    xlsx = export_scheme(d)
    wb = load_workbook(io.BytesIO(xlsx))
    texts = [c.value for ws in wb for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert not any(t.startswith(("=", "+", "@")) for t in texts)
    assert "'=cmd|' /C calc'!A0" in texts and "'=1+1" in texts
    data, problems = import_scheme(xlsx)
    assert _texts(problems) == []
    _same(data, d)
