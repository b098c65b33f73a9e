"""Room event logs: per-room numbering with no gaps, and real sockets on two app processes over Redis
that never miss an event — not after a lost pub/sub message, not after a dropped connection."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

import httpx
import msgspec
import pytest
from websockets.asyncio.client import ClientConnection, connect

from core import rooms
from core.room_protocol import EncodedEvent, Skip
from core.runtime import Runtime
from core.settings import Settings
from tests.support.live import live_server, run_cli
from tests.support.services import redis_url

APP = "tests.support.room_app:make_app"


async def test_each_room_numbers_its_events_from_one_without_gaps(runtime: Runtime) -> None:
    async def add(room: str, i: int) -> int:
        async with runtime.transaction() as session:
            return await rooms.append(session, runtime.clock, room, "tick", {"i": i})

    seqs = await asyncio.gather(*(add("a", i) for i in range(12)), *(add("b", i) for i in range(5)))
    assert sorted(seqs[:12]) == list(range(1, 13)) and sorted(seqs[12:]) == list(range(1, 6))
    async with runtime.sessions() as session:
        assert await rooms.head(session, "a") == 12
        later = await rooms.events_after(session, "a", 9)
    assert [e.seq for e in later] == [10, 11, 12]


def test_viewers_see_their_audiences_only() -> None:
    # The frames a room's hub encodes once and sends to each socket by what its viewer may see.
    viewer = rooms.Viewer.of(None)
    public = msgspec.json.decode(EncodedEvent(3, "k", "t", "public", {"x": 1}).text(viewer.sees("public")))
    assert public == {"type": "event", "seq": 3, "kind": "k", "at": "t", "data": {"x": 1}}
    hidden = EncodedEvent(4, "k", "t", "role:supervisor", {"x": 1}).text(viewer.sees("role:supervisor"))
    assert msgspec.json.decode(hidden, type=Skip) == Skip(seq=4)


async def receive(socket: ClientConnection) -> dict[str, Any]:
    return json.loads(await asyncio.wait_for(socket.recv(decode=True), timeout=10))


async def events(socket: ClientConnection, count: int) -> list[dict[str, Any]]:
    return [await receive(socket) for _ in range(count)]


@pytest.mark.e2e
async def test_rooms_across_two_processes_never_lose_an_event(settings: Settings, tmp_path: Path) -> None:
    shared = settings.with_(redis_url=redis_url())
    run_cli(shared, "db", "upgrade")
    room = f"test-{tmp_path.name}"
    with (
        live_server(shared, tmp_path, "p1", app_factory=APP) as p1,
        live_server(shared, tmp_path, "p2", app_factory=APP) as p2,
    ):
        ws = p1.url.replace("http", "ws") + f"/ws/rooms/{room}"
        async with httpx.AsyncClient(base_url=p2.url) as http:

            async def post(kind: str, **extra: Any) -> int:
                response = await http.post(f"/rooms/{room}/events", json={"kind": kind, **extra})
                assert response.status_code == 201, response.text
                return int(response.json()["seq"])

            async with connect(ws + "?audience=role:supervisor") as watcher, connect(ws) as public:
                assert (await receive(watcher))["type"] == "hello" and (await receive(public))["head"] == 0
                for i in range(3):
                    await post("bid.listed", data={"i": i})
                got = await events(watcher, 3)
                assert [(f["seq"], f["data"]["i"]) for f in got] == [(1, 0), (2, 1), (3, 2)]
                assert [f["seq"] for f in await events(public, 3)] == [1, 2, 3]

                # A pub/sub message is lost: the next one reveals the gap and the database refills it.
                await post("lost", lose_news=True, data={"n": 4})
                await post("after-loss", data={"n": 5})
                assert [(f["seq"], f["kind"]) for f in await events(watcher, 2)] == [
                    (4, "lost"),
                    (5, "after-loss"),
                ]
                assert [f["seq"] for f in await events(public, 2)] == [4, 5]

                # Supervisor-only events reach supervisors; everyone else sees only that seq 6 exists.
                await post("private", audience="role:supervisor", data={"secret": "x"})
                assert (await receive(watcher))["data"] == {"secret": "x"}
                assert await receive(public) == {"type": "skip", "seq": 6}

                # A client that saw a gap asks to resume; malformed frames get an error, not a hang-up.
                await public.send(json.dumps({"type": "resume", "after": 4}))
                assert [f["seq"] for f in await events(public, 2)] == [5, 6]
                await public.send("not json")
                assert (await receive(public))["type"] == "error"
                await public.send(json.dumps({"type": "ping"}))
                assert (await receive(public))["type"] == "pong"

            # The connection drops; events go on; reconnecting with after=6 misses nothing.
            await post("while-away", data={"n": 7})
            await post("while-away", data={"n": 8})
            async with connect(ws + "?after=6") as again:
                hello = await receive(again)
                assert hello["head"] == 8
                assert [f["data"]["n"] for f in await events(again, 2)] == [7, 8]


@pytest.mark.e2e
async def test_a_socket_joining_during_a_burst_is_told_the_latest_head(
    settings: Settings, tmp_path: Path
) -> None:
    # Sockets join a room whose hub is already subscribed, some while events pour in from another
    # process: the head each is told is at least every event stored before it asked, and it then
    # receives everything after it in order. One event's news is lost, so the hub is behind the
    # database when the next socket joins: that socket is still told the stored head.
    shared = settings.with_(redis_url=redis_url())
    run_cli(shared, "db", "upgrade")
    room = f"burst-{tmp_path.name}"
    with (
        live_server(shared, tmp_path, "p1", app_factory=APP) as p1,
        live_server(shared, tmp_path, "p2", app_factory=APP) as p2,
    ):
        ws = p1.url.replace("http", "ws") + f"/ws/rooms/{room}?known=true"
        stored = 0
        async with httpx.AsyncClient(base_url=p2.url) as http:

            async def post(n: int, **extra: Any) -> None:
                nonlocal stored
                response = await http.post(
                    f"/rooms/{room}/events", json={"kind": "tick", "data": {"n": n}, **extra}
                )
                assert response.status_code == 201, response.text
                stored = max(stored, int(response.json()["seq"]))

            async def join() -> tuple[int, list[int]]:
                floor = stored  # every event stored before this socket asked to join
                async with connect(ws) as socket:
                    hello = await receive(socket)
                    assert hello["type"] == "hello" and hello["head"] >= floor, (hello, floor)
                    seqs = [f["seq"] for f in await events(socket, 40)]
                return floor, seqs

            async with connect(ws) as first:  # the hub is up and subscribed
                assert (await receive(first))["head"] == 0

                async def burst() -> None:
                    for n in range(40):
                        await post(n)

                joined = await asyncio.gather(burst(), *(join() for _ in range(12)))
                for _floor, seqs in joined[1:]:
                    assert seqs == list(range(1, 41))
                assert [f["seq"] for f in await events(first, 40)] == list(range(1, 41))

                await post(40, lose_news=True)  # stored as seq 41; p1's hub never hears of it
                async with connect(ws) as late:
                    hello = await receive(late)
                    assert hello["head"] == 41
                    got = await events(late, 41)
                    assert [f["seq"] for f in got] == list(range(1, 42)) and got[-1]["data"] == {"n": 40}


class Client:
    """A socket's ASGI send: a slow client's send waits (its buffer is full) until it reads again."""

    def __init__(self, *, slow: bool = False) -> None:
        self.frames: list[dict[str, Any]] = []
        self.reading = asyncio.Event()
        self.arrived = asyncio.Event()
        self.gone = False
        if not slow:
            self.reading.set()

    async def send(self, message: Any) -> None:
        if self.gone:
            raise ConnectionError("the client is gone")
        await self.reading.wait()
        self.frames.append(json.loads(message["text"]))
        self.arrived.set()

    async def until(self, count: int) -> None:
        async with asyncio.timeout(10):
            while len(self.frames) < count:
                self.arrived.clear()
                await self.arrived.wait()
        await asyncio.sleep(0.05)  # and nothing more comes

    def seqs(self) -> list[int]:
        return [f["seq"] for f in self.frames]


def connect_to(
    hub: rooms.RoomHub, client: Client, *audiences: str, ready: bool = True
) -> rooms.RoomConnection:
    viewer = rooms.Viewer.of(None, *audiences)
    connection = rooms.RoomConnection(cast(Any, None), hub.room, viewer, 0, client.send)
    connection.hub = hub
    connection.ready = ready
    hub.connections.add(connection)
    return connection


def entry(seq: int) -> EncodedEvent:
    audience = "role:supervisor" if seq % 3 == 0 else rooms.PUBLIC
    return EncodedEvent(seq, "tick", "t", audience, {"n": seq})


async def test_a_slow_socket_holds_up_no_other_and_misses_nothing() -> None:
    # The hub sends each event to every caught-up socket in one pass, as it arrives; a client that
    # does not read holds up only itself, and once it reads it gets every event once, in order.
    hub = rooms.RoomHub(cast(Any, None), cast(Any, None), "r")
    fast, slow, public, gone = Client(), Client(slow=True), Client(), Client()
    connections = [
        connect_to(hub, fast, "role:supervisor"),
        connect_to(hub, slow, "role:supervisor"),
        connect_to(hub, public),
        connect_to(hub, gone),
    ]
    writers = [asyncio.create_task(c.write()) for c in connections]
    try:
        for seq in range(1, 31):
            if seq == 10:
                gone.gone = True  # its sends fail from here on: the others go on
            hub.publish(entry(seq))
            await asyncio.sleep(0)  # the pass runs once the news at hand is held
            assert fast.seqs() == list(range(1, seq + 1))  # sent in the pass
            assert public.seqs() == list(range(1, seq + 1))
        assert slow.frames == [] and gone.seqs() == list(range(1, 10))
        assert [f["type"] for f in public.frames[:3]] == ["event", "event", "skip"]
        assert fast.frames[2] == {"type": "event", "seq": 3, "kind": "tick", "at": "t", "data": {"n": 3}}

        slow.reading.set()
        await slow.until(30)
        assert slow.frames == fast.frames  # every event once, in order
        hub.publish(entry(31))  # caught up again: the pass sends to it directly
        await asyncio.sleep(0)
        assert slow.seqs()[-1] == 31 and fast.seqs()[-1] == 31
    finally:
        for writer in writers:
            writer.cancel()
        await asyncio.gather(*writers, return_exceptions=True)  # the gone client's writer failed
        for connection in connections:
            await connection.close()


async def test_the_events_of_one_commit_reach_a_socket_in_one_write_encoded_once_per_audience() -> None:
    # Where frames are written straight to the socket, the events published together (one commit's)
    # go in one write per socket, joined once for each audience: event frames for what it sees, skips
    # for the rest.
    hub = rooms.RoomHub(cast(Any, None), cast(Any, None), "r")
    writes: dict[str, list[bytes]] = {"supervisor": [], "public": [], "also-public": []}
    connections = []
    for name, audiences in (("supervisor", ("role:supervisor",)), ("public", ()), ("also-public", ())):
        connection = connect_to(hub, Client(), *audiences)
        connection.write_frame = lambda frame, name=name: writes[name].append(frame) is None
        connections.append(connection)
    for seq in (1, 2, 3):
        hub.publish(entry(seq))
    await asyncio.sleep(0)
    events = [entry(seq) for seq in (1, 2, 3)]  # seq 3 is for supervisors only
    assert writes["supervisor"] == [b"".join(e.event_frame for e in events)]
    assert writes["public"] == [events[0].event_frame + events[1].event_frame + events[2].skip_frame]
    assert writes["also-public"][0] is writes["public"][0]  # joined once, written to both
    assert all(c.sent == 3 for c in connections)


async def test_a_joining_sockets_backlog_goes_in_one_write_and_by_sends_where_the_writer_declines() -> None:
    # 500 observers joining a room with a hundred events behind it: each gets its backlog in one
    # write (its audience's event and skip frames joined), not a send per event. Where the direct
    # write declines (a slow client's full buffer), the same backlog goes by the ordinary sends.
    hub = rooms.RoomHub(cast(Any, None), cast(Any, None), "r")
    for seq in range(1, 8):
        hub.publish(entry(seq))  # no socket yet: the hub only holds them
    await asyncio.sleep(0)
    events = [entry(seq) for seq in range(1, 8)]  # 3 and 6 are for supervisors only

    writes: list[bytes] = []
    direct, by_sends = Client(), Client()
    joiner = connect_to(hub, direct, ready=False)
    joiner.write_frame = lambda frame: writes.append(frame) is None
    declined = connect_to(hub, by_sends, ready=False)
    declined.write_frame = lambda frame: False
    for connection in (joiner, declined):
        async with connection.lock:
            await connection.send_pending()

    assert writes == [b"".join(e.skip_frame if e.audience != rooms.PUBLIC else e.event_frame for e in events)]
    assert direct.frames == [] and joiner.sent == 7
    assert by_sends.seqs() == list(range(1, 8)) and declined.sent == 7
    kinds = ["event", "event", "skip", "event", "event", "skip", "event"]
    assert [f["type"] for f in by_sends.frames] == kinds


async def test_a_socket_joining_mid_flood_gets_every_event_once_in_order() -> None:
    # A joining socket is in the hub before its backlog is sent: the pass leaves it to its writer
    # until it is ready, then sends to it like any other.
    hub = rooms.RoomHub(cast(Any, None), cast(Any, None), "r")
    watcher, joiner = Client(), Client(slow=True)
    first = connect_to(hub, watcher, "role:supervisor")
    for seq in range(1, 6):
        hub.publish(entry(seq))
    late = connect_to(hub, joiner, "role:supervisor", ready=False)

    async def join() -> None:  # what rooms.serve does: backlog under the lock, then ready
        async with late.lock:
            await late.send_pending()
            late.ready = True

    joining = asyncio.create_task(join())
    for seq in range(6, 16):
        hub.publish(entry(seq))
        await asyncio.sleep(0)
        if seq == 8:
            joiner.reading.set()
    await joining
    writer = asyncio.create_task(late.write())
    try:
        for seq in range(16, 26):
            hub.publish(entry(seq))
            await asyncio.sleep(0)
        await joiner.until(25)
        assert joiner.seqs() == list(range(1, 26)) and joiner.frames == watcher.frames
    finally:
        writer.cancel()
        await late.close()
        await first.close()


PAD = "x" * 50_000  # 300 events of 50 kB: more than a stalled client's socket buffers hold


async def small_buffer_socket(url: str) -> socket.socket:
    """A socket connected to ``url``'s server with a small receive buffer (no autotuning to 32 MB)."""
    host, port = url.removeprefix("ws://").split("/", 1)[0].split(":")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, (host, int(port)))
    return sock


@contextmanager
def served_room(settings: Settings, tmp_path: Path, name: str) -> Iterator[tuple[str, str]]:
    """A room served as `sunbid serve` serves it (uvicorn's sans-I/O WebSockets, the server's own ASGI
    send, per-message deflate left to each client): the server's URL and the room's WebSocket URL."""
    run_cli(settings, "db", "upgrade")
    with live_server(
        settings,
        tmp_path,
        app_factory="tests.support.room_app:make_served_app",
        uvicorn_args=["--ws", "websockets-sansio"],
    ) as server:
        yield server.url, server.url.replace("http", "ws") + f"/ws/rooms/{name}-{tmp_path.name}"


@pytest.mark.e2e
async def test_a_client_that_stops_reading_holds_up_no_other_client(
    settings: Settings, tmp_path: Path
) -> None:
    # Served as `sunbid serve` serves (uvicorn's sans-I/O WebSockets, the server's own ASGI send): a
    # client stops reading until its socket buffers and the server's are full, so sends to it must
    # wait; the other client still gets every event, and the stalled one, once it reads, every event
    # once and in order.
    with served_room(settings, tmp_path, "stall") as (url, ws):
        room = ws.rsplit("/", 1)[1]
        async with (
            httpx.AsyncClient(base_url=url) as http,
            connect(ws, max_queue=None, max_size=None, compression=None) as reading,
            connect(
                ws, max_queue=1, max_size=None, compression=None, sock=await small_buffer_socket(ws)
            ) as stalled,
        ):
            assert (await receive(reading))["type"] == "hello" and (await receive(stalled))["type"] == "hello"
            stalled.transport.pause_reading()
            for n in range(1, 301):
                response = await http.post(
                    f"/rooms/{room}/events", json={"kind": "tick", "data": {"n": n, "pad": PAD}}
                )
                assert response.status_code == 201, response.text
            assert [(f["seq"], f["data"]["n"]) for f in await events(reading, 300)] == [
                (n, n) for n in range(1, 301)
            ]
            stalled.transport.resume_reading()
            got = await events(stalled, 300)
            assert [(f["seq"], f["data"]["n"]) for f in got] == [(n, n) for n in range(1, 301)]
            await stalled.send(json.dumps({"type": "ping"}))
            assert (await receive(stalled))["type"] == "pong"  # nothing more came before the answer


@pytest.mark.e2e
async def test_clients_with_and_without_per_message_deflate_in_one_room_get_every_event(
    settings: Settings, tmp_path: Path
) -> None:
    # A room writes each frame's bytes, encoded once, straight to the sockets that negotiated no
    # extension, and sends through the ASGI send to those that negotiated per-message deflate (their
    # frames are compressed per connection): both kinds, side by side, get every event once, in order.
    with served_room(settings, tmp_path, "mixed") as (url, ws):
        room = ws.rsplit("/", 1)[1]
        async with (
            httpx.AsyncClient(base_url=url) as http,
            connect(ws, max_queue=None, compression=None) as plain,
            connect(ws, max_queue=None, compression="deflate") as deflated,
        ):
            assert deflated.protocol.extensions and not plain.protocol.extensions
            assert (await receive(plain))["type"] == "hello" and (await receive(deflated))["type"] == "hello"
            for n in range(1, 41):
                response = await http.post(f"/rooms/{room}/events", json={"kind": "tick", "data": {"n": n}})
                assert response.status_code == 201, response.text
            for client in (plain, deflated):
                got = await events(client, 40)
                assert [(f["seq"], f["data"]["n"]) for f in got] == [(n, n) for n in range(1, 41)]
