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
            "parts": {"principal": 20, "deputy": 10}, "rating_max": 100}]}],
      "ballot": {"levels": [{"name": "优秀", "value": 90}, ...], "excellent_level": "优秀",
                 "max_excellent_share": 0.3 | null, "all_units_required": true, "exclude_own_unit": true,
                 "rater_groups": [{"key": "cadre", "name": "中层以上干部", "weight": null}]},
      "grading": {"levels": ["优秀", "合格", "不合格"], "quotas": {"college": 2, "department": 3},
                  "eligibility": {"requires_accepted_application": true, "conditions": ["..."]},
                  "vetoes": [{"key": "...", "text": "..."}],
                  "fail_rule": {"type": "leadership_decision"} | {"type": "below_score", "threshold": 120}
                               | {"type": "none"},
                  "last_place": {"years": 2, "text": "..."},
                  "tie_break": ["target", "leader", "democratic"]},
      "award": {"type": "majority", "share": 0.5, "text": "..."}
    }

INDICATOR::

    {"code": "B07", "name": "...", "points": 1.5, "owner": "教务处", "description": "指标内涵…",
     "rule": "judged" | ... (leaf) , "params": {...},           # leaf
     "children": [INDICATOR, ...],                              # group (no rule)
     "applies_to": ["二级学院", ...] | null (all sub-types),
     "applies_to_units": ["党委办公室"] | null,
     "max_by_subtype": {"基础课教学部": 48, ...},                 # group only: declared reduced maxima
     "description_by_unit": {"监察室": "..."}, "notes": "..."}

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

from .numbers import ZERO, D, NumberError, fmt
from .rules import RULES

__all__ = [
    "FORMAT",
    "COMPONENT_KINDS",
    "FAIL_RULE_TYPES",
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

FORMAT = "kpi-scheme/1"
COMPONENT_KINDS = ("democratic", "target", "leader")
FAIL_RULE_TYPES = ("below_score", "leadership_decision", "none")
NORMALISATION = ("scale", "raw")


# ----------------------------------------------------------------------------- errors


@dataclass(frozen=True)
class SchemeError:
    """One problem in a scheme. ``code``/``name`` name the indicator when there is one."""

    path: str
    message: str
    code: str | None = None
    name: str | None = None

    def __str__(self) -> str:
        if self.code or self.name:
            return f"指标 {self.code or '?'}「{self.name or ''}」：{self.message}"
        return f"{self.path}：{self.message}"


class SchemeInvalid(ValueError):
    """Raised by :func:`load_scheme`; ``errors`` lists every problem."""

    def __init__(self, errors: list[SchemeError]):
        self.errors = errors
        super().__init__("考核方案有误：\n" + "\n".join(str(e) for e in errors))


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
        if self.children:
            d["children"] = [c.to_dict() for c in self.children]
        return d


@dataclass(frozen=True, eq=False)
class Component:
    key: str
    name: str
    kind: str  # democratic | target | leader
    points: Decimal
    indicators: tuple[Indicator, ...] = ()
    parts: Mapping[str, Decimal] = field(default_factory=dict)
    rating_max: Decimal = Decimal(100)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"key": self.key, "name": self.name, "kind": self.kind, "points": _jsonnum(self.points)}
        if self.kind == "target":
            d["indicators"] = [i.to_dict() for i in self.indicators]
        if self.kind == "leader":
            d["parts"] = {k: _jsonnum(v) for k, v in self.parts.items()}
            d["rating_max"] = _jsonnum(self.rating_max)
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

    @property
    def indicators(self) -> tuple[Indicator, ...]:
        t = self.component("target")
        return t.indicators if t else ()

    @property
    def total_points(self) -> Decimal:
        return sum((c.points for c in self.components), ZERO)

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

    def to_dict(self) -> dict[str, Any]:
        fr = dict(self.fail_rule)
        if "threshold" in fr:
            fr["threshold"] = _jsonnum(D(fr["threshold"]))
        return {"levels": list(self.levels), "quotas": dict(self.quotas),
                "eligibility": {"requires_accepted_application": self.requires_accepted_application,
                                "conditions": list(self.eligibility_conditions)},
                "vetoes": [{"key": k, "text": t} for k, t in self.vetoes], "fail_rule": fr,
                "last_place": {"years": self.last_place_years, "text": self.last_place_text},
                "tie_break": list(self.tie_break)}


@dataclass(frozen=True, eq=False)
class AwardRule:
    type: str = "majority"
    share: Decimal = Decimal("0.5")
    text: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, "share": _jsonnum(self.share), "text": self.text}


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


# ----------------------------------------------------------------------------- validation


class _V:
    def __init__(self) -> None:
        self.errors: list[SchemeError] = []

    def err(self, path: str, message: str, node: Mapping | None = None) -> None:
        code = name = None
        if isinstance(node, Mapping):
            code = node.get("code") if isinstance(node.get("code"), str) else None
            name = node.get("name") if isinstance(node.get("name"), str) else None
        self.errors.append(SchemeError(path=path, message=message, code=code, name=name))

    def num(self, d: Mapping, key: str, path: str, label: str, node: Mapping | None = None, *,
            required: bool = True, min_: Decimal | int | None = 0) -> Decimal | None:
        if key not in d or d[key] is None:
            if required:
                self.err(path, f"缺少{label}（{key}）", node)
            return None
        if isinstance(d[key], bool):
            self.err(path, f"{label}（{key}）应为数字", node)
            return None
        try:
            v = D(d[key])
        except NumberError:
            self.err(path, f"{label}（{key}）应为数字，现为「{d[key]}」", node)
            return None
        if min_ is not None and v < D(min_):
            self.err(path, f"{label}（{key}）不能小于{fmt(min_)}", node)
        return v

    def text(self, d: Mapping, key: str, path: str, label: str, node: Mapping | None = None, *,
             required: bool = True) -> str | None:
        v = d.get(key)
        if v is None or v == "":
            if required:
                self.err(path, f"缺少{label}（{key}）", node)
            return None
        if not isinstance(v, str):
            self.err(path, f"{label}（{key}）应为文字", node)
            return None
        return v


def _str_list(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(x, str) and x for x in v)


def _node_applies(n: Mapping, subtype: str, unit: str | None) -> bool:
    at = n.get("applies_to")
    if isinstance(at, list) and subtype not in at:
        return False
    au = n.get("applies_to_units")
    return not (isinstance(au, list) and unit not in au)


def _node_max(n: Mapping, subtype: str) -> Decimal | None:
    mbs = n.get("max_by_subtype")
    try:
        if isinstance(mbs, Mapping) and subtype in mbs:
            return D(mbs[subtype])
        return D(n.get("points"))
    except NumberError:
        return None


def _effective_max(n: Mapping, subtype: str, unit: str | None) -> Decimal:
    """What a node can give a unit of ``subtype`` (and name ``unit``): 0 when it does not
    apply; a leaf's points; a group's declared reduced maximum, else the sum over its children."""
    if not _node_applies(n, subtype, unit):
        return ZERO
    children = n.get("children")
    mbs = n.get("max_by_subtype")
    try:
        if not isinstance(children, list) or not children:
            return D(n.get("points"))
        if isinstance(mbs, Mapping) and subtype in mbs:
            return D(mbs[subtype])
    except NumberError:
        return ZERO  # the node's own check reports the unreadable number
    return sum((_effective_max(c, subtype, unit) for c in children if isinstance(c, Mapping)), ZERO)


def _validate_indicator(v: _V, n: Any, path: str, cat: Mapping, codes: dict[str, str], unit_names: dict[str, str],
                        parent_subtypes: list[str]) -> None:
    if not isinstance(n, Mapping):
        v.err(path, "指标应为对象")
        return
    subtypes = [s for s in cat.get("subtypes") or [] if isinstance(s, str)]
    code = v.text(n, "code", path, "指标编号", n)
    v.text(n, "name", path, "指标名称", n)
    pts = v.num(n, "points", path, "分值", n)
    if code:
        if code in codes:
            v.err(path, f"指标编号「{code}」与 {codes[code]} 重复", n)
        codes[code] = path
    allowed = {"code", "name", "points", "owner", "rule", "params", "children", "applies_to", "applies_to_units",
               "max_by_subtype", "description", "description_by_unit", "notes"}
    for k in n:
        if k not in allowed:
            v.err(path, f"不认识的字段「{k}」", n)
    for k in ("owner", "description", "notes"):
        if n.get(k) is not None and not isinstance(n.get(k), str):
            v.err(path, f"字段 {k} 应为文字", n)
    at = n.get("applies_to")
    if at is not None:
        if not _str_list(at) or not at:
            v.err(path, "applies_to（适用单位类型）应为非空的文字列表", n)
            at = None
        else:
            for s in at:
                if s not in subtypes:
                    v.err(path, f"适用单位类型「{s}」不是本类别的单位类型（{'、'.join(subtypes)}）", n)
    au = n.get("applies_to_units")
    if au is not None:
        if not _str_list(au) or not au:
            v.err(path, "applies_to_units（适用单位）应为非空的文字列表", n)
        elif unit_names:
            for u in au:
                if u not in unit_names:
                    v.err(path, f"适用单位「{u}」不在本类别的单位名单中", n)
        else:
            v.err(path, "使用 applies_to_units 时，类别须列出 units（单位名单及其类型）", n)
    dbu = n.get("description_by_unit")
    if dbu is not None and not (isinstance(dbu, Mapping) and all(isinstance(x, str) for x in dbu.values())):
        v.err(path, "description_by_unit 应为「单位名称: 文字」的对象", n)
    my_subtypes = [s for s in parent_subtypes if at is None or s in at]

    rule = n.get("rule")
    children = n.get("children")
    if rule is not None and children:
        v.err(path, "一个指标不能既有计分规则（rule）又有下级指标（children）", n)
        return
    if rule is None:
        if not isinstance(children, list) or not children:
            v.err(path, "指标既没有计分规则（rule）也没有下级指标（children）", n)
            return
        mbs = n.get("max_by_subtype")
        if mbs is not None:
            if not isinstance(mbs, Mapping):
                v.err(path, "max_by_subtype 应为「单位类型: 分值」的对象", n)
            else:
                for s, x in mbs.items():
                    if s not in subtypes:
                        v.err(path, f"max_by_subtype 中的「{s}」不是本类别的单位类型", n)
                    try:
                        if pts is not None and D(x) > pts:
                            v.err(path, f"{s}的满分 {fmt(D(x))} 大于本项分值 {fmt(pts)}", n)
                    except NumberError:
                        v.err(path, f"max_by_subtype 中「{s}」的分值应为数字", n)
        for i, c in enumerate(children):
            _validate_indicator(v, c, f"{path}.children[{i}]", cat, codes, unit_names, my_subtypes)
        if pts is None or any(not isinstance(c, Mapping) for c in children):
            return
        _check_sums(v, n, path, children, my_subtypes, cat, unit_names)
        return

    # leaf
    if n.get("max_by_subtype"):
        v.err(path, "max_by_subtype 只能用于有下级指标的分组", n)
    if not isinstance(rule, str) or rule not in RULES:
        v.err(path, f"未知的计分规则「{rule}」（可用：{'、'.join(sorted(RULES))}）", n)
        return
    params = n.get("params", {})
    if params is None:
        params = {}
    if not isinstance(params, Mapping):
        v.err(path, "params（规则参数）应为对象", n)
        return
    if pts is None:
        return
    if pts <= 0:
        v.err(path, "计分指标的分值应大于0", n)
        return
    try:
        msgs = RULES[rule].validate(params, pts)
    except Exception as exc:  # a rule validator must never crash validation
        msgs = [f"参数无法检查：{exc}"]
    for m in msgs:
        v.err(path, f"规则「{RULES[rule].label}」的参数不符合要求：{m}", n)


def _check_sums(v: _V, n: Mapping, path: str, children: list, subtypes: list[str], cat: Mapping,
                unit_names: dict[str, str]) -> None:
    """Points must add up.

    * The children's points add up to the group's points, unless the group declares a reduced
      maximum (``max_by_subtype``) for every sub-type it applies to (e.g. the 55 basic indicators
      hold 61 points and no sub-type takes all of them).
    * For every sub-type with a declared maximum, the children that apply to it add up to it.
    * When some children apply to named units only (a department's own main-work items), the
      children that apply to each named unit of the category add up to the group's maximum.
    Without a declaration, a sub-type that does not take part in some children simply has a
    smaller maximum (the sum of the children it takes part in).
    """
    def pts(c: Mapping) -> Decimal | None:
        try:
            return D(c.get("points"))
        except NumberError:
            return None

    if any(pts(c) is None for c in children):
        return
    applicable = [s for s in subtypes if _node_applies({"applies_to": n.get("applies_to")}, s, None)]
    declared = n.get("max_by_subtype") if isinstance(n.get("max_by_subtype"), Mapping) else {}
    unit_specific = any(isinstance(c.get("applies_to_units"), list) for c in children)
    group_pts = pts(n)
    if not unit_specific and not all(s in declared for s in applicable):
        full = sum((pts(c) for c in children), ZERO)
        if full != group_pts:
            v.err(path, f"下级指标分值合计 {fmt(full)}，与本项分值 {fmt(group_pts)} 不符", n)
    for s in applicable:
        if unit_specific:
            want = _node_max(n, s)
            for u in [u for u, st in unit_names.items() if st == s]:
                got = sum((_effective_max(c, s, u) for c in children), ZERO)
                if got != want:
                    v.err(path, f"单位「{u}」适用的下级指标分值合计 {fmt(got)}，与本项满分 {fmt(want)} 不符", n)
        elif s in declared:
            want = _node_max(n, s)
            got = sum((_effective_max(c, s, None) for c in children), ZERO)
            if got != want:
                v.err(path, f"「{s}」适用的下级指标分值合计 {fmt(got)}，与声明的{s}满分 {fmt(want)} 不符", n)


def validate_scheme(d: Any) -> list[SchemeError]:
    """Every problem of a scheme dict, each naming the indicator and saying what is wrong."""
    v = _V()
    if not isinstance(d, Mapping):
        return [SchemeError("方案", "考核方案应为对象")]
    if d.get("format") != FORMAT:
        v.err("format", f"方案格式应为「{FORMAT}」，现为「{d.get('format')}」")
    v.text(d, "key", "key", "方案标识")
    v.text(d, "name", "name", "方案名称")
    ver = d.get("version")
    if not isinstance(ver, int) or isinstance(ver, bool) or ver < 1:
        v.err("version", "方案版本号（version）应为正整数")
    if d.get("normalisation", "scale") not in NORMALISATION:
        v.err("normalisation", "折算方式（normalisation）应为 scale（按比例折算）或 raw（不折算）")
    total = v.num(d, "total_points", "total_points", "总分", required=False)
    cats = d.get("categories")
    if not isinstance(cats, list) or not cats:
        v.err("categories", "缺少单位类别（categories）")
        cats = []
    keys = set()
    codes: dict[str, str] = {}
    for ci, cat in enumerate(cats):
        cp = f"categories[{ci}]"
        if not isinstance(cat, Mapping):
            v.err(cp, "单位类别应为对象")
            continue
        k = v.text(cat, "key", cp, "类别标识")
        v.text(cat, "name", cp, "类别名称")
        if k in keys:
            v.err(cp, f"类别标识「{k}」重复")
        keys.add(k)
        subtypes = cat.get("subtypes")
        if not _str_list(subtypes) or not subtypes:
            v.err(cp, "单位类型（subtypes）应为非空的文字列表")
            subtypes = []
        unit_names: dict[str, str] = {}
        for ui, u in enumerate(cat.get("units") or []):
            if not isinstance(u, Mapping) or not isinstance(u.get("name"), str) or u.get("subtype") not in subtypes:
                v.err(f"{cp}.units[{ui}]", "单位应有名称（name）和本类别的单位类型（subtype）")
                continue
            if u["name"] in unit_names:
                v.err(f"{cp}.units[{ui}]", f"单位「{u['name']}」重复")
            unit_names[u["name"]] = u["subtype"]
        comps = cat.get("components")
        if not isinstance(comps, list) or not comps:
            v.err(cp, "缺少考核组成部分（components）")
            continue
        kinds = []
        csum = ZERO
        for mi, comp in enumerate(comps):
            mp = f"{cp}.components[{mi}]"
            if not isinstance(comp, Mapping):
                v.err(mp, "组成部分应为对象")
                continue
            v.text(comp, "key", mp, "组成部分标识")
            v.text(comp, "name", mp, "组成部分名称")
            kind = comp.get("kind")
            if kind not in COMPONENT_KINDS:
                v.err(mp, f"组成部分类型（kind）应为 {'、'.join(COMPONENT_KINDS)} 之一，现为「{kind}」")
            kinds.append(kind)
            p = v.num(comp, "points", mp, "分值")
            if p is not None:
                csum += p
            if kind == "leader":
                parts = comp.get("parts")
                if not isinstance(parts, Mapping) or not parts:
                    v.err(mp, "领导班子评价需要 parts（正职/副职分值）")
                else:
                    try:
                        ps = sum((D(x) for x in parts.values()), ZERO)
                        if p is not None and ps != p:
                            v.err(mp, f"领导班子评价各部分分值合计 {fmt(ps)}，与本部分分值 {fmt(p)} 不符")
                    except NumberError:
                        v.err(mp, "parts 的分值应为数字")
                v.num(comp, "rating_max", mp, "评分满分", required=False, min_=1)
            if kind == "target":
                inds = comp.get("indicators")
                if not isinstance(inds, list) or not inds:
                    v.err(mp, "目标考核需要指标（indicators）")
                    continue
                for ii, ind in enumerate(inds):
                    _validate_indicator(v, ind, f"{mp}.indicators[{ii}]", cat, codes, unit_names, list(subtypes))
                if p is not None and all(isinstance(i, Mapping) for i in inds):
                    try:
                        rs = sum((D(i.get("points")) for i in inds), ZERO)
                    except NumberError:
                        rs = None
                    if rs is not None and rs != p:
                        v.err(mp, f"一级指标分值合计 {fmt(rs)}，与目标考核分值 {fmt(p)} 不符")
        for kd in COMPONENT_KINDS:
            if kinds.count(kd) > 1:
                v.err(cp, f"组成部分「{kd}」出现了多次")
        if "target" not in kinds:
            v.err(cp, "缺少目标考核（kind: target）")
        if total is not None and csum != total:
            v.err(cp, f"各组成部分分值合计 {fmt(csum)}，与总分 {fmt(total)} 不符")
    _validate_ballot(v, d.get("ballot"))
    _validate_grading(v, d.get("grading"), keys)
    aw = d.get("award")
    if aw is not None:
        if not isinstance(aw, Mapping) or aw.get("type") != "majority":
            v.err("award", "突出贡献奖决定规则（award.type）目前只支持 majority（领导小组成员过半数）")
        else:
            s = v.num(aw, "share", "award", "通过比例")
            if s is not None and not (0 < s < 1):
                v.err("award", "通过比例（share）应在0到1之间")
    return v.errors


def _validate_ballot(v: _V, b: Any) -> None:
    if b is None:
        v.err("ballot", "缺少民主测评规则（ballot）")
        return
    if not isinstance(b, Mapping):
        v.err("ballot", "民主测评规则应为对象")
        return
    lv = b.get("levels")
    names = []
    if not isinstance(lv, list) or not lv:
        v.err("ballot", "民主测评等次（levels）应为非空列表")
    else:
        for i, x in enumerate(lv):
            if not isinstance(x, Mapping) or not isinstance(x.get("name"), str):
                v.err(f"ballot.levels[{i}]", "等次应有名称（name）和分值（value）")
                continue
            names.append(x["name"])
            val = v.num(x, "value", f"ballot.levels[{i}]", "等次分值")
            if val is not None and val > 100:
                v.err(f"ballot.levels[{i}]", "等次分值不能大于100")
    if b.get("excellent_level", "优秀") not in names and names:
        v.err("ballot", f"优秀等次「{b.get('excellent_level', '优秀')}」不在测评等次中")
    s = v.num(b, "max_excellent_share", "ballot", "优秀票最高比例", required=False)
    if s is not None and not (0 < s <= 1):
        v.err("ballot", "优秀票最高比例（max_excellent_share）应在0到1之间")
    for i, g in enumerate(b.get("rater_groups") or []):
        if not isinstance(g, Mapping) or not g.get("key") or not g.get("name"):
            v.err(f"ballot.rater_groups[{i}]", "测评人员类别应有 key 和 name")
            continue
        v.num(g, "weight", f"ballot.rater_groups[{i}]", "权重", required=False)


def _validate_grading(v: _V, g: Any, cat_keys: set) -> None:
    if g is None:
        v.err("grading", "缺少等次评定规则（grading）")
        return
    if not isinstance(g, Mapping):
        v.err("grading", "等次评定规则应为对象")
        return
    lv = g.get("levels", ["优秀", "合格", "不合格"])
    if not _str_list(lv) or len(lv) != 3:
        v.err("grading", "等次（levels）应为三个名称：优秀、合格、不合格")
    q = g.get("quotas")
    if not isinstance(q, Mapping):
        v.err("grading", "缺少优秀名额（quotas）")
    else:
        for k, x in q.items():
            if k not in cat_keys:
                v.err("grading.quotas", f"优秀名额中的类别「{k}」不存在")
            if not isinstance(x, int) or isinstance(x, bool) or x < 0:
                v.err("grading.quotas", f"类别「{k}」的优秀名额应为非负整数")
    fr = g.get("fail_rule", {"type": "leadership_decision"})
    if not isinstance(fr, Mapping) or fr.get("type") not in FAIL_RULE_TYPES:
        v.err("grading.fail_rule", f"不合格规则（fail_rule.type）应为 {'、'.join(FAIL_RULE_TYPES)} 之一")
    elif fr.get("type") == "below_score":
        v.num(fr, "threshold", "grading.fail_rule", "不合格分数线")
    for i, x in enumerate(g.get("vetoes") or []):
        if not isinstance(x, Mapping) or not x.get("key") or not x.get("text"):
            v.err(f"grading.vetoes[{i}]", "不能评为优秀的情形应有 key 和 text")
    tb = g.get("tie_break", ["target", "leader", "democratic"])
    if not _str_list(tb) or any(x not in COMPONENT_KINDS for x in tb):
        v.err("grading.tie_break", f"并列时的比较顺序（tie_break）只能包含 {'、'.join(COMPONENT_KINDS)}")
    lp = g.get("last_place")
    if lp is not None and (not isinstance(lp, Mapping) or not isinstance(lp.get("years"), int)):
        v.err("grading.last_place", "连续末位规则应有 years（连续年数）")


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
        notes=n.get("notes") or "",
    )


def load_scheme(d: Mapping) -> Scheme:
    """Validate and load a scheme dict. Raises :class:`SchemeInvalid` listing every problem."""
    errors = validate_scheme(d)
    if errors:
        raise SchemeInvalid(errors)
    cats = []
    for c in d["categories"]:
        comps = []
        for m in c["components"]:
            comps.append(Component(
                key=m["key"], name=m["name"], kind=m["kind"], points=D(m["points"]),
                indicators=tuple(_indicator(i) for i in m.get("indicators") or ()),
                parts={k: D(x) for k, x in (m.get("parts") or {}).items()},
                rating_max=D(m.get("rating_max", 100))))
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
        tie_break=tuple(g.get("tie_break", ("target", "leader", "democratic"))))
    aw = d.get("award") or {}
    award = AwardRule(type=aw.get("type", "majority"), share=D(aw.get("share", "0.5")), text=aw.get("text", ""))
    return Scheme(key=d["key"], version=d["version"], name=d["name"], categories=tuple(cats), ballot=ballot,
                  grading=grading, award=award, normalisation=d.get("normalisation", "scale"),
                  total_points=D(d.get("total_points", 200)), period=dict(d.get("period") or {}),
                  source=d.get("source", ""), notes=tuple(d.get("notes") or ()))


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
    return d
