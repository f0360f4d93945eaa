"""Target and actual values of budget-performance indicators, and completion rates.

Pure module: no Flask, no database, no openpyxl.

``parse_value`` reads what reporters type into 目标值 / 业绩值 cells ("≥10000人次", "=100%",
"1：200", "≥3.5万", "2024年12月31日前", "12月底前", "提升", 13, 0.95 …) into a ``TargetValue``.
``completion_rate`` turns a target and an actual value into the completion rate c (a fraction,
1 = 100 %).

Completion-rate conventions (checked against the 12 published changji 2024 tables):

* ``≥``, ``>``, ``=`` and no operator on a quantity: c = actual ÷ target, so overshooting gives
  c > 1 (the proportional rule then costs points, as published: 200 % → 0 points).
* ``≤`` / ``<`` on an amount of money (元, 万元, 亿元 …): a cost line is a budget to be spent, and
  the published tables score it as c = actual ÷ target (624.9 of ≤630万元 → 99.19 %, 9.80 points;
  48.93 of ≤50万元 → 97.86 %, 9.46 points). We keep that.
* ``≤`` / ``<`` on anything else (rates, counts of incidents, hours …) is a ceiling: at or below
  the ceiling c = 1; above it c = target ÷ actual (and 0 when the ceiling itself is 0, as in ≤0%).
* Ratios "a:b" compare as the number a ÷ b with the same conventions.
* Dates: met (c = 1) when the actual date is not after the deadline (for ``≥`` dates: not
  before), else c = 0. An actual given only to the month counts from the first day of that month,
  a target given only to the month counts to its last day.
* Qualitative levels: met (c = 1) when the actual is a "met" word (达到预期指标, 完成, 已落实, the
  target word itself …), c = 0 when it is a "not met" word (未完成, 未达到 …); anything else is
  not decidable here and gives ``None`` (the judged-level rule decides from the level).
* Ranges ("90%~95%", "5-10个", "3至5天"): below the lower bound c = actual ÷ lower, within the
  range c = 1, above the upper bound c = upper ÷ actual.

Messy cells (real workbooks as they come): ``strip_markup`` removes what Word and web pages leave
inside a value (``[bookmark: _GoBack]``, HTML tags and entities, zero-width characters,
non-breaking spaces) and ``parse_value`` applies it first, saying what it removed in
``TargetValue.notes`` (the caller flags the cell). Unusual signs are read as the usual ones
(``═`` and ``＝`` as =, ``≦ ≧ 〉= 〈=`` as ≤ ≥, full-width digits and ％, ``~ ～ — 至`` between two
numbers as a range, 以上/以下/不低于/不超过 words); ``text`` always keeps the original.

Conventions that offices differ on are parameters of ``completion_rate`` (``Conventions``): the
defaults are the published practice, and the sheet scorer writes the choice on its output.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation

__all__ = [
    "CEILING_MONEY",
    "CEILING_MONEY_TEXT",
    "Conventions",
    "KINDS",
    "MONEY_UNITS",
    "OPERATORS",
    "TargetValue",
    "ValueParseError",
    "completion_rate",
    "is_money_ceiling",
    "is_money_unit",
    "level_met",
    "normalized_quantity",
    "parse_value",
    "strip_markup",
    "units_compatible",
]

KINDS = ("quantity", "ratio", "date", "level", "empty")
OPERATORS = ("≥", "≤", "=", ">", "<")

MONEY_UNITS = ("元", "万元", "亿元", "千元", "百元", "百万元", "千万元")
_MULTIPLIERS = (("千万", Decimal(10_000_000)), ("百万", Decimal(1_000_000)), ("亿", Decimal(100_000_000)),
                ("万", Decimal(10_000)), ("千", Decimal(1_000)))

_EMPTY_TEXTS = {"", "/", "-", "—", "——", "--", "－", "\\", "~", "~~", "、"}

# Words (after normalisation) that say a qualitative target was reached / not reached.
_MET_WORDS = ("达到预期指标", "达到预期", "达到目标", "已达到", "达到", "达成", "已达成", "完成", "已完成", "全部完成",
              "按时", "按期", "如期", "提前", "落实", "已落实", "实现", "已实现", "符合", "合格", "健全", "有效", "是")
_NOT_MET_WORDS = ("未达到", "未达预期", "没有达到", "未完成", "没有完成", "未落实", "未实现", "不符合", "不合格", "否",
                  "未达成", "未按时", "未按期", "逾期", "延期", "滞后", "部分达到", "基本达到", "部分完成", "基本完成",
                  "部分达成", "基本达成")


# A qualitative actual that is the target's level with one of these in front reaches it ...
_FULL_QUALIFIERS = ("已", "已经", "均已", "全部", "全面", "完全", "均", "全部已", "已全面")
# ... with one of these it is missed (不健全, 未落实) ...
_NEGATIONS = ("不", "未", "没", "没有", "尚未", "仍未", "无", "缺乏", "不够")
# ... with one of these in front (a partial level: 基本健全, 部分落实, 初步建立, 较完善) it does not.
_PARTIAL_QUALIFIERS = ("基本", "部分", "初步", "大部分", "大部", "大体", "大致", "较为", "比较", "较", "局部", "逐步",
                       "尚", "不太", "欠", "有待", "正在", "待")


class ValueParseError(ValueError):
    """A target or actual value that cannot be read. ``str(err)`` is a Chinese message."""

    def __init__(self, text: object, reason: str):
        self.text = text
        self.reason = reason
        super().__init__(f"无法识别的指标值「{text}」：{reason}")


@dataclass(frozen=True)
class TargetValue:
    """A parsed indicator value (target or actual).

    ``text`` is the original cell content as text. ``kind`` is one of KINDS. For dates,
    ``date`` is the first day of the stated period and ``date_end`` its last day (equal for a
    full date); ``year_assumed`` is True when the text had no year and one was supplied.
    """

    text: str
    kind: str
    operator: str | None = None
    quantity: Decimal | None = None
    unit: str | None = None
    level: str | None = None
    ratio: tuple[Decimal, Decimal] | None = None
    date: dt.date | None = None
    date_end: dt.date | None = None
    year_assumed: bool = False
    upper: Decimal | None = None  # a range's upper bound (``quantity`` is its lower bound)
    notes: tuple[str, ...] = ()  # what was cleaned or assumed while reading (Chinese, for a flag)

    @property
    def number(self) -> Decimal | None:
        """The value as one number: quantity, or a ÷ b for a ratio (None otherwise)."""
        if self.kind == "quantity":
            return self.quantity
        if self.kind == "ratio" and self.ratio is not None:
            a, b = self.ratio
            return a / b if b else None
        return None


# --------------------------------------------------------------------------- markup

_BOOKMARK = re.compile(r"\[\s*(?:bookmark|书签)\s*[:：][^\]]*\]", re.IGNORECASE)
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9:-]*(?:\s[^<>]*)?/?>")
_ENTITY = re.compile(r"&(?:[A-Za-z]{2,8}|#\d{2,6}|#x[0-9A-Fa-f]{2,5});")
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u200e\u200f\u2060\ufeff\u00ad]")
_ODD_SPACES = re.compile("[\u00a0\u2002\u2003\u2009\u202f\u3000]")


def strip_markup(text: str) -> tuple[str, tuple[str, ...]]:
    """Remove Word and web leftovers from a cell text: (clean text, Chinese notes of what was removed).

    Word bookmarks (``[bookmark: _GoBack]``), HTML tags (``<span>``, ``<br/>``) and entities
    (``&nbsp;``, ``&ge;``), zero-width characters and soft hyphens; non-breaking and other odd
    spaces become plain spaces. Text without such leftovers comes back unchanged with no notes.
    """
    import html

    notes: list[str] = []
    s = text
    if _BOOKMARK.search(s):
        s = _BOOKMARK.sub("", s)
        notes.append("Word 书签标记")
    if _TAG.search(s):
        s = _TAG.sub("", s)
        notes.append("网页标签")
    if _ENTITY.search(s):
        s = html.unescape(s)
        notes.append("网页字符实体")
    if _ZERO_WIDTH.search(s):
        s = _ZERO_WIDTH.sub("", s)
        notes.append("零宽字符")
    if _ODD_SPACES.search(s):
        s = _ODD_SPACES.sub(" ", s)
        notes.append("不间断空格")
    if not notes:
        return text, ()
    return s.strip(), (f"已去除单元格中夹带的{'、'.join(notes)}，按「{s.strip()}」读取",)


# --------------------------------------------------------------------------- normalisation

_OP_WORDS = (
    ("大于等于", "≥"), ("大于或等于", "≥"), ("不低于", "≥"), ("不少于", "≥"), ("不小于", "≥"), ("至少", "≥"),
    ("小于等于", "≤"), ("小于或等于", "≤"), ("不高于", "≤"), ("不超过", "≤"), ("不多于", "≤"), ("不大于", "≤"),
    ("最多", "≤"), ("大于", ">"), ("高于", ">"), ("小于", "<"), ("低于", "<"), ("等于", "="),
)
_SYMBOLS = {
    "═": "=", "〓": "=", "〉": ">", "》": ">", "〈": "<", "《": "<", "≯": "≤", "≮": "≥",
    ">=": "≥", "=>": "≥", "≧": "≥", "⩾": "≥", "<=": "≤", "=<": "≤", "≦": "≤", "⩽": "≤", "＝": "=", "==": "=",
    "＞": ">", "＜": "<", "：": ":", "％": "%", "，": ",", "。": ".", "～": "~", "〜": "~",
    "—": "~", "–": "~", "―": "~", "－": "-",
}


def _normalise(text: str) -> str:
    # NFKC maps full-width digits, letters, ％, ＞, ＜ and ＝ to ASCII; ≥/≤ survive.
    s = unicodedata.normalize("NFKC", text)
    for a, b in _SYMBOLS.items():
        s = s.replace(a, b)
    s = re.sub(r"\s+", "", s)
    return s


def _split_operator(s: str) -> tuple[str | None, str]:
    for word, op in _OP_WORDS:
        if s.startswith(word):
            return op, s[len(word):]
    if s[:1] in OPERATORS:
        op, rest = s[0], s[1:]
        # "=≥5" or "≥=5": keep the inequality
        if rest[:1] in OPERATORS:
            second = rest[0]
            if op == "=" and second in "≥≤><":
                op = second
            elif second != "=":
                raise ValueParseError(s, "比较符号重复")
            rest = rest[1:]
        return op, rest
    return None, s


def _split_suffix_operator(s: str) -> tuple[str | None, str]:
    for word, op in (("及以上", "≥"), ("以上", "≥"), ("及以下", "≤"), ("以下", "≤"), ("以内", "≤"), ("之内", "≤")):
        if s.endswith(word):
            return op, s[: -len(word)]
    return None, s


def _to_decimal(num: str) -> Decimal:
    try:
        return Decimal(num.replace(",", ""))
    except InvalidOperation as exc:  # pragma: no cover - regex guarantees digits
        raise ValueParseError(num, "数字格式不正确") from exc


def _number_from_float(value: float) -> Decimal:
    # Excel stores 0.9786 as 0.97860000000000003; 12 significant decimals are plenty for tables.
    d = Decimal(repr(value))
    q = d.quantize(Decimal("1e-12")) if abs(d) < Decimal("1e12") else d
    return q.normalize() if q != 0 else Decimal(0)


# --------------------------------------------------------------------------- dates

_DATE_FULL = re.compile(r"^(?:(\d{4})年)?(\d{1,2})月(\d{1,2})[日号]?$")
_DATE_ISO = re.compile(r"^(\d{4})[-./](\d{1,2})(?:[-./](\d{1,2}))?$")
_DATE_MONTH = re.compile(r"^(?:(\d{4})年)?(\d{1,2})月(?:份)?(底|末|上旬|中旬|下旬|初)?$")
_DATE_YEAR = re.compile(r"^(\d{4})?年(?:度)?(底|末|内)$|^(\d{4})年$")
_DATE_HALF = re.compile(r"^(?:(\d{4})年)?(上半年|下半年|年中)(?:末|底)?$")
_DATE_SUFFIXES = ("以前", "之前", "前", "截止", "为止", "止", "完成")


def _last_day(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def _parse_date(s: str, year: int | None) -> tuple[dt.date, dt.date, bool] | None:
    """Return (start, end, year_assumed) or None when ``s`` is not a date."""
    def pick_year(y: str | None) -> tuple[int, bool]:
        if y:
            return int(y), False
        return (year if year is not None else dt.date.today().year), True

    try:
        m = _DATE_FULL.match(s)
        if m:
            y, assumed = pick_year(m.group(1))
            d = dt.date(y, int(m.group(2)), int(m.group(3)))
            return d, d, assumed
        m = _DATE_ISO.match(s)
        if m:
            y, mo = int(m.group(1)), int(m.group(2))
            if m.group(3):
                d = dt.date(y, mo, int(m.group(3)))
                return d, d, False
            return dt.date(y, mo, 1), dt.date(y, mo, _last_day(y, mo)), False
        m = _DATE_MONTH.match(s)
        if m:
            y, assumed = pick_year(m.group(1))
            mo = int(m.group(2))
            part = m.group(3)
            last = _last_day(y, mo)
            start, end = dt.date(y, mo, 1), dt.date(y, mo, last)
            if part in ("底", "末", "下旬"):
                start = dt.date(y, mo, 21) if part == "下旬" else end
            elif part == "上旬" or part == "初":
                end = dt.date(y, mo, 10)
            elif part == "中旬":
                start, end = dt.date(y, mo, 11), dt.date(y, mo, 20)
            return start, end, assumed
        m = _DATE_YEAR.match(s)
        if m:
            if m.group(3):
                y = int(m.group(3))
                return dt.date(y, 1, 1), dt.date(y, 12, 31), False
            y, assumed = pick_year(m.group(1))
            if m.group(2) == "内":
                return dt.date(y, 1, 1), dt.date(y, 12, 31), assumed
            return dt.date(y, 12, 31), dt.date(y, 12, 31), assumed
        m = _DATE_HALF.match(s)
        if m:
            y, assumed = pick_year(m.group(1))
            if m.group(2) == "下半年":
                return dt.date(y, 7, 1), dt.date(y, 12, 31), assumed
            return dt.date(y, 1, 1), dt.date(y, 6, 30), assumed
    except ValueError as exc:
        if isinstance(exc, ValueParseError):
            raise
        raise ValueParseError(s, "日期不存在") from exc
    return None


# --------------------------------------------------------------------------- parse

_NUMBER = r"[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|[-+]?\.\d+"
_QUANTITY = re.compile(rf"^({_NUMBER})([^\d\s].*)?$")
_RATIO = re.compile(rf"^({_NUMBER}):({_NUMBER})$")
_RANGE = re.compile(rf"^({_NUMBER})([^\d\s~至到-]*)(?:~|至|到|-)({_NUMBER})([^\d\s].*)?$")


def parse_value(value: object, *, year: int | None = None, narrative: bool = False) -> TargetValue:
    """Parse a target or actual value.

    ``value`` is the cell content: text, int, float, Decimal, date/datetime or None. ``year`` is
    the default year for dates written without one ("12月底前"); without it the current year is
    used. Either way ``year_assumed`` is set. Raises ``ValueParseError`` (Chinese message) for
    text it cannot read. With ``narrative`` a text that holds a number but is a sentence
    ("力争合格率达95%，环境整洁") is kept as a qualitative level with a note instead.
    """
    if isinstance(value, str):
        cleaned, notes = strip_markup(value)
        if notes:
            try:
                v = parse_value(cleaned, year=year, narrative=narrative)
            except ValueParseError as exc:
                raise ValueParseError(value, exc.reason) from exc
            return replace(v, text=value, notes=notes + v.notes)
    if value is None:
        return TargetValue(text="", kind="empty")
    if isinstance(value, bool):
        raise ValueParseError(value, "不是指标值")
    if isinstance(value, dt.datetime):
        d = value.date()
        return TargetValue(text=d.isoformat(), kind="date", date=d, date_end=d)
    if isinstance(value, dt.date):
        return TargetValue(text=value.isoformat(), kind="date", date=value, date_end=value)
    if isinstance(value, int):
        return TargetValue(text=str(value), kind="quantity", quantity=Decimal(value))
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueParseError(value, "不是有效数字")
        q = _number_from_float(value)
        return TargetValue(text=repr(value), kind="quantity", quantity=q)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueParseError(value, "不是有效数字")
        return TargetValue(text=str(value), kind="quantity", quantity=value)
    if not isinstance(value, str):
        raise ValueParseError(value, "不是文本或数字")

    text = value
    s = _normalise(text)
    if s in _EMPTY_TEXTS:
        return TargetValue(text=text, kind="empty")

    op, rest = _split_operator(s)
    if not rest:
        raise ValueParseError(text, "比较符号后没有数值")
    suffix_op, rest2 = _split_suffix_operator(rest)
    if suffix_op and rest2 and re.match(r"^[-+.\d]", rest2):
        if op is not None and op != "=" and op != suffix_op:
            raise ValueParseError(text, "比较符号前后矛盾")
        op, rest = suffix_op, rest2

    # dates: "2024年12月31日前", "=2024年12月10日前", "12月底前", "2024-12-31"
    date_rest = rest
    deadline = False
    for suf in _DATE_SUFFIXES:
        if date_rest.endswith(suf) and len(date_rest) > len(suf):
            date_rest = date_rest[: -len(suf)]
            deadline = suf != "完成" or deadline
            break
    try:
        parsed = _parse_date(date_rest, year)
    except ValueParseError as exc:
        raise ValueParseError(text, exc.reason) from exc
    if parsed is not None:
        start, end, assumed = parsed
        date_op = op
        if deadline and op in (None, "="):
            date_op = "≤"
        return TargetValue(text=text, kind="date", operator=date_op, date=start, date_end=end,
                           year_assumed=assumed)

    m = _RATIO.match(rest)
    if m:
        a, b = _to_decimal(m.group(1)), _to_decimal(m.group(2))
        if b == 0:
            raise ValueParseError(text, "比例的后项不能为0")
        return TargetValue(text=text, kind="ratio", operator=op, ratio=(a, b))

    m = _RANGE.match(rest)
    if m and op in (None, "="):
        low, high = _to_decimal(m.group(1)), _to_decimal(m.group(3))
        unit_low, unit = m.group(2) or None, m.group(4) or None
        if unit_low and unit and unit_low != unit:
            raise ValueParseError(text, "数值区间两端的单位不一致")
        if low > high:
            low, high = high, low
        return TargetValue(text=text, kind="quantity", operator="≥", quantity=low, unit=unit or unit_low,
                           upper=high)

    m = _QUANTITY.match(rest)
    if m:
        unit = m.group(2) or None
        if unit is not None and re.search(r"\d", unit):
            raise ValueParseError(text, "数值后面的单位中含有数字")
        if unit is not None and unit[0] in "~-至到":
            raise ValueParseError(text, "不支持数值区间")
        return TargetValue(text=text, kind="quantity", operator=op, quantity=_to_decimal(m.group(1)), unit=unit)

    if re.search(r"\d", rest):
        if narrative and op is None and len(re.findall(r"[\u4e00-\u9fff]", rest)) >= 4:
            return TargetValue(text=text, kind="level", level=rest,
                               notes=("文字描述中含有数字，按定性指标保存，年终评分时请按评判等级打分",))
        raise ValueParseError(text, "含有数字但不是数量、比例或日期")
    if op is not None and op != "=":
        raise ValueParseError(text, "比较符号后不是数值")
    return TargetValue(text=text, kind="level", operator=op, level=rest)


# --------------------------------------------------------------------------- units

def normalized_quantity(value: TargetValue) -> tuple[Decimal, str] | None:
    """Quantity with 万/亿/千 multipliers applied: 3.5万 → (35000, ""), 3.5万元 → (35000, "元").

    A percent stays a percent (95.02% → (95.02, "%")). None for non-quantities.
    """
    if value.kind != "quantity" or value.quantity is None:
        return None
    unit = value.unit or ""
    for prefix, factor in _MULTIPLIERS:
        if unit.startswith(prefix):
            return _plain(value.quantity * factor), unit[len(prefix):]
    return value.quantity, unit


def _plain(d: Decimal) -> Decimal:
    """35000.0 → 35000, keeping the value."""
    n = d.normalize()
    return n.quantize(Decimal(1)) if n == n.to_integral_value() else n


def is_money_unit(unit: str | None) -> bool:
    """True for 元, 万元, 亿元 … and per-head money units such as 万元/生/年."""
    if not unit:
        return False
    head = unit.split("/")[0]
    return head in MONEY_UNITS


def units_compatible(a: TargetValue, b: TargetValue) -> bool:
    """Whether two quantities can be divided: same base unit after multipliers, or one unitless."""
    na, nb = normalized_quantity(a), normalized_quantity(b)
    if na is None or nb is None:
        return a.kind == b.kind
    ua, ub = na[1], nb[1]
    return ua == ub or not ua or not ub


# --------------------------------------------------------------------------- completion

def level_met(target: TargetValue, actual: TargetValue) -> bool | None:
    """Whether a qualitative target is met by a qualitative actual: True, False or None (unknown)."""
    if actual.kind != "level" or actual.level is None:
        return None
    word = actual.level
    if any(word.startswith(w) for w in _NOT_MET_WORDS):
        return False
    if word in ("无", "没有") and (target.level not in ("无", "没有")):
        return None
    goal = target.level
    if goal and (word == goal or goal.endswith(word)):
        return True
    if goal and word.endswith(goal):
        qualifier = word[: -len(goal)]
        # 「已健全」「全面落实」 reach the level; 「基本健全」「部分落实」「较完善」 do not, and how far short
        # they fall is for the office to judge (None: 待判断)
        if qualifier in _NEGATIONS:
            return False
        return True if qualifier in _FULL_QUALIFIERS else None
    if word.startswith(_PARTIAL_QUALIFIERS):
        return None
    if any(word.startswith(w) or word == w for w in _MET_WORDS):
        return True
    return None


CEILING_MONEY = ("ratio", "reason", "met")
CEILING_MONEY_TEXT = {
    "ratio": "限额内的资金按 实际÷目标 计算完成率",
    "reason": "限额内少花的资金：未写偏差原因视为完成（100%），写了偏差原因按 实际÷目标 计算",
    "met": "限额内的资金一律视为完成（100%）",
}


@dataclass(frozen=True)
class Conventions:
    """Readings that offices differ on (see the module docstring); the defaults keep the
    published practice of the self-evaluation tables.

    ``ceiling_money``: how spending under a money ceiling (≤50万元) counts, one of
    ``CEILING_MONEY``. ``bare_wan_money``: a bare 万 under a ceiling (≤50万) is money.
    """

    ceiling_money: str = "ratio"
    bare_wan_money: bool = False

    def __post_init__(self) -> None:
        if self.ceiling_money not in CEILING_MONEY:
            raise ValueError(f"资金限额口径「{self.ceiling_money}」不存在，可选：{'、'.join(CEILING_MONEY)}")


def is_money_ceiling(target: TargetValue, conventions: Conventions | None = None) -> bool:
    """Whether a ``≤`` / ``<`` target is a money ceiling (≤50万元; ≤50万 too when so chosen)."""
    conv = conventions or Conventions()
    if target.kind != "quantity" or target.operator not in ("≤", "<"):
        return False
    return is_money_unit(target.unit) or (conv.bare_wan_money and target.unit in ("万", "亿", "千万", "百万"))


def completion_rate(target: TargetValue, actual: TargetValue, *, conventions: Conventions | None = None,
                    deviation_reason: bool = False) -> Decimal | None:
    """The completion rate c as a fraction (1 = 100 %), or None when it cannot be computed.

    See the module docstring for the conventions. None when the target or actual is empty, when
    their kinds do not fit together, when a ``≥`` target is 0, or when a qualitative outcome is
    not a clear met / not-met word. ``deviation_reason``: the row gives a reason for the
    deviation (used by the ``"reason"`` money-ceiling convention).
    """
    conv = conventions or Conventions()
    if target.kind == "empty" or actual.kind == "empty":
        return None

    if target.kind == "level":
        met = level_met(target, actual)
        if met is None and actual.kind == "quantity" and actual.unit == "%" and actual.quantity is not None:
            return actual.quantity / 100
        return None if met is None else (Decimal(1) if met else Decimal(0))

    if target.kind == "date":
        if actual.kind == "level":
            met = level_met(target, actual)
            return None if met is None else (Decimal(1) if met else Decimal(0))
        if actual.kind != "date" or target.date is None or actual.date is None:
            return None
        t_start, t_end = target.date, target.date_end or target.date
        a_start = actual.date
        if target.operator in (">", "≥"):
            met = (actual.date_end or a_start) >= t_start if target.operator == "≥" else a_start > t_end
        elif target.operator == "<":
            met = a_start < t_start
        else:
            met = a_start <= t_end
        return Decimal(1) if met else Decimal(0)

    if target.kind in ("quantity", "ratio"):
        if actual.kind not in ("quantity", "ratio"):
            return None
        if target.kind == "quantity" and actual.kind == "quantity":
            nt, na = normalized_quantity(target), normalized_quantity(actual)
            assert nt is not None and na is not None
            t, a = nt[0], na[0]
        else:
            t, a = target.number, actual.number
            if t is None or a is None:
                return None
        op = target.operator
        if target.upper is not None:
            upper = normalized_quantity(replace(target, quantity=target.upper, upper=None))
            high = upper[0] if upper is not None else target.upper
            if t <= a <= high:
                return Decimal(1)
            if a > high:
                return high / a if a else Decimal(0)
            return a / t if t > 0 else Decimal(0)
        money = is_money_ceiling(target, conv)
        met_below = conv.ceiling_money == "met" or (conv.ceiling_money == "reason" and not deviation_reason)
        if money and a <= t and met_below:
            return Decimal(1)
        if op in ("≤", "<") and not money:
            if a <= t:
                return Decimal(1)
            if t <= 0 or a == 0:
                return Decimal(0)
            return t / a
        if t == 0:
            if op in ("≤", "<"):
                return Decimal(1) if a <= 0 else Decimal(0)
            return Decimal(1) if a == 0 else None
        rate = a / t
        return rate if rate >= 0 else Decimal(0)
    return None
