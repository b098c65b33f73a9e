"""contracts → guarantees through a real contract (contracts/hooks.py): both parties sign and every cash
deposit held on the lot falls due for refund 5 days later (《招标投标法实施条例》第五十七条); the winner
refuses and its deposit is forfeited (第七十四条) while the bid guarantee it gave stays claimable."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

import tests.evaluation.world as evaluation_world
from bidding import service as bidding
from core.clock import CENTRE_TZ, ManualClock, as_utc, to_centre
from core.models import AuditEntry
from core.runtime import Runtime
from tests.bidding.helpers import World
from tests.contracts.test_contracts import opened
from tests.contracts.world import CODE, Awarded, awarded, sign
from tests.guarantees.world import Guarantor, GWorld, guarantor, issue, signed

ACCOUNT = "6222 0000 3333 4444"


async def secured(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Awarded, str]:
    """The awarded world, where the insurer issued a bid guarantee for bidder0 (who wins) before the
    deadline, through the API; returns the world and the guarantee's number."""
    numbers: list[str] = []
    register_all = evaluation_world.register_all

    async def register_and_secure(client_: Any, world: World, code: str = CODE) -> None:
        await register_all(client_, world, code)
        insurer: Guarantor = await guarantor(runtime, client_, 50, "中国人民财产保险股份有限公司吉林市分公司")
        async with runtime.sessions() as session:
            deadline = as_utc((await bidding.tender_by_code(session, CODE)).bid_deadline)
        gw = GWorld(world, {}, deadline, insurer, insurer)
        got = await issue(client_, insurer, signed(gw, insurer, world.bidders[0].code))
        assert got.status_code == 201, got.text
        numbers.append(got.json()["number"])

    monkeypatch.setattr(evaluation_world, "register_all", register_and_secure)
    world = await awarded(runtime, client, clock, tmp_path)
    assert world.winner.code == world.bidders[0].code
    return world, numbers[0]


async def deposit(client: Any, world: Awarded, bidder: str) -> int:
    got = await client.post(
        f"/api/tenders/{CODE}/lots/1/deposits",
        json={"bidder": bidder, "amount": "200000.00", "payer_account": ACCOUNT},
        headers=world.ew.bidding.supervisor,
    )
    assert got.status_code == 201, got.text
    return int(got.json()["id"])


async def deposits(client: Any, world: Awarded) -> dict[int, dict[str, Any]]:
    got = await client.get(f"/api/tenders/{CODE}/lots/1/deposits", headers=world.ew.bidding.supervisor)
    assert got.status_code == 200, got.text
    return {d["id"]: d for d in got.json()}


async def audit_kinds(runtime: Runtime) -> list[str]:
    async with runtime.sessions() as session:
        rows = await session.scalars(
            select(AuditEntry.kind).where(AuditEntry.kind.like("deposit.%")).order_by(AuditEntry.position)
        )
        return list(rows)


async def test_signing_the_contract_sets_every_deposits_refund_due_date(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    world = await awarded(runtime, client, clock, tmp_path)
    ids = [await deposit(client, world, b.code) for b in world.bidders]
    c = await opened(runtime, client, world)
    url = f"/api/contracts/{c['id']}"
    first = await client.post(
        f"{url}/sign",
        json={"signature": sign(c["digest"], world.tenderer_key)},
        headers=world.heads["tenderer1"],
    )
    assert first.status_code == 200 and first.json()["status"] == "pending"
    # one signature is not a contract: nothing falls due yet
    assert all(
        d["status"] == "held" and d["refund_due_at"] is None for d in (await deposits(client, world)).values()
    )
    clock.advance(days=3)
    done = await client.post(
        f"{url}/sign",
        json={"signature": sign(c["digest"], world.winner.signing_key)},
        headers=world.heads[world.winner.username],
    )
    assert done.status_code == 200 and done.json()["status"] == "signed", done.text
    signed_at = as_utc(datetime.fromisoformat(done.json()["signed_at"]))
    after = await deposits(client, world)
    # due by the end of the 5th Beijing calendar day after the signing day (Art. 57)
    last_day = to_centre(signed_at).date() + timedelta(days=5)
    end = datetime.combine(last_day, time(23, 59, 59, 999_999), CENTRE_TZ)
    for i in ids:  # the winner's and the others' alike (Art. 57)
        assert after[i]["status"] == "refund_due", after[i]
        assert as_utc(datetime.fromisoformat(after[i]["refund_due_at"])) == end
    due = (await client.get("/api/deposits/refunds", headers=world.ew.bidding.supervisor)).json()
    assert sorted(d["id"] for d in due) == sorted(ids) and all(d["warning"] == "green" for d in due)
    assert due[0]["basis"].endswith("第五十七条")
    assert await audit_kinds(runtime) == ["deposit.recorded"] * 3 + ["deposit.refund_scheduled"]


async def test_a_winner_refusing_forfeits_its_deposit_and_its_guarantee_is_claimed(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world, number = await secured(runtime, client, clock, tmp_path, monkeypatch)
    loser = next(b for b in world.bidders if b.code != world.winner.code)
    mine, theirs = await deposit(client, world, world.winner.code), await deposit(client, world, loser.code)
    c = await opened(runtime, client, world)
    refused = await client.post(
        f"/api/contracts/{c['id']}/refuse",
        json={"reason": "不再履约"},
        headers=world.heads[world.winner.username],
    )
    assert refused.status_code == 200, refused.text
    after = await deposits(client, world)
    assert after[mine]["status"] == "forfeited" and after[mine]["basis"].endswith("第七十四条")
    assert after[theirs]["status"] == "held" and after[theirs]["refund_due_at"] is None  # no contract yet
    assert await audit_kinds(runtime) == ["deposit.recorded"] * 2 + ["deposit.forfeited"]
    # the winner's bid guarantee: the tenderer claims on it for the refusal, its insurer sees the claim
    claim = {"reason": "refused_to_sign", "detail": "中标人拒绝签订合同"}
    filed = await client.post(
        f"/api/guarantees/{number}/claims", json=claim, headers=world.heads["tenderer1"]
    )
    assert filed.status_code == 201, filed.text
    assert filed.json()["amount"] == "200000.00" and filed.json()["basis"].endswith("第七十四条")
