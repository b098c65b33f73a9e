"""The AsyncAPI 3.0 document of the WebSockets (GET /schema/asyncapi.json), generated from the message types.

Every frame a socket sends or takes is a msgspec type: the room protocol's (core/room_protocol.py), a
room's own (bidding/opening_api.py, evaluation/api.py, evaluation/actions.py) and each event's payload
(``ROOM_EVENTS`` in bidding/events.py and evaluation/events.py; core/events.py, experts/events.py for the
forwarded channels). The handlers and publishers build these same types, so the document cannot drift
from the wire. The socket paths and the roles allowed come from the app's own routes (``opt``), as on
the HTTP side; a WebSocket route without a channel here fails the document's generation.

The document describes the server: ``send`` operations are frames the server sends, ``receive``
operations frames it takes from a client. Schemas are AsyncAPI schemas (JSON Schema draft 07).
"""

from __future__ import annotations

import copy
import typing
from dataclasses import dataclass, field
from typing import Any

import msgspec
from litestar import Litestar, Request, get
from litestar.response import Response

from bidding import events as bidding_events
from bidding import opening_api
from core import events as core_events
from core import room_protocol as protocol
from core.access import PUBLIC, PUBLIC_MARK, ROLES_KEY, SESSION_COOKIE, route_handlers
from evaluation import actions
from evaluation import api as evaluation_api
from evaluation import events as evaluation_events
from experts import events as expert_events

SCHEMAS = "#/components/schemas/"
WS_BINDING = {
    "query": {
        "type": "object",
        "properties": {
            "after": {
                "type": "integer",
                "minimum": 0,
                "default": 0,
                "description": "the last sequence number the client holds (0: send the whole log)",
            }
        },
    },
    "bindingVersion": "0.1.0",
}


@dataclass(frozen=True)
class Channel:
    """One socket path: what it is, the room events it carries (room channels) or the messages it
    forwards, and the frames of its own it takes and answers with."""

    id: str
    path: str
    title: str
    description: str
    parameters: dict[str, str] = field(default_factory=dict)
    room_events: dict[str, type] | None = None  # a core.rooms room: kind → payload type
    private_events: frozenset[str] = frozenset()
    forwarded: tuple[type, ...] = ()  # a forwarded channel: the messages published on it
    client_frames: tuple[type, ...] = ()  # the room's own frames (beside resume and ping)
    replies: tuple[type, ...] = ()  # its answers to them (to the sender only)


CHANNELS = (
    Channel(
        id="openingHall",
        path="/ws/openings/{code}/{lot}",
        title="Opening hall (开标大厅)",
        description="A lot's opening, live: bids listed, the decryption window and its progress, custody, "
        "the random coefficient, 唱标 (the table), confirmations and objections, the signed record. "
        "Anyone may watch; a bidder also sees its own bid's events, others get `skip` for them. "
        "During the confirmation time a bidder sends `confirm` or `object`, the host (agent or "
        "tenderer) `answer`: the same service calls and role checks as the REST routes.",
        parameters={"code": "the tender's code", "lot": "the lot's number"},
        room_events=bidding_events.ROOM_EVENTS,
        private_events=bidding_events.PRIVATE_ROOM_EVENTS,
        client_frames=opening_api.HALL_CLIENT_FRAMES,
        replies=opening_api.HALL_REPLIES,
    ),
    Channel(
        id="evaluationRoom",
        path="/ws/evaluations/{code}",
        title="Evaluation room (评标室)",
        description="An evaluation, live, for its committee, its host and supervisors (others are refused "
        "at the handshake with 403). Step events (`step.*`) are the room's log as steps.py folds it; "
        "a score's value is seen by its member and supervisors only (others get `skip`). Members (and "
        "the host, for its own actions) send `act` frames: one of the room's actions, `action` naming "
        "it, as POST /api/evaluations/{code}/actions takes them.",
        parameters={"code": "the evaluation's code"},
        room_events=evaluation_events.ROOM_EVENTS,
        private_events=evaluation_events.PRIVATE_ROOM_EVENTS,
        client_frames=evaluation_api.ROOM_CLIENT_FRAMES,
        replies=evaluation_api.ROOM_REPLIES,
    ),
    Channel(
        id="auditStream",
        path="/ws/audit",
        title="Audit log stream",
        description="News of every new audit-log entry (position, kind, time); the entry itself is at "
        "GET /api/audit/entries. A client that reconnects asks the API for what it missed since its "
        "last position.",
        forwarded=(core_events.AuditNews,),
    ),
    Channel(
        id="expertNotices",
        path="/ws/experts/me",
        title="An expert's notices",
        description="The logged-in expert's live notices: a new extraction invitation to confirm or "
        "decline. The invitations themselves: GET /api/experts/me/invitations.",
        forwarded=(expert_events.InvitationNotice,),
    ),
    Channel(
        id="drawProgress",
        path="/ws/experts/draws/{draw_id}",
        title="An expert draw, live (supervisors)",
        description="What happens to a draw as it happens: committed, contributed, drawn, invitations "
        "answered or expired, unsealed, published. The draw itself: GET /api/experts/draws/{draw_id}.",
        parameters={"draw_id": "the draw's id (an integer)"},
        forwarded=(expert_events.DrawNews,),
    ),
)


def _component_name(schema: dict[str, Any]) -> str:
    return str(schema["$ref"]).removeprefix(SCHEMAS)


def _draft7(node: Any) -> Any:
    """msgspec writes JSON Schema 2020-12 with OpenAPI's discriminator object; AsyncAPI schemas are
    draft 07 (``items`` as a list for tuples) whose ``discriminator`` is a property name."""
    if isinstance(node, list):
        return [_draft7(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _draft7(value) for key, value in node.items() if key != "discriminator"}
    if "prefixItems" in out:
        out["items"] = out.pop("prefixItems")
        out["additionalItems"] = False
    if isinstance(node.get("discriminator"), dict):
        out["discriminator"] = node["discriminator"]["propertyName"]
    return out


def _roles(app: Litestar) -> dict[str, Any]:
    """Each WebSocket path's declared roles (``opt``), in the channels' path form (no converters)."""
    found: dict[str, Any] = {}
    for path, handler in route_handlers(app):
        if getattr(handler, "http_methods", None):
            continue
        declared = handler.opt.get(ROLES_KEY)
        plain = typing.cast(str, path)
        for converter in (":str", ":int"):
            plain = plain.replace(converter, "")
        found[plain] = declared
    return found


def _message(name: str, title: str, payload: dict[str, Any], summary: str = "") -> dict[str, Any]:
    message: dict[str, Any] = {"name": name, "title": title, "payload": payload}
    if summary:
        message["summary"] = " ".join(summary.split())
    return message


def _doc(cls: type) -> str:
    text = (cls.__doc__ or "").strip()
    return "" if text.startswith(f"{cls.__name__}(") else " ".join(text.split())  # not a dataclass's own


def _tag(cls: type) -> str:
    return str(typing.cast(Any, cls).__struct_config__.tag)


def build(app: Litestar) -> dict[str, Any]:
    """The AsyncAPI 3.0 document of ``app``'s WebSockets."""
    types: list[Any] = [
        *protocol.SERVER_FRAMES,
        *protocol.CLIENT_FRAMES,
        protocol.Subscribed,
        actions.RoomAction,
    ]
    for channel in CHANNELS:
        types += [*(channel.room_events or {}).values(), *channel.forwarded, *channel.client_frames]
        types += channel.replies
    refs, components = msgspec.json.schema_components(types, ref_template=SCHEMAS + "{name}")
    ref_of = {id(t): ref for t, ref in zip(types, refs, strict=True)}
    schemas = {name: _draft7(schema) for name, schema in components.items()}
    # What the server sends is exactly its type's fields: say so (a client's frames may carry more).
    client_types = [*protocol.CLIENT_FRAMES, actions.RoomAction]
    for channel in CHANNELS:
        client_types += channel.client_frames
    _, client_side = msgspec.json.schema_components(client_types, ref_template=SCHEMAS + "{name}")
    for name, schema in schemas.items():
        if name not in client_side and "properties" in schema:
            schema.setdefault("additionalProperties", False)
    # an ``act`` frame is the ActFrame envelope and one of the room's actions
    act_name = _component_name(ref_of[id(evaluation_api.ActFrame)])
    action_union = _draft7(ref_of[id(actions.RoomAction)])
    schemas[act_name] = {
        "allOf": [schemas[act_name], action_union],
        "description": _doc(evaluation_api.ActFrame),
    }

    declared = _roles(app)
    envelope = schemas[_component_name(ref_of[id(protocol.EventFrame)])]
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for channel in CHANNELS:
        if channel.path not in declared:
            raise LookupError(f"no WebSocket route at {channel.path}")
        roles = declared.pop(channel.path)
        who = ["public"] if roles == PUBLIC_MARK else sorted(role.value for role in roles)
        channels[channel.id], more = _channel(channel, who, ref_of, envelope)
        operations.update(more)
    if declared:
        raise LookupError(f"WebSocket routes without a channel in the AsyncAPI document: {sorted(declared)}")
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "sunbid WebSockets",
            "version": "0.1.0",
            "description": "阳光招标 — the live sockets beside the HTTP API (/schema/openapi.json). "
            "Frames are JSON text frames whose `type` names them. This document describes the server: "
            "`send` operations are what it sends, `receive` operations what it takes.\n\n"
            "## Rooms: sequence numbers and gap refill\n\n" + protocol.PROTOCOL,
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "an API token (POST /api/login)",
                },
                "session": {
                    "type": "httpApiKey",
                    "name": SESSION_COOKIE,
                    "in": "cookie",
                    "description": "the browser's session cookie (the pages' sockets)",
                },
            },
        },
    }


def _channel(
    channel: Channel, who: list[str], ref_of: dict[int, Any], envelope: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A channel object and its operations."""
    messages: dict[str, Any] = {}
    sent: list[str] = []
    taken: list[tuple[str, type]] = []

    def add(key: str, cls: type) -> None:
        messages[key] = _message(key, cls.__name__, dict(ref_of[id(cls)]), _doc(cls))

    if channel.room_events is not None:
        for cls in protocol.SERVER_FRAMES:
            if cls is not protocol.EventFrame:
                add(_tag(cls), cls)
                sent.append(_tag(cls))
        for kind, payload in channel.room_events.items():
            schema = copy.deepcopy(envelope)
            schema["title"] = f"event {kind}"
            schema["properties"]["kind"] = {"const": kind}
            schema["properties"]["data"] = dict(ref_of[id(payload)])
            private = kind in channel.private_events
            audience = "Seen only by its audience; everyone else gets a `skip` frame with its seq. "
            schema["description"] = f"{audience if private else ''}{_doc(payload)}".strip() or kind
            messages[f"event.{kind}"] = _message(
                f"event.{kind}", f"event {kind}", schema, schema["description"]
            )
            sent.append(f"event.{kind}")
        taken += [(_tag(cls), cls) for cls in protocol.CLIENT_FRAMES]
    else:
        add("subscribed", protocol.Subscribed)
        sent.append("subscribed")
    for cls in channel.forwarded:
        add(cls.__name__, cls)
        sent.append(cls.__name__)
    for cls in channel.replies:
        add(f"reply.{_tag(cls)}", cls)
        sent.append(f"reply.{_tag(cls)}")
    taken += [(_tag(cls), cls) for cls in channel.client_frames]
    for key, cls in taken:
        add(key, cls)

    ref = {"$ref": f"#/channels/{channel.id}"}
    public = who == ["public"]
    security = (
        [] if public else [{"$ref": f"#/components/securitySchemes/{name}"} for name in ("bearer", "session")]
    )
    rooms = channel.room_events is not None
    doc: dict[str, Any] = {
        "address": channel.path,
        "title": channel.title,
        "description": f"{channel.description}\n\nWho may connect: "
        f"{'anyone (no login needed)' if public else ', '.join(who)}.",
        "messages": messages,
        "bindings": {"ws": WS_BINDING if rooms else {"bindingVersion": "0.1.0"}},
        "x-roles": who,
    }
    if channel.parameters:
        doc["parameters"] = {name: {"description": text} for name, text in channel.parameters.items()}
    operations: dict[str, Any] = {
        f"{channel.id}.send": {
            "action": "send",
            "channel": ref,
            "title": f"{channel.title}: what the server sends",
            "description": (
                "`hello` first, then every event after `?after=` in sequence order (event or skip), then "
                "news as it happens; `pong`, `error` and the room's replies answer this client's frames."
                if rooms
                else "`subscribed` first, then every message published on the channel."
            ),
            "messages": [{"$ref": f"#/channels/{channel.id}/messages/{key}"} for key in sent],
            "security": security,
            "x-roles": who,
        }
    }
    for key, cls in taken:
        operation: dict[str, Any] = {
            "action": "receive",
            "channel": ref,
            "title": f"{channel.title}: {key}",
            "description": _doc(cls),
            "messages": [{"$ref": f"#/channels/{channel.id}/messages/{key}"}],
            "security": security,
            "x-roles": who,
        }
        answers = _answers(channel, cls, sent)
        if answers:
            operation["reply"] = {
                "channel": ref,
                "messages": [{"$ref": f"#/channels/{channel.id}/messages/{a}"} for a in answers],
            }
        operations[f"{channel.id}.receive.{key}"] = operation
    return doc, operations


def _answers(channel: Channel, cls: type, sent: list[str]) -> list[str]:
    """The frames that answer a client frame (to the sender only)."""
    if cls is protocol.Ping:
        return ["pong"]
    if cls is protocol.Resume:
        return [key for key in sent if key.startswith("event.")] + ["skip", "error"]
    return [f"reply.{_tag(reply)}" for reply in channel.replies]


@get("/schema/asyncapi.json", opt=PUBLIC, include_in_schema=False, media_type="application/json")
async def asyncapi_document(request: Request[Any, Any, Any]) -> Response[bytes]:
    """The AsyncAPI 3.0 document of the WebSockets (built once per app)."""
    cached = request.app.state.get("asyncapi")
    if cached is None:
        cached = msgspec.json.encode(build(request.app))
        request.app.state["asyncapi"] = cached
    return Response(cached, media_type="application/json")


HANDLERS = [asyncapi_document]
