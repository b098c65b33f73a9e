"""integrity's one table: what a supervisor decided about a flag (the flags themselves are computed)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, StrEnumType, UTCDateTime


class Decision(StrEnum):
    DISMISSED = "dismissed"  # checked and found innocent, with the reason
    REFERRED = "referred"  # referred for investigation: B01 deductions recorded for the bidders concerned


class FlagDecision(Base):
    """One decision per flag (tender, lot, rule): a flag is decided once, and the record stays."""

    __tablename__ = "integrity_flag_decisions"
    __table_args__ = (
        UniqueConstraint("tender_code", "lot_number", "rule_code", name="uq_integrity_flag_decisions_flag"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tender_code: Mapped[str] = mapped_column(String(40), index=True)
    lot_number: Mapped[str] = mapped_column(String(16))
    rule_code: Mapped[str] = mapped_column(String(8))
    decision: Mapped[Decision] = mapped_column(StrEnumType(Decision, 16))
    reason: Mapped[str] = mapped_column(Text)
    decided_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime())
