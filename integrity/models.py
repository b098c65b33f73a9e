"""integrity's tables: what a supervisor decided about a flag; the flags computed for each lot at its
opening and again once its evaluation report is signed (so lists never recompute every lot); and the
market table, one row per opened bid, that the market-level indicators read in one query."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, StrEnumType, UTCDateTime


class Decision(StrEnum):
    DISMISSED = "dismissed"  # checked and found innocent, with the reason
    REFERRED = "referred"  # referred for investigation: B01 deductions recorded for the bidders concerned


class FlagDecision(Base):
    """One decision per flag (tender, lot, rule, group): a flag is decided once, and the record stays.

    ``group_key`` is the flag's group (``service.RaisedFlag.group``): one rule may raise several groups in
    a lot (two different shared files under E4), each decided on its own. "" for the price rules, and on
    decisions taken before integrity_0003, which cover every group of their rule."""

    __tablename__ = "integrity_flag_decisions"
    __table_args__ = (
        UniqueConstraint(
            "tender_code", "lot_number", "rule_code", "group_key", name="uq_integrity_flag_decisions_group"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tender_code: Mapped[str] = mapped_column(String(40), index=True)
    lot_number: Mapped[str] = mapped_column(String(16))
    rule_code: Mapped[str] = mapped_column(String(8))
    group_key: Mapped[str] = mapped_column(String(32), default="", server_default="")
    decision: Mapped[Decision] = mapped_column(StrEnumType(Decision, 16))
    reason: Mapped[str] = mapped_column(Text)
    decided_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Stage(StrEnum):
    OPENING = "opening"  # computed when the opening record is published (prices, managers)
    EVALUATION = "evaluation"  # computed again once the evaluation report is signed (the covers, P4)


class LotFlags(Base):
    """The flags of one lot computed at one stage: ``flags`` holds each raised flag (rule code, the
    bidders' names and codes, the figures, the measure); ``source_position`` is the audit entry
    (opening closed / report signed) that triggered the computation, so the job resumes after it."""

    __tablename__ = "integrity_lot_flags"
    __table_args__ = (
        UniqueConstraint("tender_code", "lot_number", "stage", name="uq_integrity_lot_flags_stage"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tender_code: Mapped[str] = mapped_column(String(40), index=True)
    lot_number: Mapped[str] = mapped_column(String(16))
    stage: Mapped[Stage] = mapped_column(StrEnumType(Stage, 16))
    flag_count: Mapped[int] = mapped_column(Integer)
    flags: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    source_position: Mapped[int] = mapped_column(BigInteger, index=True)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class MarketBid(Base):
    """One opened bid as the market indicators see it: the lot, its buyer (招标人), the bidder, the
    price, whether it stayed valid through the evaluation and whether it was ranked first."""

    __tablename__ = "integrity_market_bids"
    __table_args__ = (
        UniqueConstraint("tender_code", "lot_number", "bidder_code", name="uq_integrity_market_bids_bid"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tender_code: Mapped[str] = mapped_column(String(40), index=True)
    lot_number: Mapped[str] = mapped_column(String(16))
    buyer_code: Mapped[str] = mapped_column(String(18))
    buyer_name: Mapped[str] = mapped_column(String(200))
    bidder_code: Mapped[str] = mapped_column(String(18))
    bidder_name: Mapped[str] = mapped_column(String(200))
    project_manager: Mapped[str] = mapped_column(String(64), default="")
    price: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    ceiling: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    valid: Mapped[bool] = mapped_column(Boolean)
    won: Mapped[bool] = mapped_column(Boolean)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
