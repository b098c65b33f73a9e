"""Races between requests get clear answers, never a 500: concurrent registrations of one company, a
withdrawal against a replacement committing at the same time, and the unique-constraint safety net."""

import asyncio
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
import pytest
from litestar import Litestar, post
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select, update

from bidding import registration, submissions
from bidding.client import withdrawal
from bidding.common import lock_tender
from bidding.models import Registration, Submission
from core.accounts import Principal, principal_of
from core.errors import Conflict
from core.models import AuditHead, User
from core.runtime import Runtime
from crypto.signing import SignedStatement
from tests.bidding.helpers import make_world, published_tender, register_all, seal, upload
from tests.bidding.test_registration import FakeStanding
from tests.support.credit import StandingsOnly, credit_serving
from web.errors import EXCEPTION_HANDLERS


async def _principal(runtime: Runtime, username: str) -> Principal:
    async with runtime.sessions() as session:
        user = await session.scalar(select(User).where(User.username == username))
        assert user is not None
        return principal_of(user, 0)


async def test_two_concurrent_registrations_of_one_company_make_one_row_and_both_succeed(
    runtime: Runtime,
    client,  # type: ignore[no-untyped-def]
) -> None:
    """Both requests find no registration before either inserts (the credit look-up holds them at a
    barrier); the slower insert yields to the committed row and returns it."""
    world = await make_world(runtime, client, bidders=1)
    await published_tender(runtime, client, world)
    principal = await _principal(runtime, world.bidders[0].username)
    both_checked = asyncio.Barrier(2)

    async def standings(session, kind, keys, day):  # type: ignore[no-untyped-def]
        await both_checked.wait()
        return {key: FakeStanding(Decimal("100"), False) for key in keys}

    async def register() -> int:
        async with runtime.transaction() as session:
            done = await registration.register(session, runtime, principal, "JLZB-2026-001")
            return done.id

    with credit_serving(StandingsOnly(standings)):
        first, second = await asyncio.gather(register(), register())
    assert first == second
    async with runtime.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Registration)) == 1


async def test_a_withdrawal_waits_for_a_replacement_committing_and_does_not_overwrite_it(
    runtime: Runtime,
    client,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    """A replacement holds the tender's lock while it marks the old bid superseded; a withdrawal of
    that bid arriving meanwhile must wait for the lock and then see "superseded", not write over it."""
    world = await make_world(runtime, client, bidders=1)
    tender = await published_tender(runtime, client, world)
    await register_all(client, world)
    bidder = world.bidders[0]
    first = seal(tmp_path, tender, bidder)
    assert (await upload(client, bidder, first)).status_code == 201
    principal = await _principal(runtime, bidder.username)
    sid = first.manifest.submission_id
    async with runtime.sessions() as session:
        tender_id = await session.scalar(select(Submission.tender_id).where(Submission.submission_id == sid))
        assert tender_id is not None
    signed = SignedStatement.from_dict(msgspec.to_builtins(withdrawal(first.signed, bidder.signing_key)))
    async with runtime.transaction() as replacing:
        await lock_tender(replacing, tender_id, runtime.clock)
        await replacing.execute(
            update(Submission).where(Submission.submission_id == sid).values(status=submissions.SUPERSEDED)
        )
        withdrawing = asyncio.create_task(submissions.withdraw(runtime, principal, sid, signed))
        await asyncio.sleep(0.5)
        assert not withdrawing.done()  # waiting for the replacement's lock
    with pytest.raises(Conflict) as refused:
        await withdrawing
    assert refused.value.code == "not_active"
    async with runtime.sessions() as session:
        status = await session.scalar(select(Submission.status).where(Submission.submission_id == sid))
    assert status == submissions.SUPERSEDED


async def test_a_unique_violation_no_service_answered_is_a_409_and_other_integrity_errors_stay_500(
    runtime: Runtime,
) -> None:
    """The error handlers' safety net, on a real database's IntegrityError (the audit head row 1
    exists after migration, so inserting it again violates the primary key)."""

    @post("/duplicate", status_code=201)
    async def duplicate() -> None:
        async with runtime.transaction() as session:
            session.add(AuditHead(id=1, size=0, frontier=b""))

    @post("/null", status_code=201)
    async def null() -> None:
        async with runtime.transaction() as session:
            session.add(AuditHead(id=2, size=None, frontier=b""))

    app = Litestar(route_handlers=[duplicate, null], exception_handlers=EXCEPTION_HANDLERS)
    async with AsyncTestClient(app=app) as client:
        clash = await client.post("/duplicate")
        broken = await client.post("/null")
    body: dict[str, Any] = clash.json()
    assert clash.status_code == 409 and body["error"] == "conflict" and body["detail"]
    assert broken.status_code == 500 and broken.json()["error"] == "internal"
