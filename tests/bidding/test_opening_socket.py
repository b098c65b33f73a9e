"""Confirmations, objections and answers over the opening room's socket (a real `sunbid serve` process):
the same service calls and role checks as the REST routes; a public observer or a wrong role gets an
error frame and nothing happens."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update
from websockets.asyncio.client import ClientConnection, connect

from bidding.models import OpeningBid, Tender
from core.roles import Role
from core.runtime import Runtime
from core.settings import Settings
from tests.bidding.helpers import make_world, published_tender, register_all, seal, upload
from tests.bidding.test_opening import CODE, file_key
from tests.support.asyncapi import Conformance
from tests.support.factories import bearer, make_user
from tests.support.live import live_server, run_cli

pytestmark = pytest.mark.e2e

# Every frame the hall sends in these tests is checked against the served AsyncAPI document.
CONFORMANCE: list[Conformance] = []


def checked(frame: dict[str, Any]) -> dict[str, Any]:
    for conformance in CONFORMANCE:
        conformance.check("openingHall", frame)
    return frame


async def frame_until(socket: ClientConnection, want: str, within: float = 15) -> dict[str, Any]:
    """The next frame of type ``want`` (room events that arrive meanwhile are skipped over)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        frame = checked(
            json.loads(await asyncio.wait_for(socket.recv(decode=True), timeout=deadline - loop.time()))
        )
        if frame["type"] == want:
            return dict(frame)


async def event(socket: ClientConnection, kind: str) -> dict[str, Any]:
    while True:
        frame = await frame_until(socket, "event")
        if frame["kind"] == kind:
            return frame


async def send(socket: ClientConnection, message: dict[str, Any]) -> dict[str, Any]:
    """Send an action; its reply is the next ok/error frame."""
    await socket.send(json.dumps(message))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 15
    while True:
        frame = checked(
            json.loads(await asyncio.wait_for(socket.recv(decode=True), timeout=deadline - loop.time()))
        )
        if frame["type"] in ("ok", "error"):
            return dict(frame)


async def wait_phase(http: httpx.AsyncClient, phase: str) -> None:
    for _ in range(100):
        got = await http.get(f"/api/tenders/{CODE}/lots/1/opening")
        if got.status_code == 200 and got.json()["phase"] == phase:
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"the opening did not reach {phase}")


async def test_bidders_confirm_and_object_and_the_host_answers_over_the_socket(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path / "var")
    run_cli(settings, "db", "upgrade")
    runtime = Runtime.build(settings)
    try:
        with live_server(settings, tmp_path) as server:
            CONFORMANCE[:] = [Conformance.served_by(server.url)]
            async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
                world = await make_world(runtime, http, bidders=3)
                tender = await published_tender(runtime, http, world)
                await register_all(http, world)
                keys, sids = [], []
                for bidder, price in zip(
                    world.bidders, ["11000000.00", "10900000.00", "10800000.00"], strict=True
                ):
                    sealed = seal(tmp_path, tender, bidder, price=price)
                    assert (await upload(http, bidder, sealed)).status_code == 201
                    keys.append(file_key(sealed, bidder.identity))
                    sids.append(sealed.manifest.submission_id)
                others = {}
                for role in (Role.SUPERVISOR, Role.CUSTODIAN, Role.EXPERT, Role.ADMIN):
                    await make_user(runtime, f"u-{role.value}", role)
                    others[role] = await bearer(http, f"u-{role.value}")
                async with runtime.transaction() as session:
                    await session.execute(
                        update(Tender).values(bid_deadline=datetime.now(UTC) - timedelta(seconds=1))
                    )
                await wait_phase(http, "awaiting_host")
                assert (
                    await http.post(f"/api/tenders/{CODE}/opening/start", headers=world.agent)
                ).status_code == 200
                url = server.url.replace("http", "ws") + f"/ws/openings/{CODE}/1"
                async with (
                    connect(url) as public,
                    connect(url, additional_headers=world.bidders[0].headers) as first,
                    connect(url, additional_headers=world.bidders[1].headers) as second,
                    connect(url, additional_headers=world.agent) as host,
                ):
                    # Before the confirmation time, the service says so (the socket does not pretend).
                    early = await send(first, {"type": "confirm"})
                    assert (early["type"], early["error"]) == ("error", "not_confirming")
                    # The last key closes the decryption window early: the confirmation time begins.
                    for bidder, key in zip(world.bidders, keys, strict=True):
                        done = await http.post(
                            f"/api/tenders/{CODE}/lots/1/opening/key",
                            json={"file_key": key},
                            headers=bidder.headers,
                        )
                        assert done.status_code == 200, done.text
                    await wait_phase(http, "confirming")

                    # The role matrix of room messages: anonymous → unauthorized, wrong role → forbidden.
                    for action in ({"type": "confirm"}, {"type": "object", "reason": "x"},
                                   {"type": "answer", "submission_id": sids[0], "answer": "x"}):  # fmt: skip
                        refused = await send(public, action)
                        assert (refused["type"], refused["error"]) == ("error", "unauthorized"), refused
                    for role, headers in others.items():
                        async with connect(url, additional_headers=headers) as wrong:
                            for action in ("confirm", "object", "answer"):
                                refused = await send(wrong, {"type": action, "reason": "x"})
                                assert (refused["type"], refused["error"]) == ("error", "forbidden"), (
                                    role,
                                    refused,
                                )
                    refused = await send(first, {"type": "answer", "submission_id": sids[1], "answer": "x"})
                    assert refused["error"] == "forbidden"  # a bidder does not answer
                    refused = await send(host, {"type": "confirm"})
                    assert refused["error"] == "forbidden"  # the host does not confirm
                    assert (await send(host, {"type": "finish"}))["error"] == "unknown_message"

                    # A bidder confirms; another objects; everyone (the public too) sees it happen.
                    assert await send(first, {"type": "confirm"}) == {"type": "ok", "action": "confirm"}
                    assert (await event(public, "bidder.confirmed"))["data"]["bidder"] == "测试bidder10"
                    again = await send(first, {"type": "confirm"})
                    assert again["error"] == "already_answered"
                    bad = await send(second, {"type": "object", "reason": ""})
                    assert bad["error"] == "bad_reason"
                    assert (await send(second, {"type": "object", "reason": "报价计算有误"}))["type"] == "ok"
                    objection = await event(public, "objection")
                    assert objection["data"]["reason"] == "报价计算有误"
                    # Finishing is refused while an objection is unanswered; the host answers in the room.
                    early_finish = await http.post(
                        f"/api/tenders/{CODE}/lots/1/opening/finish", headers=world.agent
                    )
                    assert early_finish.status_code == 409
                    wrong_id = await send(
                        host, {"type": "answer", "submission_id": sids[0], "answer": "以唱标为准"}
                    )
                    assert wrong_id["error"] == "no_objection"
                    answered = await send(
                        host, {"type": "answer", "submission_id": sids[1], "answer": "以唱标为准"}
                    )
                    assert answered == {"type": "ok", "action": "answer"}
                    assert (await event(public, "answer"))["data"]["answer"] == "以唱标为准"
                finished = await http.post(f"/api/tenders/{CODE}/lots/1/opening/finish", headers=world.agent)
                assert finished.status_code == 200, finished.text
        async with runtime.sessions() as session:
            rows = list(await session.scalars(select(OpeningBid).order_by(OpeningBid.id)))
        assert [(r.confirmation, r.objection, r.answer) for r in rows] == [
            ("confirmed", None, None),
            ("objected", "报价计算有误", "以唱标为准"),
            (None, None, None),
        ]
    finally:
        await runtime.close()
