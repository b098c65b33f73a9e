"""In a training tender (培训项目) an expert's unexplained anomaly is recorded in the room like any
other, but no credit deduction follows (issue #15 point 3; the real case: test_service.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from bidding.models import Tender
from core.clock import ManualClock
from core.runtime import Runtime
from credit.models import Deduction
from tests.evaluation.test_service import act, score_all, started, through_reviews, through_sign_in, view
from tests.evaluation.world import CODE


async def test_an_unexplained_anomaly_in_a_training_tender_costs_no_credit(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    ew = await started(runtime, client, clock, tmp_path)
    async with runtime.transaction() as session:
        await session.execute(update(Tender).where(Tender.code == CODE).values(training=True))
    members = await through_sign_in(ew)
    chair = members[1]
    await through_reviews(ew, members, chair)
    outlier = members[0]
    await score_all(ew, members, outlier=outlier)
    anomaly = (await view(ew, ew.supervisor))["open_anomalies"][0]
    await act(ew, chair, action="unexplained", member=outlier, bidder=anomaly["bidder"], unit=anomaly["unit"])
    await act(ew, chair, action="advance")
    seen = await view(ew, ew.supervisor)
    assert seen["phase"] == "report" and seen["anomalies"][0]["unexplained"]  # the room still records it
    async with runtime.sessions() as session:
        assert await session.scalar(select(Deduction)) is None
    # The room's page says it is a training tender.
    room = await client.get(f"/evaluations/{CODE}-1", headers={"accept": "text/html", **ew.bidding.agent})
    assert room.status_code == 200 and 'id="training-banner"' in room.text
