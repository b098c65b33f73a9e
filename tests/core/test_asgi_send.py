"""core.asgi_send: a send runs at once as far as it goes; only one that must wait becomes a task, which
finishes it (or, cancelled, cancels it) as the send's own task would have."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from core.asgi_send import send_now, text_message


class Socket:
    def __init__(self) -> None:
        self.writable = asyncio.Event()
        self.writable.set()
        self.sent: list[str] = []
        self.abandoned = False

    async def send(self, message: Any) -> None:
        try:
            await self.writable.wait()  # as uvicorn's sans-I/O protocol waits for a drained buffer
        except asyncio.CancelledError:
            self.abandoned = True
            raise
        self.sent.append(message["text"])


async def test_a_writable_socket_is_sent_to_at_once_and_a_full_one_by_a_task() -> None:
    socket = Socket()
    assert send_now(socket.send, text_message("a")) is None and socket.sent == ["a"]

    socket.writable.clear()
    waiting = send_now(socket.send, text_message("b"))
    assert waiting is not None and socket.sent == ["a"]
    socket.writable.set()
    await waiting
    assert socket.sent == ["a", "b"]

    socket.writable.clear()
    waiting = send_now(socket.send, text_message("c"))
    assert waiting is not None
    await asyncio.sleep(0)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert socket.abandoned and socket.sent == ["a", "b"]


async def test_a_failing_send_raises_at_once() -> None:
    async def gone(message: Any) -> None:
        raise ConnectionError("the client is gone")

    with pytest.raises(ConnectionError):
        send_now(gone, text_message("a"))
