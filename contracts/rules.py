"""The contract's statutory rules, as data with their legal basis (pure: no I/O).

- 《中华人民共和国招标投标法》第四十六条: the tenderer and the winner sign the written contract within
  30 days of the award notice (中标通知书), on the terms of the tender documents and the winning bid.
- 《中华人民共和国招标投标法实施条例》第五十八条: a performance bond (履约保证金) the tender asks for is at
  most 10% of the contract amount.
- 《中华人民共和国招标投标法实施条例》第五十五条: when the first candidate gives up the award, refuses to
  sign or does not sign in time, the tenderer may award to the next candidate in the committee's order,
  or tender again.
- 第七十三条 / 第七十四条: the tenderer that does not sign (T04) and the winner that refuses (B04) are
  sanctioned; credit/catalogue.py holds those rules, raised by this context's events.

Periods in days count as the law counts them (《民法典》第二百零一条、第二百零三条): the day of the award
notice is not counted and the last day ends at 24:00 Beijing time. A training tender's day is shorter,
and then its days are plain durations (``day_seconds``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any, Final

from core.clock import first_moment_after_days
from crypto.signing import canonical_json

DAY_SECONDS = 86_400
ZBTBF = "《中华人民共和国招标投标法》"
TIAOLI = "《中华人民共和国招标投标法实施条例》"
DOCUMENT_TYPE: Final = "sunbid.contract.v1"
SIGNING_PREFIX = b"sunbid-contract-v1\n"


@dataclass(frozen=True)
class Period:
    days: int
    basis: str


@dataclass(frozen=True)
class Share:
    share: Decimal  # of the contract amount
    basis: str


# Both parties sign within this many days of the award notice.
SIGNING = Period(30, f"{ZBTBF}第四十六条")
# The clock's warning turns yellow once this share of the signing period is used (24 of 30 days).
WARNING_SHARE = 0.8
# A performance bond is at most this share of the contract amount.
PERFORMANCE_BOND = Share(Decimal("0.10"), f"{TIAOLI}第五十八条")
# After a refusal or a lapse: the next candidate in order, or a new tender.
NEXT_CANDIDATE = f"{TIAOLI}第五十五条"
# The credit events this context raises (credit/catalogue.py maps them to B04, T04 and B10).
WINNER_REFUSED = "contract.winner_refused"  # B04 拒签合同
TENDERER_REFUSED = "contract.tenderer_refused"  # T04 不订立合同
PERFORMANCE_POOR = "contract.performance_poor"  # B10 履约评价不合格


class Party(StrEnum):
    TENDERER = "tenderer"  # 招标人
    SUPPLIER = "supplier"  # 中标人


class Status(StrEnum):
    PENDING = "pending"  # 待签订: within the 30 days, not both signatures yet
    SIGNED = "signed"  # 已签订: both signatures, being performed
    COMPLETED = "completed"  # 已履约: the final performance evaluation is recorded
    REFUSED = "refused"  # 拒签: a party refused
    LAPSED = "lapsed"  # 逾期未签: the 30 days ran out


class Rating(StrEnum):
    EXCELLENT = "excellent"  # 优秀
    GOOD = "good"  # 良好
    PASS = "pass"  # 合格  # noqa: S105  (a rating, not a password)
    POOR = "poor"  # 不合格: raises B10 against the supplier


class RuleError(Exception):
    """A rule refuses; ``code`` is the API error code and ``detail`` names the rule."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


def signing_due(award_notice_at: datetime, day_seconds: int = DAY_SECONDS) -> datetime:
    """The first moment the contract may no longer be signed: 24:00 Beijing time of the 30th day after
    the day of the award notice (plain 30 short days on a training tender)."""
    if day_seconds != DAY_SECONDS:
        return award_notice_at + timedelta(seconds=SIGNING.days * day_seconds)
    return first_moment_after_days(award_notice_at, SIGNING.days)


def check_signing_time(now: datetime, due: datetime) -> None:
    if now >= due:
        raise RuleError(
            "signing_period_over",
            f"合同应自中标通知书发出之日起{SIGNING.days}日内订立（{SIGNING.basis}），签订期限已过 "
            f"(the contract is signed within {SIGNING.days} days of the award notice; the period is over)",
        )


def check_performance_bond(bond: Decimal | None, amount: Decimal) -> None:
    if bond is None:
        return
    if bond < 0:
        raise RuleError("bad_bond", "履约保证金不能为负数 (the performance bond cannot be negative)")
    limit = (amount * PERFORMANCE_BOND.share).quantize(Decimal("0.01"))
    if bond > limit:
        raise RuleError(
            "bond_too_high",
            f"履约保证金不得超过中标合同金额的10%，即 {limit:,.2f} 元（{PERFORMANCE_BOND.basis}） "
            f"(the performance bond is at most 10% of the contract amount: {limit:,.2f} yuan)",
        )


def document_digest(document: dict[str, Any]) -> str:
    """The SHA-256 (hex) of the contract document's canonical JSON: what both parties sign."""
    return hashlib.sha256(canonical_json(document)).hexdigest()


def signing_message(digest: str) -> bytes:
    """What a party signs with its company's registered Ed25519 key."""
    return SIGNING_PREFIX + digest.encode("ascii")


def faulted_parties(signed: set[Party]) -> list[Party]:
    """Who failed to sign when the period ran out: each party without its signature."""
    return [party for party in Party if party not in signed]


def refusal_event(party: Party) -> str:
    return WINNER_REFUSED if party is Party.SUPPLIER else TENDERER_REFUSED
