"""The open-data API on real tenders: valid packages, stable ids, clear 4xx, and nothing non-public."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from core.clock import ManualClock
from core.runtime import Runtime
from tests.bidding.helpers import (
    SECRET_FORM_TEXT,
    make_world,
    published_tender,
    register_all,
    seal,
    tender_body,
    upload,
)
from tests.publication.ocds_schema import assert_valid

Client = AsyncTestClient[Litestar]
PREFIX = "ocds-sunbid"
OCID = f"{PREFIX}-JLZB-2026-001"


async def _scenario(runtime: Runtime, client: Client, clock: ManualClock, tmp_path: Path) -> Any:
    """Tender 1 published, a bid sealed and uploaded, then amended; tender 2 cancelled; 3 a draft."""
    world = await make_world(runtime, client, bidders=2)
    tender = await published_tender(runtime, client, world)
    await register_all(client, world)
    sealed = seal(tmp_path, tender, world.bidders[0])
    assert (await upload(client, world.bidders[0], sealed)).status_code == 201
    clock.advance(days=1)
    amended = await client.post(
        "/api/tenders/JLZB-2026-001/amendments",
        json={
            "title": "澄清公告一",
            "body": "第三章技术要求修改。",
            "bid_deadline": (runtime.clock.now() + timedelta(days=25)).isoformat(),
        },
        headers=world.agent,
    )
    assert amended.status_code == 201, amended.text
    await published_tender(runtime, client, world, "JLZB-2026-002")
    cancelled = await client.post(
        "/api/tenders/JLZB-2026-002/cancel", json={"reason": "项目资金调整"}, headers=world.agent
    )
    assert cancelled.status_code == 200, cancelled.text
    draft = await client.post(
        "/api/tenders", json=tender_body(runtime, world, "JLZB-2026-003"), headers=world.agent
    )
    assert draft.status_code == 201
    clock.advance(seconds=10)  # past the feed's holdback
    return world, sealed


def _secrets(world: Any, sealed: Any) -> list[str]:
    bidders = [b.code for b in world.bidders] + [f"测试bidder{10 + i}" for i in range(len(world.bidders))]
    return [*bidders, SECRET_FORM_TEXT, sealed.manifest.submission_id, "JLZB-2026-003", "age1"]


def _assert_public_only(text: str, secrets: list[str]) -> None:
    for secret in secrets:
        assert secret not in text, f"{secret!r} leaked"


async def test_releases_records_and_feed_are_valid_and_public_only(
    runtime: Runtime, client: Client, clock: ManualClock, tmp_path: Path
) -> None:
    world, sealed = await _scenario(runtime, client, clock, tmp_path)
    secrets = _secrets(world, sealed)

    one = await client.get("/api/ocds/releases", params={"ocid": OCID})
    assert one.status_code == 200 and one.headers["content-type"].startswith("application/json")
    package = one.json()
    assert_valid(package)
    assert [r["tag"] for r in package["releases"]] == [["tender"], ["tenderAmendment"]]
    # each release keeps the deadline as it stood at its notice: the amendment moved it out
    periods = [r["tender"]["tenderPeriod"]["endDate"] for r in package["releases"]]
    assert periods[0] < periods[1]
    _assert_public_only(one.text, secrets)

    rec = await client.get(f"/api/ocds/records/{OCID}")
    assert rec.status_code == 200
    assert_valid(rec.json())
    compiled = rec.json()["records"][0]["compiledRelease"]
    assert compiled["tender"]["amendments"][0]["rationale"] == "澄清公告一"
    _assert_public_only(rec.text, secrets)

    cancelled = (await client.get(f"/api/ocds/records/{PREFIX}-JLZB-2026-002")).json()
    assert_valid(cancelled)
    assert cancelled["records"][0]["compiledRelease"]["tender"]["status"] == "cancelled"
    assert [r["tag"] for r in cancelled["records"][0]["releases"]] == [["tender"], ["tenderCancellation"]]

    feed = await client.get("/api/feed")
    assert feed.status_code == 200
    items = feed.json()["items"]
    assert [(i["tender"], i["kind"]) for i in items] == [
        ("JLZB-2026-001", "tender"),
        ("JLZB-2026-001", "amendment"),
        ("JLZB-2026-002", "tender"),
        ("JLZB-2026-002", "termination"),
    ]
    assert items[1]["release_id"] == package["releases"][1]["id"]
    _assert_public_only(feed.text, secrets)

    paged = await client.get("/api/ocds/releases", params={"limit": 3})
    assert paged.status_code == 200
    first = paged.json()
    assert_valid(first)
    assert len(first["releases"]) == 3
    nxt = await client.get(first["links"]["next"].removeprefix("http://127.0.0.1:8000"))
    assert nxt.status_code == 200 and [r["tag"] for r in nxt.json()["releases"]] == [["tenderCancellation"]]
    done = await client.get(nxt.json()["links"]["next"].removeprefix("http://127.0.0.1:8000"))
    assert done.status_code == 204
    _assert_public_only(paged.text + nxt.text, secrets)


async def test_releases_are_stable_across_reads_and_later_events(
    runtime: Runtime, client: Client, clock: ManualClock, tmp_path: Path
) -> None:
    world, _sealed = await _scenario(runtime, client, clock, tmp_path)
    before = (await client.get("/api/ocds/releases", params={"ocid": OCID})).json()["releases"]
    clock.advance(days=3)
    later = await client.post(
        "/api/tenders/JLZB-2026-001/amendments",
        json={
            "title": "澄清公告二",
            "body": "再次延期。",
            "bid_deadline": (runtime.clock.now() + timedelta(days=40)).isoformat(),
        },
        headers=world.agent,
    )
    assert later.status_code == 201, later.text
    again = (await client.get("/api/ocds/releases", params={"ocid": OCID})).json()["releases"]
    assert again[:2] == before  # a later amendment never rewrites what was published before it
    assert again[2]["tender"]["tenderPeriod"]["endDate"] > before[1]["tender"]["tenderPeriod"]["endDate"]
    assert_valid((await client.get(f"/api/ocds/records/{OCID}")).json())


async def test_user_errors_are_clear_4xx_json(
    runtime: Runtime, client: Client, clock: ManualClock, tmp_path: Path
) -> None:
    await _scenario(runtime, client, clock, tmp_path)
    cases = [
        ("/api/ocds/records/ocds-sunbid-NOPE-1", 404, "unknown_ocid"),
        ("/api/ocds/records/ocds-other1-JLZB-2026-001", 404, "unknown_ocid"),
        ("/api/ocds/records/ocds-sunbid-JLZB-2026-003", 404, "unknown_ocid"),  # a draft is not public
        ("/api/ocds/releases?ocid=ocds-sunbid-JLZB-2026-003", 404, "unknown_ocid"),
        ("/api/feed?cursor=not-a-cursor", 400, "bad_cursor"),
        (
            "/api/feed?cursor=eyJ2IjoxLCJwIjo5OTksInQiOiIyMDI2LTAxLTAxVDAwOjAwOjAwKzAwOjAwIn0",
            400,
            "bad_cursor",
        ),
        ("/api/ocds/releases?cursor=%%%", 400, "bad_cursor"),
        (f"/api/ocds/releases?ocid={OCID}&cursor=abc", 400, "bad_query"),
        ("/api/feed?limit=0", 400, "bad_paging"),
        ("/api/feed?limit=1000", 400, "bad_paging"),
        ("/api/feed?limit=abc", 400, "invalid_request"),
    ]
    for path, status, code in cases:
        response = await client.get(path)
        assert response.status_code == status, (path, response.text)
        assert response.json()["error"] == code, (path, response.text)
        assert response.json()["detail"]


async def test_a_cursor_from_a_page_is_reused_unchanged_when_nothing_is_new(
    runtime: Runtime, client: Client, clock: ManualClock, tmp_path: Path
) -> None:
    await _scenario(runtime, client, clock, tmp_path)
    page = (await client.get("/api/feed", params={"limit": 100})).json()
    assert page["has_more"] is False
    empty = (await client.get("/api/feed", params={"cursor": page["next"]})).json()
    assert empty["items"] == [] and empty["next"] == page["next"]


async def test_open_data_routes_are_public(
    runtime: Runtime, client: Client, clock: ManualClock, tmp_path: Path
) -> None:
    await _scenario(runtime, client, clock, tmp_path)
    for path in (
        "/api/feed",
        f"/api/ocds/records/{OCID}",
        f"/api/ocds/releases?ocid={OCID}",
        "/api/ocds/releases",
    ):
        response = await client.get(path)  # logged out
        assert response.status_code == 200, (path, response.text)
        json.loads(response.text)


async def test_the_feed_holds_back_the_newest_seconds(
    runtime: Runtime, client: Client, clock: ManualClock, tmp_path: Path
) -> None:
    world = await make_world(runtime, client, bidders=0)
    await published_tender(runtime, client, world)
    assert (await client.get("/api/feed")).json()["items"] == []
    assert (await client.get("/api/ocds/releases")).status_code == 204
    clock.advance(seconds=4)
    assert (await client.get("/api/feed")).json()["items"] == []
    clock.advance(timedelta(seconds=2))
    assert len((await client.get("/api/feed")).json()["items"]) == 1
