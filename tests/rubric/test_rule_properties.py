"""Property tests: every rule of the seed scheme stays within its bounds, is monotone where
the rule says so, and names its inputs in the explanation."""

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.rubric.rules import Field, get_rule
from tests.builders.seed import seed

S = seed()
LEAVES = [leaf for cat in S.categories for root in cat.indicators for leaf in root.leaves()]
SINGLE = [x for x in LEAVES if not get_rule(x.rule).is_cross(x.params)]
CROSS = [x for x in LEAVES if get_rule(x.rule).is_cross(x.params)]
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def value_for(f: Field, max_points: Decimal):
    if f.kind == "int":
        return st.integers(min_value=0, max_value=60)
    if f.kind == "decimal":
        hi = float(f.max) if f.max is not None else (float(max_points) if f.name == "points" else 500.0)
        return st.decimals(min_value=0, max_value=hi, places=2).map(str)
    if f.kind == "level":
        return st.sampled_from(list(f.choices or ("达到预期指标",)))
    return st.sampled_from(["理由", "部分未完成"])


@st.composite
def leaf_and_facts(draw, leaves=SINGLE):
    leaf = draw(st.sampled_from(leaves))
    rule = get_rule(leaf.rule)
    facts = {f.name: draw(value_for(f, leaf.points)) for f in rule.fields(leaf.params)}
    return leaf, rule, facts


def within(rule, leaf, points):
    lo, hi = rule.bounds(leaf.params, leaf.points)
    return lo <= points and (hi is None or points <= hi)


@SETTINGS
@given(leaf_and_facts())
def test_every_rule_stays_within_bounds(case):
    leaf, rule, facts = case
    r = rule.score(leaf.params, leaf.points, facts)
    assert r.status in ("ok", "error", "missing")
    assert within(rule, leaf, r.points), (leaf.code, facts, r.explanation)
    assert r.points == r.points.quantize(Decimal("0.01"))
    if r.status != "ok":
        assert r.points == 0 and r.error


@SETTINGS
@given(leaf_and_facts())
def test_explanations_name_their_inputs(case):
    leaf, rule, facts = case
    r = rule.score(leaf.params, leaf.points, facts)
    if r.status != "ok":
        return
    text = r.explanation
    assert rule.label in text or leaf.rule in ("proportional", "direct", "judged_level", "satisfaction")
    for f in rule.fields(leaf.params):
        if f.kind in ("int", "decimal") and f.name in r.inputs and leaf.rule not in ("weighted_items", "rank_base"):
            assert f.label in text or f.label.split("（")[0] in text, (leaf.code, f.label, text)
    if leaf.rule in ("weighted_items",):
        for f in rule.fields(leaf.params):
            if Decimal(str(facts[f.name])) > 0:
                assert f.label in text


@st.composite
def population(draw):
    leaf = draw(st.sampled_from(CROSS))
    rule = get_rule(leaf.rule)
    n = draw(st.integers(min_value=1, max_value=12))
    facts = {}
    for i in range(n):
        if draw(st.integers(0, 9)) == 0:
            facts[f"u{i}"] = None
            continue
        facts[f"u{i}"] = {f.name: draw(value_for(f, leaf.points)) for f in rule.fields(leaf.params)}
    return leaf, rule, facts


@SETTINGS
@given(population())
def test_cross_unit_rules_stay_within_bounds_and_flag_missing_peers(case):
    leaf, rule, facts = case
    res = rule.score_all(leaf.params, leaf.points, facts)
    assert set(res) == set(facts)
    incomplete = any(r.status != "ok" for r in res.values())  # missing or invalid facts of a peer
    for r in res.values():
        assert within(rule, leaf, r.points), (leaf.code, r.explanation)
        if r.status == "ok":
            assert r.provisional == incomplete
            assert "第" in r.explanation or "平均" in r.explanation


# --- monotonicity where the rule says so ------------------------------------------------


@SETTINGS
@given(st.sampled_from(["B17", "B18", "K3.4.1", "K5.1.2"]), st.integers(0, 30), st.integers(0, 30))
def test_more_occurrences_never_score_more(code, a, b):
    leaf = S.indicator(code)
    rule = get_rule(leaf.rule)
    lo, hi = sorted((a, b))
    assert rule.score(leaf.params, leaf.points, {"count": hi}).points <= rule.score(
        leaf.params, leaf.points, {"count": lo}).points


@SETTINGS
@given(st.sampled_from(["K2.1", "K3.3.2", "K1.3"]), st.integers(0, 400), st.integers(0, 400), st.integers(1, 300))
def test_tiers_are_monotone_in_the_value(code, a, b, den):
    leaf = S.indicator(code)
    rule = get_rule(leaf.rule)
    fields = [f.name for f in rule.fields(leaf.params)]
    lo, hi = sorted((a, b))

    def facts(v):
        return {fields[0]: v, fields[1]: den} if code != "K1.3" else {fields[0]: v, fields[1]: v}

    assert rule.score(leaf.params, leaf.points, facts(lo)).points <= rule.score(
        leaf.params, leaf.points, facts(hi)).points


@SETTINGS
@given(st.integers(0, 2000), st.integers(0, 2000), st.integers(1, 2000))
def test_shortfall_is_monotone_in_the_actual_number(a, b, quota):
    leaf = S.indicator("K4.3")
    rule = get_rule(leaf.rule)
    lo, hi = sorted((a, b))
    assert rule.score(leaf.params, leaf.points, {"enrolled": lo, "quota": quota}).points <= rule.score(
        leaf.params, leaf.points, {"enrolled": hi, "quota": quota}).points


@SETTINGS
@given(st.sampled_from(["K1.1", "K6", "K5.2.3", "K5.4.3"]), st.data())
def test_weighted_items_are_monotone_in_every_count(code, data):
    leaf = S.indicator(code)
    rule = get_rule(leaf.rule)
    fields = rule.fields(leaf.params)
    facts = {f.name: data.draw(st.integers(0, 5)) for f in fields}
    f = data.draw(st.sampled_from(fields))
    more = {**facts, f.name: facts[f.name] + data.draw(st.integers(1, 20))}
    assert rule.score(leaf.params, leaf.points, facts).points <= rule.score(leaf.params, leaf.points, more).points


@SETTINGS
@given(st.decimals(min_value=0, max_value=1, places=4), st.decimals(min_value=0, max_value=1, places=4))
def test_proportional_rule_is_monotone_below_the_target(a, b):
    rule = get_rule("proportional")
    lo, hi = sorted((a, b))
    s_lo = rule.score({}, 10, {"target": "100", "actual": str(lo * 100)}).points
    s_hi = rule.score({}, 10, {"target": "100", "actual": str(hi * 100)}).points
    assert 0 <= s_lo <= s_hi <= 10


@SETTINGS
@given(st.lists(st.integers(0, 50), min_size=3, max_size=3))
def test_democratic_rating_within_component_points(counts):
    from app.rubric.rules import democratic_score

    r = democratic_score({"all": dict(zip(S.ballot.levels, counts, strict=True))}, S.ballot.levels, 20)
    if sum(counts):
        assert Decimal(10) <= r.points <= Decimal(18)  # 50…90 of 100, scaled to 20
