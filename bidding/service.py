"""What other contexts call in bidding (the opening, evaluation, publication, web). Import only this module.

Publication reads published tenders and notices through the query functions and row types below
(read-only: it never writes bidding's tables).
"""

from __future__ import annotations

from bidding.common import (
    Owned,
    is_owner,
    lock_tender,
    lots_of,
    owned_tender_codes,
    registration_of,
    tender_by_code,
)
from bidding.custodians import (
    CustodyShare,
    assign_custodian,
    assigned_counts,
    custodian_candidates,
    list_custodians,
    share_indexes,
    unassign_custodian,
)
from bidding.documents import documents_of
from bidding.events import (
    CUSTODIAN_ASSIGNED,
    CUSTODIAN_UNASSIGNED,
    NOTICE_PUBLISHED,
    TENDER_AMENDED,
    TENDER_HOLD_PLACED,
    TENDER_HOLD_RELEASED,
)
from bidding.evidence_store import BidEvidence, capture_packages, lot_evidence
from bidding.holds import Banner, Hold, Step, Suspended, banners, hold, holds_of, release
from bidding.inputs import (
    BOND_ARTICLE,
    BOND_MAX_SHARE,
    CATEGORIES,
    Amendment,
    LotNumber,
    LotNumberText,
    max_bond,
)
from bidding.lifecycle import Action, Actor, Rules, State
from bidding.models import Notice, Tender
from bidding.notices import NoticeFilter, NoticeKind, list_notices, notices_of, publish_notice
from bidding.opening import (
    BidAtOpening,
    OpenedBid,
    bids_at_opening,
    lots_failed_at_opening,
    objected_at_opening,
    opened_bids,
    opening_recorded,
    room_name,
)
from bidding.outcome import award, publish_candidates, start_evaluation
from bidding.receipts import sealed_value, verify_bundle
from bidding.registration import register
from bidding.retender import Attempt, TenderHistory
from bidding.retender import history as attempts
from bidding.submissions import ACTIVE, SUPERSEDED, WITHDRAWN, submit, tender_submissions, withdraw
from bidding.tenders import (
    TenderFilter,
    amend,
    cancel,
    is_training,
    list_tenders,
    publish,
    save_draft,
    statutory_day,
    tenders_past_deadline,
    training_codes,
)
from bidding.views import MoneyText, TenderCode

__all__ = [
    "ACTIVE",
    "BOND_ARTICLE",
    "BOND_MAX_SHARE",
    "CATEGORIES",
    "CUSTODIAN_ASSIGNED",
    "CUSTODIAN_UNASSIGNED",
    "NOTICE_PUBLISHED",
    "SUPERSEDED",
    "TENDER_AMENDED",
    "TENDER_HOLD_PLACED",
    "TENDER_HOLD_RELEASED",
    "WITHDRAWN",
    "Action",
    "Actor",
    "Amendment",
    "Attempt",
    "Banner",
    "BidAtOpening",
    "BidEvidence",
    "CustodyShare",
    "Hold",
    "LotNumber",
    "LotNumberText",
    "MoneyText",
    "Notice",
    "NoticeFilter",
    "NoticeKind",
    "OpenedBid",
    "Owned",
    "Rules",
    "State",
    "Step",
    "Suspended",
    "Tender",
    "TenderCode",
    "TenderFilter",
    "TenderHistory",
    "amend",
    "assign_custodian",
    "assigned_counts",
    "attempts",
    "award",
    "banners",
    "bids_at_opening",
    "cancel",
    "capture_packages",
    "custodian_candidates",
    "documents_of",
    "hold",
    "holds_of",
    "is_owner",
    "is_training",
    "list_custodians",
    "list_notices",
    "list_tenders",
    "lock_tender",
    "lot_evidence",
    "lots_failed_at_opening",
    "lots_of",
    "max_bond",
    "notices_of",
    "objected_at_opening",
    "opened_bids",
    "opening_recorded",
    "owned_tender_codes",
    "publish",
    "publish_candidates",
    "publish_notice",
    "register",
    "registration_of",
    "release",
    "room_name",
    "save_draft",
    "sealed_value",
    "share_indexes",
    "start_evaluation",
    "statutory_day",
    "submit",
    "tender_by_code",
    "tender_submissions",
    "tenders_past_deadline",
    "training_codes",
    "unassign_custodian",
    "verify_bundle",
    "withdraw",
]
