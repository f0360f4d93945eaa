"""The scoring engine: pure Python, no Flask, no SQLModel, no database.

Public API (everything a web app needs; see each module's docstring for details):

Scheme (app.rubric.scheme)
    load_scheme(d: dict) -> Scheme                 validate + load; raises SchemeInvalid(errors)
    validate_scheme(d: dict) -> list[SchemeError]  each error names indicator code/name, message in Chinese
    dump_scheme(s: Scheme) -> dict                 JSON-able snapshot (round-trips with load_scheme)
    Scheme.category(key) / Scheme.indicator(code) / Category.indicators / Indicator.applies(...)

Rules (app.rubric.rules, a package: one module per kind of rule) — one registry, ``@register``
a Rule subclass that declares its ``parameters`` (Param: name, Chinese label, kind, help, ...)
    get_rule(name) -> Rule;  rule_names() -> list[str];  rule_catalogue() -> every rule's parameters
    Rule.validate(params, max_points) -> list[str] Chinese messages; accepts the declared keys only
    Rule.fields(params) -> list[Field]             the facts to enter (name, label, kind, unit, choices)
    Rule.describe(params, max_points) -> str       the rule in plain Chinese
    Rule.score(params, max_points, facts, peers=None) -> ScoreResult
    Rule.score_all(params, max_points, facts_by_unit) -> dict[unit_id, ScoreResult]
    democratic_score(...), leader_score(...), normalise(...), check_ballot(...)   (rules.components)

Engine (app.rubric.engine)
    compute(scheme, units, facts, ballots, leader_ratings, *, normalisation=None) -> CycleResult
    democratic_component(ballot_policy, counts, points) -> ScoreResult   one unit's democratic rating
    grade(scheme, result, *, applications, vetoes, fail_decisions, previous_last, overrides) -> GradingResult
    award_decision(scheme, votes_for, members) -> (bool, str)
    Unit, Override, CycleResult, UnitResult, IndicatorScore, ComponentScore, Normalisation, UnitGrade

Leaves and applicability (app.rubric.leaves)
    scheme_leaves(scheme) -> tuple[Leaf, ...]      every scored indicator with its chain, owner, category
    applicable_units(roots, units) -> {code: [units]}   THE rule of which units an indicator applies to
    score_population(indicator, facts_by_unit)     a leaf's rule over such a population
    split_fields(fields), clean_value(field, raw), clean_facts(fields, raw)   raise ValueRefused

Numbers (app.rubric.numbers)
    D(x) -> Decimal;  q2(x) -> Decimal (ROUND_HALF_UP to 0.01, the one rounding point);  fmt(x) -> str
    fmt_plain(x) -> str (a typed value, unrounded)

Self-evaluation (app.rubric.values, app.rubric.selfeval): target/actual parsing and completion
rates, and the four self-evaluation rules; the rule catalog wraps them as the rule types
proportional, direct, judged_level, satisfaction and budget_execution.
"""

from .engine import (
    ComponentScore,
    CycleResult,
    GradingResult,
    IndicatorScore,
    Normalisation,
    Override,
    Unit,
    UnitGrade,
    UnitResult,
    award_decision,
    compute,
    democratic_component,
    grade,
)
from .leaves import Leaf, ValueRefused, applicable_units, scheme_leaves, score_population
from .numbers import D, fmt, fmt_plain, q2
from .rules import Field, Rule, ScoreResult, check_ballot, get_rule, register, rule_names
from .scheme import Scheme, SchemeError, SchemeInvalid, dump_scheme, load_scheme, validate_scheme

__all__ = [
    "ComponentScore",
    "CycleResult",
    "D",
    "Field",
    "GradingResult",
    "IndicatorScore",
    "Leaf",
    "Normalisation",
    "Override",
    "Rule",
    "Scheme",
    "SchemeError",
    "SchemeInvalid",
    "ScoreResult",
    "Unit",
    "UnitGrade",
    "UnitResult",
    "ValueRefused",
    "applicable_units",
    "award_decision",
    "check_ballot",
    "compute",
    "democratic_component",
    "dump_scheme",
    "fmt",
    "fmt_plain",
    "get_rule",
    "grade",
    "load_scheme",
    "q2",
    "register",
    "rule_names",
    "scheme_leaves",
    "score_population",
    "validate_scheme",
]
