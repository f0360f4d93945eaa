"""The number helpers: the memo tables behind q2, q2_str and fmt give what the plain computation gives."""

from decimal import ROUND_HALF_UP, Decimal

import pytest

from app.rubric import numbers
from app.rubric.numbers import NumberError, fmt, q2, q2_str


def _plain_fmt(x) -> str:
    s = format(numbers.D(x).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP), "f")
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


@pytest.mark.parametrize("x", [Decimal("1.5"), Decimal("1.50"), Decimal("1.005"), Decimal("-2.675"), 7, -3,
                               Decimal("12345.678"), Decimal("0.004"), Decimal("-0.004")])
def test_memo_agrees_with_the_plain_computation_on_every_call(x):
    plain = numbers.D(x).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    for _ in range(2):  # the second call is served from the memo
        assert q2(x) == plain and str(q2(x)) == str(plain)
        assert q2_str(x) == format(plain, "f")
        assert fmt(x) == _plain_fmt(x)


def test_signed_zero_keeps_its_sign_in_stored_text_but_not_in_explanations():
    assert q2_str(Decimal("0")) == "0.00"
    assert q2_str(Decimal("-0")) == "-0.00"
    assert q2_str(Decimal("0")) == "0.00"
    assert str(q2(Decimal("-0"))) == "-0.00" and str(q2(Decimal("0"))) == "0.00"
    assert fmt(Decimal("-0")) == fmt(Decimal("0")) == "0"


def test_bool_and_non_numbers_still_refused_after_equal_values_were_memoised():
    q2(1), fmt(1), q2_str(1), q2(0), fmt(0)
    for bad in (True, False, None, "abc", Decimal("NaN"), Decimal("sNaN")):
        with pytest.raises(NumberError):
            q2(bad)
        with pytest.raises(NumberError):
            fmt(bad)
        with pytest.raises(NumberError):
            q2_str(bad)


def test_floats_round_as_their_text_not_as_an_equal_memoised_decimal():
    exact = Decimal(1.005)  # 1.00499999…: rounds down
    assert q2(exact) == Decimal("1.00") and fmt(exact) == "1"
    assert q2(1.005) == Decimal("1.01") and fmt(1.005) == "1.01"  # str(1.005) is '1.005'


def test_strings_and_percentages():
    assert q2("1,234.565") == Decimal("1234.57")
    assert fmt("85%") == "85"


def test_memo_tables_stay_bounded(monkeypatch):
    monkeypatch.setattr(numbers, "_MEMO_MAX", 10)
    for i in range(1, 40):
        assert fmt(Decimal(i) / 8) == _plain_fmt(Decimal(i) / 8)
        q2_str(Decimal(i) / 8)
    assert len(numbers._FMT) <= 10 and len(numbers._Q2) <= 10 and len(numbers._Q2S) <= 10
