"""The kinds of the audit-log entries bidding appends (named after their values; stored: never change one).

Publication reads two of them (``NOTICE_PUBLISHED``, ``TENDER_AMENDED``) through bidding.service.
"""

from __future__ import annotations

from typing import Any

import msgspec

# a tender (the outcome's three follow lifecycle.Action: "tender.<action>")
TENDER_PUBLISHED = "tender.published"
TENDER_AMENDED = "tender.amended"
TENDER_CANCELLED = "tender.cancelled"
TENDER_DOCUMENT_STORED = "tender.document_stored"
TENDER_REGISTRATION_CLOSED = "tender.registration_closed"
TENDER_DEADLINE_PASSED = "tender.deadline_passed"
TENDER_FAILED = "tender.failed"
TENDER_START_EVALUATION = "tender.start_evaluation"
TENDER_PUBLISH_CANDIDATES = "tender.publish_candidates"
TENDER_AWARD = "tender.award"
NOTICE_PUBLISHED = "notice.published"
# the supervisor's review of a draft's notice (公告审核): the subject is the review, not the tender,
# since a draft is not public; the tender's publication names the review it was approved in
NOTICE_REVIEW_RULE_SET = "notice_review.rule_set"
NOTICE_REVIEW_SUBMITTED = "notice_review.submitted"
NOTICE_REVIEW_APPROVED = "notice_review.approved"
NOTICE_REVIEW_RETURNED = "notice_review.returned"
# re-tendering after 流标: the failed tender names its successor once the successor is published;
# a re-tender that fails again is recorded (the tenderer may then stop or switch method)
TENDER_RETENDERED = "tender.retendered"
TENDER_FAILED_AGAIN = "tender.failed_again"

# a bid
BID_SUBMITTED = "bid.submitted"
BID_WITHDRAWN = "bid.withdrawn"
BID_OPENED = "bid.opened"
BID_NOT_OPENED = "bid.not_opened"

# the opening
OPENING_BIDS_LISTED = "opening.bids_listed"
OPENING_AUTOSTARTED = "opening.autostarted"  # the host had not started: the platform did
OPENING_WINDOW_CLOSED_EARLY = "opening.window_closed_early"  # every bid opened or failed
OPENING_CUSTODY_CALLED = "opening.custody_called"
OPENING_DECRYPTION_RESUMED = "opening.decryption_resumed"
OPENING_COEFFICIENT_DRAWN = "opening.coefficient_drawn"
OPENING_OBJECTION = "opening.objection"
OPENING_ANSWER = "opening.answer"
OPENING_CLOSED = "opening.closed"
CUSTODY_SHARE_REVEALED = "custody.share_revealed"
CUSTODY_MISMATCH = "custody.mismatch"

# who holds a tender's custody shares (data: {"index": share index, "user": "user:<id>"})
CUSTODIAN_ASSIGNED = "custodian.assigned"
CUSTODIAN_UNASSIGNED = "custodian.unassigned"

# a suspension of a step (bidding/holds.py), placed and released by a higher context's case
TENDER_HOLD_PLACED = "tender.hold_placed"
TENDER_HOLD_RELEASED = "tender.hold_released"

# --- the opening hall's room events (core/rooms.py; room "opening:<tender>:<lot>") ----------------------
# Each is the ``data`` of an ``event`` frame whose ``kind`` is the key in ROOM_EVENTS; the publishers in
# bidding/opening/ build these, and /schema/asyncapi.json is generated from them. Times are ISO 8601.


class Message(msgspec.Struct, kw_only=True):
    """A notice for people, in Chinese and English."""

    zh: str
    en: str


class OpeningDue(msgspec.Struct, kw_only=True):
    """The bid deadline passed: the lot's opening is due (its bids are counted, the coefficient committed)."""

    tender: str
    lot: str
    deadline: str
    bids: int
    coefficient_commit: str | None


class OpeningAutostarted(msgspec.Struct, kw_only=True):
    """The host had not started within ``autostart_minutes`` of the deadline: the platform started."""

    autostart_minutes: int
    message: Message


class ListedBid(msgspec.Struct, kw_only=True):
    submission_id: str
    bidder: str
    bidder_code: str
    submitted_at: str
    audit_position: int | None
    seal_salt: str


class BidsListed(msgspec.Struct, kw_only=True):
    """The bids received before the deadline, as the audit log sealed them."""

    bids: list[ListedBid]


class WindowOpened(msgspec.Struct, kw_only=True):
    """The decryption window is open until ``window_ends_at``: bidders reveal their file keys."""

    window_ends_at: str
    server_time: str


class Progress(msgspec.Struct, kw_only=True):
    """How many bids are waiting, decrypting, opened and failed (``counts``: by outcome)."""

    queued: int
    decrypting: int
    opened: int
    failed: int
    counts: dict[str, int]


class BidDecrypting(msgspec.Struct, kw_only=True):
    """The bidder's key was accepted and its bid is being decrypted (audience: the bidder's organisation)."""

    submission_id: str


class BidOpened(msgspec.Struct, kw_only=True):
    """The bidder's bid opened, or was rejected with ``reason`` (audience: the bidder's organisation)."""

    submission_id: str
    outcome: str
    reason: str | None


class BidFailed(msgspec.Struct, kw_only=True):
    """A bid could not be opened: revoked (the bidder's fault) or withdrawn, with the reason."""

    bidder: str
    submission_id: str
    outcome: str
    reason: str


class CustodyCalled(msgspec.Struct, kw_only=True):
    """The window closed with ``pending`` bids unopened: custodians are called until ``custody_ends_at``."""

    pending: int
    custody_ends_at: str


class CustodyShare(msgspec.Struct, kw_only=True):
    """A custodian submitted a share: ``have`` of the ``threshold`` needed."""

    have: int
    threshold: int


class CustodyMismatch(msgspec.Struct, kw_only=True):
    """The combined key did not match the opening recipient; the shares were cleared."""


class CoefficientContribution(msgspec.Struct, kw_only=True):
    """A bidder's contribution to the random coefficient's seed."""

    bidder: str
    value: str


class CoefficientContributionEntry(msgspec.Struct, kw_only=True):
    bidder_code: str
    value: str


class CoefficientDrawn(msgspec.Struct, kw_only=True):
    """The coefficient drawn from the committed secret and the bidders' contributions (``rule`` says how)."""

    commit: str | None
    secret: str
    contributions: list[CoefficientContributionEntry]
    seed: str
    coefficient_max: str
    coefficient: str
    rule: str


class WindowClosedEarly(msgspec.Struct, kw_only=True):
    """Every bid is opened or settled: the window closed before ``window_ends_at`` and 唱标 follows."""

    closed_at: str
    window_ends_at: str | None
    message: Message


class TableRow(msgspec.Struct, kw_only=True):
    """One row of the 唱标 table (a price as a decimal string; the form's fields as the bidder gave them)."""

    submission_id: str
    bidder: str
    bidder_code: str
    outcome: str
    reason: str | None
    price: str | None
    duration_days: int | str | None
    quality: str | None
    project_manager: str | None
    bond: str | None
    bond_verified: bool | None = None  # the bond port's verdict (guarantees); None: shown as a label


class ConfirmOpened(msgspec.Struct, kw_only=True):
    """The bidders may confirm the record or object to it until ``confirm_ends_at``."""

    confirm_ends_at: str


class BidderConfirmed(msgspec.Struct, kw_only=True):
    bidder: str


class Objection(msgspec.Struct, kw_only=True):
    submission_id: str
    bidder: str
    reason: str


class ObjectionAnswered(msgspec.Struct, kw_only=True):
    """The host's answer to the objection of ``submission_id``."""

    submission_id: str
    answer: str


class RecordPublished(msgspec.Struct, kw_only=True):
    """The signed opening record (``record``: the signed document, as published in its notice)."""

    failed: bool
    valid_bids: int
    record: dict[str, Any]


ROOM_EVENTS: dict[str, type[msgspec.Struct]] = {
    "opening.due": OpeningDue,
    "opening.autostarted": OpeningAutostarted,
    "bids.listed": BidsListed,
    "window.opened": WindowOpened,
    "progress": Progress,
    "bid.decrypting": BidDecrypting,
    "bid.opened": BidOpened,
    "bid.failed": BidFailed,
    "custody.called": CustodyCalled,
    "custody.share": CustodyShare,
    "custody.mismatch": CustodyMismatch,
    "coefficient.contribution": CoefficientContribution,
    "coefficient.drawn": CoefficientDrawn,
    "window.closed_early": WindowClosedEarly,
    "table.row": TableRow,
    "confirm.opened": ConfirmOpened,
    "bidder.confirmed": BidderConfirmed,
    "objection": Objection,
    "answer": ObjectionAnswered,
    "record.published": RecordPublished,
}
# Events only the bidder's own organisation sees (others receive a ``skip`` frame).
PRIVATE_ROOM_EVENTS = frozenset({"bid.decrypting", "bid.opened"})
