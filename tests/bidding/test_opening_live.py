"""Two real app processes on one PostgreSQL and Redis: a tender whose deadline passed while nothing ran
opens exactly once at start-up (and, its host being long late, starts by itself exactly once), and the
opening room streams the script over real sockets, with bidder-private events hidden from observers and
a reconnect that refills its gap from the database."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update
from websockets.asyncio.client import ClientConnection, connect

from bidding import opening
from bidding.events import OPENING_AUTOSTARTED
from bidding.models import Opening
from core.clock import ManualClock
from core.models import AuditEntry
from core.runtime import Runtime
from core.settings import Settings
from tests.bidding.helpers import make_world
from tests.bidding.test_opening import CODE, bid_all, file_key
from tests.support.factories import bearer
from tests.support.live import live_server
from tests.support.services import redis_url


class Watcher:
    """A room socket that checks frames arrive in seq order with no gaps."""

    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket
        self.last = 0
        self.frames: list[dict[str, Any]] = []

    async def hello(self, after: int = 0) -> dict[str, Any]:
        frame = json.loads(await asyncio.wait_for(self.socket.recv(decode=True), timeout=10))
        assert frame["type"] == "hello"
        self.last = after
        return dict(frame)

    async def until(self, predicate: Callable[[dict[str, Any]], bool], within: float = 20) -> dict[str, Any]:
        deadline = time.monotonic() + within
        while True:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"timed out; last frames: {self.frames[-5:]}"
            frame = json.loads(await asyncio.wait_for(self.socket.recv(decode=True), timeout=remaining))
            if frame["type"] in ("event", "skip"):
                assert frame["seq"] == self.last + 1, (frame, self.last)
                self.last = frame["seq"]
                self.frames.append(frame)
                if predicate(frame):
                    return dict(frame)


def kind(name: str, **data: Any) -> Callable[[dict[str, Any]], bool]:
    def match(frame: dict[str, Any]) -> bool:
        return (
            frame["type"] == "event"
            and frame["kind"] == name
            and all(frame["data"].get(k) == v for k, v in data.items())
        )

    return match


@pytest.mark.e2e
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_two_processes_open_exactly_once_and_stream_the_script(
    runtime: Runtime, client: Any, clock: ManualClock, settings: Settings, tmp_path: Path
) -> None:
    world = await make_world(runtime, client, bidders=3)
    prices = ["11000000.00", "10900000.00", "10800000.00"]
    _tender, sealed = await bid_all(runtime, client, world, tmp_path, prices)
    keys = [file_key(s, b.identity) for s, b in zip(sealed, world.bidders, strict=True)]
    # The in-process clock says January; the real one is long past the deadline: the tender's deadline
    # passed while no app process ran, so it opens when they start. This process races them too.
    clock.advance(days=21, seconds=1)
    shared = settings.with_(redis_url=redis_url())
    with (
        live_server(shared, tmp_path, "p1") as p1,
        live_server(shared, tmp_path, "p2") as p2,
    ):
        await opening.open_due(runtime)
        async with httpx.AsyncClient(base_url=p1.url) as h1, httpx.AsyncClient(base_url=p2.url) as h2:
            state_url = f"/api/tenders/{CODE}/lots/1/opening"
            deadline = time.monotonic() + 10
            while (await h1.get(state_url)).status_code != 200:
                assert time.monotonic() < deadline, "the tender did not open at start-up"
                await asyncio.sleep(0.2)
            await asyncio.sleep(2.5)  # a few more scheduler ticks in both processes
            async with runtime.sessions() as session:
                passed = await session.scalar(
                    select(func.count()).where(AuditEntry.kind == "tender.deadline_passed")
                )
                openings = await session.scalar(select(func.count()).select_from(Opening))
            assert (passed, openings) == (1, 1)
            # Tokens issued under the in-process (January) clock have expired by the real one.
            world.agent = await bearer(h1, "agent1")
            for who in world.bidders:
                who.headers = await bearer(h1, who.username)

            ws1 = p1.url.replace("http", "ws") + f"/ws/openings/{CODE}/1"
            ws2 = p2.url.replace("http", "ws") + f"/ws/openings/{CODE}/1"
            bidder = world.bidders[0]
            async with (
                connect(ws1) as public_socket,
                connect(ws2, additional_headers=bidder.headers) as bidder_socket,
            ):
                observer, mine = Watcher(public_socket), Watcher(bidder_socket)
                assert (await observer.hello())["head"] >= 1
                await mine.hello()
                await observer.until(kind("opening.due"))
                # The deadline is months past on the real clock, far beyond the host's 10 minutes: the
                # platform starts the opening itself, once for both processes, and the host is told so.
                await observer.until(kind("opening.autostarted"))
                late = await h2.post(f"/api/tenders/{CODE}/opening/start", headers=world.agent)
                assert (late.status_code, late.json()["error"]) == (409, "already_started")
                async with runtime.sessions() as session:
                    autostarts = await session.scalar(
                        select(func.count()).where(AuditEntry.kind == OPENING_AUTOSTARTED)
                    )
                assert autostarts == 1
                listed = await observer.until(kind("bids.listed"))
                assert len(listed["data"]["bids"]) == 3
                window = await observer.until(kind("window.opened"))
                assert "window_ends_at" in window["data"]
                for who, key in zip(world.bidders, keys, strict=True):
                    response = await h1.post(
                        f"/api/tenders/{CODE}/lots/1/opening/key", json={"file_key": key}, headers=who.headers
                    )
                    assert response.status_code == 200, response.text
                progress = await observer.until(lambda f: kind("progress")(f) and f["data"]["opened"] == 3)
                assert progress["data"]["queued"] == 0
                # The bidder sees its own private news; the observer only a skip for it.
                own = await mine.until(kind("bid.opened"))
                assert own["data"]["outcome"] == "opened"
                assert not any(f["type"] == "event" and f["kind"] == "bid.opened" for f in observer.frames)
                assert any(f["type"] == "skip" for f in observer.frames)

                # End the window now (instead of waiting 30 minutes): the schedulers read out the table.
                async with runtime.transaction() as session:
                    await session.execute(
                        update(Opening).values(window_ends_at=datetime.now(UTC) - timedelta(seconds=1))
                    )
                await observer.until(kind("coefficient.drawn"), within=15)
                rows = []
                for _ in range(3):
                    rows.append((await observer.until(kind("table.row")))["data"])
                assert sorted(r["price"] for r in rows) == sorted(prices)
                assert all("reason" in r and r["bidder"] for r in rows)
                await observer.until(kind("confirm.opened"))
                seen = observer.last

            # Reconnect after missing events: the database refills the gap, in order.
            confirmed = await h2.post(f"/api/tenders/{CODE}/lots/1/opening/confirm", headers=bidder.headers)
            assert confirmed.status_code == 200, confirmed.text
            finished = await h1.post(f"/api/tenders/{CODE}/lots/1/opening/finish", headers=world.agent)
            assert finished.status_code == 200, finished.text
            async with connect(ws2 + f"?after={seen}") as again:
                back = Watcher(again)
                await back.hello(after=seen)
                await back.until(kind("bidder.confirmed"))
                record = await back.until(kind("record.published"))
                assert record["data"]["valid_bids"] == 3 and not record["data"]["failed"]
                await again.send(json.dumps({"type": "start"}))
                refused = json.loads(await asyncio.wait_for(again.recv(decode=True), timeout=10))
                assert refused["type"] == "error"
