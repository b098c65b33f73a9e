"""At the opening, the 唱标 table's bond column shows each bid's guarantee verified or why it failed; an
altered document is caught, a guarantee cannot be used by another bidder or for another tender, and
the failure reaches evaluation (``OpenedBid.bond_failure``)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bidding import opening
from bidding.models import Tender
from bidding.service import opened_bids
from core.clock import ManualClock
from core.runtime import Runtime
from evaluation.events import Advance, AvoidanceDeclared, ChairVote, Event, RoomOpened, SignedIn, Verdict
from evaluation.steps import fold
from guarantees import service
from guarantees.models import Guarantee
from tests.bidding.helpers import seal, upload
from tests.bidding.test_opening import file_key, host_starts, past_deadline, principal, room_events
from tests.guarantees.world import CODE, issue, make_gworld, signed


async def test_the_bond_column_verifies_each_guarantee_and_names_what_failed(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    gw = await make_gworld(runtime, client)
    b0, b1, b2 = gw.world.bidders
    good = (await issue(client, gw.insurer, signed(gw, gw.insurer, b0.code))).json()["number"]
    bad = (await issue(client, gw.bank, signed(gw, gw.bank, b1.code, kind="guarantee_letter"))).json()[
        "number"
    ]
    deposit = await client.post(
        f"/api/tenders/{CODE}/lots/1/deposits",
        json={"bidder": b2.code, "amount": "200000.00", "payer_account": "6222 0000 1111 2222"},
        headers=gw.world.supervisor,
    )
    assert deposit.status_code == 201, deposit.text
    # someone alters the stored document of the bank's guarantee (the amount): the signature breaks
    async with runtime.transaction() as session:
        row = await session.scalar(select(Guarantee).where(Guarantee.number == bad))
        assert row is not None
        row.document = row.document.replace('"amount":"200000.00"', '"amount":"250000.00"')
    sealed = []
    for bidder, price in zip(gw.world.bidders, ["11000000.00", "10800000.00", "10950000.00"], strict=True):
        one = seal(tmp_path, gw.tender, bidder, price=price)
        assert (await upload(client, bidder, one)).status_code == 201
        sealed.append(one)
    await past_deadline(runtime, clock)
    await host_starts(runtime)
    for bidder, one in zip(gw.world.bidders, sealed, strict=True):
        who = await principal(runtime, bidder.username)
        await opening.reveal_key(runtime, who, CODE, "1", file_key(one, bidder.identity))
    table = {
        json.loads(e.payload)["bidder_code"]: json.loads(e.payload)
        for e in await room_events(runtime, "table.row")
    }
    assert table[b0.code]["bond_verified"] is True and good in table[b0.code]["bond"]
    assert "保证保险" in table[b0.code]["bond"] and "200,000.00" in table[b0.code]["bond"]
    assert table[b1.code]["bond_verified"] is False
    assert bad in table[b1.code]["bond"] and "签名无效或文件被篡改" in table[b1.code]["bond"]
    assert table[b2.code]["bond_verified"] is True and "现金保证金已到账" in table[b2.code]["bond"]
    # the opening page shows the reason, not a code
    page = await client.get(f"/tenders/{CODE}/opening")
    assert page.status_code == 200 and "签名无效或文件被篡改" in page.text
    agent = await principal(runtime, "agent1")
    async with runtime.transaction() as session:
        await opening.finish(session, runtime, agent, CODE, "1")
    async with runtime.sessions() as session:
        bids = {b.bidder_code: b for b in await opened_bids(session, CODE, "1")}
    assert bids[b0.code].bond_failure is None and bids[b2.code].bond_failure is None
    assert bids[b1.code].bond_failure is not None and "forged or altered" in bids[b1.code].bond_failure
    # once opened, the statistics count how the bids were secured (publication reads guarantees): the
    # altered guarantee secured nothing, so b1's bid counts neither as guaranteed nor as cash
    total = (await client.get("/api/statistics?format=json")).json()["total"]
    assert (total["guaranteed_bids"], total["deposit_bids"]) == (1, 1)
    assert total["guarantee_share"] == 0.5 and total["not_tied_up"] == 200000
    csv_text = (await client.get("/api/statistics?format=csv")).text
    assert "guarantee_share" in csv_text.splitlines()[0] and "0.5000" in csv_text


async def test_a_guarantee_cannot_serve_another_bidder_or_another_tender(
    runtime: Runtime, client: Any
) -> None:
    gw = await make_gworld(runtime, client)
    b0, b1, b2 = gw.world.bidders
    number = (await issue(client, gw.insurer, signed(gw, gw.insurer, b0.code))).json()["number"]
    async with runtime.sessions() as session:
        mine = await service.verify_bond(
            session, tender_code=CODE, lot="1", bidder_code=b0.code, form={"guarantee_number": number}
        )
        theirs = await service.verify_bond(
            session, tender_code=CODE, lot="1", bidder_code=b1.code, form={"guarantee_number": number}
        )
        other_lot = await service.verify_bond(
            session, tender_code=CODE, lot="2", bidder_code=b0.code, form={"guarantee_number": number}
        )
        missing = await service.verify_bond(
            session, tender_code=CODE, lot="1", bidder_code=b2.code, form={"bond_form": "guarantee_letter"}
        )
        nothing = await service.verify_bond(session, tender_code=CODE, lot="1", bidder_code=b2.code, form={})
        unknown = await service.verify_bond(
            session, tender_code=CODE, lot="1", bidder_code=b2.code, form={"guarantee_number": "BH2026000999"}
        )
        # the 唱标 asks for the lot's bids in one call: each answered as alone, in the order asked
        together = await service.verify_bonds(
            session,
            tender_code=CODE,
            lot="1",
            bids=[
                (b2.code, {"guarantee_number": "BH2026000999"}),
                (b0.code, {"guarantee_number": number}),
                (b2.code, {}),
                (b1.code, {"guarantee_number": number}),
                (b2.code, {"bond_form": "guarantee_letter"}),
                (b0.code, {}),
            ],
        )
    assert mine is not None and mine.verified
    assert theirs is not None and not theirs.verified and theirs.code == "wrong_bidder"
    assert other_lot is not None and other_lot.code == "wrong_tender"
    assert missing is not None and missing.code == "no_guarantee"
    assert (
        nothing is not None and not nothing.verified and nothing.code == "no_bond"
    )  # the tender asks 200 000
    assert unknown is not None and unknown.code == "unknown_guarantee"
    issued = together[5]  # b0's guarantee was issued for its bid: found without being named
    assert issued is not None and issued.verified and issued.number == number
    assert together[:5] == [unknown, mine, nothing, theirs, missing]


async def test_a_bid_without_the_bond_the_tender_asks_fails_at_opening_and_qualification(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    """The tender asks a 200 000 bond: a bid with nothing recorded, and one naming a cash deposit that
    never arrived, show "未收到投标保证金 / no bid bond received" at opening and are put out at the
    qualification step; the bid whose deposit was recorded is verified and stays in."""
    gw = await make_gworld(runtime, client)
    paid, silent, unpaid = gw.world.bidders
    deposit = await client.post(
        f"/api/tenders/{CODE}/lots/1/deposits",
        json={"bidder": paid.code, "amount": "200000.00", "payer_account": "6222 0000 1111 2222"},
        headers=gw.world.supervisor,
    )
    assert deposit.status_code == 201, deposit.text
    sealed = []
    for bidder, price in zip(gw.world.bidders, ["11000000.00", "10800000.00", "10950000.00"], strict=True):
        one = seal(tmp_path, gw.tender, bidder, price=price)
        assert (await upload(client, bidder, one)).status_code == 201
        sealed.append(one)
    await past_deadline(runtime, clock)
    await host_starts(runtime)
    for bidder, one in zip(gw.world.bidders, sealed, strict=True):
        who = await principal(runtime, bidder.username)
        await opening.reveal_key(runtime, who, CODE, "1", file_key(one, bidder.identity))
    table = {
        json.loads(e.payload)["bidder_code"]: json.loads(e.payload)
        for e in await room_events(runtime, "table.row")
    }
    assert table[paid.code]["bond_verified"] is True and "现金保证金已到账" in table[paid.code]["bond"]
    assert table[silent.code]["bond_verified"] is False
    assert (
        "未收到投标保证金" in table[silent.code]["bond"]
        and "no bid bond received" in table[silent.code]["bond"]
    )
    async with runtime.sessions() as session:  # the bid that names a deposit the centre never received
        named = await service.verify_bond(
            session, tender_code=CODE, lot="1", bidder_code=unpaid.code, form={"bond_form": "deposit"}
        )
    assert named is not None and not named.verified and named.code == "no_bond"
    assert "未收到投标保证金" in named.zh and "no bid bond received" in named.en
    page = await client.get(f"/tenders/{CODE}/opening")
    assert page.status_code == 200 and "未收到投标保证金" in page.text
    agent = await principal(runtime, "agent1")
    async with runtime.transaction() as session:
        await opening.finish(session, runtime, agent, CODE, "1")
    async with runtime.sessions() as session:
        bids = {b.bidder_code: b for b in await opened_bids(session, CODE, "1")}
    assert bids[paid.code].bond_failure is None
    for code in (silent.code, unpaid.code):
        assert bids[code].bond_failure is not None and "no bid bond received" in bids[code].bond_failure
    # the evaluation room opens with these failures (evaluation/start.py) and puts both out at qualification
    members = ("E1", "E2", "E3")
    bidders = tuple(bids)
    events: list[Event] = [
        RoomOpened(
            members=members, alternates=(), bidders=bidders, qualification_items=("licence",),
            preliminary_items=(), criteria=(),
            bond_failures=tuple((b.bidder_code, b.bond_failure) for b in bids.values() if b.bond_failure),
        )
    ]  # fmt: skip
    events += [SignedIn(m) for m in members] + [AvoidanceDeclared(m, False) for m in members]
    events += [Advance("E1")] + [ChairVote(m, "E1") for m in members] + [Advance("E1")]
    events += [Verdict("qualification", m, b, "licence", True) for m in members for b in bidders]
    room = fold([*events, Advance("E1")])
    assert set(room.out) == {silent.code, unpaid.code} and room.valid_bidders == (paid.code,)
    assert "未收到投标保证金" in room.out[silent.code]


async def test_a_tender_asking_no_bond_shows_nothing_for_a_bid_without_one(
    runtime: Runtime, client: Any
) -> None:
    """bond_amount 0: a bid with no guarantee and no deposit has nothing to verify (the label stays)."""
    gw = await make_gworld(runtime, client)
    async with runtime.transaction() as session:
        row = await session.scalar(select(Tender).where(Tender.code == CODE))
        assert row is not None
        row.bond_amount = Decimal(0)
    async with runtime.sessions() as session:
        for form in ({}, {"bond_form": "deposit"}):
            check = await service.verify_bond(
                session, tender_code=CODE, lot="1", bidder_code=gw.world.bidders[0].code, form=form
            )
            assert check is None, form
