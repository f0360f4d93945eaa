"""Aggregation of a cycle: every score of every unit, ranks and grades, with Chinese reasons.

``compute(scheme, units, facts, ballots, leader_ratings)`` → :class:`CycleResult`
``grade(scheme, result, ...)`` → :class:`GradingResult`

Inputs
------
* ``units``: :class:`Unit` (id, name, category key, sub-type).
* ``facts``: {(unit_id, indicator_code): {field: value}} — the values of the rule's ``fields()``.
* ``ballots``: {unit_id: {rater_group_key: {level: count}}}; a flat {level: count} is accepted
  as one group.
* ``leader_ratings``: {unit_id: {"principal": [ratings], "deputy": [ratings]}} (0…rating_max).
* ``component_values``: {(unit_id, component key): Decimal | None} — the value entered for a
  weighted, bonus or deduction component (None: the unit has no such work; absent: not entered).

Computation
-----------
Leaves are scored by their rule over the units of the same category to which the indicator
applies (:func:`app.rubric.leaves.applicable_units`; a unit of another sub-type that does not
take part is not in a cross-unit rule's average or ranking). A group's raw points are the sum of
its applicable children. Where a group declares a reduced maximum for the unit's sub-type
(``max_by_subtype``), the scheme's normalisation policy applies: "scale" →
``q2(raw × full ÷ reduced)``, "raw" → kept (and the maximum stays reduced); either way the
result records raw and scaled values (:class:`Normalisation`). Components:
democratic rating, target scoring (sum of the root indicators), leader evaluation, and the
entered kinds: weighted (``(value − min) ÷ (max − min) × points``; a unit without the work gets 0,
or its category's average when the component says ``missing: category_average``), bonus (the
value, at most ``cap``) and deduction (the negative value, at most ``cap`` deducted, the total not
below ``floor``). The total is the sum of the components that count towards it, rounded as the
scheme's rounding policy says (:class:`app.rubric.scheme.RoundingPolicy`; the seed: the sum of
the components rounded at 0.01). See :mod:`app.rubric.numbers` for the rounding point.
Every component is also ranked within the category (``UnitResult.component_ranks``).

Ranking and tie-break (within each category)
--------------------------------------------
Units are ordered by total (descending); equal totals are ordered by the components named in
the scheme's ``grading.tie_break`` (component keys or kinds; default: target score, then leader
evaluation, then democratic rating, each descending; an empty list: equal totals share a rank).
Units equal on all of these share the same rank (competition ranking: 1, 2, 2, 4) and are listed by name.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .gcpause import collector_held
from .leaves import applicable_units, score_population
from .numbers import ZERO, D, fmt, fmt_plain, q2
from .rules import ScoreResult, democratic_score, leader_score, normalise
from .scheme import BallotPolicy, Category, Component, Indicator, Scheme

__all__ = ["Unit", "IndicatorScore", "Normalisation", "ComponentScore", "UnitResult", "CycleResult", "Override",
           "UnitGrade", "GradingResult", "compute", "democratic_component", "grade", "award_decision"]


@dataclass(frozen=True)
class Unit:
    id: str
    name: str
    category: str
    subtype: str


@dataclass(frozen=True)
class IndicatorScore:
    """One node of a unit's indicator tree. ``points`` is what counts towards the parent
    (scaled when normalisation applies here); ``raw_points``/``raw_max`` before scaling."""

    code: str
    name: str
    applicable: bool
    points: Decimal
    max_points: Decimal
    raw_points: Decimal
    raw_max: Decimal
    explanation: str
    status: str = "ok"
    provisional: bool = False
    rule: str | None = None
    inputs: Mapping[str, Any] = field(default_factory=dict)
    flags: tuple[str, ...] = ()
    normalised: bool = False
    children: tuple[IndicatorScore, ...] = ()

    def walk(self):
        yield self
        for c in self.children:
            yield from c.walk()


@dataclass(frozen=True)
class Normalisation:
    code: str
    name: str
    policy: str
    raw_points: Decimal
    raw_max: Decimal
    points: Decimal
    full_max: Decimal
    explanation: str


@dataclass(frozen=True)
class ComponentScore:
    key: str
    name: str
    kind: str
    points: Decimal
    max_points: Decimal
    explanation: str
    status: str = "ok"
    provisional: bool = False
    indicators: tuple[IndicatorScore, ...] = ()
    counts: bool = True  # added to the total
    value: Decimal | None = None  # the entered value (weighted, bonus, deduction)


@dataclass
class UnitResult:
    unit: Unit
    components: dict[str, ComponentScore]
    total: Decimal
    max_total: Decimal
    normalisations: list[Normalisation]
    provisional: bool
    explanation: str
    rank: int = 0
    _index: dict[str, IndicatorScore] = field(default_factory=dict, repr=False)
    component_ranks: dict[str, int] = field(default_factory=dict)  # component key → rank in the category

    def indicator(self, code: str) -> IndicatorScore:
        return self._index[code]

    def component_named(self, name: str) -> ComponentScore | None:
        """The component of key ``name``, else the first of kind ``name`` (tie-break entries)."""
        c = self.components.get(name)
        return c if c is not None else self.component(name)

    def component(self, kind: str) -> ComponentScore | None:
        for c in self.components.values():
            if c.kind == kind:
                return c
        return None


@dataclass
class CycleResult:
    scheme_key: str
    scheme_version: int
    normalisation: str
    units: dict[str, UnitResult]
    rankings: dict[str, list[str]]  # category → unit ids in rank order


# ----------------------------------------------------------------------------- compute


_PARENT_NOT_APPLICABLE = "不参加：上级指标不适用于本单位。"


def _not_applicable(n: Indicator, unit: Unit, why: str | None = None,
                    memo: dict[tuple[int, str], IndicatorScore] | None = None) -> IndicatorScore:
    """``n``'s node for a unit it does not apply to; ``memo`` (one computation's) shares the units'
    equal (frozen) subtrees, keyed by the indicator object and the reason."""
    if why is None:
        if n.applies_to is not None and unit.subtype not in n.applies_to:
            why = f"不参加：本项不适用于{unit.subtype}。"
        elif n.applies_to_units is not None and unit.name not in n.applies_to_units:
            why = f"不参加：本项是{'、'.join(n.applies_to_units)}的考核内容，不适用于{unit.name}。"
        else:
            why = _PARENT_NOT_APPLICABLE
    key = (id(n), why)
    if memo is not None and key in memo:
        return memo[key]
    node = IndicatorScore(code=n.code, name=n.name, applicable=False, points=ZERO, max_points=ZERO, raw_points=ZERO,
                          raw_max=ZERO, explanation=why, rule=n.rule,
                          children=tuple(_not_applicable(c, unit, _PARENT_NOT_APPLICABLE, memo) for c in n.children))
    if memo is not None:
        memo[key] = node
    return node


def _node(fields: dict) -> IndicatorScore:
    """``IndicatorScore(**fields)``, ``fields`` naming every field (_NODE_FIELDS), without the frozen
    ``__init__`` (15 ``object.__setattr__`` calls, 8× the cost; 15,000 nodes for 250 units)."""
    node = object.__new__(IndicatorScore)
    node.__dict__.update(fields)
    return node


_NODE_FIELDS = {f.name for f in dataclasses.fields(IndicatorScore)}


def _build(n: Indicator, unit: Unit, applicable: Mapping[str, set[str]], leaf_results: Mapping[str, ScoreResult],
           policy: str, norms: list[Normalisation], index: dict[str, IndicatorScore],
           averages: Mapping[str, Decimal] | None = None,
           memo: dict[tuple[int, str], IndicatorScore] | None = None) -> IndicatorScore:
    applies = unit.id in applicable[n.code]
    if not applies and averages and n.code in averages:
        # no such work: the average of the units it applies to (the indicator's ``missing`` option)
        avg = averages[n.code]
        node = IndicatorScore(code=n.code, name=n.name, applicable=True, points=avg, max_points=n.points,
                              raw_points=avg, raw_max=n.points, rule=n.rule,
                              explanation=f"本单位无此项工作，按本类别适用单位的平均得分计{fmt(avg)}分。",
                              flags=("category_average",))
        index[n.code] = node
        return node
    if not applies:
        node = _not_applicable(n, unit, memo=memo)
        for x in node.walk():
            index[x.code] = x
        return node
    if not n.is_group:
        r = leaf_results[n.code]
        node = _node({"code": n.code, "name": n.name, "applicable": True, "points": r.points, "max_points": n.points,
                      "raw_points": r.points, "raw_max": n.points, "explanation": r.explanation, "status": r.status,
                      "provisional": r.provisional or r.status != "ok", "rule": n.rule, "inputs": r.inputs,
                      "flags": r.flags, "normalised": False, "children": ()})
        index[n.code] = node
        return node
    kids = tuple(_build(c, unit, applicable, leaf_results, policy, norms, index, averages, memo) for c in n.children)
    raw, raw_max, status, provisional, shown = ZERO, ZERO, "ok", False, []  # sums in the children's order
    for k in kids:
        if not k.applicable:
            continue
        raw += k.points
        raw_max += k.max_points
        if k.status != "ok":
            status = "error" if k.status == "error" or status == "error" else "missing"
        provisional = provisional or k.provisional
        shown.append(f"{k.name[:12]}{fmt(k.points)}")
    text = f"小计：{'＋'.join(shown)} = {fmt(raw)}分（本单位适用满分{fmt(raw_max)}分）。"
    points, max_points, normalised = raw, raw_max, False
    if unit.subtype in n.max_by_subtype and n.max_by_subtype[unit.subtype] != n.points:
        points, why = normalise(raw, raw_max, n.points, policy)
        if policy == "scale":
            max_points, normalised = n.points, True
        norms.append(Normalisation(code=n.code, name=n.name, policy=policy, raw_points=raw, raw_max=raw_max,
                                   points=points, full_max=n.points, explanation=why))
        text += why + "。"
    node = _node({"code": n.code, "name": n.name, "applicable": True, "points": points, "max_points": max_points,
                  "raw_points": raw, "raw_max": raw_max, "explanation": text, "status": status,
                  "provisional": provisional, "rule": None, "inputs": {}, "flags": (), "normalised": normalised,
                  "children": kids})
    index[n.code] = node
    return node


def _ballot_groups(b: Mapping | None) -> dict[str, Mapping[str, int]]:
    if not b:
        return {}
    if all(isinstance(x, int) for x in b.values()):
        return {"all": b}
    return dict(b)


ALL_BALLOTS = "全部选票"


def democratic_component(ballot: BallotPolicy, counts: Mapping | None, points: Decimal | int) -> ScoreResult:
    """The democratic rating of one unit under ``ballot``: the one computation behind the result
    row and the office's tally.

    ``counts`` is ``{rater group: {level: count}}`` (or a flat ``{level: count}``). Without group
    weights the rating is the mean over all ballots, explained as one line (全部选票) with no
    per-group breakdown; with weights the groups' means are combined by weight and a group with
    fewer than ``ballot.min_group`` ballots on the unit is listed without its counts
    (:func:`app.rubric.rules.democratic_score`)."""
    groups = _ballot_groups(counts)
    weights = ballot.group_weights
    if weights:
        return democratic_score(groups, ballot.levels, points, weights, ballot.group_names,
                                min_group=ballot.min_group)
    total: dict[str, int] = {}
    for per in groups.values():
        for level, n in per.items():
            if not isinstance(n, int) or isinstance(n, bool) or n < 0:
                return democratic_score(groups, ballot.levels, points)  # reports the bad count
            total[level] = total.get(level, 0) + n
    return democratic_score({"all": total} if total else {}, ballot.levels, points,
                            group_names={"all": ALL_BALLOTS})


@collector_held
def compute(scheme: Scheme, units: Sequence[Unit], facts: Mapping[tuple[str, str], Mapping[str, Any]],
            ballots: Mapping[str, Mapping] | None = None,
            leader_ratings: Mapping[str, Mapping[str, Sequence]] | None = None, *,
            normalisation: str | None = None,
            component_values: Mapping[tuple[str, str], Decimal | None] | None = None) -> CycleResult:
    """Compute every score of a cycle. ``normalisation`` overrides the scheme's policy;
    ``component_values`` are the entered values of weighted, bonus and deduction components.

    Raises ValueError (Chinese message) for a unit whose category or sub-type the scheme lacks,
    or for duplicate unit ids.
    """
    policy = normalisation or scheme.normalisation
    if policy not in ("scale", "raw"):
        raise ValueError(f"折算方式应为 scale 或 raw，现为「{policy}」")
    ballots = ballots or {}
    leader_ratings = leader_ratings or {}
    component_values = component_values or {}
    rounding = scheme.rounding
    seen: set[str] = set()
    by_cat: dict[str, list[Unit]] = {}
    for u in units:
        if u.id in seen:
            raise ValueError(f"单位编号「{u.id}」重复")
        seen.add(u.id)
        try:
            cat = scheme.category(u.category)
        except KeyError as exc:
            raise ValueError(f"单位「{u.name}」：{exc.args[0]}") from None
        if u.subtype not in cat.subtypes:
            raise ValueError(
                f"单位「{u.name}」的类型「{u.subtype}」不是{cat.name}的单位类型（{'、'.join(cat.subtypes)}）"
            )
        by_cat.setdefault(u.category, []).append(u)

    results: dict[str, UnitResult] = {}
    rankings: dict[str, list[str]] = {}
    for cat in scheme.categories:
        cunits = by_cat.get(cat.key, [])
        if not cunits:
            rankings[cat.key] = []
            continue
        app_lists = applicable_units(cat.indicators, cunits)
        applicable = {code: {u.id for u in us} for code, us in app_lists.items()}
        leaf_scores: dict[str, dict[str, ScoreResult]] = {}  # unit id → code → result
        leaf_averages: dict[str, Decimal] = {}  # code → average points (indicators with ``missing``)
        for root in cat.indicators:
            for leaf in root.leaves():
                pop = app_lists[leaf.code]
                if not pop:
                    continue
                for uid, r in score_population(leaf, {u.id: facts.get((u.id, leaf.code)) for u in pop}).items():
                    leaf_scores.setdefault(uid, {})[leaf.code] = r
                if leaf.missing == "category_average":
                    ok = [leaf_scores[u.id][leaf.code].points for u in pop
                          if leaf_scores[u.id][leaf.code].status == "ok"]
                    if ok:
                        leaf_averages[leaf.code] = q2(sum(ok, ZERO) / len(ok))
        averages = {c.key: _category_average(c, cunits, component_values) for c in cat.components
                    if c.kind == "weighted" and c.missing == "category_average"}
        memo: dict[tuple[int, str], IndicatorScore] = {}  # the units' equal not-applicable subtrees
        for u in cunits:
            norms: list[Normalisation] = []
            index: dict[str, IndicatorScore] = {}
            comps: dict[str, ComponentScore] = {}
            for comp in cat.components:
                if comp.kind == "target":
                    roots = tuple(_build(r, u, applicable, leaf_scores.get(u.id, {}), policy, norms, index,
                                         leaf_averages, memo) for r in cat.indicators)
                    pts = sum((r.points for r in roots if r.applicable), ZERO)
                    mx = sum((r.max_points for r in roots if r.applicable), ZERO)
                    st = "ok" if all(r.status == "ok" for r in roots if r.applicable) else "incomplete"
                    prov = any(r.provisional for r in roots if r.applicable)
                    text = f"{comp.name}：" + "＋".join(f"{r.name}{fmt(r.points)}" for r in roots if r.applicable) + \
                        f" = {fmt(pts)}分（满分{fmt(mx)}分）。"
                    if norms:
                        text += "".join(f"{n.name}：{n.explanation}。" for n in norms)
                    if st != "ok":
                        n_open = sum(1 for x in index.values() if x.rule and x.applicable and x.status != "ok")
                        text += f"尚有{n_open}项指标未完成评分。"
                    comps[comp.key] = ComponentScore(comp.key, comp.name, comp.kind, pts, comp.points if policy ==
                                                     "scale" else mx, text, st, prov or st != "ok", roots)
                elif comp.kind == "democratic":
                    r = democratic_component(scheme.ballot, ballots.get(u.id), comp.points)
                    comps[comp.key] = ComponentScore(comp.key, comp.name, comp.kind, r.points, comp.points,
                                                     r.explanation, r.status, r.status != "ok" or r.provisional)
                elif comp.kind == "leader":
                    r = leader_score(leader_ratings.get(u.id) or {}, comp.parts, comp.rating_max)
                    comps[comp.key] = ComponentScore(comp.key, comp.name, comp.kind, r.points, comp.points,
                                                     r.explanation, r.status, r.status != "ok" or r.provisional)
                else:
                    comps[comp.key] = _entered(comp, u, component_values, averages.get(comp.key), rounding)
                if not comp.counts:
                    comps[comp.key] = dataclasses.replace(comps[comp.key], counts=False)
            leaf_scores.pop(u.id, None)  # read only for this unit: freed now, less for the garbage collector
            total = _total(cat, comps, rounding)
            counted = [c for c in comps.values() if c.counts]
            max_total = sum((c.max_points for c in counted), ZERO)
            prov = any(c.provisional for c in counted)
            text = f"{u.name}（{u.subtype}）总分：" + _sum_text(counted) + f" = {fmt(total)}分"
            if rounding.at == "total":
                text += f"（合计后四舍五入保留{rounding.decimals}位小数）"
            text += ("（暂定，尚有数据未齐）" if prov else "") + "。"
            off = [c for c in comps.values() if not c.counts]
            if off:
                text += "不计入总分：" + "，".join(f"{c.name}{fmt(c.points)}" for c in off) + "。"
            results[u.id] = UnitResult(unit=u, components=comps, total=total, max_total=max_total,
                                       normalisations=norms, provisional=prov, explanation=text, _index=index)
        rs = [results[u.id] for u in cunits]
        rankings[cat.key] = _rank(rs, scheme.grading.tie_break)
        _component_ranks(cat, rs)
    return CycleResult(scheme_key=scheme.key, scheme_version=scheme.version, normalisation=policy, units=results,
                       rankings=rankings)


def _round(x: Decimal, decimals: int) -> Decimal:
    return D(x).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def _sum_text(cs: Sequence[ComponentScore]) -> str:
    text = ""
    for i, c in enumerate(cs):
        if i and c.points >= 0:
            text += "＋"
        text += f"{c.name}{fmt(c.points)}" if c.points >= 0 or not i else f"{c.name}（{fmt(c.points)}）"
    return text


def _category_average(comp: Component, units: Sequence[Unit],
                      values: Mapping[tuple[str, str], Decimal | None]) -> Decimal | None:
    """The mean entered value of a weighted component over the category's units that have one."""
    vs = [D(v) for u in units if (v := values.get((u.id, comp.key))) is not None]
    try:
        return sum(vs, ZERO) / len(vs) if vs else None
    except ArithmeticError:
        return None


def _entered(comp: Component, u: Unit, values: Mapping[tuple[str, str], Decimal | None],
             average: Decimal | None, rounding) -> ComponentScore:
    """A weighted, bonus or deduction component of one unit from its entered value."""
    key = (u.id, comp.key)
    exact = rounding.at == "total"

    def score(pts: Decimal, text: str, value: Decimal | None, status: str = "ok") -> ComponentScore:
        if not exact:
            pts = _round(pts, rounding.decimals)
        return ComponentScore(comp.key, comp.name, comp.kind, pts, comp.max_points, text, status,
                              status != "ok", value=value)

    if key not in values:
        if comp.kind == "weighted":
            return score(ZERO, f"{comp.name}：尚未录入，暂计0分。", None, "missing")
        return score(ZERO, f"{comp.name}：无{'加分' if comp.kind == 'bonus' else '扣分'}。", None)
    raw = values[key]
    if comp.kind == "weighted":
        lo, hi = comp.scale_min, comp.scale_max
        if raw is None:
            if comp.missing == "category_average" and average is not None:
                pts = (average - lo) / (hi - lo) * comp.points
                return score(pts, f"{comp.name}：本单位无此项工作，按本类别平均值{fmt(average)}计，"
                                  f"折算 ({fmt(average)}−{fmt(lo)})÷({fmt(hi)}−{fmt(lo)})×{fmt(comp.points)}"
                                  f"={fmt(pts)}分。", None)
            return score(ZERO, f"{comp.name}：本单位无此项工作，计0分。", None)
        v = D(raw)
        if v < lo or v > hi:
            return score(ZERO, f"{comp.name}：录入值{fmt_plain(v)}超出 {fmt(lo)}～{fmt(hi)}。", v, "error")
        pts = (v - lo) / (hi - lo) * comp.points
        scale = f"{fmt_plain(v)}÷{fmt(hi)}" if lo == 0 else f"({fmt_plain(v)}−{fmt(lo)})÷({fmt(hi)}−{fmt(lo)})"
        return score(pts, f"{comp.name}：得分{fmt_plain(v)}（{fmt(lo)}～{fmt(hi)}），折算 {scale}×{fmt(comp.points)}"
                          f"={fmt(pts)}分。", v)
    v = ZERO if raw is None else D(raw)
    if comp.kind == "bonus":
        if v < 0:
            return score(ZERO, f"{comp.name}：加分应为不小于0的数，现为{fmt(v)}。", v, "error")
        if comp.cap is not None and v > comp.cap:
            return score(comp.cap, f"{comp.name}：加分{fmt(v)}分，超过上限{fmt(comp.cap)}分，计{fmt(comp.cap)}分。", v)
        return score(v, f"{comp.name}：加{fmt(v)}分。", v)
    if v > 0:
        return score(ZERO, f"{comp.name}：扣分应记为负数或0，现为{fmt(v)}。", v, "error")
    if comp.cap is not None and -v > comp.cap:
        return score(-comp.cap, f"{comp.name}：扣{fmt(-v)}分，超过最多扣分{fmt(comp.cap)}分，扣{fmt(comp.cap)}分。", v)
    return score(v, f"{comp.name}：扣{fmt(-v)}分。" if v else f"{comp.name}：无扣分。", v)


def _total(cat: Category, comps: dict[str, ComponentScore], rounding) -> Decimal:
    """The sum of the counted components; a deduction with a floor is limited so that the total
    does not fall below it (its points and explanation say so); rounded per the policy."""
    total = sum((c.points for c in comps.values() if c.counts and c.kind != "deduction"), ZERO)
    for m in cat.components:
        c = comps[m.key]
        if not c.counts or m.kind != "deduction":
            continue
        pts = c.points
        if m.floor is not None and total + pts < m.floor:
            pts = min(ZERO, m.floor - total)
            c = dataclasses.replace(c, points=pts, explanation=c.explanation +
                                    f"扣分后总分不低于{fmt(m.floor)}分，实扣{fmt(-pts)}分。")
            comps[m.key] = c
        total += pts
    if rounding.at == "total":
        return _round(total, rounding.decimals)
    return total


def _component_ranks(cat: Category, rs: Sequence[UnitResult]) -> None:
    """Each component's competition rank (1, 2, 2, 4) within the category, by points, descending."""
    for m in cat.components:
        pts = sorted((r.components[m.key].points for r in rs), reverse=True)
        first = {}
        for i, p in enumerate(pts, start=1):
            first.setdefault(p, i)
        for r in rs:
            r.component_ranks[m.key] = first[r.components[m.key].points]


def _rank_key(r: UnitResult, tie_break: Sequence[str], total: Decimal | None = None) -> tuple:
    parts = [r.total if total is None else total]
    for name in tie_break:
        c = r.component_named(name)
        parts.append(c.points if c else ZERO)
    return tuple(parts)


def _rank(rs: list[UnitResult], tie_break: Sequence[str], totals: Mapping[str, Decimal] | None = None) -> list[str]:
    """Sort by (total, tie-break components) descending; equal keys share a rank. Sets ``rank``."""
    keyed = [(_rank_key(r, tie_break, (totals or {}).get(r.unit.id)), r) for r in rs]
    keyed.sort(key=lambda kr: (tuple(-x for x in kr[0]), kr[1].unit.name, kr[1].unit.id))
    prev = None
    rank = 0
    for i, (k, r) in enumerate(keyed, start=1):
        if k != prev:
            rank, prev = i, k
        r.rank = rank
    return [r.unit.id for _, r in keyed]


# ----------------------------------------------------------------------------- grading


@dataclass(frozen=True)
class Override:
    """A deliberation's change: a new total and/or grade for a unit, with the reason (required)."""

    unit_id: str
    reason: str
    total: Decimal | None = None
    grade: str | None = None


@dataclass(frozen=True)
class UnitGrade:
    unit: Unit
    total: Decimal
    computed_total: Decimal
    rank: int
    grade: str
    explanation: str
    flags: tuple[str, ...] = ()
    provisional: bool = False


@dataclass
class GradingResult:
    units: dict[str, UnitGrade]
    rankings: dict[str, list[str]]
    warnings: list[str]


def grade(scheme: Scheme, result: CycleResult, *, applications: Mapping[str, bool] | None = None,
          vetoes: Mapping[str, Sequence[str]] | None = None, fail_decisions: Collection[str] = (),
          previous_last: Collection[str] = (), overrides: Sequence[Override] = ()) -> GradingResult:
    """Apply the grading policy per category, in this order:

    1. score overrides (new totals, with reasons) and re-ranking with the same tie-break;
    2. 不合格 by the scheme's fail rule (``below_score``: total < threshold;
       ``leadership_decision``: units in ``fail_decisions``; ``none``);
    3. 优秀 down the ranking to the category's quota, skipping units without an accepted
       application (``applications[unit_id]`` true) and units with a veto condition
       (``vetoes[unit_id]`` = keys of the scheme's vetoes). Units tied at the last quota place
       are all 优秀 only if they all fit; otherwise none of them is, and they are flagged
       ``tie_at_quota`` for the leadership group to decide (with a grade override);
    4. 合格 for the rest;
    5. the "last two years running" flag for units ranked last (ties included) whose id or name
       is in ``previous_last`` (the previous cycle's last-ranked units);
    6. grade overrides (with reasons); exceeding a quota gives a warning.
    Every unit gets a Chinese explanation of the steps that decided its grade.
    """
    g = scheme.grading
    applications = applications or {}
    vetoes = vetoes or {}
    fail_decisions = set(fail_decisions)
    previous_last = set(previous_last)
    by_unit: dict[str, list[Override]] = {}
    for o in overrides:
        if not o.reason or not o.reason.strip():
            raise ValueError(f"单位「{o.unit_id}」的审议调整必须写明理由")
        if o.unit_id not in result.units:
            raise ValueError(f"审议调整的单位「{o.unit_id}」不在本次考核结果中")
        if o.grade is not None and o.grade not in g.levels:
            raise ValueError(f"等次「{o.grade}」无效，应为{'、'.join(g.levels)}之一")
        by_unit.setdefault(o.unit_id, []).append(o)
    out: dict[str, UnitGrade] = {}
    rankings: dict[str, list[str]] = {}
    warnings: list[str] = []
    for cat in scheme.categories:
        rs = [result.units[uid] for uid in result.rankings.get(cat.key, [])]
        if not rs:
            rankings[cat.key] = []
            continue
        totals: dict[str, Decimal] = {}
        notes: dict[str, list[str]] = {r.unit.id: [] for r in rs}
        for r in rs:
            for o in by_unit.get(r.unit.id, []):
                if o.total is not None:
                    totals[r.unit.id] = q2(o.total)
                    notes[r.unit.id].append(f"审议将总分由{fmt(r.total)}分调整为{fmt(o.total)}分，理由：{o.reason}")
        saved_ranks = {r.unit.id: r.rank for r in rs}
        order = _rank(rs, g.tie_break, totals)
        ranks = {r.unit.id: r.rank for r in rs}
        for r in rs:  # keep the CycleResult's own ranks untouched
            r.rank = saved_ranks[r.unit.id]
        total_of = {r.unit.id: totals.get(r.unit.id, r.total) for r in rs}
        n = len(order)
        grades: dict[str, str] = {}
        flags: dict[str, list[str]] = {uid: [] for uid in order}
        fr = g.fail_rule
        for uid in order:
            if fr.get("type") == "below_score" and total_of[uid] < D(fr["threshold"]):
                grades[uid] = g.failed
                notes[uid].append(f"总分{fmt(total_of[uid])}分低于{fmt(fr['threshold'])}分，评为{g.failed}")
            elif fr.get("type") == "leadership_decision" and uid in fail_decisions:
                grades[uid] = g.failed
                notes[uid].append(f"领导小组认定为{g.failed}")
        quota = int(g.quotas.get(cat.key, 0))
        left = quota
        i = 0
        while i < n:
            # the group of units tied at this rank
            j = i
            while j < n and ranks[order[j]] == ranks[order[i]]:
                j += 1
            tied = order[i:j]
            cands = []
            for uid in tied:
                if uid in grades:
                    continue
                why = []
                if g.requires_accepted_application and not applications.get(uid):
                    why.append("未申报优秀或申报未获认可（须具有创新性工作或突破性进展）")
                for vk in vetoes.get(uid, ()):
                    why.append(f"存在不能评为优秀的情形：{g.veto_text(vk)}")
                if why:
                    if left > 0:
                        notes[uid].append(f"排名第{ranks[uid]}，" + "；".join(why) + f"，不能评为{g.excellent}")
                else:
                    cands.append(uid)
            if cands and left > 0:
                if len(cands) <= left:
                    for uid in cands:
                        grades[uid] = g.excellent
                        notes[uid].append(f"排名第{ranks[uid]}，符合优秀条件，在{cat.name}优秀名额{quota}名之内，"
                                          f"评为{g.excellent}")
                    left -= len(cands)
                else:
                    for uid in cands:
                        flags[uid].append("tie_at_quota")
                        notes[uid].append(f"与{len(cands) - 1}个单位并列第{ranks[uid]}名，剩余优秀名额{left}名不足，"
                                          f"暂评为{g.passed}，由领导小组审议确定")
                    warnings.append(f"{cat.name}第{ranks[cands[0]]}名并列{len(cands)}个单位，超出剩余优秀名额{left}名")
                    left = 0
            i = j
        last_rank = max(ranks.values())
        for uid in order:
            if uid not in grades:
                grades[uid] = g.passed
                notes[uid].append(f"评为{g.passed}")
            r = result.units[uid]
            if ranks[uid] == last_rank and n > 1:
                flags[uid].append("last_place")
                if uid in previous_last or r.unit.name in previous_last:
                    flags[uid].append("last_place_consecutive")
                    notes[uid].append(f"连续{g.last_place_years}年排在末位" +
                                      (f"：{g.last_place_text}" if g.last_place_text else ""))
            for o in by_unit.get(uid, []):
                if o.grade is not None and o.grade != grades[uid]:
                    notes[uid].append(f"审议将等次由{grades[uid]}调整为{o.grade}，理由：{o.reason}")
                    grades[uid] = o.grade
                    flags[uid].append("grade_overridden")
        n_exc = sum(1 for uid in order if grades[uid] == g.excellent)
        if n_exc > quota:
            warnings.append(f"{cat.name}评为{g.excellent}的单位{n_exc}个，超过名额{quota}个")
        for uid in order:
            r = result.units[uid]
            head = f"{r.unit.name}：总分{fmt(total_of[uid])}分，{cat.name}第{ranks[uid]}名（共{n}个）"
            if r.provisional:
                head += "，成绩暂定"
            out[uid] = UnitGrade(unit=r.unit, total=total_of[uid], computed_total=r.total, rank=ranks[uid],
                                 grade=grades[uid], explanation=head + "；" + "；".join(notes[uid]) + "。",
                                 flags=tuple(flags[uid]) + (("score_overridden",) if uid in totals else ()),
                                 provisional=r.provisional)
        rankings[cat.key] = order
    return GradingResult(units=out, rankings=rankings, warnings=warnings)


def award_decision(scheme: Scheme, votes_for: int, members: int) -> tuple[bool, str]:
    """突出贡献奖: granted when more than ``share`` of the leadership group's members vote for it."""
    if members <= 0 or votes_for < 0 or votes_for > members:
        raise ValueError("领导小组人数或赞成票数不正确")
    share = scheme.award.share
    ok = D(votes_for) > share * members
    return ok, (f"领导小组{members}人，赞成{votes_for}人，{'超过' if ok else '未超过'}"
                f"{fmt(share * 100)}%，{'授予' if ok else '不授予'}突出贡献奖。")
