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

__all__ = ["D", "ZERO", "ONE", "HUNDRED", "q2", "fmt", "fmt_pct", "fmt_plain", "NumberError"]

ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)
_CENT = Decimal("0.01")


class NumberError(ValueError):
    """A value that is not a number. ``str(err)`` is a Chinese message."""


def D(x: object) -> Decimal:
    """Convert ``x`` (Decimal, int, float, numeric string, '85%' style string) to Decimal.

    Floats go through ``str`` so 0.1 stays 0.1. A trailing ``%`` is kept as the plain number
    (``'85%'`` → 85): rules that take percentages say so in their field's unit.
    Raises :class:`NumberError` (Chinese message) for anything else, including bool and None.
    """
    if isinstance(x, Decimal):
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


def q2(x: object) -> Decimal:
    """Round half-up to 0.01. The only rounding function used for scores."""
    return D(x).quantize(_CENT, rounding=ROUND_HALF_UP)


def fmt(x: object) -> str:
    """A number for an explanation: at most 2 decimals (half-up), no trailing zeros ('1.5', '2')."""
    d = q2(x)
    s = format(d, "f")
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def fmt_pct(fraction: object) -> str:
    """A fraction (0.853) as a percentage string for explanations ('85.3%')."""
    return f"{fmt(D(fraction) * HUNDRED)}%"


def fmt_plain(v: Decimal) -> str:
    """A decimal as typed, not rounded: no exponent, no trailing zeros ('1500', '0.125')."""
    s = format(v.normalize(), "f")
    return s if "." not in s else s.rstrip("0").rstrip(".") or "0"
