"""A crowd joining the evaluation room at once (the supervisors' and the host's observers): every socket
is admitted as it would be alone, without one read of the evaluation, the tender and the head each."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from core import accounts, rooms
from core.clock import ManualClock
from core.runtime import Runtime
from evaluation import room
from tests.evaluation.world import CODE, api_headers, scoring_room

CROWD = 40  # more than the connection pool holds (5 + 10 overflow)


async def test_a_crowd_joining_at_once_is_admitted_at_the_stored_head(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    await scoring_room(runtime, client, clock, tmp_path, members=3, alternates=1)
    code = f"{CODE}-1"
    secret = (await api_headers(runtime, "supervisor9"))["Authorization"].removeprefix("Bearer ")
    async with runtime.sessions() as session:
        supervisor = await accounts.resolve_token(session, runtime.clock, secret)
        stored = await rooms.head(session, room.room_name(code))

    served = Runtime.build(runtime.settings, clock)  # pooled, as a server's (the fixture's is not)

    async def join() -> tuple[room.Seat, int]:
        async with served.sessions() as session:  # as the socket's handler does
            seat, _state, head = await room.entering(session, served, code, supervisor)
        return seat, head

    # Each socket waits for the shared head read holding no connection: a crowd larger than the
    # pool must not exhaust it (the pool would time out after 30 s; the test gives up after 20).
    try:
        joined = await asyncio.wait_for(asyncio.gather(*(join() for _ in range(CROWD))), timeout=20)
    finally:
        await served.close()
    assert all(seat.supervisor and seat.member is None for seat, _ in joined)
    assert {head for _, head in joined} == {stored}
