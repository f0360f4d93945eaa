import datetime as dt
from dataclasses import replace
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.rubric.values import (
    Conventions,
    TargetValue,
    ValueParseError,
    completion_rate,
    is_money_unit,
    normalized_quantity,
    parse_value,
    strip_markup,
    units_compatible,
)


@pytest.mark.parametrize(
    "text, op, qty, unit",
    [
        ("≥10000人次", "≥", "10000", "人次"),
        ("=100%", "=", "100", "%"),
        ("≤0%", "≤", "0", "%"),
        (">=13套", "≥", "13", "套"),
        ("<=630万元", "≤", "630", "万元"),
        ("＞５", ">", "5", None),
        ("＜5次", "<", "5", "次"),
        ("≧９５％", "≥", "95", "%"),
        ("≦3起", "≤", "3", "起"),
        ("≥3.5万", "≥", "3.5", "万"),
        ("16.5小时/天", None, "16.5", "小时/天"),
        ("95.02%", None, "95.02", "%"),
        ("=96.2%", "=", "96.2", "%"),
        ("1,023.86", None, "1023.86", None),
        ("=600元/生/年", "=", "600", "元/生/年"),
        ("=0.20万元/生/年", "=", "0.20", "万元/生/年"),
        ("95%以上", "≥", "95", "%"),
        ("不低于90%", "≥", "90", "%"),
        ("不超过5%", "≤", "5", "%"),
        (" ≥ 2 项 ", "≥", "2", "项"),
        ("=≥5个", "≥", "5", "个"),
    ],
)
def test_quantities(text, op, qty, unit):
    v = parse_value(text)
    assert v.kind == "quantity"
    assert v.text == text
    assert v.operator == op
    assert v.quantity == D(qty)
    assert v.unit == unit


def test_numbers_and_floats():
    assert parse_value(13).quantity == D(13)
    assert parse_value(0.9786000000000001).quantity == D("0.9786")
    assert parse_value(9.8).quantity == D("9.8")
    assert parse_value(D("1.5")).quantity == D("1.5")
    assert parse_value(None).kind == "empty"
    for empty in ("", "  ", "/", "-", "—"):
        assert parse_value(empty).kind == "empty"


@pytest.mark.parametrize("text", ["1:200", "1：200", "1 : 200"])
def test_ratio(text):
    v = parse_value(text)
    assert v.kind == "ratio" and v.ratio == (D(1), D(200))
    assert v.number == D(1) / D(200)


@pytest.mark.parametrize(
    "text, op, start, end",
    [
        ("2024年12月31日前", "≤", dt.date(2024, 12, 31), dt.date(2024, 12, 31)),
        ("=2024年12月10日前", "≤", dt.date(2024, 12, 10), dt.date(2024, 12, 10)),
        ("2024年12月15日", None, dt.date(2024, 12, 15), dt.date(2024, 12, 15)),
        ("=2024年12月15日", "=", dt.date(2024, 12, 15), dt.date(2024, 12, 15)),
        ("2025年5月", None, dt.date(2025, 5, 1), dt.date(2025, 5, 31)),
        ("12月底前", "≤", dt.date(2024, 12, 31), dt.date(2024, 12, 31)),
        ("2024年底前", "≤", dt.date(2024, 12, 31), dt.date(2024, 12, 31)),
        ("2024-09-30", None, dt.date(2024, 9, 30), dt.date(2024, 9, 30)),
        ("2024年上半年", None, dt.date(2024, 1, 1), dt.date(2024, 6, 30)),
    ],
)
def test_dates(text, op, start, end):
    v = parse_value(text, year=2024)
    assert v.kind == "date"
    assert v.operator == op
    assert (v.date, v.date_end) == (start, end)


def test_date_without_year_is_marked():
    v = parse_value("12月底前", year=2023)
    assert v.year_assumed and v.date == dt.date(2023, 12, 31)
    assert not parse_value("2024年12月31日前").year_assumed
    assert parse_value("12月底前").year_assumed


def test_excel_dates():
    assert parse_value(dt.datetime(2024, 12, 10)).date == dt.date(2024, 12, 10)
    assert parse_value(dt.date(2024, 12, 10)).kind == "date"


@pytest.mark.parametrize(
    "text",
    ["健全", "合理", "推进", "落实", "完成", "提升", "无", "按需提供", "好", "较好", "达到预期指标", "有效", "显著",
     "明显提升", "=达到预期指标"],
)
def test_levels(text):
    v = parse_value(text)
    assert v.kind == "level"
    assert v.level == text.lstrip("=")
    assert v.text == text


@pytest.mark.parametrize("text", [">=abc", "13套12", "≥≤5", "90%-95元", "第3季度左右吧1", "≥", "2024年2月30日"])
def test_unreadable(text):
    with pytest.raises(ValueParseError) as err:
        parse_value(text)
    assert "无法识别" in str(err.value) and text in str(err.value)


def test_normalised_multipliers():
    assert normalized_quantity(parse_value("≥3.5万")) == (D(35000), "")
    assert normalized_quantity(parse_value("3.5万元")) == (D(35000), "元")
    assert normalized_quantity(parse_value("2亿元")) == (D(200000000), "元")
    assert normalized_quantity(parse_value("95%")) == (D(95), "%")
    assert normalized_quantity(parse_value("提升")) is None
    assert units_compatible(parse_value("3.5万元"), parse_value("35000元"))
    assert units_compatible(parse_value("13套"), parse_value("13"))
    assert not units_compatible(parse_value("13套"), parse_value("13人"))
    assert is_money_unit("万元/生/年") and is_money_unit("元") and not is_money_unit("%")


def rate(t, a, year=2024):
    return completion_rate(parse_value(t, year=year), parse_value(a, year=year))


@pytest.mark.parametrize(
    "target, actual, expected",
    [
        # the published changji 2024 tables
        (">=13套", "=13套", "1"),
        ("=100%", "=100%", "1"),
        ("<=630万元", "=624.9万元", "0.9919047619"),
        ("<=50万元", "=48.93万元", "0.9786"),
        (">=85%", "=96.2%", "1.1317647059"),
        (">=209人", "=312人", "1.4928229665"),
        (">=1次", "=2次", "2"),
        (">=10个", "=15个", "1.5"),
        (">=90%", "=97.24%", "1.0804444444"),
        ("=0.20万元/生/年", "=0.2万元/生/年", "1"),
        # multipliers on either side
        ("≥3.5万人次", "36000人次", "1.0285714286"),
        # ceilings that are not money: met at or below, target ÷ actual above
        ("≤5%", "3%", "1"),
        ("≤5%", "10%", "0.5"),
        ("≤0%", "0%", "1"),
        ("≤0起", "2起", "0"),
        # ratios
        ("1:200", "1:200", "1"),
        ("≥1:200", "1:100", "2"),
        # dates
        ("=2024年12月10日前", "2025年5月", "0"),
        ("2024年12月10日前", "2024年12月10日", "1"),
        ("=2024年12月15日", "=2024年12月15日", "1"),
        ("2024年12月15日", "2024年12月1日", "1"),
        ("12月底前", "2024年12月", "1"),
        ("12月底前", "2025年1月3日", "0"),
        # qualitative
        ("明显提升", "达到预期指标", "1"),
        ("健全", "健全", "1"),
        ("落实", "已落实", "1"),
        ("完成", "未完成", "0"),
        ("2024年12月10日前", "按时完成", "1"),
        ("2024年12月10日前", "逾期", "0"),
        ("提升", "达成预期指标", "1"),
    ],
)
def test_completion_rate(target, actual, expected):
    r = rate(target, actual)
    assert r is not None
    assert r.quantize(D("1e-10")) == D(expected).quantize(D("1e-10"))


@pytest.mark.parametrize(
    "target, actual",
    [("/", "5"), ("≥5个", "/"), ("提升", "不好说"), ("≥5个", "2024年1月1日"), (">=0个", "3个")],
)
def test_completion_rate_undecidable(target, actual):
    assert rate(target, actual) is None


@given(st.decimals(min_value=D("0.01"), max_value=D("1e6"), places=2),
       st.decimals(min_value=D(0), max_value=D("1e6"), places=2))
def test_rate_of_ge_is_actual_over_target(t, a):
    r = completion_rate(parse_value(f"≥{t}个"), parse_value(f"{a}个"))
    assert r == a / t


@given(st.decimals(min_value=D(0), max_value=D("1e4"), places=2),
       st.decimals(min_value=D(0), max_value=D("1e4"), places=2))
def test_ceiling_rate_is_within_0_and_1(t, a):
    r = completion_rate(parse_value(f"≤{t}%"), parse_value(f"{a}%"))
    assert r is not None and 0 <= r <= 1


@given(st.text(max_size=20))
def test_parse_never_crashes_otherwise(text):
    try:
        v = parse_value(text)
    except ValueParseError:
        return
    assert isinstance(v, TargetValue) and v.kind in ("quantity", "ratio", "date", "level", "empty")


# --- messy cells of real workbooks (issue 14, classes 1 and 2) ---------------------------------

@pytest.mark.parametrize("text, clean, what", [
    ("[bookmark: _GoBack]=12台", "=12台", "书签"),
    ("<span>≥95%</span>", "≥95%", "网页标签"),
    ("≥95%\u200b", "≥95%", "零宽字符"),
    ("\ufeff=100%", "=100%", "零宽字符"),
    ("10\u00a0人", "10 人", "不间断空格"),
    ("&ge;90%", "≥90%", "字符实体"),
])
def test_markup_is_stripped_and_noted(text, clean, what):
    v = parse_value(text)
    assert v.text == text and v.notes and what in v.notes[0] and clean in v.notes[0]
    assert v == replace(parse_value(clean), text=text, notes=v.notes)


def test_clean_text_has_no_notes():
    assert parse_value("≥95%").notes == () and strip_markup("=12台") == ("=12台", ())


@pytest.mark.parametrize("text, op, qty, unit", [
    ("═95%", "=", "95", "%"), ("＝１００％", "=", "100", "%"), ("≦5天", "≤", "5", "天"), ("≧90%", "≥", "90", "%"),
    ("〉=90%", "≥", "90", "%"), ("〈=3次", "≤", "3", "次"), ("不低于95%", "≥", "95", "%"),
    ("不超过10天", "≤", "10", "天"),
    ("95%以上", "≥", "95", "%"), ("5次以下", "≤", "5", "次"), ("≥１２台", "≥", "12", "台"),
])
def test_unusual_signs_are_normalised(text, op, qty, unit):
    v = parse_value(text)
    assert (v.operator, v.quantity, v.unit, v.text) == (op, D(qty), unit, text)


@pytest.mark.parametrize("text, low, high, unit", [
    ("90%~95%", "90", "95", "%"), ("90~95%", "90", "95", "%"), ("5—10个", "5", "10", "个"), ("3至5天", "3", "5", "天"),
    ("８０％～９０％", "80", "90", "%"), ("5-10个", "5", "10", "个"),
])
def test_ranges(text, low, high, unit):
    v = parse_value(text)
    assert (v.kind, v.quantity, v.upper, v.unit) == ("quantity", D(low), D(high), unit)
    assert completion_rate(v, parse_value(f"{(D(low) + D(high)) / 2}{unit}")) == 1
    assert completion_rate(v, parse_value(f"{D(low) / 2}{unit}")) == D("0.5")
    assert completion_rate(v, parse_value(f"{D(high) * 2}{unit}")) == D("0.5")


def test_narrative_with_a_number_only_when_asked():
    with pytest.raises(ValueParseError):
        parse_value("力争合格率达95%，环境整洁")
    v = parse_value("力争合格率达95%，环境整洁", narrative=True)
    assert v.kind == "level" and v.text == "力争合格率达95%，环境整洁" and "定性" in v.notes[0]


def test_money_ceiling_conventions():
    t, a = parse_value("≤50万元"), parse_value("48.93万元")
    assert completion_rate(t, a) == D("0.9786")
    reason = Conventions(ceiling_money="reason")
    assert completion_rate(t, a, conventions=reason) == 1
    assert completion_rate(t, a, conventions=reason, deviation_reason=True) == D("0.9786")
    assert completion_rate(t, a, conventions=Conventions(ceiling_money="met"), deviation_reason=True) == 1
    bare = parse_value("≤50万")
    assert completion_rate(bare, a) == 1  # a ceiling on anything but money
    assert completion_rate(bare, a, conventions=Conventions(bare_wan_money=True)) == D("0.9786")
    with pytest.raises(ValueError):
        Conventions(ceiling_money="x")


# --- scoring texts of the 评分规则 column (issue 14, class 7) -----------------------------------

def test_rule_texts_become_rules_of_existing_types():
    from app.rubric.ruletext import parse_rule_text, score_rule_text

    short = parse_rule_text("每降低1%扣1分")
    assert (short.type, short.step, short.per) == ("shortfall_deduction", 1, 1)
    s = score_rule_text(short, D(10), parse_value("≥95%"), parse_value("92%"), D("0.9684"))
    assert s.points == D("7.00")  # 3.16 % short: 3 complete steps
    over = parse_rule_text("每超出10天扣1分")
    assert (over.type, over.step, over.unit) == ("deduction_per_occurrence", 10, "天")
    late = score_rule_text(over, D(10), parse_value("2024年6月30日前"), parse_value("2024年7月25日"), D(0))
    assert late.points == D("8.00")  # 25 days late: 2 complete steps
    assert score_rule_text(over, D(10), parse_value("≤30天"), parse_value("35天"), None).points == D("10.00")
    judged = parse_rule_text("较大得10分，一般得6分，较小得2分")
    assert judged.type == "judged" and judged.levels == (("较大", 10), ("一般", 6), ("较小", 2))
    assert score_rule_text(judged, D(10), parse_value("较大"), parse_value("一般"), None).points == D("6.00")
    assert score_rule_text(judged, D(5), parse_value("较大"), parse_value("较大"), None).points == D("5.00")
    assert parse_rule_text("看情况赋分") is None and parse_rule_text(None) is None


def test_year_end_scores_rows_by_their_rule_texts():
    from app.rubric.targets import TargetRow, TargetTable, score_table

    rows = tuple(TargetRow("产出", "数量", n, None, None, n, None, parse_value(t), weight=D(w), rule=rule, position=i)
                 for i, (n, t, w, rule) in enumerate([
                     ("合格率", "≥95%", 50, "每降低1%扣1分"),
                     ("完成时间", "2026年6月30日前", 30, "每超出10天扣1分"),
                     ("影响", "较大", 20, "较大得10分，一般得6分，较小得2分")], start=1))
    table = TargetTable(unit="u", project=None, year=2026, layout="levels", rows=rows)
    score = score_table(table, {1: "92%", 2: "2026年7月25日", 3: "一般"})
    assert [r.points for r in score.rows] == [D("47.00"), D("28.00"), D("6.00")]
    assert all(r.scored and not r.flags for r in score.rows) and "缺额扣分" in score.rows[0].rule


@pytest.mark.parametrize("target,actual,expected", [
    ("健全", "健全", D(1)),
    ("健全", "已健全", D(1)),
    ("落实", "全面落实", D(1)),
    ("基本健全", "健全", D(1)),        # more than the target
    ("健全", "基本健全", None),        # a partial level is not the level: 待判断, the office decides
    ("落实", "部分落实", None),
    ("建立", "初步建立", None),
    ("完善", "较完善", None),
    ("健全", "不健全", D(0)),
    ("健全", "基本达到", D(0)),
    ("健全", "初步形成", None),
])
def test_qualitative_partial_levels_are_not_the_level(target, actual, expected):
    from app.rubric.values import completion_rate

    assert completion_rate(parse_value(target), parse_value(actual)) == expected
