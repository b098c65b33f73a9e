"""Registration (报名) behind the tender's qualification gate, and logged document downloads."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.common import can_see_draft, moment_of, registration_of, visible_tender
from bidding.models import DocumentDownload, Registration, Tender, TenderDocument
from bidding.preconditions import require_registered, require_registration_open
from core.accounts import Principal
from core.clock import centre_today
from core.credit_port import credit
from core.db import insert_unless_present
from core.errors import NotFound, PermissionDenied
from core.models import Organisation
from core.organisations import OrgKind
from core.roles import Role
from core.runtime import Runtime


async def bidder_org(session: AsyncSession, principal: Principal) -> Organisation:
    if Role.BIDDER not in principal.roles or principal.organisation_id is None:
        raise PermissionDenied("只有投标人单位的用户可以报名投标 (only users of a bidder company)")
    org = await session.get(Organisation, principal.organisation_id)
    if org is None or org.kind != OrgKind.BIDDER:
        raise PermissionDenied("你所属的单位不是投标人 (your organisation is not a bidder)")
    return org


async def check_gate(
    session: AsyncSession, runtime: Runtime, tender: Tender, org: Organisation
) -> Decimal | None:
    """The qualification gate: credit index at least the tender's minimum and not barred.

    Returns the index seen (kept on the registration), or None when credit is not installed (the
    credit port's fallback: nothing to check).
    """
    port = credit()
    if port is None:
        return None
    day = centre_today(runtime.clock)
    found = (await port.standings(session, "bidder", [org.credit_code], day))[org.credit_code]
    if found.barred:
        raise PermissionDenied(
            "你单位处于限制投标期内 (your company is barred from bidding)", code="credit_barred"
        )
    if Decimal(found.index) < tender.min_credit_index:
        raise PermissionDenied(
            f"信用指数 {found.index} 低于本项目要求的 {tender.min_credit_index} "
            f"(credit index below this tender's minimum)",
            code="credit_too_low",
        )
    return Decimal(found.index)


async def register(session: AsyncSession, runtime: Runtime, principal: Principal, code: str) -> Registration:
    """Sign the caller's company up (idempotent: a second call returns the first registration, also
    when the two race: the insert yields to a row a concurrent request committed)."""
    org = await bidder_org(session, principal)
    tender = await visible_tender(session, code, principal)
    existing = await registration_of(session, tender.id, org.id)
    if existing is not None:
        return existing
    now = runtime.clock.now()
    require_registration_open(moment_of(tender, now))
    index = await check_gate(session, runtime, tender, org)
    await insert_unless_present(
        session,
        Registration,
        {
            "tender_id": tender.id,
            "organisation_id": org.id,
            "user_id": principal.user_id,
            "registered_at": now,
            "credit_index": index,
        },
        unique=("tender_id", "organisation_id"),
    )
    registration = await registration_of(session, tender.id, org.id)
    assert registration is not None
    # Not in the public audit log: who registered is as secret as who bid until the opening.
    return registration


async def registration_count(session: AsyncSession, tender_id: int) -> int:
    return await session.scalar(select(func.count()).where(Registration.tender_id == tender_id)) or 0


async def open_download(
    session: AsyncSession, runtime: Runtime, principal: Principal, code: str, document_id: int
) -> TenderDocument:
    """The document, after logging the download. Bidders must have registered; owners and supervisors
    may always read their documents."""
    tender = await visible_tender(session, code, principal)
    doc = await session.get(TenderDocument, document_id)
    if doc is None or doc.tender_id != tender.id:
        raise NotFound(f"招标文件 {document_id} 不存在 (no such document)", code="unknown_document")
    if Role.BIDDER in principal.roles and not (
        principal.roles & {Role.SUPERVISOR, Role.AGENT, Role.TENDERER}
    ):
        org = await bidder_org(session, principal)
        await require_registered(
            session, tender.id, org.id, "请先报名再下载招标文件 (register for the tender first)"
        )
    elif not can_see_draft(principal, tender):
        raise PermissionDenied("无权下载该招标文件 (you may not download this document)")
    session.add(
        DocumentDownload(
            document_id=doc.id,
            organisation_id=principal.organisation_id,
            user_id=principal.user_id,
            at=runtime.clock.now(),
        )
    )
    return doc
