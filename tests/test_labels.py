"""The shared label and time helper: internal codes and UTC times never reach users as they are."""

from datetime import UTC, datetime

from app.labels import label, readable, when


def test_codes_read_in_chinese():
    assert [label(c) for c in ("cadre", "staff", "democratic", "ok", "fix", "override_fail")] == [
        "中层干部", "教职工代表", "民主测评", "已评分", "定稿", "认定不合格"]
    assert label("something_new") == "something_new"


def test_stored_values_read_as_text_not_json():
    text = readable({"status": "submitted", "published": True, "changes": ["甲学院：总分 1 → 2"]})
    assert text == "状态：已提交；公示中：是；变化：甲学院：总分 1 → 2"
    assert "{" not in text and '"' not in text


def test_times_are_beijing_time(app):
    with app.app_context():
        assert when(datetime(2026, 1, 1, 16, 30, tzinfo=UTC)) == "2026-01-02 00:30"
        assert when("2026-01-01T16:30:00+00:00") == "2026-01-02 00:30"


def test_file_sizes_and_scores_are_formatted_one_way():
    from decimal import Decimal

    from app.web.templating import fmt_score, fmt_size

    assert [fmt_size(n) for n in (10, 2048, 1536 * 1024, None)] == ["1 KB", "2 KB", "1.5 MB", "—"]
    assert [fmt_score(v) for v in (2, Decimal("2.5"), "3")] == ["2.00", "2.50", "3.00"]


def test_the_component_chart_shows_a_changed_total():
    """The results chart once summed the components and ignored a deliberation change of the total."""
    import types
    from decimal import Decimal

    from app.charts import component_chart

    comps = [{"key": "democratic", "name": "民主测评", "kind": "democratic", "points": "70"},
             {"key": "target", "name": "目标考核", "kind": "target", "points": "100"}]
    detail = {"components": [{"key": "democratic", "points": "60"}, {"key": "target", "points": "90"}]}
    same = types.SimpleNamespace(unit_name="甲", detail=detail, total=Decimal("150"))
    changed = types.SimpleNamespace(unit_name="乙", detail=detail, total=Decimal("140"))
    svg = str(component_chart([same, changed], comps, title="各部分得分"))
    assert ">150<" in svg and ">140（调整）<" in svg and "150（调整）" not in svg
