"""The contract after the award (招标投标法第四十六条) and its performance (履约).

After a lot's award notice the platform opens the contract (``open_contract``: the award's amount and
parties, the signing clock from the notice, contracts/rules.py). The tender's owner (tenderer or agent)
may set the terms and a performance bond (≤ 10%, Art. 58) while nobody has signed; each party then
signs the document's SHA-256 with its company's registered Ed25519 key (the key of
``sunbid bid signing-key --register``, ``core.organisations``): the tenderer's user for the tenderer,
the winner's user for the supplier. Both signatures make it signed and public (a release in the OCDS
record, the public contracts page).

A refusal, or the 30 days running out (contracts/jobs.py), ends it and raises B04 against the winner or
T04 against the tenderer through the credit port; the owner may then award to the next candidate in the
committee's order (Art. 55), a new contract with a new clock, or record that the lot is tendered again.
After signing the owner records milestones and a final performance evaluation; a poor one raises B10.

Guarantees belong to another context: contracts/hooks.py tells it when a contract is signed (the lot's
deposits fall due for refund, Art. 57) and when the winner refuses or lets the period lapse (its deposit
is forfeited, Art. 74). A guarantor may secure the contract with a performance guarantee
(contracts/bonds.py: guarantees checks it against the contract's terms, Art. 58).
"""

from contracts.bonds import performance_check, secure_performance
from contracts.events import CONTRACT_SIGNED
from contracts.models import Publication
from contracts.performance import add_milestone, evaluate_performance, milestone_met
from contracts.reading import (
    contract_of,
    contracts_for,
    public_contracts,
    publications_of,
    signing_times,
    supplier_standing,
)
from contracts.signing import (
    award_next,
    draft,
    lapse_overdue,
    open_awarded,
    open_contract,
    refuse,
    retender,
    sign,
)
from contracts.views import (
    ContractOut,
    Draft,
    MilestoneIn,
    MilestoneOut,
    PerformanceIn,
    PublicContract,
    RefuseContract,
    SignContract,
    SigningTime,
)

__all__ = [
    "CONTRACT_SIGNED",
    "ContractOut",
    "Draft",
    "MilestoneIn",
    "MilestoneOut",
    "PerformanceIn",
    "PublicContract",
    "Publication",
    "RefuseContract",
    "SignContract",
    "SigningTime",
    "add_milestone",
    "award_next",
    "contract_of",
    "contracts_for",
    "draft",
    "evaluate_performance",
    "lapse_overdue",
    "milestone_met",
    "open_awarded",
    "open_contract",
    "performance_check",
    "public_contracts",
    "publications_of",
    "refuse",
    "retender",
    "secure_performance",
    "sign",
    "signing_times",
    "supplier_standing",
]

MAX_TEXT = 4000
