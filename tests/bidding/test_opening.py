"""The timed opening (不见面开标) at the service level: exactly-once transition, keys, custodians, Art. 31,
the coefficient draw, 唱标, objections, the signed record and 流标."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from sqlalchemy import select

from bidding import opening
from bidding.client import Sealed
from bidding.models import Notice, Opening, OpeningBid, Tender
from bidding.service import opened_bids
from core import rooms
from core.accounts import Principal, principal_of
from core.clock import ManualClock
from core.errors import Conflict, DomainError, InvalidInput, PermissionDenied
from core.models import AuditEntry, RoomEvent, User
from core.roles import Role
from core.runtime import Runtime
from credit.models import Deduction
from crypto.age import X25519Identity, unwrap_file_key
from crypto.shamir import split
from crypto.signing import SignedStatement, verify_statement
from tests.bidding.helpers import World, make_world, published_tender, register_all, seal, upload
from tests.support.factories import make_user

CODE = "JLZB-2026-001"


async def principal(runtime: Runtime, username: str) -> Principal:
    async with runtime.sessions() as session:
        user = await session.scalar(select(User).where(User.username == username))
        assert user is not None
        return principal_of(user, 0)


def file_key(sealed: Sealed, identity: X25519Identity) -> str:
    with sealed.envelope.open("rb") as fh:
        return unwrap_file_key(fh, [identity]).hex()


async def bid_all(
    runtime: Runtime, client: Any, world: World, tmp_path: Path, prices: list[str], **over: Any
) -> tuple[dict[str, Any], list[Sealed]]:
    tender = await published_tender(runtime, client, world, **over)
    await register_all(client, world)
    sealed = []
    for bidder, price in zip(world.bidders, prices, strict=True):
        one = seal(tmp_path, tender, bidder, price=price)
        response = await upload(client, bidder, one)
        assert response.status_code == 201, response.text
        sealed.append(one)
    return tender, sealed


async def past_deadline(runtime: Runtime, clock: ManualClock) -> None:
    clock.advance(days=21, seconds=1)
    assert await opening.open_due(runtime) == [CODE]


async def host_starts(runtime: Runtime) -> None:
    agent = await principal(runtime, "agent1")
    async with runtime.transaction() as session:
        await opening.start(session, runtime, agent, CODE)


async def room_events(runtime: Runtime, kind: str | None = None) -> list[RoomEvent]:
    async with runtime.sessions() as session:
        events = await rooms.events_after(session, opening.room_name(CODE, "1"), 0)
    return [e for e in events if kind is None or e.kind == kind]


async def bids(runtime: Runtime) -> list[OpeningBid]:
    async with runtime.sessions() as session:
        return list(await session.scalars(select(OpeningBid).order_by(OpeningBid.id)))


async def tender_state(runtime: Runtime) -> str:
    async with runtime.sessions() as session:
        return str(await session.scalar(select(Tender.state).where(Tender.code == CODE)))


async def phase(runtime: Runtime) -> str:
    async with runtime.sessions() as session:
        return str(await session.scalar(select(Opening.phase)))


async def test_the_whole_script_from_deadline_to_signed_record(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    world = await make_world(runtime, client, bidders=4)
    # bidder 3 bids above the ceiling price (11 500 000): opened, but rejected with the reason recorded
    _tender, sealed = await bid_all(
        runtime, client, world, tmp_path, ["11000000.00", "10800000.00", "10950000.50", "11600000.00"]
    )
    keys = [file_key(s, b.identity) for s, b in zip(sealed, world.bidders, strict=True)]
    bidders = [await principal(runtime, b.username) for b in world.bidders]

    # Nothing accepts a key before the deadline, and nothing opens early.
    with pytest.raises(opening.NotOpen):
        await opening.reveal_key(runtime, bidders[0], CODE, "1", keys[0])
    assert await opening.open_due(runtime) == []
    clock.advance(days=21, seconds=1)
    # Exactly once: two passes (as two processes would) open it once.
    assert await opening.open_due(runtime) == [CODE]
    assert await opening.open_due(runtime) == []
    assert await tender_state(runtime) == "opening"
    async with runtime.sessions() as session:
        kinds = list(await session.scalars(select(AuditEntry.kind)))
    assert kinds.count("tender.deadline_passed") == 1
    # Before the host starts, keys are still refused (the window is not open).
    with pytest.raises(Conflict):
        await opening.reveal_key(runtime, bidders[0], CODE, "1", keys[0])
    # Only the host starts.
    with pytest.raises(PermissionDenied):
        async with runtime.transaction() as session:
            await opening.start(session, runtime, bidders[0], CODE)
    await host_starts(runtime)
    listed = (await room_events(runtime, "bids.listed"))[0]
    assert len(json.loads(listed.payload)["bids"]) == 4
    async with runtime.transaction() as session:
        await opening.contribute(session, runtime, bidders[1], CODE, "1", "lucky-7")

    # A wrong key is refused before anything is decrypted, and may be retried within the window.
    with pytest.raises(InvalidInput) as wrong:
        await opening.reveal_key(runtime, bidders[0], CODE, "1", keys[1])
    assert wrong.value.code == "wrong_file_key"
    with pytest.raises(InvalidInput) as malformed:
        await opening.reveal_key(runtime, bidders[0], CODE, "1", "not-a-key")
    assert malformed.value.code == "bad_file_key"
    for who, key in zip(bidders, keys, strict=True):
        done = await opening.reveal_key(runtime, who, CODE, "1", key)
        assert done.outcome in ("opened", "rejected")
    with pytest.raises(Conflict):
        await opening.reveal_key(runtime, bidders[0], CODE, "1", keys[0])
    rows = await bids(runtime)
    assert [r.outcome for r in rows] == ["opened", "opened", "opened", "rejected"]
    assert rows[0].wrong_keys == 1
    assert "超过最高投标限价" in (rows[3].reason or "")
    assert rows[2].price == Decimal("10950000.50")

    # Every bid is settled, so the window closed early: the coefficient is drawn in the open and the
    # 唱标 table is read out without waiting for the window's end.
    assert await phase(runtime) == "confirming"
    assert len(await room_events(runtime, "window.closed_early")) == 1
    assert await opening.advance(runtime) == 0
    draw = json.loads((await room_events(runtime, "coefficient.drawn"))[0].payload)
    seed, coefficient = opening.coefficient_from(
        bytes.fromhex(draw["secret"]), draw["contributions"], Decimal(draw["coefficient_max"])
    )
    assert (seed, str(coefficient)) == (draw["seed"], draw["coefficient"])
    assert (
        draw["commit"]
        == json.loads((await room_events(runtime, "opening.due"))[0].payload)["coefficient_commit"]
    )
    assert Decimal(0) <= coefficient < Decimal("0.05")
    table = [json.loads(e.payload) for e in await room_events(runtime, "table.row")]
    assert [t["price"] for t in table] == ["11000000.00", "10800000.00", "10950000.50", "11600000.00"]
    assert all(t["project_manager"] == "李四" and t["duration_days"] == 365 for t in table)
    # Bidder-private news goes to the bidder's organisation only.
    private = await room_events(runtime, "bid.opened")
    assert {e.audience for e in private} == {f"org:{b.org_id}" for b in world.bidders}
    # So does "decrypting" (the bidder's reveal panel shows it), once per bid, naming the bid.
    decrypting = await room_events(runtime, "bid.decrypting")
    assert [e.audience for e in decrypting] == [e.audience for e in private]
    assert [json.loads(e.payload)["submission_id"] for e in decrypting] == [
        json.loads(e.payload)["submission_id"] for e in private
    ]

    # Confirm, object, answer, finish.
    async with runtime.transaction() as session:
        await opening.confirm(session, runtime, bidders[0], CODE, "1")
    async with runtime.transaction() as session:
        await opening.object_to(session, runtime, bidders[3], CODE, "1", "报价计算有误")
    agent = await principal(runtime, "agent1")
    with pytest.raises(Conflict):
        async with runtime.transaction() as session:
            await opening.finish(session, runtime, agent, CODE, "1")
    async with runtime.transaction() as session:
        await opening.answer(
            session, runtime, agent, CODE, "1", sealed[3].manifest.submission_id, "以唱标为准"
        )
    async with runtime.transaction() as session:
        await opening.finish(session, runtime, agent, CODE, "1")
    assert await phase(runtime) == "closed"
    async with runtime.sessions() as session:
        notice = await session.scalar(select(Notice).where(Notice.kind == "opening_record"))
        assert notice is not None
        stored = await session.scalar(select(Opening.record))
        valid = await opened_bids(session, CODE, "1")
    signed = SignedStatement(**json.loads(notice.body))
    assert notice.body == stored
    record = verify_statement(signed, runtime.audit.signer.public_key)
    assert record["valid_bids"] == 3 and record["result"] == "opened"
    assert record["bids"][3]["objection"] == "报价计算有误" and record["bids"][3]["answer"] == "以唱标为准"
    assert sorted(b.price for b in valid) == [
        Decimal("10800000.00"),
        Decimal("10950000.50"),
        Decimal("11000000.00"),
    ]
    assert all(b.coefficient == coefficient for b in valid)
    # The room numbered every event with no gaps.
    seqs = [e.seq for e in await room_events(runtime)]
    assert seqs == list(range(1, len(seqs) + 1))
    assert await tender_state(runtime) == "opening"  # evaluation moves it on


async def test_no_key_in_time_without_custodians_is_revoked_with_a_credit_event_and_the_lot_fails(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    world = await make_world(runtime, client, bidders=3)
    _tender, sealed = await bid_all(runtime, client, world, tmp_path, ["11000000.00"] * 3)
    await past_deadline(runtime, clock)
    await host_starts(runtime)
    for i in (0, 1):
        who = await principal(runtime, world.bidders[i].username)
        await opening.reveal_key(runtime, who, CODE, "1", file_key(sealed[i], world.bidders[i].identity))
    clock.advance(minutes=30)
    late = await principal(runtime, world.bidders[2].username)
    with pytest.raises(Conflict) as closed:
        await opening.reveal_key(runtime, late, CODE, "1", file_key(sealed[2], world.bidders[2].identity))
    assert closed.value.code == "window_closed"
    await opening.advance(runtime)
    rows = await bids(runtime)
    assert [r.outcome for r in rows] == ["opened", "opened", "revoked"]
    # The public event names the bid, so its company's reveal panel shows it revoked, with the reason.
    failed = [json.loads(e.payload) for e in await room_events(runtime, "bid.failed")]
    assert [(f["submission_id"], f["outcome"]) for f in failed] == [
        (sealed[2].manifest.submission_id, "revoked")
    ]
    async with runtime.sessions() as session:
        deductions = list(await session.scalars(select(Deduction)))
    assert len(deductions) == 1
    # Replaying the job changes nothing.
    await opening.advance(runtime)
    async with runtime.sessions() as session:
        assert len(list(await session.scalars(select(Deduction)))) == 1
    # Two valid bids < 3: at the end of the confirmation time the lot, and so the tender, fails.
    clock.advance(minutes=opening.CONFIRM_MINUTES)
    await opening.advance(runtime)
    assert await phase(runtime) == "failed"
    assert await tender_state(runtime) == "failed"
    async with runtime.sessions() as session:
        kinds = set(await session.scalars(select(Notice.kind)))
        with pytest.raises(DomainError):
            await opened_bids(session, CODE, "1")
    assert kinds >= {"opening_record", "failure"}


def custody_tender(custodians: list[X25519Identity]) -> tuple[dict[str, Any], list[str]]:
    key = X25519PrivateKey.generate()
    recipient = X25519Identity(key).recipient().to_str()
    shares = split(key.private_bytes_raw(), 2, len(custodians))
    body = {
        "opening_recipient": recipient,
        "custody": {
            "threshold": 2,
            "custodians": [
                {"index": s.index, "recipient": c.recipient().to_str()}
                for s, c in zip(shares, custodians, strict=True)
            ],
        },
    }
    return body, [s.to_str() for s in shares]


async def test_custodians_open_what_is_left_with_k_of_n_shares(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    world = await make_world(runtime, client, bidders=3)
    over, shares = custody_tender([X25519Identity.generate() for _ in range(3)])
    _tender, sealed = await bid_all(runtime, client, world, tmp_path, ["11000000.00"] * 3, **over)
    await make_user(runtime, "cust1", Role.CUSTODIAN)
    custodian = await principal(runtime, "cust1")
    with pytest.raises(opening.NotOpen):
        await opening.reveal_share(runtime, custodian, CODE, shares[0])
    await past_deadline(runtime, clock)
    await host_starts(runtime)
    who = await principal(runtime, world.bidders[0].username)
    await opening.reveal_key(runtime, who, CODE, "1", file_key(sealed[0], world.bidders[0].identity))
    # Custodians are only called once the window is over.
    with pytest.raises(Conflict):
        await opening.reveal_share(runtime, custodian, CODE, shares[0])
    clock.advance(minutes=30)
    await opening.advance(runtime)
    assert await phase(runtime) == "custody"
    with pytest.raises(PermissionDenied):
        await opening.reveal_share(runtime, who, CODE, shares[0])
    with pytest.raises(InvalidInput):
        await opening.reveal_share(
            runtime, custodian, CODE, shares[0][:-1] + ("1" if shares[0][-1] == "0" else "0")
        )
    first = await opening.reveal_share(runtime, custodian, CODE, shares[0])
    assert first == opening.ShareRevealed(have=1, threshold=2, combined=False)
    second = await opening.reveal_share(runtime, custodian, CODE, shares[2])
    assert second.combined and second.opened == 2
    rows = await bids(runtime)
    assert [(r.outcome, r.opened_by) for r in rows] == [
        ("opened", "bidder"),
        ("opened", "custodians"),
        ("opened", "custodians"),
    ]
    assert await phase(runtime) == "confirming"
    async with runtime.sessions() as session:
        assert await session.scalar(select(Opening.shares)) == []  # never kept after combining


async def test_k_minus_one_shares_leave_the_rest_withdrawn_not_revoked(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    world = await make_world(runtime, client, bidders=3)
    over, shares = custody_tender([X25519Identity.generate() for _ in range(3)])
    await bid_all(runtime, client, world, tmp_path, ["11000000.00"] * 3, **over)
    await make_user(runtime, "cust1", Role.CUSTODIAN)
    custodian = await principal(runtime, "cust1")
    await past_deadline(runtime, clock)
    await host_starts(runtime)
    clock.advance(minutes=30)
    await opening.advance(runtime)
    await opening.reveal_share(runtime, custodian, CODE, shares[1])
    clock.advance(minutes=30)
    await opening.advance(runtime)
    rows = await bids(runtime)
    assert [r.outcome for r in rows] == ["withdrawn"] * 3
    async with runtime.sessions() as session:
        assert list(await session.scalars(select(Deduction))) == []


async def test_a_bid_the_opening_key_cannot_open_is_revoked(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    """A bidder who sealed to a different opening recipient is at fault (Art. 31)."""
    world = await make_world(runtime, client, bidders=3)
    over, shares = custody_tender([X25519Identity.generate() for _ in range(2)])
    tender, sealed = await bid_all(runtime, client, world, tmp_path, ["11000000.00"] * 3, **over)
    await make_user(runtime, "cust1", Role.CUSTODIAN)
    custodian = await principal(runtime, "cust1")
    # Swap in an envelope sealed to the wrong opening key for bidder 0 (as a faulty client would).
    wrong = dict(tender)
    wrong["opening_recipient"] = X25519Identity.generate().recipient().to_str()
    bad = seal(tmp_path, wrong, world.bidders[0], supersedes=sealed[0].manifest.submission_id)
    response = await upload(client, world.bidders[0], bad)
    assert response.status_code == 201, response.text
    await past_deadline(runtime, clock)
    await host_starts(runtime)
    clock.advance(minutes=30)
    await opening.advance(runtime)
    await opening.reveal_share(runtime, custodian, CODE, shares[0])
    await opening.reveal_share(runtime, custodian, CODE, shares[1])
    outcomes = sorted(r.outcome for r in await bids(runtime))
    assert outcomes == ["opened", "opened", "revoked"]
    async with runtime.sessions() as session:
        assert len(list(await session.scalars(select(Deduction)))) == 1


async def test_a_mismatched_share_set_is_refused_and_cleared(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    world = await make_world(runtime, client, bidders=3)
    over, _shares = custody_tender([X25519Identity.generate() for _ in range(3)])
    _other, foreign = custody_tender([X25519Identity.generate() for _ in range(3)])
    await bid_all(runtime, client, world, tmp_path, ["11000000.00"] * 3, **over)
    await make_user(runtime, "cust1", Role.CUSTODIAN)
    custodian = await principal(runtime, "cust1")
    await past_deadline(runtime, clock)
    await host_starts(runtime)
    clock.advance(minutes=30)
    await opening.advance(runtime)
    await opening.reveal_share(runtime, custodian, CODE, foreign[0])
    with pytest.raises(InvalidInput) as mismatch:
        await opening.reveal_share(runtime, custodian, CODE, foreign[1])
    assert mismatch.value.code == "custody_mismatch"
    async with runtime.sessions() as session:
        assert await session.scalar(select(Opening.shares)) == []


def test_the_coefficient_is_recomputable_and_in_range() -> None:
    secret = bytes(range(32))
    seed, value = opening.coefficient_from(secret, [{"bidder_code": "X", "value": "1"}], Decimal("0.05"))
    assert opening.coefficient_from(secret, [{"bidder_code": "X", "value": "1"}], Decimal("0.05")) == (
        seed,
        value,
    )
    assert Decimal(0) <= value < Decimal("0.05") and value == value.quantize(Decimal("0.0001"))
    assert opening.coefficient_from(secret, [], Decimal(0))[1] == Decimal(0)


def test_file_keys_parse_as_hex_or_base64() -> None:
    key = bytes(range(16))
    assert opening.parse_file_key(key.hex()) == key
    import base64

    assert opening.parse_file_key(base64.b64encode(key).decode()) == key
    for bad in ("", "zz" * 16, "AAAA"):
        with pytest.raises(InvalidInput):
            opening.parse_file_key(bad)


async def test_a_bid_with_an_unusable_price_is_rejected_and_the_other_four_open(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bid.json whose price no column can hold is that bid's rejection, never the opening's crash."""
    import bidding.client

    world = await make_world(runtime, client, bidders=5)
    prices = ["11000000.00", "10800000.00", "10950000.50", "10990000.00"]
    tender, sealed = await bid_all(runtime, client, world, tmp_path, [*prices, "11000000.00"])
    # A faulty client skips the bid form check before sealing: its bid carries a price of 1e27 yuan.
    monkeypatch.setattr(bidding.client, "check_bid_form", lambda form, fields: form)
    bad = seal(tmp_path, tender, world.bidders[4], price="1e27", supersedes=sealed[4].manifest.submission_id)
    assert (await upload(client, world.bidders[4], bad)).status_code == 201
    sealed[4] = bad
    await past_deadline(runtime, clock)
    await host_starts(runtime)
    for bidder, one in zip(world.bidders, sealed, strict=True):
        done = await opening.reveal_key(
            runtime, await principal(runtime, bidder.username), CODE, "1", file_key(one, bidder.identity)
        )
        assert done.outcome in ("opened", "rejected")
    rows = await bids(runtime)
    assert [r.outcome for r in rows] == ["opened"] * 4 + ["rejected"]
    assert [str(r.price) for r in rows[:4]] == prices
    assert rows[4].price is None and "price" in (rows[4].reason or "")
    assert await phase(runtime) == "confirming"  # every bid settled: the window closed early


@pytest.mark.parametrize(
    "price", ["1e27", "NaN", "-1", "9" * 400, "Infinity", "1e-999999999", "12.345", "0x10", None]
)
def test_check_package_rejects_a_price_out_of_range_or_malformed(price: str | None) -> None:
    import io
    import zipfile

    from bidding.criteria import DEFAULT_FORM_FIELDS
    from bidding.models import Lot, Tender
    from bidding.opening.decryption import check_package

    package = io.BytesIO()
    form = {"price": price, "duration_days": 365, "quality": "合格", "project_manager": "李四"}
    with zipfile.ZipFile(package, "w") as out:
        out.writestr("bid.json", json.dumps(form))
    package.seek(0)
    tender = Tender(form_fields=DEFAULT_FORM_FIELDS)
    lot = Lot(ceiling_price=Decimal("11500000.00"))
    _form, parsed_price, reason = check_package(package, tender, lot)
    assert parsed_price is None and reason is not None and "price" in reason


async def test_concurrent_reveals_count_the_progress_once_per_commit_and_close_the_window_once(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    # Reveals arriving together share commits (group commit); the lot's progress and the "last bid
    # settled?" check are the batch's, not each reveal's: counted once per commit, after all of them.
    world = await make_world(runtime, client, bidders=4)
    _tender, sealed = await bid_all(
        runtime, client, world, tmp_path, ["11000000.00", "10800000.00", "10950000.50", "10900000.00"]
    )
    keys = [file_key(s, b.identity) for s, b in zip(sealed, world.bidders, strict=True)]
    bidders = [await principal(runtime, b.username) for b in world.bidders]
    await past_deadline(runtime, clock)
    await host_starts(runtime)
    before = len(await room_events(runtime, "progress"))

    done = await asyncio.gather(
        *(opening.reveal_key(runtime, who, CODE, "1", key) for who, key in zip(bidders, keys, strict=True))
    )

    assert [d.outcome for d in done] == ["opened"] * 4
    progress = [json.loads(e.payload) for e in await room_events(runtime, "progress")][before:]
    # Each reveal is two units (the claim, then the record); one progress per unit would be eight.
    assert 2 <= len(progress) < 8
    assert progress[-1]["opened"] == 4 and progress[-1]["queued"] == 0 and progress[-1]["decrypting"] == 0
    assert len(await room_events(runtime, "window.closed_early")) == 1
    assert await phase(runtime) == "confirming"
    seqs = [e.seq for e in await room_events(runtime)]
    assert seqs == list(range(1, len(seqs) + 1))
