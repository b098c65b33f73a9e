"""experts tables: the pool (experts, specialties, leave, avoidances), draws and invitations."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, UTCDateTime


class Expert(Base):
    __tablename__ = "experts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)  # public registry code, used in the lottery
    name: Mapped[str] = mapped_column(String(32))
    id_number: Mapped[str] = mapped_column(String(18), unique=True)
    phone: Mapped[str] = mapped_column(String(20))
    county_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    employer_code: Mapped[str] = mapped_column(String(18), index=True)
    employer_name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(12), index=True)  # active | suspended | retired
    public_key: Mapped[str | None] = mapped_column(String(128), nullable=True)  # ed25519:<base64>
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True, unique=True)
    # Seals the code in the experts.user_linked audit entry; revealed with the names at award.
    link_salt: Mapped[str | None] = mapped_column(String(32), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    specialties: Mapped[list[ExpertSpecialty]] = relationship(lazy="selectin", cascade="all, delete-orphan")
    leaves: Mapped[list[ExpertLeave]] = relationship(lazy="selectin", cascade="all, delete-orphan")
    avoidances: Mapped[list[ExpertAvoidance]] = relationship(lazy="selectin", cascade="all, delete-orphan")

    @property
    def specialty_codes(self) -> list[str]:
        return sorted(s.code for s in self.specialties)


class ExpertSpecialty(Base):
    __tablename__ = "expert_specialties"

    expert_id: Mapped[int] = mapped_column(ForeignKey("experts.id", ondelete="CASCADE"), primary_key=True)
    code: Mapped[str] = mapped_column(String(12), primary_key=True, index=True)


class ExpertLeave(Base):
    __tablename__ = "expert_leaves"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("experts.id", ondelete="CASCADE"), index=True)
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(200), default="")


class ExpertAvoidance(Base):
    """A company the expert must never judge (former employer, relatives' firms…)."""

    __tablename__ = "expert_avoidances"

    expert_id: Mapped[int] = mapped_column(ForeignKey("experts.id", ondelete="CASCADE"), primary_key=True)
    credit_code: Mapped[str] = mapped_column(String(18), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")


class Draw(Base):
    """One draw request for a tender (or lot), from its rules to the full committee."""

    __tablename__ = "expert_draws"
    __table_args__ = (
        Index("ix_expert_draws_tenderer_code_evaluation_date", "tenderer_code", "evaluation_date"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(24), unique=True)
    tender_ref: Mapped[str] = mapped_column(String(64), index=True)
    lot_ref: Mapped[str | None] = mapped_column(String(64), nullable=True)
    tenderer_code: Mapped[str] = mapped_column(String(18))
    evaluation_date: Mapped[date] = mapped_column(Date)
    tender: Mapped[dict[str, Any]] = mapped_column(JSON)  # draw.DrawTender.to_json()
    rules: Mapped[dict[str, Any]] = mapped_column(JSON)  # draw.DrawRules.to_json()
    response_minutes: Mapped[int] = mapped_column(Integer)
    # created → committed (secret committed, eligible set fixed) → drawn → complete | short
    state: Mapped[str] = mapped_column(String(16))
    stage: Mapped[str] = mapped_column(String(16))  # sealed | evaluation | published: who sees names
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    secret: Mapped[str | None] = mapped_column(String(64), nullable=True)  # hex; revealed with the names
    commitment: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # [{"by", "role", "value", "salt"}]: public only as seal(value, salt) until the names are published
    contributions: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # The snapshot is large (thousands of rows at 100,000 experts): loaded only where it is used.
    pool: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True, deferred=True)  # PoolRow.to_json()
    pool_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    eligible: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True, deferred=True)
    seed: Mapped[str | None] = mapped_column(String(64), nullable=True)  # public once names are published
    result: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True)
    # Seals the committee, the seed and invitation entries; revealed with the names
    name_salt: Mapped[str | None] = mapped_column(String(32), nullable=True)
    drawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # 补抽: the short draw this one supplements (same rules, the missing seats, nobody drawn before)
    supplements_id: Mapped[int | None] = mapped_column(
        ForeignKey("expert_draws.id"), nullable=True, index=True
    )


class Invitation(Base):
    """A drawn expert's seat: winners are invited at once, alternates wait (standby) in order."""

    __tablename__ = "expert_invitations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    draw_id: Mapped[int] = mapped_column(ForeignKey("expert_draws.id", ondelete="CASCADE"), index=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("experts.id"), index=True)
    slot: Mapped[int] = mapped_column(Integer)
    specialty: Mapped[str] = mapped_column(String(12))
    kind: Mapped[str] = mapped_column(String(12))  # winner | alternate
    position: Mapped[int] = mapped_column(Integer)  # order within the slot's winners or alternates
    # standby → invited → confirmed | declined | expired; standby → unused when the committee is full;
    # confirmed → released when the member leaves the running room (vacate_seat), unused → confirmed
    # when the room's alternate takes that seat
    state: Mapped[str] = mapped_column(String(12), index=True)
    invited_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    deadline: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    reason: Mapped[str] = mapped_column(Text, default="")

    expert: Mapped[Expert] = relationship(lazy="selectin")


class ExpertApplication(Base):
    """A self-registration waiting for a supervisor: approved, it becomes an expert and a login.

    Only the password's Argon2id hash is kept; the ID number and phone stay in this table (never in the
    audit log) and move to the expert record on approval.
    """

    __tablename__ = "expert_applications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(32))
    id_number: Mapped[str] = mapped_column(String(18))
    phone: Mapped[str] = mapped_column(String(20))
    county_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    employer_code: Mapped[str] = mapped_column(String(18))
    employer_name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(32))
    specialties: Mapped[list[Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(12), index=True)  # pending | approved | rejected
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    expert_id: Mapped[int | None] = mapped_column(ForeignKey("experts.id"), nullable=True)
