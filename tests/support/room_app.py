"""A minimal app around core.rooms, for real-socket tests (run by uvicorn as a factory).

Rooms belong to contexts, each with its own authorisation; this app only exercises the mechanism, so
its viewer's audience comes from the query string.
"""

from __future__ import annotations

from typing import Any

from litestar import Litestar, WebSocket, get, post, websocket
from litestar.channels import ChannelsPlugin
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.types import ASGIApp

from core import rooms
from core.asgi_send import keep_asgi_send
from core.pubsub import make_channels_plugin, take_pending
from core.runtime import Runtime
from core.settings import Settings


def make_app() -> Litestar:
    runtime = Runtime.build(Settings.from_env())
    channels = make_channels_plugin(runtime.settings.redis_url)
    runtime.channels = channels

    @websocket("/ws/rooms/{room:str}")
    async def room_socket(
        socket: WebSocket[Any, Any, Any],
        room: FromPath[str],
        channels: NamedDependency[ChannelsPlugin],
        after: FromQuery[int] = 0,
        audience: FromQuery[str | None] = None,
        known: FromQuery[bool] = False,
    ) -> None:
        viewer = rooms.Viewer(frozenset({rooms.PUBLIC, *([audience] if audience else [])}))
        head = None
        if known:  # as a room that reads the head while admitting the socket (the evaluation room)
            head = await rooms.shared_head(runtime, room)
        await rooms.serve(socket, runtime, channels, room, viewer, after=after, head=head)

    @post("/rooms/{room:str}/events")
    async def add_event(room: FromPath[str], data: JSONBody[dict[str, Any]]) -> dict[str, int]:
        async with runtime.transaction() as session:
            seq = await rooms.append(
                session,
                runtime.clock,
                room,
                data["kind"],
                data.get("data", {}),
                audience=data.get("audience", "public"),
            )
            if data.get("lose_news"):
                take_pending(session)  # stored, but its pub/sub message never goes out
        return {"seq": seq}

    @get("/healthz")
    async def healthz() -> str:
        return "ok"

    async def close() -> None:
        await runtime.close()

    return Litestar(route_handlers=[room_socket, add_event, healthz], plugins=[channels], on_shutdown=[close])


def make_served_app() -> ASGIApp:
    """``make_app`` as ``sunbid serve`` serves its app: rooms send through the server's ASGI send."""
    return keep_asgi_send(make_app())
