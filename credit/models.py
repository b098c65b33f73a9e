"""credit tables: rules, subjects, deductions (with evidence documents), appeals, daily snapshots."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime

POINTS = Numeric(4, 1)  # points have one decimal place (0.5 for a late arrival)


class Rule(Base):
    """A deduction rule. Deductions copy what they need, so editing a rule never rewrites the past."""

    __tablename__ = "credit_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    subject_kind: Mapped[str] = mapped_column(String(16), index=True)
    title: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text)
    points: Mapped[Decimal] = mapped_column(POINTS)
    validity_days: Mapped[int] = mapped_column(Integer)
    legal_basis: Mapped[str] = mapped_column(Text)
    bars: Mapped[bool] = mapped_column(Boolean, default=False)
    event: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Subject(Base):
    """Display facts about a subject (name, region), kept for pages and rankings."""

    __tablename__ = "credit_subjects"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # No foreign key: subjects imported from other regions' platforms carry their own region codes.
    region_code: Mapped[str | None] = mapped_column(String(6), nullable=True, index=True)


class Deduction(Base):
    """One deduction. ``end_day`` is exclusive (the first day it no longer counts)."""

    __tablename__ = "credit_deductions"
    __table_args__ = (Index("ix_credit_deductions_subject", "subject_kind", "subject_key", "start_day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Stable across platforms: exports carry it, so imports and platform events are idempotent.
    uid: Mapped[str] = mapped_column(String(64), unique=True)
    subject_kind: Mapped[str] = mapped_column(String(16))
    subject_key: Mapped[str] = mapped_column(String(32))
    rule_id: Mapped[int] = mapped_column(ForeignKey("credit_rules.id"), index=True)
    rule_code: Mapped[str] = mapped_column(String(32))
    rule_title: Mapped[str] = mapped_column(String(100))
    points: Mapped[Decimal] = mapped_column(POINTS)
    bars: Mapped[bool] = mapped_column(Boolean)
    start_day: Mapped[date] = mapped_column(Date)
    end_day: Mapped[date] = mapped_column(Date, index=True)
    reason: Mapped[str] = mapped_column(Text)  # public
    evidence: Mapped[str] = mapped_column(Text, default="")  # private: supervisors and the subject
    source_region: Mapped[str] = mapped_column(String(6))
    source_industry: Mapped[str] = mapped_column(String(32))
    source_ref: Mapped[str] = mapped_column(String(128), default="")
    event: Mapped[str | None] = mapped_column(String(64), nullable=True)
    origin: Mapped[str] = mapped_column(String(64))  # the platform that recorded it
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    revoked_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    revoked_by: Mapped[str | None] = mapped_column(String(64), nullable=True)


class EvidenceDocument(Base):
    """A private evidence file in the blob store."""

    __tablename__ = "credit_evidence_documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    deduction_id: Mapped[int] = mapped_column(ForeignKey("credit_deductions.id"), index=True)
    blob_key: Mapped[str] = mapped_column(String(512))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Appeal(Base):
    __tablename__ = "credit_appeals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    deduction_id: Mapped[int] = mapped_column(ForeignKey("credit_deductions.id"), index=True)
    filed_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text)
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16), index=True)  # pending | upheld | revoked
    decided_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    decision_reason: Mapped[str | None] = mapped_column(Text, nullable=True)


class SubjectLink(Base):
    """Which user speaks for an expert subject (companies go by the user's organisation instead)."""

    __tablename__ = "credit_subject_links"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    key: Mapped[str] = mapped_column(String(32), primary_key=True)


class Snapshot(Base):
    """The published index of one subject on one day, for subjects below 100 or barred that day.

    A subject with no row for a computed day stood at 100 (grade A, not barred) that day.
    """

    __tablename__ = "credit_snapshots"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    subject_kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    subject_key: Mapped[str] = mapped_column(String(32), primary_key=True)
    index: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    grade: Mapped[str] = mapped_column(String(1))
    barred: Mapped[bool] = mapped_column(Boolean)


class Run(Base):
    """One daily evaluation (每日一评): when it ran and how many subjects fell in each grade."""

    __tablename__ = "credit_runs"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    subjects: Mapped[int] = mapped_column(Integer)
    grade_a: Mapped[int] = mapped_column(Integer)
    grade_b: Mapped[int] = mapped_column(Integer)
    grade_c: Mapped[int] = mapped_column(Integer)
    grade_d: Mapped[int] = mapped_column(Integer)
    barred: Mapped[int] = mapped_column(Integer)
