"""OCDS 1.1 releases from public notices (pure: facts in, JSON-ready dicts out, no I/O).

One published notice (公告) is one release; the ocid is ``<prefix>-<tender code>`` and the release id
``<ocid>-notice-<notice id>``, so both are stable. A release says what was public when its notice went
out (the deadline as it stood then, the documents uploaded by then), so it never changes afterwards.

Notice kind → tag and tender status (``statusDetails`` carries the Chinese status):

    tender          招标公告        ["tender"]              active        招标中
    amendment       变更公告        ["tenderAmendment"]     active        招标中（已变更）
    opening_record  开标记录        ["tenderUpdate"]        active        已开标，评标中   + bids
    candidates      中标候选人公示  ["award"]               active        中标候选人公示中 + awards pending
    award           中标结果公告    ["award"]               complete      已定标           + awards active
    failure         流标公告        ["tenderUpdate"]        unsuccessful  流标
    termination     终止公告        ["tenderCancellation"]  cancelled     已终止

Candidate publicity (公示) has no tag of its own in OCDS: the candidates are proposed awards that are
not in force during the publicity period, which is what award status ``pending`` means, so the release
is tagged ``award`` with one pending award per candidate (without candidates in the notice it is a
``tenderUpdate``). The award result then marks the winner ``active`` and the other candidates
``unsuccessful`` under the same award ids, so a compiled release shows the outcome. A failed tender
(流标) was not cancelled, it ended without a valid award: ``tenderUpdate`` with status ``unsuccessful``.

Structured content of the later notices (``NoticeFacts.payload``): the opening record's is read from
its signed body (``payload_from_body``); candidates and awards have none until evaluation stores it
with the notice, in these shapes:

    opening_record  {"bids": [{"lot": "1", "bidder": {"name", "credit_code"},
                               "status": "opened|rejected|revoked|withdrawn", "price": "123.45" | null,
                               "opened_at": ISO time | null}]}
    candidates      {"candidates": [{"lot": "1", "rank": 1, "bidder": {...}, "price": "123.45"}]}
    award           {"awards": [{"lot": "1", "bidder": {...}, "price": "123.45", "date": ISO time | null}],
                     "candidates": [... as above, optional: the others become unsuccessful],
                     "cancelled": [{"lot", "bidder", "reason"}]  (optional: a replaced winner, 第五十五条)}

Suspensions (暂停, bidding/holds.py): while an objection (异议) or another case holds the opening or
the award, every release of the tender says so in ``tender.statusDetails`` (the status itself stays
``active``: the tender goes on once the case is answered), and the hold's start and end are releases of
their own, tagged ``tenderUpdate``, with the id ``<ocid>-hold-<audit position>``:

    hold placed     ["tenderUpdate"]  active  <status>；开标暂停：异议（第12号）待答复
    hold released   ["tenderUpdate"]  active  <status>；开标暂停已解除：异议（第12号）已答复

They are read from the public audit entries ``tender.hold_placed`` / ``tender.hold_released``, which
never name who objected. See docs/ocds-mapping.md.

Only what a published notice carries is used: a price appears only for a bid that was opened (唱标);
nothing is ever read from sealed submissions.

Organisations are identified by their unified social credit code (统一社会信用代码, GB 32100-2015)
under the org-id.guide scheme ``CN-SAIC`` — the register's only list for Chinese company
registration (State Administration for Industry and Commerce, now part of SAMR, which issues the
code as the registration number); org-id.guide has no CN-SAMR or CN-USCC list.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

ORG_SCHEME = "CN-SAIC"
CURRENCY = "CNY"
LANGUAGE = "zh"
BID_EXTENSION = (
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_bid_extension/v1.1.5/extension.json"
)
LOTS_EXTENSION = (
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_lots_extension/v1.1.5/extension.json"
)
EXTENSIONS = (BID_EXTENSION, LOTS_EXTENSION)

KINDS = (
    "tender", "amendment", "opening_record", "candidates", "award", "failure", "termination",
    "complaint_decision",
)  # fmt: skip
STATUS = {
    "tender": ("active", "招标中"),
    "amendment": ("active", "招标中（已变更）"),
    "opening_record": ("active", "已开标，评标中"),
    "candidates": ("active", "中标候选人公示中"),
    "award": ("complete", "已定标"),
    "failure": ("unsuccessful", "流标"),
    "termination": ("cancelled", "已终止"),
    # a supervisor's complaint decision (disputes): a tenderUpdate carrying the decision as a document
    "complaint_decision": ("active", "投诉处理决定已公布"),
}
DOCUMENT_TYPE = {
    "tender": "tenderNotice",
    "amendment": "clarifications",
    "opening_record": "bidders",
    "candidates": "evaluationReports",
    "award": "awardNotice",
    "failure": "cancellationDetails",
    "termination": "cancellationDetails",
    "complaint_decision": "complaints",  # documentType: Complaints and decisions
}
# sunbid's methods → the closed `method` codelist (the Chinese name goes in procurementMethodDetails).
METHOD = {
    "open": "open",
    "invited": "selective",
    "negotiation": "limited",
    "consultation": "limited",
    "inquiry": "limited",
    "listing": "open",
    "auction": "open",
}
METHOD_ZH = {
    "open": "公开招标",
    "invited": "邀请招标",
    "negotiation": "竞争性谈判",
    "consultation": "竞争性磋商",
    "inquiry": "询价",
    "listing": "挂牌出让",
    "auction": "拍卖出让",
}
# Trading categories → the closed `procurementCategory` codelist; land, mineral and property rights
# transfers are not procurement and carry none.
CATEGORY = {"construction": "works", "goods": "goods", "services": "services"}
AWARD_CRITERIA = {"comprehensive": "ratedCriteria", "lowest_price": "lowestCost"}
AWARD_CRITERIA_ZH = {"comprehensive": "综合评估法", "lowest_price": "经评审的最低投标价法"}
# Opening outcome → bidStatus (bid extension): opened bids await evaluation.
BID_STATUS = {
    "opened": "pending",
    "rejected": "disqualified",
    "revoked": "withdrawn",
    "withdrawn": "withdrawn",
}


OPENING_RECORD_TYPE = "sunbid.opening-record.v1"  # the signed record bidding's opening publishes


class PayloadError(ValueError):
    """A notice payload that does not have the documented shape."""


@dataclass(frozen=True)
class PartyFacts:
    credit_code: str
    name: str
    locality: str = ""

    @property
    def party_id(self) -> str:
        return f"{ORG_SCHEME}-{self.credit_code}"


@dataclass(frozen=True)
class LotFacts:
    number: str
    title: str
    budget: Decimal


@dataclass(frozen=True)
class DocumentFacts:
    id: int
    name: str
    size: int
    sha256: str
    uploaded_at: datetime


@dataclass(frozen=True)
class NoticeFacts:
    id: int
    kind: str
    title: str
    body: str
    published_at: datetime
    audit_position: int
    payload: dict[str, Any] | None = None


HOLD_STEP_ZH = {"opening": "开标", "award": "定标"}
HOLD_CASE_ZH = {"objection": ("异议", "待答复", "已答复"), "complaint": ("投诉", "处理中", "已处理")}


@dataclass(frozen=True)
class HoldFacts:
    """One public hold event: a ``tender.hold_placed`` (``placed``) or ``tender.hold_released`` entry."""

    position: int
    time: datetime
    placed: bool
    step: str  # "opening" | "award"
    lot: str | None
    ref: str  # the case: "objection:12"

    @property
    def key(self) -> tuple[str, str]:
        return (self.step, self.ref)

    def words(self, *, ended: bool = False) -> str:
        """``开标暂停：异议（第12号）待答复`` (or, ended, ``开标暂停已解除：异议（第12号）已答复``)."""
        case, _, number = self.ref.partition(":")
        name, open_, done = HOLD_CASE_ZH.get(case, ("案件", "处理中", "已处理"))
        step = HOLD_STEP_ZH.get(self.step, self.step)
        lot = f"（标段{self.lot}）" if self.lot else ""
        if ended:
            return f"{step}暂停已解除{lot}：{name}（第{number}号）{done}"
        return f"{step}暂停{lot}：{name}（第{number}号）{open_}"


@dataclass(frozen=True)
class TenderFacts:
    code: str
    title: str
    description: str
    category: str
    method: str
    budget: Decimal
    notice_at: datetime | None
    clarification_deadline: datetime
    bid_deadline: datetime
    tenderer: PartyFacts
    agent: PartyFacts | None = None
    criteria_method: str | None = None
    lots: Sequence[LotFacts] = ()
    documents: Sequence[DocumentFacts] = ()
    # (audit position, deadline before, deadline after) of every amendment, oldest first
    deadline_changes: Sequence[tuple[int, datetime, datetime]] = field(default_factory=tuple)
    # every hold placed on and released from the tender, oldest first
    holds: Sequence[HoldFacts] = field(default_factory=tuple)

    def holds_open_at(self, position: int) -> list[HoldFacts]:
        """The holds in place right before the audit entry at ``position``."""
        open_: dict[tuple[str, str], HoldFacts] = {}
        for hold in self.holds:
            if hold.position >= position:
                break
            if hold.placed:
                open_[hold.key] = hold
            else:
                open_.pop(hold.key, None)
        return list(open_.values())

    def deadline_at(self, position: int) -> datetime:
        """The bid deadline as it stood right after the audit entry at ``position``."""
        deadline = self.deadline_changes[0][1] if self.deadline_changes else self.bid_deadline
        for at, _old, new in self.deadline_changes:
            if at < position:
                deadline = new
        return deadline


def payload_from_body(kind: str, body: str) -> dict[str, Any] | None:
    """Structured content of a notice whose body is a signed document, as the opening publishes it.

    An opening record notice's body is the signed record ``{"statement": {"type":
    "sunbid.opening-record.v1", "lot", "closed_at", "bids": [{"bidder", "bidder_code", "outcome",
    "price", ...}]}, "signature", "key_id"}``; its 唱标 rows become ``bids``. Anything else (plain
    text, another shape) has no structured content.
    """
    if kind != "opening_record" or not body.lstrip().startswith("{"):
        return None
    try:
        statement = json.loads(body).get("statement") or {}
    except (ValueError, AttributeError):
        return None
    if not isinstance(statement, dict) or statement.get("type") != OPENING_RECORD_TYPE:
        return None
    rows = statement.get("bids")
    if not isinstance(rows, list):
        return None
    bids = [
        {
            "lot": str(statement.get("lot", "1")),
            "bidder": {"name": row.get("bidder"), "credit_code": row.get("bidder_code")},
            "status": row.get("outcome"),
            "price": row.get("price"),
            "opened_at": statement.get("closed_at"),
        }
        for row in rows
        if isinstance(row, dict) and row.get("outcome") in BID_STATUS and row.get("bidder_code")
    ]
    return {"bids": bids}


def when(moment: datetime) -> str:
    return moment.isoformat()


def release_id(ocid: str, notice_id: int) -> str:
    return f"{ocid}-notice-{notice_id}"


def tag_for(kind: str, payload: dict[str, Any] | None) -> list[str]:
    if kind not in STATUS:
        raise PayloadError(f"unknown notice kind {kind!r}")
    if kind == "tender":
        return ["tender"]
    if kind == "amendment":
        return ["tenderAmendment"]
    if kind == "termination":
        return ["tenderCancellation"]
    if kind == "award" or (kind == "candidates" and payload and payload.get("candidates")):
        return ["award"]
    return ["tenderUpdate"]


def money(amount: Decimal) -> dict[str, Any]:
    return {"amount": amount, "currency": CURRENCY}


def _decimal(value: Any, what: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise PayloadError(f"{what} is not a decimal amount: {value!r}") from None
    if not amount.is_finite() or amount < 0:
        raise PayloadError(f"{what} must be a non-negative amount: {value!r}")
    return amount.quantize(Decimal("0.01"))


def _bidder(raw: Any) -> PartyFacts:
    if not isinstance(raw, dict) or not raw.get("credit_code") or not raw.get("name"):
        raise PayloadError("a bidder needs credit_code and name")
    return PartyFacts(str(raw["credit_code"]).strip().upper(), str(raw["name"]).strip())


def _rows(payload: dict[str, Any] | None, key: str) -> list[dict[str, Any]]:
    rows = (payload or {}).get(key) or []
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise PayloadError(f"{key} must be a list of objects")
    return rows


def party(facts: PartyFacts, roles: Sequence[str]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": facts.party_id,
        "name": facts.name,
        "identifier": {"scheme": ORG_SCHEME, "id": facts.credit_code, "legalName": facts.name},
        "roles": list(roles),
    }
    address: dict[str, str] = {"countryName": "中国"}
    if facts.locality:
        address["locality"] = facts.locality
    out["address"] = address
    return out


def reference(facts: PartyFacts) -> dict[str, str]:
    return {"id": facts.party_id, "name": facts.name}


def award_id(ocid: str, lot: str, bidder: PartyFacts) -> str:
    return f"{ocid}-lot-{lot}-{bidder.credit_code}"


def _notice_document(notice: NoticeFacts, base_url: str) -> dict[str, Any]:
    return {
        "id": f"notice-{notice.id}",
        "documentType": DOCUMENT_TYPE[notice.kind],
        "title": notice.title,
        # a signed record (JSON) is linked, not copied; a text notice is its own description
        "description": "签名文件，全文见链接 (signed document, see url)"
        if notice.body.lstrip().startswith("{")
        else notice.body,
        "url": f"{base_url}/notices/{notice.id}",
        "datePublished": when(notice.published_at),
        "format": "text/html",
        "language": LANGUAGE,
    }


def _tender_documents(tender: TenderFacts, notice: NoticeFacts, base_url: str) -> list[dict[str, Any]]:
    return [
        {
            "id": f"doc-{doc.id}",
            "documentType": "biddingDocuments",
            "title": doc.name,
            "description": f"招标文件 {doc.size} 字节，SHA-256 {doc.sha256}",
            "url": f"{base_url}/tenders/{tender.code}",
            "datePublished": when(max(doc.uploaded_at, tender.notice_at or doc.uploaded_at)),
            "language": LANGUAGE,
        }
        for doc in tender.documents
        if doc.uploaded_at <= notice.published_at
    ]


def _tender_section(tender: TenderFacts, notice: NoticeFacts, base_url: str) -> dict[str, Any]:
    status, detail = STATUS[notice.kind]
    if status == "active":
        detail = _with_holds(detail, tender.holds_open_at(notice.audit_position))
    section: dict[str, Any] = {
        "id": tender.code,
        "title": tender.title,
        "status": status,
        "statusDetails": detail,
        "value": money(tender.budget),
        "procurementMethod": METHOD.get(tender.method, "open"),
        "procurementMethodDetails": METHOD_ZH.get(tender.method, tender.method),
        "submissionMethod": ["electronicSubmission"],
        "submissionMethodDetails": "电子投标，密封投标文件（age 加密）不见面开标",
        "procuringEntity": reference(tender.agent or tender.tenderer),
        "documents": [*_tender_documents(tender, notice, base_url), _notice_document(notice, base_url)],
    }
    if tender.description:
        section["description"] = tender.description
    if tender.category in CATEGORY:
        section["mainProcurementCategory"] = CATEGORY[tender.category]
    if tender.criteria_method in AWARD_CRITERIA:
        section["awardCriteria"] = AWARD_CRITERIA[tender.criteria_method]
        section["awardCriteriaDetails"] = AWARD_CRITERIA_ZH[tender.criteria_method]
    if tender.notice_at is not None:
        section["tenderPeriod"] = {
            "startDate": when(tender.notice_at),
            "endDate": when(tender.deadline_at(notice.audit_position)),
        }
        section["enquiryPeriod"] = {
            "startDate": when(tender.notice_at),
            "endDate": when(tender.clarification_deadline),
        }
    if tender.lots:
        section["lots"] = [
            {"id": lot.number, "title": lot.title, "value": money(lot.budget)} for lot in tender.lots
        ]
    if notice.kind == "amendment":
        section["amendments"] = [
            {
                "id": f"notice-{notice.id}",
                "date": when(notice.published_at),
                "rationale": notice.title,
                "description": notice.body,
            }
        ]
    return section


def _with_holds(detail: str, holds: Sequence[HoldFacts], *extra: str) -> str:
    return "；".join([detail, *extra, *(h.words() for h in holds)])


def build_hold_release(
    ocid: str, tender: TenderFacts, hold: HoldFacts, last: NoticeFacts, base_url: str
) -> dict[str, Any]:
    """The release for a hold placed or released (``last``: the tender's latest notice before it)."""
    status, detail = STATUS[last.kind]
    still = [h for h in tender.holds_open_at(hold.position + 1) if h.key != hold.key]
    if hold.placed:
        detail = _with_holds(detail, [*still, hold])
    else:
        detail = _with_holds(detail, still, hold.words(ended=True))
    parties: dict[str, tuple[PartyFacts, list[str]]] = {}
    for role in ["buyer"] if tender.agent else ["buyer", "procuringEntity"]:
        _add_party(parties, tender.tenderer, role)
    if tender.agent:
        _add_party(parties, tender.agent, "procuringEntity")
    tender_section: dict[str, Any] = {
        "id": tender.code,
        "title": tender.title,
        "status": status,
        "statusDetails": detail,
        "procuringEntity": reference(tender.agent or tender.tenderer),
    }
    return {
        "ocid": ocid,
        "id": hold_release_id(ocid, hold.position),
        "date": when(hold.time),
        "tag": ["tenderUpdate"],
        "initiationType": "tender",
        "language": LANGUAGE,
        "buyer": reference(tender.tenderer),
        "tender": tender_section,
        "parties": [party(facts, roles) for facts, roles in parties.values()],
    }


def hold_release_id(ocid: str, position: int) -> str:
    return f"{ocid}-hold-{position}"


def _bids(
    ocid: str, notice: NoticeFacts, parties: dict[str, tuple[PartyFacts, list[str]]]
) -> dict[str, Any] | None:
    rows = _rows(notice.payload, "bids")
    if not rows:
        return None
    details = []
    for n, row in enumerate(rows, start=1):
        bidder = _bidder(row.get("bidder"))
        outcome = str(row.get("status", ""))
        if outcome not in BID_STATUS:
            raise PayloadError(f"bid status must be one of {', '.join(BID_STATUS)}: {outcome!r}")
        lot = str(row.get("lot", "1"))
        _add_party(parties, bidder, "tenderer")
        detail: dict[str, Any] = {
            "id": f"{ocid}-bid-{lot}-{bidder.credit_code}",
            "status": BID_STATUS[outcome],
            "tenderers": [reference(bidder)],
            "relatedLots": [lot],
        }
        if row.get("opened_at"):
            detail["date"] = str(row["opened_at"])
        # 唱标: a price is public only once the bid was opened; never for a bid that did not open.
        if outcome == "opened" and row.get("price") is not None:
            detail["value"] = money(_decimal(row["price"], f"price of bid {n}"))
        details.append(detail)
    # validity is decided by the evaluation, not at the opening: only the count is a statistic here
    return {"statistics": [{"id": "bids", "measure": "bids", "value": len(details)}], "details": details}


def _add_party(parties: dict[str, tuple[PartyFacts, list[str]]], facts: PartyFacts, role: str) -> None:
    known = parties.setdefault(facts.party_id, (facts, []))
    if role not in known[1]:
        known[1].append(role)


def _awards(
    ocid: str, notice: NoticeFacts, parties: dict[str, tuple[PartyFacts, list[str]]]
) -> list[dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for row in _rows(notice.payload, "candidates"):
        bidder = _bidder(row.get("bidder"))
        lot = str(row.get("lot", "1"))
        rank = row.get("rank")
        _add_party(parties, bidder, "tenderer")
        award: dict[str, Any] = {
            "id": award_id(ocid, lot, bidder),
            "title": f"第{rank}中标候选人" if rank else "中标候选人",
            # during publicity a candidate is a proposed award; after the result the others lost
            "status": "pending" if notice.kind == "candidates" else "unsuccessful",
            "suppliers": [reference(bidder)],
            "relatedLots": [lot],
        }
        if row.get("price") is not None:
            award["value"] = money(_decimal(row["price"], "candidate price"))
        out[award["id"]] = award
    if notice.kind == "award":
        for row in _rows(notice.payload, "cancelled"):  # the award a next candidate's award replaces
            bidder = _bidder(row.get("bidder"))
            lot = str(row.get("lot", "1"))
            _add_party(parties, bidder, "tenderer")
            award = {
                "id": award_id(ocid, lot, bidder),
                "title": "原中标人（中标结果作废）",
                "status": "cancelled",
                "suppliers": [reference(bidder)],
                "relatedLots": [lot],
                **({"description": str(row["reason"])} if row.get("reason") else {}),
            }
            out[award["id"]] = award
        for row in _rows(notice.payload, "awards"):
            bidder = _bidder(row.get("bidder"))
            lot = str(row.get("lot", "1"))
            _add_party(parties, bidder, "tenderer")
            _add_party(parties, bidder, "supplier")
            award = {
                "id": award_id(ocid, lot, bidder),
                "title": "中标人",
                "status": "active",
                "date": str(row.get("date") or when(notice.published_at)),
                "suppliers": [reference(bidder)],
                "relatedLots": [lot],
            }
            if row.get("price") is not None:
                award["value"] = money(_decimal(row["price"], "award price"))
            out[award["id"]] = award
    return list(out.values())


def build_release(ocid: str, tender: TenderFacts, notice: NoticeFacts, base_url: str) -> dict[str, Any]:
    """The release for one published notice of ``tender``."""
    if notice.kind not in STATUS:
        raise PayloadError(f"unknown notice kind {notice.kind!r}")
    parties: dict[str, tuple[PartyFacts, list[str]]] = {}
    buyer_roles = ["buyer"] if tender.agent else ["buyer", "procuringEntity"]
    for role in buyer_roles:
        _add_party(parties, tender.tenderer, role)
    if tender.agent:
        _add_party(parties, tender.agent, "procuringEntity")
    release: dict[str, Any] = {
        "ocid": ocid,
        "id": release_id(ocid, notice.id),
        "date": when(notice.published_at),
        "tag": tag_for(notice.kind, notice.payload),
        "initiationType": "tender",
        "language": LANGUAGE,
        "buyer": reference(tender.tenderer),
        "tender": _tender_section(tender, notice, base_url),
    }
    if notice.kind == "opening_record":
        bids = _bids(ocid, notice, parties)
        if bids is not None:
            release["bids"] = bids
            release["tender"]["numberOfTenderers"] = len(
                {t["id"] for d in bids["details"] for t in d["tenderers"]}
            )
    if notice.kind in ("candidates", "award"):
        awards = _awards(ocid, notice, parties)
        if awards:
            release["awards"] = awards
    release["parties"] = [party(facts, roles) for facts, roles in parties.values()]
    return release
