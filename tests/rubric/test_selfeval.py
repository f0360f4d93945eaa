from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.rubric.selfeval import (
    RULE_DIRECT,
    RULE_LEVEL,
    RULE_PROPORTIONAL,
    RULE_SATISFACTION,
    RuleError,
    SelfEvalConfig,
    default_rule,
    format_percent,
    grade,
    normalise_rule,
    project_total,
    score_budget_execution,
    score_direct,
    score_indicator,
    score_level,
    score_proportional,
    score_satisfaction,
)


# Published changji 2024 figures: (weight, rate as typed, published score)
@pytest.mark.parametrize(
    "weight, rate, expected",
    [
        (10, "0.9919", "9.80"),  # 项目01 信息网络及软件购置更新
        (8, "1.1318", "6.95"),  # 项目02 学生证书获取率
        (19, "0.9483", "16.54"),  # 项目02 教师课时费投入 (published rate kept)
        (10, "0.9786", "9.46"),  # 项目03 录播巡考系统软件投入: 0.535 lost → 0.54
        (10, "1.4928", "5.07"),  # 项目05 应受助人次
        (10, "2", "0"),  # 项目06 取暖费缴纳次数
        (10, "1.5", "5"),  # 项目11 拍摄课程视频
        (20, "1", "20"),
    ],
)
def test_proportional_reproduces_published(weight, rate, expected):
    s = score_proportional(D(weight), D(rate))
    assert s.points == D(expected)
    assert s.rule == RULE_PROPORTIONAL


def test_explanation_names_inputs():
    s = score_proportional(D(10), D("0.9786"))
    assert "97.86%" in s.explanation and "权重 10" in s.explanation and "9.46" in s.explanation
    assert "0.535" in s.explanation


def test_budget_execution():
    assert score_budget_execution(D("694.90") / D("700.00")).points == D("9.82")
    assert score_budget_execution(D("0.9927")).points == D("9.82")
    assert score_budget_execution(D("0.9502")).points == D("8.75")  # 1.245 lost → 1.25
    assert score_budget_execution(D("24.43") / D("25.71")).points == D("8.76")
    assert score_budget_execution(D("0.9893")).points == D("9.73")
    assert score_budget_execution(D("0.9920")).points == D("9.80")
    assert score_budget_execution(D("0.9993")).points == D("9.98")
    assert score_budget_execution(D(1)).points == D("10.00")
    over = score_budget_execution(D("1.02"))
    assert over.points == D(10) and over.flags


def test_direct():
    assert score_direct(D(10), D(0)).points == 0
    assert score_direct(D(10), D(1)).points == 10
    assert score_direct(D(5), met=True).points == 5
    assert score_direct(D(5), D("0.99")).points == 0


def test_level():
    assert score_level(D(20), "达到预期指标").points == 20
    assert score_level(D(20), "基本达到预期指标").points == 16
    assert score_level(D(20), "部分达到预期指标").points == 12
    assert score_level(D(20), "未达到预期指标").points == 0
    assert score_level(D(20), "达成预期指标").points == 20
    assert score_level(D(20), "基本完成").points == 16
    cfg = SelfEvalConfig(level_shares={"达到预期指标": D(1), "基本达到预期指标": D("0.5")})
    assert score_level(D(20), "基本达到预期指标", config=cfg).points == 10
    fallback = score_level(D(20), "提升", rate=D(1))
    assert fallback.points == 20 and fallback.flags
    with pytest.raises(RuleError):
        score_level(D(20), "说不清")


def test_satisfaction():
    assert score_satisfaction(D(10), D("1.0804")).points == 10
    below = score_satisfaction(D(10), D("0.9724"))
    assert below.points == D("9.31") and below.flags
    assert score_satisfaction(D(10), D("0.9724"), config=SelfEvalConfig(satisfaction_below="full")).points == 10
    linear = SelfEvalConfig(satisfaction_below="linear")
    assert score_satisfaction(D(10), D("0.9724"), config=linear).points == D("9.72")
    assert score_satisfaction(D(10), D("0.9724"), config=SelfEvalConfig(satisfaction_below="zero")).points == 0
    with pytest.raises(RuleError):
        SelfEvalConfig(satisfaction_below="half")


def test_missing_rate_is_an_error():
    with pytest.raises(RuleError, match="完成率"):
        score_proportional(D(10), None)


def test_rule_names_and_defaults():
    assert normalise_rule(" 按照完成比例赋分 ") == RULE_PROPORTIONAL
    assert normalise_rule("按完成比例赋分") == RULE_PROPORTIONAL
    assert normalise_rule(None) is None and normalise_rule("") is None
    with pytest.raises(RuleError, match="无法识别"):
        normalise_rule("看心情")
    assert default_rule(level1="满意度指标", level2="满意度指标", target_kind="quantity") == RULE_SATISFACTION
    assert default_rule(level1="产出指标", level2="时效指标", target_kind="date") == RULE_DIRECT
    assert default_rule(level1="效益指标", level2="社会效益指标", target_kind="level") == RULE_LEVEL
    assert default_rule(level1="产出指标", level2="数量指标", target_kind="quantity") == RULE_PROPORTIONAL
    assert score_indicator(RULE_LEVEL, D(20), D(1), level="达到预期指标").points == 20
    with pytest.raises(RuleError):
        score_indicator("x", D(1), D(1))


def test_total_and_grade():
    assert project_total([D(20), D(10), D(0), D("9.80"), D(10), D(20), D(10)], D("9.82")) == D("89.62")
    assert [grade(D(x)) for x in ("100", "90", "89.99", "80", "79.99", "60", "59.99", "0")] == [
        "优", "优", "良", "良", "中", "中", "差", "差"]
    assert format_percent(D("1.131764")) == "113.18%"


weights = st.decimals(min_value=D(0), max_value=D(100), places=2)
rates = st.decimals(min_value=D(0), max_value=D(5), places=6)


@given(weights, rates)
def test_every_rule_within_bounds(w, c):
    for s in (score_proportional(w, c), score_direct(w, c), score_satisfaction(w, c),
              score_level(w, None, rate=c), score_budget_execution(c, weight=w)):
        assert D(0) <= s.points <= w
        assert s.points == s.points.quantize(D("0.01"))
        assert str(w.quantize(D("0.01"))) in s.explanation


@given(weights, rates, rates)
def test_monotone(w, c1, c2):
    lo, hi = sorted((c1, c2))
    # below 100 % more completion never scores less; above 100 % more overshoot never scores more
    if hi <= 1:
        assert score_proportional(w, lo).points <= score_proportional(w, hi).points
        assert score_satisfaction(w, lo).points <= score_satisfaction(w, hi).points
        assert score_budget_execution(lo, weight=w).points <= score_budget_execution(hi, weight=w).points
    if lo >= 1:
        assert score_proportional(w, lo).points >= score_proportional(w, hi).points
        assert score_satisfaction(w, lo).points == score_satisfaction(w, hi).points == w.quantize(D("0.01"))
    assert score_direct(w, lo).points <= score_direct(w, hi).points


@given(weights, rates)
def test_explanations_name_rate(w, c):
    s = score_proportional(w, c)
    assert format_percent(c) in s.explanation
