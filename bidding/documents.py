"""Tender documents: streamed into the blob store by the tender's owners, replaced by name."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.common import actor_of, owner_actor, tender_by_code, visible_tender
from bidding.envelope import TooLarge
from bidding.events import TENDER_DOCUMENT_STORED
from bidding.lifecycle import State
from bidding.models import TenderDocument
from core.accounts import Principal
from core.errors import Conflict, InvalidInput
from core.runtime import Runtime

MIB = 1024 * 1024
MAX_DOCUMENT_BYTES = 512 * MIB


async def upload_document(
    runtime: Runtime, principal: Principal, code: str, name: str, source: AsyncIterable[bytes]
) -> TenderDocument:
    """Store a tender document (streamed to the blob store), replacing one of the same name."""
    name = name.strip()
    if not name or len(name) > 120 or "/" in name or "\\" in name:
        raise InvalidInput("文件名须为1-120个字符且不含 / (document name)", code="bad_document_name")
    async with runtime.transaction() as session:
        tender = await visible_tender(session, code, principal)
        owner_actor(principal, tender)
        if tender.state not in (State.DRAFT, State.PUBLISHED, State.BIDDING):
            raise Conflict("该项目已不能修改招标文件 (documents are closed)", code="invalid_state")
        tender_id = tender.id
    key = f"tenders/{code}/documents/{uuid.uuid4().hex}"
    info = await runtime.blobs.put(key, _limited(source, MAX_DOCUMENT_BYTES))
    async with runtime.transaction() as session:
        tender = await tender_by_code(session, code)
        old = await session.scalar(
            select(TenderDocument).where(TenderDocument.tender_id == tender_id, TenderDocument.name == name)
        )
        if old is not None:
            old_key = old.blob_key
            await session.delete(old)
            await session.flush()
        else:
            old_key = None
        doc = TenderDocument(
            tender_id=tender_id,
            name=name,
            blob_key=key,
            size=info.size,
            sha256=info.sha256,
            uploaded_at=runtime.clock.now(),
        )
        session.add(doc)
        await session.flush()
        if tender.state != State.DRAFT:  # a draft's documents are logged when it is published
            await runtime.audit.append(
                session,
                TENDER_DOCUMENT_STORED,
                actor=actor_of(principal),
                subject=f"tender:{tender.code}",
                data={"name": name, "sha256": info.sha256, "size": info.size},
            )
    if old_key:
        await runtime.blobs.delete(old_key)
    return doc


async def _limited(source: AsyncIterable[bytes], limit: int) -> AsyncIterable[bytes]:
    seen = 0
    async for chunk in source:
        seen += len(chunk)
        if seen > limit:
            raise TooLarge(f"招标文件不得超过 {limit // MIB} MiB (document too large)")
        yield chunk


async def documents_of(session: AsyncSession, tender_id: int) -> list[TenderDocument]:
    rows = await session.scalars(
        select(TenderDocument).where(TenderDocument.tender_id == tender_id).order_by(TenderDocument.id)
    )
    return list(rows)
