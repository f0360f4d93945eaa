"""Declared parameters of a rule type: names, Chinese labels, kinds, help and nesting.

Each rule type declares its ``parameters`` as a :class:`Params` next to its code. The rule's
validator takes the accepted keys (and the labels in its messages) from them, and the scheme
workbook's 说明 sheet and the scheme pages render them with :func:`param_lines`, so a parameter is
described in one place.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..numbers import fmt

__all__ = ["PARAM_KINDS", "Param", "Params", "param_lines"]

# Kind of a parameter value → its Chinese description.
PARAM_KINDS: dict[str, str] = {
    "number": "数字",
    "integer": "整数",
    "text": "文字",
    "bool": "true 或 false",
    "choice": "取下列值之一",
    "object": "对象 {…}",
    "objects": "对象列表 [{…}, …]",
    "numbers": "数字列表 [数字, …]",
    "texts": "列表，每项为文字（或包含 text 的对象）",
    "fact": "事实项（填报的一个数）",
    "facts": "事实项，或事实项列表（取合计）",
    "map": "对象 {名称: 数字, …}",
}
NESTED_KINDS = ("object", "objects", "fact", "facts", "texts")


@dataclass(frozen=True)
class Param:
    """One parameter of a rule type (or one key of a nested object).

    ``children`` are the keys of an object (kinds object, fact) or of each object of a list
    (objects, facts, texts); ``choices`` the values of a ``choice`` with their meaning;
    ``closed`` False means the validator ignores keys of the nested objects that are not declared.
    ``default`` is the value used when the parameter is left out (None: no default).
    """

    name: str
    label: str
    kind: str
    help: str = ""
    required: bool = False
    default: Any = None
    children: Params | None = None
    choices: tuple[tuple[str, str], ...] = ()
    closed: bool = True

    def __post_init__(self) -> None:
        if self.kind not in PARAM_KINDS:
            raise TypeError(f"parameter {self.name}: unknown kind {self.kind}")
        if self.children is not None and self.kind not in NESTED_KINDS:
            raise TypeError(f"parameter {self.name}: kind {self.kind} has no children")
        if self.kind in NESTED_KINDS[:4] and self.children is None:
            raise TypeError(f"parameter {self.name}: kind {self.kind} needs children")
        if (self.kind == "choice") != bool(self.choices):
            raise TypeError(f"parameter {self.name}: choices go with kind choice")

    @property
    def values(self) -> tuple[str, ...]:
        """The accepted values of a ``choice``."""
        return tuple(v for v, _ in self.choices)

    def meaning(self, value: str) -> str:
        """The Chinese meaning of one value of a ``choice``."""
        return dict(self.choices)[value]

    def alternatives(self) -> str:
        """The values of a ``choice`` with their meaning, as messages list them: ``a（…）或 b（…）``."""
        return "或 ".join(f"{v}（{m}）" for v, m in self.choices)

    def ref(self, where: str = "") -> str:
        """The parameter as validation messages name it: ``key（label）``."""
        return f"{self.name}（{where}{self.label}）"


class Params(tuple):
    """The parameters of a rule type, or the keys of a nested object, in display order.
    ``params["name"]`` is the parameter of that name; integers index as in a tuple."""

    def __new__(cls, *params: Param) -> Params:
        names = [p.name for p in params]
        if len(set(names)) != len(names):
            raise TypeError(f"duplicate parameter names in {names}")
        return super().__new__(cls, params)

    def __getitem__(self, key):  # type: ignore[override]
        if isinstance(key, str):
            for p in self:
                if p.name == key:
                    return p
            raise KeyError(key)
        return super().__getitem__(key)

    def names(self) -> set[str]:
        return {p.name for p in self}

    def __add__(self, other: Iterable[Param]) -> Params:  # type: ignore[override]
        return Params(*self, *other)


def _show_default(x: Any) -> str:
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, int | float | Decimal):
        return fmt(x)
    return str(x)


def _line(p: Param) -> str:
    s = p.label
    if p.required:
        s += "（必填）"
    elif p.default is not None:
        s += f"（默认 {_show_default(p.default)}）"
    s += "。" + PARAM_KINDS[p.kind]
    if p.choices:
        s += "：" + "，".join(f"{v} {m}" for v, m in p.choices)
    if p.help:
        s += "；" + p.help
    if p.children:
        s += "；每项包含：" if p.kind in ("objects", "facts", "texts") else "；包含："
    return s + ("" if p.children else "。")


def param_lines(params: Params, depth: int = 0) -> list[tuple[int, str, str]]:
    """The parameters in plain Chinese: one (depth, name, text) per parameter, the keys of a
    nested object right below their parameter with depth + 1. ``text`` is the label, 必填 or the
    default, the kind and the help, e.g. ``每次扣分（必填）。数字；大于0。``"""
    out: list[tuple[int, str, str]] = []
    for p in params:
        out.append((depth, p.name, _line(p)))
        if p.children:
            out.extend(param_lines(p.children, depth + 1))
    return out
