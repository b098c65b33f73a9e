"""The bounded texts request bodies carry, stated once so the schema says what the services check.

The services strip a text and refuse it when empty or too long (422 ``bad_text``, with the Chinese and
English message for the pages); these aliases put the same bounds in /schema/openapi.json, so msgspec
answers a request that breaks them with 400 before the service runs. ``NOT_WS``: at least one
character that is not white space (a text of spaces is empty once stripped).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

import msgspec

# White space as str.strip() and str.split() see it, spelled out: JSON Schema's \s (ECMAScript) and
# Python's differ (\x1c-\x1f and \x85 are white space only to Python, \ufeff only to ECMAScript), and a
# pattern must mean the same to a client, to schemathesis and to the service.
_WHITE = r"\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
WS = rf"[{_WHITE}]"
NOT_WS = rf"[^{_WHITE}]"
_SOME = NOT_WS

Text2000 = Annotated[
    str,
    msgspec.Meta(min_length=1, max_length=2000, pattern=_SOME, description="1-2000 characters, not blank"),
]
Text4000 = Annotated[
    str,
    msgspec.Meta(min_length=1, max_length=4000, pattern=_SOME, description="1-4000 characters, not blank"),
]
OptionalText4000 = Annotated[str, msgspec.Meta(max_length=4000, description="at most 4000 characters")]
Title200 = Annotated[
    str, msgspec.Meta(min_length=1, max_length=200, pattern=_SOME, description="1-200 characters, not blank")
]


def spaced(shape: str) -> str:
    """A pattern for a text that is ``shape`` once its surrounding white space is stripped: services strip
    before they check, a schema cannot, so the pattern allows the white space around."""
    return rf"^{WS}*{shape}{WS}*$"


def stripped_text(most: int, description: str) -> msgspec.Meta:
    """1..``most`` characters once surrounding white space is stripped: what a service that strips a text
    and then checks its length accepts (the schema cannot strip, so the pattern allows the spaces). Stated
    for the schema only: the service answers its own 422 with its message."""
    pattern = spaced(rf"{NOT_WS}([\s\S]{{0,{most - 2}}}{NOT_WS})?")
    return msgspec.Meta(description=description, extra_json_schema={"pattern": pattern})


# A positive amount of yuan with exactly two places and no leading zeros: 0.01 to 16 integer digits.
# Where zero means nothing (a deposit received, a guarantee's amount) the schema refuses it up front.
PositiveMoneyText = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^(0\.(0[1-9]|[1-9][0-9])|[1-9][0-9]{0,15}\.[0-9]{2})$",
        description='yuan, more than zero, 2 decimal places, no leading zeros ("20000.00"; 大于零的金额)',
        examples=["20000.00"],
    ),
]

# --- signed statements (crypto/signing.py): the texts a signed JSON document carries ----------------
# They stay text as the signer wrote them (a datetime or Decimal would be re-encoded differently and
# break the signature, which is checked over the canonical JSON of exactly what was sent).

StatementSignature = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^[A-Za-z0-9+/]{86}==$",
        description="Ed25519 signature over b'sunbid-statement-v1\\n' + the statement's canonical JSON "
        "(RFC 8785 style): standard base64 of 64 bytes",
    ),
]
StatementKeyId = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^[0-9a-f]{16}$",
        description="the signing key's id: hex of the first 8 bytes of SHA-256 of the raw Ed25519 public key",
    ),
]
StatementTime = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2})$",
        description="ISO 8601 date and time with its UTC offset, e.g. 2026-09-01T00:00:00+08:00",
    ),
]
UtcStatementTime = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?Z$",
        description="ISO 8601 UTC time as statements carry it, e.g. 2026-05-01T08:00:00Z",
    ),
]
StatementText = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=200,
        pattern=r"^\S(.*\S)?$",
        description="1-200 characters, no surrounding spaces",
    ),
]

# --- decimals and keys the services parse themselves (core/numbers.py, crypto/age) ------------------
# The services parse these and answer 422 with their own message; the decoder does not check them, so
# each pattern is stated for the schema only (``extra_json_schema``), and is never looser than the
# parser: a text that matches it is one the parser accepts. What no pattern can state — a ceiling at
# most the budget, a recipient's bech32 checksum — the schema leaves to the service.

MONEY_PATTERN = r"^[0-9]{1,16}(\.[0-9]{1,2})?$"  # core.numbers.MONEY: 16 integer digits, 2 places, ≥ 0
CREDIT_INDEX_PATTERN = r"^(100(\.0{1,2})?|[0-9]{1,2}(\.[0-9]{1,2})?)$"  # core.numbers.CREDIT_INDEX: 0..100
AGE_RECIPIENT_PATTERN = r"^age1[qpzry9x8gf2tvdw0s3jn54khce6mua7l]{58}$"  # bech32 of a 32-byte X25519 key

MoneyDecimal = Annotated[
    Decimal,
    msgspec.Meta(
        description='yuan as a decimal string, at most 16 integer digits and 2 places ("1234.50"); 非负金额',
        extra_json_schema={"pattern": MONEY_PATTERN, "examples": ["1234.50"]},
    ),
]
CreditIndexDecimal = Annotated[
    Decimal,
    msgspec.Meta(
        description="a credit index 0..100, at most 2 places, as text (信用分)",
        extra_json_schema={"pattern": CREDIT_INDEX_PATTERN, "examples": ["60"]},
    ),
]
CreditIndexText = Annotated[
    str,
    msgspec.Meta(
        description="a credit index 0..100, at most 2 places, as text (信用分)",
        extra_json_schema={"pattern": CREDIT_INDEX_PATTERN, "examples": ["60"]},
    ),
]
AgeRecipientText = Annotated[
    str,
    msgspec.Meta(
        description="an age X25519 recipient (age1…, 62 characters)",
        extra_json_schema={"pattern": AGE_RECIPIENT_PATTERN},
    ),
]
