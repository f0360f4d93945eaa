"""Table tests of every rule type, built from the source documents' own wording and examples."""

from decimal import Decimal

import pytest

from app.rubric.numbers import q2
from app.rubric.rules import check_ballot, democratic_score, get_rule, leader_score, normalise
from tests.builders.seed import seed

S = seed()


def P(x):
    return Decimal(str(x))


def score(code, facts, peers=None):
    ind = S.indicator(code)
    return get_rule(ind.rule).score(ind.params, ind.points, facts, peers)


def score_all(code, facts_by_unit):
    ind = S.indicator(code)
    return get_rule(ind.rule).score_all(ind.params, ind.points, facts_by_unit)


# --- 1 judged ---------------------------------------------------------------------------


@pytest.mark.parametrize("facts,points,status", [
    ({"points": "1"}, "1", "ok"),
    ({"points": "0.5", "reason": "会议记录不全"}, "0.5", "ok"),
    ({"points": "0.5"}, "0", "error"),            # below max without a reason
    ({"points": "1.5", "reason": "x"}, "0", "error"),  # above max
    ({"points": "-1", "reason": "x"}, "0", "error"),
    ({}, "0", "missing"),
    ({"points": "abc"}, "0", "error"),
])
def test_judged(facts, points, status):
    r = score("B01", facts)
    assert (r.points, r.status) == (P(points), status)
    if status == "error":
        assert r.error and r.error in r.explanation


def test_judged_reason_is_in_explanation():
    r = score("B01", {"points": "0.8", "reason": "每月党政联席会议不足2次"})
    assert "每月党政联席会议不足2次" in r.explanation and "0.8" in r.explanation


def test_judged_min_nonzero_double_certificate():
    # 双证书: 酌情加0.5~1分
    assert score("K1.2", {"points": "0.3", "reason": "获取率低"}).status == "error"
    assert score("K1.2", {"points": "0", "reason": "无"}).points == 0
    assert score("K1.2", {"points": "0.5", "reason": "获取率一般"}).points == P("0.5")


# --- 2 deduction per occurrence -------------------------------------------------------------


@pytest.mark.parametrize("code,count,points", [
    ("B17", 0, "1"), ("B17", 1, "0"), ("B17", 2, "0"),          # 发现一起违背师德规范行为，扣1分
    ("B18", 0, "1"), ("B18", 1, "0.5"), ("B18", 2, "0"), ("B18", 5, "0"),  # 每发现一起扣0.5分
    ("K3.4.1", 3, "0.5"),                                          # 每发现一起不规范，扣0.5分 (2分)
    ("K5.1.2", 1, "1.5"),
])
def test_deduction_per_occurrence(code, count, points):
    r = score(code, {"count": count})
    assert r.points == P(points)
    assert str(count) in r.explanation


def test_deduction_per_occurrence_rejects_fractions_and_negatives():
    assert score("B18", {"count": "1.5"}).status == "error"
    assert score("B18", {"count": "-1"}).status == "error"


# --- 3 deduction items ------------------------------------------------------------------


def test_student_management_deductions():
    # 有一个班级没有配备兼职班主任的扣0.2分，有一位二级学院领导没有担任班主任的扣0.5分（2分）
    r = score("K5.1.1", {"classes_without_tutor": 2, "leaders_not_tutor": 1})
    assert r.points == P("1.1")
    assert score("K5.1.1", {"classes_without_tutor": 20, "leaders_not_tutor": 3}).points == 0


@pytest.mark.parametrize("rate,judged,reason,points,status", [
    ("75", "0", "", "1.5", "ok"),
    ("69.9", "0", "", "1", "ok"),        # 参与人数在70%以下扣0.5分
    ("70", "0.5", "人均调停课2.5学时", "0.5", "ok"),  # 70%以下 includes 70%: −0.5 − 0.5
    ("60", "1", "人均调停课4学时", "0", "ok"),
    ("80", "0.5", "", "0", "error"),     # a judged deduction needs its reason
    ("80", "1.5", "x", "0", "error"),    # more than the stated 1 point
])
def test_teaching_tasks_b07(rate, judged, reason, points, status):
    r = score("B07", {"participation_rate": rate, "rescheduling": judged, "rescheduling_reason": reason})
    assert (r.points, r.status) == (P(points), status)


def test_party_day_b39():
    assert score("B39", {"party_day_rate": "79"}).points == P("0.5")  # 参与率80%以下扣0.5分
    assert score("B39", {"party_day_rate": "80"}).points == P("0.5")  # 80%以下 includes 80%
    assert score("B39", {"party_day_rate": "80.1"}).points == P("1")


# --- 4 tiers ----------------------------------------------------------------------------------


@pytest.mark.parametrize("trainees,students,points", [
    (69, 100, 0), (70, 100, 1), (99, 100, 1), (100, 100, 2), (149, 100, 2), (150, 100, 3), (900, 100, 3),
])
def test_social_training_headcount(trainees, students, points):
    # 社会培训人数达到二级学院在校生人数70%、100%、150%，分别计1分、2分、3分
    r = score("K2.1", {"trainees": trainees, "students": students})
    assert r.points == P(points)
    assert "社会培训人数" in r.explanation and "在校生人数" in r.explanation


def test_social_training_zero_students_is_an_error():
    assert score("K2.1", {"trainees": 10, "students": 0}).status == "error"


@pytest.mark.parametrize("income,points", [("49.99", 0), ("50", 3), ("99.9", 3), ("100", 4), ("150", 5), ("300", 5)])
def test_training_income(income, points):
    # 培训及成人教育项目收入总额达到50万元，100万元，150万元以上，分别计3分、4分、5分
    assert score("K2.2", {"income": income}).points == P(points)


@pytest.mark.parametrize("initial,final,fail,points", [
    (86, 96, 0, "2"),        # 2 + 1 capped at the item's 2 points
    (82, 92, 0, "1.5"),      # 1 + 0.5
    (85, 89, 0, "0"),        # 2 − 2
    (79, 89, 12, "-6"),      # −2 −2 −2: the stated deductions take points from the group
    (90, 95, 10, "0"),       # the rate part min(2 + 1, 2), then − 2 = 0
])
def test_employment_rates(initial, final, fail, points):
    r = score("K5.3.1", {"initial_rate": initial, "final_rate": final, "agreement_fail_rate": fail})
    assert r.points == P(points)


@pytest.mark.parametrize(
    "rate,points", [(80, "1"), (95, "1"), (75, "0.5"), (70, "0.5"), (65, "0"), (60, "0"), (59.9, "-1")]
)
def test_graduate_survey(rate, points):
    assert score("K5.3.2", {"survey_rate": rate}).points == P(points)


def test_dual_teacher_other_subtypes():
    # 达到30%、40%分别计1分、1.5分，达到50%计2分
    for dual, pts in [(29, 0), (30, 1), (40, "1.5"), (50, 2)]:
        assert score("K3.3.2", {"dual_teachers": dual, "fulltime_teachers": 100}).points == P(pts)


def test_dual_teacher_top_three_bonus():
    # 80%、90% → 1、1.5；90%以上且排名前三位 → 2
    pop = {"a": (95, 100), "b": (94, 100), "c": (93, 100), "d": (92, 100), "e": (85, 100), "f": (70, 100)}
    res = score_all("K3.3.1", {k: {"dual_teachers": d, "fulltime_teachers": f} for k, (d, f) in pop.items()})
    assert {k: r.points for k, r in res.items()} == {"a": 2, "b": 2, "c": 2, "d": P("1.5"), "e": 1, "f": 0}
    assert "第4名" in res["d"].explanation
    assert not any(r.provisional for r in res.values())


def test_part_time_top_bonus_needs_more_than_25_percent():
    pop = {"a": (25, 100), "b": (20, 100), "c": (10, 100)}
    res = score_all("K3.4.2", {k: {"parttime_teachers": p, "fulltime_teachers": f} for k, (p, f) in pop.items()})
    # 超过25%且排名前三位 → 2; exactly 25% is 1.5
    assert [res[k].points for k in "abc"] == [P("1.5"), 1, 0]


def test_cross_unit_missing_peer_makes_results_provisional():
    res = score_all("K3.3.1", {"a": {"dual_teachers": 95, "fulltime_teachers": 100}, "b": None})
    assert res["a"].provisional and res["b"].status == "missing"


# --- 5 relative to the average ---------------------------------------------------------------


def test_teacher_training_relative_to_average():
    # shares of staff: a 60 %, b 40 %, c 20 %, d 0 % → mean 30 %; 70 % of it is 21 %
    facts = {k: {"provincial_training": n, "enterprise_practice": n, "staff": 100}
             for k, n in {"a": 60, "b": 40, "c": 20, "d": 0}.items()}
    res = score_all("K3.2", facts)
    # a, b above the mean and top three → 2; c: 20 % < 21 % → 0; d → 0
    assert {k: r.points for k, r in res.items()} == {"a": 2, "b": 2, "c": 0, "d": 0}
    facts["c"] = {"provincial_training": 25, "enterprise_practice": 25, "staff": 100}
    res = score_all("K3.2", facts)
    assert res["c"].points == 1  # 25 % ≥ 70 % of the mean 31.25 %
    assert "全校平均值" in res["a"].explanation


def test_student_teacher_ratio_lower_is_better():
    # pooled ratio = 1800 / 100 = 18
    facts = {"a": {"students": 300, "major_teachers": 30},   # 10  < 0.7×18 = 12.6 → 1.5, and top three → 2
             "b": {"students": 600, "major_teachers": 40},   # 15  < 18 → 1, rank 2 → 2
             "c": {"students": 400, "major_teachers": 20},   # 20 ≥ 18 → 0
             "d": {"students": 500, "major_teachers": 10}}   # 50
    res = score_all("K3.1", facts)
    assert {k: r.points for k, r in res.items()} == {"a": 2, "b": 2, "c": 0, "d": 0}


def test_average_enrolment_with_only_one_unit_is_provisional_when_scored_alone():
    r = score("K4.1", {"enrolled": 300, "majors": 3})
    assert r.provisional and r.points == 4


# --- 6 rank-based base points --------------------------------------------------------------


def test_rank_base_points_with_ties_bottom_and_zero():
    # weighted values: 8, 8, 6, 4, 4, 2, 1, 1(bottom tie), 0
    vals = {"u1": 2, "u2": 2, "u3": 1.5, "u4": 1, "u5": 1, "u6": 0.5, "u7": 0.25, "u8": 0.25, "u9": 0}
    facts = {k: {"honour_national": 0, "honour_provincial": 0, "honour_city": int(v * 4),
                 "media_national": 0, "media_provincial": 0, "media_city": 0} for k, v in vals.items()}
    res = score_all("K7.1", facts)
    mean = (8 + 8 + 6 + 4 + 4 + 2 + 1 + 1 + 0) / 9  # 3.78; 70 % = 2.64
    assert mean > 3.7
    pts = {k: r.points for k, r in res.items()}
    assert pts["u1"] == pts["u2"] == 4          # rank 1 (tie): base 2 + 2 (≥ mean)
    assert pts["u3"] == P("3.5")                # rank 3: 1.5 + 2
    assert pts["u4"] == pts["u5"] == P("3.5")   # rank 4 (tie): 1.5 + 2
    assert pts["u6"] == 1                       # rank 6: 1 + 0 (2 < 2.64)
    assert pts["u7"] == pts["u8"] == P("0.5")  # rank 7 (tie): 0.5 — the zero unit is the last one
    assert pts["u9"] == 0                       # zero: no base
    assert "分值为零" in res["u9"].explanation
    # without the zero unit, u7 and u8 are tied at the bottom and get no base points
    del facts["u9"]
    res = score_all("K7.1", facts)
    assert res["u7"].points == res["u8"].points == 0
    assert "并列垫底" in res["u8"].explanation


def test_rank_base_single_last_unit_gets_no_base():
    facts = {k: {"honour_national": 0, "honour_provincial": n, "honour_city": 0, "media_national": 0,
                 "media_provincial": 0, "media_city": 0} for k, n in {"a": 3, "b": 2, "c": 1}.items()}
    res = score_all("K7.1", facts)
    # values 6, 4, 2; mean 4: a 2+2, b 2+2 (rank 2), c last → no base; 2 < 2.8 → no bonus
    assert [res[k].points for k in "abc"] == [4, 4, 0]


# --- 7 weighted items with caps ------------------------------------------------------------


def test_quality_projects_caps():
    base = {k["key"]: 0 for g in S.indicator("K1.1").params["groups"] for k in g["items"]}
    # 2 national majors = 10 → counted up to 8; funding 25万元 → 2 (每10万元计1分); overall cap 10
    r = score("K1.1", {**base, "major_national": 2, "funding": "25"})
    assert r.points == 10
    r = score("K1.1", {**base, "course_provincial": 1, "funding": "19.9"})
    assert r.points == 3   # 2 + 1
    assert "按最高" not in r.explanation


def test_research_caps():
    base = {k["key"]: 0 for g in S.indicator("K6").params["groups"] for k in g["items"]}
    assert score("K6", {**base, "paper_core": 2, "project_city": 1}).points == 6      # 4 + 2
    assert score("K6", {**base, "paper_indexed": 3, "social_funded": 1}).points == 7  # 9 → 6, + 1
    assert score("K6", {**base, "paper_indexed": 3, "social_funded": 2, "natural_funded": 2}).points == 8


def test_entrepreneurship_contest_provincial_awards_pass_the_cap():
    # 本项最高得分为2分（省级比赛获奖得分可突破本项得分上限）
    r = score("K5.4.3", {"school_finals": 10, "city_awards": 0, "provincial_awards": 2})
    assert r.points == 3 and "exceeds_max" in r.flags
    assert score("K5.4.3", {"school_finals": 3, "city_awards": 2, "provincial_awards": 0}).points == P("1.2")


def test_clubs_and_textbooks_caps():
    assert score("K5.2.3", {"clubs": 2, "advisors": 1}).points == P("1.5")
    assert score("K5.2.3", {"clubs": 3, "advisors": 3}).points == 2
    assert score("K5.4.1", {"textbooks": 3}).points == 1
    assert score("K5.4.2", {"incubated": 5}).points == 2


# --- 8 joint tiers -------------------------------------------------------------------------


@pytest.mark.parametrize("ent,proj,points", [(0, 5, 0), (1, 1, 0), (1, 2, "0.5"), (2, 3, "0.5"), (2, 4, 1),
                                             (5, 8, 1), (3, 9, 2)])
def test_school_enterprise(ent, proj, points):
    # 合作1个企业，2个以上项目；2个企业、4个以上项目；3个企业、9个以上项目 → 0.5、1、2
    assert score("K1.3", {"enterprises": ent, "projects": proj}).points == P(points)


# --- 9 growth bands ------------------------------------------------------------------------


@pytest.mark.parametrize("cur,prev,points", [(100, 100, 0), (90, 100, 0), (105, 100, 2), (110, 100, 4),
                                             (119, 100, 4), (130, 100, 4), (5, 0, 4), (0, 0, 0)])
def test_enrolment_growth(cur, prev, points):
    # 0%<增长率<10% → 2；10%≤增长率<20% → 4；增长率≥20% → 4
    r = score("K4.2", {"enrolled": cur, "enrolled_last_year": prev})
    assert r.points == P(points)


# --- 10 shortfall -----------------------------------------------------------------------------


@pytest.mark.parametrize("actual,quota,points", [(1000, 1000, 6), (1100, 1000, 6), (950, 1000, 6), (900, 1000, 4),
                                                 (850, 1000, 4), (800, 1000, 2), (700, 1000, 0), (0, 1000, 0)])
def test_enrolment_quota_shortfall(actual, quota, points):
    # 完成任务得6分，每缺额10%扣2分，扣完6分为止 (complete steps)
    assert score("K4.3", {"enrolled": actual, "quota": quota}).points == P(points)


def test_shortfall_modes():
    rule = get_rule("shortfall_deduction")
    p = dict(S.indicator("K4.3").params)
    facts = {"enrolled": 950, "quota": 1000}
    assert rule.score({**p, "mode": "ceil"}, 6, facts).points == 4
    assert rule.score({**p, "mode": "proportional"}, 6, facts).points == 5
    assert rule.score(p, 6, {"enrolled": 1, "quota": 0}).status == "error"


# --- 11 self-evaluation rules (published changji 2024 rows) ----------------------------------


@pytest.mark.parametrize("rule,weight,facts,points", [
    ("proportional", 10, {"target": "<=50万元", "actual": "=48.93万元"}, "9.46"),
    ("proportional", 10, {"target": "<=630万元", "actual": "=624.9万元"}, "9.80"),
    ("proportional", 20, {"target": ">=13套", "actual": "=13套"}, "20"),
    ("direct", 10, {"target": "=2024年12月10日前", "actual": "2025年5月"}, "0"),
    ("satisfaction", 10, {"target": ">=90%", "actual": "=95%"}, "10"),
    ("judged_level", 20, {"target": "明显提升", "level": "达到预期指标"}, "20"),
])
def test_selfeval_rules_reproduce_published_scores(rule, weight, facts, points):
    r = get_rule(rule).score({}, weight, facts)
    assert r.points == P(points), r.explanation


def test_selfeval_typed_rate_is_kept_and_flagged():
    r = get_rule("proportional").score({}, 10, {"target": "<=50万元", "actual": "=48.93万元", "rate": "100"})
    assert r.points == 10 and "rate_differs" in r.flags


def test_budget_execution_line():
    assert get_rule("budget_execution").score({}, 10, {"rate": "95.02"}).points == P("8.75")
    assert get_rule("budget_execution").score({}, 10, {"budget": 100, "spent": 100}).points == 10


# --- components ----------------------------------------------------------------------------


def test_democratic_rating_mean_of_ballots_scaled():
    # 优秀、合格、不合格 = 90、70、50 → mean 75 → 15 of 20
    r = democratic_score({"all": {"优秀": 10, "合格": 5, "不合格": 5}}, S.ballot.levels, 20)
    assert r.points == 15 and "75" in r.explanation
    r = democratic_score({"cadre": {"优秀": 1}, "staff": {"不合格": 3}}, S.ballot.levels, 70)
    assert r.points == q2(Decimal(90 + 150) / 4 / 100 * 70)  # pooled over ballots
    r = democratic_score({"cadre": {"优秀": 1}, "staff": {"不合格": 3}}, S.ballot.levels, 70,
                         group_weights={"cadre": 1, "staff": 1})
    assert r.points == q2(Decimal(70) / 100 * 70)  # weighted mean of group means
    assert democratic_score({}, S.ballot.levels, 20).status == "missing"
    assert democratic_score({"all": {"良好": 1}}, S.ballot.levels, 20).status == "error"


def test_leader_evaluation_principal_20_deputy_10():
    r = leader_score({"principal": [90, 80, 100], "deputy": [80, 70, 90]}, {"principal": 20, "deputy": 10})
    assert r.points == 26  # 18 + 8
    r = leader_score({"principal": [90]}, {"principal": 20, "deputy": 10})
    assert r.points == 18 and r.provisional


def test_normalise_scale_and_raw():
    assert normalise(Decimal("41.1"), Decimal(48), Decimal(55), "scale")[0] == P("47.09")
    assert normalise(Decimal("41.1"), Decimal(48), Decimal(55), "raw")[0] == P("41.1")


def test_check_ballot():
    units = ["a", "b", "c", "d"]
    ok = check_ballot({"b": "优秀", "c": "合格", "d": "不合格"}, units, level_values=S.ballot.levels, own_unit="a")
    assert ok == []
    errs = check_ballot({"a": "优秀", "b": "优秀", "c": "优秀"}, units, level_values=S.ballot.levels, own_unit="a",
                        max_excellent_share=Decimal("0.3"))
    assert any("本单位" in e for e in errs)
    assert any("尚未测评" in e for e in errs)
    assert any("最多可评" in e for e in errs)


# --- who enters a field ---------------------------------------------------------------------


def test_each_field_says_who_enters_it():
    """Judged points, judged deductions and their reasons are the scorer's; counts are the unit's,
    whatever their unit is called (a count in 分 stays a fact the unit reports)."""
    judged = get_rule("judged").fields({})
    assert [(f.name, f.by) for f in judged] == [("points", "scorer"), ("reason", "scorer")]
    items = {"items": [
        {"key": "late", "label": "迟报", "type": "per_count", "per": "0.5", "unit": "分"},
        {"key": "quality", "label": "质量", "type": "judged", "max_deduct": "2"},
    ]}
    rule = get_rule("deduction_items")
    assert rule.validate(items, P(5)) == []
    by = {f.name: f.by for f in rule.fields(items)}
    assert by == {"late": "unit", "quality": "scorer", "quality_reason": "scorer"}
