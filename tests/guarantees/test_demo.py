"""The demo's guarantee half: an insurer and a bank with guarantees on the open demo tenders, a late
refund (red), and the live opening's bonds with one guarantee short of the bond; idempotent."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from core.models import Organisation
from core.runtime import Runtime
from demo import opening as demo_opening
from demo import seed_demo
from demo.seeds import guarantees as demo_guarantees
from guarantees import service
from guarantees.models import Guarantee


async def test_the_demo_seeds_guarantors_guarantees_and_a_late_refund(runtime: Runtime) -> None:
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

    code = await demo_opening._live_tender(runtime, 220200)
    assert code is not None
    async with runtime.sessions() as session:
        rows = list(await session.scalars(select(Guarantee).where(Guarantee.tender_code == code)))
        bidders = [
            o.credit_code
            for o in await session.scalars(
                select(Organisation).where(Organisation.kind == "bidder").order_by(Organisation.id)
            )
        ]
        checks = [
            await service.verify_bond(session, tender_code=code, lot="1", bidder_code=b, form={})
            for b in bidders[:4]
        ]
    assert len(rows) == 3
    assert [c.verified if c else None for c in checks] == [True, True, False, True]
    assert checks[2] is not None and checks[2].code == "amount_short"


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
        assert (await service.bond_statistics(session, ["JLGGZY-2026-001"])).guarantees == 3
    assert all(row["key"] != "JLGGZY-2026-001" or row["guaranteed_bids"] == 0 for row in body["by_tender"])
