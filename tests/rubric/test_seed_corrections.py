"""Probes of the seed scheme's corrections (issue 19) with the document's figures."""

from decimal import Decimal

import pytest

from app.rubric import validate_scheme
from app.rubric.rules import get_rule
from tests.builders.seed import seed, seed_dict

S = seed()


def score(code, facts):
    ind = S.indicator(code)
    return get_rule(ind.rule).score(ind.params, ind.points, facts)


# ------------------------------------------------------------------ 1. K5.3.1: cap the gains, then deduct
@pytest.mark.parametrize(("initial", "final", "fail", "points"), [
    (85, 95, 12, "0"),      # min(2 + 1, 2) − 2: the gains capped at 2, then the deduction
    (85, 92, 12, "0"),      # min(2 + 0.5, 2) − 2
    (85, 95, 5, "2"),       # the rate part capped at 2, no deduction
    (82, 92, 0, "1.5"),     # 1 + 0.5
    (82, 95, 10, "0"),      # min(1 + 1, 2) − 2 (达10%及以上)
    (78, 92, 0, "-1.5"),    # −2 (低于80%) + 0.5
    (78, 88, 12, "-6"),     # every stated deduction: −6, the floor
])
def test_k531_caps_the_rate_part_then_deducts(initial, final, fail, points):
    r = score("K5.3.1", {"initial_rate": initial, "final_rate": final, "agreement_fail_rate": fail})
    assert r.points == Decimal(points), r.explanation


def test_k531_explains_the_gain_cap():
    r = score("K5.3.1", {"initial_rate": 85, "final_rate": 95, "agreement_fail_rate": 12})
    assert "加分合计3分，按加分封顶计2分" in r.explanation
    assert "各项加分合计最高2分，再减去扣分" in get_rule("tiers").describe(S.indicator("K5.3.1").params, 2)


def test_gain_cap_is_validated():
    rule = get_rule("tiers")
    params = {**S.indicator("K5.3.1").params, "gain_cap": 3}
    assert any("加分部分封顶分" in e for e in rule.validate(params, Decimal(2)))
    assert any("应大于0" in e for e in rule.validate({**params, "gain_cap": 0}, Decimal(2)))


def test_without_gain_cap_the_net_is_capped_as_before():
    params = {k: v for k, v in S.indicator("K5.3.1").params.items() if k != "gain_cap"}
    r = get_rule("tiers").score(params, 2, {"initial_rate": 85, "final_rate": 95, "agreement_fail_rate": 12})
    assert r.points == 1


# ------------------------------------------------------------------ 2. veto keys
def test_veto_four_has_its_own_key():
    vetoes = dict(S.grading.vetoes)
    assert vetoes["school_determined"] == "经学校认定的其它责任事项"
    assert "other" not in vetoes


def test_reserved_veto_key_is_refused():
    d = seed_dict()
    d["grading"]["vetoes"][3]["key"] = "other"
    errors = [str(e) for e in validate_scheme(d)]
    assert any("「other」为系统保留" in e for e in errors)
    d["grading"]["vetoes"][3]["key"] = "violation"
    assert any("「violation」重复" in str(e) for e in validate_scheme(d))


# ------------------------------------------------------------------ 3. 以下 includes the number
@pytest.mark.parametrize(("rate", "points"), [(69.9, "1"), (70, "1"), (70.1, "1.5")])
def test_b07_70_percent_and_below_is_deducted(rate, points):
    r = score("B07", {"participation_rate": rate, "rescheduling": 0})
    assert r.points == Decimal(points), r.explanation


@pytest.mark.parametrize(("rate", "points"), [(80, "0.5"), (80.5, "1")])
def test_b39_80_percent_and_below_is_deducted(rate, points):
    r = score("B39", {"party_day_rate": rate, "party_day_other": 0})
    assert r.points == Decimal(points), r.explanation


def test_threshold_words_in_the_description_and_explanation():
    ind = S.indicator("B07")
    text = get_rule(ind.rule).describe(ind.params, ind.points)
    assert "在70%及以下扣0.5分" in text
    r = score("B07", {"participation_rate": 70, "rescheduling": 0})
    assert "70%，不高于70%，扣0.5分" in r.explanation


def test_exclusive_threshold_stays_the_default():
    rule = get_rule("deduction_items")
    items = [{"key": "r", "label": "参与率", "type": "below", "threshold": 70, "deduct": 0.5, "unit": "%"},
             {"key": "late", "label": "迟报天数", "type": "above", "threshold": 3, "deduct": 0.5, "inclusive": True}]
    assert rule.validate({"items": items}, Decimal(2)) == []
    assert rule.score({"items": items}, 2, {"r": 70, "late": 2}).points == 2
    assert rule.score({"items": items}, 2, {"r": 69, "late": 3}).points == 1
    bad = [{**items[0], "inclusive": "是"}]
    assert any("inclusive" in e for e in rule.validate({"items": bad}, Decimal(2)))


# ------------------------------------------------------------------ 4. 酌情扣0.5-1分
@pytest.mark.parametrize(("deduct", "points"), [(0, "1.5"), (0.5, "1"), (1, "0.5")])
def test_b07_discretionary_deduction_is_0_or_half_to_one(deduct, points):
    r = score("B07", {"participation_rate": 90, "rescheduling": deduct, "rescheduling_reason": "人均调停课3学时"})
    assert r.points == Decimal(points), r.explanation


def test_b07_discretionary_deduction_below_the_minimum_is_refused():
    r = score("B07", {"participation_rate": 90, "rescheduling": 0.3, "rescheduling_reason": "调停课较多"})
    assert r.error and "少于最少 0.5 分" in r.explanation
    field = [x for x in get_rule("deduction_items").fields(S.indicator("B07").params) if x.name == "rescheduling"][0]
    assert "不扣分或酌情扣0.5～1分" in field.help


def test_min_deduct_validation():
    rule = get_rule("deduction_items")
    item = {"key": "j", "label": "酌情", "type": "judged", "max_deduct": 1, "min_deduct": 1.5}
    assert any("最少扣分 1.5 大于最多扣分 1" in e for e in rule.validate({"items": [item]}, Decimal(2)))
    wrong = {"key": "n", "label": "次数", "type": "per_count", "per": 1, "min_deduct": 0.5}
    assert any("只用于 type 为 judged" in e for e in rule.validate({"items": [wrong]}, Decimal(2)))


# ------------------------------------------------------------------ 5. the remaining choices are recorded
@pytest.mark.parametrize("words", ["不评本单位", "全部被测评单位", "tie_break", "按最高档计", "mean_of_terms",
                                   "「以上」「以下」"])
def test_remaining_choices_are_in_the_notes(words):
    assert any(words in n for n in S.notes), words


# ------------------------------------------------------------------ reward-pay coefficients
def test_reward_coefficients_default_and_validated():
    g = S.grading
    assert [g.reward_coefficient(x) for x in ("优秀", "合格", "不合格")] == [Decimal("1.2"), Decimal("1.0"), 0]
    d = seed_dict()
    del d["grading"]["reward_coefficients"]
    from app.rubric import load_scheme
    assert load_scheme(d).grading.reward_coefficient("优秀") == Decimal("1.2")  # the documented default
    d["grading"]["reward_coefficients"] = {"优秀": 1.5, "良好": 1, "合格": -1}
    errors = [str(e) for e in validate_scheme(d)]
    assert any("「良好」不在等次列表中" in e for e in errors)
    assert any("「合格」的奖励性绩效工资系数应为不小于0的数字" in e for e in errors)
    d["grading"]["reward_coefficients"] = {"优秀": 1.5}
    assert load_scheme(d).grading.reward_coefficient("优秀") == Decimal("1.5")
