"""The tenderer's representative (招标人代表) on the committee, where the tender seats one: checked at
the room's opening (the tender allows it, a user of the tenderer, a usable signing key, an odd committee
with experts at least two thirds of it), then a member like the experts: signs in, votes, reviews,
scores, signs the report, which names them as the tenderer's representative."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from bidding.models import Tender
from core import organisations
from core.clock import ManualClock
from core.errors import InvalidInput, PermissionDenied
from core.roles import Role
from core.runtime import Runtime
from crypto.signing import generate_private_key, public_key_to_text
from evaluation import service, start
from evaluation.models import Member
from evaluation.report.signatures import signing_message
from tests.evaluation.test_service import MAIN, SHEET, SUB, act, through_reviews, view
from tests.evaluation.world import CODE, CRITERIA, committee, opened_lot, principal
from tests.support.factories import make_user

ROOM = f"{CODE}-1"


def new(ew: Any, username: str, key: str) -> service.NewEvaluation:
    return service.NewEvaluation(CODE, "1", ew.draw_id, MAIN, (SUB,), username, key)


async def refused(ew: Any, username: str, key: str) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        async with ew.runtime.transaction() as session:
            await service.start(session, ew.runtime, ew.agent, new(ew, username, key))
    return caught.value


async def test_the_representative_sits_scores_and_signs_as_a_member(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    world = await opened_lot(runtime, client, clock, tmp_path, criteria={**CRITERIA})
    ew = await committee(runtime, clock, world, members=4, alternates=1)
    key = generate_private_key()
    key_text = public_key_to_text(key.public_key())

    # The tender does not seat one: refused, naming why; nothing is stored.
    assert (await refused(ew, "tenderer1", key_text)).code == "no_representative_seat"
    async with runtime.transaction() as session:
        await session.execute(
            update(Tender)
            .where(Tender.code == CODE)
            .values(criteria={**CRITERIA, "tenderer_representative": True})
        )
    assert (await refused(ew, "agent1", key_text)).code == "bad_representative"  # not the tenderer's user
    assert (await refused(ew, "nobody", key_text)).code == "bad_representative"
    assert (await refused(ew, "tenderer1", "ed25519:not-a-key")).code == "bad_representative_key"
    async with runtime.sessions() as session:
        tender = await session.scalar(select(Tender).where(Tender.code == CODE))
        with pytest.raises(InvalidInput) as shape:  # 3 experts + 1 = 4: the committee must be odd
            await start._representative_seat(session, tender, new(ew, "tenderer1", key_text), 3)
        assert shape.value.code == "committee_shape"
        assert await session.scalar(select(Member.id)) is None

    async with runtime.transaction() as session:
        await service.start(session, runtime, ew.agent, new(ew, "tenderer1", key_text))
    representative = await principal(runtime, "tenderer1")
    async with runtime.sessions() as session:
        seat = await session.scalar(select(Member).where(Member.user_id == representative.user_id))
    assert seat is not None and seat.kind == "member" and seat.public_key == key_text
    ew.people[seat.code], ew.keys[seat.code] = representative, key
    members = [*ew.members, seat.code]

    # In the room the representative is a member (not the host): sits, votes, reviews and scores.
    seen = await view(ew, representative)
    assert seen["me"]["member"] == seat.code and not seen["me"]["host"] and seen["phase"] == "sign_in"
    assert {m["code"] for m in seen["members"]} == set(members)
    for n, code in enumerate(members):
        await act(ew, code, action="sign_in", venue=MAIN if n % 2 == 0 else SUB)
        await act(ew, code, action="declare", conflict=False)
    chair = members[0]
    for code in members:
        await act(ew, code, action="vote", candidate=chair)
    await through_reviews(ew, members, chair)
    for code in members:
        for i, bidder in enumerate(ew.bidder_codes):
            technical, commercial = SHEET[i]
            await act(ew, code, action="score", bidder=bidder, criterion="T1", value=technical)
            await act(ew, code, action="score", bidder=bidder, criterion="C1", value=commercial)
        await act(ew, code, action="submit")
    await act(ew, chair, action="advance")
    digest = (await view(ew, representative))["report_digest"]
    assert digest

    # A colleague at the tenderer is the host, as before, with no seat.
    await make_user(runtime, "tenderer2", Role.TENDERER, organisation_id=world.tenderer_org)
    colleague = await view(ew, await principal(runtime, "tenderer2"))
    assert colleague["me"]["member"] is None and colleague["me"]["host"]
    with pytest.raises(PermissionDenied):
        async with runtime.transaction() as session:
            attempt = {"action": "score", "bidder": ew.bidder_codes[0], "criterion": "T1", "value": "1"}
            await service.act(session, runtime, await principal(runtime, "tenderer2"), ROOM, attempt)

    for code in members:
        signature = base64.b64encode(ew.keys[code].sign(signing_message(digest))).decode()
        await act(ew, code, action="sign", signature=signature)
    async with runtime.sessions() as session:
        assert (await view(ew, representative))["state"] == "signed"
        reader = await service.report_file(session, runtime, representative, ROOM, "html")
    async with reader:
        html = (await reader.read()).decode()
    assert "招标人代表" in html and seat.name in html


async def test_without_a_typed_key_the_representative_uses_the_tenderers_registered_key(
    runtime: Runtime, client: Any, clock: ManualClock, tmp_path: Path
) -> None:
    """The host need not paste an ``ed25519:`` key when the tenderer registered one (issue #15)."""
    world = await opened_lot(
        runtime, client, clock, tmp_path, criteria={**CRITERIA, "tenderer_representative": True}
    )
    ew = await committee(runtime, clock, world, members=4, alternates=1)
    missing = await refused(ew, "tenderer1", "")  # nothing typed, nothing registered: say what to do
    assert missing.code == "bad_representative_key" and "registered" in missing.detail
    registered = public_key_to_text(generate_private_key().public_key())
    async with runtime.transaction() as session:
        await organisations.set_signing_key(
            session, runtime.audit, world.tenderer_org, registered, actor="test"
        )
    async with runtime.transaction() as session:
        await service.start(session, runtime, ew.agent, new(ew, "tenderer1", ""))
    representative = await principal(runtime, "tenderer1")
    async with runtime.sessions() as session:
        seat = await session.scalar(select(Member).where(Member.user_id == representative.user_id))
    assert seat is not None and seat.public_key == registered
