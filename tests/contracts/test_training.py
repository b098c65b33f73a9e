"""A training tender's contract (培训项目) runs the same clock but never reaches the credit index, the
public contracts, the OCDS record or the statistics."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import update

from bidding.models import Tender
from contracts import jobs
from core.clock import ManualClock, as_utc
from core.runtime import Runtime
from credit import service as credit
from tests.contracts.world import CODE, awarded, sign


async def test_a_training_contract_stays_out_of_credit_and_open_data(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    world = await awarded(runtime, client, clock, tmp_path)
    async with runtime.transaction() as session:
        await session.execute(update(Tender).where(Tender.code == CODE).values(training=True))
    opened = await client.post(
        "/api/contracts", json={"tender": CODE, "lot": "1"}, headers=world.heads["agent1"]
    )
    assert opened.status_code == 200, opened.text
    c = opened.json()
    signed = await client.post(
        f"/api/contracts/{c['id']}/sign",
        json={"signature": sign(c["digest"], world.tenderer_key)},
        headers=world.heads["tenderer1"],
    )
    assert signed.status_code == 200, signed.text
    clock.set(as_utc(datetime.fromisoformat(c["due_at"])))
    await jobs.contract_clock(runtime)
    assert (await client.get(f"/api/contracts/{c['id']}", headers=world.heads["tenderer1"])).json()[
        "status"
    ] == ("lapsed")
    async with runtime.sessions() as session:
        assert (await credit.list_deductions(session, kind="bidder", key=world.winner.code)).rows == []
    assert (await client.get("/api/contracts/public")).json() == []
    assert (await client.get("/api/statistics")).json()["total"]["signed_contracts"] == 0
