"""Supplementary draws (补抽): what a short draw still needs, and when its committee is complete.

A draw runs out of alternates (``short``); the supervisor requests a supplementary draw
(``service.create_supplementary_draw``): a new draw with the same rules and tender facts, one slot per
specialty still missing seats, and everyone drawn for this committee before excluded
(``DrawRules.excluded_experts``). It runs the same commit / contribute / run protocol and has its own
verifiable document. Its confirmed members count towards the short draw's committee, which completes
when every seat is filled; evaluation/ seats them through ``service.seats``.

Seats are counted per specialty (a draw's slots each name one specialty).
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from experts.draw import DrawRules, Slot
from experts.draw_records import invitations_of
from experts.models import Draw

# The draw states in which a supplementary draw is still running (a second one must wait for it).
RUNNING = frozenset({"created", "committed", "drawn"})


async def supplements_of(session: AsyncSession, draw_id: int) -> list[Draw]:
    return list(await session.scalars(select(Draw).where(Draw.supplements_id == draw_id).order_by(Draw.id)))


def needed(rules: DrawRules) -> Counter[str]:
    wanted: Counter[str] = Counter()
    for slot in rules.slots:
        wanted[slot.specialty] += slot.experts
    return wanted


async def seated(session: AsyncSession, found: Draw, states: tuple[str, ...]) -> Counter[str]:
    """Seats per specialty held by invitations in ``states``, in the draw and its supplements."""
    have: Counter[str] = Counter()
    for draw_id in [found.id, *(d.id for d in await supplements_of(session, found.id))]:
        for invitation in await invitations_of(session, draw_id):
            if invitation.state in states:
                have[invitation.specialty] += 1
    return have


async def filled(session: AsyncSession, found: Draw, rules: DrawRules) -> bool:
    have = await seated(session, found, ("confirmed",))
    return all(have[spec] >= n for spec, n in needed(rules).items())


async def missing_slots(session: AsyncSession, found: Draw, rules: DrawRules) -> tuple[Slot, ...]:
    """One slot per specialty still short: seats neither confirmed nor waiting for an answer."""
    have = await seated(session, found, ("confirmed", "invited"))
    alternates: Counter[str] = Counter()
    for slot in rules.slots:
        alternates[slot.specialty] += slot.alternates
    return tuple(
        Slot(spec, n - have[spec], alternates[spec]) for spec, n in needed(rules).items() if n > have[spec]
    )


async def drawn_codes(session: AsyncSession, found: Draw) -> tuple[str, ...]:
    """Every expert drawn for this committee so far (any answer), for the next draw to exclude."""
    codes: set[str] = set()
    for draw_id in [found.id, *(d.id for d in await supplements_of(session, found.id))]:
        codes.update(i.expert.code for i in await invitations_of(session, draw_id))
    return tuple(sorted(codes))
