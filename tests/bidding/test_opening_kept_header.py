"""Each submission keeps its envelope's age header: a revealed key is checked against that copy without
reading the blob store; bids stored before copies were kept still open (their header is read from the
blob); and an envelope whose own header refuses a key its kept copy accepted is the server's fault,
never charged to the bidder."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select, update

from bidding import opening
from bidding.client import Sealed
from bidding.models import Submission
from core.accounts import Principal
from core.clock import ManualClock
from core.errors import InvalidInput, NotFound, PermissionDenied
from core.runtime import Runtime
from credit.models import Deduction
from tests.bidding.helpers import World, make_world, published_tender, register_all, seal, upload
from tests.bidding.test_opening import (
    CODE,
    bid_all,
    bids,
    file_key,
    host_starts,
    past_deadline,
    principal,
)


def header_bytes(envelope: bytes) -> bytes:
    """An age envelope's header: up to and including the MAC line."""
    return envelope[: envelope.index(b"\n", envelope.index(b"\n---") + 1) + 1]


async def submissions(runtime: Runtime) -> list[Submission]:
    async with runtime.sessions() as session:
        return list(await session.scalars(select(Submission).order_by(Submission.id)))


PRICES = ["11000000.00", "10900000.00"]


@contextmanager
def statements_run(runtime: Runtime) -> Iterator[list[str]]:
    """The statements the runtime's engine runs inside the block."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(runtime.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(runtime.engine.sync_engine, "before_cursor_execute", record)


def count_blob_opens(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    opened: list[str] = []
    real_open = runtime.blobs.open

    async def counting_open(key: str, **kwargs: Any) -> Any:
        opened.append(key)
        return await real_open(key, **kwargs)

    monkeypatch.setattr(runtime.blobs, "open", counting_open)
    return opened


@dataclass
class TwoBids:
    world: World
    sealed: list[Sealed]
    stored: list[Submission]

    def key(self, i: int) -> str:
        """Bidder ``i``'s file key, as its client unwraps it."""
        return file_key(self.sealed[i], self.world.bidders[i].identity)


async def two_bids(runtime: Runtime, client: Any, tmp_path: Path) -> TwoBids:
    world = await make_world(runtime, client, bidders=2)
    _tender, sealed = await bid_all(runtime, client, world, tmp_path, PRICES)
    return TwoBids(world, sealed, await submissions(runtime))


async def first_bidder_in_the_window(runtime: Runtime, clock: ManualClock, two: TwoBids) -> Principal:
    await past_deadline(runtime, clock)
    await host_starts(runtime)
    return await principal(runtime, two.world.bidders[0].username)


async def deductions(runtime: Runtime) -> list[Deduction]:
    async with runtime.sessions() as session:
        return list(await session.scalars(select(Deduction)))


async def test_a_submission_keeps_its_envelopes_header_and_a_key_is_checked_without_the_blob(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    two = await two_bids(runtime, client, tmp_path)
    for sub, one in zip(two.stored, two.sealed, strict=True):
        assert sub.header == header_bytes(one.envelope.read_bytes())
    who = await first_bidder_in_the_window(runtime, clock, two)
    opened = count_blob_opens(runtime, monkeypatch)

    # The other bidder's key: refused by the kept header, and the blob store is not touched.
    with pytest.raises(InvalidInput) as wrong:
        await opening.reveal_key(runtime, who, CODE, "1", two.key(1))
    assert wrong.value.code == "wrong_file_key"
    assert opened == []
    # The right key: the blob is read once, to decrypt.
    assert (await opening.reveal_key(runtime, who, CODE, "1", two.key(0))).outcome == "opened"
    assert opened == [two.stored[0].blob_key]


async def test_a_bid_stored_without_a_kept_header_still_opens(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    two = await two_bids(runtime, client, tmp_path)
    async with runtime.transaction() as session:  # as bids stored before bidding_0011 are
        await session.execute(update(Submission).values(header=None))
    who = await first_bidder_in_the_window(runtime, clock, two)

    with pytest.raises(InvalidInput) as wrong:
        await opening.reveal_key(runtime, who, CODE, "1", two.key(1))
    assert wrong.value.code == "wrong_file_key"
    assert (await opening.reveal_key(runtime, who, CODE, "1", two.key(0))).outcome == "opened"


async def test_an_envelope_that_differs_from_its_kept_header_goes_back_to_the_queue_and_is_not_charged(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    two = await two_bids(runtime, client, tmp_path)
    # The first bid's blob now holds the second bidder's envelope; its kept header is its own.
    await runtime.blobs.put(two.stored[0].blob_key, two.sealed[1].envelope.read_bytes())
    who = await first_bidder_in_the_window(runtime, clock, two)

    with pytest.raises(InvalidInput) as failed:
        await opening.reveal_key(runtime, who, CODE, "1", two.key(0))
    assert failed.value.code == "decryption_failed"
    assert [b.outcome for b in await bids(runtime)] == ["queued", "queued"]
    assert await deductions(runtime) == []


async def test_a_payload_that_does_not_decrypt_under_the_accepted_key_is_still_the_bidders(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    two = await two_bids(runtime, client, tmp_path)
    envelope = bytearray(two.sealed[0].envelope.read_bytes())
    envelope[-1] ^= 1  # the last chunk's tag: the header, its copy and the key all still agree
    await runtime.blobs.put(two.stored[0].blob_key, bytes(envelope))
    who = await first_bidder_in_the_window(runtime, clock, two)

    with pytest.raises(InvalidInput) as failed:
        await opening.reveal_key(runtime, who, CODE, "1", two.key(0))
    assert failed.value.code == "decryption_failed"
    assert [b.outcome for b in await bids(runtime)] == ["revoked", "queued"]
    assert len(await deductions(runtime)) == 1


async def test_a_bidder_fetches_its_kept_header_in_one_read_and_every_refusal_still_says_why(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = await make_world(runtime, client, bidders=3)
    tender = await published_tender(runtime, client, world)
    await register_all(client, world)
    sealed = [
        seal(tmp_path, tender, bidder, price=price)
        for bidder, price in zip(world.bidders[:2], PRICES, strict=True)
    ]
    for bidder, one in zip(world.bidders, sealed, strict=False):
        assert (await upload(client, bidder, one)).status_code == 201
    who = [await principal(runtime, b.username) for b in world.bidders]
    with pytest.raises(opening.NotOpen):  # before the deadline
        await opening.own_header(runtime, who[0], CODE, "1")
    await past_deadline(runtime, clock)
    await host_starts(runtime)
    opened = count_blob_opens(runtime, monkeypatch)

    with statements_run(runtime) as statements:
        mine = await opening.own_header(runtime, who[0], CODE, "1")
    assert base64.b64decode(mine.header) == header_bytes(sealed[0].envelope.read_bytes())
    assert (mine.outcome, mine.phase) == ("queued", "decrypting")
    assert opened == [] and len(statements) == 1
    with pytest.raises(NotFound) as none:  # the third bidder did not bid
        await opening.own_header(runtime, who[2], CODE, "1")
    assert none.value.code == "no_bid"
    with pytest.raises(NotFound):
        await opening.own_header(runtime, who[0], CODE, "9")
    agent = await principal(runtime, "agent1")
    with pytest.raises(PermissionDenied):
        await opening.own_header(runtime, agent, CODE, "1")
