"""Evaluation HTTP API and the evaluation room's WebSocket (protocol: docs/evaluation-room.md).

Room protocol: core/rooms.py's frames (hello / event / skip, resume, ping), plus, from members only,
``{"type": "act", "action": …, …fields}`` — the same actions as ``POST /api/evaluations/{code}/actions``
(see evaluation/actions.py). Each is answered with ``{"type": "acted", "ref", "seq",
"phase"}`` once stored, or ``{"type": "error", "ref", "code", "detail"}``; ``ref`` echoes the client's
own ``ref`` so it can match answers to what it sent. What an action changes arrives as room events.
Step events are ``step.<kind>`` (evaluation/events.py); the others are ``progress`` (member, scored,
of), ``presence`` (member, venue, online), ``clarification.asked`` / ``clarification.answered``,
``report.ready`` / ``report.signed`` (digest). Score values (``step.score``) reach only the member who
gave them and supervisors; everyone else gets a ``skip`` frame for them and the ``progress`` event.
"""

from __future__ import annotations

import asyncio
import weakref
from dataclasses import dataclass, field
from typing import Any

import msgspec
from litestar import WebSocket, get, post, websocket
from litestar.channels import ChannelsPlugin
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.response import Stream

from core import rooms
from core.access import Caller, allow
from core.errors import DomainError
from core.roles import Role
from core.room_protocol import Frame
from core.runtime import Db, Rt
from core.security_headers import STORED_DOCUMENT_POLICY
from evaluation import acting, clarifications, reporting, room, start
from evaluation import award as awarding

HOSTS = (Role.AGENT, Role.TENDERER)
ROOM_ROLES = (Role.EXPERT, *HOSTS, Role.SUPERVISOR)

# A room's actions are applied one at a time anyway (its head row is locked); members acting at once
# on this process's sockets queue here instead of each holding a database connection (or, on SQLite,
# sleeping in the busy handler) while they wait for the lock.
_ACTING: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()


def _acting(code: str) -> asyncio.Lock:
    lock = _ACTING.get(code)
    if lock is None:
        lock = _ACTING[code] = asyncio.Lock()
    return lock


@dataclass
class StartBody:
    tender: str
    lot: str
    draw_id: int
    main_venue: str
    venues: list[str] = field(default_factory=list)
    representative: str = ""  # where the tender seats the tenderer's representative: their username
    representative_key: str = ""  # and their Ed25519 public key, to sign the report


@dataclass
class AwardBody:
    winner: str | None = None


@dataclass
class AnswerBody:
    answer: str


@post("/api/evaluations", opt=allow(*HOSTS), tags=["evaluation"])
async def start_evaluation(
    runtime: Rt, principal: Caller, db: Db, data: JSONBody[StartBody]
) -> dict[str, Any]:
    """The tender's tenderer or agent opens the evaluation room of a lot whose opening is closed."""
    new = start.NewEvaluation(
        data.tender, data.lot, data.draw_id, data.main_venue, tuple(data.venues),
        data.representative, data.representative_key,
    )  # fmt: skip
    evaluation = await start.start(db, runtime, principal, new)
    return {"code": evaluation.code}


@get("/api/evaluations", opt=allow(*ROOM_ROLES), tags=["evaluation"])
async def my_evaluations(principal: Caller, db: Db) -> list[dict[str, Any]]:
    """The evaluations the caller may enter (a member's seats, a host's tenders, all for supervisors)."""
    return await room.evaluations_for(db, principal)


@get("/api/evaluations/{code:str}", opt=allow(*ROOM_ROLES), tags=["evaluation"])
async def room_view(runtime: Rt, principal: Caller, db: Db, code: FromPath[str]) -> dict[str, Any]:
    return await room.view(db, principal, code, runtime)


@post("/api/evaluations/{code:str}/actions", opt=allow(Role.EXPERT), status_code=200, tags=["evaluation"])
async def act(
    runtime: Rt, principal: Caller, db: Db, code: FromPath[str], data: JSONBody[dict[str, Any]]
) -> dict[str, Any]:
    """A member's action in the room (sign_in, declare, vote, verdict, score, submit, return,
    confirm_anomaly, unexplained, advance, sign, clarify)."""
    return await acting.act(db, runtime, principal, code, data)


@get("/api/evaluations/{code:str}/report/{kind:str}", opt=allow(*ROOM_ROLES), tags=["evaluation"])
async def report_file(
    runtime: Rt, principal: Caller, db: Db, code: FromPath[str], kind: FromPath[str]
) -> Stream:
    """The report (pdf or html) as drafted for signature; the same file once signed."""
    reader = await reporting.report_file(db, runtime, principal, code, kind)
    headers = {"Content-Length": str(reader.size)}
    if kind == "pdf":
        return Stream(reader, media_type="application/pdf", headers=headers)
    # The stored report keeps its inline <style>; it may not run or load anything.
    headers["Content-Security-Policy"] = STORED_DOCUMENT_POLICY
    return Stream(reader, media_type="text/html; charset=utf-8", headers=headers)


@post("/api/evaluations/{code:str}/publicity", opt=allow(*HOSTS), status_code=200, tags=["evaluation"])
async def publish_publicity(
    runtime: Rt, principal: Caller, db: Db, code: FromPath[str], days: FromQuery[int] = 3
) -> dict[str, Any]:
    """Publish the candidates (中标候选人公示, at least 3 days) from the signed report."""
    return await awarding.publish_publicity(db, runtime, principal, code, days)


@post("/api/evaluations/{code:str}/award", opt=allow(*HOSTS), status_code=200, tags=["evaluation"])
async def award(
    runtime: Rt, principal: Caller, db: Db, code: FromPath[str], data: JSONBody[AwardBody]
) -> dict[str, Any]:
    """After the publicity period: the award (default: the first candidate) and the committee's names."""
    return await awarding.award(db, runtime, principal, code, data.winner)


@get("/api/clarifications", opt=allow(Role.BIDDER), tags=["evaluation"])
async def my_clarifications(principal: Caller, db: Db) -> list[dict[str, Any]]:
    """The committee's clarification requests (澄清) to the caller's company."""
    return await clarifications.clarifications_for_bidder(db, principal)


@post(
    "/api/clarifications/{clarification_id:int}/answer",
    opt=allow(Role.BIDDER),
    status_code=200,
    tags=["evaluation"],
)
async def answer_clarification(
    runtime: Rt,
    principal: Caller,
    db: Db,
    clarification_id: FromPath[int],
    data: JSONBody[AnswerBody],
) -> dict[str, Any]:
    return await clarifications.answer_clarification(db, runtime, principal, clarification_id, data.answer)


# --- the room's own frames (beside core.rooms' resume and ping) ----------------------------------------


class ActFrame(Frame, tag="act"):
    """A member's (or the host's) action: the fields of one of evaluation/actions.py's actions, ``action``
    naming it, as POST /api/evaluations/{code}/actions takes them; ``ref`` is echoed in the answer."""

    ref: Any = None


class Acted(Frame, tag="acted"):
    """The action was stored as event ``seq``; the room is now in ``phase`` (``clarification``: the id of
    the clarification request it asked)."""

    ref: Any
    seq: int
    phase: str
    clarification: int | msgspec.UnsetType = msgspec.UNSET


class ActError(Frame, tag="error"):
    """The action was refused and nothing was stored (``code`` as the REST route answers)."""

    ref: Any
    code: str
    detail: str


ROOM_CLIENT_FRAMES: tuple[type[Frame], ...] = (ActFrame,)
ROOM_REPLIES: tuple[type[Frame], ...] = (Acted, ActError)


@websocket("/ws/evaluations/{code:str}", opt=allow(*ROOM_ROLES))
async def evaluation_room(
    socket: WebSocket[Any, Any, Any],
    channels: NamedDependency[ChannelsPlugin],
    runtime: Rt,
    principal: Caller,
    code: FromPath[str],
    after: FromQuery[int] = 0,
) -> None:
    """The evaluation room, live, for its committee, its host and supervisors."""
    async with runtime.sessions() as session:
        _, seat, state = await room.admitted(session, code, principal, runtime)
    viewer = room.viewer(principal, seat, state)

    async def on_message(message: dict[str, Any]) -> Acted | ActError:
        ref = message.get("ref")
        if message.get("type") != "act":
            return ActError(ref=ref, code="unknown_type", detail="frames: act, resume, ping")
        action = {k: v for k, v in message.items() if k not in ("type", "ref")}
        try:
            async with _acting(code), runtime.transaction() as session:
                done = await acting.act(session, runtime, principal, code, action)
        except DomainError as error:
            return ActError(ref=ref, code=error.code, detail=error.detail)
        clarification = done.get("clarification", msgspec.UNSET)
        return Acted(ref=ref, seq=done["seq"], phase=done["phase"], clarification=clarification)

    if seat.member is not None:
        async with runtime.transaction() as session:
            await room.presence(session, runtime, code, seat.member, True)
    try:
        await rooms.serve(
            socket, runtime, channels, room.room_name(code), viewer, after=after, on_message=on_message
        )
    finally:
        if seat.member is not None:
            async with runtime.transaction() as session:
                await room.presence(session, runtime, code, seat.member, False)


ROUTE_HANDLERS = [
    start_evaluation,
    my_evaluations,
    room_view,
    act,
    report_file,
    publish_publicity,
    award,
    my_clarifications,
    answer_clarification,
    evaluation_room,
]
