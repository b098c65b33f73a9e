"""A claim on a bid guarantee lies only on its statutory ground, against the bidder it secures: the
winner (or the candidate awarded) that refused to sign or let the signing period lapse unsigned
(条例第七十四条), or a bidder whose bid was revoked after the deadline (第三十五条). On a real awarded
lot: the refusing winner's guarantee is claimed and answered; a losing bidder's is refused; the winner
still within its signing period (its last minute) is refused, and claimed on once the period lapsed."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select

from contracts import jobs
from core.clock import ManualClock
from core.models import AuditEntry, Organisation, User
from core.runtime import Runtime
from guarantees.common import new_number
from guarantees.models import Guarantee
from tests.contracts.world import CODE, Awarded, awarded
from tests.guarantees.world import Guarantor, guarantor


async def bid_guarantee(runtime: Runtime, world: Awarded, who: Guarantor, bidder: str) -> str:
    """A bid guarantee on lot 1 for ``bidder`` as the issuing path stores it (that path and its rules are
    tested in test_guarantees.py; the bids of this world were sealed before any guarantor existed)."""
    number = new_number(2026)
    async with runtime.transaction() as session:
        org = await session.scalar(select(Organisation).where(Organisation.credit_code == bidder))
        assert org is not None
        now = runtime.clock.now()
        session.add(
            Guarantee(
                number=number, guarantor_id=who.org_id, kind="guarantee_insurance", purpose="bid",
                tender_code=CODE, lot_number="1", bidder_id=org.id, amount=Decimal("200000.00"),
                valid_until=now + timedelta(days=90), signing_key="-", document="{}",
                document_sha256=secrets.token_hex(32), document_key=f"guarantees/{number}.json",
                status="valid", seal_salt=secrets.token_hex(16), issued_at=now,
                issued_by=await session.scalar(select(User.id).where(User.organisation_id == who.org_id)),
            )
        )  # fmt: skip
    return number


async def claim(client: Any, world: Awarded, number: str, reason: str = "refused_to_sign") -> Any:
    body = {"reason": reason, "detail": "中标人无正当理由不与招标人订立合同"}
    return await client.post(f"/api/guarantees/{number}/claims", json=body, headers=world.heads["tenderer1"])


async def setting_up(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> tuple[Awarded, Guarantor, str, str, dict[str, Any]]:
    world = await awarded(runtime, client, clock, tmp_path)
    await jobs.contract_clock(runtime)
    (contract,) = (await client.get("/api/contracts", headers=world.heads["tenderer1"])).json()
    insurer = await guarantor(runtime, client, 60, "中国人民财产保险股份有限公司吉林市分公司")
    loser = next(b for b in world.bidders if b.code != world.winner.code)
    winners = await bid_guarantee(runtime, world, insurer, world.winner.code)
    losers = await bid_guarantee(runtime, world, insurer, loser.code)
    return world, insurer, winners, losers, contract


async def test_the_refusing_winner_is_claimed_on_and_a_losing_bidder_is_not(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    world, insurer, winners, losers, contract = await setting_up(runtime, client, clock, tmp_path)
    # a losing bidder refused nothing: refused, the rule named, for either reason
    lost = await claim(client, world, losers)
    assert lost.status_code == 409 and lost.json()["error"] == "not_the_winner", lost.text
    assert "第七十四条" in lost.json()["detail"] and "winner" in lost.json()["detail"]
    withdrew = await claim(client, world, losers, "withdrew_after_deadline")
    assert withdrew.status_code == 409 and withdrew.json()["error"] == "not_withdrawn"
    assert "第三十五条" in withdrew.json()["detail"]
    # the winner has not refused and its period runs: refused
    early = await claim(client, world, winners)
    assert early.status_code == 409 and early.json()["error"] == "signing_period_open", early.text
    # the winner refuses to sign: the claim is filed, then answered by the issuing guarantor
    refused = await client.post(
        f"/api/contracts/{contract['id']}/refuse", json={"reason": "价格有误，不愿签订"},
        headers=world.heads[world.winner.username],
    )  # fmt: skip
    assert refused.status_code == 200, refused.text
    filed = await claim(client, world, winners)
    assert filed.status_code == 201, filed.text
    out = filed.json()
    assert out["pending"] and out["amount"] == "200000.00" and out["basis"].endswith("第七十四条")
    again = await claim(client, world, winners)
    assert again.status_code == 409 and again.json()["error"] == "already_claimed"
    assert (await claim(client, world, losers)).json()["error"] == "not_the_winner"  # still not
    listed = (await client.get("/api/guarantee-claims", headers=insurer.headers)).json()
    assert [c["id"] for c in listed] == [out["id"]]
    paid = await client.post(
        f"/api/guarantee-claims/{out['id']}/answer", json={"accepted": True, "answer": "已核实，赔付"},
        headers=insurer.headers,
    )  # fmt: skip
    assert paid.status_code == 200 and paid.json()["accepted"] is True
    async with runtime.sessions() as session:
        kinds = list(
            await session.scalars(
                select(AuditEntry.kind)
                .where(AuditEntry.kind.like("guarantee.claim%"))
                .order_by(AuditEntry.position)
            )
        )
    assert kinds == ["guarantee.claim_filed", "guarantee.claim_answered"]


async def test_the_winner_within_its_signing_period_is_not_claimed_on_until_it_lapses(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    world, _insurer, winners, _losers, contract = await setting_up(runtime, client, clock, tmp_path)
    due = datetime.fromisoformat(contract["due_at"])
    clock.advance(seconds=(due - clock.now()).total_seconds() - 60)  # the period's last minute
    await jobs.contract_clock(runtime)
    last = await claim(client, world, winners)
    assert last.status_code == 409 and last.json()["error"] == "signing_period_open", last.text
    assert "北京时间" in last.json()["detail"] and "第七十四条" in last.json()["detail"]
    clock.advance(seconds=60)  # the first moment it may no longer be signed: the clock ends it
    await jobs.contract_clock(runtime)
    (ended,) = (await client.get("/api/contracts", headers=world.heads["tenderer1"])).json()
    assert ended["status"] == "lapsed"
    filed = await claim(client, world, winners)
    assert filed.status_code == 201, filed.text
