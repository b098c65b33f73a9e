"""The kinds of the audit-log entries guarantees appends (named after their values; stored: never change one).

Before the bid deadline an entry never names the tender's bidder: who bid is secret until the opening
(the guarantee's entry holds a salted hash of the tender, lot and bidder; see guarantees/service.py).
"""

from __future__ import annotations

GUARANTEE_ISSUED = "guarantee.issued"
GUARANTEE_CLAIM_FILED = "guarantee.claim_filed"
GUARANTEE_CLAIM_ANSWERED = "guarantee.claim_answered"
DEPOSIT_RECORDED = "deposit.recorded"
DEPOSIT_REFUND_SCHEDULED = "deposit.refund_scheduled"
DEPOSIT_REFUNDED = "deposit.refunded"
DEPOSIT_FORFEITED = "deposit.forfeited"
