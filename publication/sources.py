"""Everything publication reads from the contexts below it, in one place.

Public events are found through core's audit log (``notice.published`` entries, public by design);
tenders, lots and notices through bidding's service and notice functions; organisations and regions
through core. Nothing here reads sealed submissions, openings in progress or drafts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding import service as bidding
from bidding.documents import documents_of
from bidding.notices import notices_of
from core.audit import entries_after
from core.clock import as_utc
from core.errors import NotFound
from core.models import AuditEntry
from core.organisations import get_organisation
from core.regions import get_region
from publication.ocds import (
    DocumentFacts,
    LotFacts,
    NoticeFacts,
    PartyFacts,
    TenderFacts,
    payload_from_body,
)

if TYPE_CHECKING:  # types only: rows come from bidding's functions, never from its tables
    from bidding.models import Notice, Tender

NOTICE_EVENT = "notice.published"
AMENDED_EVENT = "tender.amended"


@dataclass(frozen=True)
class Event:
    """One public event: a ``notice.published`` audit entry."""

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
        str(data.get("kind", "")),
        str(data.get("title", "")),
    )


async def events_after(session: AsyncSession, position: int, limit: int) -> list[Event]:
    """Public events with audit positions above ``position``, oldest first."""
    rows = await entries_after(session, position, limit=limit, kind=NOTICE_EVENT)
    return [_event(entry) for entry in rows]


async def event_at(session: AsyncSession, position: int) -> Event | None:
    entry = await session.get(AuditEntry, position)
    return _event(entry) if entry is not None and entry.kind == NOTICE_EVENT else None


async def public_tender(session: AsyncSession, code: str) -> Tender:
    """A tender the public may see (a draft is as unknown as a tender that does not exist)."""
    tender = await bidding.tender_by_code(session, code)
    if tender.state == bidding.State.DRAFT:
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
        .where(AuditEntry.kind == AMENDED_EVENT, AuditEntry.entry.contains(subject))
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
            for d in await documents_of(session, tender.id)
        ],
        deadline_changes=await _deadline_changes(session, tender.code),
    )


def notice_facts(notice: Notice) -> NoticeFacts:
    # Structured content: a ``data`` dict stored with the notice, if bidding adds one (shapes in
    # publication/ocds.py), else what a signed body says (the opening record); text notices have none.
    payload = getattr(notice, "data", None)
    if not isinstance(payload, dict):
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
    return [notice_facts(n) for n in await notices_of(session, tender.id)]
