"""Synthetic cycles for benchmarks, property tests and demo data (deterministic by ``seed``)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from .engine import Unit
from .numbers import D, q2
from .rules import Field, get_rule
from .scheme import Indicator, Scheme

__all__ = ["SyntheticCycle", "synthetic_cycle", "synthetic_facts_for", "synthetic_inputs"]


@dataclass
class SyntheticCycle:
    units: list[Unit]
    facts: dict[tuple[str, str], dict[str, Any]]
    ballots: dict[str, dict[str, dict[str, int]]]
    leader_ratings: dict[str, dict[str, list[int]]]

    @property
    def n_facts(self) -> int:
        return sum(len(f) for f in self.facts.values())

    @property
    def n_ballots(self) -> int:
        return sum(c for b in self.ballots.values() for g in b.values() for c in g.values())


def _value(f: Field, ind: Indicator, rng: random.Random) -> Any:
    if f.kind == "text":
        return "按工作实绩评定" if rng.random() < 0.9 else ""
    if f.kind == "level":
        return rng.choice(list(f.choices or ("达到预期指标",)))
    if f.kind == "bool":
        return rng.random() < 0.8
    if f.kind == "date":
        return "2019-06-30"
    if f.max is not None:
        return str(q2(D(rng.uniform(0, float(f.max)))))
    if f.unit == "%":
        return str(q2(D(rng.uniform(40, 110))))
    if f.name == "points":  # judged
        return str(q2(ind.points * D(rng.choice([1, 1, 1, 0.9, 0.8, 0.5]))))
    if f.kind == "int":
        if f.unit in ("人", "人次"):
            return rng.randint(5, 400)
        return rng.choice([0, 0, 0, 1, 1, 2, 3])
    return str(q2(D(rng.uniform(0, 200))))


def synthetic_facts_for(ind: Indicator, rng: random.Random) -> dict[str, Any]:
    """Plausible facts for one leaf indicator (every field of its rule filled)."""
    rule = get_rule(ind.rule or "")
    facts = {f.name: _value(f, ind, rng) for f in rule.fields(ind.params)}
    if ind.rule == "judged" and D(facts["points"]) < ind.points:
        facts["reason"] = "部分工作未达到要求"
    if "reason" in facts and not facts["reason"]:
        facts["reason"] = "部分工作未达到要求"
    for k in list(facts):
        if k.endswith("_reason") and not facts[k]:
            facts[k] = "酌情扣分"
    return facts


def synthetic_cycle(scheme: Scheme, n_colleges: int, n_departments: int, *, seed: int = 1,
                    voters: int = 33, principals: int = 3, deputies: int = 12) -> SyntheticCycle:
    """Units of both categories with every indicator fact, ballot counts and leader ratings."""
    rng = random.Random(seed)
    units: list[Unit] = []
    col = scheme.category("college")
    for i in range(n_colleges):
        st = col.subtypes[0] if i % 5 < 2 else col.subtypes[i % len(col.subtypes)]
        units.append(Unit(f"c{i:04d}", f"院部{i:04d}", "college", st))
    dep = scheme.category("department")
    named = [u.name for u in dep.units]
    for i in range(n_departments):
        name = named[i % len(named)] if named else f"部门{i:04d}"
        units.append(Unit(f"d{i:04d}", name, "department", dep.subtypes[0]))  # names may repeat beyond the list
    facts: dict[tuple[str, str], dict[str, Any]] = {}
    for u in units:
        cat = scheme.category(u.category)
        stack = list(cat.indicators)
        while stack:
            n = stack.pop()
            if n.applies_to is not None and u.subtype not in n.applies_to:
                continue
            if n.applies_to_units is not None and u.name not in n.applies_to_units:
                continue
            if n.is_group:
                stack.extend(n.children)
            else:
                facts[(u.id, n.code)] = synthetic_facts_for(n, rng)
    ballots: dict[str, dict[str, dict[str, int]]] = {}
    levels = list(scheme.ballot.levels)
    groups = [g for g, _, _ in scheme.ballot.rater_groups] or ["all"]
    for u in units:
        per_group: dict[str, dict[str, int]] = {}
        left = voters
        for gi, g in enumerate(groups):
            n = left if gi == len(groups) - 1 else left // 2
            left -= n
            a = rng.randint(0, n)
            b = rng.randint(0, n - a)
            per_group[g] = {levels[0]: a, levels[1]: b, levels[-1]: n - a - b}
        ballots[u.id] = per_group
    ratings = {u.id: {"principal": [rng.randint(70, 100) for _ in range(principals)],
                      "deputy": [rng.randint(70, 100) for _ in range(deputies)]} for u in units}
    return SyntheticCycle(units=units, facts=facts, ballots=ballots, leader_ratings=ratings)



def synthetic_inputs(scheme: Scheme, units: list, rng: random.Random) -> tuple[dict, dict, dict]:
    """(facts, ballots, leader ratings) for the product's ``units`` (objects with ``id`` and
    ``category``, e.g. app.models.Unit) under ``scheme``, keyed by unit id as the results service
    takes them: every applicable indicator's facts, ballots of two rater groups (cadre: 30 voters,
    staff) and the ratings of 2 principal and 4 deputy leaders. The generated university and the
    results benchmark use them."""
    from .leaves import applicable_units

    facts: dict = {}
    for cat in scheme.categories:
        population = applicable_units(cat.indicators, [u for u in units if u.category == cat.key])
        for root in cat.indicators:
            for leaf in root.leaves():
                for u in population[leaf.code]:
                    facts[(u.id, leaf.code)] = synthetic_facts_for(leaf, rng)
    ballots, ratings = {}, {}
    for u in units:
        a, b = rng.randint(10, 25), rng.randint(3, 10)
        ballots[u.id] = {"cadre": {"优秀": a, "合格": b, "不合格": max(0, 30 - a - b)},
                         "staff": {"优秀": b, "合格": a, "不合格": 0}}
        ratings[u.id] = {"principal": [rng.randint(75, 98) for _ in range(2)],
                         "deputy": [rng.randint(75, 98) for _ in range(4)]}
    return facts, ballots, ratings
