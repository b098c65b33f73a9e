"""The kinds of the audit-log entries credit appends (named after their values; stored: never change one)."""

from __future__ import annotations

CREDIT_RULE_CREATED = "credit.rule_created"
CREDIT_RULE_UPDATED = "credit.rule_updated"
CREDIT_DEDUCTION_RECORDED = "credit.deduction_recorded"
CREDIT_EVIDENCE_ADDED = "credit.evidence_added"
CREDIT_DEDUCTION_REVOKED = "credit.deduction_revoked"
CREDIT_SUBJECT_LINKED = "credit.subject_linked"
CREDIT_APPEAL_FILED = "credit.appeal_filed"
CREDIT_APPEAL_DECIDED = "credit.appeal_decided"
CREDIT_IMPORTED = "credit.imported"
CREDIT_RECOMPUTED = "credit.recomputed"
