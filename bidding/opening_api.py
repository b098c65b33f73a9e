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
from typing import Annotated, Any

import msgspec
from litestar import WebSocket, get, post, websocket
from litestar.channels import ChannelsPlugin
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody

from bidding import opening
from bidding.common import SUBMISSION_ID, visible_tender
from bidding.models import BidOutcome, OpeningBid
from bidding.opening.keys import FILE_KEY_PATTERN
from bidding.opening.views import BidOpened, Done, Finished, OpeningState, OwnHeader, ShareRevealed, Started
from bidding.params import LotParam, TenderCodeParam
from bidding.views import money
from core import rooms
from core.access import PUBLIC, Caller, Viewer, allow
from core.accounts import Principal
from core.errors import DomainError, InvalidInput
from core.roles import Role
from core.room_protocol import Frame
from core.runtime import Db, Rt, Runtime

HOSTS = (Role.AGENT, Role.TENDERER)
Reason = Annotated[str, msgspec.Meta(pattern=r"\S", max_length=2000)]


class KeyBody(msgspec.Struct, kw_only=True):
    file_key: Annotated[
        str,
        msgspec.Meta(
            min_length=1,
            max_length=200,
            description="the bid's 16-byte age file key, as 32 hex digits or base64 "
            "(`sunbid bid decrypt` unwraps it locally from the header)",
            # stated for the schema only: parse_file_key answers its own 422 ``bad_file_key``
            extra_json_schema={"pattern": FILE_KEY_PATTERN},
        ),
    ]


class ShareBody(msgspec.Struct, kw_only=True):
    share: Annotated[
        str,
        msgspec.Meta(
            pattern="^sunbid-share-1:",
            max_length=2000,
            description="the custodian's opened share, e.g. `sunbid-share-1:2:3:…` "
            "(`sunbid custody reveal` opens the sealed share locally)",
        ),
    ]


class ContributionBody(msgspec.Struct, kw_only=True):
    value: Annotated[
        str,
        msgspec.Meta(
            pattern=r"\S", max_length=64, description="the bidder's contribution to the draw: 1-64 characters"
        ),
    ]


class ObjectionBody(msgspec.Struct, kw_only=True):
    reason: Reason


class AnswerBody(msgspec.Struct, kw_only=True):
    submission_id: Annotated[str, msgspec.Meta(pattern=SUBMISSION_ID.pattern)]
    answer: Reason


def bid_view(bid: OpeningBid) -> BidOpened:
    return BidOpened(
        outcome=BidOutcome(bid.outcome),
        reason=bid.reason,
        wrong_keys=bid.wrong_keys,
        opened_by=bid.opened_by,  # type: ignore[arg-type]  # "bidder" | "custodians" | None
        price=money(bid.price) if bid.price is not None else None,
        file_key_sha256=hashlib.sha256(bid.file_key).hexdigest() if bid.file_key else None,
    )


@get("/api/tenders/{code:str}/lots/{lot:str}/opening", opt=PUBLIC, tags=["opening"])
async def opening_state(viewer: Viewer, db: Db, code: TenderCodeParam, lot: LotParam) -> OpeningState:
    """The public state of a lot's opening (开标): phase, deadlines, coefficient and outcome counts.

    Phases in order: awaiting_host → decrypting → custody (only when bids are left and the tender has
    custodians) → confirming → closed or failed (流标). The live view is the room socket
    /ws/openings/{code}/{lot}.
    """
    await visible_tender(db, code, viewer)
    return await opening.state_of_opening(db, code, lot)


@post("/api/tenders/{code:str}/opening/start", opt=allow(*HOSTS), status_code=200, tags=["opening"])
async def start_opening(runtime: Rt, principal: Caller, db: Db, code: TenderCodeParam) -> Started:
    """Step 1 of the opening: the host starts it (开标), for every lot of the tender.

    Allowed once the bid deadline has passed. The bids are listed, the seal salts revealed and each
    lot's decryption window starts counting down. The order of the opening is: start → bidders' keys
    (`…/lots/{lot}/opening/key`) → custodians' shares (`…/opening/shares`, only for bids left when the
    window ends) → bidders confirm or object (`…/opening/confirm`, `…/opening/objections`) → the
    signed opening record (开标记录) is published when the confirmation time ends (or `…/finish`).
    A host who does not start in time is replaced by the platform.
    """
    started = await opening.start(db, runtime, principal, code)
    return Started(started=len(started))


@post(
    "/api/tenders/{code:str}/lots/{lot:str}/opening/key",
    opt=allow(Role.BIDDER),
    status_code=200,
    tags=["opening"],
)
async def reveal_key(
    runtime: Rt,
    principal: Caller,
    code: TenderCodeParam,
    lot: LotParam,
    data: JSONBody[KeyBody],
) -> BidOpened:
    """Step 2 of the opening: a bidder reveals its bid's file key (解密) during the window.

    The key is checked against the envelope's header MAC before anything is decrypted, so a bid opens
    to one content only; a wrong key is counted (`wrong_keys`). Answers with the bid's outcome.
    """
    bid = await opening.reveal_key(runtime, principal, code, lot, data.file_key)
    return bid_view(bid)


@get(
    "/api/tenders/{code:str}/lots/{lot:str}/opening/header",
    opt=allow(Role.BIDDER),
    tags=["opening"],
)
async def own_header(runtime: Rt, principal: Caller, code: TenderCodeParam, lot: LotParam) -> OwnHeader:
    """The age header of the caller's bid in a lot, once the tender is opening.

    Only wrapped keys: `sunbid bid decrypt` unwraps the file key locally with the bidder's identity
    and sends only that key to `…/opening/key`.
    """
    return await opening.own_header(runtime, principal, code, lot)


@post("/api/tenders/{code:str}/opening/shares", opt=allow(Role.CUSTODIAN), status_code=200, tags=["opening"])
async def reveal_share(
    runtime: Rt, principal: Caller, code: TenderCodeParam, data: JSONBody[ShareBody]
) -> ShareRevealed:
    """Step 3 of the opening: a custodian (密钥保管人) reveals its share of the opening key.

    Only in the custody phase (after the bidders' window, with bids left). At `threshold` shares the
    key is combined, checked against the opening recipient and opens the remaining bids; a combined
    key that does not match clears the shares.
    """
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
    code: TenderCodeParam,
    lot: LotParam,
    data: JSONBody[ContributionBody],
) -> Done:
    """A bidder's contribution to the open coefficient draw (commit–reveal), during the window.

    The server committed to its seed (`coefficient_commit`) when the window opened; the coefficient
    is derived from the seed and every contribution when the window closes.
    """
    await opening.contribute(db, runtime, principal, code, lot, data.value)
    return Done()


@post(
    "/api/tenders/{code:str}/lots/{lot:str}/opening/confirm",
    opt=allow(Role.BIDDER),
    status_code=200,
    tags=["opening"],
)
async def confirm(runtime: Rt, principal: Caller, db: Db, code: TenderCodeParam, lot: LotParam) -> Done:
    """Step 4 of the opening: a bidder confirms the opening record (唱标) of its bid.

    Only in the confirming phase, before `confirm_ends_at`; a bidder that neither confirms nor objects
    in time is taken to have confirmed.
    """
    await opening.confirm(db, runtime, principal, code, lot)
    return Done()


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
    code: TenderCodeParam,
    lot: LotParam,
    data: JSONBody[ObjectionBody],
) -> Done:
    """Step 4 of the opening, instead of confirming: a bidder objects (异议) with a reason.

    The host answers on the spot (`…/opening/answers`); objection and answer go into the record.
    """
    await opening.object_to(db, runtime, principal, code, lot, data.reason)
    return Done()


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
    code: TenderCodeParam,
    lot: LotParam,
    data: JSONBody[AnswerBody],
) -> Done:
    """The host answers a bidder's objection (答复) during the confirmation time."""
    await opening.answer(db, runtime, principal, code, lot, data.submission_id, data.answer)
    return Done()


@post(
    "/api/tenders/{code:str}/lots/{lot:str}/opening/finish",
    opt=allow(*HOSTS),
    status_code=200,
    tags=["opening"],
)
async def finish(runtime: Rt, principal: Caller, db: Db, code: TenderCodeParam, lot: LotParam) -> Finished:
    """Step 5 of the opening: the host closes the confirmation time early and the record is signed.

    Allowed once every bidder has confirmed or objected and every objection is answered; the signed
    opening record (开标记录) is published and the lot is closed (or failed: 流标).
    """
    done = await opening.finish(db, runtime, principal, code, lot)
    return Finished(phase=done.phase)


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
    hall = await opening.hall(runtime, code, lot, viewer)  # kept per process once published
    head = await rooms.shared_head(runtime, hall.room)  # one read for the sockets joining together

    async def act(message: dict[str, Any]) -> ActionOk | ActionError:
        return await room_action(runtime, viewer, hall.tender_code, hall.lot_number, message)

    await rooms.serve(
        socket, runtime, channels, hall.room, rooms.Viewer.of(viewer), after=after, on_message=act, head=head
    )


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
