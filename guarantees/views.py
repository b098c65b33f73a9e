"""The shapes guarantees returns (one definition for the service, the API and the pages)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import msgspec

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
