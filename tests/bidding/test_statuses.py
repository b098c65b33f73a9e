"""Statuses are StrEnums stored through core.db.StrEnumType: the stored strings are unchanged, reads come
back as members, and no unknown status is ever written."""

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import StatementError

from bidding.lifecycle import State
from bidding.models import Tender
from core.runtime import Runtime
from tests.bidding.helpers import make_world, published_tender


async def test_the_state_is_stored_as_its_plain_value_and_read_back_as_a_member(
    runtime: Runtime,
    client,  # type: ignore[no-untyped-def]
) -> None:
    world = await make_world(runtime, client, bidders=1)
    await published_tender(runtime, client, world)
    async with runtime.sessions() as session:
        raw = await session.scalar(text("SELECT state FROM bidding_tenders"))
        loaded = await session.scalar(select(Tender.state))
    assert raw == "published" and type(raw) is str
    assert loaded is State.PUBLISHED
    with pytest.raises(StatementError):
        async with runtime.transaction() as session:
            await session.execute(update(Tender).values(state="half-published"))


async def test_a_status_filter_naming_no_state_finds_nothing_instead_of_failing(
    runtime: Runtime,
    client,  # type: ignore[no-untyped-def]
) -> None:
    world = await make_world(runtime, client, bidders=1)
    await published_tender(runtime, client, world)
    found = await client.get("/api/tenders", params={"status": "published"})
    assert found.status_code == 200 and found.json()["total"] == 1
    nothing = await client.get("/api/tenders", params={"status": "no-such-state"})
    assert nothing.status_code == 200 and nothing.json()["total"] == 0
    page = await client.get("/tenders", params={"status": "no-such-state"}, headers={"accept": "text/html"})
    assert page.status_code == 200
