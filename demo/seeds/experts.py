"""Demo data: about 850 experts over the demo counties, the demo user "expert" linked to one of them,
a completed draw and one in progress (the demo expert has an invitation waiting). Idempotent."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.accounts import find_user, principal_of
from core.clock import centre_today
from core.organisations import list_organisations
from core.runtime import Runtime
from experts import registry, service
from experts.draw import DrawRules, DrawTender, Slot
from experts.models import Draw, Expert, Invitation

POOL_SIZE = 849  # the size of the city's pool the platform is modelled on
# The draws are for demo tenders that exist (demo/seeds/bidding.py): the evaluating one has its
# committee complete (demo/seeds/evaluation.py seats it in a room); the one at its opening has its
# invitations out (the demo expert's among them). Tender i's tenderer is tenderers[i % n] there too.
EVALUATING_TENDER, OPENING_TENDER = "JLGGZY-2026-005", "JLGGZY-2026-004"
DEMO_TENDERS = (EVALUATING_TENDER, OPENING_TENDER)
TENDER_INDEX = {EVALUATING_TENDER: 4, OPENING_TENDER: 3}  # their rows in bidding's DEMO_TENDERS


async def seed(runtime: Runtime, seed: int) -> dict[str, int]:
    added = {"experts": 0, "draws": 0}
    async with runtime.transaction() as session:
        if not await session.scalar(select(func.count()).select_from(Expert)):
            added["experts"] = len(
                await registry.generate_pool(session, runtime, POOL_SIZE, seed, actor="demo")
            )
    for n, tender_ref in enumerate(DEMO_TENDERS):
        async with runtime.transaction() as session:
            if await session.scalar(select(Draw.id).where(Draw.tender_ref == tender_ref)) is None:
                await _demo_draw(session, runtime, tender_ref, complete=n == 0)
                added["draws"] += 1
    return added


async def _demo_draw(session: AsyncSession, runtime: Runtime, tender_ref: str, *, complete: bool) -> None:
    supervisor = await find_user(session, "supervisor")
    tenderers, _ = await list_organisations(session, kind="tenderer")
    agents, _ = await list_organisations(session, kind="agent")
    bidders, _ = await list_organisations(session, kind="bidder")
    if supervisor is None or not tenderers:
        return  # core demo data is missing; nothing sensible to draw for
    codes = await service.busiest_specialties(session, 2)
    tenderer = tenderers[TENDER_INDEX[tender_ref] % len(tenderers)]
    tender = DrawTender(
        tenderer.credit_code, tenderer.region_code if tenderer.region_code != "220200" else "220202",
        agents[0].credit_code if agents else None, tuple(b.credit_code for b in bidders),
        centre_today(runtime.clock) + timedelta(days=0 if complete else 1),
    )  # fmt: skip
    rules = DrawRules(
        slots=(Slot(codes[0], 3, 2), Slot(codes[1], 2, 1)), exclude_tenderer_county=True, min_counties=3,
        max_per_county=2, max_recent_for_tenderer=3,
    )  # fmt: skip
    actor = principal_of(supervisor, 0)
    found = await service.create_draw_request(
        session, runtime, tender_ref=tender_ref, lot_ref="第1标段", tender=tender, rules=rules,
        response_minutes=24 * 60, actor=actor,
    )  # fmt: skip
    await service.commit_seed(session, runtime, found.id, actor=actor)
    await service.contribute(
        session, runtime, found.id, actor=actor, value=str(runtime.clock.now().microsecond)
    )
    await service.run_draw(session, runtime, found.id, actor=actor)
    invited = list(
        await session.scalars(
            select(Invitation).where(Invitation.draw_id == found.id, Invitation.state == "invited")
        )
    )
    if complete:
        for i, invitation in enumerate(invited):
            if i == 0:  # one decline, so the demo shows an alternate being called
                await service.record_response(
                    session, runtime, invitation.id, accept=False, reason="本人当日有手术安排", actor="demo"
                )
            else:
                await service.record_response(
                    session, runtime, invitation.id, accept=True, reason="", actor="demo"
                )
        for extra in await session.scalars(
            select(Invitation).where(Invitation.draw_id == found.id, Invitation.state == "invited")
        ):
            await service.record_response(session, runtime, extra.id, accept=True, reason="", actor="demo")
        return
    demo_user = await find_user(session, "expert")
    if demo_user is not None and invited:
        expert = invited[0].expert
        expert.name = "杨文博"  # the demo user's display name; names are not part of the pool snapshot
        expert.user_id = demo_user.id
