"""WebSocket transport: channels from core's pub/sub, forwarded to sockets.

``/ws/audit`` streams every new audit-log entry (position, kind, time) to anyone watching; clients
fetch the entry itself from ``/api/audit/entries``. The database stays the truth: a client that
reconnects asks the API for what it missed since its last position.
"""

from __future__ import annotations

from typing import Any

from litestar import WebSocket, websocket
from litestar.channels import ChannelsPlugin
from litestar.di import NamedDependency

from core.access import PUBLIC
from core.audit import CHANNEL as AUDIT_CHANNEL
from core.pubsub import forward


@websocket("/ws/audit", opt=PUBLIC)
async def audit_stream(socket: WebSocket[Any, Any, Any], channels: NamedDependency[ChannelsPlugin]) -> None:
    await forward(socket, channels, [AUDIT_CHANNEL])


HANDLERS = [audit_stream]
