"""Target tables as data: storage round trip, completion and status, weights, year-end score, grade."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal as D

import pytest

from app.rubric import selfeval
from app.rubric.tablesettings import TableSettings
from app.rubric.targets import (
    LAYOUT_FUNCTIONS,
    LAYOUT_LEVELS,
    TargetRow,
    TargetTable,
    checkpoint_report,
    completion,
    grade,
    row_weights,
    score_table,
    status,
    value_from_dict,
    value_to_dict,
)
from app.rubric.values import ValueParseError, parse_value


def row(position, name, half, full, *, level1="产出", level2="数量指标", weight=None, rule=None, **kw):
    return TargetRow(level1=level1, level2=level2, level3=kw.pop("level3", name), function=kw.pop("function", None),
                     key_work=kw.pop("key_work", None), name=name,
                     half_year=None if half is None else parse_value(half, year=2026),
                     full_year=None if full is None else parse_value(full, year=2026),
                     weight=None if weight is None else D(weight), rule=rule, position=position, **kw)


def table(*rows, layout=LAYOUT_LEVELS):
    return TargetTable(unit="常州工业职业技术学院", project=None, year=2026, layout=layout, rows=rows)


# --------------------------------------------------------------------------- storage

@pytest.mark.parametrize("text", ["≥10000人次", "=100%", "≤0%", "1:200", "≥3.5万", "16.5小时/天", "健全", "按需提供",
                                  "无", "2026年12月31日前", "12月底前", "/", "7"])
def test_value_dict_round_trip_keeps_text_and_parse(text):
    v = parse_value(text, year=2026)
    data = value_to_dict(v)
    assert json.loads(json.dumps(data, ensure_ascii=False)) == data
    assert data["text"] == text
    assert value_from_dict(data) == v


def test_table_dict_round_trip():
    t = TargetTable(
        unit="徐州机电技师学院", project="校区扩建", year=2022, layout=LAYOUT_FUNCTIONS,
        rows=(
            row(1, "会计实训基地", "＝0个", "＝1个", level1="履职", level2="职能 1：提升职业教育现代化水平",
                function="职能 1：提升职业教育现代化水平", key_work="教学硬件投入", related_project="校区扩建"),
            row(2, "学生满意率", "≥95%", "≥95%", level1="满意度", level2="服务对象满意度", weight="10",
                rule="满意度赋分"),
            row(3, "食堂食品安全", None, "无重大食品安全事故"),
        ),
    )
    data = t.to_dict()
    assert json.loads(json.dumps(data, ensure_ascii=False)) == data
    assert TargetTable.from_dict(data) == t
    assert data["rows"][1]["weight"] == "10"
    assert data["rows"][0]["half_year"]["text"] == "＝0个"
    assert data["rows"][0]["half_year"]["operator"] == "="


def test_row_to_json_is_one_flat_object():
    r = row(5, "辅导员师生比", "1:200", "1:200", level1="履职", level2="师资队伍建设", key_work="辅导员")
    o = r.to_json()
    assert json.loads(json.dumps(o, ensure_ascii=False)) == o
    assert o["levels"] == ["履职", "师资队伍建设", "辅导员师生比"]
    assert o["key_work"] == "辅导员"
    assert o["half_year"]["ratio"] == "1:200" and o["half_year"]["kind"] == "ratio"
    level = row(6, "预算编制科学性", "科学", "科学").to_json()["full_year"]
    assert (level["kind"], level["level"], level["operator"], level["quantity"]) == ("level", "科学", None, None)


def test_table_checks_layout_and_positions():
    with pytest.raises(ValueError, match="表格样式"):
        TargetTable(unit="x", project=None, year=2026, layout="grid", rows=())
    with pytest.raises(ValueError, match="序号重复"):
        table(row(1, "a", "1个", "2个"), row(1, "b", "1个", "2个"))
    t = table(row(7, "a", "1个", "2个"), row(9, "b", "1个", "2个")).renumbered()
    assert [r.position for r in t.rows] == [1, 2]
    assert t.row(2).name == "b"


# --------------------------------------------------------------------------- completion and status

@pytest.mark.parametrize(
    "target, actual, expected",
    [
        ("≥10000人次", "10000人次", "1"),
        ("≥10000人次", "9500人次", "0.95"),
        ("≥3.5万", "35000", "1"),
        ("=100%", "100%", "1"),
        ("≤0%", "0%", "1"),
        ("1:200", "1:200", "1"),
        ("健全", "健全", "1"),
        ("推进", "已推进", "1"),
        ("落实", "未落实", "0"),
        ("16.5小时/天", "15小时/天", "0.9090909091"),
        # target-table conventions: ≥0 placeholders are met, =0 targets are missed by anything above 0
        ("≥0个", "3个", "1"),
        ("≥0个", "0个", "1"),
        ("≥0%", "12%", "1"),
        ("=0次", "0次", "1"),
        ("=0次", "1次", "0"),
        ("=0%", "2%", "0"),
    ],
)
def test_completion(target, actual, expected):
    c = completion(target, actual, year=2026)
    assert c is not None
    assert c.quantize(D("1e-10")) == D(expected).quantize(D("1e-10"))


def test_completion_undecidable_and_bad_text():
    assert completion("提升", "不好说") is None
    assert completion(None, "3个") is None
    assert completion("≥5个", None) is None
    with pytest.raises(ValueParseError):
        completion("≥5个", "约3个")


@pytest.mark.parametrize(
    "rate, expected",
    [("2", "green"), ("1", "green"), ("0.9999", "amber"), ("0.95", "amber"), ("0.85", "amber"),
     ("0.8499", "red"), ("0", "red")],
)
def test_status_bands_at_their_edges(rate, expected):
    # 达标 only when the target is met; amber from 85 % (the default band) up to the target
    assert status(D(rate)) == expected


def test_status_amber_band_is_configurable():
    assert status(D("0.75"), amber_from=D("0.7")) == "amber"
    assert status(D("0.69"), amber_from=D("0.7")) == "red"
    assert status(D("0.9"), amber_from=D("0.95")) == "red"


def test_status_without_rate():
    assert status(None) is None


@pytest.mark.parametrize(
    "total, expected",
    [
        ("100", "优"), ("90", "优"), ("89.99", "良"), ("80", "良"),
        ("79.99", "中"), ("60", "中"), ("59.99", "差"), ("0", "差"),
    ],
)
def test_grade_bands_at_their_edges(total, expected):
    assert grade(D(total)) == expected


def test_checkpoint_report_half_year():
    t = table(
        row(1, "社会培训", "≥10000人次", "≥39000人次"),
        row(2, "专接本在校生人数", "≥240人", "≥500人"),
        row(3, "成教招生人数", "≥700人", "≥700人"),
        row(4, "新增省级及以上人才", "≥0人", "≥5人"),
        row(5, "党建网站建设", "推进", "落实"),
        row(6, "抖音号粉丝数", "≥0.8万", "≥1.2万"),
    )
    rep = checkpoint_report(t, {1: "9500人次", 2: "216人", 3: "580人", 4: "0人", 5: "约一半"}, "half_year")
    # 95 % of the target is not 达标: amber, and behind
    assert [r.status for r in rep.rows] == ["amber", "amber", "red", "green", None, None]
    assert [r.name for r in rep.behind] == ["社会培训", "专接本在校生人数", "成教招生人数"]
    assert rep.counts == {"green": 1, "amber": 2, "red": 1, "unknown": 1, "missing": 1}
    assert rep.rows[5].note == "未填报实际值"
    assert rep.rows[4].note  # a level that cannot be judged automatically
    full = checkpoint_report(t, {1: "39000人次"}, "full_year")
    assert full.rows[0].target.text == "≥39000人次" and full.rows[0].status == "green"


def test_checkpoint_report_keeps_unreadable_actuals_as_notes():
    t = table(row(1, "社会培训", "≥10000人次", "≥39000人次"))
    rep = checkpoint_report(t, {1: "≥约100"}, "half_year")
    assert rep.rows[0].rate is None and "无法识别" in rep.rows[0].note


def test_unknown_checkpoint():
    with pytest.raises(ValueError, match="检查点"):
        row(1, "a", "1个", "2个").target("quarter")


# --------------------------------------------------------------------------- weights and year-end score

def test_rows_without_weights_share_100_points_exactly():
    for n in (1, 3, 7, 204):
        t = table(*(row(i, f"指标{i}", "≥1个", "≥2个") for i in range(1, n + 1)))
        w = row_weights(t)
        assert sum(w.values()) == D(100)
        assert max(w.values()) - min(w.values()) <= D("0.01")
    w = row_weights(table(*(row(i, f"指标{i}", "≥1个", "≥2个") for i in range(1, 4))))
    assert list(w.values()) == [D("33.34"), D("33.33"), D("33.33")]


def test_given_weights_are_kept_and_the_rest_share_what_is_left():
    t = table(row(1, "a", "1个", "2个", weight="40"), row(2, "b", "1个", "2个"), row(3, "c", "1个", "2个"))
    assert row_weights(t) == {1: D(40), 2: D(30), 3: D(30)}
    t = table(row(1, "a", "1个", "2个", weight="100"), row(2, "b", "1个", "2个"))
    assert row_weights(t) == {1: D(100), 2: D(0)}
    assert row_weights(t, total=D(90))[2] == D(0)


def test_score_table_all_met_is_100_and_excellent():
    t = table(
        row(1, "社会培训", "≥10000人次", "≥39000人次"),
        row(2, "预算编制科学性", "科学", "科学"),
        row(3, "在校生对学校的满意度", "≥0%", "≥95%", level1="满意度指标", level2="服务对象满意度"),
        row(4, "完成学生军训", "无", "完成"),
    )
    s = score_table(t, {1: "39000人次", 2: "科学", 3: "95%", 4: "已完成"})
    assert s.total == D("100.00") and s.grade == "优" and s.complete
    assert [r.rule for r in s.rows] == [selfeval.RULE_PROPORTIONAL, selfeval.RULE_LEVEL, selfeval.RULE_SATISFACTION,
                                        selfeval.RULE_LEVEL]
    assert s.shortfalls == ()


def test_score_table_proportional_shortfall_and_overshoot():
    t = table(row(1, "社会培训", "≥10000人次", "≥40000人次", weight="50"),
              row(2, "成教招生人数", "≥700人", "≥700人", weight="50"))
    s = score_table(t, {1: "36000人次", 2: "770人"}, settings=TableSettings(overachievement="deviation"))
    # c = 0.9 → 50 × (1 − 2.5 × 0.1) = 37.5; c = 1.1 → 50 × (1 − 0.1) = 45
    assert [r.points for r in s.rows] == [D("37.50"), D("45.00")]
    assert s.total == D("82.50") and s.grade == "良"
    assert [r.name for r in s.shortfalls] == ["社会培训", "成教招生人数"]
    assert "按照完成比例赋分" in s.rows[0].explanation


def test_score_table_missing_and_unreadable_actuals_score_zero_with_flags():
    t = table(row(1, "a", "≥1个", "≥2个", weight="50"), row(2, "b", "≥1个", "≥2个", weight="50"))
    s = score_table(t, {2: "≥约2个"})
    assert [r.points for r in s.rows] == [D(0), D(0)]
    assert not s.complete
    assert "未填报" in s.rows[0].explanation
    assert "无法识别" in s.rows[1].explanation
    assert any("未能评分" in f for f in s.flags)


def test_score_table_rule_cell_and_unknown_rule():
    t = table(row(1, "a", "≥1个", "≥2个", weight="50", rule="直接赋分"),
              row(2, "b", "≥1个", "≥2个", weight="50", rule="领导打分"))
    s = score_table(t, {1: "1个", 2: "2个"})
    assert s.rows[0].rule == selfeval.RULE_DIRECT and s.rows[0].points == D(0)
    assert s.rows[1].rule == selfeval.RULE_PROPORTIONAL and s.rows[1].points == D(50)
    assert any("无法识别" in f for f in s.rows[1].flags)


def test_score_table_undecidable_level_is_flagged_not_raised():
    t = table(row(1, "服务经济社会发展贡献", "提升", "提升"))
    s = score_table(t, {1: "还行"})
    assert s.rows[0].points == D(0) and not s.rows[0].scored
    assert "无法评分" in s.rows[0].explanation


def test_score_table_weights_not_100_are_flagged():
    t = table(row(1, "a", "≥1个", "≥2个", weight="30"), row(2, "b", "≥1个", "≥2个", weight="30"))
    s = score_table(t, {1: "2个", 2: "2个"})
    assert s.max_points == D(60) and s.total == D(60) and s.grade == "中"
    assert any("权重合计 60.00" in f for f in s.flags)


def test_score_table_uses_half_year_value_when_full_year_is_empty():
    t = table(row(1, "公寓维修", "到位", "/"))
    s = score_table(t, {1: "到位"})
    assert s.rows[0].target.text == "到位" and s.total == D(100)


def test_date_targets():
    t = table(row(1, "项目完成时间", None, "2026年12月31日前", level2="时效指标"))
    assert completion(t.rows[0].full_year, dt.date(2026, 11, 30)) == 1
    s = score_table(t, {1: "2027年1月5日"})
    assert s.rows[0].rule == selfeval.RULE_DIRECT and s.total == D(0)
