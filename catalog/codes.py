"""Item codes and the closed vocabularies of the catalog (pure; no I/O).

Codes follow the GB/T 39554.1 layout: a two-letter kind code, a five-digit main item, a three-digit
sub-item (000 when the main item has none) and a three-digit handling item (业务办理项, 000 when the
sub-item is handled one way only), e.g. ``XK00101001002``. The kind letters must agree with the
item's kind of power, so a mistyped code is caught at the door.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.errors import InvalidInput

# The ten kinds of power the hall publishes, with their code letters.
KINDS: dict[str, str] = {
    "行政审批": "XK",
    "行政处罚": "CF",
    "行政征收": "ZS",
    "行政给付": "JF",
    "行政奖励": "JL",
    "行政强制": "QZ",
    "行政确认": "QR",
    "行政裁决": "CJ",
    "行政规划": "GH",
    "其他": "QT",
}
KIND_EN = {
    "行政审批": "Licensing",
    "行政处罚": "Penalty",
    "行政征收": "Levy",
    "行政给付": "Benefit",
    "行政奖励": "Award",
    "行政强制": "Enforcement",
    "行政确认": "Confirmation",
    "行政裁决": "Adjudication",
    "行政规划": "Planning",
    "其他": "Other",
}
HANDLING_TYPES = ("即办件", "承诺件", "上报件")
HANDLING_EN = {"即办件": "on the spot", "承诺件": "promised", "上报件": "referred up"}
LEVELS = ("city", "county", "town")
LEVEL_ZH = {"city": "市级", "county": "县级", "town": "乡镇级"}
OBJECTS = ("person", "company")
OBJECT_ZH = {"person": "自然人", "company": "法人"}

_CODE = re.compile(r"^([A-Z]{2})(\d{5})(\d{3})(\d{3})$")


@dataclass(frozen=True)
class ItemCode:
    kind_letters: str
    main: str
    sub: str
    handling: str

    @property
    def basic(self) -> str:
        """The main + sub-item part (基本编码) shared by every handling item of a sub-item."""
        return f"{self.kind_letters}{self.main}{self.sub}"

    def __str__(self) -> str:
        return f"{self.basic}{self.handling}"


def parse_code(code: str) -> ItemCode:
    found = _CODE.match(code.strip().upper())
    if not found:
        raise InvalidInput(
            f"事项编码格式应为2位类型字母+5位主项+3位子项+3位办理项，如 XK00101001002：{code!r} "
            "(item code must look like XK00101001002)",
            code="bad_item_code",
        )
    letters, main, sub, handling = found.groups()
    if letters not in KINDS.values():
        raise InvalidInput(f"未知的事项类型代码 {letters} (unknown kind letters)", code="bad_item_code")
    if main == "00000":
        raise InvalidInput("主项代码不能为00000 (main item code cannot be 00000)", code="bad_item_code")
    return ItemCode(letters, main, sub, handling)


def check_code_matches_kind(code: str, kind: str) -> str:
    """The canonical code, after checking its letters agree with the item's kind of power."""
    parsed = parse_code(code)
    if kind not in KINDS:
        raise InvalidInput(
            f"权力类型须为十类之一：{kind!r} (kind must be one of the ten kinds)", code="bad_kind"
        )
    if KINDS[kind] != parsed.kind_letters:
        raise InvalidInput(
            f"编码类型字母 {parsed.kind_letters} 与权力类型 {kind}（{KINDS[kind]}）不符 "
            "(code letters do not match the kind)",
            code="code_kind_mismatch",
        )
    return str(parsed)
