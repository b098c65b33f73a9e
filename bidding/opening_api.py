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

The room socket takes no actions (those go through the HTTP routes above, with their roles); besides
``resume`` and ``ping`` a client frame is answered with an error. Public observers receive "skip" frames
for bidder-private events (audience ``org:<id>``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Request, WebSocket, get, post, websocket
from litestar.channels import ChannelsPlugin
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody

from bidding import opening
from bidding.common import lot_of, visible_tender
from bidding.models import OpeningBid
from core import rooms
from core.access import PUBLIC, allow, current_principal, require_principal
from core.roles import Role
from core.runtime import Db, Runtime

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


def _runtime(state: State) -> Runtime:
    runtime: Runtime = state.runtime
    return runtime


def bid_json(bid: OpeningBid) -> dict[str, Any]:
    return {
        "outcome": bid.outcome,
        "reason": bid.reason,
        "wrong_keys": bid.wrong_keys,
        "opened_by": bid.opened_by,
        "price": str(bid.price) if bid.price is not None else None,
        "package_sha256": bid.package_sha256,
    }


@get("/api/tenders/{code:str}/lots/{lot:str}/opening", opt=PUBLIC, tags=["opening"])
async def opening_state(
    request: Request[Any, Any, Any], db: Db, code: FromPath[str], lot: FromPath[str]
) -> dict[str, Any]:
    await visible_tender(db, code, current_principal(request))
    return await opening.state_of_opening(db, code, lot)


@post("/api/tenders/{code:str}/opening/start", opt=allow(*HOSTS), status_code=200, tags=["opening"])
async def start_opening(
    request: Request[Any, Any, Any], state: State, db: Db, code: FromPath[str]
) -> dict[str, Any]:
    started = await opening.start(db, _runtime(state), require_principal(request), code)
    return {"started": len(started)}


@post(
    "/api/tenders/{code:str}/lots/{lot:str}/opening/key",
    opt=allow(Role.BIDDER),
    status_code=200,
    tags=["opening"],
)
async def reveal_key(
    request: Request[Any, Any, Any],
    state: State,
    code: FromPath[str],
    lot: FromPath[str],
    data: JSONBody[KeyBody],
) -> dict[str, Any]:
    bid = await opening.reveal_key(_runtime(state), require_principal(request), code, lot, data.file_key)
    return bid_json(bid)


@get(
    "/api/tenders/{code:str}/lots/{lot:str}/opening/header",
    opt=allow(Role.BIDDER),
    tags=["opening"],
)
async def own_header(
    request: Request[Any, Any, Any], state: State, code: FromPath[str], lot: FromPath[str]
) -> dict[str, Any]:
    """The age header of your bid (wrapped keys only), for `sunbid bid decrypt` to unwrap locally."""
    return await opening.own_header(_runtime(state), require_principal(request), code, lot)


@post("/api/tenders/{code:str}/opening/shares", opt=allow(Role.CUSTODIAN), status_code=200, tags=["opening"])
async def reveal_share(
    request: Request[Any, Any, Any], state: State, code: FromPath[str], data: JSONBody[ShareBody]
) -> dict[str, Any]:
    return await opening.reveal_share(_runtime(state), require_principal(request), code, data.share)


@post(
    "/api/tenders/{code:str}/lots/{lot:str}/opening/contributions",
    opt=allow(Role.BIDDER),
    status_code=200,
    tags=["opening"],
)
async def contribute(
    request: Request[Any, Any, Any],
    state: State,
    db: Db,
    code: FromPath[str],
    lot: FromPath[str],
    data: JSONBody[ContributionBody],
) -> dict[str, Any]:
    await opening.contribute(db, _runtime(state), require_principal(request), code, lot, data.value)
    return {"ok": True}


@post(
    "/api/tenders/{code:str}/lots/{lot:str}/opening/confirm",
    opt=allow(Role.BIDDER),
    status_code=200,
    tags=["opening"],
)
async def confirm(
    request: Request[Any, Any, Any], state: State, db: Db, code: FromPath[str], lot: FromPath[str]
) -> dict[str, Any]:
    await opening.confirm(db, _runtime(state), require_principal(request), code, lot)
    return {"ok": True}


@post(
    "/api/tenders/{code:str}/lots/{lot:str}/opening/objections",
    opt=allow(Role.BIDDER),
    status_code=200,
    tags=["opening"],
)
async def object_to(
    request: Request[Any, Any, Any],
    state: State,
    db: Db,
    code: FromPath[str],
    lot: FromPath[str],
    data: JSONBody[ObjectionBody],
) -> dict[str, Any]:
    await opening.object_to(db, _runtime(state), require_principal(request), code, lot, data.reason)
    return {"ok": True}


@post(
    "/api/tenders/{code:str}/lots/{lot:str}/opening/answers",
    opt=allow(*HOSTS),
    status_code=200,
    tags=["opening"],
)
async def answer(
    request: Request[Any, Any, Any],
    state: State,
    db: Db,
    code: FromPath[str],
    lot: FromPath[str],
    data: JSONBody[AnswerBody],
) -> dict[str, Any]:
    await opening.answer(
        db, _runtime(state), require_principal(request), code, lot, data.submission_id, data.answer
    )
    return {"ok": True}


@post(
    "/api/tenders/{code:str}/lots/{lot:str}/opening/finish",
    opt=allow(*HOSTS),
    status_code=200,
    tags=["opening"],
)
async def finish(
    request: Request[Any, Any, Any], state: State, db: Db, code: FromPath[str], lot: FromPath[str]
) -> dict[str, Any]:
    done = await opening.finish(db, _runtime(state), require_principal(request), code, lot)
    return {"phase": done.phase}


@websocket("/ws/openings/{code:str}/{lot:str}", opt=PUBLIC)
async def opening_room(
    socket: WebSocket[Any, Any, Any],
    channels: NamedDependency[ChannelsPlugin],
    code: FromPath[str],
    lot: FromPath[str],
    after: FromQuery[int] = 0,
) -> None:
    """The opening hall, live: everyone sees public events; a bidder also sees its own."""
    runtime = _runtime(socket.app.state)
    principal = current_principal(socket)
    async with runtime.sessions() as session:
        tender = await visible_tender(session, code, principal)
        found = await lot_of(session, tender, lot)
        room = opening.room_name(tender.code, found.number)

    async def refuse(_message: dict[str, Any]) -> None:
        await socket.send_json(
            {
                "type": "error",
                "detail": "开标室只接受 resume/ping；操作请用接口 (only resume and ping; act via the API)",
            }
        )

    await rooms.serve(
        socket, runtime, channels, room, rooms.Viewer.of(principal), after=after, on_message=refuse
    )


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
