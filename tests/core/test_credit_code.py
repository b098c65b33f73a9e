import pytest

from core.credit_code import InvalidCreditCode, check_character, make_credit_code, validate_credit_code

# Published codes: the GB 32100-2015 example, and two well-known companies' codes.
KNOWN_GOOD = ["91350100M000100Y43", "91440300708461136T", "91110108551385082Q"]


@pytest.mark.parametrize("code", KNOWN_GOOD)
def test_known_good_codes_pass(code: str) -> None:
    assert validate_credit_code(code) == code
    assert validate_credit_code(code.lower() + "  ") == code


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        ("91350100M000100Y44", "第18位应为 3"),  # check character off by one
        ("91440300708461136", "应为18位"),  # one character short
        ("91440300708461136TT", "应为18位"),
        ("9144030070846113OT", "不允许的字符 O"),  # letter O is not in the alphabet
        ("9135A100M000100Y43", "行政区划码"),
        ("H1350100M000100Y43", "登记管理部门"),
    ],
)
def test_known_bad_codes_name_the_problem(code: str, fragment: str) -> None:
    with pytest.raises(InvalidCreditCode) as info:
        validate_credit_code(code)
    assert fragment in str(info.value)


def test_every_single_character_change_is_caught() -> None:
    code = KNOWN_GOOD[1]
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    for i in range(8, 17):  # the organisation-code part, where any character is allowed
        for ch in alphabet:
            if ch != code[i]:
                mutated = code[:i] + ch + code[i + 1 :]
                assert check_character(mutated[:17]) != code[17]


def test_make_credit_code_builds_valid_codes() -> None:
    code = make_credit_code("9", "1", "220200", "12345678X")
    assert validate_credit_code(code) == code
