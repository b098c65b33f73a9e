"""A crowd joining the evaluation room at once (the supervisors' and the host's observers): every socket
is admitted as it would be alone, with one read of the evaluation, the tender and the head for all."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from sqlalchemy import event

from bidding import service as bidding
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
        evaluation = await room.get_evaluation(session, code)
        tender = await bidding.tender_by_code(session, evaluation.tender_code)
    expected = room.RoomFacts(evaluation.id, code, tender.code, tender.tenderer_id, tender.agent_id)

    served = Runtime.build(runtime.settings, clock)  # pooled, as a server's (the fixture's is not)
    reads: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            reads.append(statement)

    event.listen(served.engine.sync_engine, "before_cursor_execute", count)

    async def join() -> tuple[room.Seat, int]:
        async with served.sessions() as session:  # as the socket's handler does
            seat, _state, head = await room.entering(session, served, code, supervisor)
        return seat, head

    # Each socket waits for the shared head read holding no connection: a crowd larger than the
    # pool must not exhaust it (the pool would time out after 30 s; the test gives up after 20).
    try:
        joined = await asyncio.wait_for(asyncio.gather(*(join() for _ in range(CROWD))), timeout=20)
    finally:
        event.remove(served.engine.sync_engine, "before_cursor_execute", count)
        await served.close()
    assert all(seat.supervisor and seat.member is None for seat, _ in joined)
    assert {head for _, head in joined} == {stored}
    # The crowd missed the process's facts together: one read of the evaluation and the tender for all.
    assert served.cache("evaluation.room_facts", dict) == {code: expected}
    evaluation_reads = [r for r in reads if "FROM evaluations" in r]
    tender_reads = [r for r in reads if "FROM bidding_tenders" in r]
    head_reads = [r for r in reads if "FROM room_heads" in r]
    assert (len(evaluation_reads), len(tender_reads), len(head_reads)) == (1, 1, 1), reads
