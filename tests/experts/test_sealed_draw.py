"""A sealed draw stays sealed: while the names are sealed, nothing the public can fetch (the audit log
over its API, its page, its table and its live stream; the draw's own public routes; the open-data
feed) carries the seed, the server secret, a contribution, a salt or any expert's code. At award the
document is published and ``sunbid draw verify`` opens every earlier commitment with it."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

from litestar.channels import Subscriber
from sqlalchemy import select

from core.audit import CHANNEL as AUDIT_CHANNEL
from core.audit import seal
from core.clock import ManualClock
from core.models import AuditEntry
from core.roles import Role
from core.runtime import Runtime
from experts import registry, service
from experts.models import Expert
from experts.verify import audit_bodies, verify
from tests.experts.conftest import add_experts
from tests.experts.helpers import AGENT, BIDDER, TENDERER
from tests.support.factories import bearer, make_user, seed_regions

# Distinctive, so finding one in a response cannot be a coincidence.
SUPERVISOR_VALUE, TENDERER_VALUE = "sup-contribution-7f3a91", "ten-contribution-5c2e44"


def draw_body(clock: ManualClock) -> dict[str, Any]:
    return {
        "tender_ref": "JLGC-2026-0200", "tenderer_code": TENDERER, "tenderer_county": "220202",
        "agent_code": AGENT, "bidder_codes": [BIDDER],
        "evaluation_date": (clock.now().date() + timedelta(days=2)).isoformat(),
        "slots": [{"specialty": "A0101", "experts": 2, "alternates": 2}],
    }  # fmt: skip


async def sealed_values(runtime: Runtime, draw_id: int, codes: list[str]) -> dict[str, str]:
    """Everything that must not be public while the names are sealed, by what it is."""
    async with runtime.sessions() as session:
        found = await service.get_draw(session, draw_id)
        salts = await session.scalars(select(Expert.link_salt).where(Expert.code.in_(codes)))
        assert found.seed and found.secret and found.name_salt
        values = {"seed": found.seed, "server secret": found.secret, "name salt": found.name_salt}
        for c in found.contributions:
            values[f"{c['role']} contribution"] = c["value"]
            if c.get("salt"):
                values[f"{c['role']} contribution salt"] = c["salt"]
        values.update({f"link salt {n}": s for n, s in enumerate(salts) if s})
    values.update({f"expert code {code}": code for code in codes})
    return values


async def audit_table_since(runtime: Runtime, position: int) -> bytes:
    """Every column of the audit table (all of them are public) from ``position`` on, as bytes."""
    async with runtime.sessions() as session:
        rows = await session.scalars(select(AuditEntry).where(AuditEntry.position >= position))
        columns = (
            (str(r.position), r.created_at.isoformat(), r.kind, r.entry, r.leaf_hash.hex(), r.root.hex(),
             r.checkpoint)
            for r in rows
        )  # fmt: skip
        return "\n".join("|".join(c) for c in columns).encode()


async def public_surfaces(
    client: Any, runtime: Runtime, draw_id: int, since: int, headers: dict[str, str]
) -> dict[str, bytes]:
    """What a caller with ``headers`` (none: anonymous) can read about the draw, raw."""
    got: dict[str, bytes] = {}
    for path in (
        f"/api/audit/entries?after={since - 1}&limit=1000",
        "/audit",
        f"/api/experts/draws/{draw_id}",
        f"/api/experts/draws/{draw_id}/committee",
        f"/api/experts/draws/{draw_id}/document",
        "/api/feed",
        "/api/ocds/releases",
    ):
        response = await client.get(path, headers=headers)
        assert response.status_code < 500, (path, response.text)
        got[path] = response.content
    got["/audit"] = b"".join(  # the page also lists the pool's (public) registrations: only later rows
        row for row in got["/audit"].split(b"<tr><td>")[1:] if int(row.split(b"<", 1)[0]) >= since
    )
    assert b"experts.draw.contributed" in got["/audit"]
    assert json.loads(got[f"/api/experts/draws/{draw_id}/document"])["error"] == "forbidden"
    got["audit table"] = await audit_table_since(runtime, since)
    return got


async def collect(stream: Subscriber, into: list[bytes]) -> None:
    async for message in stream.iter_events():
        into.append(message if isinstance(message, bytes) else str(message).encode())


def leaks(surfaces: dict[str, bytes], sealed: dict[str, str]) -> list[tuple[str, str]]:
    found = ((where, what, value) for where, raw in surfaces.items() for what, value in sealed.items())
    return [(where, what) for where, what, value in found if value.encode() in surfaces[where]]


async def test_nothing_public_names_a_sealed_draw_until_award_then_the_document_verifies(
    runtime: Runtime, client: Any, clock: ManualClock
) -> None:
    await seed_regions(runtime)
    codes = await add_experts(runtime, 8)  # their registration is public (the pool is), so scan after it
    for role in (Role.SUPERVISOR, Role.TENDERER):
        await make_user(runtime, role.value, role)
    async with runtime.sessions() as session:
        since = await runtime.audit.size(session)
    # What /ws/audit forwards, verbatim, to anyone watching: the audit channel's messages.
    assert runtime.channels is not None
    frames: list[bytes] = []
    stream = await runtime.channels.subscribe([AUDIT_CHANNEL])
    listening = asyncio.create_task(collect(stream, frames))
    usernames = {}
    for n, code in enumerate(codes):  # neutral usernames: the account must not spell the code
        usernames[code] = f"expert{n}"
        user_id = await make_user(runtime, usernames[code], Role.EXPERT)
        async with runtime.transaction() as session:
            await registry.link_user(session, runtime, code, user_id, actor="test")
    sup, ten = await bearer(client, "supervisor"), await bearer(client, "tenderer")

    draw_id = (await client.post("/api/experts/draws", json=draw_body(clock), headers=sup)).json()["id"]
    assert (await client.post(f"/api/experts/draws/{draw_id}/commit", headers=sup)).status_code == 200
    contributed = await client.post(
        f"/api/experts/draws/{draw_id}/contributions", json={"value": SUPERVISOR_VALUE}, headers=sup
    )
    assert contributed.status_code == 200
    tenderers_view = await client.post(
        f"/api/experts/draws/{draw_id}/contributions", json={"value": TENDERER_VALUE}, headers=ten
    )
    assert tenderers_view.status_code == 200
    ran = await client.post(f"/api/experts/draws/{draw_id}/run", headers=sup)
    assert ran.status_code == 200 and ran.json()["seed"]  # the supervisor running the draw sees it

    # Every invited expert answers from their own account: the first declines, which calls an alternate.
    declined = False
    while True:
        async with runtime.sessions() as session:
            waiting = await service.open_invitations(session, draw_id)
        if not waiting:
            break
        for invitation, code in waiting:
            answer = {"accept": True} if declined else {"accept": False, "reason": "出差"}
            declined = True
            response = await client.post(
                f"/api/experts/me/invitations/{invitation}/respond",
                json=answer,
                headers=await bearer(client, usernames[code]),
            )
            assert response.status_code == 200, response.text
    async with runtime.sessions() as session:
        assert (await service.get_draw(session, draw_id)).state == "complete"
        kinds = list(await session.scalars(select(AuditEntry.kind).where(AuditEntry.position >= since)))
    assert {
        "experts.user_linked", "experts.invitation.sent", "experts.invitation.declined",
        "experts.invitation.confirmed", "experts.draw.contributed", "experts.draw.drawn",
    } <= set(kinds)  # fmt: skip

    sealed = await sealed_values(runtime, draw_id, codes)
    surfaces = await public_surfaces(client, runtime, draw_id, since, {})
    surfaces["tenderer's contribution reply"] = tenderers_view.content
    for path, raw in (await public_surfaces(client, runtime, draw_id, since, ten)).items():
        surfaces[f"tenderer: {path}"] = raw
    for _ in range(100):  # messages go out after each commit; wait until they all arrived
        if len(frames) >= len(kinds):
            break
        await asyncio.sleep(0.05)
    listening.cancel()
    await runtime.channels.unsubscribe(stream)
    surfaces["/ws/audit"] = b"\n".join(frames)
    assert len(frames) >= len(kinds)  # the stream did carry the draw's entries as they were made
    assert leaks(surfaces, sealed) == []

    # Evaluation starts: the committee sees itself; the public still sees nothing more.
    async with runtime.transaction() as session:
        await service.unseal_for_evaluation(session, runtime, draw_id)
    assert leaks(await public_surfaces(client, runtime, draw_id, since, {}), sealed) == []

    # Award: the names are public, and with them everything that opens the earlier commitments.
    async with runtime.transaction() as session:
        await service.publish_names(session, runtime, draw_id)
    document = await client.get(f"/api/experts/draws/{draw_id}/document")
    assert document.status_code == 200
    doc = document.json()
    entries = (await client.get(f"/api/audit/entries?after={since - 1}&limit=1000")).json()
    bodies = audit_bodies(entries)
    verdict = verify(doc, bodies)
    assert verdict.ok, verdict.checks
    assert doc["seed"]["seed"] == sealed["seed"] and ("audit_log", True, "ok") in verdict.checks
    published = next(b for b in bodies if b["kind"] == "experts.draw.published")["data"]
    assert published["seed"] == sealed["seed"] and published["server_secret"] == sealed["server secret"]
    # The experts.user_linked entries of the members open with the salts revealed at award.
    linked = {b["data"]["expert"] for b in bodies if b["kind"] == "experts.user_linked"}
    assert published["members"] and all(
        seal(m["code"], bytes.fromhex(m["link_salt"])) in linked for m in published["members"]
    )

    forged = json.loads(document.content)
    forged["seed"]["seed"] = "00" * 32  # a seed other than the one committed at the draw
    failed = [name for name, ok, _ in verify(forged, bodies).checks if not ok]
    assert {"seed", "seed_commitment"} <= set(failed)
