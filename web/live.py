"""WebSocket transport: channels from core's pub/sub, forwarded to sockets.

``/ws/audit`` streams every new audit-log entry (position, kind, time) to anyone watching; clients
fetch the entry itself from ``/api/audit/entries``. The database stays the truth: a client that
reconnects asks the API for what it missed since its last position.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress
from typing import Any

from litestar import WebSocket, websocket
from litestar.channels import ChannelsPlugin
from litestar.di import NamedDependency
from litestar.exceptions import WebSocketDisconnect

from core.access import PUBLIC
from core.audit import CHANNEL as AUDIT_CHANNEL


async def forward(socket: WebSocket[Any, Any, Any], channels: ChannelsPlugin, names: list[str]) -> None:
    """Forward channel messages to the socket until the client goes away."""
    await socket.accept()
    async with channels.start_subscription(names) as subscriber:
        await socket.send_json({"type": "subscribed", "channels": names})

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


@websocket("/ws/audit", opt=PUBLIC)
async def audit_stream(socket: WebSocket[Any, Any, Any], channels: NamedDependency[ChannelsPlugin]) -> None:
    await forward(socket, channels, [AUDIT_CHANNEL])


HANDLERS = [audit_stream]
