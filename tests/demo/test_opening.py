"""`sunbid demo`'s live opening: the seed gives the demo bidders their keys and asks for a live tender;
the driver job plays the bidders and the host through the real services while the real scheduler jobs
open the tender at its deadline — a visitor sees the whole script, to the published record, in minutes;
and the supervisor sees the pair that sealed on one computer flagged, and nothing on the honest bid."""

from __future__ import annotations

import json
import stat
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bidding import opening
from bidding.jobs import JOBS
from bidding.models import Notice, Opening, OpeningBid, Submission, Tender
from core import rooms
from core.clock import ManualClock
from core.models import AuditEntry, Organisation, User
from core.runtime import Runtime
from core.scheduler import Scheduler
from crypto.signing import SignedStatement, verify_statement
from demo import JOBS as DEMO_JOBS
from demo import opening as demo_opening
from demo.seeds import bidding as bidding_demo
from demo.seeds import credit as credit_demo
from demo.seeds.core import seed_core
from integrity import jobs as integrity_jobs
from integrity import stored as stored_flags
from tests.evaluation.world import api_headers


async def live_tenders(runtime: Runtime) -> list[Tender]:
    async with runtime.sessions() as session:
        query = select(Tender).where(Tender.code.like(f"{demo_opening.LIVE_PREFIX}%")).order_by(Tender.id)
        return list(await session.scalars(query))


async def test_the_demo_opening_plays_itself_to_the_published_record(
    runtime: Runtime, clock: ManualClock, client: Any
) -> None:
    # Outside the demo (no request in the var folder) the driver does nothing.
    await seed_core(runtime, 220200)
    await demo_opening.drive(runtime)
    assert await live_tenders(runtime) == []

    await credit_demo.seed(runtime, 220200)  # as ``sunbid demo``: 恒通市政 (bidder3) is barred from bidding
    report = await bidding_demo.seed(runtime, 220200)
    assert report["signing keys"] == 4
    folder = runtime.settings.var_dir / "demo" / "bidders"
    secrets = [path.read_text().strip() for path in sorted(folder.glob("*.key"))]
    assert len(secrets) == 4 and all(s.startswith("AGE-SECRET-KEY-1") for s in secrets)
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in folder.glob("*.key"))

    started = clock.now()
    # The real jobs (deadline, window, 唱标) and the demo's, as ``sunbid demo`` runs them.
    scheduler = Scheduler(runtime, [*JOBS, *DEMO_JOBS])
    phase = None
    while clock.now() - started < timedelta(minutes=10):
        await scheduler.run_due()
        async with runtime.sessions() as session:
            phase = await session.scalar(select(Opening.phase))
        if phase in (opening.CLOSED, opening.FAILED):
            break
        clock.advance(seconds=1)
    assert phase == opening.CLOSED
    assert clock.now() - started < timedelta(minutes=4)  # watchable in a few minutes

    [tender] = await live_tenders(runtime)
    assert tender.state == "opening" and tender.decryption_minutes == 1
    async with runtime.sessions() as session:
        bids = list(await session.scalars(select(OpeningBid).order_by(OpeningBid.id)))
        stored = await session.scalar(select(Opening.record))
        kinds = [n.kind for n in await session.scalars(select(Notice).where(Notice.tender_id == tender.id))]
        events = await rooms.events_after(session, opening.room_name(tender.code, "1"), 0)
        audit = " ".join(e.entry for e in await session.scalars(select(AuditEntry)))
        names = set(await session.scalars(select(Organisation.name).where(Organisation.kind == "bidder")))
    # Three demo companies sealed, submitted before the deadline and opened their own bids.
    assert [b.outcome for b in bids] == ["opened"] * 3
    assert all(b.opened_by == "bidder" and b.price is not None for b in bids)
    assert [b.confirmation for b in bids] == ["confirmed", "confirmed", "objected"]
    # The host's answer names the duration the table shows for the first bidder (the record's order).
    async with runtime.sessions() as session:
        first = await session.scalar(
            select(OpeningBid).join(Submission, Submission.id == OpeningBid.submission_id)
            .order_by(Submission.submitted_at, Submission.id).limit(1)
        )  # fmt: skip
    assert first is not None and first.form is not None
    assert f"工期为{first.form['duration_days']}日历天" in (bids[2].answer or "")
    assert bids[2].answer == demo_opening.answer_to_objection(first.form)
    assert kinds == ["tender", "opening_record"]
    record = verify_statement(SignedStatement(**json.loads(stored or "{}")), runtime.audit.signer.public_key)
    assert record["result"] == "opened" and record["valid_bids"] == 3
    assert {row["bidder"] for row in record["bids"]} <= names
    seen = [e.kind for e in events if e.audience == "public"]
    for kind in ("opening.due", "bids.listed", "window.opened", "coefficient.drawn", "objection", "answer"):
        assert kind in seen, kind
    assert seen.count("table.row") == 3 and seen[-1] == "record.published"
    # The deadline was opened by the scheduler, the window ran its full minute: the script was not cut.
    assert seen.index("window.opened") < seen.index("table.row")
    assert not any(secret in audit for secret in secrets)  # identities never leave the demo folder

    # The second and third bids were sealed on one computer and name one project manager (ID number):
    # integrity's job, as it runs after any opening, stores exactly those two flags on that pair, and
    # nothing on the first bid.
    await integrity_jobs.compute_flags(runtime)
    async with runtime.sessions() as session:
        [lot] = await stored_flags.latest(session, [tender.code])
        bidders = list(
            await session.scalars(
                select(Organisation.name)
                .join(Submission, Submission.organisation_id == Organisation.id)
                .where(Submission.tender_id == tender.id)
                .order_by(Submission.id)
            )
        )
        company = {
            user.username: await session.scalar(
                select(Organisation.name).where(Organisation.id == user.organisation_id)
            )
            for user in await session.scalars(select(User).where(User.username.like("bidder%")))
        }
    assert bidders == [company["bidder"], company["bidder2"], company["bidder4"]]
    pair = sorted(bidders[1:])
    assert sorted(f["rule"] for f in lot.flags) == ["E1", "E3"], lot.flags
    assert all(sorted(f["bidders"]) == pair for f in lot.flags)
    manager = demo_opening.PAIR_DESK
    [e3] = [f for f in lot.flags if f["rule"] == "E3"]
    assert e3["figures"] == [
        f"{manager.manager}（身份证号末四位 / ID number ending {manager.manager_id[-4:]}）"
    ]
    supervisor = await api_headers(runtime, "supervisor")
    page = await client.get(f"/integrity/tenders/{tender.code}", headers=supervisor)
    assert page.status_code == 200 and page.text.count('class="flag warn"') == 2
    assert "同一设备编制" in page.text and "设备指纹" in page.text and manager.manager_id[-4:] in page.text
    assert manager.hostname not in page.text and manager.manager_id not in page.text  # never raw
    listing = await client.get("/integrity", headers=supervisor)
    assert f'id="tender-{tender.code}" class="warn"' in listing.text

    # Re-running the demo right away adds nothing; a day later it gives a fresh, watchable opening.
    assert await bidding_demo.seed(runtime, 220200) == {"tenders": 0, "notices": 0, "signing keys": 0}
    clock.advance(days=1)
    await bidding_demo.seed(runtime, 220200)
    await scheduler.run_due()
    old, fresh = await live_tenders(runtime)
    assert old.code == tender.code and fresh.state == "published"
    assert timedelta(seconds=30) < fresh.bid_deadline - clock.now() <= demo_opening.LEAD
    await scheduler.run_due()
    async with runtime.sessions() as session:
        count = len(list(await session.scalars(select(OpeningBid))))
    assert count == 3  # only the old opening's bids: the new one's are sealed, not yet opened
