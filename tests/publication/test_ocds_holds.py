"""Suspensions in open data: a hold's start and end are ``tenderUpdate`` releases, every release while it
is in place carries it in ``tender.statusDetails``; all of it valid OCDS 1.1 and never naming who
objected (docs/ocds-mapping.md)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from core.clock import ManualClock
from core.runtime import Runtime
from publication import ocds, packages
from publication.config import OcdsConfig
from publication.ocds import HoldFacts
from tests.disputes.world import CODE, bidding_tender
from tests.evaluation.world import api_headers
from tests.publication.builders import T0, every_kind, tender_facts
from tests.publication.ocds_schema import assert_valid

CONFIG = OcdsConfig(prefix="ocds-test01", base_url="https://sunbid.example.cn/")
OCID_PURE = CONFIG.ocid("JLGGZY-2026-101")


def test_a_hold_is_a_tender_update_and_shows_in_status_details_while_in_place() -> None:
    placed = HoldFacts(12, T0 + timedelta(days=2), True, "opening", None, "objection:3")
    released = HoldFacts(25, T0 + timedelta(days=6), False, "opening", None, "objection:3")
    facts = tender_facts(holds=[placed, released])
    tender, amendment, *_ = every_kind()  # positions 10 and 20: the amendment came while held
    on = ocds.build_hold_release(OCID_PURE, facts, placed, tender, CONFIG.base_url)
    off = ocds.build_hold_release(OCID_PURE, facts, released, amendment, CONFIG.base_url)
    assert on["id"] == f"{OCID_PURE}-hold-12" and on["tag"] == ["tenderUpdate"]
    assert on["tender"]["status"] == "active"
    assert on["tender"]["statusDetails"] == "招标中；开标暂停：异议（第3号）待答复"
    assert off["tender"]["statusDetails"] == "招标中（已变更）；开标暂停已解除：异议（第3号）已答复"
    during = ocds.build_release(OCID_PURE, facts, amendment, CONFIG.base_url)
    assert during["tender"]["statusDetails"] == "招标中（已变更）；开标暂停：异议（第3号）待答复"
    before = ocds.build_release(OCID_PURE, facts, tender, CONFIG.base_url)
    assert before["tender"]["statusDetails"] == "招标中"
    award_hold = HoldFacts(40, T0, True, "award", "1", "objection:4")
    words = ocds.build_hold_release(OCID_PURE, tender_facts(holds=[award_hold]), award_hold, tender, "")
    assert words["tender"]["statusDetails"] == "招标中；定标暂停（标段1）：异议（第4号）待答复"
    releases = [before, on, during, off]
    package = json.loads(packages.dumps(packages.release_package(CONFIG, releases, "https://x.example/p")))
    assert_valid(package)
    record = packages.record(OCID_PURE, releases)
    assert_valid(json.loads(packages.dumps(packages.record_package(CONFIG, [record], "https://x.example/r"))))
    assert record["compiledRelease"]["tender"]["statusDetails"].endswith("已答复")


async def test_an_objection_to_the_documents_puts_its_hold_into_the_tenders_releases(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    world, _tender = await bidding_tender(runtime, client, tmp_path, bidders=2)
    clock.advance(hours=2)
    objector = await api_headers(runtime, world.bidders[0].username)
    agent = await api_headers(runtime, "agent1")
    filed = await client.post(
        f"/api/tenders/{CODE}/objections",
        json={"kind": "documents", "reason": "业绩要求过高"},
        headers=objector,
    )
    assert filed.status_code == 201, filed.text
    number = filed.json()["id"]
    ocid = f"ocds-sunbid-{CODE}"
    held = (await client.get("/api/ocds/releases", params={"ocid": ocid})).json()
    assert_valid(held)
    assert [r["tag"] for r in held["releases"]] == [["tender"], ["tenderUpdate"]]
    assert held["releases"][1]["tender"]["statusDetails"] == f"招标中；开标暂停：异议（第{number}号）待答复"
    clock.advance(days=1)
    answered = await client.post(f"/api/objections/{number}/answer", json={"answer": "已修改"}, headers=agent)
    assert answered.status_code == 200, answered.text
    record = await client.get(f"/api/ocds/records/{ocid}")
    assert record.status_code == 200
    assert_valid(record.json())
    releases = record.json()["records"][0]["releases"]
    assert [r["tag"] for r in releases] == [["tender"], ["tenderUpdate"], ["tenderUpdate"]]
    assert releases[2]["tender"]["statusDetails"] == f"招标中；开标暂停已解除：异议（第{number}号）已答复"
    assert "测试bidder10" not in record.text and "业绩要求过高" not in record.text

    # the change feed and its release pages carry the hold's start and end too, in order
    clock.advance(minutes=5)
    feed = (await client.get("/api/feed")).json()["items"]
    assert [(i["type"], i["kind"]) for i in feed] == [
        ("notice", "tender"), ("hold", "hold_placed"), ("hold", "hold_released"),
    ]  # fmt: skip
    assert [i["release_id"] for i in feed] == [r["id"] for r in releases]
    paged = await client.get("/api/ocds/releases", params={"limit": 2})
    assert paged.status_code == 200, paged.text
    assert_valid(paged.json())
    assert [r["id"] for r in paged.json()["releases"]] == [r["id"] for r in releases[:2]]
    rest = await client.get(paged.json()["links"]["next"].split("8000", 1)[-1])
    assert [r["id"] for r in rest.json()["releases"]] == [releases[2]["id"]]
