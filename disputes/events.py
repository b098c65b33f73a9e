"""The kinds of the audit-log entries disputes appends (named after their values; stored: never change one).

An entry holds what the public may know: the objection's number, tender, kind and dates, never who
objected: only the tenderer, the agent and supervisors may see that, and the case row keeps it.
"""

from __future__ import annotations

OBJECTION_FILED = "objection.filed"
OBJECTION_ANSWERED = "objection.answered"
# Complaints (投诉): entries never name the complainant; the decision notice is published through bidding.
COMPLAINT_FILED = "complaint.filed"
COMPLAINT_EVIDENCE_ADDED = "complaint.evidence_added"
COMPLAINT_ACCEPTED = "complaint.accepted"
COMPLAINT_REJECTED = "complaint.rejected"
COMPLAINT_SUSPENSION_ORDERED = "complaint.suspension_ordered"
COMPLAINT_DECIDED = "complaint.decided"
QUESTION_ASKED = "question.asked"  # never who asked (only supervisors may know)
CLARIFICATION_ISSUED = (
    "clarification.issued"  # the questions answered, the notice, the deadline kept or moved
)
