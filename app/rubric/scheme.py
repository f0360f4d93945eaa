"""The assessment scheme: frozen dataclasses loaded from / dumped to a plain JSON-able dict.

A cycle stores the dict as its snapshot; editing a scheme makes a new ``version``.

JSON format (``format: "kpi-scheme/1"``)::

    {
      "format": "kpi-scheme/1", "key": "lianyungang-2018", "version": 1, "name": "...",
      "period": {"start": "2018-09-01", "end": "2019-08-31", "note": "..."},
      "total_points": 200, "normalisation": "scale" | "raw", "notes": ["..."],
      "categories": [
        {"key": "college", "name": "院部", "subtypes": ["二级学院", ...],
         "units": [{"name": "...", "subtype": "..."}],          # optional: units the scheme names
         "components": [
           {"key": "democratic", "name": "民主测评", "kind": "democratic", "points": 20},
           {"key": "target", "name": "目标考核", "kind": "target", "points": 150, "indicators": [INDICATOR]},
           {"key": "leader", "name": "领导班子评价", "kind": "leader", "points": 30,
            "parts": {"principal": 20, "deputy": 10}, "rating_max": 100},
           COMPONENT, ...]}],
      "policies": {"rounding": {"at": "indicator" | "component" | "total", "decimals": 2}},   # optional
      "ballot": {"levels": [{"name": "优秀", "value": 90}, ...], "excellent_level": "优秀",
                 "max_excellent_share": 0.3 | null, "all_units_required": true, "exclude_own_unit": true,
                 "rater_groups": [{"key": "cadre", "name": "中层以上干部", "weight": null}]},
      "grading": {"levels": ["优秀", "合格", "不合格"], "quotas": {"college": 2, "department": 3},
                  "eligibility": {"requires_accepted_application": true, "conditions": ["..."]},
                  "vetoes": [{"key": "...", "text": "..."}],
                  "reward_coefficients": {"优秀": 1.2, "合格": 1.0, "不合格": 0} (optional; these are the defaults),
                  "fail_rule": {"type": "leadership_decision"} | {"type": "below_score", "threshold": 120}
                               | {"type": "none"},
                  "last_place": {"years": 2, "text": "..."},
                  "tie_break": ["target", "leader", "democratic"]},
      "award": {"type": "majority", "share": 0.5, "text": "..."}
    }

COMPONENT (any number per category; democratic, target and leader at most once each)::

    {"key": "teaching", "name": "教学工作", "kind": "weighted" | "bonus" | "deduction" | ...,
     "points": 35,                          # weight: the points the component gives at the top of its scale
     "owner": "教务处",                     # who enters it (a department, or office); optional
     "counts_toward_total": true,           # false: shown and ranked, not added to the total
     "order": 1,                            # display order (the list order when absent)
     "scale": {"min": 0, "max": 100},       # weighted: the range a value is entered on (default 0–100)
     "cap": 5, "floor": 0,                  # bonus: at most cap; deduction: at most cap deducted and
                                            # the total not brought below floor (both optional)
     "missing": "category_average"}         # weighted: a unit without this kind of work takes the
                                            # average of its category (optional)

Bonus and deduction components have no points (0): a bonus adds its value (≥ 0), a deduction
its value (stored negative, ≤ 0).

INDICATOR::

    {"code": "B07", "name": "...", "points": 1.5, "owner": "教务处", "description": "指标内涵…",
     "rule": "judged" | ... (leaf) , "params": {...},           # leaf
     "children": [INDICATOR, ...],                              # group (no rule)
     "applies_to": ["二级学院", ...] | null (all sub-types),
     "applies_to_units": ["党委办公室"] | null,
     "max_by_subtype": {"基础课教学部": 48, ...},                 # group only: declared reduced maxima
     "description_by_unit": {"监察室": "..."}, "notes": "...",
     "missing": "category_average"}    # leaf only: a unit of the category it does not apply to (no such
                                       # work) takes the average points of the units it applies to

Validation (:func:`validate_scheme`) names the offending indicator (code and name) and says in
Chinese what is wrong; :func:`load_scheme` raises :class:`SchemeInvalid` with that list.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .numbers import ZERO, D, fmt
from .scheme_checks import (  # noqa: F401 (re-exported)
    COMPONENT_KINDS,
    FAIL_RULE_TYPES,
    FORMAT,
    NORMALISATION,
    RESERVED_VETO_KEYS,
    ROUNDING_AT,
    SchemeError,
    SchemeInvalid,
    validate_scheme,
)

__all__ = [
    "FORMAT",
    "COMPONENT_KINDS",
    "FAIL_RULE_TYPES",
    "ROUNDING_AT",
    "RoundingPolicy",
    "Indicator",
    "Component",
    "Category",
    "UnitSpec",
    "BallotPolicy",
    "GradingPolicy",
    "AwardRule",
    "Scheme",
    "SchemeError",
    "SchemeInvalid",
    "validate_scheme",
    "load_scheme",
    "dump_scheme",
]


# ----------------------------------------------------------------------------- model


def _jsonnum(x: Decimal) -> int | float:
    return int(x) if x == x.to_integral_value() else float(str(x))


@dataclass(frozen=True, eq=False)
class Indicator:
    """A node of the indicator tree. A leaf has a ``rule``; a group has ``children``."""

    code: str
    name: str
    points: Decimal
    owner: str | None = None
    rule: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    children: tuple[Indicator, ...] = ()
    applies_to: tuple[str, ...] | None = None
    applies_to_units: tuple[str, ...] | None = None
    max_by_subtype: Mapping[str, Decimal] = field(default_factory=dict)
    description: str = ""
    description_by_unit: Mapping[str, str] = field(default_factory=dict)
    notes: str = ""
    missing: str | None = None  # leaf: "category_average" — a unit it does not apply to takes the average

    @property
    def is_group(self) -> bool:
        return self.rule is None

    def applies(self, subtype: str | None, unit_name: str | None = None) -> bool:
        """Whether this node (alone, not its ancestors) applies to a unit of ``subtype``."""
        if self.applies_to is not None and subtype not in self.applies_to:
            return False
        return not (self.applies_to_units is not None and unit_name not in self.applies_to_units)

    def max_for(self, subtype: str | None) -> Decimal:
        """Declared maximum for a sub-type (the reduced maximum when one is declared)."""
        if subtype is not None and subtype in self.max_by_subtype:
            return self.max_by_subtype[subtype]
        return self.points

    def walk(self) -> Iterator[Indicator]:
        yield self
        for c in self.children:
            yield from c.walk()

    def leaves(self) -> Iterator[Indicator]:
        for n in self.walk():
            if not n.is_group:
                yield n

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"code": self.code, "name": self.name, "points": _jsonnum(self.points)}
        if self.owner:
            d["owner"] = self.owner
        if self.description:
            d["description"] = self.description
        if self.rule is not None:
            d["rule"] = self.rule
            d["params"] = copy.deepcopy(dict(self.params))
        if self.applies_to is not None:
            d["applies_to"] = list(self.applies_to)
        if self.applies_to_units is not None:
            d["applies_to_units"] = list(self.applies_to_units)
        if self.max_by_subtype:
            d["max_by_subtype"] = {k: _jsonnum(v) for k, v in self.max_by_subtype.items()}
        if self.description_by_unit:
            d["description_by_unit"] = dict(self.description_by_unit)
        if self.notes:
            d["notes"] = self.notes
        if self.missing:
            d["missing"] = self.missing
        if self.children:
            d["children"] = [c.to_dict() for c in self.children]
        return d


# Component kinds whose value is entered per unit (a storage table, not a workflow of its own).
VALUE_KINDS = ("weighted", "bonus", "deduction")


@dataclass(frozen=True, eq=False)
class Component:
    """One part of a category's total. ``kind``: democratic | target | leader (their workflows) or
    weighted | bonus | deduction (a value per unit, entered by the ``owner``)."""

    key: str
    name: str
    kind: str
    points: Decimal
    indicators: tuple[Indicator, ...] = ()
    parts: Mapping[str, Decimal] = field(default_factory=dict)
    rating_max: Decimal = Decimal(100)
    owner: str = ""
    counts: bool = True  # counts towards the total
    order: int | None = None
    scale_min: Decimal = Decimal(0)
    scale_max: Decimal = Decimal(100)
    cap: Decimal | None = None
    floor: Decimal | None = None
    missing: str | None = None  # "category_average"

    @property
    def takes_values(self) -> bool:
        return self.kind in VALUE_KINDS

    @property
    def max_points(self) -> Decimal:
        """What the component can add to the total at most (a bonus: its cap, 0 without one)."""
        if self.kind == "bonus":
            return self.cap if self.cap is not None else ZERO
        if self.kind == "deduction":
            return ZERO
        return self.points

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"key": self.key, "name": self.name, "kind": self.kind, "points": _jsonnum(self.points)}
        if self.owner:
            d["owner"] = self.owner
        d["counts_toward_total"] = self.counts
        if self.order is not None:
            d["order"] = self.order
        if self.kind == "target":
            d["indicators"] = [i.to_dict() for i in self.indicators]
        if self.kind == "leader":
            d["parts"] = {k: _jsonnum(v) for k, v in self.parts.items()}
            d["rating_max"] = _jsonnum(self.rating_max)
        if self.kind == "weighted":
            d["scale"] = {"min": _jsonnum(self.scale_min), "max": _jsonnum(self.scale_max)}
        if self.cap is not None:
            d["cap"] = _jsonnum(self.cap)
        if self.floor is not None:
            d["floor"] = _jsonnum(self.floor)
        if self.missing:
            d["missing"] = self.missing
        return d


@dataclass(frozen=True)
class UnitSpec:
    name: str
    subtype: str
    full_name: str = ""


@dataclass(frozen=True, eq=False)
class Category:
    key: str
    name: str
    subtypes: tuple[str, ...]
    components: tuple[Component, ...]
    units: tuple[UnitSpec, ...] = ()

    def component(self, kind: str) -> Component | None:
        for c in self.components:
            if c.kind == kind:
                return c
        return None

    def component_by_key(self, key: str) -> Component | None:
        for c in self.components:
            if c.key == key:
                return c
        return None

    def total_range(self) -> tuple[Decimal | None, Decimal | None]:
        """The lowest and highest total a unit of this category can have (None: unbounded):
        0 … the counted components' points, widened by the counted bonuses (their caps) and
        deductions (their caps, or down to their floor)."""
        lo: Decimal | None = ZERO
        hi: Decimal | None = ZERO
        for c in self.components:
            if not c.counts:
                continue
            if c.kind == "bonus":
                hi = None if hi is None or c.cap is None else hi + c.cap
            elif c.kind == "deduction":
                if c.floor is not None:
                    lo = None if lo is None else min(lo, c.floor)
                elif c.cap is not None:
                    lo = None if lo is None else lo - c.cap
                else:
                    lo = None
            elif hi is not None:
                hi += c.points
        return lo, hi

    @property
    def indicators(self) -> tuple[Indicator, ...]:
        t = self.component("target")
        return t.indicators if t else ()

    @property
    def total_points(self) -> Decimal:
        return sum((c.points for c in self.components if c.counts), ZERO)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"key": self.key, "name": self.name, "subtypes": list(self.subtypes),
                             "components": [c.to_dict() for c in self.components]}
        if self.units:
            d["units"] = [{"name": u.name, "subtype": u.subtype, **({"full_name": u.full_name} if u.full_name else {})}
                          for u in self.units]
        return d


@dataclass(frozen=True, eq=False)
class BallotPolicy:
    """The rules of the democratic rating: the levels and their values, the 优秀 limit, whether
    every unit must be rated and the own unit left out, the rater groups with their weights.

    ``min_group`` is not part of the scheme format: a service sets it for a cycle
    (``dataclasses.replace``) so that explanations list a rater group's counts only when it has
    at least that many ballots on the unit (0: always)."""

    levels: Mapping[str, Decimal]  # ordered: best first
    excellent_level: str = "优秀"
    max_excellent_share: Decimal | None = None
    all_units_required: bool = True
    exclude_own_unit: bool = True
    rater_groups: tuple[tuple[str, str, Decimal | None], ...] = ()  # (key, name, weight)
    min_group: int = 0

    @property
    def group_weights(self) -> dict[str, Decimal] | None:
        ws = {k: w for k, _, w in self.rater_groups if w is not None}
        return ws or None

    @property
    def group_names(self) -> dict[str, str]:
        return {k: n for k, n, _ in self.rater_groups}

    @property
    def level_names(self) -> list[str]:
        return list(self.levels)

    def excellent_limit(self, n_units: int) -> int | None:
        """How many of ``n_units`` units one ballot may rate 优秀 (None: no limit)."""
        if self.max_excellent_share is None:
            return None
        return math.floor(self.max_excellent_share * n_units)

    def rule_text(self) -> str:
        """The rules in one line of Chinese, as the ballot and the tally show them."""
        parts = ["、".join(f"{n}={fmt(v)}" for n, v in self.levels.items())]
        if self.max_excellent_share is not None:
            share = fmt(self.max_excellent_share * 100)
            parts.append(f"每类单位「{self.excellent_level}」不超过 {share}%（向下取整）")
        if self.all_units_required:
            parts.append("每个单位都须评定")
        if self.exclude_own_unit:
            parts.append("不评本单位")
        return "；".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {"levels": [{"name": k, "value": _jsonnum(v)} for k, v in self.levels.items()],
                "excellent_level": self.excellent_level,
                "max_excellent_share": None if self.max_excellent_share is None else _jsonnum(self.max_excellent_share),
                "all_units_required": self.all_units_required, "exclude_own_unit": self.exclude_own_unit,
                "rater_groups": [{"key": k, "name": n, "weight": None if w is None else _jsonnum(w)}
                                 for k, n, w in self.rater_groups]}


# Reward-pay (奖励性绩效工资) coefficient of the three grades by place, when the scheme sets none.
DEFAULT_REWARD_COEFFICIENTS = (Decimal("1.2"), Decimal("1.0"), Decimal(0))


@dataclass(frozen=True, eq=False)
class GradingPolicy:
    levels: tuple[str, str, str] = ("优秀", "合格", "不合格")
    quotas: Mapping[str, int] = field(default_factory=dict)
    requires_accepted_application: bool = True
    eligibility_conditions: tuple[str, ...] = ()
    vetoes: tuple[tuple[str, str], ...] = ()  # (key, text)
    fail_rule: Mapping[str, Any] = field(default_factory=lambda: {"type": "leadership_decision"})
    last_place_years: int = 2
    last_place_text: str = ""
    tie_break: tuple[str, ...] = ("target", "leader", "democratic")
    reward_coefficients: Mapping[str, Decimal] = field(default_factory=dict)  # grade → 奖励性绩效工资系数

    @property
    def excellent(self) -> str:
        return self.levels[0]

    @property
    def passed(self) -> str:
        return self.levels[1]

    @property
    def failed(self) -> str:
        return self.levels[2]

    def veto_text(self, key: str) -> str:
        return dict(self.vetoes).get(key, key)

    def reward_coefficient(self, grade: str) -> Decimal:
        """The reward-pay coefficient of a grade: the scheme's ``reward_coefficients``, else
        :data:`DEFAULT_REWARD_COEFFICIENTS` by the grade's place (优秀 1.2, 合格 1.0, 不合格 0)."""
        if grade in self.reward_coefficients:
            return D(self.reward_coefficients[grade])
        if grade in self.levels:
            return DEFAULT_REWARD_COEFFICIENTS[self.levels.index(grade)]
        return Decimal(0)

    def to_dict(self) -> dict[str, Any]:
        fr = dict(self.fail_rule)
        if "threshold" in fr:
            fr["threshold"] = _jsonnum(D(fr["threshold"]))
        return {"levels": list(self.levels), "quotas": dict(self.quotas),
                "eligibility": {"requires_accepted_application": self.requires_accepted_application,
                                "conditions": list(self.eligibility_conditions)},
                "vetoes": [{"key": k, "text": t} for k, t in self.vetoes], "fail_rule": fr,
                "last_place": {"years": self.last_place_years, "text": self.last_place_text},
                "tie_break": list(self.tie_break),
                **({"reward_coefficients": {k: _jsonnum(D(x)) for k, x in self.reward_coefficients.items()}}
                   if self.reward_coefficients else {})}


@dataclass(frozen=True, eq=False)
class AwardRule:
    type: str = "majority"
    share: Decimal = Decimal("0.5")
    text: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, "share": _jsonnum(self.share), "text": self.text}


@dataclass(frozen=True)
class RoundingPolicy:
    """Where scores are rounded (half-up): ``indicator`` (as the seed: each indicator and each
    component at 0.01, the total their sum), ``component`` (each component once to ``decimals``,
    the total their sum) or ``total`` (the entered components kept exact, only the total rounded,
    once, to ``decimals``). The rules of target indicators, the democratic rating and the leader
    evaluation always round at 0.01 as their rule texts say."""

    at: str = "indicator"
    decimals: int = 2

    def to_dict(self) -> dict[str, Any]:
        return {"at": self.at, "decimals": self.decimals}


@dataclass(frozen=True, eq=False)
class Scheme:
    key: str
    version: int
    name: str
    categories: tuple[Category, ...]
    ballot: BallotPolicy
    grading: GradingPolicy
    award: AwardRule
    normalisation: str = "scale"
    total_points: Decimal = Decimal(200)
    period: Mapping[str, str] = field(default_factory=dict)
    source: str = ""
    notes: tuple[str, ...] = ()
    rounding: RoundingPolicy = field(default_factory=RoundingPolicy)
    _index: dict[str, tuple[str, Indicator]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        idx: dict[str, tuple[str, Indicator]] = {}
        for c in self.categories:
            for root in c.indicators:
                for n in root.walk():
                    idx[n.code] = (c.key, n)
        object.__setattr__(self, "_index", idx)

    def component_points(self, kind: str) -> dict[str, Decimal]:
        """``{category key: points}`` of the component of ``kind`` in every category that has one."""
        return {c.key: comp.points for c in self.categories if (comp := c.component(kind)) is not None}

    def component_keys(self) -> list[str]:
        """Every component key of the scheme, in display order, each once."""
        out: list[str] = []
        for c in self.categories:
            for m in c.components:
                if m.key not in out:
                    out.append(m.key)
        return out

    def total_range(self) -> tuple[Decimal | None, Decimal | None]:
        """The lowest and highest total over all categories (None: unbounded)."""
        los, his = zip(*(c.total_range() for c in self.categories), strict=True)
        lo = None if any(x is None for x in los) else min(los)
        hi = None if any(x is None for x in his) else max(his)
        return lo, hi

    def category(self, key: str) -> Category:
        for c in self.categories:
            if c.key == key:
                return c
        raise KeyError(f"考核方案中没有单位类别「{key}」")

    def indicator(self, code: str) -> Indicator:
        try:
            return self._index[code][1]
        except KeyError:
            raise KeyError(f"考核方案中没有指标「{code}」") from None

    def indicator_category(self, code: str) -> str:
        return self._index[code][0]

    def to_dict(self) -> dict[str, Any]:
        return dump_scheme(self)


# ----------------------------------------------------------------------------- load / dump


def _indicator(n: Mapping) -> Indicator:
    return Indicator(
        code=n["code"], name=n["name"], points=D(n["points"]), owner=n.get("owner"), rule=n.get("rule"),
        params=copy.deepcopy(dict(n.get("params") or {})) if n.get("rule") else {},
        children=tuple(_indicator(c) for c in n.get("children") or ()),
        applies_to=tuple(n["applies_to"]) if n.get("applies_to") is not None else None,
        applies_to_units=tuple(n["applies_to_units"]) if n.get("applies_to_units") is not None else None,
        max_by_subtype={k: D(x) for k, x in (n.get("max_by_subtype") or {}).items()},
        description=n.get("description") or "", description_by_unit=dict(n.get("description_by_unit") or {}),
        notes=n.get("notes") or "", missing=n.get("missing") or None,
    )


def load_scheme(d: Mapping) -> Scheme:
    """Validate and load a scheme dict. Raises :class:`SchemeInvalid` listing every problem."""
    errors = validate_scheme(d)
    if errors:
        raise SchemeInvalid(errors)
    cats = []
    for c in d["categories"]:
        comps = []
        for pos, m in enumerate(c["components"]):
            sc = m.get("scale") or {}
            comps.append((m.get("order", pos + 1), pos, Component(
                key=m["key"], name=m["name"], kind=m["kind"], points=D(m.get("points", 0)),
                indicators=tuple(_indicator(i) for i in m.get("indicators") or ()),
                parts={k: D(x) for k, x in (m.get("parts") or {}).items()},
                rating_max=D(m.get("rating_max", 100)), owner=m.get("owner") or "",
                counts=bool(m.get("counts_toward_total", True)), order=m.get("order"),
                scale_min=D(sc.get("min", 0)), scale_max=D(sc.get("max", 100)),
                cap=None if m.get("cap") is None else D(m["cap"]),
                floor=None if m.get("floor") is None else D(m["floor"]), missing=m.get("missing") or None)))
        comps = [x[2] for x in sorted(comps, key=lambda x: (x[0], x[1]))]
        cats.append(Category(key=c["key"], name=c["name"], subtypes=tuple(c["subtypes"]), components=tuple(comps),
                             units=tuple(UnitSpec(u["name"], u["subtype"], u.get("full_name", ""))
                                         for u in c.get("units") or ())))
    b = d["ballot"]
    ballot = BallotPolicy(
        levels={x["name"]: D(x["value"]) for x in b["levels"]}, excellent_level=b.get("excellent_level", "优秀"),
        max_excellent_share=None if b.get("max_excellent_share") is None else D(b["max_excellent_share"]),
        all_units_required=bool(b.get("all_units_required", True)),
        exclude_own_unit=bool(b.get("exclude_own_unit", True)),
        rater_groups=tuple((g["key"], g["name"], None if g.get("weight") is None else D(g["weight"]))
                           for g in b.get("rater_groups") or ()))
    g = d["grading"]
    elig = g.get("eligibility") or {}
    lp = g.get("last_place") or {}
    grading = GradingPolicy(
        levels=tuple(g.get("levels", ("优秀", "合格", "不合格"))), quotas=dict(g["quotas"]),
        requires_accepted_application=bool(elig.get("requires_accepted_application", True)),
        eligibility_conditions=tuple(elig.get("conditions") or ()),
        vetoes=tuple((x["key"], x["text"]) for x in g.get("vetoes") or ()),
        fail_rule=dict(g.get("fail_rule") or {"type": "leadership_decision"}),
        last_place_years=int(lp.get("years", 2)), last_place_text=lp.get("text", ""),
        tie_break=tuple(g.get("tie_break", ("target", "leader", "democratic"))),
        reward_coefficients={k: D(x) for k, x in (g.get("reward_coefficients") or {}).items()})
    rd = (d.get("policies") or {}).get("rounding") or {}
    rounding = RoundingPolicy(at=rd.get("at", "indicator"), decimals=int(rd.get("decimals", 2)))
    aw = d.get("award") or {}
    award = AwardRule(type=aw.get("type", "majority"), share=D(aw.get("share", "0.5")), text=aw.get("text", ""))
    return Scheme(key=d["key"], version=d["version"], name=d["name"], categories=tuple(cats), ballot=ballot,
                  grading=grading, award=award, normalisation=d.get("normalisation", "scale"),
                  total_points=D(d.get("total_points", 200)), period=dict(d.get("period") or {}),
                  source=d.get("source", ""), notes=tuple(d.get("notes") or ()), rounding=rounding)


def dump_scheme(s: Scheme) -> dict[str, Any]:
    """The JSON-able dict of a scheme; ``load_scheme(dump_scheme(s))`` gives an equal scheme."""
    d: dict[str, Any] = {"format": FORMAT, "key": s.key, "version": s.version, "name": s.name}
    if s.period:
        d["period"] = dict(s.period)
    if s.source:
        d["source"] = s.source
    d["total_points"] = _jsonnum(s.total_points)
    d["normalisation"] = s.normalisation
    if s.notes:
        d["notes"] = list(s.notes)
    d["categories"] = [c.to_dict() for c in s.categories]
    d["ballot"] = s.ballot.to_dict()
    d["grading"] = s.grading.to_dict()
    d["award"] = s.award.to_dict()
    if s.rounding != RoundingPolicy():
        d["policies"] = {"rounding": s.rounding.to_dict()}
    return d
