"""The evaluation room: reading its state, who is admitted and as what, what they see, who is online.

The room's event log (core/rooms.py, room ``evaluation:<code>``) is the truth: every accepted action
is a step event (evaluation/events.py, stored as ``step.<kind>``) checked against the state folded
from the log while the room's head row is locked (evaluation/acting.py), so two members acting at once
(in two processes) are applied one after the other and never against a stale state. Alongside the step
events the room carries news the steps do not need: ``progress`` (a member's count of scores given, so
others see progress without seeing values), ``presence``, ``clarification.*``, ``report.*``.

Who sees what in the room: a member's individual scores are for that member and the supervisors
(audience ``member:<code>``); everything else is for everyone admitted to the room (the committee,
the host — the tender's tenderer or agent — and supervisors). Bidders and other experts are never
admitted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding import service as bidding
from core import rooms
from core.accounts import Principal
from core.errors import Conflict, NotFound, PermissionDenied
from core.models import RoomEvent
from core.regions import get_region
from core.roles import Role
from core.runtime import Runtime
from core.shared_reads import shared_read
from evaluation import scoring
from evaluation.events import PREFIX, Presence, decode
from evaluation.models import Clarification, Evaluation, Member
from evaluation.params import from_tender_criteria
from evaluation.steps import Room, StepError, evaluate_room, transition
from evaluation.views import EvaluationSummary, RoomView, evaluation_summary, room_view


def room_name(code: str) -> str:
    return f"evaluation:{code}"


def member_audience(code: str) -> str:
    return f"member:{code}"


# --- reading ------------------------------------------------------------------------------------------


async def get_evaluation(session: AsyncSession, code: str) -> Evaluation:
    found = await session.scalar(select(Evaluation).where(Evaluation.code == code))
    if found is None:
        raise NotFound(f"评标 {code} 不存在 (no such evaluation)", code="unknown_evaluation")
    return found


async def seats_of(session: AsyncSession, evaluation: Evaluation | RoomFacts) -> list[Member]:
    rows = await session.scalars(
        select(Member)
        .where(Member.evaluation_id == evaluation.id)
        .order_by(Member.kind.desc(), Member.position)
    )
    return list(rows)


async def seat_row(session: AsyncSession, evaluation: Evaluation, code: str) -> Member:
    """The seat of member ``code`` (a member or an alternate); 404 for anyone else."""
    seat = await session.scalar(
        select(Member).where(Member.evaluation_id == evaluation.id, Member.code == code)
    )
    if seat is None:
        raise NotFound(f"{code} 不是本评标的成员 (not a seat of this evaluation)")
    return seat


async def _fold_rows(
    session: AsyncSession, room: str, state: Room | None, after: int, upto: int
) -> tuple[Room | None, int]:
    """``state`` (as of seq ``after``) carried on through the stored events up to seq ``upto``."""
    while after < upto:
        rows = await rooms.events_after(session, room, after)
        if not rows:
            break
        for row in rows:
            if row.seq > upto:
                break
            if row.kind.startswith(PREFIX):
                state = transition(state, decode(row.kind, json.loads(row.payload)))
            after = row.seq
        else:
            continue
        break
    return state, after


class RoomStates:
    """Folded states by room for one runtime (one database): (seq, state), from committed rows only —
    folded right after the room's head is locked and before the transaction appends anything
    (``acting.act``), or by a read (``room_state``). Later events, from any process, are read from the
    database on use. Held on the runtime (``RoomStates.of``), so it goes with it."""

    KEPT = 256

    def __init__(self) -> None:
        self._states: dict[str, tuple[int, Room]] = {}

    @classmethod
    def of(cls, runtime: Runtime) -> RoomStates:
        return runtime.cache("evaluation.room_states", cls)

    async def fold(self, session: AsyncSession, room: str, upto: int) -> Room | None:
        """The room's state as of seq ``upto``, continuing from the kept state where it can."""
        cached = self._states.get(room)
        state, after = (cached[1], cached[0]) if cached and cached[0] <= upto else (None, 0)
        state, after = await _fold_rows(session, room, state, after, upto)
        if state is not None:
            if len(self._states) >= self.KEPT:
                self._states.pop(next(iter(self._states)))
            self._states[room] = (after, state)
        return state


async def first_candidate(session: AsyncSession, tender_code: str, lot_number: str) -> str | None:
    """The credit code of the bidder the committee ranked first in a lot, or None before it ranked
    (or when the lot has no evaluation)."""
    evaluation = await session.scalar(
        select(Evaluation).where(Evaluation.tender_code == tender_code, Evaluation.lot_number == lot_number)
    )
    if evaluation is None:
        return None
    try:
        state = await room_state(session, evaluation)
    except Conflict:
        return None
    return state.ranking[0] if state.ranking else None


async def room_state(session: AsyncSession, evaluation: Evaluation, runtime: Runtime | None = None) -> Room:
    """The room's current state (a read: no lock taken). With the runtime, the fold continues from
    the runtime's cached state (this session reads only committed rows, so what it folds may be kept)."""
    room = room_name(evaluation.code)
    upto = await rooms.head(session, room)
    if runtime is not None:
        state = await RoomStates.of(runtime).fold(session, room, upto)
    else:
        state, _ = await _fold_rows(session, room, None, 0, upto)
    if state is None:
        raise Conflict("评标室尚未开启 (the room is not open)", code="room_not_open")
    return state


def evaluate(evaluation: Evaluation, state: Room) -> scoring.ScoringResult:
    """The platform's evaluation of the room's scores (price scores, totals, ranking)."""
    prices = {b["code"]: Decimal(b["price"]) for b in evaluation.bids}
    method = from_tender_criteria(evaluation.criteria, coefficient=evaluation.coefficient)
    try:
        return evaluate_room(state, method, prices)
    except StepError as error:
        raise Conflict(str(error), code="step_refused") from None


async def evaluations_for(session: AsyncSession, principal: Principal) -> list[EvaluationSummary]:
    """The evaluations the caller may enter: a member's seats, a host's tenders, all for supervisors."""
    query = select(Evaluation).order_by(Evaluation.created_at.desc())
    if Role.SUPERVISOR not in principal.roles:  # one query, as ``seat_of`` would admit them
        mine = (Member.user_id == principal.user_id, Member.kind == "member")
        seated = select(Member.evaluation_id).where(*mine)
        query = query.where(
            or_(Evaluation.id.in_(seated), Evaluation.tender_code.in_(bidding.owned_tender_codes(principal)))
        )
    found = list(await session.scalars(query))
    return [evaluation_summary(e) for e in found]


# --- who is asking ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Seat:
    """The caller's place in an evaluation: a member's code, or host / supervisor, never both."""

    member: str | None
    host: bool
    supervisor: bool

    @property
    def admitted(self) -> bool:
        return self.member is not None or self.host or self.supervisor


@dataclass(frozen=True)
class RoomFacts:
    """What never changes about an evaluation once it exists (the tender's owners included): all a
    socket's admission needs besides the room's state and the seats. ``facts`` reads them once per
    process, one read shared by the sockets that miss together (a crowd joining), so they do not read
    the evaluation and the tender one by one."""

    id: int
    code: str
    tender_code: str
    tenderer_id: int
    agent_id: int | None


async def facts(runtime: Runtime, code: str) -> RoomFacts:
    """The evaluation's ``RoomFacts`` (404 for an unknown one); the read takes a connection of its own."""
    kept: dict[str, RoomFacts] = runtime.cache("evaluation.room_facts", dict)
    found = kept.get(code)
    if found is None:
        found = await shared_read(runtime, f"evaluation-room:{code}", partial(_read_facts, code))
        if code not in kept:  # the sharers of one read keep it once (and evict once)
            if len(kept) >= RoomStates.KEPT:
                kept.pop(next(iter(kept)))
            kept[code] = found
    return found


async def _read_facts(code: str, session: AsyncSession) -> RoomFacts:
    evaluation = await get_evaluation(session, code)
    tender = await bidding.tender_by_code(session, evaluation.tender_code)
    return RoomFacts(evaluation.id, code, evaluation.tender_code, tender.tenderer_id, tender.agent_id)


async def seat_of(
    session: AsyncSession,
    evaluation: Evaluation | RoomFacts,
    principal: Principal | None,
    state: Room | None = None,
) -> Seat:
    if principal is None:
        return Seat(None, False, False)
    member = None
    if Role.EXPERT in principal.roles or Role.TENDERER in principal.roles:
        mine = [s for s in await seats_of(session, evaluation) if s.user_id == principal.user_id]
        # In the room: the committee as it stands (an alternate once it has replaced someone; not
        # a member who declared a conflict and was replaced).
        if mine and (mine[0].code in state.members if state is not None else mine[0].kind == "member"):
            member = mine[0].code
    if member is not None:  # the tenderer's representative sits as a member, not as the host
        return Seat(member, False, False)
    owned: bidding.Owned = (
        evaluation
        if isinstance(evaluation, RoomFacts)
        else await bidding.tender_by_code(session, evaluation.tender_code)
    )
    return Seat(member, bidding.is_owner(principal, owned), Role.SUPERVISOR in principal.roles)


def _must_be_admitted(seat: Seat) -> None:
    if not seat.admitted:
        raise PermissionDenied(
            "仅评标委员会成员、招标人/代理机构和监督人员可进入评标室 (not admitted to this room)"
        )


async def admitted(
    session: AsyncSession, code: str, principal: Principal | None, runtime: Runtime | None = None
) -> tuple[Evaluation, Seat, Room]:
    """The evaluation, the caller's seat and the room's state; 403 for anyone not admitted to its room.
    Pass the runtime to reuse its cached state (``room_state``)."""
    evaluation = await get_evaluation(session, code)
    state = await room_state(session, evaluation, runtime)
    seat = await seat_of(session, evaluation, principal, state)
    _must_be_admitted(seat)
    return evaluation, seat, state


async def entering(
    session: AsyncSession, runtime: Runtime, code: str, principal: Principal | None
) -> tuple[Seat, Room, int]:
    """``admitted`` for a socket joining the room, and the head its state is as of: the same answer
    from the process's ``facts``, the room's head (one read shared by the sockets joining together)
    and the kept state (read on only when events came since)."""
    room = room_name(code)
    # Both shared reads first, while ``session`` holds no connection yet.
    upto = await rooms.shared_head(runtime, room)
    found = await facts(runtime, code)
    state = await RoomStates.of(runtime).fold(session, room, upto)
    if state is None:
        raise Conflict("评标室尚未开启 (the room is not open)", code="room_not_open")
    seat = await seat_of(session, found, principal, state)
    _must_be_admitted(seat)
    return seat, state, upto


def viewer(principal: Principal | None, seat: Seat, state: Room) -> rooms.Viewer:
    extra: list[str] = []
    if seat.member is not None:
        extra.append(member_audience(seat.member))
    if seat.supervisor:  # supervisors see every member's scores as they are given
        extra.extend(member_audience(m) for m in (*state.members, *state.alternates))
        extra.extend(member_audience(r.member) for r in state.replacements)
    return rooms.Viewer.of(principal, *extra)


async def region_names(session: AsyncSession, evaluation: Evaluation, seats: list[Member]) -> dict[str, str]:
    """The names of the evaluation's venues and of its seats' counties, by region code."""
    names = {}
    for region in {evaluation.main_venue, *evaluation.venues, *(s.county_code for s in seats)}:
        names[region] = (await get_region(session, region)).name
    return names


async def view(
    session: AsyncSession, principal: Principal | None, code: str, runtime: Runtime | None = None
) -> RoomView:
    """The room as the caller sees it (see evaluation/views.py); pass the runtime to reuse its cache."""
    evaluation, seat, state = await admitted(session, code, principal, runtime)
    seats = await seats_of(session, evaluation)
    names = await region_names(session, evaluation, seats)
    clarifications = await session.scalars(
        select(Clarification).where(Clarification.evaluation_id == evaluation.id).order_by(Clarification.id)
    )
    return room_view(
        evaluation, seats, state, me=seat.member, host=seat.host, supervisor=seat.supervisor,
        online=await online_members(session, code), venue_names=names, clarifications=list(clarifications),
    )  # fmt: skip


# --- presence -----------------------------------------------------------------------------------------


async def presence(session: AsyncSession, runtime: Runtime, code: str, member: str, online: bool) -> None:
    evaluation = await get_evaluation(session, code)
    seat = await seat_row(session, evaluation, member)
    await rooms.append(
        session,
        runtime.clock,
        room_name(code),
        "presence",
        Presence(member=member, venue=seat.venue, online=online),
    )


async def online_members(session: AsyncSession, code: str) -> dict[str, bool]:
    rows = await session.scalars(
        select(RoomEvent)
        .where(RoomEvent.room == room_name(code), RoomEvent.kind == "presence")
        .order_by(RoomEvent.seq)
    )
    counts: dict[str, int] = {}
    for row in rows:
        data = json.loads(row.payload)
        counts[data["member"]] = counts.get(data["member"], 0) + (1 if data["online"] else -1)
    return {member: count > 0 for member, count in counts.items()}


async def recent_log(
    session: AsyncSession, principal: Principal | None, code: str, head: int, count: int = 30
) -> list[dict[str, Any]]:
    """The room's last ``count`` events up to ``head`` as the caller may see them, newest first: the
    page's first paint of the room log (the socket continues after ``head``)."""
    _evaluation, seat, state = await admitted(session, code, principal)
    if state is None:
        return []
    seen = viewer(principal, seat, state)
    events = await rooms.events_after(session, room_name(code), max(0, head - count), count)
    out = []
    for event in events:
        if event.seq > head or not seen.sees(event.audience):
            continue
        data = json.loads(event.payload) if event.payload else {}
        member = data.get("member") if isinstance(data, dict) else None
        out.append({"seq": event.seq, "at": event.at, "kind": event.kind, "member": member})
    return out[::-1]
