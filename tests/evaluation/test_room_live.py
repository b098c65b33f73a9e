"""The evaluation room over real sockets on two app processes sharing PostgreSQL and Redis: members on
different processes score; everyone sees the same events in the same seq order with no gaps; a
member whose connection dies mid-scoring reconnects with ``?after=`` and loses nothing; an event whose
pub/sub news never went out is refilled from the database; and only the room's people get in, with
supervisors and the host read-only."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus

from core import rooms
from core.clock import ManualClock
from core.pubsub import take_pending
from core.runtime import Runtime
from core.settings import Settings
from evaluation import service
from tests.evaluation.world import CODE, EvalWorld, api_headers, scoring_room
from tests.support.asyncapi import Conformance
from tests.support.live import live_server
from tests.support.services import redis_url

ROOM = f"{CODE}-1"
Frame = dict[str, Any]
# Every frame the room sends in this test is checked against the served AsyncAPI document.
CONFORMANCE: list[Conformance] = []


def checked(frame: Frame) -> Frame:
    for conformance in CONFORMANCE:
        conformance.check("evaluationRoom", frame)
    return frame


class Client:
    """One room socket. Checks that event/skip frames come in seq order with no gaps or repeats,
    and keeps the answers to its own ``act`` frames by ``ref``."""

    def __init__(self, name: str, socket: ClientConnection, member: str | None = None) -> None:
        self.name = name
        self.socket = socket
        self.member = member
        self.last = 0
        self.frames: dict[int, Frame] = {}
        self.answers: dict[str, Frame] = {}
        self.count = 0

    async def hello(self, after: int = 0) -> Frame:
        frame = checked(json.loads(await asyncio.wait_for(self.socket.recv(decode=True), timeout=15)))
        assert frame["type"] == "hello", frame
        self.last = after
        return dict(frame)

    async def read(self, until: Callable[[Frame], bool], within: float = 20) -> Frame:
        deadline = time.monotonic() + within
        while True:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"{self.name}: timed out at seq {self.last}"
            frame = checked(
                json.loads(await asyncio.wait_for(self.socket.recv(decode=True), timeout=remaining))
            )
            if frame["type"] in ("event", "skip"):
                assert frame["seq"] == self.last + 1, (self.name, frame, self.last)
                self.last = frame["seq"]
                self.frames[frame["seq"]] = frame
            elif frame["type"] in ("acted", "error") and frame.get("ref") is not None:
                self.answers[frame["ref"]] = frame
            if until(frame):
                return dict(frame)

    async def upto(self, seq: int) -> None:
        if self.last < seq:
            await self.read(lambda _frame: self.last >= seq)

    async def send(self, action: str, **fields: Any) -> str:
        self.count += 1
        ref = f"{self.name}-{self.count}"
        await self.socket.send(json.dumps({"type": "act", "ref": ref, "action": action, **fields}))
        return ref

    async def act(self, action: str, **fields: Any) -> Frame:
        ref = await self.send(action, **fields)
        return await self.read(lambda f: f.get("ref") == ref and f["type"] in ("acted", "error"))


async def open_client(
    url: str, name: str, headers: dict[str, str], member: str | None = None, after: int = 0
) -> Client:
    socket = await connect(f"{url}?after={after}", additional_headers=headers, max_queue=None)
    client = Client(name, socket, member)
    await client.hello(after)
    return client


async def head(runtime: Runtime) -> int:
    async with runtime.sessions() as session:
        return await rooms.head(session, service.room_name(ROOM))


async def refused(url: str, headers: dict[str, str]) -> None:
    """The room does not let this caller in: the handshake is answered 403, no socket is opened."""
    with pytest.raises(InvalidStatus) as refusal:
        async with connect(url, additional_headers=headers) as socket:
            await asyncio.wait_for(socket.recv(decode=True), timeout=10)
    assert refusal.value.response.status_code == 403


def same(frame: Frame) -> tuple[Any, ...]:
    """A frame without its time (written by the publisher, or read back from the database)."""
    return (frame["type"], frame["seq"], frame.get("kind"), frame.get("data"))


# Technical (max 30, step 0.5) and commercial (max 10, step 1) per bidder, per member.
VALUES = [("T1", ["28", "20", "25"]), ("C1", ["9", "6", "8"])]


def sheet_of(ew: EvalWorld) -> list[tuple[str, str, str]]:
    return [
        (bidder, criterion, values[i])
        for i, bidder in enumerate(ew.bidder_codes)
        for criterion, values in VALUES
    ]


@pytest.mark.e2e
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_two_processes_one_room_no_score_lost(
    runtime: Runtime, client: Any, clock: ManualClock, settings: Settings, tmp_path: Path
) -> None:
    ew = await scoring_room(runtime, client, clock, tmp_path, members=3, alternates=1)
    m0, m1, m2 = ew.members
    headers = {code: await api_headers(runtime, ew.usernames[code]) for code in ew.members}
    supervisor = await api_headers(runtime, "supervisor9")
    host = await api_headers(runtime, "agent1")
    bidder = await api_headers(runtime, ew.bidding.bidders[0].username)
    outsider_code = next(c for c in ew.people if c not in (*ew.members, *ew.alternates))
    outsider = await api_headers(runtime, ew.usernames[outsider_code])
    start = await head(runtime)
    shared = settings.with_(redis_url=redis_url())
    with live_server(shared, tmp_path, "p1") as p1, live_server(shared, tmp_path, "p2") as p2:
        ws1 = p1.url.replace("http", "ws") + f"/ws/evaluations/{ROOM}"
        ws2 = p2.url.replace("http", "ws") + f"/ws/evaluations/{ROOM}"
        CONFORMANCE[:] = [Conformance.served_by(p1.url)]

        # Who may not enter: a bidder (any bidder), an expert of another committee.
        await refused(ws1, bidder)
        await refused(ws2, outsider)

        watch = await open_client(ws2, "supervisor", supervisor)  # the whole log, from seq 1
        desk = await open_client(ws1, "host", host, after=start)
        c0 = await open_client(ws1, "m0", headers[m0], m0, after=start)
        c1 = await open_client(ws2, "m1", headers[m1], m1, after=start)
        c2 = await open_client(ws1, "m2", headers[m2], m2, after=start)
        sent: dict[str, dict[tuple[str, str], str]] = {m: {} for m in ew.members}

        async def score(c: Client, bidder_code: str, criterion: str, value: str) -> Frame:
            answer = await c.act("score", bidder=bidder_code, criterion=criterion, value=value)
            assert answer["type"] == "acted", answer
            assert c.member is not None
            sent[c.member][(bidder_code, criterion)] = value
            return answer

        # m0 (process 1) and m1 (process 2) score at the same time; m2 (process 1) scores half its
        # sheet, then sends one more score and its connection dies before it reads the answer.
        async def whole_sheet(c: Client) -> None:
            for bidder_code, criterion, value in sheet_of(ew):
                await score(c, bidder_code, criterion, value)

        async def half_then_killed() -> tuple[str, str, str]:
            plan = sheet_of(ew)
            for bidder_code, criterion, value in plan[:3]:
                await score(c2, bidder_code, criterion, value)
            in_flight = plan[3]
            await c2.send("score", bidder=in_flight[0], criterion=in_flight[1], value=in_flight[2])
            c2.socket.transport.abort()  # the connection drops; no close handshake
            return in_flight

        _, _, in_flight = await asyncio.gather(whole_sheet(c0), whole_sheet(c1), half_then_killed())
        seen = c2.last
        for bidder_code, criterion, value in sheet_of(ew)[:2]:  # m0 corrects two scores meanwhile
            await score(c0, bidder_code, criterion, str(int(value) - 1))

        # A stored event whose news never goes out (this process publishes nothing to Redis, and
        # its queued message is dropped besides): m1's score of bidder 2's C1, changed to 7.
        async with runtime.sessions() as session:
            async with session.begin():
                lost = await service.act(
                    session, runtime, ew.people[m1], ROOM,
                    {"action": "score", "bidder": ew.bidder_codes[2], "criterion": "C1", "value": "7"},
                )  # fmt: skip
                take_pending(session)
        sent[m1][(ew.bidder_codes[2], "C1")] = "7"
        # Nobody hears of it until the next event: the next news reveals the gap, the database fills it.
        after_loss = await score(c1, ew.bidder_codes[2], "T1", "24.5")
        assert after_loss["seq"] >= lost.seq + 2  # after the lost score and its progress
        for c in (watch, desk, c0, c1):
            await c.upto(after_loss["seq"] + 1)
        assert watch.frames[lost.seq]["data"]["value"] == "7"
        assert desk.frames[lost.seq] == {"type": "skip", "seq": lost.seq}

        # m2 comes back on the other process with after=<the last seq it saw>: exactly what it missed,
        # in order, from seen + 1 (its own in-flight score among it if it was stored before the drop).
        current = await head(runtime)
        back = await open_client(ws2, "m2-again", headers[m2], m2, after=seen)
        await back.upto(current)
        assert sorted(back.frames) == list(range(seen + 1, back.last + 1))
        stored = [
            f for f in back.frames.values()
            if f["type"] == "event" and f["kind"] == "step.score" and f["data"]["member"] == m2
            and (f["data"]["bidder"], f["data"]["criterion"], f["data"]["value"]) == in_flight
        ]  # fmt: skip
        if stored:
            sent[m2][(in_flight[0], in_flight[1])] = in_flight[2]
        for bidder_code, criterion, value in sheet_of(ew)[4 if stored else 3 :]:
            answer = await back.act("score", bidder=bidder_code, criterion=criterion, value=value)
            assert answer["type"] == "acted", answer
            sent[m2][(bidder_code, criterion)] = value

        # The supervisor and the host watch; an act from either is refused and stores nothing.
        before = await head(runtime)
        for watcher in (watch, desk):
            refusal = await watcher.act("score", bidder=ew.bidder_codes[0], criterion="T1", value="30")
            assert refusal["type"] == "error" and refusal["code"] == "forbidden", refusal
        assert await head(runtime) == before

        # Everyone ends on the same head having seen every seq once, in order, with the same events:
        # score values only for their own member (and the supervisor), a skip for everyone else.
        final = await head(runtime)
        clients = [watch, desk, c0, c1, back]
        await asyncio.gather(*(c.upto(final) for c in clients))
        assert sorted(watch.frames) == list(range(1, final + 1))
        for c in (desk, c0, c1, c2, back):
            for seq, frame in c.frames.items():
                truth = watch.frames[seq]
                assert truth["type"] == "event"
                private = truth["kind"] == "step.score" and truth["data"]["member"] != c.member
                assert same(frame) == same({"type": "skip", "seq": seq} if private else truth), (c.name, seq)
        for c in (desk, c0, c1):
            assert sorted(c.frames) == list(range(start + 1, final + 1)), c.name
        assert sorted([*c2.frames, *back.frames]) == list(range(start + 1, final + 1))
        for c in clients:
            assert c.last == final, (c.name, c.last, final)

        # No score lost: each member's sheet holds the last value it sent for every criterion.
        async with httpx.AsyncClient(base_url=p2.url) as http:
            for member in ew.members:
                response = await http.get(f"/api/evaluations/{ROOM}", headers=headers[member])
                assert response.status_code == 200, response.text
                sheet = response.json()["my_sheet"]
                got = {(b, c): v for b, row in sheet.items() for c, v in row.items()}
                assert got == sent[member], member
            progress = [f["data"] for f in watch.frames.values() if f.get("kind") == "progress"]
            assert {p["member"] for p in progress if p["scored"] == p["of"] == 6} == set(ew.members)

        for c in clients:
            await c.socket.close()
