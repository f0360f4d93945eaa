"""A table's judging settings: over-achievement policy, status bands, grade bands, the budget
execution line and the overall (部门整体) score — checked against the Jiangmen 2022 document."""

from decimal import Decimal as D

import pytest

from app.rubric import selfeval
from app.rubric.tablesettings import Deduction, SettingsError, TableSettings, score_overall
from app.rubric.targets import TargetRow, TargetTable, checkpoint_report, score_table
from app.rubric.values import parse_value
from tests.sheets.test_targets_sources import JIANGMEN


def jiangmen_table() -> TargetTable:
    rows = [TargetRow(level1=l1, level2=l2, level3=name, function=None, key_work=None, name=name, half_year=None,
                      full_year=parse_value(target, year=2022), position=i)
            for i, (l1, l2, name, target, _actual, _spec) in enumerate(JIANGMEN, start=1)]
    return TargetTable(unit="江门市技师学院", project=None, year=2022, layout="levels", rows=tuple(rows))


JIANGMEN_ACTUALS = {i: j[4] for i, j in enumerate(JIANGMEN, start=1)}


def test_jiangmen_overall_self_evaluation_is_99_75_excellent():
    table = jiangmen_table()
    settings = TableSettings(scoring="overall")
    score = score_table(table, JIANGMEN_ACTUALS, settings=settings)
    # ≥ target met = full marks: only 指标 8 (73 % against ≥85 %) loses points
    assert [r.name for r in score.shortfalls] == ["指标 8：中、高级职称以上教师"]
    assert score.attainment == (D("95.00"), D("100.00"), 19, 20)
    overall = score_overall(settings, attainment=score.attainment, execution=None)
    assert overall.total == D("99.75") and overall.grade == "优"
    assert [(d.name, d.score) for d in overall.dimensions] == [
        ("预算编制", D("20.00")), ("预算执行", D("30.00")), ("资金使用绩效", D("49.75"))]
    line = overall.dimensions[2].lines[-1]
    assert line[0] == "绩效目标完成率" and line[2] == D("4.75") and "19 / 20" in line[3]


def test_jiangmen_indicators_alone_and_the_old_deviation_figure():
    table = jiangmen_table()
    met = score_table(table, JIANGMEN_ACTUALS)  # the default policy of a unit's table: met
    # 5 × (1 − 2.5 × (1 − 73/85)) = 3.235… → 3.24; everything else full
    assert met.total == D("98.24") and met.grade == "优"
    exceeded = [r for r in met.rows if r.rate is not None and r.rate > 1]
    assert len(exceeded) == 11 and all(r.points == r.weight for r in exceeded)
    assert "超额完成视同达到目标" in met.rows[1].explanation  # 11 人 against ≥5
    dev = score_table(table, JIANGMEN_ACTUALS, settings=TableSettings(overachievement="deviation"))
    assert dev.total == D("81.49") and dev.grade == "良"  # what the deviation rule gives instead
    assert dev.rows[1].points == D("0.00")


def _t(*rows):
    return TargetTable(unit="u", project=None, year=2026, layout="levels", rows=tuple(rows))


def _r(pos, name, full, **kw):
    return TargetRow(level1="产出", level2="数量指标", level3=name, function=None, key_work=None, name=name,
                     half_year=None, full_year=parse_value(full, year=2026), position=pos, **kw)


def test_row_policy_overrides_the_table_policy():
    t = _t(_r(1, "引进人才", "≥5人", weight=D(50)),
           _r(2, "培训人次", "≥500人次", weight=D(50), overachievement="deviation"))
    s = score_table(t, {1: "11人", 2: "550人次"})
    assert [r.points for r in s.rows] == [D("50.00"), D("45.00")]
    s = score_table(t, {1: "11人", 2: "550人次"}, settings=TableSettings(overachievement="deviation"))
    assert [r.points for r in s.rows] == [D("0.00"), D("45.00")]
    t2 = _t(_r(1, "引进人才", "≥5人", weight=D(50), overachievement="met"), _r(2, "培训人次", "≥500人次", weight=D(50)))
    s = score_table(t2, {1: "11人", 2: "550人次"}, settings=TableSettings.defaults(project=True))
    assert [r.points for r in s.rows] == [D("50.00"), D("45.00")]


def test_money_ceiling_is_met_within_budget_under_the_met_policy():
    t = _t(_r(1, "项目成本", "≤630万元"))
    assert score_table(t, {1: "624.9万元"}).rows[0].points == D("100.00")
    dev = score_table(t, {1: "624.9万元"}, settings=TableSettings(overachievement="deviation"))
    assert dev.rows[0].rate < 1 and dev.rows[0].points < 100  # the project-sheet convention stays


def test_every_row_that_loses_points_is_behind_at_year_end():
    t = _t(_r(1, "a", "≥92%"), _r(2, "b", "≥5人"), _r(3, "c", "≥500人次"), _r(4, "d", "≥100人"),
           _r(5, "e", "完成", ), _r(6, "f", "≥10个"))
    actuals = {1: "90%", 2: "11人", 3: "550人次", 4: "60人", 5: "基本完成", 6: "10个"}
    for settings in (TableSettings(), TableSettings(overachievement="deviation")):
        score = score_table(t, actuals, settings=settings)
        rep = checkpoint_report(t, actuals, "full_year", settings)
        flagged = {r.position for r in rep.rows if r.behind or r.status is None or r.actual is None}
        assert {r.position for r in score.shortfalls} <= flagged
        assert rep.rows[5].status == "green" and rep.rows[5].position not in flagged
    dev = checkpoint_report(t, actuals, "full_year", TableSettings(overachievement="deviation"))
    assert [r.status for r in dev.rows[:4]] == ["amber", "over", "over", "red"]
    assert dev.counts["amber"] == 3 and "偏差" in dev.rows[1].note
    met = checkpoint_report(t, actuals, "full_year")
    assert [r.status for r in met.rows[:4]] == ["amber", "green", "green", "red"]
    half = checkpoint_report(_t(_r(1, "a", "≥5人")), {1: "11人"}, "full_year", TableSettings(amber_from=D("0.5")))
    assert half.rows[0].status == "green"


def test_grade_bands_are_a_setting():
    s = TableSettings(grade_bands=(D(95), D(85), D(70)))
    assert [s.grade(D(x)) for x in ("95", "94.99", "85", "70", "69.99")] == ["优", "良", "良", "中", "差"]
    assert TableSettings().grade(D("90")) == "优" and TableSettings().grade(D("89.99")) == "良"
    t = _t(_r(1, "a", "≥10个"))
    assert score_table(t, {1: "9个"}, settings=s).grade == "中"  # 75.00


@pytest.mark.parametrize("data, message", [
    ({"overachievement": "bonus"}, "超额完成的处理方式"),
    ({"grade_bands": ["80", "90", "60"]}, "等级分数线"),
    ({"grade_bands": ["90", "80", "x"]}, "不是数字"),
    ({"amber_from": "1"}, "略低于目标"),
    ({"execution_target": "0"}, "预算执行率目标"),
    ({"scoring": "overall", "dimensions": [{"key": "budgeting", "points": "30"}, {"key": "execution", "points": "30"},
                                            {"key": "performance", "points": "50"}]}, "合计 110"),
])
def test_settings_refuse_unusable_values_in_chinese(data, message):
    with pytest.raises(SettingsError, match=message):
        TableSettings.from_dict(data)


def test_settings_round_trip_and_defaults():
    assert TableSettings.defaults().overachievement == "met"
    assert TableSettings.defaults(project=True).overachievement == "deviation"
    s = TableSettings.from_dict({"amber_from": "0.8", "grade_bands": ["92", "82", "62"], "scoring": "overall",
                                 "execution_target": "0.95"})
    assert TableSettings.from_dict(s.to_dict()) == s
    assert TableSettings.from_dict({}, project=True) == TableSettings.defaults(project=True)


def test_execution_line_target_is_not_hard_coded():
    assert selfeval.score_budget_execution(D("0.96"), target=D("0.95")).points == D("10.00")
    s = selfeval.score_budget_execution(D("0.90"), target=D("0.95"))
    # 0.90 / 0.95 = 94.74 % → 10 × (1 − 2.5 × 5.26 %) = 8.68
    assert s.points == D("8.68") and "目标 95.00%" in s.explanation
    assert selfeval.score_budget_execution(D("0.96")).points == D("9.00")


def test_excluded_rows_get_no_weight_and_do_not_count_towards_attainment():
    t = _t(_r(1, "预算执行率", "=100%"), _r(2, "a", "≥10个"), _r(3, "b", "≥10个"))
    s = score_table(t, {1: "50%", 2: "10个", 3: "10个"}, pool=D(90), exclude={1}, exclude_reason="计入预算执行率一栏")
    assert [r.weight for r in s.rows] == [D("0.00"), D("45.00"), D("45.00")]
    assert s.total == D("90.00") and s.shortfalls == () and s.rows[0].explanation == "计入预算执行率一栏"
    assert s.attainment == (D("90.00"), D("90.00"), 2, 2)


def test_overall_deductions_come_off_their_dimension_and_the_execution_line_is_computed():
    settings = TableSettings(scoring="overall")
    exe = selfeval.score_budget_execution(D("0.96"))
    o = score_overall(settings, attainment=(D(100), D(100), 5, 5), execution=(exe.points, exe.explanation),
                      deductions=[Deduction("budgeting", D("1.5"), "绩效目标未细化")])
    assert [d.score for d in o.dimensions] == [D("18.50"), D("29.00"), D("50.00")]
    assert o.total == D("97.50") and "绩效目标未细化扣 1.50 分" in o.dimensions[0].lines[0][3]
    o = score_overall(settings, attainment=(D(100), D(100), 5, 5), execution=None,
                      deductions=[Deduction("budgeting", D("25"), "x")])
    assert o.dimensions[0].score == D("0.00") and o.flags
