"""Acting in the room: a member's (or the host's) action becomes a step event checked against the state
folded while the room's head row is locked, then the steps the platform takes by itself."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bidding import service as bidding
from core import rooms
from core.accounts import Principal
from core.credit_port import credit
from core.errors import Conflict, PermissionDenied
from core.runtime import Runtime
from evaluation import reporting
from evaluation.actions import Clarify, RoomAction, Sign, SignIn, parse
from evaluation.clarifications import ask_clarification
from evaluation.events import ScoringProgress, encode
from evaluation.models import Evaluation
from evaluation.room import (
    RoomStates,
    evaluate,
    get_evaluation,
    member_audience,
    room_name,
    seat_of,
    seat_row,
)
from evaluation.start import is_representative
from evaluation.steps import (
    Advance,
    AvoidanceDeclared,
    Event,
    MemberAbsent,
    Phase,
    Room,
    ScoreGiven,
    StepError,
    price_event,
    ranking_event,
    transition,
)
from evaluation.views import Acted
from experts import service as experts

PLATFORM = "platform"  # the ``by`` of the steps the platform takes itself


async def act(
    session: AsyncSession, runtime: Runtime, principal: Principal, code: str, message: Mapping[str, Any]
) -> Acted:
    """One action in the room (REST or socket; evaluation/actions.py reads it). Returns the seq of what
    it stored and the phase the room is in after it."""
    evaluation = await get_evaluation(session, code)
    room = room_name(code)
    head = await rooms.lock(session, room)
    state = await RoomStates.of(runtime).fold(session, room, head)
    if state is None:
        raise Conflict("评标室尚未开启 (the room is not open)", code="room_not_open")
    seat = await seat_of(session, evaluation, principal, state)
    if not seat.admitted:
        raise PermissionDenied("未进入本评标室 (not admitted to this room)")
    action, by = parse(message, seat, state)
    if isinstance(action, Clarify):
        return await ask_clarification(session, runtime, evaluation, by, state, action)
    event = action.event(by, evaluation)
    if isinstance(action, Sign):
        await reporting.check_signature(session, evaluation, by, action.signature)
    new = _apply(state, event)
    seq = await _store(session, runtime, room, event)
    await _after(session, runtime, evaluation, state, new, event, action, by)
    new = await _platform_steps(session, runtime, evaluation, new)
    return Acted(seq=seq, phase=new.phase)


def _apply(state: Room, event: Event) -> Room:
    try:
        return transition(state, event)
    except StepError as error:
        raise Conflict(str(error), code="step_refused") from None


async def _store(session: AsyncSession, runtime: Runtime, room: str, event: Event) -> int:
    kind, data = encode(event)
    audience = member_audience(event.member) if isinstance(event, ScoreGiven) else rooms.PUBLIC
    seq = await rooms.append(session, runtime.clock, room, kind, data, audience=audience)
    assert seq is not None  # the room's own transaction (not a shared one) numbers it at once
    return seq


async def _after(
    session: AsyncSession,
    runtime: Runtime,
    evaluation: Evaluation,
    old: Room,
    new: Room,
    event: Event,
    action: RoomAction,
    by: str,
) -> None:
    """What an accepted step implies outside the step log."""
    room = room_name(evaluation.code)
    if isinstance(action, SignIn):
        seat = await seat_row(session, evaluation, by)
        seat.venue = action.venue
    elif isinstance(event, ScoreGiven):
        given = sum(1 for (m, b, _c) in new.scores if m == event.member and b in new.valid_bidders)
        of = len(new.valid_bidders) * len(new.scored_criteria)
        progress = ScoringProgress(member=event.member, scored=given, of=of)
        await rooms.append(session, runtime.clock, room, "progress", progress)
    elif isinstance(action, Sign):
        seat = await seat_row(session, evaluation, by)
        seat.signature = action.signature
        seat.signed_at = runtime.clock.now()
    if isinstance(event, AvoidanceDeclared | MemberAbsent) and len(new.replacements) > len(old.replacements):
        left = new.replacements[-1]  # the draw's seat is released (with no alternate left: 补抽)
        await experts.vacate_seat(
            session,
            runtime,
            evaluation.draw_id,
            left.member,
            replaced_by=left.replaced_by,
            room=evaluation.code,
        )
    port = credit()
    fresh = new.credit[len(old.credit) :]
    if fresh and await bidding.is_training(session, evaluation.tender_code):
        fresh = ()  # a training tender (培训项目) never reaches the credit index
    for credit_event in fresh:
        if port is None:
            break  # credit is not installed: there is no index to deduct from
        if is_representative(credit_event.expert):
            continue  # the expert-conduct rules bind experts; the anomaly itself still does not count

        await port.record_event_deduction(
            session, runtime, event=credit_event.event, kind="expert", key=credit_event.expert,
            evidence=f"{evaluation.tender_code} 标段{evaluation.lot_number}: {credit_event.detail}",
            source_ref=f"evaluation:{evaluation.code}/{credit_event.expert}/{len(old.credit)}",
        )  # fmt: skip


async def _platform_steps(
    session: AsyncSession, runtime: Runtime, evaluation: Evaluation, state: Room
) -> Room:
    """Move on where the gate holds by itself, and compute what the platform computes."""
    room = room_name(evaluation.code)
    while True:
        if state.phase in (Phase.SIGN_IN, Phase.CHAIR_ELECTION, Phase.REPORT):
            try:
                step: Event = Advance(PLATFORM)
                new = transition(state, step)
            except StepError:
                return state
        elif state.phase is Phase.PRICE_SCORE and state.price_figures is None:
            step = price_event(evaluate(evaluation, state))
            new = _apply(state, step)
        elif state.phase is Phase.RESULTS and state.ranking is None:
            step = ranking_event(evaluate(evaluation, state))
            new = _apply(state, step)
        elif state.phase in (Phase.PRICE_SCORE, Phase.RESULTS):
            step = Advance(PLATFORM)
            new = _apply(state, step)
        else:
            return state
        await _store(session, runtime, room, step)
        if new.phase is Phase.REPORT and state.phase is not Phase.REPORT:
            await reporting.draft_report(session, runtime, evaluation, new)
        if new.phase is Phase.SIGNED:
            await reporting.signed(session, runtime, evaluation, new)
        state = new
