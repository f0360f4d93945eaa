"""Decimal helpers and THE rounding point of the rubric engine.

Rounding policy (the one documented place where scores are rounded):

* Every rule computes with exact ``Decimal`` arithmetic and rounds its indicator score once, at
  the end, with :func:`q2` (ROUND_HALF_UP to 0.01).
* Group subtotals are sums of rounded child scores (sums of two-decimal numbers are exact, no
  further rounding).
* Normalisation of a reduced sub-type maximum is rounded once: ``q2(raw × full ÷ reduced)``.
* Democratic rating: ``q2(weighted mean ÷ 100 × component points)``, rounded once.
* Leader evaluation: principal part ``q2(mean ÷ rating_max × 20)`` and deputy part
  ``q2(mean ÷ rating_max × 10)`` are each rounded once; the component is their sum.
* Component and unit totals are sums of rounded parts.
* Exception, kept on purpose: the five self-evaluation rule types (按照完成比例赋分, 直接赋分,
  按评判等级赋分, 满意度赋分, 预算执行率) delegate to ``selfeval``, which rounds the points LOST
  half-up (score = weight − q2(points lost)); that is what reproduces the published tables.

Intermediate values shown in explanations (rates, averages, ratios) are formatted with
:func:`fmt` for reading only; they never feed back into a score after formatting. Typed values
(what a unit or a scorer entered) are shown unrounded with :func:`fmt_plain`.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

__all__ = ["D", "ZERO", "ONE", "HUNDRED", "q2", "q2_str", "fmt", "fmt_pct", "fmt_plain", "NumberError"]

ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)
_CENT = Decimal("0.01")

# Memo tables of q2, q2_str and fmt for Decimal and int arguments (a cycle computes the same few
# hundred values hundreds of thousands of times). They hold only results that depend on nothing but
# the argument's value: equal Decimals (1.5, 1.50) round to the same Decimal and the same text;
# zero is left out of q2 and q2_str, whose results keep its sign (-0.00; fmt gives "0"), and bool is never a key
# (``type(x) is int`` excludes it). Each table is emptied when it grows past _MEMO_MAX entries.
_MEMO_MAX = 50_000
_Q2: dict = {}
_Q2S: dict = {}
_FMT: dict = {}


class NumberError(ValueError):
    """A value that is not a number. ``str(err)`` is a Chinese message."""


def D(x: object) -> Decimal:
    """Convert ``x`` (Decimal, int, float, numeric string, '85%' style string) to Decimal.

    Floats go through ``str`` so 0.1 stays 0.1. A trailing ``%`` is kept as the plain number
    (``'85%'`` → 85): rules that take percentages say so in their field's unit.
    Raises :class:`NumberError` (Chinese message) for anything else, including bool and None.
    """
    t = type(x)
    if t is int:  # the common cases first (bool is not int here)
        return Decimal(x)
    if t is Decimal or isinstance(x, Decimal):
        if not x.is_finite():
            raise NumberError(f"「{x}」不是有效数字")
        return x
    if isinstance(x, bool) or x is None:
        raise NumberError(f"「{x}」不是数字")
    if isinstance(x, int):
        return Decimal(x)
    if isinstance(x, float):
        d = Decimal(str(x))
    elif isinstance(x, str):
        s = x.strip().replace(",", "").replace("，", "")
        if s.endswith(("%", "％")):
            s = s[:-1].strip()
        try:
            d = Decimal(s)
        except InvalidOperation:
            raise NumberError(f"「{x}」不是数字") from None
    else:
        raise NumberError(f"「{x}」不是数字")
    if not d.is_finite():
        raise NumberError(f"「{x}」不是有效数字")
    return d


_Q2_ZERO = (Decimal("0.00"), Decimal("-0.00"))  # q2 of a zero, by its sign


def _memo_key(x: object, zero: bool = False) -> bool:
    """True when ``x`` may key the memo tables: a finite Decimal or an int, non-zero unless ``zero``."""
    t = type(x)
    if t is Decimal:
        return x.is_finite() and (zero or not x.is_zero())
    return t is int and (zero or x != 0)


def _keep(memo: dict, x: object, value, zero: bool = False):
    """Remember ``value`` for ``x`` in ``memo`` where ``x`` may be remembered; return it."""
    if _memo_key(x, zero):
        if len(memo) >= _MEMO_MAX:
            memo.clear()
        memo[x] = value
    return value


def q2(x: object) -> Decimal:
    """Round half-up to 0.01. The only rounding function used for scores."""
    t = type(x)
    if t is Decimal or t is int:  # never float (1.005 equals an exact Decimal that rounds down) nor bool
        try:
            return _Q2[x]
        except (KeyError, TypeError):  # TypeError: a signalling NaN
            pass
        if not x and (t is int or x.is_finite()):  # a zero: its sign stays (-0 → -0.00)
            return _Q2_ZERO[t is Decimal and x.is_signed()]
    return _keep(_Q2, x, D(x).quantize(_CENT, rounding=ROUND_HALF_UP))


def q2_str(x: object) -> str:
    """``q2(x)`` as fixed-point text with two decimals ('1.50', '-0.00'): how scores are stored."""
    t = type(x)
    if t is Decimal or t is int:  # never float (1.005 equals an exact Decimal that rounds down) nor bool
        try:
            return _Q2S[x]
        except (KeyError, TypeError):  # TypeError: a signalling NaN
            pass
        if not x and (t is int or x.is_finite()):
            return "-0.00" if t is Decimal and x.is_signed() else "0.00"
    return _keep(_Q2S, x, format(q2(x), "f"))


def fmt(x: object) -> str:
    """A number for an explanation: at most 2 decimals (half-up), no trailing zeros ('1.5', '2')."""
    t = type(x)
    if t is Decimal or t is int:  # never float (1.005 equals an exact Decimal that rounds down) nor bool
        try:
            return _FMT[x]
        except (KeyError, TypeError):  # TypeError: a signalling NaN
            pass
    s = format(q2(x), "f")
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return _keep(_FMT, x, "0" if s in ("-0", "") else s, zero=True)  # zero is "0" whatever its sign


def fmt_pct(fraction: object) -> str:
    """A fraction (0.853) as a percentage string for explanations ('85.3%')."""
    return f"{fmt(D(fraction) * HUNDRED)}%"


def fmt_plain(v: Decimal) -> str:
    """A decimal as typed, not rounded: no exponent, no trailing zeros ('1500', '0.125')."""
    s = format(v.normalize(), "f")
    return s if "." not in s else s.rstrip("0").rstrip(".") or "0"
