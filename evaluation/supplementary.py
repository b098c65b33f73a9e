"""补抽 into a running room: a supplementary draw's members take the vacant seats.

A member who leaves the room's committee (a conflict of interest declared at sign-in, or recorded
absent) is replaced by the first remaining alternate; with none left the seat is vacant and the room
cannot leave sign-in. experts is told of every departure (``experts.service.vacate_seat``, from
acting.py): the seat is released, and a vacancy makes the draw short again, so the supervisor runs a
supplementary draw on it. When that draw's members confirm, experts calls the committee port
(core/committee_port.py) and :func:`supplemented` seats them: the room's ``AlternatesAdded`` step puts
them on the vacancies in draw order (any beyond the vacancies stand by as alternates), each gets a seat
row with their name, employer and public key, and they sign in and declare like everyone else.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import rooms
from core.runtime import Runtime
from evaluation.events import EVALUATION_MEMBERS_SUPPLEMENTED, encode
from evaluation.models import Evaluation, Member
from evaluation.room import RoomStates, room_name
from evaluation.steps import AlternatesAdded, Phase, StepError, transition
from experts import service as experts


async def supplemented(session: AsyncSession, runtime: Runtime, draw_id: int) -> None:
    """Seat the newly confirmed members of ``draw_id``'s supplementary draws in its running room.

    Nothing when no room runs on the draw yet (``start`` seats the whole committee when it opens), or
    when the room has left sign-in (no seat can be vacant there)."""
    evaluation = await session.scalar(select(Evaluation).where(Evaluation.draw_id == draw_id))
    if evaluation is None:
        return
    room = room_name(evaluation.code)
    head = await rooms.lock(session, room)
    state = await RoomStates.of(runtime).fold(session, room, head)
    if state is None or state.phase is not Phase.SIGN_IN:
        return
    await experts.unseal_for_evaluation(session, runtime, draw_id)  # the newcomers' names: to the room
    members, alternates = await experts.seats(session, draw_id)
    known = {*state.members, *state.alternates, *(r.member for r in state.replacements)}
    fresh = [e for e in (*members, *alternates) if e.code not in known]
    if not fresh:
        return
    event = AlternatesAdded(tuple(e.code for e in fresh))
    try:
        new = transition(state, event)
    except StepError:
        return
    kind, data = encode(event)
    await rooms.append(session, runtime.clock, room, kind, data)
    last = dict(
        (
            await session.execute(
                select(Member.kind, func.max(Member.position))
                .where(Member.evaluation_id == evaluation.id)
                .group_by(Member.kind)
            )
        ).all()
    )
    for expert in fresh:
        seat = "member" if expert.code in new.members else "alternate"
        last[seat] = last.get(seat, -1) + 1
        session.add(
            Member(
                evaluation_id=evaluation.id, code=expert.code, user_id=expert.user_id, name=expert.name,
                county_code=expert.county_code, employer=expert.employer_name, public_key=expert.public_key,
                kind=seat, position=last[seat],
            )
        )  # fmt: skip
    seated = [e.code for e in fresh if e.code in new.members]
    await runtime.audit.append(
        session, EVALUATION_MEMBERS_SUPPLEMENTED, subject=f"evaluation:{evaluation.code}",
        data={"members": len(seated), "alternates": len(fresh) - len(seated), "vacancies": new.vacancies},
    )  # fmt: skip
