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
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import msgspec
from litestar import WebSocket
from litestar.channels import ChannelsPlugin
from litestar.exceptions import WebSocketDisconnect
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.accounts import Principal
from core.clock import Clock
from core.models import RoomEvent, RoomHead
from core.pubsub import after_commit
from core.room_protocol import EventFrame, Frame, Hello, Pong, RoomError, Skip
from crypto.signing import canonical_json

if TYPE_CHECKING:
    from core.runtime import Runtime

PUBLIC = "public"
# A socket that heard nothing for 1–2× this long re-reads the database, in case news was lost.
SWEEP_SECONDS = 10.0
BATCH = 500


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
) -> int:
    """Store the room's next event and queue its news for after commit; returns its sequence number.

    ``data`` is the event's payload type (its context's ``events.ROOM_EVENTS[kind]``); it travels as
    the JSON object of its fields."""
    if isinstance(data, msgspec.Struct):
        data = msgspec.to_builtins(data)
    seq = await _next_seq(session, room)
    at = clock.now()
    payload = canonical_json(data).decode()
    await session.execute(
        insert(RoomEvent).values(room=room, seq=seq, at=at, kind=kind, audience=audience, payload=payload)
    )
    after_commit(
        session,
        channel(room),
        {"seq": seq, "kind": kind, "at": at.isoformat(), "audience": audience, "data": data},
    )
    return seq


async def _next_seq(session: AsyncSession, room: str) -> int:
    bump = update(RoomHead).where(RoomHead.room == room).values(seq=RoomHead.seq + 1).returning(RoomHead.seq)
    seq = (await session.execute(bump)).scalar_one_or_none()
    if seq is not None:
        return int(seq)
    try:
        async with session.begin_nested():  # the room's first event: create its head
            await session.execute(insert(RoomHead).values(room=room, seq=1))
        return 1
    except IntegrityError:  # another transaction created it first; queue behind it
        return int((await session.execute(bump)).scalar_one())


async def lock(session: AsyncSession, room: str) -> int:
    """Hold the room's head row until this transaction ends and return the last seq.

    A room whose events must be checked against its state before they are stored (the evaluation
    room) locks first, reads and checks, then appends: no other event can slip in between.
    """
    touch = update(RoomHead).where(RoomHead.room == room).values(seq=RoomHead.seq).returning(RoomHead.seq)
    seq = (await session.execute(touch)).scalar_one_or_none()
    if seq is not None:
        return int(seq)
    try:
        async with session.begin_nested():
            await session.execute(insert(RoomHead).values(room=room, seq=0))
        return 0
    except IntegrityError:  # created meanwhile: queue behind its creator
        return int((await session.execute(touch)).scalar_one())


async def head(session: AsyncSession, room: str) -> int:
    return int(await session.scalar(select(RoomHead.seq).where(RoomHead.room == room)) or 0)


async def events_after(session: AsyncSession, room: str, after: int, limit: int = BATCH) -> list[RoomEvent]:
    rows = await session.scalars(
        select(RoomEvent)
        .where(RoomEvent.room == room, RoomEvent.seq > after)
        .order_by(RoomEvent.seq)
        .limit(limit)
    )
    return list(rows)


def frame(viewer: Viewer, seq: int, kind: str, at: str, audience: str, data: Any) -> EventFrame | Skip:
    if not viewer.sees(audience):
        return Skip(seq=seq)
    return EventFrame(seq=seq, kind=kind, at=at, data=data)


# A room's own handler; what it returns (if anything: a frame of the room's own) is sent back to this
# client, in frame order.
OnMessage = Callable[[dict[str, Any]], Awaitable[Frame | None]]


class RoomConnection:
    """One socket's view of a room: sends every event after ``sent`` exactly once, in order."""

    def __init__(
        self, socket: WebSocket[Any, Any, Any], runtime: Runtime, room: str, viewer: Viewer, after: int
    ):
        self.socket = socket
        self.runtime = runtime
        self.room = room
        self.viewer = viewer
        self.sent = max(0, after)
        self.lock = asyncio.Lock()  # the pump and the reader both send; keep frames in order
        self.heard = asyncio.get_running_loop().time()  # when news last came (or the database was read)

    async def catch_up(self) -> None:
        """Send what the database has after ``sent`` (caller holds the lock)."""
        while True:
            async with self.runtime.sessions() as session:
                rows = await events_after(session, self.room, self.sent)
            for row in rows:
                await self.socket.send_json(
                    frame(
                        self.viewer,
                        row.seq,
                        row.kind,
                        row.at.isoformat(),
                        row.audience,
                        json.loads(row.payload),
                    )
                )
                self.sent = row.seq
            if len(rows) < BATCH:
                return

    async def news(self, message: dict[str, Any]) -> None:
        self.heard = asyncio.get_running_loop().time()
        async with self.lock:
            seq = int(message["seq"])
            if seq <= self.sent:
                return  # already sent from the database
            if seq > self.sent + 1:
                await self.catch_up()  # a message was lost or is late: the database has it
                return
            await self.socket.send_json(
                frame(self.viewer, seq, message["kind"], message["at"], message["audience"], message["data"])
            )
            self.sent = seq

    async def resume(self, after: int) -> None:
        async with self.lock:
            self.sent = max(0, min(after, self.sent))
            await self.catch_up()

    async def sweep(self) -> None:
        async with self.lock:
            await self.catch_up()
        self.heard = asyncio.get_running_loop().time()

    async def sweep_when_idle(self) -> None:
        """Re-read the database once no news came for a while (the last message may have been lost).

        A busy room needs no sweep (the next message reveals a gap), so sockets do not all read the
        database every few seconds; the random extra wait spreads the sockets' reads over time.
        """
        loop = asyncio.get_running_loop()
        while True:
            idle = loop.time() - self.heard
            if idle < SWEEP_SECONDS:
                await asyncio.sleep(SWEEP_SECONDS - idle + random.uniform(0, SWEEP_SECONDS))
                continue
            await self.sweep()


async def serve(
    socket: WebSocket[Any, Any, Any],
    runtime: Runtime,
    channels: ChannelsPlugin,
    room: str,
    viewer: Viewer,
    *,
    after: int = 0,
    on_message: OnMessage | None = None,
) -> None:
    """Run one room connection until the client leaves (see the protocol above)."""
    await socket.accept()
    connection = RoomConnection(socket, runtime, room, viewer, after)
    # Subscribe before reading the backlog, so nothing committed in between is missed.
    async with channels.start_subscription([channel(room)]) as subscriber:
        async with runtime.sessions() as session:
            current = await head(session, room)
        await socket.send_json(Hello(room=room, head=current, server_time=runtime.clock.now().isoformat()))
        await connection.sweep()

        async def pump() -> None:
            async for raw in subscriber.iter_events():
                await connection.news(_news(raw))

        tasks = [asyncio.create_task(pump()), asyncio.create_task(connection.sweep_when_idle())]
        try:
            while True:
                message = _parse(await socket.receive_text())
                if message is None:
                    await _send_locked(connection, RoomError(detail="frames must be JSON objects"))
                elif message.get("type") == "resume":
                    after_seq = message.get("after")
                    if not isinstance(after_seq, int) or isinstance(after_seq, bool):
                        await _send_locked(connection, RoomError(detail="resume needs an integer 'after'"))
                    else:
                        await connection.resume(after_seq)
                elif message.get("type") == "ping":
                    await _send_locked(connection, Pong(server_time=runtime.clock.now().isoformat()))
                elif on_message is not None:
                    reply = await on_message(message)
                    if reply is not None:
                        await _send_locked(connection, reply)
        except WebSocketDisconnect:
            pass
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with suppress(asyncio.CancelledError, Exception):
                    await task


@lru_cache(maxsize=64)
def _news(raw: bytes | str) -> dict[str, Any]:
    """A pub/sub message, decoded once for all of this process's sockets in the room (read only)."""
    message: dict[str, Any] = json.loads(raw)
    return message


def _parse(text: str) -> dict[str, Any] | None:
    try:
        message = json.loads(text)
    except ValueError:
        return None
    return message if isinstance(message, dict) else None


async def _send_locked(connection: RoomConnection, message: Frame) -> None:
    async with connection.lock:
        await connection.socket.send_json(message)
