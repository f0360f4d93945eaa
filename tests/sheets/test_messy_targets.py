"""Target-table import of messy workbooks (issue 14, class 7): values kept as text with a warning of
their row, never a refusal of the workbook; what would be saved wrongly still refuses."""

from app.rubric.targets import TargetTable
from app.sheets.targets import read_target_workbook
from tests.builders import messy


def test_messy_values_are_kept_with_row_warnings():
    result = read_target_workbook(messy.target_workbook())
    assert result.ok and result.errors == [], [str(e) for e in result.errors]
    narrative, people, devices, satisfaction = result.rows
    assert narrative.full_year.kind == "level" and narrative.full_year.text == "力争合格率达95%，环境整洁"
    assert "定性" in result.row_warnings[0][0] and "E5" in result.row_warnings[0][0]
    assert (people.half_year.operator, people.half_year.quantity, people.full_year.quantity) == ("≥", 500, 1000)
    assert people.full_year.text == "[bookmark: _GoBack]≥1000人次"  # the original text is what is saved
    assert any("网页标签" in w for w in result.row_warnings[1]) and any("书签" in w for w in result.row_warnings[1])
    assert (devices.half_year.quantity, devices.half_year.upper, devices.full_year.operator) == (5, 10, "≥")
    assert any("看情况赋分" in w for w in result.row_warnings[2])
    assert satisfaction.full_year.operator == "≥" and result.row_warnings[3] == []
    objs = result.to_json()
    assert objs[0]["warnings"] == result.row_warnings[0] and result.summary_json()["row_warnings"] == 3
    # the saved table keeps every value as read (round trip through storage)
    table = result.to_table()
    assert TargetTable.from_dict(table.to_dict()) == table


def test_rule_texts_are_rules_not_warnings():
    rows = [messy.TARGET_ROWS[0], ("产出指标", "质量指标", "合格率", None, "≥95%", "每降低1%扣1分"),
            ("产出指标", "时效指标", "完成时间", None, "2026年6月30日前", "每超出10天扣1分"),
            ("效益指标", "社会效益", "影响", None, "较大", "较大得10分，一般得6分，较小得2分")]
    result = read_target_workbook(messy.target_workbook(rows))
    assert result.ok and result.row_warnings == [[], [], []] and result.warnings == []


def test_header_not_matched_names_labels_looked_for_and_found():
    rows = [("一级指标", "二级指标", "考评要点", "年度任务"), ("产出指标", "数量指标", "培训", "≥10个")]
    result = read_target_workbook(messy.target_workbook(rows))
    message = str(result.errors[0])
    assert "三级指标" in message and "全年指标值" in message  # looked for
    assert "最接近的是工作表「Sheet」第 4 行" in message and "「考评要点」" in message  # found


def test_a_value_that_would_be_saved_wrongly_still_refuses():
    rows = [*messy.TARGET_ROWS, ("产出指标", "数量指标", "坏值", None, "≥≤5个", None)]
    result = read_target_workbook(messy.target_workbook(rows))
    assert not result.ok and result.rows == [] and "E9" in str(result.errors[0])


def _two_periods(long_values, year_values) -> bytes:
    rows = [
        ("一级指标", "长期目标", None, None, "年度目标", None, None),
        ("一级指标", "二级指标", "三级指标", "指标值", "二级指标", "三级指标", "指标值"),
    ]
    for i, (lv, yv) in enumerate(zip(long_values, year_values, strict=True)):
        rows.append(("产出指标", "数量指标", f"长期{i}", lv, "数量指标", f"年度{i}", yv))
    import io

    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"], ws["B1"] = "单位名称", "机电工程学院"
    for r, values in enumerate(rows, start=3):
        for c, v in enumerate(values, start=1):
            if v is not None:
                ws.cell(r, c, v)
    ws.merge_cells("B3:D3")
    ws.merge_cells("E3:G3")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_two_periods_side_by_side_read_the_one_with_values():
    result = read_target_workbook(_two_periods([None, None], ["≥10个", "=100%"]), year=2026)
    assert result.ok, [str(e) for e in result.errors]
    assert [r.name for r in result.rows] == ["年度0", "年度1"] and result.rows[0].full_year.quantity == 10
    assert result.rows[0].level1 == "产出指标"
    assert any("年度目标" in w and "长期目标" in w for w in result.warnings)
    both = read_target_workbook(_two_periods(["≥50个", "=100%"], ["≥10个", "=100%"]), year=2026)
    assert [r.name for r in both.rows] == ["年度0", "年度1"]  # both filled: the annual one
    long = read_target_workbook(_two_periods(["≥50个", "=100%"], [None, None]), year=2026)
    assert [r.name for r in long.rows] == ["长期0", "长期1"] and any("「长期目标」" in w for w in long.warnings)
