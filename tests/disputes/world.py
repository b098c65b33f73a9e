"""Tenders at the two moments objections are about: bids coming in (documents) and the candidates'
publicity (result), reached the way production reaches them (tests/evaluation's flow)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.clock import ManualClock
from core.runtime import Runtime
from evaluation import service as evaluation
from tests.bidding.helpers import World, make_world, published_tender, register_all, seal, upload
from tests.evaluation.test_service import (
    act,
    score_all,
    sign,
    started,
    through_reviews,
    through_sign_in,
    view,
)
from tests.evaluation.world import CODE, EvalWorld

__all__ = ["CODE", "bidding_tender", "in_publicity"]


async def bidding_tender(
    runtime: Runtime, client: Any, tmp_path: Path, bidders: int = 3
) -> tuple[World, dict[str, Any]]:
    """A published tender (deadline 21 days on), every bidder registered and its bid sealed and uploaded."""
    world = await make_world(runtime, client, bidders=bidders)
    tender = await published_tender(runtime, client, world)
    await register_all(client, world)
    for bidder in world.bidders:
        response = await upload(client, bidder, seal(tmp_path, tender, bidder))
        assert response.status_code == 201, response.text
    return world, tender


async def in_publicity(runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path) -> EvalWorld:
    """Lot 1 evaluated, its report signed by every member, and its candidates in publicity (3 days)."""
    ew = await started(runtime, client, clock, tmp_path)
    members = await through_sign_in(ew)
    chair = members[1]
    await through_reviews(ew, members, chair)
    await score_all(ew, members)
    await act(ew, chair, action="advance")
    digest = (await view(ew, ew.people[chair]))["report_digest"]
    for code in members:
        await act(ew, code, action="sign", signature=sign(ew, code, digest))
    async with runtime.transaction() as session:
        await evaluation.publish_publicity(session, runtime, ew.agent, f"{CODE}-1")
    return ew
