"""Electronic bid guarantees, cash deposits and claims (《招标投标法实施条例》Art. 26, 57, 74).

A guarantor (a bank, guarantee company or insurer: ``OrgKind.GUARANTOR``) signs a guarantee statement
(canonical JSON, ``GUARANTEE_TYPE``) with the Ed25519 key it registered like any company, and posts it;
the platform checks the signature and the rules (guarantees/rules.py), allocates the number, keeps the
document (database row and blob store) and logs the issue without naming the tender or the bidder
(sealed: who bid is secret until the deadline).

At the opening, bidding asks ``verify_bonds`` through the bond port (core/bond_port.py) for the lot's
opened bids: for each, the guarantee the bid names (``guarantee_number`` in bid.json) or the one issued
for its bidder is verified again from the stored document (signature by the guarantor's key, amount,
validity, the tender, lot and bidder it was issued for, its status). A failed bond makes the bid fail
qualification in the evaluation room (evaluation reads ``OpenedBid.bond_failure``).

Cash deposits are recorded by the trading centre (supervisors): the payer's account is shown to
supervisors only. A performance guarantee (Art. 58, guarantees/performance.py) is issued the same way
on a contract: contracts passes the contract's terms in. The contracts context calls
``schedule_refunds`` when the contract is signed
(refund due 5 days later, Art. 57) and ``forfeit_deposits`` for a winner refusing to sign (Art. 74);
``release_deposits`` when the lot is tendered again instead, and the job ``release_ended_tenders`` for a
failed or terminated tender (refund due 5 days later, Art. 31; guarantees/releases.py).
"""

from __future__ import annotations

from guarantees.claims import answer_claim, claims_for, file_claim
from guarantees.deposits import (
    NewDeposit,
    bond_statistics,
    bonds_by_tender,
    deposits_of_lot,
    forfeit_deposits,
    payer_accounts,
    record_deposit,
    refund_deposit,
    refund_obligations,
    schedule_refunds,
)
from guarantees.events import DEPOSIT_FORFEITED, DEPOSIT_REFUND_SCHEDULED
from guarantees.issuing import (
    guarantee_document,
    guarantees_of_guarantor,
    issue_guarantee,
    public_guarantee,
    verify_bond,
    verify_bonds,
)
from guarantees.performance import ContractTerms, issue_performance_guarantee, performance_bond
from guarantees.releases import release_deposits, release_ended_tenders
from guarantees.rules import GUARANTEE_TYPE, PERFORMANCE_TYPE
from guarantees.views import (
    BondStatistics,
    ClaimOut,
    DepositOut,
    GuaranteeOut,
    GuaranteePublic,
    GuaranteeStatement,
    PerformanceStatement,
    SignedGuarantee,
    SignedPerformanceGuarantee,
    TenderBonds,
    sign_guarantee,
    sign_performance_guarantee,
)

__all__ = [
    "DEPOSIT_FORFEITED",
    "DEPOSIT_REFUND_SCHEDULED",
    "GUARANTEE_TYPE",
    "PERFORMANCE_TYPE",
    "BondStatistics",
    "ClaimOut",
    "ContractTerms",
    "DepositOut",
    "GuaranteeOut",
    "GuaranteePublic",
    "GuaranteeStatement",
    "NewDeposit",
    "PerformanceStatement",
    "SignedGuarantee",
    "SignedPerformanceGuarantee",
    "TenderBonds",
    "answer_claim",
    "bond_statistics",
    "bonds_by_tender",
    "claims_for",
    "deposits_of_lot",
    "file_claim",
    "forfeit_deposits",
    "guarantee_document",
    "guarantees_of_guarantor",
    "issue_guarantee",
    "issue_performance_guarantee",
    "payer_accounts",
    "performance_bond",
    "public_guarantee",
    "record_deposit",
    "refund_deposit",
    "refund_obligations",
    "release_deposits",
    "release_ended_tenders",
    "schedule_refunds",
    "sign_guarantee",
    "sign_performance_guarantee",
    "verify_bond",
    "verify_bonds",
]
