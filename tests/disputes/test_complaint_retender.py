"""An upheld complaint whose remedy is 重新招标 makes its lot eligible for bidding's re-tender draft
(core/retender_port.py), the same way a contract tendered again does; another remedy does not."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.clock import ManualClock
from core.runtime import Runtime
from tests.bidding.test_retender import retender_body
from tests.disputes.test_complaints import COMPLAINT
from tests.disputes.world import CODE, bidding_tender
from tests.evaluation.world import api_headers


async def decide(client: Any, clock: ManualClock, bidder: Any, sup: Any, remedy: str) -> None:
    body = {
        "tender": CODE,
        "lot": "1",
        "matter": "other",
        "knew_on": clock.now().date().isoformat(),
        **COMPLAINT,
    }
    case = (await client.post("/api/complaints", json=body, headers=bidder)).json()
    await client.post(f"/api/complaints/{case['id']}/acceptance", json={"accept": True}, headers=sup)
    decided = await client.post(
        f"/api/complaints/{case['id']}/decision",
        json={"outcome": "upheld", "reasons": "资格条件确属排斥潜在投标人", "remedy": remedy}, headers=sup,
    )  # fmt: skip
    assert decided.status_code == 200, decided.text


async def test_an_upheld_re_tender_remedy_makes_the_lot_eligible(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    world, _tender = await bidding_tender(runtime, client, tmp_path, bidders=1)
    bidder = await api_headers(runtime, "bidder0")
    sup = await api_headers(runtime, "super1")
    await decide(client, clock, bidder, sup, "amend")
    assert (await client.get(f"/api/tenders/{CODE}/attempts")).json()["retender_reasons"] == []
    refused = await client.post(
        f"/api/tenders/{CODE}/retender", json=retender_body(runtime), headers=world.agent
    )
    assert refused.status_code == 409 and refused.json()["error"] == "not_failed"

    await decide(client, clock, bidder, sup, "re_tender")
    (reason,) = (await client.get(f"/api/tenders/{CODE}/attempts")).json()["retender_reasons"]
    assert reason["lot"] == "1" and "责令重新招标" in reason["zh"] and "第六十一条" in reason["basis"]
    made = await client.post(
        f"/api/tenders/{CODE}/retender", json=retender_body(runtime), headers=world.agent
    )
    assert made.status_code == 201, made.text
    assert [lot["number"] for lot in made.json()["lots"]] == ["1"]
