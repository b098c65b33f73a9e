"""contracts' tables: the contract after an award, its milestones, and what was published of it.
Times are UTC; money is Decimal."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from contracts.rules import Party, Rating, Status
from core.db import Base, StrEnumType, UTCDateTime


class Contract(Base):
    """The contract of one lot's award with one supplier (the winner, or the next candidate after a
    refusal: then a new row, the old one refused or lapsed)."""

    __tablename__ = "contracts_contracts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tender_code: Mapped[str] = mapped_column(String(40), index=True)
    lot_number: Mapped[str] = mapped_column(String(16))
    tenderer_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    candidate_rank: Mapped[int] = mapped_column(Integer)
    amount: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    performance_bond: Mapped[Decimal | None] = mapped_column(Numeric(18, 2), nullable=True)
    terms: Mapped[str] = mapped_column(Text, default="")
    publish_document: Mapped[bool] = mapped_column(Boolean, default=False)
    award_notice_id: Mapped[int] = mapped_column(Integer)
    awarded_at: Mapped[datetime] = mapped_column(UTCDateTime())  # the award (or next-candidate) notice
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())  # first moment it may no longer be signed
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    digest: Mapped[str] = mapped_column(String(64))
    status: Mapped[Status] = mapped_column(StrEnumType(Status, 16), index=True)
    tenderer_signature: Mapped[str | None] = mapped_column(String(100), nullable=True)
    tenderer_key: Mapped[str | None] = mapped_column(String(128), nullable=True)
    tenderer_signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    supplier_signature: Mapped[str | None] = mapped_column(String(100), nullable=True)
    supplier_key: Mapped[str | None] = mapped_column(String(128), nullable=True)
    supplier_signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    refused_by: Mapped[Party | None] = mapped_column(StrEnumType(Party, 16), nullable=True)
    refusal_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)  # refused or lapsed
    next_step: Mapped[str | None] = mapped_column(String(16), nullable=True)  # next_candidate | retender
    rating: Mapped[Rating | None] = mapped_column(StrEnumType(Rating, 16), nullable=True)
    rating_comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Milestone(Base):
    """A performance milestone (履约节点) the tenderer records; met once ``met_on`` is set."""

    __tablename__ = "contracts_milestones"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts_contracts.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    due_on: Mapped[date] = mapped_column(Date)
    met_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Publication(Base):
    """What was made public of a contract at one moment (signing, a milestone, the evaluation): an
    immutable snapshot, one OCDS release each."""

    __tablename__ = "contracts_publications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts_contracts.id"), index=True)
    tender_code: Mapped[str] = mapped_column(String(40), index=True)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime())
    facts: Mapped[dict[str, Any]] = mapped_column(JSON)
