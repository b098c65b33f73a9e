"""The statistics count BIDS by how they were secured: a bid whose guarantee verifies counts once as
guaranteed (its status since, a claim, does not undo that), a bid with a cash deposit as cash; a
guarantee with no bid behind it, or one that fails verification, counts for nothing. A small lot:
four bidders, three bid."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bidding import opening
from core.clock import ManualClock
from core.runtime import Runtime
from guarantees import service
from guarantees.models import Guarantee
from tests.bidding.helpers import seal, upload
from tests.bidding.test_opening import file_key, host_starts, past_deadline, principal
from tests.guarantees.world import CODE, issue, make_gworld, signed


async def test_bids_not_guarantees_are_counted(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    gw = await make_gworld(runtime, client, bidders=4)
    b0, b1, b2, b3 = gw.world.bidders
    good = (await issue(client, gw.insurer, signed(gw, gw.insurer, b0.code))).json()["number"]
    altered = (await issue(client, gw.bank, signed(gw, gw.bank, b1.code, kind="guarantee_letter"))).json()
    unused = await issue(client, gw.bank, signed(gw, gw.bank, b3.code, amount="150000.00"))
    assert unused.status_code == 201  # b3 never bids: its guarantee secures nothing
    cash = await client.post(
        f"/api/tenders/{CODE}/lots/1/deposits",
        json={"bidder": b2.code, "amount": "200000.00", "payer_account": "6222 0000 1111 2222"},
        headers=gw.world.supervisor,
    )
    assert cash.status_code == 201, cash.text
    async with runtime.transaction() as session:
        row = await session.scalar(select(Guarantee).where(Guarantee.number == altered["number"]))
        assert row is not None
        row.document = row.document.replace('"amount":"200000.00"', '"amount":"250000.00"')
    bids = []
    for bidder, price in zip((b0, b1, b2), ["11000000.00", "10800000.00", "10950000.00"], strict=True):
        one = seal(tmp_path, gw.tender, bidder, price=price)
        assert (await upload(client, bidder, one)).status_code == 201
        bids.append(one)
    async with runtime.sessions() as session:
        before = await service.bond_statistics(session, [CODE])
    assert (before.guarantees, before.deposits) == (0, 0)  # no opening yet: no bid counted
    await past_deadline(runtime, clock)
    await host_starts(runtime)
    for bidder, one in zip((b0, b1, b2), bids, strict=True):
        who = await principal(runtime, bidder.username)
        await opening.reveal_key(runtime, who, CODE, "1", file_key(one, bidder.identity))
    # the guarantee b0's bid rests on is claimed later: the bid was still secured by it
    async with runtime.transaction() as session:
        row = await session.scalar(select(Guarantee).where(Guarantee.number == good))
        assert row is not None
        row.status = "claimed"
    async with runtime.sessions() as session:
        stats = await service.bond_statistics(session, [CODE])
        everything = await service.bond_statistics(session)
        by_tender = await service.bonds_by_tender(session, [CODE])
    # b0: guaranteed; b1: its guarantee fails and it paid no cash: neither; b2: cash; b3: no bid
    assert (stats.guarantees, stats.deposits) == (1, 1)
    assert stats.guarantee_share == Decimal("0.5000")
    assert stats.guaranteed_amount == Decimal("200000.00")  # not b3's 150 000, not b1's
    assert stats.deposits_held == Decimal("200000.00")
    assert everything == stats
    tender = by_tender[CODE]
    assert (tender.guarantees, tender.deposits, tender.guaranteed_amount) == (1, 1, Decimal("200000.00"))
