"""Re-tendering after 流标 (《招标投标法实施条例》第四十四条): a new draft pre-filled from the failed tender,
linked both ways once published, and the re-tender's own failure recorded as the second failure
(《工程建设项目施工招标投标办法》第三十八条)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bidding import opening
from core.accounts import principal_of
from core.clock import ManualClock
from core.models import AuditEntry, User
from core.runtime import Runtime
from crypto.age import X25519Identity
from tests.bidding.helpers import World, make_world, published_tender

CODE = "JLZB-2026-001"
AGAIN = "JLZB-2026-001R"


async def fail_by_opening(runtime: Runtime, clock: ManualClock, code: str) -> None:
    """No bid came: at the deadline the opening finds none valid and the tender fails."""
    clock.advance(days=21, seconds=1)
    assert code in await opening.open_due(runtime)
    async with runtime.sessions() as session:
        user = await session.scalar(select(User).where(User.username == "agent1"))
        assert user is not None
        agent = principal_of(user, 0)
    async with runtime.transaction() as session:
        await opening.start(session, runtime, agent, code)
    for _ in range(6):
        await opening.advance(runtime)
        clock.advance(minutes=31)
    await opening.advance(runtime)


def retender_body(runtime: Runtime, code: str = AGAIN, **over: Any) -> dict[str, Any]:
    now = runtime.clock.now()
    return {
        "code": code,
        "registration_start": now.isoformat(),
        "registration_end": (now + timedelta(days=10)).isoformat(),
        "clarification_deadline": (now + timedelta(days=15)).isoformat(),
        "bid_deadline": (now + timedelta(days=21)).isoformat(),
        "opening_recipient": X25519Identity.generate().recipient().to_str(),
        **over,
    }


async def _failed(runtime: Runtime, client: Any, clock: ManualClock) -> tuple[World, dict[str, Any]]:
    world = await make_world(runtime, client, bidders=0)
    tender = await published_tender(runtime, client, world)
    doc = await client.put(
        f"/api/tenders/{CODE}/documents/招标文件.pdf", content=b"%PDF-1.4 docs", headers=world.agent
    )
    assert doc.status_code == 201
    await fail_by_opening(runtime, clock, CODE)
    assert (await client.get(f"/api/tenders/{CODE}")).json()["state"] == "failed"
    return world, tender


async def test_retender_prefills_links_both_ways_and_records_the_second_failure(
    runtime: Runtime, client: Any, clock: ManualClock
) -> None:
    world, old = await _failed(runtime, client, clock)
    attempts = (await client.get(f"/api/tenders/{CODE}/attempts")).json()
    assert attempts["may_retender"] is True and attempts["repeated_failure"] is False
    assert attempts["retender_basis"] == "《招标投标法实施条例》第四十四条"
    # the key revealed at the failed opening must never seal new bids
    reused = await client.post(
        f"/api/tenders/{CODE}/retender",
        json=retender_body(runtime, opening_recipient=old["opening_recipient"]),
        headers=world.agent,
    )
    assert reused.status_code == 422 and reused.json()["error"] == "opening_key_reused"
    made = await client.post(
        f"/api/tenders/{CODE}/retender", json=retender_body(runtime), headers=world.agent
    )
    assert made.status_code == 201, made.text
    new = made.json()
    assert new["state"] == "draft" and new["title"] == f"{old['title']}（重新招标）"
    for key in (
        "category",
        "method",
        "region_code",
        "budget",
        "ceiling_price",
        "bond",
        "criteria",
        "form_fields",
        "rules",
    ):
        assert new[key] == old[key], key
    assert [lot["number"] for lot in new["lots"]] == [lot["number"] for lot in old["lots"]]
    assert [d["sha256"] for d in new["documents"]] == [
        d["sha256"] for d in (await client.get(f"/api/tenders/{CODE}")).json()["documents"]
    ]
    again = await client.post(
        f"/api/tenders/{CODE}/retender", json=retender_body(runtime), headers=world.agent
    )
    assert again.status_code == 201 and again.json()["code"] == AGAIN  # idempotent by the code
    other = await client.post(
        f"/api/tenders/{CODE}/retender", json=retender_body(runtime, "JLZB-2026-001S"), headers=world.agent
    )
    assert other.status_code == 409 and other.json()["error"] == "already_retendered"
    # the draft is not public: the failed tender's public attempts do not show it yet
    assert (await client.get(f"/api/tenders/{CODE}/attempts")).json()["next"] is None
    assert (await client.post(f"/api/tenders/{AGAIN}/publish", headers=world.agent)).status_code == 200
    linked = (await client.get(f"/api/tenders/{CODE}/attempts")).json()
    assert linked["next"]["code"] == AGAIN and linked["next"]["attempt"] == 2
    back = (await client.get(f"/api/tenders/{AGAIN}/attempts")).json()
    assert back["previous"]["code"] == CODE and back["attempt"] == 2
    # the copied document downloads from the re-tender
    got = await client.get(f"/api/tenders/{AGAIN}/documents/{new['documents'][0]['id']}", headers=world.agent)
    assert got.status_code == 200 and got.content == b"%PDF-1.4 docs"
    # replacing it in the re-tender keeps the failed tender's copy (the same stored blob)
    replaced = await client.put(
        f"/api/tenders/{AGAIN}/documents/招标文件.pdf", content=b"%PDF-1.4 new", headers=world.agent
    )
    assert replaced.status_code == 201
    old_doc = (await client.get(f"/api/tenders/{CODE}")).json()["documents"][0]
    kept = await client.get(f"/api/tenders/{CODE}/documents/{old_doc['id']}", headers=world.agent)
    assert kept.status_code == 200 and kept.content == b"%PDF-1.4 docs"
    # the re-tender fails too: the second failure is recorded, and the tenderer may switch method
    await fail_by_opening(runtime, clock, AGAIN)
    second = (await client.get(f"/api/tenders/{AGAIN}/attempts")).json()
    assert second["repeated_failure"] is True
    assert second["repeated_failure_basis"] == "《工程建设项目施工招标投标办法》第三十八条"
    async with runtime.sessions() as session:
        entries = [
            json.loads(e.entry)
            for e in await session.scalars(select(AuditEntry).order_by(AuditEntry.position))
        ]
    retendered = [e for e in entries if e["kind"] == "tender.retendered"]
    assert [(e["subject"], e["data"]["retender"]) for e in retendered] == [(f"tender:{CODE}", AGAIN)]
    again_failed = [e for e in entries if e["kind"] == "tender.failed_again"]
    assert [e["subject"] for e in again_failed] == [f"tender:{AGAIN}"]


async def test_only_a_failed_tender_by_its_owners_is_retendered(runtime: Runtime, client: Any) -> None:
    world = await make_world(runtime, client, bidders=0)
    await published_tender(runtime, client, world)
    live = await client.post(
        f"/api/tenders/{CODE}/retender", json=retender_body(runtime), headers=world.agent
    )
    assert live.status_code == 409 and live.json()["error"] == "not_failed"
    assert (await client.get(f"/api/tenders/{CODE}/attempts")).json()["may_retender"] is False
    stranger = await client.post(
        f"/api/tenders/{CODE}/retender", json=retender_body(runtime), headers=world.supervisor
    )
    assert stranger.status_code == 403
