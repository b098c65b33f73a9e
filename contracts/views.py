"""The shapes contracts' API, pages and CLI share (msgspec Structs: one definition each)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

import msgspec

from contracts.rules import Party, Rating, Status
from core.texts import MoneyDecimal, OptionalText4000, Text4000, Title200

Ed25519Signature = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^[A-Za-z0-9+/]{86}==$",
        description="an Ed25519 signature (64 bytes) in standard base64 (RFC 4648 §4): 88 characters",
    ),
]


class SignContract(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A party's Ed25519 signature (standard base64) over ``b"sunbid-contract-v1\\n" + digest`` with its
    company's registered key."""

    signature: Ed25519Signature


class RefuseContract(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    reason: Text4000


class Draft(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The owner's terms before anyone signs; the amount is the award's and cannot change (Art. 46)."""

    terms: OptionalText4000 = ""
    performance_bond: MoneyDecimal | None = None  # yuan, ≤ 10% of the amount (Art. 58)
    publish_document: bool = False  # publish the document with the contract (where the tender says so)


class MilestoneIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    title: Title200
    due_on: date
    description: OptionalText4000 = ""


class PerformanceIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The final performance evaluation of the supplier (poor raises B10 against it)."""

    rating: Rating
    comment: OptionalText4000 = ""  # required (not blank) when the rating is poor


class MilestoneOut(msgspec.Struct, kw_only=True):
    id: int
    title: str
    description: str
    due_on: date
    met_on: date | None
    status: str  # scheduled | met | late (past due, not met)


class ContractOut(msgspec.Struct, kw_only=True):
    """A contract as its parties, the tender's owners and supervisors see it."""

    id: int
    tender: str
    tender_title: str
    lot: str
    buyer: str
    buyer_code: str
    supplier: str
    supplier_code: str
    candidate_rank: int
    amount: Decimal
    performance_bond: Decimal | None
    bond_limit: Decimal
    terms: str
    publish_document: bool
    awarded_at: datetime
    due_at: datetime
    basis: str
    digest: str
    message: str  # what a party signs, base64 of signing_message(digest)
    status: Status
    warning: str | None  # while pending: green, yellow as the limit nears, red past it
    tenderer_signed_at: datetime | None
    supplier_signed_at: datetime | None
    signed_at: datetime | None
    refused_by: Party | None
    refusal_reason: str | None
    next_step: str | None
    milestones: list[MilestoneOut]
    rating: Rating | None
    rating_comment: str | None
    my_party: Party | None  # the caller's side, if it signs for one
    may_manage: bool  # the tender's owner: terms, milestones, evaluation, next candidate


# The signed document keeps money and time as the text that was hashed (a Decimal or datetime would
# be re-encoded differently and no longer match the digest).
YuanText = Annotated[str, msgspec.Meta(pattern=r"^[0-9]{1,16}\.[0-9]{2}$", description="yuan, 2 places")]
UTC_TEXT = msgspec.Meta(description="ISO 8601 in UTC", examples=["2026-12-01T02:00:00+00:00"])


class DocumentTender(msgspec.Struct, kw_only=True):
    code: str
    title: str
    lot: str


class DocumentParty(msgspec.Struct, kw_only=True):
    name: str
    credit_code: str


class ContractDocument(msgspec.Struct, kw_only=True):
    """The contract document both parties sign: ``digest`` is the SHA-256 of its canonical JSON
    (contracts/rules.py ``document_digest``); contracts/common.py ``document_of`` writes it."""

    type: Literal["sunbid.contract.v1"]
    tender: DocumentTender
    buyer: DocumentParty
    supplier: DocumentParty
    candidate_rank: int
    amount: YuanText
    currency: Literal["CNY"]
    performance_bond: YuanText | None
    award_notice: Annotated[int, msgspec.Meta(description="the award notice's id")]
    awarded_at: Annotated[str, UTC_TEXT]
    terms: str


class PublicContract(msgspec.Struct, kw_only=True):
    """A signed contract as the public sees it (amount, parties, dates; the document if published)."""

    id: int
    tender: str
    tender_title: str
    lot: str
    buyer: str
    buyer_code: str
    supplier: str
    supplier_code: str
    amount: Decimal
    performance_bond: Decimal | None
    awarded_at: datetime
    signed_at: datetime
    status: Status
    digest: str
    milestones: list[MilestoneOut]
    rating: Rating | None
    document: ContractDocument | None


class SigningTime(msgspec.Struct, kw_only=True):
    """Award → both signatures, for the statistics."""

    tender: str
    lot: str
    awarded_at: datetime
    signed_at: datetime
    days: float
