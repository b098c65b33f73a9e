"""SQLite statements run on the event loop unless they would wait for another connection's lock or
run long (those go to aiosqlite's thread, and the loop keeps serving); either way they answer as
SQLAlchemy's adapter does."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite
import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from core.db import make_engine, make_sessionmaker
from core.sqlite_async import LoopFirstDbapi

T = TypeVar("T")
metadata = MetaData()
items = Table(
    "items",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String, unique=True, nullable=False),
    Column("n", Integer, nullable=False),
)


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'one_trip.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
        await conn.execute(insert(items), [{"name": f"item{i}", "n": i} for i in range(10)])
    yield engine
    await engine.dispose()


async def test_make_engine_puts_sqlite_on_the_loop_first_cursor(engine: AsyncEngine) -> None:
    assert isinstance(engine.dialect.dbapi, LoopFirstDbapi)


@contextmanager
def trips_to_the_database_thread(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The functions sent to aiosqlite's thread while the block runs."""
    trips: list[str] = []
    trip = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        trips.append(getattr(fn, "__name__", repr(fn)))
        return await trip(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    try:
        yield trips
    finally:
        monkeypatch.undo()


async def ticks_while(work: Awaitable[T]) -> tuple[T, int]:
    """``work``'s result and how often the event loop ran another task meanwhile (every 5 ms)."""
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.005)
            ticks += 1

    ticker = asyncio.create_task(tick())
    try:
        return await work, ticks
    finally:
        ticker.cancel()


async def test_short_statements_make_no_trip_to_the_database_thread_and_the_commit_one(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with trips_to_the_database_thread(monkeypatch) as trips:  # the pool holds the fixture's connection
        async with make_sessionmaker(engine)() as session:
            async with session.begin():
                rows = (await session.execute(select(items.c.name).order_by(items.c.id))).scalars().all()
                changed = await session.execute(update(items).where(items.c.n < 3).values(n=items.c.n + 100))
                back = (
                    await session.execute(
                        update(items).where(items.c.id == 1).values(n=items.c.n).returning(items.c.n)
                    )
                ).scalar_one()
    # SQLAlchemy's own adapter makes up to four for each statement (cursor, execute, fetch, close);
    # the commit's fsync is the one trip, so a busy disk holds up the thread, not the loop.
    assert trips == ["run"]
    assert rows == [f"item{i}" for i in range(10)]
    assert changed.rowcount == 3  # type: ignore[attr-defined]
    assert back == 100
    async with make_sessionmaker(engine)() as session:
        assert await session.scalar(select(items.c.n).where(items.c.id == 1)) == 100  # committed


async def test_a_write_blocked_by_another_process_asks_again_while_the_loop_serves(
    engine: AsyncEngine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = sqlite3.connect(tmp_path / "one_trip.db", isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    other.execute("UPDATE items SET n = 500 WHERE id = 2")
    releases = asyncio.get_running_loop().call_later(0.3, other.execute, "COMMIT")

    async def write() -> int:
        async with make_sessionmaker(engine)() as session, session.begin():
            return (
                await session.execute(
                    update(items).where(items.c.id == 2).values(n=items.c.n + 1).returning(items.c.n)
                )
            ).scalar_one()

    try:
        with trips_to_the_database_thread(monkeypatch) as trips:
            written, ticks = await ticks_while(write())
    finally:
        releases.cancel()
        other.close()
    assert written == 501  # it waited for the other's commit, then wrote on top of it
    assert ticks >= 10  # ≈ 60 ticks of 5 ms fit in the 0.3 s wait: the loop was not held
    assert trips == ["run"]  # the commit: the refused statement was asked again from the loop


async def test_the_busy_timeout_set_by_pragma_bounds_the_wait(engine: AsyncEngine, tmp_path: Path) -> None:
    other = sqlite3.connect(tmp_path / "one_trip.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # held for the whole test
    try:
        with pytest.raises(OperationalError, match="database is locked"):
            async with make_sessionmaker(engine)() as session, session.begin():
                await session.execute(text("PRAGMA busy_timeout=200"))  # 30 s from make_engine before
                on_the_loop = (await session.execute(text("PRAGMA busy_timeout"))).scalar_one()
                adapted = (await (await session.connection()).get_raw_connection()).dbapi_connection
                assert (on_the_loop, getattr(adapted, "busy_ms", None)) == (0, 200)  # a query keeps it
                await session.execute(update(items).where(items.c.id == 3).values(n=0))
    finally:
        other.rollback()
        other.close()


async def test_a_long_read_is_finished_in_the_thread_while_the_loop_serves(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE numbers (n INTEGER)"))
        await conn.execute(text("INSERT INTO numbers VALUES (:n)"), [{"n": n} for n in range(200)])
    counted = text("SELECT count(*), sum(a.n + b.n + c.n) FROM numbers a, numbers b, numbers c")

    async def read() -> tuple[int, int]:
        async with make_sessionmaker(engine)() as session:
            count, total = (await session.execute(counted)).one()
            return count, total

    with trips_to_the_database_thread(monkeypatch) as trips:
        (count, total), ticks = await ticks_while(read())
    assert (count, total) == (200**3, 3 * 200**2 * sum(range(200)))  # the whole answer, not a part
    assert trips == ["run"]  # interrupted on the loop after its budget, run again in the thread
    assert ticks >= 3  # eight million rows take far longer than 15 ms: the loop was not held

    async with make_sessionmaker(engine)() as session:  # a short read stays on the loop
        with trips_to_the_database_thread(monkeypatch) as trips:
            assert await session.scalar(text("SELECT count(*) FROM numbers")) == 200
    assert trips == []


async def test_statements_answer_as_the_adapter_does(engine: AsyncEngine) -> None:
    sessions = make_sessionmaker(engine)
    async with sessions() as session, session.begin():
        added = await session.execute(insert(items).values(name="new", n=42))
        assert added.inserted_primary_key == (11,)  # type: ignore[attr-defined]  # lastrowid
        one = await session.execute(update(items).where(items.c.name == "item0").values(n=0))
        assert one.rowcount == 1  # type: ignore[attr-defined]
        returned = await session.execute(
            update(items).where(items.c.n >= 8).values(n=items.c.n + 1).returning(items.c.name, items.c.n)
        )
        assert sorted(returned.all()) == [("item8", 9), ("item9", 10), ("new", 43)]
        assert await session.scalar(select(func.count()).select_from(items)) == 11
        nothing = await session.execute(select(items).where(items.c.id < 0))
        assert nothing.all() == [] and list(nothing.keys()) == ["id", "name", "n"]
        pragma = (await session.execute(text("PRAGMA foreign_keys"))).scalar_one()
        assert pragma == 1
    async with sessions() as session:
        streamed = await session.stream(select(items.c.name).order_by(items.c.id))  # server-side cursor
        assert [row.name async for row in streamed][:2] == ["item0", "item1"]


async def test_errors_and_rollback_are_the_adapters(engine: AsyncEngine) -> None:
    sessions = make_sessionmaker(engine)
    with pytest.raises(IntegrityError):
        async with sessions() as session, session.begin():
            await session.execute(update(items).where(items.c.id == 1).values(n=-1))
            await session.execute(insert(items).values(name="item2", n=0))  # the name is taken
    async with sessions() as session:
        assert await session.scalar(select(items.c.n).where(items.c.id == 1)) == 0  # rolled back
    async with engine.begin() as conn:
        await conn.execute(insert(items), [{"name": "a", "n": 1}, {"name": "b", "n": 2}])  # executemany
        assert await conn.scalar(select(func.count()).select_from(items)) == 12
