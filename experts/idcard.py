"""Resident ID numbers (居民身份证号码, GB 11643-1999): check digit, plausible birth date, masking."""

from __future__ import annotations

import random
import re
from datetime import date
from typing import Annotated

from msgspec import Meta

from core.errors import InvalidInput

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK = "10X98765432"
_SHAPE = re.compile(r"^\d{17}[\dX]$")
# What a request may carry (validate_id_number upper-cases an x); the birth date and the check digit
# are checked by validate_id_number, answering 422 ``bad_id_number``.
ID_NUMBER_PATTERN = r"^\d{17}[\dXx]$"
IdNumberText = Annotated[
    str,
    Meta(
        pattern=ID_NUMBER_PATTERN,
        description="the 18-character resident ID number (公民身份号码, GB 11643-1999): 17 digits, then "
        "a check digit or X; the birth date (digits 7-14) must be a real past date",
        examples=["220202198001019901"],
    ),
]
PHONE_PATTERN = r"^1\d{10}$"
PhoneText = Annotated[
    str,
    Meta(
        pattern=PHONE_PATTERN,
        description="an 11-digit mobile number starting with 1",
        examples=["13800000000"],
    ),
]
REGION_PATTERN = r"^\d{6}$"
RegionCodeText = Annotated[
    str, Meta(pattern=REGION_PATTERN, description="a GB/T 2260 region code (6 digits)")
]
# Generated demo numbers use order codes 990-999, so anyone can tell them from real ones.
SYNTHETIC_ORDER = range(990, 1000)


def check_digit(first17: str) -> str:
    return CHECK[sum(int(c) * w for c, w in zip(first17, WEIGHTS, strict=True)) % 11]


def validate_id_number(raw: str, *, today: date | None = None) -> str:
    """The normalised number, or InvalidInput naming what is wrong."""
    number = raw.strip().upper()
    if not _SHAPE.match(number):
        raise InvalidInput(
            "身份证号应为18位：17位数字加1位数字或X (ID number: 17 digits then a digit or X)",
            code="bad_id_number",
        )
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        born = None
    today = today or date.today()
    if born is None or born.year < 1900 or born > today:
        raise InvalidInput(
            f"身份证号出生日期 {number[6:14]} 无效 (birth date is not a plausible date)", code="bad_id_number"
        )
    if number[17] != check_digit(number[:17]):
        raise InvalidInput(
            f"身份证号校验位错误：应为 {check_digit(number[:17])} (check digit mismatch)",
            code="bad_id_number",
        )
    return number


def mask_id_number(number: str) -> str:
    return number[:6] + "*" * 8 + number[-4:] if len(number) == 18 else "*" * len(number)


def mask_phone(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 11 else "****"


def synthetic_id_number(rng: random.Random, region: str, born: date) -> str:
    first17 = f"{region}{born:%Y%m%d}{rng.choice(SYNTHETIC_ORDER):03d}"
    return first17 + check_digit(first17)
