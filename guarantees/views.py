"""The shapes guarantees returns (one definition for the service, the API and the pages)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

import msgspec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bidding.service import LotNumber, TenderCode
from core.credit_code import CreditCodeUpper
from core.texts import PositiveMoneyText, StatementKeyId, StatementSignature, StatementText, StatementTime
from crypto.signing import sign_statement

# --- the signed documents a guarantor posts -------------------------------------------------------
# One definition for the API's schema, the service and whoever builds a document (the demo, tests, a
# guarantor's own tools). Every field is text exactly as signed: the signature is checked over the
# canonical JSON of what was sent, so nothing here is re-encoded, defaulted or added.

GuaranteeKind = Literal["guarantee_letter", "guarantee_insurance", "guarantor_letter"]


class _GuaranteeFields(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    guarantor: CreditCodeUpper  # the issuing guarantor's own code (it must be the caller's)
    kind: GuaranteeKind  # 银行保函, 保证保险, 担保公司保函
    tender: TenderCode
    lot: LotNumber
    bidder: CreditCodeUpper  # the registered bidder (performance: the contract's supplier)
    amount: PositiveMoneyText
    valid_until: StatementTime
    reference: StatementText  # the guarantor's own reference


class GuaranteeStatement(_GuaranteeFields, kw_only=True, forbid_unknown_fields=True):
    """A bid guarantee (投标保函): ``amount`` at most 2% of the lot's estimated price and ``valid_until``
    at least the end of the bid validity period (《招标投标法实施条例》第二十六条)."""

    type: Literal["sunbid.bid-guarantee.v1"]  # guarantees.rules.GUARANTEE_TYPE


class PerformanceStatement(_GuaranteeFields, kw_only=True, forbid_unknown_fields=True):
    """A performance guarantee (履约保函): ``amount`` at most 10% of the contract amount and at least the
    bond the contract asks, ``valid_until`` covering the last milestone (第五十八条)."""

    type: Literal["sunbid.performance-guarantee.v1"]  # guarantees.rules.PERFORMANCE_TYPE


class SignedGuarantee(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A bid guarantee signed with the guarantor's registered Ed25519 key, as
    ``crypto.signing.sign_statement`` writes it."""

    statement: GuaranteeStatement
    signature: StatementSignature
    key_id: StatementKeyId


class SignedPerformanceGuarantee(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A performance guarantee signed with the guarantor's registered Ed25519 key."""

    statement: PerformanceStatement
    signature: StatementSignature
    key_id: StatementKeyId


# --- shapes ---------------------------------------------------------------------------------------


class GuaranteeOut(msgspec.Struct, kw_only=True):
    """A guarantee as its guarantor, the bidder it secures, the tender's owners and supervisors see it."""

    number: str
    guarantor: str
    kind: str
    purpose: str  # bid | performance
    tender: str
    lot: str
    bidder: str
    bidder_code: str
    amount: Decimal
    valid_until: datetime
    status: str
    issued_at: datetime
    document_sha256: str


class GuaranteePublic(msgspec.Struct, kw_only=True):
    """The public verification of a number: before the lot's opening record is published only that it
    exists (who bid, and how, is secret); after it its status, issuer, amount, validity and whom it
    secures. ``opened`` says which (its guarantor, its bidder and supervisors always see everything)."""

    number: str
    status: str | None
    opened: bool
    guarantor: str | None = None
    kind: str | None = None
    amount: Decimal | None = None
    valid_until: datetime | None = None
    tender: str | None = None
    lot: str | None = None
    bidder: str | None = None


class DepositOut(msgspec.Struct, kw_only=True):
    id: int
    tender: str
    lot: str
    bidder: str
    amount: Decimal
    received_at: datetime
    status: str
    refund_due_at: datetime | None
    refunded_at: datetime | None
    interest: Decimal | None
    warning: str | None  # while a refund is due: green, yellow as the due date nears, red when late
    basis: str | None  # the article behind the refund or the forfeit
    payer_account: str | None = None  # supervisors only


class ClaimOut(msgspec.Struct, kw_only=True):
    id: int
    guarantee: str
    reason: str
    basis: str
    detail: str
    amount: Decimal
    filed_at: datetime
    accepted: bool | None
    answer: str | None
    answered_at: datetime | None
    pending: bool


class BondStatistics(msgspec.Struct, kw_only=True):
    """How bids were secured (point 7 of issue 19): guarantees vs cash, and the money not tied up."""

    guarantees: int
    deposits: int
    guarantee_share: Decimal | None  # of the secured bids, as a fraction (0.7585); None when none
    guaranteed_amount: Decimal  # bond money secured by guarantees: not tied up as cash deposits
    deposits_held: Decimal  # cash still held (not refunded nor forfeited)


class TenderBonds(msgspec.Struct, kw_only=True):
    """One tender's bids by how they were secured (for publication's statistics)."""

    guarantees: int
    deposits: int
    guaranteed_amount: Decimal


def sign_guarantee(statement: GuaranteeStatement, key: Ed25519PrivateKey) -> SignedGuarantee:
    """A guarantor's tool: the statement signed as ``crypto.signing.sign_statement`` signs it."""
    signed = sign_statement(msgspec.to_builtins(statement), key)
    return SignedGuarantee(statement=statement, signature=signed.signature, key_id=signed.key_id)


def sign_performance_guarantee(
    statement: PerformanceStatement, key: Ed25519PrivateKey
) -> SignedPerformanceGuarantee:
    """A guarantor's tool: the performance statement signed as ``sign_statement`` signs it."""
    signed = sign_statement(msgspec.to_builtins(statement), key)
    return SignedPerformanceGuarantee(statement=statement, signature=signed.signature, key_id=signed.key_id)
