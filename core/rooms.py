"""Live rooms (opening halls, evaluation rooms): a per-room event log in the database, news over pub/sub.

The database is the truth. Every event gets the room's next sequence number (1, 2, 3 … with no gaps,
serialised by the room's head row as the audit log is) and is stored before anything is sent; pub/sub
only carries news of it after commit. A socket therefore never depends on pub/sub delivering
everything: when it sees a gap, or reconnects, or just has not heard anything for a while, it reads
what it missed from the database.

Protocol (JSON text frames). Connect with ``?after=N`` to receive everything after event N (0 = all).

server → client
    {"type": "hello", "room": R, "head": H, "server_time": ISO}    first frame; H = last seq so far
    {"type": "event", "seq": n, "kind": K, "at": ISO, "data": {…}} every event the viewer may see
    {"type": "skip", "seq": n}                                     an event for another audience
    Frames arrive in seq order with no gaps, so a client only needs to remember its last seq.
client → server
    {"type": "resume", "after": n}    resend everything after n (the client saw a gap)
    {"type": "ping"}                  answered with {"type": "pong", "server_time": ISO}
    anything else                     handed to the room's own handler (``on_message``), whose
                                      answer, if any, is sent back to this client

Audiences: "public" (everyone, including anonymous observers), "role:<role>", "org:<id>", "user:<id>".
"""

from __future__ import annotations

import asyncio
import json
import random
from collections import Counter
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar, cast

import anyio
import msgspec
from litestar import WebSocket
from litestar.channels import ChannelsPlugin
from litestar.exceptions import WebSocketDisconnect
from litestar.types import Message, Send
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.accounts import Principal
from core.asgi_send import ASGI_SEND, frame_writer, send_now, text_message
from core.clock import Clock
from core.db import table_of
from core.group_commit import deferred
from core.models import RoomEvent, RoomHead
from core.pubsub import after_commit
from core.room_protocol import EncodedEvent, Frame, Hello, Pong, RoomError, encode_frame
from core.shared_reads import shared_read
from crypto.signing import canonical_json

if TYPE_CHECKING:
    from core.runtime import Runtime

T = TypeVar("T")
PUBLIC = "public"
# A socket that heard nothing for 1–2× this long re-reads the database, in case news was lost.
SWEEP_SECONDS = 10.0
BATCH = 500
# Events a room's hub keeps encoded for sockets that join or resume (between this and twice this).
KEEP_EVENTS = 2000


def channel(room: str) -> str:
    return f"room:{room}"


@dataclass(frozen=True)
class Viewer:
    """Which audiences a connection belongs to."""

    audiences: frozenset[str]

    @classmethod
    def of(cls, principal: Principal | None, *extra: str) -> Viewer:
        audiences = {PUBLIC, *extra}
        if principal is not None:
            audiences |= {f"role:{role.value}" for role in principal.roles}
            audiences.add(f"user:{principal.user_id}")
            if principal.organisation_id is not None:
                audiences.add(f"org:{principal.organisation_id}")
        return cls(frozenset(audiences))

    def sees(self, audience: str) -> bool:
        return audience in self.audiences


async def append(
    session: AsyncSession,
    clock: Clock,
    room: str,
    kind: str,
    data: msgspec.Struct | dict[str, Any],
    *,
    audience: str = PUBLIC,
) -> int | None:
    """Store the room's next event and queue its news for after commit; returns its sequence number,
    or None in a shared transaction (core/group_commit.py), whose events are numbered at its commit.

    ``data`` is the event's payload type (its context's ``events.ROOM_EVENTS[kind]``); it travels as
    the JSON object of its fields."""
    if isinstance(data, msgspec.Struct):
        data = msgspec.to_builtins(data)
    at = clock.now()
    payload = canonical_json(data).decode()
    row = {"room": room, "at": at, "kind": kind, "audience": audience, "payload": payload}
    news: dict[str, Any] = {
        "seq": None,
        "kind": kind,
        "at": at.isoformat(),
        "audience": audience,
        "data": data,
    }
    held = deferred(session, "core.rooms", _HeldEvents)
    if held is None:
        seq = row["seq"] = news["seq"] = await _next_seq(session, room)
        await session.execute(_INSERT_EVENTS, row)
    else:
        seq = None
        held.add(row, news)
    after_commit(session, channel(room), news)
    return seq


# Built once, on the tables (core/db.py): every room event runs them. RoomHead rows are never loaded
# as objects, so nothing held in a session goes stale.
_HEADS = table_of(RoomHead)
_HEAD = update(_HEADS).where(_HEADS.c.room == bindparam("head_room"))
_BUMP_HEAD = _HEAD.values(seq=_HEADS.c.seq + bindparam("head_by")).returning(_HEADS.c.seq)
_TOUCH_HEAD = _HEAD.values(seq=_HEADS.c.seq).returning(_HEADS.c.seq)
_INSERT_HEAD = insert(_HEADS)
_INSERT_EVENTS = insert(table_of(RoomEvent))


async def _next_seq(session: AsyncSession, room: str, count: int = 1) -> int:
    """Move the room's head on by ``count`` (locking it until the transaction ends); returns the
    new head, the last of the ``count`` numbers taken."""
    bump = {"head_room": room, "head_by": count}
    seq = (await session.execute(_BUMP_HEAD, bump)).scalar_one_or_none()
    if seq is not None:
        return int(seq)
    try:
        async with session.begin_nested():  # the room's first event: create its head
            await session.execute(_INSERT_HEAD, {"room": room, "seq": count})
        return count
    except IntegrityError:  # another transaction created it first; queue behind it
        return int((await session.execute(_BUMP_HEAD, bump)).scalar_one())


class _HeldEvents:
    """A shared transaction's room events (core/group_commit.py), stored together just before the
    commit: numbered then, in the order they came, each room's head moved once by how many it got
    (one statement, which also locks it), one insert for all. Their news carries those numbers."""

    def __init__(self) -> None:
        self.rows: list[tuple[dict[str, Any], dict[str, Any]]] = []  # (row, its news)

    def add(self, row: dict[str, Any], news: dict[str, Any]) -> None:
        self.rows.append((row, news))

    async def write(self, session: AsyncSession) -> None:
        counts = Counter(row["room"] for row, _ in self.rows)
        following = {room: await _next_seq(session, room, n) - n + 1 for room, n in counts.items()}
        for row, news in self.rows:
            row["seq"] = news["seq"] = following[row["room"]]
            following[row["room"]] += 1
        if self.rows:
            await session.execute(_INSERT_EVENTS, [row for row, _ in self.rows])


async def lock(session: AsyncSession, room: str) -> int:
    """Hold the room's head row until this transaction ends and return the last seq.

    A room whose events must be checked against its state before they are stored (the evaluation
    room) locks first, reads and checks, then appends: no other event can slip in between.
    """
    seq = (await session.execute(_TOUCH_HEAD, {"head_room": room})).scalar_one_or_none()
    if seq is not None:
        return int(seq)
    try:
        async with session.begin_nested():
            await session.execute(_INSERT_HEAD, {"room": room, "seq": 0})
        return 0
    except IntegrityError:  # created meanwhile: queue behind its creator
        return int((await session.execute(_TOUCH_HEAD, {"head_room": room})).scalar_one())


async def head(session: AsyncSession, room: str) -> int:
    return int(await session.scalar(select(RoomHead.seq).where(RoomHead.room == room)) or 0)


async def shared_head(runtime: Runtime, room: str) -> int:
    """The room's head as stored now, one read for the sockets that ask together (a crowd joining)."""
    return await shared_read(runtime, f"head:{room}", lambda session: head(session, room))


async def events_after(session: AsyncSession, room: str, after: int, limit: int = BATCH) -> list[RoomEvent]:
    rows = await session.scalars(
        select(RoomEvent)
        .where(RoomEvent.room == room, RoomEvent.seq > after)
        .order_by(RoomEvent.seq)
        .limit(limit)
    )
    return list(rows)


# A room's own handler; what it returns (if anything: a frame of the room's own) is sent back to this
# client, in frame order.
OnMessage = Callable[[dict[str, Any]], Awaitable[Frame | None]]


def _entry_of(row: RoomEvent) -> EncodedEvent:
    return EncodedEvent(row.seq, row.kind, row.at.isoformat(), row.audience, json.loads(row.payload))


class RoomHub:
    """A room's sockets in this process share one subscription and one copy of the recent log.

    The hub is the room's only reader in the process: it reads the database when it starts, when a
    message reveals a gap (a lost or late message) and when nothing was heard for a while, and each
    event is decoded and encoded once however many sockets watch. Sockets only send what the hub
    holds; one that fell behind what it keeps reads the older part itself.
    """

    def __init__(self, runtime: Runtime, channels: ChannelsPlugin, room: str) -> None:
        self.runtime = runtime
        self.channels = channels
        self.room = room
        self.head = 0  # the last seq held; the log holds every event from `first` to `head`
        self.first = 1
        self._log: list[EncodedEvent] = []
        self.connections: set[RoomConnection] = set()
        self.started: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._refresh: asyncio.Task[None] | None = None
        self._sync_lock = asyncio.Lock()
        self._tasks: list[asyncio.Task[None]] = []
        self._subscriber: Any = None
        self.heard = asyncio.get_running_loop().time()
        self._unsent: list[EncodedEvent] = []  # published since the last pass over the sockets

    async def start(self) -> None:
        try:
            # Subscribe before reading the log, so nothing committed in between is missed.
            self._subscriber = await self.channels.subscribe([channel(self.room)])
            await self.sync()
        except BaseException as exc:
            self.started.set_exception(exc)
            self.started.exception()  # retrieved: sockets waiting for the hub get it too
            raise
        self._tasks = [asyncio.create_task(self._pump()), asyncio.create_task(self._sweep_when_idle())]
        self.started.set_result(None)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with suppress(asyncio.CancelledError, Exception):
                await task
        if self._subscriber is not None:
            with suppress(Exception):
                await self.channels.unsubscribe(self._subscriber)

    def entries_after(self, seq: int) -> list[EncodedEvent]:
        return self._log[max(0, seq + 1 - self.first) :]

    async def sync(self) -> None:
        """Read what the database has after ``head`` and wake the sockets."""
        async with self._sync_lock:
            while True:
                async with self.runtime.sessions() as session:
                    rows = await events_after(session, self.room, self.head)
                for row in rows:
                    self._add(_entry_of(row))
                if len(rows) < BATCH:
                    break
            self.heard = asyncio.get_running_loop().time()
        self._wake()

    async def refresh(self) -> None:
        """``sync``, shared: sockets joining or resuming together cost one read, not one each."""
        if self._refresh is None or self._refresh.done():
            self._refresh = asyncio.create_task(self.sync())
        await asyncio.shield(self._refresh)

    def _add(self, entry: EncodedEvent) -> None:
        if entry.seq != self.head + 1:
            return  # already held (or not next: the caller reads the database instead)
        if not self._log:
            self.first = entry.seq
        self._log.append(entry)
        self.head = entry.seq
        if len(self._log) >= 2 * KEEP_EVENTS:  # trim in bulk, so appends stay cheap
            del self._log[:KEEP_EVENTS]
            self.first += KEEP_EVENTS

    def _wake(self) -> None:
        for connection in self.connections:
            connection.wake.set()

    async def _pump(self) -> None:
        async for raw in self._subscriber.iter_events():
            self.heard = asyncio.get_running_loop().time()
            message = json.loads(raw)
            seq = int(message["seq"])
            if seq <= self.head:
                continue  # already read from the database
            if seq > self.head + 1:
                await self.sync()  # a message was lost or is late: the database has it
                continue
            at, audience = message["at"], message["audience"]
            self.publish(EncodedEvent(seq, message["kind"], at, audience, message["data"]))

    def publish(self, entry: EncodedEvent) -> None:
        """Hold the next event and send it, in one pass, to every socket that is caught up and idle;
        a socket that is behind, busy or still joining gets it from its own writer.

        The pass runs once the news already received is all held (``call_soon``), so the events of
        one commit (an action and what it changed) reach each socket in one write, not one each."""
        self._add(entry)
        if self.head != entry.seq:
            self._wake()
            return
        if not self._unsent:
            asyncio.get_running_loop().call_soon(self._push_unsent)
        self._unsent.append(entry)

    def _push_unsent(self) -> None:
        entries, self._unsent = self._unsent, []
        frames: dict[tuple[bool, ...], bytes] = {}  # the joined frames, per what an audience sees
        for connection in list(self.connections):
            connection.push(entries, frames)

    async def _sweep_when_idle(self) -> None:
        """Re-read the database once no news came for a while (the last message may have been lost).

        A busy room needs no sweep (the next message reveals a gap); the random extra wait spreads
        the rooms' reads over time.
        """
        loop = asyncio.get_running_loop()
        while True:
            idle = loop.time() - self.heard
            if idle < SWEEP_SECONDS:
                await asyncio.sleep(SWEEP_SECONDS - idle + random.uniform(0, SWEEP_SECONDS))
                continue
            await self.sync()


# This process's hubs, by channels plugin (an app) and room; a hub leaves when its last socket does.
_HUBS: dict[tuple[int, str], RoomHub] = {}


async def _join(
    runtime: Runtime, channels: ChannelsPlugin, room: str, connection: RoomConnection, known: int | None
) -> RoomHub:
    """The room's hub with ``connection`` in it, holding at least the head the database had when the
    join began: ``known`` when the caller read it just now (then a subscribed hub that holds it needs
    no read: whatever was committed since reaches it as news), else read here."""
    key = (id(channels), room)
    hub = _HUBS.get(key)
    created = hub is None
    if hub is None:
        hub = _HUBS[key] = RoomHub(runtime, channels, room)
    hub.connections.add(connection)
    try:
        if created:
            await hub.start()
        else:
            await asyncio.shield(hub.started)
            if known is None or hub.head < known:
                await hub.refresh()
    except BaseException:
        with anyio.CancelScope(shield=True):
            await _leave(channels, hub, connection)
        raise
    return hub


async def _leave(channels: ChannelsPlugin, hub: RoomHub, connection: RoomConnection) -> None:
    hub.connections.discard(connection)
    key = (id(channels), hub.room)
    if not hub.connections and _HUBS.get(key) is hub:
        del _HUBS[key]
        await hub.stop()


class RoomConnection:
    """One socket's view of a room: sends every event after ``sent`` exactly once, in order.

    Two paths send events. The hub's pass (``push``) sends a new event straight away when the socket
    is caught up and idle: its ASGI send runs as far as it goes without waiting, which for a writable
    socket is to the end, so a crowd costs one loop over the sockets and no task wake-ups. Otherwise
    (behind, joining, busy with another frame, or a send that has to wait for a slow client) the
    socket's writer task sends it, after the send in flight: frames stay in seq order and a slow
    socket never holds up the pass.
    """

    def __init__(
        self,
        socket: WebSocket[Any, Any, Any],
        room: str,
        viewer: Viewer,
        after: int,
        send: Send | None = None,
    ) -> None:
        self.socket = socket
        self.room = room
        self.viewer = viewer
        self.sent = max(0, after)  # every event up to here is sent, or its send is in flight
        self.hub: RoomHub | None = None
        self.wake = asyncio.Event()
        self.lock = asyncio.Lock()  # the writer and the reader both send; keep frames in order
        self.asgi_send: Send = send if send is not None else socket.send
        # The hub's pass writes each event's frame, encoded once, straight to the socket where that is
        # what the send would do (core/asgi_send.py).
        self.write_frame = frame_writer(self.asgi_send)
        self.ready = False  # hello and backlog sent: the hub's pass may send to it
        self.in_flight: asyncio.Future[None] | None = None  # a send that had to wait
        self.audiences = viewer.audiences  # what this socket sees, tested per event in the hub's pass

    def push(self, entries: list[EncodedEvent], frames: dict[tuple[bool, ...], bytes]) -> None:
        """Send ``entries`` (consecutive events) now if this socket is caught up and idle, else leave
        them to the writer. Where the frames can be written directly they go in one write, joined once
        per audience (``frames``)."""
        entries = [entry for entry in entries if entry.seq > self.sent]
        if not entries:
            return
        if (
            not self.ready
            or self.in_flight is not None
            or self.lock.locked()
            or self.sent + 1 != entries[0].seq
        ):
            self.wake.set()
            return
        if self._write_at_once(entries, frames):
            return
        for entry in entries:
            try:
                self.in_flight = send_now(self.asgi_send, entry.message(entry.audience in self.audiences))
            except Exception:  # the client is gone: the reader ends this connection
                self.ready = False
                return
            self.sent = entry.seq
            if self.in_flight is not None:  # it waits for the client: the rest goes to the writer
                self.in_flight.add_done_callback(self._landed)
                return

    def _write_at_once(self, entries: list[EncodedEvent], frames: dict[tuple[bool, ...], bytes]) -> bool:
        """Write the frames of ``entries`` (consecutive, the first one after ``sent``) in one write straight
        to the socket, joined once per audience (``frames``); False where the writer declines (the
        caller sends them one by one)."""
        if self.write_frame is None:
            return False
        sees = tuple(entry.audience in self.audiences for entry in entries)
        joined = frames.get(sees)
        if joined is None:
            joined = frames[sees] = b"".join(
                entry.event_frame if seen else entry.skip_frame
                for entry, seen in zip(entries, sees, strict=True)
            )
        if not self.write_frame(joined):
            return False
        self.sent = entries[-1].seq
        return True

    def _landed(self, sending: asyncio.Future[None]) -> None:
        self.in_flight = None
        if sending.cancelled() or sending.exception() is not None:
            self.ready = False  # the client is gone (or going): the reader ends this connection
        else:
            self.wake.set()  # what came meanwhile went to the writer

    async def _send(self, message: Message) -> None:
        """Send a frame after the one in flight (caller holds the lock)."""
        if self.in_flight is not None:
            await self.in_flight
        await self.asgi_send(message)

    async def send_pending(self) -> None:
        """Send everything after ``sent`` up to the hub's head (caller holds the lock)."""
        hub = self.hub
        assert hub is not None
        while self.sent < hub.head:
            if self.sent + 1 < hub.first:  # older than what the hub keeps: this socket reads it
                await self._send_from_database(hub.first - 1)
                continue
            await self._send_entries(hub.entries_after(self.sent))

    async def _send_from_database(self, upto: int) -> None:
        assert self.hub is not None
        async with self.hub.runtime.sessions() as session:
            rows = await events_after(session, self.room, self.sent, min(BATCH, upto - self.sent))
        if not rows:
            self.sent = upto  # nothing stored there (cannot happen: seqs have no gaps)
        await self._send_entries([_entry_of(row) for row in rows])

    async def _send_entries(self, entries: list[EncodedEvent]) -> None:
        """Send ``entries`` (consecutive, from the one after ``sent``): in one write where the socket
        takes it now (a joining socket's backlog), else one send each (caller holds the lock)."""
        if self.in_flight is None and entries and self._write_at_once(entries, {}):
            return
        for entry in entries:
            await self._send(entry.message(entry.audience in self.audiences))
            self.sent = entry.seq

    async def write(self) -> None:
        """Send what the hub gains that its pass could not send, as it gains it."""
        while True:
            await self.wake.wait()
            self.wake.clear()
            async with self.lock:
                await self.send_pending()

    async def resume(self, after: int) -> None:
        assert self.hub is not None
        await self.hub.refresh()
        async with self.lock:
            self.sent = max(0, min(after, self.sent))
            await self.send_pending()

    async def send(self, message: Frame) -> None:
        async with self.lock:
            await self._send(text_message(encode_frame(message)))

    async def close(self) -> None:
        """Stop sending (the connection ends): the send in flight, if any, is abandoned."""
        self.ready = False
        sending = self.in_flight
        if sending is not None:
            sending.cancel()
            with suppress(asyncio.CancelledError, Exception):
                await sending


async def serve(
    socket: WebSocket[Any, Any, Any],
    runtime: Runtime,
    channels: ChannelsPlugin,
    room: str,
    viewer: Viewer,
    *,
    after: int = 0,
    on_message: OnMessage | None = None,
    head: int | None = None,
) -> None:
    """Run one room connection until the client leaves (see the protocol above). ``head``: the room's
    head as the caller read it from the database just before (saves the join a read)."""
    await socket.accept()
    asgi_send = cast("Send | None", socket.scope.get(ASGI_SEND))
    connection = RoomConnection(socket, room, viewer, after, asgi_send)
    hub = connection.hub = await _join(runtime, channels, room, connection, head)
    writer: asyncio.Task[None] | None = None
    try:
        async with connection.lock:
            hello = Hello(room=room, head=hub.head, server_time=runtime.clock.now().isoformat())
            await socket.send_text(encode_frame(hello))
            await connection.send_pending()
            connection.ready = True
        writer = asyncio.create_task(connection.write())
        while True:
            message = _parse(await socket.receive_text())
            if message is None:
                await connection.send(RoomError(detail="frames must be JSON objects"))
            elif message.get("type") == "resume":
                after_seq = message.get("after")
                if not isinstance(after_seq, int) or isinstance(after_seq, bool):
                    await connection.send(RoomError(detail="resume needs an integer 'after'"))
                else:
                    await connection.resume(after_seq)
            elif message.get("type") == "ping":
                await connection.send(Pong(server_time=runtime.clock.now().isoformat()))
            elif on_message is not None:
                reply = await on_message(message)
                if reply is not None:
                    await connection.send(reply)
    except WebSocketDisconnect:
        pass
    finally:
        if writer is not None:
            writer.cancel()
            with suppress(asyncio.CancelledError, Exception):
                await writer
        await connection.close()
        await _leave(channels, hub, connection)


def _parse(text: str) -> dict[str, Any] | None:
    try:
        message = json.loads(text)
    except ValueError:
        return None
    return message if isinstance(message, dict) else None
