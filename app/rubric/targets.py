"""Budget-performance target tables (绩效目标表): data, checkpoint completion, year-end score.

Pure module: no Flask, no database, no openpyxl.

A ``TargetTable`` belongs to a unit (or a project of a unit) and a year. Its rows are indicators
in up to three levels (一级 / 二级 / 三级), optionally under a 职能 (function) and a 重点工作
(key work), each with a half-year and a full-year value parsed by ``app.rubric.values.parse_value``
(the ``TargetValue`` keeps the original text next to what was parsed), and optionally a weight and
a scoring rule.

Two layouts are known (``layout``):

* ``"levels"``: 一级 / 二级 / 三级 + half-year + full-year (the Changzhou 2026 table; its 履职
  section adds a 重点工作 column, which fits this layout too);
* ``"functions"``: 职能 → 重点工作 → indicator (the Xuzhou 2022 table, where the 二级指标 column
  holds "职能 1：……").

Field conventions of ``TargetRow``: ``level3`` is the 三级指标 cell, ``name`` is the indicator's
own name: a separate 指标名称 column when the table has one, otherwise the 三级指标 cell (so
usually ``name == level3``). ``position`` numbers the rows 1, 2, 3 … in table order and is the key
of reported actual values.

Checkpoint reporting: ``completion`` is ``values.completion_rate`` (a fraction, 1 = 100 %) with two
target-table conventions added, because half-year columns are full of placeholders:

* a ``≥0`` target (≥0个, ≥0%, …: nothing due yet) is met (c = 1) by any actual quantity ≥ 0;
* an ``=0`` / bare ``0`` target (=0次 事件, =0% 调整率) is met (c = 1) by 0 and missed (c = 0) by
  anything above 0.

``status`` colours a rate: green ≥ 95 %, amber 85 % – < 95 %, red < 85 % (None when no rate).

Year-end scoring (``score_table``) uses the self-evaluation rules of ``app.rubric.selfeval``:
each row's 评分规则 names the rule (unknown or empty → ``selfeval.default_rule``: 满意度 rows
satisfaction, dates direct, qualitative targets judged level, the rest proportional), against the
full-year value (the half-year value when the full-year one is empty). Weights: a row's own weight
counts as given; rows without a weight share what is left of 100 points (100 − Σ given weights)
equally, in hundredths of a point, the leftover hundredths going one each to the first unweighted
rows in table order, so the weights add up to exactly 100 (e.g. 3 rows: 33.34, 33.33, 33.33). If
the given weights already reach 100, unweighted rows get 0 and the score says so. Rounding is
``selfeval``'s (points lost half-up to 2 places per row); the total is the plain sum of the row
scores, graded 优 ≥ 90, 良 80 – < 90, 中 60 – < 80, 差 < 60 (``selfeval.grade``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from app.rubric import selfeval
from app.rubric.values import TargetValue, ValueParseError, completion_rate, parse_value

__all__ = [
    "CHECKPOINTS",
    "CHECKPOINT_LABELS",
    "STATUS_LABELS",
    "TOTAL_POINTS",
    "GREEN_FROM",
    "AMBER_FROM",
    "LAYOUTS",
    "LAYOUT_FUNCTIONS",
    "LAYOUT_LEVELS",
    "CheckpointReport",
    "RowProgress",
    "RowScore",
    "TableScore",
    "TargetRow",
    "TargetTable",
    "as_value",
    "checkpoint_report",
    "completion",
    "grade",
    "row_weights",
    "score_table",
    "status",
    "value_from_dict",
    "value_to_dict",
    "value_to_json",
]

LAYOUT_LEVELS = "levels"
LAYOUT_FUNCTIONS = "functions"
LAYOUTS = (LAYOUT_LEVELS, LAYOUT_FUNCTIONS)

CHECKPOINTS = ("half_year", "full_year")
CHECKPOINT_LABELS = {"half_year": "半年", "full_year": "全年"}

GREEN_FROM = Decimal("0.95")
AMBER_FROM = Decimal("0.85")
TOTAL_POINTS = Decimal(100)
_CENT = Decimal("0.01")


# --------------------------------------------------------------------------- values as data

def value_to_dict(value: TargetValue | None) -> dict[str, Any] | None:
    """A ``TargetValue`` as JSON-safe data for storage (inverse: ``value_from_dict``)."""
    if value is None:
        return None
    return {
        "text": value.text,
        "kind": value.kind,
        "operator": value.operator,
        "quantity": None if value.quantity is None else str(value.quantity),
        "unit": value.unit,
        "level": value.level,
        "ratio": None if value.ratio is None else [str(value.ratio[0]), str(value.ratio[1])],
        "date": None if value.date is None else value.date.isoformat(),
        "date_end": None if value.date_end is None else value.date_end.isoformat(),
        "year_assumed": value.year_assumed,
    }


def value_from_dict(data: Mapping[str, Any] | None) -> TargetValue | None:
    """Rebuild a ``TargetValue`` stored by ``value_to_dict`` (no re-parsing: what was stored is kept)."""
    if data is None:
        return None
    ratio = data.get("ratio")
    return TargetValue(
        text=data["text"],
        kind=data["kind"],
        operator=data.get("operator"),
        quantity=None if data.get("quantity") is None else Decimal(data["quantity"]),
        unit=data.get("unit"),
        level=data.get("level"),
        ratio=None if ratio is None else (Decimal(ratio[0]), Decimal(ratio[1])),
        date=None if data.get("date") is None else dt.date.fromisoformat(data["date"]),
        date_end=None if data.get("date_end") is None else dt.date.fromisoformat(data["date_end"]),
        year_assumed=bool(data.get("year_assumed", False)),
    )


def value_to_json(value: TargetValue | None) -> dict[str, Any] | None:
    """The short form printed per indicator: original text, kind, operator, quantity, unit or level."""
    if value is None:
        return None
    out: dict[str, Any] = {
        "text": value.text,
        "kind": value.kind,
        "operator": value.operator,
        "quantity": None if value.quantity is None else str(value.quantity),
        "unit": value.unit,
        "level": value.level,
    }
    if value.ratio is not None:
        out["ratio"] = f"{value.ratio[0]}:{value.ratio[1]}"
    if value.date is not None:
        out["date"] = value.date.isoformat()
        out["date_end"] = value.date_end.isoformat() if value.date_end else None
    return out


def as_value(value: object, *, year: int | None = None) -> TargetValue | None:
    """A ``TargetValue`` from a value or raw cell content (text, number, date); None stays None.

    Raises ``ValueParseError`` (Chinese message) for text that cannot be read.
    """
    if value is None or isinstance(value, TargetValue):
        return value
    return parse_value(value, year=year)


def _dec(value: object) -> Decimal | None:
    return None if value is None else Decimal(str(value))


# --------------------------------------------------------------------------- the table

@dataclass(frozen=True)
class TargetRow:
    """One indicator of a target table. See the module docstring for ``level3`` vs ``name``."""

    level1: str | None
    level2: str | None
    level3: str | None
    function: str | None
    key_work: str | None
    name: str
    half_year: TargetValue | None
    full_year: TargetValue | None
    weight: Decimal | None = None
    rule: str | None = None
    position: int = 0
    related_project: str | None = None  # 对应项目 (Xuzhou layout), when the table has one

    @property
    def levels(self) -> tuple[str | None, str | None, str | None]:
        return (self.level1, self.level2, self.level3)

    def target(self, checkpoint: str) -> TargetValue | None:
        """The target at a checkpoint ("half_year" or "full_year")."""
        if checkpoint not in CHECKPOINTS:
            raise ValueError(f"检查点「{checkpoint}」不存在，可选：half_year、full_year")
        return self.half_year if checkpoint == "half_year" else self.full_year

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe data for storage (inverse: ``from_dict``)."""
        return {
            "position": self.position,
            "level1": self.level1,
            "level2": self.level2,
            "level3": self.level3,
            "function": self.function,
            "key_work": self.key_work,
            "related_project": self.related_project,
            "name": self.name,
            "half_year": value_to_dict(self.half_year),
            "full_year": value_to_dict(self.full_year),
            "weight": None if self.weight is None else str(self.weight),
            "rule": self.rule,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TargetRow:
        return cls(
            level1=data.get("level1"),
            level2=data.get("level2"),
            level3=data.get("level3"),
            function=data.get("function"),
            key_work=data.get("key_work"),
            name=data["name"],
            half_year=value_from_dict(data.get("half_year")),
            full_year=value_from_dict(data.get("full_year")),
            weight=_dec(data.get("weight")),
            rule=data.get("rule"),
            position=int(data.get("position", 0)),
            related_project=data.get("related_project"),
        )

    def to_json(self) -> dict[str, Any]:
        """One JSON object for this indicator: levels, name, and per checkpoint the original text,
        kind, operator, quantity and unit or qualitative level (Decimals as strings)."""
        return {
            "position": self.position,
            "levels": [self.level1, self.level2, self.level3],
            "function": self.function,
            "key_work": self.key_work,
            "related_project": self.related_project,
            "name": self.name,
            "half_year": value_to_json(self.half_year),
            "full_year": value_to_json(self.full_year),
            "weight": None if self.weight is None else str(self.weight),
            "rule": self.rule,
        }


@dataclass(frozen=True)
class TargetTable:
    """A unit's (or a project's) target table for one year."""

    unit: str
    project: str | None
    year: int
    layout: str
    rows: tuple[TargetRow, ...] = ()

    def __post_init__(self) -> None:
        if self.layout not in LAYOUTS:
            raise ValueError(f"表格样式「{self.layout}」不存在，可选：{'、'.join(LAYOUTS)}")
        object.__setattr__(self, "rows", tuple(self.rows))
        positions = [r.position for r in self.rows]
        if len(set(positions)) != len(positions):
            raise ValueError("指标序号重复")

    def row(self, position: int) -> TargetRow:
        for r in self.rows:
            if r.position == position:
                return r
        raise KeyError(position)

    def renumbered(self) -> TargetTable:
        """The same table with positions 1, 2, 3 … in row order."""
        return replace(self, rows=tuple(replace(r, position=i) for i, r in enumerate(self.rows, start=1)))

    def to_dict(self) -> dict[str, Any]:
        return {
            "unit": self.unit,
            "project": self.project,
            "year": self.year,
            "layout": self.layout,
            "rows": [r.to_dict() for r in self.rows],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TargetTable:
        return cls(
            unit=data["unit"],
            project=data.get("project"),
            year=int(data["year"]),
            layout=data.get("layout", LAYOUT_LEVELS),
            rows=tuple(TargetRow.from_dict(r) for r in data.get("rows", ())),
        )

    def to_json(self) -> list[dict[str, Any]]:
        """One JSON object per indicator (see ``TargetRow.to_json``)."""
        return [r.to_json() for r in self.rows]


# --------------------------------------------------------------------------- checkpoints

def _is_zero_quantity(value: TargetValue) -> bool:
    return value.kind == "quantity" and value.quantity is not None and value.quantity == 0


def completion(target_value: object, actual_value: object, *, year: int | None = None) -> Decimal | None:
    """Completion rate c (a fraction, 1 = 100 %) of an actual against a target; None if undecidable.

    Either argument may be a ``TargetValue`` or raw cell content. Delegates to
    ``values.completion_rate`` after the two target-table conventions of the module docstring
    (≥0 targets, =0 targets). Raises ``ValueParseError`` for raw text that cannot be read.
    """
    target = as_value(target_value, year=year)
    actual = as_value(actual_value, year=year)
    if target is None or actual is None:
        return None
    if _is_zero_quantity(target) and actual.kind == "quantity" and actual.quantity is not None:
        if target.operator == "≥":
            return Decimal(1) if actual.quantity >= 0 else Decimal(0)
        if target.operator in ("=", None):
            return Decimal(1) if actual.quantity == 0 else Decimal(0)
    return completion_rate(target, actual)


def status(rate: Decimal | None) -> str | None:
    """"green" (≥ 95 %), "amber" (85 % – < 95 %), "red" (< 85 %); None without a rate."""
    if rate is None:
        return None
    r = Decimal(rate)
    if r >= GREEN_FROM:
        return "green"
    if r >= AMBER_FROM:
        return "amber"
    return "red"


STATUS_LABELS = {"green": "达标", "amber": "略低于目标", "red": "明显落后", None: "无法判断"}


@dataclass(frozen=True)
class RowProgress:
    position: int
    name: str
    target: TargetValue | None
    actual: TargetValue | None
    rate: Decimal | None
    status: str | None
    note: str | None = None

    @property
    def behind(self) -> bool:
        return self.status in ("amber", "red")


@dataclass(frozen=True)
class CheckpointReport:
    checkpoint: str
    rows: tuple[RowProgress, ...]

    @property
    def counts(self) -> dict[str, int]:
        out = {"green": 0, "amber": 0, "red": 0, "unknown": 0, "missing": 0}
        for r in self.rows:
            if r.actual is None:
                out["missing"] += 1
            else:
                out[r.status or "unknown"] += 1
        return out

    @property
    def behind(self) -> tuple[RowProgress, ...]:
        return tuple(r for r in self.rows if r.behind)


def checkpoint_report(table: TargetTable, actuals: Mapping[int, object], checkpoint: str) -> CheckpointReport:
    """Completion and status of every row at a checkpoint; ``actuals`` maps row position → actual.

    Actuals may be ``TargetValue`` or raw cell content; unreadable ones give a row with a note and
    no rate instead of an exception.
    """
    out = []
    for row in table.rows:
        target = row.target(checkpoint)
        raw = actuals.get(row.position)
        note = None
        try:
            actual = as_value(raw, year=table.year)
        except ValueParseError as exc:
            actual, note = None, str(exc)
        rate = completion(target, actual) if actual is not None else None
        if actual is None and note is None:
            note = "未填报实际值"
        elif rate is None and note is None:
            note = "完成率无法计算（请人工判断）"
        out.append(RowProgress(row.position, row.name, target, actual, rate, status(rate), note))
    return CheckpointReport(checkpoint, tuple(out))


# --------------------------------------------------------------------------- year-end score

def row_weights(table: TargetTable, *, total: Decimal = TOTAL_POINTS) -> dict[int, Decimal]:
    """The weight of every row (position → points); see the module docstring for the sharing rule."""
    given = {r.position: Decimal(r.weight) for r in table.rows if r.weight is not None}
    free = [r.position for r in table.rows if r.weight is None]
    weights = dict(given)
    if free:
        left = max(Decimal(0), Decimal(total) - sum(given.values(), Decimal(0)))
        cents = int((left / _CENT).to_integral_value(rounding=ROUND_FLOOR))
        each, extra = divmod(cents, len(free))
        for i, pos in enumerate(free):
            weights[pos] = (Decimal(each + (1 if i < extra else 0)) * _CENT).quantize(_CENT)
    return {r.position: weights[r.position] for r in table.rows}


@dataclass(frozen=True)
class RowScore:
    position: int
    name: str
    weight: Decimal
    rule: str
    target: TargetValue | None
    actual: TargetValue | None
    rate: Decimal | None
    points: Decimal
    explanation: str
    flags: tuple[str, ...] = ()
    scored: bool = True


@dataclass(frozen=True)
class TableScore:
    rows: tuple[RowScore, ...]
    total: Decimal
    max_points: Decimal
    grade: str
    flags: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        """Whether every row could be scored from its reported actual."""
        return all(r.scored for r in self.rows)

    @property
    def shortfalls(self) -> tuple[RowScore, ...]:
        """Rows that lost points (the 存在问题 of a self-evaluation report)."""
        return tuple(r for r in self.rows if r.points < r.weight)


def grade(total: Decimal) -> str:
    """优 ≥ 90, 良 80 – < 90, 中 60 – < 80, 差 < 60 (``selfeval.grade``)."""
    return selfeval.grade(total)


def _rule_for(row: TargetRow, target: TargetValue | None) -> tuple[str, tuple[str, ...]]:
    try:
        rule = selfeval.normalise_rule(row.rule)
    except selfeval.RuleError:
        rule = None
        fallback = selfeval.default_rule(level1=row.level1, level2=row.level2,
                                         target_kind=target.kind if target else None)
        return fallback, (f"评分规则「{row.rule}」无法识别，按默认规则「{fallback}」评分",)
    if rule is None:
        return selfeval.default_rule(level1=row.level1, level2=row.level2,
                                     target_kind=target.kind if target else None), ()
    return rule, ()


def score_table(table: TargetTable, actuals: Mapping[int, object], *,
                config: selfeval.SelfEvalConfig | None = None, pool: Decimal = TOTAL_POINTS) -> TableScore:
    """Year-end score of a table from the full-year actuals (position → actual value or raw text).

    ``pool`` is the number of points the rows share (100; 90 in a self-evaluation sheet whose
    budget-execution line carries the other 10). A row whose actual is missing, unreadable, or
    whose rule cannot decide gets 0 points, a flag saying why and ``scored=False``
    (``TableScore.complete`` is then False).
    """
    weights = row_weights(table, total=pool)
    out: list[RowScore] = []
    for row in table.rows:
        target = row.full_year if row.full_year is not None and row.full_year.kind != "empty" else row.half_year
        rule, flags = _rule_for(row, target)
        w = weights[row.position]
        raw = actuals.get(row.position)
        try:
            actual = as_value(raw, year=table.year)
        except ValueParseError as exc:
            out.append(RowScore(row.position, row.name, w, rule, target, None, None, Decimal("0.00"),
                                f"实际值无法识别，得 0 分：{exc}", flags + (str(exc),), scored=False))
            continue
        if actual is None or actual.kind == "empty":
            msg = "未填报全年实际值，得 0 分"
            out.append(RowScore(row.position, row.name, w, rule, target, actual, None, Decimal("0.00"),
                                msg, flags + (msg,), scored=False))
            continue
        rate = completion(target, actual)
        level = actual.level if actual.kind == "level" else None
        try:
            s = selfeval.score_indicator(rule, w, rate, level=level, config=config)
        except selfeval.RuleError as exc:
            msg = f"无法评分，得 0 分：{exc}"
            out.append(RowScore(row.position, row.name, w, rule, target, actual, rate, Decimal("0.00"),
                                msg, flags + (msg,), scored=False))
            continue
        out.append(RowScore(row.position, row.name, w, rule, target, actual, rate, s.points,
                            s.explanation, flags + s.flags))
    total = sum((r.points for r in out), Decimal("0.00")).quantize(_CENT)
    max_points = sum((r.weight for r in out), Decimal("0.00")).quantize(_CENT)
    table_flags: list[str] = []
    if out and max_points != Decimal(pool):
        table_flags.append(f"权重合计 {max_points}，不是 {Decimal(pool).quantize(_CENT)}")
    unscored = [r for r in out if not r.scored]
    if unscored:
        table_flags.append(f"{len(unscored)} 个指标未能评分（计 0 分）")
    return TableScore(tuple(out), total, max_points, grade(total), tuple(table_flags))
