"""Tender documents: streamed into the blob store by the tender's owners, replaced by name."""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import AsyncIterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding import review
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
MAX_NAME = 120  # characters: the column (bidding_documents.name) holds 120
# Names a bidder's computer cannot save: Windows' device names (with or without an extension).
RESERVED_NAMES = {"CON", "PRN", "AUX", "NUL", *(f"{d}{n}" for d in ("COM", "LPT") for n in range(1, 10))}
FORBIDDEN_CHARACTERS = set('/\\<>:"|?*')


def document_name(raw: str) -> str:
    """The name a document is published and saved under, or a 422 naming what is wrong with it."""

    def bad(why: str) -> InvalidInput:
        return InvalidInput(f"name 文件名 (document name): {why}", code="bad_document_name")

    name = unicodedata.normalize("NFC", raw.strip())
    if not name:
        raise bad("不能为空 (is required)")
    if len(name) > MAX_NAME:
        raise bad(f"不能超过{MAX_NAME}个字符 (at most {MAX_NAME} characters)")
    if any(unicodedata.category(c) in ("Cc", "Cf", "Cs") for c in name):  # NUL, newlines, bidi overrides
        raise bad("不能含控制字符 (no control or invisible formatting characters)")
    if used := sorted(FORBIDDEN_CHARACTERS & set(name)):
        raise bad(f"不能含 {' '.join(used)} (no path separators or characters Windows forbids)")
    if name in (".", "..") or name.endswith("."):
        raise bad("不能为 . 或 .. ，也不能以 . 结尾 (not . or .., and not ending in a dot)")
    if name.split(".")[0].strip().upper() in RESERVED_NAMES:
        raise bad(f"{name.split('.')[0]} 是系统保留名 (a reserved device name)")
    return name


async def upload_document(
    runtime: Runtime, principal: Principal, code: str, name: str, source: AsyncIterable[bytes]
) -> TenderDocument:
    """Store a tender document (streamed to the blob store), replacing one of the same name."""
    name = document_name(name)
    async with runtime.transaction() as session:
        tender = await visible_tender(session, code, principal)
        owner_actor(principal, tender)
        if tender.state not in (State.DRAFT, State.PUBLISHED, State.BIDDING):
            raise Conflict("该项目已不能修改招标文件 (documents are closed)", code="invalid_state")
        if tender.state == State.DRAFT:  # a changed draft needs its notice reviewed again
            await review.lapse_on_change(session, tender, runtime.clock.now())
        tender_id = tender.id
    key = f"tenders/{code}/documents/{uuid.uuid4().hex}"
    info = await runtime.blobs.put(key, _limited(source, MAX_DOCUMENT_BYTES))
    async with runtime.transaction() as session:
        tender = await tender_by_code(session, code)
        old = await session.scalar(
            select(TenderDocument).where(TenderDocument.tender_id == tender_id, TenderDocument.name == name)
        )
        old_key: str | None = None
        if old is not None:
            old_key = old.blob_key
            await session.delete(old)
            await session.flush()
            # a re-tender refers to its failed predecessor's documents (the same blob): keep it
            if await session.scalar(
                select(TenderDocument.id).where(TenderDocument.blob_key == old_key).limit(1)
            ):
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
