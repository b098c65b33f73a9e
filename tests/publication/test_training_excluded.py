"""A training tender (培训项目) never reaches open data: the change feed, OCDS releases and records,
and the trading statistics count only real tenders (issue #15 point 3)."""

from __future__ import annotations

from typing import Any

from core.clock import ManualClock
from core.runtime import Runtime
from tests.bidding.test_opening import CODE
from tests.bidding.test_training import TRAINING_CODE, two_tenders


async def test_open_data_and_statistics_leave_a_training_tender_out(
    runtime: Runtime, client: Any, clock: ManualClock
) -> None:
    await two_tenders(runtime, client)  # one real, one training, both published
    clock.advance(minutes=5)  # past the feed's holdback
    feed = (await client.get("/api/feed")).text
    assert CODE in feed and TRAINING_CODE not in feed
    releases = (await client.get("/api/ocds/releases")).text
    assert CODE in releases and TRAINING_CODE not in releases
    assert (await client.get(f"/api/ocds/records/ocds-sunbid-{CODE}")).status_code == 200
    assert (await client.get(f"/api/ocds/records/ocds-sunbid-{TRAINING_CODE}")).status_code == 404
    statistics = (await client.get("/api/statistics")).json()
    assert statistics["total"]["tenders"] == 1
    history = await client.get(f"/tenders/{TRAINING_CODE}/history", headers={"accept": "text/html"})
    assert history.status_code == 404
