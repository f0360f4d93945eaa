"""The rule catalog: every scoring rule of the source documents as configuration.

A rule type is a subclass of :class:`Rule` registered with ``@register`` in one of the modules
of this package (judged, deductions, tiers, cross_unit, weighted, self_evaluation); a new rule
type goes into the module of its kind, or a new module imported below. Each rule type declares

* ``parameters``: a :class:`Params` of :class:`Param` (name, Chinese label, kind, help,
  required, default, nested keys). The validator accepts exactly these keys and names them by
  their labels; the scheme workbook's 说明 sheet and the scheme pages show them
  (:func:`param_lines`). ``tests/rubric/test_rule_parameters.py`` checks that a rule reads
  and accepts only what it declares.

and provides

* ``validate(params, max_points) -> list[str]``: Chinese messages for params that do not fit;
* ``fields(params) -> list[Field]``: the facts a unit or scorer must enter (the web UI renders
  a form from them generically);
* ``describe(params, max_points) -> str``: the rule in plain Chinese;
* ``score(params, max_points, facts, peers=None) -> ScoreResult``: one unit's points with a
  Chinese explanation naming the rule, the inputs and the thresholds hit;
* ``score_all(params, max_points, facts_by_unit) -> dict[unit_id, ScoreResult]``: all units of a
  population at once (cross-unit rules compute their averages and ranks once here);
* ``bounds(params, max_points) -> (low, high)``: the documented range of the score. Normally
  ``(0, max)``; a negative ``floor`` (document deductions such as 「低于80%扣2分」) lowers it, items
  marked ``exceeds_cap`` (「省级比赛获奖得分可突破本项得分上限」) lift the top (``None`` = open).

Facts are plain dicts {field name: value}; values may be numbers or strings (the web form posts
strings). A missing required fact gives ``status="missing"`` (0 points, not final); an invalid
fact or a judged score below the maximum without a reason gives ``status="error"``.

Cross-unit rules (``cross_unit = True``) are computed over the units of the same category to
which the indicator applies. Their results are ``provisional`` until every unit of that
population has its facts.

Rounding: every rule rounds its final points once with :func:`app.rubric.numbers.q2`.

Component scores (not indicator rules) are :func:`democratic_score` and :func:`leader_score`;
normalisation of reduced maxima is :func:`normalise`; :func:`check_ballot` checks one ballot
(module ``components``).
"""

# Importing the modules registers their rule types; this order is the catalogue's order (RULES).
from . import judged, deductions, tiers, cross_unit, weighted, self_evaluation  # isort: skip  # noqa: F401
from .base import (
    ENTERED_BY,
    FIELD_KINDS,
    RULES,
    FactError,
    Field,
    Rule,
    ScoreResult,
    competition_ranks,
    describe_safely,
    get_rule,
    register,
    rule_catalogue,
    rule_names,
)
from .components import check_ballot, democratic_score, leader_score, normalise
from .cross_unit import RankBase, RelativeAverage
from .deductions import DeductionItems, DeductionPerOccurrence
from .judged import Judged
from .params import PARAM_KINDS, Param, Params, param_lines
from .self_evaluation import BudgetExecution, Direct, JudgedLevel, Proportional, Satisfaction
from .tiers import GrowthBands, JointTiers, ShortfallDeduction, Tiers
from .weighted import WeightedItems

__all__ = [
    "FIELD_KINDS",
    "Field",
    "ScoreResult",
    "Rule",
    "RULES",
    "register",
    "get_rule",
    "rule_names",
    "democratic_score",
    "leader_score",
    "normalise",
    "check_ballot",
    "FactError",
    "ENTERED_BY",
    "competition_ranks",
    "describe_safely",
    "rule_catalogue",
    "Param",
    "Params",
    "PARAM_KINDS",
    "param_lines",
    # the rule types
    "Judged",
    "DeductionPerOccurrence",
    "DeductionItems",
    "Tiers",
    "JointTiers",
    "GrowthBands",
    "ShortfallDeduction",
    "RelativeAverage",
    "RankBase",
    "WeightedItems",
    "Proportional",
    "Direct",
    "JudgedLevel",
    "Satisfaction",
    "BudgetExecution",
]
