"""Registration behind the credit gate, logged downloads, and the role matrix of bidding's routes."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from litestar import Litestar
from sqlalchemy import func, select

from bidding import registration
from bidding.models import DocumentDownload, Registration
from core.accounts import principal_of
from core.clock import ManualClock
from core.errors import PermissionDenied
from core.models import User
from core.roles import Role
from core.runtime import Runtime
from tests.bidding.helpers import make_world, published_tender, tender_body
from tests.support.credit import StandingsOnly, credit_serving
from tests.support.factories import bearer, make_user
from tests.web.test_role_matrix import protected_routes

OURS = (
    "/api/tenders",
    "/api/notices",
    "/api/submissions",
    "/api/receipts",
    "/tenders",
    "/notices",
    "/bidder",
    "/agent",
)


@dataclass
class FakeStanding:
    index: Decimal
    barred: bool


def fake(index: str, barred: bool = False) -> Any:
    async def standings(session, kind, keys, day):  # type: ignore[no-untyped-def]
        assert kind == "bidder"
        return {key: FakeStanding(Decimal(index), barred) for key in keys}

    return credit_serving(StandingsOnly(standings))


async def test_the_credit_gate_decides_through_the_credit_port(
    runtime: Runtime, client, clock: ManualClock
) -> None:  # type: ignore[no-untyped-def]
    world = await make_world(runtime, client, bidders=1)
    await published_tender(runtime, client, world, min_credit_index="70")
    bidder = world.bidders[0]
    async with runtime.transaction() as session:
        user = await session.scalar(select(User).where(User.username == bidder.username))
        assert user is not None
        principal = principal_of(user, 0)
        with fake("65.5"), pytest.raises(PermissionDenied) as low:
            await registration.register(session, runtime, principal, "JLZB-2026-001")
        assert low.value.code == "credit_too_low"
        with fake("99", True), pytest.raises(PermissionDenied) as barred:
            await registration.register(session, runtime, principal, "JLZB-2026-001")
        assert barred.value.code == "credit_barred"
        with fake("70"):
            done = await registration.register(session, runtime, principal, "JLZB-2026-001")
        assert done.credit_index == Decimal("70")
    # Through the API the real credit module answers: a fresh company stands at 100.
    response = await client.post("/api/tenders/JLZB-2026-001/registration", headers=bidder.headers)
    assert response.status_code == 201
    clock.advance(days=11)
    other = await client.post("/api/tenders/JLZB-2026-001/registration", headers=world.agent)
    assert other.status_code == 403


async def test_without_credit_the_gate_has_nothing_to_check(runtime: Runtime, client) -> None:  # type: ignore[no-untyped-def]
    """A platform without the credit context: the bidder registers, and no index is kept."""
    world = await make_world(runtime, client, bidders=1)
    await published_tender(runtime, client, world, min_credit_index="70")
    with credit_serving(None):
        response = await client.post(
            "/api/tenders/JLZB-2026-001/registration", headers=world.bidders[0].headers
        )
    assert response.status_code == 201
    async with runtime.sessions() as session:
        kept = await session.scalar(select(Registration.credit_index))
    assert kept is None


async def test_documents_download_only_after_registration_and_every_download_is_logged(
    runtime: Runtime, client
) -> None:  # type: ignore[no-untyped-def]
    world = await make_world(runtime, client, bidders=1)
    await client.post(
        "/api/tenders",
        json=tender_body(runtime, world),
        headers=world.agent,
    )
    content = "招标文件正文".encode() * 1000
    stored = await client.put(
        "/api/tenders/JLZB-2026-001/documents/招标文件.pdf", content=content, headers=world.agent
    )
    assert stored.status_code == 201, stored.text
    await client.post("/api/tenders/JLZB-2026-001/publish", headers=world.agent)
    doc = (await client.get("/api/tenders/JLZB-2026-001")).json()["documents"][0]
    path = f"/api/tenders/JLZB-2026-001/documents/{doc['id']}"
    bidder = world.bidders[0]
    assert (await client.get(path, headers=bidder.headers)).json()["error"] == "not_registered"
    await client.post("/api/tenders/JLZB-2026-001/registration", headers=bidder.headers)
    got = await client.get(path, headers=bidder.headers)
    assert (
        got.status_code == 200 and got.content == content and got.headers["x-content-sha256"] == doc["sha256"]
    )
    assert (await client.get(path, headers=world.tenderer)).status_code == 200
    async with runtime.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(DocumentDownload)) == 2


async def test_role_matrix_of_bidding_routes(runtime: Runtime, app: Litestar, client) -> None:  # type: ignore[no-untyped-def]
    routes = [r for r in protected_routes(app) if r[1].startswith(OURS)]
    assert len(routes) >= 10
    tokens = {}
    for role in Role:
        name = f"m-{role.value.replace('_', '-')}"
        await make_user(runtime, name, role)
        tokens[role] = await bearer(client, name)
    failures = []
    for method, path, allowed in routes:
        if (await client.request(method, path, json={})).status_code != 401:
            failures.append(f"{method} {path} logged out")
        for role in set(Role) - set(allowed):
            response = await client.request(method, path, json={}, headers=tokens[role])
            if response.status_code != 403:
                failures.append(f"{method} {path} as {role.value} -> {response.status_code}")
    assert not failures, failures


async def test_document_names_a_computer_cannot_save_are_refused_naming_the_field(
    runtime: Runtime, client
) -> None:  # type: ignore[no-untyped-def]
    world = await make_world(runtime, client, bidders=0)
    await client.post("/api/tenders", json=tender_body(runtime, world), headers=world.agent)
    for name in (
        "a%00b",
        "a%0Ab.pdf",
        "a%5Cb.pdf",
        "CON",
        "nul.txt",
        "LPT1.pdf",
        "x" * 121,
        "%E2%80%AEfdp.exe",
        "a%3Fb",
    ):
        response = await client.put(
            f"/api/tenders/JLZB-2026-001/documents/{name}", content=b"x", headers=world.agent
        )
        assert response.status_code == 422, (name, response.text)
        assert response.json()["error"] == "bad_document_name" and "name" in response.json()["detail"]
    ok = await client.put(
        "/api/tenders/JLZB-2026-001/documents/合同条款 (CON).pdf", content=b"x", headers=world.agent
    )
    assert ok.status_code == 201, ok.text


def test_document_name_refuses_dot_segments_and_keeps_a_plain_name() -> None:
    from bidding.documents import document_name
    from core.errors import InvalidInput

    for name in (".", "..", "", "  ", "a/b", "报价."):
        with pytest.raises(InvalidInput) as refused:
            document_name(name)
        assert refused.value.code == "bad_document_name"
    assert document_name(" 招标文件.pdf ") == "招标文件.pdf"


async def test_registrations_and_downloads_are_for_supervisors_and_the_bid_count_public_from_the_opening(
    runtime: Runtime, client, clock: ManualClock
) -> None:  # type: ignore[no-untyped-def]
    from bidding import opening

    world = await make_world(runtime, client, bidders=2)
    await client.post("/api/tenders", json=tender_body(runtime, world), headers=world.agent)
    await client.put("/api/tenders/JLZB-2026-001/documents/招标文件.pdf", content=b"doc", headers=world.agent)
    await client.post("/api/tenders/JLZB-2026-001/publish", headers=world.agent)
    alice, bob = world.bidders
    await client.post("/api/tenders/JLZB-2026-001/registration", headers=alice.headers)
    doc = (await client.get("/api/tenders/JLZB-2026-001")).json()["documents"][0]
    await client.get(f"/api/tenders/JLZB-2026-001/documents/{doc['id']}", headers=alice.headers)
    path = "/api/tenders/JLZB-2026-001/registrations"
    for who in (world.agent, world.tenderer, bob.headers, alice.headers):
        assert (await client.get(path, headers=who)).status_code == 403
    assert (await client.get(path)).status_code == 401
    seen = (await client.get(path, headers=world.supervisor)).json()
    assert [r["bidder"] for r in seen["registrations"]] == [alice.code]
    assert [(d["document"], d["organisation"]) for d in seen["downloads"]] == [("招标文件.pdf", alice.code)]
    # Nothing public names or counts them: the tender, its page and the public log.
    public = (await client.get("/api/tenders/JLZB-2026-001")).text
    page = (await client.get("/tenders/JLZB-2026-001", headers={"accept": "text/html"})).text
    entries = (await client.get("/api/audit/entries?limit=500")).json()
    log = " ".join(e["entry"] for e in entries if "JLZB-2026-001" in e["entry"])  # the tender's entries
    for text in (public, page, log):
        assert alice.code not in text and "测试bidder10" not in text
    assert "bid_count" not in (await client.get("/api/tenders/JLZB-2026-001")).json()
    # From the opening on, the number of bids is public (none here: the count says 0).
    clock.advance(days=21, seconds=1)
    assert await opening.open_due(runtime) == ["JLZB-2026-001"]
    counted = await client.get("/api/tenders/JLZB-2026-001/bid-count")
    assert counted.status_code == 200 and counted.json()["bids"] == 0
    assert (await client.get("/api/tenders/JLZB-2026-001")).json()["bid_count"] == 0
