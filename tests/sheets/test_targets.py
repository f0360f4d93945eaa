"""Reading and writing target-table workbooks: round trips, refusals, label variants, self-evaluation sheet."""

from __future__ import annotations

import io
from decimal import Decimal as D
from pathlib import Path

import openpyxl
import pytest
from openpyxl import Workbook

from app.rubric.tablesettings import TableSettings
from app.rubric.targets import LAYOUT_FUNCTIONS, TargetRow, TargetTable
from app.rubric.values import parse_value
from app.rubric.yearend import score_year_end
from app.sheets.selfeval import score_workbook
from app.sheets.targets import SELFEVAL_HEADER, read_target_workbook, write_selfeval_sheet, write_target_workbook

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "targets"
SHARED_BLANK = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "selfeval_2024_blank.xlsx"


def xlsx(build) -> bytes:
    wb = Workbook()
    build(wb.active)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def put_rows(ws, rows, start=1):
    for i, values in enumerate(rows):
        for c, v in enumerate(values, start=1):
            if v is not None:
                cell = ws.cell(row=start + i, column=c, value=v)
                if isinstance(v, str) and v.startswith("="):
                    cell.data_type = "s"


# --------------------------------------------------------------------------- round trips

@pytest.mark.parametrize("name", ["changzhou_2026_targets.xlsx", "xuzhou_2022_targets.xlsx"])
def test_round_trip_of_the_source_tables(name):
    first = read_target_workbook(FIXTURES / name)
    assert first.ok
    table = first.to_table()
    data = write_target_workbook(table)
    again = read_target_workbook(data)
    assert again.ok, [str(e) for e in again.errors]
    assert again.to_table() == table
    assert (again.unit, again.year, again.layout) == (first.unit, first.year, first.layout)


def test_written_workbook_has_merged_levels_header_and_borders():
    table = read_target_workbook(FIXTURES / "xuzhou_2022_targets.xlsx").to_table()
    ws = openpyxl.load_workbook(io.BytesIO(write_target_workbook(table))).active
    header = [c.value for c in ws[4]]
    assert header == ["一级指标", "二级指标", "重点工作", "对应项目", "三级指标", "半年指标值", "全年指标值"]
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert "A5:A90" in merged  # 履职 over the 86 function rows
    assert "B5:B8" in merged  # 职能 1 over its four rows
    assert "C5:C7" in merged  # 教学硬件投入
    assert ws["F5"].border.left.style == "thin"
    assert ws.column_dimensions["E"].width >= 30
    assert ws["A3"].value == "单位名称" and ws["B3"].value == "徐州机电技师学院"
    assert ws["A2"].value == "2022年度"


def test_round_trip_with_every_optional_column():
    def v(text):
        return parse_value(text, year=2026)

    rows = (
        TargetRow(
            "履职",
            "党的建设",
            "党建活动",
            "党委职能",
            "落实党建工作责任",
            "述职评议次数",
            v("=100%"),
            v("≥1次"),
            D("12.5"),
            "按照完成比例赋分",
            1,
            related_project="党建经费",
        ),
        TargetRow(
            "履职",
            "党的建设",
            "党建活动",
            "党委职能",
            "落实党建工作责任",
            "述职评议覆盖面",
            v("推进"),
            v("落实"),
            None,
            None,
            2,
        ),
        TargetRow(
            "产出",
            "时效指标",
            "完成时间",
            None,
            None,
            "项目完成时间",
            v("/"),
            v("2026年12月31日前"),
            D(10),
            "直接赋分",
            3,
        ),
        TargetRow("产出", "数量指标", "辅导员", None, None, "辅导员师生比", v("1:200"), v("1：200"), None, None, 4),
    )
    table = TargetTable("某学院", "智慧校园项目", 2026, LAYOUT_FUNCTIONS, rows)
    data = write_target_workbook(table)
    result = read_target_workbook(data)
    assert result.ok, [str(e) for e in result.errors]
    assert result.to_table() == table
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    assert [c.value for c in ws[5]] == ["一级指标", "二级指标", "职能", "重点工作", "对应项目", "三级指标", "指标名称",
                                       "半年指标值", "全年指标值", "权重", "评分规则"]
    assert ws["A1"].value == "项目预算绩效目标表" and ws["B4"].value == "智慧校园项目"
    assert ws["H6"].data_type == "s"  # "=100%" stays text, not a formula


def test_to_table_needs_unit_and_year():
    data = xlsx(lambda ws: put_rows(ws, [["一级指标", "二级指标", "三级指标", "半年指标值", "全年指标值"],
                                         ["产出", "数量指标", "社会培训", "≥10000人次", "≥39000人次"]]))
    result = read_target_workbook(data)
    assert result.ok and result.unit is None and result.year is None
    with pytest.raises(ValueError, match="单位"):
        result.to_table()
    with pytest.raises(ValueError, match="年度"):
        result.to_table(unit="某学院")
    assert result.to_table(unit="某学院", year=2026).rows[0].full_year.quantity == D(39000)


# --------------------------------------------------------------------------- refusals

@pytest.mark.parametrize(
    "name, row, cell, words",
    [
        ("broken_value.xlsx", 6, "D6", ["第 6 行 D6 单元格「≥约100」无法识别"]),
        ("broken_no_name.xlsx", 6, "C6", ["第 6 行", "缺少指标名称", "C6"]),
        ("broken_formula.xlsx", 6, "D6", ["第 6 行 D6 单元格「=1+1」是公式"]),
    ],
)
def test_broken_cells_are_refused_naming_row_and_cell(name, row, cell, words):
    result = read_target_workbook(FIXTURES / name)
    assert not result.ok and result.rows == [] and result.to_json() == []
    assert len(result.errors) == 1
    err = result.errors[0]
    assert (err.sheet, err.row, err.cell) == ("Sheet", row, cell)
    for w in words:
        assert w in str(err)
    assert str(err).startswith("工作表「Sheet」")
    with pytest.raises(ValueError, match="不能保存"):
        result.to_table(unit="x", year=2026)


@pytest.mark.parametrize(
    "name, words",
    [
        ("broken_no_header.xlsx", "没有找到表头行"),
        ("broken_empty.xlsx", "没有找到表头行"),
        ("broken_not_xlsx.xlsx", "不是有效的 .xlsx"),
    ],
)
def test_unreadable_workbooks_are_refused(name, words):
    result = read_target_workbook(FIXTURES / name)
    assert not result.ok and result.rows == []
    assert words in str(result.errors[0])
    assert result.summary_json()["errors"][0]["message"] == str(result.errors[0])


def test_every_bad_cell_is_reported_not_only_the_first():
    data = xlsx(lambda ws: put_rows(ws, [
        ["一级指标", "二级指标", "三级指标", "半年指标值", "全年指标值"],
        ["产出", "数量指标", "a", "≥约100", "≥10个"],
        ["产出", "数量指标", "b", "≥5个", "90%-95%"],
        ["产出", "数量指标", "c", None, None],
    ]))
    result = read_target_workbook(data)
    assert [(e.row, e.cell) for e in result.errors] == [(2, "D2"), (3, "E3"), (4, "D4")]
    assert "没有半年或全年指标值" in str(result.errors[2])
    assert result.rows == []


def test_bad_weight_is_refused():
    data = xlsx(lambda ws: put_rows(ws, [
        ["一级指标", "二级指标", "三级指标", "年度指标值", "分值"],
        ["产出", "数量指标", "a", "≥10个", "十分"],
    ]))
    result = read_target_workbook(data)
    assert [(e.row, e.cell) for e in result.errors] == [(2, "E2")]
    assert "权重「十分」不是数字" in str(result.errors[0])


def test_bytes_path_and_file_objects_are_all_accepted():
    path = FIXTURES / "xuzhou_2022_targets.xlsx"
    with open(path, "rb") as fh:
        from_file = read_target_workbook(fh)
    assert read_target_workbook(path.read_bytes()).rows == read_target_workbook(str(path)).rows == from_file.rows


# --------------------------------------------------------------------------- layouts and label variants

def test_label_variants_single_value_weight_and_rule():
    data = xlsx(lambda ws: put_rows(ws, [
        ["项目支出绩效目标表"],
        ["单位名称：", "某学院"],
        ["2025 年度"],
        ["一级", "二级", "三级指标", "指标值", "权重（分）", "评分标准"],
        ["产出", "数量指标", "采购软件", ">=13套", 20, "按照完成比例赋分"],
        ["满意度", "满意度指标", "师生满意度", ">=90%", "10分", "满意度赋分"],
    ]))
    result = read_target_workbook(data)
    assert result.ok, [str(e) for e in result.errors]
    assert (result.unit, result.year) == ("某学院", 2025)
    r0, r1 = result.rows
    assert r0.half_year is None and (r0.full_year.operator, r0.full_year.quantity, r0.full_year.unit) == ("≥", 13, "套")
    assert (r0.weight, r1.weight) == (D(20), D(10))
    assert r1.rule == "满意度赋分"


def test_half_year_label_variants_and_two_row_header():
    data = xlsx(lambda ws: (
        put_rows(ws, [
            ["一级指标", "二级指标", "三级指标", "指标值", None],
            [None, None, None, "半年", "全年"],
            ["产出", "数量指标", "社会培训", "≥10000人次", "≥39000人次"],
        ]),
        ws.merge_cells("D1:E1"), ws.merge_cells("A1:A2"), ws.merge_cells("B1:B2"), ws.merge_cells("C1:C2"),
    ))
    result = read_target_workbook(data)
    assert result.ok, [str(e) for e in result.errors]
    r = result.rows[0]
    assert (r.half_year.quantity, r.full_year.quantity) == (10000, 39000)

    data = xlsx(lambda ws: put_rows(ws, [
        ["一级指标", "二级指标", "三级指标", "半年度目标值", "全年目标"],
        ["产出", "数量指标", "社会培训", "≥10000人次", "≥39000人次"],
    ]))
    assert read_target_workbook(data).rows[0].half_year.text == "≥10000人次"


def test_funds_rows_with_half_and_full_year_are_not_headers():
    data = xlsx(lambda ws: put_rows(ws, [
        ["资金（万元）", "支出", None, "半年计划执行数", "全年预算数"],
        [None, "基本支出", None, 14654, 36636.06],
        ["一级指标", "二级指标", "三级指标", "半年指标值", "全年指标值"],
        ["决策", "计划制定", "中长期规划制定健全性", "健全", "健全"],
    ]))
    result = read_target_workbook(data)
    assert result.ok and len(result.rows) == 1 and result.locations[0].row == 4


def test_blank_unmerged_levels_inherit_only_under_the_same_parent():
    data = xlsx(lambda ws: put_rows(ws, [
        ["一级指标", "二级指标", "重点工作", "三级指标", "半年指标值", "全年指标值"],
        ["履职", "专业建设", "专业建设", "专业增加数", "≥0个", "≥1个"],
        [None, None, None, "开展专业调研的专业覆盖率", "≥0%", "≥100%"],
        [None, "教育教学", None, "江苏省高水平专业群建设", "≥0个", "≥2个"],
        [None, None, "课程建设", "校企合作开发课程数", "≥0门", "≥300门"],
        [None, None, None, "省级及以上水平在线精品课程数量", "≥0门", "≥3门"],
    ]))
    rows = read_target_workbook(data).rows
    assert [(r.level1, r.level2, r.key_work) for r in rows] == [
        ("履职", "专业建设", "专业建设"),
        ("履职", "专业建设", "专业建设"),
        ("履职", "教育教学", None),
        ("履职", "教育教学", "课程建设"),
        ("履职", "教育教学", "课程建设"),
    ]


def test_functions_from_a_separate_column_and_wrapped_cells():
    data = xlsx(lambda ws: put_rows(ws, [
        ["职能", "重点工作", "三级指标", "半年目标", "全年目标"],
        ["社会\n培训", "企业职工培训", "企业职工\n培训", "≥400 人次", "≥800 人\n次"],
    ]))
    result = read_target_workbook(data)
    r = result.rows[0]
    assert result.layout == LAYOUT_FUNCTIONS
    assert (r.function, r.key_work, r.name, r.level1, r.level2) == (
        "社会培训", "企业职工培训", "企业职工培训", None, None
    )
    assert r.full_year.text == "≥800 人\n次" and r.full_year.quantity == 800 and r.full_year.unit == "人次"


def test_numbers_percentages_dates_and_constant_formulas():
    import datetime as dt

    def build(ws):
        put_rows(ws, [["一级指标", "二级指标", "三级指标", "半年指标值", "全年指标值"]])
        ws.append(["产出", "数量指标", "a", 0.45, 1])
        ws["D2"].number_format = "0%"
        ws.append(["产出", "时效指标", "b", None, dt.datetime(2026, 12, 31)])
        ws.append(["产出", "质量指标", "c", 12.5, 16.5])
        ws.append(["产出", "质量指标", "d", "=0次", "=100%"])  # written by openpyxl as formulas

    rows = read_target_workbook(xlsx(build)).rows
    assert (rows[0].half_year.text, rows[0].half_year.quantity, rows[0].half_year.unit) == ("45%", 45, "%")
    assert rows[0].full_year.text == "1"
    assert rows[1].full_year.kind == "date" and rows[1].full_year.date == dt.date(2026, 12, 31)
    assert (rows[2].half_year.text, rows[2].full_year.quantity) == ("12.5", D("16.5"))
    assert (rows[3].half_year.operator, rows[3].full_year.text) == ("=", "=100%")


def test_note_rows_hidden_sheets_and_several_sheets():
    wb = Workbook()
    ws = wb.active
    ws.title = "说明"
    ws["A1"] = "填报说明：请按年度填写"
    ws2 = wb.create_sheet("目标表")
    put_rows(ws2, [
        ["一级指标", "二级指标", "三级指标", "半年指标值", "全年指标值"],
        ["产出", "数量指标", "社会培训", "≥10000人次", "≥39000人次"],
        ["注：半年指标值为6月30日前应完成的数量"],
    ])
    ws2.merge_cells("A3:E3")
    ws3 = wb.create_sheet("旧表")
    put_rows(ws3, [["一级指标", "二级指标", "三级指标", "半年指标值", "全年指标值"], ["x", "y", "z", "坏≥", "1"]])
    ws3.sheet_state = "hidden"
    ws4 = wb.create_sheet("续表")
    put_rows(ws4, [["一级指标", "二级指标", "三级指标", "半年指标值", "全年指标值"],
                   ["满意度", "服务对象满意度", "学生满意率", "≥95%", "≥95%"]])
    buf = io.BytesIO()
    wb.save(buf)
    result = read_target_workbook(buf.getvalue())
    assert result.ok, [str(e) for e in result.errors]
    assert [r.name for r in result.rows] == ["社会培训", "学生满意率"]
    assert [r.position for r in result.rows] == [1, 2]
    assert [(loc.sheet, loc.row) for loc in result.locations] == [("目标表", 2), ("续表", 2)]
    joined = "\n".join(result.warnings)
    assert "「说明」没有找到表头行" in joined and "「旧表」是隐藏的" in joined and "说明行" in joined


def test_unknown_rule_is_a_warning_not_a_refusal():
    data = xlsx(lambda ws: put_rows(ws, [
        ["一级指标", "二级指标", "三级指标", "全年指标值", "评分规则"],
        ["产出", "数量指标", "a", "≥10个", "完成得满分，否则酌情扣分"],
    ]))
    result = read_target_workbook(data)
    assert result.ok and "不是已知规则" in result.warnings[0]


def test_oversized_sheet_is_refused():
    def build(ws):
        put_rows(ws, [
            ["一级指标", "二级指标", "三级指标", "半年指标值", "全年指标值"],
            ["产出", "数量", "a", "1个", "2个"],
        ])
        ws.cell(row=30000, column=1, value="x")

    result = read_target_workbook(xlsx(build))
    assert not result.ok and "范围过大" in str(result.errors[0])


# --------------------------------------------------------------------------- self-evaluation sheet

def _actuals_meeting_targets(table):
    out = {}
    for row in table.rows:
        v = row.full_year
        if v.kind == "quantity":
            out[row.position] = f"{v.quantity}{v.unit or ''}"
        else:
            out[row.position] = "1:200" if v.kind == "ratio" else v.text
    return out


@pytest.mark.parametrize("name", ["changzhou_2026_targets.xlsx", "xuzhou_2022_targets.xlsx"])
def test_selfeval_sheet_is_read_by_the_score_sheet_reader(name):
    table = read_target_workbook(FIXTURES / name).to_table()
    actuals = _actuals_meeting_targets(table)
    missed = next(r for r in table.rows if r.full_year.kind == "quantity" and r.full_year.quantity > 10)
    actuals[missed.position] = f"{missed.full_year.quantity * D('0.9')}{missed.full_year.unit or ''}"
    level = next(r for r in table.rows if r.full_year.kind == "level")
    actuals[level.position] = "未达到预期指标"
    data = write_selfeval_sheet(table, actuals, budget=(1000, 1000, 960.5), department="主管部门")
    result = score_workbook(openpyxl.load_workbook(io.BytesIO(data)))
    assert result.errors == [], [str(e) for e in result.errors[:3]]
    (project,) = result.projects
    assert len(project.indicators) == len(table.rows)
    # the table's 预算执行率 row (if any) is counted in the 年度资金总额 line only, so weight 0 here
    ours = score_year_end(table, actuals, settings=TableSettings(), budget_line=True,
                          budget_rate=D("960.5") / D(1000)).score
    exec_rows = [r for r in ours.rows if not r.counted]
    assert len(exec_rows) == (1 if name.startswith("changzhou") else 0)
    assert all(r.weight == 0 for r in exec_rows)
    assert [i.score.points for i in project.indicators] == [r.points for r in ours.rows]
    assert [i.name for i in project.indicators] == ["".join(r.name.split()) for r in table.rows]
    assert len(ours.shortfalls) == 2
    # execution 96.05 % → 10 × (1 − 2.5 × 0.0395) = 9.0125 → 9.01
    assert project.execution_score == D("9.01")
    assert project.total == ours.total + D("9.01")
    assert not any("不一致" in f for i in project.indicators for f in i.flags)
    assert not project.total_flags


def test_selfeval_sheet_layout_matches_the_official_form():
    table = read_target_workbook(FIXTURES / "xuzhou_2022_targets.xlsx").to_table()
    ws = openpyxl.load_workbook(io.BytesIO(write_selfeval_sheet(table, {}, budget=(1, 1, 1)))).active
    assert ws["A1"].value == "项目支出绩效自评表" and ws["A2"].value == "(2022年度)"
    assert (ws["A3"].value, ws["B3"].value, ws["G4"].value, ws["H4"].value) == (
        "项目名称",
        "徐州机电技师学院",
        "实施单位",
        "徐州机电技师学院",
    )
    assert [ws.cell(row=5, column=c).value for c in range(3, 9)] == [
        "年初预算数",
        "全年预算数",
        "全年执行数",
        "分值",
        "执行率",
        "得分",
    ]
    assert ws["B6"].value == "年度资金总额" and ws["F6"].value == 10
    assert tuple(ws.cell(row=11, column=c).value for c in range(2, 15)) == SELFEVAL_HEADER
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {"A1:N1", "A5:A8", "B9:G9", "H9:N9", f"A12:A{11 + 88}"} <= merged
    assert ws.cell(row=12 + 88, column=1).value == "总分" and ws.cell(row=12 + 88, column=5).value == 100
    assert ws["G12"].value is None  # no actual reported


@pytest.mark.skipif(not SHARED_BLANK.exists(), reason="shared self-evaluation fixture not available")
def test_selfeval_header_is_the_one_of_the_shared_fixture():
    ws = openpyxl.load_workbook(SHARED_BLANK).worksheets[0]
    assert tuple(ws.cell(row=11, column=c).value for c in range(2, 15)) == SELFEVAL_HEADER
    assert [ws.cell(row=5, column=c).value for c in range(3, 9)] == [
        "年初预算数",
        "全年预算数",
        "全年执行数",
        "分值",
        "执行率",
        "得分",
    ]


def test_selfeval_sheet_without_budget_line_is_reported_by_the_reader():
    table = read_target_workbook(FIXTURES / "xuzhou_2022_targets.xlsx").to_table()
    data = write_selfeval_sheet(table, _actuals_meeting_targets(table))
    result = score_workbook(openpyxl.load_workbook(io.BytesIO(data)))
    assert result.projects == [] and "执行率为空" in str(result.errors[0])


def test_meta_from_one_cell_labels_and_titles_with_the_year():
    data = xlsx(
        lambda ws: put_rows(
            ws,
            [
                ["常州工业职业技术学院2026年部门整体绩效目标表"],
                ["单位名称：常州工业职业技术学院", None, "单位：万元"],
                [
                    "中长期目标",
                    "到2030年，学校将聚焦高质量发展主线，累计培育国家级标志性成果不少于15个、省部级成果不少于30个……",
                ],
                ["一级指标", "二级指标", "三级指标", "半年指标值", "全年指标值"],
                ["产出", "数量指标", "社会培训", "≥10000人次", "≥39000人次"],
            ],
        )
    )
    result = read_target_workbook(data)
    assert (result.title, result.unit, result.year) == (
        "常州工业职业技术学院2026年部门整体绩效目标表", "常州工业职业技术学院", 2026
    )


def test_indicator_spanning_two_physical_rows_is_read_once():
    def build(ws):
        put_rows(
            ws,
            [
                ["一级指标", "二级指标", "三级指标", "半年指标值", "全年指标值"],
                [
                    "产出",
                    "数量指标",
                    "与企业建立订单培养形式，建立新型（现代）学徒制等校企“双主体育人模式”",
                    "≥300 人",
                    "≥300 人",
                ],
                [None, None, None, None, None],
                [None, None, "研究生人数", "≥60 人", "≥60 人"],
            ],
        )
        ws.merge_cells("A2:A4")
        ws.merge_cells("B2:B4")
        for col in "CDE":
            ws.merge_cells(f"{col}2:{col}3")

    result = read_target_workbook(xlsx(build))
    assert [r.name for r in result.rows] == [
        "与企业建立订单培养形式，建立新型（现代）学徒制等校企“双主体育人模式”", "研究生人数"
    ]
    assert result.rows[1].levels[:2] == ("产出", "数量指标")


def test_empty_name_takes_the_rows_own_key_work_with_a_warning():
    data = xlsx(lambda ws: put_rows(ws, [
        ["一级指标", "二级指标", "重点工作", "三级指标", "半年指标值", "全年指标值"],
        ["履职", "创新创业工作", "创新创业大赛", "创新创业大赛省赛获奖项目", "推进", "≥6项"],
        [None, None, "创新创业训练项目数", None, "推进", "≥16项"],
    ]))
    result = read_target_workbook(data)
    assert result.ok
    r = result.rows[1]
    assert (r.key_work, r.name, r.level3) == ("创新创业训练项目数", "创新创业训练项目数", "创新创业训练项目数")
    assert "以重点工作「创新创业训练项目数」作为指标名称" in result.warnings[0]


# --------------------------------------------------------------------------- never crashes

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_cell = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**9), st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.text(alphabet="≥≤=＝<>%％:：0123456789.万元人次个健全推进无 -/\n约", max_size=12),
    st.dates(),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(["产出", None]), st.sampled_from(["数量指标", None]),
                          st.one_of(st.none(), st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=6)),
                          _cell, _cell, _cell), min_size=1, max_size=6))
def test_reader_never_raises_and_refuses_all_or_nothing(rows):
    def build(ws):
        ws.append(["一级指标", "二级指标", "三级指标", "半年指标值", "全年指标值", "权重"])
        for r in rows:
            ws.append(list(r))

    result = read_target_workbook(xlsx(build))
    assert (result.errors and not result.rows) or (result.rows and not result.errors)
    for e in result.errors:
        assert str(e)


@settings(max_examples=30, deadline=None)
@given(st.binary(max_size=300))
def test_reader_refuses_random_bytes(data):
    result = read_target_workbook(data)
    assert not result.ok and result.errors


# --------------------------------------------------------------------------- above the header, sections

def test_figures_above_the_header_are_kept_and_exported_in_the_official_layout():
    """资金总额, the 收入 block, 项目支出 lines, 单位主要职能 and 年度目标 survive import and export,
    and each section is written under its own header row."""

    def build(ws):
        ws.append(["江苏省省级部门整体预算绩效目标表"])
        ws.append(["2026年度"])
        ws.append(["单位名称", "常州工业职业技术学院"])
        ws.append(["单位\n主要职能", "(一) 高等职业教育学历教育。\n(二) 落实好立德树人根本任务。"])
        ws.append(["收入", "资金总额", "38143.9", "一般公共预算资金", "23743.9"])
        ws.append(["", "财政拨款", 12960.55, "其他", "2185"])
        ws.append(["支出", "项目支出", "632", "1507.84"])
        ws.append(["", "基本支出", "14654", "36636.06"])
        ws.merge_cells("A5:A6")
        ws.merge_cells("A7:A8")
        ws.append(["年度目标", "坚持高标准开展省高水平高职学校建设。"])
        ws.append(["一级指标", "二级指标", "三级指标", "半年指标值", "全年指标值"])
        ws.append(["产出", "数量", "社会培训", "≥10000人次", "≥39000人次"])
        ws.append(["一级指标", "二级指标", "重点工作", "三级指标", "半年指标值", "全年指标值"])
        ws.append(["履职", "党的建设", "党日活动", "评选最佳党日活动", "≥10个", "≥10个"])

    result = read_target_workbook(xlsx(build))
    assert result.ok, [str(e) for e in result.errors]
    table = result.to_table()
    info = table.info
    assert info["单位主要职能"].startswith("(一) 高等职业教育学历教育。\n(二)")
    assert info["收入·资金总额"] == "38143.9" and info["收入·一般公共预算资金"] == "23743.9"
    assert info["收入·财政拨款"] == "12960.55" and info["收入·其他"] == "2185"
    assert info["支出·项目支出"] == "632 / 1507.84" and info["支出·基本支出"] == "14654 / 36636.06"
    assert info["年度目标"] == "坚持高标准开展省高水平高职学校建设。"
    texts = [[t for _c, _n, _rows, t in cells] for cells in table.preamble]
    assert ["支出", "项目支出", "632", "1507.84"] in texts
    assert [r.section for r in table.rows] == [0, 1]

    data = write_target_workbook(table)
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    values = [[c.value for c in row if c.value is not None] for row in ws.iter_rows()]
    assert ["财政拨款", "12960.55", "其他", "2185"] in values and ["支出", "项目支出", "632", "1507.84"] in values
    headers = [i for i, v in enumerate(values) if v and v[0] == "一级指标"]
    assert len(headers) == 2 and "重点工作" in values[headers[1]] and "重点工作" not in values[headers[0]]
    merged = {str(m) for m in ws.merged_cells.ranges}
    assert {"A5:A6", "A7:A8"} <= merged  # 收入 and 支出 span their blocks again
    back = read_target_workbook(data).to_table()
    assert back.preamble == table.preamble and back.rows == table.rows and back.unit == table.unit


def test_source_tables_keep_their_preamble():
    changzhou = read_target_workbook(FIXTURES / "changzhou_2026_targets.xlsx").to_table()
    assert changzhou.info["资金总额"] == "38143.9" and changzhou.info["单位主要职能"].startswith("(一)")
    assert changzhou.info["年度目标"].startswith("坚持以习近平")
    assert len({r.section for r in changzhou.rows}) >= 2
    back = read_target_workbook(write_target_workbook(changzhou)).to_table()
    assert back == changzhou
    xuzhou = read_target_workbook(FIXTURES / "xuzhou_2022_targets.xlsx").to_table()
    assert xuzhou.info == {"单位名称": "徐州机电技师学院", "资金总额": "9366.24万元"}
    back = read_target_workbook(write_target_workbook(xuzhou)).to_table()
    assert back == xuzhou
