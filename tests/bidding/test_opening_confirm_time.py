"""Each tender sets how long bidders have to confirm or object to the 唱标 (default 10 minutes), in the
API and in the agent's editor; the opening closes when that time is over."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bidding import opening
from bidding.models import Tender
from core.clock import ManualClock, local
from core.runtime import Runtime
from tests.bidding.helpers import make_world, tender_body
from tests.bidding.test_opening import CODE, bid_all, file_key, host_starts, past_deadline, phase, principal


async def test_the_tender_confirmation_time_sets_when_the_opening_closes(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    world = await make_world(runtime, client, bidders=3)
    refused = await client.post(
        "/api/tenders", json=tender_body(runtime, world, "BAD-1", confirm_minutes=0), headers=world.agent
    )
    assert refused.status_code == 400 and refused.json()["fields"][0]["key"] == "confirm_minutes"  # minimum 1
    default = await client.post(
        "/api/tenders", json=tender_body(runtime, world, "DEF-1"), headers=world.agent
    )
    assert default.json()["timeline"]["confirm_minutes"] == 10

    tender, sealed = await bid_all(
        runtime, client, world, tmp_path, ["11000000.00", "10900000.00", "10800000.00"], confirm_minutes=3
    )
    assert tender["timeline"]["confirm_minutes"] == 3
    await past_deadline(runtime, clock)
    await host_starts(runtime)
    for bidder, one in zip(world.bidders, sealed, strict=True):
        await opening.reveal_key(
            runtime, await principal(runtime, bidder.username), CODE, "1", file_key(one, bidder.identity)
        )
    # The last key closed the window early: the confirmation time starts with it.
    async with runtime.sessions() as session:
        state = await opening.state_of_opening(session, CODE, "1")
    assert state.phase == "confirming"
    assert state.confirm_ends_at == (clock.now() + timedelta(minutes=3)).isoformat()
    clock.advance(minutes=2, seconds=59)
    await opening.advance(runtime)
    assert await phase(runtime) == "confirming"
    clock.advance(seconds=1)
    await opening.advance(runtime)
    assert await phase(runtime) == "closed"


async def test_the_editor_sets_the_decryption_and_confirmation_times(runtime: Runtime, client: Any) -> None:
    world = await make_world(runtime, client, bidders=0)
    html = {"accept": "text/html", **world.agent}
    editor = await client.get("/agent/tenders/new", headers=html)
    assert 'name="confirm_minutes"' in editor.text and 'name="decryption_minutes"' in editor.text
    body = tender_body(runtime, world, "ED-1")
    form = {k: v for k, v in body.items() if isinstance(v, str)} | {
        "tenderer_id": str(world.tenderer_org),
        "decryption_minutes": "45",
        "confirm_minutes": "20",
    }
    for name in ("registration_start", "registration_end", "clarification_deadline", "bid_deadline"):
        form[name] = local(datetime.fromisoformat(body[name])).strftime("%Y-%m-%dT%H:%M")
    saved = await client.post("/agent/tenders", data=form, headers=html, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    async with runtime.sessions() as session:
        tender = await session.scalar(select(Tender).where(Tender.code == "ED-1"))
    assert tender is not None and (tender.decryption_minutes, tender.confirm_minutes) == (45, 20)
