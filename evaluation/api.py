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
from typing import Annotated, Any, Literal

import msgspec
from litestar import WebSocket, get, post, websocket
from litestar.channels import ChannelsPlugin
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, Parameter
from litestar.response import Stream
from msgspec import Meta

from core import rooms
from core.access import Caller, allow
from core.errors import DomainError
from core.raw_body import file_answer
from core.roles import Role
from core.room_protocol import Frame
from core.runtime import Db, Rt
from core.security_headers import STORED_DOCUMENT_POLICY
from evaluation import acting, actions, clarifications, reporting, room, start, views
from evaluation import award as awarding
from evaluation.actions import MAX_TEXT

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


# A tender's lot's evaluation code: the tender's code, a dash and the lot's number.
EvaluationCode = Annotated[
    str,
    Parameter(description="the evaluation's code: the tender's code, a dash and the lot number (e.g. TC-1)"),
]
ReportKind = Literal["pdf", "html"]
PUBLICITY_MAX_DAYS = 365  # no statutory maximum; a bound that keeps the end date a date


class AwardBody(msgspec.Struct, kw_only=True):
    winner: Annotated[
        str | None,
        Meta(description="the winning candidate's credit code; absent or null: the first candidate"),
    ] = None


class AnswerBody(msgspec.Struct, kw_only=True):
    answer: Annotated[
        str, Meta(min_length=1, max_length=MAX_TEXT * 5, description="the answer (blank after trimming: 422)")
    ]


@post("/api/evaluations", opt=allow(*HOSTS), tags=["evaluation"])
async def start_evaluation(
    runtime: Rt, principal: Caller, db: Db, data: JSONBody[start.NewEvaluation]
) -> views.Started:
    """Open the evaluation room (开启评标室) of a lot whose opening is closed.

    The tender's tenderer or agent seats the committee the expert draw ``draw_id`` formed (it must be
    complete), names the main venue and the sub-venues, and, where the tender allows one, the
    tenderer's representative who sits as a member. The answer is the room's code.
    """
    evaluation = await start.start(db, runtime, principal, data)
    return views.Started(code=evaluation.code)


@get("/api/evaluations", opt=allow(*ROOM_ROLES), tags=["evaluation"])
async def my_evaluations(principal: Caller, db: Db) -> list[views.EvaluationSummary]:
    """The evaluations the caller may enter.

    A member sees the rooms they are seated in, a tenderer or agent the rooms of their tenders, a
    supervisor every room; newest first.
    """
    return await room.evaluations_for(db, principal)


@get("/api/evaluations/{code:str}", opt=allow(*ROOM_ROLES), tags=["evaluation"])
async def room_view(runtime: Rt, principal: Caller, db: Db, code: FromPath[EvaluationCode]) -> views.RoomView:
    """The evaluation room as the caller sees it (评标室).

    Phase, committee and venues, reviews, anomalies, price figures, ranking and report digest. Score
    values are the caller's own (``my_sheet``); supervisors also get every member's ``scores``. Live
    changes arrive on the room's WebSocket ``/ws/evaluations/{code}``.
    """
    return await room.view(db, principal, code, runtime)


@post("/api/evaluations/{code:str}/actions", opt=allow(Role.EXPERT), status_code=200, tags=["evaluation"])
async def act(
    runtime: Rt, principal: Caller, db: Db, code: FromPath[EvaluationCode], data: JSONBody[actions.RoomAction]
) -> views.Acted:
    """A committee member's action in the room, named by ``action``.

    The room's steps in order: ``sign_in`` and ``declare`` (回避声明) → ``vote`` for the chair →
    ``verdict`` per bidder and item (资格评审, 初步评审) → ``score`` and ``submit`` the sheet (with
    ``reasons`` for deviating scores; the chair may ``return`` a sheet, ``confirm_anomaly`` or mark it
    ``unexplained``) → ``advance`` → ``sign`` the report. ``clarify`` asks a bidder a question during
    review; ``absent`` is the host's (on the socket). Who may send an action is checked before its
    fields. The answer is the stored event's sequence number and the phase after it (``clarify``
    also gives the request's id).

    Signing the report (``{"action": "sign", "signature": …}``): the member signs, with the Ed25519
    key registered for them, exactly the bytes ``sunbid-evaluation-report-v1`` + a line feed + the
    report digest as 64 lowercase hex ASCII digits, and sends the 64-byte signature as standard base64.
    Example: with ``report_digest`` ``2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881``
    the signed message is the 92 bytes
    ``b"sunbid-evaluation-report-v1\\n2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881"``.
    """
    return await acting.act(db, runtime, principal, code, msgspec.to_builtins(data))


@get(
    "/api/evaluations/{code:str}/report/{kind:str}",
    opt=allow(*ROOM_ROLES),
    tags=["evaluation"],
    response_description="the report as PDF (application/pdf) or HTML (text/html)",
    operation_class=file_answer("application/pdf", "text/html"),
)
async def report_file(
    runtime: Rt,
    principal: Caller,
    db: Db,
    code: FromPath[EvaluationCode],
    kind: FromPath[Annotated[ReportKind, Parameter(description="the file's format: pdf or html")]],
) -> Stream:
    """The evaluation report (评标报告), as drafted for signature, then as signed.

    Members do not sign this file but its digest (``report_digest`` in the room view: the lowercase
    hex SHA-256 of the report facts' canonical JSON) with the ``sign`` action; see
    ``POST /api/evaluations/{code}/actions``. Once everyone has signed, the signed file is served.
    """
    reader = await reporting.report_file(db, runtime, principal, code, kind)
    headers = {"Content-Length": str(reader.size)}
    if kind == "pdf":
        return Stream(reader, media_type="application/pdf", headers=headers)
    # The stored report keeps its inline <style>; it may not run or load anything.
    headers["Content-Security-Policy"] = STORED_DOCUMENT_POLICY
    return Stream(reader, media_type="text/html; charset=utf-8", headers=headers)


@post("/api/evaluations/{code:str}/publicity", opt=allow(*HOSTS), status_code=200, tags=["evaluation"])
async def publish_publicity(
    runtime: Rt,
    principal: Caller,
    db: Db,
    code: FromPath[EvaluationCode],
    days: FromQuery[
        Annotated[
            int,
            Parameter(
                ge=awarding.PUBLICITY_DAYS,
                le=PUBLICITY_MAX_DAYS,
                description="calendar days of publicity (at least 3: 《招标投标法实施条例》第五十四条)",
            ),
        ]
    ] = awarding.PUBLICITY_DAYS,
) -> views.PublicityOut:
    """Publish the winning candidates (中标候选人公示) from the signed report.

    After every member signed the report: the candidates are published as a notice of the tender for
    ``days`` calendar days; the award may follow once the period ends.
    """
    return await awarding.publish_publicity(db, runtime, principal, code, days)


@post("/api/evaluations/{code:str}/award", opt=allow(*HOSTS), status_code=200, tags=["evaluation"])
async def award(
    runtime: Rt, principal: Caller, db: Db, code: FromPath[EvaluationCode], data: JSONBody[AwardBody]
) -> views.AwardOut:
    """Award the lot (定标) after the publicity period.

    The winner is the first candidate unless ``winner`` names another candidate; the award notice
    also publishes the committee's names.
    """
    return await awarding.award(db, runtime, principal, code, data.winner)


@get("/api/clarifications", opt=allow(Role.BIDDER), tags=["evaluation"])
async def my_clarifications(principal: Caller, db: Db) -> list[views.ClarificationOut]:
    """The committee's clarification requests (澄清) to the caller's company, newest first."""
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
) -> views.ClarificationOut:
    """Answer a clarification request (澄清答复) before it is due.

    Only the company it was addressed to may answer, once; the room sees the answer at once.
    """
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
        seat, state, head = await room.entering(session, runtime, code, principal)
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
        return Acted(ref=ref, seq=done.seq, phase=done.phase, clarification=done.clarification)

    if seat.member is not None:
        async with runtime.transaction() as session:
            await room.presence(session, runtime, code, seat.member, True)
    try:
        await rooms.serve(
            socket,
            runtime,
            channels,
            room.room_name(code),
            viewer,
            after=after,
            on_message=on_message,
            head=head,
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
