"""Training tenders (培训项目, issue #15 point 3) in bidding: the scaled periods (lifecycle data, tested at
the boundary), creation by API and by SUNBID_TRAINING, the banner on their pages, and what never
reaches the public: notice lists, the Atom feed, anonymous tender lists, credit deductions."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from bidding import lifecycle, opening
from bidding.lifecycle import TRAINING_DAY_SECONDS, LifecycleError, Rules, Timeline
from bidding.models import Notice, OpeningBid, Tender
from core.clock import ManualClock
from core.runtime import Runtime
from credit.models import Deduction
from tests.bidding.helpers import (
    World,
    make_world,
    published_tender,
    register_all,
    seal,
    tender_body,
    upload,
)
from tests.bidding.test_opening import CODE, host_starts

TRAINING_CODE = "PX-2026-001"


def training_timeline(runtime: Runtime, deadline_seconds: int = 61) -> dict[str, Any]:
    """A whole tender in about a minute: 20 training days of notice are 60 seconds."""
    now = runtime.clock.now()
    return {
        "training": True,
        "registration_start": now.isoformat(),
        "registration_end": (now + timedelta(seconds=20)).isoformat(),
        "clarification_deadline": (now + timedelta(seconds=30)).isoformat(),
        "bid_deadline": (now + timedelta(seconds=deadline_seconds)).isoformat(),
    }


def test_training_rules_scale_every_statutory_day_and_say_so() -> None:
    real, training = Rules.for_category("construction"), Rules.for_category("construction", training=True)
    assert real.days(20) == timedelta(days=20)
    assert training.days(20) == timedelta(seconds=20 * TRAINING_DAY_SECONDS) == timedelta(minutes=1)
    # The same numbers of days (the law's), only the length of a day changes.
    assert (training.min_notice_days, training.publicity_days) == (real.min_notice_days, real.publicity_days)
    # A real tender may not borrow the training clock: it is looser than the statutory floor.
    assert Rules.from_dict({**real.to_dict(), "day_seconds": 3}).at_least(real) == ["day_seconds 3 < 86400"]
    with pytest.raises(LifecycleError):
        Rules.from_dict({"day_seconds": 0})


@pytest.mark.parametrize(("seconds", "ok"), [(60, True), (59, False)])
def test_training_notice_period_at_its_boundary(seconds: int, ok: bool) -> None:
    """20 training days = 60 s from notice to deadline: 60 s is the last allowed, 59 s the first refused."""
    rules = Rules.for_category("construction", training=True)
    now = ManualClock().now()
    timeline = Timeline(
        registration_start=now,
        registration_end=now + timedelta(seconds=15),  # 5 training days of document sale
        clarification_deadline=now + timedelta(seconds=seconds - 9),  # 3 training days before
        bid_deadline=now + timedelta(seconds=seconds),
    )
    problems = lifecycle.timeline_problems(timeline, rules, now)
    assert (problems == []) is ok, problems
    # The same timeline is nowhere near lawful for a real tender.
    assert lifecycle.timeline_problems(timeline, Rules.for_category("construction"), now)


async def test_a_training_tender_is_created_by_api_with_its_training_rules(
    runtime: Runtime, client: Any, clock: ManualClock
) -> None:
    world = await make_world(runtime, client, bidders=0)
    # Without the flag, a one-minute timeline is refused under the statutory rules.
    refused = await client.post(
        "/api/tenders",
        json=tender_body(runtime, world, "REAL-1", **{**training_timeline(runtime), "training": False}),
        headers=world.agent,
    )
    assert refused.status_code == 201  # a draft may be anything; publishing checks the law
    assert (await client.post("/api/tenders/REAL-1/publish", headers=world.agent)).status_code == 422
    tender = await published_tender(runtime, client, world, TRAINING_CODE, **training_timeline(runtime))
    assert tender["training"] is True
    assert tender["rules"]["day_seconds"] == TRAINING_DAY_SECONDS
    assert tender["timeline"]["decryption_minutes"] == 1 and tender["timeline"]["confirm_minutes"] == 1


async def test_sunbid_training_makes_every_new_tender_a_training_tender(
    runtime: Runtime, client: Any, clock: ManualClock
) -> None:
    world = await make_world(runtime, client, bidders=0)
    object.__setattr__(runtime, "settings", runtime.settings.with_(training=True))
    body = tender_body(runtime, world, TRAINING_CODE, **training_timeline(runtime))
    del body["training"]  # nobody asked: the instance decides
    assert (await client.post("/api/tenders", json=body, headers=world.agent)).status_code == 201
    done = await client.post(f"/api/tenders/{TRAINING_CODE}/publish", headers=world.agent)
    assert done.status_code == 200 and done.json()["training"] is True
    page = await client.get(f"/tenders/{TRAINING_CODE}", headers={"accept": "text/html"})
    assert 'id="training-banner"' in page.text and "培训环境" in page.text
    home = await client.get("/notices", headers={"accept": "text/html"})
    assert 'id="training-banner"' in home.text  # the whole site says so


async def two_tenders(runtime: Runtime, client: Any) -> World:
    world = await make_world(runtime, client, bidders=0)
    await published_tender(runtime, client, world, CODE)
    await published_tender(runtime, client, world, TRAINING_CODE, **training_timeline(runtime))
    return world


async def test_a_training_tender_never_reaches_public_notices_the_feed_or_anonymous_lists(
    runtime: Runtime, client: Any, clock: ManualClock
) -> None:
    world = await two_tenders(runtime, client)
    async with runtime.sessions() as session:
        stored = list(await session.scalars(select(Notice)))
    assert len(stored) == 2  # both were published (the training one only on its own page)

    listed = (await client.get("/api/notices")).json()
    assert listed["total"] == 1
    assert TRAINING_CODE not in str(listed) and CODE in str(listed)
    feed = (await client.get("/api/notices/feed.atom")).text
    assert TRAINING_CODE not in feed and CODE in feed
    notices_page = (await client.get("/notices", headers={"accept": "text/html"})).text
    assert TRAINING_CODE not in notices_page
    anonymous = (await client.get("/api/tenders")).json()
    assert TRAINING_CODE not in str(anonymous) and CODE in str(anonymous)
    # The people running the training still find it, and its page says what it is.
    mine = (await client.get("/api/tenders", headers=world.agent)).json()
    assert TRAINING_CODE in str(mine)
    page = (await client.get(f"/tenders/{TRAINING_CODE}", headers={"accept": "text/html"})).text
    assert 'id="training-banner"' in page and "培训项目" in page
    real = (await client.get(f"/tenders/{CODE}", headers={"accept": "text/html"})).text
    assert 'id="training-banner"' not in real


async def test_a_training_bidder_who_never_reveals_loses_no_credit(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    """Art. 31 would revoke the bid and deduct credit; in training the bid is revoked, nothing more."""
    world = await make_world(runtime, client, bidders=1)
    tender = await published_tender(runtime, client, world, CODE)
    async with runtime.transaction() as session:  # the same tender, marked training after publication
        await session.execute(update(Tender).where(Tender.code == CODE).values(training=True))
    await register_all(client, world)
    assert (
        await upload(client, world.bidders[0], seal(tmp_path, tender, world.bidders[0]))
    ).status_code == 201
    clock.advance(days=21, seconds=1)
    assert await opening.open_due(runtime) == [CODE]
    await host_starts(runtime)
    clock.advance(minutes=31)
    await opening.advance(runtime)
    async with runtime.sessions() as session:
        bid = await session.scalar(select(OpeningBid))
        assert bid is not None and bid.outcome == "revoked"
        assert await session.scalar(select(Deduction)) is None
