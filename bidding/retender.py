"""Re-tendering after 流标 (重新招标): a new draft pre-filled from the failed tender, linked both ways.

《招标投标法实施条例》第四十四条: with fewer than 3 bidders the tenderer re-tenders. The new draft
copies the failed tender's terms (region, category, method, money, criteria, bid form, rules), its
failed lots (every lot when the whole tender failed) and refers to the same stored documents; the
agent gives a new timeline and a new opening key (a key revealed at the failed opening must never
seal new bids). The re-tender is attempt ``n + 1`` of the same project; when it fails too, the
tenderer may stop tendering or switch method (《工程建设项目施工招标投标办法》第三十八条).

A lot may also be tendered again for a reason the contexts above bidding know, told through
core/retender_port.py: its contract was refused or lapsed and the owner chose a new tender rather than
the next candidate (contracts, 条例第五十五条), or an upheld complaint ordered one (disputes, 第六十一条).
Such a re-tender copies those lots only.
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Annotated

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding import lifecycle
from bidding.common import CODE, is_owner, lots_of, visible_tender
from bidding.documents import documents_of
from bidding.inputs import validate_custody
from bidding.lifecycle import State
from bidding.models import Lot, Tender, TenderDocument
from bidding.opening.common import lots_failed_at_opening
from core.accounts import Principal
from core.errors import Conflict, InvalidInput, PermissionDenied
from core.retender_port import RetenderCause, retender_sources
from core.runtime import Runtime
from core.texts import AgeRecipientText


class Retender(msgspec.Struct, kw_only=True):
    """What a re-tender changes: its code, its timeline and a fresh opening key."""

    code: Annotated[str, msgspec.Meta(max_length=40, description="the new tender's code")]
    registration_start: datetime
    registration_end: datetime
    clarification_deadline: datetime
    bid_deadline: datetime
    opening_recipient: Annotated[
        AgeRecipientText,
        msgspec.Meta(max_length=100, description="a new age X25519 recipient from a new key ceremony"),
    ]
    title: Annotated[str, msgspec.Meta(max_length=200)] | None = None


class Attempt(msgspec.Struct, kw_only=True):
    code: str
    title: str
    attempt: int
    state: str


class RetenderReason(msgspec.Struct, kw_only=True):
    """Why a lot (None: every lot) of a tender that did not fail may be tendered again."""

    lot: str | None
    zh: str
    en: str
    basis: str


class TenderHistory(msgspec.Struct, kw_only=True):
    """The attempts of one project (public): earlier and later tenders, and what a failure allows."""

    code: str
    attempt: int
    previous: Attempt | None
    next: Attempt | None
    may_retender: bool
    repeated_failure: bool  # the re-tender failed too: the tenderer may stop or switch method
    retender_basis: str
    repeated_failure_basis: str
    # lots to tender again although the tender did not fail (a refused contract, a complaint's remedy)
    retender_reasons: list[RetenderReason] = []


def _attempt(tender: Tender) -> Attempt:
    return Attempt(code=tender.code, title=tender.title, attempt=tender.attempt, state=tender.state)


async def successor_of(session: AsyncSession, tender: Tender) -> Tender | None:
    return await session.scalar(
        select(Tender).where(Tender.retender_of_id == tender.id).order_by(Tender.id).limit(1)
    )


async def retender_causes(session: AsyncSession, tender: Tender) -> list[RetenderCause]:
    """Why the higher contexts say lots of the tender may be tendered again (core/retender_port)."""
    return [
        cause for source in retender_sources() for cause in await source.retender_causes(session, tender.code)
    ]


async def retender_basis(session: AsyncSession, tender: Tender) -> str:
    """The article that let ``tender`` be tendered again: Art. 44 for a failure, else its causes' articles."""
    if tender.state == State.FAILED:
        return lifecycle.RETENDER_BASIS
    bases = dict.fromkeys(cause.basis for cause in await retender_causes(session, tender))
    return "、".join(bases) or lifecycle.RETENDER_BASIS


async def failed_lots(session: AsyncSession, tender: Tender) -> list[Lot]:
    """The lots to tender again: every lot of a failed tender, else the lots whose opening failed and
    those a higher context names (a refused or lapsed contract tendered again, a complaint's remedy)."""
    lots = await lots_of(session, tender.id)
    if tender.state == State.FAILED:
        return lots
    failed = await lots_failed_at_opening(session, tender.code)
    named = {cause.lot for cause in await retender_causes(session, tender)}
    if None in named:
        return lots
    return [lot for lot in lots if lot.number in failed or lot.number in named]


async def retender(
    session: AsyncSession, runtime: Runtime, principal: Principal, code: str, new: Retender
) -> Tender:
    """The re-tender's draft (idempotent by its code: asking again returns the same draft)."""
    old = await visible_tender(session, code, principal)
    if not is_owner(principal, old):
        raise PermissionDenied(
            "只有本项目的招标人或代理机构可以重新招标 (only the tender's owners re-tender)"
        )
    existing = await successor_of(session, old)
    if existing is not None:
        if existing.code == new.code:
            return existing
        raise Conflict(
            f"该项目已重新招标为 {existing.code} (already re-tendered as {existing.code})",
            code="already_retendered",
        )
    lots = await failed_lots(session, old)
    if not lots:
        raise Conflict(
            "只有流标的项目或标段、合同未订立后决定重新招标的标段、"
            "投诉处理决定责令重新招标的项目可以重新招标 "
            "(only a failed tender or lot, a lot whose contract ended and is to be tendered again, or one a "
            "complaint decision ordered tendered again, is tendered again)",
            code="not_failed",
        )
    if not CODE.match(new.code):
        raise InvalidInput("项目编号须为3-40位字母、数字或 - (code: 3-40 of A-Z, 0-9, '-')", code="bad_code")
    if await session.scalar(select(Tender.id).where(Tender.code == new.code)):
        raise Conflict(f"项目编号 {new.code} 已被使用 (tender code already taken)", code="code_taken")
    recipient, custody = validate_custody(new.opening_recipient, None)
    if recipient == old.opening_recipient:
        raise InvalidInput(
            "重新招标须使用新的开标密钥 (a re-tender needs a new opening key)", code="opening_key_reused"
        )
    now = runtime.clock.now()
    tender = Tender(
        code=new.code,
        title=(new.title or "").strip() or f"{old.title}（重新招标）",
        category=old.category,
        method=old.method,
        tenderer_id=old.tenderer_id,
        agent_id=old.agent_id,
        region_code=old.region_code,
        budget=old.budget,
        ceiling_price=old.ceiling_price,
        bond_amount=old.bond_amount,
        bond_forms=list(old.bond_forms),
        description=old.description,
        registration_start=new.registration_start,
        registration_end=new.registration_end,
        clarification_deadline=new.clarification_deadline,
        bid_deadline=new.bid_deadline,
        decryption_minutes=old.decryption_minutes,
        confirm_minutes=old.confirm_minutes,
        criteria=copy.deepcopy(old.criteria),
        form_fields=copy.deepcopy(old.form_fields),
        rules=dict(old.rules),
        opening_recipient=recipient,
        custody=custody,
        max_envelope_bytes=old.max_envelope_bytes,
        min_credit_index=old.min_credit_index,
        state=State.DRAFT,
        training=old.training,
        amendments=0,
        retender_of_id=old.id,
        attempt=old.attempt + 1,
        created_by=principal.user_id,
        created_at=now,
        updated_at=now,
    )
    session.add(tender)
    await session.flush()  # a draft: no audit entry until it is published (TENDER_RETENDERED then)
    for lot in lots:
        session.add(
            Lot(
                tender_id=tender.id,
                number=lot.number,
                title=lot.title,
                budget=lot.budget,
                ceiling_price=lot.ceiling_price,
            )
        )
    for doc in await documents_of(session, old.id):
        session.add(
            TenderDocument(
                tender_id=tender.id,
                name=doc.name,
                blob_key=doc.blob_key,  # the same stored file, hence the same SHA-256
                size=doc.size,
                sha256=doc.sha256,
                uploaded_at=now,
            )
        )
    await session.flush()
    return tender


async def history(session: AsyncSession, tender: Tender, *, drafts: bool = False) -> TenderHistory:
    """The tender's place in its project's attempts; a draft re-tender only with ``drafts`` (owners)."""
    previous = await session.get(Tender, tender.retender_of_id) if tender.retender_of_id else None
    following = await successor_of(session, tender)
    if following is not None and following.state == State.DRAFT and not drafts:
        following = None
    reasons = (
        []
        if tender.state == State.FAILED
        else [
            RetenderReason(lot=c.lot, zh=c.zh, en=c.en, basis=c.basis)
            for c in await retender_causes(session, tender)
        ]
    )
    return TenderHistory(
        code=tender.code,
        attempt=tender.attempt,
        previous=_attempt(previous) if previous is not None else None,
        next=_attempt(following) if following is not None else None,
        may_retender=lifecycle.may_retender(State(tender.state)),
        repeated_failure=lifecycle.may_switch_method(State(tender.state), tender.attempt),
        retender_basis=lifecycle.RETENDER_BASIS,
        repeated_failure_basis=lifecycle.SECOND_FAILURE_BASIS,
        retender_reasons=reasons,
    )
