"""The kinds of the audit-log entries bidding appends (named after their values; stored: never change one).

Publication reads two of them (``NOTICE_PUBLISHED``, ``TENDER_AMENDED``) through bidding.service.
"""

from __future__ import annotations

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
