"""score-sheet on the corpus of messy workbooks (tests/builders/messy.py, issue 14): every sheet is
scored, the bad cell is flagged with the reason, and a sheet is refused only when nothing is usable."""

import json
from decimal import Decimal as D

import openpyxl
import pytest
from click.testing import CliRunner

from app.cli.selfeval import json_lines, score_sheet
from app.rubric.selfeval import SelfEvalConfig
from app.sheets.selfeval import score_file, score_workbook
from tests.builders import messy


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return messy.build_corpus(tmp_path_factory.mktemp("messy"))


@pytest.fixture(scope="module")
def scored(corpus):
    result = score_file(corpus["all"])
    lines = json_lines(result)
    by_sheet = {}
    for line in lines:
        by_sheet.setdefault(line["sheet"], []).append(line)
    return result, by_sheet


def project(by_sheet, name):
    return next(line for line in by_sheet[name] if "total" in line)


def row(by_sheet, name, indicator):
    return next(line for line in by_sheet[name] if line.get("indicator") == indicator)


def test_every_variant_is_scored_and_none_refused(scored):
    result, by_sheet = scored
    assert result.errors == []
    assert set(by_sheet) == set(messy.variants())


def test_clean_layout_scores_100():
    result = score_workbook(messy.workbook())
    assert result.errors == result.notices == [] and result.projects[0].total == D("100.00")


def test_class1_markup_is_stripped_and_the_cell_flagged(scored, corpus, tmp_path):
    _, by = scored
    assert project(by, "1_markup")["total"] == "100.00"
    assert any("G12" in f and "书签" in f for f in row(by, "1_markup", "设备购置数量")["flags"])
    flags = row(by, "1_markup", "验收合格率")["flags"]
    assert any("F13" in f and "网页标签" in f for f in flags) and any("G13" in f and "零宽字符" in f for f in flags)
    out = tmp_path / "out.xlsx"
    score_file(corpus["1_markup"], out)
    ws = openpyxl.load_workbook(out).active
    assert "书签" in ws["G12"].comment.text and ws["G12"].value == "[bookmark: _GoBack]=15台"  # original kept


def test_class2_unusual_signs_and_ranges(scored):
    _, by = scored
    assert project(by, "2_signs")["total"] == "100.00"
    assert project(by, "2_range")["total"] == "100.00"
    assert row(by, "2_range", "验收合格率")["rate"] == "100.00"


def test_class3_other_labels_and_split_columns(scored):
    _, by = scored
    assert project(by, "3_labels")["total"] == "100.00"
    assert project(by, "3_split")["total"] == "100.00"
    assert any("指标性质、度量单位" in f and "≥15台" in f for f in row(by, "3_split", "设备购置数量")["flags"])


def test_class3_header_not_matched_names_labels_looked_for_and_found():
    wb = messy.workbook(header=("一级指标", "二级指标", "指标内容x", "权数", "目标", "实际", "完成率", "指标得分",
                                "赋分规则"))
    result = score_workbook(wb)
    (err,) = result.errors
    assert "三级指标/指标名称" in err.message and "参考分值" in err.message  # looked for
    assert "「权数」" in err.message and "「一级指标」" in err.message and "缺少" in err.message  # found


def test_class4_no_budget_block(scored):
    _, by = scored
    p = project(by, "4_no_budget")
    assert p["execution_score"] is None and p["total"] == "90.00" and p["provisional"]
    assert all(line["score"] in ("20.00", "10.00") for line in by["4_no_budget"] if "indicator" in line)


def test_class5_judged_rows_keep_a_published_score_or_ask_for_one(scored):
    _, by = scored
    kept = row(by, "5_judged", "决策程序规范性")
    assert kept["score"] == "9.00" and any("保留表中得分" in f for f in kept["flags"])
    ask = row(by, "5_judged", "按期完成")
    assert ask["score"] is None and any("请评分人给出得分" in f for f in ask["flags"])
    p = project(by, "5_judged")
    assert p["total"] == "89.00" and "按期完成" in p["provisional"][0]


def test_class6_unreadable_value_scored_from_typed_rate_or_left_unscored(scored):
    result, by = scored
    typed = row(by, "6_unreadable", "设备购置数量")
    assert typed["score"] == "20.00" and any("按表中完成率 100.00% 赋分" in f for f in typed["flags"])
    none = row(by, "6_unreadable", "验收合格率")
    assert none["score"] is None and any("G13" in f for f in none["flags"])
    p = project(by, "6_unreadable")
    assert p["total"] == "80.00" and p["provisional"] and any("暂定" in f for f in p["flags"])
    assert {(n.sheet, n.cell) for n in result.notices} >= {("6_unreadable", "G12"), ("6_unreadable", "G13")}


def test_class7_rule_texts_score_by_rules_of_existing_types(scored):
    _, by = scored
    short = row(by, "7_rule_texts", "验收合格率")
    assert short["score"] == "17.00" and "缺额扣分" in short["rule"] and short["flags"] == []
    late = row(by, "7_rule_texts", "完成时间")
    assert late["score"] == "9.00" and "按次扣分" in late["rule"]  # 15 days late: 1 step of 10
    assert project(by, "7_rule_texts")["total"] == "96.00"


def test_class8_conventions_default_and_options(corpus):
    default = {line.get("indicator"): line for line in json_lines(score_file(corpus["8_ceiling"]))}
    assert default["设备投入"]["score"] == "20.00" and any("另一读法" in f for f in default["设备投入"]["flags"])
    assert default["学生满意度"]["score"] == "10.00"
    assert any("95.00%" in c for c in default[None]["conventions"])
    strict = SelfEvalConfig(satisfaction_line=None, ceiling_money="ratio", bare_wan_money=False)
    other = {line.get("indicator"): line for line in json_lines(score_file(corpus["8_ceiling"], config=strict))}
    # bare 万 as a count ceiling: met; satisfaction 97 % against 100 % proportional
    assert other["设备投入"]["score"] == "20.00" and any("按金额理解" in f for f in other["设备投入"]["flags"])
    assert other["学生满意度"]["score"] == "9.25"
    money = SelfEvalConfig(ceiling_money="ratio")
    ratio = {line.get("indicator"): line for line in json_lines(score_file(corpus["8_ceiling"], config=money))}
    assert ratio["设备投入"]["rate"] == "80.00" and ratio["设备投入"]["score"] == "10.00"


def test_cli_writes_conventions_and_reports_cells(corpus, tmp_path):
    out = tmp_path / "all.xlsx"
    res = CliRunner().invoke(score_sheet, [str(corpus["all"]), "--out", str(out), "--json", "--ceiling-money", "met",
                                           "--satisfaction-line", "97"], catch_exceptions=False)
    assert res.exit_code == 0
    assert "提示：工作表「6_unreadable」单元格 G13" in res.stderr
    lines = [json.loads(line) for line in res.stdout.splitlines()]
    assert any("97.00%" in c for c in lines[-1]["conventions"])
    wb = openpyxl.load_workbook(out)
    assert "一律视为完成" in "".join(c.value for c in wb["核算口径"]["A"] if c.value)
    assert wb["5_judged"]["I12"].value == 9 and "评分人" in wb["5_judged"]["I13"].comment.text
    assert "暂定" in wb["6_unreadable"]["I18"].comment.text
    bad = CliRunner().invoke(score_sheet, [str(corpus["all"]), "--satisfaction-line", "abc"])
    assert bad.exit_code != 0 and "满意度达标线" in bad.output
