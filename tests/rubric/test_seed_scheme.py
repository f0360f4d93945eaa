"""The seed scheme against the document (lianyungang-2018-comprehensive-target-assessment.txt)."""

import re
from decimal import Decimal
from pathlib import Path

import pytest

from app.rubric import compute, dump_scheme, load_scheme, validate_scheme
from app.rubric.engine import Unit
from app.rubric.rules import get_rule
from tests.builders.seed import seed, seed_dict

S = seed()
DOC = Path(__file__).resolve().parents[3] / "shared" / "seeds" / "lianyungang-2018-comprehensive-target-assessment.txt"
COLLEGE_SUBTYPES = ["二级学院", "基础课教学部", "思想政治教学部", "继续教育学院"]


def test_seed_is_valid_and_round_trips():
    assert validate_scheme(seed_dict()) == []
    again = load_scheme(dump_scheme(S))
    assert dump_scheme(again) == dump_scheme(S)


def test_components_and_totals():
    col, dep = S.category("college"), S.category("department")
    assert [(c.name, c.points) for c in col.components] == [("民主测评", 20), ("目标考核", 150), ("领导班子评价", 30)]
    assert [(c.name, c.points) for c in dep.components] == [("民主测评", 70), ("目标考核", 100), ("领导班子评价", 30)]
    assert col.total_points == dep.total_points == S.total_points == 200
    for c in (col, dep):
        assert dict(c.component("leader").parts) == {"principal": 20, "deputy": 10}
    assert [(i.name, i.points) for i in col.indicators] == [("院部目标考核基础指标", 55), ("院部目标考核重点指标", 95)]
    assert set(col.subtypes) == set(COLLEGE_SUBTYPES) and dep.subtypes == ("职能部门",)


def test_all_55_basic_indicators_with_document_points():
    basic = S.indicator("B")
    leaves = list(basic.leaves())
    assert [x.code for x in leaves] == [f"B{i:02d}" for i in range(1, 56)]
    text = DOC.read_text("utf-8") if DOC.exists() else None
    if text:
        sec = text[text.index("一、院部目标考核基础指标"):text.index("注：二级学院总分55分")]
        doc_points = {int(m.group(1)): Decimal(m.group(3))
                      for m in re.finditer(r"\t\s*(\d{1,2})\. (.+?)（([\d.]+)分）", sec, re.S)}
        assert {int(x.code[1:]): x.points for x in leaves} == doc_points
    assert sum(x.points for x in leaves) == 61  # the 55 items hold 61 points; no sub-type takes all
    groups = {g.name: g.points for g in basic.children}
    assert groups == {
        "领导班子建设": 2,
        "教学工作": 9,
        "教学质量监控": 3,
        "人才人事工作": 5,
        "团学工作（二级学院）": 9,
        "招生工作（二级学院）": 2,
        "就业工作（二级学院）": 2,
        "学生工作（基础课教学部、思想政治教学部）": 6,
        "宣传思想工作": 4,
        "党建工作": 5,
        "党风廉政建设": 4,
        "财务工作": 3,
        "民主建设工作": 2,
        "安全稳定工作": 3,
        "国有资产管理工作": 2,
    }


def test_basic_deductions_stated_by_the_document():
    assert (S.indicator("B17").rule, S.indicator("B17").params["per"]) == ("deduction_per_occurrence", 1)
    assert (S.indicator("B18").rule, S.indicator("B18").params["per"]) == ("deduction_per_occurrence", 0.5)
    b07 = {i["key"]: i for i in S.indicator("B07").params["items"]}
    assert b07["participation_rate"]["threshold"] == 70 and b07["participation_rate"]["deduct"] == 0.5
    assert b07["rescheduling"]["max_deduct"] == 1
    b39 = {i["key"]: i for i in S.indicator("B39").params["items"]}
    assert b39["party_day_rate"]["threshold"] == 80 and b39["party_day_rate"]["deduct"] == 0.5


def test_key_indicators():
    key = S.indicator("K")
    assert [(g.name, g.points) for g in key.children] == [
        ("教学工作", 15), ("社会培训", 8), ("师资队伍", 10), ("招生工作", 14), ("学生工作", 20), ("科研工作", 8),
        ("党建和思想政治工作", 10), ("校园安全稳定", 10)]
    assert [(c.name, c.points) for c in S.indicator("K1").children] == [
        ("省级以上质量工程项目情况", 10), ("毕业生“双证书”情况", 1), ("校企合作情况", 2),
        ("各院部都拿出一门专业课进行“课程思政”试点", 2)]
    assert [(c.name, c.points) for c in S.indicator("K5").children] == [
        ("学生管理", 6), ("团的建设", 6), ("就业工作", 3), ("创业教育", 5)]
    assert [(c.name, c.points) for c in S.indicator("K4").children] == [
        ("专业平均招生情况", 4), ("招生人数增长情况", 4), ("招生任务完成情况", 6)]
    k11 = S.indicator("K1.1").params
    assert k11["cap"] == 10 and k11["groups"][0]["cap"] == 8
    assert S.indicator("K6").params["groups"][0]["cap"] == 6 and S.indicator("K6").params["cap"] == 8


@pytest.mark.parametrize("code,subtypes_not_taking_part", [
    ("K1.1", ["继续教育学院"]),
    ("K1.2", ["继续教育学院", "基础课教学部", "思想政治教学部"]),
    ("K1.3", ["基础课教学部", "思想政治教学部"]),
    ("K2", ["基础课教学部", "思想政治教学部"]),
    ("K3.4", ["继续教育学院", "基础课教学部", "思想政治教学部"]),
    ("K4", ["基础课教学部", "思想政治教学部", "继续教育学院"]),
    ("K5", ["基础课教学部", "思想政治教学部"]),
    ("K5.4", ["继续教育学院", "基础课教学部", "思想政治教学部"]),
])
def test_document_notes_on_who_does_not_take_part(code, subtypes_not_taking_part):
    ind = S.indicator(code)
    for st in COLLEGE_SUBTYPES:
        assert ind.applies(st) == (st not in subtypes_not_taking_part), st


def _maxima(subtype):
    res = compute(S, [Unit("u", "某院部", "college", subtype)], {}, {}, {}, normalisation="raw")
    u = res.units["u"]
    return u.indicator("B").raw_max, u.indicator("K").raw_max


@pytest.mark.parametrize("subtype,basic,key", [
    ("二级学院", 55, 95), ("基础课教学部", 48, 41), ("思想政治教学部", 48, 41), ("继续教育学院", 55, 61)])
def test_subtype_maxima(subtype, basic, key):
    assert _maxima(subtype) == (basic, key)
    assert S.indicator("B").max_for(subtype) == basic and S.indicator("K").max_for(subtype) == key


EXPECTED_ITEMS = {"党委办公室": 11, "监察室": 11, "党委组织部": 16, "党委宣传部": 8, "工会委员会": 9, "教务处": 11,
                  "后勤管理处": 9, "党委学生工作部": 6, "保卫处": 7, "财务处": 9, "科技与产业处": 9, "质量监督处": 6,
                  "图书馆": 7, "劳动服务公司": 9}


def test_department_template():
    dep = S.category("department")
    assert [(i.name, i.points) for i in dep.indicators] == [
        ("工作作风", 10), ("工作方法", 10), ("工作效率", 10), ("工作质量", 10), ("学年度主要工作", 60)]
    assert [u.name for u in dep.units] == list(EXPECTED_ITEMS)
    main = S.indicator("D5")
    for child in main.children:
        (unit,) = child.applies_to_units
        assert child.points == 60
        items = child.params["items"]
        assert len(items) == EXPECTED_ITEMS[unit], unit
        assert [i["no"] for i in items] == list(range(5, 5 + len(items)))
        assert any(i["innovative"] for i in items)  # every department lists at least one 创新性工作
    assert "所有招标事项必须召开投标领导小组会议" in S.indicator("D2").description_by_unit["监察室"]


def test_each_department_totals_100_target_points():
    for u in S.category("department").units:
        res = compute(S, [Unit("d", u.name, "department", "职能部门")], {}, {}, {})
        assert res.units["d"].component("target").max_points == 100
        assert res.units["d"].indicator("D5").raw_max == 60


def test_grading_policy():
    g = S.grading
    assert dict(g.quotas) == {"college": 2, "department": 3}
    assert [t for _, t in g.vetoes] == ["不执行或者不正确执行党委决策部署和交办事项的", "出现较严重的安全责任事故的",
                                        "出现违纪违法行为造成较严重后果的", "经学校认定的其它责任事项"]
    assert g.requires_accepted_application and len(g.eligibility_conditions) == 2
    assert g.fail_rule == {"type": "leadership_decision"}
    assert g.last_place_years == 2
    assert dict(S.ballot.levels) == {"优秀": 90, "合格": 70, "不合格": 50}
    assert S.award.type == "majority"


def test_every_leaf_has_a_rule_with_fields_and_a_description():
    for cat in S.categories:
        for root in cat.indicators:
            for leaf in root.leaves():
                rule = get_rule(leaf.rule)
                assert rule.fields(leaf.params), leaf.code
                text = rule.describe(leaf.params, leaf.points)
                assert text and text.endswith("。"), leaf.code
