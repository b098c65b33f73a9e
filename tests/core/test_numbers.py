"""Bounded numeric input: at the column's boundary, and the inputs that used to raise InvalidOperation."""

from decimal import Decimal

import pytest

from core.errors import InvalidInput
from core.numbers import POINTS, decimal_input, int_input, money_input


def test_money_holds_exactly_what_numeric_18_2_holds() -> None:
    assert money_input("9999999999999999.99", "budget") == Decimal("9999999999999999.99")
    assert money_input(" 12,0".replace(",", ""), "budget") == Decimal("120.00")
    assert str(money_input("1E+3", "budget")) == "1000.00"
    assert str(money_input("-0", "budget")) == "0.00"
    for bad in ("10000000000000000", "10000000000000000.00", "1e308", "9" * 400, "1e-999999999", "0.001",
                "-0.01", "NaN", "sNaN", "-Infinity", "0x10", "", 1.5, True, None, 10**400):  # fmt: skip
        with pytest.raises(InvalidInput) as refused:
            money_input(bad, "budget")
        assert refused.value.detail.startswith("budget:") and refused.value.code == "bad_amount"


def test_points_keep_how_they_were_written_within_0_to_100() -> None:
    assert str(decimal_input("0.5", "step", POINTS)) == "0.5"
    assert decimal_input(100, "max_points", POINTS) == 100
    for bad in ("100.0001", "0.00001", "1e400"):
        with pytest.raises(InvalidInput, match="max_points"):
            decimal_input(bad, "max_points", POINTS)


def test_whole_numbers_in_range_from_ints_or_text() -> None:
    assert int_input("42", "days", maximum=100) == 42 and int_input(0, "days") == 0
    for bad in ("9" * 5000, 10**30, "4.5", "NaN", -1, "", True, "٤"):
        with pytest.raises(InvalidInput, match="days"):
            int_input(bad, "days")
