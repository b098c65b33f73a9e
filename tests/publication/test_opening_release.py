"""With bidding's opening (issue 5): a real opening record becomes a ``tenderUpdate`` release with
the opened bids, and a lot with too few bids a failure — each valid, nothing beyond the 唱标."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from bidding import opening
from core.accounts import Principal, principal_of
from core.clock import ManualClock
from core.models import User
from core.runtime import Runtime
from crypto.age import unwrap_file_key
from tests.bidding.helpers import SECRET_FORM_TEXT, make_world, published_tender, register_all, seal, upload
from tests.publication.ocds_schema import assert_valid

CODE = "JLZB-2026-001"
OCID = f"ocds-sunbid-{CODE}"


async def _principal(runtime: Runtime, username: str) -> Principal:
    async with runtime.sessions() as session:
        user = await session.scalar(select(User).where(User.username == username))
        assert user is not None
        return principal_of(user, 0)


async def test_an_opening_record_publishes_the_opened_bids(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    world = await make_world(runtime, client, bidders=4)
    tender = await published_tender(runtime, client, world)
    await register_all(client, world)
    prices = ["11000000.00", "10800000.00", "10950000.50", "11600000.00"]  # the last is over the ceiling
    sealed = []
    for bidder, price in zip(world.bidders, prices, strict=True):
        one = seal(tmp_path, tender, bidder, price=price)
        assert (await upload(client, bidder, one)).status_code == 201
        sealed.append(one)
    clock.advance(days=21, seconds=1)
    assert await opening.open_due(runtime) == [CODE]
    agent = await _principal(runtime, "agent1")
    async with runtime.transaction() as session:
        await opening.start(session, runtime, agent, CODE)
    for bidder, one in zip(world.bidders, sealed, strict=True):
        with one.envelope.open("rb") as fh:
            key = unwrap_file_key(fh, [bidder.identity]).hex()
        await opening.reveal_key(runtime, await _principal(runtime, bidder.username), CODE, "1", key)
    # the last key closed the decryption window early: no advance job needed for the 唱标
    async with runtime.transaction() as session:
        await opening.finish(session, runtime, agent, CODE, "1")
    clock.advance(seconds=10)

    package = (await client.get("/api/ocds/releases", params={"ocid": OCID})).json()
    assert_valid(package)
    record = package["releases"][-1]
    assert record["tag"] == ["tenderUpdate"]
    details = record["bids"]["details"]
    assert [(d["status"], d.get("value", {}).get("amount")) for d in details] == [
        ("pending", 11000000),
        ("pending", 10800000),
        ("pending", 10950000.5),
        ("disqualified", None),  # opened but rejected: no price in the open data
    ]
    assert {d["tenderers"][0]["id"] for d in details} == {f"CN-SAIC-{b.code}" for b in world.bidders}
    roles = {p["id"]: p["roles"] for p in record["parties"]}
    assert all(roles[f"CN-SAIC-{b.code}"] == ["tenderer"] for b in world.bidders)
    text = str(package)
    assert SECRET_FORM_TEXT not in text
    assert all(s.manifest.submission_id not in text for s in sealed)
    assert_valid((await client.get(f"/api/ocds/records/{OCID}")).json())
    feed = (await client.get("/api/feed")).json()["items"]
    assert [i["kind"] for i in feed] == ["tender", "opening_record"]
    # the portal's history page reads the same signed record: the 唱标 prices, none for the rejected bid
    page = (await client.get(f"/tenders/{CODE}/history", headers={"accept": "text/html"})).text
    table = page.split('class="log opening-bids"')[1].split("</table>")[0]
    assert all(f"{b.code}" in table for b in world.bidders)
    assert "11,000,000.00" in table and "10,950,000.50" in table and "未通过开标检查" in table
    assert "11,600,000.00" not in page and SECRET_FORM_TEXT not in page


async def test_a_lot_without_enough_opened_bids_fails_in_the_open_data(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    world = await make_world(runtime, client, bidders=2)
    tender = await published_tender(runtime, client, world)
    await register_all(client, world)
    for bidder in world.bidders:
        assert (await upload(client, bidder, seal(tmp_path, tender, bidder))).status_code == 201
    clock.advance(days=21, seconds=1)
    assert await opening.open_due(runtime) == [CODE]
    agent = await _principal(runtime, "agent1")
    async with runtime.transaction() as session:
        await opening.start(session, runtime, agent, CODE)
    clock.advance(minutes=31)  # nobody revealed a key
    for _ in range(3):
        await opening.advance(runtime)
        clock.advance(minutes=31)
    clock.advance(seconds=10)
    record = (await client.get(f"/api/ocds/records/{OCID}")).json()
    assert_valid(record)
    tags = [r["tag"] for r in record["records"][0]["releases"]]
    assert tags[0] == ["tender"] and ["tenderUpdate"] in tags
    compiled = record["records"][0]["compiledRelease"]
    assert compiled["tender"]["status"] == "unsuccessful"
    assert all("value" not in d for d in compiled["bids"]["details"])  # nothing was opened
