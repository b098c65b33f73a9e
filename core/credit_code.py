"""Unified social credit codes (统一社会信用代码, GB 32100-2015): structure and check character."""

from __future__ import annotations

import re
from typing import Annotated

import msgspec

# 31 characters: digits and upper-case letters without I, O, S, V, Z.
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
# What a request may carry where a credit code is expected: 18 characters of the alphabet, in either
# case (validate_credit_code upper-cases). The schema states this much; the authority, region digits
# and check character are checked by validate_credit_code, answering 422 ``bad_credit_code``.
CREDIT_CODE_PATTERN = f"^[{ALPHABET}{ALPHABET[10:].lower()}]{{18}}$"
CreditCodeText = Annotated[
    str,
    msgspec.Meta(
        min_length=18,
        max_length=18,
        pattern=CREDIT_CODE_PATTERN,
        description="unified social credit code (统一社会信用代码, GB 32100-2015): 18 characters, "
        "digits and letters without I, O, S, V, Z; the 18th is a check character",
        examples=["91220201MA0Y3B5X2R"],
    ),
]
# In a signed statement the code is compared as written with the registered (upper-case) one, so there
# it is upper-case only.
CreditCodeUpper = Annotated[
    str,
    msgspec.Meta(
        min_length=18,
        max_length=18,
        pattern=f"^[{ALPHABET}]{{18}}$",
        description="unified social credit code (统一社会信用代码) in upper case: 18 digits and letters "
        "without I, O, S, V, Z; the 18th is a check character",
        examples=["91220201MA0Y3B5X2R"],
    ),
]
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
_REGION = re.compile(r"^\d{6}$")
# Registration authorities (first character) named in GB 32100-2015 Table 1.
AUTHORITIES = set("123456789ABCDEFGNY")


class InvalidCreditCode(ValueError):
    """The message names exactly what is wrong, for the user to fix."""


def check_character(first17: str) -> str:
    total = sum(_VALUE[ch] * weight for ch, weight in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def validate_credit_code(raw: str) -> str:
    """Return the normalised code or raise InvalidCreditCode with a message naming the problem."""
    code = raw.strip().upper()
    if len(code) != 18:
        raise InvalidCreditCode(
            f"统一社会信用代码应为18位，实际为{len(code)}位 (a credit code has 18 characters)"
        )
    bad = sorted({ch for ch in code if ch not in _VALUE})
    if bad:
        raise InvalidCreditCode(
            f"统一社会信用代码含有不允许的字符 {''.join(bad)} (I, O, S, V, Z and symbols are not allowed)"
        )
    if code[0] not in AUTHORITIES:
        raise InvalidCreditCode(f"第1位登记管理部门代码 {code[0]} 无效 (unknown registration authority)")
    if not _REGION.match(code[2:8]):
        raise InvalidCreditCode(f"第3-8位行政区划码 {code[2:8]} 应为6位数字 (region code must be six digits)")
    expected = check_character(code[:17])
    if code[17] != expected:
        raise InvalidCreditCode(
            f"统一社会信用代码校验位错误：第18位应为 {expected}，实际为 {code[17]} (check character mismatch)"
        )
    return code


def make_credit_code(authority: str, category: str, region: str, organisation_code: str) -> str:
    """Build a valid code from its parts (demo data and tests)."""
    first17 = f"{authority}{category}{region}{organisation_code}".upper()
    if len(first17) != 17:
        raise ValueError(
            "authority(1) + category(1) + region(6) + organisation code(9) must be 17 characters"
        )
    return first17 + check_character(first17)
