"""The demo's guarantee half: an insurer and a bank with guarantees on the open demo tenders, a late
refund (red), and the live opening's bonds with one guarantee short of the bond; idempotent."""

from __future__ import annotations

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
    assert counts == {"guarantors": 2, "guarantees": 6, "deposits": 2}
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
