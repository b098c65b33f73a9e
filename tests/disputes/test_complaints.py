"""Complaints through the API on a real tender: the 10-day period at its boundary with the prior
objection's answer time not counted, the matters that need a prior objection, evidence in the blob
store, the supervisor's working-day clocks over the National Day holiday, the suspension it orders and
lifts, the published decision that never names the complainant, the audit log and credit deductions."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bidding import opening
from bidding import service as bidding
from bidding.models import Tender
from catalog.cases import set_holiday
from catalog.workdays import official_2026
from core.clock import ManualClock, as_utc
from core.errors import Conflict, InvalidInput
from core.models import AuditEntry
from core.runtime import Runtime
from credit import service as credit
from disputes import service as disputes
from disputes.periods import Kind, Matter
from tests.bidding.helpers import make_world
from tests.bidding.test_opening import bid_all, file_key
from tests.disputes.world import CODE, bidding_tender, in_publicity
from tests.evaluation.world import api_headers, principal
from tests.publication.ocds_schema import assert_valid

MINUTE = timedelta(minutes=1)
COMPLAINT = {"request": "责令招标人修改资格条件", "grounds": "业绩要求与项目规模不相称，排斥潜在投标人"}


async def audit(runtime: Runtime, prefix: str) -> list[dict[str, Any]]:
    async with runtime.sessions() as session:
        rows = await session.scalars(
            select(AuditEntry).where(AuditEntry.kind.startswith(prefix)).order_by(AuditEntry.position)
        )
        return [json.loads(row.entry) for row in rows]


async def holidays(runtime: Runtime) -> None:
    async with runtime.transaction() as session:
        for day, kind, name in official_2026():
            await set_holiday(session, runtime, day, kind, name, "test")


async def index_of(runtime: Runtime, code: str) -> Decimal:
    async with runtime.sessions() as session:
        return (await credit.standing(session, "bidder", code, credit.today(runtime))).index


async def test_a_documents_complaint_needs_the_objection_whose_answer_time_does_not_count(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    world, _tender = await bidding_tender(runtime, client, tmp_path, bidders=2)
    heads = {b.username: await api_headers(runtime, b.username) for b in world.bidders}
    heads["tenderer1"] = await api_headers(runtime, "tenderer1")
    knew_on = clock.now().astimezone(UTC).date()  # 5 January 2026, 09:00 in Beijing
    body = {"tender": CODE, "matter": "documents", "knew_on": knew_on.isoformat(), **COMPLAINT}

    refused = await client.post("/api/complaints", json=body, headers=heads["bidder0"])
    assert refused.status_code == 409 and refused.json()["error"] == "objection_required"
    assert "第二十二条" in refused.json()["detail"]
    opening = {**body, "matter": "opening"}
    refused = await client.post("/api/complaints", json=opening, headers=heads["bidder0"])
    assert refused.status_code == 409 and "第四十四条" in refused.json()["detail"]

    objected = await client.post(
        f"/api/tenders/{CODE}/objections", json={"kind": "documents", "reason": "业绩要求过高"},
        headers=heads["bidder0"],
    )  # fmt: skip
    assert objected.status_code == 201, objected.text
    paused = timedelta(days=2, hours=3)
    clock.advance(seconds=int(paused.total_seconds()))
    answered = await client.post(
        f"/api/objections/{objected.json()['id']}/answer",
        json={"answer": "不予修改"},
        headers=heads["tenderer1"],
    )
    assert answered.status_code == 200, answered.text

    # 10 days: 24:00 on 15 January in Beijing, pushed out by the 2 days 3 hours the objection waited
    closes = datetime(2026, 1, 15, 16, 0, tzinfo=UTC) + paused
    clock.set(closes - MINUTE)  # the last allowed minute
    filed = await client.post("/api/complaints", json=body, headers=heads["bidder0"])
    assert filed.status_code == 201, filed.text
    got = filed.json()
    assert got["objection"] == objected.json()["id"] and got["status"] == "received"
    assert datetime.fromisoformat(got["closes_at"]) == closes and "第六十条" in got["basis"]
    clock.set(closes)  # the first refused
    late = await client.post("/api/complaints", json=body, headers=heads["bidder0"])
    assert late.status_code == 409 and late.json()["error"] == "complaint_period_over", late.text
    # another matter needs no objection, and its 10 days are not extended
    other = {**body, "matter": "other"}
    late = await client.post("/api/complaints", json=other, headers=heads["bidder1"])
    assert late.status_code == 409 and late.json()["error"] == "complaint_period_over"
    fresh = {**other, "knew_on": "2026-01-08"}
    assert (await client.post("/api/complaints", json=fresh, headers=heads["bidder1"])).status_code == 201
    # a refused input stores nothing
    empty = await client.post("/api/complaints", json={**fresh, "grounds": " "}, headers=heads["bidder1"])
    assert (
        empty.status_code == 400 and empty.json()["error"] == "invalid_request"
    )  # the schema says not blank
    mine = (await client.get("/api/complaints/mine", headers=heads["bidder1"])).json()
    assert [c["matter"] for c in mine] == ["other"]


async def test_the_supervisor_accepts_suspends_and_upholds_over_the_national_day_holiday(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    clock.set(datetime(2026, 9, 30, 2, 0, tzinfo=UTC))  # Wednesday 30 September, 10:00 in Beijing
    world, _tender = await bidding_tender(runtime, client, tmp_path, bidders=2)
    await holidays(runtime)
    complainant, at_fault = world.bidders
    heads = {b.username: await api_headers(runtime, b.username) for b in world.bidders}
    sup = await api_headers(runtime, "super1")
    body = {"tender": CODE, "matter": "other", "lot": "1", "knew_on": "2026-09-29", **COMPLAINT}
    filed = await client.post("/api/complaints", json=body, headers=heads["bidder0"])
    assert filed.status_code == 201, filed.text
    case = filed.json()
    # 3 working days: 1-7 October are holidays, Sat 10 October a make-up working day → 24:00 on the 10th
    accept_due = datetime(2026, 10, 10, 16, 0, tzinfo=UTC)
    assert datetime.fromisoformat(case["accept_due"]) == accept_due and case["warning"] == "green"
    url = f"/api/complaints/{case['id']}"

    # evidence: kept in the blob store, for the complainant and supervisors only
    evidence = "业绩证明材料".encode() * 100
    added = await client.post(
        f"{url}/documents?name=证据1.pdf", content=evidence,
        headers={**heads["bidder0"], "Content-Type": "application/octet-stream"},
    )  # fmt: skip
    assert added.status_code == 201, added.text
    doc = added.json()
    download = await client.get(f"{url}/documents/{doc['id']}", headers=sup)
    assert download.status_code == 200 and download.content == evidence
    assert download.headers["x-content-sha256"] == doc["sha256"]
    assert (await client.get(f"{url}/documents/{doc['id']}", headers=heads["bidder1"])).status_code == 404
    assert (await client.get(url, headers=heads["bidder1"])).status_code == 404

    cases = (await client.get("/api/complaints/cases", headers=sup)).json()
    assert [(c["id"], c["warning"], c["complainant"]) for c in cases] == [
        (case["id"], "green", "测试bidder10")
    ]
    clock.set(accept_due + MINUTE)
    assert (await client.get(url, headers=sup)).json()["warning"] == "red"
    clock.set(accept_due - MINUTE)  # the last minute of the acceptance clock
    assert (await client.get(url, headers=sup)).json()["warning"] == "yellow"
    accepted = await client.post(f"{url}/acceptance", json={"accept": True}, headers=sup)
    assert accepted.status_code == 200, accepted.text
    # 30 working days from Saturday 10 October (a working day): Oct 12-16, 19-23, 26-30, Nov 2-6, 9-13, 16-20
    decide_due = datetime(2026, 11, 20, 16, 0, tzinfo=UTC)
    assert accepted.json()["status"] == "accepted"
    assert datetime.fromisoformat(accepted.json()["decide_due"]) == decide_due
    again = await client.post(f"{url}/acceptance", json={"accept": True}, headers=sup)
    assert again.status_code == 409 and again.json()["error"] == "already_decided"

    # the supervisor suspends the award of lot 1 (and only that) until it decides
    held = await client.post(f"{url}/suspension", json={"step": "award"}, headers=sup)
    assert held.status_code == 200 and held.json()["suspended"] == "award"
    async with runtime.sessions() as session:
        holds = await bidding.holds_of(session, CODE)
    assert [(h.step, h.lot, h.ref) for h in holds] == [(bidding.Step.AWARD, "1", f"complaint:{case['id']}")]
    twice = await client.post(f"{url}/suspension", json={"step": "opening"}, headers=sup)
    assert twice.status_code == 409 and twice.json()["error"] == "already_suspended"

    bare = await client.post(f"{url}/decision", json={"outcome": "upheld", "reasons": "属实"}, headers=sup)
    assert bare.status_code == 422 and bare.json()["error"] == "bad_remedy"
    clock.set(decide_due - MINUTE)
    decided = await client.post(
        f"{url}/decision",
        json={"outcome": "upheld", "reasons": "第一中标候选人提供的业绩证明系伪造", "remedy": "re_evaluate",
              "fault_kind": "bidder", "fault_party": at_fault.code},
        headers=sup,
    )  # fmt: skip
    assert decided.status_code == 200, decided.text
    assert decided.json()["status"] == "upheld" and decided.json()["warning"] is None
    again = await client.post(f"{url}/decision", json={"outcome": "dismissed", "reasons": "x"}, headers=sup)
    assert again.status_code == 409 and again.json()["error"] == "not_accepted"
    async with runtime.sessions() as session:
        assert await bidding.holds_of(session, CODE) == []
        tender_id = await session.scalar(select(Tender.id).where(Tender.code == CODE))
        notices = [n for n in await bidding.notices_of(session, tender_id) if n.kind == "complaint_decision"]
    assert len(notices) == 1 and "投诉成立，重新评标" in notices[0].body
    assert "测试bidder10" not in notices[0].body + notices[0].title

    # credit: rule B20 (10 points) for the party at fault, nothing for the complainant
    assert await index_of(runtime, at_fault.code) == Decimal("90.00")
    assert await index_of(runtime, complainant.code) == Decimal("100.00")
    entries = await audit(runtime, "complaint.")
    assert [e["kind"] for e in entries] == [
        "complaint.filed", "complaint.evidence_added", "complaint.accepted", "complaint.suspension_ordered",
        "complaint.decided",
    ]  # fmt: skip
    assert "测试bidder10" not in json.dumps(entries, ensure_ascii=False)
    assert entries[-1]["data"]["late"] is False and entries[-1]["data"]["false_statement"] == "bidder"


async def test_a_rejection_is_published_and_a_malicious_complaint_costs_the_complainant(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    world, _tender = await bidding_tender(runtime, client, tmp_path, bidders=1)
    bidder = await api_headers(runtime, "bidder0")
    sup = await api_headers(runtime, "super1")
    body = {"tender": CODE, "matter": "other", "knew_on": clock.now().date().isoformat(), **COMPLAINT}
    first = (await client.post("/api/complaints", json=body, headers=bidder)).json()
    second = (await client.post("/api/complaints", json=body, headers=bidder)).json()

    unexplained = await client.post(f"/api/complaints/{first['id']}/acceptance", json={"accept": False},
                                    headers=sup)  # fmt: skip
    assert unexplained.status_code == 422 and unexplained.json()["error"] == "bad_text"
    rejected = await client.post(
        f"/api/complaints/{first['id']}/acceptance",
        json={"accept": False, "reason": "超过投诉期限"},
        headers=sup,
    )
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    closed = await client.post(
        f"/api/complaints/{first['id']}/documents?name=a.txt", content=b"late",
        headers={**bidder, "Content-Type": "application/octet-stream"},
    )  # fmt: skip
    assert closed.status_code == 409 and closed.json()["error"] == "complaint_closed"

    await client.post(f"/api/complaints/{second['id']}/acceptance", json={"accept": True}, headers=sup)
    mixed = await client.post(
        f"/api/complaints/{second['id']}/decision",
        json={"outcome": "upheld", "reasons": "x", "remedy": "amend", "malicious": True}, headers=sup,
    )  # fmt: skip
    assert mixed.status_code == 422 and mixed.json()["error"] == "bad_malicious"
    dismissed = await client.post(
        f"/api/complaints/{second['id']}/decision",
        json={"outcome": "dismissed", "reasons": "所附证明材料系伪造", "malicious": True}, headers=sup,
    )  # fmt: skip
    assert dismissed.status_code == 200 and dismissed.json()["malicious"] is True
    assert await index_of(runtime, world.bidders[0].code) == Decimal("95.00")  # rule B21, 5 points
    async with runtime.sessions() as session:
        tender_id = await session.scalar(select(Tender.id).where(Tender.code == CODE))
        kinds = [
            n.body for n in await bidding.notices_of(session, tender_id) if n.kind == "complaint_decision"
        ]
    assert len(kinds) == 2 and "不予受理" in kinds[0] and "驳回投诉" in kinds[1]
    assert as_utc(datetime.fromisoformat(dismissed.json()["decided_at"])) == clock.now()
    assert date.fromisoformat(dismissed.json()["knew_on"]) == clock.now().date()


async def test_the_published_decision_is_public_and_a_valid_ocds_release_without_the_complainant(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    await bidding_tender(runtime, client, tmp_path, bidders=1)
    bidder = await api_headers(runtime, "bidder0")
    sup = await api_headers(runtime, "super1")
    body = {"tender": CODE, "matter": "other", "knew_on": clock.now().date().isoformat(), **COMPLAINT}
    case = (await client.post("/api/complaints", json=body, headers=bidder)).json()
    await client.post(f"/api/complaints/{case['id']}/acceptance", json={"accept": True}, headers=sup)
    decided = await client.post(
        f"/api/complaints/{case['id']}/decision",
        json={"outcome": "upheld", "reasons": "资格条件确属排斥潜在投标人", "remedy": "amend"}, headers=sup,
    )  # fmt: skip
    assert decided.status_code == 200, decided.text

    history = await client.get(f"/tenders/{CODE}/history")  # logged out: the public page
    assert history.status_code == 200 and "投诉处理决定" in history.text and "责令改正" in history.text
    assert "测试bidder10" not in history.text
    record = await client.get(f"/api/ocds/records/ocds-sunbid-{CODE}")
    assert record.status_code == 200, record.text
    assert_valid(record.json())
    releases = record.json()["records"][0]["releases"]
    last = releases[-1]
    assert last["tag"] == ["tenderUpdate"] and "测试bidder10" not in json.dumps(last, ensure_ascii=False)
    assert [d["documentType"] for d in last["tender"]["documents"]][-1] == "complaints"


async def test_a_result_complaint_rests_on_the_same_lots_result_objection(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:

    ew = await in_publicity(runtime, client, clock, tmp_path)
    objector = await principal(runtime, ew.bidding.bidders[2].username)
    bystander = await principal(runtime, ew.bidding.bidders[1].username)
    agent = await principal(runtime, "agent1")
    async with runtime.transaction() as session:
        objection = await disputes.file_objection(
            session, runtime, objector, CODE, Kind.RESULT, "业绩造假", "1"
        )
    clock.advance(days=1)
    async with runtime.transaction() as session:
        await disputes.answer_objection(session, runtime, agent, objection.id, "经核查业绩真实")
    today = clock.now().date()
    for who, lot, error in ((bystander, "1", "objection_required"), (objector, None, "bad_lot")):
        with pytest.raises((Conflict, InvalidInput)) as refused:
            async with runtime.transaction() as session:
                await disputes.file_complaint(
                    session,
                    runtime,
                    who,
                    CODE,
                    Matter.RESULT,
                    "取消其中标候选人资格",
                    "业绩造假",
                    today,
                    lot=lot,
                )
        assert refused.value.code == error
        if error == "objection_required":
            assert "第五十四条" in refused.value.detail
    async with runtime.transaction() as session:
        filed = await disputes.file_complaint(
            session,
            runtime,
            objector,
            CODE,
            Matter.RESULT,
            "取消其中标候选人资格",
            "业绩造假",
            today,
            lot="1",
        )
    assert filed.objection == objection.id and filed.lot == "1" and "第五十四条" in filed.basis
    # the objection waited one day for its answer: the complaint period is one day longer
    assert filed.closes_at - timedelta(days=1) == datetime.combine(
        today + timedelta(days=11), datetime.min.time(), tzinfo=UTC
    ) - timedelta(hours=8)


async def test_an_opening_complaint_rests_on_an_objection_made_at_the_opening(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    world = await make_world(runtime, client, bidders=3)
    _tender, sealed = await bid_all(
        runtime, client, world, tmp_path, ["11000000.00", "10900000.00", "10800000.00"]
    )
    keys = [file_key(s, b.identity) for s, b in zip(sealed, world.bidders, strict=True)]
    clock.advance(days=21, seconds=1)
    await opening.open_due(runtime)
    base = f"/api/tenders/{CODE}"
    assert (await client.post(f"{base}/opening/start", headers=world.tenderer)).status_code == 200
    for bidder, key in zip(world.bidders, keys, strict=True):
        done = await client.post(f"{base}/lots/1/opening/key", json={"file_key": key}, headers=bidder.headers)
        assert done.status_code == 200, done.text
    objected = await client.post(
        f"{base}/lots/1/opening/objections", json={"reason": "工期有误"}, headers=world.bidders[1].headers
    )
    assert objected.status_code < 300, objected.text
    body = {"tender": CODE, "matter": "opening", "knew_on": clock.now().date().isoformat(), **COMPLAINT}
    refused = await client.post("/api/complaints", json=body, headers=world.bidders[0].headers)
    assert refused.status_code == 409 and refused.json()["error"] == "objection_required"
    filed = await client.post("/api/complaints", json=body, headers=world.bidders[1].headers)
    assert filed.status_code == 201, filed.text
    assert filed.json()["objection"] is None and "第四十四条" in filed.json()["basis"]
