"""Cash deposits (payer account for supervisors only), the Art. 57 refund clock with its warning, the
Art. 74 forfeit, claims on guarantees and the statistics of how bids were secured."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from core.clock import CENTRE_TZ, ManualClock, to_centre
from core.errors import InvalidInput
from core.models import AuditEntry
from core.runtime import Runtime
from guarantees import service
from tests.bidding.test_opening import principal
from tests.guarantees.world import CODE, issue, make_gworld, signed

ACCOUNT = "6222 0000 1111 2222"


async def deposit(client: Any, gw: Any, bidder: str, amount: str = "200000.00") -> Any:
    return await client.post(
        f"/api/tenders/{CODE}/lots/1/deposits",
        json={"bidder": bidder, "amount": amount, "payer_account": ACCOUNT},
        headers=gw.world.supervisor,
    )


async def test_deposits_refund_clock_warning_and_forfeit(
    runtime: Runtime, client: Any, clock: ManualClock
) -> None:
    gw = await make_gworld(runtime, client)
    b0, b1, b2 = gw.world.bidders
    over = await deposit(client, gw, b0.code, "240000.01")
    assert over.status_code == 422 and over.json()["error"] == "amount_over_limit"
    assert (await deposit(client, gw, b0.code)).status_code == 201
    assert (await deposit(client, gw, b0.code)).json()["error"] == "deposit_recorded"
    assert (await deposit(client, gw, b1.code)).status_code == 201
    # who paid is secret before the deadline: the tender's owners see nothing, supervisors all
    url = f"/api/tenders/{CODE}/lots/1/deposits"
    assert (await client.get(url, headers=gw.world.tenderer)).status_code == 409
    seen = (await client.get(url, headers=gw.world.supervisor)).json()
    assert [d["payer_account"] for d in seen] == [ACCOUNT, ACCOUNT]
    clock.advance(days=21, seconds=1)
    owners = (await client.get(url, headers=gw.world.tenderer)).json()
    assert len(owners) == 2 and all(d["payer_account"] is None for d in owners)
    assert ACCOUNT not in (await client.get(url, headers=gw.world.agent)).text

    # the contract is signed (contracts calls this): refunds due 5 days later (Art. 57)
    signed_at = clock.now()
    async with runtime.transaction() as session:
        assert len(await service.forfeit_deposits(session, CODE, "1", b1.code, runtime=runtime)) == 1
        scheduled = await service.schedule_refunds(session, CODE, "1", signed_at, runtime=runtime)
        assert await service.schedule_refunds(session, CODE, "1", signed_at, runtime=runtime) == []
    assert len(scheduled) == 1  # the forfeited deposit is not refunded
    due = (await client.get("/api/deposits/refunds", headers=gw.world.supervisor)).json()
    assert [d["bidder"] for d in due] == [f"测试bidder{10}"]
    # due by the end of the 5th Beijing calendar day after the signing day (not 5×24 hours later)
    last_day = to_centre(signed_at).date() + timedelta(days=5)
    due_at = datetime.fromisoformat(due[0]["refund_due_at"])
    assert to_centre(due_at) == datetime.combine(last_day, time(23, 59, 59, 999_999), CENTRE_TZ)
    assert due[0]["warning"] == "green" and due[0]["basis"].endswith("第五十七条")

    async def warning() -> str:
        return str(
            (await client.get("/api/deposits/refunds", headers=gw.world.supervisor)).json()[0]["warning"]
        )

    clock.set(datetime.combine(last_day, time(23, 59), CENTRE_TZ))  # the last allowed minute: not late
    assert await warning() == "yellow"
    page = await client.get("/guarantees/refunds", headers=gw.world.supervisor)
    assert page.status_code == 200 and "w-red" not in page.text
    clock.set(datetime.combine(last_day + timedelta(days=1), time(0, 0), CENTRE_TZ))  # the next minute
    assert await warning() == "red"
    page = await client.get("/guarantees/refunds", headers=gw.world.supervisor)
    assert page.status_code == 200 and "w-red" in page.text and "200,000.00" in page.text
    refunded = await client.post(
        f"/api/deposits/{due[0]['id']}/refund", json={"interest": "123.45"}, headers=gw.world.supervisor
    )
    assert refunded.status_code == 200 and refunded.json()["status"] == "refunded"
    assert (await client.get("/api/deposits/refunds", headers=gw.world.supervisor)).json() == []
    async with runtime.sessions() as session:
        kinds = list(
            await session.scalars(
                select(AuditEntry.kind).where(AuditEntry.kind.like("deposit.%")).order_by(AuditEntry.position)
            )
        )
        stats = await service.bond_statistics(session, [CODE])
    assert kinds == ["deposit.recorded"] * 2 + [
        "deposit.forfeited",
        "deposit.refund_scheduled",
        "deposit.refunded",
    ]
    # no bid went in: deposits are money, not bids secured (test_secured_bids.py counts bids)
    assert stats.deposits == 0 and stats.guarantees == 0 and stats.deposits_held == Decimal("0.00")
    del b2


async def test_a_claim_needs_the_deadline_a_known_reason_and_its_ground(
    runtime: Runtime, client: Any, clock: ManualClock
) -> None:
    """Before the deadline nothing is claimed; after it, with no award and no bid revoked, neither ground
    holds (the refusing winner's claim, filed and answered: test_claim_grounds.py)."""
    gw = await make_gworld(runtime, client)
    b0 = gw.world.bidders[0]
    number = (await issue(client, gw.insurer, signed(gw, gw.insurer, b0.code))).json()["number"]
    claim = {"reason": "refused_to_sign", "detail": "中标通知书发出后30日内拒签合同"}
    early = await client.post(f"/api/guarantees/{number}/claims", json=claim, headers=gw.world.tenderer)
    assert early.status_code == 409 and early.json()["error"] == "before_deadline"
    clock.advance(days=21, seconds=1)
    bad = await client.post(
        f"/api/guarantees/{number}/claims", json={**claim, "reason": "late"}, headers=gw.world.tenderer
    )
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_request"  # the schema's enum
    ungrounded = await client.post(f"/api/guarantees/{number}/claims", json=claim, headers=gw.world.tenderer)
    assert ungrounded.status_code == 409 and ungrounded.json()["error"] == "not_the_winner"
    withdrew = {**claim, "reason": "withdrew_after_deadline"}
    never = await client.post(f"/api/guarantees/{number}/claims", json=withdrew, headers=gw.world.agent)
    assert never.status_code == 409 and never.json()["error"] == "not_withdrawn"
    mine = await client.get(f"/api/guarantees/{number}", headers=gw.insurer.headers)
    assert mine.json()["status"] == "valid"  # nothing was filed
    async with runtime.sessions() as session:
        filed = await session.scalar(
            select(AuditEntry.position).where(AuditEntry.kind == "guarantee.claim_filed")
        )
    assert filed is None


async def test_a_deposit_is_more_than_zero_in_the_schema_and_in_the_service(
    runtime: Runtime, client: Any
) -> None:
    gw = await make_gworld(runtime, client)
    b0, b1, _ = gw.world.bidders
    # last refused: 0.00, in the schema (400 naming the field) ...
    zero = await deposit(client, gw, b0.code, "0.00")
    assert zero.status_code == 400 and zero.json()["error"] == "invalid_request", zero.text
    assert [f["key"] for f in zero.json()["fields"]] == ["amount"] and "amount" in zero.json()["detail"]
    # ... and in the service for a caller that skips the schema (422 with the words)
    supervisor = await principal(runtime, "super1")
    new = service.NewDeposit(bidder=b1.code, amount="0.00", payer_account=ACCOUNT)
    async with runtime.transaction() as session:
        with pytest.raises(InvalidInput) as refused:
            await service.record_deposit(session, runtime, supervisor, CODE, "1", new)
    assert refused.value.code == "bad_amount" and "positive" in refused.value.detail
    # first allowed: one fen
    fen = await deposit(client, gw, b0.code, "0.01")
    assert fen.status_code == 201 and fen.json()["amount"] == "0.01", fen.text
    schema = (await client.get("/schema/openapi.json")).json()["components"]["schemas"]["NewDeposit"]
    assert not re.fullmatch(schema["properties"]["amount"]["pattern"], "0.00")
    assert re.fullmatch(schema["properties"]["amount"]["pattern"], "0.01")
