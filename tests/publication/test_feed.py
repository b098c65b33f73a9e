"""The change feed under concurrent writers: every public item exactly once, in order, never skipped."""

from __future__ import annotations

import asyncio
import random
from datetime import timedelta

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from bidding import service as bidding
from core.clock import ManualClock
from core.runtime import Runtime
from publication import service
from publication.config import OcdsConfig
from publication.feed import BadCursor, Cursor, ready_prefix
from tests.bidding.helpers import make_world, published_tender

CODE = "JLZB-2026-001"
WRITERS = 6
PER_WRITER = 8


class Boom(Exception):
    pass


async def _write(
    runtime: Runtime, clock: ManualClock, w: int, rng: random.Random, written: list[str]
) -> None:
    for k in range(PER_WRITER):
        title = f"w{w}-{k}"
        rollback = rng.random() < 0.15
        try:
            async with runtime.transaction() as session:
                tender = await bidding.tender_by_code(session, CODE)
                clock.advance(milliseconds=rng.randint(0, 700))
                await bidding.publish_notice(
                    session, runtime, tender, bidding.NoticeKind.AMENDMENT, title, "正文"
                )
                # hold the transaction open a while: the reader runs meanwhile
                await asyncio.sleep(rng.uniform(0, 0.02))
                if rollback:
                    raise Boom
        except Boom:
            continue
        written.append(title)
        await asyncio.sleep(rng.uniform(0, 0.005))


@pytest.mark.parametrize("holdback", [0.0, 2.0])
async def test_pages_read_while_writers_write_hold_every_item_exactly_once_in_order(
    runtime: Runtime, client: AsyncTestClient[Litestar], clock: ManualClock, holdback: float
) -> None:
    world = await make_world(runtime, client, bidders=0)
    await published_tender(runtime, client, world)
    config = OcdsConfig(holdback_seconds=holdback)
    written: list[str] = []
    rng = random.Random(20261124)
    writers = asyncio.gather(
        *[_write(runtime, clock, w, random.Random(rng.random()), written) for w in range(WRITERS)]
    )
    task = asyncio.ensure_future(writers)
    seen: list[dict] = []
    cursor: str | None = None

    async def read_page() -> dict:
        async with runtime.transaction() as session:
            return await service.feed_page(session, runtime, config, cursor, rng.randint(1, 4))

    busy_pages = 0
    while not task.done():
        page = await read_page()
        busy_pages += bool(page["items"])
        seen.extend(page["items"])
        cursor = page["next"]
        await asyncio.sleep(0.001)
    await task
    clock.advance(seconds=holdback + 1)  # let the held-back tail through
    while True:
        page = await read_page()
        seen.extend(page["items"])
        cursor = page["next"]
        if not page["items"] and not page["has_more"]:
            break
    positions = [int(item["id"]) for item in seen]
    assert positions == sorted(set(positions)), "repeated or out of order"
    titles = [item["title"] for item in seen]
    assert titles[0] == "吉林市北山公园改造工程"
    assert sorted(titles[1:]) == sorted(written)  # rolled-back notices never appear, committed ones all do
    assert len(written) > WRITERS * PER_WRITER // 2
    assert busy_pages >= 3  # the reader really paged while the writers were writing


async def test_the_cursor_is_opaque_and_round_trips() -> None:
    from datetime import UTC, datetime

    cursor = Cursor(41, datetime(2026, 1, 5, 1, 0, tzinfo=UTC))
    text = cursor.encode()
    assert "41" not in text and Cursor.decode(text) == cursor
    for bad in ("", "x" * 300, "!!!", "eyJ2IjoyfQ", "eyJ2IjoxLCJwIjotMSwidCI6IjIwMjYtMDEtMDEifQ"):
        with pytest.raises(BadCursor):
            Cursor.decode(bad)


def test_ready_prefix_stops_at_the_first_young_item() -> None:
    from datetime import UTC, datetime

    t = datetime(2026, 1, 5, tzinfo=UTC)
    times = [t, t + timedelta(seconds=9), t + timedelta(seconds=1)]
    assert ready_prefix(["a", "b", "c"], times, t + timedelta(seconds=8), timedelta(seconds=5)) == ["a"]
