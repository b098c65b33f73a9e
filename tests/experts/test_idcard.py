"""ID numbers: GB 11643 check digit, plausible birth dates, masking, synthetic demo numbers."""

import random
from datetime import date

import pytest

from core.errors import InvalidInput
from experts.idcard import check_digit, mask_id_number, synthetic_id_number, validate_id_number


def test_a_valid_number_passes_and_is_normalised() -> None:
    first = "22020219800101123"
    number = first + check_digit(first)
    assert validate_id_number(number.lower()) == number


@pytest.mark.parametrize(
    ("number", "fragment"),
    [
        ("2202021980010112", "18位"),
        ("22020219801301123" + "0", "出生日期"),
        ("22020230000101123" + "0", "出生日期"),
        ("22020218800101123" + "0", "出生日期"),
    ],
)
def test_bad_shape_or_date_is_named(number: str, fragment: str) -> None:
    with pytest.raises(InvalidInput, match=fragment):
        validate_id_number(number, today=date(2026, 11, 24))


def test_wrong_check_digit_is_named() -> None:
    first = "22020219800101123"
    wrong = "0" if check_digit(first) != "0" else "1"
    with pytest.raises(InvalidInput, match="校验位"):
        validate_id_number(first + wrong)


def test_masking_keeps_region_and_last_four() -> None:
    assert mask_id_number("220202198001011234") == "220202********1234"


def test_synthetic_numbers_are_valid_and_marked() -> None:
    rng = random.Random(1)
    for _ in range(200):
        number = synthetic_id_number(rng, "220221", date(1975, 5, 17))
        assert validate_id_number(number) == number
        assert 990 <= int(number[14:17]) <= 999
