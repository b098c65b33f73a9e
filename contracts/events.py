"""The kinds of the audit-log entries contracts appends (named after their values; stored: never change
one). An entry holds the contract's public facts: tender, lot, parties' credit codes, amount, dates."""

from __future__ import annotations

CONTRACT_OPENED = "contract.opened"
CONTRACT_DRAFTED = "contract.drafted"
CONTRACT_PARTY_SIGNED = "contract.party_signed"
CONTRACT_SIGNED = "contract.signed"
CONTRACT_REFUSED = "contract.refused"
CONTRACT_LAPSED = "contract.lapsed"
CONTRACT_NEXT_CANDIDATE = "contract.next_candidate"
CONTRACT_RETENDER = "contract.retender"
CONTRACT_MILESTONE_RECORDED = "contract.milestone_recorded"
CONTRACT_MILESTONE_MET = "contract.milestone_met"
CONTRACT_EVALUATED = "contract.evaluated"
