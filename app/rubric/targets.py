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

``status`` colours a rate: green (达标) only when the target is met (c ≥ 100 %), amber from the
table's ``amber_from`` (default 85 %) up to the target, red below (None when no rate). At the
full-year checkpoint a row whose target is exceeded under the deviation policy (see
``app.rubric.tablesettings``) is ``"over"``: met, but losing points, so it is behind too (and
counted with amber). Every row that loses points at year end is therefore behind, missing, or
undecided in the checkpoint report.

Over-achievement (``TableSettings.overachievement``, a row's own ``overachievement`` first):
``"met"`` scores a rate above 100 % as met (and a ``≤`` money line within its ceiling as met),
``"deviation"`` keeps the 按照完成比例赋分 deviation rule of the project self-evaluations.

Year-end scoring (``score_table``) uses the self-evaluation rules of ``app.rubric.selfeval``:
each row's 评分规则 names the rule (unknown or empty → ``selfeval.default_rule``: 满意度 rows
satisfaction, dates direct, qualitative targets judged level, the rest proportional), against the
full-year value (the half-year value when the full-year one is empty). Rows in ``exclude`` (the
预算执行率 indicator once the budget line scores execution) get no weight and no score. Weights: a row's own weight
counts as given; rows without a weight share what is left of 100 points (100 − Σ given weights)
equally, in hundredths of a point, the leftover hundredths going one each to the first unweighted
rows in table order, so the weights add up to exactly 100 (e.g. 3 rows: 33.34, 33.33, 33.33). If
the given weights already reach 100, unweighted rows get 0 and the score says so. Rounding is
``selfeval``'s (points lost half-up to 2 places per row); the total is the plain sum of the row
scores, graded by the table's bands (default 优 ≥ 90, 良 80 – < 90, 中 60 – < 80, 差 < 60).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from app.rubric import selfeval
from app.rubric.ruletext import parse_rule_text, score_rule_text
from app.rubric.tablesettings import OVER_DEVIATION, OVER_MET, OVERACHIEVEMENT, TableSettings
from app.rubric.values import (
    TargetValue,
    ValueParseError,
    completion_rate,
    normalized_quantity,
    parse_value,
    units_compatible,
)

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
    "execution_row",
    "grade",
    "group_of",
    "groups_of",
    "overachievement_of",
    "row_weights",
    "spread_points",
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

GREEN_FROM = Decimal(1)
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
        **({"upper": str(value.upper)} if value.upper is not None else {}),
        **({"notes": list(value.notes)} if value.notes else {}),
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
        upper=None if data.get("upper") is None else Decimal(data["upper"]),
        notes=tuple(data.get("notes") or ()),
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
    if value.upper is not None:
        out["upper"] = str(value.upper)
    if value.notes:
        out["notes"] = list(value.notes)
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

def _label(text: str) -> str:
    return "".join(text.split()).rstrip("：:")


def _is_number(text: str) -> bool:
    try:
        Decimal(text.replace(",", ""))
    except ArithmeticError:
        return False
    return True


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
    overachievement: str | None = None  # the row's own over-achievement policy (None: the table's)
    section: int = 0  # which header of the source sheet the row stood under (0: the first)

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
            "overachievement": self.overachievement,
            "section": self.section,
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
            overachievement=data.get("overachievement"),
            section=int(data.get("section", 0)),
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
    # The rows above the first indicator header (title and year lines excepted), as written: per
    # row its cells (column, columns spanned, rows spanned, text) — 单位名称, 资金总额, the 收入
    # block, 项目支出 lines, 单位主要职能, 年度目标 …
    preamble: tuple[tuple[tuple[int, int, int, str], ...], ...] = ()

    def __post_init__(self) -> None:
        if self.layout not in LAYOUTS:
            raise ValueError(f"表格样式「{self.layout}」不存在，可选：{'、'.join(LAYOUTS)}")
        object.__setattr__(self, "rows", tuple(self.rows))
        positions = [r.position for r in self.rows]
        if len(set(positions)) != len(positions):
            raise ValueError("指标序号重复")

    @property
    def info(self) -> dict[str, str]:
        """The preamble as label → value, in sheet order. Labels lose spaces and line breaks
        (「单位\n主要职能」 → 「单位主要职能」); a cell spanning several rows (收入) prefixes the labels
        of its rows (「收入·财政拨款」); in a row a label followed only by numbers gets them all
        (「项目支出」 → 「632 / 1507.84」); an odd number of texts is a heading and then label, value
        pairs (「项目资金（万元）·年度资金总额」 → 「500」); otherwise texts pair up as label, value; a label seen
        again gets 「（2）」."""
        out: dict[str, str] = {}
        groups: list[list] = []  # [label, rows left]
        for cells in self.preamble:
            groups = [g for g in groups if g[1] > 0]
            texts = [t for _c, _n, _rows, t in cells]
            while len(texts) > 1 and cells[len(cells) - len(texts)][2] > 1:
                groups.append([_label(texts[0]), cells[len(cells) - len(texts)][2]])
                texts = texts[1:]
            prefix = "·".join(g[0] for g in groups)
            for g in groups:
                g[1] -= 1
            if len(texts) > 2 and len(texts) % 2 and all(_is_number(t) for t in texts[1:]):
                pairs = [(texts[0], " / ".join(texts[1:]))]
            elif len(texts) > 2 and len(texts) % 2:  # a heading, then label, value pairs
                head = _label(texts[0])
                pairs = [(f"{head}·{_label(texts[i])}", texts[i + 1]) for i in range(1, len(texts) - 1, 2)]
            else:
                pairs = [(texts[i], texts[i + 1]) for i in range(0, len(texts) - 1, 2)]
            for label, value in pairs:
                base = f"{prefix}·{_label(label)}" if prefix else _label(label)
                key, n = base, 2
                while key in out:
                    key, n = f"{base}（{n}）", n + 1
                out[key] = value
        return out

    @functools.cached_property
    def _by_position(self) -> dict[int, TargetRow]:
        return {r.position: r for r in self.rows}

    def row(self, position: int) -> TargetRow:
        return self._by_position[position]  # KeyError for a position the table does not have

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
            "preamble": [[list(c) for c in cells] for cells in self.preamble],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TargetTable:
        return cls(
            unit=data["unit"],
            project=data.get("project"),
            year=int(data["year"]),
            layout=data.get("layout", LAYOUT_LEVELS),
            rows=tuple(TargetRow.from_dict(r) for r in data.get("rows", ())),
            preamble=tuple(tuple((int(c), int(n), int(rows), str(t)) for c, n, rows, t in cells)
                           for cells in data.get("preamble", ())),
        )

    def to_json(self) -> list[dict[str, Any]]:
        """One JSON object per indicator (see ``TargetRow.to_json``)."""
        return [r.to_json() for r in self.rows]


# --------------------------------------------------------------------------- checkpoints

def _is_zero_quantity(value: TargetValue) -> bool:
    return value.kind == "quantity" and value.quantity is not None and value.quantity == 0


def completion(target_value: object, actual_value: object, *, year: int | None = None,
               policy: str = OVER_DEVIATION) -> Decimal | None:
    """Completion rate c (a fraction, 1 = 100 %) of an actual against a target; None if undecidable.

    Either argument may be a ``TargetValue`` or raw cell content. Delegates to
    ``values.completion_rate`` after the two target-table conventions of the module docstring
    (≥0 targets, =0 targets). Under the ``"met"`` over-achievement policy a ``≤`` / ``<`` line
    kept within its ceiling is met (c = 1) also when it is an amount of money. Raises
    ``ValueParseError`` for raw text that cannot be read.
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
    rate = completion_rate(target, actual)
    if (policy == OVER_MET and rate is not None and rate < 1 and target.operator in ("≤", "<")
            and target.kind == "quantity" and actual.kind == "quantity" and target.quantity is not None
            and actual.quantity is not None and units_compatible(target, actual)):
        a, t = normalized_quantity(actual), normalized_quantity(target)
        if a is not None and t is not None and (a[0] <= t[0] if target.operator == "≤" else a[0] < t[0]):
            return Decimal(1)
    return rate


def status(rate: Decimal | None, *, amber_from: Decimal = AMBER_FROM) -> str | None:
    """"green" (target met, ≥ 100 %), "amber" (``amber_from`` – < 100 %), "red" (below); None
    without a rate."""
    if rate is None:
        return None
    r = Decimal(rate)
    if r >= GREEN_FROM:
        return "green"
    if r >= Decimal(amber_from):
        return "amber"
    return "red"


STATUS_LABELS = {"green": "达标", "over": "超出目标（偏差扣分）", "amber": "略低于目标", "red": "明显落后",
                 None: "无法判断"}


def overachievement_of(row: TargetRow, settings: TableSettings | None) -> str:
    """The over-achievement policy of a row: its own, else the table's (default ``"met"``)."""
    if row.overachievement in OVERACHIEVEMENT:
        return row.overachievement
    return (settings or TableSettings()).overachievement


def execution_row(table: TargetTable) -> TargetRow | None:
    """The table's own 预算执行率 indicator (the first row named so), if it has one."""
    for r in table.rows:
        if "预算执行率" in "".join((r.name or "").split()):
            return r
    return None


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
        return self.status in ("amber", "red", "over")


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
                out["amber" if r.status == "over" else r.status or "unknown"] += 1
        return out

    @property
    def behind(self) -> tuple[RowProgress, ...]:
        return tuple(r for r in self.rows if r.behind)


def checkpoint_report(table: TargetTable, actuals: Mapping[int, object], checkpoint: str,
                      settings: TableSettings | None = None) -> CheckpointReport:
    """Completion and status of every row at a checkpoint; ``actuals`` maps row position → actual.

    Actuals may be ``TargetValue`` or raw cell content; unreadable ones give a row with a note and
    no rate instead of an exception. ``settings`` give the amber band and the over-achievement
    policy (defaults of ``TableSettings``).
    """
    cfg = settings or TableSettings()
    out = []
    for row in table.rows:
        target = row.target(checkpoint)
        raw = actuals.get(row.position)
        note = None
        try:
            actual = as_value(raw, year=table.year)
        except ValueParseError as exc:
            actual, note = None, str(exc)
        policy = overachievement_of(row, cfg)
        rate = completion(target, actual, policy=policy) if actual is not None else None
        if actual is None and note is None:
            note = "未填报实际值"
        elif rate is None and note is None:
            note = "完成率无法计算（请人工判断）"
        st = status(rate, amber_from=cfg.amber_from)
        if (st == "green" and rate > 1 and checkpoint == "full_year" and policy == OVER_DEVIATION
                and _rule_for(row, target)[0] == selfeval.RULE_PROPORTIONAL):
            st = "over"
            note = f"完成率 {selfeval.format_percent(rate)} 超出目标，按偏差规则扣分"
        out.append(RowProgress(row.position, row.name, target, actual, rate, st, note))
    return CheckpointReport(checkpoint, tuple(out))


# --------------------------------------------------------------------------- year-end score

def spread_points(total: Decimal, n: int) -> list[Decimal]:
    """``total`` points shared by ``n`` rows in hundredths, the leftover hundredths one each to the
    first rows (30 over 4 rows: 7.50 each; 10 over 3: 3.34, 3.33, 3.33). Sums to ``total`` exactly."""
    if n <= 0:
        return []
    cents = int((Decimal(total) / _CENT).to_integral_value(rounding=ROUND_FLOOR))
    each, extra = divmod(cents, n)
    return [(Decimal(each + (1 if i < extra else 0)) * _CENT).quantize(_CENT) for i in range(n)]


def group_of(row: TargetRow) -> str:
    """The first-level group of a row for weighting: its 一级指标, else its 职能 (the 职能 layout)."""
    return row.level1 or row.function or "（未分组）"


def groups_of(table: TargetTable) -> list[tuple[str, list[TargetRow]]]:
    """The table's first-level groups in table order, each with its rows."""
    out: dict[str, list[TargetRow]] = {}
    for row in table.rows:
        out.setdefault(group_of(row), []).append(row)
    return list(out.items())


def row_weights(table: TargetTable, *, total: Decimal = TOTAL_POINTS,
                exclude: frozenset[int] | set[int] = frozenset()) -> dict[int, Decimal]:
    """The weight of every row (position → points); see the module docstring for the sharing rule.
    Rows in ``exclude`` weigh 0 and take no share."""
    given = {r.position: Decimal(r.weight) for r in table.rows if r.weight is not None and r.position not in exclude}
    free = [r.position for r in table.rows if r.weight is None and r.position not in exclude]
    weights = dict(given)
    if free:
        left = max(Decimal(0), Decimal(total) - sum(given.values(), Decimal(0)))
        weights.update(zip(free, spread_points(left, len(free)), strict=True))
    return {r.position: weights.get(r.position, Decimal("0.00")) for r in table.rows}


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
    counted: bool = True  # False: excluded (counted in the budget execution line instead)


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

    @property
    def attainment(self) -> tuple[Decimal, Decimal, int, int]:
        """(weight of the rows met, weight of the scored rows, rows met, rows) — 绩效目标完成率.
        A row is met when it kept all of its points; rows excluded from scoring do not count."""
        rows = [r for r in self.rows if r.counted]
        met = [r for r in rows if r.points >= r.weight]
        return (sum((r.weight for r in met), Decimal(0)), sum((r.weight for r in rows), Decimal(0)),
                len(met), len(rows))


def grade(total: Decimal, bands=None) -> str:
    """优 ≥ 90, 良 80 – < 90, 中 60 – < 80, 差 < 60, or the given ``bands`` (``selfeval.grade``)."""
    return selfeval.grade(total) if bands is None else selfeval.grade(total, bands)


def _rule_for(row: TargetRow, target: TargetValue | None) -> tuple[str, tuple[str, ...]]:
    try:
        rule = selfeval.normalise_rule(row.rule)
    except selfeval.RuleError:
        text_rule = parse_rule_text(row.rule)
        if text_rule is not None:
            return text_rule.label, ()
        rule = None
        fallback = selfeval.default_rule(level1=row.level1, level2=row.level2,
                                         target_kind=target.kind if target else None)
        return fallback, (f"评分规则「{row.rule}」无法识别，按默认规则「{fallback}」评分",)
    if rule is None:
        return selfeval.default_rule(level1=row.level1, level2=row.level2,
                                     target_kind=target.kind if target else None), ()
    return rule, ()


def score_table(table: TargetTable, actuals: Mapping[int, object], *,
                config: selfeval.SelfEvalConfig | None = None, pool: Decimal = TOTAL_POINTS,
                settings: TableSettings | None = None, exclude: frozenset[int] | set[int] = frozenset(),
                exclude_reason: str = "") -> TableScore:
    """Year-end score of a table from the full-year actuals (position → actual value or raw text).

    ``pool`` is the number of points the rows share (100; 90 in a self-evaluation sheet whose
    budget-execution line carries the other 10). A row whose actual is missing, unreadable, or
    whose rule cannot decide gets 0 points, a flag saying why and ``scored=False``
    (``TableScore.complete`` is then False). ``settings``: over-achievement policy and grade bands.
    Rows in ``exclude`` are listed with ``exclude_reason``, no weight and no score.
    """
    cfg = settings or TableSettings()
    weights = row_weights(table, total=pool, exclude=exclude)
    out: list[RowScore] = []
    for row in table.rows:
        target = row.full_year if row.full_year is not None and row.full_year.kind != "empty" else row.half_year
        rule, flags = _rule_for(row, target)
        w = weights[row.position]
        policy = overachievement_of(row, cfg)
        raw = actuals.get(row.position)
        if row.position in exclude:
            try:
                actual = as_value(raw, year=table.year)
            except ValueParseError:
                actual = None
            rate = completion(target, actual, policy=policy) if actual is not None and actual.kind != "empty" else None
            out.append(RowScore(row.position, row.name, w, rule, target, actual, rate, Decimal("0.00"),
                                exclude_reason or "不单独计分", (), counted=False))
            continue
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
        rate = completion(target, actual, policy=policy)
        level = actual.level if actual.kind == "level" else None
        text_rule = parse_rule_text(row.rule) if rule not in selfeval.RULES else None
        try:
            if text_rule is not None:
                s = score_rule_text(text_rule, w, target, actual, rate)
            else:
                s = selfeval.score_indicator(rule, w, rate, level=level, config=config, over_full=policy == OVER_MET)
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
    return TableScore(tuple(out), total, max_points, cfg.grade(total), tuple(table_flags))
