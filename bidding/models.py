"""bidding's tables: tenders and lots, documents, notices, registrations, downloads, sealed submissions.

Money is Numeric(18, 2); times are UTC. A submission row is the only thing that makes a stored
envelope count: uploads land under a key recorded in ``bidding_staged_uploads`` first, and the
janitor (bidding/jobs.py) removes any staged blob that no committed submission adopted.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from bidding.lifecycle import State
from core.db import Base, StrEnumType, UTCDateTime


class SubmissionStatus(StrEnum):
    ACTIVE = "active"
    SUPERSEDED = "superseded"
    WITHDRAWN = "withdrawn"


class OpeningPhase(StrEnum):
    """A lot's opening: waiting for the host → decryption window → custodians (if any) → confirmations."""

    AWAITING_HOST = "awaiting_host"
    DECRYPTING = "decrypting"
    CUSTODY = "custody"
    CONFIRMING = "confirming"
    CLOSED = "closed"
    FAILED = "failed"


class BidOutcome(StrEnum):
    """What the opening made of one sealed bid."""

    QUEUED = "queued"
    DECRYPTING = "decrypting"
    OPENED = "opened"  # opened and valid
    REJECTED = "rejected"  # opened, but the bid form fails the tender's rules (reason recorded)
    REVOKED = "revoked"  # 撤销: the bidder's fault (Art. 31)
    WITHDRAWN = "withdrawn"  # 撤回: any other failure


class Tender(Base):
    __tablename__ = "bidding_tenders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(24), index=True)
    method: Mapped[str] = mapped_column(String(24))
    tenderer_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), nullable=True, index=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    budget: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    ceiling_price: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    bond_amount: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    bond_forms: Mapped[list[str]] = mapped_column(JSON)
    description: Mapped[str] = mapped_column(Text, default="")
    # Timeline (UTC). notice_at is set when the tender is published.
    notice_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    registration_start: Mapped[datetime] = mapped_column(UTCDateTime())
    registration_end: Mapped[datetime] = mapped_column(UTCDateTime())
    clarification_deadline: Mapped[datetime] = mapped_column(UTCDateTime())
    bid_deadline: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    decryption_minutes: Mapped[int] = mapped_column(Integer)
    # How long bidders have to confirm or object once the 唱标 table is read out.
    confirm_minutes: Mapped[int] = mapped_column(Integer, default=10, server_default="10")
    criteria: Mapped[dict[str, Any]] = mapped_column(JSON)
    form_fields: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    rules: Mapped[dict[str, Any]] = mapped_column(JSON)  # statutory defaults, overridable per tender
    opening_recipient: Mapped[str] = mapped_column(String(100))
    custody: Mapped[dict[str, Any]] = mapped_column(JSON)  # threshold, custodians and sealed shares
    max_envelope_bytes: Mapped[int] = mapped_column(BigInteger)
    min_credit_index: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    state: Mapped[State] = mapped_column(StrEnumType(State, 16), index=True)
    # 培训项目: periods on the training clock (lifecycle.Rules.for_training), watermarked everywhere,
    # never in public notices, open data, statistics or credit.
    training: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false(), index=True)
    amendments: Mapped[int] = mapped_column(Integer, default=0)
    # 重新招标: the failed tender this one re-tenders (None for a first attempt), and which attempt of
    # the same project it is (1, then 2 for the first re-tender…); lifecycle.may_switch_method reads it.
    retender_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("bidding_tenders.id"), nullable=True, index=True
    )
    attempt: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Lot(Base):
    """标段: bid and opened on its own."""

    __tablename__ = "bidding_lots"
    __table_args__ = (UniqueConstraint("tender_id", "number", name="uq_bidding_lots_tender_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("bidding_tenders.id", ondelete="CASCADE"), index=True)
    number: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    budget: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    ceiling_price: Mapped[Decimal] = mapped_column(Numeric(18, 2))


class TenderDocument(Base):
    __tablename__ = "bidding_documents"
    __table_args__ = (UniqueConstraint("tender_id", "name", name="uq_bidding_documents_tender_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("bidding_tenders.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    blob_key: Mapped[str] = mapped_column(String(512))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Notice(Base):
    """A public notice (公告); rows exist only once published."""

    __tablename__ = "bidding_notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("bidding_tenders.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(24), index=True)
    title: Mapped[str] = mapped_column(String(240))
    body: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(24), index=True)
    region_code: Mapped[str] = mapped_column(String(6), index=True)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    audit_position: Mapped[int] = mapped_column(BigInteger)
    # Structured content for open data (candidates, awards: see publication/ocds.py); None for prose-only.
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class Registration(Base):
    """报名: a bidder company signed up for a tender."""

    __tablename__ = "bidding_registrations"
    __table_args__ = (
        UniqueConstraint("tender_id", "organisation_id", name="uq_bidding_registrations_tender_org"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("bidding_tenders.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime())
    credit_index: Mapped[Decimal | None] = mapped_column(Numeric(5, 2), nullable=True)


class DocumentDownload(Base):
    __tablename__ = "bidding_downloads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("bidding_documents.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), nullable=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class Submission(Base):
    """A sealed bid committed before the deadline, with the receipt the server signed for it."""

    __tablename__ = "bidding_submissions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[str] = mapped_column(String(64), unique=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("bidding_tenders.id"), index=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("bidding_lots.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    supersedes: Mapped[str | None] = mapped_column(String(64), nullable=True)
    status: Mapped[SubmissionStatus] = mapped_column(StrEnumType(SubmissionStatus, 16), index=True)
    blob_key: Mapped[str] = mapped_column(String(512))
    # The envelope's age header as stored (wrapped keys and the header MAC: nothing of the bid), so a
    # revealed key is checked without reading the blob; None for bids stored before bidding_0011.
    header: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    envelope_sha256: Mapped[str] = mapped_column(String(64))
    envelope_length: Mapped[int] = mapped_column(BigInteger)
    manifest: Mapped[str] = mapped_column(Text)  # the bidder's signed manifest (canonical JSON)
    manifest_sha256: Mapped[str] = mapped_column(String(64))
    seal_salt: Mapped[bytes] = mapped_column(LargeBinary(16))  # revealed at opening
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    audit_position: Mapped[int] = mapped_column(BigInteger)
    receipt: Mapped[str] = mapped_column(Text)  # the receipt bundle (JSON) handed to the bidder
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    withdrawal: Mapped[str | None] = mapped_column(Text, nullable=True)  # the signed withdrawal


class StagedUpload(Base):
    """A blob being uploaded (or left by a crash); deleted when a submission adopts the key."""

    __tablename__ = "bidding_staged_uploads"

    blob_key: Mapped[str] = mapped_column(String(512), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class Opening(Base):
    """One lot's opening (开标): its phase, the decryption window and the coefficient draw.

    Created exactly once, by the transaction that moved the tender from bidding to opening.
    """

    __tablename__ = "bidding_openings"
    __table_args__ = (UniqueConstraint("lot_id", name="uq_bidding_openings_lot"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("bidding_tenders.id", ondelete="CASCADE"), index=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("bidding_lots.id", ondelete="CASCADE"))
    phase: Mapped[OpeningPhase] = mapped_column(StrEnumType(OpeningPhase, 16), index=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    window_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    custody_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    confirm_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Commit–reveal for the benchmark coefficient: the hash is public from the start.
    coefficient_secret: Mapped[bytes] = mapped_column(LargeBinary(32))
    coefficient_commit: Mapped[str] = mapped_column(String(64))
    contributions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    coefficient: Mapped[Decimal | None] = mapped_column(Numeric(8, 4), nullable=True)
    # Shares custodians revealed; erased as soon as they have been combined.
    shares: Mapped[list[str]] = mapped_column(JSON, default=list)
    record: Mapped[str | None] = mapped_column(Text, nullable=True)  # signed opening record (JSON)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class OpeningBid(Base):
    """What the opening made of one sealed bid: its outcome and, once opened, its 唱标 row."""

    __tablename__ = "bidding_opening_bids"
    # Every reveal reads its own bid (by opening and organisation) and counts the opening's outcomes:
    # with these neither reads the other bids' rows, whatever the number of bids.
    __table_args__ = (
        Index("ix_bidding_opening_bids_opening_organisation", "opening_id", "organisation_id"),
        Index("ix_bidding_opening_bids_opening_outcome", "opening_id", "outcome"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    opening_id: Mapped[int] = mapped_column(ForeignKey("bidding_openings.id", ondelete="CASCADE"))
    submission_id: Mapped[int] = mapped_column(ForeignKey("bidding_submissions.id"), unique=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    outcome: Mapped[BidOutcome] = mapped_column(StrEnumType(BidOutcome, 16), index=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    wrong_keys: Mapped[int] = mapped_column(Integer, default=0)
    opened_by: Mapped[str | None] = mapped_column(String(16), nullable=True)  # bidder | custodians
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Unused since bidding_0004 (the opened package is no longer copied; see ``file_key``).
    package_key: Mapped[str | None] = mapped_column(String(512), nullable=True)
    package_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # The revealed file key: with the stored envelope it is the opened package (read_package).
    file_key: Mapped[bytes | None] = mapped_column(LargeBinary(16), nullable=True)
    # When the current decryption was claimed: one left "decrypting" too long died with its process.
    decrypting_since: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    form: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    price: Mapped[Decimal | None] = mapped_column(Numeric(18, 2), nullable=True)
    # confirmed | objected | None
    confirmation: Mapped[str | None] = mapped_column(String(16), nullable=True)
    objection: Mapped[str | None] = mapped_column(Text, nullable=True)
    answer: Mapped[str | None] = mapped_column(Text, nullable=True)


class TenderCustodian(Base):
    """The user account that holds one custody share of a tender (assigned by an admin or the agent).

    A tender with no rows keeps the old rule: any custodian holding a valid share may reveal it. Once
    any share is assigned, only the user assigned to a share may reveal that share.
    """

    __tablename__ = "bidding_tender_custodians"
    __table_args__ = (
        UniqueConstraint("tender_id", "share_index", name="uq_bidding_tender_custodians_share"),
        UniqueConstraint("tender_id", "user_id", name="uq_bidding_tender_custodians_user"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("bidding_tenders.id", ondelete="CASCADE"), index=True)
    share_index: Mapped[int] = mapped_column(Integer)  # the ``index`` of one of ``Tender.custody``'s shares
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    assigned_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime())


class TenderHold(Base):
    """A suspension of one step of a tender (开标, 定标) placed by a higher context while a case is open.

    Placed and released through ``bidding.holds`` (a dispute's objection holds the step until it is
    answered); the opening and the award refuse while an unreleased hold covers them. ``lot_number``
    None covers every lot.
    """

    __tablename__ = "bidding_tender_holds"
    __table_args__ = (UniqueConstraint("tender_id", "step", "ref", name="uq_bidding_tender_holds_ref"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("bidding_tenders.id", ondelete="CASCADE"), index=True)
    step: Mapped[str] = mapped_column(String(16))  # a holds.Step value
    lot_number: Mapped[str | None] = mapped_column(String(16), nullable=True)
    ref: Mapped[str] = mapped_column(String(64))  # what holds it, e.g. "objection:12"
    reason: Mapped[str] = mapped_column(Text)  # shown to people: "中文 (English)"
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class SubmissionEvidence(Base):
    """Who uploaded a sealed bid from where (集中上传/同一设备的证据), for the supervisors' indicators only.

    Written with the submission, read only through ``bidding.service.lot_evidence`` once the lot's
    opening is closed; never public and never in the audit log (see docs/integrity-evidence.md).
    """

    __tablename__ = "bidding_submission_evidence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("bidding_submissions.id", ondelete="CASCADE"), unique=True
    )
    uploader_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    client_ip: Mapped[str] = mapped_column(String(64))
    user_agent: Mapped[str] = mapped_column(String(512))
    # HMAC-SHA256 (platform key) of the client's SHA-256 of its device description; None if not sent.
    device: Mapped[str | None] = mapped_column(String(64), nullable=True)


class PackageEvidence(Base):
    """What an opened bid package holds (file hashes, documents' metadata and text, the project
    manager's keyed ID number), captured once after decryption by ``bidding.service.capture_packages``."""

    __tablename__ = "bidding_package_evidence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    opening_bid_id: Mapped[int] = mapped_column(
        ForeignKey("bidding_opening_bids.id", ondelete="CASCADE"), unique=True
    )
    captured_at: Mapped[datetime] = mapped_column(UTCDateTime())
    files: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    text: Mapped[str] = mapped_column(Text, default="")
    manager_id: Mapped[str | None] = mapped_column(String(64), nullable=True)  # keyed hash
    manager_id_tail: Mapped[str | None] = mapped_column(String(8), nullable=True)  # last 4, to show
    problems: Mapped[str | None] = mapped_column(Text, nullable=True)  # documents that did not parse


class ReviewRule(Base):
    """Where tender notices need the supervisor's approval before publishing (公告审核), as data.

    ``region_code`` "" means every region and ``category`` "" every category; the most specific rule
    applies (``lifecycle.review_required``); no rule means no review (the default).
    """

    __tablename__ = "bidding_review_rules"
    __table_args__ = (UniqueConstraint("region_code", "category", name="uq_bidding_review_rules_scope"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    region_code: Mapped[str] = mapped_column(String(12), default="")
    category: Mapped[str] = mapped_column(String(24), default="")
    required: Mapped[bool] = mapped_column(Boolean)
    legal_basis: Mapped[str] = mapped_column(String(200))  # the local rule that requires it
    set_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime())


class NoticeReview(Base):
    """One submission of a draft's notice for review and the supervisor's decision on it."""

    __tablename__ = "bidding_notice_reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("bidding_tenders.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(16), index=True)  # a lifecycle.Review value
    submitted_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    reason: Mapped[str] = mapped_column(Text, default="")  # the supervisor's reasons for returning it
    # the draft changed after this decision: a new submission is needed (None while it stands)
    lapsed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
