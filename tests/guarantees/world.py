"""A tender with bids coming in, two guarantors (an insurer and a bank) with registered Ed25519 keys,
and the helpers to sign a guarantee statement the way a guarantor's system does."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bidding import service as bidding
from core import organisations
from core.clock import as_utc
from core.organisations import NewOrganisation
from core.roles import Role
from core.runtime import Runtime
from crypto.signing import generate_private_key, public_key_to_text, sign_statement
from guarantees.service import GUARANTEE_TYPE
from tests.bidding.helpers import World, credit_code, make_world, published_tender, register_all
from tests.support.factories import bearer, make_user

CODE = "JLZB-2026-001"
LOT_BUDGET = "12000000.00"  # the lot's estimated price: 2% is 240 000.00
BOND = "200000.00"  # the tender asks every bid for this bond (Art. 26: within 2% of the lot)
BID_VALIDITY = timedelta(days=90)


@dataclass
class Guarantor:
    org_id: int
    code: str
    key: Ed25519PrivateKey
    headers: dict[str, str]


@dataclass
class GWorld:
    world: World
    tender: dict[str, Any]
    deadline: datetime
    insurer: Guarantor
    bank: Guarantor


async def guarantor(runtime: Runtime, client: Any, n: int, name: str) -> Guarantor:
    key = generate_private_key()
    async with runtime.transaction() as session:
        org = await organisations.register_organisation(
            session,
            runtime.clock,
            runtime.audit,
            NewOrganisation(
                credit_code(n),
                name,
                "guarantor",
                "王五",
                "220281",
                signing_key=public_key_to_text(key.public_key()),
            ),
        )
        org_id = org.id
    username = f"guarantor{n}"
    await make_user(runtime, username, Role.GUARANTOR, organisation_id=org_id)
    return Guarantor(org_id, credit_code(n), key, await bearer(client, username))


async def make_gworld(runtime: Runtime, client: Any, bidders: int = 3) -> GWorld:
    world = await make_world(runtime, client, bidders=bidders)
    tender = await published_tender(runtime, client, world, bond_amount=BOND)
    await register_all(client, world)
    async with runtime.sessions() as session:
        deadline = as_utc((await bidding.tender_by_code(session, CODE)).bid_deadline)
    insurer = await guarantor(runtime, client, 50, "中国人民财产保险股份有限公司吉林市分公司")
    bank = await guarantor(runtime, client, 51, "吉林银行股份有限公司吉林分行")
    return GWorld(world, tender, deadline, insurer, bank)


def statement(gw: GWorld, who: Guarantor, bidder: str, **over: Any) -> dict[str, Any]:
    body = {
        "type": GUARANTEE_TYPE,
        "guarantor": who.code,
        "kind": "guarantee_insurance",
        "tender": CODE,
        "lot": "1",
        "bidder": bidder,
        "amount": "200000.00",
        "valid_until": (gw.deadline + BID_VALIDITY).isoformat(),
        "reference": f"REF-{bidder[-6:]}",
    }
    body.update(over)
    return body


def signed(
    gw: GWorld, who: Guarantor, bidder: str, *, key: Ed25519PrivateKey | None = None, **over: Any
) -> dict[str, Any]:
    return sign_statement(statement(gw, who, bidder, **over), key or who.key).to_dict()


async def issue(client: Any, who: Guarantor, document: dict[str, Any]) -> Any:
    return await client.post("/api/guarantees", json={"document": document}, headers=who.headers)
