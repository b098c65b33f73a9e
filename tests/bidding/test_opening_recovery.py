"""A bid left "decrypting" by a process that died mid-decryption is finished by the advance job with the
key the bidder revealed (and the server verified) — not left to hold the opening forever, and never
charged to the bidder; and two reveals of one bid open it once."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from bidding import opening
from bidding.models import OpeningBid
from core.clock import ManualClock
from core.errors import Conflict
from core.models import AuditEntry
from core.runtime import Runtime
from credit.models import Deduction
from tests.bidding.helpers import make_world
from tests.bidding.test_opening import (
    CODE,
    bid_all,
    bids,
    file_key,
    host_starts,
    past_deadline,
    phase,
    principal,
)


async def test_a_decryption_cut_short_by_a_crash_is_finished_by_the_job(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = await make_world(runtime, client, bidders=3)
    _tender, sealed = await bid_all(
        runtime, client, world, tmp_path, ["11000000.00", "10900000.00", "10800000.00"]
    )
    keys = [file_key(s, b.identity) for s, b in zip(sealed, world.bidders, strict=True)]
    who = [await principal(runtime, b.username) for b in world.bidders]
    await past_deadline(runtime, clock)
    await host_starts(runtime)

    # The first bidder's key is verified and its bid claimed — then the process dies.
    async def crash(*_args: Any) -> None:
        raise SystemExit("killed")

    with monkeypatch.context() as patch:
        patch.setattr(opening.keys, "_open_claimed", crash)
        with pytest.raises(SystemExit):
            await opening.reveal_key(runtime, who[0], CODE, "1", keys[0])
    for bidder, key in zip(who[1:], keys[1:], strict=True):
        await opening.reveal_key(runtime, bidder, CODE, "1", key)
    assert [b.outcome for b in await bids(runtime)] == ["decrypting", "opened", "opened"]

    # A decryption still young may be running in another process: left alone.
    clock.advance(minutes=1)
    await opening.advance(runtime)
    assert (await bids(runtime))[0].outcome == "decrypting"
    # Its bidder cannot reveal again (it is not queued), and the window's end waits for it …
    with pytest.raises(Conflict):
        await opening.reveal_key(runtime, who[0], CODE, "1", keys[0])
    # … until the job finds it stuck and finishes it with the verified key.
    clock.advance(minutes=30)
    await opening.advance(runtime)
    rows = await bids(runtime)
    assert [b.outcome for b in rows] == ["opened", "opened", "opened"]
    assert rows[0].opened_by == "bidder" and rows[0].price is not None
    assert await phase(runtime) == "confirming"  # the 唱标 went ahead with all three
    async with runtime.sessions() as session:
        kinds = list(await session.scalars(select(AuditEntry.kind)))
        deductions = list(await session.scalars(select(Deduction)))
    assert kinds.count("opening.decryption_resumed") == 1 and deductions == []
    await opening.advance(runtime)  # idempotent
    async with runtime.sessions() as session:
        assert list(await session.scalars(select(AuditEntry.kind))).count("opening.decryption_resumed") == 1


async def test_a_claim_without_a_kept_key_goes_back_to_the_queue_while_the_window_is_open(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    world = await make_world(runtime, client, bidders=3)
    _tender, sealed = await bid_all(
        runtime, client, world, tmp_path, ["11000000.00", "10900000.00", "10800000.00"]
    )
    await past_deadline(runtime, clock)
    await host_starts(runtime)
    # As a process from before keys were kept with the claim would have left it.
    first_bid = (await bids(runtime))[0].id
    async with runtime.transaction() as session:
        await session.execute(
            update(OpeningBid)
            .where(OpeningBid.id == first_bid)
            .values(outcome="decrypting", decrypting_since=clock.now())
        )
    clock.advance(minutes=6)
    await opening.advance(runtime)
    assert (await bids(runtime))[0].outcome == "queued"
    first = await principal(runtime, world.bidders[0].username)
    done = await opening.reveal_key(runtime, first, CODE, "1", file_key(sealed[0], world.bidders[0].identity))
    assert done.outcome == "opened"


async def test_two_reveals_of_one_bid_open_it_once_and_the_other_is_told_it_is_taken(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    # Both pass the first read (the bid is queued); only one claim can win.
    world = await make_world(runtime, client, bidders=2)
    _tender, sealed = await bid_all(runtime, client, world, tmp_path, ["11000000.00", "10900000.00"])
    await past_deadline(runtime, clock)
    await host_starts(runtime)
    who = await principal(runtime, world.bidders[0].username)
    key = file_key(sealed[0], world.bidders[0].identity)

    done = await asyncio.gather(
        opening.reveal_key(runtime, who, CODE, "1", key),
        opening.reveal_key(runtime, who, CODE, "1", key),
        return_exceptions=True,
    )

    opened = [d for d in done if not isinstance(d, BaseException)]
    refused = [d for d in done if isinstance(d, BaseException)]
    assert [d.outcome for d in opened] == ["opened"]
    assert len(refused) == 1 and isinstance(refused[0], Conflict)
    assert refused[0].code == "already_opened"
    assert [b.outcome for b in await bids(runtime)] == ["opened", "queued"]
    async with runtime.sessions() as session:
        kinds = list(await session.scalars(select(AuditEntry.kind)))
    assert kinds.count("bid.opened") == 1
