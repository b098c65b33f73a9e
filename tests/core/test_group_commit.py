"""Group commit (Runtime.shared_transaction) on both engines: concurrent units share one commit, a
failing unit is undone alone (its audit entry and room news with it), every caller answers after
the commit, and the audit log still verifies."""

import asyncio
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import rooms
from core.errors import Conflict
from core.models import RoomEvent
from core.pubsub import PENDING_KEY
from core.runtime import Runtime


def count_commits(runtime: Runtime) -> list[int]:
    commits: list[int] = []
    event.listen(runtime.engine.sync_engine, "commit", lambda _conn: commits.append(1))
    return commits


def unit(runtime: Runtime, i: int, *, fail: bool = False) -> Any:
    async def work(session: AsyncSession) -> int:
        appended = await runtime.audit.append(session, "test.group", data={"i": i})
        await rooms.append(session, runtime.clock, "test:group", "thing", {"i": i})
        await asyncio.sleep(0)  # let the other callers queue meanwhile
        if fail:
            raise Conflict(f"unit {i} refuses", code="refused")
        return appended.position

    return work


async def test_concurrent_units_share_commits_and_a_failure_is_undone_alone(runtime: Runtime) -> None:
    commits = count_commits(runtime)
    results = await asyncio.gather(
        *(runtime.shared_transaction(unit(runtime, i, fail=i == 3)) for i in range(8)),
        return_exceptions=True,
    )
    refused = results[3]
    assert isinstance(refused, Conflict) and refused.code == "refused"
    positions = [r for i, r in enumerate(results) if i != 3]
    assert sorted(positions) == list(range(7))  # gapless: the refused unit's entry was undone
    assert len(commits) < 8  # the units did not pay one commit each
    async with runtime.sessions() as session:
        stored = list(await session.scalars(select(RoomEvent.payload).where(RoomEvent.room == "test:group")))
        assert len(stored) == 7 and '{"i":3}' not in stored
        report = await runtime.audit.verify(session)
    assert report.ok and report.size == 7


async def test_a_lone_unit_is_one_transaction_and_its_error_reaches_its_caller(runtime: Runtime) -> None:
    commits = count_commits(runtime)
    assert await runtime.shared_transaction(unit(runtime, 0)) == 0
    assert len(commits) == 1
    with pytest.raises(Conflict):
        await runtime.shared_transaction(unit(runtime, 1, fail=True))
    async with runtime.sessions() as session:
        assert await runtime.audit.size(session) == 1
        assert session.info.get(PENDING_KEY) is None
