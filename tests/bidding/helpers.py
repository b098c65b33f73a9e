"""Builders for bidding tests: companies with keys, a published tender, sealed bids, uploads."""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from bidding.client import Sealed, seal_bid
from bidding.submissions import MANIFEST_HEADER, encode_manifest
from core import organisations
from core.credit_code import make_credit_code
from core.organisations import NewOrganisation
from core.roles import Role
from core.runtime import Runtime
from crypto.age import X25519Identity
from crypto.signing import public_key_to_text, signing_key_from_identity
from tests.support.factories import bearer, make_user, seed_regions

SECRET_FORM_TEXT = "绝密投标报价-SECRET-PLAINTEXT-7d3f"


def credit_code(n: int, region: str = "220281") -> str:
    return make_credit_code("9", "1", region, f"{n:08d}X")


@dataclass
class Bidder:
    username: str
    org_id: int
    code: str
    identity: X25519Identity
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def signing_key(self) -> Any:
        return signing_key_from_identity(self.identity)


@dataclass
class World:
    tenderer_org: int
    agent_org: int
    opening: X25519Identity
    agent: dict[str, str]
    tenderer: dict[str, str]
    supervisor: dict[str, str]
    bidders: list[Bidder]


async def _org(runtime: Runtime, n: int, kind: str, signing_key: str | None = None) -> int:
    async with runtime.transaction() as session:
        org = await organisations.register_organisation(
            session,
            runtime.clock,
            runtime.audit,
            NewOrganisation(
                credit_code(n), f"测试{kind}{n}", kind, "张三", "220281", signing_key=signing_key
            ),
        )
        return org.id


async def make_world(runtime: Runtime, client: Any, bidders: int = 2) -> World:
    await seed_regions(runtime)
    tenderer_org = await _org(runtime, 1, "tenderer")
    agent_org = await _org(runtime, 2, "agent")
    await make_user(runtime, "agent1", Role.AGENT, organisation_id=agent_org)
    await make_user(runtime, "tenderer1", Role.TENDERER, organisation_id=tenderer_org)
    await make_user(runtime, "super1", Role.SUPERVISOR)
    made = []
    for i in range(bidders):
        identity = X25519Identity.generate()
        key = public_key_to_text(signing_key_from_identity(identity).public_key())
        org_id = await _org(runtime, 10 + i, "bidder", key)
        name = f"bidder{i}"
        await make_user(runtime, name, Role.BIDDER, organisation_id=org_id)
        made.append(Bidder(name, org_id, credit_code(10 + i), identity, await bearer(client, name)))
    return World(
        tenderer_org,
        agent_org,
        X25519Identity.generate(),
        await bearer(client, "agent1"),
        await bearer(client, "tenderer1"),
        await bearer(client, "super1"),
        made,
    )


def tender_body(runtime: Runtime, world: World, code: str = "JLZB-2026-001", **over: Any) -> dict[str, Any]:
    now = runtime.clock.now()
    body = {
        "code": code,
        "title": "吉林市北山公园改造工程",
        "category": "construction",
        "method": "open",
        "region_code": "220281",
        "tenderer_id": world.tenderer_org,
        "budget": "12000000.00",
        "ceiling_price": "11500000.00",
        "bond_amount": "0.00",  # no bid bond asked: a bid without one passes (tests/guarantees ask one)
        "registration_start": now.isoformat(),
        "registration_end": (now + timedelta(days=10)).isoformat(),
        "clarification_deadline": (now + timedelta(days=15)).isoformat(),
        "bid_deadline": (now + timedelta(days=21)).isoformat(),
        "opening_recipient": world.opening.recipient().to_str(),
        "max_envelope_mib": 4,
    }
    body.update(over)
    return body


async def published_tender(
    runtime: Runtime, client: Any, world: World, code: str = "JLZB-2026-001", **over: Any
) -> dict[str, Any]:
    created = await client.post(
        "/api/tenders", json=tender_body(runtime, world, code, **over), headers=world.agent
    )
    assert created.status_code == 201, created.text
    done = await client.post(f"/api/tenders/{code}/publish", headers=world.agent)
    assert done.status_code == 200, done.text
    return dict(done.json())


async def register_all(client: Any, world: World, code: str = "JLZB-2026-001") -> None:
    for bidder in world.bidders:
        response = await client.post(f"/api/tenders/{code}/registration", headers=bidder.headers)
        assert response.status_code == 201, response.text


def seal(
    tmp_path: Path,
    tender: dict[str, Any],
    bidder: Bidder,
    *,
    price: str = "11000000.00",
    lot: str = "1",
    supersedes: str | None = None,
    attachment: bytes = b"",
    submission_id: str | None = None,
    project_manager: str = "李四",
) -> Sealed:
    form = {
        "price": price,
        "duration_days": 365,
        "quality": f"合格 {SECRET_FORM_TEXT}",
        "project_manager": project_manager,
    }
    attachments = []
    if attachment:
        path = tmp_path / f"att-{uuid.uuid4().hex[:6]}.bin"
        path.write_bytes(attachment)
        attachments.append(path)
    return seal_bid(
        tender=tender,
        lot=lot,
        form=form,
        attachments=attachments,
        identity=bidder.identity,
        signing_key=bidder.signing_key,
        bidder=bidder.code,
        out=tmp_path / f"bid-{uuid.uuid4().hex[:8]}.age",
        submission_id=submission_id,
        supersedes=supersedes,
        above_ok=True,  # some tests bid above the ceiling on purpose: the opening's rejection
    )


def upload_path(sealed: Sealed) -> str:
    m = sealed.manifest
    return f"/api/tenders/{m.tender}/lots/{m.lot}/submissions/{m.submission_id}"


async def upload(client: Any, bidder: Bidder, sealed: Sealed, body: bytes | None = None) -> Any:
    return await client.put(
        upload_path(sealed),
        content=sealed.envelope.read_bytes() if body is None else body,
        headers={**bidder.headers, MANIFEST_HEADER: encode_manifest(sealed.signed)},
    )


def plaintext_of(sealed: Sealed, identity: X25519Identity) -> bytes:
    from crypto.age import decrypt

    out = io.BytesIO()
    with sealed.envelope.open("rb") as fh:
        decrypt(fh, out, [identity])
    return out.getvalue()
