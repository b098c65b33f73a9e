"""The frames of the room protocol (core/rooms.py), as types: what the server sends, what a client may send.

These are the types core/rooms.py builds and parses, and the ones web/asyncapi.py documents, so the
AsyncAPI document is generated from what the sockets really send. A room's own frames (the opening
hall's actions, the evaluation room's ``act``) live in their context; an event's ``data`` is typed
per kind in the context's ``events.py`` (``ROOM_EVENTS``: kind → payload type).
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar.serialization import encode_json
from litestar.types import Message

from core.asgi_send import text_frame, text_message


class Frame(msgspec.Struct, tag_field="type", kw_only=True):
    """Every frame is a JSON object whose ``type`` names it."""


# --- server → client -----------------------------------------------------------------------------------


class Hello(Frame, tag="hello"):
    """The first frame on every connection: the room, its last sequence number so far, the server clock."""

    room: str
    head: int
    server_time: str


class EventFrame(Frame, tag="event"):
    """One stored room event the viewer may see. ``seq`` is the room's sequence number (1, 2, 3 … with no
    gaps); ``kind`` names the event and says what ``data`` holds; ``at`` is when it was stored (ISO 8601)."""

    seq: int
    kind: str
    at: str
    data: dict[str, Any]


class Skip(Frame, tag="skip"):
    """A stored event for another audience: the viewer learns only that ``seq`` is taken."""

    seq: int


class Pong(Frame, tag="pong"):
    """The answer to ``ping``."""

    server_time: str


class RoomError(Frame, tag="error"):
    """A frame the room could not read (not a JSON object, or a ``resume`` without an integer ``after``)."""

    detail: str


# --- client → server -----------------------------------------------------------------------------------


class Resume(Frame, tag="resume"):
    """Resend every event after ``after`` (the client saw a gap in the sequence numbers)."""

    after: int


class Ping(Frame, tag="ping"):
    """Ask for a ``pong`` (keeps the connection alive, reads the server clock)."""


SERVER_FRAMES: tuple[type[Frame], ...] = (Hello, EventFrame, Skip, Pong, RoomError)
CLIENT_FRAMES: tuple[type[Frame], ...] = (Resume, Ping)

PROTOCOL = """\
Every room (an opening hall, an evaluation room) keeps a log of events in the database, numbered per
room 1, 2, 3 … with no gaps; the database is the truth and the socket only how news travels.

1. Connect with `?after=N` (the last sequence number you hold; 0 or absent = everything). The first
   frame is `hello` with the room's `head` (its last sequence number at that moment).
2. Then come, in sequence order with no gaps, one frame per stored event after N: `event` (you may see
   it: `kind` and `data`) or `skip` (it is for another audience: only its `seq`). The backlog comes
   first, then news as it happens. So a client only has to remember the last `seq` it received.
3. Gap refill: if a client ever sees a `seq` that is not its last + 1 (or wants a fresh copy), it sends
   `{"type": "resume", "after": <last seq it holds>}`; the server answers with every event (or skip)
   after that number, from the database, in order, then carries on with news. A client that
   reconnects after a dropped connection passes `?after=<last seq>` instead. The server also re-reads
   the database by itself when a room is quiet, so a lost pub/sub message only delays an event.
4. `{"type": "ping"}` is answered with `pong`. A frame that is not a JSON object, or a `resume`
   without an integer `after`, is answered with an `error` frame and changes nothing.
5. Any other frame is the room's own (see each channel's operations); its answer is sent to this
   client only, and what it did arrives as an event like everyone else's.
"""


# --- forwarded channels (core/pubsub.py ``forward``: the audit stream, expert notices, draws) --------------


class Subscribed(Frame, tag="subscribed"):
    """The first frame of a forwarded channel: the pub/sub channels this socket now follows. Then every
    message published on them, as published (no sequence numbers: the HTTP API is the record)."""

    channels: list[str]


def encode_frame(message: Frame) -> str:
    """A frame's text, exactly as ``send_json`` would write it."""
    return encode_json(message).decode()


class EncodedEvent:
    """One event as every socket of a process receives it: its event frame (for the audience that sees
    it) and its skip frame (for the others), each encoded once, as text, as the ASGI message that
    sends it and as the WebSocket frame's bytes, and shared by every socket it goes to."""

    __slots__ = (
        "audience",
        "event",
        "event_frame",
        "event_message",
        "seq",
        "skip",
        "skip_frame",
        "skip_message",
    )

    def __init__(self, seq: int, kind: str, at: str, audience: str, data: Any) -> None:
        self.seq = seq
        self.audience = audience
        self.event = encode_frame(EventFrame(seq=seq, kind=kind, at=at, data=data))
        self.skip = encode_frame(Skip(seq=seq))
        self.event_message = text_message(self.event)
        self.skip_message = text_message(self.skip)
        self.event_frame = text_frame(self.event)
        self.skip_frame = text_frame(self.skip)

    def text(self, sees: bool) -> str:
        return self.event if sees else self.skip

    def message(self, sees: bool) -> Message:
        return self.event_message if sees else self.skip_message
