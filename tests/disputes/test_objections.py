"""Objections through the API and the services: each period at its boundary on a real tender, the
suspension of exactly the affected step until the answer, who may see the objector, and the audit log."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bidding import opening
from bidding import service as bidding
from bidding.models import Tender
from core.clock import ManualClock, as_utc
from core.errors import Conflict
from core.models import AuditEntry
from core.runtime import Runtime
from evaluation import service as evaluation
from evaluation.models import Evaluation
from tests.bidding.helpers import make_world, published_tender
from tests.disputes.world import CODE, bidding_tender, in_publicity
from tests.evaluation.world import api_headers, principal

MINUTE = timedelta(minutes=1)
DOCUMENTS = {"kind": "documents", "reason": "资格条件要求的业绩与项目规模不相称，排斥潜在投标人"}
RESULT = {"kind": "result", "lot": "1", "reason": "第一中标候选人的项目经理同时在其他在建项目任职"}


async def holds(runtime: Runtime, step: bidding.Step) -> list[bidding.Hold]:
    async with runtime.sessions() as session:
        return await bidding.holds_of(session, CODE, step)


async def audit_kinds(runtime: Runtime, prefix: str) -> list[dict[str, Any]]:
    async with runtime.sessions() as session:
        rows = await session.scalars(
            select(AuditEntry).where(AuditEntry.kind.startswith(prefix)).order_by(AuditEntry.position)
        )
        return [json.loads(row.entry) for row in rows]


async def test_a_documents_objection_holds_the_opening_and_nothing_else_until_answered(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    world, _tender = await bidding_tender(runtime, client, tmp_path)
    heads = {b.username: await api_headers(runtime, b.username) for b in world.bidders}
    for name in ("agent1", "tenderer1", "super1"):
        heads[name] = await api_headers(runtime, name)
    async with runtime.sessions() as session:
        deadline = as_utc(await session.scalar(select(Tender.bid_deadline).where(Tender.code == CODE)))
    url = f"/api/tenders/{CODE}/objections"

    clock.set(deadline - timedelta(days=10) - MINUTE)  # the last allowed minute (Art. 22)
    filed = await client.post(url, json=DOCUMENTS, headers=heads["bidder0"])
    assert filed.status_code == 201, filed.text
    body = filed.json()
    assert body["pending"] and body["suspends"] == "opening" and "第二十二条" in body["basis"]
    clock.set(deadline - timedelta(days=10))  # the first refused
    late = await client.post(url, json=DOCUMENTS, headers=heads["bidder1"])
    assert late.status_code == 409 and late.json()["error"] == "objection_period_over", late.text
    # a wrong input is refused with its reason and stores nothing
    empty = await client.post(url, json={"kind": "documents", "reason": " "}, headers=heads["bidder1"])
    assert (
        empty.status_code == 400 and empty.json()["error"] == "invalid_request"
    )  # the schema says not blank
    unknown = await client.post(url, json={"kind": "weather", "reason": "x"}, headers=heads["bidder1"])
    assert unknown.status_code == 400, unknown.text
    assert [h.step for h in await holds(runtime, bidding.Step.OPENING)] == [bidding.Step.OPENING]
    assert await holds(runtime, bidding.Step.AWARD) == []

    # who objected: the tenderer, the agent and supervisors (and the objector itself); no other bidder
    seen = {name: (await client.get(url, headers=h)).json()[0]["objector"] for name, h in heads.items()}
    assert seen == {
        "bidder0": "测试bidder10", "bidder1": None, "bidder2": None,
        "agent1": "测试bidder10", "tenderer1": "测试bidder10", "super1": "测试bidder10",
    }  # fmt: skip
    inbox = (await client.get("/api/objections/inbox", headers=heads["agent1"])).json()
    assert [(o["id"], o["warning"]) for o in inbox] == [(body["id"], "green")]

    # the deadline still passes (no bid after it), but nobody opens the bids: neither the host …
    clock.set(deadline + MINUTE)
    assert await opening.open_due(runtime) == [CODE]
    agent = await principal(runtime, "agent1")
    with pytest.raises(Conflict) as suspended:
        async with runtime.transaction() as session:
            await opening.start(session, runtime, agent, CODE)
    assert suspended.value.code == "suspended"
    assert "tender documents is unanswered" in suspended.value.detail
    # … nor the platform once the host's grace is over
    clock.advance(minutes=30)
    assert await opening.autostart_due(runtime) == []

    # only the tender's tenderer or agent answers; an answer once
    answer_url = f"/api/objections/{body['id']}/answer"
    for name in ("bidder1", "super1"):
        assert (await client.post(answer_url, json={"answer": "x"}, headers=heads[name])).status_code == 403
    answered = await client.post(
        answer_url, json={"answer": "业绩要求已按项目规模修改"}, headers=heads["tenderer1"]
    )
    assert answered.status_code == 200, answered.text
    assert not answered.json()["pending"] and answered.json()["warning"] is None
    again = await client.post(answer_url, json={"answer": "再答复"}, headers=heads["agent1"])
    assert again.status_code == 409 and again.json()["error"] == "already_answered"
    assert await holds(runtime, bidding.Step.OPENING) == []
    async with runtime.transaction() as session:
        assert await opening.start(session, runtime, agent, CODE)

    # the log says what happened and never who objected
    entries = await audit_kinds(runtime, "objection.")
    assert [e["kind"] for e in entries] == ["objection.filed", "objection.answered"]
    assert "测试bidder10" not in json.dumps(entries, ensure_ascii=False)
    assert [e["kind"] for e in await audit_kinds(runtime, "tender.hold_")] == [
        "tender.hold_placed", "tender.hold_released",
    ]  # fmt: skip


async def test_only_a_registered_bidder_objects(runtime: Runtime, client: Any) -> None:
    world = await make_world(runtime, client, bidders=2)
    await published_tender(runtime, client, world)
    registered, outsider = world.bidders
    assert (
        await client.post(f"/api/tenders/{CODE}/registration", headers=registered.headers)
    ).status_code == 201
    url = f"/api/tenders/{CODE}/objections"
    refused = await client.post(url, json=DOCUMENTS, headers=outsider.headers)
    assert refused.status_code == 403 and refused.json()["error"] == "not_registered", refused.text
    assert (await client.post(url, json=DOCUMENTS, headers=registered.headers)).status_code == 201


async def test_a_result_objection_holds_the_award_of_its_lot_until_answered(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    ew = await in_publicity(runtime, client, clock, tmp_path)
    async with runtime.sessions() as session:
        ends = as_utc(await session.scalar(select(Evaluation.publicity_ends)))
    from disputes import service as disputes
    from disputes.periods import Kind

    objector = await principal(runtime, ew.bidding.bidders[2].username)
    clock.set(ends - MINUTE)  # the last minute of the publicity (Art. 54)
    async with runtime.transaction() as session:
        filed = await disputes.file_objection(
            session, runtime, objector, CODE, Kind.RESULT, RESULT["reason"], "1"
        )
    assert filed.suspends == "award" and filed.lot == "1"
    clock.set(ends)  # the publicity is over: the first refused
    other = await principal(runtime, ew.bidding.bidders[1].username)
    with pytest.raises(Conflict) as late:
        async with runtime.transaction() as session:
            await disputes.file_objection(session, runtime, other, CODE, Kind.RESULT, RESULT["reason"], "1")
    assert late.value.code == "objection_period_over"
    assert await holds(runtime, bidding.Step.OPENING) == []

    clock.advance(days=1)
    with pytest.raises(Conflict) as suspended:
        async with runtime.transaction() as session:
            await evaluation.award(session, runtime, ew.agent, f"{CODE}-1")
    assert suspended.value.code == "suspended"
    assert "evaluation result is unanswered" in suspended.value.detail
    async with runtime.sessions() as session:
        assert await session.scalar(select(Tender.state).where(Tender.code == CODE)) == "publicity"
        # the inbox shows the clock: green a day in, red once 24:00 Beijing of the third day has passed
        listed = await disputes.inbox(session, runtime, ew.agent)
    clock.advance(days=3)
    async with runtime.sessions() as session:
        assert [o.warning for o in await disputes.inbox(session, runtime, ew.agent)] == ["red"]
    assert [o.warning for o in listed] == ["green"]

    async with runtime.transaction() as session:
        await disputes.answer_objection(
            session, runtime, ew.agent, filed.id, "经核查，该项目经理已办理变更手续"
        )
    async with runtime.transaction() as session:
        awarded = await evaluation.award(session, runtime, ew.agent, f"{CODE}-1")
    assert awarded.winner == ew.bidder_codes[0]
