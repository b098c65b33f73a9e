"""Runtime.write_transaction, for work that reads before it writes (a job such as integrity's flags):
a commit of another connection between its reads and its first write does not refuse that write. On
SQLite a plain transaction that a read opened (a SAVEPOINT starts it) is refused there at once."""

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import RoomHead
from core.runtime import Runtime


async def add_head(runtime: Runtime, room: str) -> None:
    async with runtime.transaction() as session:
        session.add(RoomHead(room=room, seq=0))


async def read_then_write(session: AsyncSession, meanwhile: Callable[[], Awaitable[None]]) -> None:
    async with session.begin_nested():  # as integrity's catch_up computes each lot
        await session.scalars(select(RoomHead.room))
        await meanwhile()
        session.add(RoomHead(room="mine", seq=0))
        await session.flush()


def on_sqlite(runtime: Runtime) -> bool:
    return runtime.engine.dialect.name == "sqlite"


async def test_on_sqlite_a_transaction_a_read_opened_is_refused_after_a_commit(runtime: Runtime) -> None:
    if not on_sqlite(runtime):
        pytest.skip("PostgreSQL takes the row's lock at the write, whatever committed before")
    with pytest.raises(OperationalError, match="database is locked"):
        async with runtime.transaction() as session:
            await read_then_write(session, lambda: add_head(runtime, "theirs"))


async def test_a_write_transaction_has_the_other_writer_wait_and_both_commit(runtime: Runtime) -> None:
    theirs: list[asyncio.Task[None]] = []

    async def meanwhile() -> None:
        theirs.append(asyncio.create_task(add_head(runtime, "theirs")))
        await asyncio.sleep(0.05)
        if on_sqlite(runtime):
            assert not theirs[0].done()  # waiting for the write lock this transaction holds

    async with runtime.write_transaction() as session:
        await read_then_write(session, meanwhile)
    await asyncio.wait_for(theirs[0], 10)
    async with runtime.sessions() as session:
        assert set(await session.scalars(select(RoomHead.room))) == {"mine", "theirs"}
