"""Sending a WebSocket frame through the server's own ASGI send, without waiting when it need not wait.

A room sends each event to hundreds of sockets (core/rooms.py). Through the framework's per-call
wrappers and a task per socket that costs more than the write itself; here a send runs as far as it
goes at once (uvicorn's sans-I/O WebSockets write to a socket whose buffer is below its high-water
mark without suspending) and only a send that must wait for a slow client becomes a task.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Generator
from typing import Any

from litestar.types import ASGIApp, Message, Receive, Scope, Send, WebSocketSendEvent
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.frames import Frame, Opcode
from websockets.protocol import State


def send_now(send: Send, message: Message) -> asyncio.Future[None] | None:
    """Start an ASGI send and run it as far as it goes without waiting.

    None when it finished (uvicorn writes to a socket whose buffer is below its high-water mark
    without suspending); else the task that finishes it once what it waits for is ready (a slow
    client's full buffer), so the caller can go on with the next socket. An error raises here.
    """
    steps = send(message).__await__()
    try:
        waiting = steps.send(None)
    except StopIteration:
        return None
    return asyncio.ensure_future(_finish(steps, waiting))


async def _finish(steps: Generator[Any, None, Any], waiting: Any) -> None:
    """Drive a started send to its end, as a task would have: wait for what it waits for, resume it."""
    while True:
        try:
            await _Wait(waiting)
        except BaseException as exc:  # cancelled while waiting: the send gets the exception
            try:
                waiting = steps.throw(exc)
            except StopIteration:
                return
            continue
        try:
            waiting = steps.send(None)
        except StopIteration:
            return


class _Wait:
    """Hands what a started send yielded (a future, or None for a bare yield) to the running task."""

    __slots__ = ("waiting",)

    def __init__(self, waiting: Any) -> None:
        self.waiting = waiting

    def __await__(self) -> Generator[Any, None, None]:
        yield self.waiting


ASGI_SEND = "sunbid.asgi_send"


def keep_asgi_send(app: ASGIApp) -> ASGIApp:
    """Wrap the app so that room sockets send through the server's own ASGI send, below the
    framework's per-call wrappers (they only matter for HTTP responses; a room sends thousands of
    frames a second). Without it rooms send through the WebSocket's ``send``, which works the same."""

    async def with_asgi_send(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            scope[ASGI_SEND] = send  # type: ignore[literal-required]
        await app(scope, receive, send)

    return with_asgi_send


def text_message(text: str) -> WebSocketSendEvent:
    return {"type": "websocket.send", "bytes": None, "text": text}


def text_frame(text: str) -> bytes:
    """A text message as the bytes of its WebSocket frame from a server (unmasked, one frame)."""
    return Frame(Opcode.TEXT, text.encode()).serialize(mask=False)


FrameWriter = Callable[[bytes], bool]


def frame_writer(send: Send) -> FrameWriter | None:
    """Write whole frames (``text_frame``) straight to a socket's transport, below the ASGI send.

    Only where that is the same as the send: uvicorn's sans-I/O WebSockets with no extension
    negotiated (no per-message deflate), where a frame's bytes are the same for every socket, so a
    room encodes each frame once instead of once per socket. The writer declines (False) whenever the
    send would do more than write: the connection is not open, is closing, or must wait for a slow
    client; the caller then uses the send. None where the send is another server's.
    """
    protocol = getattr(send, "__self__", None)
    if not isinstance(protocol, WebSocketsSansIOProtocol) or protocol.conn.extensions:
        return None
    conn, transport, writable = protocol.conn, protocol.transport, protocol.writable

    def write(frame: bytes) -> bool:
        if (
            conn.state is not State.OPEN
            or protocol.close_sent
            or not writable.is_set()
            or transport.is_closing()
        ):
            return False
        transport.write(frame)
        return True

    return write
