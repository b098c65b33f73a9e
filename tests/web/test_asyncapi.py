"""The WebSockets' AsyncAPI 3.0 document (/schema/asyncapi.json): valid against the official AsyncAPI 3.0
JSON Schema, one channel per WebSocket route with the route's roles, and exact about what the rooms send:
every frame of a whole tender's opening hall and evaluation room, read over real sockets from a real
`sunbid serve` process, fits the document's message for its channel (and kind)."""

from __future__ import annotations

import asyncio
import copy
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft7Validator
from litestar import Litestar
from sqlalchemy import select
from websockets.asyncio.client import ClientConnection, connect

from bidding.jobs import JOBS as BIDDING_JOBS
from bidding.models import Lot, Opening, Tender
from core.access import PUBLIC_MARK, ROLES_KEY, route_handlers
from core.clock import ManualClock
from core.roles import Role
from core.runtime import Runtime
from core.scheduler import Scheduler
from core.settings import Settings
from demo import JOBS as DEMO_JOBS
from demo.seeds import bidding as bidding_demo
from demo.seeds import experts as experts_demo
from demo.seeds import guarantees as guarantees_demo
from demo.seeds.core import seed_core
from evaluation.models import Evaluation
from experts.models import Draw
from tests.support.asyncapi import Conformance
from tests.support.factories import bearer, make_user
from tests.support.live import live_server

# The official schema, vendored: see asyncapi_spec/README.md (no network at test time).
SPEC = Path(__file__).parent / "asyncapi_spec" / "asyncapi-3.0.0.schema.json"


def official() -> Draft7Validator:
    return Draft7Validator(json.loads(SPEC.read_text()))


async def test_the_document_is_valid_asyncapi_3_and_has_a_channel_per_socket_with_its_roles(
    app: Litestar,
    client,  # type: ignore[no-untyped-def]
) -> None:
    response = await client.get("/schema/asyncapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    document = response.json()
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in official().iter_errors(document)]
    assert not errors, errors
    # The validation has teeth: a channel whose address is not text is refused.
    broken = copy.deepcopy(document)
    broken["channels"]["openingHall"]["address"] = 5
    assert not official().is_valid(broken)

    sockets = {}
    for path, handler in route_handlers(app):
        if not getattr(handler, "http_methods", None):
            declared = handler.opt[ROLES_KEY]
            who = ["public"] if declared == PUBLIC_MARK else sorted(r.value for r in declared)
            sockets[path.replace(":str", "").replace(":int", "")] = who
    channels = {c["address"]: c["x-roles"] for c in document["channels"].values()}
    assert channels == sockets
    assert set(sockets) >= {"/ws/audit", "/ws/openings/{code}/{lot}", "/ws/evaluations/{code}",
                            "/ws/experts/me", "/ws/experts/draws/{draw_id}"}  # fmt: skip
    # The sequence/gap-refill protocol is described, and every schema is a valid draft-07 schema.
    assert "resume" in document["info"]["description"] and "after" in document["info"]["description"]
    for schema in document["components"]["schemas"].values():
        Draft7Validator.check_schema(schema)
    # Frames are checked strictly: a wrong type, an undeclared field or an unknown kind does not fit.
    conformance = Conformance(document)
    progress = {"queued": 0, "decrypting": 0, "opened": 1, "failed": 0, "counts": {"opened": 1}}
    good = {
        "type": "event",
        "seq": 3,
        "kind": "progress",
        "at": "2026-12-03T10:00:00+00:00",
        "data": progress,
    }
    assert conformance.check("openingHall", good) == "event.progress"
    wrong_type = {**good, "data": {**progress, "queued": "none"}}
    for bad in (wrong_type, {**good, "extra": 1}, {**good, "kind": "nope"},
                {"type": "skip", "seq": "3"}, {"type": "hello", "room": "r", "head": 1}):  # fmt: skip
        with pytest.raises(AssertionError):
            conformance.check("openingHall", bad)
    # The OpenAPI document's description links to it.
    openapi = (await client.get("/schema/openapi.json")).json()
    assert "/schema/asyncapi.json" in openapi["info"]["description"]


async def receive(socket: ClientConnection) -> dict[str, Any]:
    frame: dict[str, Any] = json.loads(await asyncio.wait_for(socket.recv(decode=True), timeout=30))
    return frame


async def whole_log(socket: ClientConnection, channel: str, conformance: Conformance) -> list[dict[str, Any]]:
    """Every frame from ``hello`` to the room's head (checked, and in seq order with no gaps)."""
    hello = await receive(socket)
    conformance.check(channel, hello)
    frames, last = [], 0
    while last < hello["head"]:
        frame = await receive(socket)
        conformance.check(channel, frame)
        assert frame["seq"] == last + 1, frame
        last = frame["seq"]
        frames.append(frame)
    return frames


async def exchange(socket: ClientConnection, channel: str, conformance: Conformance, sent: Any) -> str:
    """Send a frame (or raw text); the answer fits the document: returns its message key."""
    await socket.send(sent if isinstance(sent, str) else json.dumps(sent))
    return conformance.check(channel, await receive(socket))


async def play_the_demo_tender(runtime: Runtime, clock: ManualClock) -> None:
    """The demo's live tender, opened and evaluated by itself through the real services."""
    await seed_core(runtime, 220200)
    await experts_demo.seed(runtime, 220200)
    await bidding_demo.seed(runtime, 220200)
    await guarantees_demo.seed(runtime, 220200)  # the live bids' bonds, as `sunbid demo` seeds them
    scheduler = Scheduler(runtime, [*BIDDING_JOBS, *DEMO_JOBS])
    started = clock.now()
    while clock.now() - started < timedelta(minutes=20):
        await scheduler.run_due()
        async with runtime.sessions() as session:
            evaluation = await session.scalar(select(Evaluation))
        if evaluation is not None and evaluation.state == "publicity":
            return
        clock.advance(seconds=1)
    raise AssertionError("the demo evaluation did not reach the publicity")


@pytest.mark.e2e
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_every_frame_the_rooms_send_for_a_whole_tender_fits_the_document(
    runtime: Runtime, clock: ManualClock, settings: Settings, tmp_path: Path
) -> None:
    await play_the_demo_tender(runtime, clock)
    await make_user(runtime, "watcher", Role.SUPERVISOR)
    await make_user(runtime, "root", Role.ADMIN)
    await make_user(runtime, "pundit", Role.EXPERT)
    async with runtime.sessions() as session:
        halls = (await session.execute(
            select(Tender.code, Lot.number).join(Opening, Opening.tender_id == Tender.id)
            .join(Lot, Lot.id == Opening.lot_id)
        )).all()  # fmt: skip
        evaluation = await session.scalar(select(Evaluation))
        draw_id = await session.scalar(select(Draw.id))
    assert halls and evaluation is not None and draw_id is not None

    with live_server(settings, tmp_path) as server:
        conformance = Conformance.served_by(server.url)
        ws = server.url.replace("http", "ws")
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
            supervisor = await bearer(http, "watcher")
            admin = await bearer(http, "root")
            expert = await bearer(http, "pundit")
        kinds: set[str] = set()

        # Every opening hall's whole log, as the public sees it and as a supervisor does.
        for code, lot in halls:
            url = f"{ws}/ws/openings/{code}/{lot}"
            async with connect(url) as public, connect(url, additional_headers=supervisor) as watcher:
                seen = await whole_log(public, "openingHall", conformance)
                kinds |= {
                    f["kind"] for f in await whole_log(watcher, "openingHall", conformance) if "kind" in f
                }
                assert seen
                # gap refill: resume after an earlier seq resends from there, in order
                await public.send(json.dumps({"type": "resume", "after": len(seen) - 2}))
                again = [await receive(public) for _ in range(2)]
                assert [f["seq"] for f in again] == [len(seen) - 1, len(seen)]
                for frame in again:
                    conformance.check("openingHall", frame)
                assert await exchange(public, "openingHall", conformance, {"type": "ping"}) == "pong"
                assert await exchange(public, "openingHall", conformance, "not json") == "error"
                assert await exchange(public, "openingHall", conformance, {"type": "resume"}) == "error"
                for action in ({"type": "confirm"}, {"type": "object", "reason": "x"}, {"type": "dance"},
                               {"type": "answer", "submission_id": "x", "answer": "y"}):  # fmt: skip
                    assert await exchange(public, "openingHall", conformance, action) == "reply.error"
                    assert await exchange(watcher, "openingHall", conformance, action) == "reply.error"
        assert {"bids.listed", "window.opened", "progress", "table.row", "record.published"} <= kinds

        # The evaluation room's whole log (a supervisor sees every event), and its answers.
        async with connect(f"{ws}/ws/evaluations/{evaluation.code}", additional_headers=supervisor) as room:
            log = await whole_log(room, "evaluationRoom", conformance)
            steps = {f["kind"] for f in log}
            assert {"step.opened", "step.signed_in", "step.chair_vote", "step.verdict", "step.score",
                    "step.report_signed", "report.ready", "progress"} <= steps  # fmt: skip
            assert await exchange(room, "evaluationRoom", conformance, {"type": "ping"}) == "pong"
            act = {
                "type": "act",
                "ref": "r1",
                "action": "score",
                "bidder": "x",
                "criterion": "y",
                "value": "1",
            }
            assert await exchange(room, "evaluationRoom", conformance, act) == "reply.error"
            assert await exchange(room, "evaluationRoom", conformance, {"type": "what"}) == "reply.error"

        # The forwarded channels: subscribed, then news as published (an account created → audit news).
        async with (
            connect(f"{ws}/ws/audit") as audit,
            connect(f"{ws}/ws/experts/me", additional_headers=expert) as notices,
            connect(f"{ws}/ws/experts/draws/{draw_id}", additional_headers=supervisor) as draw,
        ):
            assert conformance.check("auditStream", await receive(audit)) == "subscribed"
            assert conformance.check("expertNotices", await receive(notices)) == "subscribed"
            assert conformance.check("drawProgress", await receive(draw)) == "subscribed"
            async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
                created = await http.post(
                    "/api/users",
                    json={"username": "newcomer", "password": "Correct-Horse-Battery-42",
                          "display_name": "新用户", "roles": ["bidder"]},
                    headers=admin,
                )  # fmt: skip
                assert created.status_code == 201, created.text
            assert conformance.check("auditStream", await receive(audit)) == "AuditNews"


def test_every_message_type_is_a_msgspec_struct_down_to_its_fields() -> None:
    """One style for what the sockets carry (issue #17): the frames, the room events and everything in
    them (the evaluation room's criteria and anomaly limit too) are msgspec Structs, no dataclasses."""
    import dataclasses
    import typing

    import msgspec

    from core import room_protocol
    from evaluation import actions
    from web import asyncapi

    roots: list[Any] = [*room_protocol.SERVER_FRAMES, *room_protocol.CLIENT_FRAMES, room_protocol.Subscribed]
    roots.append(actions.RoomAction)
    for channel in asyncapi.CHANNELS:
        roots += [*(channel.room_events or {}).values(), *channel.forwarded, *channel.client_frames]
        roots += channel.replies
    seen: set[int] = set()
    found: list[str] = []

    def walk(kind: Any) -> None:
        if id(kind) in seen:
            return
        seen.add(id(kind))
        for arg in typing.get_args(kind):
            walk(arg)
        if isinstance(kind, type) and dataclasses.is_dataclass(kind):
            found.append(f"{kind.__module__}.{kind.__name__}")
        elif isinstance(kind, type) and issubclass(kind, msgspec.Struct):
            for field in msgspec.structs.fields(kind):
                walk(field.type)

    for root in roots:
        walk(root)
    assert len(seen) > 40 and not found, found
