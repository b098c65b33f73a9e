"""OCDS 1.1 releases of signed contracts (pure: facts in, JSON-ready dicts out, no I/O).

contracts publishes an immutable snapshot of a signed contract when it is signed, when a milestone is
recorded or met, and when the final performance evaluation is recorded (contracts.service
``publications_of``); each snapshot is one release ``<ocid>-contract-<publication id>``: the first tagged
``contract``, the later ones ``implementation``. A release holds the contract (value, dateSigned, status,
the signed document's digest, the document where the tender publishes it, ``implementation.milestones``)
and the award it implements marked ``active`` (the winner's, or the next candidate's after a refusal).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from publication.ocds import (
    LANGUAGE,
    PartyFacts,
    PayloadError,
    TenderFacts,
    _add_party,
    _bidder,
    _decimal,
    award_id,
    money,
    party,
    reference,
    when,
)

# contracts' status → the closed contractStatus codelist; a completed one was performed and evaluated.
CONTRACT_STATUS = {"signed": "active", "completed": "terminated"}
# A milestone's status → milestoneStatus (late: past its due date, not met).
MILESTONE_STATUS = {"scheduled": "scheduled", "met": "met", "late": "notMet"}
RATING_ZH = {"excellent": "优秀", "good": "良好", "pass": "合格", "poor": "不合格"}


@dataclass(frozen=True)
class ContractFacts:
    """One publication of a signed contract (shape: contracts.service ``_publish``)."""

    id: int
    published_at: datetime
    first: bool  # the signing itself (tag contract); later ones are implementation updates
    facts: dict[str, Any]


def contract_release_id(ocid: str, publication_id: int) -> str:
    return f"{ocid}-contract-{publication_id}"


def _day_start(day: str) -> str:
    """A milestone's calendar day (Beijing) as the date-time of its start."""
    return f"{day}T00:00:00+08:00"


def build_contract_release(
    ocid: str, tender: TenderFacts, pub: ContractFacts, base_url: str
) -> dict[str, Any]:
    """The release of one publication of a signed contract: the contract with its implementation
    milestones, the award it implements (the winner's, or the next candidate's after a refusal)."""
    facts = pub.facts
    supplier = _bidder(facts.get("supplier"))
    lot = str(facts.get("lot", "1"))
    status = str(facts.get("status"))
    if status not in CONTRACT_STATUS:
        raise PayloadError(f"unknown contract status {status!r}")
    parties: dict[str, tuple[PartyFacts, list[str]]] = {}
    for role in ["buyer"] if tender.agent else ["buyer", "procuringEntity"]:
        _add_party(parties, tender.tenderer, role)
    if tender.agent:
        _add_party(parties, tender.agent, "procuringEntity")
    _add_party(parties, supplier, "tenderer")
    _add_party(parties, supplier, "supplier")
    award = {
        "id": award_id(ocid, lot, supplier),
        "status": "active",
        "suppliers": [reference(supplier)],
        "relatedLots": [lot],
        "value": money(_decimal(facts.get("amount"), "contract amount")),
    }
    milestones = []
    for m in facts.get("milestones") or []:
        milestone: dict[str, Any] = {
            "id": f"milestone-{m['id']}",
            "title": str(m["title"]),
            "type": "delivery",
            "dueDate": _day_start(str(m["due_on"])),
            "status": MILESTONE_STATUS.get(str(m.get("status")), "scheduled"),
        }
        if m.get("description"):
            milestone["description"] = str(m["description"])
        if m.get("met_on"):
            milestone["dateMet"] = _day_start(str(m["met_on"]))
        milestones.append(milestone)
    contract: dict[str, Any] = {
        "id": f"{ocid}-contract-{facts['contract']}",
        "awardID": award["id"],
        "title": f"{tender.title} 标段{lot} 合同",
        "status": CONTRACT_STATUS[status],
        "value": money(_decimal(facts.get("amount"), "contract amount")),
        "dateSigned": str(facts.get("signed_at")),
        "relatedLots": [lot],
    }
    notes = []
    if facts.get("performance_bond") is not None:
        notes.append(f"履约保证金 {_decimal(facts['performance_bond'], 'bond'):,.2f} 元")
    if facts.get("rating"):
        notes.append(f"履约评价：{RATING_ZH.get(str(facts['rating']), str(facts['rating']))}")
    if notes:
        contract["description"] = "；".join(notes)
    documents = [
        {
            "id": f"contract-{facts['contract']}-digest",
            "documentType": "contractSigned",
            "title": "合同文本摘要值（SHA-256）",
            "description": str(facts.get("digest")),
            "url": f"{base_url}/contracts/public?tender={tender.code}",
            "format": "text/html",
            "language": LANGUAGE,
        }
    ]
    if facts.get("document"):
        documents.append(
            {
                "id": f"contract-{facts['contract']}-document",
                "documentType": "contractText",
                "title": "合同文本",
                "description": str((facts["document"] or {}).get("terms") or ""),
                "url": f"{base_url}/contracts/public?tender={tender.code}",
                "format": "text/html",
                "language": LANGUAGE,
            }
        )
    contract["documents"] = documents
    if milestones:
        contract["implementation"] = {"milestones": milestones}
    return {
        "ocid": ocid,
        "id": contract_release_id(ocid, pub.id),
        "date": when(pub.published_at),
        "tag": ["contract"] if pub.first else ["implementation"],
        "initiationType": "tender",
        "language": LANGUAGE,
        "buyer": reference(tender.tenderer),
        "awards": [award],
        "contracts": [contract],
        "parties": [party(f, roles) for f, roles in parties.values()],
    }
