"""Deposits of a procedure that ends without a contract (《招标投标法实施条例》第三十一条, "及时退还": here 5
days): a terminated tender's deposits fall due through the job, counted from the termination; a lot
tendered again after its winner refused has the other bidders' deposits fall due while the refusing
winner's stays forfeited (Art. 74); a lot whose opening failed while the other lot goes on has its
deposits fall due, counted from its opening record."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bidding import opening
from bidding.models import Lot, Opening, Tender
from contracts import jobs as contract_jobs
from core.clock import ManualClock, as_utc, end_of_days_after
from core.runtime import Runtime
from guarantees import jobs, rules, service
from tests.bidding.helpers import make_world
from tests.bidding.test_opening import bid_all, file_key, host_starts, past_deadline, principal
from tests.contracts.test_guarantee_hooks import deposit, deposits
from tests.contracts.world import awarded
from tests.guarantees.world import BOND, CODE, make_gworld


async def test_a_terminated_tenders_deposits_fall_due_five_days_after_it_ended(
    runtime: Runtime, client: Any, clock: ManualClock
) -> None:
    gw = await make_gworld(runtime, client)
    ids = []
    for bidder in gw.world.bidders[:2]:
        got = await client.post(
            f"/api/tenders/{CODE}/lots/1/deposits",
            json={"bidder": bidder.code, "amount": BOND, "payer_account": "6222 0000 1111 2222"},
            headers=gw.world.supervisor,
        )
        assert got.status_code == 201, got.text
        ids.append(got.json()["id"])
    await jobs.release_clock(runtime)  # the tender is still taking bids: nothing falls due
    assert (await service_deposits(client, gw))[ids[0]]["status"] == "held"
    clock.advance(hours=1)
    ended = clock.now()
    cancelled = await client.post(
        f"/api/tenders/{CODE}/cancel", json={"reason": "项目取消"}, headers=gw.world.agent
    )
    assert cancelled.status_code == 200, cancelled.text
    clock.advance(hours=3)  # the job runs later; the clock counts from the termination
    await jobs.release_clock(runtime)
    await jobs.release_clock(runtime)  # idempotent
    after = await service_deposits(client, gw)
    for i in ids:
        assert after[i]["status"] == "refund_due" and after[i]["basis"] == "《招标投标法实施条例》第三十一条"
        due = as_utc(datetime.fromisoformat(after[i]["refund_due_at"]))
        assert due == rules.release_due(ended) == end_of_days_after(ended, 5)
    async with runtime.sessions() as session:
        due_list = await service.refund_obligations(session, runtime)
    assert sorted(d.id for d in due_list) == sorted(ids) and {d.warning for d in due_list} == {"green"}
    clock.set(due)  # the last allowed instant: not yet late
    async with runtime.sessions() as session:
        assert "red" not in {d.warning for d in await service.refund_obligations(session, runtime)}
    clock.set(due + timedelta(microseconds=1))  # past due: red on the refunds page
    async with runtime.sessions() as session:
        assert {d.warning for d in await service.refund_obligations(session, runtime)} == {"red"}


async def service_deposits(client: Any, gw: Any) -> dict[int, dict[str, Any]]:
    got = await client.get(f"/api/tenders/{CODE}/lots/1/deposits", headers=gw.world.supervisor)
    assert got.status_code == 200, got.text
    return {d["id"]: d for d in got.json()}


async def test_a_lot_tendered_again_refunds_the_other_bidders_deposits(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    world = await awarded(runtime, client, clock, tmp_path)
    others = [b for b in world.bidders if b.code != world.winner.code]
    mine = await deposit(client, world, world.winner.code)
    theirs = [await deposit(client, world, b.code) for b in others]
    await contract_jobs.contract_clock(runtime)
    (c,) = (await client.get("/api/contracts", headers=world.heads["tenderer1"])).json()
    refused = await client.post(
        f"/api/contracts/{c['id']}/refuse",
        json={"reason": "不再签约"},
        headers=world.heads[world.winner.username],
    )
    assert refused.status_code == 200, refused.text
    assert all(d["status"] == "held" for i, d in (await deposits(client, world)).items() if i in theirs)
    clock.advance(hours=2)
    decided = clock.now()
    again = await client.post(f"/api/contracts/{c['id']}/retender", headers=world.heads["agent1"])
    assert again.status_code == 200 and again.json()["next_step"] == "retender", again.text
    after = await deposits(client, world)
    assert after[mine]["status"] == "forfeited" and after[mine]["basis"].endswith("第七十四条")
    for i in theirs:
        assert after[i]["status"] == "refund_due" and after[i]["basis"].endswith("第三十一条")
        due = as_utc(datetime.fromisoformat(after[i]["refund_due_at"]))
        assert due == end_of_days_after(decided, 5)


async def test_a_lot_whose_opening_failed_has_its_deposits_fall_due_while_the_other_lot_goes_on(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    world = await make_world(runtime, client, bidders=3)
    lots = [
        {"number": n, "title": f"{n}标段", "budget": "12000000.00", "ceiling_price": "11500000.00"}
        for n in ("1", "2")
    ]
    # Three bids on lot 1, none on lot 2: lot 2's opening fails (流标), lot 1's goes on to evaluation.
    _tender, sealed = await bid_all(
        runtime, client, world, tmp_path, ["11000000.00", "10900000.00", "10800000.00"], lots=lots
    )
    paid = {}
    for lot, bidder in (("1", world.bidders[0]), ("2", world.bidders[1])):
        got = await client.post(
            f"/api/tenders/{CODE}/lots/{lot}/deposits",
            json={"bidder": bidder.code, "amount": BOND, "payer_account": "6222 0000 1111 2222"},
            headers=world.supervisor,
        )
        assert got.status_code == 201, got.text
        paid[lot] = got.json()["id"]
    await past_deadline(runtime, clock)
    await host_starts(runtime)
    for one, bidder in zip(sealed, world.bidders, strict=True):
        who = await principal(runtime, bidder.username)
        await opening.reveal_key(runtime, who, CODE, "1", file_key(one, bidder.identity))
    for _ in range(4):
        await opening.advance(runtime)
        clock.advance(minutes=31)
    async with runtime.sessions() as session:
        phases = dict(
            (
                await session.execute(
                    select(Lot.number, Opening.phase)
                    .join(Opening, Opening.lot_id == Lot.id)
                    .order_by(Lot.number)
                )
            ).all()
        )
        failed_at = await session.scalar(
            select(Opening.closed_at).join(Lot, Lot.id == Opening.lot_id).where(Lot.number == "2")
        )
        state = await session.scalar(select(Tender.state).where(Tender.code == CODE))
    assert phases == {"1": "closed", "2": "failed"} and state not in ("failed", "cancelled")
    assert failed_at is not None
    clock.advance(hours=3)  # the job runs later; the clock counts from the lot's opening record
    await jobs.release_clock(runtime)
    await jobs.release_clock(runtime)  # idempotent
    got = await client.get(f"/api/tenders/{CODE}/lots/2/deposits", headers=world.supervisor)
    (lot2,) = got.json()
    assert lot2["id"] == paid["2"] and lot2["status"] == "refund_due"
    assert lot2["basis"] == "《招标投标法实施条例》第三十一条"
    due = as_utc(datetime.fromisoformat(lot2["refund_due_at"]))
    assert due == rules.release_due(as_utc(failed_at)) == end_of_days_after(as_utc(failed_at), 5)
    got = await client.get(f"/api/tenders/{CODE}/lots/1/deposits", headers=world.supervisor)
    (lot1,) = got.json()
    assert lot1["id"] == paid["1"] and lot1["status"] == "held"  # its contract decides (Art. 57)
