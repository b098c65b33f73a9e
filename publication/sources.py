"""Everything publication reads from the contexts below it, in one place.

Public events are found through core's audit log (``notice.published`` entries, public by design);
tenders, lots and notices through bidding's service and notice functions; organisations and regions
through core. Nothing here reads sealed submissions, openings in progress or drafts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding import service as bidding
from bidding.service import NoticeFilter, TenderFilter
from contracts import service as contracts
from core.clock import as_utc, local
from core.errors import NotFound
from core.models import AuditEntry
from core.organisations import get_organisation
from core.paging import Page
from core.regions import get_region, list_regions
from guarantees import service as guarantees
from publication import entries
from publication.ocds import (
    DocumentFacts,
    HoldFacts,
    LotFacts,
    NoticeFacts,
    PartyFacts,
    TenderFacts,
    payload_from_body,
)
from publication.ocds_contracts import ContractFacts
from publication.ocds_related import PreviousAttempt
from publication.stats import Award, TenderStat

if TYPE_CHECKING:  # types only: rows come from bidding's functions, never from its tables
    from bidding.service import Notice, Tender
    from publication.config import OcdsConfig


# The audit entries that are public events of open data: notices, and holds placed and released.
FEED_KINDS = (bidding.NOTICE_PUBLISHED, bidding.TENDER_HOLD_PLACED, bidding.TENDER_HOLD_RELEASED)


@dataclass(frozen=True)
class Event:
    """One public event: a ``notice.published`` audit entry (or a hold's: ``kind`` is then empty)."""

    position: int
    time: datetime
    tender_code: str
    kind: str
    title: str


def _event(entry: AuditEntry) -> Event:
    body = json.loads(entry.entry)
    subject = str(body.get("subject") or "")
    data = body.get("data") or {}
    return Event(
        entry.position,
        as_utc(entry.created_at),
        subject.removeprefix("tender:"),
        str(data.get("kind", "")) if entry.kind == bidding.NOTICE_PUBLISHED else "",
        str(data.get("title", "")),
    )


async def events_after(session: AsyncSession, position: int, limit: int) -> list[Event]:
    """Public events with audit positions above ``position``, oldest first; a training tender's
    (培训项目) are left out, so open data never holds them."""
    training = await bidding.training_codes(session)
    found: list[Event] = []
    while len(found) < limit:
        rows = list(
            await session.scalars(
                select(AuditEntry)
                .where(AuditEntry.position > position, AuditEntry.kind.in_(FEED_KINDS))
                .order_by(AuditEntry.position)
                .limit(limit)
            )
        )
        if not rows:
            break
        found.extend(e for e in map(_event, rows) if e.tender_code not in training)
        position = rows[-1].position
    return found[:limit]


async def event_at(session: AsyncSession, position: int) -> Event | None:
    entry = await session.get(AuditEntry, position)
    if entry is None or entry.kind not in FEED_KINDS:
        return None
    event = _event(entry)
    return None if await bidding.is_training(session, event.tender_code) else event


async def public_tender(session: AsyncSession, code: str) -> Tender:
    """A tender the public may see (a draft or a training tender is as unknown as a tender that does
    not exist)."""
    tender = await bidding.tender_by_code(session, code)
    if tender.state == bidding.State.DRAFT or tender.training:
        raise NotFound(f"招标项目 {code} 不存在 (no such tender)", code="unknown_tender")
    return tender


async def _party(session: AsyncSession, org_id: int) -> PartyFacts:
    org = await get_organisation(session, org_id)
    region = await get_region(session, org.region_code)
    return PartyFacts(org.credit_code, org.name, region.name)


async def _deadline_changes(session: AsyncSession, code: str) -> list[tuple[int, datetime, datetime]]:
    subject = f'"subject":"tender:{code}"'
    rows = await session.scalars(
        select(AuditEntry)
        .where(AuditEntry.kind == bidding.TENDER_AMENDED, AuditEntry.entry.contains(subject))
        .order_by(AuditEntry.position)
    )
    changes = []
    for entry in rows:
        body = json.loads(entry.entry)
        if body.get("subject") != f"tender:{code}":
            continue
        data = body.get("data") or {}
        changes.append(
            (
                entry.position,
                as_utc(datetime.fromisoformat(data["old_deadline"])),
                as_utc(datetime.fromisoformat(data["bid_deadline"])),
            )
        )
    return changes


async def _holds(session: AsyncSession, code: str) -> list[HoldFacts]:
    """The tender's holds placed and released, from their public audit entries (never who objected)."""
    subject = f'"subject":"tender:{code}"'
    rows = await session.scalars(
        select(AuditEntry)
        .where(
            AuditEntry.kind.in_((bidding.TENDER_HOLD_PLACED, bidding.TENDER_HOLD_RELEASED)),
            AuditEntry.entry.contains(subject),
        )
        .order_by(AuditEntry.position)
    )
    holds = []
    for entry in rows:
        body = json.loads(entry.entry)
        if body.get("subject") != f"tender:{code}":
            continue
        data = body.get("data") or {}
        holds.append(
            HoldFacts(
                position=entry.position,
                time=as_utc(entry.created_at),
                placed=entry.kind == bidding.TENDER_HOLD_PLACED,
                step=str(data.get("step")),
                lot=data.get("lot"),
                ref=str(data.get("ref")),
            )
        )
    return holds


async def tender_facts(session: AsyncSession, tender: Tender) -> TenderFacts:
    criteria: dict[str, Any] = tender.criteria or {}
    return TenderFacts(
        code=tender.code,
        title=tender.title,
        description=tender.description,
        category=tender.category,
        method=tender.method,
        budget=tender.budget,
        notice_at=tender.notice_at,
        clarification_deadline=tender.clarification_deadline,
        bid_deadline=tender.bid_deadline,
        tenderer=await _party(session, tender.tenderer_id),
        agent=await _party(session, tender.agent_id) if tender.agent_id else None,
        criteria_method=criteria.get("method") if isinstance(criteria.get("method"), str) else None,
        lots=[
            LotFacts(lot.number, lot.title, lot.budget) for lot in await bidding.lots_of(session, tender.id)
        ],
        documents=[
            DocumentFacts(d.id, d.name, d.size, d.sha256, d.uploaded_at)
            for d in await bidding.documents_of(session, tender.id)
        ],
        deadline_changes=await _deadline_changes(session, tender.code),
        holds=await _holds(session, tender.code),
    )


def notice_facts(notice: Notice) -> NoticeFacts:
    # Structured content: the ``data`` stored with the notice (shapes in publication/ocds.py), else
    # what a signed body says (the opening record); text notices have none.
    payload = notice.data
    if payload is None:
        payload = payload_from_body(notice.kind, notice.body)
    return NoticeFacts(
        id=notice.id,
        kind=notice.kind,
        title=notice.title,
        body=notice.body,
        published_at=notice.published_at,
        audit_position=notice.audit_position,
        payload=payload,
    )


async def tender_notices(session: AsyncSession, tender: Tender) -> list[NoticeFacts]:
    return [notice_facts(n) for n in await bidding.notices_of(session, tender.id)]


# --- the portal: award announcements and trading statistics ---------------------------------------

PAGE = 100  # bidding's largest page


async def award_notices(
    session: AsyncSession,
    *,
    category: str | None = None,
    region: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 20,
    offset: int = 0,
) -> Page[tuple[Notice, Tender]]:
    """Published award notices (中标结果公告), newest first, with their tenders."""
    filters = NoticeFilter(category=category, region=region, kind="award", since=since, until=until)
    return await bidding.list_notices(session, filters, limit=limit, offset=offset)


async def _every_notice(session: AsyncSession, kind: str) -> list[tuple[Notice, Tender]]:
    out: list[tuple[Notice, Tender]] = []
    while True:
        found = await bidding.list_notices(session, NoticeFilter(kind=kind), limit=PAGE, offset=len(out))
        out.extend(found.rows)
        if not found.rows or len(out) >= found.total:
            return out


async def _public_tenders(session: AsyncSession) -> list[Tender]:
    """Every tender the public may see (``list_tenders`` hides drafts from a caller without a login)."""
    found: dict[int, Tender] = {}
    offset = 0
    while True:
        listed = await bidding.list_tenders(session, None, TenderFilter(), limit=PAGE, offset=offset)
        found.update((t.id, t) for t in listed.rows if t.state != bidding.State.DRAFT)
        offset += len(listed.rows)
        if not listed.rows or offset >= listed.total:
            return sorted(found.values(), key=lambda t: t.id)


async def lot_budgets(session: AsyncSession, tender: Tender) -> dict[str, Decimal]:
    return {lot.number: lot.budget for lot in await bidding.lots_of(session, tender.id)}


def month_of(moment: datetime) -> str:
    return local(moment).strftime("%Y-%m")


async def stat_facts(session: AsyncSession) -> list[TenderStat]:
    """One ``TenderStat`` per public tender, from its budget, its award notices and opening records.

    A later award notice for a lot replaces an earlier one (a corrected result); the bidders of a
    tender are the distinct credit codes named in its opening records, whatever each bid's outcome
    (records that name no bidder do not count).
    """
    awards: dict[int, dict[str, list[Award]]] = {}
    for notice, tender in sorted(
        await _every_notice(session, "award"), key=lambda row: (row[0].published_at, row[0].id)
    ):
        by_lot: dict[str, list[Award]] = {}
        for row in entries.awards(notice_facts(notice).payload):
            if row.price is not None:
                by_lot.setdefault(row.lot, []).append(Award(row.lot, row.price))
        awards.setdefault(tender.id, {}).update(by_lot)
    bidders: dict[int, set[str]] = {}
    bid_keys: dict[str, set[tuple[str, str]]] = {}  # tender code → (lot, bidder) of each recorded bid
    for notice, tender in await _every_notice(session, "opening_record"):
        rows = entries.bids(notice_facts(notice).payload)
        codes = {bid.bidder.credit_code for bid in rows}
        if codes:  # a record without structured bids (text only) says nothing countable
            bidders.setdefault(tender.id, set()).update(codes)
            bid_keys.setdefault(tender.code, set()).update((bid.lot, bid.bidder.credit_code) for bid in rows)
    signing: dict[str, list[Decimal]] = {}
    for signed in await contracts.signing_times(session):
        signing.setdefault(signed.tender, []).append(Decimal(str(signed.days)))
    facts = []
    public = await _public_tenders(session)
    # bonds only of opened tenders: before the opening, counting them would tell how many bid
    # (the bids as the published records list them: a bid counts once, by how it was secured)
    bonds = await guarantees.bonds_by_tender(
        session, [t.code for t in public if t.id in bidders], bids=bid_keys
    )
    for tender in public:
        bond = bonds.get(tender.code)
        won = [award for rows in awards.get(tender.id, {}).values() for award in rows]
        facts.append(
            TenderStat(
                code=tender.code,
                month=month_of(tender.notice_at or tender.created_at),
                category=tender.category,
                region=tender.region_code,
                budget=tender.budget,
                lot_budgets=await lot_budgets(session, tender) if won else {},
                awards=tuple(won),
                bidders=len(bidders[tender.id]) if tender.id in bidders else None,
                title=tender.title,
                guaranteed_bids=bond.guarantees if bond else 0,
                deposit_bids=bond.deposits if bond else 0,
                guaranteed_amount=bond.guaranteed_amount if bond else Decimal("0.00"),
                signing_days=tuple(signing.get(tender.code, ())),
            )
        )
    return facts


async def contract_publications(session: AsyncSession, code: str) -> list[ContractFacts]:
    """What contracts published of the tender's signed contracts, in order (none for a training tender)."""
    seen: set[int] = set()
    out = []
    for pub in await contracts.publications_of(session, code):
        out.append(ContractFacts(pub.id, as_utc(pub.published_at), pub.contract_id not in seen, pub.facts))
        seen.add(pub.contract_id)
    return out


def category_names() -> dict[str, tuple[str, str]]:
    """Trading categories in their display order: code → (zh, en)."""
    return dict(bidding.CATEGORIES)


async def region_names(session: AsyncSession) -> dict[str, tuple[str, str]]:
    """Regions by code: code → (zh, en)."""
    return {r.code: (r.name, r.name_en or r.name) for r in await list_regions(session)}


async def previous_attempt(
    session: AsyncSession, config: OcdsConfig, tender: Tender
) -> PreviousAttempt | None:
    """The public earlier attempt that ``tender`` tenders again (bidding's attempts), if any."""
    previous = (await bidding.attempts(session, tender)).previous
    if previous is None:
        return None
    return PreviousAttempt(config.ocid(previous.code), previous.title, previous.state == "failed")
