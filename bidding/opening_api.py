"""The opening's JSON API and its room socket.

    GET  /api/tenders/{code}/lots/{lot}/opening                 public: phase, times, counts
    GET  /api/tenders/{code}/lots/{lot}/opening/header          bidder: its envelope's age header
    POST /api/tenders/{code}/opening/start                      host (agent/tenderer): list bids, open window
    POST /api/tenders/{code}/lots/{lot}/opening/key             bidder: {"file_key": hex|base64}
    POST /api/tenders/{code}/opening/shares                     custodian: {"share": "sunbid-share-1:…"}
    POST /api/tenders/{code}/lots/{lot}/opening/contributions   bidder: {"value": "…"} (coefficient draw)
    POST /api/tenders/{code}/lots/{lot}/opening/confirm         bidder
    POST /api/tenders/{code}/lots/{lot}/opening/objections      bidder: {"reason": "…"}
    POST /api/tenders/{code}/lots/{lot}/opening/answers         host: {"submission_id": "…", "answer": "…"}
    POST /api/tenders/{code}/lots/{lot}/opening/finish          host: close the confirmation time early
    WS   /ws/openings/{code}/{lot}                              everyone (core.rooms protocol)

Besides ``resume`` and ``ping`` (core.rooms), the room socket takes the confirmation-time actions
(``room_action``): a bidder sends ``{"type": "confirm"}`` or ``{"type": "object", "reason": "…"}``,
the host ``{"type": "answer", "submission_id": "…", "answer": "…"}`` — the same service calls and
role checks as the REST routes; the reply is an ``ok`` or ``error`` frame, and the action's event
arrives like any other. Anything else, or a role that may not act, gets an error frame. Public
observers receive "skip" frames for bidder-private events (audience ``org:<id>``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from litestar import WebSocket, get, post, websocket
from litestar.channels import ChannelsPlugin
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody

from bidding import opening
from bidding.common import lot_of, visible_tender
from bidding.models import OpeningBid
from core import rooms
from core.access import PUBLIC, Caller, Viewer, allow
from core.accounts import Principal
from core.errors import DomainError, InvalidInput
from core.roles import Role
from core.room_protocol import Frame
from core.runtime import Db, Rt, Runtime

HOSTS = (Role.AGENT, Role.TENDERER)


@dataclass
class KeyBody:
    file_key: str


@dataclass
class ShareBody:
    share: str


@dataclass
class ContributionBody:
    value: str


@dataclass
class ObjectionBody:
    reason: str


@dataclass
class AnswerBody:
    submission_id: str
    answer: str


def bid_json(bid: OpeningBid) -> dict[str, Any]:
    return {
        "outcome": bid.outcome,
        "reason": bid.reason,
        "wrong_keys": bid.wrong_keys,
        "opened_by": bid.opened_by,
        "price": str(bid.price) if bid.price is not None else None,
        "file_key_sha256": hashlib.sha256(bid.file_key).hexdigest() if bid.file_key else None,
    }


@get("/api/tenders/{code:str}/lots/{lot:str}/opening", opt=PUBLIC, tags=["opening"])
async def opening_state(viewer: Viewer, db: Db, code: FromPath[str], lot: FromPath[str]) -> dict[str, Any]:
    await visible_tender(db, code, viewer)
    return await opening.state_of_opening(db, code, lot)


@post("/api/tenders/{code:str}/opening/start", opt=allow(*HOSTS), status_code=200, tags=["opening"])
async def start_opening(runtime: Rt, principal: Caller, db: Db, code: FromPath[str]) -> dict[str, Any]:
    started = await opening.start(db, runtime, principal, code)
    return {"started": len(started)}


@post(
    "/api/tenders/{code:str}/lots/{lot:str}/opening/key",
    opt=allow(Role.BIDDER),
    status_code=200,
    tags=["opening"],
)
async def reveal_key(
    runtime: Rt,
    principal: Caller,
    code: FromPath[str],
    lot: FromPath[str],
    data: JSONBody[KeyBody],
) -> dict[str, Any]:
    bid = await opening.reveal_key(runtime, principal, code, lot, data.file_key)
    return bid_json(bid)


@get(
    "/api/tenders/{code:str}/lots/{lot:str}/opening/header",
    opt=allow(Role.BIDDER),
    tags=["opening"],
)
async def own_header(
    runtime: Rt, principal: Caller, code: FromPath[str], lot: FromPath[str]
) -> dict[str, Any]:
    """The age header of your bid (wrapped keys only), for `sunbid bid decrypt` to unwrap locally."""
    return await opening.own_header(runtime, principal, code, lot)


@post("/api/tenders/{code:str}/opening/shares", opt=allow(Role.CUSTODIAN), status_code=200, tags=["opening"])
async def reveal_share(
    runtime: Rt, principal: Caller, code: FromPath[str], data: JSONBody[ShareBody]
) -> dict[str, Any]:
    return await opening.reveal_share(runtime, principal, code, data.share)


@post(
    "/api/tenders/{code:str}/lots/{lot:str}/opening/contributions",
    opt=allow(Role.BIDDER),
    status_code=200,
    tags=["opening"],
)
async def contribute(
    runtime: Rt,
    principal: Caller,
    db: Db,
    code: FromPath[str],
    lot: FromPath[str],
    data: JSONBody[ContributionBody],
) -> dict[str, Any]:
    await opening.contribute(db, runtime, principal, code, lot, data.value)
    return {"ok": True}


@post(
    "/api/tenders/{code:str}/lots/{lot:str}/opening/confirm",
    opt=allow(Role.BIDDER),
    status_code=200,
    tags=["opening"],
)
async def confirm(
    runtime: Rt, principal: Caller, db: Db, code: FromPath[str], lot: FromPath[str]
) -> dict[str, Any]:
    await opening.confirm(db, runtime, principal, code, lot)
    return {"ok": True}


@post(
    "/api/tenders/{code:str}/lots/{lot:str}/opening/objections",
    opt=allow(Role.BIDDER),
    status_code=200,
    tags=["opening"],
)
async def object_to(
    runtime: Rt,
    principal: Caller,
    db: Db,
    code: FromPath[str],
    lot: FromPath[str],
    data: JSONBody[ObjectionBody],
) -> dict[str, Any]:
    await opening.object_to(db, runtime, principal, code, lot, data.reason)
    return {"ok": True}


@post(
    "/api/tenders/{code:str}/lots/{lot:str}/opening/answers",
    opt=allow(*HOSTS),
    status_code=200,
    tags=["opening"],
)
async def answer(
    runtime: Rt,
    principal: Caller,
    db: Db,
    code: FromPath[str],
    lot: FromPath[str],
    data: JSONBody[AnswerBody],
) -> dict[str, Any]:
    await opening.answer(db, runtime, principal, code, lot, data.submission_id, data.answer)
    return {"ok": True}


@post(
    "/api/tenders/{code:str}/lots/{lot:str}/opening/finish",
    opt=allow(*HOSTS),
    status_code=200,
    tags=["opening"],
)
async def finish(
    runtime: Rt, principal: Caller, db: Db, code: FromPath[str], lot: FromPath[str]
) -> dict[str, Any]:
    done = await opening.finish(db, runtime, principal, code, lot)
    return {"phase": done.phase}


@websocket("/ws/openings/{code:str}/{lot:str}", opt=PUBLIC)
async def opening_room(
    socket: WebSocket[Any, Any, Any],
    channels: NamedDependency[ChannelsPlugin],
    runtime: Rt,
    viewer: Viewer,
    code: FromPath[str],
    lot: FromPath[str],
    after: FromQuery[int] = 0,
) -> None:
    """The opening hall, live: everyone sees public events; a bidder also sees its own."""
    async with runtime.sessions() as session:
        tender = await visible_tender(session, code, viewer)
        found = await lot_of(session, tender, lot)
        room = opening.room_name(tender.code, found.number)

    async def act(message: dict[str, Any]) -> ActionOk | ActionError:
        return await room_action(runtime, viewer, tender.code, found.number, message)

    await rooms.serve(socket, runtime, channels, room, rooms.Viewer.of(viewer), after=after, on_message=act)


# --- the hall's own frames (beside core.rooms' resume and ping) ------------------------------------------


class ConfirmFrame(Frame, tag="confirm"):
    """A bidder confirms the opening record (as POST …/opening/confirm)."""


class ObjectFrame(Frame, tag="object"):
    """A bidder objects to the opening record (as POST …/opening/objections)."""

    reason: str


class AnswerFrame(Frame, tag="answer"):
    """The host answers a bidder's objection (as POST …/opening/answers)."""

    submission_id: str
    answer: str


class ActionOk(Frame, tag="ok"):
    """The action was done; its event follows as a room event."""

    action: str


class ActionError(Frame, tag="error"):
    """The action was refused and nothing was done: ``error`` is the code (unknown_message,
    unauthorized, forbidden, or the service's own, as the REST route answers), ``detail`` the words."""

    action: Any
    error: str
    detail: str


HALL_CLIENT_FRAMES: tuple[type[Frame], ...] = (ConfirmFrame, ObjectFrame, AnswerFrame)
HALL_REPLIES: tuple[type[Frame], ...] = (ActionOk, ActionError)

# What a room message may do, who may send it, and the REST route it mirrors (same service function).
ROOM_ACTIONS: dict[str, tuple[Role, ...]] = {
    "confirm": (Role.BIDDER,),  # POST …/opening/confirm
    "object": (Role.BIDDER,),  # POST …/opening/objections {"reason"}
    "answer": HOSTS,  # POST …/opening/answers {"submission_id", "answer"}
}


def _text(message: dict[str, Any], name: str) -> str:
    value = message.get(name)
    if not isinstance(value, str):
        raise InvalidInput(f"“{name}” must be text", code="bad_message")
    return value


async def room_action(
    runtime: Runtime, principal: Principal | None, code: str, lot: str, message: dict[str, Any]
) -> ActionOk | ActionError:
    """One action sent over the room socket: the same role checks and service calls as the REST routes.

    Returns the frame to send back: ``{"type": "ok", "action": …}`` — the action's own event then
    arrives as a room event like everyone else's — or ``{"type": "error", "action": …, "error": code,
    "detail": …}`` (nothing was done).
    """
    action = message.get("type")
    if not isinstance(action, str) or action not in ROOM_ACTIONS:
        return ActionError(
            action=action,
            error="unknown_message",
            detail="开标室接受 resume/ping/confirm/object/answer (the room takes resume, ping, confirm, "
            "object and answer)",
        )
    if principal is None:
        return ActionError(action=action, error="unauthorized", detail="请先登录 (log in first)")
    if not principal.roles & set(ROOM_ACTIONS[action]):
        return ActionError(
            action=action, error="forbidden", detail=f"你的角色不能执行 {action} (your role may not {action})"
        )
    try:
        async with runtime.transaction() as session:
            if action == "confirm":
                await opening.confirm(session, runtime, principal, code, lot)
            elif action == "object":
                await opening.object_to(session, runtime, principal, code, lot, _text(message, "reason"))
            else:
                await opening.answer(
                    session,
                    runtime,
                    principal,
                    code,
                    lot,
                    _text(message, "submission_id"),
                    _text(message, "answer"),
                )
    except DomainError as exc:
        return ActionError(action=action, error=exc.code, detail=exc.detail)
    return ActionOk(action=action)


ROUTE_HANDLERS = [
    opening_state,
    start_opening,
    reveal_key,
    own_header,
    reveal_share,
    contribute,
    confirm,
    object_to,
    answer,
    finish,
    opening_room,
]
