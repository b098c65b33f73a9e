"""A crowd joining a lot's opening hall at once: each socket is admitted as it would be alone (a draft
stays invisible to the public), with one read of the tender and lot for all of them, none once the
tender is published and kept, and one shared read of the room's head."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import event

from bidding import opening
from core import rooms
from core.clock import ManualClock
from core.errors import NotFound
from core.runtime import Runtime
from tests.bidding.helpers import make_world, tender_body
from tests.bidding.test_opening import CODE, principal

CROWD = 40  # more than the connection pool holds (5 + 10 overflow)


async def test_a_crowd_joining_the_opening_hall_costs_one_read(
    runtime: Runtime, client: Any, clock: ManualClock
) -> None:
    world = await make_world(runtime, client)
    created = await client.post("/api/tenders", json=tender_body(runtime, world, CODE), headers=world.agent)
    assert created.status_code == 201, created.text
    agent = await principal(runtime, "agent1")
    served = Runtime.build(runtime.settings, clock)  # pooled, as a server's (the fixture's is not)
    reads: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            reads.append(statement)

    event.listen(served.engine.sync_engine, "before_cursor_execute", count)

    async def join(who: Any = None) -> tuple[opening.Hall, int]:  # as the hall's socket handler does
        hall = await opening.hall(served, CODE, "1", who)
        return hall, await rooms.shared_head(served, hall.room)

    try:
        # A draft: invisible to the public (404, as before), visible to its agent, and kept by no one.
        with pytest.raises(NotFound) as refused:
            await join()
        assert refused.value.code == "unknown_tender"
        seen, _ = await join(agent)
        assert seen.draft and seen.room == opening.room_name(CODE, "1")
        assert served.cache("bidding.opening_halls", dict) == {}
        with pytest.raises(NotFound) as no_lot:
            await opening.hall(served, CODE, "9", agent)
        assert no_lot.value.code == "unknown_lot"

        published = await client.post(f"/api/tenders/{CODE}/publish", headers=world.agent)
        assert published.status_code == 200, published.text
        async with runtime.sessions() as session:
            stored = await rooms.head(session, opening.room_name(CODE, "1"))

        reads.clear()
        joined = await asyncio.wait_for(asyncio.gather(*(join() for _ in range(CROWD))), timeout=20)
        assert {hall for hall, _ in joined} == {opening.Hall(CODE, "1", *_owners(seen), False)}
        assert {head for _, head in joined} == {stored}
        tender_reads = [r for r in reads if "FROM bidding_tenders" in r]
        lot_reads = [r for r in reads if "FROM bidding_lots" in r]
        head_reads = [r for r in reads if "FROM room_heads" in r]
        assert (len(tender_reads), len(lot_reads), len(head_reads)) == (1, 1, 1), reads

        reads.clear()  # kept from now on: a later join reads only the head
        await join()
        assert [r for r in reads if "FROM bidding_tenders" in r or "FROM bidding_lots" in r] == []
    finally:
        event.remove(served.engine.sync_engine, "before_cursor_execute", count)
        await served.close()


def _owners(hall: opening.Hall) -> tuple[int, int | None]:
    return hall.tenderer_id, hall.agent_id
