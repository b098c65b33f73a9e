"""Supervisor review of tender notices (公告审核): rules per region/category as data, the review's
states, publishing refused until approved, a changed draft reviewed again, and the audit trail."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from bidding.lifecycle import Review
from core.models import AuditEntry
from core.runtime import Runtime
from tests.bidding.helpers import make_world, tender_body

CODE = "JLZB-2026-001"
BASIS = "吉林市公共资源交易监督管理办法第十二条（示例）"


async def _rule(client: Any, world: Any, **rule: Any) -> Any:
    return await client.put(
        "/api/notice-review/rules", json={"legal_basis": BASIS, **rule}, headers=world.supervisor
    )


async def test_no_rule_means_no_review_and_publishing_works(runtime: Runtime, client: Any) -> None:
    world = await make_world(runtime, client, bidders=0)
    assert (
        await client.post("/api/tenders", json=tender_body(runtime, world), headers=world.agent)
    ).status_code == 201
    status = (await client.get(f"/api/tenders/{CODE}/review", headers=world.agent)).json()
    assert status["required"] is False and status["state"] == Review.NONE
    refused = await client.post(f"/api/tenders/{CODE}/review", headers=world.agent)
    assert refused.status_code == 409 and refused.json()["error"] == "review_not_required"
    assert (await client.post(f"/api/tenders/{CODE}/publish", headers=world.agent)).status_code == 200


async def test_required_review_submit_return_resubmit_approve_publish(runtime: Runtime, client: Any) -> None:
    world = await make_world(runtime, client, bidders=1)
    set_ = await _rule(client, world, region_code="220281", required=True)
    assert set_.status_code == 200 and set_.json()["required"] is True
    body = tender_body(runtime, world)
    assert (await client.post("/api/tenders", json=body, headers=world.agent)).status_code == 201
    # publishing an unapproved notice where review is required is refused, saying why
    refused = await client.post(f"/api/tenders/{CODE}/publish", headers=world.agent)
    assert refused.status_code == 409 and refused.json()["error"] == "review_required"
    assert "审核" in refused.json()["detail"]
    # the supervisor cannot decide what was not submitted
    early = await client.post(f"/api/tenders/{CODE}/review/approve", headers=world.supervisor)
    assert early.status_code == 409 and early.json()["error"] == "invalid_review_state"
    submitted = await client.post(f"/api/tenders/{CODE}/review", headers=world.agent)
    assert submitted.status_code == 200 and submitted.json()["state"] == "submitted"
    assert submitted.json()["legal_basis"] == BASIS
    again = await client.post(f"/api/tenders/{CODE}/review", headers=world.agent)
    assert again.status_code == 409
    # under review the draft is frozen
    frozen = await client.post("/api/tenders", json=body, headers=world.agent)
    assert frozen.status_code == 409 and frozen.json()["error"] == "under_review"
    listed = (await client.get("/api/notice-reviews", headers=world.supervisor)).json()
    assert [r["tender"] for r in listed] == [CODE]
    # a return needs reasons; the owners see them
    no_reason = await client.post(
        f"/api/tenders/{CODE}/review/return", json={"reason": "  "}, headers=world.supervisor
    )
    assert no_reason.status_code == 422 and no_reason.json()["error"] == "reason_required"
    returned = await client.post(
        f"/api/tenders/{CODE}/review/return", json={"reason": "资格条件设置过高"}, headers=world.supervisor
    )
    assert returned.status_code == 200 and returned.json()["state"] == "returned"
    mine = (await client.get(f"/api/tenders/{CODE}/review", headers=world.agent)).json()
    assert mine["history"][0]["reason"] == "资格条件设置过高"
    assert (await client.get("/api/notice-reviews", headers=world.supervisor)).json() == []
    assert (await client.post(f"/api/tenders/{CODE}/publish", headers=world.agent)).status_code == 409
    # fixed and resubmitted, then approved: now it publishes
    fixed = {**body, "description": "资格条件已调整"}
    assert (await client.post("/api/tenders", json=fixed, headers=world.agent)).status_code == 201
    assert (await client.post(f"/api/tenders/{CODE}/review", headers=world.agent)).status_code == 200
    approved = await client.post(f"/api/tenders/{CODE}/review/approve", headers=world.supervisor)
    assert approved.status_code == 200 and approved.json()["state"] == "approved"
    assert [h["state"] for h in approved.json()["history"]] == ["approved", "returned"]
    published = await client.post(f"/api/tenders/{CODE}/publish", headers=world.agent)
    assert published.status_code == 200 and published.json()["state"] == "published"
    # the public never sees the review; its outcome is in the log, naming the review not the draft
    assert (
        await client.get(f"/api/tenders/{CODE}/review", headers=world.bidders[0].headers)
    ).status_code == 403
    async with runtime.sessions() as session:
        entries = list(await session.scalars(select(AuditEntry).order_by(AuditEntry.position)))
    kinds = [e.kind for e in entries]
    for kind in (
        "notice_review.rule_set",
        "notice_review.submitted",
        "notice_review.returned",
        "notice_review.approved",
    ):
        assert kind in kinds
    review_entries = [
        e for e in entries if e.kind.startswith("notice_review.") and e.kind != "notice_review.rule_set"
    ]
    assert all(CODE not in e.entry for e in review_entries)  # a draft is not public
    assert all("资格条件设置过高" not in e.entry for e in review_entries)  # reasons only as a hash
    published_entry = json.loads(next(e for e in entries if e.kind == "tender.published").entry)
    assert published_entry["data"]["notice_review"] == approved.json()["history"][0]["id"]


async def test_a_change_after_approval_lapses_it(runtime: Runtime, client: Any) -> None:
    world = await make_world(runtime, client, bidders=0)
    await _rule(client, world, category="construction", required=True)
    body = tender_body(runtime, world)
    await client.post("/api/tenders", json=body, headers=world.agent)
    await client.post(f"/api/tenders/{CODE}/review", headers=world.agent)
    await client.post(f"/api/tenders/{CODE}/review/approve", headers=world.supervisor)
    changed = {**body, "ceiling_price": "11000000.00"}
    assert (await client.post("/api/tenders", json=changed, headers=world.agent)).status_code == 201
    status = (await client.get(f"/api/tenders/{CODE}/review", headers=world.agent)).json()
    assert status["state"] == "none" and status["history"][0]["lapsed"] is True
    refused = await client.post(f"/api/tenders/{CODE}/publish", headers=world.agent)
    assert refused.status_code == 409 and refused.json()["error"] == "review_required"
    # a document uploaded to an approved draft lapses it too
    await client.post(f"/api/tenders/{CODE}/review", headers=world.agent)
    await client.post(f"/api/tenders/{CODE}/review/approve", headers=world.supervisor)
    put = await client.put(
        f"/api/tenders/{CODE}/documents/招标文件.pdf", content=b"%PDF-1.4", headers=world.agent
    )
    assert put.status_code == 201, put.text
    assert (await client.get(f"/api/tenders/{CODE}/review", headers=world.agent)).json()["state"] == "none"


async def test_the_most_specific_rule_wins(runtime: Runtime, client: Any) -> None:
    world = await make_world(runtime, client, bidders=0)
    assert (await _rule(client, world, region_code="220281", required=True)).status_code == 200
    assert (
        await _rule(client, world, region_code="220281", category="construction", required=False)
    ).status_code == 200
    await client.post("/api/tenders", json=tender_body(runtime, world), headers=world.agent)
    goods = tender_body(runtime, world, "JLZB-2026-002", category="goods")
    await client.post("/api/tenders", json=goods, headers=world.agent)
    assert (await client.post(f"/api/tenders/{CODE}/publish", headers=world.agent)).status_code == 200
    assert (await client.post("/api/tenders/JLZB-2026-002/publish", headers=world.agent)).json()[
        "error"
    ] == "review_required"
    rules = (await client.get("/api/notice-review/rules", headers=world.supervisor)).json()
    assert [(r["region_code"], r["category"], r["required"]) for r in rules] == [
        ("220281", "", True),
        ("220281", "construction", False),
    ]
    bad = await _rule(client, world, region_code="999999", required=True)
    assert bad.status_code == 404
    no_basis = await client.put(
        "/api/notice-review/rules", json={"required": True, "legal_basis": " "}, headers=world.supervisor
    )
    assert no_basis.status_code == 422 and no_basis.json()["error"] == "legal_basis_required"
