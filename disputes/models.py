"""disputes' tables: objections (异议) to a tender's documents or its evaluation result, and complaints
(投诉) to the supervising department with their evidence documents. Times are UTC."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, StrEnumType, UTCDateTime
from disputes.periods import Kind, Matter, Remedy, Status


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


class Complaint(Base):
    """A complaint (投诉) to the supervising department and its handling: received → accepted or
    rejected (不予受理) within 3 working days → dismissed or upheld within 30 working days of acceptance.
    Who complained is never published; the decision notice names the tender, matter and outcome only."""

    __tablename__ = "disputes_complaints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tender_code: Mapped[str] = mapped_column(String(40), index=True)
    lot_number: Mapped[str | None] = mapped_column(String(16), nullable=True)
    matter: Mapped[Matter] = mapped_column(StrEnumType(Matter, 16))
    complainant_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    filed_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    request: Mapped[str] = mapped_column(Text)  # 投诉请求
    grounds: Mapped[str] = mapped_column(Text)  # 事实和理由
    knew_on: Mapped[date] = mapped_column(Date)  # the day the complainant knew of the matter
    objection_id: Mapped[int | None] = mapped_column(ForeignKey("disputes_objections.id"), nullable=True)
    paused_seconds: Mapped[int] = mapped_column(Integer, default=0)  # the objection's answer period
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    accept_due: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[Status] = mapped_column(StrEnumType(Status, 16), index=True)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    decide_due: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    suspended_step: Mapped[str | None] = mapped_column(String(16), nullable=True)  # opening | award
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    decision: Mapped[str | None] = mapped_column(Text, nullable=True)  # reasons (rejection or merits)
    remedy: Mapped[Remedy | None] = mapped_column(StrEnumType(Remedy, 16), nullable=True)
    fault_kind: Mapped[str | None] = mapped_column(String(16), nullable=True)  # bidder | agent | tenderer
    fault_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), nullable=True)
    malicious: Mapped[bool] = mapped_column(Boolean, default=False)
    handled_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)


class ComplaintDocument(Base):
    """An evidence document of a complaint, in the blob store (seen by its complainant and supervisors)."""

    __tablename__ = "disputes_complaint_documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("disputes_complaints.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    blob_key: Mapped[str] = mapped_column(String(512))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime())


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
