"""Who the credit index is about: companies by unified social credit code, experts by registry code."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

import msgspec

from core.errors import InvalidInput
from core.organisations import checked_credit_code
from core.texts import spaced


class SubjectKind(StrEnum):
    BIDDER = "bidder"
    AGENT = "agent"
    TENDERER = "tenderer"
    EXPERT = "expert"


COMPANY_KINDS = frozenset({SubjectKind.BIDDER, SubjectKind.AGENT, SubjectKind.TENDERER})
KIND_ZH = {
    SubjectKind.BIDDER: "投标人",
    SubjectKind.AGENT: "招标代理机构",
    SubjectKind.TENDERER: "招标人",
    SubjectKind.EXPERT: "评标专家",
}
# Expert registry codes belong to experts/ and are opaque here; only a safe, bounded shape is required.
_EXPERT_KEY_SHAPE = r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}"
_EXPERT_KEY = re.compile(rf"^{_EXPERT_KEY_SHAPE}$")
# The same as a request may spell it (normalise_key strips surrounding white space first).
ExpertKeyText = Annotated[
    str,
    msgspec.Meta(
        description="the expert's registry code: 1-32 letters, digits, '.', '_' or '-'",
        # stated for the schema only: normalise_key answers its own 422 ``bad_expert_key``
        extra_json_schema={"pattern": spaced(_EXPERT_KEY_SHAPE)},
    ),
]


@dataclass(frozen=True)
class Standing:
    """A subject's credit on one day.

    ``index`` is a Decimal with two places (0.00 to 100.00). Points are kept with one decimal place,
    so the second place is always 0; two places keep the type stable if rules ever need finer points.
    """

    kind: str
    key: str
    index: Decimal
    grade: str
    barred: bool


def parse_kind(kind: SubjectKind | str) -> SubjectKind:
    try:
        return SubjectKind(kind)
    except ValueError as exc:
        raise InvalidInput(
            f"未知的信用主体类型 {kind!r} (unknown subject kind; one of bidder, agent, tenderer, expert)",
            code="bad_subject_kind",
        ) from exc


def normalise_key(kind: SubjectKind | str, key: str) -> str:
    """The canonical key: a checked credit code for companies, a bounded code for experts."""
    if parse_kind(kind) in COMPANY_KINDS:
        return checked_credit_code(key)
    key = key.strip()
    if not _EXPERT_KEY.match(key):
        raise InvalidInput(
            f"专家编号格式无效 {key!r} (expert code: 1-32 letters, digits, '.', '_' or '-')",
            code="bad_expert_key",
        )
    return key
