"""guarantees' tables: electronic bid guarantees, cash deposits, claims. Money Numeric(18, 2); UTC times."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime


class Guarantee(Base):
    """An electronic guarantee (电子保函/保证保险) a guarantor issued for one bidder's bid on one lot, or
    for the contract that bidder won on it (a performance guarantee, ``purpose``).

    ``document`` is the signed statement exactly as received (canonical JSON); a copy is in the blob
    store under ``document_key``. Its SHA-256 is unique: one signed document registers once."""

    __tablename__ = "guarantees"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    guarantor_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    # what it secures: a bid (bid guarantee, Art. 26) or the contract (performance guarantee, Art. 58;
    # then ``bidder_id`` is the supplier and tender/lot name the contract's award)
    purpose: Mapped[str] = mapped_column(String(16), default="bid", server_default="bid")
    tender_code: Mapped[str] = mapped_column(String(40), index=True)
    lot_number: Mapped[str] = mapped_column(String(16))
    bidder_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime())
    signing_key: Mapped[str] = mapped_column(String(64))  # the guarantor's key when it issued
    document: Mapped[str] = mapped_column(Text)
    document_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    document_key: Mapped[str] = mapped_column(String(512))
    status: Mapped[str] = mapped_column(String(16))  # valid | claimed | paid
    seal_salt: Mapped[str] = mapped_column(String(32))  # hex; reveals the audit entry's sealed tender/bidder
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    issued_by: Mapped[int] = mapped_column(ForeignKey("users.id"))


class Deposit(Base):
    """A cash bid deposit (投标保证金) received for one bidder and lot; the refund is an obligation."""

    __tablename__ = "guarantees_deposits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tender_code: Mapped[str] = mapped_column(String(40), index=True)
    lot_number: Mapped[str] = mapped_column(String(16))
    bidder_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    payer_account: Mapped[str] = mapped_column(String(64))  # supervisors only
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    recorded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(16))  # held | refund_due | refunded | forfeited
    seal_salt: Mapped[str] = mapped_column(String(32))  # hex; reveals the audit entry's sealed bidder
    contract_signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    refund_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    refunded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    interest: Mapped[Decimal | None] = mapped_column(Numeric(18, 2), nullable=True)
    forfeited_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # the procedure ended without a contract (failed, terminated, tendered again): refund due (Art. 31)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Claim(Base):
    """The tenderer's claim on a guarantee (索赔) and the guarantor's answer; pending while unanswered."""

    __tablename__ = "guarantees_claims"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guarantee_id: Mapped[int] = mapped_column(ForeignKey("guarantees.id"), index=True)
    reason: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(Text)
    amount: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    filed_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    accepted: Mapped[bool | None] = mapped_column(nullable=True)
    answer: Mapped[str | None] = mapped_column(Text, nullable=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
