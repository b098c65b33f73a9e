"""Pub/sub through Litestar's channels plugin: in process by default, Redis when configured.

Services never publish directly: they queue messages on the session with ``after_commit`` and
``core.db.transaction`` (or the request's session provider) sends them once the data is committed,
so a subscriber that reacts by reading the database always finds what the message announced.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress
from typing import Any

import msgspec
from litestar import WebSocket
from litestar.channels import ChannelsPlugin
from litestar.channels.backends.base import ChannelsBackend
from litestar.channels.backends.memory import MemoryChannelsBackend
from litestar.exceptions import WebSocketDisconnect
from sqlalchemy.ext.asyncio import AsyncSession

from core.room_protocol import Subscribed

PENDING_KEY = "sunbid_after_commit"


def make_channels_backend(redis_url: str | None) -> ChannelsBackend:
    if redis_url:
        from litestar.channels.backends.redis import RedisChannelsPubSubBackend
        from redis.asyncio import Redis

        return RedisChannelsPubSubBackend(redis=Redis.from_url(redis_url))
    return MemoryChannelsBackend()


def make_channels_plugin(redis_url: str | None) -> ChannelsPlugin:
    # Rooms and tenders create channels on the fly, so arbitrary channel names are allowed.
    return ChannelsPlugin(
        backend=make_channels_backend(redis_url),
        arbitrary_channels_allowed=True,
        create_ws_route_handlers=False,
    )


def after_commit(session: AsyncSession, channel: str, message: dict[str, Any] | msgspec.Struct) -> None:
    """Queue ``message`` (a channel's message type, or a plain object) for ``channel``; it is published
    only if the transaction commits, as the JSON object of its fields."""
    if isinstance(message, msgspec.Struct):
        message = msgspec.to_builtins(message)
    session.info.setdefault(PENDING_KEY, []).append((channel, message))


def take_pending(session: AsyncSession) -> list[tuple[str, dict[str, Any]]]:
    return session.info.pop(PENDING_KEY, [])


def publish_pending(session: AsyncSession, channels: ChannelsPlugin | None) -> None:
    pending = take_pending(session)
    if channels is None:
        return
    for channel, message in pending:
        channels.publish(message, channels=[channel])


async def forward(socket: WebSocket[Any, Any, Any], channels: ChannelsPlugin, names: list[str]) -> None:
    """Forward channel messages to the socket until the client goes away."""
    await socket.accept()
    async with channels.start_subscription(names) as subscriber:
        await socket.send_json(Subscribed(channels=names))

        async def pump() -> None:
            async for message in subscriber.iter_events():
                await socket.send_text(message.decode() if isinstance(message, bytes) else str(message))

        pump_task = asyncio.create_task(pump())
        try:
            while True:  # reading detects the disconnect; clients send nothing we need
                await socket.receive_data(mode="text")
        except WebSocketDisconnect:
            pass
        finally:
            pump_task.cancel()
            with suppress(asyncio.CancelledError, Exception):
                await pump_task
