"""Invitations of a drawn committee: inviting, the expert's answer, expiry, calling the next alternate,
completing the committee; and the expert's own list. The order of events is in service.py's docstring."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.accounts import Principal
from core.committee_port import committee
from core.errors import Conflict, InvalidInput, NotFound
from core.pubsub import after_commit
from core.runtime import Runtime
from experts import draw as pure
from experts import supplementary
from experts.draw_records import (
    channel_for_expert,
    draw_seal,
    get_draw,
    invitations_of,
    load_snapshot,
    rules_of,
    tell_supervisors,
)
from experts.events import (
    EXPERTS_DRAW_COMPLETE,
    EXPERTS_DRAW_SEAT_VACATED,
    EXPERTS_DRAW_SHORT,
    EXPERTS_DRAW_SUPPLEMENTED,
    EXPERTS_INVITATION_CONFIRMED,
    EXPERTS_INVITATION_DECLINED,
    EXPERTS_INVITATION_EXPIRED,
    EXPERTS_INVITATION_SENT,
    InvitationNotice,
)
from experts.models import Draw, Expert, Invitation
from experts.notify import Notice, notifier
from experts.views import InvitationOut, invitation_out


async def invite(session: AsyncSession, runtime: Runtime, found: Draw, invitation: Invitation) -> None:
    now = runtime.clock.now()
    invitation.state, invitation.invited_at = "invited", now
    invitation.deadline = now + timedelta(minutes=found.response_minutes)
    expert = invitation.expert
    await runtime.audit.append(
        session, EXPERTS_INVITATION_SENT, subject=f"draw:{found.code}",
        data={"slot": invitation.slot, "kind": invitation.kind, "position": invitation.position,
              "expert": draw_seal(found, expert.code), "deadline": invitation.deadline.isoformat()},
    )  # fmt: skip
    if expert.user_id is not None:
        after_commit(session, channel_for_expert(expert.user_id), InvitationNotice(id=invitation.id))
    text = (
        f"【阳光招标】{expert.name}专家：您被抽取为 {found.evaluation_date:%Y-%m-%d} 的评标专家"
        f"（{invitation.specialty}），请于 {found.response_minutes} 分钟内登录确认或谢绝。"
    )
    await notifier().send(Notice(expert.code, expert.phone, "invited", text))


async def respond(
    session: AsyncSession,
    runtime: Runtime,
    invitation_id: int,
    *,
    actor: Principal,
    accept: bool,
    reason: str = "",
) -> Invitation:
    """The invited expert confirms or declines their own invitation."""
    invitation = await session.get(Invitation, invitation_id)
    if invitation is None or invitation.expert.user_id != actor.user_id:
        raise NotFound(f"邀请 {invitation_id} 不存在 (no such invitation)", code="unknown_invitation")
    return await record_response(
        session, runtime, invitation_id, accept=accept, reason=reason, actor=actor.actor
    )


async def record_response(
    session: AsyncSession,
    runtime: Runtime,
    invitation_id: int,
    *,
    accept: bool,
    reason: str,
    actor: str | None,
) -> Invitation:
    """Record an answer; also for answers taken by a voice-call gateway or the demo (trusted callers)."""
    invitation = await session.get(Invitation, invitation_id)
    if invitation is None:
        raise NotFound(f"邀请 {invitation_id} 不存在 (no such invitation)", code="unknown_invitation")
    found = await get_draw(session, invitation.draw_id)
    if invitation.state != "invited":
        raise Conflict(f"该邀请状态为 {invitation.state}，不能再答复 (already answered)", code="wrong_state")
    assert invitation.deadline is not None
    if runtime.clock.now() > invitation.deadline:
        raise Conflict("答复时限已过 (the response window has closed)", code="response_window_closed")
    if not accept and not reason.strip():
        raise InvalidInput("reason: 谢绝须说明理由 (a decline needs a reason)", code="reason_required")
    invitation.state = "confirmed" if accept else "declined"
    invitation.responded_at, invitation.reason = runtime.clock.now(), reason.strip()[:500]
    # The answering expert's account would name them (their own profile entries carry it): sealed too.
    answered = EXPERTS_INVITATION_CONFIRMED if accept else EXPERTS_INVITATION_DECLINED
    await runtime.audit.append(
        session, answered, subject=f"draw:{found.code}",
        data={"slot": invitation.slot, "kind": invitation.kind, "position": invitation.position,
              "expert": draw_seal(found, invitation.expert.code),
              "actor": draw_seal(found, actor) if actor is not None else None},
    )  # fmt: skip
    if accept:
        await _maybe_complete(session, runtime, found)
    else:
        await _call_next(session, runtime, found, invitation.slot)
    tell_supervisors(session, found, invitation.state)
    return invitation


async def expire_unanswered(session: AsyncSession, runtime: Runtime) -> int:
    """Every invitation past its deadline expires and the next alternate is called (a job runs this)."""
    now = runtime.clock.now()
    late = list(
        await session.scalars(
            select(Invitation)
            .where(Invitation.state == "invited", Invitation.deadline < now)
            .order_by(Invitation.id)
        )
    )
    for invitation in late:
        found = await get_draw(session, invitation.draw_id)
        invitation.state, invitation.responded_at = "expired", now
        await runtime.audit.append(
            session, EXPERTS_INVITATION_EXPIRED, subject=f"draw:{found.code}",
            data={"slot": invitation.slot, "kind": invitation.kind, "position": invitation.position,
                  "expert": draw_seal(found, invitation.expert.code)},
        )  # fmt: skip
        await _call_next(session, runtime, found, invitation.slot)
        tell_supervisors(session, found, "expired")
    return len(late)


async def _call_next(session: AsyncSession, runtime: Runtime, found: Draw, slot: int) -> None:
    invitations = await invitations_of(session, found.id)
    waiting = [i for i in invitations if i.slot == slot and i.kind == "alternate" and i.state == "standby"]
    committee = [i.expert.code for i in invitations if i.state in ("invited", "confirmed")]
    rules, _ = rules_of(found)
    await load_snapshot(session, found)
    assert found.pool is not None
    county_of = {r["id"]: r["county"] for r in found.pool}
    chosen = pure.pick_alternate([i.expert.code for i in waiting], county_of, committee, rules.max_per_county)
    if chosen is None:
        found.state = "short"
        await runtime.audit.append(
            session, EXPERTS_DRAW_SHORT, subject=f"draw:{found.code}",
            data={"slot": slot, "specialty": rules.slots[slot].specialty},
        )  # fmt: skip
        return
    await invite(session, runtime, found, next(i for i in waiting if i.expert.code == chosen))


async def _maybe_complete(session: AsyncSession, runtime: Runtime, found: Draw) -> None:
    rules, _ = rules_of(found)
    if not await supplementary.filled(session, found, rules):  # counts its supplementary draws' members
        return
    invitations = await invitations_of(session, found.id)
    for i in invitations:
        if i.state == "standby":
            i.state = "unused"
    found.state = "complete"
    await runtime.audit.append(
        session, EXPERTS_DRAW_COMPLETE, subject=f"draw:{found.code}", data={"members": rules.winners}
    )
    if found.supplements_id is not None:  # a supplementary draw: the short draw may be complete now
        short = await get_draw(session, found.supplements_id)
        if short.state == "short":
            await _maybe_complete_supplemented(session, runtime, short)


async def _maybe_complete_supplemented(session: AsyncSession, runtime: Runtime, short: Draw) -> None:
    rules, _ = rules_of(short)
    if not await supplementary.filled(session, short, rules):
        return
    for i in await invitations_of(session, short.id):
        if i.state == "standby":
            i.state = "unused"
    short.state = "complete"
    await runtime.audit.append(
        session, EXPERTS_DRAW_SUPPLEMENTED, subject=f"draw:{short.code}",
        data={"members": rules.winners,
              "supplementary": [d.code for d in await supplementary.supplements_of(session, short.id)]},
    )  # fmt: skip
    tell_supervisors(session, short, "complete")
    port = committee()
    if port is not None:  # a room already running on this committee seats the newcomers (补抽 in the room)
        await port.supplemented(session, runtime, short.id)


async def vacate_seat(
    session: AsyncSession,
    runtime: Runtime,
    draw_id: int,
    member: str,
    *,
    replaced_by: str | None,
    room: str,
) -> bool:
    """A confirmed member left the running room's committee (a conflict of interest, or absent): their
    seat is released; the room's alternate who took it (``replaced_by``) now holds it as confirmed. With
    no alternate left the committee is short again, and the supervisor runs a supplementary draw
    (``create_supplementary_draw``) whose confirmed members the room then seats (core.committee_port).
    False when ``member`` holds no seat of this committee (the tenderer's representative)."""
    found = await get_draw(session, draw_id)
    by_code = {}
    for one in [found.id, *(d.id for d in await supplementary.supplements_of(session, found.id))]:
        for invitation in await invitations_of(session, one):
            if invitation.state in ("confirmed", "unused"):
                by_code[invitation.expert.code] = invitation
    leaving = by_code.get(member)
    if leaving is None or leaving.state != "confirmed":
        return False
    leaving.state = "released"
    taking = by_code.get(replaced_by) if replaced_by is not None else None
    if taking is not None and taking.state == "unused":
        taking.state = "confirmed"
    await runtime.audit.append(
        session, EXPERTS_DRAW_SEAT_VACATED, subject=f"draw:{found.code}",
        data={"room": room, "slot": leaving.slot, "specialty": leaving.specialty,
              "expert": draw_seal(found, member),
              "replaced_by": draw_seal(found, replaced_by) if taking is not None and replaced_by else None},
    )  # fmt: skip
    if taking is None and found.state == "complete":
        found.state = "short"
        await runtime.audit.append(
            session, EXPERTS_DRAW_SHORT, subject=f"draw:{found.code}",
            data={"slot": leaving.slot, "specialty": leaving.specialty},
        )  # fmt: skip
    tell_supervisors(session, found, "vacated")
    return True


async def open_invitations(session: AsyncSession, draw_id: int) -> list[tuple[int, str]]:
    """(invitation id, expert code) of the invitations waiting for an answer, in order."""
    return [(i.id, i.expert.code) for i in await invitations_of(session, draw_id) if i.state == "invited"]


async def invitations_for(session: AsyncSession, expert: Expert) -> list[InvitationOut]:
    """The expert's own invitations (alternates on standby do not know they are waiting)."""
    rows = await session.execute(
        select(Invitation, Draw)
        .join(Draw, Draw.id == Invitation.draw_id)
        .where(Invitation.expert_id == expert.id, Invitation.state.not_in(("standby", "unused")))
        .order_by(Invitation.id.desc())
    )
    return [invitation_out(i, d) for i, d in rows]
