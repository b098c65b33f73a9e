"""bidding's JSON shapes: the msgspec Structs its API answers with (and its CLI decodes), and the
functions that build them from rows. Money is a 2-place decimal string, times are UTC ISO 8601 with a
Beijing-time ``*_local`` twin where people read them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal, cast

import msgspec

from bidding.common import SUBMISSION_ID
from bidding.criteria import Criteria, FormFieldOut
from bidding.inputs import CATEGORIES, METHODS, BondForm, Category, LotNumber, Method, TenderCodeText
from bidding.lifecycle import State
from bidding.models import (
    BidOutcome,
    Lot,
    Notice,
    Registration,
    Submission,
    SubmissionStatus,
    Tender,
    TenderDocument,
)
from bidding.notices import KIND_ZH, NoticeKind
from core.clock import format_local
from core.credit_code import CreditCodeText, CreditCodeUpper
from core.texts import StatementKeyId, StatementSignature, UtcStatementTime

# --- the constrained texts of bidding's paths, queries and bodies -------------------------------

SUBMISSION_ID_HELP = (
    "submission id chosen by the bidder's client (a UUID by default): 8-64 of A-Z a-z 0-9 . _ -"
)

TenderCode = TenderCodeText
SubmissionId = Annotated[str, msgspec.Meta(pattern=SUBMISSION_ID.pattern, description=SUBMISSION_ID_HELP)]
MoneyText = Annotated[
    str, msgspec.Meta(pattern=r"^[0-9]{1,16}\.[0-9]{2}$", description="yuan, 2 decimal places (元)")
]
Moment = Annotated[str, msgspec.Meta(description="UTC time, ISO 8601")]
Sha256Hex = Annotated[str, msgspec.Meta(pattern="^[0-9a-f]{64}$", description="SHA-256, lower-case hex")]


def money(value: Decimal) -> str:
    return f"{value:.2f}"


def when(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


# --- tenders ------------------------------------------------------------------------------------


class LotOut(msgspec.Struct, kw_only=True):
    number: str
    title: str
    budget: MoneyText
    ceiling_price: MoneyText


class DocumentOut(msgspec.Struct, kw_only=True):
    """A tender document as listed; ``uploaded_at`` is absent from the upload's own answer."""

    id: int
    name: str
    size: Annotated[int, msgspec.Meta(ge=0)]
    sha256: Sha256Hex
    uploaded_at: Moment | msgspec.UnsetType | None = msgspec.UNSET


class BondOut(msgspec.Struct, kw_only=True):
    amount: MoneyText
    forms: list[BondForm]


class TimelineOut(msgspec.Struct, kw_only=True):
    notice_at: Moment | None
    registration_start: Moment | None
    registration_end: Moment | None
    clarification_deadline: Moment | None
    bid_deadline: Moment | None
    bid_deadline_local: Annotated[str, msgspec.Meta(description="the bid deadline in Beijing time")]
    decryption_minutes: int
    confirm_minutes: int


class CustodianOut(msgspec.Struct, kw_only=True):
    index: int
    recipient: Annotated[str, msgspec.Meta(description="the custodian's age recipient (age1…)")]


class CustodyOut(msgspec.Struct, kw_only=True):
    """The key ceremony's public part: k of n custodians open what bidders did not."""

    threshold: int
    custodians: list[CustodianOut]


class TenderOut(msgspec.Struct, kw_only=True):
    """A tender as the public (or, for a draft, its owners) sees it."""

    code: TenderCode
    title: str
    state: State
    category: Category
    category_name: str
    method: Method
    method_name: str
    tenderer_id: int
    agent_id: int | None
    region_code: str
    budget: MoneyText
    ceiling_price: MoneyText
    bond: BondOut
    description: str
    timeline: TimelineOut
    criteria: Criteria
    form_fields: list[FormFieldOut]
    rules: dict[str, int]
    training: bool
    opening_recipient: str
    custody: CustodyOut
    max_envelope_bytes: int
    min_credit_index: Annotated[str, msgspec.Meta(description="the lowest credit index allowed to register")]
    amendments: int
    lots: list[LotOut]
    documents: list[DocumentOut]


class NoticeSummary(msgspec.Struct, kw_only=True):
    id: int
    kind: NoticeKind
    kind_name: str
    title: str
    tender: TenderCode
    tender_state: State
    category: str
    region_code: str
    published_at: Moment | None
    audit_position: int | None


class NoticeOut(NoticeSummary, kw_only=True):
    body: str


class TenderDetail(TenderOut, kw_only=True):
    """A tender with its notices, and its bid count from the opening on (absent before: Art. 22)."""

    notices: list[NoticeSummary]
    bid_count: int | msgspec.UnsetType = msgspec.UNSET


def tender_view(tender: Tender, lots: list[Lot], documents: list[TenderDocument] | None = None) -> TenderOut:
    return TenderOut(**tender_fields(tender, lots, documents))


def tender_fields(
    tender: Tender, lots: list[Lot], documents: list[TenderDocument] | None = None
) -> dict[str, Any]:
    return {
        "code": tender.code,
        "title": tender.title,
        "state": State(tender.state),
        "category": tender.category,
        "category_name": CATEGORIES[tender.category][0],
        "method": tender.method,
        "method_name": METHODS[tender.method][0],
        "tenderer_id": tender.tenderer_id,
        "agent_id": tender.agent_id,
        "region_code": tender.region_code,
        "budget": money(tender.budget),
        "ceiling_price": money(tender.ceiling_price),
        "bond": BondOut(amount=money(tender.bond_amount), forms=cast(list[BondForm], tender.bond_forms)),
        "description": tender.description,
        "timeline": TimelineOut(
            notice_at=when(tender.notice_at),
            registration_start=when(tender.registration_start),
            registration_end=when(tender.registration_end),
            clarification_deadline=when(tender.clarification_deadline),
            bid_deadline=when(tender.bid_deadline),
            bid_deadline_local=format_local(tender.bid_deadline),
            decryption_minutes=tender.decryption_minutes,
            confirm_minutes=tender.confirm_minutes,
        ),
        "criteria": msgspec.convert(tender.criteria, Criteria),  # stored as validate_criteria wrote it
        "form_fields": msgspec.convert(tender.form_fields, list[FormFieldOut]),
        "rules": tender.rules,
        "training": tender.training,
        "opening_recipient": tender.opening_recipient,
        "custody": CustodyOut(
            threshold=tender.custody.get("threshold", 0),
            custodians=[
                CustodianOut(index=c["index"], recipient=c["recipient"])
                for c in tender.custody.get("custodians", [])
            ],
        ),
        "max_envelope_bytes": tender.max_envelope_bytes,
        "min_credit_index": str(tender.min_credit_index),
        "amendments": tender.amendments,
        "lots": [
            LotOut(
                number=lot.number,
                title=lot.title,
                budget=money(lot.budget),
                ceiling_price=money(lot.ceiling_price),
            )
            for lot in lots
        ],
        "documents": [
            DocumentOut(id=d.id, name=d.name, size=d.size, sha256=d.sha256, uploaded_at=when(d.uploaded_at))
            for d in documents or []
        ],
    }


def notice_fields(notice: Notice, tender: Tender) -> dict[str, Any]:
    return {
        "id": notice.id,
        "kind": NoticeKind(notice.kind),
        "kind_name": KIND_ZH[NoticeKind(notice.kind)],
        "title": notice.title,
        "tender": tender.code,
        "tender_state": State(tender.state),
        "category": notice.category,
        "region_code": notice.region_code,
        "published_at": when(notice.published_at),
        "audit_position": notice.audit_position,
    }


def notice_summary(notice: Notice, tender: Tender) -> NoticeSummary:
    return NoticeSummary(**notice_fields(notice, tender))


def notice_view(notice: Notice, tender: Tender) -> NoticeOut:
    return NoticeOut(**notice_fields(notice, tender), body=notice.body)


# --- registrations ------------------------------------------------------------------------------


class RegistrationOut(msgspec.Struct, kw_only=True):
    tender: TenderCode
    registered_at: Moment | None
    credit_index: Annotated[
        str | None, msgspec.Meta(description="the company's credit index when it registered")
    ]


class RegisteredBidder(RegistrationOut, kw_only=True):
    bidder: CreditCodeText
    bidder_name: str


class DownloadOut(msgspec.Struct, kw_only=True):
    document: str
    organisation: CreditCodeText | None
    user_id: int | None
    at: Moment | None


class RegistrationsAndDownloads(msgspec.Struct, kw_only=True):
    tender: TenderCode
    registrations: list[RegisteredBidder]
    downloads: list[DownloadOut]


def registration_fields(registration: Registration, tender: Tender) -> dict[str, Any]:
    return {
        "tender": tender.code,
        "registered_at": when(registration.registered_at),
        "credit_index": str(registration.credit_index) if registration.credit_index is not None else None,
    }


def registration_view(registration: Registration, tender: Tender) -> RegistrationOut:
    return RegistrationOut(**registration_fields(registration, tender))


# --- submissions --------------------------------------------------------------------------------


# Signed statements (crypto.signing): the statement object, the Ed25519 signature over its canonical
# JSON and the signing key's id. Each statement is typed field by field, as text or integers exactly as
# signed (a datetime or Decimal would be re-encoded differently), with no default that re-encoding would
# add: the signature is checked over the canonical JSON of what was sent.


class WithdrawalStatement(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A bidder's withdrawal (撤回) of its bid before the deadline; the tender, lot, bidder and submission
    id must be the bid's own."""

    type: Literal["sunbid.bid-withdrawal.v1"]  # bidding.submissions.WITHDRAWAL_TYPE
    tender: TenderCode
    lot: LotNumber
    bidder: CreditCodeUpper
    submission_id: SubmissionId
    client_time: UtcStatementTime  # informative: the server clock is the one that counts


class SignedWithdrawal(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A withdrawal signed with the company's bid-signing key (`sunbid bid withdraw` makes it)."""

    statement: WithdrawalStatement
    signature: StatementSignature
    key_id: StatementKeyId


class ManifestStatement(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A bid manifest (crypto.signing.BidManifest) as the bidder signed it."""

    type: Literal["sunbid.bid-manifest.v1"]
    tender: TenderCode
    lot: LotNumber
    bidder: CreditCodeUpper
    submission_id: SubmissionId
    # absent when the signer left it out (it stays out: the signature covers what was signed)
    supersedes: SubmissionId | msgspec.UnsetType | None = msgspec.UNSET
    envelope_sha256: Sha256Hex
    envelope_length: Annotated[int, msgspec.Meta(ge=1, le=2**53 - 1)]
    client_time: UtcStatementTime


class ReceiptStatement(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The server's receipt (crypto.signing.Receipt): the manifest it accepted, when, and where in the
    audit log, with the inclusion proof of that entry and the signed checkpoint it refers to."""

    type: Literal["sunbid.receipt.v1"]
    manifest_sha256: Sha256Hex
    submission_id: SubmissionId
    server_time: UtcStatementTime
    audit_index: Annotated[int, msgspec.Meta(ge=0)]
    audit_size: Annotated[int, msgspec.Meta(ge=1)] | None
    audit_root: Sha256Hex | None
    inclusion_proof: list[Sha256Hex]
    checkpoint: str | None


class SignedManifest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    statement: ManifestStatement
    signature: StatementSignature
    key_id: StatementKeyId


class SignedReceipt(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    statement: ReceiptStatement
    signature: StatementSignature
    key_id: StatementKeyId


class ReceiptBundle(msgspec.Struct, kw_only=True):
    """What `sunbid receipt verify` checks offline: the server-signed receipt, the bidder's signed
    manifest, the audit entry the receipt's inclusion proof is for, and that entry's salt (hex)."""

    type: Literal["sunbid.receipt-bundle.v1"]
    receipt: SignedReceipt
    manifest: SignedManifest
    audit_entry: str
    salt: str


class SubmissionOut(msgspec.Struct, kw_only=True):
    submission_id: SubmissionId
    tender: TenderCode
    lot: str
    status: SubmissionStatus
    supersedes: str | None
    envelope_sha256: Sha256Hex
    envelope_length: int
    submitted_at: Moment | None
    submitted_at_local: Annotated[str, msgspec.Meta(description="submitted_at in Beijing time")]
    audit_position: int | None
    withdrawn_at: Moment | None


class OpeningResult(msgspec.Struct, kw_only=True):
    """What the opening made of this bid: its outcome, the price read out, why it failed, and the
    bidder's answer to the opening record."""

    outcome: BidOutcome
    price: MoneyText | None
    reason: str | None
    confirmation: Literal["confirmed", "objected"] | None


class OwnSubmission(SubmissionOut, kw_only=True):
    opening: OpeningResult | None


class OwnSubmissionStatus(OwnSubmission, kw_only=True):
    receipt: ReceiptBundle


class TenderSubmission(SubmissionOut, kw_only=True):
    bidder: CreditCodeText
    bidder_name: str


class Withdrawn(msgspec.Struct, kw_only=True):
    submission_id: str
    status: SubmissionStatus


def submission_fields(submission: Submission, tender_code: str, lot_number: str) -> dict[str, Any]:
    return {
        "submission_id": submission.submission_id,
        "tender": tender_code,
        "lot": lot_number,
        "status": SubmissionStatus(submission.status),
        "supersedes": submission.supersedes,
        "envelope_sha256": submission.envelope_sha256,
        "envelope_length": submission.envelope_length,
        "submitted_at": when(submission.submitted_at),
        "submitted_at_local": format_local(submission.submitted_at),
        "audit_position": submission.audit_position,
        "withdrawn_at": when(submission.withdrawn_at),
    }


# --- small answers ------------------------------------------------------------------------------


class ServerKey(msgspec.Struct, kw_only=True):
    server_key: Annotated[str, msgspec.Meta(description="the Ed25519 key that signs receipts")]
    audit_origin: Annotated[str, msgspec.Meta(description="the audit log's checkpoint origin line")]
    verifier_key: Annotated[str, msgspec.Meta(description="the checkpoint verifier key (C2SP signed-note)")]


class BidCount(msgspec.Struct, kw_only=True):
    tender: TenderCode
    bids: int
