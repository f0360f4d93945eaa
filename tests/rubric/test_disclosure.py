"""Complementary suppression of small rater groups (app.rubric.disclosure), exhaustively on small
cases: whatever is shown, no group below the threshold is a line of its own or the total minus
lines shown; with weights nothing merged and no per-level total is shown."""

import random

from app.rubric.disclosure import disclose

LV = ("优秀", "合格", "不合格")


def _random_counts(rng, n_groups):
    out = {}
    for g in range(n_groups):
        size = rng.choice([0, 1, 2, 3, 4, 5, 6, 9, 20])
        cut = sorted(rng.randint(0, size) for _ in range(2))
        out[f"g{g}"] = {"优秀": cut[0], "合格": cut[1] - cut[0], "不合格": size - cut[1]}
    return out


def test_no_small_group_is_a_line_or_a_difference_of_total_and_lines():
    """The lines partition the groups shown; the total minus any combination of lines is the union
    of the hidden groups and the lines left out, so it isolates a small group only if that group
    alone were hidden: the hidden set is never one group and together reaches 5 (unless it is every
    group, when only the total is shown)."""
    rng = random.Random(7)
    for _ in range(3000):
        counts = _random_counts(rng, rng.randint(1, 4))
        present = {g for g, c in counts.items() if sum(c.values())}
        d = disclose(counts, 5, levels=LV)
        shown_keys = [k for line in d.lines for k in line.keys]
        assert len(shown_keys) == len(set(shown_keys)), counts
        singles = {line.keys[0] for line in d.lines if len(line.keys) == 1}
        assert singles | set(d.hidden) == present and not singles & set(d.hidden)
        assert all(line.ballots >= 5 for line in d.lines), counts
        assert {g for g in present if sum(counts[g].values()) < 5} <= set(d.hidden)
        if d.hidden and set(d.hidden) != present:
            assert len(d.hidden) >= 2 and sum(sum(counts[g].values()) for g in d.hidden) >= 5, counts
            assert d.lines[-1].keys == tuple(d.hidden)  # shown merged, never apart
        assert d.totals_shown
        w = disclose(counts, 5, levels=LV, weighted=True)
        assert not set(k for line in w.lines for k in line.keys) & set(w.hidden)
        assert w.totals_shown == (not w.hidden)
        assert all(len(line.keys) == 1 for line in w.lines)


def test_weighted_withholds_merged_lines_and_totals():
    counts = {"cadre": {"优秀": 5}, "retired": {"合格": 6}, "staff": {"不合格": 2}, "dean": {"优秀": 9}}
    d = disclose(counts, 5, names={"cadre": "中层干部", "staff": "教职工"}, levels=LV, weighted=True)
    assert set(d.hidden) == {"staff", "cadre"}  # the smallest large group joins the small one
    assert [line.keys for line in d.lines] == [("retired",), ("dean",)]
    assert not d.totals_shown and "教职工" in d.note and "中层干部" in d.note
    plain = disclose(counts, 5, names={"cadre": "中层干部", "staff": "教职工"}, levels=LV)
    assert [line.keys for line in plain.lines] == [("retired",), ("dean",), ("cadre", "staff")]
    assert plain.lines[-1].counts == {"优秀": 5, "合格": 0, "不合格": 2}
    assert plain.lines[-1].label == "中层干部、教职工（合并显示，单独不足5人）" and plain.totals_shown


def test_threshold_zero_shows_every_group_and_bad_counts_do_not_raise():
    counts = {"a": {"优秀": 1}, "b": {"合格": "x", "不合格": 2}}
    assert [line.keys for line in disclose(counts, 0).lines] == [("a",), ("b",)]
    d = disclose(counts, 5)
    assert d.lines == [] and set(d.hidden) == {"a", "b"} and "只显示合计" in d.note
