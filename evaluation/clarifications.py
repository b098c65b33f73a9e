"""Clarifications (澄清): a member asks a bidder to clarify its bid, the bidder answers in time."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import rooms
from core.accounts import Principal
from core.clock import as_utc
from core.errors import Conflict, InvalidInput, NotFound
from core.runtime import Runtime
from evaluation.actions import MAX_TEXT, Clarify
from evaluation.events import (
    EVALUATION_CLARIFICATION_ANSWERED,
    EVALUATION_CLARIFICATION_ASKED,
    ClarificationAnswered,
    ClarificationAsked,
)
from evaluation.models import Clarification, Evaluation
from evaluation.room import room_name
from evaluation.steps import Room
from evaluation.views import Acted, ClarificationOut, clarification_out


async def ask_clarification(
    session: AsyncSession, runtime: Runtime, evaluation: Evaluation, member: str, state: Room, ask: Clarify
) -> Acted:
    """A member's question to a bidder (the room's phase was checked with the action)."""
    bid = next((b for b in evaluation.bids if b["code"] == ask.bidder), None)
    if bid is None:
        raise InvalidInput(
            f"{ask.bidder} 不是本次评标的投标人 (not a bidder of this evaluation)", code="unknown_bidder"
        )
    now = runtime.clock.now()
    clarification = Clarification(
        evaluation_id=evaluation.id, bidder_code=ask.bidder, organisation_id=bid["organisation_id"],
        question=ask.question, asked_by=member, asked_at=now, due_at=now + timedelta(minutes=ask.minutes),
    )  # fmt: skip
    session.add(clarification)
    await session.flush()
    seq = await rooms.append(
        session, runtime.clock, room_name(evaluation.code), "clarification.asked",
        ClarificationAsked(id=clarification.id, bidder=ask.bidder, question=clarification.question, by=member,
                           due=clarification.due_at.isoformat()),
    )  # fmt: skip
    assert seq is not None  # the room's own transaction (not a shared one) numbers it at once
    await runtime.audit.append(
        session, EVALUATION_CLARIFICATION_ASKED, subject=f"evaluation:{evaluation.code}",
        data={"id": clarification.id, "bidder": ask.bidder},
    )  # fmt: skip
    return Acted(seq=seq, phase=state.phase, clarification=clarification.id)


async def clarifications_for_bidder(session: AsyncSession, principal: Principal) -> list[ClarificationOut]:
    if principal.organisation_id is None:
        return []
    rows = await session.execute(
        select(Clarification, Evaluation)
        .join(Evaluation, Evaluation.id == Clarification.evaluation_id)
        .where(Clarification.organisation_id == principal.organisation_id)
        .order_by(Clarification.asked_at.desc())
    )
    return [clarification_out(c, e) for c, e in rows.all()]


async def answer_clarification(
    session: AsyncSession, runtime: Runtime, principal: Principal, clarification_id: int, answer: str
) -> ClarificationOut:
    found = await session.get(Clarification, clarification_id)
    if found is None or found.organisation_id != principal.organisation_id:
        raise NotFound("没有这条澄清要求 (no such clarification request)", code="unknown_clarification")
    if found.answer is not None:
        raise Conflict("已答复 (already answered)", code="already_answered")
    if runtime.clock.now() > as_utc(found.due_at):
        raise Conflict("已超过答复时限 (the time to answer has passed)", code="too_late")
    text = answer.strip()
    if not text:
        raise InvalidInput("答复不能为空 (the answer is empty)", code="missing_field")
    if len(text) > MAX_TEXT * 5:
        raise InvalidInput("答复过长 (the answer is too long)", code="too_long")
    found.answer, found.answered_at, found.answered_by = text, runtime.clock.now(), principal.user_id
    evaluation = await session.get(Evaluation, found.evaluation_id)
    assert evaluation is not None
    await rooms.append(
        session, runtime.clock, room_name(evaluation.code), "clarification.answered",
        ClarificationAnswered(id=found.id, bidder=found.bidder_code, answer=text),
    )  # fmt: skip
    await runtime.audit.append(
        session, EVALUATION_CLARIFICATION_ANSWERED, actor=principal.actor,
        subject=f"evaluation:{evaluation.code}", data={"id": found.id},
    )  # fmt: skip
    return clarification_out(found, evaluation)
