"""The demo's guarantee half: an insurer and a bank with guarantees on the open demo tenders, a late
refund (red), and the live opening's bonds with one guarantee short of the bond; idempotent."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from bidding import opening
from bidding.jobs import JOBS
from bidding.models import Opening, Tender
from bidding.service import opened_bids
from core import rooms
from core.clock import ManualClock
from core.models import Organisation, User
from core.runtime import Runtime
from core.scheduler import Scheduler
from crypto.signing import SignedStatement, verify_statement
from demo import JOBS as DEMO_JOBS
from demo import opening as demo_opening
from demo import seed_demo
from demo.seeds import guarantees as demo_guarantees
from guarantees import service
from guarantees.models import Guarantee


async def test_the_demo_seeds_guarantors_guarantees_and_a_late_refund(runtime: Runtime, client: Any) -> None:
    report = await seed_demo(runtime)
    counts = report.contexts["guarantees"]
    # 6 on the open tenders; on the opened ones (005, 006, 007, 009) 9 guarantees and 3 more deposits
    assert counts == {"guarantors": 2, "guarantees": 15, "deposits": 5}
    async with runtime.sessions() as session:
        kinds = list(await session.scalars(select(Organisation.name).where(Organisation.kind == "guarantor")))
        late = await service.refund_obligations(session, runtime)
    assert any("保险" in k for k in kinds) and any("银行" in k for k in kinds)
    assert [d.warning for d in late] == ["red", "red"]
    assert (await demo_guarantees.seed(runtime, 220200)) == {"guarantors": 0, "guarantees": 0, "deposits": 0}
    # an opened tender's guarantee (its opening record is published) shows its status to anyone; one on a
    # tender still taking bids shows only that it exists
    async with runtime.sessions() as session:
        opened, still_open = [
            await session.scalar(select(Guarantee.number).where(Guarantee.tender_code == code).limit(1))
            for code in ("JLGGZY-2026-005", "JLGGZY-2026-001")
        ]
    seen = (await client.get(f"/api/guarantees/{opened}")).json()
    assert seen["opened"] and seen["status"] == "valid" and seen["tender"] == "JLGGZY-2026-005"
    assert (await client.get(f"/api/guarantees/{still_open}")).json()["status"] is None


async def test_the_demo_live_opening_shows_a_bidders_guarantee_failing(
    runtime: Runtime, client: Any, clock: ManualClock
) -> None:
    """The whole demo (恒通市政 barred by its credit record), its live opening played by the real jobs:
    the 唱标 table, the opening page and the signed record show one bidder's guarantee failing."""
    await seed_demo(runtime)
    scheduler = Scheduler(runtime, [*JOBS, *DEMO_JOBS])
    started, phase = clock.now(), None
    while phase not in (opening.CLOSED, opening.FAILED) and clock.now() - started < timedelta(minutes=10):
        await scheduler.run_due()
        async with runtime.sessions() as session:
            code = await session.scalar(
                select(Tender.code).where(Tender.code.like(f"{demo_opening.LIVE_PREFIX}%"))
            )
            phase = await session.scalar(
                select(Opening.phase).join(Tender, Tender.id == Opening.tender_id).where(Tender.code == code)
            )
        clock.advance(seconds=1)
    assert code is not None and phase == opening.CLOSED
    async with runtime.sessions() as session:
        events = await rooms.events_after(session, opening.room_name(code, "1"), 0)
        company = {
            u.username: await session.scalar(
                select(Organisation.credit_code).where(Organisation.id == u.organisation_id)
            )
            for u in await session.scalars(select(User).where(User.username.like("bidder%")))
        }
        stored = await session.scalar(
            select(Opening.record).join(Tender, Tender.id == Opening.tender_id).where(Tender.code == code)
        )
        bids = {b.bidder_code: b for b in await opened_bids(session, code, "1")}
    table = {
        row["bidder_code"]: row for row in (json.loads(e.payload) for e in events if e.kind == "table.row")
    }
    # the three that bid: 宏达 (the insurer's guarantee), 鑫源 (the bank's, half the bond), 天宇 (cash)
    assert set(table) == {company["bidder"], company["bidder2"], company["bidder4"]}
    good, short, cash = (table[company[u]] for u in ("bidder", "bidder2", "bidder4"))
    assert good["bond_verified"] is True and "保证保险" in good["bond"] and "80,000.00" in good["bond"]
    assert short["bond_verified"] is False and "低于要求的 80,000.00 元" in short["bond"]
    assert cash["bond_verified"] is True and "现金保证金已到账" in cash["bond"]
    # the public opening page shows the failure's reason; the signed record keeps it; evaluation sees it
    page = await client.get(f"/tenders/{code}/opening")
    assert page.status_code == 200 and "低于要求的 80,000.00 元" in page.text
    record = verify_statement(SignedStatement(**json.loads(stored or "{}")), runtime.audit.signer.public_key)
    in_record = {row["bidder_code"]: row for row in record["bids"]}
    assert in_record[company["bidder2"]]["bond_verified"] is False
    assert [c for c, b in bids.items() if b.bond_failure] == [company["bidder2"]]


async def test_the_demo_statistics_show_a_real_guarantee_share(runtime: Runtime, client: Any) -> None:
    await seed_demo(runtime)
    body = (await client.get("/api/statistics")).json()
    total = body["total"]
    # opened tenders only (before the opening, counting bonds would tell who bid): 9 guaranteed bids and
    # 5 paid in cash (007's two with their late refund, one each on 005, 006 and 009)
    assert (total["guaranteed_bids"], total["deposit_bids"]) == (9, 5)
    assert total["guarantee_share"] == pytest.approx(0.6429)
    assert Decimal(str(total["not_tied_up"])) > 0
    page = await client.get("/statistics")
    assert "电子保函替代保证金占比" in page.text and "64.29" in page.text
    # an open tender's guarantees are not counted (who bid is still secret)
    async with runtime.sessions() as session:
        assert (await service.bond_statistics(session, ["JLGGZY-2026-001"])).guarantees == 0  # no bid yet
    assert all(row["key"] != "JLGGZY-2026-001" or row["guaranteed_bids"] == 0 for row in body["by_tender"])
