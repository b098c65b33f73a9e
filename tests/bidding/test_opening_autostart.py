"""An opening without its host (issue #15 point 2): the platform starts it N minutes after the deadline,
exactly once, and the decryption window closes as soon as every bid is opened or failed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bidding import opening
from bidding.jobs import JOBS
from bidding.lifecycle import Rules
from bidding.models import Tender
from core.clock import ManualClock, as_utc
from core.errors import Conflict
from core.models import AuditEntry
from core.runtime import Runtime
from core.scheduler import Scheduler
from tests.bidding.helpers import make_world
from tests.bidding.test_opening import (
    CODE,
    bid_all,
    file_key,
    host_starts,
    phase,
    principal,
    room_events,
)

PRICES = ["11000000.00", "10800000.00", "10950000.50"]


async def audit_kinds(runtime: Runtime) -> list[str]:
    async with runtime.sessions() as session:
        return list(await session.scalars(select(AuditEntry.kind)))


async def to_deadline(runtime: Runtime, clock: ManualClock) -> None:
    """Exactly to the deadline (the tender helper puts it 21 days out), and the tender opens."""
    async with runtime.sessions() as session:
        deadline = await session.scalar(select(Tender.bid_deadline).where(Tender.code == CODE))
    assert deadline is not None
    clock.set(as_utc(deadline))
    assert await opening.open_due(runtime) == [CODE]


def test_the_grace_is_data_with_a_default_of_ten_minutes() -> None:
    assert Rules().opening_autostart_minutes == 10
    assert Rules.from_dict({}).opening_autostart_minutes == 10  # tenders stored before the setting
    assert Rules.from_dict({"opening_autostart_minutes": 3}).opening_autostart_minutes == 3
    # A platform setting, not a statutory floor: a tender may shorten it.
    assert Rules(opening_autostart_minutes=1).at_least(Rules()) == []


@pytest.mark.parametrize("minutes", [10, 3])
async def test_nothing_at_n_minus_one_minute_and_the_platform_starts_at_n(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path, minutes: int
) -> None:
    world = await make_world(runtime, client, bidders=3)
    rules = None if minutes == 10 else {"opening_autostart_minutes": minutes}
    await bid_all(runtime, client, world, tmp_path, PRICES, **({"rules": rules} if rules else {}))
    await to_deadline(runtime, clock)

    clock.advance(minutes=minutes - 1, seconds=59)  # the last second the host has
    assert await opening.autostart_due(runtime) == []
    assert await phase(runtime) == "awaiting_host"
    assert await room_events(runtime, "opening.autostarted") == []

    clock.advance(seconds=1)  # deadline + N minutes
    assert await opening.autostart_due(runtime) == [CODE]
    assert await opening.autostart_due(runtime) == []  # a second process finds nothing to do
    assert await phase(runtime) == "decrypting"
    [started] = await room_events(runtime, "opening.autostarted")
    said = json.loads(started.payload)
    assert said["message"]["zh"] == f"主持人未在截止后{minutes}分钟内开始，系统已自动开始开标"
    assert f"{minutes} minutes after the deadline" in said["message"]["en"]
    # The platform's start is the host's: bids listed, the window open, once.
    kinds = [e.kind for e in await room_events(runtime)]
    assert kinds.index("opening.autostarted") < kinds.index("bids.listed") < kinds.index("window.opened")
    assert kinds.count("window.opened") == 1
    log = await audit_kinds(runtime)
    assert log.count("opening.autostarted") == 1 and log.count("opening.bids_listed") == 1
    # The host arriving late is told it has begun.
    agent = await principal(runtime, "agent1")
    with pytest.raises(Conflict):
        async with runtime.transaction() as session:
            await opening.start(session, runtime, agent, CODE)


async def test_a_host_who_started_in_time_is_never_replaced(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    world = await make_world(runtime, client, bidders=3)
    await bid_all(runtime, client, world, tmp_path, PRICES)
    await to_deadline(runtime, clock)
    clock.advance(minutes=9)
    await host_starts(runtime)
    clock.advance(minutes=5)
    assert await opening.autostart_due(runtime) == []
    assert await room_events(runtime, "opening.autostarted") == []
    assert "opening.autostarted" not in await audit_kinds(runtime)


async def test_the_scheduler_job_starts_it_once_across_two_processes(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    """Two schedulers (as two app processes would run) on one database: one start, one event."""
    world = await make_world(runtime, client, bidders=3)
    await bid_all(runtime, client, world, tmp_path, PRICES)
    await to_deadline(runtime, clock)
    clock.advance(minutes=10)
    one, two = Scheduler(runtime, JOBS), Scheduler(runtime, JOBS)
    await one.run_due()
    await two.run_due()
    clock.advance(seconds=6)  # both due again: the conditional UPDATE finds nothing waiting
    await two.run_due()
    await one.run_due()
    assert await phase(runtime) == "decrypting"
    assert len(await room_events(runtime, "opening.autostarted")) == 1
    assert (await audit_kinds(runtime)).count("opening.autostarted") == 1


async def test_the_window_closes_early_when_the_last_bid_is_opened(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    world = await make_world(runtime, client, bidders=3)
    _tender, sealed = await bid_all(runtime, client, world, tmp_path, PRICES)
    keys = [file_key(s, b.identity) for s, b in zip(sealed, world.bidders, strict=True)]
    bidders = [await principal(runtime, b.username) for b in world.bidders]
    await to_deadline(runtime, clock)
    await host_starts(runtime)
    for who, key in zip(bidders[:2], keys[:2], strict=True):
        await opening.reveal_key(runtime, who, CODE, "1", key)
        assert await phase(runtime) == "decrypting"  # one is still sealed: the window stays open
    assert await room_events(runtime, "window.closed_early") == []

    clock.advance(minutes=2)  # 28 minutes of the window are left
    await opening.reveal_key(runtime, bidders[2], CODE, "1", keys[2])
    # In the same unit of work as the last reveal: no advance job, no waiting for the window's end.
    assert await phase(runtime) == "confirming"
    [closed] = await room_events(runtime, "window.closed_early")
    said = json.loads(closed.payload)
    assert "解密窗口提前结束" in said["message"]["zh"] and "closed early" in said["message"]["en"]
    kinds = [e.kind for e in await room_events(runtime)]
    assert kinds.index("window.closed_early") < kinds.index("table.row") < kinds.index("confirm.opened")
    assert len(await room_events(runtime, "table.row")) == 3
    assert (await audit_kinds(runtime)).count("opening.window_closed_early") == 1
    # Nothing is left for the advance job until the confirmation time (10 minutes) is over.
    clock.advance(minutes=9)
    assert await opening.advance(runtime) == 0
    assert len(await room_events(runtime, "confirm.opened")) == 1
