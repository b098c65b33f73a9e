"""What other contexts call in bidding (the opening, evaluation, web). Import only this module."""

from __future__ import annotations

from bidding.common import is_owner, lock_tender, lots_of, owned_tender_codes, tender_by_code
from bidding.lifecycle import Action, Actor, Rules, State
from bidding.notices import NoticeKind, list_notices, publish_notice
from bidding.opening import OpenedBid, opened_bids, room_name
from bidding.outcome import award, publish_candidates, start_evaluation
from bidding.receipts import sealed_value, verify_bundle
from bidding.registration import register
from bidding.submissions import ACTIVE, SUPERSEDED, WITHDRAWN, submit, tender_submissions, withdraw
from bidding.tenders import amend, cancel, publish, save_draft, tenders_past_deadline

__all__ = [
    "ACTIVE",
    "SUPERSEDED",
    "WITHDRAWN",
    "Action",
    "Actor",
    "NoticeKind",
    "OpenedBid",
    "Rules",
    "State",
    "amend",
    "award",
    "cancel",
    "is_owner",
    "list_notices",
    "lock_tender",
    "lots_of",
    "opened_bids",
    "owned_tender_codes",
    "publish",
    "publish_candidates",
    "publish_notice",
    "register",
    "room_name",
    "save_draft",
    "sealed_value",
    "start_evaluation",
    "submit",
    "tender_by_code",
    "tender_submissions",
    "tenders_past_deadline",
    "verify_bundle",
    "withdraw",
]
