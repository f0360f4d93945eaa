"""The rule base class, the registry, the result types and the helpers every rule type uses."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar

from ..numbers import ZERO, D, NumberError, fmt
from .params import Param, Params, param_lines

__all__ = [
    "ENTERED_BY",
    "FIELD_KINDS",
    "RULES",
    "FactError",
    "Field",
    "Rule",
    "ScoreResult",
    "competition_ranks",
    "describe_safely",
    "get_rule",
    "register",
    "rule_catalogue",
    "rule_names",
]

FIELD_KINDS = ("int", "decimal", "level", "date", "text", "bool")
ENTERED_BY = ("unit", "scorer")
SELF = "__self__"  # the unit being scored, in the population a cross-unit rule is given


# ----------------------------------------------------------------------------- data types


@dataclass(frozen=True)
class Field:
    """One fact a unit or scorer enters. ``kind`` is one of FIELD_KINDS; ``by`` (ENTERED_BY) says
    who enters it: the unit in its self-report (facts), or the scorer (judged points, judged
    deductions and the reasons that go with them)."""

    name: str
    label: str
    kind: str
    unit: str | None = None
    choices: tuple[str, ...] | None = None
    required: bool = True
    min: Decimal | None = None
    max: Decimal | None = None
    help: str | None = None
    by: str = "unit"


@dataclass(frozen=True)
class ScoreResult:
    """The points of one indicator for one unit, with the reason in Chinese.

    ``status``: "ok" (final unless ``provisional``), "missing" (facts not entered yet, 0 points),
    "error" (facts invalid; ``error`` says why in Chinese, 0 points).
    """

    points: Decimal
    max_points: Decimal
    explanation: str
    inputs: dict[str, Any] = field(default_factory=dict)
    status: str = "ok"
    provisional: bool = False
    error: str | None = None
    flags: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.status == "ok"


class FactError(ValueError):
    """A fact that is missing or invalid (Chinese message)."""

    def __init__(self, message: str, *, missing: bool = False):
        super().__init__(message)
        self.missing = missing


# ----------------------------------------------------------------------------- registry

RULES: dict[str, Rule] = {}


def register(cls: type[Rule]) -> type[Rule]:
    """Class decorator: add a rule type to the catalog under ``cls.name``."""
    if not getattr(cls, "name", None):
        raise TypeError("rule class needs a name")
    if cls.name in RULES:
        raise TypeError(f"duplicate rule name {cls.name}")
    RULES[cls.name] = cls()
    return cls


def get_rule(name: str) -> Rule:
    """The rule registered as ``name``; KeyError with a Chinese message otherwise."""
    try:
        return RULES[name]
    except KeyError:
        raise KeyError(f"未知的计分规则「{name}」") from None


def rule_names() -> list[str]:
    return sorted(RULES)


def rule_catalogue() -> list[tuple[str, str, list[tuple[int, str, str]]]]:
    """Every rule type by name: (name, label, its parameters as :func:`param_lines` gives them);
    what the scheme workbook's 说明 sheet and the scheme pages show."""
    return [(name, RULES[name].label, param_lines(RULES[name].parameters)) for name in rule_names()]


def describe_safely(name: str | None, params: Mapping | None, points: Any) -> str:
    """The rule of an indicator in plain Chinese, for display; "" for an unknown rule or
    parameters the description cannot read (a page or workbook is still shown)."""
    rule = RULES.get(name or "")
    if rule is None:
        return ""
    try:
        return rule.describe(params or {}, Decimal(str(points)))
    except Exception:  # display only: the scheme validator reports what does not fit
        return ""


# ----------------------------------------------------------------------------- validation helpers


class Errs(list):
    """Collects Chinese validation messages for params; a parameter is named by its declaration
    (``key（label）``, the label prefixed by ``where`` for an item of a list)."""

    def num(self, p: Mapping, param: Param, *, where: str = "", required: bool | None = None,
            min_: Decimal | int | None = None, positive: bool = False) -> Decimal | None:
        key, ref = param.name, param.ref(where)
        if key not in p or p[key] is None:
            if param.required if required is None else required:
                self.append(f"缺少参数 {ref}")
            return None
        try:
            v = D(p[key])
        except NumberError:
            self.append(f"参数 {ref}应为数字，现为「{p[key]}」")
            return None
        if positive and v <= 0:
            self.append(f"参数 {ref}应大于0")
        elif min_ is not None and v < D(min_):
            self.append(f"参数 {ref}不能小于 {fmt(min_)}")
        return v

    def lst(self, p: Mapping, param: Param, *, where: str = "", required: bool | None = None) -> list:
        key, ref = param.name, param.ref(where)
        required = param.required if required is None else required
        v = p.get(key)
        if v is None:
            if required:
                self.append(f"缺少参数 {ref}")
            return []
        if not isinstance(v, list) or (required and not v):
            self.append(f"参数 {ref}应为非空列表")
            return []
        return v

    def text(self, p: Mapping, param: Param, *, where: str = "", required: bool | None = None) -> str | None:
        key, ref = param.name, param.ref(where)
        v = p.get(key)
        if v is None or v == "":
            if param.required if required is None else required:
                self.append(f"缺少参数 {ref}")
            return None
        if not isinstance(v, str):
            self.append(f"参数 {ref}应为文字")
            return None
        return v


def check_unknown(p: Mapping, allowed: Params | set[str], errs: list[str], where: str = "") -> None:
    """Report the keys of ``p`` that are not among the ``allowed`` parameters."""
    names = allowed.names() if isinstance(allowed, Params) else allowed
    for k in p:
        if k not in names:
            errs.append(f"{where}不认识的参数 {k}（可用：{'、'.join(sorted(names))}）")


# ----------------------------------------------------------------------------- fact helpers


def get_fact(facts: Mapping | None, name: str, label: str) -> Any:
    if not facts or name not in facts or facts[name] is None or facts[name] == "":
        raise FactError(f"尚未填写「{label}」", missing=True)
    return facts[name]


def dec_fact(facts: Mapping | None, name: str, label: str, *, integer: bool = False,
             nonneg: bool = True) -> Decimal:
    raw = get_fact(facts, name, label)
    if type(raw) is int:  # the common case: what D does, without its checks
        v = Decimal(raw)
    else:
        try:
            v = D(raw)
        except NumberError:
            raise FactError(f"「{label}」应为数字，现为「{raw}」") from None
    if nonneg and v < 0:
        raise FactError(f"「{label}」不能为负数，现为 {fmt(v)}")
    if integer and v != v.to_integral_value():
        raise FactError(f"「{label}」应为整数，现为 {raw}")
    return v


def opt_text(facts: Mapping | None, name: str) -> str:
    if not facts:
        return ""
    v = facts.get(name)
    return "" if v is None else str(v).strip()


# ----------------------------------------------------------------------------- result helpers


def fmt_pts(x: Decimal) -> str:
    return f"{fmt(x)}分"


def clamp(x: Decimal, lo: Decimal | None, hi: Decimal | None) -> Decimal:
    if lo is not None and x < lo:
        return lo
    if hi is not None and x > hi:
        return hi
    return x


def missing_result(max_points: Decimal, rule_label: str, message: str, inputs: dict | None = None) -> ScoreResult:
    return ScoreResult(points=ZERO, max_points=max_points, explanation=f"{rule_label}：{message}，暂不计分。",
                       inputs=inputs or {}, status="missing", error=message)


def error_result(max_points: Decimal, rule_label: str, message: str, inputs: dict | None = None) -> ScoreResult:
    return ScoreResult(points=ZERO, max_points=max_points, explanation=f"{rule_label}：{message}，无法计分。",
                       inputs=inputs or {}, status="error", error=message)


def fact_failure(max_points: Decimal, rule_label: str, exc: FactError, inputs: dict | None = None) -> ScoreResult:
    if exc.missing:
        return missing_result(max_points, rule_label, str(exc), inputs)
    return error_result(max_points, rule_label, str(exc), inputs)


def with_changes(res: ScoreResult, **changes: Any) -> ScoreResult:
    d = {f: getattr(res, f) for f in ("points", "max_points", "explanation", "inputs", "status", "provisional",
                                      "error", "flags")}
    d.update(changes)
    return ScoreResult(**d)


def competition_ranks(values: Mapping[str, Decimal], *, descending: bool = True) -> dict[str, int]:
    """Standard competition ranking ("1224"): equal values share the better rank."""
    order = sorted(values.values(), reverse=descending)
    first: dict[Decimal, int] = {}
    for i, v in enumerate(order, start=1):
        first.setdefault(v, i)
    return {k: first[v] for k, v in values.items()}


# ----------------------------------------------------------------------------- base class


class Rule:
    """Base class of a rule type. Subclasses set ``name``, ``label``, declare their
    ``parameters`` and override the hooks. ``params_allowed`` (the accepted top-level keys) is
    derived from ``parameters``."""

    name: ClassVar[str] = ""
    label: ClassVar[str] = ""
    cross_unit: ClassVar[bool] = False
    parameters: ClassVar[Params] = Params()
    params_allowed: ClassVar[set[str]] = set()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.params_allowed = cls.parameters.names()

    def validate(self, params: Mapping, max_points: Decimal) -> list[str]:
        errs: list[str] = []
        if not isinstance(params, Mapping):
            return ["参数应为对象"]
        check_unknown(params, self.params_allowed, errs)
        errs.extend(self._validate(params, D(max_points)))
        return errs

    def _validate(self, params: Mapping, max_points: Decimal) -> list[str]:
        return []

    def fields(self, params: Mapping) -> list[Field]:
        raise NotImplementedError

    def describe(self, params: Mapping, max_points: Decimal) -> str:
        raise NotImplementedError

    def bounds(self, params: Mapping, max_points: Decimal) -> tuple[Decimal, Decimal | None]:
        return ZERO, D(max_points)

    def is_cross(self, params: Mapping) -> bool:
        """True when scoring needs the other units of the population (averages, ranks)."""
        return self.cross_unit

    def score(self, params: Mapping, max_points: Decimal, facts: Mapping | None,
              peers: Mapping[str, Mapping | None] | None = None) -> ScoreResult:
        """Score one unit. For cross-unit rules ``peers`` are the other units' facts (by unit
        id); without them the result is computed against this unit alone and is provisional."""
        if not self.is_cross(params):
            return self._score_one(params, D(max_points), facts)
        population = dict(peers or {})
        population[SELF] = facts
        res = self.score_all(params, max_points, population)[SELF]
        if peers is None and not res.provisional:
            res = with_changes(res, provisional=True)
        return res

    def score_all(self, params: Mapping, max_points: Decimal,
                  facts_by_unit: Mapping[str, Mapping | None]) -> dict[str, ScoreResult]:
        """Score every unit of a population (the units of one category the indicator applies to)."""
        mp = D(max_points)
        return {uid: self._score_one(params, mp, f) for uid, f in facts_by_unit.items()}

    def _score_one(self, params: Mapping, max_points: Decimal, facts: Mapping | None) -> ScoreResult:
        raise NotImplementedError
