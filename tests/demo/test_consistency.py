"""The demo city does not contradict itself: seeded once, every tender that reads 评标中 has its room;
every tender notice went out before its registration closed, and the later notices after the deadline
and never in the future; every expert draw (and so every invitation) is for a tender that exists; an
objection's answer names the duration the table shows. A second seed adds nothing."""

from __future__ import annotations

import re

from sqlalchemy import select

from bidding.models import Notice, Opening, OpeningBid, Submission, Tender
from core import rooms
from core.clock import as_utc
from core.runtime import Runtime
from demo import seed_demo
from evaluation.models import Evaluation, Member
from evaluation.room import room_name
from experts.models import Draw, Invitation


async def test_the_seeded_demo_is_consistent(runtime: Runtime) -> None:
    lines: list[str] = []
    await seed_demo(runtime, progress=lambda part, counts: lines.append(f"{part} {counts}"))
    assert lines[0] == "core None" and any(line.startswith("evaluation {'rooms': 1}") for line in lines)
    now = runtime.clock.now()
    async with runtime.sessions() as session:
        tenders = {t.id: t for t in await session.scalars(select(Tender))}
        codes = {t.code for t in tenders.values()}
        # 评标中 means a room: an evaluation with its committee seated and the room opened
        for tender in tenders.values():
            if tender.state == "evaluating":
                evaluation = await session.scalar(
                    select(Evaluation).where(Evaluation.tender_code == tender.code)
                )
                assert evaluation is not None, f"{tender.code} is evaluating with no room"
                seated = list(
                    await session.scalars(select(Member).where(Member.evaluation_id == evaluation.id))
                )
                assert len([m for m in seated if m.kind == "member"]) >= 3
                events = await rooms.events_after(session, room_name(evaluation.code), 0)
                assert events and events[0].kind == "step.opened", tender.code
                assert len(evaluation.bids) >= 3
        # notices: the tender notice before registration closed; later ones after the deadline; none ahead
        for notice in await session.scalars(select(Notice)):
            tender = tenders[notice.tender_id]
            published = as_utc(notice.published_at)
            assert published <= now, f"{notice.title} is dated in the future"
            if notice.kind == "tender":
                assert published <= as_utc(tender.registration_end), (
                    f"{tender.code}: notice {published} after registration closed {tender.registration_end}"
                )
            elif notice.kind in ("opening_record", "candidates", "award", "failure"):
                assert published >= as_utc(tender.bid_deadline), (
                    f"{tender.code} {notice.kind} before the deadline"
                )
        # every draw, and so every invitation, is for a tender that exists
        draws = {d.id: d for d in await session.scalars(select(Draw))}
        assert draws and all(d.tender_ref in codes for d in draws.values()), [
            d.tender_ref for d in draws.values()
        ]
        for invitation in await session.scalars(select(Invitation)):
            assert draws[invitation.draw_id].tender_ref in codes
        # an answered objection names the duration the first row of the table shows
        for opening in await session.scalars(select(Opening)):
            rows = list(
                await session.scalars(
                    select(OpeningBid).join(Submission, Submission.id == OpeningBid.submission_id)
                    .where(OpeningBid.opening_id == opening.id)
                    .order_by(Submission.submitted_at, Submission.id)
                )
            )  # fmt: skip
            for row in rows:
                named = re.search(r"工期为(\d+)日历天", row.answer or "")
                if named:
                    assert rows[0].form and int(named.group(1)) == rows[0].form["duration_days"]
    again: list[str] = []
    await seed_demo(runtime, progress=lambda part, counts: again.append(f"{part} {counts}"))
    assert "evaluation {'rooms': 0}" in again
