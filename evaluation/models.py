"""evaluation tables: an evaluation per tender lot, its committee seats, and clarification requests.

The room's steps are not here: they are the evaluation room's event log (core/rooms.py's room_events,
room ``evaluation:<code>``), folded by evaluation/steps.py. These tables hold what the steps refer to
(who a member code is, where they sit) and what the steps produce (the report and its signatures).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, StrEnumType, UTCDateTime


class EvaluationState(StrEnum):
    """open → signed (report signed by every member) → publicity → awarded"""

    OPEN = "open"
    SIGNED = "signed"
    PUBLICITY = "publicity"
    AWARDED = "awarded"


class Evaluation(Base):
    """One lot's evaluation, from the committee's sign-in to the award."""

    __tablename__ = "evaluations"
    __table_args__ = (UniqueConstraint("tender_code", "lot_number", name="uq_evaluations_tender_lot"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    tender_code: Mapped[str] = mapped_column(String(40), index=True)
    lot_number: Mapped[str] = mapped_column(String(16))
    tender_title: Mapped[str] = mapped_column(String(200))
    lot_name: Mapped[str] = mapped_column(String(200))
    draw_id: Mapped[int] = mapped_column(ForeignKey("expert_draws.id"))
    # The tender's criteria document and the coefficient drawn at opening, as they stood at the start.
    criteria: Mapped[dict[str, Any]] = mapped_column(JSON)
    coefficient: Mapped[Decimal] = mapped_column(Numeric(8, 4))
    budget: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    ceiling_price: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    # The opened bids: [{"code": credit code, "name", "price": "…", "organisation_id"}], in opening order.
    bids: Mapped[list[Any]] = mapped_column(JSON)
    main_venue: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    venues: Mapped[list[str]] = mapped_column(JSON)  # region codes of the sub-venues (counties' halls)
    # Reads back as an EvaluationState; typed str while the service still assigns the plain values.
    state: Mapped[EvaluationState] = mapped_column(StrEnumType(EvaluationState, 16), index=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    report_digest: Mapped[str | None] = mapped_column(String(64), nullable=True)
    report_facts: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    publicity_notice_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    publicity_ends: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    award_notice_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    winner_code: Mapped[str | None] = mapped_column(String(18), nullable=True)


class Member(Base):
    """A seat: a drawn member or an alternate (in draw order), and where and whether they signed."""

    __tablename__ = "evaluation_members"
    __table_args__ = (UniqueConstraint("evaluation_id", "code", name="uq_evaluation_members_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(16))  # the expert's registry code (the room's member id)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True, index=True)
    name: Mapped[str] = mapped_column(String(32))
    county_code: Mapped[str] = mapped_column(String(6))
    employer: Mapped[str] = mapped_column(String(200))
    public_key: Mapped[str | None] = mapped_column(String(128), nullable=True)
    kind: Mapped[str] = mapped_column(String(12))  # member | alternate
    position: Mapped[int] = mapped_column(Integer)
    venue: Mapped[str | None] = mapped_column(String(6), nullable=True)  # where they signed in
    signature: Mapped[str | None] = mapped_column(String(128), nullable=True)  # over the report digest
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Clarification(Base):
    """澄清: a question from the committee to one bidder, answered from the bidder's own page in time."""

    __tablename__ = "evaluation_clarifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id", ondelete="CASCADE"), index=True)
    bidder_code: Mapped[str] = mapped_column(String(18))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    question: Mapped[str] = mapped_column(Text)
    asked_by: Mapped[str] = mapped_column(String(16))  # member code
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    answer: Mapped[str | None] = mapped_column(Text, nullable=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
