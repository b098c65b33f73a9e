"""disputes' tables: objections (异议) to a tender's documents or its evaluation result. Times are UTC."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, StrEnumType, UTCDateTime
from disputes.periods import Kind


class Objection(Base):
    """One bidder's objection and the tenderer's (or agent's) answer; pending while ``answer`` is None."""

    __tablename__ = "disputes_objections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tender_code: Mapped[str] = mapped_column(String(40), index=True)
    lot_number: Mapped[str | None] = mapped_column(String(16), nullable=True)  # a result objection's lot
    kind: Mapped[Kind] = mapped_column(StrEnumType(Kind, 16))
    # Who objects: shown only to the tender's tenderer and agent and to supervisors.
    objector_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    filed_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text)
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    answer_due: Mapped[datetime] = mapped_column(UTCDateTime())
    answer: Mapped[str | None] = mapped_column(Text, nullable=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)


class Question(Base):
    """A registered bidder's anonymous question (答疑) and its answer in a clarification notice.

    Who asked is kept for supervisors only: the tenderer, the agent and the other bidders never see it.
    """

    __tablename__ = "disputes_questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tender_code: Mapped[str] = mapped_column(String(40), index=True)
    asker_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    asked_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(Text)
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime())
    answer: Mapped[str | None] = mapped_column(Text, nullable=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    notice_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # bidding's clarification notice
