"""The scored indicators of a scheme as the workflows use them, and the one applicability rule.

* :class:`Leaf` — a scored indicator with its chain of ancestors, the department that scores it
  (``owner``, inherited from its groups; :data:`OFFICE_OWNER` when none) and its category.
* :func:`scheme_leaves` — every leaf of a scheme in scheme order, computed once per loaded
  :class:`~app.rubric.scheme.Scheme` object.
* :func:`applicable_units` — which units each indicator applies to (its own and its ancestors'
  ``applies_to`` / ``applies_to_units``). The engine and the scorer's preview both take the
  population of a cross-unit rule (averages, ranks) from it, so they always agree.
* :func:`score_population` — a leaf's rule over such a population.
* :func:`split_fields`, :func:`clean_value`, :func:`clean_facts` — the facts a unit reports
  versus the judgments only a scorer gives (each rule marks them, ``Field.by``), and the parsing
  of what people type into the values the rules take. A value that does not parse raises
  :class:`ValueRefused` (a Chinese message naming the field).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Protocol, TypeVar

from .numbers import D, NumberError, fmt, fmt_plain
from .rules import Field, Rule, ScoreResult, get_rule
from .scheme import Indicator, Scheme

__all__ = [
    "OFFICE_OWNER",
    "FACT_TEXT_LIMIT",
    "Leaf",
    "ValueRefused",
    "scheme_leaves",
    "applicable_units",
    "score_population",
    "split_fields",
    "clean_value",
    "clean_facts",
]

OFFICE_OWNER = "目标办"  # the owner of an indicator that names none: the evaluation office scores it
FACT_TEXT_LIMIT = 2000


class ValueRefused(ValueError):
    """A typed value that does not fit its field; ``message`` is Chinese, ``field`` the field's name."""

    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.message = message
        self.field = field


class _UnitLike(Protocol):
    subtype: str
    name: str


U = TypeVar("U", bound=_UnitLike)


@dataclass(frozen=True)
class Leaf:
    """A scored indicator of a scheme with what the workflows need around it."""

    code: str
    name: str
    points: Decimal
    owner: str  # department name, or OFFICE_OWNER
    rule: str
    params: dict
    description: str
    path: tuple[str, ...]  # names of the groups above it
    category: str
    chain: tuple[Indicator, ...]  # ancestors and itself, for applicability

    @property
    def indicator(self) -> Indicator:
        return self.chain[-1]

    def applies(self, subtype: str | None, name: str | None = None) -> bool:
        """Whether the leaf and all its groups apply to a unit of ``subtype`` named ``name``."""
        return all(n.applies(subtype, name) for n in self.chain)

    def description_for(self, unit_name: str) -> str:
        return self.indicator.description_by_unit.get(unit_name) or self.description

    @property
    def rule_obj(self) -> Rule:
        return get_rule(self.rule)

    @property
    def fields(self) -> list[Field]:
        return list(self.rule_obj.fields(self.params))

    @property
    def fact_fields(self) -> list[Field]:
        return split_fields(self.fields)[0]

    @property
    def judgment_fields(self) -> list[Field]:
        return split_fields(self.fields)[1]

    @property
    def rule_text(self) -> str:
        return self.rule_obj.describe(self.params, self.points)

    @property
    def cross_unit(self) -> bool:
        return self.rule_obj.is_cross(self.params)

    def score_all(self, facts_by_unit: Mapping[Any, Mapping | None]) -> dict[Any, ScoreResult]:
        """The leaf's rule over a population (see :func:`score_population`)."""
        return score_population(self.indicator, facts_by_unit)


# ----------------------------------------------------------------------------- leaves of a scheme

_LEAVES: dict[int, tuple[Scheme, tuple[Leaf, ...]]] = {}
_LEAVES_MAX = 16


def scheme_leaves(scheme: Scheme) -> tuple[Leaf, ...]:
    """Every scored indicator of ``scheme`` (all categories), in scheme order. Computed once per
    Scheme object (the cache holds the object, so its id is not reused while cached)."""
    hit = _LEAVES.get(id(scheme))
    if hit is not None and hit[0] is scheme:
        return hit[1]
    out: list[Leaf] = []
    for cat in scheme.categories:
        for root in cat.indicators:
            _collect(root, (), None, cat.key, out)
    leaves = tuple(out)
    if len(_LEAVES) >= _LEAVES_MAX:
        _LEAVES.clear()
    _LEAVES[id(scheme)] = (scheme, leaves)
    return leaves


def _collect(node: Indicator, chain: tuple[Indicator, ...], owner: str | None, category: str,
             out: list[Leaf]) -> None:
    chain = (*chain, node)
    owner = node.owner or owner
    if node.is_group:
        for child in node.children:
            _collect(child, chain, owner, category, out)
        return
    out.append(Leaf(code=node.code, name=node.name, points=node.points, owner=owner or OFFICE_OWNER,
                    rule=node.rule, params=dict(node.params), description=node.description,
                    path=tuple(n.name for n in chain[:-1]), category=category, chain=chain))


# ----------------------------------------------------------------------------- applicability


def applicable_units(roots: Sequence[Indicator], units: Sequence[U]) -> dict[str, list[U]]:
    """indicator code → the units (of one category, in the given order) the indicator applies to,
    for every node under ``roots``: a node applies to a unit when it and every group above it do
    (``Indicator.applies`` on the unit's sub-type and name). THE applicability rule: cross-unit
    rules are scored over these populations by the engine and by the scorer's preview alike."""
    out: dict[str, list[U]] = {}
    _applicable(roots, list(units), out)
    return out


def _applicable(nodes: Sequence[Indicator], units: list[U], out: dict[str, list[U]]) -> None:
    for n in nodes:
        if n.applies_to is None and n.applies_to_units is None:  # applies to every unit
            mine = list(units)
        else:
            mine = [u for u in units if n.applies(u.subtype, u.name)]
        out[n.code] = mine
        if n.children:
            _applicable(n.children, mine, out)


def score_population(leaf: Indicator, facts_by_unit: Mapping[Any, Mapping | None]) -> dict[Any, ScoreResult]:
    """Score ``leaf`` for every unit of its population (unit id → facts, None when the unit has
    none). Cross-unit rules compare the units of the population with one another."""
    return get_rule(leaf.rule).score_all(leaf.params, leaf.points, facts_by_unit)


# ----------------------------------------------------------------------------- typed values


def split_fields(fields: list[Field]) -> tuple[list[Field], list[Field]]:
    """(facts a unit reports, judgments only a scorer gives), by each field's ``by``."""
    return [f for f in fields if f.by != "scorer"], [f for f in fields if f.by == "scorer"]


_YES = ("1", "true", "True", "是", "y", "on")
_NO = ("0", "false", "False", "否", "n", "off")


def clean_value(field: Field, raw: Any) -> Any:
    """Parse what was typed for ``field``; '' for empty. Raises :class:`ValueRefused` naming the field."""
    if raw is None:
        return ""
    if field.kind == "bool":
        if isinstance(raw, bool):
            return raw
        s = str(raw).strip()
        if s == "":
            return ""
        if s in _YES:
            return True
        if s in _NO:
            return False
        raise ValueRefused(f"「{field.label}」应填“是”或“否”。", field.name)
    s = str(raw).strip()
    if s == "":
        return ""
    if field.kind in ("int", "decimal"):
        try:
            v = D(s)
        except NumberError:
            raise ValueRefused(f"「{field.label}」应为数字，现为「{s}」。", field.name) from None
        if field.kind == "int" and v != v.to_integral_value():
            raise ValueRefused(f"「{field.label}」应为整数，现为「{s}」。", field.name)
        if field.min is not None and v < field.min:
            raise ValueRefused(f"「{field.label}」不能小于 {fmt(field.min)}。", field.name)
        if field.max is not None and v > field.max:
            raise ValueRefused(f"「{field.label}」不能大于 {fmt(field.max)}。", field.name)
        return str(int(v)) if field.kind == "int" else fmt_plain(v)
    if field.kind == "level":
        if field.choices and s not in field.choices:
            raise ValueRefused(f"「{field.label}」应为 {'、'.join(field.choices)} 之一。", field.name)
        return s
    if field.kind == "date":
        try:
            return date.fromisoformat(s.replace("/", "-")).isoformat()
        except ValueError:
            raise ValueRefused(f"「{field.label}」应为日期，例如 2019-06-30。", field.name) from None
    if len(s) > FACT_TEXT_LIMIT:
        raise ValueRefused(f"「{field.label}」过长（最多 {FACT_TEXT_LIMIT} 字）。", field.name)
    return s


def clean_facts(fields: list[Field], raw: Mapping) -> dict:
    """Parse the values of ``fields`` found in ``raw``; unknown names are ignored."""
    out = {}
    for f in fields:
        if f.name in raw:
            v = clean_value(f, raw[f.name])
            if v != "":
                out[f.name] = v
    return out
