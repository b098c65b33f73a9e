"""Numbers a person typed, bounded before any arithmetic touches them.

``Decimal("1e308")`` parses, but quantizing it to cents raises ``InvalidOperation`` (a 500); a
string of 400 nines or ``int("9" * 5000)`` does the same. Every money, points, percentage or count
input goes through ``decimal_input`` / ``money_input`` / ``int_input``, which answer
``InvalidInput`` (422) naming the field instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from core.errors import InvalidInput

MAX_TEXT = 64  # a number written longer than this is not one a person meant


@dataclass(frozen=True)
class Bounds:
    """What a decimal input may be: its places, its integer digits and its range (inclusive)."""

    places: int
    integer_digits: int
    minimum: Decimal | None = Decimal(0)
    maximum: Decimal | None = None
    above_minimum: bool = False  # True: the minimum itself is refused (a step or a weight of 0)

    def __post_init__(self) -> None:
        # quantizing within these bounds never exceeds the default context's 28 digits
        assert 0 <= self.places and 1 <= self.integer_digits and self.places + self.integer_digits <= 28


CENT = Decimal("0.01")
MONEY = Bounds(places=2, integer_digits=16)  # yuan in Numeric(18, 2) columns
CREDIT_INDEX = Bounds(places=2, integer_digits=3, maximum=Decimal(100))  # a credit index 0..100
POINTS = Bounds(places=4, integer_digits=3, maximum=Decimal(100))  # scores, weights, percentages
INT_DIGITS = 15  # counts, days and minutes are far below this


def _describe(bounds: Bounds) -> str:
    low = "" if bounds.minimum is None else f"{'>' if bounds.above_minimum else '≥'} {bounds.minimum}"
    high = f"≤ {bounds.maximum}" if bounds.maximum is not None else f"< 1e{bounds.integer_digits}"
    return f"{', '.join(p for p in (low, high) if p)}, at most {bounds.places} decimal places"


def decimal_input(value: Any, field: str, bounds: Bounds = MONEY, *, code: str = "bad_number") -> Decimal:
    """``value`` (a Decimal, an int or a decimal string) as an exact Decimal within ``bounds``.

    Refuses floats (money is exact), NaN and infinities, more places than allowed (no silent
    rounding), more integer digits than the column holds and anything outside the range.
    """
    wanted = _describe(bounds)

    def bad(why: str) -> InvalidInput:
        return InvalidInput(f"{field}: {why} (须为数字 {wanted})", code=code)

    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise bad('must be a decimal number written as text, like "1234.50"')
    if isinstance(value, str):
        text = value.strip()
        if len(text) > MAX_TEXT:
            raise bad(f"is longer than {MAX_TEXT} characters")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise bad(f"is not a number: {text[:20]!r}") from None
    elif isinstance(value, int):
        if value.bit_length() > 4 * bounds.integer_digits:  # cheap: no decimal conversion of a huge int
            raise bad("is too large")
        number = Decimal(value)
    else:
        number = value
    if not number.is_finite():
        raise bad("must be a finite number")
    if number.is_zero():
        number = Decimal(0)
    elif number.adjusted() >= bounds.integer_digits:
        raise bad(f"has more than {bounds.integer_digits} integer digits")
    elif number.adjusted() < -bounds.places:
        raise bad(f"has more than {bounds.places} decimal places")
    if number.quantize(Decimal(1).scaleb(-bounds.places)) != number:
        raise bad(f"has more than {bounds.places} decimal places")
    if bounds.minimum is not None and (
        number < bounds.minimum or (bounds.above_minimum and number == bounds.minimum)
    ):
        raise bad("is too small")
    if bounds.maximum is not None and number > bounds.maximum:
        raise bad("is too large")
    # as written ("0.5" stays "0.5"), but "1E+3" is shown as "1000"
    return number.quantize(Decimal(1)) if number.as_tuple().exponent > 0 else number  # type: ignore[operator]


def money_input(value: Any, field: str, *, code: str = "bad_amount") -> Decimal:
    """A non-negative amount in yuan with at most 2 places and 16 integer digits, to the cent."""
    return decimal_input(value, field, MONEY, code=code).quantize(CENT)


def int_input(
    value: Any, field: str, *, minimum: int = 0, maximum: int = 10**INT_DIGITS - 1, code: str = "bad_number"
) -> int:
    """A whole number (an int or its decimal text) in ``minimum..maximum``."""
    if isinstance(value, str) and len(value.strip()) <= MAX_TEXT:
        text = value.strip()
        if text.lstrip("+-").isdigit() and text.isascii():
            value = int(text)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{field}: must be a whole number (须为整数)", code=code)
    if not minimum <= value <= maximum:
        raise InvalidInput(
            f"{field}: must be {minimum}..{maximum} (须在 {minimum} 到 {maximum} 之间)", code=code
        )
    return value


def yuan(value: Decimal | int | float | str | None, places: int = 2) -> str:
    """An amount as a person reads it: thousands separators, ``places`` decimals (``1,234,567.00``);
    nothing reads "—". Pages add the unit from their label (元 / yuan, 万元 / 10k yuan)."""
    if value is None or value == "":
        return "—"
    return f"{Decimal(str(value)):,.{places}f}"
