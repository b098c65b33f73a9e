"""`sunbid demo`'s live evaluation: after the live opening closes, the committee is drawn, seated and
evaluates by itself through the real services, up to the published candidate publicity."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bidding.jobs import JOBS as BIDDING_JOBS
from bidding.models import Notice, Tender
from core import rooms
from core.clock import ManualClock
from core.runtime import Runtime
from core.scheduler import Scheduler
from demo import JOBS
from demo import room as demo_room
from demo.seeds import bidding as bidding_demo
from demo.seeds import experts as experts_demo
from demo.seeds import guarantees as guarantees_demo
from demo.seeds.core import seed_core
from evaluation import service
from evaluation.models import Evaluation, Member
from evaluation.report.signatures import verify_member_signature


async def test_the_demo_evaluation_plays_itself_to_the_candidate_publicity(
    runtime: Runtime, clock: ManualClock
) -> None:
    await seed_core(runtime, 220200)
    await demo_room.drive(runtime)  # outside the demo: nothing
    assert not (runtime.settings.var_dir / "demo" / demo_room.STATE_FILE).exists()
    await experts_demo.seed(runtime, 220200)
    await bidding_demo.seed(runtime, 220200)
    # the guarantors, as `sunbid demo` seeds them: the live opening's bids are secured (LIVE_BONDS), one
    # guarantee short of the bond (bidder2), so that bid fails qualification and two candidates remain
    await guarantees_demo.seed(runtime, 220200)

    started = clock.now()
    scheduler = Scheduler(runtime, [*BIDDING_JOBS, *JOBS])
    evaluation = None
    while clock.now() - started < timedelta(minutes=20):
        await scheduler.run_due()
        async with runtime.sessions() as session:
            evaluation = await session.scalar(select(Evaluation))
        if evaluation is not None and evaluation.state == "publicity":
            break
        clock.advance(seconds=1)
    assert evaluation is not None and evaluation.state == "publicity"
    assert clock.now() - started < timedelta(minutes=12)  # watchable in minutes

    async with runtime.sessions() as session:
        tender = await session.scalar(select(Tender).where(Tender.code == evaluation.tender_code))
        assert tender is not None
        candidates = select(Notice).where(Notice.kind == "candidates", Notice.tender_id == tender.id)
        notice = await session.scalar(candidates)
        seats = [s for s in await session.scalars(select(Member)) if s.signature]
        log = await rooms.events_after(session, service.room_name(evaluation.code), 0, limit=5000)
    assert tender is not None and tender.state == "publicity"
    assert notice is not None and len(notice.data["candidates"]) == 2
    # Five members signed the report with their own keys; the room went through every step.
    assert len(seats) == 5 and evaluation.report_digest
    for seat in seats:
        verify_member_signature(evaluation.report_digest, seat.public_key or "", seat.signature or "")
    kinds = {e.kind for e in log}
    assert {"step.signed_in", "step.chair_vote", "step.verdict", "step.score", "step.report_signed"} <= kinds
    assert [e.seq for e in log] == list(range(1, len(log) + 1))
