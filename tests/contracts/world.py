"""A lot awarded the way production awards it (tests/disputes' publicity, then evaluation's award), with
the tenderer's signing key registered; helpers to sign as a party."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import update

from contracts.rules import signing_message
from core.clock import ManualClock
from core.models import Organisation
from core.runtime import Runtime
from crypto.signing import public_key_to_text
from evaluation import service as evaluation
from tests.bidding.helpers import Bidder
from tests.disputes.world import CODE, in_publicity
from tests.evaluation.world import EvalWorld, api_headers

__all__ = ["CODE", "Awarded", "awarded", "sign"]


@dataclass
class Awarded:
    ew: EvalWorld
    tenderer_key: Ed25519PrivateKey
    winner: Bidder
    heads: dict[str, dict[str, str]]  # username → API headers

    @property
    def bidders(self) -> list[Bidder]:
        return self.ew.bidding.bidders


async def awarded(runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path) -> Awarded:
    """Lot 1 of CODE awarded to the first candidate (bidder0, the lowest price) after its publicity."""
    ew = await in_publicity(runtime, client, clock, tmp_path)
    clock.advance(days=3, seconds=1)
    async with runtime.transaction() as session:
        done = await evaluation.award(session, runtime, ew.agent, f"{CODE}-1")
    key = Ed25519PrivateKey.generate()
    async with runtime.transaction() as session:
        await session.execute(
            update(Organisation)
            .where(Organisation.id == ew.bidding.tenderer_org)
            .values(signing_key=public_key_to_text(key.public_key()))
        )
    winner = next(b for b in ew.bidding.bidders if b.code == done.winner)
    heads = {name: await api_headers(runtime, name) for name in ("tenderer1", "agent1", "supervisor9")}
    for bidder in ew.bidding.bidders:
        heads[bidder.username] = await api_headers(runtime, bidder.username)
    return Awarded(ew, key, winner, heads)


def sign(digest: str, key: Any) -> str:
    return base64.b64encode(key.sign(signing_message(digest))).decode("ascii")


DAY = timedelta(days=1)
