"""The supervisors' flags on real openings: a lot whose prices step evenly and whose bids name one
project manager, and an honest lot that raises nothing; who may see them is in the role matrix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.clock import ManualClock
from core.runtime import Runtime
from tests.evaluation.world import CODE, opened_lot

HONEST_PRICES = ["10000000.00", "10420000.00", "11030000.00"]


async def test_even_steps_and_one_project_manager_are_flagged_with_their_evidence(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    # 10.0 / 10.5 / 11.0 million: equal steps of 500,000 (Art. 40(4)); every bid names 李四 (Art. 40(3)).
    world = await opened_lot(runtime, client, clock, tmp_path)
    response = await client.get(f"/api/integrity/tenders/{CODE}", headers=world.supervisor)
    assert response.status_code == 200, response.text
    [lot] = response.json()
    assert lot["number"] == "1" and lot["bids"] == 3 and lot["first_candidate"] is None
    flags = {flag["code"]: flag for flag in lot["flags"]}
    assert set(flags) == {"P1", "E3"}
    assert flags["P1"]["basis"] == "《招标投标法实施条例》第四十条第（四）项"
    assert flags["P1"]["measure"] == 0
    assert len(flags["P1"]["bidders"]) == 3
    assert flags["E3"]["figures"] == ["李四"] and len(flags["E3"]["bidders"]) == 3

    page = await client.get(f"/integrity/tenders/{CODE}", headers=world.supervisor)
    assert page.status_code == 200
    assert page.text.count('class="flag warn"') == 2
    listing = await client.get("/integrity", headers=world.supervisor)
    assert f'id="tender-{CODE}" class="warn"' in listing.text


async def test_an_honest_lot_raises_nothing(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    world = await opened_lot(
        runtime, client, clock, tmp_path, prices=HONEST_PRICES, managers=["李四", "王五", "赵六"]
    )
    response = await client.get(f"/api/integrity/tenders/{CODE}", headers=world.supervisor)
    assert response.status_code == 200, response.text
    assert [lot["flags"] for lot in response.json()] == [[]]


async def test_no_one_but_supervisors_sees_them(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    world = await opened_lot(runtime, client, clock, tmp_path)
    for headers in (world.bidders[0].headers, world.agent, {}):
        response = await client.get(f"/api/integrity/tenders/{CODE}", headers=headers)
        assert response.status_code in (401, 403)
